"""Web pages of lighting schedules and streetlight commands (see quancheng.operations.commands).

Every permission is the service's: the pages call the same CommandDesk methods as the API and
only ask it which departments the viewer may change, to decide which buttons to draw.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter
from fastapi.responses import HTMLResponse
from starlette.datastructures import FormData
from starlette.responses import Response

from quancheng.db.models import OpsCommand, OpsSchedule
from quancheng.errors import BadRequest, FieldError, NotFound, ValidationFailed
from quancheng.operations.commands import COMMAND_STATES, SOURCES
from quancheng.operations.lighting import Step
from quancheng.operations.simulator import DISTRICTS
from quancheng.web.alarm_pages import district_label, label, own_department_key
from quancheng.web.i18n import N_
from quancheng.web.listing import Listing
from quancheng.web.render import FLASHES, FormDep, Web, WebDep, form_problem, form_text

router = APIRouter(default_response_class=HTMLResponse, include_in_schema=False)

PAGE_SIZE = 50
BATCH_ROWS = 1000
PLAN_NIGHTS = 7

FLASHES.update(
    {
        "schedule_created": N_("The lighting schedule was created."),
        "schedule_saved": N_("The lighting schedule was saved."),
        "schedule_deleted": N_("The lighting schedule was deleted."),
    }
)
ACTIONS: dict[str, str] = {"on": N_("Switch on"), "off": N_("Switch off"), "dim": N_("Dim")}
COMMAND_STATE_LABELS: dict[str, str] = {
    "queued": N_("Queued"),
    "sent": N_("Sent, awaiting the lamp"),
    "acknowledged": N_("Done (the lamp reported it)"),
    "expired": N_("Expired"),
    "superseded": N_("Superseded by a newer command"),
}
SOURCE_LABELS: dict[str, str] = {
    "manual": N_("By hand"),
    "override": N_("By hand, overriding the schedule"),
    "schedule": N_("Lighting schedule"),
}
WEEKDAYS = (
    N_("Monday"),
    N_("Tuesday"),
    N_("Wednesday"),
    N_("Thursday"),
    N_("Friday"),
    N_("Saturday"),
    N_("Sunday"),
)
SCHEDULE_FIELDS: dict[str, str] = {
    "name": N_("Schedule name"),
    "department": N_("Department"),
    "target_district": N_("Lamps of district"),
    "target_group": N_("Lamps of group"),
    "program_kind": N_("Program"),
    "on": N_("Switch on at"),
    "off": N_("Switch off at"),
    "on_offset": N_("Switch on, minutes after sunset"),
    "off_offset": N_("Switch off, minutes after sunrise"),
    "dimming": N_("Dimming steps"),
    "weekdays": N_("On these weekdays"),
    "dates": N_("On these dates"),
    "date_from": N_("From"),
    "date_to": N_("Until"),
    "priority": N_("Priority"),
    "enabled": N_("Enabled"),
}
SCHEDULE_MESSAGES: dict[str, str] = {
    "name": N_("A name of 1 to 200 characters is required."),
    "department": N_("Choose the department whose lamps the schedule drives."),
    "target_district": N_("Choose a district or a group, not both."),
    "target_group": N_("No lamps of this department are in this group."),
    "program_kind": N_("Choose fixed times or sunset and sunrise."),
    "on": N_("Enter a time of day as HH:MM, e.g. 18:30."),
    "off": N_("Enter a time of day as HH:MM, e.g. 18:30."),
    "on_offset": N_("Enter whole minutes from -120 to 120."),
    "off_offset": N_("Enter whole minutes from -120 to 120."),
    "dimming": N_("One step a line: a time and a level, e.g. 23:00 0.5 or 23:00 50%."),
    "weekdays": N_("Choose weekdays from Monday to Sunday."),
    "dates": N_("Dates as YYYY-MM-DD, separated by commas."),
    "date_from": N_("Enter a date as YYYY-MM-DD."),
    "date_to": N_("Enter a date as YYYY-MM-DD, not before the start."),
    "priority": N_("Enter a whole number."),
}


def _department_names(web: Web) -> dict[int, str]:
    return {d.id: web.name_of(d) for d in web.services.identity.list_departments()}


def _level(value: float | None) -> str:
    return "—" if value is None else f"{round(value * 100)}%"


def _target(web: Web, target: dict[str, Any]) -> str:
    if "district" in target:
        return district_label(web, str(target["district"]))
    if "group" in target:
        return str(target["group"])
    return web.gettext(N_("Every lamp of the department"))


def _program(web: Web, program: dict[str, Any]) -> str:
    if program.get("kind") == "fixed":
        text = f"{program.get('on')}–{program.get('off')}"
    else:
        text = web.gettext(N_("sunset %(on)s min – sunrise %(off)s min")) % {
            "on": f"{int(program.get('on_offset_minutes', 0)):+d}",
            "off": f"{int(program.get('off_offset_minutes', 0)):+d}",
        }
    for at, level in program.get("dimming", []):
        text += "; " + web.gettext(N_("%(at)s dim to %(level)s")) % {
            "at": at,
            "level": _level(level),
        }
    return text


def _calendar(web: Web, calendar: dict[str, Any]) -> str:
    parts = []
    if "weekdays" in calendar:
        separator = ", " if web.english else "、"
        parts.append(separator.join(web.gettext(WEEKDAYS[d]) for d in calendar["weekdays"]))
    if "dates" in calendar:
        parts.append(", ".join(calendar["dates"]))
    if "from" in calendar or "to" in calendar:
        parts.append(f"{calendar.get('from', '…')} – {calendar.get('to', '…')}")
    return "; ".join(parts) or web.gettext(N_("Every day"))


def _helpers(web: Web) -> dict[str, Any]:
    departments = _department_names(web)
    return {
        "department_label": lambda dept_id: departments.get(dept_id, "—"),
        "target_label": lambda t: _target(web, t),
        "program_label": lambda p: _program(web, p),
        "calendar_label": lambda c: _calendar(web, c),
        "action_label": lambda v: label(web, ACTIONS, v),
        "command_state_label": lambda v: label(web, COMMAND_STATE_LABELS, v),
        "source_label": lambda v: label(web, SOURCE_LABELS, v),
        "level": _level,
        "field_label": lambda v: label(web, SCHEDULE_FIELDS, v),
    }


# -- schedules ----------------------------------------------------------------------------


@router.get("/ops/schedules")
def schedule_list(web: WebDep) -> Response:
    """Every lighting schedule; links to change those the viewer may change."""
    desk = web.services.commands
    schedules = desk.list_schedules(web.principal)
    return web.page(
        "ops_schedules.html",
        schedules=schedules,
        writable=desk.writable_department_ids(web.principal),
        **_helpers(web),
    )


def _plan(web: Web, schedule: OpsSchedule, start: date) -> list[tuple[date, list[Step]]]:
    desk = web.services.commands
    return [
        (night, desk.plan(web.principal, schedule.id, night))
        for night in (start + timedelta(days=n) for n in range(PLAN_NIGHTS))
    ]


def _schedule_values(schedule: OpsSchedule | None) -> dict[str, Any]:
    """A schedule's fields as the form shows them (defaults for a new one)."""
    if schedule is None:
        return {
            "program_kind": "astronomical",
            "on": "18:30",
            "off": "06:00",
            "on_offset": "0",
            "off_offset": "0",
            "priority": "0",
            "enabled": "on",
            "weekdays": [],
        }
    program, calendar, target = schedule.program, schedule.calendar, schedule.target
    return {
        "name": schedule.name,
        "target_district": str(target.get("district", "")),
        "target_group": str(target.get("group", "")),
        "program_kind": program.get("kind", ""),
        "on": program.get("on", ""),
        "off": program.get("off", ""),
        "on_offset": str(program.get("on_offset_minutes", 0)),
        "off_offset": str(program.get("off_offset_minutes", 0)),
        "dimming": "\n".join(f"{at} {_level(level)}" for at, level in program.get("dimming", [])),
        "weekdays": [str(d) for d in calendar.get("weekdays", [])],
        "dates": ", ".join(calendar.get("dates", [])),
        "date_from": calendar.get("from", ""),
        "date_to": calendar.get("to", ""),
        "priority": str(schedule.priority),
        "enabled": "on" if schedule.enabled else "",
    }


def _form_values(form: FormData) -> dict[str, Any]:
    values: dict[str, Any] = {
        name: form_text(form, name).strip() for name in SCHEDULE_FIELDS if name != "weekdays"
    }
    values["weekdays"] = [str(v) for v in form.getlist("weekdays")]
    values["enabled"] = "on" if values["enabled"] else ""
    return values


def _whole(text: str) -> int | None:
    body = text[1:] if text[:1] in "+-" else text
    return int(text) if body.isascii() and body.isdigit() else None


def _dimming(text: str) -> list[list[Any]]:
    steps: list[list[Any]] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        parts = line.replace("，", " ").replace(",", " ").split()
        if len(parts) != 2:
            raise ValueError(line)
        at, level_text = parts
        percent = level_text.endswith("%")
        level = float(level_text.rstrip("%"))
        steps.append([at, level / 100 if percent else level])
    return steps


def _schedule_fields(values: dict[str, Any]) -> dict[str, Any]:
    """The service's schedule fields from the form; what does not parse is refused here, the
    rest by the service."""
    errors: list[FieldError] = []
    program: dict[str, Any] = {"kind": values["program_kind"]}
    if values["program_kind"] == "fixed":
        program |= {"on": values["on"], "off": values["off"]}
    elif values["program_kind"] == "astronomical":
        for field, key in (
            ("on_offset", "on_offset_minutes"),
            ("off_offset", "off_offset_minutes"),
        ):
            minutes = _whole(values[field] or "0")
            if minutes is None:
                errors.append(FieldError(field, "invalid", "whole minutes"))
            program[key] = minutes
    try:
        program["dimming"] = _dimming(values["dimming"])
    except ValueError:
        errors.append(FieldError("dimming", "invalid", "HH:MM level"))
    calendar: dict[str, Any] = {}
    weekdays = [_whole(d) for d in values["weekdays"]]
    if any(d is None for d in weekdays):
        errors.append(FieldError("weekdays", "invalid", "0 to 6"))
    elif weekdays:
        calendar["weekdays"] = weekdays
    dates = [d for d in values["dates"].replace("，", ",").replace(" ", ",").split(",") if d]
    if dates:
        calendar["dates"] = dates
    if values["date_from"]:
        calendar["from"] = values["date_from"]
    if values["date_to"]:
        calendar["to"] = values["date_to"]
    target: dict[str, str] = {}
    if values["target_district"] and values["target_group"]:
        errors.append(FieldError("target_district", "invalid", "a district or a group"))
    elif values["target_district"]:
        target = {"district": values["target_district"]}
    elif values["target_group"]:
        target = {"group": values["target_group"]}
    priority = _whole(values["priority"] or "0")
    if priority is None:
        errors.append(FieldError("priority", "invalid", "a whole number"))
    if errors:
        raise ValidationFailed("the schedule is not valid", errors=errors)
    return {
        "name": values["name"],
        "program": program,
        "calendar": calendar,
        "target": target,
        "priority": priority,
        "enabled": bool(values["enabled"]),
    }


def _refused_field(exc: BadRequest | NotFound) -> str:
    """The form field a service refusal is about (by its code, details and message)."""
    details = exc.details if isinstance(exc.details, dict) else {}
    message = exc.message
    by_code = {
        "invalid_name": "name",
        "invalid_level": "dimming",
        "invalid_priority": "priority",
        "department_required": "department",
        "invalid_target": "target_group",
        "unknown_device": "target_group",
    }
    if exc.code in by_code:
        return by_code[exc.code]
    if exc.code == "invalid_time":
        return {"program.on": "on", "program.off": "off"}.get(next(iter(details), ""), "dimming")
    if exc.code == "invalid_program":
        for key, field in (
            ("program.kind", "program_kind"),
            ("on_offset", "on_offset"),
            ("off_offset", "off_offset"),
        ):
            if key in message:
                return field
        return "dimming"
    if exc.code in ("invalid_calendar", "invalid_date"):
        where = next(iter(details), "") + " " + message
        for key, field in (
            ("weekdays", "weekdays"),
            ("dates", "dates"),
            ("after", "date_to"),
            ("calendar.to", "date_to"),
        ):
            if key in where:
                return field
        return "date_from"
    return "name"


@contextmanager
def _refusals_as_field_errors() -> Iterator[None]:
    """A service's refusal of a schedule (a bad time, an unknown group), as a ValidationFailed
    on the form field it is about; any other NotFound goes on as it is."""
    try:
        yield
    except (BadRequest, NotFound) as exc:
        if isinstance(exc, NotFound) and exc.code != "unknown_device":
            raise
        error = FieldError(_refused_field(exc), "invalid", exc.message)
        raise ValidationFailed(exc.message, errors=[error]) from exc


def _field_message(web: Web, error: FieldError) -> str:
    msgid = SCHEDULE_MESSAGES.get(error.field)
    return web.gettext(msgid) if msgid else web.gettext(N_("This value is not valid."))


def _schedule_form(
    web: Web,
    *,
    schedule: OpsSchedule | None,
    values: dict[str, Any],
    problem: dict[str, Any] | None = None,
    status: int = 200,
) -> Response:
    desk = web.services.commands
    writable = desk.writable_department_ids(web.principal)
    departments = [
        d for d in web.services.identity.list_departments() if schedule is None and d.id in writable
    ]
    return web.page(
        "ops_schedule_form.html",
        status=status,
        schedule=schedule,
        values=values,
        problem=problem,
        department_options=[(d.key, web.name_of(d)) for d in departments],
        district_options=[(d.code, district_label(web, d.code)) for d in DISTRICTS],
        weekdays=[(str(n), web.gettext(msgid)) for n, msgid in enumerate(WEEKDAYS)],
        **_helpers(web),
    )


@router.get("/ops/schedules/new")
def new_schedule(web: WebDep) -> Response:
    """The form of a new lighting schedule."""
    web.services.commands.require_schedule_writer(web.principal)
    values = _schedule_values(None)
    values["department"] = own_department_key(web)
    return _schedule_form(web, schedule=None, values=values)


@router.post("/ops/schedules/new")
def create_schedule(web: WebDep, form: FormDep) -> Response:
    """Create a lighting schedule; a refused form comes back with its input and the reasons."""
    desk = web.services.commands
    desk.require_schedule_writer(web.principal)
    values = _form_values(form)
    try:
        with _refusals_as_field_errors():
            fields = _schedule_fields(values)
            created = desk.create_schedule(
                web.principal, department=values["department"] or None, **fields
            )
    except ValidationFailed as exc:
        problem = form_problem(web, exc, _field_message, {})
        return _schedule_form(web, schedule=None, values=values, problem=problem, status=422)
    return web.redirect(f"/ops/schedules/{created.id}", flash="schedule_created")


@router.get("/ops/schedules/{schedule_id}")
def schedule_page(schedule_id: int, web: WebDep) -> Response:
    """One schedule and its plan: the switch times of the coming nights."""
    desk = web.services.commands
    schedule = desk.get_schedule(web.principal, schedule_id)
    today = datetime.now(ZoneInfo(web.settings.timezone)).date()
    try:
        start = date.fromisoformat(web.request.query_params.get("from", ""))
    except ValueError:
        start = today
    return web.page(
        "ops_schedule.html",
        schedule=schedule,
        plan=_plan(web, schedule, start),
        start=start,
        may_change=schedule.department_id in desk.writable_department_ids(web.principal),
        **_helpers(web),
    )


@router.get("/ops/schedules/{schedule_id}/edit")
def edit_schedule(schedule_id: int, web: WebDep) -> Response:
    """The form of an existing schedule (for those who may change it)."""
    schedule = web.services.commands.schedule_for_edit(web.principal, schedule_id)
    return _schedule_form(web, schedule=schedule, values=_schedule_values(schedule))


@router.post("/ops/schedules/{schedule_id}/edit")
def save_schedule(schedule_id: int, web: WebDep, form: FormDep) -> Response:
    """Save a schedule's changes; the scheduler follows them from its next tick."""
    desk = web.services.commands
    schedule = desk.schedule_for_edit(web.principal, schedule_id)
    values = _form_values(form)
    try:
        with _refusals_as_field_errors():
            desk.update_schedule(web.principal, schedule_id, _schedule_fields(values))
    except ValidationFailed as exc:
        problem = form_problem(web, exc, _field_message, {})
        return _schedule_form(web, schedule=schedule, values=values, problem=problem, status=422)
    return web.redirect(f"/ops/schedules/{schedule_id}", flash="schedule_saved")


@router.post("/ops/schedules/{schedule_id}/delete")
def delete_schedule(schedule_id: int, web: WebDep, form: FormDep) -> Response:
    """Delete a schedule; the commands it made stay in the history."""
    web.services.commands.delete_schedule(web.principal, schedule_id)
    return web.redirect("/ops/schedules", flash="schedule_deleted")


# -- commands -----------------------------------------------------------------------------


def _batches(rows: list[OpsCommand]) -> list[dict[str, Any]]:
    """Commands of one request side by side: the first of each batch, with its lamps' states."""
    groups: list[dict[str, Any]] = []
    for row in rows:
        if groups and groups[-1]["batch"] == row.batch:
            groups[-1]["states"][row.state] += 1
            groups[-1]["lamps"] += 1
            continue
        groups.append(
            {"batch": row.batch, "first": row, "lamps": 1, "states": Counter([row.state])}
        )
    return groups


@router.get("/ops/commands")
def command_list(web: WebDep) -> Response:
    """Streetlight commands, newest first, grouped by the request that made them."""
    query = web.request.query_params
    state = query.get("state", "")
    source = query.get("source", "")
    state = state if state in COMMAND_STATES else ""
    source = source if source in SOURCES else ""
    offset_text = query.get("offset", "")
    offset = min(int(offset_text), 1_000_000) if offset_text.isdigit() else 0
    rows = web.services.commands.list_commands(
        web.principal,
        state=state or None,
        source=source or None,
        limit=PAGE_SIZE + 1,
        offset=offset,
    )
    listing = Listing.of("/ops/commands", {"state": state, "source": source})
    more = len(rows) > PAGE_SIZE
    batches = _batches(rows[:PAGE_SIZE])
    senders = web.services.identity.names_of(b["first"].created_by for b in batches)
    return web.page(
        "ops_commands.html",
        batches=batches,
        senders=senders,
        listing=listing,
        prev_url=listing.url(offset=max(0, offset - PAGE_SIZE)) if offset else None,
        next_url=listing.url(offset=offset + PAGE_SIZE) if more else None,
        states=COMMAND_STATES,
        sources=SOURCES,
        **_helpers(web),
    )


@router.get("/ops/commands/{command_id}")
def command_page(command_id: int, web: WebDep) -> Response:
    """A command and the outcome at each lamp it went to."""
    desk = web.services.commands
    command = desk.get_command(web.principal, command_id)
    lamps = desk.list_commands(web.principal, batch=command.batch, limit=BATCH_ROWS)
    return web.page(
        "ops_command.html",
        command=command,
        lamps=sorted(lamps, key=lambda c: c.entity_id),
        states=Counter(c.state for c in lamps),
        truncated=len(lamps) >= BATCH_ROWS,
        sender=web.services.identity.names_of([command.created_by]).get(command.created_by or 0),
        **_helpers(web),
    )
