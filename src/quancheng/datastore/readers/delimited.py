"""CSV and TSV: delimiter and header sniffing, then pyarrow streaming in blocks."""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from quancheng.datastore.readers.base import (
    MAX_LINE_BYTES,
    SAMPLE_BYTES,
    TableReader,
    bad,
    clean_label,
    is_data_row,
    read_sample,
    rebatch,
    text_batch,
)
from quancheng.datastore.readers.encodings import resolve_encoding

CSV_BLOCK_BYTES = 4 << 20


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
        # The line of the first data row, as pyarrow numbers ragged rows and as a spreadsheet
        # shows the file (the blank lines before the header are rows there too). Blank lines
        # between data rows are skipped by the reader and not counted.
        super().__init__(
            path=path,
            format=format,
            encoding=encoding,
            labels=labels,
            batch_rows=batch_rows,
            first_row=leading_blank_lines + (2 if has_header else 1),
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
            for batch in rebatch(self._stream(block, skip=0, threads=False), rows):
                return batch
        except _Straddle:
            return None
        raise bad("The file has a header but no data rows.", "no_rows")

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
                    raise bad(
                        f"Row {self.first_row + emitted} or a later one "
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
                raise bad(
                    f"A field is longer than {MAX_LINE_BYTES >> 20} MB; the file cannot be read.",
                    "line_too_long",
                )
        return text_batch(list(batch.columns), self.names)

    def _translate(self, exc: Exception, invalid: list[tuple[int, int, int | None]]) -> Exception:
        message = str(exc)
        if invalid:
            expected, actual, number = invalid[0]
            where = f"Row {number}" if number is not None else "A row"
            return bad(
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
            return bad(
                f"The file contains bytes that are not valid {self.encoding} text ({message}). "
                "Check the encoding.",
                "bad_encoding",
                encoding=self.encoding,
            )
        return bad(f"The CSV file cannot be parsed: {message}", "corrupt_file")


def sniff_delimiter(text: str) -> str:
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


def open_csv(path: Path, fmt: str, given_encoding: str | None, batch_rows: int) -> CsvReader:
    sample, complete = read_sample(path)
    encoding = resolve_encoding(sample, given_encoding, complete=complete)
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    text = decoder.decode(sample, final=complete).removeprefix("\ufeff")
    if not text.strip():
        raise bad("The file has no header and no data.", "empty_file")
    delimiter = "\t" if fmt == "tsv" else sniff_delimiter(text)
    leading_blank = 0
    lines = text.split("\n")
    while leading_blank < len(lines) and not lines[leading_blank].strip("\r"):
        leading_blank += 1
    rows = csv.reader(io.StringIO("\n".join(lines[leading_blank:])), delimiter=delimiter)
    try:
        first = next(rows)
        later = [r for r in rows if r] if complete else None
    except csv.Error as exc:
        raise bad(f"The CSV file cannot be parsed: {exc}", "corrupt_file") from exc
    has_header = not is_data_row(first)
    if has_header:
        labels = [clean_label(c) for c in first]
        if later is not None and not later:
            raise bad("The file has a header but no data rows.", "no_rows")
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
