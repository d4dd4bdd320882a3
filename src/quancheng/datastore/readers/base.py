"""What every reader shares: the batch shape, header and value sniffing, error bodies."""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from quancheng.datastore.identifiers import make_identifiers
from quancheng.datastore.schema import DATE_PATTERN, TIMESTAMP_PATTERN
from quancheng.errors import BadRequest

SAMPLE_BYTES = 1 << 20
MAX_LINE_BYTES = 64 << 20
_NUMBER = re.compile(r"^[+-]?(?:\d+(?:[.,]\d+)*|\.\d+)(?:[eE][+-]?\d+)?%?$")
_DATE = re.compile(DATE_PATTERN)
_TIMESTAMP = re.compile(TIMESTAMP_PATTERN)


def bad(message: str, code: str, **details: Any) -> BadRequest:
    return BadRequest(message, code=code, details=details or None)


def _looks_like_value(cell: str) -> bool:
    text = cell.strip()
    return bool(_NUMBER.match(text) or _DATE.match(text) or _TIMESTAMP.match(text))


def is_data_row(cells: list[str]) -> bool:
    """True when every non-empty cell of a first row looks like a number or a date."""
    filled = [c for c in cells if c.strip()]
    return bool(filled) and all(_looks_like_value(c) for c in filled)


def clean_label(label: str) -> str:
    return label.replace("\ufeff", "").strip()


def _blank_to_null(array: pa.Array) -> pa.Array:
    # utf8_is_space tests without building trimmed copies; most columns have no blank cell.
    blank = pc.or_(pc.utf8_is_space(array), pc.equal(array, ""))
    if not pc.any(blank).as_py():
        return array
    return pc.if_else(blank, pa.scalar(None, pa.string()), array)


def text_batch(arrays: list[pa.Array], names: list[str]) -> pa.RecordBatch:
    return pa.RecordBatch.from_arrays([_blank_to_null(a) for a in arrays], names=names)


def rebatch(batches: Iterator[pa.RecordBatch], size: int) -> Iterator[pa.RecordBatch]:
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


class TableReader(ABC):
    """A file opened for ingest: its format, encoding, headers and a stream of text batches.

    `first_row` is the number the steward sees for the first data row when opening the file:
    the line of a CSV file (the header is line 1), the row of a sheet, the record of JSON or
    Parquet. Data rows follow one another, so row `i` of the stream (0-based) is
    `first_row + i`; row errors and reader errors are numbered that way.
    """

    def __init__(
        self,
        *,
        path: Path,
        format: str,
        encoding: str | None,
        labels: list[str],
        batch_rows: int,
        first_row: int,
    ) -> None:
        if first_row < 1:
            raise ValueError("first_row counts from 1")
        self.path = path
        self.format = format
        self.encoding = encoding
        self.labels = labels
        self.first_row = first_row
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
        for batch in rebatch(self._read(), self.batch_rows):
            emitted += batch.num_rows
            yield batch
        if emitted == 0:
            raise bad("The file has a header but no data rows.", "no_rows")
        self._bytes_read = self.total_bytes


def read_sample(path: Path) -> tuple[bytes, bool]:
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
                raise bad(
                    f"The first line of the file is longer than {MAX_LINE_BYTES >> 20} MB; "
                    "it is not a table that can be read.",
                    "line_too_long",
                    row=1,
                )
        return b"".join(parts), f.read(1) == b""
