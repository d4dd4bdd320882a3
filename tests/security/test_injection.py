"""SQL injection corpus against every filter, sort, search and SQL parameter: nothing escapes."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import inspect

from tests.api.test_data_api import air_csv, new_entry, upload
from tests.support.city import SmallCity

# A value only the owning department may read: it must never reach another caller.
CANARY = "CANARY-7f3a-密"
SQUARE = [117.0208, 36.6636]

PAYLOADS = (
    "' OR 1=1--",
    "' OR '1'='1",
    '" OR "1"="1',
    "') OR ('1'='1",
    "1 OR 1=1",
    "1) OR (1=1",
    "'; DROP TABLE catalog_entries;--",
    '"; DROP TABLE x;--',
    "1; DELETE FROM users",
    "1) UNION SELECT name, sql, 1, 1, 1 FROM sqlite_master--",
    "' UNION SELECT table_name, 1, 1, 1, 1 FROM information_schema.tables--",
    "' UNION ALL SELECT NULL--",
    "1 UNION SELECT password_hash FROM users",
    "'; SELECT pg_sleep(5);--",
    "' AND pg_sleep(5) IS NULL--",
    "1; SELECT sleep(5)",
    "' /* comment */ OR /**/ 1=1 --",
    "'/**/OR/**/1=1#",
    "admin'--",
    "%' OR '%'='",
    "_%",
    "\\' OR 1=1 --",
    "\u2019 OR 1=1--",  # a typographic quote some normalisers fold into '
    "\uff07 OR 1=1--",  # the full-width apostrophe
    "' || (SELECT sql FROM sqlite_master LIMIT 1) || '",
    "'; ATTACH DATABASE '/tmp/x.db' AS x;--",
    "'; COPY (SELECT 1) TO PROGRAM 'id';--",
    "$$; DROP TABLE x; $$",
    "1e309",
    "\x00' OR 1=1",
    "監測站點) OR (1=1",
    "`id` OR 1=1",
)


@dataclass
class World:
    """An open dataset, a closed one holding the canary, and the tables behind them."""

    open_id: int
    open_table: str
    closed_id: int
    closed_table: str
    resource_id: str


@pytest.fixture
def world(client: TestClient, city: SmallCity) -> World:
    """Two datasets with data; the closed one holds the canary in its rows."""
    open_id = new_entry(city)
    assert upload(client, city, open_id, air_csv(40))["status"] == "succeeded"
    closed_id = new_entry(
        city,
        name="执法内部数据",
        sharing_type="conditional",
        sharing_conditions="仅用于环境执法",
        open_type="closed",
        legal_basis="《中华人民共和国环境保护法》",
    )
    secret = air_csv(6).decode().replace("泉城广场", CANARY).encode()
    assert upload(client, city, closed_id, secret)["status"] == "succeeded"
    steward = city.auth("env_steward")
    open_table = client.get(f"/api/v1/datasets/{open_id}/data").json()["table"]
    closed_table = client.get(f"/api/v1/datasets/{closed_id}/data", headers=steward).json()["table"]
    # A CSV resource of the CKAN API is named by its SQL table.
    return World(open_id, open_table, closed_id, closed_table, open_table)


def snapshot(client: TestClient, city: SmallCity, world: World) -> dict[str, Any]:
    """What must not change: metadata tables and the row counts of both data tables."""
    admin = city.auth("admin")
    counts = {}
    for table in (world.open_table, world.closed_table):
        answer = client.post(
            "/api/v1/sql", json={"sql": f"SELECT count(*) FROM {table}"}, headers=admin
        )
        assert answer.status_code == 200, answer.text
        counts[table] = answer.json()["rows"][0][0]
    engine = city.services.db.engine
    return {"tables": sorted(inspect(engine).get_table_names()), "counts": counts}


def requests_for(world: World, payload: str) -> list[tuple[str, str, dict[str, Any]]]:
    """Every (method, url, httpx kwargs) carrying the payload in a query position."""
    rows = f"/api/v1/datasets/{world.open_id}/rows"
    both = f"{payload},{payload}"
    get: list[dict[str, Any]] = [
        {"所属区县__eq": payload},
        {"所属区县__in": both},
        {"所属区县__contains": payload},
        {"所属区县__startswith": payload},
        {"PM2.5浓度__between": both},
        {"PM2.5浓度__eq": payload},
        {f"{payload}__eq": "1"},
        {payload: "1"},
        {"_sort": payload},
        {"_sort": f"-{payload}"},
        {"_fields": payload},
        {"_group_by": payload},
        {"_agg": payload},
        {"_group_by": "所属区县", "_agg": f"max:{payload}"},
        {"_next": payload},
    ]
    out: list[tuple[str, str, dict[str, Any]]] = [("GET", rows, {"params": p}) for p in get]
    export = f"/api/v1/datasets/{world.open_id}/export.csv"
    out.append(("GET", export, {"params": {"所属区县__eq": payload}}))
    out.append(("GET", "/api/v1/datasets", {"params": {"q": payload}}))
    search = "/api/3/action/package_search"
    out += [("GET", search, {"params": {k: payload}}) for k in ("q", "fq", "sort")]
    out.append(("GET", search, {"params": {"fq": f"organization:{payload}"}}))
    ds = "/api/3/action/datastore_search"
    rid = world.resource_id
    out += [
        ("POST", ds, {"json": {"resource_id": rid, "filters": {"所属区县": payload}}}),
        ("POST", ds, {"json": {"resource_id": rid, "filters": {payload: "x"}}}),
        ("POST", ds, {"json": {"resource_id": rid, "sort": payload}}),
        ("POST", ds, {"json": {"resource_id": rid, "q": payload}}),
        ("POST", ds, {"json": {"resource_id": rid, "fields": [payload]}}),
        ("POST", ds, {"json": {"resource_id": payload}}),
    ]
    entities = "/ngsi-ld/v1/entities"
    for params in (
        {"type": "Streetlight", "q": payload},
        {"type": "Streetlight", "q": f"status=={payload}"},
        {"type": "Streetlight", "attrs": payload},
        {"type": payload},
        {"idPattern": payload},
    ):
        out.append(("GET", entities, {"params": params}))
    table = world.open_table
    for sql in (
        f"SELECT * FROM {table} WHERE 所属区县 = '{payload}'",
        f"SELECT * FROM {table} WHERE 所属区县 = {payload}",
        f"SELECT * FROM {table} {payload}",
        payload,
    ):
        out.append(("POST", "/api/v1/sql", {"json": {"sql": sql}}))
        out.append(("GET", "/api/3/action/datastore_search_sql", {"params": {"sql": sql}}))
    return out


def check_answer(response: Response, *, what: str) -> None:
    """A 4xx with our error body (or CKAN's, or ProblemDetails), or a 2xx without the canary."""
    assert response.status_code < 500, f"{what}: {response.status_code} {response.text[:300]}"
    assert CANARY not in response.text, f"{what}: the canary leaked"
    if response.status_code >= 400:
        body = response.json()
        assert isinstance(body.get("error"), dict), f"{what}: not our error body: {body}"
        if "success" in body:  # CKAN's envelope
            assert body["success"] is False and "__type" in body["error"]
        else:
            assert body["error"]["code"] and body["error"]["message"]
    elif response.headers.get("content-type", "").startswith("application/json"):
        body = response.json()
        if isinstance(body, dict) and "total" in body and "rows" in body:
            assert body["total"] is None or body["total"] <= 40, f"{what}: rows appeared"


def streetlight() -> dict[str, Any]:
    """A minimal NGSI-LD entity, so that entity queries have something to match."""
    return {
        "id": "urn:ngsi-ld:Streetlight:injection-1",
        "type": "Streetlight",
        "location": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": SQUARE}},
        "status": {"type": "Property", "value": "ok"},
        "powerState": {"type": "Property", "value": "on"},
    }


# The public and another department: neither may read the closed dataset.
@pytest.mark.parametrize("caller", ["anonymous", "gaj_user"])
def test_injection_corpus_never_escapes(
    client: TestClient, city: SmallCity, world: World, caller: str
) -> None:
    made = client.post(
        "/ngsi-ld/v1/entities?department=gaj", json=streetlight(), headers=city.auth("admin")
    )
    assert made.status_code == 201, made.text
    headers: dict[str, str] = {} if caller == "anonymous" else city.auth(caller)
    # A harmless round first: tables some stores create on first use exist before the snapshot.
    for method, url, kwargs in requests_for(world, "历下区"):
        client.request(method, url, headers=headers, **kwargs)
    before = snapshot(client, city, world)

    for payload in PAYLOADS:
        for method, url, kwargs in requests_for(world, payload):
            response = client.request(method, url, headers=headers, **kwargs)
            check_answer(response, what=f"{method} {url} {json.dumps(kwargs, ensure_ascii=False)}")

    after = snapshot(client, city, world)
    assert after["counts"] == before["counts"]
    assert set(before["tables"]) - set(after["tables"]) == set(), "a table was dropped"
    created = set(after["tables"]) - set(before["tables"])
    # The telemetry store creates its tables on first use, at a time of its own choosing.
    assert {t for t in created if not t.startswith("qct_")} == set(), "a table was created"


def test_the_owner_gets_no_more_rows_through_an_injected_filter(
    client: TestClient, city: SmallCity, world: World
) -> None:
    steward = city.auth("env_steward")
    rows = f"/api/v1/datasets/{world.open_id}/rows"
    probes: list[Callable[[str], dict[str, str]]] = [
        lambda p: {"所属区县__eq": p},
        lambda p: {"所属区县__contains": p},
        lambda p: {"所属区县__in": p},
    ]
    for payload in PAYLOADS:
        for probe in probes:
            response = client.get(rows, params=probe(payload), headers=steward)
            assert response.status_code < 500, response.text
            if response.status_code == 200:
                # No district name contains SQL: a filter that matches rows was not escaped.
                assert response.json()["total"] == 0, (payload, probe(payload))
