"""Catalog search in Chinese, pinyin, initials and English, with facets and ranking."""

from __future__ import annotations

from typing import Any

import pytest
from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import select

from quancheng.catalog.search import CatalogSearch, SearchDocument
from quancheng.catalog.service import SearchQuery
from quancheng.db.database import _alembic_config
from quancheng.db.models import CatalogEntry
from quancheng.errors import ValidationFailed
from tests.support.city import SmallCity, entry_fields


def publish(city: SmallCity, user: str, department: str, **overrides: Any) -> int:
    actor = city.principals[user]
    catalog = city.services.catalog
    entry = catalog.create(actor, department=department, fields=entry_fields(**overrides))
    catalog.submit(actor, entry.id)
    catalog.publish(actor, entry.id)
    return entry.id


@pytest.fixture
def catalog(city: SmallCity) -> dict[str, int]:
    return {
        "bus": publish(
            city,
            "gaj_steward",
            "gaj",
            name="济南市公交线路站点信息",
            name_en="Jinan bus routes and stops",
            abstract="全市公交线路及其站点的名称、位置。",
            classification_code="101001",
            sharing_type="conditional",
            sharing_conditions="仅限交通管理使用",
            legal_basis="《政务信息资源共享管理暂行办法》",
            open_type="closed",
        ),
        "air": publish(city, "env_steward", "sthjj"),
        "mention": publish(
            city,
            "env_steward",
            "sthjj",
            name="机动车尾气检测数据",
            name_en="Vehicle exhaust tests",
            abstract="包括公交车辆在内的机动车尾气年度检测结果。",
        ),
        "draft": city.services.catalog.create(
            city.principals["env_steward"],
            department="sthjj",
            fields=entry_fields(name="公交车辆尾气草稿"),
        ).id,
    }


def ids(client: TestClient, query: str, **params: str) -> list[int]:
    response = client.get("/api/v1/datasets", params={"q": query, **params})
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


@pytest.mark.parametrize("query", ["公交", "gongjiao", "gj", "公交线路", "bus", "Bus Routes"])
def test_chinese_pinyin_initials_and_english_find_the_entry(
    client: TestClient, catalog: dict[str, int], query: str
) -> None:
    assert catalog["bus"] in ids(client, query)


def test_name_match_ranks_above_abstract_match_and_drafts_stay_hidden(
    client: TestClient, catalog: dict[str, int]
) -> None:
    found = ids(client, "公交")
    assert found == [catalog["bus"], catalog["mention"]]
    assert catalog["draft"] not in found


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("公安局", {"bus"}),
        ("济南市生态环境局", {"air", "mention"}),
        ("生态环境局 尾气", {"mention"}),
        ("gonganju", {"bus"}),
    ],
)
def test_a_department_is_found_by_its_name(
    client: TestClient, catalog: dict[str, int], query: str, expected: set[str]
) -> None:
    # Regression: a citizen searching 公安局 or 生态环境局 found nothing.
    assert set(ids(client, query)) == {catalog[k] for k in expected}


def test_migrate_indexes_the_departments_of_entries_of_an_older_database(
    city: SmallCity, client: TestClient, catalog: dict[str, int]
) -> None:
    services = city.services
    search = CatalogSearch(dialect=services.db.dialect)
    with services.db.transaction() as s:
        for entry in s.scalars(select(CatalogEntry)):
            # The row as an earlier release wrote it: no department.
            old = SearchDocument.of_fields(
                name=entry.name,
                name_en=entry.name_en,
                code=entry.code,
                abstract=entry.abstract,
                abstract_en=entry.abstract_en,
                keywords=entry.keywords,
                departments=(),
                items=[(i.name, i.name_en, i.description) for i in entry.items],
            )
            search.write(s, entry.id, old)
    assert ids(client, "公安局") == []
    assert set(ids(client, "公交")) == {catalog["bus"], catalog["mention"]}

    # The database as the release before migration 0009 left it; `migrate` brings it to the
    # head, and the index, derived data with no stamp at that revision, is rebuilt.
    config = _alembic_config()
    with services.db.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0008")
    assert services.db.migrate() == {"catalog_search": 4, "lamp_state": 0}  # drafts too

    assert ids(client, "公安局") == [catalog["bus"]]
    assert set(ids(client, "生态环境局")) == {catalog["air"], catalog["mention"]}
    assert set(ids(client, "公交")) == {catalog["bus"], catalog["mention"]}


def test_search_as_you_type_matches_a_prefix(client: TestClient, catalog: dict[str, int]) -> None:
    assert catalog["air"] in ids(client, "kongqi")
    assert catalog["air"] in ids(client, "kongq")


def test_facets_count_every_match_and_filters_narrow(
    client: TestClient, catalog: dict[str, int]
) -> None:
    body = client.get("/api/v1/datasets").json()
    assert body["total"] == 3
    departments = {f["value"]: f["count"] for f in body["facets"]["department"]}
    assert departments == {"sthjj": 2, "gaj": 1}
    sharing = {f["value"]: f["count"] for f in body["facets"]["sharing_type"]}
    assert sharing == {"conditional": 1, "unconditional": 2}
    classes = {f["value"]: (f["count"], f["label"]) for f in body["facets"]["classification"]}
    assert classes == {"101": (1, "人口信息"), "210": (2, "生态环保")}
    assert ids(client, "", sharing_type="conditional") == [catalog["bus"]]
    assert sorted(ids(client, "", department="sthjj")) == sorted(
        [catalog["air"], catalog["mention"]]
    )
    assert ids(client, "公交", department="gaj") == [catalog["bus"]]


def test_paging_and_bad_filters(client: TestClient, catalog: dict[str, int]) -> None:
    first = client.get("/api/v1/datasets", params={"limit": 2, "sort": "code"}).json()
    second = client.get("/api/v1/datasets", params={"limit": 2, "offset": 2, "sort": "code"}).json()
    assert len(first["items"]) == 2 and len(second["items"]) == 1
    assert first["total"] == second["total"] == 3
    bad = client.get("/api/v1/datasets", params={"sharing_type": "maybe", "limit": 1000})
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["error"]["details"]} == {"sharing_type", "limit"}


def test_operators_in_queries_are_only_words(client: TestClient, catalog: dict[str, int]) -> None:
    for query in ['"', "公交 OR", "NEAR(公交", "*", "'; DROP TABLE catalog_entries; --", "a:*&!"]:
        response = client.get("/api/v1/datasets", params={"q": query})
        assert response.status_code == 200, query
    assert client.get("/api/v1/datasets").json()["total"] == 3


def test_steward_searches_own_drafts_only(city: SmallCity, catalog: dict[str, int]) -> None:
    search = city.services.catalog.search
    own = search(city.principals["env_steward"], SearchQuery(q="公交", status="draft"))
    assert [e.id for e in own.items] == [catalog["draft"]]
    other = search(city.principals["gaj_steward"], SearchQuery(q="公交", status="draft"))
    assert other.total == 0
    with pytest.raises(ValidationFailed):
        SearchQuery(status="deleted")
