"""The simulated Jinan fleet: where it is, what it reports, and a short run over HTTP."""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import uvicorn
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from quancheng.app import Services, create_app
from quancheng.db.models import OpsEntity
from quancheng.operations.model import (
    AIR_QUALITY,
    CONTROL_CABINET,
    STREETLIGHT,
    STREETLIGHT_GROUP,
    TRAFFIC_FLOW,
    WATER_LEVEL,
)
from quancheng.operations.simulator import (
    BOUNDS,
    CITY_OUTLINE,
    DISTRICTS,
    Physics,
    Simulator,
    aqi,
    build_fleet,
    district_at,
    districts_geojson,
    entity,
    iaqi,
    inside,
)
from quancheng.settings import Settings
from tests.conftest import FAST_PASSWORDS
from tests.support.city import SmallCity, seed_small_city
from tests.support.live import free_socket
from tests.support.mosquitto import mosquitto_broker, mosquitto_url  # noqa: F401

TZ = ZoneInfo("Asia/Shanghai")
FLEET = build_fleet(lamps=3000, air_stations=20, traffic_counters=30, springs=8, seed=1)
PHYSICS = Physics(FLEET, seed=1)
GEOJSON = Path(__file__).parents[2] / "src/quancheng/web/static/geo/jinan-districts.json"
moments = st.datetimes(
    min_value=datetime(2024, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(UTC)
)


def _value(attrs: dict[str, dict[str, object]], name: str) -> float:
    value = attrs[name]["value"]
    assert isinstance(value, int | float)
    return float(value)


# -- the fleet --------------------------------------------------------------------------------


def test_every_device_is_in_jinan_and_in_its_own_district() -> None:
    west, south, east, north = BOUNDS
    for device in FLEET.all():
        assert west <= device.lon <= east and south <= device.lat <= north, device.id
        assert district_at(device.lon, device.lat) == device.district, device.id
    assert {d.code for d in DISTRICTS} == {lamp.district for lamp in FLEET.lamps}


def test_the_fleet_has_the_asked_sizes_and_the_urban_districts_are_densest() -> None:
    assert len(FLEET.lamps) == 3000
    assert len(FLEET.air_stations) == 20 and len(FLEET.traffic_counters) == 30
    assert {s.name for s in FLEET.springs} >= {"趵突泉", "黑虎泉", "五龙潭", "珍珠泉"}
    per_district = Counter(lamp.district for lamp in FLEET.lamps)
    assert per_district["370102"] > per_district["370124"]  # 历下区 > 平阴县
    # Every air station district is a real one, and each of the 12 has a station.
    assert {s.district for s in FLEET.air_stations} == {d.code for d in DISTRICTS}
    # Lamps belong to a group and a cabinet of their own district.
    groups = {g.id: g for g in FLEET.groups}
    cabinets = {c.id: c for c in FLEET.cabinets}
    for lamp in FLEET.lamps:
        assert groups[lamp.group_id].district == lamp.district
        assert cabinets[lamp.cabinet_id].district == lamp.district


def test_lamps_stand_along_roads_about_35_metres_apart() -> None:
    by_group: dict[str, list[tuple[float, float]]] = {}
    for lamp in FLEET.lamps:
        by_group.setdefault(lamp.group_id, []).append((lamp.lon, lamp.lat))
    gaps = []
    for points in by_group.values():
        for (x1, y1), (x2, y2) in itertools.pairwise(points):
            dx = (x2 - x1) * 111_000 * 0.80
            dy = (y2 - y1) * 111_000
            gaps.append((dx * dx + dy * dy) ** 0.5)
    typical = sorted(gaps)[len(gaps) // 2]
    assert 30 < typical < 40


def test_the_same_seed_builds_the_same_fleet() -> None:
    again = build_fleet(lamps=3000, air_stations=20, traffic_counters=30, springs=8, seed=1)
    places = [(d.id, d.lon, d.lat) for d in FLEET.all()]
    assert [(d.id, d.lon, d.lat) for d in again.all()] == places


def test_the_shipped_district_map_is_the_generated_one_and_holds_each_centre() -> None:
    shipped = json.loads(GEOJSON.read_text(encoding="utf-8"))
    assert shipped == json.loads(json.dumps(districts_geojson()))
    for feature, district in zip(shipped["features"], DISTRICTS, strict=True):
        assert feature["properties"]["name"] == district.name
        ring = [tuple(p) for p in feature["geometry"]["coordinates"][0]]
        assert inside(district.lon, district.lat, ring)
    for district in DISTRICTS:
        assert inside(district.lon, district.lat, CITY_OUTLINE)


def test_entities_name_their_district_group_and_place() -> None:
    lamp = FLEET.lamps[0]
    body = entity(lamp, PHYSICS.reading(lamp, datetime.now(UTC)))
    assert body["type"] == STREETLIGHT
    assert body["districtCode"]["value"] == lamp.district
    assert body["refStreetlightGroup"]["object"] == lamp.group_id
    assert body["location"]["value"]["coordinates"] == [lamp.lon, lamp.lat]
    assert body["powerState"]["value"] in ("on", "off")


# -- readings ---------------------------------------------------------------------------------


@given(st.sampled_from(["pm25", "pm10", "o3", "no2"]), st.floats(0, 5000), st.floats(0, 5000))
def test_the_air_quality_index_is_monotone_and_bounded(pollutant: str, a: float, b: float) -> None:
    low, high = sorted((a, b))
    assert 0 <= iaqi(pollutant, low) <= iaqi(pollutant, high) <= 500


def test_the_aqi_matches_the_standards_breakpoints() -> None:
    assert aqi({"pm25": 35}) == 50
    assert aqi({"pm25": 75}) == 100
    assert aqi({"pm25": 115, "pm10": 50}) == 150
    assert aqi({"pm25": 10, "o3": 200}) == 100


@settings(max_examples=60, deadline=None)
@given(moments, st.integers(0, 19))
def test_air_readings_are_plausible_at_any_time(moment: datetime, index: int) -> None:
    attrs = PHYSICS.air(FLEET.air_stations[index], moment)
    assert 3 <= _value(attrs, "pm25") <= 400
    assert _value(attrs, "pm10") >= _value(attrs, "pm25")
    assert 0 < _value(attrs, "airQualityIndex") <= 500


@settings(max_examples=60, deadline=None)
@given(moments, st.integers(0, 29))
def test_traffic_readings_are_plausible_at_any_time(moment: datetime, index: int) -> None:
    attrs = PHYSICS.traffic(FLEET.traffic_counters[index], moment)
    assert _value(attrs, "intensity") >= 0
    assert 8 <= _value(attrs, "averageVehicleSpeed") <= 55
    assert 0 <= _value(attrs, "occupancy") <= 1


@settings(max_examples=40, deadline=None)
@given(moments, st.integers(0, 7))
def test_spring_levels_stay_near_their_usual_range(moment: datetime, index: int) -> None:
    gauge = FLEET.springs[index]
    level = _value(PHYSICS.spring(gauge, moment), "height")
    assert abs(level - gauge.static["baseLevel"]) < 0.6


def test_the_rush_hour_is_busier_than_the_night() -> None:
    day = datetime(2026, 11, 25, tzinfo=TZ)  # a Wednesday
    total = {
        hour: sum(
            _value(PHYSICS.traffic(c, day + timedelta(hours=hour)), "intensity")
            for c in FLEET.traffic_counters
        )
        for hour in (3, 8, 18)
    }
    assert total[8] > 3 * total[3] and total[18] > 3 * total[3]


def test_air_has_a_daily_cycle() -> None:
    day = datetime(2026, 1, 14, tzinfo=TZ)
    station = FLEET.air_stations[0]
    pm = [_value(PHYSICS.air(station, day + timedelta(hours=h)), "pm25") for h in range(24)]
    assert max(pm) > 1.3 * min(pm)


def test_lamps_switch_on_in_a_burst_at_dusk_and_off_by_day() -> None:
    day = datetime(2026, 6, 21, tzinfo=TZ).date()
    sunrise, sunset = PHYSICS.sun(day)
    assert 19 <= sunset.hour <= 20 and 4 <= sunrise.hour <= 5  # Jinan at midsummer

    def lit(moment: datetime) -> int:
        return sum(1 for lamp in FLEET.lamps if PHYSICS.lamp_lit(lamp, moment))

    n = len(FLEET.lamps)
    assert lit(sunset - timedelta(minutes=10)) == 0
    assert 0 < lit(sunset) < n
    assert lit(sunset + timedelta(minutes=10)) == n
    noon = datetime.combine(day, datetime.min.time(), TZ) + timedelta(hours=12)
    assert lit(noon) == 0


def test_about_half_a_percent_of_the_lamps_are_faulty() -> None:
    moments_ = [datetime(2026, 3, 1, tzinfo=UTC) + timedelta(days=7 * i) for i in range(8)]
    rates = [
        sum(1 for lamp in FLEET.lamps if PHYSICS.lamp_fault(lamp, m)) / len(FLEET.lamps)
        for m in moments_
    ]
    assert 0.001 < sum(rates) / len(rates) < 0.02
    # A failed lamp is dark at night (except a lamp stuck on).
    night = datetime(2026, 3, 1, 23, tzinfo=TZ)
    for lamp in FLEET.lamps:
        fault = PHYSICS.lamp_fault(lamp, night)
        if fault in ("lampFailure", "relayFailure", "supplyLoss"):
            assert PHYSICS.lamp(lamp, night)["powerState"]["value"] == "off"


def test_cabinet_energy_grows_through_the_night() -> None:
    cabinet = FLEET.cabinets[0]
    evening = datetime(2026, 12, 1, 19, tzinfo=TZ)
    readings = [
        _value(PHYSICS.cabinet(cabinet, evening + timedelta(hours=h)), "energyConsumed")
        for h in range(5)
    ]
    assert readings == sorted(readings) and readings[-1] > readings[0] > 0


# -- a short run against the real app over HTTP -----------------------------------------------


@pytest.fixture
def platform(tmp_path: Path) -> Iterator[tuple[str, SmallCity]]:
    """The app served by uvicorn on 127.0.0.1, with the small test city."""
    settings_ = Settings(
        data_dir=tmp_path / "data",
        database_url=f"sqlite:///{tmp_path / 'meta.sqlite3'}",
        secret_key="simulator-test-secret-0123456789",
    )
    services = Services.from_settings(settings_, passwords=FAST_PASSWORDS)
    services.db.migrate()
    city = seed_small_city(services)
    sock = free_socket()
    app = create_app(settings_, services=services)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}", city
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
        services.close()


def test_a_short_run_creates_the_entities_and_sends_batches(
    platform: tuple[str, SmallCity],
) -> None:
    url, city = platform
    fleet = build_fleet(lamps=120, air_stations=12, traffic_counters=6, springs=4, seed=2)
    start = datetime.now(UTC) - timedelta(minutes=5)
    ticks = iter(range(10_000))
    sim = Simulator(
        fleet,
        url=url,
        token=city.tokens["admin"],
        rate=2000,
        batch_size=50,
        owners={"cgj": "gaj", "jtysj": "gaj", "swj": "sthjj"},
        # Each reading a second after the last: every message is news to the platform.
        clock=lambda: start + timedelta(seconds=next(ticks)),
    )
    try:
        created = sim.create_entities()
        if sim.stats.last_error.startswith("404"):
            pytest.skip("the NGSI-LD upsert route is not wired into the app yet")
        assert created == len(fleet.all()) and sim.stats.errors == 0, sim.stats.last_error
        services = city.services
        with services.db.reader() as s:
            by_type = dict(
                s.execute(select(OpsEntity.type, func.count()).group_by(OpsEntity.type)).all()
            )
            lamp = s.get_one(OpsEntity, fleet.lamps[0].id)
            station = s.get_one(OpsEntity, fleet.air_stations[0].id)
        assert by_type == {
            STREETLIGHT: 120,
            STREETLIGHT_GROUP: len(fleet.groups),
            CONTROL_CABINET: len(fleet.cabinets),
            AIR_QUALITY: 12,
            TRAFFIC_FLOW: 6,
            WATER_LEVEL: 4,
        }
        # The platform read the district, group, place and owner from the entities.
        assert lamp.district == fleet.lamps[0].district
        assert lamp.group_id == fleet.lamps[0].group_id
        assert lamp.department_id == city.departments["gaj"]
        assert station.department_id == city.departments["sthjj"]
        # Then readings in batches: all accepted, the latest state moves on.
        sim.run(max_messages=300)
        assert sim.stats.messages == 300 and sim.stats.errors == 0, sim.stats.last_error
        assert sim.stats.batches >= 300 // 50
        with services.db.reader() as s:
            after = s.get_one(OpsEntity, fleet.lamps[0].id)
        assert after.attrs["powerState"]["observedAt"] != lamp.attrs["powerState"]["observedAt"]
        assert (
            city.services.board.board(city.principals["admin"])["summary"]["lamps"]["total"] == 120
        )
    finally:
        sim.close()


def test_the_simulate_command_runs_a_small_fleet(platform: tuple[str, SmallCity]) -> None:
    from click.testing import CliRunner

    from quancheng.cli import main

    url, city = platform
    owners = ["--owner", "cgj=gaj", "--owner", "jtysj=gaj", "--owner", "swj=sthjj"]
    result = CliRunner().invoke(
        main,
        [
            "simulate",
            "--url",
            url,
            "--token",
            city.tokens["admin"],
            "--lamps",
            "40",
            "--air-stations",
            "12",
            "--traffic-counters",
            "4",
            "--springs",
            "2",
            "--rate",
            "100",
            "--duration",
            "1",
            "--wait",
            "5",
            *owners,
        ],
    )
    assert result.exit_code == 0, result.output
    assert "0 errors" in result.output
    with city.services.db.reader() as s:
        lamps = s.scalar(
            select(func.count()).select_from(OpsEntity).where(OpsEntity.type == STREETLIGHT)
        )
    assert lamps == 40


def test_readings_over_mqtt_reach_the_latest_state(
    city: SmallCity,
    mosquitto_url: str,  # noqa: F811
) -> None:
    from quancheng.demo.devices import seed_devices
    from quancheng.operations.mqtt import MqttBridge

    services = city.services
    owners = {"cgj": "gaj", "jtysj": "gaj", "swj": "sthjj"}
    sizes = {"lamps": 30, "air_stations": 12, "traffic_counters": 3, "springs": 2}
    seed_devices(services, seed=9, owners=owners, cabinets=2, groups=3, **sizes)
    fleet = build_fleet(**sizes, groups=3, cabinets=2, seed=9)
    station = fleet.air_stations[0]
    with services.db.reader() as s:
        before = s.get_one(OpsEntity, station.id).attrs["pm25"]["observedAt"]
    later = datetime.now(UTC) + timedelta(seconds=1)
    bridge = MqttBridge(mosquitto_url, services.entities)
    bridge.start()
    assert bridge.wait_connected(10), "the bridge did not connect"  # and subscribed
    sim = Simulator(
        fleet, url="http://127.0.0.1:9", mqtt_url=mosquitto_url, rate=500, clock=lambda: later
    )
    try:
        sim.run(max_messages=len(fleet.all()) - len(fleet.groups))
        assert sim.stats.errors == 0
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with services.db.reader() as s:
                now_seen = s.get_one(OpsEntity, station.id).attrs["pm25"]["observedAt"]
            if now_seen != before:
                break
            time.sleep(0.1)
        assert now_seen != before
    finally:
        sim.close()
        bridge.stop()
