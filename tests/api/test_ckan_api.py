"""The CKAN Action API, used through the real `ckanapi` client as an outside tool would."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ckanapi  # type: ignore[import-untyped]
import httpx
import pytest
import uvicorn
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from quancheng.app import Services, create_app
from quancheng.datastore.schema import public_table_name
from quancheng.errors import BadRequest
from quancheng.opendata import ckan
from quancheng.settings import Settings
from tests.conftest import FAST_PASSWORDS
from tests.support.city import SmallCity, entry_fields, seed_small_city
from tests.support.live import free_socket
from tests.support.sharing import seed_exchange

AIR_CSV = (
    "监测站点,监测时间,PM2.5浓度\n"
    "泉城广场,2024-01-05 08:00,35.5\n"
    "泉城广场,2024-01-05 09:00,41.0\n"
    "趵突泉,2024-01-05 08:00,28.0\n"
    "千佛山,2024-01-05 08:00,22.5\n"
)


@dataclass
class Portal:
    url: str
    city: SmallCity
    air_code: str
    closed_code: str
    conditional_code: str

    def client(self, user: str | None = None) -> ckanapi.RemoteCKAN:
        """A CKAN client, anonymous or with a user's API token (sent as CKAN clients do)."""
        return ckanapi.RemoteCKAN(self.url, apikey=self.city.tokens[user] if user else None)


@pytest.fixture
def portal(
    services: Services, settings: Settings, city: SmallCity, tmp_path: Path
) -> Iterator[Portal]:
    steward = city.principals["env_steward"]
    catalog = services.catalog
    air = catalog.create(steward, department="sthjj", fields=entry_fields())
    catalog.submit(steward, air.id)
    catalog.publish(steward, air.id)
    path = tmp_path / "air.csv"
    path.write_bytes(AIR_CSV.encode())
    job = services.datastore.start_load(steward, air.id, source_name="air.csv")
    assert services.datastore.run_load(job.id, path).status == "succeeded"
    conditional = catalog.create(
        steward,
        department="sthjj",
        fields=entry_fields(
            name="企业排污许可信息",
            abstract="重点排污单位的排污许可证信息。",
            open_type="conditional",
            open_conditions="用于科研",
            keywords=["排污"],
        ),
    )
    catalog.submit(steward, conditional.id)
    catalog.publish(steward, conditional.id)
    closed = seed_exchange(city, tmp_path, rows=10)  # the police's closed population data
    sock = free_socket()
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings, services=services), log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield Portal(
            url=f"http://127.0.0.1:{port}",
            city=city,
            air_code=air.code,
            closed_code=catalog.get(city.principals["admin"], closed.entry_id).code,
            conditional_code=conditional.code,
        )
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def test_search_finds_open_data_with_facets(portal: Portal) -> None:
    ck = portal.client()
    found = ck.action.package_search(
        q="空气质量", **{"facet.field": ["organization", "tags", "res_format"]}
    )
    assert found["count"] == 1
    package = found["results"][0]
    assert package["title"] == "空气质量小时监测数据"
    assert package["organization"]["name"] == "sthjj"
    assert package["num_resources"] == len(package["resources"]) == 5
    assert {r["format"] for r in package["resources"]} >= {"CSV", "XLSX", "JSON"}
    assert all(r["datastore_active"] for r in package["resources"])
    assert {t["name"] for t in package["tags"]} == {"空气质量", "PM2.5"}
    assert package["license_id"] == "cc-by"
    extras = {e["key"]: e["value"] for e in package["extras"]}
    assert extras["code"] == portal.air_code
    assert extras["open_type"] == "open"
    orgs = found["search_facets"]["organization"]["items"]
    assert [(o["name"], o["count"]) for o in orgs] == [("sthjj", 1)]
    assert {"name": "CSV", "display_name": "CSV", "count": 1} in found["search_facets"][
        "res_format"
    ]["items"]


def test_fq_rows_and_start_page_through_the_open_catalog(portal: Portal) -> None:
    ck = portal.client()
    everything = ck.action.package_search(rows=10, sort="title_string asc")
    assert everything["count"] == 2  # the open and the conditional entry; never the closed one
    titles = [p["title"] for p in everything["results"]]
    assert titles == sorted(titles)
    second = ck.action.package_search(rows=1, start=1, sort="title_string asc")
    assert [p["title"] for p in second["results"]] == titles[1:]
    tagged = ck.action.package_search(fq='organization:sthjj tags:"排污"')
    assert [p["title"] for p in tagged["results"]] == ["企业排污许可信息"]
    # Conditional open data shows its metadata, never its data.
    assert tagged["results"][0]["resources"] == []
    assert tagged["results"][0]["license_id"] == "qc-conditional"
    with_data = ck.action.package_search(fq="res_format:CSV")
    assert [p["id"] for p in with_data["results"]] == [portal.air_code]
    # Field terms in q filter as in fq (Solr reads them so); the rest of q are words.
    # Regression: "tags:排污" was searched for as the words "tags" and "排污" and missed.
    in_q = ck.action.package_search(q="tags:排污 organization:sthjj")
    assert [p["title"] for p in in_q["results"]] == ["企业排污许可信息"]
    mixed = ck.action.package_search(q="organization:sthjj 空气")
    assert [p["id"] for p in mixed["results"]] == [portal.air_code]
    assert ck.action.package_search(q="organization:gaj")["count"] == 0
    with pytest.raises(ckanapi.ValidationError):
        ck.action.package_search(q="-tags:排污")


def test_show_and_list_actions(portal: Portal) -> None:
    ck = portal.client()
    names = ck.action.package_list()
    by_code = ck.action.package_show(id=portal.air_code)
    assert by_code["name"] in names
    assert ck.action.package_show(id=by_code["name"])["id"] == portal.air_code
    orgs = {o["name"]: o for o in ck.action.organization_list(all_fields=True)}
    assert orgs["sthjj"]["package_count"] == 2
    assert orgs["gaj"]["package_count"] == 0  # its only entry is closed
    assert orgs["sthjj"]["title"]
    assert ck.action.organization_show(id="sthjj", include_datasets=True)["packages"]
    assert ck.action.group_list() == ["1", "2"]
    group = ck.action.group_show(id="2")
    assert group["package_count"] == 2
    assert {"空气质量", "PM2.5", "排污"} <= set(ck.action.tag_list())
    assert {lic["id"] for lic in ck.action.license_list()} == {"cc-by", "qc-conditional"}
    csv_id = by_code["resources"][0]["id"]
    assert ck.action.resource_show(id=csv_id)["format"] == "CSV"
    assert ck.action.site_read() is True
    assert ck.action.status_show()["ckan_version"].startswith("2.")
    assert "Search" in ck.action.help_show(name="package_search")
    by_get = ckanapi.RemoteCKAN(portal.url, get_only=True).action.package_search(
        fq="groups:2", **{"facet.field": ["organization", "tags"]}
    )
    assert by_get["count"] == 2
    assert by_get["search_facets"]["organization"]["items"][0]["count"] == 2


def test_organization_and_group_lists_filter_sort_and_page_as_ckan_does(portal: Portal) -> None:
    # Regression: `sort` and `q` were ignored; the departments came in key order.
    ck = portal.client()
    # CKAN's default is "title asc": 大数据局, 公安局, 生态环境局 in pinyin order (da, gong,
    # sheng), where code points would put 公 (U+516C) before 大 (U+5927).
    assert ck.action.organization_list() == ["bigdata", "gaj", "sthjj"]
    assert ck.action.organization_list(sort="name desc") == ["sthjj", "gaj", "bigdata"]
    by_count = ck.action.organization_list(sort="package_count desc", all_fields=True)
    # Ties (no open data) by name.
    assert [(o["name"], o["package_count"]) for o in by_count] == [
        ("sthjj", 2),
        ("bigdata", 0),
        ("gaj", 0),
    ]
    assert ck.action.organization_list(q="环境") == ["sthjj"]
    assert ck.action.organization_list(q="public security") == ["gaj"]
    assert ck.action.organization_list(sort="name asc", offset=1, limit=1) == ["gaj"]
    assert ck.action.group_list(sort="package_count desc", limit=1) == ["2"]
    assert ck.action.group_list(q="基础") == ["1"]
    for bad in ("popularity", "name sideways", "title asc extra"):
        with pytest.raises(ckanapi.ValidationError):
            ck.action.organization_list(sort=bad)


def test_datastore_search_and_sql_read_the_open_data(portal: Portal) -> None:
    ck = portal.client()
    rid = ck.action.package_show(id=portal.air_code)["resources"][0]["id"]
    page = ck.action.datastore_search(resource_id=rid, filters={"监测站点": "泉城广场"}, limit=1)
    assert page["total"] == 2
    assert len(page["records"]) == 1
    assert [f["info"]["label"] for f in page["fields"]] == ["监测站点", "监测时间", "PM2.5浓度"]
    station = page["fields"][0]["id"]
    assert page["records"][0][station] == "泉城广场"
    both = ck.action.datastore_search(
        resource_id=rid, filters={"监测站点": ["趵突泉", "千佛山"]}, sort="监测站点 desc"
    )
    assert [r[station] for r in both["records"]] == ["趵突泉", "千佛山"]
    lists = ck.action.datastore_search(
        resource_id=rid, q="千佛山", fields=["监测站点"], records_format="lists"
    )
    assert lists["records"] == [["千佛山"]]
    as_csv = ck.action.datastore_search(
        resource_id=rid, fields=["监测站点"], records_format="csv", include_total=False
    )
    assert as_csv["records"].splitlines() == ["泉城广场", "泉城广场", "趵突泉", "千佛山"]
    assert "total" not in as_csv
    sql = ck.action.datastore_search_sql(
        sql=f'SELECT COUNT(*) AS n FROM "{rid}" WHERE "{station}" = \'泉城广场\''
    )
    assert sql["records"] == [{"n": 2}]


def test_limits_past_the_maximum_are_capped_as_ckan_caps_them(portal: Portal) -> None:
    """Regression: rows, limit and facet.limit past our bounds were refused with a 409.

    CKAN caps rows at ckan.search.rows_max and datastore_search's limit at its rows_max
    (limit_to_configured_maximum) and echoes the applied limit, which dump tools page by;
    a negative facet.limit means every value.
    """
    ck = portal.client()
    found = ck.action.package_search(rows=5000)
    assert found["count"] == len(found["results"]) == 2
    rid = ck.action.package_show(id=portal.air_code)["resources"][0]["id"]
    page = ck.action.datastore_search(resource_id=rid, limit=32000)
    assert page["limit"] == 10_000
    assert len(page["records"]) == page["total"] == 4
    assert len(ck.action.organization_list(limit=5000)) == 3
    every = ck.action.package_search(**{"facet.field": ["tags"], "facet.limit": -1})
    assert {i["name"] for i in every["search_facets"]["tags"]["items"]} == {
        "空气质量",
        "PM2.5",
        "排污",
    }


def test_closed_entries_are_invisible_to_anonymous_callers(portal: Portal) -> None:
    ck = portal.client()
    with pytest.raises(ckanapi.NotFound):
        ck.action.package_show(id=portal.closed_code)
    assert portal.closed_code not in [
        p["id"] for p in ck.action.package_search(rows=100)["results"]
    ]
    owner = portal.client("gaj_steward")
    package = owner.action.package_show(id=portal.closed_code)
    rid = package["resources"][0]["id"]
    with pytest.raises(ckanapi.NotFound):
        ck.action.datastore_search(resource_id=rid)
    with pytest.raises(ckanapi.ValidationError):
        ck.action.datastore_search_sql(sql=f'SELECT * FROM "{rid}"')
    assert owner.action.datastore_search(resource_id=rid, limit=3)["total"] == 10


def test_errors_come_in_ckan_shape(portal: Portal) -> None:
    ck = portal.client()
    with pytest.raises(ckanapi.NotFound):
        ck.action.package_show(id="no-such-dataset")
    with pytest.raises(ckanapi.ValidationError):
        ck.action.package_show()
    with pytest.raises(ckanapi.ValidationError):
        ck.action.package_search(rows=-1)
    rid = ck.action.package_show(id=portal.air_code)["resources"][0]["id"]
    with pytest.raises(ckanapi.ValidationError):
        ck.action.datastore_search(resource_id=rid, limit="many")
    with pytest.raises(ckanapi.ValidationError):
        ck.action.datastore_search(resource_id=rid, filters={"没有这列": "x"})
    with pytest.raises(ckanapi.ValidationError):
        ck.action.datastore_search_sql(sql=f'DELETE FROM "{rid}"')
    with pytest.raises(ckanapi.NotAuthorized):
        ckanapi.RemoteCKAN(portal.url, apikey="not-a-token").action.package_list()
    response = httpx.get(f"{portal.url}/api/3/action/package_show?id=nothing")
    assert response.status_code == 404
    body = response.json()
    assert body["success"] is False
    assert body["error"]["__type"] == "Not Found Error"
    assert body["help"].endswith("help_show?name=package_show")
    unknown = httpx.post(f"{portal.url}/api/3/action/no_such_action", json={})
    assert unknown.status_code == 400
    assert unknown.json()["error"]["message"].startswith("Bad request - Action name not known")


codes = st.from_regex(r"[0-9A-Za-z][0-9A-Za-z./-]{2,40}", fullmatch=True)


@given(codes, st.sampled_from(ckan.FORMATS))
def test_resource_ids_name_their_table_and_format(code: str, fmt: str) -> None:
    table = public_table_name(code)
    assert ckan.split_resource_id(ckan.resource_id(table, fmt)) == (table, fmt)


@given(codes)
def test_slugs_are_valid_ckan_names(code: str) -> None:
    name = ckan.slug(code)
    assert name == name.lower()
    assert set(name) <= set("abcdefghijklmnopqrstuvwxyz0123456789-_")


def test_fq_and_sort_parsing() -> None:
    assert ckan.parse_fq('organization:gaj tags:"空气 质量" AND res_format:CSV') == {
        "organization": ["gaj"],
        "tags": ["空气 质量"],
        "res_format": ["CSV"],
    }
    with pytest.raises(BadRequest):
        ckan.parse_fq("author:someone")
    assert ckan.split_q('tags:"空气 质量" AND 监测 organization:gaj') == (
        "监测",
        {"tags": ["空气 质量"], "organization": ["gaj"]},
    )
    # Only fq's fields are terms: a URL, a clock time or author:x stay words.
    assert ckan.split_q("https://data.example 12:00 author:x") == (
        "https://data.example 12:00 author:x",
        {},
    )
    assert ckan.parse_sort("metadata_modified desc") == "updated"
    query = ckan.row_query(
        filters={"区": ["a", "b"]},
        q=None,
        fields=None,
        sort='"PM2.5 浓度" desc, 站点',
        limit=5,
        offset=0,
    )
    assert ("_sort", "-PM2.5 浓度") in query
    assert ("_sort", "站点") in query
    assert ("区__in", '["a", "b"]') in query


def test_open_data_is_public_when_the_internal_catalog_is_not(
    settings: Settings, tmp_path: Path
) -> None:
    """Regression: with public_catalog off, every anonymous CKAN call was an Authorization Error.

    The setting closes the internal catalog to visitors; the open catalog stays public by law,
    as the portal pages and DCAT already read it.
    """
    closed_catalog = settings.model_copy(update={"public_catalog": False})
    services = Services.from_settings(closed_catalog, passwords=FAST_PASSWORDS)
    services.db.migrate()
    try:
        city = seed_small_city(services)
        steward = city.principals["env_steward"]
        air = services.catalog.create(steward, department="sthjj", fields=entry_fields())
        services.catalog.submit(steward, air.id)
        services.catalog.publish(steward, air.id)
        path = tmp_path / "air.csv"
        path.write_bytes(AIR_CSV.encode())
        job = services.datastore.start_load(steward, air.id, source_name="air.csv")
        assert services.datastore.run_load(job.id, path).status == "succeeded"
        closed = seed_exchange(city, tmp_path, rows=10)
        with TestClient(create_app(closed_catalog, services=services)) as client:

            def result(action: str, **params: Any) -> Any:
                answer = client.get(f"/api/3/action/{action}", params=params)
                assert answer.status_code == 200, answer.text
                return answer.json()["result"]

            found = result("package_search")
            assert [p["title"] for p in found["results"]] == ["空气质量小时监测数据"]
            rid = found["results"][0]["resources"][0]["id"]
            assert result("datastore_search", resource_id=rid)["total"] == 4
            assert result("organization_show", id="sthjj")["package_count"] == 1
            assert result("organization_show", id="gaj")["package_count"] == 0
            hidden = client.get("/api/3/action/package_show", params={"id": closed.entry_id})
            assert hidden.status_code == 404
            # The internal catalog itself stays closed to visitors.
            assert client.get(f"/api/v1/datasets/{air.id}").status_code == 404
    finally:
        services.close()
