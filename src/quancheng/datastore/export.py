"""Streaming writers of query results: CSV, JSON, NDJSON, XLSX and Parquet.

Every writer takes Arrow record batches and yields bytes in memory bounded by one batch
(plus one row group for Parquet). CSV, JSON and NDJSON yield their first chunk after the
first batch; XLSX is assembled in a temporary file (the format is a zip whose directory
comes last) and streamed from there.

Each writer reads the first batch before yielding anything, so that a query that fails
does so on the first `next()`, while the HTTP layer can still answer with an error body.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import math
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any, Literal

import pyarrow as pa
import pyarrow.parquet as pq
import xlsxwriter

from quancheng.datastore.schema import Column, ColumnType
from quancheng.errors import BadRequest

MEDIA_TYPES: dict[str, str] = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "ndjson": "application/x-ndjson",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "parquet": "application/vnd.apache.parquet",
}
FILE_EXTENSIONS: dict[str, str] = {
    "csv": "csv",
    "json": "json",
    "ndjson": "ndjson",
    "xlsx": "xlsx",
    "parquet": "parquet",
}
ENCODINGS = ("utf-8-sig", "utf-8", "gb18030")
JSON_SHAPES = ("objects", "arrays")
HEADERS = ("labels", "names")

# Chunks smaller than this are joined before they are yielded (tiny batches would
# otherwise become tiny network writes).
CHUNK_BYTES = 64 * 1024
# Data rows per worksheet: Excel's 1,048,576 rows minus the header row.
XLSX_MAX_ROWS = 1_048_575
# Excel keeps 15 significant digits; larger integers are written as text so that a
# 18-digit code is not silently rounded.
XLSX_MAX_EXACT_INT = 10**15

# A spreadsheet evaluates cells starting with these as formulas (CSV injection).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

_ARROW_TYPES: dict[ColumnType, pa.DataType] = {
    ColumnType.TEXT: pa.string(),
    ColumnType.INTEGER: pa.int64(),
    ColumnType.DOUBLE: pa.float64(),
    ColumnType.BOOLEAN: pa.bool_(),
    ColumnType.DATE: pa.date32(),
    ColumnType.TIMESTAMP: pa.timestamp("us"),
}


def media_type(fmt: str, encoding: str = "utf-8-sig") -> str:
    """The Content-Type of an export; the CSV charset follows the encoding."""
    if fmt not in MEDIA_TYPES:
        raise _unknown_format(fmt)
    if fmt == "csv":
        return f"text/csv; charset={'gb18030' if encoding == 'gb18030' else 'utf-8'}"
    return MEDIA_TYPES[fmt]


def export_rows(
    fmt: str,
    columns: Sequence[Column],
    batches: Iterable[pa.RecordBatch],
    *,
    header: Literal["labels", "names"] = "labels",
    encoding: str = "utf-8-sig",
    json_shape: Literal["objects", "arrays"] = "objects",
) -> Iterator[bytes]:
    """The rows of `batches` as a file in `fmt`, yielded in chunks.

    `header` chooses the CSV/XLSX header row (original labels or identifiers); JSON keys
    are always identifiers. `encoding` applies to CSV only; a character that the encoding
    cannot represent raises BadRequest(code="unencodable") — GB18030 covers all of
    Unicode, so in practice this never happens. Datetimes are ISO 8601 ("T" in JSON, a
    space in CSV, which spreadsheets parse).
    """
    # Arguments are checked here, not inside the generators, so that a bad request fails
    # when the export is set up rather than after the response has started.
    if fmt not in MEDIA_TYPES:
        raise _unknown_format(fmt)
    if header not in HEADERS:
        raise BadRequest("header must be labels or names", code="bad_header")
    if encoding not in ENCODINGS:
        raise BadRequest(
            f"encoding must be one of {', '.join(ENCODINGS)}",
            code="bad_encoding",
            details={"encoding": encoding},
        )
    if json_shape not in JSON_SHAPES:
        raise BadRequest("shape must be objects or arrays", code="bad_shape")
    cols = list(columns)
    titles = [c.label if header == "labels" else c.name for c in cols]
    match fmt:
        case "csv":
            return _coalesce(_csv(cols, titles, batches, encoding))
        case "json":
            return _coalesce(_json(cols, batches, json_shape))
        case "ndjson":
            return _coalesce(_ndjson(cols, batches, json_shape))
        case "xlsx":
            return _xlsx(cols, titles, batches)
        case _:
            return _coalesce(_parquet(cols, batches))


def _unknown_format(fmt: str) -> BadRequest:
    return BadRequest(
        f"unknown format {fmt!r}; use one of {', '.join(sorted(MEDIA_TYPES))}",
        code="unknown_format",
    )


def _coalesce(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """Join small chunks up to CHUNK_BYTES, but always yield the first one at once."""
    first = True
    pending: list[bytes] = []
    size = 0
    for chunk in chunks:
        if not chunk:
            continue
        if first:
            first = False
            yield chunk
            continue
        pending.append(chunk)
        size += len(chunk)
        if size >= CHUNK_BYTES:
            yield b"".join(pending)
            pending, size = [], 0
    if pending:
        yield b"".join(pending)


def _rows(cols: Sequence[Column], batch: pa.RecordBatch) -> Iterator[tuple[Any, ...]]:
    """The batch as Python tuples in `cols` order (selected by identifier)."""
    values = [batch.column(c.name).to_pylist() for c in cols]
    if not values:
        return iter([() for _ in range(batch.num_rows)])
    return zip(*values, strict=True)


# --- CSV ---------------------------------------------------------------------------------


def neutralise(text: str) -> str:
    """Text that a spreadsheet would run as a formula, prefixed with an apostrophe."""
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def _csv_cell(value: Any) -> str:
    # Only text is neutralised: -2 read from an INTEGER column is a number, not a formula.
    if value is None:
        return ""
    if isinstance(value, str):
        return neutralise(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, bytes):
        return value.hex()
    return str(value)


def _encoder(encoding: str) -> Callable[[str], bytes]:
    codec = "utf-8" if encoding == "utf-8-sig" else encoding

    def encode(text: str) -> bytes:
        try:
            return text.encode(codec)
        except UnicodeEncodeError as e:
            raise BadRequest(
                f"the data holds characters that {encoding} cannot represent; "
                "export as UTF-8 instead",
                code="unencodable",
                details={"encoding": encoding, "character": e.object[e.start : e.end]},
            ) from e

    return encode


def _csv(
    cols: Sequence[Column], titles: list[str], batches: Iterable[pa.RecordBatch], encoding: str
) -> Iterator[bytes]:
    encode = _encoder(encoding)
    buffer = io.StringIO()
    # RFC 4180 line endings; Excel and the csv module both read them.
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([neutralise(t) for t in titles])
    # The BOM once, at the start: the utf-8-sig codec would repeat it in every chunk.
    prefix = b"\xef\xbb\xbf" if encoding == "utf-8-sig" else b""
    for batch in batches:
        for row in _rows(cols, batch):
            writer.writerow([_csv_cell(v) for v in row])
        chunk = prefix + encode(buffer.getvalue())
        prefix = b""
        buffer.seek(0)
        buffer.truncate()
        yield chunk
    if buffer.getvalue() or prefix:
        yield prefix + encode(buffer.getvalue())


# --- JSON and NDJSON ---------------------------------------------------------------------


def _json_cell(value: Any) -> Any:
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Decimal):
        # Integral decimals (DuckDB's SUM of BIGINT) stay exact; json cannot write Decimal.
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, bytes):
        return value.hex()
    return value


def _json_records(cols: Sequence[Column], batch: pa.RecordBatch, shape: str) -> Iterator[str]:
    names = [c.name for c in cols]
    for row in _rows(cols, batch):
        cells = [_json_cell(v) for v in row]
        record: Any = cells if shape == "arrays" else dict(zip(names, cells, strict=True))
        yield json.dumps(record, ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def _json(cols: Sequence[Column], batches: Iterable[pa.RecordBatch], shape: str) -> Iterator[bytes]:
    opening = "["
    for batch in batches:
        records = list(_json_records(cols, batch, shape))
        if not records:
            continue
        # One record per line keeps a large file readable and diffable.
        yield (opening + "\n" + ",\n".join(records)).encode("utf-8")
        opening = ","
    yield b"[]\n" if opening == "[" else b"\n]\n"


def _ndjson(
    cols: Sequence[Column], batches: Iterable[pa.RecordBatch], shape: str
) -> Iterator[bytes]:
    for batch in batches:
        yield "".join(r + "\n" for r in _json_records(cols, batch, shape)).encode("utf-8")


# --- XLSX --------------------------------------------------------------------------------


def _xlsx(
    cols: Sequence[Column], titles: list[str], batches: Iterable[pa.RecordBatch]
) -> Iterator[bytes]:
    fd, path = tempfile.mkstemp(prefix="quancheng-export-", suffix=".xlsx")
    os.close(fd)
    try:
        _write_workbook(path, cols, titles, batches)
        with open(path, "rb") as f:
            while chunk := f.read(CHUNK_BYTES):
                yield chunk
    finally:
        # Also runs when the client goes away and the generator is closed early.
        os.unlink(path)


def _write_workbook(
    path: str, cols: Sequence[Column], titles: list[str], batches: Iterable[pa.RecordBatch]
) -> None:
    workbook = xlsxwriter.Workbook(
        path,
        {
            # Rows are flushed to disk as they are written: memory stays flat.
            "constant_memory": True,
            "strings_to_numbers": False,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "nan_inf_to_errors": True,
            "remove_timezone": True,
        },
    )
    try:
        bold = workbook.add_format({"bold": True})
        date_format = workbook.add_format({"num_format": "yyyy-mm-dd"})
        datetime_format = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
        max_rows = XLSX_MAX_ROWS

        def new_sheet() -> Any:
            sheet = workbook.add_worksheet()
            for i, title in enumerate(titles):
                width = min(max(10, sum(2 if ord(ch) > 0x2E80 else 1 for ch in title) + 2), 40)
                sheet.set_column(i, i, width)
                sheet.write_string(0, i, neutralise(title), bold)
            sheet.freeze_panes(1, 0)
            return sheet

        sheet = new_sheet()
        row_number = 0
        for batch in batches:
            for row in _rows(cols, batch):
                if row_number == max_rows:
                    sheet = new_sheet()
                    row_number = 0
                row_number += 1
                for i, value in enumerate(row):
                    _write_cell(sheet, row_number, i, value, date_format, datetime_format)
    finally:
        workbook.close()


def _write_cell(
    sheet: Any, row: int, col: int, value: Any, date_format: Any, datetime_format: Any
) -> None:
    if value is None:
        return
    if isinstance(value, str):
        # write_string, never write: "000123" stays text with its zeros.
        sheet.write_string(row, col, neutralise(value))
    elif isinstance(value, bool):
        sheet.write_boolean(row, col, value)
    elif isinstance(value, int | float | Decimal):
        if isinstance(value, int) and abs(value) >= XLSX_MAX_EXACT_INT:
            sheet.write_string(row, col, str(value))
        else:
            sheet.write_number(row, col, float(value))
    elif isinstance(value, datetime):
        # Excel has no dates before 1900: those stay ISO text.
        if value.year < 1900:
            sheet.write_string(row, col, value.isoformat(sep=" "))
        else:
            sheet.write_datetime(row, col, value, datetime_format)
    elif isinstance(value, date):
        if value.year < 1900:
            sheet.write_string(row, col, value.isoformat())
        else:
            sheet.write_datetime(row, col, value, date_format)
    else:
        sheet.write_string(row, col, str(value))


# --- Parquet -----------------------------------------------------------------------------


class _Sink(io.RawIOBase):
    """A write-only file that keeps what the Parquet writer wrote until it is drained."""

    def __init__(self) -> None:
        super().__init__()
        self._parts: list[bytes] = []
        self._position = 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        chunk = bytes(data)
        self._parts.append(chunk)
        self._position += len(chunk)
        return len(chunk)

    def tell(self) -> int:
        return self._position

    def drain(self) -> bytes:
        out = b"".join(self._parts)
        self._parts = []
        return out


def _parquet_schema(cols: Sequence[Column], first: pa.RecordBatch | None) -> pa.Schema:
    """Column types, refined by the first batch (masked columns are text, aggregates numbers)."""
    fields = []
    for c in cols:
        kind = _ARROW_TYPES[c.type]
        if first is not None:
            actual = first.schema.field(c.name).type
            if not pa.types.is_null(actual):
                kind = actual
        # The original header travels with the column, for readers that show it.
        fields.append(pa.field(c.name, kind, metadata={"label": c.label}))
    return pa.schema(fields)


def _parquet(cols: Sequence[Column], batches: Iterable[pa.RecordBatch]) -> Iterator[bytes]:
    iterator = iter(batches)
    first = next(iterator, None)
    schema = _parquet_schema(cols, first)
    sink = _Sink()
    writer = pq.ParquetWriter(sink, schema, compression="zstd")
    try:
        for batch in itertools.chain([first] if first is not None else [], iterator):
            if batch.num_rows == 0:
                continue
            arrays = []
            for c, field in zip(cols, schema, strict=True):
                array = batch.column(c.name)
                arrays.append(array if array.type == field.type else array.cast(field.type))
            # One row group per batch: what is written can be sent at once.
            writer.write_table(pa.Table.from_arrays(arrays, schema=schema))
            yield sink.drain()
    finally:
        writer.close()
    yield sink.drain()
