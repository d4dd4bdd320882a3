"""Commands to lamps, groups and districts; lighting calendars and programs.

A command carries a desired state (on, off, dim to a level) to one device. Its life:
queued (stored; no transport, or publishing failed) → sent (published on
qc/v1/{type}/{id}/cmd) → acknowledged (the device reported the desired state, or a
`commandAck` attribute with the command's id) or expired (past expires_at without an
acknowledgement). A newer command to the same device supersedes an older pending one
(state "superseded"), so a retry never brings back a state nobody wants any more.
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from quancheng.datastore.service import DatastoreService
from quancheng.db import Database
from quancheng.db.models import Department, OpsCommand, OpsEntity, OpsSchedule, utcnow
from quancheng.errors import BadRequest, NotFound, PermissionDenied
from quancheng.identity.roles import Permission, Principal
from quancheng.ledger.canonical import LedgerEvent
from quancheng.ledger.log import Ledger, actor_of
from quancheng.operations import lighting
from quancheng.operations.model import STREETLIGHT, Observation
from quancheng.settings import Settings

log = logging.getLogger(__name__)

QUEUED = "queued"
SENT = "sent"
ACKNOWLEDGED = "acknowledged"
EXPIRED = "expired"
SUPERSEDED = "superseded"
COMMAND_STATES = (QUEUED, SENT, ACKNOWLEDGED, EXPIRED, SUPERSEDED)
PENDING = (QUEUED, SENT)
SOURCES = ("manual", "override", "schedule")
DEFAULT_EXPIRES_IN = 300
MAX_EXPIRES_IN = 7 * 24 * 3600
# Commands made by the schedule live this long (a tick every minute re-decides anyway).
SCHEDULE_EXPIRES_IN = 1800
# Re-sending an unacknowledged command: after 30 s, 1, 2, 4, 8 minutes, then give up.
RETRY_BASE_SECONDS = 30
MAX_ATTEMPTS = 6
# A report observed this long before the command was made may still acknowledge it
# (device clocks drift).
CLOCK_SKEW = timedelta(seconds=5)
LEVEL_TOLERANCE = 0.02
REPORT_ATTRIBUTES = frozenset({"powerState", "illuminanceLevel", "commandAck"})


class Transport(Protocol):
    """How commands reach devices (the MqttBridge in production)."""

    def publish(self, topic: str, payload: Any, qos: int = 1) -> None:
        """Publish a JSON payload on a topic; raise if it could not be handed over."""
        ...


def command_payload(cmd: OpsCommand) -> dict[str, Any]:
    """What the device receives on its cmd topic."""
    return {
        "commandId": cmd.id,
        "action": cmd.action,
        "level": cmd.level,
        "expiresAt": _utc(cmd.expires_at).isoformat().replace("+00:00", "Z"),
    }


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _require_government(actor: Principal) -> None:
    """Operations are read by government users (the operations centre is city-wide)."""
    if actor.is_platform_admin:
        return
    actor.require(Permission.DATA_READ)
    if actor.department_id is None:
        raise PermissionDenied("city operations are for government departments")


def _desired_power(action: str) -> str:
    return "off" if action == lighting.OFF else "on"


def _power(value: Any) -> str | None:
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, str) and value.lower() in ("on", "off"):
        return value.lower()
    return None


def _fraction(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    # Some controllers report percent; the platform speaks fractions.
    return float(value) / 100 if value > 1 else float(value)


def matches(action: str, level: float | None, reported: dict[str, Any]) -> bool:
    """Whether reported attributes show a command's desired state (action, level)."""
    power = _power(reported.get("powerState"))
    reported_level = _fraction(reported.get("illuminanceLevel"))
    if action == lighting.DIM:
        if power == "off" or reported_level is None or level is None:
            return False
        return abs(reported_level - level) <= LEVEL_TOLERANCE
    if power is None:
        return False
    return power == _desired_power(action)


class CommandDesk:
    """Commands to lamps, groups and districts; lighting calendars and programs."""

    def __init__(
        self,
        *,
        db: Database,
        datastore: DatastoreService,
        ledger: Ledger,
        settings: Settings,
    ) -> None:
        self.db = db
        self.datastore = datastore
        self.ledger = ledger
        self.settings = settings
        # Set after construction: the MqttBridge when QC_MQTT_URL is set; None keeps
        # commands queued until `retry` finds a transport.
        self.transport: Transport | None = None
        self.clock: Callable[[], datetime] = utcnow
        self.stats: dict[str, int] = defaultdict(int)

    @property
    def place(self) -> lighting.Place:
        """The city's coordinates and time zone, for astronomical programs."""
        return lighting.Place(
            latitude=self.settings.city_latitude,
            longitude=self.settings.city_longitude,
            timezone=self.settings.timezone,
        )

    # Commands

    def send(
        self,
        actor: Principal,
        target: str | dict[str, Any],
        action: str,
        level: float | None = None,
        *,
        expires_in: int = DEFAULT_EXPIRES_IN,
        override: bool = False,
    ) -> list[OpsCommand]:
        """Command one device, {"group": urn} or {"district": code}; publish when possible."""
        actor.require(Permission.DATA_WRITE)
        action, level = _check_action(action, level)
        if isinstance(expires_in, bool) or not 1 <= expires_in <= MAX_EXPIRES_IN:
            raise BadRequest(
                f"expires_in must be 1 to {MAX_EXPIRES_IN} seconds", code="invalid_expiry"
            )
        now = self.clock()
        with self.db.transaction() as s:
            devices = self._resolve(s, actor, target)
            for dept in sorted({d.department_id for d in devices}):
                actor.require(Permission.DATA_WRITE, department_id=dept)
            commands = self._create(
                s,
                devices,
                action,
                level,
                source="override" if override else "manual",
                batch=uuid.uuid4().hex,
                created_by=actor.user_id,
                expires_at=now + timedelta(seconds=expires_in),
                now=now,
            )
            self._record_sent(s, actor, commands, target)
            types = {d.id: d.type for d in devices}
        self._publish([(c, types[c.entity_id]) for c in commands], now)
        return commands

    def _resolve(
        self, s: Session, actor: Principal, target: str | dict[str, Any]
    ) -> list[OpsEntity]:
        if isinstance(target, str):
            entity = s.get(OpsEntity, target)
            if entity is None:
                raise NotFound(f"no device {target}", code="unknown_device")
            return [entity]
        if not isinstance(target, dict) or len(target) != 1:
            raise BadRequest(
                'target must be an entity id, {"group": urn} or {"district": code}',
                code="invalid_target",
            )
        ((kind, value),) = target.items()
        if kind not in ("group", "district") or not isinstance(value, str) or not value:
            raise BadRequest(
                'target must be an entity id, {"group": urn} or {"district": code}',
                code="invalid_target",
            )
        query = select(OpsEntity).where(OpsEntity.type == STREETLIGHT)
        if kind == "group":
            query = query.where(OpsEntity.group_id == value)
        else:
            query = query.where(OpsEntity.district == value)
            # A district holds lamps of several owners: one commands its own department's.
            if not actor.is_platform_admin:
                query = query.where(OpsEntity.department_id == actor.department_id)
        devices = list(s.scalars(query.order_by(OpsEntity.id)))
        if not devices:
            raise NotFound(f"no lamps in {kind} {value}", code="unknown_device")
        return devices

    def _create(
        self,
        s: Session,
        devices: Sequence[OpsEntity],
        action: str,
        level: float | None,
        *,
        source: str,
        batch: str,
        created_by: int | None,
        expires_at: datetime,
        now: datetime,
    ) -> list[OpsCommand]:
        ids = [d.id for d in devices]
        s.execute(
            update(OpsCommand)
            .where(OpsCommand.entity_id.in_(ids), OpsCommand.state.in_(PENDING))
            .values(state=SUPERSEDED)
        )
        commands = [
            OpsCommand(
                entity_id=d.id,
                department_id=d.department_id,
                batch=batch,
                action=action,
                level=level,
                source=source,
                state=QUEUED,
                attempts=0,
                created_by=created_by,
                created_at=now,
                expires_at=expires_at,
            )
            for d in devices
        ]
        s.add_all(commands)
        s.flush()
        return commands

    def _record_sent(
        self,
        s: Session,
        actor: Principal | None,
        commands: Sequence[OpsCommand],
        target: str | dict[str, Any],
    ) -> None:
        first = commands[0]
        details: dict[str, Any] = {
            "action": first.action,
            "source": first.source,
            "devices": len(commands),
            "target": target,
            "expires_at": _utc(first.expires_at).isoformat(),
        }
        if first.level is not None:
            details["level"] = first.level
        dept = s.get(Department, first.department_id)
        if dept is not None:
            details["department"] = dept.key
        self.ledger.record(
            s,
            LedgerEvent(
                type="ops.command.sent",
                time=self.clock(),
                actor=actor_of(s, actor),
                subject={"kind": "ops_command", "id": first.batch},
                details=details,
            ),
        )

    def _publish(self, items: Sequence[tuple[OpsCommand, str]], now: datetime) -> int:
        """Publish (command, entity type) pairs; mark those handed over as sent."""
        transport = self.transport
        if transport is None or not items:
            return 0
        sent: list[int] = []
        for cmd, entity_type in items:
            topic = f"qc/v1/{entity_type}/{cmd.entity_id}/cmd"
            try:
                transport.publish(topic, command_payload(cmd))
            except Exception as exc:
                # Left queued: `retry` publishes it again once the broker is back.
                log.warning("publishing command %s failed: %s", cmd.id, exc)
                self.stats["publish_failures"] += 1
                continue
            sent.append(cmd.id)
        if sent:
            with self.db.transaction() as s:
                # The device may have acknowledged already (its report raced the update).
                s.execute(
                    update(OpsCommand)
                    .where(OpsCommand.id.in_(sent), OpsCommand.state.in_(PENDING))
                    .values(state=SENT, sent_at=now, attempts=OpsCommand.attempts + 1)
                )
            for cmd, _ in items:
                if cmd.id in sent:
                    if cmd.state == QUEUED:
                        cmd.state = SENT
                    cmd.sent_at = now
                    cmd.attempts += 1
        return len(sent)

    def list_commands(
        self,
        actor: Principal,
        *,
        entity_id: str | None = None,
        state: str | None = None,
        source: str | None = None,
        batch: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[OpsCommand]:
        """Commands, newest first (government users read every department's)."""
        _require_government(actor)
        if state is not None and state not in COMMAND_STATES:
            raise BadRequest("unknown command state", code="invalid_state")
        if source is not None and source not in SOURCES:
            raise BadRequest("unknown command source", code="invalid_source")
        query = select(OpsCommand)
        if entity_id is not None:
            query = query.where(OpsCommand.entity_id == entity_id)
        if state is not None:
            query = query.where(OpsCommand.state == state)
        if source is not None:
            query = query.where(OpsCommand.source == source)
        if batch is not None:
            query = query.where(OpsCommand.batch == batch)
        query = query.order_by(OpsCommand.id.desc()).limit(limit).offset(offset)
        with self.db.reader() as s:
            return list(s.scalars(query))

    def get_command(self, actor: Principal, command_id: int) -> OpsCommand:
        """One command, or NotFound."""
        _require_government(actor)
        with self.db.reader() as s:
            cmd = s.get(OpsCommand, command_id)
        if cmd is None:
            raise NotFound(f"no command {command_id}")
        return cmd

    def observe(self, observations: Sequence[Observation]) -> None:
        """Observer: acknowledge commands whose device reported their desired state."""
        try:
            self._observe(observations)
        except Exception:
            # An observer never breaks the write path: log and count.
            log.exception("acknowledging commands failed")
            self.stats["observe_errors"] += 1

    def _observe(self, observations: Sequence[Observation]) -> None:
        reports: dict[str, dict[str, Any]] = defaultdict(dict)
        latest: dict[str, datetime] = {}
        relevant = [ob for ob in observations if ob.attribute in REPORT_ATTRIBUTES]
        if not relevant:
            return
        now = self.clock()
        # Most reports acknowledge nothing: look in a read-only session first, and take the
        # writer (a lock on SQLite) only when there is something to acknowledge.
        # A plain connection: this runs with every device batch, the ORM session cost more.
        with self.db.engine.connect() as conn:
            # Usually no command is pending at all: one indexed probe says so, cheaper than
            # sending a device batch's ids (hundreds) in an IN list with every batch.
            waiting = conn.execute(
                select(OpsCommand.id)
                .where(OpsCommand.state.in_(PENDING), OpsCommand.expires_at > now)
                .limit(1)
            ).first()
            if waiting is None:
                return
            for ob in sorted(relevant, key=lambda o: o.observed_at):
                reports[ob.entity_id][ob.attribute] = ob.value
                latest[ob.entity_id] = _utc(ob.observed_at)
            pending = conn.execute(
                select(
                    OpsCommand.id,
                    OpsCommand.entity_id,
                    OpsCommand.action,
                    OpsCommand.level,
                    OpsCommand.created_at,
                ).where(
                    OpsCommand.entity_id.in_(list(reports)),
                    OpsCommand.state.in_(PENDING),
                    OpsCommand.expires_at > now,
                )
            ).all()
        acked: list[int] = []
        for cmd_id, entity_id, action, level, created_at in pending:
            reported = reports[entity_id]
            ack = reported.get("commandAck")
            explicit = ack is not None and str(ack) == str(cmd_id)
            fresh = latest[entity_id] >= _utc(created_at) - CLOCK_SKEW
            if explicit or (fresh and matches(action, level, reported)):
                acked.append(cmd_id)
        if not acked:
            return
        with self.db.transaction() as s:
            s.execute(
                update(OpsCommand)
                .where(OpsCommand.id.in_(acked), OpsCommand.state.in_(PENDING))
                .values(state=ACKNOWLEDGED, acknowledged_at=now)
            )
        self.stats["acknowledged"] += len(acked)

    def retry(self, now: datetime | None = None) -> dict[str, int]:
        """Expire old commands; re-send unacknowledged ones with backoff (the scheduler's job)."""
        now = now or self.clock()
        due: list[tuple[OpsCommand, str]] = []
        with self.db.transaction() as s:
            stale = list(
                s.scalars(
                    select(OpsCommand.id).where(
                        OpsCommand.state.in_(PENDING), OpsCommand.expires_at <= now
                    )
                )
            )
            if stale:
                s.execute(update(OpsCommand).where(OpsCommand.id.in_(stale)).values(state=EXPIRED))
            rows = s.execute(
                select(OpsCommand, OpsEntity.type)
                .join(OpsEntity, OpsEntity.id == OpsCommand.entity_id)
                .where(OpsCommand.state.in_(PENDING), OpsCommand.attempts < MAX_ATTEMPTS)
                .order_by(OpsCommand.id)
            ).all()
            for cmd, entity_type in rows:
                if cmd.state == SENT and cmd.sent_at is not None:
                    wait = timedelta(seconds=RETRY_BASE_SECONDS * 2 ** max(cmd.attempts - 1, 0))
                    if _utc(cmd.sent_at) + wait > now:
                        continue
                due.append((cmd, entity_type))
        published = self._publish(due, now)
        return {"expired": len(stale), "due": len(due), "published": published}

    # Schedules

    def list_schedules(self, actor: Principal) -> list[OpsSchedule]:
        """Every lighting schedule (government users read all departments')."""
        _require_government(actor)
        with self.db.reader() as s:
            return list(s.scalars(select(OpsSchedule).order_by(OpsSchedule.id)))

    def get_schedule(self, actor: Principal, schedule_id: int) -> OpsSchedule:
        """One schedule, or NotFound."""
        _require_government(actor)
        with self.db.reader() as s:
            found = s.get(OpsSchedule, schedule_id)
        if found is None:
            raise NotFound(f"no schedule {schedule_id}")
        return found

    def schedule_for_edit(self, actor: Principal, schedule_id: int) -> OpsSchedule:
        """A schedule the actor may change (data:write on its department), or 403/404."""
        actor.require(Permission.DATA_WRITE)
        with self.db.reader() as s:
            found = s.get(OpsSchedule, schedule_id)
        if found is None:
            raise NotFound(f"no schedule {schedule_id}")
        actor.require(Permission.DATA_WRITE, department_id=found.department_id)
        return found

    def require_schedule_writer(self, actor: Principal) -> None:
        """Refuse (401/403) an actor who may create no schedule in any department."""
        actor.require(Permission.DATA_WRITE)
        if not actor.is_platform_admin and actor.department_id is None:
            actor.require(Permission.DATA_WRITE, department_id=-1)

    def writable_department_ids(self, actor: Principal) -> frozenset[int]:
        """Ids of the departments whose lamps and schedules the actor may change."""
        with self.db.reader() as s:
            return frozenset(
                dept_id
                for dept_id in s.scalars(select(Department.id))
                if actor.can(Permission.DATA_WRITE, department_id=dept_id)
            )

    def create_schedule(
        self,
        actor: Principal,
        *,
        name: str,
        program: dict[str, Any],
        calendar: dict[str, Any] | None = None,
        target: dict[str, Any] | None = None,
        priority: int = 0,
        enabled: bool = True,
        department: str | None = None,
    ) -> OpsSchedule:
        """A new lighting schedule for a department's lamps (data:write there)."""
        actor.require(Permission.DATA_WRITE)
        clean_name = _check_name(name)
        clean_program = lighting.validate_program(program)
        clean_calendar = lighting.validate_calendar(calendar or {})
        now = self.clock()
        with self.db.transaction() as s:
            clean_target, dept_id = self._schedule_target(s, actor, target or {}, department)
            actor.require(Permission.DATA_WRITE, department_id=dept_id)
            row = OpsSchedule(
                name=clean_name,
                department_id=dept_id,
                target=clean_target,
                program=clean_program,
                calendar=clean_calendar,
                priority=_check_priority(priority),
                enabled=bool(enabled),
                created_by=actor.user_id,
                created_at=now,
                updated_at=now,
            )
            s.add(row)
            s.flush()
            self._record_schedule(s, actor, "created", row)
        return row

    def update_schedule(
        self, actor: Principal, schedule_id: int, changes: dict[str, Any]
    ) -> OpsSchedule:
        """Change a schedule's name, program, calendar, target, priority or enabled flag."""
        actor.require(Permission.DATA_WRITE)
        unknown = set(changes) - {"name", "program", "calendar", "target", "priority", "enabled"}
        if unknown:
            raise BadRequest(
                "these fields cannot be changed",
                code="invalid_field",
                details={"fields": sorted(unknown)},
            )
        with self.db.transaction() as s:
            row = s.get(OpsSchedule, schedule_id)
            if row is None:
                raise NotFound(f"no schedule {schedule_id}")
            actor.require(Permission.DATA_WRITE, department_id=row.department_id)
            if "name" in changes:
                row.name = _check_name(changes["name"])
            if "program" in changes:
                row.program = lighting.validate_program(changes["program"])
            if "calendar" in changes:
                row.calendar = lighting.validate_calendar(changes["calendar"] or {})
            if "target" in changes:
                dept = s.get(Department, row.department_id)
                clean, dept_id = self._schedule_target(
                    s, actor, changes["target"] or {}, dept.key if dept else None
                )
                if dept_id != row.department_id:
                    raise BadRequest(
                        "a schedule cannot move to another department's lamps",
                        code="invalid_target",
                    )
                row.target = clean
            if "priority" in changes:
                row.priority = _check_priority(changes["priority"])
            if "enabled" in changes:
                if not isinstance(changes["enabled"], bool):
                    raise BadRequest("enabled must be true or false", code="invalid_field")
                row.enabled = changes["enabled"]
            row.updated_at = self.clock()
            self._record_schedule(s, actor, "updated", row)
        return row

    def delete_schedule(self, actor: Principal, schedule_id: int) -> None:
        """Delete a schedule (commands it made stay in the history)."""
        actor.require(Permission.DATA_WRITE)
        with self.db.transaction() as s:
            row = s.get(OpsSchedule, schedule_id)
            if row is None:
                raise NotFound(f"no schedule {schedule_id}")
            actor.require(Permission.DATA_WRITE, department_id=row.department_id)
            self._record_schedule(s, actor, "deleted", row)
            s.delete(row)

    def plan(self, actor: Principal, schedule_id: int, day: date) -> list[lighting.Step]:
        """The night of `day` for the schedule's lamps (other schedules of the same target
        compete by priority, so a step may name the schedule that wins)."""
        found = self.get_schedule(actor, schedule_id)
        with self.db.reader() as s:
            rivals = list(
                s.scalars(
                    select(OpsSchedule).where(OpsSchedule.department_id == found.department_id)
                )
            )
        same = [r for r in rivals if r.target == found.target]
        return lighting.plan_for(day, same, self.place)

    def _schedule_target(
        self,
        s: Session,
        actor: Principal,
        target: Any,
        department: str | None,
    ) -> tuple[dict[str, Any], int]:
        if not isinstance(target, dict) or len(target) > 1:
            raise BadRequest(
                'target must be {"group": urn}, {"district": code} or {}', code="invalid_target"
            )
        dept_id: int | None = None
        if department is not None:
            dept = s.scalar(select(Department).where(Department.key == department))
            if dept is None:
                raise NotFound(f"no department {department}")
            dept_id = dept.id
        clean: dict[str, Any] = {}
        if target:
            ((kind, value),) = target.items()
            if kind not in ("group", "district") or not isinstance(value, str) or not value:
                raise BadRequest(
                    'target must be {"group": urn}, {"district": code} or {}',
                    code="invalid_target",
                )
            clean = {kind: value}
            if kind == "group":
                owner = s.scalar(
                    select(OpsEntity.department_id).where(OpsEntity.group_id == value).limit(1)
                ) or s.scalar(select(OpsEntity.department_id).where(OpsEntity.id == value))
                if owner is None:
                    raise NotFound(f"no lamps in group {value}", code="unknown_device")
                dept_id = dept_id or owner
        dept_id = dept_id or actor.department_id
        if dept_id is None:
            raise BadRequest(
                "name the department whose lamps the schedule drives", code="department_required"
            )
        return clean, dept_id

    def _record_schedule(
        self, s: Session, actor: Principal | None, action: str, row: OpsSchedule
    ) -> None:
        dept = s.get(Department, row.department_id)
        details: dict[str, Any] = {
            "name": row.name,
            "target": row.target,
            "program": row.program,
            "calendar": row.calendar,
            "priority": row.priority,
            "enabled": row.enabled,
        }
        if dept is not None:
            details["department"] = dept.key
        self.ledger.record(
            s,
            LedgerEvent(
                type=f"ops.schedule.{action}",
                time=self.clock(),
                actor=actor_of(s, actor),
                subject={"kind": "ops_schedule", "id": str(row.id)},
                details=details,
            ),
        )

    def tick(self, now: datetime | None = None) -> int:
        """Turn due schedule transitions into commands, once each (the scheduler's job).

        For each lamp the latest transition at or before `now` (of last night's or
        tonight's plan) is commanded once: its key (schedule, time, action) is the
        command's batch. An unexpired override command holds the schedule off; when an
        override has expired, the schedule's state is commanded again.
        """
        now = now or self.clock()
        tz = ZoneInfo(self.settings.timezone)
        today = _utc(now).astimezone(tz).date()
        made = 0
        with self.db.transaction() as s:
            schedules = list(s.scalars(select(OpsSchedule).where(OpsSchedule.enabled)))
            if not schedules:
                return 0
            departments = sorted({r.department_id for r in schedules})
            lamps = list(
                s.scalars(
                    select(OpsEntity)
                    .where(
                        OpsEntity.type == STREETLIGHT,
                        OpsEntity.department_id.in_(departments),
                    )
                    .order_by(OpsEntity.id)
                )
            )
            # The lamps that share the same schedules share one plan.
            by_set: dict[tuple[int, ...], list[OpsEntity]] = defaultdict(list)
            for lamp in lamps:
                ids = tuple(r.id for r in schedules if _covers(r, lamp))
                if ids:
                    by_set[ids].append(lamp)
            overrides = self._overrides(s, [lamp.id for lamp in lamps])
            groups: dict[str, list[OpsEntity]] = defaultdict(list)
            steps: dict[str, lighting.Step] = {}
            for ids, members in by_set.items():
                chosen = [r for r in schedules if r.id in ids]
                plan = lighting.plan_for(
                    today - timedelta(days=1), chosen, self.place
                ) + lighting.plan_for(today, chosen, self.place)
                step = lighting.due_step(plan, now)
                if step is None:
                    continue
                key = f"s{step.schedule_id}:{_utc(step.at):%Y%m%dT%H%M}:{step.action}"
                for lamp in members:
                    lamp_key = key
                    last = overrides.get(lamp.id)
                    if last is not None:
                        if _utc(last.expires_at) > now:
                            continue
                        if _utc(last.created_at) >= _utc(step.at):
                            lamp_key = f"{key}/o{last.id}"
                    groups[lamp_key].append(lamp)
                    steps[lamp_key] = step
            if not groups:
                return 0
            done = set(
                s.execute(
                    select(OpsCommand.batch, OpsCommand.entity_id).where(
                        OpsCommand.batch.in_(list(groups)),
                        OpsCommand.source == "schedule",
                    )
                ).all()
            )
            created: list[tuple[OpsCommand, str]] = []
            for batch, members in groups.items():
                todo = [lamp for lamp in members if (batch, lamp.id) not in done]
                if not todo:
                    continue
                step = steps[batch]
                commands = self._create(
                    s,
                    todo,
                    step.action,
                    step.level,
                    source="schedule",
                    batch=batch,
                    created_by=None,
                    expires_at=now + timedelta(seconds=SCHEDULE_EXPIRES_IN),
                    now=now,
                )
                self._record_sent(
                    s,
                    Principal.system("scheduler"),
                    commands,
                    {"schedule": step.schedule_id},
                )
                created.extend((c, STREETLIGHT) for c in commands)
            made = len(created)
        self._publish(created, now)
        return made

    def _overrides(self, s: Session, lamp_ids: list[str]) -> dict[str, OpsCommand]:
        """The latest override command of each lamp."""
        latest: dict[str, OpsCommand] = {}
        if not lamp_ids:
            return latest
        rows = s.scalars(
            select(OpsCommand)
            .where(OpsCommand.source == "override", OpsCommand.entity_id.in_(lamp_ids))
            .order_by(OpsCommand.id)
        )
        for cmd in rows:
            latest[cmd.entity_id] = cmd
        return latest


def _covers(schedule: OpsSchedule, lamp: OpsEntity) -> bool:
    if schedule.department_id != lamp.department_id:
        return False
    target = schedule.target or {}
    if "group" in target:
        return bool(lamp.group_id == target["group"])
    if "district" in target:
        return bool(lamp.district == target["district"])
    return True


def _check_action(action: Any, level: Any) -> tuple[str, float | None]:
    if action not in lighting.ACTIONS:
        raise BadRequest(
            'action must be "on", "off" or "dim"', code="invalid_action", details={"action": action}
        )
    if action == lighting.DIM:
        if level is None:
            raise BadRequest("dim needs a level from 0 to 1", code="invalid_level")
        return action, lighting.check_level(level)
    if level is not None:
        raise BadRequest(f"{action} takes no level", code="invalid_level")
    return action, None


def _check_name(name: Any) -> str:
    if not isinstance(name, str) or not name.strip() or len(name) > 200:
        raise BadRequest("name must be 1 to 200 characters", code="invalid_name")
    return name.strip()


def _check_priority(priority: Any) -> int:
    if isinstance(priority, bool) or not isinstance(priority, int):
        raise BadRequest("priority must be a whole number", code="invalid_priority")
    return priority
