"""Harvesting a second demo city of Jinan through its own CKAN Action API and DCAT feed."""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from sqlalchemy import func, select

from quancheng.app import Services, create_app
from quancheng.db.models import CatalogEntry, CatalogVersion, HarvestRecord
from quancheng.settings import Settings
from tests.conftest import FAST_PASSWORDS
from tests.support.city import SmallCity, seed_small_city
from tests.web.test_browser import free_socket

ORGANIZATION = "jtysj"  # 济南市城乡交通运输局 publishes much open data in the demo


@pytest.fixture
def remote_demo(demo: tuple[Services, dict[str, object]]) -> Iterator[str]:
    """The demo city served over HTTP on loopback, as another portal would be."""
    services, _ = demo
    sock = free_socket()
    app = create_app(services.settings, services=services)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline
        time.sleep(0.05)
    yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    server.should_exit = True
    thread.join(timeout=10)
    sock.close()


@pytest.fixture
def local(tmp_path: Path) -> Iterator[SmallCity]:
    settings = Settings(
        data_dir=tmp_path / "local",
        database_url=f"sqlite:///{tmp_path / 'local.sqlite3'}",
        secret_key="local-secret-key-0123456789abcdef",
    )
    (tmp_path / "local").mkdir()
    services = Services.from_settings(settings, passwords=FAST_PASSWORDS)
    services.db.migrate()
    yield seed_small_city(services)
    services.close()


def remote_open_packages(url: str) -> dict[str, Any]:
    query = f"fq=organization:{ORGANIZATION}&rows=1000"
    with urllib.request.urlopen(f"{url}/api/3/action/package_search?{query}") as response:  # noqa: S310
        result = json.load(response)["result"]
    return {p["name"]: p for p in result["results"]}


def test_a_department_harvests_the_second_demo_city_idempotently(
    remote_demo: str, local: SmallCity
) -> None:
    services = local.services
    steward = local.principals["env_steward"]
    remote = remote_open_packages(remote_demo)
    assert len(remote) >= 5
    source = services.harvest.add_source(
        steward,
        department="sthjj",
        kind="ckan",
        url=remote_demo,
        name="济南市开放平台（演示）",
        options={"organization": ORGANIZATION},
    )
    first = services.harvest.run(steward, source.id)
    assert first.state == "succeeded", (first.error, first.report[:3])
    unconditional = [p for p in remote.values() if _unconditional(p)]
    assert first.created == len(unconditional) > 0
    with services.db.reader() as s:
        names = set(
            s.scalars(
                select(CatalogEntry.name)
                .join(HarvestRecord, HarvestRecord.entry_id == CatalogEntry.id)
                .where(HarvestRecord.source_id == source.id)
            )
        )
        versions = s.scalar(select(func.count(CatalogVersion.id)))
    assert names == {p["title"] for p in unconditional}

    again = services.harvest.run(steward, source.id)
    assert (again.created, again.updated, again.removed, again.failed) == (0, 0, 0, 0)
    assert again.unchanged == first.created
    with services.db.reader() as s:
        assert s.scalar(select(func.count(CatalogVersion.id))) == versions


def _unconditional(package: dict[str, Any]) -> bool:
    """CKAN packages of entries open without conditions (conditional ones stay at home)."""
    extras = {e["key"]: e["value"] for e in package.get("extras", [])}
    return extras.get("open_type", "open") == "open"
