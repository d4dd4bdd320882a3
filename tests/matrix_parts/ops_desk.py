"""Permission matrix rows of the operations desk pages (see tests/matrix_parts/__init__.py).

Alarms and alarm rules in the browser, with the targets of the API rows (tests/matrix_parts/
ops.py): a 生态环境局 station, a rule and an active alarm on it. Government users read them;
only the owning department (生态环境局) and the platform change them. Clearing the active
target alarm is a 409 for the owners (acknowledge first), which the matrix accepts. A new rule
goes to the author's own department, so every writer may create one.

Lighting schedules and commands, on the commands API rows' targets: a 公安局 lamp in its own
group, a schedule for the group and a command to the lamp. A new schedule drives every lamp of
the author's own department, so every writer may create one.
"""

from __future__ import annotations

from typing import Any

from tests.matrix_parts.ops import (
    ALARM_OWNERS,
    LAMP_OWNERS,
    MEMBERS,
    alarm_targets,
    command_targets,
)

WRITERS = frozenset({"gaj_steward", "env_steward", "gaj_admin", "admin"})

# ==== Alarms and rules — BEGIN ===============================================================

ALARM_WEB: dict[tuple[str, str], frozenset[str]] = {
    ("GET", "/ops/alarms"): MEMBERS,
    ("GET", "/ops/alarms/{alarm_id}"): MEMBERS,
    ("POST", "/ops/alarms/{alarm_id}/acknowledge"): ALARM_OWNERS,
    ("POST", "/ops/alarms/{alarm_id}/clear"): ALARM_OWNERS,
    ("GET", "/ops/rules"): MEMBERS,
    ("GET", "/ops/rules/new"): WRITERS,
    ("POST", "/ops/rules/new"): WRITERS,
    ("GET", "/ops/rules/{rule_id}/edit"): ALARM_OWNERS,
    ("POST", "/ops/rules/{rule_id}/edit"): ALARM_OWNERS,
    ("POST", "/ops/rules/{rule_id}/delete"): ALARM_OWNERS,
}

RULE_FORM = {
    "name": "PM10 超标",
    "entity_type": "AirQualityObserved",
    "kind": "threshold",
    "attribute": "PM10",
    "operator": ">=",
    "threshold": "150",
    "duration_seconds": "3600",
    "severity": "major",
    "enabled": "on",
}

# ==== Alarms and rules — END =================================================================

# ==== Schedules and commands — BEGIN =========================================================

LIGHTING_WEB: dict[tuple[str, str], frozenset[str]] = {
    ("GET", "/ops/schedules"): MEMBERS,
    ("GET", "/ops/schedules/new"): WRITERS,
    ("POST", "/ops/schedules/new"): WRITERS,
    ("GET", "/ops/schedules/{schedule_id}"): MEMBERS,
    ("GET", "/ops/schedules/{schedule_id}/edit"): LAMP_OWNERS,
    ("POST", "/ops/schedules/{schedule_id}/edit"): LAMP_OWNERS,
    ("POST", "/ops/schedules/{schedule_id}/delete"): LAMP_OWNERS,
    ("GET", "/ops/commands"): MEMBERS,
    ("GET", "/ops/commands/{command_id}"): MEMBERS,
}

SCHEDULE_FORM = {
    "name": "夜间调光",
    "program_kind": "astronomical",
    "on_offset": "-10",
    "off_offset": "15",
    "dimming": "23:00 50%",
    "weekdays": ["0", "1", "2", "3", "4"],
    "priority": "0",
    "enabled": "on",
}

# ==== Schedules and commands — END ===========================================================

API: dict[tuple[str, str], frozenset[str]] = {}
WEB: dict[tuple[str, str], frozenset[str]] = {**ALARM_WEB, **LIGHTING_WEB}


def targets(city: Any, entry_id: int) -> dict[str, Any]:
    """Ids named by this feature's route paths (alarms', then lighting's)."""
    return {**alarm_targets(city), **command_targets(city)}


def api_request(method: str, path: str, targets: dict[str, Any]) -> dict[str, Any] | None:
    """The request a caller would send (None: no body)."""
    return None


def web_form(method: str, path: str, targets: dict[str, Any]) -> dict[str, Any] | None:
    """The form a user would post (None: none)."""
    if path in ("/ops/rules/new", "/ops/rules/{rule_id}/edit"):
        return dict(RULE_FORM)
    if path == "/ops/schedules/new":
        return dict(SCHEDULE_FORM)
    if path == "/ops/schedules/{schedule_id}/edit":
        return {**SCHEDULE_FORM, "target_group": targets["group_id"]}
    return None
