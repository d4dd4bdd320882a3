"""Staging tables kept as Arrow IPC files on local disk, shared by both backends.

A staging table holds text only until `finalize` casts it, once. Writing it into the
database first cost more than everything else in a load (DuckDB compresses text columns
as it writes them, PostgreSQL parses every row of a COPY); an Arrow file is written at disk
speed and read back memory-mapped, batch by batch, so memory stays bounded.

A staging table is a directory named after it, holding `columns.ipc` (the schema) and one
numbered segment per append, in load order. A segment is written under a temporary name
and renamed, so a killed load leaves only whole segments, and `recover` drops the rest.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.ipc as ipc

from quancheng.datastore.backends.base import ROWID, TABLE_NAME_PATTERN, check_table_name

_HEADER = "columns.ipc"
_SEGMENT = "{:08d}.arrow"


class FileStaging:
    """The staging tables under one root directory."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._lock = threading.Lock()
        self._next_rowid: dict[str, int] = {}

    def path(self, table: str) -> Path:
        """The directory of a staging table (the name is checked first)."""
        return self.root / check_table_name(table)

    def exists(self, table: str) -> bool:
        """Whether a staging table exists."""
        return self.path(table).is_dir()

    def names(self) -> list[str]:
        """Every staging table."""
        if not self.root.is_dir():
            return []
        return sorted(
            d.name
            for d in self.root.iterdir()
            if d.is_dir() and TABLE_NAME_PATTERN.fullmatch(d.name)
        )

    def create(self, table: str, names: Sequence[str]) -> None:
        """An empty staging table of text columns `names` (plus `_rowid`)."""
        directory = self.path(table)
        directory.mkdir(parents=True)
        schema = pa.schema([pa.field(n, pa.string()) for n in names])
        # The header alone, so that an empty staging table still knows its columns.
        with ipc.new_file(directory / _HEADER, schema):
            pass
        with self._lock:
            self._next_rowid[table] = 1

    def _segments(self, table: str) -> list[Path]:
        return sorted(self.path(table).glob("*.arrow"))

    def row_count(self, table: str) -> int:
        """Rows staged so far."""
        rows = 0
        for segment in self._segments(table):
            with pa.memory_map(str(segment)) as source, ipc.open_file(source) as reader:
                rows += sum(reader.get_batch(i).num_rows for i in range(reader.num_record_batches))
        return rows

    def append(self, table: str, batch: pa.RecordBatch) -> None:
        """Append string columns as one segment, numbering the rows in load order."""
        if batch.num_rows == 0:
            return
        directory = self.path(table)
        if not directory.is_dir():
            raise ValueError(f"no staging table {table!r}")
        names = list(batch.schema.names)
        arrays = [a if a.type == pa.string() else a.cast(pa.string()) for a in batch.columns]
        with self._lock:
            first = self._next_rowid.get(table)
            if first is None:  # appending to a staging table this process did not create
                first = self.row_count(table) + 1
            self._next_rowid[table] = first + batch.num_rows
            segment = directory / _SEGMENT.format(len(self._segments(table)) + 1)
            arrays.append(pa.array(range(first, first + batch.num_rows), type=pa.int64()))
            data = pa.RecordBatch.from_arrays(arrays, names=[*names, ROWID])
            partial = segment.with_suffix(".part")
            with ipc.new_file(partial, data.schema) as writer:
                writer.write_batch(data)
            partial.rename(segment)

    def batches(self, table: str) -> Iterator[pa.RecordBatch]:
        """The staged rows in load order, one segment in memory at a time."""
        for segment in self._segments(table):
            with pa.memory_map(str(segment)) as source, ipc.open_file(source) as reader:
                for i in range(reader.num_record_batches):
                    yield reader.get_batch(i)

    def schema(self, table: str) -> pa.Schema:
        """The text columns and `_rowid`."""
        with ipc.open_file(self.path(table) / _HEADER) as header:
            return header.schema.append(pa.field(ROWID, pa.int64()))

    def dataset(self, table: str) -> ds.Dataset:
        """The staged rows as a dataset that may be scanned more than once."""
        files = [str(f) for f in self._segments(table)]
        return ds.dataset(files, schema=self.schema(table), format="ipc")

    def drop(self, table: str) -> None:
        """Delete a staging table if it exists."""
        shutil.rmtree(self.path(table), ignore_errors=True)
        with self._lock:
            self._next_rowid.pop(table, None)
