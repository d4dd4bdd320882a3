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
import zipfile
from collections.abc import Callable
from pathlib import Path

from quancheng.datastore.readers.base import MAX_LINE_BYTES, SAMPLE_BYTES, TableReader, bad
from quancheng.datastore.readers.delimited import CsvReader, open_csv
from quancheng.datastore.readers.encodings import detect_encoding
from quancheng.datastore.readers.jsonfiles import JsonReader, open_json
from quancheng.datastore.readers.parquet import ParquetReader
from quancheng.datastore.readers.spreadsheets import SpreadsheetReader

__all__ = [
    "EXTENSIONS",
    "FORMATS",
    "MAX_LINE_BYTES",
    "SAMPLE_BYTES",
    "CsvReader",
    "JsonReader",
    "ParquetReader",
    "SpreadsheetReader",
    "TableReader",
    "detect_encoding",
    "open_table",
]

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
        raise bad("The file is a zip archive but not a spreadsheet.", "unknown_format")
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
        raise bad("The file is binary data in no supported format.", "unknown_format")
    return "csv"


def _choose_format(path: Path, filename: str | None, format: str | None) -> str:
    if format is not None:
        fmt = {"jsonl": "ndjson", "txt": "csv"}.get(format.lower(), format.lower())
        if fmt not in FORMATS:
            raise bad(
                f"Unknown format {format!r}; expected one of {', '.join(FORMATS)}.",
                "unknown_format",
            )
        return fmt
    suffix = Path(filename or path.name).suffix.lower()
    return EXTENSIONS.get(suffix) or _sniff_format(path)


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
        raise bad(f"The file {path.name!r} does not exist.", "empty_file") from None
    if size == 0:
        raise bad("The file is empty.", "empty_file")
    fmt = _choose_format(path, filename, format)

    def spreadsheet() -> TableReader:
        return SpreadsheetReader(path=path, format=fmt, sheet=sheet, batch_rows=batch_rows)

    openers: dict[str, Callable[[], TableReader]] = {
        "csv": lambda: open_csv(path, fmt, encoding, batch_rows),
        "tsv": lambda: open_csv(path, fmt, encoding, batch_rows),
        "json": lambda: open_json(path, fmt, encoding, batch_rows),
        "ndjson": lambda: open_json(path, fmt, encoding, batch_rows),
        "xlsx": spreadsheet,
        "xls": spreadsheet,
        "ods": spreadsheet,
        "parquet": lambda: ParquetReader(path=path, batch_rows=batch_rows),
    }
    return openers[fmt]()
