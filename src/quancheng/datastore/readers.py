"""Readers that turn an uploaded file into batches of text columns for the datastore ingest.

Every reader yields `pa.RecordBatch`es whose columns are all `pa.string()`, named by the
SQL identifiers of the headers; values are the text as written (no type conversion, so a
code such as "000123" keeps its zeros) and empty or blank cells are null. CSV, TSV, JSON,
NDJSON and Parquet are streamed in bounded memory; spreadsheets are read whole after a
zip-bomb check.

Rows with more cells than the header and rows with fewer cells are both rejected with the
code "ragged_rows": padding a short row would silently shift meaning when a delimiter is
missing in the middle of a line, so the department is asked to fix the file instead.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import datetime as dt
import io
import json
import re
import zipfile
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import charset_normalizer
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from python_calamine import CalamineError, CalamineWorkbook

from quancheng.datastore.identifiers import make_identifiers
from quancheng.datastore.schema import DATE_PATTERN, TIMESTAMP_PATTERN
from quancheng.errors import BadRequest

FORMATS = ("csv", "tsv", "xlsx", "xls", "ods", "json", "ndjson", "parquet")
EXTENSIONS = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".txt": "csv",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".xls": "xls",
    ".ods": "ods",
    ".json": "json",
    ".ndjson": "ndjson",
    ".jsonl": "ndjson",
    ".parquet": "parquet",
}
SAMPLE_BYTES = 1 << 20
MAX_LINE_BYTES = 64 << 20
CSV_BLOCK_BYTES = 4 << 20
JSON_CHUNK_CHARS = 1 << 20
ZIP_MAX_TOTAL_BYTES = 2 << 30
ZIP_MAX_RATIO = 200
ZIP_RATIO_MIN_BYTES = 50 << 20

_GB_FAMILY = frozenset({"gb18030", "gbk", "gb2312", "hz"})
# Other double-byte encodings that charset_normalizer often names for short GB text.
_OTHER_CJK = frozenset(
    {"big5", "big5hkscs", "cp950", "cp949", "euc_kr", "shift_jis", "cp932", "euc_jp"}
)
# Below this coherence a non-GB CJK guess is treated as unsure (short samples score 0).
_SURE_COHERENCE = 0.3
_NUMBER = re.compile(r"^[+-]?(?:\d+(?:[.,]\d+)*|\.\d+)(?:[eE][+-]?\d+)?%?$")
_DATE = re.compile(DATE_PATTERN)
_TIMESTAMP = re.compile(TIMESTAMP_PATTERN)


def _bad(message: str, code: str, **details: Any) -> BadRequest:
    return BadRequest(message, code=code, details=details or None)


# ---------------------------------------------------------------------------- encodings


def _canonical(encoding: str) -> str:
    name = codecs.lookup(encoding).name
    return "gb18030" if name in _GB_FAMILY else name


def _decode_error(sample: bytes, encoding: str, *, complete: bool) -> UnicodeDecodeError | None:
    """The error decoding `sample` strictly; a cut multi-byte tail is fine unless complete."""
    try:
        codecs.getincrementaldecoder(encoding)(errors="strict").decode(sample, final=complete)
    except UnicodeDecodeError as exc:
        return exc
    return None


def detect_encoding(sample: bytes, *, complete: bool) -> str:
    """The text encoding of a file from its first bytes (`complete` if that is the whole file)."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return "utf-32"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if _decode_error(sample, "utf-8", complete=complete) is None:
        return "utf-8"
    best = charset_normalizer.from_bytes(sample).best()
    guess = _canonical(best.encoding) if best is not None else None
    if guess == "gb18030":
        return guess
    sure_other_cjk = (
        best is not None
        and guess in {_canonical(e) for e in _OTHER_CJK}
        and best.coherence >= _SURE_COHERENCE
    )
    # Chinese government files are GB18030 far more often than anything charset_normalizer
    # might guess from a short sample (cp1252, cp949, big5...), so GB18030 wins when it fits.
    if (
        not sure_other_cjk
        and not (guess or "").startswith("utf")
        and _decode_error(sample, "gb18030", complete=complete) is None
    ):
        return "gb18030"
    if guess is None:
        raise _bad(
            "The text encoding of the file could not be detected; give the encoding explicitly.",
            "bad_encoding",
        )
    return guess


def _resolve_encoding(sample: bytes, given: str | None, *, complete: bool) -> str:
    """The given encoding checked against the sample, else the detected one."""
    if given is None:
        return detect_encoding(sample, complete=complete)
    try:
        encoding = _canonical(given)
    except LookupError:
        raise _bad(f"Unknown text encoding {given!r}.", "bad_encoding", encoding=given) from None
    if encoding == "utf-8" and sample.startswith(codecs.BOM_UTF8):
        encoding = "utf-8-sig"
    error = _decode_error(sample, encoding, complete=complete)
    if error is not None:
        raise _bad(
            f"The file is not valid {encoding} text: bytes at offset {error.start} do not "
            "decode. Check the encoding or leave it out to detect it.",
            "bad_encoding",
            encoding=encoding,
            offset=error.start,
        )
    return encoding


# ---------------------------------------------------------------------------- text values


def _looks_like_value(cell: str) -> bool:
    text = cell.strip()
    return bool(_NUMBER.match(text) or _DATE.match(text) or _TIMESTAMP.match(text))


def _is_data_row(cells: list[str]) -> bool:
    """True when every non-empty cell of a first row looks like a number or a date."""
    filled = [c for c in cells if c.strip()]
    return bool(filled) and all(_looks_like_value(c) for c in filled)


def _clean_label(label: str) -> str:
    return label.replace("\ufeff", "").strip()


def _blank_to_null(array: pa.Array) -> pa.Array:
    # utf8_is_space tests without building trimmed copies; most columns have no blank cell.
    blank = pc.or_(pc.utf8_is_space(array), pc.equal(array, ""))
    if not pc.any(blank).as_py():
        return array
    return pc.if_else(blank, pa.scalar(None, pa.string()), array)


def _text_batch(arrays: list[pa.Array], names: list[str]) -> pa.RecordBatch:
    return pa.RecordBatch.from_arrays([_blank_to_null(a) for a in arrays], names=names)


def _rebatch(batches: Iterator[pa.RecordBatch], size: int) -> Iterator[pa.RecordBatch]:
    """The same rows in batches of exactly `size` rows (the last may be shorter)."""
    pending: list[pa.RecordBatch] = []
    rows = 0
    for batch in batches:
        if batch.num_rows == 0:
            continue
        pending.append(batch)
        rows += batch.num_rows
        while rows >= size:
            merged = pa.concat_batches(pending)
            yield merged.slice(0, size)
            rest = merged.slice(size)
            pending = [rest] if rest.num_rows else []
            rows = rest.num_rows
    if rows:
        yield pa.concat_batches(pending)


def _json_text(value: Any) -> str:
    """Compact JSON text of a parsed value whose numbers were kept as their source text."""
    if isinstance(value, _JsonNumber):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return "null"
    if isinstance(value, dict):
        items = (json.dumps(k, ensure_ascii=False) + ":" + _json_text(v) for k, v in value.items())
        return "{" + ",".join(items) + "}"
    if isinstance(value, list):
        return "[" + ",".join(_json_text(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False, default=str)


def _cell_text(value: Any) -> str | None:
    """A spreadsheet cell as text: 123 not 123.0, ISO dates, true/false."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        if value.microsecond:
            return value.isoformat(sep=" ")
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)


# ---------------------------------------------------------------------------- readers


class TableReader(ABC):
    """A file opened for ingest: its format, encoding, headers and a stream of text batches."""

    def __init__(
        self,
        *,
        path: Path,
        format: str,
        encoding: str | None,
        labels: list[str],
        batch_rows: int,
    ) -> None:
        self.path = path
        self.format = format
        self.encoding = encoding
        self.labels = labels
        self.names = make_identifiers(labels)
        self.total_bytes = path.stat().st_size
        self.batch_rows = batch_rows
        self._bytes_read = 0

    @property
    def bytes_read(self) -> int:
        """How much of the file has been consumed so far (for progress bars)."""
        return min(self._bytes_read, self.total_bytes)

    @abstractmethod
    def _read(self) -> Iterator[pa.RecordBatch]:
        """Batches of any size with text columns named by `names`."""

    def batches(self) -> Iterator[pa.RecordBatch]:
        """All rows in batches of `batch_rows`; may be called again to read from the start."""
        emitted = 0
        for batch in _rebatch(self._read(), self.batch_rows):
            emitted += batch.num_rows
            yield batch
        if emitted == 0:
            raise _bad("The file has a header but no data rows.", "no_rows")
        self._bytes_read = self.total_bytes


class _Straddle(Exception):
    """pyarrow met a row longer than its block size."""


class _Unnumbered(Exception):
    """pyarrow, parsing in threads, met a ragged row without knowing its number."""


class CsvReader(TableReader):
    """Delimited text streamed by pyarrow in blocks of a few MB."""

    def __init__(
        self,
        *,
        path: Path,
        format: str,
        encoding: str,
        labels: list[str],
        batch_rows: int,
        delimiter: str,
        has_header: bool,
        leading_blank_lines: int,
    ) -> None:
        super().__init__(
            path=path, format=format, encoding=encoding, labels=labels, batch_rows=batch_rows
        )
        self.delimiter = delimiter
        self.has_header = has_header
        self._leading_blank_lines = leading_blank_lines

    @property
    def leading_blank_lines(self) -> int:
        """Empty lines before the header (or the first row)."""
        return self._leading_blank_lines

    def sample(self, rows: int) -> pa.RecordBatch | None:
        """The first `rows` rows as `batches` gives them, read in this thread only.

        None when they cannot be read this way (a row longer than a block); a file
        `batches` refuses raises the same error here.
        """
        block = max(SAMPLE_BYTES, 64 * rows)
        try:
            for batch in _rebatch(self._stream(block, skip=0, threads=False), rows):
                return batch
        except _Straddle:
            return None
        raise _bad("The file has a header but no data rows.", "no_rows")

    def _read(self) -> Iterator[pa.RecordBatch]:
        emitted = 0
        block = CSV_BLOCK_BYTES
        threads = True
        while True:
            try:
                for batch in self._stream(block, skip=emitted, threads=threads):
                    emitted += batch.num_rows
                    yield batch
                return
            except _Unnumbered:
                # Parsing in threads does not know row numbers: read again in one thread,
                # dropping the rows already delivered, to name the ragged row.
                threads = False
            except _Straddle:
                # A row longer than the block: read again with bigger blocks, dropping the
                # rows already delivered, up to the line limit.
                # pyarrow lets a row span two blocks, so half the limit is the largest
                # block needed.
                if block >= MAX_LINE_BYTES // 2:
                    raise _bad(
                        f"Row {emitted + 2 if self.has_header else emitted + 1} or a later one "
                        f"is longer than {MAX_LINE_BYTES >> 20} MB; the file cannot be read.",
                        "line_too_long",
                    ) from None
                block = min(block * 4, MAX_LINE_BYTES // 2)

    def _stream(self, block: int, *, skip: int, threads: bool) -> Iterator[pa.RecordBatch]:
        invalid: list[tuple[int, int, int | None]] = []

        def on_invalid_row(row: Any) -> str:
            invalid.append((row.expected_columns, row.actual_columns, row.number))
            return "error"

        encoding = "utf8" if self.encoding in ("utf-8", "utf-8-sig") else str(self.encoding)
        read_options = pacsv.ReadOptions(
            use_threads=threads,
            block_size=block,
            column_names=self.names,
            skip_rows=self._leading_blank_lines,
            skip_rows_after_names=1 if self.has_header else 0,
            encoding=encoding,
        )
        parse_options = pacsv.ParseOptions(
            delimiter=self.delimiter,
            quote_char='"',
            double_quote=True,
            newlines_in_values=True,
            ignore_empty_lines=True,
            invalid_row_handler=on_invalid_row,
        )
        convert_options = pacsv.ConvertOptions(
            column_types={name: pa.string() for name in self.names},
            null_values=[""],
            strings_can_be_null=True,
            quoted_strings_can_be_null=True,
        )
        with self.path.open("rb") as raw:
            try:
                reader = pacsv.open_csv(
                    raw,
                    read_options=read_options,
                    parse_options=parse_options,
                    convert_options=convert_options,
                )
                for batch in reader:
                    self._bytes_read = raw.tell()
                    if skip:
                        dropped = min(skip, batch.num_rows)
                        batch = batch.slice(dropped)
                        skip -= dropped
                    if batch.num_rows:
                        yield self._checked(batch)
            except (pa.ArrowInvalid, UnicodeError) as exc:
                if threads and invalid and invalid[0][2] is None:
                    raise _Unnumbered from exc
                raise self._translate(exc, invalid) from exc

    def _checked(self, batch: pa.RecordBatch) -> pa.RecordBatch:
        for array in batch.columns:
            longest = pc.max(pc.binary_length(array)).as_py()
            # A row that ended exactly at the end of the file escapes pyarrow's block limit.
            if longest is not None and longest > MAX_LINE_BYTES:
                raise _bad(
                    f"A field is longer than {MAX_LINE_BYTES >> 20} MB; the file cannot be read.",
                    "line_too_long",
                )
        return _text_batch(list(batch.columns), self.names)

    def _translate(self, exc: Exception, invalid: list[tuple[int, int, int | None]]) -> Exception:
        message = str(exc)
        if invalid:
            expected, actual, number = invalid[0]
            where = f"Row {number}" if number is not None else "A row"
            return _bad(
                f"{where} has {actual} cells but the header has {expected}; every row must "
                "have as many cells as the header.",
                "ragged_rows",
                row=number,
                expected=expected,
                actual=actual,
            )
        if "straddl" in message:
            return _Straddle()
        if isinstance(exc, UnicodeError) or "invalid UTF8" in message:
            return _bad(
                f"The file contains bytes that are not valid {self.encoding} text ({message}). "
                "Check the encoding.",
                "bad_encoding",
                encoding=self.encoding,
            )
        return _bad(f"The CSV file cannot be parsed: {message}", "corrupt_file")


class _JsonNumber(str):
    """A JSON number kept as its source text (so 1.50 stays "1.50")."""


class _JsonScanner:
    """Objects from a JSON array or a stream of objects, decoded chunk by chunk."""

    def __init__(self, text: IO[str], *, array: bool) -> None:
        self._text = text
        self._array = array
        self._buf = ""
        self._pos = 0
        self._eof = False
        self._decoder = json.JSONDecoder(
            parse_float=_JsonNumber, parse_int=_JsonNumber, parse_constant=_JsonNumber
        )

    def _fill(self, want: int = JSON_CHUNK_CHARS) -> bool:
        if self._eof:
            return False
        chunk = self._text.read(want)
        self._buf = self._buf[self._pos :] + chunk
        self._pos = 0
        if not chunk:
            self._eof = True
        return bool(chunk)

    def _peek(self) -> str:
        """The next non-whitespace character, or "" at the end of the input."""
        while True:
            while self._pos < len(self._buf) and self._buf[self._pos] in " \t\r\n":
                self._pos += 1
            if self._pos < len(self._buf):
                return self._buf[self._pos]
            if not self._fill():
                return ""

    def _object(self, number: int) -> dict[str, Any]:
        if self._peek() != "{":
            raise _bad(f"Record {number} of the JSON data is not an object.", "corrupt_file")
        while True:
            try:
                value, end = self._decoder.raw_decode(self._buf, self._pos)
            except json.JSONDecodeError as exc:
                pending = len(self._buf) - self._pos
                if pending > MAX_LINE_BYTES:
                    raise _bad(
                        f"Record {number} of the JSON data is longer than "
                        f"{MAX_LINE_BYTES >> 20} MB.",
                        "line_too_long",
                        row=number,
                    ) from None
                # Read at least as much again as is pending so a big record is not
                # re-parsed once per small chunk.
                if not self._fill(max(JSON_CHUNK_CHARS, pending)):
                    raise _bad(
                        f"Record {number} of the JSON data is invalid: {exc.msg}.",
                        "corrupt_file",
                        row=number,
                    ) from None
                continue
            self._pos = end
            return dict(value)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        number = 0
        if self._array:
            if self._peek() != "[":
                raise _bad("The JSON file is not an array of objects.", "corrupt_file")
            self._pos += 1
            if self._peek() == "]":
                self._pos += 1
            else:
                while True:
                    number += 1
                    yield self._object(number)
                    sep = self._peek()
                    self._pos += 1
                    if sep == "]":
                        break
                    if sep != ",":
                        raise _bad(
                            f"The JSON array is malformed after record {number}.",
                            "corrupt_file",
                            row=number,
                        )
            if self._peek() != "":
                raise _bad("The JSON file has data after the array.", "corrupt_file")
            return
        while self._peek() != "":
            number += 1
            yield self._object(number)


class JsonReader(TableReader):
    """A JSON array of objects, or NDJSON (one object per line), streamed in chunks."""

    def __init__(
        self,
        *,
        path: Path,
        format: str,
        encoding: str,
        batch_rows: int,
        array: bool,
    ) -> None:
        self._array = array
        self._encoding = encoding
        self.path = path
        keys: dict[str, None] = {}
        count = 0
        with self._records() as records:
            for _, record in zip(range(batch_rows), records, strict=False):
                count += 1
                keys.update(dict.fromkeys(record))
        if count == 0:
            raise _bad("The JSON data has no records.", "no_rows")
        if not keys:
            raise _bad("The JSON records have no fields.", "empty_file")
        self._keys = list(keys)
        super().__init__(
            path=path,
            format=format,
            encoding=encoding,
            labels=[_clean_label(str(k)) for k in self._keys],
            batch_rows=batch_rows,
        )

    def _records(self) -> _RecordStream:
        return _RecordStream(self.path, self._encoding, array=self._array, reader=self)

    def _read(self) -> Iterator[pa.RecordBatch]:
        index = {key: i for i, key in enumerate(self._keys)}
        width = len(self._keys)
        with self._records() as records:
            columns: list[list[str | None]] = [[] for _ in range(width)]
            for number, record in enumerate(records, start=1):
                row: list[str | None] = [None] * width
                for key, value in record.items():
                    i = index.get(key)
                    if i is None:
                        raise _bad(
                            f"Record {number} has a field {key!r} that the first records do "
                            "not have; every record must use the same fields.",
                            "ragged_rows",
                            row=number,
                            field=key,
                        )
                    if value is not None:
                        row[i] = value if type(value) is str else _json_text(value)
                for i, cell in enumerate(row):
                    columns[i].append(cell)
                if len(columns[0]) >= self.batch_rows:
                    yield self._batch(columns)
                    columns = [[] for _ in range(width)]
            if columns[0]:
                yield self._batch(columns)

    def _batch(self, columns: list[list[str | None]]) -> pa.RecordBatch:
        arrays = [pa.array(col, type=pa.string()) for col in columns]
        return _text_batch(arrays, self.names)


class _RecordStream:
    """The open file behind a JSON scan; tracks bytes read and maps decode errors."""

    def __init__(self, path: Path, encoding: str, *, array: bool, reader: JsonReader) -> None:
        self._raw = path.open("rb")
        self._text = io.TextIOWrapper(self._raw, encoding=encoding, errors="strict", newline="")
        self._scanner = _JsonScanner(self._text, array=array)
        self._encoding = encoding
        self._reader = reader

    def __enter__(self) -> Iterator[dict[str, Any]]:
        return self._iterate()

    def __exit__(self, *exc: object) -> None:
        self._text.close()

    def _iterate(self) -> Iterator[dict[str, Any]]:
        try:
            for record in self._scanner:
                self._reader._bytes_read = self._raw.tell()
                yield record
        except UnicodeError as exc:
            raise _bad(
                f"The file contains bytes that are not valid {self._encoding} text ({exc}).",
                "bad_encoding",
                encoding=self._encoding,
            ) from None
        except RecursionError:
            raise _bad("The JSON data is nested too deeply.", "corrupt_file") from None


class SpreadsheetReader(TableReader):
    """One sheet of an XLSX, XLS or ODS workbook, read whole by calamine."""

    def __init__(self, *, path: Path, format: str, sheet: str | None, batch_rows: int) -> None:
        if format in ("xlsx", "ods"):
            _check_zip(path)
        try:
            with CalamineWorkbook.from_path(str(path)) as workbook:
                names = list(workbook.sheet_names)
                if sheet is not None:
                    if sheet not in names:
                        raise _bad(
                            f"The workbook has no sheet named {sheet!r}.",
                            "sheet_not_found",
                            sheets=names,
                        )
                    rows = workbook.get_sheet_by_name(sheet).to_python(skip_empty_area=True)
                else:
                    rows = []
                    for name in names:
                        rows = workbook.get_sheet_by_name(name).to_python(skip_empty_area=True)
                        if any(_cell_text(c) not in (None, "") for r in rows for c in r):
                            sheet = name
                            break
                    else:
                        sheet = names[0] if names else None
        except (CalamineError, OSError, ValueError) as exc:
            raise _bad(f"The {format} file cannot be read: {exc}", "corrupt_file") from exc
        self.sheet = sheet
        table = [[_cell_text(c) for c in row] for row in rows]
        while table and all((c or "").strip() == "" for c in table[-1]):
            table.pop()
        if not table:
            raise _bad("The sheet is empty.", "empty_file", sheet=sheet)
        width = max(len(r) for r in table)
        header = [c or "" for c in table[0]] + [""] * (width - len(table[0]))
        # Columns with neither a header nor a value are formatting left-overs, not data.
        while (
            width > 1
            and not header[width - 1].strip()
            and all(len(r) < width or not (r[width - 1] or "").strip() for r in table)
        ):
            width -= 1
        has_header = not _is_data_row(header[:width])
        labels = (
            [_clean_label(c) for c in header[:width]]
            if has_header
            else [f"column_{i + 1}" for i in range(width)]
        )
        self._rows = table[1:] if has_header else table
        if not self._rows:
            raise _bad("The sheet has a header but no data rows.", "no_rows", sheet=sheet)
        super().__init__(
            path=path, format=format, encoding=None, labels=labels, batch_rows=batch_rows
        )
        self._width = width

    def _read(self) -> Iterator[pa.RecordBatch]:
        for start in range(0, len(self._rows), self.batch_rows):
            chunk = self._rows[start : start + self.batch_rows]
            arrays = [
                pa.array([r[i] if i < len(r) else None for r in chunk], type=pa.string())
                for i in range(self._width)
            ]
            yield _text_batch(arrays, self.names)
            self._bytes_read = self.total_bytes * (start + len(chunk)) // len(self._rows)


def _check_zip(path: Path) -> None:
    """Reject a workbook whose members would inflate to absurd sizes."""
    try:
        with zipfile.ZipFile(path) as archive:
            total = 0
            for info in archive.infolist():
                total += info.file_size
                ratio = info.file_size / max(info.compress_size, 1)
                if total > ZIP_MAX_TOTAL_BYTES or (
                    ratio > ZIP_MAX_RATIO and info.file_size > ZIP_RATIO_MIN_BYTES
                ):
                    raise _bad(
                        "The workbook expands to an unreasonable size (a zip bomb?); "
                        f"member {info.filename!r} is {info.file_size} bytes uncompressed.",
                        "zip_bomb",
                        member=info.filename,
                    )
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise _bad(f"The workbook is not a valid zip file: {exc}", "corrupt_file") from exc


class ParquetReader(TableReader):
    """A Parquet file read row group by row group, each column cast to text."""

    def __init__(self, *, path: Path, batch_rows: int) -> None:
        try:
            self._file = pq.ParquetFile(path)
        except (pa.ArrowException, OSError) as exc:
            raise _bad(f"The Parquet file cannot be read: {exc}", "corrupt_file") from exc
        schema = self._file.schema_arrow
        if not schema.names:
            raise _bad("The Parquet file has no columns.", "empty_file")
        if self._file.metadata.num_rows == 0:
            raise _bad("The Parquet file has no rows.", "no_rows")
        super().__init__(
            path=path,
            format="parquet",
            encoding=None,
            labels=[_clean_label(n) for n in schema.names],
            batch_rows=batch_rows,
        )

    def _read(self) -> Iterator[pa.RecordBatch]:
        total = self._file.metadata.num_rows
        done = 0
        try:
            for batch in self._file.iter_batches(batch_size=self.batch_rows):
                done += batch.num_rows
                self._bytes_read = self.total_bytes * done // total
                yield _text_batch([_arrow_text(a) for a in batch.columns], self.names)
        except (pa.ArrowException, OSError) as exc:
            raise _bad(f"The Parquet file cannot be read: {exc}", "corrupt_file") from exc


def _arrow_text(array: pa.Array) -> pa.Array:
    """A typed Arrow column as text: ISO dates and times, true/false, JSON for nested values."""
    kind = array.type
    if pa.types.is_dictionary(kind):
        return _arrow_text(array.dictionary_decode())
    if pa.types.is_null(kind):
        return pa.nulls(len(array), pa.string())
    if pa.types.is_timestamp(kind):
        # Whole seconds print without a ".000000" tail.
        with contextlib.suppress(pa.ArrowInvalid):
            array = pc.cast(array, pa.timestamp("s", kind.tz), safe=True)
        return pc.cast(array, pa.string())
    if pa.types.is_nested(kind):
        return pa.array(
            [None if v is None else _python_json(v) for v in array.to_pylist()], pa.string()
        )
    try:
        return pc.cast(array, pa.string())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return pa.array([None if v is None else str(v) for v in array.to_pylist()], pa.string())


def _python_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)


# ---------------------------------------------------------------------------- opening


def _read_sample(path: Path) -> tuple[bytes, bool]:
    """The first MB of the file (more, up to the first newline) and whether it is all of it."""
    with path.open("rb") as f:
        sample = f.read(SAMPLE_BYTES)
        if len(sample) < SAMPLE_BYTES:
            return sample, True
        # The header must be whole to be parsed; a file without any line break in the
        # first 64 MB is not a table we can stream.
        parts = [sample]
        size = len(sample)
        while b"\n" not in parts[-1]:
            more = f.read(SAMPLE_BYTES)
            if not more:
                return b"".join(parts), True
            parts.append(more)
            size += len(more)
            if size > MAX_LINE_BYTES:
                raise _bad(
                    f"The first line of the file is longer than {MAX_LINE_BYTES >> 20} MB; "
                    "it is not a table that can be read.",
                    "line_too_long",
                    row=1,
                )
        return b"".join(parts), f.read(1) == b""


def _sniff_format(path: Path) -> str:
    with path.open("rb") as f:
        head = f.read(4096)
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(path) as archive:
                names = set(archive.namelist())
                if "mimetype" in names and b"opendocument.spreadsheet" in archive.read("mimetype"):
                    return "ods"
                if "xl/workbook.xml" in names or "[Content_Types].xml" in names:
                    return "xlsx"
        except zipfile.BadZipFile:
            return "xlsx"  # a damaged workbook; calamine reports it as corrupt
        raise _bad("The file is a zip archive but not a spreadsheet.", "unknown_format")
    if head.startswith(bytes.fromhex("D0CF11E0A1B11AE1")):
        return "xls"
    if head.startswith(b"PAR1"):
        return "parquet"
    text = head.removeprefix(codecs.BOM_UTF8).lstrip()
    if text.startswith(b"["):
        return "json"
    if text.startswith(b"{"):
        return "ndjson"
    utf16 = head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    if b"\x00" in head and not utf16:
        raise _bad("The file is binary data in no supported format.", "unknown_format")
    return "csv"


def _choose_format(path: Path, filename: str | None, format: str | None) -> str:
    if format is not None:
        fmt = {"jsonl": "ndjson", "txt": "csv"}.get(format.lower(), format.lower())
        if fmt not in FORMATS:
            raise _bad(
                f"Unknown format {format!r}; expected one of {', '.join(FORMATS)}.",
                "unknown_format",
            )
        return fmt
    suffix = Path(filename or path.name).suffix.lower()
    return EXTENSIONS.get(suffix) or _sniff_format(path)


def _sniff_delimiter(text: str) -> str:
    snippet = text[: 64 * 1024]
    if len(text) > len(snippet) and "\n" in snippet:
        snippet = snippet[: snippet.rindex("\n")]
    first_line = snippet.split("\n", 1)[0]
    try:
        delimiter = csv.Sniffer().sniff(snippet, delimiters=",\t;|").delimiter
    except csv.Error:
        delimiter = ""
    if delimiter and delimiter in first_line:
        return delimiter
    counts = {d: first_line.count(d) for d in ",\t;|"}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _open_csv(path: Path, fmt: str, given_encoding: str | None, batch_rows: int) -> CsvReader:
    sample, complete = _read_sample(path)
    encoding = _resolve_encoding(sample, given_encoding, complete=complete)
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    text = decoder.decode(sample, final=complete).removeprefix("\ufeff")
    if not text.strip():
        raise _bad("The file has no header and no data.", "empty_file")
    delimiter = "\t" if fmt == "tsv" else _sniff_delimiter(text)
    leading_blank = 0
    lines = text.split("\n")
    while leading_blank < len(lines) and not lines[leading_blank].strip("\r"):
        leading_blank += 1
    rows = csv.reader(io.StringIO("\n".join(lines[leading_blank:])), delimiter=delimiter)
    try:
        first = next(rows)
        later = [r for r in rows if r] if complete else None
    except csv.Error as exc:
        raise _bad(f"The CSV file cannot be parsed: {exc}", "corrupt_file") from exc
    has_header = not _is_data_row(first)
    if has_header:
        labels = [_clean_label(c) for c in first]
        if later is not None and not later:
            raise _bad("The file has a header but no data rows.", "no_rows")
    else:
        labels = [f"column_{i + 1}" for i in range(len(first))]
    return CsvReader(
        path=path,
        format="tsv" if delimiter == "\t" else "csv",
        encoding=encoding,
        labels=labels,
        batch_rows=batch_rows,
        delimiter=delimiter,
        has_header=has_header,
        leading_blank_lines=leading_blank,
    )


def _open_json(path: Path, fmt: str, given_encoding: str | None, batch_rows: int) -> JsonReader:
    sample, complete = _read_sample(path)
    encoding = _resolve_encoding(sample, given_encoding, complete=complete)
    head = codecs.getincrementaldecoder(encoding)(errors="replace").decode(sample[:4096])
    # A ".json" file holding one object or concatenated objects is read like NDJSON.
    array = fmt == "json" and head.lstrip("\ufeff \t\r\n").startswith("[")
    return JsonReader(path=path, format=fmt, encoding=encoding, batch_rows=batch_rows, array=array)


def open_table(
    path: Path,
    *,
    filename: str | None = None,
    format: str | None = None,
    encoding: str | None = None,
    sheet: str | None = None,
    batch_rows: int = 50_000,
) -> TableReader:
    """Open an uploaded file as a table of text columns; `filename` is the name the user gave."""
    if batch_rows < 1:
        raise ValueError("batch_rows must be positive")
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise _bad(f"The file {path.name!r} does not exist.", "empty_file") from None
    if size == 0:
        raise _bad("The file is empty.", "empty_file")
    fmt = _choose_format(path, filename, format)

    def spreadsheet() -> TableReader:
        return SpreadsheetReader(path=path, format=fmt, sheet=sheet, batch_rows=batch_rows)

    openers: dict[str, Callable[[], TableReader]] = {
        "csv": lambda: _open_csv(path, fmt, encoding, batch_rows),
        "tsv": lambda: _open_csv(path, fmt, encoding, batch_rows),
        "json": lambda: _open_json(path, fmt, encoding, batch_rows),
        "ndjson": lambda: _open_json(path, fmt, encoding, batch_rows),
        "xlsx": spreadsheet,
        "xls": spreadsheet,
        "ods": spreadsheet,
        "parquet": lambda: ParquetReader(path=path, batch_rows=batch_rows),
    }
    return openers[fmt]()
