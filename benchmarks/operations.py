"""City operations figures: sustained telemetry points/s into the history (DuckDB, PostgreSQL).

Two paths: observations handed straight to TelemetryStore.record (the observer the entity
store calls) and device batches through EntityStore.ingest_batch (latest state in the
metadata database, then the observers), each until everything is flushed to the engine.
The target (issue 7) is 50,000 points/s sustained on a 2-core machine.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from benchmarks.report import Figure, quantile_ms
from quancheng.app import Services
from quancheng.identity.roles import Principal
from quancheng.operations.model import STREETLIGHT, Observation
from quancheng.operations.telemetry import RAW_TABLE, TelemetryStore
from quancheng.settings import Settings

TARGET = 50_000.0  # points/s (issue 7)
THINGSBOARD = 11_000.0  # messages/s, ThingsBoard's published figure on 36 vCPUs
ATTRIBUTES = ("powerConsumption", "illuminanceLevel", "voltage", "lampTemperature")


def _reading(attribute: str, n: int) -> float:
    """A plausible lamp reading (the entity store validates ranges, e.g. dimming 0..1)."""
    if attribute == "illuminanceLevel":
        return (n % 101) / 100
    if attribute == "voltage":
        return 215.0 + n % 10
    if attribute == "lampTemperature":
        return 20.0 + n % 40
    return 20.0 + n % 130


# The producer waits above this many queued points, as a broker or HTTP clients would.
BACKLOG = 200_000


def _services(tmp: Path, database_url: str | None) -> Services:
    settings = Settings(
        data_dir=tmp / "data",
        database_url=database_url or f"sqlite:///{tmp / 'meta.sqlite3'}",
        datastore_url=database_url,
        secret_key="bench-secret-key-0123456789abcdef",
    )
    services = Services.from_settings(settings)
    services.db.migrate()
    return services


def _observations(lamps: int, steps: int, start: datetime) -> Iterator[list[Observation]]:
    """Each lamp's attributes every 10 s, one list per time step."""
    ids = [f"urn:ngsi-ld:Streetlight:bench-{i:06d}" for i in range(lamps)]
    for step in range(steps):
        at = start + timedelta(seconds=10 * step)
        yield [
            Observation(
                entity_id=e,
                entity_type=STREETLIGHT,
                department_id=1,
                district="370102",
                group_id="",
                attribute=a,
                value=_reading(a, step + i),
                observed_at=at,
            )
            for i, e in enumerate(ids)
            for a in ATTRIBUTES
        ]


def _raw_rows(store: TelemetryStore) -> int:
    return int(store.engine.fetch(f"SELECT count(*) FROM {RAW_TABLE}")[0][0])


def _drain(store: TelemetryStore) -> None:
    while store.stats()["queue_length"] > BACKLOG:
        time.sleep(0.005)


def _record_figures(label: str, services: Services, points: int) -> list[Figure]:
    """record() → background batches → flush, and the cost of one record() call."""
    store = services.telemetry
    lamps = 5_000
    steps = max(1, points // (lamps * len(ATTRIBUTES)))
    batches = list(_observations(lamps, steps, datetime(2026, 3, 1, tzinfo=UTC)))
    total = sum(len(b) for b in batches)
    calls: list[float] = []
    store.record(batches[0][:1])  # tables created outside the timing
    store.flush()
    started = time.perf_counter()
    for batch in batches:
        # Observers are called per committed write: a few hundred points at a time.
        for i in range(0, len(batch), 500):
            t = time.perf_counter()
            store.record(batch[i : i + 500])
            calls.append(time.perf_counter() - t)
        _drain(store)
    store.flush()
    seconds = time.perf_counter() - started
    rate = total / seconds
    stored = _raw_rows(store)
    lost = total - stored
    # Everything again: every point is a duplicate and must be dropped.
    started = time.perf_counter()
    for batch in batches[: max(1, len(batches) // 4)]:
        store.record(batch)
        _drain(store)
    store.flush()
    dup_points = sum(len(b) for b in batches[: max(1, len(batches) // 4)])
    dup_rate = dup_points / (time.perf_counter() - started)
    assert _raw_rows(store) == stored
    rolled = time.perf_counter()
    store.rollup(batches[-1][0].observed_at + timedelta(days=1))
    rollup_seconds = time.perf_counter() - rolled
    return [
        Figure(
            name=f"telemetry points written, record() to flush, {label}",
            value=rate,
            unit="points/s",
            target=f">= {TARGET:,.0f}",
            goal=f"value >= {TARGET}",
            peer="ThingsBoard (messages/s, 36 vCPUs)",
            peer_value=THINGSBOARD,
            ratio=rate / THINGSBOARD,
            note=f"{total:,} points of {lamps:,} lamps x {len(ATTRIBUTES)} attributes; "
            f"{lost} lost; {store.stats()['points_dropped']} dropped",
        ),
        Figure(
            name=f"telemetry record() call of 500 points, p99, {label}",
            value=quantile_ms(calls, 0.99),
            unit="ms",
            note="the time an observer adds to an entity write",
        ),
        Figure(
            name=f"telemetry repeated points dropped, {label}",
            value=dup_rate,
            unit="points/s",
            note=f"{dup_points:,} points already stored; none written twice",
        ),
        Figure(
            name=f"telemetry roll-up of {total:,} points (5 min, hour, day), {label}",
            value=rollup_seconds,
            unit="s",
        ),
    ]


def _fleet(services: Services, lamps: int) -> tuple[list[str], Any]:
    """A small city with `lamps` streetlights of 公安局 (the stand-in owner), history wired."""
    from tests.support.city import seed_small_city
    from tests.support.server import streetlights

    entities = services.entities
    if services.telemetry.record not in entities.observers:
        entities.observers.append(services.telemetry.record)
    city = seed_small_city(services)
    admin = Principal.system("bench")
    ids = [f"urn:ngsi-ld:Streetlight:ingest-{i:05d}" for i in range(lamps)]
    for first in range(0, lamps, 1000):
        entities.upsert(admin, streetlights(ids[first : first + 1000]), department="gaj")
    return ids, city


def _stamp(start: datetime, step: int) -> str:
    return (start + timedelta(seconds=10 * step)).isoformat().replace("+00:00", "Z")


def _through(
    label: str,
    path: str,
    services: Services,
    ids: list[str],
    points: int,
    start: datetime,
    send: Callable[[list[str], int, str], int],
) -> Figure:
    """Points/s from device batches of 500 lamps until the history has them all."""
    store = services.telemetry
    steps = max(1, points // (len(ids) * len(ATTRIBUTES)))
    before = _raw_rows(store)
    messages = 0
    started = time.perf_counter()
    for step in range(steps):
        stamp = _stamp(start, step)
        for chunk in range(0, len(ids), 500):
            messages += send(ids[chunk : chunk + 500], step, stamp)
        _drain(store)
    store.flush()
    seconds = time.perf_counter() - started
    written = _raw_rows(store) - before
    rate = written / seconds
    return Figure(
        name=f"telemetry points through {path} to the history, {label}",
        value=rate,
        unit="points/s",
        target=f">= {TARGET:,.0f}",
        goal=f"value >= {TARGET}",
        peer="ThingsBoard (messages/s, 36 vCPUs)",
        peer_value=THINGSBOARD,
        ratio=rate / THINGSBOARD,
        note=f"{messages:,} messages of {len(ATTRIBUTES)} attributes in batches of 500 "
        f"({written:,} points stored): validation, latest state, history",
    )


def _ingest_figure(label: str, services: Services, ids: list[str], points: int) -> Figure:
    """Device batches through EntityStore.ingest_batch (in process, no HTTP)."""
    admin = Principal.system("bench")

    def send(batch_ids: list[str], step: int, stamp: str) -> int:
        batch = [
            {
                "id": entity_id,
                "type": STREETLIGHT,
                "attrs": {
                    a: {"value": _reading(a, step + k), "observedAt": stamp}
                    for k, a in enumerate(ATTRIBUTES)
                },
            }
            for entity_id in batch_ids
        ]
        return services.entities.ingest_batch(admin, batch).accepted

    start = datetime.now(UTC) - timedelta(hours=3)
    return _through(label, "EntityStore.ingest_batch", services, ids, points, start, send)


def _upsert_figure(label: str, services: Services, ids: list[str], points: int) -> Figure:
    """NGSI-LD batches through EntityStore.upsert in update mode (in process, no HTTP; the
    served section measures the route over HTTP)."""
    admin = Principal.system("bench")

    def send(batch_ids: list[str], step: int, stamp: str) -> int:
        body = [
            {
                "id": entity_id,
                "type": STREETLIGHT,
                **{
                    a: {"type": "Property", "value": _reading(a, step + k), "observedAt": stamp}
                    for k, a in enumerate(ATTRIBUTES)
                },
            }
            for entity_id in batch_ids
        ]
        result = services.entities.upsert(admin, body, replace=False)
        if result.errors or result.created:
            raise RuntimeError(f"upsert: {result.errors[:1]} {result.created[:1]}")
        return len(result.updated)

    start = datetime.now(UTC) - timedelta(hours=1)
    return _through(
        label, "EntityStore.upsert (NGSI-LD, update)", services, ids, points, start, send
    )


def _board_figures(label: str, services: Services, lamps: int) -> list[Figure]:
    """The big screen's whole board computed afresh (no cache) for a city of `lamps` lamps."""
    from quancheng.demo.devices import seed_devices

    seed_devices(
        services,
        seed=1,
        owners={"cgj": "gaj", "jtysj": "gaj", "swj": "sthjj"},
        lamps=lamps,
        cabinets=max(12, lamps // 50),
        groups=max(24, lamps // 30),
        air_stations=100,
        traffic_counters=500,
    )
    times: list[float] = []
    size = 0
    for _ in range(5):
        started = time.perf_counter()
        board = services.board.compute(datetime.now(UTC))
        times.append(time.perf_counter() - started)
        size = len(json.dumps(board, ensure_ascii=False))
    return [
        Figure(
            name=f"big screen: whole board computed, {lamps:,} lamps, p50, {label}",
            value=quantile_ms(times, 0.5),
            unit="ms",
            target="< the 5 s refresh",
            goal="value < 5000",
            note=f"no cache; lamps counted by district, map cell and state in the database; "
            f"{size / 1024:.0f} KiB of JSON per refresh",
        )
    ]


def _each_engine(tmp: Path) -> Iterator[tuple[str, Callable[[], Services], Callable[[], None]]]:
    yield "DuckDB", lambda: _services(tmp / "duck", None), lambda: None
    admin = os.environ.get("QC_TEST_POSTGRES_URL")
    if admin:
        from tests.support.postgres import create_database, drop_database

        url = create_database(admin)
        yield "PostgreSQL", lambda: _services(tmp / "pg", url), lambda: drop_database(admin, url)


def run(*, quick: bool) -> list[Figure]:
    """Telemetry write rates on DuckDB (and PostgreSQL when available)."""
    points = 100_000 if quick else 6_000_000
    # A rate, sustained for tens of seconds.
    ingest_points = 20_000 if quick else 400_000
    figures: list[Figure] = []
    with tempfile.TemporaryDirectory() as tmpdir:
        for label, build, cleanup in _each_engine(Path(tmpdir)):
            services = build()
            try:
                figures += _record_figures(label, services, points)
                ids, _ = _fleet(services, 2_000)
                figures.append(_ingest_figure(label, services, ids, ingest_points))
                figures.append(_upsert_figure(label, services, ids, ingest_points))
                figures += _board_figures(label, services, 10_000 if quick else 300_000)
            finally:
                services.telemetry.close()
                _close(services)
                cleanup()
    return figures


def _close(services: Any) -> None:
    for name in ("entities",):
        closer = getattr(getattr(services, name), "close", None)
        if closer is not None:
            closer()
    services.close()
