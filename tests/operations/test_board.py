"""The big screen's figures on a seeded fleet: counts match the rows, faults are counted."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from quancheng.db.models import OpsAlarm, OpsEntity
from quancheng.demo.devices import seed_devices
from quancheng.errors import NotAuthenticated, PermissionDenied
from quancheng.identity.roles import Principal
from quancheng.operations.model import STREETLIGHT
from quancheng.operations.simulator import DISTRICTS
from tests.support.city import SmallCity

# The small test city has no 城市管理局 / 交通局 / 水务局: the police and 生态环境局 stand in.
OWNERS = {"cgj": "gaj", "jtysj": "gaj", "swj": "sthjj"}
# 21:00 in Jinan: every working lamp is on.
NIGHT = datetime(2026, 11, 30, 13, 0, tzinfo=UTC)


def _seed(city: SmallCity, lamps: int = 300) -> dict[str, int]:
    return seed_devices(
        city.services,
        seed=3,
        now=NIGHT,
        owners=OWNERS,
        lamps=lamps,
        cabinets=12,
        groups=24,
        air_stations=12,
        traffic_counters=12,
        springs=8,
    )


def _break(city: SmallCity, lamp_ids: list[str]) -> None:
    """Report a lamp failure on some lamps, the way a device update leaves the row."""
    with city.services.db.transaction() as s:
        for lamp_id in lamp_ids:
            row = s.get_one(OpsEntity, lamp_id)
            attrs = dict(row.attrs)
            attrs["lampFailure"] = {"type": "Property", "value": True}
            attrs["powerState"] = {"type": "Property", "value": "off"}
            row.attrs = attrs


def test_lamp_counts_per_district_match_the_rows_and_faults_are_counted(city: SmallCity) -> None:
    counts = _seed(city)
    assert counts[STREETLIGHT] == 300
    with city.services.db.reader() as s:
        lamps = s.execute(
            select(OpsEntity.id, OpsEntity.district).where(OpsEntity.type == STREETLIGHT)
        ).all()
    per_district = Counter(d for _, d in lamps)
    # Break two healthy lamps of 历下区: they move from "on" to "faulty".
    board = city.services.board
    before = board.lamps_by_district()
    lixia = sorted(i for i, d in lamps if d == "370102")[:2]
    _break(city, lixia)
    after = board.lamps_by_district()
    for code, n in per_district.items():
        assert after[code]["total"] == n
        assert after[code]["on"] + after[code]["off"] + after[code]["faulty"] == n
    assert after["370102"]["faulty"] == before["370102"]["faulty"] + 2
    assert after["370102"]["on"] == before["370102"]["on"] - 2
    assert sum(c["total"] for c in after.values()) == 300


def test_the_board_shows_every_district_energy_air_traffic_springs(city: SmallCity) -> None:
    _seed(city)
    data = city.services.board.board(city.principals["gaj_user"], now=NIGHT)
    assert [d["code"] for d in data["districts"]] == [d.code for d in DISTRICTS]
    assert data["summary"]["lamps"]["total"] == 300
    # Seeded at 21:00 local: the cabinets have used energy since dusk, all of it today.
    assert data["summary"]["energy_kwh"] > 0
    # Every district has a station (12 of them, one each) and an AQI in the plausible range.
    assert all(d["aqi"] is not None and 0 < d["aqi"] <= 500 for d in data["districts"])
    assert data["summary"]["vehicles"] >= 0
    assert len(data["springs"]) == 8
    assert {s["name"] for s in data["springs"]} >= {"趵突泉", "黑虎泉"}
    assert all(27 < s["level"] < 40 for s in data["springs"])
    # Clusters, never points: far fewer cells than lamps, and they add up.
    clusters = data["clusters"]
    assert 0 < len(clusters) < 300
    assert sum(c["count"] for c in clusters) == 300


def test_yesterdays_meter_readings_are_not_todays_energy(city: SmallCity) -> None:
    _seed(city)
    board = city.services.board
    later = NIGHT + timedelta(days=1)
    assert board.board(city.principals["admin"], now=later)["summary"]["energy_kwh"] == 0


def test_open_alarms_are_listed_newest_first_and_counted_per_district(city: SmallCity) -> None:
    _seed(city)
    with city.services.db.transaction() as s:
        lamp = s.scalars(select(OpsEntity).where(OpsEntity.type == STREETLIGHT).limit(1)).one()
        for i, state in enumerate(("active", "acknowledged", "cleared")):
            s.add(
                OpsAlarm(
                    entity_id=lamp.id,
                    department_id=lamp.department_id,
                    dedupe_key=f"flag:lampFailure|{lamp.id}|{i}",
                    kind="flag",
                    severity="major",
                    state=state,
                    message="lampFailure",
                    raised_at=NIGHT - timedelta(minutes=10 - i),
                )
            )
        district = lamp.district
    data = city.services.board.board(city.principals["env_steward"], now=NIGHT)
    assert [a["state"] for a in data["alarms"]] == ["acknowledged", "active"]
    assert data["summary"]["alarms"]["active"] == 1
    assert data["summary"]["alarms"]["acknowledged"] == 1
    by_code = {d["code"]: d["alarms"] for d in data["districts"]}
    assert by_code[district] == 2
    assert sum(h["raised"] for h in data["trends"]["alarms_per_hour"]) == 3


def test_a_lamp_report_dated_yesterday_still_counts_as_a_lamp(city: SmallCity) -> None:
    _seed(city, lamps=50)
    with city.services.db.transaction() as s:
        s.execute(update(OpsEntity).values(last_seen_at=NIGHT - timedelta(days=3)))
    board = city.services.board.lamps_by_district()
    assert sum(c["total"] for c in board.values()) == 50


def test_only_government_users_see_the_board(city: SmallCity) -> None:
    board = city.services.board
    with pytest.raises(NotAuthenticated):
        board.board(Principal.anonymous(public_catalog=True))
    with pytest.raises(PermissionDenied):
        board.board(city.principals["citizen"])
    for user in ("gaj_user", "env_steward", "admin"):
        assert board.board(city.principals[user])["summary"]["lamps"]["total"] == 0


def test_seeding_twice_adds_nothing(city: SmallCity) -> None:
    _seed(city, lamps=40)
    again = _seed(city, lamps=40)
    assert again == {}


def test_hourly_trends_come_from_the_telemetry_history(city: SmallCity) -> None:
    from quancheng.operations.model import Observation

    services = city.services
    board = services.board
    assert board.telemetry is services.telemetry  # wired by the app
    assert board.compute(NIGHT)["trends"]["aqi_hourly"] == []
    telemetry = services.telemetry
    station_dept = city.departments["sthjj"]
    observations = [
        Observation(
            entity_id=f"urn:ngsi-ld:AirQualityObserved:t-{i}",
            entity_type="AirQualityObserved",
            department_id=station_dept,
            district="370102",
            group_id="",
            attribute="airQualityIndex",
            value=float(value),
            observed_at=NIGHT - timedelta(hours=hours_ago, minutes=10),
        )
        for i, (value, hours_ago) in enumerate(((50, 2), (70, 2), (120, 1)))
    ]
    telemetry.record(observations)
    telemetry.flush()
    hourly = board.compute(NIGHT)["trends"]["aqi_hourly"]
    assert [p["mean"] for p in hourly] == [60.0, 120.0]
