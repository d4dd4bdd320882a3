"""API routes of city operations (see quancheng.operations)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from quancheng.api.deps import PrincipalDep, ServicesDep
from quancheng.api.schemas import API_ERRORS
from quancheng.errors import BadRequest, PayloadTooLarge
from quancheng.operations import codec
from quancheng.operations.alarms import AlarmView, RuleView
from quancheng.operations.ngsi import require_government

router = APIRouter(responses=API_ERRORS)

# ==== Rules and alarms (/ops/rules, /ops/alarms) — BEGIN ===================================


class RuleCreate(BaseModel):
    """A new alarm rule; the webhook URL, if any, goes in `scope.webhook`."""

    model_config = ConfigDict(extra="forbid")

    name: str
    entity_type: str = Field(description="AirQualityObserved, Streetlight, …")
    kind: str = Field(description="threshold, offline or flag")
    attribute: str = ""
    operator: str = Field("", description="> >= < <= == != (threshold rules)")
    threshold: float | None = None
    duration_seconds: int = Field(0, description="How long the condition must hold.")
    scope: dict[str, Any] = Field(
        default_factory=dict,
        description='{} / {"district": code} / {"group": urn} / {"entities": [urn]}, '
        'plus "webhook": URL',
    )
    severity: str = Field("major", description="critical, major, minor or warning")
    enabled: bool = True
    department: str | None = Field(None, description="Department key (default: yours).")


class RulePatch(BaseModel):
    """Fields of a rule to change."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = None
    entity_type: str | None = None
    kind: str | None = None
    attribute: str | None = None
    operator: str | None = None
    threshold: float | None = None
    duration_seconds: int | None = None
    scope: dict[str, Any] | None = None
    severity: str | None = None
    enabled: bool | None = None


class RulePublic(BaseModel):
    """An alarm rule."""

    id: int
    name: str
    department: str
    entity_type: str
    kind: str
    attribute: str
    operator: str
    threshold: float | None
    duration_seconds: int
    scope: dict[str, Any]
    severity: str
    enabled: bool
    created_by: str | None
    created_at: dt.datetime


class AlarmPublic(BaseModel):
    """An alarm: active → acknowledged → cleared."""

    id: int
    rule_id: int | None
    rule_name: str
    entity_id: str
    entity_type: str
    district: str
    department: str
    dedupe_key: str
    kind: str
    severity: str
    state: str
    message: str
    value: float | None
    occurrences: int
    raised_at: dt.datetime
    last_seen_at: dt.datetime
    acknowledged_by: str | None
    acknowledged_at: dt.datetime | None
    cleared_at: dt.datetime | None


class AlarmList(BaseModel):
    """A page of alarms, newest first."""

    total: int
    items: list[AlarmPublic]


class AlarmChangePublic(BaseModel):
    """One alarm event of the live feed."""

    index: int
    event: str
    alarm: AlarmPublic


class AlarmFeed(BaseModel):
    """Alarm events after a cursor; ask again with `cursor` as `since`."""

    cursor: int
    changes: list[AlarmChangePublic]


def _rule(view: RuleView) -> RulePublic:
    return RulePublic.model_validate(view.to_json())


def _alarm(view: AlarmView) -> AlarmPublic:
    return AlarmPublic.model_validate(view.to_json())


@router.get("/ops/rules", response_model=list[RulePublic], tags=["operations"])
def list_rules(
    services: ServicesDep,
    actor: PrincipalDep,
    entity_type: str | None = Query(None, alias="type"),
    department: str | None = None,
    kind: str | None = None,
) -> list[RulePublic]:
    """Alarm rules (government users read every department's)."""
    views = services.alarms.rules(actor, entity_type=entity_type, department=department, kind=kind)
    return [_rule(v) for v in views]


@router.post("/ops/rules", response_model=RulePublic, status_code=201, tags=["operations"])
def create_rule(body: RuleCreate, services: ServicesDep, actor: PrincipalDep) -> RulePublic:
    """Create a rule (data:write on its department)."""
    fields = body.model_dump(exclude={"department"})
    return _rule(services.alarms.create_rule(actor, fields, department=body.department))


@router.get("/ops/rules/{rule_id}", response_model=RulePublic, tags=["operations"])
def show_rule(rule_id: int, services: ServicesDep, actor: PrincipalDep) -> RulePublic:
    """One rule."""
    return _rule(services.alarms.rule(actor, rule_id))


@router.patch("/ops/rules/{rule_id}", response_model=RulePublic, tags=["operations"])
def patch_rule(
    rule_id: int, body: RulePatch, services: ServicesDep, actor: PrincipalDep
) -> RulePublic:
    """Change a rule; timers of durations restart."""
    changes = body.model_dump(exclude_unset=True)
    return _rule(services.alarms.update_rule(actor, rule_id, changes))


@router.delete("/ops/rules/{rule_id}", status_code=204, tags=["operations"])
def delete_rule(rule_id: int, services: ServicesDep, actor: PrincipalDep) -> Response:
    """Delete a rule; its open alarms are cleared."""
    services.alarms.delete_rule(actor, rule_id)
    return Response(status_code=204)


@router.get("/ops/alarms", response_model=AlarmList, tags=["operations"])
def list_alarms(
    services: ServicesDep,
    actor: PrincipalDep,
    state: str | None = Query(None, description="active, acknowledged, cleared or open"),
    severity: str | None = None,
    entity_type: str | None = Query(None, alias="type"),
    district: str | None = None,
    department: str | None = None,
    since: Annotated[
        dt.datetime | None, Query(description="Raised at or after (ISO 8601).")
    ] = None,
    until: Annotated[dt.datetime | None, Query(description="Raised before (ISO 8601).")] = None,
    rule: Annotated[int | None, Query(ge=1, description="Raised by this rule (its id).")] = None,
    limit: int = Query(100, ge=1, le=1000),
    offset: int = Query(0, ge=0),
) -> AlarmList:
    """Alarms, newest first, with filters (a time without a zone is UTC)."""
    if since is not None and since.tzinfo is None:
        since = since.replace(tzinfo=dt.UTC)
    if until is not None and until.tzinfo is None:
        until = until.replace(tzinfo=dt.UTC)
    views, total = services.alarms.alarms(
        actor,
        state=state,
        severity=severity,
        entity_type=entity_type,
        district=district,
        department=department,
        since=since,
        until=until,
        rule_id=rule,
        limit=limit,
        offset=offset,
    )
    return AlarmList(total=total, items=[_alarm(v) for v in views])


@router.get("/ops/alarms/changes", response_model=AlarmFeed, tags=["operations"])
def alarm_changes(
    services: ServicesDep,
    actor: PrincipalDep,
    since: str | None = Query(
        None, description="The cursor of the last answer, or an ISO 8601 time; none: now."
    ),
    limit: int = Query(100, ge=1, le=1000),
) -> AlarmFeed:
    """The live feed: alarm events (raised, acknowledged, cleared) after a cursor."""
    cursor: int | dt.datetime | None = None
    if since:
        try:
            cursor = int(since)
        except ValueError:
            try:
                cursor = dt.datetime.fromisoformat(since)
            except ValueError:
                raise BadRequest(
                    "since is a cursor (an integer) or an ISO 8601 time",
                    code="bad_cursor",
                    details={"since": since},
                ) from None
            if cursor.tzinfo is None:
                cursor = cursor.replace(tzinfo=dt.UTC)
    feed = services.alarms.changes_since(actor, cursor, limit=limit)
    return AlarmFeed.model_validate(feed.to_json())


@router.get("/ops/alarms/{alarm_id}", response_model=AlarmPublic, tags=["operations"])
def show_alarm(alarm_id: int, services: ServicesDep, actor: PrincipalDep) -> AlarmPublic:
    """One alarm."""
    return _alarm(services.alarms.alarm(actor, alarm_id))


@router.post("/ops/alarms/{alarm_id}/acknowledge", response_model=AlarmPublic, tags=["operations"])
def acknowledge_alarm(alarm_id: int, services: ServicesDep, actor: PrincipalDep) -> AlarmPublic:
    """Acknowledge an active alarm (data:write on its department)."""
    return _alarm(services.alarms.acknowledge(actor, alarm_id))


@router.post("/ops/alarms/{alarm_id}/clear", response_model=AlarmPublic, tags=["operations"])
def clear_alarm(alarm_id: int, services: ServicesDep, actor: PrincipalDep) -> AlarmPublic:
    """Clear an acknowledged alarm by hand."""
    return _alarm(services.alarms.clear(actor, alarm_id))


# ==== Rules and alarms — END ================================================================


# ==== Commands and schedules (/ops/commands, /ops/schedules) — BEGIN ========================
# Owned by the commands helper; the block above belongs to rules and alarms.

from zoneinfo import ZoneInfo  # noqa: E402

from quancheng.db.models import OpsCommand, OpsSchedule  # noqa: E402


class CommandCreate(BaseModel):
    """A command to one device, a group's lamps or a district's lamps (of your department)."""

    model_config = ConfigDict(extra="forbid")

    target: str | dict[str, str] = Field(
        description='An entity id, {"group": urn} or {"district": code}.'
    )
    action: str = Field(description="on, off or dim")
    level: float | None = Field(None, description="0..1, for dim only.")
    expires_in: int = Field(300, description="Seconds until an unacknowledged command expires.")
    override: bool = Field(False, description="Beat the lighting schedule until it expires.")


class CommandPublic(BaseModel):
    """A command and its delivery state (queued, sent, acknowledged, expired, superseded)."""

    id: int
    entity_id: str
    department_id: int
    batch: str
    action: str
    level: float | None
    source: str
    state: str
    attempts: int
    created_by: int | None
    created_at: dt.datetime
    sent_at: dt.datetime | None
    acknowledged_at: dt.datetime | None
    expires_at: dt.datetime

    @classmethod
    def of(cls, row: OpsCommand) -> CommandPublic:
        """The public view of a row."""
        return cls(
            id=row.id,
            entity_id=row.entity_id,
            department_id=row.department_id,
            batch=row.batch,
            action=row.action,
            level=row.level,
            source=row.source,
            state=row.state,
            attempts=row.attempts,
            created_by=row.created_by,
            created_at=row.created_at,
            sent_at=row.sent_at,
            acknowledged_at=row.acknowledged_at,
            expires_at=row.expires_at,
        )


class CommandBatch(BaseModel):
    """The commands one request made (one per device)."""

    batch: str
    commands: list[CommandPublic]


class ScheduleCreate(BaseModel):
    """A lighting schedule: which lamps, which days, which program."""

    model_config = ConfigDict(extra="forbid")

    name: str
    target: dict[str, str] = Field(
        default_factory=dict,
        description='{"group": urn} / {"district": code} / {} (every lamp of the department).',
    )
    program: dict[str, Any] = Field(
        description='{"kind": "fixed", "on": "18:30", "off": "06:00"} or {"kind": '
        '"astronomical", "on_offset_minutes": -10, "off_offset_minutes": 15}, plus '
        '"dimming": [["23:00", 0.5], …].'
    )
    calendar: dict[str, Any] = Field(
        default_factory=dict,
        description='{"weekdays": [0..6]} / {"dates": [...]} / {"from": d, "to": d}; {}: daily.',
    )
    priority: int = Field(0, description="The higher wins when calendars overlap.")
    enabled: bool = True
    department: str | None = Field(None, description="Department key (default: yours).")


class SchedulePatch(BaseModel):
    """Fields of a schedule to change."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = None
    target: dict[str, str] | None = None
    program: dict[str, Any] | None = None
    calendar: dict[str, Any] | None = None
    priority: int | None = None
    enabled: bool | None = None


class SchedulePublic(BaseModel):
    """A lighting schedule."""

    id: int
    name: str
    department_id: int
    target: dict[str, Any]
    program: dict[str, Any]
    calendar: dict[str, Any]
    priority: int
    enabled: bool
    created_by: int | None
    created_at: dt.datetime
    updated_at: dt.datetime

    @classmethod
    def of(cls, row: OpsSchedule) -> SchedulePublic:
        """The public view of a row."""
        return cls(
            id=row.id,
            name=row.name,
            department_id=row.department_id,
            target=row.target,
            program=row.program,
            calendar=row.calendar,
            priority=row.priority,
            enabled=row.enabled,
            created_by=row.created_by,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )


class PlanStep(BaseModel):
    """One transition of a night: local time, action, level, the schedule that chose it."""

    at: dt.datetime
    action: str
    level: float | None
    schedule_id: int | None


class SchedulePlan(BaseModel):
    """The night beginning on a date."""

    date: dt.date
    steps: list[PlanStep]


@router.post("/ops/commands", status_code=201, tags=["operations"])
def send_command(body: CommandCreate, actor: PrincipalDep, services: ServicesDep) -> CommandBatch:
    """Send on/off/dim to a device, a group or a district (data:write on its department)."""
    rows = services.commands.send(
        actor,
        body.target,
        body.action,
        body.level,
        expires_in=body.expires_in,
        override=body.override,
    )
    return CommandBatch(batch=rows[0].batch, commands=[CommandPublic.of(r) for r in rows])


@router.get("/ops/commands", tags=["operations"])
def list_commands(
    actor: PrincipalDep,
    services: ServicesDep,
    entity_id: str | None = None,
    state: str | None = None,
    source: str | None = None,
    batch: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[CommandPublic]:
    """Commands, newest first (government users)."""
    rows = services.commands.list_commands(
        actor,
        entity_id=entity_id,
        state=state,
        source=source,
        batch=batch,
        limit=limit,
        offset=offset,
    )
    return [CommandPublic.of(r) for r in rows]


@router.get("/ops/commands/{command_id}", tags=["operations"])
def get_command(command_id: int, actor: PrincipalDep, services: ServicesDep) -> CommandPublic:
    """One command and its delivery state."""
    return CommandPublic.of(services.commands.get_command(actor, command_id))


@router.get("/ops/schedules", tags=["operations"])
def list_schedules(actor: PrincipalDep, services: ServicesDep) -> list[SchedulePublic]:
    """Every lighting schedule (government users)."""
    return [SchedulePublic.of(r) for r in services.commands.list_schedules(actor)]


@router.post("/ops/schedules", status_code=201, tags=["operations"])
def create_schedule(
    body: ScheduleCreate, actor: PrincipalDep, services: ServicesDep
) -> SchedulePublic:
    """Create a lighting schedule (data:write on the department)."""
    row = services.commands.create_schedule(
        actor,
        name=body.name,
        program=body.program,
        calendar=body.calendar,
        target=body.target,
        priority=body.priority,
        enabled=body.enabled,
        department=body.department,
    )
    return SchedulePublic.of(row)


@router.get("/ops/schedules/{schedule_id}", tags=["operations"])
def get_schedule(schedule_id: int, actor: PrincipalDep, services: ServicesDep) -> SchedulePublic:
    """One lighting schedule."""
    return SchedulePublic.of(services.commands.get_schedule(actor, schedule_id))


@router.patch("/ops/schedules/{schedule_id}", tags=["operations"])
def patch_schedule(
    schedule_id: int, body: SchedulePatch, actor: PrincipalDep, services: ServicesDep
) -> SchedulePublic:
    """Change a lighting schedule (data:write on its department)."""
    changes = body.model_dump(exclude_unset=True)
    return SchedulePublic.of(services.commands.update_schedule(actor, schedule_id, changes))


@router.delete("/ops/schedules/{schedule_id}", status_code=204, tags=["operations"])
def delete_schedule(schedule_id: int, actor: PrincipalDep, services: ServicesDep) -> Response:
    """Delete a lighting schedule (data:write on its department)."""
    services.commands.delete_schedule(actor, schedule_id)
    return Response(status_code=204)


@router.get("/ops/schedules/{schedule_id}/plan", tags=["operations"])
def schedule_plan(
    schedule_id: int,
    actor: PrincipalDep,
    services: ServicesDep,
    date: str | None = None,
) -> SchedulePlan:
    """The night beginning on `date` (YYYY-MM-DD, default today in the city's time zone)."""
    if date is None:
        day = dt.datetime.now(ZoneInfo(services.commands.settings.timezone)).date()
    else:
        try:
            day = dt.date.fromisoformat(date)
        except ValueError:
            raise BadRequest(
                "date must be YYYY-MM-DD", code="invalid_date", details={"date": date}
            ) from None
    steps = services.commands.plan(actor, schedule_id, day)
    return SchedulePlan(
        date=day,
        steps=[
            PlanStep(at=s.at, action=s.action, level=s.level, schedule_id=s.schedule_id)
            for s in steps
        ],
    )


# ==== Commands and schedules — END ===========================================================


# ==== Device telemetry over HTTP (/ops/telemetry) ============================================

MAX_TELEMETRY_BYTES = 32 * 1024 * 1024
MAX_TELEMETRY_MESSAGES = 20_000


class TelemetryResult(BaseModel):
    """What a device batch did: messages and points stored, ids unknown or refused."""

    accepted: int = Field(description="Messages stored.")
    points: int = Field(description="Data points they carried into the history.")
    unknown: list[str] = Field(description="Ids of messages naming no known entity.")
    rejected: list[dict[str, Any]] = Field(description="Refused messages: {id, error}.")


_TELEMETRY_BODY = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {
                "type": "array",
                "maxItems": MAX_TELEMETRY_MESSAGES,
                "items": {
                    "type": "object",
                    "required": ["id"],
                    "properties": {
                        "id": {"type": "string"},
                        "type": {"type": "string"},
                        "attrs": {"type": "object"},
                    },
                },
            },
            "example": [
                {
                    "id": "urn:ngsi-ld:Streetlight:jinan-000001",
                    "type": "Streetlight",
                    "attrs": {
                        "powerConsumption": {"value": 86.5, "observedAt": "2026-11-30T11:00:00Z"},
                        "lampFailure": False,
                    },
                }
            ],
        }
    },
}


@router.post(
    "/ops/telemetry",
    response_model=TelemetryResult,
    tags=["operations"],
    openapi_extra={"requestBody": _TELEMETRY_BODY},
)
async def ingest_telemetry(
    request: Request, services: ServicesDep, actor: PrincipalDep
) -> TelemetryResult:
    """Device messages in one batch (gateways, the simulator): the telemetry fast path.

    Each message is `{"id", "type"?, "attrs": {name: value | {value, observedAt, unitCode}}}`
    for an existing entity the caller may write (one that is not refuses the batch: 403,
    nothing stored). Unknown ids and invalid messages are reported, the rest stored. The
    answer comes once the points are in the
    history (so what is acknowledged survives a crash); 503 when the history could not be
    written in time (send the batch again: writes are idempotent).
    """
    declared = request.headers.get("content-length")
    if (
        declared
        and declared.isascii()
        and declared.isdigit()
        and int(declared) > MAX_TELEMETRY_BYTES
    ):
        raise PayloadTooLarge(f"a telemetry batch is at most {MAX_TELEMETRY_BYTES} bytes")
    raw = bytearray()
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > MAX_TELEMETRY_BYTES:
            raise PayloadTooLarge(f"a telemetry batch is at most {MAX_TELEMETRY_BYTES} bytes")
    try:
        messages = codec.loads(raw)
    except ValueError as exc:
        raise BadRequest("the body is not JSON", code="invalid_json") from exc
    if not isinstance(messages, list):
        raise BadRequest("the body must be an array of device messages", code="invalid_batch")
    if len(messages) > MAX_TELEMETRY_MESSAGES:
        raise PayloadTooLarge(f"a telemetry batch holds at most {MAX_TELEMETRY_MESSAGES} messages")
    result = await run_in_threadpool(
        lambda: services.entities.ingest_batch(actor, messages, refuse_foreign=True)
    )
    if result.points:
        await run_in_threadpool(services.telemetry.saved)
    return TelemetryResult(
        accepted=result.accepted,
        points=result.points,
        unknown=result.unknown,
        rejected=result.rejected,
    )


class TelemetryStats(BaseModel):
    """How ingestion is going in this server process."""

    points_received: int
    points_written: int
    duplicates_dropped: int
    points_dropped: int
    write_errors: int
    queue_length: int
    last_flush_at: dt.datetime | None
    mqtt: dict[str, Any] | None = Field(
        None, description="The MQTT bridge's counters, when this process runs it."
    )


@router.get("/ops/telemetry/stats", response_model=TelemetryStats, tags=["operations"])
def telemetry_stats(services: ServicesDep, actor: PrincipalDep) -> TelemetryStats:
    """Telemetry counters of this server process (government users)."""
    require_government(actor)
    bridge_stats = getattr(services.commands.transport, "stats", None)
    mqtt = bridge_stats.as_dict() if bridge_stats is not None else None
    return TelemetryStats(**services.telemetry.stats(), mqtt=mqtt)
