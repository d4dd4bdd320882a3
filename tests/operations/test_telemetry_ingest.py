"""Device telemetry over HTTP (/api/v1/ops/telemetry) and the fast path's latest state."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import delete, update

from quancheng.api.operations import MAX_TELEMETRY_MESSAGES
from quancheng.app import Services
from quancheng.db.models import OpsEntity
from quancheng.operations.model import AIR_QUALITY, Observation
from quancheng.operations.telemetry import RAW_TABLE
from tests.support.city import SmallCity

URL = "/api/v1/ops/telemetry"
STATION = "urn:ngsi-ld:AirQualityObserved:ingest-lixia"
OTHER = "urn:ngsi-ld:AirQualityObserved:ingest-huaiyin"


def iso(when: datetime) -> str:
    return when.isoformat().replace("+00:00", "Z")


def stations(services: Services, city: SmallCity) -> None:
    with services.db.transaction() as s:
        for entity_id, district in ((STATION, "370102"), (OTHER, "370104")):
            s.add(
                OpsEntity(
                    id=entity_id,
                    type=AIR_QUALITY,
                    department_id=city.departments["sthjj"],
                    district=district,
                    attrs={},
                )
            )


def raw_points(services: Services, entity_id: str) -> list[tuple[Any, ...]]:
    return services.telemetry.engine.fetch(
        f"SELECT attribute, value_num FROM {RAW_TABLE} WHERE entity_id = ? "
        "ORDER BY observed_at, attribute",
        [entity_id],
    )


def reading(entity_id: str, at: datetime, pm25: float, **more: Any) -> dict[str, Any]:
    attrs = {"pm25": {"value": pm25, "observedAt": iso(at)}, **more}
    return {"id": entity_id, "type": AIR_QUALITY, "attrs": attrs}


def test_a_batch_is_in_the_history_when_answered(
    client: TestClient, services: Services, city: SmallCity
) -> None:
    stations(services, city)
    at = datetime.now(UTC) - timedelta(minutes=5)
    body = [
        reading(STATION, at, 35.0, no2={"value": 20, "observedAt": iso(at)}),
        reading(OTHER, at, 80.0),
        {"id": "urn:ngsi-ld:AirQualityObserved:nowhere", "attrs": {"pm25": 1.0}},
        {"id": STATION, "attrs": {"pm25": {"value": 1, "observedAt": "yesterday"}}},
    ]
    response = client.post(URL, json=body, headers=city.auth("env_steward"))
    assert response.status_code == 200, response.text
    answer = response.json()
    assert (answer["accepted"], answer["points"]) == (2, 3)
    assert answer["unknown"] == ["urn:ngsi-ld:AirQualityObserved:nowhere"]
    assert [r["id"] for r in answer["rejected"]] == [STATION]
    # Answered only once written: no flush needed to read it back.
    assert raw_points(services, STATION) == [("no2", 20.0), ("pm25", 35.0)]
    assert raw_points(services, OTHER) == [("pm25", 80.0)]
    latest = client.get(f"/ngsi-ld/v1/entities/{STATION}", headers=city.auth("gaj_user"))
    assert latest.json()["pm25"]["value"] == 35.0
    stats = client.get(f"{URL}/stats", headers=city.auth("gaj_user")).json()
    assert stats["points_written"] >= 3 and stats["queue_length"] == 0


def test_bad_batches_are_refused_whole(
    client: TestClient, services: Services, city: SmallCity
) -> None:
    stations(services, city)
    at = datetime.now(UTC) - timedelta(minutes=1)
    steward = city.auth("env_steward")
    not_json = client.post(
        URL, content=b"{oops", headers={**steward, "Content-Type": "application/json"}
    )
    assert (not_json.status_code, not_json.json()["error"]["code"]) == (400, "invalid_json")
    # NaN is not JSON (the history's JSON columns would refuse it): the batch is refused.
    nan = b'[{"id": "%s", "attrs": {"pm25": {"value": NaN}}}]' % STATION.encode()
    not_a_number = client.post(
        URL, content=nan, headers={**steward, "Content-Type": "application/json"}
    )
    assert (not_a_number.status_code, not_a_number.json()["error"]["code"]) == (
        400,
        "invalid_json",
    )
    assert client.post(URL, json={"id": STATION}, headers=steward).status_code == 400
    too_many = [reading(STATION, at, 1.0)] * (MAX_TELEMETRY_MESSAGES + 1)
    assert client.post(URL, json=too_many, headers=steward).status_code == 413
    # 公安局 may not write 生态环境局's station: nothing of the batch is stored.
    foreign = client.post(URL, json=[reading(STATION, at, 5.0)], headers=city.auth("gaj_steward"))
    assert foreign.status_code == 403
    assert client.post(URL, json=[reading(STATION, at, 5.0)]).status_code == 401
    assert raw_points(services, STATION) == []


def test_late_readings_reach_the_history_but_not_the_latest_state(
    services: Services, city: SmallCity
) -> None:
    stations(services, city)
    store, steward = services.entities, city.principals["env_steward"]
    now = datetime.now(UTC)
    newer, older = now - timedelta(minutes=1), now - timedelta(minutes=30)
    assert store.ingest_batch(steward, [reading(STATION, newer, 50.0)]).accepted == 1
    # The same entity twice in one batch, the late one second.
    batch = [reading(STATION, newer + timedelta(seconds=10), 60.0), reading(STATION, older, 9.0)]
    assert store.ingest_batch(steward, batch).points == 2
    assert store.get(steward, STATION)["pm25"]["value"] == 60.0
    # A message of late readings only: the value stays, but the device was heard from.
    with services.db.reader() as s:
        seen_before = s.get_one(OpsEntity, STATION).last_seen_at
    earlier = older - timedelta(minutes=1)  # (the same time again would be a duplicate)
    assert store.ingest_batch(steward, [reading(STATION, earlier, 8.0)]).accepted == 1
    with services.db.reader() as s:
        row = s.get_one(OpsEntity, STATION)
        assert row.attrs["pm25"]["value"] == 60.0
        assert seen_before is not None and row.last_seen_at is not None
        assert row.last_seen_at >= seen_before
    services.telemetry.flush()
    assert sorted(v for _, v in raw_points(services, STATION)) == [8.0, 9.0, 50.0, 60.0]


def test_the_fast_path_notices_changes_made_behind_its_back(
    services: Services, city: SmallCity
) -> None:
    """Another worker deletes or moves an entity: this process must not trust its memory."""
    stations(services, city)
    store, steward = services.entities, city.principals["env_steward"]
    seen: list[Observation] = []
    store.observers.append(seen.extend)
    at = datetime.now(UTC) - timedelta(minutes=2)
    assert store.ingest_batch(steward, [reading(STATION, at, 1.0)]).accepted == 1
    with services.db.transaction() as s:  # as another server process would
        s.execute(delete(OpsEntity).where(OpsEntity.id == OTHER))
    result = store.ingest_batch(steward, [reading(OTHER, at, 2.0), reading(STATION, at, 3.0)])
    assert result.unknown == [OTHER] and result.accepted == 1
    assert {o.entity_id for o in seen} == {STATION}
    # Moved to another district by another process: this one re-reads once its memory expires.
    with services.db.transaction() as s:
        s.execute(update(OpsEntity).where(OpsEntity.id == STATION).values(district="370105"))
    store.latest.ttl_seconds = 0
    store.ingest_batch(steward, [reading(STATION, at + timedelta(seconds=1), 4.0)])
    assert seen[-1].district == "370105"
    # The entity API in this process forgets at once.
    store.patch(steward, STATION, {"districtCode": {"type": "Property", "value": "370112"}})
    store.latest.ttl_seconds = 3600
    store.ingest_batch(steward, [reading(STATION, at + timedelta(seconds=2), 5.0)])
    assert seen[-1].district == "370112"


def test_sync_waits_for_the_writer(services: Services, city: SmallCity) -> None:
    stations(services, city)
    store = services.telemetry
    at = datetime.now(UTC) - timedelta(minutes=3)
    services.entities.ingest_batch(
        city.principals["env_steward"], [reading(STATION, at, float(i)) for i in range(1)]
    )
    assert store.sync(timeout=10)
    assert store.stats()["queue_length"] == 0
    assert raw_points(services, STATION) == [("pm25", 0.0)]
    # Nothing new: answers at once.
    assert store.sync(timeout=0.01)
