"""Telemetry history: idempotent batched writes, temporal reads, roll-ups and retention."""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quancheng.app import Services
from quancheng.errors import BadRequest
from quancheng.operations.model import AIR_QUALITY, STREETLIGHT, Observation
from quancheng.operations.telemetry import (
    RAW_TABLE,
    TelemetryStore,
    bucket_origin,
    ceil_to,
    floor_to,
    to_row,
    to_rows,
    unique_rows,
)

T0 = datetime(2026, 3, 1, 0, 0, tzinfo=UTC)
LAMP = "urn:ngsi-ld:Streetlight:jinan-0001"
STATION = "urn:ngsi-ld:AirQualityObserved:lixia-01"


def obs(
    entity: str,
    attribute: str,
    value: float | str | bool | None,
    at: datetime,
    *,
    entity_type: str = STREETLIGHT,
    district: str = "370102",
) -> Observation:
    return Observation(
        entity_id=entity,
        entity_type=entity_type,
        department_id=1,
        district=district,
        group_id="",
        attribute=attribute,
        value=value,
        observed_at=at,
    )


@pytest.fixture
def store(services: Services) -> Iterator[TelemetryStore]:
    yield services.telemetry
    services.telemetry.close()


def raw_count(store: TelemetryStore) -> int:
    return int(store.engine.fetch(f"SELECT count(*) FROM {RAW_TABLE}")[0][0])


def test_the_same_observations_twice_make_the_same_rows(store: TelemetryStore) -> None:
    batch = [obs(LAMP, "powerConsumption", float(i), T0 + timedelta(minutes=i)) for i in range(50)]
    store.record(batch)
    store.flush()
    store.record(batch)
    store.record(batch[:10])  # and again inside one batch
    store.flush()
    assert raw_count(store) == 50
    stats = store.stats()
    assert stats["points_written"] == 50
    assert stats["duplicates_dropped"] == 60
    assert stats["queue_length"] == 0
    assert stats["last_flush_at"] is not None


def test_a_repeated_observation_keeps_the_first_value(store: TelemetryStore) -> None:
    store.record([obs(LAMP, "dimmingLevel", 40.0, T0)])
    store.flush()
    store.record([obs(LAMP, "dimmingLevel", 90.0, T0)])
    store.flush()
    assert store.history(LAMP) == {"dimmingLevel": [(T0.replace(tzinfo=None), 40.0)]}


def test_history_keeps_value_types_and_orders_oldest_first(store: TelemetryStore) -> None:
    store.record(
        [
            obs(LAMP, "status", "on", T0 + timedelta(minutes=2)),
            obs(LAMP, "status", "off", T0),
            obs(LAMP, "lampFailure", True, T0 + timedelta(minutes=1)),
            obs(LAMP, "powerConsumption", 7, T0),
            obs(LAMP, "note", None, T0),  # no value: nothing to keep
        ]
    )
    store.flush()
    t = T0.replace(tzinfo=None)
    assert store.history(LAMP) == {
        "lampFailure": [(t + timedelta(minutes=1), True)],
        "powerConsumption": [(t, 7.0)],
        "status": [(t, "off"), (t + timedelta(minutes=2), "on")],
    }
    assert store.history(LAMP, attrs=["status"]) == {
        "status": [(t, "off"), (t + timedelta(minutes=2), "on")]
    }
    assert store.history("urn:ngsi-ld:Streetlight:nobody") == {}


def test_history_filters_before_after_between_and_last_n(store: TelemetryStore) -> None:
    minutes = [T0 + timedelta(minutes=i) for i in range(10)]
    store.record([obs(LAMP, "powerConsumption", float(i), m) for i, m in enumerate(minutes)])
    store.record([obs(LAMP, "dimmingLevel", 100.0 - i, m) for i, m in enumerate(minutes[:3])])
    store.flush()

    def values(**kw: object) -> dict[str, list[float]]:
        found = store.history(LAMP, **kw)  # type: ignore[arg-type]
        return {a: [float(v) for _, v in inst] for a, inst in found.items()}

    at = minutes[5]
    power = ["powerConsumption"]
    assert values(attrs=power, timerel="before", time_at=at) == {
        "powerConsumption": [0, 1, 2, 3, 4]
    }
    assert values(attrs=power, timerel="after", time_at=at) == {"powerConsumption": [5, 6, 7, 8, 9]}
    assert values(attrs=power, timerel="between", time_at=minutes[2], end_time_at=minutes[4]) == {
        "powerConsumption": [2, 3]
    }
    # lastN: the newest n of each attribute, still oldest first.
    assert values(last_n=2) == {"dimmingLevel": [99, 98], "powerConsumption": [8, 9]}
    assert values(timerel="before", time_at=at, last_n=1) == {
        "dimmingLevel": [98],
        "powerConsumption": [4],
    }


@pytest.mark.parametrize(
    ("kw", "code"),
    [
        ({"timerel": "during", "time_at": T0}, "bad_timerel"),
        ({"timerel": "before"}, "bad_time_at"),
        ({"timerel": "between", "time_at": T0}, "bad_end_time_at"),
        ({"timerel": "between", "time_at": T0, "end_time_at": T0}, "bad_end_time_at"),
        ({"time_at": T0}, "bad_timerel"),
        ({"last_n": 0}, "bad_last_n"),
        ({"aggregate": "2h"}, "bad_bucket"),
    ],
)
def test_malformed_history_queries_are_refused(
    store: TelemetryStore, kw: dict[str, object], code: str
) -> None:
    with pytest.raises(BadRequest) as caught:
        store.history(LAMP, **kw)  # type: ignore[arg-type]
    assert caught.value.code == code


def test_concurrent_records_lose_nothing(store: TelemetryStore) -> None:
    def device(n: int) -> None:
        for k in range(20):
            store.record(
                [
                    obs(f"urn:ngsi-ld:Streetlight:t{n}", "powerConsumption", float(i), at)
                    for i, at in enumerate(T0 + timedelta(seconds=k * 100 + i) for i in range(100))
                ]
            )

    threads = [threading.Thread(target=device, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    store.flush()
    assert raw_count(store) == 6 * 20 * 100
    assert store.stats()["points_written"] == 6 * 20 * 100


def test_close_writes_what_is_queued(services: Services) -> None:
    store = services.telemetry
    store.record([obs(LAMP, "powerConsumption", 1.0, T0)])
    store.close()
    assert raw_count(store) == 1
    store.record([obs(LAMP, "powerConsumption", 2.0, T0 + timedelta(seconds=1))])
    assert store.stats()["points_dropped"] == 1


def expected_buckets(
    points: list[tuple[str, datetime, float]], seconds: int, origin: datetime
) -> dict[tuple[str, datetime], tuple[int, float, float, float]]:
    """Per (entity, bucket): count, min, max, sum, computed the straightforward way."""
    out: dict[tuple[str, datetime], list[float]] = {}
    for entity, at, value in points:
        key = (entity, floor_to(at, seconds, origin))
        f = out.setdefault(key, [0, value, value, 0.0])
        f[0] += 1
        f[1] = min(f[1], value)
        f[2] = max(f[2], value)
        f[3] += value
    return {k: (int(f[0]), f[1], f[2], f[3]) for k, f in out.items()}


def stored_buckets(
    store: TelemetryStore, table: str
) -> dict[tuple[str, datetime], tuple[int, float, float, float]]:
    rows = store.engine.fetch(
        f"SELECT entity_id, bucket, n, min_value, max_value, sum_value FROM {table}"
    )
    return {(r[0], r[1]): (int(r[2]), r[3], r[4], r[5]) for r in rows}


def close(a: dict, b: dict) -> bool:  # type: ignore[type-arg]
    if a.keys() != b.keys():
        return False
    return all(
        x[0] == y[0] and all(abs(p - q) < 1e-6 for p, q in zip(x[1:], y[1:], strict=True))
        for x, y in ((a[k], b[k]) for k in a)
    )


def test_rollups_match_a_straightforward_computation(store: TelemetryStore) -> None:
    rng = random.Random(7)  # noqa: S311 (reproducible test data)
    start = T0.replace(tzinfo=None)
    points = [
        (
            f"urn:ngsi-ld:Streetlight:r{rng.randrange(4)}",
            start + timedelta(seconds=rng.randrange(3 * 86400)),
            round(rng.uniform(-50, 150), 3),
        )
        for _ in range(3000)
    ]
    store.record([obs(e, "powerConsumption", v, at) for e, at, v in points])
    store.record([obs(e, "status", "on", at) for e, at, _ in points[:100]])  # text: not rolled
    store.flush()
    now = start + timedelta(days=3, hours=1)
    store.rollup(now)
    origin = store.origin
    keep = dict(_by_key(points))
    for table, seconds in (("qct_5m", 300), ("qct_1h", 3600), ("qct_1d", 86400)):
        end = floor_to(now, seconds, origin)
        within = [(e, at, v) for e, at, v in keep.values() if at < end]
        assert close(stored_buckets(store, table), expected_buckets(within, seconds, origin))
    # Running again changes nothing; so does a run later in the same bucket.
    before = stored_buckets(store, "qct_5m")
    store.rollup(now)
    store.rollup(now + timedelta(seconds=30))
    assert close(stored_buckets(store, "qct_5m"), before)


def _by_key(
    points: list[tuple[str, datetime, float]],
) -> list[tuple[tuple[str, datetime], tuple[str, datetime, float]]]:
    """The first value of each (entity, time), as the store keeps it."""
    first: dict[tuple[str, datetime], tuple[str, datetime, float]] = {}
    for p in points:
        first.setdefault((p[0], p[1]), p)
    return list(first.items())


def test_late_observations_reopen_their_buckets(store: TelemetryStore) -> None:
    start = T0.replace(tzinfo=None)
    store.record([obs(LAMP, "powerConsumption", 10.0, start + timedelta(minutes=1))])
    store.flush()
    store.rollup(start + timedelta(days=2))
    store.record([obs(LAMP, "powerConsumption", 30.0, start + timedelta(minutes=2))])
    store.flush()
    store.rollup(start + timedelta(days=2))
    day = floor_to(start, 86400, store.origin)
    assert stored_buckets(store, "qct_1d") == {(LAMP, day): (2, 10.0, 30.0, 40.0)}
    assert stored_buckets(store, "qct_5m") == {(LAMP, start): (2, 10.0, 30.0, 40.0)}


def test_series_merges_rollups_and_recent_raw_rows(store: TelemetryStore) -> None:
    start = T0.replace(tzinfo=None)
    stations = [f"urn:ngsi-ld:AirQualityObserved:s{i}" for i in range(3)]
    points = [
        obs(
            s,
            "pm25",
            float(10 * i + m),
            start + timedelta(minutes=m),
            entity_type=AIR_QUALITY,
            district="370102" if i < 2 else "370103",
        )
        for i, s in enumerate(stations)
        for m in range(0, 180, 10)
    ]
    store.record(points)
    store.flush()
    store.rollup(start + timedelta(minutes=95))  # 5-min buckets done until 01:35
    hourly = store.series(
        attribute="pm25",
        start=start,
        end=start + timedelta(hours=3),
        bucket="1h",
        district="370102",
    )
    assert [p.bucket for p in hourly] == [start + timedelta(hours=h) for h in range(3)]
    assert [p.count for p in hourly] == [12, 12, 12]
    first = hourly[0]
    assert (first.min, first.max) == (0.0, 60.0)
    assert first.avg == pytest.approx(
        sum(10 * i + m for i in range(2) for m in range(0, 60, 10)) / 12
    )
    by_type = store.series(
        attribute="pm25",
        start=start,
        end=start + timedelta(hours=3),
        bucket="15m",
        entity_type=AIR_QUALITY,
    )
    assert sum(p.count for p in by_type) == len(points)
    one = store.series(
        attribute="pm25",
        start=start,
        end=start + timedelta(hours=3),
        bucket="1m",
        entity_ids=[stations[2]],
    )
    assert [p.sum for p in one] == [20.0 + m for m in range(0, 180, 10)]
    aggregated = store.history(
        stations[0],
        timerel="between",
        time_at=start,
        end_time_at=start + timedelta(hours=2),
        aggregate="1h",
    )
    assert aggregated == {"pm25": [(start, 25.0), (start + timedelta(hours=1), 85.0)]}


def test_purge_deletes_only_old_raw_rows(store: TelemetryStore) -> None:
    now = T0.replace(tzinfo=None)
    days = store.settings.telemetry_raw_days
    old = now - timedelta(days=days, minutes=5)
    recent = now - timedelta(days=days) + timedelta(minutes=5)
    store.record(
        [
            obs(LAMP, "powerConsumption", 1.0, old),
            obs(LAMP, "powerConsumption", 2.0, recent),
            obs(LAMP, "powerConsumption", 3.0, now - timedelta(minutes=10)),
        ]
    )
    store.flush()
    deleted = store.purge(now)  # rolls up first
    assert deleted[RAW_TABLE] == 1
    assert [v for _, v in store.history(LAMP)["powerConsumption"]] == [2.0, 3.0]
    old_bucket = (LAMP, floor_to(old, 300, store.origin))
    assert stored_buckets(store, "qct_5m")[old_bucket] == (1, 1.0, 1.0, 1.0)
    # A late observation in the purged past does not make a roll-up recompute (and empty)
    # the buckets whose raw rows are gone.
    store.record([obs(LAMP, "powerConsumption", 9.0, old + timedelta(seconds=30))])
    store.flush()
    store.rollup(now + timedelta(hours=1))
    assert stored_buckets(store, "qct_5m")[old_bucket] == (1, 1.0, 1.0, 1.0)
    later = store.purge(now + timedelta(days=3 * 365 + 1))
    assert later["qct_5m"] >= 1
    assert later["qct_1d"] == 0
    assert store.history(LAMP) == {}


def test_purge_keeps_raw_rows_not_rolled_up(store: TelemetryStore) -> None:
    now = T0.replace(tzinfo=None)
    store.record([obs(LAMP, "powerConsumption", 5.0, now - timedelta(days=400))])
    store.flush()
    store.purge(now)
    day = floor_to(now - timedelta(days=400), 86400, store.origin)
    assert stored_buckets(store, "qct_1d") == {(LAMP, day): (1, 5.0, 5.0, 5.0)}


def test_text_with_quotes_and_commas_round_trips(store: TelemetryStore) -> None:
    awkward = 'say "hi", then\nleave; 泉城 \\ done'
    store.record([obs(LAMP, "note", awkward, T0), obs(LAMP, "blank", "", T0)])
    store.flush()
    t = T0.replace(tzinfo=None)
    assert store.history(LAMP) == {"blank": [(t, "")], "note": [(t, awkward)]}


@given(
    st.lists(
        st.tuples(
            st.one_of(
                st.none(),
                st.booleans(),
                st.integers(-(10**6), 10**6),
                st.floats(allow_nan=False, allow_infinity=False),
                st.text(max_size=5),
            ),
            st.datetimes(
                min_value=datetime(2020, 1, 1),
                max_value=datetime(2030, 1, 1),
                timezones=st.sampled_from([None, UTC]),
            ),
        ),
        max_size=20,
    )
)
def test_fast_rows_match_the_plain_conversion(
    items: list[tuple[float | str | bool | None, datetime]],
) -> None:
    batch = [obs(LAMP, f"a{i}", v, at) for i, (v, at) in enumerate(items)]
    assert to_rows(batch) == [r for r in map(to_row, batch) if r is not None]


def test_unique_rows_keeps_the_first_of_each_key() -> None:
    t = datetime(2026, 1, 1)
    rows = [
        ("a", "x", t, "", "", 1.0, None, None),
        ("a", "x", t, "", "", 2.0, None, None),
        ("a", "y", t, "", "", 3.0, None, None),
    ]
    assert unique_rows(rows) == [rows[0], rows[2]]


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.datetimes(min_value=datetime(2001, 1, 1), max_value=datetime(2090, 1, 1)),
    st.sampled_from([60, 300, 900, 3600, 86400]),
)
def test_buckets_hold_their_moment(moment: datetime, seconds: int) -> None:
    origin = bucket_origin("Asia/Shanghai")
    start = floor_to(moment, seconds, origin)
    assert start <= moment < start + timedelta(seconds=seconds)
    assert (start - origin) % timedelta(seconds=seconds) == timedelta(0)
    assert ceil_to(moment, seconds, origin) - moment < timedelta(seconds=seconds)
    assert ceil_to(start, seconds, origin) == start


def test_days_start_at_local_midnight() -> None:
    assert bucket_origin("Asia/Shanghai") == datetime(1999, 12, 31, 16, 0)
