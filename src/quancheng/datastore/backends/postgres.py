"""The PostgreSQL backend: typed tables in the current schema, loaded with COPY."""

from __future__ import annotations

import contextlib
import io
import itertools
import threading
from collections.abc import Iterator, Sequence
from typing import Any

import psycopg
import pyarrow as pa
import pyarrow.csv as pacsv
from psycopg import pq
from psycopg.rows import TupleRow

from quancheng.datastore.backends import sqlbuild
from quancheng.datastore.backends.base import ROWID, Backend, SqlResult, check_table_name
from quancheng.datastore.query import Page, QuerySpec
from quancheng.datastore.schema import Column, ColumnType
from quancheng.errors import BadRequest

D = sqlbuild.POSTGRES
Connection = psycopg.Connection[TupleRow]
# Idle connections kept for reuse; more are opened on demand and closed when returned.
POOL_SIZE = 8
# Tables larger than this are spread over the workers when the Citus extension is there.
CITUS_MIN_ROWS = 1_000_000
_CSV_OPTIONS = pacsv.WriteOptions(include_header=False, quoting_style="needed")


class PostgresBackend(Backend):
    """Tables in one PostgreSQL database (optionally Citus), through a small pool."""

    dialect = "postgres"

    def __init__(self, url: str) -> None:
        self._url = url
        self._idle: list[Connection] = []
        self._lock = threading.Lock()
        self._closed = False
        self._next_rowid: dict[str, int] = {}
        self._cursors = itertools.count(1)

    # -- connections -------------------------------------------------------------------

    @contextlib.contextmanager
    def _conn(self) -> Iterator[Connection]:
        with self._lock:
            conn = self._idle.pop() if self._idle else None
        if conn is None:
            conn = psycopg.connect(self._url, autocommit=True)
        try:
            yield conn
        finally:
            reusable = not conn.closed and conn.info.transaction_status == pq.TransactionStatus.IDLE
            with self._lock:
                if reusable and not self._closed and len(self._idle) < POOL_SIZE:
                    self._idle.append(conn)
                    conn = None
            if conn is not None:
                conn.close()

    def _q(self, table: str) -> str:
        return D.quote(check_table_name(table))

    # -- loading -----------------------------------------------------------------------

    def create_staging(self, table: str, names: Sequence[str]) -> None:
        """Create an empty (unlogged) staging table of TEXT columns plus `_rowid`."""
        columns = [f"{D.quote(n)} TEXT" for n in names] + [f"{D.quote(ROWID)} BIGINT"]
        with self._conn() as conn:
            # Unlogged: the staging rows are rebuilt from the file if the server crashes.
            conn.execute(f"CREATE UNLOGGED TABLE {self._q(table)} ({', '.join(columns)})", [])
        with self._lock:
            self._next_rowid[table] = 1

    def _take_rowids(self, conn: Connection, table: str, count: int) -> int:
        with self._lock:
            first = self._next_rowid.get(table)
        if first is None:  # appending to a staging table this process did not create
            found = conn.execute(sqlbuild.last_rowid(D, table), []).fetchone()
            first = int(found[0]) + 1 if found else 1
        with self._lock:
            self._next_rowid[table] = first + count
        return first

    def append(self, table: str, batch: pa.RecordBatch) -> None:
        """COPY string columns into a staging table, numbering the rows in load order."""
        if batch.num_rows == 0:
            return
        names = list(batch.schema.names)
        arrays = [a if a.type == pa.string() else a.cast(pa.string()) for a in batch.columns]
        with self._conn() as conn:
            first = self._take_rowids(conn, table, batch.num_rows)
            arrays.append(pa.array(range(first, first + batch.num_rows), type=pa.int64()))
            # Arrow writes NULL as an empty field and "" quoted, which is how COPY CSV
            # tells them apart.
            buffer = io.BytesIO()
            pacsv.write_csv(
                pa.Table.from_arrays(arrays, names=[*names, ROWID]), buffer, _CSV_OPTIONS
            )
            target = ", ".join(D.quote(n) for n in [*names, ROWID])
            statement = f"COPY {self._q(table)} ({target}) FROM STDIN (FORMAT csv)"
            with conn.cursor() as cur, cur.copy(statement, []) as copy:
                copy.write(buffer.getbuffer())

    def finalize(self, staging: str, table: str, columns: Sequence[Column]) -> int:
        """Create typed `table` (primary key `_rowid`) from `staging`, drop `staging`."""
        select = sqlbuild.finalize_select(D, staging, columns)
        with self._conn() as conn:
            try:
                with conn.transaction(), conn.cursor() as cur:
                    cur.execute(f"CREATE TABLE {self._q(table)} AS {select}", [])
                    count = max(cur.rowcount, 0)
                    cur.execute(
                        f"ALTER TABLE {self._q(table)} ADD PRIMARY KEY ({D.quote(ROWID)})", []
                    )
                    cur.execute(f"DROP TABLE {self._q(staging)}", [])
            except psycopg.errors.DataError as error:
                raise self._cast_failed(conn, staging, columns, error) from error
            conn.execute(f"ANALYZE {self._q(table)}", [])
            if (
                count > CITUS_MIN_ROWS
                and conn.execute(
                    "SELECT 1 FROM pg_extension WHERE extname = 'citus'", []
                ).fetchone()
            ):
                conn.execute("SELECT create_distributed_table(%s, %s)", [table, ROWID])
        with self._lock:
            self._next_rowid.pop(staging, None)
        return count

    def _cast_failed(
        self, conn: Connection, staging: str, columns: Sequence[Column], error: Exception
    ) -> BadRequest:
        for column in columns:
            if column.type is ColumnType.TEXT:
                continue
            try:
                conn.execute(sqlbuild.probe_select(D, staging, column), []).fetchall()
            except psycopg.errors.DataError as probe:
                return sqlbuild.cast_failed(column, _message(probe))
        return BadRequest(f"a column could not be converted: {_message(error)}", code="cast_failed")

    # -- tables ------------------------------------------------------------------------

    def drop(self, table: str) -> None:
        """Drop a table if it exists."""
        with self._conn() as conn:
            conn.execute(f"DROP TABLE IF EXISTS {self._q(table)}", [])
        with self._lock:
            self._next_rowid.pop(table, None)

    def exists(self, table: str) -> bool:
        """Whether a table exists in the current schema."""
        with self._conn() as conn:
            found = conn.execute(
                "SELECT 1 FROM pg_tables WHERE schemaname = current_schema() AND tablename = %s",
                [table],
            ).fetchone()
        return found is not None

    def tables(self, prefix: str) -> list[str]:
        """Names of the tables of the current schema starting with `prefix`, sorted."""
        with self._conn() as conn:
            rows = conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
                "AND left(tablename, %s) = %s ORDER BY tablename",
                [len(prefix), prefix],
            ).fetchall()
        return [str(r[0]) for r in rows]

    def row_count(self, table: str) -> int:
        """Number of rows of a table."""
        with self._conn() as conn:
            found = conn.execute(sqlbuild.count_rows(D, table), []).fetchone()
        return int(found[0]) if found else 0

    # -- reading -----------------------------------------------------------------------

    def query(
        self, table: str, columns: Sequence[Column], spec: QuerySpec, *, with_total: bool
    ) -> Page:
        """One page of rows (or groups) of a table."""
        fields = sqlbuild.page_fields(spec)
        limit, offset = sqlbuild.page_window(spec)
        built = sqlbuild.build_select(
            D, table, columns, spec, limit=limit, offset=offset, keys=True
        )
        total: int | None = None
        raw: list[tuple[Any, ...]] = []
        with self._conn() as conn:
            try:
                if spec.limit:
                    raw = conn.execute(built.sql, built.params).fetchall()
                if with_total:
                    counted = sqlbuild.build_count(D, table, columns, spec)
                    found = conn.execute(counted.sql, counted.params).fetchone()
                    total = int(found[0]) if found else 0
            except psycopg.errors.DataError as error:
                raise BadRequest(
                    f"a value does not fit its column: {_message(error)}", code="bad_value"
                ) from None
        rows, next_after = sqlbuild.split_page(spec, raw, fields)
        return Page(fields=fields, rows=rows, next_after=next_after, total=total)

    def stream(
        self,
        table: str,
        columns: Sequence[Column],
        spec: QuerySpec,
        *,
        batch_rows: int = 10_000,
    ) -> Iterator[pa.RecordBatch]:
        """Every matching row in order as Arrow batches, through a server-side cursor."""
        types = sqlbuild.result_types(columns, spec)
        limit, offset = sqlbuild.stream_window(spec)
        built = sqlbuild.build_select(
            D, table, columns, spec, limit=limit, offset=offset, keys=False
        )
        return self._stream(built, sqlbuild.arrow_schema(types), batch_rows)

    def _stream(
        self, built: sqlbuild.Built, schema: pa.Schema, batch_rows: int
    ) -> Iterator[pa.RecordBatch]:
        name = f"qc_stream_{next(self._cursors)}"
        with self._conn() as conn, conn.transaction(), conn.cursor(name=name) as cur:
            try:
                cur.execute(built.sql, built.params)
            except psycopg.errors.DataError as error:
                raise BadRequest(
                    f"a value does not fit its column: {_message(error)}", code="bad_value"
                ) from None
            while rows := cur.fetchmany(batch_rows):
                columns = list(zip(*rows, strict=True))
                yield pa.RecordBatch.from_arrays(
                    [pa.array(c, type=f.type) for c, f in zip(columns, schema, strict=True)],
                    schema=schema,
                )

    def execute_sql(self, sql: str, *, timeout_seconds: float, max_rows: int) -> SqlResult:
        """Run an already-validated SELECT in a READ ONLY transaction with a timeout."""
        millis = str(max(1, int(timeout_seconds * 1000)))
        name = f"qc_sql_{next(self._cursors)}"
        with self._conn() as conn:
            try:
                with conn.transaction():
                    conn.execute("SET TRANSACTION READ ONLY")
                    conn.execute("SELECT set_config('statement_timeout', %s, true)", [millis])
                    # A server-side cursor fetches only the rows we keep.
                    with conn.cursor(name=name) as cur:
                        cur.execute(sql)
                        fields = [d.name for d in cur.description or []]
                        raw = cur.fetchmany(max_rows + 1)
            except psycopg.errors.QueryCanceled:
                raise BadRequest(
                    f"the query took longer than {timeout_seconds:g} s",
                    code="sql_timeout",
                    details={"timeout_seconds": timeout_seconds},
                ) from None
            except psycopg.Error as error:
                raise BadRequest(_message(error), code="sql_error") from None
        rows = [tuple(sqlbuild.to_python(v) for v in r) for r in raw[:max_rows]]
        return SqlResult(fields=fields, rows=rows, truncated=len(raw) > max_rows)

    def close(self) -> None:
        """Close the idle connections; connections in use close when returned."""
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()


def _message(error: Exception) -> str:
    """The engine's one-line message of an error."""
    if isinstance(error, psycopg.Error) and error.diag.message_primary:
        return error.diag.message_primary
    return str(error).splitlines()[0] if str(error) else type(error).__name__
