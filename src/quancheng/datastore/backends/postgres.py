"""The PostgreSQL backend: typed tables in the current schema, loaded with COPY."""

from __future__ import annotations

import contextlib
import hashlib
import io
import itertools
import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import psycopg
import pyarrow as pa
import pyarrow.csv as pacsv
from psycopg import pq
from psycopg.rows import TupleRow

from quancheng.datastore.backends import arrowcast, sqlbuild
from quancheng.datastore.backends.base import (
    ROWID,
    Backend,
    CsvCopy,
    EngineRefused,
    SqlResult,
    check_table_name,
)
from quancheng.datastore.backends.staging import FileStaging
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
_COPY_CHUNK = 1 << 20
# What the readers count as white space (pyarrow's utf8_is_space): a cell of only these is
# empty, so NULL.
_SPACES = (
    "\t\n\v\f\r\x1c\x1d\x1e\x1f \x85\xa0\u1680"
    + "".join(chr(c) for c in range(0x2000, 0x200B))
    + "\u2028\u2029\u202f\u205f\u3000"
)


class _NeedsSql(Exception):
    """A staged value Arrow does not cast with certainty."""


class PostgresBackend(Backend):
    """Tables in one PostgreSQL database (optionally Citus), through a small pool."""

    dialect = "postgres"

    def __init__(self, url: str, *, staging_dir: Path | None = None) -> None:
        self._url = url
        self._idle: list[Connection] = []
        self._lock = threading.Lock()
        self._closed = False
        self._cursors = itertools.count(1)
        # Staging files of different databases must not meet: one directory per URL.
        key = hashlib.sha256(url.encode()).hexdigest()[:16]
        root = staging_dir or Path(tempfile.gettempdir()) / "quancheng-staging"
        self._staging = FileStaging(root / f"postgres-{key}")

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
        """Create an empty staging table of TEXT columns plus `_rowid` (local Arrow files)."""
        self._staging.create(table, names)

    def append(self, table: str, batch: pa.RecordBatch) -> None:
        """Append string columns to a staging table, numbering the rows in load order."""
        self._staging.append(table, batch)

    def staging_dir(self, table: str) -> Path:
        """The local directory of a staging table."""
        return self._staging.path(table)

    def copy_file(
        self,
        table: str,
        columns: Sequence[Column],
        source: CsvCopy,
        *,
        progress: Callable[[float], None],
    ) -> int:
        """Create typed `table` by one COPY of the file's bytes; the server parses and casts."""
        names = ", ".join(D.quote(c.name) for c in columns)
        # Row numbers in file order: one COPY inserts in order, drawing from the identity
        # (a session hands out its cached values in order too).
        definition = [f"{D.quote(ROWID)} BIGINT GENERATED ALWAYS AS IDENTITY (CACHE 1000)"]
        definition += [f"{D.quote(c.name)} {D.types[c.type]}" for c in columns]
        options = [f"DELIMITER {D.literal(source.delimiter)}"]
        options.append(f"ENCODING {D.literal(source.encoding)}")
        texts = [D.quote(c.name) for c in columns if c.type is ColumnType.TEXT]
        if texts:
            # A quoted "" is NULL for the readers too (in a typed column COPY refuses it).
            options.append(f"FORCE_NULL ({', '.join(texts)})")
        # FREEZE: the table is created in this transaction, so its rows go in already frozen —
        # ANALYZE and the first reads after the swap do not write every page again to set
        # hint bits (and no later anti-wraparound vacuum rewrites the table).
        options.append("FREEZE")
        statement = f"COPY {self._q(table)} ({names}) FROM STDIN (FORMAT csv, {', '.join(options)})"
        size = max(source.path.stat().st_size, 1)
        try:
            with self._conn() as conn:
                with conn.transaction(), conn.cursor() as cur:
                    cur.execute(f"CREATE TABLE {self._q(table)} ({', '.join(definition)})", [])
                    with source.path.open("rb") as f, cur.copy(statement, []) as copy:
                        f.seek(source.offset)
                        done = source.offset
                        while chunk := f.read(_COPY_CHUNK):
                            copy.write(chunk)
                            done += len(chunk)
                            progress(done / size)
                    rows = max(cur.rowcount, 0)
                    blank = source.confirm(rows)
                    if blank:
                        self._blank_to_null(cur, table, blank)
                    q = self._q(table)
                    cur.execute(f"ALTER TABLE {q} ALTER COLUMN {D.quote(ROWID)} DROP IDENTITY", [])
                    cur.execute(f"ALTER TABLE {q} ADD PRIMARY KEY ({D.quote(ROWID)})", [])
                conn.execute(f"ANALYZE {self._q(table)}", [])
                self._distribute(conn, table, rows)
        except psycopg.errors.DataError as error:
            raise EngineRefused(_message(error)) from error
        return rows

    def _blank_to_null(
        self, cur: psycopg.Cursor[TupleRow], table: str, names: Sequence[str]
    ) -> None:
        blank = {n: f"btrim({D.quote(n)}, {D.literal(_SPACES)}) = ''" for n in names}
        sets = ", ".join(
            f"{D.quote(n)} = CASE WHEN {test} THEN NULL ELSE {D.quote(n)} END"
            for n, test in blank.items()
        )
        where = " OR ".join(blank.values())
        cur.execute(f"UPDATE {self._q(table)} SET {sets} WHERE {where}", [])  # noqa: S608

    def _distribute(self, conn: Connection, table: str, rows: int) -> None:
        if (
            rows > CITUS_MIN_ROWS
            and conn.execute("SELECT 1 FROM pg_extension WHERE extname = 'citus'", []).fetchone()
        ):
            conn.execute("SELECT create_distributed_table(%s, %s)", [table, ROWID])

    def finalize(self, staging: str, table: str, columns: Sequence[Column]) -> int:
        """Create typed `table` (primary key `_rowid`) from `staging`, drop `staging`."""
        if not self._staging.exists(staging):
            raise ValueError(f"no staging table {staging!r}")
        with self._conn() as conn:
            count = self._finalize_in_arrow(conn, staging, table, columns)
            if count is None:
                count = self._finalize_in_sql(conn, staging, table, columns)
            conn.execute(f"ANALYZE {self._q(table)}", [])
            self._distribute(conn, table, count)
        self._staging.drop(staging)
        return count

    def _finalize_in_arrow(
        self, conn: Connection, staging: str, table: str, columns: Sequence[Column]
    ) -> int | None:
        """COPY rows cast in Arrow into the typed table; None when SQL must cast instead."""
        count = 0
        definition = [f"{D.quote(ROWID)} BIGINT"]
        definition += [f"{D.quote(c.name)} {D.types[c.type]}" for c in columns]
        try:
            with conn.transaction(), conn.cursor() as cur:
                cur.execute(f"CREATE TABLE {self._q(table)} ({', '.join(definition)})", [])
                with cur.copy(f"COPY {self._q(table)} FROM STDIN (FORMAT csv)", []) as copy:
                    for batch in self._staging.batches(staging):
                        typed = arrowcast.typed_batch(batch, columns)
                        if typed is None:
                            raise _NeedsSql
                        # Arrow writes NULL as an empty field and "" quoted, which is how
                        # COPY CSV tells them apart; dates and times in ISO form.
                        buffer = io.BytesIO()
                        pacsv.write_csv(typed, buffer, _CSV_OPTIONS)
                        copy.write(buffer.getbuffer())
                        count += typed.num_rows
                cur.execute(f"ALTER TABLE {self._q(table)} ADD PRIMARY KEY ({D.quote(ROWID)})", [])
        except (_NeedsSql, psycopg.errors.DataError):
            return None
        return count

    def _finalize_in_sql(
        self, conn: Connection, staging: str, table: str, columns: Sequence[Column]
    ) -> int:
        """Copy the staged text into the database and cast it with sqlbuild's expressions."""
        self._copy_text(conn, staging)
        select = sqlbuild.finalize_select(D, staging, columns)
        try:
            with conn.transaction(), conn.cursor() as cur:
                cur.execute(f"CREATE TABLE {self._q(table)} AS {select}", [])
                count = max(cur.rowcount, 0)
                cur.execute(f"ALTER TABLE {self._q(table)} ADD PRIMARY KEY ({D.quote(ROWID)})", [])
        except psycopg.errors.DataError as error:
            raise self._cast_failed(conn, staging, columns, error) from error
        finally:
            conn.execute(f"DROP TABLE IF EXISTS {self._q(staging)}", [])
        return count

    def _copy_text(self, conn: Connection, staging: str) -> None:
        """The staged text as an unlogged table of the staging table's name."""
        names = list(self._staging.schema(staging).names)
        columns = [f"{D.quote(n)} TEXT" for n in names[:-1]] + [f"{D.quote(ROWID)} BIGINT"]
        conn.execute(f"DROP TABLE IF EXISTS {self._q(staging)}", [])
        conn.execute(f"CREATE UNLOGGED TABLE {self._q(staging)} ({', '.join(columns)})", [])
        target = ", ".join(D.quote(n) for n in names)
        statement = f"COPY {self._q(staging)} ({target}) FROM STDIN (FORMAT csv)"
        with conn.cursor() as cur, cur.copy(statement, []) as copy:
            for batch in self._staging.batches(staging):
                buffer = io.BytesIO()
                pacsv.write_csv(batch.select(names), buffer, _CSV_OPTIONS)
                copy.write(buffer.getbuffer())

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
        self._staging.drop(table)

    def exists(self, table: str) -> bool:
        """Whether a table exists in the current schema (or is staged)."""
        if self._staging.exists(table):
            return True
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
        staged = [t for t in self._staging.names() if t.startswith(prefix)]
        return sorted({str(r[0]) for r in rows} | set(staged))

    def row_count(self, table: str) -> int:
        """Number of rows of a table."""
        if self._staging.exists(table):
            return self._staging.row_count(table)
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
