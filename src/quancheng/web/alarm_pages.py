"""Web pages of alarms and alarm rules (see quancheng.operations.alarms).

Every permission is the service's: the pages call the same AlarmEngine methods as the API and
only ask it which departments the viewer may change, to decide which buttons to draw.
"""

from __future__ import annotations

import math
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter
from fastapi.responses import HTMLResponse
from starlette.datastructures import FormData
from starlette.responses import Response

from quancheng.errors import FieldError, PlatformError, ValidationFailed
from quancheng.operations.alarms import (
    ACKNOWLEDGED,
    ACTIVE,
    CLEARED,
    AlarmView,
    RuleView,
)
from quancheng.operations.model import ENTITY_TYPES
from quancheng.operations.rules import KINDS, OPERATORS, SEVERITIES
from quancheng.operations.simulator import DISTRICT_BY_CODE, DISTRICTS
from quancheng.web.i18n import N_
from quancheng.web.listing import Listing
from quancheng.web.render import FLASHES, FormDep, Web, WebDep, form_problem, form_text

router = APIRouter(default_response_class=HTMLResponse, include_in_schema=False)

PAGE_SIZE = 50

FLASHES.update(
    {
        "alarm_acknowledged": N_("The alarm was acknowledged."),
        "alarm_cleared": N_("The alarm was cleared."),
        "rule_created": N_("The alarm rule was created."),
        "rule_saved": N_("The alarm rule was saved."),
        "rule_deleted": N_("The alarm rule was deleted; its open alarms were cleared."),
    }
)

ALARM_STATES: dict[str, str] = {
    ACTIVE: N_("Awaiting acknowledgement"),
    ACKNOWLEDGED: N_("Acknowledged"),
    CLEARED: N_("Cleared"),
}
STATE_FILTERS: dict[str, str] = {"open": N_("Not cleared"), **ALARM_STATES}
SEVERITY_LABELS: dict[str, str] = {
    "critical": N_("Critical"),
    "major": N_("Major"),
    "minor": N_("Minor"),
    "warning": N_("Warning"),
}
ENTITY_TYPE_LABELS: dict[str, str] = {
    "Streetlight": N_("Streetlight"),
    "StreetlightGroup": N_("Streetlight group"),
    "StreetlightControlCabinet": N_("Streetlight control cabinet"),
    "AirQualityObserved": N_("Air quality station"),
    "TrafficFlowObserved": N_("Traffic counter"),
    "WaterObserved": N_("Spring and water-level gauge"),
}
KIND_LABELS: dict[str, str] = {
    "threshold": N_("Threshold"),
    "offline": N_("Device offline"),
    "flag": N_("Failure flag"),
}
# Built-in alarms (no rule) by their flag or status, as the big screen names them.
CAUSES: dict[str, str] = {
    "lampFailure": N_("Lamp failure"),
    "relayFailure": N_("Relay failure"),
    "supplyLoss": N_("Power supply lost"),
    "lampUnexpectedOn": N_("Lamp on when it should be off"),
    "defectiveLamp": N_("Defective lamp"),
    "columnIssue": N_("Column damaged"),
    "brokenLantern": N_("Broken lantern"),
}
EVENTS: dict[str, str] = {
    "raised": N_("Raised"),
    "acknowledged": N_("Acknowledged"),
    "cleared": N_("Cleared"),
}
REASONS: dict[str, str] = {
    "manual": N_("cleared by hand"),
    "recovered": N_("the device recovered"),
    "rule deleted": N_("its rule was deleted"),
}
RULE_FIELDS: dict[str, str] = {
    "name": N_("Rule name"),
    "department": N_("Department"),
    "entity_type": N_("Device type"),
    "kind": N_("Kind of rule"),
    "attribute": N_("Attribute"),
    "operator": N_("Comparison"),
    "threshold": N_("Threshold"),
    "duration_seconds": N_("Held for (seconds)"),
    "scope_district": N_("Only in district"),
    "scope_group": N_("Only in group"),
    "scope_entities": N_("Only these devices"),
    "webhook": N_("Webhook"),
    "severity": N_("Severity"),
    "enabled": N_("Enabled"),
}
# What the service calls a field, by the form field that shows its message.
_SERVICE_FIELDS = {
    "scope": "scope_district",
    "scope.district": "scope_district",
    "scope.group": "scope_group",
    "scope.entities": "scope_entities",
    "scope.webhook": "webhook",
}
RULE_MESSAGES: dict[tuple[str, str], str] = {
    ("name", "invalid"): N_("A name of 1 to 200 characters is required."),
    ("entity_type", "unknown"): N_("Choose a device type."),
    ("kind", "unknown"): N_("Choose a kind of rule."),
    ("severity", "unknown"): N_("Choose a severity."),
    ("duration_seconds", "invalid"): N_("Enter a whole number of seconds."),
    ("duration_seconds", "out_of_range"): N_("Enter 0 to 31622400 seconds (366 days)."),
    ("duration_seconds", "required"): N_("An offline rule needs a duration."),
    ("attribute", "required"): N_("Name the attribute the rule watches, e.g. PM2_5."),
    ("operator", "unknown"): N_("Choose a comparison."),
    ("threshold", "required"): N_("Enter a number, e.g. 115 or 0.5."),
    ("threshold", "invalid"): N_("Enter a number, e.g. 115 or 0.5."),
    ("scope_district", "invalid"): N_("Choose a district or a group, not both."),
    ("scope_entities", "invalid"): N_("List 1 to 1000 device ids, one a line."),
    ("webhook", "invalid"): N_("Enter an http:// or https:// address."),
    ("department", "required"): N_("Choose the rule's department."),
}


def label(web: Web, table: dict[str, str], value: str | None) -> str:
    """A value's label in the page's language (the value itself if unknown)."""
    if not value:
        return "—"
    msgid = table.get(value)
    return web.gettext(msgid) if msgid else value


def district_label(web: Web, code: str) -> str:
    """A district's name in the page's language (its code if unknown)."""
    found = DISTRICT_BY_CODE.get(code)
    if found is None:
        return code or "—"
    return found.name_en if web.english else found.name


def own_department_key(web: Web) -> str:
    """The key of the viewer's department, what a new rule or schedule belongs to by default."""
    for d in web.services.identity.list_departments():
        if d.id == web.principal.department_id:
            return d.key
    return ""


def alarm_text(web: Web, alarm: AlarmView) -> str:
    """What happened, in the page's language: the rule's name (and value) or the built-in
    cause; the stored (English) message only when neither is known."""
    if alarm.rule_name:
        if alarm.value is None:
            return alarm.rule_name
        word = web.gettext(N_("value"))
        return f"{alarm.rule_name} ({word} {alarm.value:g})"
    cause = alarm.dedupe_key.partition("|")[0].partition(":")[2]
    return label(web, CAUSES, cause) if cause in CAUSES else alarm.message


def _helpers(web: Web) -> dict[str, Any]:
    """Label functions the alarm and rule templates share."""
    return {
        "alarm_text": lambda a: alarm_text(web, a),
        "state_label": lambda v: label(web, ALARM_STATES, v),
        "severity_label": lambda v: label(web, SEVERITY_LABELS, v),
        "type_label": lambda v: label(web, ENTITY_TYPE_LABELS, v),
        "kind_label": lambda v: label(web, KIND_LABELS, v),
        "district_label": lambda v: district_label(web, v),
        "department_label": _department_names(web),
        "field_label": lambda v: label(web, RULE_FIELDS, v),
        "districts": DISTRICTS,
    }


def _department_names(web: Web) -> Any:
    names = {d.key: web.name_of(d) for d in web.services.identity.list_departments()}
    return lambda key: names.get(key, key or "—")


# -- alarms -------------------------------------------------------------------------------


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _offset(text: str) -> int:
    return min(int(text), 1_000_000) if text.isascii() and text.isdigit() else 0


@router.get("/ops/alarms")
def alarm_list(web: WebDep) -> Response:
    """Alarms, newest first, with filters (state, severity, district, type, rule, days)."""
    query = web.request.query_params
    state = query.get("state", "")
    severity = query.get("severity", "")
    district = query.get("district", "")
    entity_type = query.get("type", "")
    rule_text = query.get("rule", "")
    since_day, until_day = _day(query.get("since", "")), _day(query.get("until", ""))
    offset = _offset(query.get("offset", ""))
    # Only known values filter: a hand-edited address shows everything rather than failing.
    state = state if state in STATE_FILTERS else ""
    severity = severity if severity in SEVERITIES else ""
    district = district if district in DISTRICT_BY_CODE else ""
    entity_type = entity_type if entity_type in ENTITY_TYPES else ""
    rule_id = int(rule_text) if rule_text.isascii() and rule_text.isdigit() else None
    zone = ZoneInfo(web.settings.timezone)
    alarms = web.services.alarms
    views, total = alarms.alarms(
        web.principal,
        state=state or None,
        severity=severity or None,
        entity_type=entity_type or None,
        district=district or None,
        rule_id=rule_id,
        since=datetime.combine(since_day, time(), zone) if since_day else None,
        until=datetime.combine(until_day + timedelta(days=1), time(), zone) if until_day else None,
        limit=PAGE_SIZE,
        offset=offset,
    )
    listing = Listing.of(
        "/ops/alarms",
        {
            "state": state,
            "severity": severity,
            "district": district,
            "type": entity_type,
            "rule": rule_id,
            "since": since_day.isoformat() if since_day else "",
            "until": until_day.isoformat() if until_day else "",
            "offset": offset,
        },
    )
    return web.page(
        "ops_alarms.html",
        alarms=views,
        total=total,
        paging=listing.pages(total, offset, PAGE_SIZE),
        filtered=any(k != "offset" for k in listing.params),
        listing=listing,
        rules=alarms.rules(web.principal),
        state_filters=STATE_FILTERS,
        severities=SEVERITIES,
        entity_types=ENTITY_TYPES,
        **_helpers(web),
    )


@router.get("/ops/alarms/{alarm_id}")
def alarm_page(alarm_id: int, web: WebDep) -> Response:
    """One alarm: what, where, its history, and acknowledge or clear for those who may."""
    alarms = web.services.alarms
    alarm = alarms.alarm(web.principal, alarm_id)
    history = alarms.history(web.principal, alarm_id)
    may_change = alarm.department in alarms.writable_departments(web.principal)
    return web.page(
        "ops_alarm.html",
        alarm=alarm,
        history=history,
        may_change=may_change,
        event_label=lambda v: label(web, EVENTS, v),
        reason_label=lambda v: label(web, REASONS, v),
        **_helpers(web),
    )


@router.post("/ops/alarms/{alarm_id}/acknowledge")
def acknowledge_alarm(alarm_id: int, web: WebDep, form: FormDep) -> Response:
    """Acknowledge an active alarm: an operator has it in hand."""
    web.services.alarms.acknowledge(web.principal, alarm_id)
    return web.redirect(f"/ops/alarms/{alarm_id}", flash="alarm_acknowledged")


@router.post("/ops/alarms/{alarm_id}/clear")
def clear_alarm(alarm_id: int, web: WebDep, form: FormDep) -> Response:
    """Clear an acknowledged alarm by hand."""
    web.services.alarms.clear(web.principal, alarm_id)
    return web.redirect(f"/ops/alarms/{alarm_id}", flash="alarm_cleared")


# -- rules --------------------------------------------------------------------------------


@router.get("/ops/rules")
def rule_list(web: WebDep) -> Response:
    """Every alarm rule; links to change those of the departments the viewer may change."""
    alarms = web.services.alarms
    rules = alarms.rules(web.principal)
    writable = alarms.writable_departments(web.principal)
    return web.page(
        "ops_rules.html",
        rules=rules,
        writable=writable,
        condition=lambda r: _condition(web, r),
        **_helpers(web),
    )


def _condition(web: Web, rule: RuleView) -> str:
    """A rule's condition as a short line, e.g. "PM2_5 > 115 for 1800 s"."""
    spec = rule.spec
    held = ""
    if spec.duration_seconds:
        held = " " + web.gettext(N_("for %(n)s s")) % {"n": spec.duration_seconds}
    if spec.kind == "threshold":
        limit = f"{spec.threshold:g}" if spec.threshold is not None else "?"
        return f"{spec.attribute} {spec.operator} {limit}{held}"
    if spec.kind == "flag":
        return web.gettext(N_("%(attribute)s is true")) % {"attribute": spec.attribute} + held
    return web.gettext(N_("No observation")) + held


def _rule_values(rule: RuleView | None) -> dict[str, str]:
    """A rule's fields as the form shows them (defaults for a new rule)."""
    if rule is None:
        return {"severity": "major", "kind": "threshold", "enabled": "on", "operator": ">"}
    spec, scope = rule.spec, rule.spec.scope
    return {
        "name": spec.name,
        "department": rule.department,
        "entity_type": spec.entity_type,
        "kind": spec.kind,
        "attribute": spec.attribute,
        "operator": spec.operator,
        "threshold": "" if spec.threshold is None else f"{spec.threshold:g}",
        "duration_seconds": str(spec.duration_seconds),
        "scope_district": str(scope.get("district", "")),
        "scope_group": str(scope.get("group", "")),
        "scope_entities": "\n".join(scope.get("entities", [])),
        "webhook": str(scope.get("webhook", "")),
        "severity": spec.severity,
        "enabled": "on" if spec.enabled else "",
    }


def _form_values(form: FormData) -> dict[str, str]:
    values = {name: form_text(form, name).strip() for name in RULE_FIELDS}
    values["enabled"] = "on" if values["enabled"] else ""
    return values


def _rule_fields(values: dict[str, str]) -> dict[str, Any]:
    """The service's rule fields from the form's text; numbers that do not parse are refused
    here, everything else by the rule itself."""
    errors: list[FieldError] = []
    threshold: float | None = None
    if values["threshold"]:
        try:
            threshold = float(values["threshold"].replace("，", ".").replace(",", "."))
        except ValueError:
            threshold = None
        if threshold is None or not math.isfinite(threshold):
            errors.append(FieldError("threshold", "invalid", "a finite number"))
    duration_text = values["duration_seconds"] or "0"
    duration = int(duration_text) if duration_text.isascii() and duration_text.isdigit() else -1
    if duration < 0:
        errors.append(FieldError("duration_seconds", "invalid", "a whole number of seconds"))
    if errors:
        raise ValidationFailed("the rule is not valid", errors=errors)
    scope: dict[str, Any] = {}
    if values["scope_district"]:
        scope["district"] = values["scope_district"]
    if values["scope_group"]:
        scope["group"] = values["scope_group"]
    entities = [line.strip() for line in values["scope_entities"].splitlines() if line.strip()]
    if entities:
        scope["entities"] = entities
    if values["webhook"]:
        scope["webhook"] = values["webhook"]
    return {
        "name": values["name"],
        "entity_type": values["entity_type"],
        "kind": values["kind"],
        "attribute": values["attribute"],
        "operator": values["operator"],
        "threshold": threshold,
        "duration_seconds": duration,
        "scope": scope,
        "severity": values["severity"],
        "enabled": bool(values["enabled"]),
    }


def _field_message(web: Web, error: FieldError) -> str:
    field = _SERVICE_FIELDS.get(error.field, error.field)
    msgid = RULE_MESSAGES.get((field, error.code))
    return web.gettext(msgid) if msgid else web.gettext(N_("This value is not valid."))


def _rule_problem(web: Web, exc: PlatformError) -> dict[str, Any]:
    problem = form_problem(web, exc, _field_message, {})
    problem["fields"] = {
        _SERVICE_FIELDS.get(name, name): text for name, text in problem["fields"].items()
    }
    return problem


def _rule_form(
    web: Web,
    *,
    rule: RuleView | None,
    values: dict[str, str],
    problem: dict[str, Any] | None = None,
    status: int = 200,
) -> Response:
    alarms = web.services.alarms
    writable = alarms.writable_departments(web.principal)
    departments = [
        d for d in web.services.identity.list_departments() if rule is None and d.key in writable
    ]
    return web.page(
        "ops_rule_form.html",
        status=status,
        rule=rule,
        values=values,
        problem=problem,
        department_options=[(d.key, web.name_of(d)) for d in departments],
        type_options=[(t, label(web, ENTITY_TYPE_LABELS, t)) for t in ENTITY_TYPES],
        kind_options=[(k, label(web, KIND_LABELS, k)) for k in KINDS],
        operator_options=[("", "—"), *((o, o) for o in OPERATORS)],
        severity_options=[(v, label(web, SEVERITY_LABELS, v)) for v in SEVERITIES],
        district_options=[(d.code, district_label(web, d.code)) for d in DISTRICTS],
        **_helpers(web),
    )


@router.get("/ops/rules/new")
def new_rule(web: WebDep) -> Response:
    """The form of a new alarm rule."""
    web.services.alarms.require_rule_writer(web.principal)
    values = _rule_values(None)
    values["department"] = own_department_key(web)
    return _rule_form(web, rule=None, values=values)


@router.post("/ops/rules/new")
def create_rule(web: WebDep, form: FormDep) -> Response:
    """Create an alarm rule; a refused form comes back with its input and the reasons."""
    alarms = web.services.alarms
    alarms.require_rule_writer(web.principal)
    values = _form_values(form)
    try:
        fields = _rule_fields(values)
        alarms.create_rule(web.principal, fields, department=values["department"] or None)
    except ValidationFailed as exc:
        problem = _rule_problem(web, exc)
        return _rule_form(web, rule=None, values=values, problem=problem, status=exc.status)
    return web.redirect("/ops/rules", flash="rule_created")


@router.get("/ops/rules/{rule_id}/edit")
def edit_rule(rule_id: int, web: WebDep) -> Response:
    """The form of an existing rule (for those who may change it)."""
    rule = web.services.alarms.rule_for_edit(web.principal, rule_id)
    return _rule_form(web, rule=rule, values=_rule_values(rule))


@router.post("/ops/rules/{rule_id}/edit")
def save_rule(rule_id: int, web: WebDep, form: FormDep) -> Response:
    """Save a rule's changes; pending timers of its conditions restart."""
    alarms = web.services.alarms
    rule = alarms.rule_for_edit(web.principal, rule_id)
    values = _form_values(form)
    values["department"] = rule.department
    try:
        alarms.update_rule(web.principal, rule_id, _rule_fields(values))
    except ValidationFailed as exc:
        problem = _rule_problem(web, exc)
        return _rule_form(web, rule=rule, values=values, problem=problem, status=exc.status)
    return web.redirect("/ops/rules", flash="rule_saved")


@router.post("/ops/rules/{rule_id}/delete")
def delete_rule(rule_id: int, web: WebDep, form: FormDep) -> Response:
    """Delete a rule; its open alarms are cleared and keep their history."""
    web.services.alarms.delete_rule(web.principal, rule_id)
    return web.redirect("/ops/rules", flash="rule_deleted")
