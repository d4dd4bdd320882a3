"""Usage of open data: counted from real requests, per entry and city day, without personal data."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import inspect, select

from quancheng.app import API_PREFIX, Services, create_app
from quancheng.db.models import PortalUsage
from quancheng.errors import BadRequest
from quancheng.opendata.usage import UsageCounter, UsageFigures, parse_period
from quancheng.settings import Settings
from tests.support.city import SmallCity, entry_fields


def app_with_stats(settings: Settings, services: Services) -> FastAPI:
    """The app, with the portal figures' routes mounted if the app does not mount them yet."""
    app = create_app(settings, services=services)
    paths = {getattr(r, "path", "") for r in app.routes}
    if f"{API_PREFIX}/portal/usage" not in paths:
        from quancheng.api import portal_stats

        app.include_router(portal_stats.router, prefix=API_PREFIX)
    return app


@pytest.fixture
def stats_client(services: Services, settings: Settings) -> Iterator[TestClient]:
    """An HTTP client of the app with the portal figures' routes."""
    with TestClient(app_with_stats(settings, services)) as c:
        yield c


def publish(city: SmallCity, **overrides: Any) -> int:
    """A published entry of 生态环境局."""
    steward = city.principals["env_steward"]
    catalog = city.services.catalog
    entry = catalog.create(steward, department="sthjj", fields=entry_fields(**overrides))
    catalog.submit(steward, entry.id)
    catalog.publish(steward, entry.id)
    return entry.id


def load(city: SmallCity, entry_id: int, tmp_path: Path) -> str:
    """Load three rows into the entry; return its SQL table name."""
    path = tmp_path / f"air-{entry_id}.csv"
    path.write_text(
        "监测站点,监测时间,PM2.5浓度\n"
        "市监测站,2024-01-05 08:00:00,35.5\n"
        "开发区,2024-01-05 09:00:00,41.0\n"
        "趵突泉,2024-01-05 10:00:00,28.0\n",
        encoding="utf-8",
    )
    steward = city.principals["env_steward"]
    job = city.services.datastore.start_load(steward, entry_id, source_name=path.name)
    done = city.services.datastore.run_load(job.id, path)
    assert done.status == "succeeded", done.message
    return city.services.datastore.dataset(steward, entry_id).table


def usage_rows(services: Services) -> dict[tuple[int, str], tuple[int, int, int]]:
    """What portal_usage holds: (entry, day) -> (views, downloads, api calls)."""
    with services.db.reader() as s:
        return {
            (u.entry_id, u.day): (u.views, u.downloads, u.api_calls)
            for u in s.scalars(select(PortalUsage))
        }


def test_api_and_ckan_reads_are_counted_per_entry_and_day(
    city: SmallCity, services: Services, stats_client: TestClient, tmp_path: Path
) -> None:
    air = publish(city)
    table = load(city, air, tmp_path)
    other = publish(city, name="水质自动监测数据", name_en="Water quality")
    load(city, other, tmp_path)
    client = stats_client
    assert client.get(f"/api/v1/datasets/{air}/rows").status_code == 200
    assert client.get(f"/api/v1/datasets/{air}/rows", params={"_limit": 1}).status_code == 200
    exported = client.get(f"/api/v1/datasets/{air}/export.csv")
    assert exported.status_code == 200 and "开发区" in exported.content.decode("utf-8-sig")
    assert client.get(f"/api/v1/datasets/{other}/export.json").status_code == 200
    search = client.get("/api/3/action/datastore_search", params={"resource_id": table})
    assert search.json()["success"] is True
    sql = client.get(
        "/api/3/action/datastore_search_sql", params={"sql": f'SELECT COUNT(*) AS n FROM "{table}"'}
    )
    assert sql.json()["result"]["records"] == [{"n": 3}]
    services.usage.count(air, "view")  # the portal's entry page counts its own views

    assert usage_rows(services) == {}  # nothing written before the flush
    assert services.usage.flush() == 7
    today = services.usage.today().isoformat()
    assert usage_rows(services) == {(air, today): (1, 1, 4), (other, today): (0, 1, 0)}

    # A later flush adds to the same row rather than writing a second one.
    client.get(f"/api/v1/datasets/{air}/rows")
    services.usage.close()
    assert usage_rows(services)[(air, today)] == (1, 1, 5)


def test_failed_reads_are_not_counted(
    city: SmallCity, services: Services, stats_client: TestClient, tmp_path: Path
) -> None:
    air = publish(city)
    load(city, air, tmp_path)
    bad = stats_client.get(f"/api/v1/datasets/{air}/rows", params={"nope__eq": "1"})
    assert bad.status_code == 400
    assert stats_client.get("/api/v1/datasets/999999/rows").status_code == 404
    services.usage.flush()
    assert usage_rows(services) == {}


def test_only_published_open_or_conditional_entries_are_counted(
    city: SmallCity, services: Services, tmp_path: Path
) -> None:
    opened = publish(city)
    conditional = publish(
        city, name="排污数据", open_type="conditional", open_conditions="科研用途"
    )
    closed = publish(city, name="执法线索", open_type="closed")
    steward = city.principals["env_steward"]
    draft = services.catalog.create(steward, department="sthjj", fields=entry_fields()).id
    for entry_id in (opened, conditional, closed, draft, 987654):
        services.usage.count(entry_id, "download")
    assert services.usage.flush() == 2
    assert {entry for entry, _ in usage_rows(services)} == {opened, conditional}


def test_the_table_holds_no_personal_data(services: Services) -> None:
    columns = {c["name"] for c in inspect(services.db.engine).get_columns("portal_usage")}
    assert columns == {"entry_id", "day", "views", "downloads", "api_calls"}


def test_the_day_is_the_city_day(city: SmallCity, services: Services) -> None:
    entry = publish(city)
    counter = services.usage
    # 17:30 UTC on 5 January is already 6 January in Jinan (UTC+8).
    counter.clock = lambda: datetime(2024, 1, 5, 17, 30, tzinfo=UTC)
    counter.count(entry, "view")
    counter.clock = lambda: datetime(2024, 1, 5, 15, 30, tzinfo=UTC)
    counter.count(entry, "view")
    counter.flush()
    assert usage_rows(services) == {
        (entry, "2024-01-06"): (1, 0, 0),
        (entry, "2024-01-05"): (1, 0, 0),
    }


def test_counting_from_many_threads_loses_nothing(city: SmallCity, services: Services) -> None:
    entries = [publish(city, name=f"监测数据{i}") for i in range(3)]
    counter = services.usage
    counter.max_pending = 2  # every few counts wakes the background writer
    per_thread = 300
    kinds = ("view", "download", "api")

    def work(n: int) -> None:
        for i in range(per_thread):
            counter.count(entries[(n + i) % len(entries)], kinds[i % 3])
            if i % 50 == 0:
                counter.flush()

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    counter.close()
    rows = usage_rows(services)
    assert sum(sum(v) for v in rows.values()) == 8 * per_thread
    assert sum(v[0] for v in rows.values()) == 8 * per_thread // 3
    assert counter.pending() == 0


def test_unknown_kinds_are_a_programming_error(services: Services) -> None:
    with pytest.raises(ValueError, match="unknown usage kind"):
        services.usage.count(1, "like")


def test_figures_per_entry_department_city_and_day(city: SmallCity, services: Services) -> None:
    air = publish(city)
    water = publish(city, name="水质数据")
    counter: UsageCounter = services.usage
    for day, entry, kind, n in (
        (datetime(2024, 3, 1, 2, tzinfo=UTC), air, "view", 5),
        (datetime(2024, 3, 1, 2, tzinfo=UTC), air, "api", 7),
        (datetime(2024, 3, 2, 2, tzinfo=UTC), water, "download", 3),
        (datetime(2024, 2, 1, 2, tzinfo=UTC), water, "view", 100),  # before the period
    ):
        counter.clock = lambda day=day: day
        for _ in range(n):
            counter.count(entry, kind)
    counter.flush()
    start, end = date(2024, 3, 1), date(2024, 3, 3)
    assert counter.entry_figures(air, start, end) == UsageFigures(5, 0, 7)
    assert counter.totals(start, end) == UsageFigures(5, 3, 7)
    [dept] = counter.by_department(start, end)
    assert (dept.key, dept.entries, dept.figures.total) == ("sthjj", 2, 15)
    assert [e.entry_id for e in counter.by_entry(start, end)] == [air, water]
    assert counter.by_entry(start, end, department="gaj") == []
    days = counter.by_day(start, end)
    assert [(d.day, d.figures.total) for d in days] == [
        ("2024-03-01", 12),
        ("2024-03-02", 3),
        ("2024-03-03", 0),
    ]
    report = counter.report(start, end, department="sthjj")
    assert report.total == UsageFigures(5, 3, 7)
    assert [d.figures.total for d in report.days] == [12, 3, 0]
    assert [d.figures.total for d in counter.by_day(start, end, department="gaj")] == [0, 0, 0]
    assert [d.figures.total for d in counter.by_day(start, end, entry_id=water)] == [0, 3, 0]


def test_usage_api_answers_per_department_and_entry(
    city: SmallCity, services: Services, stats_client: TestClient
) -> None:
    air = publish(city)
    for _ in range(4):
        services.usage.count(air, "download")
    services.usage.flush()
    body = stats_client.get("/api/v1/portal/usage").json()
    assert body["total"] == {"views": 0, "downloads": 4, "api_calls": 0, "total": 4}
    assert body["departments"][0]["key"] == "sthjj"
    assert body["entries"][0]["entry_id"] == air
    assert len(body["days"]) == 30
    other = publish(city, name="水质数据")
    services.usage.count(other, "view")
    services.usage.flush()
    one = stats_client.get("/api/v1/portal/usage", params={"entry": other}).json()
    assert one["total"]["total"] == 1 and [e["entry_id"] for e in one["entries"]] == [other]
    assert sum(d["figures"]["views"] for d in one["days"]) == 1
    by_dept = stats_client.get("/api/v1/portal/usage", params={"department": "gaj"}).json()
    assert by_dept["total"]["total"] == 0 and by_dept["entries"] == []
    narrow = stats_client.get(
        "/api/v1/portal/usage", params={"start": "2020-01-01", "end": "2020-01-31"}
    ).json()
    assert narrow["total"]["total"] == 0
    wrong = stats_client.get(
        "/api/v1/portal/usage", params={"start": "2020-02-01", "end": "2020-01-31"}
    )
    assert wrong.status_code == 400 and wrong.json()["error"]["code"] == "bad_period"


@given(st.dates(min_value=date(2000, 1, 1)), st.integers(min_value=1, max_value=400))
def test_a_default_period_ends_today_and_has_its_length(today: date, days: int) -> None:
    start, end = parse_period(None, None, today=today, default_days=days)
    assert end == today
    assert (end - start).days == days - 1


def test_a_period_must_be_in_order() -> None:
    with pytest.raises(BadRequest):
        parse_period("2024-02-01", "2024-01-01", today=date(2024, 3, 1))
    with pytest.raises(BadRequest):
        parse_period("yesterday", None, today=date(2024, 3, 1))


def test_the_demo_seeds_half_a_year_of_plausible_usage(city: SmallCity, services: Services) -> None:
    from quancheng.demo.usage import seed_usage

    popular = publish(city, name="公交线路站点数据")
    quiet = publish(city, name="林地资源台账", open_type="conditional", open_conditions="科研")
    publish(city, name="执法线索", open_type="closed")
    today = date(2024, 6, 30)
    first = seed_usage(services, seed=7, days=180, today=today)
    again = seed_usage(services, seed=7, days=180, today=today)
    assert first == again  # rebuilding replaces the period instead of adding to it
    rows = usage_rows(services)
    assert len(rows) == first["rows"] and {e for e, _ in rows} <= {popular, quiet}
    assert min(d for _, d in rows) >= "2024-01-02" and max(d for _, d in rows) <= "2024-06-30"
    start, end = date(2024, 1, 1), today
    counter = services.usage
    assert counter.totals(start, end).views == first["views"] > 0
    assert counter.entry_figures(popular, start, end).total > 0
