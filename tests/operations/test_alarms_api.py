"""The rules and alarms API: who may do what, bad input, filters, lifecycle and the live feed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from quancheng.app import Services
from quancheng.db.models import OpsEntity
from quancheng.operations.model import AIR_QUALITY, Observation
from tests.support.city import SmallCity

RULES = "/api/v1/ops/rules"
ALARMS = "/api/v1/ops/alarms"
STATION = "urn:ngsi-ld:AirQualityObserved:jinan-quancheng"
T0 = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)


def rule_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "PM2.5 重污染",
        "department": "sthjj",
        "entity_type": AIR_QUALITY,
        "kind": "threshold",
        "attribute": "PM2_5",
        "operator": ">",
        "threshold": 115,
        "duration_seconds": 1800,
        "scope": {"district": "370102"},
    }
    body.update(overrides)
    return body


def rule_names(client: TestClient, city: SmallCity) -> list[str]:
    response = client.get(RULES, headers=city.auth("gaj_user"))
    assert response.status_code == 200
    return [r["name"] for r in response.json()]


def raise_alarm(services: Services, city: SmallCity, client: TestClient) -> int:
    """A station over a zero-duration rule, observed once: one active alarm."""
    dept = city.departments["sthjj"]
    with services.db.transaction() as s:
        s.add(OpsEntity(id=STATION, type=AIR_QUALITY, department_id=dept, district="370102"))
    created = client.post(
        RULES, json=rule_body(duration_seconds=0), headers=city.auth("env_steward")
    )
    assert created.status_code == 201, created.text
    services.alarms.observe(
        [
            Observation(
                entity_id=STATION,
                entity_type=AIR_QUALITY,
                department_id=dept,
                district="370102",
                group_id="",
                attribute="PM2_5",
                value=180.0,
                observed_at=T0,
            )
        ]
    )
    listed = client.get(ALARMS, headers=city.auth("gaj_user")).json()
    assert listed["total"] == 1
    alarm_id: int = listed["items"][0]["id"]
    return alarm_id


def test_a_steward_creates_reads_changes_and_deletes_a_rule(
    client: TestClient, city: SmallCity
) -> None:
    steward = city.auth("env_steward")
    created = client.post(RULES, json=rule_body(), headers=steward)
    assert created.status_code == 201, created.text
    rule = created.json()
    assert (rule["department"], rule["created_by"], rule["operator"]) == (
        "sthjj",
        "env_steward",
        ">",
    )
    assert rule["scope"] == {"district": "370102"}

    shown = client.get(f"{RULES}/{rule['id']}", headers=city.auth("gaj_user"))
    assert shown.json()["threshold"] == 115

    patched = client.patch(
        f"{RULES}/{rule['id']}", json={"threshold": 75, "enabled": False}, headers=steward
    )
    assert patched.status_code == 200
    assert (patched.json()["threshold"], patched.json()["enabled"]) == (75, False)

    assert client.delete(f"{RULES}/{rule['id']}", headers=steward).status_code == 204
    assert client.get(f"{RULES}/{rule['id']}", headers=steward).status_code == 404


@pytest.mark.parametrize(
    ("overrides", "status"),
    [
        ({"operator": "≥"}, 422),
        ({"duration_seconds": -60}, 422),
        ({"threshold": None}, 422),
        ({"kind": "offline", "duration_seconds": 0}, 422),
        ({"entity_type": "Toaster"}, 422),
        ({"scope": {"district": 370102}}, 422),
        ({"scope": {"webhook": "file:///etc/passwd"}}, 422),
        ({"colour": "red"}, 422),
        ({"department": "nosuch"}, 404),
    ],
)
def test_bad_rules_are_refused_and_nothing_is_stored(
    client: TestClient, city: SmallCity, overrides: dict[str, Any], status: int
) -> None:
    response = client.post(RULES, json=rule_body(**overrides), headers=city.auth("env_steward"))
    assert response.status_code == status, response.text
    assert "error" in response.json()
    assert rule_names(client, city) == []


def test_a_bad_patch_changes_nothing(client: TestClient, city: SmallCity) -> None:
    steward = city.auth("env_steward")
    rule_id = client.post(RULES, json=rule_body(), headers=steward).json()["id"]
    bad = client.patch(f"{RULES}/{rule_id}", json={"operator": "~"}, headers=steward)
    assert bad.status_code == 422
    assert [e["field"] for e in bad.json()["error"]["details"]] == ["operator"]
    assert client.get(f"{RULES}/{rule_id}", headers=steward).json()["operator"] == ">"


def test_other_departments_and_the_public_may_not_write_or_read(
    client: TestClient, city: SmallCity
) -> None:
    refused = client.post(RULES, json=rule_body(), headers=city.auth("gaj_steward"))
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "permission_denied"
    assert rule_names(client, city) == []
    assert client.get(RULES, headers=city.auth("citizen")).status_code == 403
    assert client.get(RULES).status_code == 401
    assert client.get(ALARMS).status_code == 401

    rule_id = client.post(RULES, json=rule_body(), headers=city.auth("env_steward")).json()["id"]
    for user in ("gaj_user", "gaj_steward", "gaj_admin"):
        r = client.patch(f"{RULES}/{rule_id}", json={"threshold": 1}, headers=city.auth(user))
        assert r.status_code == 403, user
    assert client.get(f"{RULES}/{rule_id}", headers=city.auth("admin")).json()["threshold"] == 115


def test_alarm_filters(client: TestClient, services: Services, city: SmallCity) -> None:
    raise_alarm(services, city, client)
    reader = city.auth("gaj_user")

    def total(**params: Any) -> int:
        response = client.get(ALARMS, params=params, headers=reader)
        assert response.status_code == 200, response.text
        count: int = response.json()["total"]
        return count

    assert total(state="active") == 1
    assert total(state="open") == 1
    assert total(state="cleared") == 0
    assert total(severity="major") == 1
    assert total(severity="critical") == 0
    assert total(type=AIR_QUALITY) == 1
    assert total(type="Streetlight") == 0
    assert total(district="370102") == 1
    assert total(district="370103") == 0
    assert total(department="sthjj") == 1
    assert total(department="gaj") == 0
    assert total(since=(T0 - timedelta(hours=1)).isoformat()) == 1
    assert total(since=(T0 + timedelta(hours=1)).isoformat()) == 0
    assert total(until=(T0 + timedelta(hours=1)).isoformat()) == 1
    assert total(until=T0.isoformat()) == 0  # raised at T0: "until" is excluded
    rule_id = client.get(ALARMS, headers=reader).json()["items"][0]["rule_id"]
    assert total(rule=rule_id) == 1
    assert total(rule=rule_id + 1) == 0
    bad = client.get(ALARMS, params={"state": "sleeping"}, headers=reader)
    assert bad.status_code == 422
    assert client.get(ALARMS, params={"rule": "x"}, headers=reader).status_code == 422


def test_alarm_lifecycle_through_the_api(
    client: TestClient, services: Services, city: SmallCity
) -> None:
    alarm_id = raise_alarm(services, city, client)
    steward = city.auth("env_steward")
    feed = client.get(f"{ALARMS}/changes", params={"since": 0}, headers=city.auth("gaj_user"))
    assert [c["event"] for c in feed.json()["changes"]] == ["ops.alarm.raised"]
    cursor = feed.json()["cursor"]

    early = client.post(f"{ALARMS}/{alarm_id}/clear", headers=steward)
    assert early.status_code == 409
    other = client.post(f"{ALARMS}/{alarm_id}/acknowledge", headers=city.auth("gaj_admin"))
    assert other.status_code == 403

    acked = client.post(f"{ALARMS}/{alarm_id}/acknowledge", headers=steward)
    assert acked.status_code == 200
    assert (acked.json()["state"], acked.json()["acknowledged_by"]) == (
        "acknowledged",
        "env_steward",
    )
    assert client.post(f"{ALARMS}/{alarm_id}/acknowledge", headers=steward).status_code == 409
    cleared = client.post(f"{ALARMS}/{alarm_id}/clear", headers=steward)
    assert cleared.status_code == 200 and cleared.json()["state"] == "cleared"

    shown = client.get(f"{ALARMS}/{alarm_id}", headers=city.auth("gaj_user")).json()
    assert shown["cleared_at"] is not None
    later = client.get(
        f"{ALARMS}/changes", params={"since": cursor}, headers=city.auth("gaj_user")
    ).json()
    assert [c["event"] for c in later["changes"]] == ["ops.alarm.acknowledged", "ops.alarm.cleared"]
    assert all(c["alarm"]["state"] == "cleared" for c in later["changes"])

    assert client.get(f"{ALARMS}/999999", headers=city.auth("gaj_user")).status_code == 404
    assert client.post(f"{ALARMS}/999999/acknowledge", headers=steward).status_code == 404
    assert (
        client.get(
            f"{ALARMS}/changes", params={"since": "yesterday"}, headers=city.auth("gaj_user")
        ).status_code
        == 400
    )
