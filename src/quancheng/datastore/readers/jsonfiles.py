"""JSON arrays of objects and NDJSON, decoded chunk by chunk with numbers kept as written."""

from __future__ import annotations

import codecs
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import pyarrow as pa

from quancheng.datastore.readers.base import (
    MAX_LINE_BYTES,
    TableReader,
    bad,
    clean_label,
    read_sample,
    text_batch,
)
from quancheng.datastore.readers.encodings import resolve_encoding

JSON_CHUNK_CHARS = 1 << 20


class _JsonNumber(str):
    """A JSON number kept as its source text (so 1.50 stays "1.50")."""


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
            raise bad(f"Record {number} of the JSON data is not an object.", "corrupt_file")
        while True:
            try:
                value, end = self._decoder.raw_decode(self._buf, self._pos)
            except json.JSONDecodeError as exc:
                pending = len(self._buf) - self._pos
                if pending > MAX_LINE_BYTES:
                    raise bad(
                        f"Record {number} of the JSON data is longer than "
                        f"{MAX_LINE_BYTES >> 20} MB.",
                        "line_too_long",
                        row=number,
                    ) from None
                # Read at least as much again as is pending so a big record is not
                # re-parsed once per small chunk.
                if not self._fill(max(JSON_CHUNK_CHARS, pending)):
                    raise bad(
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
                raise bad("The JSON file is not an array of objects.", "corrupt_file")
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
                        raise bad(
                            f"The JSON array is malformed after record {number}.",
                            "corrupt_file",
                            row=number,
                        )
            if self._peek() != "":
                raise bad("The JSON file has data after the array.", "corrupt_file")
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
            raise bad("The JSON data has no records.", "no_rows")
        if not keys:
            raise bad("The JSON records have no fields.", "empty_file")
        self._keys = list(keys)
        super().__init__(
            path=path,
            format=format,
            encoding=encoding,
            labels=[clean_label(str(k)) for k in self._keys],
            batch_rows=batch_rows,
            # The record number, which is the line number of NDJSON without blank lines.
            first_row=1,
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
                        raise bad(
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
        return text_batch(arrays, self.names)


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
            raise bad(
                f"The file contains bytes that are not valid {self._encoding} text ({exc}).",
                "bad_encoding",
                encoding=self._encoding,
            ) from None
        except RecursionError:
            raise bad("The JSON data is nested too deeply.", "corrupt_file") from None


def open_json(path: Path, fmt: str, given_encoding: str | None, batch_rows: int) -> JsonReader:
    sample, complete = read_sample(path)
    encoding = resolve_encoding(sample, given_encoding, complete=complete)
    head = codecs.getincrementaldecoder(encoding)(errors="replace").decode(sample[:4096])
    # A ".json" file holding one object or concatenated objects is read like NDJSON.
    array = fmt == "json" and head.lstrip("\ufeff \t\r\n").startswith("[")
    return JsonReader(path=path, format=fmt, encoding=encoding, batch_rows=batch_rows, array=array)
