"""XLSX, XLS and ODS through calamine, after a zip-bomb check."""

from __future__ import annotations

import datetime as dt
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
from python_calamine import CalamineError, CalamineWorkbook

from quancheng.datastore.readers.base import TableReader, bad, clean_label, is_data_row, text_batch

ZIP_MAX_TOTAL_BYTES = 2 << 30
ZIP_MAX_RATIO = 200
ZIP_RATIO_MIN_BYTES = 50 << 20


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
                        raise bad(
                            f"The workbook has no sheet named {sheet!r}.",
                            "sheet_not_found",
                            sheets=names,
                        )
                    rows, top = _sheet_rows(workbook, sheet)
                else:
                    rows, top = [], 1
                    for name in names:
                        rows, top = _sheet_rows(workbook, name)
                        if any(_cell_text(c) not in (None, "") for r in rows for c in r):
                            sheet = name
                            break
                    else:
                        sheet = names[0] if names else None
        except (CalamineError, OSError, ValueError) as exc:
            raise bad(f"The {format} file cannot be read: {exc}", "corrupt_file") from exc
        self.sheet = sheet
        table = [[_cell_text(c) for c in row] for row in rows]
        while table and all((c or "").strip() == "" for c in table[-1]):
            table.pop()
        if not table:
            raise bad("The sheet is empty.", "empty_file", sheet=sheet)
        titles = _title_rows(table)
        table = table[titles:]
        top += titles
        width = max(len(r) for r in table)
        header = [c or "" for c in table[0]] + [""] * (width - len(table[0]))
        # Columns with neither a header nor a value are formatting left-overs, not data.
        while (
            width > 1
            and not header[width - 1].strip()
            and all(len(r) < width or not (r[width - 1] or "").strip() for r in table)
        ):
            width -= 1
        has_header = not is_data_row(header[:width])
        labels = (
            [clean_label(c) for c in header[:width]]
            if has_header
            else [f"column_{i + 1}" for i in range(width)]
        )
        self._rows = table[1:] if has_header else table
        if not self._rows:
            raise bad("The sheet has a header but no data rows.", "no_rows", sheet=sheet)
        super().__init__(
            path=path,
            format=format,
            encoding=None,
            labels=labels,
            batch_rows=batch_rows,
            first_row=top + 1 if has_header else top,
        )
        self._width = width

    def _read(self) -> Iterator[pa.RecordBatch]:
        for start in range(0, len(self._rows), self.batch_rows):
            chunk = self._rows[start : start + self.batch_rows]
            arrays = [
                pa.array([r[i] if i < len(r) else None for r in chunk], type=pa.string())
                for i in range(self._width)
            ]
            yield text_batch(arrays, self.names)
            self._bytes_read = self.total_bytes * (start + len(chunk)) // len(self._rows)


def _sheet_rows(workbook: CalamineWorkbook, name: str) -> tuple[list[list[Any]], int]:
    """A sheet's rows from its first non-empty one, and that row's number in the sheet."""
    sheet = workbook.get_sheet_by_name(name)
    # calamine starts the rows at the top-left cell with data (0-based; None when empty).
    start = sheet.start
    return sheet.to_python(skip_empty_area=True), (start[0] + 1 if start else 1)


# A title above the header ("2024年济南市空气质量监测数据", often merged across the columns)
# fills one cell; more than this many such rows are data of a one-value-a-row sheet.
_MAX_TITLE_ROWS = 3


def _title_rows(table: list[list[str | None]]) -> int:
    """How many title rows (one text cell; blank rows between) stand above the header."""

    def filled(row: list[str | None]) -> list[str]:
        return [c for c in row if c and c.strip()]

    titles = 0
    for index, row in enumerate(table[: _MAX_TITLE_ROWS * 2 + 1]):
        cells = filled(row)
        if len(cells) >= 2:
            return index if titles else 0
        if len(cells) == 1:
            if is_data_row(cells) or titles == _MAX_TITLE_ROWS:
                return 0
            titles += 1
    return 0


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
                    raise bad(
                        "The workbook expands to an unreasonable size (a zip bomb?); "
                        f"member {info.filename!r} is {info.file_size} bytes uncompressed.",
                        "zip_bomb",
                        member=info.filename,
                    )
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise bad(f"The workbook is not a valid zip file: {exc}", "corrupt_file") from exc
