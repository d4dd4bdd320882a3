"""Parquet, row group by row group, each typed column cast to text."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from quancheng.datastore.readers.base import TableReader, bad, clean_label, text_batch


class ParquetReader(TableReader):
    """A Parquet file read row group by row group, each column cast to text."""

    def __init__(self, *, path: Path, batch_rows: int) -> None:
        try:
            self._file = pq.ParquetFile(path)
        except (pa.ArrowException, OSError) as exc:
            raise bad(f"The Parquet file cannot be read: {exc}", "corrupt_file") from exc
        schema = self._file.schema_arrow
        if not schema.names:
            raise bad("The Parquet file has no columns.", "empty_file")
        if self._file.metadata.num_rows == 0:
            raise bad("The Parquet file has no rows.", "no_rows")
        super().__init__(
            path=path,
            format="parquet",
            encoding=None,
            labels=[clean_label(n) for n in schema.names],
            batch_rows=batch_rows,
            first_row=1,
        )

    def _read(self) -> Iterator[pa.RecordBatch]:
        total = self._file.metadata.num_rows
        done = 0
        try:
            for batch in self._file.iter_batches(batch_size=self.batch_rows):
                done += batch.num_rows
                self._bytes_read = self.total_bytes * done // total
                yield text_batch([_arrow_text(a) for a in batch.columns], self.names)
        except (pa.ArrowException, OSError) as exc:
            raise bad(f"The Parquet file cannot be read: {exc}", "corrupt_file") from exc


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
