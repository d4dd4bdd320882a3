"""Permission matrix rows of city operations (see tests/matrix_parts/__init__.py).

Government users read every rule and alarm; only the owning department (生态环境局 for the
target air quality station) and the platform change them.
"""

from __future__ import annotations

import uuid
from typing import Any

from quancheng.db.models import OpsAlarm, OpsEntity, OpsRule, utcnow

ROLES = ("anonymous", "citizen", "gaj_user", "gaj_steward", "env_steward", "gaj_admin", "admin")
MEMBERS = frozenset(ROLES) - {"anonymous", "citizen"}

# ==== Rules and alarms — BEGIN ===============================================================
# Targets: a fresh 生态环境局 station, a PM2.5 rule and an active alarm on it (rows inserted
# directly, so these rows do not depend on the entities API). Clearing the active target
# alarm is a 409 for the owners (acknowledge first), which the matrix accepts.

ALARM_OWNERS = frozenset({"env_steward", "admin"})
ALARM_API: dict[tuple[str, str], frozenset[str]] = {
    ("GET", "/api/v1/ops/rules"): MEMBERS,
    ("POST", "/api/v1/ops/rules"): ALARM_OWNERS,
    ("GET", "/api/v1/ops/rules/{rule_id}"): MEMBERS,
    ("PATCH", "/api/v1/ops/rules/{rule_id}"): ALARM_OWNERS,
    ("DELETE", "/api/v1/ops/rules/{rule_id}"): ALARM_OWNERS,
    ("GET", "/api/v1/ops/alarms"): MEMBERS,
    ("GET", "/api/v1/ops/alarms/changes"): MEMBERS,
    ("GET", "/api/v1/ops/alarms/{alarm_id}"): MEMBERS,
    ("POST", "/api/v1/ops/alarms/{alarm_id}/acknowledge"): ALARM_OWNERS,
    ("POST", "/api/v1/ops/alarms/{alarm_id}/clear"): ALARM_OWNERS,
}


def alarm_targets(city: Any) -> dict[str, Any]:
    """A 生态环境局 station with a rule and an active alarm."""
    dept = city.departments["sthjj"]
    station = f"urn:ngsi-ld:AirQualityObserved:matrix-{uuid.uuid4().hex[:12]}"
    now = utcnow()
    with city.services.db.transaction() as s:
        s.add(OpsEntity(id=station, type="AirQualityObserved", department_id=dept, attrs={}))
        rule = OpsRule(
            name="PM2.5 矩阵",
            department_id=dept,
            entity_type="AirQualityObserved",
            kind="threshold",
            attribute="PM2_5",
            operator=">",
            threshold=115.0,
            duration_seconds=1800,
            scope={},
            severity="major",
        )
        s.add(rule)
        s.flush()
        alarm = OpsAlarm(
            rule_id=rule.id,
            entity_id=station,
            department_id=dept,
            dedupe_key=f"rule:{rule.id}|{station}",
            kind="threshold",
            severity="major",
            state="active",
            message="PM2_5 > 115 for 30 min (value 130)",
            value=130.0,
            raised_at=now,
            last_seen_at=now,
        )
        s.add(alarm)
        s.flush()
        return {"rule_id": rule.id, "alarm_id": alarm.id, "station_id": station}


def alarm_request(method: str, path: str, targets: dict[str, Any]) -> dict[str, Any] | None:
    """A valid request to a rules or alarms route."""
    url = path.format(**targets)
    body: Any = None
    if method == "POST" and path == "/api/v1/ops/rules":
        body = {
            "name": "PM10 超标",
            "department": "sthjj",
            "entity_type": "AirQualityObserved",
            "kind": "threshold",
            "attribute": "PM10",
            "operator": ">=",
            "threshold": 150,
            "duration_seconds": 3600,
        }
    elif method == "PATCH":
        body = {"threshold": 75, "severity": "critical"}
    return {"method": method, "url": url, "json": body}


# ==== Rules and alarms — END =================================================================

API: dict[tuple[str, str], frozenset[str]] = {**ALARM_API}
WEB: dict[tuple[str, str], frozenset[str]] = {}


def targets(city: Any, entry_id: int) -> dict[str, Any]:
    """Ids named by this feature's route paths."""
    return alarm_targets(city)


def api_request(method: str, path: str, targets: dict[str, Any]) -> dict[str, Any] | None:
    """The request a caller would send (None: no body)."""
    if (method, path) in ALARM_API:
        return alarm_request(method, path, targets)
    return None


def web_form(method: str, path: str, targets: dict[str, Any]) -> dict[str, Any] | None:
    """The form a user would post (None: none)."""
    return None


# ==== Commands and schedules — BEGIN =========================================================
# Targets: a fresh lamp of 公安局 (the test city's stand-in owner of streetlights) in its own
# group, a schedule for that group and a command to the lamp (rows inserted directly).

from datetime import timedelta  # noqa: E402

from quancheng.db.models import OpsCommand, OpsSchedule  # noqa: E402

LAMP_OWNERS = frozenset({"gaj_steward", "gaj_admin", "admin"})
COMMAND_API: dict[tuple[str, str], frozenset[str]] = {
    ("POST", "/api/v1/ops/commands"): LAMP_OWNERS,
    ("GET", "/api/v1/ops/commands"): MEMBERS,
    ("GET", "/api/v1/ops/commands/{command_id}"): MEMBERS,
    ("GET", "/api/v1/ops/schedules"): MEMBERS,
    ("POST", "/api/v1/ops/schedules"): LAMP_OWNERS,
    ("GET", "/api/v1/ops/schedules/{schedule_id}"): MEMBERS,
    ("PATCH", "/api/v1/ops/schedules/{schedule_id}"): LAMP_OWNERS,
    ("DELETE", "/api/v1/ops/schedules/{schedule_id}"): LAMP_OWNERS,
    ("GET", "/api/v1/ops/schedules/{schedule_id}/plan"): MEMBERS,
}


def command_targets(city: Any) -> dict[str, Any]:
    """A 公安局 lamp in its own group, a schedule for the group and a command to the lamp."""
    dept = city.departments["gaj"]
    tag = uuid.uuid4().hex[:12]
    lamp = f"urn:ngsi-ld:Streetlight:matrix-{tag}"
    group = f"urn:ngsi-ld:StreetlightGroup:matrix-{tag}"
    now = utcnow()
    with city.services.db.transaction() as s:
        s.add(
            OpsEntity(
                id=lamp,
                type="Streetlight",
                department_id=dept,
                district="370102",
                group_id=group,
                attrs={},
            )
        )
        s.flush()
        schedule = OpsSchedule(
            name="矩阵路灯",
            department_id=dept,
            target={"group": group},
            program={"kind": "fixed", "on": "18:30", "off": "06:00", "dimming": []},
            calendar={},
            priority=0,
        )
        command = OpsCommand(
            entity_id=lamp,
            department_id=dept,
            batch=tag,
            action="on",
            source="manual",
            state="queued",
            expires_at=now + timedelta(minutes=5),
        )
        s.add_all([schedule, command])
        s.flush()
        return {
            "lamp_id": lamp,
            "group_id": group,
            "schedule_id": schedule.id,
            "command_id": command.id,
        }


def command_request(method: str, path: str, targets: dict[str, Any]) -> dict[str, Any] | None:
    """A valid request to a commands or schedules route."""
    url = path.format(**targets)
    body: Any = None
    if (method, path) == ("POST", "/api/v1/ops/commands"):
        body = {"target": targets["lamp_id"], "action": "dim", "level": 0.5}
    elif (method, path) == ("POST", "/api/v1/ops/schedules"):
        body = {
            "name": "夜间调光",
            "target": {"group": targets["group_id"]},
            "program": {"kind": "astronomical", "on_offset_minutes": -10},
            "calendar": {"weekdays": [0, 1, 2, 3, 4]},
        }
    elif method == "PATCH":
        body = {"priority": 2}
    elif path.endswith("/plan"):
        url += "?date=2026-12-01"
    return {"method": method, "url": url, "json": body}


_alarm_targets = targets
_alarm_api_request = api_request
API |= COMMAND_API


def targets(city: Any, entry_id: int) -> dict[str, Any]:
    """Ids named by this feature's route paths (alarms', then commands')."""
    return {**_alarm_targets(city, entry_id), **command_targets(city)}


def api_request(method: str, path: str, targets: dict[str, Any]) -> dict[str, Any] | None:
    """The request a caller would send (None: no body)."""
    if (method, path) in COMMAND_API:
        return command_request(method, path, targets)
    return _alarm_api_request(method, path, targets)


# ==== Commands and schedules — END ===========================================================
