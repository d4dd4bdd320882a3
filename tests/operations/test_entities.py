"""The NGSI-LD entity store: validation, queries, merges, upserts, device ingestion, observers."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, inspect, select, text

from quancheng.app import Services
from quancheng.db.models import OpsEntity
from quancheng.errors import BadRequest, Conflict, NotAuthenticated, NotFound, PermissionDenied
from quancheng.identity.roles import Principal
from quancheng.operations import ngsi
from quancheng.operations.entities import EntityQuery, EntityStore, MalformedMessage
from quancheng.operations.model import Observation
from tests.support.city import SmallCity

# Real places in Jinan (lon, lat).
QUANCHENG_SQUARE = (117.0208, 36.6636)
BAOTU_SPRING = (117.0146, 36.6609)  # ~0.6 km west of the square
DAMING_LAKE = (117.0263, 36.6746)  # ~1.3 km north
QIANFO_MOUNTAIN = (117.0399, 36.6426)  # ~2.9 km south-east
JINAN_WEST_STATION = (116.8907, 36.6702)  # ~11.6 km west
# A polygon around the old city (the moat): Baotu Spring, the square and Daming Lake inside.
OLD_CITY = [
    [117.0080, 36.6560],
    [117.0350, 36.6560],
    [117.0350, 36.6800],
    [117.0080, 36.6800],
    [117.0080, 36.6560],
]


def iso(when: datetime) -> str:
    return when.astimezone(UTC).isoformat().replace("+00:00", "Z")


def point(where: tuple[float, float]) -> dict[str, Any]:
    return {"type": "GeoProperty", "value": {"type": "Point", "coordinates": list(where)}}


def prop(value: Any, **extra: Any) -> dict[str, Any]:
    return {"type": "Property", "value": value, **extra}


def streetlight(local: str, where: tuple[float, float] = QUANCHENG_SQUARE, **attrs: Any) -> dict:
    body: dict[str, Any] = {
        "id": f"urn:ngsi-ld:Streetlight:{local}",
        "type": "Streetlight",
        "location": point(where),
        "status": prop("ok"),
        "powerState": prop("on"),
        "illuminanceLevel": prop(0.8),
        "lampFailure": prop(False),
        "districtCode": prop("370102"),
        "refStreetlightGroup": {
            "type": "Relationship",
            "object": "urn:ngsi-ld:StreetlightGroup:quancheng-square",
        },
    }
    body.update(attrs)
    return body


def air_station(local: str, where: tuple[float, float] = DAMING_LAKE) -> dict[str, Any]:
    now = iso(datetime.now(UTC) - timedelta(minutes=1))
    return {
        "id": f"urn:ngsi-ld:AirQualityObserved:{local}",
        "type": "AirQualityObserved",
        "location": point(where),
        "dateObserved": prop(now),
        "PM2_5": prop(35.5, unitCode="GQ", observedAt=now),
        "PM10": prop(61.0, unitCode="GQ", observedAt=now),
        "NO2": prop(22.0, unitCode="GQ"),
        "SO2": prop(7.0, unitCode="GQ"),
        "O3": prop(88.0, unitCode="GQ"),
        "CO": prop(0.6, unitCode="GP"),
        "airQualityIndex": prop(52),
        "airQualityLevel": prop("moderate"),
    }


SAMPLES: dict[str, dict[str, Any]] = {
    "Streetlight": streetlight("jn-000001"),
    "StreetlightGroup": {
        "id": "urn:ngsi-ld:StreetlightGroup:quancheng-square",
        "type": "StreetlightGroup",
        "location": {
            "type": "GeoProperty",
            "value": {"type": "Polygon", "coordinates": [OLD_CITY]},
        },
        "powerState": prop("on"),
        "illuminanceLevel": prop(1),
        "switchingMode": prop(["night-ON", "night-OFF"]),
        "refStreetlight": {
            "type": "Relationship",
            "object": ["urn:ngsi-ld:Streetlight:jn-000001", "urn:ngsi-ld:Streetlight:jn-000002"],
        },
    },
    "StreetlightControlCabinet": {
        "id": "urn:ngsi-ld:StreetlightControlCabinet:lixia-01",
        "type": "StreetlightControlCabinet",
        "location": point(BAOTU_SPRING),
        "workingMode": prop("automatic"),
        "energyConsumed": prop(1520.5, unitCode="KWH"),
        "voltage": prop({"L1": 229.1, "L2": 230.4, "L3": 231.0}, unitCode="VLT"),
        "intensity": prop({"L1": 12.0, "L2": 11.5, "L3": 12.4}, unitCode="AMP"),
    },
    "AirQualityObserved": air_station("jinan-shengzhan"),
    "TrafficFlowObserved": {
        "id": "urn:ngsi-ld:TrafficFlowObserved:jingshi-road-1",
        "type": "TrafficFlowObserved",
        "location": {
            "type": "GeoProperty",
            "value": {"type": "LineString", "coordinates": [[117.00, 36.66], [117.03, 36.66]]},
        },
        "intensity": prop(420),
        "occupancy": prop(0.32),
        "averageVehicleSpeed": prop(38.5, unitCode="KMH"),
        "congested": prop(False),
        "laneDirection": prop("forward"),
    },
    "WaterObserved": {
        "id": "urn:ngsi-ld:WaterObserved:baotu-spring",
        "type": "WaterObserved",
        "location": point(BAOTU_SPRING),
        "height": prop(28.95, unitCode="MTR"),
        "temperature": prop(17.8, unitCode="CEL"),
        "alertLevel": prop("blue"),
    },
}


class Recorder:
    """An observer that keeps what it was given."""

    def __init__(self) -> None:
        self.batches: list[list[Observation]] = []

    def __call__(self, observations: Sequence[Observation]) -> None:
        self.batches.append(list(observations))

    @property
    def all(self) -> list[Observation]:
        return [o for b in self.batches for o in b]


def count_entities(services: Services) -> int:
    with services.db.reader() as s:
        return int(s.scalar(select(func.count()).select_from(OpsEntity)) or 0)


@pytest.fixture
def steward(city: SmallCity) -> Principal:
    return city.principals["gaj_steward"]


@pytest.mark.parametrize("entity_type", sorted(SAMPLES))
def test_each_smart_data_model_round_trips(
    services: Services, city: SmallCity, entity_type: str
) -> None:
    store = services.entities
    body = SAMPLES[entity_type]
    store.create(city.principals["admin"], body, department="gaj")
    stored = store.get(city.principals["env_steward"], body["id"])
    assert stored == body


def test_created_entity_records_department_district_group_and_point(
    services: Services, city: SmallCity, steward: Principal
) -> None:
    services.entities.create(steward, streetlight("jn-1"))
    with services.db.reader() as s:
        row = s.get(OpsEntity, "urn:ngsi-ld:Streetlight:jn-1")
        assert row is not None
        assert row.department_id == city.departments["gaj"]
        assert row.district == "370102"
        assert row.group_id == "urn:ngsi-ld:StreetlightGroup:quancheng-square"
        assert (row.lon, row.lat) == QUANCHENG_SQUARE


def test_create_twice_is_a_conflict(services: Services, steward: Principal) -> None:
    services.entities.create(steward, streetlight("jn-1"))
    with pytest.raises(Conflict) as info:
        services.entities.create(steward, streetlight("jn-1"))
    assert info.value.code == "AlreadyExists"


BAD_BODIES: list[tuple[str, dict[str, Any]]] = [
    ("not a urn", {**streetlight("x"), "id": "Streetlight-1"}),
    ("type mismatch in urn", {**streetlight("x"), "id": "urn:ngsi-ld:Lamp:1"}),
    ("unknown type", {**streetlight("x"), "id": "urn:ngsi-ld:Toaster:1", "type": "Toaster"}),
    ("attribute without type", streetlight("x", status={"value": "ok"})),
    ("plain value", streetlight("x", status="ok")),
    ("unknown status", streetlight("x", status=prop("melted"))),
    ("power state", streetlight("x", powerState=prop("dimmed"))),
    ("level above 1", streetlight("x", illuminanceLevel=prop(1.5))),
    ("level as text", streetlight("x", illuminanceLevel=prop("0.5"))),
    ("flag not boolean", streetlight("x", lampFailure=prop("yes"))),
    (
        "relationship to wrong type",
        streetlight(
            "x", refStreetlightGroup={"type": "Relationship", "object": "urn:ngsi-ld:Streetlight:2"}
        ),
    ),
    (
        "relationship without urn",
        streetlight("x", refStreetlightGroup={"type": "Relationship", "object": "group 7"}),
    ),
    ("location as Property", streetlight("x", location=prop({"type": "Point"}))),
    ("point out of range", streetlight("x", location=point((217.0, 36.6)))),
    (
        "point with text",
        streetlight(
            "x",
            location={
                "type": "GeoProperty",
                "value": {"type": "Point", "coordinates": ["117", "36"]},
            },
        ),
    ),
    (
        "open polygon",
        streetlight(
            "x",
            location={
                "type": "GeoProperty",
                "value": {
                    "type": "Polygon",
                    "coordinates": [[[117, 36], [117.1, 36], [117.1, 36.1]]],
                },
            },
        ),
    ),
    (
        "unknown geometry",
        streetlight(
            "x",
            location={"type": "GeoProperty", "value": {"type": "Circle", "coordinates": [117, 36]}},
        ),
    ),
    (
        "future observedAt",
        streetlight(
            "x", powerState=prop("on", observedAt=iso(datetime.now(UTC) + timedelta(hours=1)))
        ),
    ),
    ("bad observedAt", streetlight("x", powerState=prop("on", observedAt="yesterday"))),
    # A date alone is not an NGSI-LD DateTime (Python would read it as midnight).
    ("observedAt a date only", streetlight("x", powerState=prop("on", observedAt="2026-12-01"))),
    ("observedAt a week date", streetlight("x", powerState=prop("on", observedAt="2026-W48-2"))),
    (
        "observedAt with a space for the T",
        streetlight("x", powerState=prop("on", observedAt="2026-12-01 08:00:00Z")),
    ),
    ("dateObserved a date only", {**air_station("x"), "dateObserved": prop("2026-12-01")}),
    ("bad attribute name", streetlight("x", **{"power;State": prop("on")})),
    ("extra member", streetlight("x", powerState={**prop("on"), "colour": "red"})),
    ("null value", streetlight("x", powerState=prop(None))),
]


@pytest.mark.parametrize(("case", "body"), BAD_BODIES, ids=[c for c, _ in BAD_BODIES])
def test_malformed_entities_are_refused_and_nothing_is_written(
    services: Services, steward: Principal, case: str, body: dict[str, Any]
) -> None:
    recorder = Recorder()
    services.entities.observers.append(recorder)
    with pytest.raises(BadRequest) as info:
        services.entities.create(steward, body)
    assert info.value.code in ("BadRequestData", "InvalidRequest")
    assert count_entities(services) == 0
    assert recorder.batches == []


def test_negative_pollutant_is_refused(services: Services, city: SmallCity) -> None:
    body = air_station("x")
    body["PM2_5"] = prop(-3.0, unitCode="GQ")
    with pytest.raises(BadRequest):
        services.entities.create(city.principals["env_steward"], body)


def test_observed_at_within_the_tolerance_is_accepted(
    services: Services, steward: Principal
) -> None:
    soon = iso(datetime.now(UTC) + timedelta(seconds=60))
    services.entities.create(steward, streetlight("x", powerState=prop("on", observedAt=soon)))
    assert count_entities(services) == 1


def test_permissions(services: Services, city: SmallCity) -> None:
    store = services.entities
    store.create(city.principals["gaj_steward"], streetlight("gaj-1"))
    urn = "urn:ngsi-ld:Streetlight:gaj-1"
    anonymous = Principal.anonymous(public_catalog=True)
    with pytest.raises(NotAuthenticated):
        store.get(anonymous, urn)
    with pytest.raises(PermissionDenied):
        store.get(city.principals["citizen"], urn)
    assert store.get(city.principals["env_steward"], urn)["id"] == urn  # city-wide reads
    with pytest.raises(PermissionDenied):
        store.patch(city.principals["env_steward"], urn, {"powerState": prop("off")})
    with pytest.raises(PermissionDenied):
        store.patch(city.principals["gaj_user"], urn, {"powerState": prop("off")})
    with pytest.raises(PermissionDenied):
        store.create(city.principals["env_steward"], streetlight("env-1"), department="gaj")
    with pytest.raises(PermissionDenied):
        store.delete(city.principals["env_steward"], urn)
    store.patch(city.principals["admin"], urn, {"powerState": prop("off")})
    assert store.get(city.principals["gaj_user"], urn)["powerState"]["value"] == "off"


def test_platform_admin_must_name_an_existing_department(
    services: Services, city: SmallCity
) -> None:
    with pytest.raises(BadRequest):
        services.entities.create(city.principals["admin"], streetlight("a"))  # no cgj here
    with pytest.raises(BadRequest):
        services.entities.create(city.principals["admin"], streetlight("a"), department="nope")
    services.entities.create(city.principals["admin"], streetlight("a"), department="sthjj")
    with services.db.reader() as s:
        row = s.get(OpsEntity, "urn:ngsi-ld:Streetlight:a")
        assert row is not None and row.department_id == city.departments["sthjj"]


def test_patch_merges_attributes(services: Services, steward: Principal) -> None:
    store = services.entities
    store.create(steward, streetlight("jn-1"))
    urn = "urn:ngsi-ld:Streetlight:jn-1"
    store.patch(steward, urn, {"powerState": prop("off"), "illuminanceLevel": prop(0.0)})
    entity = store.get(steward, urn)
    assert entity["powerState"]["value"] == "off"
    assert entity["illuminanceLevel"]["value"] == 0.0
    assert entity["status"]["value"] == "ok"  # untouched attributes stay
    assert entity["refStreetlightGroup"]["object"].endswith("quancheng-square")
    store.patch(steward, urn, {"location": point(DAMING_LAKE)})
    with services.db.reader() as s:
        row = s.get(OpsEntity, urn)
        assert row is not None and (row.lon, row.lat) == DAMING_LAKE


def test_patch_of_unknown_entity_is_404(services: Services, steward: Principal) -> None:
    with pytest.raises(NotFound) as info:
        services.entities.patch(steward, "urn:ngsi-ld:Streetlight:none", {"powerState": prop("on")})
    assert info.value.code == "ResourceNotFound"


def test_bad_patch_changes_nothing(services: Services, steward: Principal) -> None:
    store = services.entities
    store.create(steward, streetlight("jn-1"))
    urn = "urn:ngsi-ld:Streetlight:jn-1"
    recorder = Recorder()
    store.observers.append(recorder)
    with pytest.raises(BadRequest):
        store.patch(steward, urn, {"powerState": prop("off"), "illuminanceLevel": prop(7)})
    assert store.get(steward, urn)["powerState"]["value"] == "on"
    assert recorder.batches == []


def test_delete(services: Services, steward: Principal) -> None:
    store = services.entities
    store.create(steward, streetlight("jn-1"))
    store.delete(steward, "urn:ngsi-ld:Streetlight:jn-1")
    with pytest.raises(NotFound):
        store.get(steward, "urn:ngsi-ld:Streetlight:jn-1")


def seed_places(services: Services, city: SmallCity) -> None:
    gaj, env = city.principals["gaj_steward"], city.principals["env_steward"]
    store = services.entities
    store.create(gaj, streetlight("square", QUANCHENG_SQUARE))
    store.create(gaj, streetlight("spring", BAOTU_SPRING, powerState=prop("off")))
    store.create(gaj, streetlight("lake", DAMING_LAKE, illuminanceLevel=prop(0.3)))
    store.create(gaj, streetlight("qianfo", QIANFO_MOUNTAIN, status=prop("defectiveLamp")))
    store.create(gaj, streetlight("west", JINAN_WEST_STATION, lampFailure=prop(True)))
    store.create(env, air_station("lake-station", DAMING_LAKE))


def ids(entities: list[dict[str, Any]]) -> list[str]:
    return [e["id"].rsplit(":", 1)[-1] for e in entities]


QUERIES: list[tuple[str, dict[str, Any], list[str]]] = [
    ("type", {"types": ("AirQualityObserved",)}, ["lake-station"]),
    (
        "ids",
        {"ids": ("urn:ngsi-ld:Streetlight:lake", "urn:ngsi-ld:Streetlight:west")},
        ["lake", "west"],
    ),
    ("id pattern", {"id_pattern": "Streetlight:(s|w)"}, ["spring", "square", "west"]),
    ("q equals", {"q": 'powerState=="off"'}, ["spring"]),
    ("q and", {"q": 'powerState=="on";illuminanceLevel>0.5'}, ["qianfo", "square", "west"]),
    ("q less", {"q": "illuminanceLevel<0.5"}, ["lake"]),
    ("q boolean", {"q": "lampFailure==true"}, ["west"]),
    ("q not", {"q": 'status!="ok";powerState=="on"'}, ["qianfo"]),
    ("q pollutant", {"q": "PM2_5>=35"}, ["lake-station"]),
    ("q relationship", {"q": 'refStreetlightGroup=="urn:ngsi-ld:StreetlightGroup:nowhere"'}, []),
    ("attrs", {"attrs": ("PM10",)}, ["lake-station"]),
    (
        "near 1 km",
        {"georel": "near;maxDistance==1000", "point": QUANCHENG_SQUARE},
        ["spring", "square"],
    ),
    (
        "near 2 km",
        {"georel": "near;maxDistance==2000", "point": QUANCHENG_SQUARE},
        ["lake", "lake-station", "spring", "square"],
    ),
    (
        "near 15 km streetlights",
        {"georel": "near;maxDistance==15000", "point": QUANCHENG_SQUARE, "types": ("Streetlight",)},
        ["lake", "qianfo", "spring", "square", "west"],
    ),
    (
        "within the old city",
        {"georel": "within", "polygon": OLD_CITY},
        ["lake", "lake-station", "spring", "square"],
    ),
]


@pytest.mark.parametrize(("case", "spec", "expected"), QUERIES, ids=[q[0] for q in QUERIES])
def test_query_filters(
    services: Services, city: SmallCity, case: str, spec: dict[str, Any], expected: list[str]
) -> None:
    seed_places(services, city)
    spec = dict(spec)
    geo = None
    if "georel" in spec:
        georel = spec.pop("georel")
        if "point" in spec:
            geo = ngsi.parse_georel(georel, "Point", str(list(spec.pop("point"))))
        else:
            geo = ngsi.parse_georel(georel, "Polygon", str([spec.pop("polygon")]))
    if "q" in spec:
        spec["q"] = tuple(ngsi.parse_q(spec["q"]))
    query = EntityQuery(geo=geo, limit=100, count=True, **spec)
    found, total = services.entities.query(city.principals["gaj_user"], query)
    assert sorted(ids(found)) == expected
    assert total == len(expected)


def test_query_attrs_projects_and_paging(services: Services, city: SmallCity) -> None:
    seed_places(services, city)
    reader = city.principals["gaj_user"]
    found, _ = services.entities.query(
        reader, EntityQuery(types=("Streetlight",), attrs=("powerState",), limit=100)
    )
    assert all(set(e) == {"id", "type", "powerState"} for e in found)
    pages = [
        ids(services.entities.query(reader, EntityQuery(limit=2, offset=o, count=True))[0])
        for o in (0, 2, 4)
    ]
    assert [len(p) for p in pages] == [2, 2, 2]
    assert len({i for p in pages for i in p}) == 6
    filtered = [
        ids(
            services.entities.query(
                reader,
                EntityQuery(q=tuple(ngsi.parse_q("illuminanceLevel>0.1")), limit=2, offset=o),
            )[0]
        )
        for o in (0, 2)
    ]
    assert filtered == [["lake", "qianfo"], ["spring", "square"]]
    with pytest.raises(BadRequest):
        services.entities.query(reader, EntityQuery(limit=1001))


def test_distances_between_jinan_landmarks() -> None:
    assert 500 < ngsi.distance_m(QUANCHENG_SQUARE, BAOTU_SPRING) < 700
    assert 11_000 < ngsi.distance_m(QUANCHENG_SQUARE, JINAN_WEST_STATION) < 12_500


def test_upsert_creates_then_updates_idempotently(services: Services, steward: Principal) -> None:
    store = services.entities
    batch = [streetlight("u1"), streetlight("u2", BAOTU_SPRING)]
    first = store.upsert(steward, batch)
    assert sorted(first.created) == ["urn:ngsi-ld:Streetlight:u1", "urn:ngsi-ld:Streetlight:u2"]
    snapshot = [store.get(steward, e["id"]) for e in batch]
    second = store.upsert(steward, batch)
    assert second.created == [] and len(second.updated) == 2
    assert [store.get(steward, e["id"]) for e in batch] == snapshot
    assert count_entities(services) == 2


def test_upsert_replace_and_update_modes(services: Services, steward: Principal) -> None:
    store = services.entities
    store.upsert(steward, [streetlight("u1")])
    urn = "urn:ngsi-ld:Streetlight:u1"
    minimal = {"id": urn, "type": "Streetlight", "powerState": prop("off")}
    store.upsert(steward, [minimal], replace=False)
    assert store.get(steward, urn)["status"]["value"] == "ok"
    store.upsert(steward, [minimal])
    assert set(store.get(steward, urn)) == {"id", "type", "powerState"}


def test_upsert_reports_bad_entities_and_writes_the_good(
    services: Services, steward: Principal
) -> None:
    result = services.entities.upsert(
        steward, [streetlight("ok"), streetlight("bad", illuminanceLevel=prop(3))]
    )
    assert result.created == ["urn:ngsi-ld:Streetlight:ok"]
    assert [e["entityId"] for e in result.errors] == ["urn:ngsi-ld:Streetlight:bad"]
    assert count_entities(services) == 1


def test_upsert_of_another_departments_entity_is_refused_whole(
    services: Services, city: SmallCity
) -> None:
    services.entities.create(city.principals["gaj_steward"], streetlight("gaj"))
    with pytest.raises(PermissionDenied):
        services.entities.upsert(
            city.principals["env_steward"], [streetlight("new"), streetlight("gaj")]
        )
    assert count_entities(services) == 1


def entity_row(services: Services, entity_id: str) -> OpsEntity:
    with services.db.reader() as s:
        return s.get_one(OpsEntity, entity_id)


def test_upsert_of_existing_entities_keeps_every_derived_column(
    services: Services, steward: Principal
) -> None:
    store = services.entities
    urn = "urn:ngsi-ld:Streetlight:moved"
    store.upsert(steward, [streetlight("moved", lampFailure=prop(True))])
    store.upsert(steward, [streetlight("moved", lampFailure=prop(True))])
    assert entity_row(services, urn).state == "faulty"
    # Update mode: the lamp repaired and moved to another district and group; the rest kept.
    baotu = "urn:ngsi-ld:StreetlightGroup:baotu-spring"
    moved = {
        "id": urn,
        "type": "Streetlight",
        "lampFailure": prop(False),
        "districtCode": prop("370103"),
        "location": point(BAOTU_SPRING),
        "refStreetlightGroup": {"type": "Relationship", "object": baotu},
    }
    assert store.upsert(steward, [moved], replace=False).updated == [urn]
    row = entity_row(services, urn)
    assert (row.state, row.district, row.group_id) == ("on", "370103", baotu)
    assert (row.lon, row.lat) == BAOTU_SPRING
    assert row.attrs["status"]["value"] == "ok"
    # Replace mode: the entity is what the body says, its state computed from that alone.
    store.upsert(steward, [{"id": urn, "type": "Streetlight", "powerState": prop("off")}])
    row = entity_row(services, urn)
    assert row.state == "off" and set(row.attrs) == {"powerState"}
    assert row.modified_at >= row.created_at


def test_upsert_writes_values_whatever_their_time_and_devices_follow_it(
    services: Services, steward: Principal
) -> None:
    store = services.entities
    urn = "urn:ngsi-ld:Streetlight:late"
    now = datetime.now(UTC)

    def level() -> Any:
        return store.get(steward, urn)["illuminanceLevel"]["value"]

    def device(value: float, minutes_ago: int) -> None:
        at = iso(now - timedelta(minutes=minutes_ago))
        store.ingest_device(
            "Streetlight", urn, {"illuminanceLevel": {"value": value, "observedAt": at}}
        )

    store.upsert(steward, [streetlight("late")])
    device(0.6, 1)
    assert level() == 0.6
    # The entity API is not the device path: an upsert's older value replaces the newer one.
    older = prop(0.2, observedAt=iso(now - timedelta(minutes=10)))
    store.upsert(
        steward, [{"id": urn, "type": "Streetlight", "illuminanceLevel": older}], replace=False
    )
    assert level() == 0.2
    # Devices then compare with the upserted time: a message from before it is late.
    device(0.3, 20)
    assert level() == 0.2
    device(0.4, 5)
    assert level() == 0.4


def test_upsert_creates_again_an_entity_another_worker_deleted(
    services: Services, steward: Principal
) -> None:
    store = services.entities
    lamps = [streetlight("w1"), streetlight("w2")]
    store.upsert(steward, lamps)
    store.upsert(steward, lamps)  # both now known to this worker
    other = EntityStore(
        db=services.db,
        datastore=services.datastore,
        ledger=services.ledger,
        settings=services.settings,
    )
    try:
        other.delete(steward, "urn:ngsi-ld:Streetlight:w1")
    finally:
        other.close()
    recorder = Recorder()
    store.observers.append(recorder)
    result = store.upsert(
        steward, [streetlight("w1", powerState=prop("off")), lamps[1]], replace=False
    )
    assert result.created == ["urn:ngsi-ld:Streetlight:w1"]
    assert result.updated == ["urn:ngsi-ld:Streetlight:w2"]
    assert store.get(steward, "urn:ngsi-ld:Streetlight:w1")["powerState"]["value"] == "off"
    assert count_entities(services) == 2
    # Each entity's values observed once, the recreated one included.
    assert len(recorder.all) == len({(o.entity_id, o.attribute) for o in recorder.all}) == 10


def test_observers_get_exactly_the_committed_observations(
    services: Services, steward: Principal
) -> None:
    store = services.entities
    recorder = Recorder()
    store.observers.append(recorder)
    when = datetime.now(UTC) - timedelta(minutes=5)
    body = streetlight("o1", powerState=prop("on", observedAt=iso(when)))
    store.create(steward, body)
    assert len(recorder.batches) == 1
    observed = {o.attribute: o for o in recorder.all}
    # Properties with scalar values only: no location, no relationship.
    assert set(observed) == {
        "status",
        "powerState",
        "illuminanceLevel",
        "lampFailure",
        "districtCode",
    }
    assert observed["powerState"].observed_at == when.replace(microsecond=when.microsecond)
    assert observed["illuminanceLevel"].value == 0.8
    assert observed["lampFailure"].value is False
    assert observed["powerState"].district == "370102"
    assert observed["powerState"].group_id.endswith("quancheng-square")
    store.patch(steward, body["id"], {"illuminanceLevel": prop(0.25, unitCode="P1")})
    last = recorder.batches[-1]
    assert [(o.attribute, o.value, o.unit) for o in last] == [("illuminanceLevel", 0.25, "P1")]
    with pytest.raises(BadRequest):
        store.patch(steward, body["id"], {"illuminanceLevel": prop(2)})
    assert len(recorder.batches) == 2


def test_a_failing_observer_never_breaks_the_write(services: Services, steward: Principal) -> None:
    def broken(_: Sequence[Observation]) -> None:
        raise RuntimeError("observer down")

    recorder = Recorder()
    services.entities.observers[:0] = [broken]
    services.entities.observers.append(recorder)
    services.entities.create(steward, streetlight("o1"))
    assert count_entities(services) == 1
    assert recorder.batches and services.entities.observer_failures == 1


def test_ingest_device_updates_existing_entities_only(
    services: Services, city: SmallCity, steward: Principal
) -> None:
    store = services.entities
    store.create(steward, streetlight("d1"))
    recorder = Recorder()
    store.observers.append(recorder)
    urn = "urn:ngsi-ld:Streetlight:d1"
    when = iso(datetime.now(UTC) - timedelta(seconds=30))
    assert store.ingest_device(
        "Streetlight",
        urn,
        {"powerState": "off", "illuminanceLevel": {"value": 0, "observedAt": when}},
    )
    entity = store.get(steward, urn)
    assert entity["powerState"] == prop("off")
    assert entity["illuminanceLevel"] == prop(0, observedAt=when)
    assert entity["status"]["value"] == "ok"
    assert sorted(o.attribute for o in recorder.all) == ["illuminanceLevel", "powerState"]
    assert not store.ingest_device(
        "Streetlight", "urn:ngsi-ld:Streetlight:none", {"powerState": "on"}
    )
    assert not store.ingest_device("StreetlightGroup", urn, {"powerState": "on"})
    with pytest.raises(MalformedMessage):
        store.ingest_device("Streetlight", urn, {"illuminanceLevel": 4})
    # A device's date without a time of day is refused, not stored as midnight UTC.
    with pytest.raises(MalformedMessage, match="date-time"):
        store.ingest_device(
            "Streetlight", urn, {"illuminanceLevel": {"value": 0.5, "observedAt": "2026-12-01"}}
        )
    with pytest.raises(ValueError, match="object"):
        store.ingest_device("Streetlight", urn, [])  # type: ignore[arg-type]
    with pytest.raises(PermissionDenied):
        store.ingest_device(
            "Streetlight", urn, {"powerState": "on"}, department_id=city.departments["sthjj"]
        )
    # A device may report where it is: the map point follows.
    assert store.ingest_device(
        "Streetlight", urn, {"location": {"type": "Point", "coordinates": list(BAOTU_SPRING)}}
    )
    with services.db.reader() as s:
        row = s.get(OpsEntity, urn)
        assert row is not None and (row.lon, row.lat) == BAOTU_SPRING
    with pytest.raises(MalformedMessage):
        store.ingest_device("Streetlight", urn, {"location": {"type": "Point", "coordinates": [1]}})
    # A late message does not overwrite a newer latest value (history still receives it).
    older = iso(datetime.now(UTC) - timedelta(minutes=10))
    store.ingest_device(
        "Streetlight", urn, {"illuminanceLevel": {"value": 0.9, "observedAt": older}}
    )
    assert store.get(steward, urn)["illuminanceLevel"]["value"] == 0
    assert recorder.all[-1].value == 0.9


def test_ingest_batch_of_ten_thousand_points(
    services: Services, city: SmallCity, steward: Principal
) -> None:
    store = services.entities
    store.upsert(steward, [streetlight(f"b{i}") for i in range(500)])
    recorder = Recorder()
    store.observers.append(recorder)
    now = datetime.now(UTC) - timedelta(seconds=10)
    messages: list[dict[str, Any]] = []
    for i in range(500):
        for step in range(5):
            at = iso(now - timedelta(seconds=60 * (5 - step)))
            messages.append(
                {
                    "id": f"urn:ngsi-ld:Streetlight:b{i}",
                    "type": "Streetlight",
                    "attrs": {
                        "powerState": {"value": "on", "observedAt": at},
                        "illuminanceLevel": {"value": step / 5, "observedAt": at},
                    },
                }
            )
    messages.append({"id": "urn:ngsi-ld:Streetlight:unknown", "powerState": "on"})
    messages.append({"id": "urn:ngsi-ld:Streetlight:b1", "illuminanceLevel": 5})
    result = store.ingest_batch(steward, messages)
    assert result.points == 5000 and result.accepted == 2500
    assert result.unknown == ["urn:ngsi-ld:Streetlight:unknown"]
    assert [r["id"] for r in result.rejected] == ["urn:ngsi-ld:Streetlight:b1"]
    assert len(recorder.batches) == 1 and len(recorder.all) == 5000
    assert store.get(steward, "urn:ngsi-ld:Streetlight:b7")["illuminanceLevel"]["value"] == 0.8
    # 10k points in one call: each of 1,000 messages carries 10 attributes.
    many = [
        {
            "id": f"urn:ngsi-ld:Streetlight:b{i % 500}",
            "attrs": {f"counter{k}": i + k for k in range(10)},
        }
        for i in range(1000)
    ]
    assert store.ingest_batch(steward, many).points == 10_000
    refused = store.ingest_batch(city.principals["env_steward"], many[:3])
    assert refused.accepted == 0 and len(refused.rejected) == 3
    with pytest.raises(PermissionDenied):
        store.ingest_batch(city.principals["env_steward"], many[:3], refuse_foreign=True)


@given(st.floats(-1e6, 1e6, allow_nan=False), st.floats(-1e6, 1e6, allow_nan=False))
def test_q_comparisons_agree_with_python(stored: float, bound: float) -> None:
    attrs = {"x": prop(stored)}
    for op, expected in (
        (">", stored > bound),
        ("<", stored < bound),
        (">=", stored >= bound),
        ("<=", stored <= bound),
        ("==", stored == bound),
    ):
        assert ngsi.matches_q(ngsi.parse_q(f"x{op}{bound!r}"), attrs) is expected


@given(
    st.floats(116.8, 117.3, allow_nan=False),
    st.floats(36.5, 36.8, allow_nan=False),
)
def test_near_agrees_with_distance(lon: float, lat: float) -> None:
    geo = ngsi.parse_georel("near;maxDistance==3000", "Point", str(list(QUANCHENG_SQUARE)))
    lo_lon, lo_lat, hi_lon, hi_lat = geo.bbox()
    inside = geo.matches(lon, lat)
    assert inside == (ngsi.distance_m(QUANCHENG_SQUARE, (lon, lat)) <= 3000)
    if inside:
        assert lo_lon <= lon <= hi_lon and lo_lat <= lat <= hi_lat


@pytest.mark.parametrize(
    "q", ['powerState="on"', "illuminanceLevel>high", "", "a==1;;b==2", "x~=3"]
)
def test_unreadable_q_is_an_invalid_request(q: str) -> None:
    with pytest.raises(BadRequest) as info:
        ngsi.parse_q(q)
    assert info.value.code == "InvalidRequest"


def test_entity_rows_are_laid_out_for_updates_in_place(services: Services) -> None:
    # Every telemetry batch rewrites its entities' rows: an index on a column each batch
    # changes (last_seen_at) would make PostgreSQL rewrite every index entry of those rows.
    engine = services.db.engine
    indexed = {tuple(i["column_names"]) for i in inspect(engine).get_indexes("ops_entities")}
    assert ("last_seen_at",) not in indexed
    assert ("type",) in indexed
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            options = conn.scalar(
                text("SELECT reloptions FROM pg_class WHERE relname = 'ops_entities'")
            )
        assert "fillfactor=70" in options
