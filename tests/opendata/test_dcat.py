"""DCAT-AP and Data Package output of the open catalog, validated against the official shapes."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from pyshacl import validate
from rdflib import Graph, Literal, Namespace, URIRef

from quancheng.catalog.model import UpdateCycle
from quancheng.opendata.datapackage import package_name
from quancheng.opendata.dcat import EU_ACCESS, FREQUENCIES, HYDRA
from tests.conftest import SHARED_TESTDATA
from tests.support.city import SmallCity, entry_fields

# Plain namespaces: pytest probes module globals, and rdflib's DefinedNamespace warns on that.
DCAT = Namespace("http://www.w3.org/ns/dcat#")
DCTERMS = Namespace("http://purl.org/dc/terms/")
RDF = Namespace("http://www.w3.org/1999/02/22-rdf-syntax-ns#")

SHAPES = SHARED_TESTDATA / "dcat-ap-3.0.0-SHACL.ttl"
PARSERS = {"ttl": "turtle", "jsonld": "json-ld", "rdf": "xml"}
MEDIA = {"ttl": "text/turtle", "jsonld": "application/ld+json", "rdf": "application/rdf+xml"}
BASE = "http://testserver"


@pytest.fixture(scope="module")
def shapes() -> Graph:
    """The DCAT-AP 3.0.0 SHACL shapes, as published by SEMIC."""
    return Graph().parse(SHAPES, format="turtle")


def publish(city: SmallCity, **overrides: Any) -> int:
    """A published entry of 生态环境局 with these field overrides."""
    steward = city.principals["env_steward"]
    catalog = city.services.catalog
    entry = catalog.create(steward, department="sthjj", fields=entry_fields(**overrides))
    catalog.submit(steward, entry.id)
    catalog.publish(steward, entry.id)
    return entry.id


def load_air_quality(city: SmallCity, entry_id: int, tmp_path: Path) -> None:
    """Load a small CSV into the entry through the real datastore."""
    path = tmp_path / "air.csv"
    path.write_text(
        "监测站点,监测时间,PM2.5浓度\n"
        "市监测站,2024-01-05 08:00:00,35.5\n"
        "开发区,2024-01-05 09:00:00,41.0\n",
        encoding="utf-8",
    )
    steward = city.principals["env_steward"]
    job = city.services.datastore.start_load(steward, entry_id, source_name="air.csv")
    done = city.services.datastore.run_load(job.id, path)
    assert done.status == "succeeded", done.message


@pytest.fixture
def portal(city: SmallCity, tmp_path: Path) -> dict[str, int]:
    """An open entry with data, a conditional one, a closed one and a draft."""
    open_id = publish(city)
    load_air_quality(city, open_id, tmp_path)
    conditional = publish(
        city,
        name="重点排污单位自动监测数据",
        name_en="Automatic monitoring of key polluters",
        open_type="conditional",
        open_conditions="科研用途，签署数据使用协议",
        update_cycle="monthly",
    )
    closed = publish(city, name="执法案件线索", name_en="Enforcement leads", open_type="closed")
    steward = city.principals["env_steward"]
    draft = city.services.catalog.create(
        steward, department="sthjj", fields=entry_fields(name="草稿数据")
    ).id
    return {"open": open_id, "conditional": conditional, "closed": closed, "draft": draft}


def fetch(client: TestClient, url: str, fmt: str) -> Graph:
    """GET an RDF document anonymously and parse it back."""
    response = client.get(url)
    assert response.status_code == 200, response.text[:500]
    assert response.headers["content-type"].startswith(MEDIA[fmt])
    return Graph().parse(data=response.content, format=PARSERS[fmt], publicID=BASE)


def assert_valid(graph: Graph, shapes: Graph) -> None:
    """Fail on any SHACL violation, with pyshacl's report as the message."""
    conforms, _, report = validate(graph, shacl_graph=shapes, inference="none")
    assert conforms, report


def langs(graph: Graph, subject: URIRef, prop: URIRef) -> set[str | None]:
    """The language tags of a property's literals."""
    return {o.language for o in graph.objects(subject, prop) if isinstance(o, Literal)}


def code_of(city: SmallCity, entry_id: int) -> str:
    """An entry's resource code."""
    return city.services.catalog.get(city.principals["admin"], entry_id).code


@pytest.mark.parametrize("fmt", ["ttl", "jsonld", "rdf"])
def test_catalog_is_valid_dcat_ap_with_only_public_entries(
    client: TestClient, city: SmallCity, portal: dict[str, int], shapes: Graph, fmt: str
) -> None:
    g = fetch(client, f"/catalog.{fmt}", fmt)
    assert_valid(g, shapes)
    catalog = URIRef(f"{BASE}/catalog")
    assert (catalog, RDF.type, DCAT.Catalog) in g
    assert langs(g, catalog, DCTERMS.title) == {"zh", "en"}
    publisher = g.value(catalog, DCTERMS.publisher)
    assert publisher == URIRef(f"{BASE}/departments/bigdata")
    listed = {g.value(d, DCTERMS.identifier) for d in g.objects(catalog, DCAT.dataset)}
    codes = {k: Literal(code_of(city, v)) for k, v in portal.items()}
    assert listed == {codes["open"], codes["conditional"]}
    page = URIRef(f"{BASE}/catalog.{fmt}?page=1")
    assert g.value(page, HYDRA.totalItems).toPython() == 2  # type: ignore[union-attr]
    assert g.value(page, HYDRA.nextPage) is None


@pytest.mark.parametrize("fmt", ["ttl", "jsonld", "rdf"])
def test_open_dataset_has_downloads_in_every_format(
    client: TestClient, city: SmallCity, portal: dict[str, int], shapes: Graph, fmt: str
) -> None:
    code = code_of(city, portal["open"])
    g = fetch(client, f"/dataset/{code}.{fmt}", fmt)
    assert_valid(g, shapes)
    ds = URIRef(f"{BASE}/dataset/{portal['open']}")
    assert langs(g, ds, DCTERMS.title) == {"zh", "en"}
    assert Literal("空气质量小时监测数据", lang="zh") in set(g.objects(ds, DCTERMS.title))
    assert Literal("Hourly air quality monitoring data", lang="en") in set(
        g.objects(ds, DCTERMS.title)
    )
    assert g.value(ds, DCTERMS.accessRights) == EU_ACCESS.PUBLIC
    assert g.value(ds, DCTERMS.accrualPeriodicity) == URIRef(
        "http://publications.europa.eu/resource/authority/frequency/UPDATE_CONT"
    )
    publisher = g.value(ds, DCTERMS.publisher)
    assert publisher is not None
    assert {str(n) for n in g.objects(publisher, URIRef("http://xmlns.com/foaf/0.1/name"))} == {
        "济南市生态环境局",
        "Jinan Ecology and Environment Bureau",
    }
    downloads = {str(u) for u in g.objects(None, DCAT.downloadURL)}
    entry_id = portal["open"]
    assert downloads == {
        f"{BASE}/api/v1/datasets/{entry_id}/export.{f}" for f in ("csv", "json", "xlsx", "parquet")
    }
    media = {str(m) for m in g.objects(None, DCAT.mediaType)}
    assert "https://www.iana.org/assignments/media-types/text/csv" in media
    # The download URLs work for an anonymous visitor.
    exported = client.get(f"/api/v1/datasets/{entry_id}/export.csv")
    assert exported.status_code == 200, exported.text[:300]
    assert "市监测站" in exported.content.decode("utf-8-sig")
    # Regression: the landing page was the internal catalog's /catalog/{id}, a 404 for a
    # visitor when public_catalog is off; the portal's page is public in every setting.
    landing = g.value(ds, DCAT.landingPage)
    assert landing == URIRef(f"{BASE}/open/datasets/{entry_id}")
    package = client.get(f"/dataset/{entry_id}/datapackage.json").json()
    assert package["homepage"] == str(landing)
    assert package["sources"][0]["path"] == f"{BASE}/open/departments/sthjj"
    shown = client.get("/api/3/action/package_show", params={"id": code}).json()
    assert shown["result"]["url"] == str(landing)
    assert client.get(str(landing).removeprefix(BASE)).status_code == 200


def test_conditional_dataset_is_restricted_without_downloads(
    client: TestClient, portal: dict[str, int], shapes: Graph
) -> None:
    g = fetch(client, f"/dataset/{portal['conditional']}.ttl", "ttl")
    assert_valid(g, shapes)
    (ds,) = set(g.subjects(RDF.type, DCAT.Dataset))
    assert g.value(ds, DCTERMS.accessRights) == EU_ACCESS.RESTRICTED
    assert list(g.objects(None, DCAT.downloadURL)) == []
    dist = g.value(ds, DCAT.distribution)
    assert dist is not None  # the rows API, for granted users
    # Regression: conditional data was described as CC BY, free to reuse by anyone. It is
    # used under the data-use agreement, and the Data Package says the same.
    agreement = URIRef(f"{BASE}/api/v1/portal/agreement")
    assert g.value(dist, DCTERMS.license) == agreement
    assert client.get("/api/v1/portal/agreement").status_code == 200
    package = client.get(f"/dataset/{portal['conditional']}/datapackage.json").json()
    (licence,) = package["licenses"]
    assert licence["path"] == str(agreement)
    assert licence["title"].startswith("有条件开放数据使用协议")
    assert "name" not in licence
    open_package = client.get(f"/dataset/{portal['open']}/datapackage.json").json()
    assert [x.get("name") for x in open_package["licenses"]] == ["CC-BY-4.0"]


@pytest.mark.parametrize(
    "url",
    [
        "/dataset/{id}.ttl",
        "/dataset/{code}.jsonld",
        "/dataset/{id}.rdf",
        "/dataset/{code}/datapackage.json",
    ],
)
@pytest.mark.parametrize("which", ["closed", "draft"])
def test_closed_and_unpublished_entries_are_not_found(
    client: TestClient, city: SmallCity, portal: dict[str, int], url: str, which: str
) -> None:
    entry_id = portal[which]
    response = client.get(url.format(id=entry_id, code=code_of(city, entry_id)))
    assert response.status_code == 404
    assert "执法案件线索" not in response.text
    assert client.get("/dataset/no-such-code.ttl").status_code == 404


def test_offline_entry_leaves_the_catalog(
    client: TestClient, city: SmallCity, portal: dict[str, int]
) -> None:
    city.services.catalog.take_offline(city.principals["env_steward"], portal["open"])
    assert client.get(f"/dataset/{portal['open']}.ttl").status_code == 404
    g = fetch(client, "/catalog.ttl", "ttl")
    assert len(set(g.subjects(RDF.type, DCAT.Dataset))) == 1


def test_catalog_pages_hold_100_entries_with_next_links(
    client: TestClient, city: SmallCity, shapes: Graph
) -> None:
    ids = [publish(city, name=f"监测数据{n:03d}") for n in range(100)]
    ids.append(publish(city, name="有条件数据", open_type="conditional", open_conditions="科研"))
    publish(city, name="不开放数据", open_type="closed")
    first = fetch(client, "/catalog.ttl", "ttl")
    page1 = URIRef(f"{BASE}/catalog.ttl?page=1")
    assert first.value(page1, HYDRA.totalItems).toPython() == 101  # type: ignore[union-attr]
    assert first.value(page1, HYDRA.nextPage) == URIRef(f"{BASE}/catalog.ttl?page=2")
    second = fetch(client, "/catalog.ttl?page=2", "ttl")
    assert_valid(second, shapes)
    page2 = URIRef(f"{BASE}/catalog.ttl?page=2")
    assert second.value(page2, HYDRA.nextPage) is None
    assert second.value(page2, HYDRA.previousPage) == page1
    on_first = set(first.subjects(RDF.type, DCAT.Dataset))
    on_second = set(second.subjects(RDF.type, DCAT.Dataset))
    assert len(on_first) == 100
    assert len(on_second) == 1
    assert on_first.isdisjoint(on_second)
    # The conditional entry comes after every open one.
    (last,) = on_second
    assert str(last) == f"{BASE}/dataset/{ids[-1]}"
    assert client.get("/catalog.ttl?page=3").status_code == 404
    assert client.get("/catalog.ttl?page=0").status_code == 422


def test_datapackage_describes_the_current_columns(
    client: TestClient, city: SmallCity, portal: dict[str, int]
) -> None:
    response = client.get(f"/dataset/{portal['open']}/datapackage.json")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    package = response.json()
    assert package["name"] == package_name(code_of(city, portal["open"]))
    assert package["title"] == "空气质量小时监测数据"
    assert package["licenses"][0]["path"].startswith("https://creativecommons.org/")
    (resource,) = package["resources"]
    assert resource["format"] == "csv"
    assert resource["rows"] == 2
    info = city.services.datastore.dataset(city.principals["admin"], portal["open"])
    assert info.current is not None
    columns = info.current.schema.columns
    fields = resource["schema"]["fields"]
    assert [f["name"] for f in fields] == [c.name for c in columns]
    assert [f["title"] for f in fields] == ["监测站点", "监测时间", "PM2.5浓度"]
    assert {f["type"] for f in fields} <= {"string", "number", "integer", "datetime", "date"}
    assert fields[2]["type"] == "number"
    # The resource path is a working CSV whose header is the schema's field names.
    path = resource["path"].removeprefix(BASE)
    body = client.get(path)
    assert body.status_code == 200, body.text[:300]
    header = next(csv.reader(io.StringIO(body.content.decode("utf-8"))))
    assert header == [f["name"] for f in fields]
    json.dumps(package)  # plain JSON all the way down


def test_every_update_cycle_has_an_eu_frequency() -> None:
    assert set(FREQUENCIES) == set(UpdateCycle)


@given(st.text(max_size=80))
def test_package_names_follow_the_data_package_pattern(code: str) -> None:
    name = package_name(code)
    assert name
    assert all(c in "abcdefghijklmnopqrstuvwxyz0123456789._-" for c in name)
