"""The NGSI-LD HTTP API: status codes, Location and Link headers, ProblemDetails, filters."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from quancheng.app import Services
from quancheng.operations.telemetry import RAW_TABLE
from tests.operations.test_entities import (
    BAOTU_SPRING,
    DAMING_LAKE,
    JINAN_WEST_STATION,
    OLD_CITY,
    QUANCHENG_SQUARE,
    SAMPLES,
    air_station,
    prop,
    streetlight,
)
from tests.support.city import SmallCity

V1 = "/ngsi-ld/v1"
ERRORS = "https://uri.etsi.org/ngsi-ld/errors/"


def problem(response: Any, status: int, kind: str) -> dict[str, Any]:
    """Assert a ProblemDetails answer of that status and NGSI-LD type."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    assert body["type"] == ERRORS + kind
    assert body["status"] == status
    assert body["title"] and body["detail"]
    return body


def test_create_then_read_with_location_and_link(client: TestClient, city: SmallCity) -> None:
    body = streetlight("api-1")
    created = client.post(f"{V1}/entities", json=body, headers=city.auth("gaj_steward"))
    assert created.status_code == 201, created.text
    assert created.headers["location"] == f"{V1}/entities/urn:ngsi-ld:Streetlight:api-1"
    read = client.get(created.headers["location"], headers=city.auth("env_steward"))
    assert read.status_code == 200
    assert read.json() == body
    link = read.headers["link"]
    assert 'rel="http://www.w3.org/ns/json-ld#context"' in link
    context_url = link.split(">", 1)[0].lstrip("<")
    assert context_url.endswith(f"{V1}/contexts/quancheng-context.jsonld")
    context = client.get(context_url)  # served locally, to anyone
    assert context.status_code == 200
    assert context.headers["content-type"].startswith("application/ld+json")
    terms = context.json()["@context"][1]
    assert terms["Streetlight"] == "sdm-streetlighting:Streetlight"
    assert terms["sdm-streetlighting"] == "https://smartdatamodels.org/dataModel.Streetlighting/"
    core = client.get(context.json()["@context"][0])
    assert core.json()["@context"]["observedAt"]["@id"] == "https://uri.etsi.org/ngsi-ld/observedAt"
    assert client.get(f"{V1}/contexts/other.jsonld").status_code == 404


def test_json_ld_in_and_out(client: TestClient, city: SmallCity) -> None:
    body = {**streetlight("ld-1"), "@context": "https://example.test/ignored-context.jsonld"}
    created = client.post(
        f"{V1}/entities",
        content=json.dumps(body),
        headers={**city.auth("gaj_steward"), "Content-Type": "application/ld+json"},
    )
    assert created.status_code == 201, created.text
    read = client.get(
        created.headers["location"],
        headers={**city.auth("gaj_user"), "Accept": "application/ld+json"},
    )
    assert read.headers["content-type"].startswith("application/ld+json")
    assert read.json()["@context"].endswith("/contexts/quancheng-context.jsonld")
    assert "link" not in read.headers


def test_every_model_through_the_api(client: TestClient, city: SmallCity) -> None:
    for body in SAMPLES.values():
        response = client.post(
            f"{V1}/entities", json=body, params={"department": "gaj"}, headers=city.auth("admin")
        )
        assert response.status_code == 201, response.text
        assert client.get(response.headers["location"], headers=city.auth("admin")).json() == body


def test_errors_are_problem_details(
    client: TestClient, city: SmallCity, services: Services
) -> None:
    auth = city.auth("gaj_steward")
    client.post(f"{V1}/entities", json=streetlight("e1"), headers=auth)
    body = problem(
        client.post(f"{V1}/entities", json=streetlight("e1"), headers=auth), 409, "AlreadyExists"
    )
    assert body["error"]["code"] == "AlreadyExists"
    problem(
        client.post(f"{V1}/entities", json={**streetlight("e2"), "id": "lamp-2"}, headers=auth),
        400,
        "BadRequestData",
    )
    problem(
        client.post(
            f"{V1}/entities", json=streetlight("e3", illuminanceLevel=prop(2)), headers=auth
        ),
        400,
        "BadRequestData",
    )
    bad_geo = streetlight(
        "e4", location={"type": "GeoProperty", "value": {"type": "Point", "coordinates": [117]}}
    )
    problem(client.post(f"{V1}/entities", json=bad_geo, headers=auth), 400, "BadRequestData")
    future = streetlight("e5", powerState=prop("on", observedAt="2999-01-01T00:00:00Z"))
    problem(client.post(f"{V1}/entities", json=future, headers=auth), 400, "BadRequestData")
    broken = client.post(
        f"{V1}/entities",
        content=b"{not json",
        headers={**auth, "Content-Type": "application/json"},
    )
    problem(broken, 400, "InvalidRequest")
    problem(
        client.get(f"{V1}/entities/urn:ngsi-ld:Streetlight:none", headers=auth),
        404,
        "ResourceNotFound",
    )
    problem(
        client.get(f"{V1}/entities", params={"limit": 1001}, headers=auth), 400, "InvalidRequest"
    )
    problem(
        client.get(f"{V1}/entities", params={"q": "powerState=on="}, headers=auth),
        400,
        "InvalidRequest",
    )
    problem(
        client.get(f"{V1}/entities", params={"georel": "near;maxDistance==10"}, headers=auth),
        400,
        "InvalidRequest",
    )
    with services.db.reader() as s:
        from sqlalchemy import func, select

        from quancheng.db.models import OpsEntity

        assert s.scalar(select(func.count()).select_from(OpsEntity)) == 1


def test_401_and_403_bodies(client: TestClient, city: SmallCity) -> None:
    anonymous = client.get(f"{V1}/entities")
    assert anonymous.status_code == 401
    body = anonymous.json()
    assert body["type"] == "urn:quancheng:errors:not_authenticated"
    assert body["error"]["code"] == "not_authenticated"
    citizen = client.get(f"{V1}/entities", headers=city.auth("citizen"))
    assert citizen.status_code == 403
    assert citizen.json()["type"] == "urn:quancheng:errors:permission_denied"
    assert citizen.json()["error"]["code"] == "permission_denied"
    # Deny first: a reader's malformed write is a 403, not a 400.
    refused = client.post(f"{V1}/entities", json={"id": 1}, headers=city.auth("gaj_user"))
    assert refused.status_code == 403
    bad_token = client.get(f"{V1}/entities", headers={"Authorization": "Bearer nope"})
    assert bad_token.status_code == 401 and bad_token.json()["status"] == 401


def seed(client: TestClient, city: SmallCity) -> None:
    gaj, env = city.auth("gaj_steward"), city.auth("env_steward")
    for body, auth in (
        (streetlight("square", QUANCHENG_SQUARE), gaj),
        (streetlight("spring", BAOTU_SPRING, powerState=prop("off")), gaj),
        (streetlight("lake", DAMING_LAKE, illuminanceLevel=prop(0.3)), gaj),
        (streetlight("west", JINAN_WEST_STATION), gaj),
        (air_station("lake-station", DAMING_LAKE), env),
    ):
        assert client.post(f"{V1}/entities", json=body, headers=auth).status_code == 201


def found(client: TestClient, city: SmallCity, **params: Any) -> list[str]:
    response = client.get(f"{V1}/entities", params=params, headers=city.auth("gaj_user"))
    assert response.status_code == 200, response.text
    return sorted(e["id"].rsplit(":", 1)[-1] for e in response.json())


def test_query_parameters(client: TestClient, city: SmallCity) -> None:
    seed(client, city)
    assert found(client, city, type="AirQualityObserved") == ["lake-station"]
    assert found(client, city, type="Streetlight,AirQualityObserved", limit=100) == [
        "lake",
        "lake-station",
        "spring",
        "square",
        "west",
    ]
    assert found(client, city, id="urn:ngsi-ld:Streetlight:west") == ["west"]
    assert found(client, city, q='powerState=="on";illuminanceLevel>0.5') == ["square", "west"]
    assert found(client, city, q="PM2_5>30") == ["lake-station"]
    assert found(client, city, attrs="PM10") == ["lake-station"]
    near = {
        "georel": "near;maxDistance==1000",
        "geometry": "Point",
        "coordinates": json.dumps(list(QUANCHENG_SQUARE)),
    }
    assert found(client, city, **near) == ["spring", "square"]
    within = {"georel": "within", "geometry": "Polygon", "coordinates": json.dumps([OLD_CITY])}
    assert found(client, city, **within, type="Streetlight") == ["lake", "spring", "square"]
    page = client.get(
        f"{V1}/entities",
        params={"limit": 2, "offset": 1, "count": "true"},
        headers=city.auth("admin"),
    )
    assert len(page.json()) == 2 and page.headers["ngsild-results-count"] == "5"
    kv = client.get(
        f"{V1}/entities",
        headers=city.auth("admin"),
        params={
            "id": "urn:ngsi-ld:Streetlight:spring",
            "options": "keyValues",
            "attrs": "powerState,location",
        },
    )
    assert kv.json() == [
        {
            "id": "urn:ngsi-ld:Streetlight:spring",
            "type": "Streetlight",
            "powerState": "off",
            "location": {"type": "Point", "coordinates": list(BAOTU_SPRING)},
        }
    ]


def test_patch_merge_and_delete(client: TestClient, city: SmallCity) -> None:
    auth = city.auth("gaj_steward")
    client.post(f"{V1}/entities", json=streetlight("p1"), headers=auth)
    url = f"{V1}/entities/urn:ngsi-ld:Streetlight:p1"
    patched = client.patch(f"{url}/attrs", json={"powerState": prop("off")}, headers=auth)
    assert patched.status_code == 204, patched.text
    merged = client.patch(url, json={"illuminanceLevel": prop(0.1)}, headers=auth)
    assert merged.status_code == 204
    entity = client.get(url, headers=auth).json()
    assert entity["powerState"]["value"] == "off"
    assert entity["illuminanceLevel"]["value"] == 0.1
    assert entity["status"]["value"] == "ok"
    problem(
        client.patch(url, json={"powerState": prop("exploded")}, headers=auth),
        400,
        "BadRequestData",
    )
    assert (
        client.patch(
            url, json={"powerState": prop("on")}, headers=city.auth("env_steward")
        ).status_code
        == 403
    )
    assert client.delete(url, headers=auth).status_code == 204
    problem(client.delete(url, headers=auth), 404, "ResourceNotFound")


def test_batch_upsert(client: TestClient, city: SmallCity) -> None:
    auth = city.auth("gaj_steward")
    url = f"{V1}/entityOperations/upsert"
    batch = [streetlight("b1"), streetlight("b2", BAOTU_SPRING)]
    first = client.post(url, json=batch, headers=auth)
    assert first.status_code == 201
    assert sorted(first.json()) == ["urn:ngsi-ld:Streetlight:b1", "urn:ngsi-ld:Streetlight:b2"]
    again = client.post(url, json=batch, headers=auth)
    assert again.status_code == 204
    mixed = client.post(
        url, json=[streetlight("b3"), {**streetlight("b4"), "type": "Lamp"}], headers=auth
    )
    assert mixed.status_code == 207
    body = mixed.json()
    assert body["success"] == ["urn:ngsi-ld:Streetlight:b3"]
    assert body["errors"][0]["entityId"] == "urn:ngsi-ld:Streetlight:b4"
    assert body["errors"][0]["error"]["type"] == ERRORS + "BadRequestData"
    problem(client.post(url, json={"not": "a list"}, headers=auth), 400, "BadRequestData")
    only_update = client.post(
        url,
        params={"options": "update"},
        headers=auth,
        json=[
            {"id": "urn:ngsi-ld:Streetlight:b1", "type": "Streetlight", "powerState": prop("off")}
        ],
    )
    assert only_update.status_code == 204
    lamp = client.get(f"{V1}/entities/urn:ngsi-ld:Streetlight:b1", headers=auth).json()
    assert lamp["powerState"]["value"] == "off" and lamp["status"]["value"] == "ok"


def test_subscriptions_over_http(client: TestClient, city: SmallCity, services: Services) -> None:
    auth = city.auth("gaj_steward")
    body = {
        "type": "Subscription",
        "entities": [{"type": "AirQualityObserved"}],
        "watchedAttributes": ["PM2_5"],
        "q": "PM2_5>75",
        "throttling": 60,
        "notification": {"endpoint": {"uri": "https://hooks.example.test/aqi"}},
    }
    created = client.post(f"{V1}/subscriptions", json=body, headers=auth)
    assert created.status_code == 201, created.text
    location = created.headers["location"]
    sub = client.get(location, headers=city.auth("gaj_user")).json()
    assert sub["q"] == "PM2_5>75" and sub["throttling"] == 60 and sub["isActive"] is True
    assert [s["id"] for s in client.get(f"{V1}/subscriptions", headers=auth).json()] == [sub["id"]]
    assert client.get(location, headers=city.auth("env_steward")).status_code == 403
    bad = {**body, "notification": {"endpoint": {"uri": "gopher://hooks.example.test/"}}}
    problem(client.post(f"{V1}/subscriptions", json=bad, headers=auth), 400, "BadRequestData")
    dup = {**body, "id": sub["id"]}
    problem(client.post(f"{V1}/subscriptions", json=dup, headers=auth), 409, "AlreadyExists")
    assert client.delete(location, headers=auth).status_code == 204
    problem(client.get(location, headers=auth), 404, "ResourceNotFound")
    services.entities.close()


def test_writes_are_answered_once_their_values_are_in_the_history(
    client: TestClient, services: Services, city: SmallCity
) -> None:
    auth = city.auth("gaj_steward")
    urn = "urn:ngsi-ld:Streetlight:h1"
    at = (datetime.now(UTC) - timedelta(minutes=2)).isoformat()
    lamp = streetlight("h1", illuminanceLevel=prop(0.4, observedAt=at))

    def history() -> list[tuple[Any, ...]]:
        # Read without flushing: only what the writer has committed.
        return services.telemetry.engine.fetch(
            f"SELECT attribute, value_num FROM {RAW_TABLE} "
            "WHERE entity_id = ? AND attribute = 'illuminanceLevel' ORDER BY observed_at",
            [urn],
        )

    assert (
        client.post(f"{V1}/entityOperations/upsert", json=[lamp], headers=auth).status_code == 201
    )
    assert history() == [("illuminanceLevel", 0.4)]
    later = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    patch = {"illuminanceLevel": prop(0.6, observedAt=later)}
    assert client.patch(f"{V1}/entities/{urn}/attrs", json=patch, headers=auth).status_code == 204
    assert history() == [("illuminanceLevel", 0.4), ("illuminanceLevel", 0.6)]


def test_non_finite_numbers_are_refused_and_the_entity_stays_readable(
    client: TestClient, city: SmallCity
) -> None:
    # Regression: 1e400, NaN and -Infinity were read by the standard library as floats and
    # stored; every later GET of the entity (and each query finding it) was a 500.
    auth = {**city.auth("gaj_steward"), "Content-Type": "application/json"}
    assert client.post(f"{V1}/entities", json=streetlight("finite"), headers=auth).is_success
    lamp = f"{V1}/entities/urn:ngsi-ld:Streetlight:finite"
    for literal in ("1e400", "NaN", "-Infinity"):
        reading = '"reading": {"type": "Property", "value": ' + literal + "}"
        patch = "{" + reading + "}"
        problem(client.patch(f"{lamp}/attrs", content=patch, headers=auth), 400, "InvalidRequest")
        fresh = json.dumps(streetlight("nan-" + literal.lstrip("-").lower()))
        created = fresh[:-1] + ", " + reading + "}"
        problem(client.post(f"{V1}/entities", content=created, headers=auth), 400, "InvalidRequest")
        upsert = "[" + created + "]"
        problem(
            client.post(f"{V1}/entityOperations/upsert", content=upsert, headers=auth),
            400,
            "InvalidRequest",
        )
    # A JSON text sent as another media type stays refused, as before the strict decoding.
    plain = {**auth, "Content-Type": "text/plain"}
    as_text = json.dumps(streetlight("plain"))
    problem(client.post(f"{V1}/entities", content=as_text, headers=plain), 415, "BadRequestData")
    read = client.get(lamp, headers=auth)
    assert read.status_code == 200 and "reading" not in read.json()
    listed = client.get(f"{V1}/entities", params={"type": "Streetlight"}, headers=auth)
    assert listed.status_code == 200
    assert [e["id"] for e in listed.json()] == ["urn:ngsi-ld:Streetlight:finite"]


def test_q_ranges_and_value_lists_match_and_or_is_refused(
    client: TestClient, city: SmallCity
) -> None:
    # Regression: `|`, ranges `a..b` and lists `"a","b"` were read as one text value, so a
    # query an operator typed from the NGSI-LD spec answered [] instead of the lamps.
    seed(client, city)
    lamps = {"type": "Streetlight"}
    assert found(client, city, **lamps, q="illuminanceLevel==0.2..0.5") == ["lake"]
    assert found(client, city, **lamps, q="illuminanceLevel!=0.2..0.5") == [
        "spring",
        "square",
        "west",
    ]
    assert found(client, city, **lamps, q='powerState=="off","low"') == ["spring"]
    assert found(client, city, **lamps, q="powerState!=off,low") == ["lake", "square", "west"]
    auth = city.auth("gaj_user")
    for q in ("powerState==on|powerState==off", "(powerState==on)", "illuminanceLevel>0.1..0.5"):
        response = client.get(f"{V1}/entities", params={**lamps, "q": q}, headers=auth)
        problem(response, 400, "InvalidRequest")


def test_an_offset_past_any_database_is_an_invalid_request(
    client: TestClient, city: SmallCity
) -> None:
    # Regression: offset=10^19 reached the database and came back as a 400 without the
    # ProblemDetails members (`unstorable_value`), unlike every other NGSI-LD error.
    auth = city.auth("gaj_user")
    for offset in (10**19, 1_000_000_001):
        response = client.get(f"{V1}/entities", params={"offset": offset}, headers=auth)
        problem(response, 400, "InvalidRequest")
    assert client.get(f"{V1}/entities", params={"offset": 10**9}, headers=auth).json() == []
    # Subscriptions page alike (they were clamped silently: a client asking 100,000 got 1,000
    # and could not tell it had not got everything).
    for page in ({"offset": 10**19}, {"offset": -5}, {"limit": 100_000}, {"limit": 0}):
        response = client.get(f"{V1}/subscriptions", params=page, headers=auth)
        problem(response, 400, "InvalidRequest")
    assert client.get(f"{V1}/subscriptions", params={"limit": 1000}, headers=auth).json() == []


def test_media_types_in_and_out_follow_the_spec(client: TestClient, city: SmallCity) -> None:
    auth = city.auth("gaj_steward")
    lamp = streetlight("media")
    ld = {**auth, "Content-Type": "application/ld+json"}
    # JSON-LD carries its @context in the body; without one it is not JSON-LD (CIM 009 6.3.5).
    bare = client.post(f"{V1}/entities", content=json.dumps(lamp), headers=ld)
    assert problem(bare, 400, "BadRequestData")["detail"].startswith("an application/ld+json")
    batch = [{**streetlight("m1"), "@context": "https://example.test/c.jsonld"}, streetlight("m2")]
    upsert = client.post(f"{V1}/entityOperations/upsert", content=json.dumps(batch), headers=ld)
    problem(upsert, 400, "BadRequestData")
    xml = {**auth, "Content-Type": "application/xml"}
    body = problem(
        client.post(f"{V1}/entities", content="<lamp/>", headers=xml), 415, "BadRequestData"
    )
    assert body["error"]["code"] == "unsupported_media_type"
    # None of the refused bodies created anything.
    for name in ("media", "m1", "m2"):
        missing = client.get(f"{V1}/entities/urn:ngsi-ld:Streetlight:{name}", headers=auth)
        assert missing.status_code == 404
    # A merge patch is JSON too.
    assert client.post(f"{V1}/entities", json=lamp, headers=auth).status_code == 201
    merge = {**auth, "Content-Type": "application/merge-patch+json"}
    patch = json.dumps({"powerState": prop("off")})
    url = f"{V1}/entities/urn:ngsi-ld:Streetlight:media"
    assert client.patch(url, content=patch, headers=merge).status_code == 204
    assert client.get(url, headers=auth).json()["powerState"]["value"] == "off"
    # Answers are JSON or JSON-LD: a client accepting only XML gets 406, a browser its JSON.
    only_xml = client.get(url, headers={**auth, "Accept": "application/xml"})
    assert problem(only_xml, 406, "BadRequestData")["error"]["code"] == "not_acceptable"
    browser = {**auth, "Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
    assert client.get(url, headers=browser).status_code == 200


def test_a_near_query_needs_finite_distances_and_coordinates(
    client: TestClient, city: SmallCity
) -> None:
    auth = city.auth("gaj_user")
    near = {"type": "Streetlight", "georel": "near;maxDistance==500", "geometry": "Point"}
    ok = client.get(f"{V1}/entities", params={**near, "coordinates": "[117.0, 36.6]"}, headers=auth)
    assert ok.status_code == 200
    for georel, coordinates in (
        ("near;maxDistance==nan", "[117.0, 36.6]"),
        ("near;maxDistance==inf", "[117.0, 36.6]"),
        ("near;maxDistance==500;minDistance==-inf", "[117.0, 36.6]"),
        ("near;maxDistance==500", "[NaN, 36.6]"),
    ):
        params = {**near, "georel": georel, "coordinates": coordinates}
        problem(client.get(f"{V1}/entities", params=params, headers=auth), 400, "InvalidRequest")
