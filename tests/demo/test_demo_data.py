"""The demo's rows go through the real load path and read back as a visitor sees them."""

from __future__ import annotations

from quancheng.app import Services
from quancheng.demo.build import LARGE_ENTRY_NAME, load_demo_data, load_large_table
from quancheng.identity.roles import Principal
from tests.support.city import SmallCity, entry_fields


def publish(city: SmallCity, **fields: object) -> int:
    steward = city.principals["env_steward"]
    entry = city.services.catalog.create(steward, department="sthjj", fields=entry_fields(**fields))
    city.services.catalog.submit(steward, entry.id)
    city.services.catalog.publish(steward, entry.id)
    return entry.id


def test_demo_rows_load_for_the_entries_people_look_for(
    services: Services, city: SmallCity
) -> None:
    air = publish(city)

    tables, rows = load_demo_data(services, seed=7, limit=5)

    assert tables == 1 and rows > 0
    anonymous = Principal.anonymous(public_catalog=True)
    page = services.reads.rows(anonymous, air, [("_limit", "5")], total=True)
    assert page.page.total == rows
    assert [c.label for c in page.columns] == ["监测站点", "监测时间", "PM2.5浓度"]
    assert all(isinstance(r[2], int | float) for r in page.page.rows if r[2] is not None)


def test_the_scale_table_is_filed_under_a_bus_entry_and_loaded_once(
    services: Services, city: SmallCity
) -> None:
    publish(city, name="公交线路基础信息")

    code = load_large_table(services, rows=2_000)

    assert load_large_table(services, rows=2_000) == code
    info = services.datastore.dataset(Principal.system("test"), code)
    assert info.entry_name == LARGE_ENTRY_NAME
    assert info.current is not None and info.current.row_count == 2_000
    assert [v.number for v in services.datastore.versions(Principal.system("t"), code)] == [1]
