"""Harvesting: a second city's portal (its CKAN API and DCAT feed, served over real HTTP)
imported into the first city's catalog, run after run."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from sqlalchemy import func, select

from quancheng.app import Services, create_app
from quancheng.catalog.model import EntryFields, ResourceFormat, UpdateCycle
from quancheng.db.models import CatalogEntry, CatalogVersion, HarvestRecord, utcnow
from quancheng.errors import BadRequest, NotFound, PermissionDenied, ValidationFailed
from quancheng.identity.roles import Principal
from quancheng.opendata.harvest import HarvestService
from quancheng.opendata.harvest_remote import (
    Fetched,
    HarvestFetchError,
    RemoteDataset,
    check_url,
    ckan_api_base,
    cycle_of,
    entry_fields_for,
    read_dcat,
)
from quancheng.scheduler import Scheduler
from quancheng.settings import Settings
from tests.conftest import FAST_PASSWORDS
from tests.support.city import SmallCity, entry_fields, seed_small_city
from tests.support.live import free_socket

AIR_CSV = (
    "监测站点,监测时间,PM2.5浓度\n泉城广场,2024-01-05 08:00,35.5\n趵突泉,2024-01-05 08:00,28.0\n"
)


@dataclass
class Remote:
    """The second city, served on 127.0.0.1."""

    url: str
    services: Services
    city: SmallCity
    air_id: int
    noise_id: int
    air_code: str
    noise_code: str

    @property
    def steward(self) -> Principal:
        return self.city.principals["env_steward"]


def _serve(app: Any) -> tuple[uvicorn.Server, threading.Thread, socket.socket, str]:
    sock = free_socket()
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    return server, thread, sock, f"http://127.0.0.1:{port}"


@pytest.fixture
def remote(tmp_path: Path) -> Iterator[Remote]:
    """A second city with two open entries, a conditional one and a closed one."""
    root = tmp_path / "remote"
    settings = Settings(
        data_dir=root / "data",
        database_url=f"sqlite:///{root / 'meta.sqlite3'}",
        secret_key="remote-secret-key-0123456789abcdef",
    )
    root.mkdir()
    services = Services.from_settings(settings, passwords=FAST_PASSWORDS)
    services.db.migrate()
    city = seed_small_city(services)
    steward = city.principals["env_steward"]
    catalog = services.catalog

    def publish(**overrides: Any) -> Any:
        entry = catalog.create(steward, department="sthjj", fields=entry_fields(**overrides))
        catalog.submit(steward, entry.id)
        return catalog.publish(steward, entry.id)

    air = publish()
    data = root / "air.csv"
    data.write_bytes(AIR_CSV.encode())
    job = services.datastore.start_load(steward, air.id, source_name="air.csv")
    assert services.datastore.run_load(job.id, data).status == "succeeded"
    noise = publish(
        name="城市区域环境噪声监测",
        name_en="Urban noise monitoring",
        abstract="功能区环境噪声月度监测结果。",
        update_cycle="monthly",
        format="spreadsheet",
        keywords=["噪声"],
    )
    publish(
        name="企业排污许可信息",
        abstract="重点排污单位的排污许可证信息。",
        open_type="conditional",
        open_conditions="用于科研",
    )
    publish(name="内部执法记录", abstract="不开放。", open_type="closed")
    server, thread, sock, url = _serve(create_app(settings, services=services))
    try:
        yield Remote(
            url=url,
            services=services,
            city=city,
            air_id=air.id,
            noise_id=noise.id,
            air_code=air.code,
            noise_code=noise.code,
        )
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
        services.close()


def _counts(services: Services) -> tuple[int, int]:
    with services.db.reader() as s:
        entries = s.scalar(select(func.count(CatalogEntry.id))) or 0
        versions = s.scalar(select(func.count(CatalogVersion.id))) or 0
    return entries, versions


def _harvested(services: Services, source_id: int) -> dict[str, CatalogEntry]:
    admin = Principal.system("test")
    with services.db.reader() as s:
        records = list(s.scalars(select(HarvestRecord).where(HarvestRecord.source_id == source_id)))
    return {r.remote_id: services.catalog.get(admin, r.entry_id) for r in records}


def _actions(report: list[dict[str, Any]]) -> dict[str, str]:
    return {item["remote_id"]: item["action"] for item in report}


def test_ckan_harvest_imports_open_entries_then_tracks_changes(
    services: Services, city: SmallCity, remote: Remote
) -> None:
    steward = city.principals["env_steward"]
    harvest = services.harvest
    source = harvest.add_source(
        steward, department="sthjj", kind="ckan", url=remote.url, name="第二城市开放平台"
    )

    first = harvest.run(steward, source.id)

    assert first.state == "succeeded", first.error
    assert (first.created, first.updated, first.unchanged, first.removed) == (2, 0, 0, 0)
    actions = _actions(first.report)
    assert actions[remote.air_code] == actions[remote.noise_code] == "created"
    # Conditional data stays with its owner; closed data is not even listed remotely.
    assert sorted(actions.values()) == ["created", "created", "skipped"]
    entries = _harvested(services, source.id)
    air, noise = entries[remote.air_code], entries[remote.noise_code]
    assert air.status == noise.status == "published"
    assert air.department.key == "sthjj"
    assert air.name == "空气质量小时监测数据"
    assert air.name_en == "Hourly air quality monitoring data"
    assert air.abstract.startswith("全市国控空气质量监测站点")
    assert sorted(air.keywords) == ["PM2.5", "空气质量"]
    assert (air.open_type, air.sharing_type, air.security_grade) == (
        "open",
        "unconditional",
        "general",
    )
    assert air.update_cycle == "realtime" and noise.update_cycle == "monthly"
    assert (air.format, noise.format) == ("database", "spreadsheet")
    assert air.classification_code == "210001"
    assert air.source_system.startswith("第二城市开放平台")
    # The columns of the remote datastore become the entry's data items.
    assert [i.name for i in air.items] == ["监测站点", "监测时间", "PM2.5浓度"]
    origin = harvest.origin(air.id)
    assert origin is not None
    assert origin["remote_id"] == remote.air_code
    assert origin["landing_page"] == f"{remote.url}/open/datasets/{remote.air_id}"

    before = _counts(services)
    second = harvest.run(steward, source.id)
    assert second.state == "succeeded"
    assert (second.created, second.updated, second.unchanged, second.removed) == (0, 0, 2, 0)
    assert _counts(services) == before

    remote.services.catalog.update(
        remote.steward,
        remote.noise_id,
        entry_fields(
            name="城市区域环境噪声监测（季度）",
            abstract="功能区环境噪声季度监测结果。",
            update_cycle="quarterly",
            format="spreadsheet",
            keywords=["噪声"],
        ),
    )
    third = harvest.run(steward, source.id)
    assert _actions(third.report)[remote.noise_code] == "updated"
    assert (third.updated, third.unchanged) == (1, 1)
    noise = services.catalog.get(steward, noise.id)
    assert noise.name == "城市区域环境噪声监测（季度）"
    assert noise.update_cycle == "quarterly"
    assert noise.version == 2

    remote.services.catalog.take_offline(remote.steward, remote.noise_id, "停止发布")
    fourth = harvest.run(steward, source.id)
    assert _actions(fourth.report)[remote.noise_code] == "removed"
    assert fourth.removed == 1
    assert services.catalog.get(steward, noise.id).status == "offline"
    assert services.catalog.get(steward, air.id).status == "published"
    assert harvest.run(steward, source.id).removed == 0  # removed once, not every run

    remote.services.catalog.return_to_draft(remote.steward, remote.noise_id)
    remote.services.catalog.submit(remote.steward, remote.noise_id)
    remote.services.catalog.publish(remote.steward, remote.noise_id)
    back = harvest.run(steward, source.id)
    item = next(i for i in back.report if i["remote_id"] == remote.noise_code)
    assert (item["action"], item.get("restored")) == ("updated", True)
    assert services.catalog.get(steward, noise.id).status == "published"
    assert _counts(services)[0] == before[0]  # the same entry came back, no new one


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("fmt", ["ttl", "jsonld", "rdf"])
def test_dcat_harvest_from_the_remote_catalog_feed(
    services: Services, city: SmallCity, remote: Remote, fmt: str
) -> None:
    steward = city.principals["env_steward"]
    harvest = services.harvest
    source = harvest.add_source(
        steward, department="sthjj", kind="dcat", url=f"{remote.url}/catalog.{fmt}"
    )

    first = harvest.run(steward, source.id)

    assert first.state == "succeeded", first.error
    assert first.created == 2
    entries = _harvested(services, source.id)
    assert set(entries) == {remote.air_code, remote.noise_code}
    noise = entries[remote.noise_code]
    assert noise.name == "城市区域环境噪声监测"
    assert noise.name_en == "Urban noise monitoring"
    assert noise.keywords == ["噪声"]
    assert noise.update_cycle == "monthly"
    assert noise.classification_code == "210001"
    assert noise.open_type == "open" and noise.status == "published"
    assert harvest.origin(noise.id)["landing_page"] == (  # type: ignore[index]
        f"{remote.url}/open/datasets/{remote.noise_id}"
    )

    before = _counts(services)
    assert harvest.run(steward, source.id).unchanged == 2
    assert _counts(services) == before

    remote.services.catalog.take_offline(remote.steward, remote.air_id)
    gone = harvest.run(steward, source.id)
    assert _actions(gone.report)[remote.air_code] == "removed"
    assert services.catalog.get(steward, entries[remote.air_code].id).status == "offline"


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_unreachable_source_fails_the_run_and_changes_nothing(
    services: Services, city: SmallCity, remote: Remote
) -> None:
    steward = city.principals["env_steward"]
    harvest = services.harvest
    source = harvest.add_source(steward, department="sthjj", kind="ckan", url=remote.url)
    assert harvest.run(steward, source.id).created == 2
    before = _counts(services)
    dead = free_socket()  # bound, never listening: connections are refused
    harvest.update_source(steward, source.id, {"url": f"http://127.0.0.1:{dead.getsockname()[1]}"})

    run = harvest.run(steward, source.id)
    dead.close()

    assert run.state == "failed"
    assert "cannot reach" in run.error
    assert (run.created, run.updated, run.removed, run.report) == (0, 0, 0, [])
    assert _counts(services) == before
    # What was harvested before stays published: an outage is not a removal.
    assert all(e.status == "published" for e in _harvested(services, source.id).values())


def _fake_ckan(packages: list[dict[str, Any]]) -> Any:
    def fetch(url: str) -> Fetched:
        assert url.startswith("https://portal.example/api/3/action/"), url
        body = {"success": True, "result": {"count": len(packages), "results": packages}}
        if "datastore_search" in url:
            body = {"success": False}
        elif "start=0" not in url:
            body["result"] = {"count": len(packages), "results": []}
        return Fetched(json.dumps(body).encode(), "application/json")

    return fetch


def test_a_bad_dataset_is_reported_and_the_rest_go_on(services: Services, city: SmallCity) -> None:
    admin = city.principals["admin"]
    harvest = services.harvest
    # An outside portal we do not run: the fetcher is the seam to it.
    harvest.fetch = _fake_ckan(
        [
            {"id": "x" * 400, "title": "坏数据集"},
            {
                "id": "bus-stops",
                "title": "Bus stops",
                "notes": "Every stop.",
                "tags": [{"name": "transport"}],
                "license_id": "cc-by",
                "isopen": True,
                "url": "https://portal.example/dataset/bus-stops",
                "resources": [{"format": "CSV", "url": "https://portal.example/stops.csv"}],
                "extras": [{"key": "frequency", "value": "WEEKLY"}],
            },
            {"id": "closed-one", "title": "Closed", "isopen": False},
        ]
    )
    source = harvest.add_source(
        admin,
        department="gaj",
        kind="ckan",
        url="https://portal.example/",
        options={"classification_code": "101001"},
    )

    run = harvest.run(admin, source.id)

    assert run.state == "partial"
    assert (run.created, run.failed) == (1, 1)
    failed = next(i for i in run.report if i["action"] == "failed")
    assert "longer than 300" in failed["error"]
    stops = _harvested(services, source.id)["bus-stops"]
    assert (stops.name, stops.update_cycle, stops.format) == ("Bus stops", "weekly", "spreadsheet")
    assert stops.classification_code == "101001"
    assert stops.department.key == "gaj"
    assert [i.name for i in stops.items] == ["数据内容"]


def test_read_dcat_follows_hydra_pages_on_the_same_site_only() -> None:
    def page(n: int, following: list[str]) -> str:
        links = "".join(f" ; hydra:nextPage <{u}>" for u in following)
        return f"""
@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .
@prefix hydra: <http://www.w3.org/ns/hydra/core#> .
<https://a.example/catalog> a dcat:Catalog ; dcat:dataset <https://a.example/ds/{n}> .
<https://a.example/ds/{n}> a dcat:Dataset ; dct:title "数据{n}"@zh .
<https://a.example/catalog.ttl?page={n}> a hydra:PagedCollection{links} .
"""

    pages = {
        "https://a.example/catalog.ttl": page(1, ["https://a.example/catalog.ttl?page=2"]),
        "https://a.example/catalog.ttl?page=2": page(2, ["https://evil.example/catalog.ttl"]),
    }
    asked: list[str] = []

    def fetch(url: str) -> Fetched:
        asked.append(url)
        return Fetched(pages[url].encode(), "text/turtle")

    found = read_dcat(fetch, "https://a.example/catalog.ttl")

    assert sorted(d.title for d in found) == ["数据1", "数据2"]
    assert asked == list(pages)


def test_a_json_ld_feed_naming_a_remote_context_is_refused_unfetched() -> None:
    # rdflib would fetch a named @context from anywhere: the harvester reads only its source.
    doc = {
        "@context": [
            "https://elsewhere.example/context.jsonld",
            {"dct": "http://purl.org/dc/terms/"},
        ],
        "@graph": [{"@id": "https://a.example/ds/1", "dct:title": "数据1"}],
    }
    asked: list[str] = []

    def fetch(url: str) -> Fetched:
        asked.append(url)
        return Fetched(json.dumps(doc).encode(), "application/ld+json")

    with pytest.raises(HarvestFetchError, match="remote JSON-LD @context"):
        read_dcat(fetch, "https://a.example/catalog.jsonld")
    assert asked == ["https://a.example/catalog.jsonld"]


def test_source_urls_and_kinds_are_checked(services: Services, city: SmallCity) -> None:
    admin = city.principals["admin"]
    for url in ("file:///etc/passwd", "ftp://x.example/", "not a url", "http://"):
        with pytest.raises(ValidationFailed):
            services.harvest.add_source(admin, department="gaj", kind="ckan", url=url)
    with pytest.raises(ValidationFailed):
        services.harvest.add_source(admin, department="gaj", kind="oai", url="https://x.example")
    with pytest.raises(BadRequest):
        check_url("gopher://x.example")
    assert ckan_api_base("https://x.example/api/3/action") == "https://x.example/api/3/action/"
    assert ckan_api_base("https://x.example/") == "https://x.example/api/3/action/"


def test_permissions_on_sources(services: Services, city: SmallCity) -> None:
    p = city.principals
    harvest = services.harvest
    mine = harvest.add_source(p["gaj_steward"], department="gaj", kind="dcat", url="https://a.ex/")
    theirs = harvest.add_source(p["admin"], department="sthjj", kind="dcat", url="https://b.ex/")
    with pytest.raises(PermissionDenied):  # a steward files only into their own department
        harvest.add_source(p["gaj_steward"], department="sthjj", kind="dcat", url="https://c.ex/")
    for user in ("gaj_user", "citizen"):
        with pytest.raises(PermissionDenied):
            harvest.sources(p[user])
        with pytest.raises(PermissionDenied):
            harvest.run(p[user], mine.id)
    assert [s.id for s in harvest.sources(p["gaj_admin"])] == [mine.id]
    assert {s.id for s in harvest.sources(p["admin"])} == {mine.id, theirs.id}
    with pytest.raises(PermissionDenied):
        harvest.run(p["gaj_steward"], theirs.id)
    with pytest.raises(PermissionDenied):
        harvest.delete_source(p["env_steward"], mine.id)
    with pytest.raises(NotFound):
        harvest.get_source(p["admin"], 9999)


def test_run_due_runs_enabled_sources_past_their_time(services: Services, city: SmallCity) -> None:
    admin = city.principals["admin"]
    harvest = services.harvest
    harvest.fetch = _fake_ckan([])
    due = harvest.add_source(
        admin, department="gaj", kind="ckan", url="https://portal.example/", interval_hours=6
    )
    off = harvest.add_source(
        admin, department="gaj", kind="ckan", url="https://portal.example/", enabled=False
    )
    now = utcnow() + timedelta(minutes=1)

    runs = harvest.run_due(now)

    assert [r.source_id for r in runs] == [due.id]
    assert runs[0].state == "succeeded"
    assert harvest.get_source(admin, due.id).next_run_at == now + timedelta(hours=6)
    assert harvest.get_source(admin, off.id).last_run_at is None
    assert harvest.run_due(now + timedelta(hours=1)) == []  # not due again yet
    assert [r.source_id for r in harvest.run_due(now + timedelta(hours=6))] == [due.id]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_api_create_run_and_read_the_report(
    client: TestClient, city: SmallCity, remote: Remote
) -> None:
    made = client.post(
        "/api/v1/harvest/sources",
        json={"department": "sthjj", "kind": "ckan", "url": remote.url, "name": "第二城市"},
        headers=city.auth("env_steward"),
    )
    assert made.status_code == 201, made.text
    source = made.json()
    assert source["department"] == "sthjj" and source["enabled"] is True

    ran = client.post(f"/api/v1/harvest/sources/{source['id']}/run", headers=city.auth("admin"))

    assert ran.status_code == 200, ran.text
    assert ran.json()["created"] == 2
    run_id = ran.json()["id"]
    report = client.get(f"/api/v1/harvest/runs/{run_id}", headers=city.auth("env_steward"))
    assert {i["action"] for i in report.json()["report"]} == {"created", "skipped"}
    listed = client.get(
        f"/api/v1/harvest/sources/{source['id']}/runs", headers=city.auth("env_steward")
    )
    assert [r["id"] for r in listed.json()["runs"]] == [run_id]
    assert (
        client.get(f"/api/v1/harvest/runs/{run_id}", headers=city.auth("gaj_admin")).status_code
        == 403
    )
    assert client.get("/api/v1/harvest/sources", headers=city.auth("citizen")).status_code == 403
    assert client.get("/api/v1/harvest/sources").status_code == 401
    off = client.patch(
        f"/api/v1/harvest/sources/{source['id']}",
        json={"enabled": False},
        headers=city.auth("env_steward"),
    )
    assert off.json()["enabled"] is False
    bad = client.post(
        "/api/v1/harvest/sources",
        json={"department": "sthjj", "kind": "ckan", "url": "file:///etc/passwd"},
        headers=city.auth("admin"),
    )
    assert bad.status_code == 422
    gone = client.delete(
        f"/api/v1/harvest/sources/{source['id']}", headers=city.auth("env_steward")
    )
    assert gone.status_code == 204


@given(
    title=st.text(min_size=1, max_size=400),
    description=st.text(max_size=5000),
    keywords=st.lists(st.text(min_size=1, max_size=150), max_size=60),
    cycle=st.text(max_size=40),
    formats=st.lists(st.text(max_size=10), max_size=5),
    names=st.lists(st.text(min_size=1, max_size=150), max_size=8),
)
@hsettings(max_examples=60, deadline=None)
def test_any_remote_description_maps_to_valid_catalog_fields(
    title: str,
    description: str,
    keywords: list[str],
    cycle: str,
    formats: list[str],
    names: list[str],
) -> None:
    from quancheng.opendata.harvest_remote import (
        _clean_keywords,
        format_of,
        items_from_fields,
    )

    fmt, api = format_of(formats)
    ds = RemoteDataset(
        remote_id="r1",
        title=title.strip() or "r1",
        description=description,
        keywords=_clean_keywords(keywords),
        update_cycle=cycle_of(cycle),
        format=fmt,
        api=api,
        items=items_from_fields([{"id": n, "type": "text"} for n in names]),
    )
    fields = entry_fields_for(ds, classification_code="210001", source_name="某门户")
    parsed = EntryFields.parse(fields)
    assert parsed.open_type.value == "open"
    assert isinstance(parsed.format, ResourceFormat)
    assert cycle_of("http://publications.europa.eu/resource/authority/frequency/ANNUAL") is (
        UpdateCycle.YEARLY
    )


def test_harvest_service_keeps_its_constructor(services: Services) -> None:
    assert isinstance(services.harvest, HarvestService)


def test_scheduler_runs_jobs_on_time_and_survives_a_failing_one() -> None:
    now = [100.0]
    sched = Scheduler(clock=lambda: now[0])
    ran: list[str] = []

    def broken() -> None:
        ran.append("broken")
        raise RuntimeError("remote portal down")

    sched.add("harvest", 60, lambda: ran.append("harvest"))
    sched.add("broken", 60, broken)
    sched.add("sweep", 10, lambda: ran.append("sweep"))
    with pytest.raises(ValueError, match="already scheduled"):
        sched.add("sweep", 10, lambda: None)

    assert sched.run_pending() == 3  # all due at once, the failure stops nothing
    now[0] += 10
    sched.run_pending()
    now[0] += 50
    sched.run_pending()

    assert ran == ["harvest", "broken", "sweep", "sweep", "harvest", "broken", "sweep"]
    assert sched.jobs["broken"].failures == 2


def test_scheduler_thread_starts_and_stops() -> None:
    done = threading.Event()
    sched = Scheduler(tick_seconds=0.01)
    sched.add("fail", 0.01, lambda: 1 / 0)
    sched.add("tick", 0.01, done.set)

    sched.start()
    assert done.wait(5)
    sched.stop()

    assert not sched.running
    assert sched.jobs["fail"].failures >= 1


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_web_pages_list_sources_run_now_and_show_the_report(
    client: TestClient, city: SmallCity, remote: Remote
) -> None:
    from tests.web.support import browser, csrf_token, login

    web = browser(client)
    login(web, "env_steward")
    page = web.get("/harvest")
    assert page.status_code == 200
    assert "采集" in page.text  # Chinese first
    added = web.post(
        "/harvest/sources",
        data={
            "csrf_token": csrf_token(page.text),
            "department": "sthjj",
            "kind": "ckan",
            "url": remote.url,
            "name": "第二城市开放平台",
            "interval_hours": "12",
        },
    )
    assert added.status_code == 303, added.text
    page = web.get("/harvest")
    assert "第二城市开放平台" in page.text
    source_id = client.get("/api/v1/harvest/sources", headers=city.auth("admin")).json()["sources"][
        0
    ]["id"]
    forged = web.post(f"/harvest/sources/{source_id}/run", data={})
    assert forged.status_code == 403
    ran = web.post(f"/harvest/sources/{source_id}/run", data={"csrf_token": csrf_token(page.text)})
    assert ran.status_code == 303
    report = web.get(ran.headers["location"])
    assert report.status_code == 200
    assert report.text.count('data-action="created"') == 2
    assert "空气质量小时监测数据" in report.text
    assert f"{remote.url}/open/datasets/{remote.air_id}" in report.text

    other = browser(client)
    login(other, "gaj_steward")
    assert other.get(ran.headers["location"]).status_code == 403
    citizen = browser(client)
    login(citizen, "citizen")
    assert citizen.get("/harvest").status_code == 403
