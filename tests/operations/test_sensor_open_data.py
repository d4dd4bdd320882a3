"""Sensor open data: one open version per hour of air quality and spring levels."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from quancheng.catalog.service import CatalogService
from quancheng.db.models import CatalogEntry, OpsEntity
from quancheng.demo.devices import seed_devices
from quancheng.identity.roles import Principal
from quancheng.identity.service import DepartmentFields
from quancheng.operations.model import AIR_QUALITY
from quancheng.operations.sensor_open_data import AIR_FEED, SPRING_FEED, publish_sensor_open_data
from tests.support.city import SmallCity, credit_code

NOON = datetime(2026, 11, 30, 4, 10, tzinfo=UTC)  # 12:10 in Jinan


def _add_water_bureau(city: SmallCity) -> None:
    """The small city has no 水务局 and no 泉水保护 class: add them as the demo city has them."""
    services = city.services
    with services.db.transaction() as s:
        services.identity.add_department(
            s,
            DepartmentFields(
                key="swj",
                name="济南市水务局",
                short_name="市水务局",
                name_en="Jinan Municipal Water Affairs Bureau",
                credit_code=credit_code("00000009X"),
                kind="city_department",
            ),
        )
        CatalogService.add_classification(
            s, code="210004", name="泉水保护", name_en="Spring protection", parent_code="210"
        )


def _seed(city: SmallCity) -> None:
    seed_devices(
        city.services,
        seed=11,
        now=NOON,
        owners={"cgj": "gaj", "jtysj": "gaj"},
        lamps=20,
        cabinets=2,
        groups=2,
        air_stations=12,
        traffic_counters=2,
        springs=8,
    )


def test_air_and_springs_publish_one_open_version_per_hour(city: SmallCity) -> None:
    _add_water_bureau(city)
    _seed(city)
    services = city.services
    first = publish_sensor_open_data(services, NOON)
    assert first == {AIR_FEED.code: "succeeded", SPRING_FEED.code: "succeeded"}
    # Later in the same hour: nothing new, even though a station reported meanwhile.
    with services.db.transaction() as s:
        s.execute(
            update(OpsEntity)
            .where(OpsEntity.type == AIR_QUALITY)
            .values(last_seen_at=NOON + timedelta(minutes=20))
        )
    again = publish_sensor_open_data(services, NOON + timedelta(minutes=40))
    assert set(again.values()) == {"already_published"}
    # The next hour, after the sensors reported again: one more version of each.
    with services.db.transaction() as s:
        s.execute(update(OpsEntity).values(last_seen_at=NOON + timedelta(minutes=65)))
    assert publish_sensor_open_data(services, NOON + timedelta(hours=1)) == first
    # Sensors silent for an hour: the same rows, so no new version (the load says unchanged).
    later = publish_sensor_open_data(services, NOON + timedelta(hours=2))
    assert set(later.values()) == {"unchanged"}
    platform = Principal.system("test")
    for feed, owner, rows in ((AIR_FEED, "sthjj", 12), (SPRING_FEED, "swj", 8)):
        versions = services.datastore.versions(platform, feed.code)
        assert len(versions) == 2
        assert versions[0].row_count == rows
        with services.db.reader() as s:
            entry = s.scalars(select(CatalogEntry).where(CatalogEntry.code == feed.code)).one()
            assert entry.status == "published"
            assert entry.open_type == "open"
            assert entry.department_id == city.departments.get(owner, entry.department_id)


def test_the_open_entry_can_be_read_by_a_visitor(city: SmallCity) -> None:
    _seed(city)
    services = city.services
    outcome = publish_sensor_open_data(services, NOON)
    # Without 水务局 the springs wait for their owner; air quality goes out.
    assert outcome == {AIR_FEED.code: "succeeded", SPRING_FEED.code: "no_owner"}
    visitor = Principal.anonymous(public_catalog=True)
    result = services.reads.rows(visitor, AIR_FEED.code, [], total=True)
    assert result.page.total == 12
    names = [c.name for c in result.columns]
    assert "空气质量指数" in names and "细颗粒物浓度" in names


def test_nothing_to_publish_without_sensors(city: SmallCity) -> None:
    outcome = publish_sensor_open_data(city.services, NOON)
    assert outcome[AIR_FEED.code] == "no_sensors"
