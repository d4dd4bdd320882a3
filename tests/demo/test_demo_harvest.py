"""Harvesting a second demo city of Jinan through its own CKAN Action API and DCAT feed."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from quancheng.app import Services, create_app
from quancheng.db.models import CatalogEntry, CatalogVersion, HarvestRecord
from tests.support.city import SmallCity, seed_small_city
from tests.support.live import fresh_services, served

ORGANIZATION = "jtysj"  # 济南市城乡交通运输局 publishes much open data in the demo


@pytest.fixture
def remote_demo(demo: tuple[Services, dict[str, object]]) -> Iterator[str]:
    """The demo city served over HTTP on loopback, as another portal would be."""
    services, _ = demo
    with served(create_app(services.settings, services=services)) as url:
        yield url


@pytest.fixture
def local(tmp_path: Path) -> Iterator[SmallCity]:
    services = fresh_services(tmp_path)
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
