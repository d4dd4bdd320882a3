"""Telemetry history in the datastore engine: writes, temporal reads, roll-ups.

Raw observations land in `qct_raw` (one row per entity, attribute and observedAt) in batches
written by a background thread; `rollup` keeps per-bucket count/min/max/sum/avg of numeric
attributes in `qct_5m`, `qct_1h` and `qct_1d`, and `purge` applies the retention tiers. The
`qct_` prefix keeps these tables apart from the datastore's versions (`qcv_`, `qcs_`), which
the datastore lists by prefix and the SQL guard only exposes through the catalog.
"""

from __future__ import annotations

import contextlib
import io
import logging
import threading
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

import pyarrow as pa
import pyarrow.csv as pacsv

from quancheng.datastore.backends.duckdb import DuckDBBackend
from quancheng.datastore.backends.postgres import PostgresBackend
from quancheng.datastore.service import DatastoreService
from quancheng.db import Database
from quancheng.errors import BadRequest, ConfigurationError, TelemetryNotWritten
from quancheng.ledger.log import Ledger
from quancheng.operations.model import Observation
from quancheng.settings import Settings

log = logging.getLogger("quancheng.operations.telemetry")

RAW_TABLE = "qct_raw"
STATE_TABLE = "qct_rollup_state"
# The state row marking where raw rows were purged up to (roll-ups never go back past it).
PURGED = "purged"
# Roll-up tiers, finest first: (name, table, bucket seconds, years kept).
TIERS: tuple[tuple[str, str, int, int], ...] = (
    ("5m", "qct_5m", 300, 3),
    ("1h", "qct_1h", 3600, 3),
    ("1d", "qct_1d", 86400, 10),
)
# Buckets `series` answers: seconds each; each is read from the coarsest tier dividing it.
BUCKETS = {"1m": 60, "5m": 300, "15m": 900, "1h": 3600, "6h": 21600, "1d": 86400}
TIMERELS = ("before", "after", "between")
# Flush when this many observations wait, or after FLUSH_SECONDS.
BATCH_SIZE = 20_000
FLUSH_SECONDS = 1.0
# Beyond this many queued observations new ones are dropped (counted), never blocking writers.
MAX_QUEUE = 2_000_000
# A batch the engine refuses this many times in a row is dropped (counted) so ingestion goes on.
MAX_ATTEMPTS = 3
# Instances per attribute a history read returns at most.
MAX_INSTANCES = 10_000
# How long a write route waits for its values to be in the history before answering 503.
SAVED_SECONDS = 30.0

Value = float | str | bool
Row = tuple[str, str, datetime, str, str, float | None, str | None, bool | None]

_TYPES = {
    "duckdb": {"text": "VARCHAR", "num": "DOUBLE", "int": "BIGINT"},
    "postgres": {"text": "TEXT", "num": "DOUBLE PRECISION", "int": "BIGINT"},
}
_RAW_SCHEMA = pa.schema(
    [
        ("entity_id", pa.string()),
        ("attribute", pa.string()),
        ("observed_at", pa.timestamp("us")),
        ("entity_type", pa.string()),
        ("district", pa.string()),
        ("value_num", pa.float64()),
        ("value_text", pa.string()),
        ("value_bool", pa.bool_()),
    ]
)
_RAW_COLUMNS = ", ".join(_RAW_SCHEMA.names)
_CSV_OPTIONS = pacsv.WriteOptions(include_header=False, quoting_style="needed")


@dataclass(frozen=True)
class SeriesPoint:
    """One bucket of a chart series: figures over every matching entity."""

    bucket: datetime
    count: int
    min: float
    max: float
    sum: float

    @property
    def avg(self) -> float:
        """The mean value in the bucket."""
        return self.sum / self.count if self.count else 0.0


def utc_naive(moment: datetime) -> datetime:
    """The moment as a naive UTC datetime (how the tables store time); naive input is UTC."""
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)


def floor_to(moment: datetime, seconds: int, origin: datetime) -> datetime:
    """The start of the bucket of `seconds` holding `moment`, buckets counted from `origin`."""
    width = timedelta(seconds=seconds)
    return origin + ((moment - origin) // width) * width


def ceil_to(moment: datetime, seconds: int, origin: datetime) -> datetime:
    """The first bucket start at or after `moment`."""
    start = floor_to(moment, seconds, origin)
    return start if start == moment else start + timedelta(seconds=seconds)


def bucket_origin(timezone: str) -> datetime:
    """Local midnight of 2000-01-01 in naive UTC: days (and all buckets) start there."""
    local = datetime(2000, 1, 1, tzinfo=ZoneInfo(timezone))
    return utc_naive(local)


def to_row(o: Observation) -> Row | None:
    """The raw-table row of an observation (None when it has no value)."""
    value = o.value
    num: float | None = None
    text: str | None = None
    flag: bool | None = None
    if isinstance(value, bool):
        flag = value
    elif isinstance(value, int | float):
        num = float(value)
    elif isinstance(value, str):
        text = value
    else:
        return None
    at = o.observed_at
    if at.tzinfo is not None:
        at = at.astimezone(UTC).replace(tzinfo=None)
    return (o.entity_id, o.attribute, at, o.entity_type, o.district, num, text, flag)


def to_rows(observations: Sequence[Observation]) -> list[Row]:
    """The raw-table rows of observations with a value (`to_row` of each, faster)."""
    rows: list[Row] = []
    append = rows.append
    # A batch shares few distinct moments (a fleet reports together): convert each once.
    moments: dict[datetime, datetime] = {}
    for o in observations:
        value = o.value
        num: float | None = None
        text: str | None = None
        flag: bool | None = None
        if type(value) is float:
            num = value
        elif type(value) is bool:
            flag = value
        elif type(value) is int:
            num = float(value)
        elif type(value) is str:
            text = value
        else:
            row = to_row(o)  # subclasses of the value types, or no value
            if row is not None:
                append(row)
            continue
        at = o.observed_at
        naive = moments.get(at)
        if naive is None:
            naive = moments[at] = utc_naive(at)
        append((o.entity_id, o.attribute, naive, o.entity_type, o.district, num, text, flag))
    return rows


def unique_rows(rows: Sequence[Row]) -> list[Row]:
    """The rows without repeats of (entity, attribute, observedAt); the first one wins."""
    seen: dict[tuple[str, str, datetime], Row] = {}
    for row in rows:
        seen.setdefault((row[0], row[1], row[2]), row)
    return list(seen.values())


def _value(num: Any, text: Any, flag: Any) -> Value:
    if flag is not None:
        return bool(flag)
    if num is not None:
        return float(num)
    return str(text)


class _Engine:
    """The datastore's engine as this module uses it: DuckDB's connection or PostgreSQL's pool."""

    def __init__(self, backend: Any) -> None:
        if isinstance(backend, DuckDBBackend):
            self.dialect = "duckdb"
        elif isinstance(backend, PostgresBackend):
            self.dialect = "postgres"
        else:
            raise ConfigurationError(
                f"telemetry has no support for the {type(backend).__name__} engine",
                code="bad_datastore_url",
            )
        self.backend = backend

    def _sql(self, sql: str) -> str:
        # Our statements never contain a literal % or ?, so placeholders convert safely.
        return sql.replace("?", "%s") if self.dialect == "postgres" else sql

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Any]:
        """A cursor inside one transaction, committed when the block ends without error."""
        if isinstance(self.backend, DuckDBBackend):
            with self.backend._cursor() as cur:
                cur.begin()
                try:
                    yield cur
                    cur.commit()
                except BaseException:
                    cur.rollback()
                    raise
        else:
            with self.backend._conn() as conn, conn.transaction(), conn.cursor() as cur:
                yield cur

    def execute(self, cur: Any, sql: str, params: Sequence[Any] = ()) -> Any:
        """Run one statement on a cursor of `transaction`."""
        return cur.execute(self._sql(sql), list(params))

    def fetch(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Rows of one read."""
        with self.transaction() as cur:
            self.execute(cur, sql, params)
            return [tuple(r) for r in cur.fetchall()]

    def insert_raw(self, cur: Any, rows: list[Row]) -> int:
        """Insert rows not stored yet (same entity, attribute, observedAt); return how many."""
        columns = list(zip(*rows, strict=True))
        table = pa.Table.from_arrays(
            [pa.array(c, type=f.type) for c, f in zip(columns, _RAW_SCHEMA, strict=True)],
            schema=_RAW_SCHEMA,
        )
        if isinstance(self.backend, DuckDBBackend):
            cur.register("qct_incoming", table)
            try:
                # Writes are serialised by the store, so an anti-join is safe; the time window
                # lets DuckDB skip row groups outside the batch (no index to maintain).
                found = cur.execute(
                    f"INSERT INTO {RAW_TABLE} SELECT i.* FROM qct_incoming i "  # noqa: S608
                    f"WHERE NOT EXISTS (SELECT 1 FROM {RAW_TABLE} r "
                    "WHERE r.observed_at BETWEEN ? AND ? AND r.entity_id = i.entity_id "
                    "AND r.attribute = i.attribute AND r.observed_at = i.observed_at)",
                    [min(columns[2]), max(columns[2])],
                ).fetchone()
            finally:
                cur.unregister("qct_incoming")
            return int(found[0]) if found else 0
        cur.execute(
            f"CREATE TEMP TABLE qct_incoming (LIKE {RAW_TABLE}) ON COMMIT DROP",
            [],
        )
        # Arrow writes the CSV in C++ (strings quoted, NULLs empty): much faster than rows.
        sink = io.BytesIO()
        pacsv.write_csv(table, sink, write_options=_CSV_OPTIONS)
        with cur.copy(f"COPY qct_incoming ({_RAW_COLUMNS}) FROM STDIN (FORMAT csv)") as copy:
            copy.write(sink.getvalue())
        cur.execute(
            f"INSERT INTO {RAW_TABLE} SELECT * FROM qct_incoming "  # noqa: S608
            "ON CONFLICT DO NOTHING",
            [],
        )
        return int(cur.rowcount)

    def bucket(self, column: str, seconds: int, origin: datetime) -> str:
        """SQL for the bucket start of a timestamp column."""
        fn = "time_bucket" if self.dialect == "duckdb" else "date_bin"
        return (
            f"{fn}(INTERVAL '{int(seconds)} seconds', {column}, "
            f"TIMESTAMP '{origin:%Y-%m-%d %H:%M:%S}')"
        )


class TelemetryStore:
    """Telemetry history in the datastore engine: writes, temporal reads, roll-ups."""

    def __init__(
        self,
        *,
        db: Database,
        datastore: DatastoreService,
        ledger: Ledger,
        settings: Settings,
    ) -> None:
        self.db = db
        self.datastore = datastore
        self.ledger = ledger
        self.settings = settings
        self.origin = bucket_origin(settings.timezone)
        self._engine: _Engine | None = None
        self._setup_lock = threading.Lock()
        # One writer at a time: batches, roll-ups and purges (DuckDB has one connection and
        # optimistic transactions; the anti-join relies on it too).
        self._write_lock = threading.Lock()
        self._drain_lock = threading.Lock()
        self._stats_lock = threading.Lock()
        self._queue: deque[Observation] = deque()
        self._wake = threading.Condition()
        # Durability: points queued so far, and points written (or given up) so far; `sync`
        # waits for the second to catch up with the first. `_urgent` asks the writer not to
        # wait for a full batch.
        self._enqueued = 0
        self._settled = 0
        self._settled_cv = threading.Condition()
        self._urgent = False
        self._thread: threading.Thread | None = None
        self._stopping = False
        self._closed = False
        self._failed_attempts = 0
        self._stats = {
            "points_received": 0,
            "points_written": 0,
            "duplicates_dropped": 0,
            "points_dropped": 0,
            "write_errors": 0,
        }
        self._last_flush_at: datetime | None = None

    # -- engine and tables ---------------------------------------------------------------

    @property
    def engine(self) -> _Engine:
        """The datastore engine, with the telemetry tables created on first use."""
        engine = self._engine
        if engine is None:
            with self._setup_lock:
                engine = self._engine
                if engine is None:
                    engine = _Engine(self.datastore.backend)
                    self._create_tables(engine)
                    self._engine = engine
        return engine

    def _create_tables(self, engine: _Engine) -> None:
        t = _TYPES[engine.dialect]
        pg = engine.dialect == "postgres"
        key = ", PRIMARY KEY (entity_id, attribute, observed_at)" if pg else ""
        statements = [
            f"CREATE TABLE IF NOT EXISTS {RAW_TABLE} (entity_id {t['text']} NOT NULL, "
            f"attribute {t['text']} NOT NULL, observed_at TIMESTAMP NOT NULL, "
            f"entity_type {t['text']}, district {t['text']}, value_num {t['num']}, "
            f"value_text {t['text']}, value_bool BOOLEAN{key})",
            f"CREATE TABLE IF NOT EXISTS {STATE_TABLE} (tier {t['text']} PRIMARY KEY, "
            "done_until TIMESTAMP NOT NULL)",
        ]
        for _, table, _, _ in TIERS:
            statements.append(
                f"CREATE TABLE IF NOT EXISTS {table} (entity_id {t['text']} NOT NULL, "
                f"attribute {t['text']} NOT NULL, bucket TIMESTAMP NOT NULL, "
                f"entity_type {t['text']}, district {t['text']}, n {t['int']} NOT NULL, "
                f"min_value {t['num']}, max_value {t['num']}, sum_value {t['num']})"
            )
            if pg:
                statements.append(
                    f"CREATE INDEX IF NOT EXISTS {table}_key ON {table} "
                    "(entity_id, attribute, bucket)"
                )
                statements.append(
                    f"CREATE INDEX IF NOT EXISTS {table}_bucket ON {table} (bucket, attribute)"
                )
        if pg:
            statements.append(
                # BRIN: rows arrive roughly in time order, and it costs next to nothing to keep.
                f"CREATE INDEX IF NOT EXISTS {RAW_TABLE}_time ON {RAW_TABLE} "
                "USING brin (observed_at)"
            )
        with self._write_lock, engine.transaction() as cur:
            for sql in statements:
                engine.execute(cur, sql)

    # -- writes --------------------------------------------------------------------------

    def record(self, observations: Sequence[Observation]) -> None:
        """Queue observations for the history (an observer of EntityStore: never raises)."""
        try:
            if self._closed:
                self._stats["points_dropped"] += len(observations)
                log.warning("telemetry store closed: %d observations dropped", len(observations))
                return
            with self._stats_lock:
                room = max(MAX_QUEUE - len(self._queue), 0)
                if room < len(observations):
                    self._stats["points_dropped"] += len(observations) - room
                    observations = observations[:room]
                self._stats["points_received"] += len(observations)
                self._queue.extend(observations)
                self._enqueued += len(observations)
            if self._thread is None:
                self._start()
            if len(self._queue) >= BATCH_SIZE:
                with self._wake:
                    self._wake.notify()
        except Exception:
            log.exception("telemetry record failed")

    def _start(self) -> None:
        with self._wake:
            if self._thread is None and not self._stopping:
                self._thread = threading.Thread(
                    target=self._run, name="qc-telemetry-writer", daemon=True
                )
                self._thread.start()

    def _run(self) -> None:
        while True:
            with self._wake:
                if not (self._stopping or self._urgent) and len(self._queue) < BATCH_SIZE:
                    self._wake.wait(FLUSH_SECONDS)
                stopping = self._stopping
                self._urgent = False
            try:
                self._write_queued()
            except Exception:
                log.exception("telemetry batch write failed")
            if stopping:
                return

    def _take(self, limit: int) -> list[Observation]:
        taken: list[Observation] = []
        queue = self._queue
        # deque.popleft is atomic, so record() may append while we drain.
        with contextlib.suppress(IndexError):
            for _ in range(limit):
                taken.append(queue.popleft())
        return taken

    def _write_queued(self) -> None:
        """Write everything queued, in batches."""
        # Held across take and write, so that flush() returns only once the background
        # writer's batch in flight is committed too.
        with self._drain_lock:
            self._drain()

    def _drain(self) -> None:
        while self._queue:
            batch = self._take(BATCH_SIZE)
            if not batch:
                return
            try:
                self._write(batch)
                self._failed_attempts = 0
            except Exception:
                self._stats["write_errors"] += 1
                self._failed_attempts += 1
                if self._failed_attempts >= MAX_ATTEMPTS:
                    self._stats["points_dropped"] += len(batch)
                    self._failed_attempts = 0
                    self._settle(len(batch))
                    log.exception("telemetry batch of %d dropped after retries", len(batch))
                    return
                # Back to the front, in order, for the next round.
                self._queue.extendleft(reversed(batch))
                raise

    def _write(self, batch: Sequence[Observation]) -> None:
        rows = to_rows(batch)
        unique = unique_rows(rows)
        written = 0
        engine = self.engine
        if unique:
            earliest = min(r[2] for r in unique)
            with self._write_lock, engine.transaction() as cur:
                written = engine.insert_raw(cur, unique)
                # Late data reopens the roll-ups from its bucket on (see `rollup`).
                if written:
                    for tier, _, seconds, _ in TIERS:
                        start = floor_to(earliest, seconds, self.origin)
                        engine.execute(
                            cur,
                            f"UPDATE {STATE_TABLE} SET done_until = ? "  # noqa: S608
                            "WHERE tier = ? AND done_until > ?",
                            [start, tier, start],
                        )
        self._stats["points_written"] += written
        self._stats["duplicates_dropped"] += len(rows) - written
        self._stats["points_dropped"] += len(batch) - len(rows)
        self._last_flush_at = datetime.now(UTC)
        self._settle(len(batch))

    def _settle(self, points: int) -> None:
        with self._settled_cv:
            self._settled += points
            self._settled_cv.notify_all()

    def sync(self, timeout: float = 30.0) -> bool:
        """Wait until every point recorded so far is in the history; False on timeout.

        What a device is told "stored" must survive a crash: the HTTP batch route and the
        MQTT bridge call this before answering or acknowledging. Concurrent callers share
        the writer's next batch (a group commit).
        """
        with self._stats_lock:
            target = self._enqueued
        with self._settled_cv:
            if self._settled >= target:
                return True
        if self._thread is None or self._stopping:
            self._write_queued()
        else:
            with self._wake:
                self._urgent = True
                self._wake.notify()
        with self._settled_cv:
            return self._settled_cv.wait_for(lambda: self._settled >= target, timeout)

    def saved(self, timeout: float = SAVED_SECONDS) -> None:
        """Return once every point recorded so far is in the history (`sync`), so that what
        a client is then told is saved survives a crash; TelemetryNotWritten (503) if not in
        time. Every route that writes telemetry calls it before answering."""
        if not self.sync(timeout):
            raise TelemetryNotWritten(
                "the history could not be written in time; send the same values again"
            )

    def flush(self) -> None:
        """Write everything queued so far (tests, shutdown); raises if the engine fails."""
        self._write_queued()

    def close(self) -> None:
        """Stop the writer and write what is left."""
        with self._wake:
            self._stopping = True
            self._wake.notify()
            thread = self._thread
        if thread is not None:
            thread.join()
        self._closed = True
        try:
            self._write_queued()
        except Exception:
            log.exception("telemetry: final write failed")

    def stats(self) -> dict[str, Any]:
        """Counters for the operations page and /metrics."""
        return {
            **self._stats,
            "queue_length": len(self._queue),
            "last_flush_at": self._last_flush_at,
        }

    # -- reads ---------------------------------------------------------------------------

    def history(
        self,
        entity_id: str,
        attrs: Sequence[str] | None = None,
        timerel: Literal["before", "after", "between"] | None = None,
        time_at: datetime | None = None,
        end_time_at: datetime | None = None,
        last_n: int | None = None,
        aggregate: str | None = None,
    ) -> dict[str, list[tuple[datetime, Value]]]:
        """Instances of an entity's attributes, oldest first: {attribute: [(observedAt, value)]}.

        `timerel` before: observedAt < time_at; after: ≥ time_at; between: [time_at,
        end_time_at). `last_n` keeps the newest n of each attribute. `aggregate` (a bucket of
        BUCKETS) answers each numeric attribute's bucket means instead of raw instances.
        """
        start, end = time_window(timerel, time_at, end_time_at)
        if last_n is not None and last_n < 1:
            raise BadRequest("lastN must be a positive integer", code="bad_last_n")
        if aggregate is not None:
            check_bucket(aggregate)
            return self._aggregated(entity_id, attrs, start, end, last_n, aggregate)
        where: list[str] = ["entity_id = ?"]
        params: list[Any] = [entity_id]
        if attrs:
            where.append(f"attribute IN ({', '.join('?' * len(attrs))})")
            params += list(attrs)
        if start is not None:
            where.append("observed_at >= ?")
            params.append(start)
        if end is not None:
            where.append("observed_at < ?")
            params.append(end)
        newest = last_n is not None
        keep = min(last_n or MAX_INSTANCES, MAX_INSTANCES)
        sql = (
            "SELECT attribute, observed_at, value_num, value_text, value_bool FROM ("  # noqa: S608
            "SELECT attribute, observed_at, value_num, value_text, value_bool, "
            "row_number() OVER (PARTITION BY attribute ORDER BY observed_at "
            f"{'DESC' if newest else 'ASC'}) AS rn FROM {RAW_TABLE} WHERE {' AND '.join(where)}"
            ") t WHERE rn <= ? ORDER BY attribute, observed_at"
        )
        found: dict[str, list[tuple[datetime, Value]]] = {}
        for attribute, at, num, text, flag in self.engine.fetch(sql, [*params, keep]):
            found.setdefault(str(attribute), []).append((at, _value(num, text, flag)))
        return found

    def numeric_attributes(self, entity_id: str) -> list[str]:
        """The attributes of an entity with numeric history, sorted."""
        rows = self.engine.fetch(
            f"SELECT DISTINCT attribute FROM {RAW_TABLE} "  # noqa: S608
            "WHERE entity_id = ? AND value_num IS NOT NULL ORDER BY attribute",
            [entity_id],
        )
        return [str(r[0]) for r in rows]

    def _aggregated(
        self,
        entity_id: str,
        attrs: Sequence[str] | None,
        start: datetime | None,
        end: datetime | None,
        last_n: int | None,
        bucket: str,
    ) -> dict[str, list[tuple[datetime, Value]]]:
        names = list(attrs or []) or self.numeric_attributes(entity_id)
        lo = start or datetime(1970, 1, 1)
        hi = end or utc_naive(datetime.now(UTC)) + timedelta(days=1)
        found: dict[str, list[tuple[datetime, Value]]] = {}
        for name in names:
            points = self.series(
                attribute=name, start=lo, end=hi, bucket=bucket, entity_ids=[entity_id]
            )
            if last_n is not None:
                points = points[-last_n:]
            if points:
                found[name] = [(p.bucket, p.avg) for p in points]
        return found

    def series(
        self,
        *,
        attribute: str,
        start: datetime,
        end: datetime,
        bucket: str = "1h",
        entity_ids: Sequence[str] | None = None,
        district: str | None = None,
        entity_type: str | None = None,
    ) -> list[SeriesPoint]:
        """One numeric attribute over matching entities per bucket in [start, end), for charts.

        Complete buckets come from the roll-ups when the bucket is a multiple of a tier;
        the part after the last roll-up (and buckets under 5 minutes) from raw rows.
        """
        seconds = check_bucket(bucket)
        lo = floor_to(utc_naive(start), seconds, self.origin)
        hi = utc_naive(end)
        if hi <= lo:
            return []
        engine = self.engine
        filters: list[str] = ["attribute = ?"]
        params: list[Any] = [attribute]
        if entity_ids is not None:
            if not entity_ids:
                return []
            filters.append(f"entity_id IN ({', '.join('?' * len(entity_ids))})")
            params += list(entity_ids)
        if district is not None:
            filters.append("district = ?")
            params.append(district)
        if entity_type is not None:
            filters.append("entity_type = ?")
            params.append(entity_type)
        where = " AND ".join(filters)
        merged: dict[datetime, list[float]] = {}
        raw_from = lo
        tier = next(((n, t, s) for n, t, s, _ in reversed(TIERS) if seconds % s == 0), None)
        if tier is not None:
            name, table, _ = tier
            done = self._done_until(name)
            if done is not None and done > lo:
                upto = min(done, hi)
                sql = (
                    f"SELECT {engine.bucket('bucket', seconds, self.origin)} AS b, "  # noqa: S608
                    "sum(n), min(min_value), max(max_value), sum(sum_value) "
                    f"FROM {table} WHERE {where} AND bucket >= ? AND bucket < ? GROUP BY 1"
                )
                _merge(merged, engine.fetch(sql, [*params, lo, upto]))
                raw_from = upto
        if raw_from < hi:
            sql = (
                f"SELECT {engine.bucket('observed_at', seconds, self.origin)} AS b, "  # noqa: S608
                "count(value_num), min(value_num), max(value_num), sum(value_num) "
                f"FROM {RAW_TABLE} WHERE {where} AND value_num IS NOT NULL "
                "AND observed_at >= ? AND observed_at < ? GROUP BY 1"
            )
            _merge(merged, engine.fetch(sql, [*params, raw_from, hi]))
        return [
            SeriesPoint(bucket=b, count=int(f[0]), min=f[1], max=f[2], sum=f[3])
            for b, f in sorted(merged.items())
            if f[0]
        ]

    def _done_until(self, tier: str) -> datetime | None:
        rows = self.engine.fetch(
            f"SELECT done_until FROM {STATE_TABLE} WHERE tier = ?",  # noqa: S608
            [tier],
        )
        return rows[0][0] if rows else None

    # -- periodic work -------------------------------------------------------------------

    def rollup(self, now: datetime | None = None) -> dict[str, int]:
        """Compute the roll-up buckets completed since the last run (periodic; idempotent).

        Each tier recomputes whole buckets from its watermark to the last complete bucket
        (5 min from raw rows, hours from 5 min, days from hours), replacing what was there;
        late observations move the watermark back when they are written. Buckets before
        the last purge are never recomputed. Returns rows written per tier.
        """
        moment = utc_naive(now or datetime.now(UTC))
        engine = self.engine
        written: dict[str, int] = {}
        source = RAW_TABLE
        for name, table, seconds, _ in TIERS:
            end = floor_to(moment, seconds, self.origin)
            with self._write_lock, engine.transaction() as cur:
                state = _state(engine, cur)
                found = state.get(name)
                if found is None:
                    engine.execute(cur, f"SELECT min(observed_at) FROM {RAW_TABLE}")  # noqa: S608
                    first = cur.fetchone()
                    start = floor_to(first[0], seconds, self.origin) if first[0] else end
                else:
                    start = found
                purged = state.get(PURGED)
                if purged is not None:
                    start = max(start, ceil_to(purged, seconds, self.origin))
                count = 0
                if start < end:
                    engine.execute(
                        cur,
                        f"DELETE FROM {table} WHERE bucket >= ? AND bucket < ?",  # noqa: S608
                        [start, end],
                    )
                    engine.execute(
                        cur,
                        _rollup_sql(engine, table, source, seconds, self.origin),
                        [start, end],
                    )
                    count = _affected(engine, cur)
                _set_state(engine, cur, name, max(end, start), exists=found is not None)
            written[name] = count
            source = table
        return written

    def purge(self, now: datetime | None = None) -> dict[str, int]:
        """Delete rows past retention (periodic): raw after settings, roll-ups after years.

        Rolls up first, and keeps raw rows the 5-minute roll-up has not covered yet.
        """
        moment = utc_naive(now or datetime.now(UTC))
        self.rollup(moment)
        engine = self.engine
        deleted: dict[str, int] = {}
        with self._write_lock, engine.transaction() as cur:
            state = _state(engine, cur)
            cutoff = moment - timedelta(days=self.settings.telemetry_raw_days)
            covered = state.get(TIERS[0][0])
            if covered is not None:
                cutoff = min(cutoff, covered)
            engine.execute(
                cur,
                f"DELETE FROM {RAW_TABLE} WHERE observed_at < ?",  # noqa: S608
                [cutoff],
            )
            deleted[RAW_TABLE] = _affected(engine, cur)
            previous = state.get(PURGED)
            if previous is None or previous < cutoff:
                _set_state(engine, cur, PURGED, cutoff, exists=previous is not None)
        for _, table, _, years in TIERS:
            with self._write_lock, engine.transaction() as cur:
                engine.execute(
                    cur,
                    f"DELETE FROM {table} WHERE bucket < ?",  # noqa: S608
                    [moment - timedelta(days=365 * years)],
                )
                deleted[table] = _affected(engine, cur)
        return deleted


def check_bucket(bucket: str) -> int:
    """The seconds of a bucket name of BUCKETS; raises BadRequest for others."""
    if bucket not in BUCKETS:
        raise BadRequest(
            f"unknown bucket {bucket!r}: one of {', '.join(BUCKETS)}",
            code="bad_bucket",
            details={"buckets": list(BUCKETS)},
        )
    return BUCKETS[bucket]


def time_window(
    timerel: str | None, time_at: datetime | None, end_time_at: datetime | None
) -> tuple[datetime | None, datetime | None]:
    """The [start, end) a temporal query asks for (None: open); raises BadRequest if malformed."""
    if timerel is None:
        if time_at is not None or end_time_at is not None:
            raise BadRequest("timeAt needs timerel", code="bad_timerel")
        return None, None
    if timerel not in TIMERELS:
        raise BadRequest(
            f"timerel must be one of {', '.join(TIMERELS)}",
            code="bad_timerel",
            details={"timerel": timerel},
        )
    if time_at is None:
        raise BadRequest("timerel needs timeAt", code="bad_time_at")
    at = utc_naive(time_at)
    if timerel == "before":
        return None, at
    if timerel == "after":
        return at, None
    if end_time_at is None:
        raise BadRequest("timerel=between needs endTimeAt", code="bad_end_time_at")
    end = utc_naive(end_time_at)
    if end <= at:
        raise BadRequest("endTimeAt must be after timeAt", code="bad_end_time_at")
    return at, end


def _state(engine: _Engine, cur: Any) -> dict[str, datetime]:
    """The roll-up watermarks and the purge mark."""
    engine.execute(cur, f"SELECT tier, done_until FROM {STATE_TABLE}")  # noqa: S608
    return {str(tier): at for tier, at in cur.fetchall()}


def _set_state(engine: _Engine, cur: Any, tier: str, at: datetime, *, exists: bool) -> None:
    """Store a watermark."""
    if exists:
        sql = f"UPDATE {STATE_TABLE} SET done_until = ? WHERE tier = ?"  # noqa: S608
        engine.execute(cur, sql, [at, tier])
    else:
        sql = f"INSERT INTO {STATE_TABLE} (done_until, tier) VALUES (?, ?)"  # noqa: S608
        engine.execute(cur, sql, [at, tier])


def _affected(engine: _Engine, cur: Any) -> int:
    """Rows the last INSERT or DELETE touched (DuckDB answers them as a result row)."""
    if engine.dialect == "duckdb":
        row = cur.fetchone()
        return int(row[0]) if row else 0
    return max(int(cur.rowcount), 0)


def _merge(merged: dict[datetime, list[float]], rows: list[tuple[Any, ...]]) -> None:
    """Add (bucket, count, min, max, sum) rows into per-bucket figures."""
    for bucket, n, lo, hi, total in rows:
        if not n:
            continue
        have = merged.get(bucket)
        if have is None:
            merged[bucket] = [float(n), float(lo), float(hi), float(total)]
        else:
            have[0] += n
            have[1] = min(have[1], float(lo))
            have[2] = max(have[2], float(hi))
            have[3] += float(total)


def _rollup_sql(engine: _Engine, table: str, source: str, seconds: int, origin: datetime) -> str:
    """INSERT … SELECT of one tier's buckets in [?, ?) from raw rows or the finer tier."""
    if source == RAW_TABLE:
        b = engine.bucket("observed_at", seconds, origin)
        return (
            f"INSERT INTO {table} SELECT entity_id, attribute, {b}, max(entity_type), "  # noqa: S608
            "max(district), count(value_num), min(value_num), max(value_num), sum(value_num) "
            f"FROM {RAW_TABLE} WHERE value_num IS NOT NULL AND observed_at >= ? "
            "AND observed_at < ? GROUP BY entity_id, attribute, 3"
        )
    b = engine.bucket("bucket", seconds, origin)
    return (
        f"INSERT INTO {table} SELECT entity_id, attribute, {b}, max(entity_type), "  # noqa: S608
        "max(district), sum(n), min(min_value), max(max_value), sum(sum_value) "
        f"FROM {source} WHERE bucket >= ? AND bucket < ? GROUP BY entity_id, attribute, 3"
    )
