"""The storage backend interface: one typed table per data version, queried by QuerySpec."""

from __future__ import annotations

import abc
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa

from quancheng.datastore.query import Page, QuerySpec
from quancheng.datastore.schema import Column

ROWID = "_rowid"
# Physical table names come from our own code (qcs_/qcv_ prefixes), but they are still
# spliced into SQL, so anything else is refused.
TABLE_NAME_PATTERN = re.compile(r"[a-z_][a-z0-9_]{0,62}")


def check_table_name(table: str) -> str:
    """Return `table` if it is a safe physical table name, else raise ValueError."""
    if not TABLE_NAME_PATTERN.fullmatch(table):
        raise ValueError(f"invalid physical table name {table!r}")
    return table


class EngineRefused(Exception):
    """The engine did not load a file exactly as the Python readers would: load it in Python."""


@dataclass(frozen=True)
class CsvCopy:
    """A delimited text file for PostgreSQL's COPY, and what must hold before it is kept.

    `confirm` is called with the number of rows COPY read, before the commit; it raises
    EngineRefused when the file must be loaded in Python after all, and otherwise returns
    the text columns whose blank values must become NULL (COPY keeps "" and "  ").
    """

    path: Path
    encoding: str
    offset: int
    delimiter: str
    confirm: Callable[[int], Sequence[str]]


@dataclass(frozen=True)
class SqlResult:
    """The result of a user's SQL: column names, at most `max_rows` rows, and whether cut."""

    fields: list[str]
    rows: list[tuple[Any, ...]]
    truncated: bool


class Backend(abc.ABC):
    """A database holding the typed tables of data versions (DuckDB or PostgreSQL).

    Every stored table has `_rowid BIGINT`, 1-based in load order. Methods may be called
    from several threads at once.
    """

    dialect: str

    @abc.abstractmethod
    def create_staging(self, table: str, names: Sequence[str]) -> None:
        """Create an empty staging table of TEXT columns `names` plus `_rowid`."""

    @abc.abstractmethod
    def append(self, table: str, batch: pa.RecordBatch) -> None:
        """Append string columns (in `names` order) to a staging table, numbering the rows."""

    @abc.abstractmethod
    def finalize(self, staging: str, table: str, columns: Sequence[Column]) -> int:
        """Create typed `table` from `staging`, drop `staging`; return the row count.

        On a failed cast raise BadRequest(code="cast_failed"); nothing is changed then and
        the staging table is left for the caller to drop.
        """

    def staging_dir(self, table: str) -> Path:
        """The local directory of a staging table (scratch files of its load live there)."""
        raise NotImplementedError

    def create_from_files(
        self,
        table: str,
        select: str,
        *,
        progress: Callable[[float], None],
        numbered: str | None = None,
    ) -> int:
        """Create `table` from a SELECT over local files; return its row count.

        Raise EngineRefused when the engine stops on the data, leaving nothing behind.
        `progress` gets the fraction done, now and then, in the calling thread. `numbered`
        names a BIGINT column the SELECT leaves NULL, to number 1, 2, … in the order the
        rows were read (a window function over the read would cost more than the read).
        """
        raise NotImplementedError

    def copy_file(
        self,
        table: str,
        columns: Sequence[Column],
        source: CsvCopy,
        *,
        progress: Callable[[float], None],
    ) -> int:
        """Create typed `table` by COPY of a delimited file; return its row count.

        Raise EngineRefused when the server stops on the data or `source.confirm` refuses,
        leaving nothing behind.
        """
        raise NotImplementedError

    @abc.abstractmethod
    def drop(self, table: str) -> None:
        """Drop a table if it exists."""

    @abc.abstractmethod
    def exists(self, table: str) -> bool:
        """Whether a table exists."""

    @abc.abstractmethod
    def tables(self, prefix: str) -> list[str]:
        """Names of the tables starting with `prefix`, sorted."""

    @abc.abstractmethod
    def row_count(self, table: str) -> int:
        """Number of rows of a table."""

    @abc.abstractmethod
    def query(
        self, table: str, columns: Sequence[Column], spec: QuerySpec, *, with_total: bool
    ) -> Page:
        """One page of rows (or groups) of a table."""

    @abc.abstractmethod
    def stream(
        self,
        table: str,
        columns: Sequence[Column],
        spec: QuerySpec,
        *,
        batch_rows: int = 10_000,
    ) -> Iterator[pa.RecordBatch]:
        """Every matching row in order as Arrow batches (limit 0 = no limit)."""

    @abc.abstractmethod
    def execute_sql(self, sql: str, *, timeout_seconds: float, max_rows: int) -> SqlResult:
        """Run an already-validated read-only SELECT with a time and row limit."""

    @abc.abstractmethod
    def close(self) -> None:
        """Release connections."""
