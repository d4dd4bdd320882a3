"""Rules and alarms: thresholds, offline devices and failure flags.

Rules live in `ops_rules`; alarms in `ops_alarms` with one open alarm (active or acknowledged)
per dedupe key ("rule:7|urn:…", "flag:lampFailure|urn:…", "status:defectiveLamp|urn:…"). A
lamp reporting a failure flag and the matching status (lampFailure and defectiveLamp) has one
alarm, the flag's: the status raises its own only when no flag stands for it.
Threshold durations are timed from observation timestamps and kept in memory per (rule,
entity): after a restart a condition that was already holding starts its timer again at the
next observation, so an alarm is late rather than raised on a guess. Every raise,
acknowledgement and clearing is a ledger event in the same transaction; the ledger's index is
also the cursor of the live feed (`changes_since`). Webhooks are posted after the commit by a
background thread with retries.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from quancheng.datastore.service import DatastoreService
from quancheng.db import Database
from quancheng.db.models import (
    Department,
    LedgerLeaf,
    OpsAlarm,
    OpsEntity,
    OpsRule,
    User,
    utcnow,
)
from quancheng.errors import (
    FieldError,
    InvalidTransition,
    NotFound,
    ValidationFailed,
)
from quancheng.identity.roles import Permission, Principal
from quancheng.ledger.canonical import LedgerEvent
from quancheng.ledger.log import Ledger, actor_of, subject_key
from quancheng.operations.model import STREETLIGHT, STREETLIGHT_FLAGS, Observation
from quancheng.operations.rules import (
    SEVERITIES,
    RuleSpec,
    breaches,
    flag_value,
    rule_message,
)
from quancheng.settings import Settings

log = logging.getLogger("quancheng.operations.alarms")

ACTIVE, ACKNOWLEDGED, CLEARED = "active", "acknowledged", "cleared"
STATES = (ACTIVE, ACKNOWLEDGED, CLEARED)
OPEN_STATES = (ACTIVE, ACKNOWLEDGED)
# Streetlight `status` values (Smart Data Models) that mean the lamp needs a visit.
FAILURE_STATUSES = ("defectiveLamp", "columnIssue", "brokenLantern")
# The status a controller's failure flag (TALQ) is reported as in the maintenance vocabulary:
# a lamp reporting both is one fault, and the flag's alarm (the more precise) stands for it.
STATUS_OF_FLAG = {
    "lampFailure": "defectiveLamp",
    "relayFailure": "columnIssue",
    "supplyLoss": "columnIssue",
}
BUILTIN_SEVERITY = "major"
EVENT_RAISED = "ops.alarm.raised"
EVENT_ACKNOWLEDGED = "ops.alarm.acknowledged"
EVENT_CLEARED = "ops.alarm.cleared"
EVENTS = (EVENT_RAISED, EVENT_ACKNOWLEDGED, EVENT_CLEARED)
SUBJECT_KIND = "ops_alarm"
SYSTEM_ACTOR: dict[str, Any] = {"kind": "system", "id": "ops.alarms"}
# An alarm has at most three events (raised, acknowledged, cleared); room for more.
MAX_HISTORY = 100
# Rules changed by another process are seen after at most this long.
RULE_CACHE_SECONDS = 30.0


# --- Views -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RuleView:
    """A rule as the API shows it."""

    id: int
    department: str
    spec: RuleSpec
    created_by: str | None
    created_at: datetime

    def to_json(self) -> dict[str, Any]:
        """The rule's JSON (the webhook is inside `scope`)."""
        s = self.spec
        return {
            "id": self.id,
            "name": s.name,
            "department": self.department,
            "entity_type": s.entity_type,
            "kind": s.kind,
            "attribute": s.attribute,
            "operator": s.operator,
            "threshold": s.threshold,
            "duration_seconds": s.duration_seconds,
            "scope": dict(s.scope),
            "severity": s.severity,
            "enabled": s.enabled,
            "created_by": self.created_by,
            "created_at": self.created_at.isoformat(),
        }


@dataclass(frozen=True)
class AlarmView:
    """An alarm with its entity's type and place, as the API and the board show it."""

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
    raised_at: datetime
    last_seen_at: datetime
    acknowledged_by: str | None
    acknowledged_at: datetime | None
    cleared_at: datetime | None

    def to_json(self) -> dict[str, Any]:
        """The alarm's JSON (times in ISO 8601)."""
        out: dict[str, Any] = {}
        for key, val in self.__dict__.items():
            out[key] = val.isoformat() if isinstance(val, datetime) else val
        return out


@dataclass(frozen=True)
class AlarmChange:
    """One step of an alarm's life in the live feed: the ledger index, the event and the alarm."""

    index: int
    event: str
    alarm: AlarmView

    def to_json(self) -> dict[str, Any]:
        """The change's JSON."""
        return {"index": self.index, "event": self.event, "alarm": self.alarm.to_json()}


@dataclass(frozen=True)
class AlarmChanges:
    """Changes after a cursor, and the cursor to ask from next time."""

    changes: list[AlarmChange]
    cursor: int

    def to_json(self) -> dict[str, Any]:
        """The feed page's JSON."""
        return {"cursor": self.cursor, "changes": [c.to_json() for c in self.changes]}


@dataclass(frozen=True)
class AlarmStep:
    """One step of an alarm's life as its ledger event tells it (for the alarm's page)."""

    index: int
    event: str
    at: datetime
    actor: str
    actor_kind: str
    reason: str
    value: float | None
    message: str


# --- Webhooks --------------------------------------------------------------------------------


class WebhookSender:
    """Posts alarm JSON to rule webhooks from one background thread, with retries."""

    def __init__(
        self, *, attempts: int = 3, backoff: Sequence[float] = (1.0, 5.0), timeout: float = 5.0
    ) -> None:
        self.attempts = attempts
        self.backoff = tuple(backoff)
        self.timeout = timeout
        self.sent = 0
        self.failed = 0
        self._queue: queue.Queue[tuple[str, dict[str, Any]] | None] = queue.Queue(maxsize=10000)
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def submit(self, url: str, payload: dict[str, Any]) -> None:
        """Queue a post; never blocks (a full queue drops the post and counts it)."""
        self._ensure_thread()
        try:
            self._queue.put_nowait((url, payload))
        except queue.Full:
            self.failed += 1
            log.warning("webhook queue full, dropped a post to %s", url)

    def join(self, timeout: float = 10.0) -> bool:
        """Wait until every queued post is done (tests, shutdown); whether it finished."""
        deadline = time.monotonic() + timeout
        while self._queue.unfinished_tasks:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)
        return True

    def close(self) -> None:
        """Stop the thread after the queued posts."""
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(None)
            thread.join(timeout=self.timeout * self.attempts + sum(self.backoff))

    def _ensure_thread(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="qc-alarm-webhooks", daemon=True
                )
                self._thread.start()

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            try:
                if item is None:
                    return
                self._deliver(*item)
            finally:
                self._queue.task_done()

    def _deliver(self, url: str, payload: dict[str, Any]) -> None:
        data = json.dumps(payload, ensure_ascii=False).encode()
        for attempt in range(self.attempts):
            if attempt:
                time.sleep(self.backoff[min(attempt - 1, len(self.backoff) - 1)])
            request = urllib.request.Request(  # noqa: S310 (http(s) checked on the rule)
                url,
                data=data,
                method="POST",
                headers={"Content-Type": "application/json", "User-Agent": "quancheng-alarms"},
            )
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                    if 200 <= response.status < 300:
                        self.sent += 1
                        return
            except (urllib.error.URLError, OSError, ValueError) as exc:
                log.info("webhook %s attempt %d failed: %s", url, attempt + 1, exc)
        self.failed += 1
        log.warning("webhook %s failed after %d attempts", url, self.attempts)


# --- The engine ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Rule:
    id: int
    department_id: int
    spec: RuleSpec


@dataclass(frozen=True)
class _Decision:
    """Raise (or repeat) an alarm, or clear the open one, for a dedupe key."""

    key: str
    raise_: bool
    at: datetime
    entity_id: str
    department_id: int
    kind: str
    severity: str = BUILTIN_SEVERITY
    rule: _Rule | None = None
    message: str = ""
    value: float | None = None
    # Offline alarms are raised again on every check while open: that is not a new occurrence.
    count_repeat: bool = True
    # A condition still timing its duration repeats an open alarm (one raised before a
    # restart, say) but raises none.
    only_if_open: bool = False


class AlarmEngine:
    """Rules and alarms: thresholds, offline devices and failure flags."""

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
        self.clock: Callable[[], datetime] = utcnow
        self.webhooks = WebhookSender()
        # Observations that failed to be evaluated (logged; the write path never sees them).
        self.failures = 0
        self._lock = threading.RLock()
        # (rule id, entity id) -> when the rule's condition started to hold.
        self._pending: dict[tuple[int, str], datetime] = {}
        self._rules: list[_Rule] | None = None
        self._rules_loaded = 0.0

    # --- Rules -------------------------------------------------------------------------------

    def rules(
        self,
        actor: Principal,
        *,
        entity_type: str | None = None,
        department: str | None = None,
        kind: str | None = None,
    ) -> list[RuleView]:
        """Every rule (government users read all), optionally filtered."""
        actor.require(Permission.DATA_READ)
        query = select(OpsRule).order_by(OpsRule.id)
        if entity_type:
            query = query.where(OpsRule.entity_type == entity_type)
        if kind:
            query = query.where(OpsRule.kind == kind)
        with self.db.reader() as s:
            if department:
                query = query.where(OpsRule.department_id == _department_id(s, department))
            return [self._rule_view(s, r) for r in s.scalars(query)]

    def rule(self, actor: Principal, rule_id: int) -> RuleView:
        """One rule."""
        actor.require(Permission.DATA_READ)
        with self.db.reader() as s:
            return self._rule_view(s, _get_rule(s, rule_id))

    def create_rule(
        self, actor: Principal, fields: Mapping[str, Any], *, department: str | None = None
    ) -> RuleView:
        """Create a rule for a department (default: the actor's); needs data:write there."""
        with self.db.transaction() as s:
            if department:
                dept_id = _department_id(s, department)
            elif actor.department_id is not None:
                dept_id = actor.department_id
            else:
                actor.require(Permission.DATA_WRITE, department_id=-1)
                raise ValidationFailed(
                    "name the rule's department",
                    errors=[FieldError("department", "required", "a department key")],
                )
            actor.require(Permission.DATA_WRITE, department_id=dept_id)
            spec = _spec_of(fields)
            row = OpsRule(
                department_id=dept_id,
                created_by=actor.user_id,
                created_at=self.clock(),
                **_columns(spec),
            )
            s.add(row)
            s.flush()
            view = self._rule_view(s, row)
        self._invalidate_rules()
        return view

    def update_rule(self, actor: Principal, rule_id: int, changes: Mapping[str, Any]) -> RuleView:
        """Change a rule's fields; its pending timers restart."""
        with self.db.transaction() as s:
            row = _get_rule(s, rule_id, actor=actor)
            actor.require(Permission.DATA_WRITE, department_id=row.department_id)
            unknown = set(changes) - set(RuleSpec.__dataclass_fields__)
            if unknown:
                raise ValidationFailed(
                    "unknown fields",
                    errors=[FieldError(k, "unknown", "not a rule field") for k in sorted(unknown)],
                )
            spec = replace(_spec_of_row(row), **dict(changes))
            for key, val in _columns(spec).items():
                setattr(row, key, val)
            view = self._rule_view(s, row)
        self._forget_rule(rule_id)
        return view

    def delete_rule(self, actor: Principal, rule_id: int) -> None:
        """Delete a rule; its open alarms are cleared and its alarms keep their history."""
        notices: list[tuple[str, dict[str, Any]]] = []
        with self.db.transaction() as s:
            row = _get_rule(s, rule_id, actor=actor)
            actor.require(Permission.DATA_WRITE, department_id=row.department_id)
            now = self.clock()
            webhook = _spec_of_row(row).webhook
            for alarm in s.scalars(
                select(OpsAlarm).where(OpsAlarm.rule_id == rule_id, OpsAlarm.state.in_(OPEN_STATES))
            ):
                self._clear(s, alarm, now, actor_of(s, actor), reason="rule deleted")
                if webhook:
                    notices.append((webhook, self._notice(s, EVENT_CLEARED, alarm)))
            s.execute(update(OpsAlarm).where(OpsAlarm.rule_id == rule_id).values(rule_id=None))
            s.execute(delete(OpsRule).where(OpsRule.id == rule_id))
        self._forget_rule(rule_id)
        self._send(notices)

    # --- Alarms ------------------------------------------------------------------------------

    def alarms(
        self,
        actor: Principal,
        *,
        state: str | None = None,
        severity: str | None = None,
        entity_type: str | None = None,
        district: str | None = None,
        department: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        rule_id: int | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> tuple[list[AlarmView], int]:
        """Alarms, newest first, filtered; state "open" means active or acknowledged.

        `since` and `until` bound the time raised (`until` excluded).
        """
        actor.require(Permission.DATA_READ)
        bad = []
        if state is not None and state not in (*STATES, "open"):
            bad.append(FieldError("state", "unknown", "active, acknowledged, cleared or open"))
        if severity is not None and severity not in SEVERITIES:
            bad.append(FieldError("severity", "unknown", f"one of {', '.join(SEVERITIES)}"))
        if bad:
            raise ValidationFailed("bad alarm filter", errors=bad)
        query: Select[Any] = select(OpsAlarm).join(OpsEntity, OpsEntity.id == OpsAlarm.entity_id)
        if state == "open":
            query = query.where(OpsAlarm.state.in_(OPEN_STATES))
        elif state:
            query = query.where(OpsAlarm.state == state)
        if severity:
            query = query.where(OpsAlarm.severity == severity)
        if entity_type:
            query = query.where(OpsEntity.type == entity_type)
        if district:
            query = query.where(OpsEntity.district == district)
        if since is not None:
            query = query.where(OpsAlarm.raised_at >= since)
        if until is not None:
            query = query.where(OpsAlarm.raised_at < until)
        if rule_id is not None:
            query = query.where(OpsAlarm.rule_id == rule_id)
        with self.db.reader() as s:
            if department:
                query = query.where(OpsAlarm.department_id == _department_id(s, department))
            total = int(s.scalar(select(func.count()).select_from(query.subquery())) or 0)
            rows = s.scalars(
                query.order_by(OpsAlarm.raised_at.desc(), OpsAlarm.id.desc())
                .limit(limit)
                .offset(offset)
            ).all()
            return [self._alarm_view(s, a) for a in rows], total

    def alarm(self, actor: Principal, alarm_id: int) -> AlarmView:
        """One alarm."""
        actor.require(Permission.DATA_READ)
        with self.db.reader() as s:
            return self._alarm_view(s, _get_alarm(s, alarm_id))

    def history(self, actor: Principal, alarm_id: int) -> list[AlarmStep]:
        """An alarm's steps (raised, acknowledged, cleared), oldest first, from the ledger."""
        actor.require(Permission.DATA_READ)
        with self.db.reader() as s:
            _get_alarm(s, alarm_id)
        steps = []
        for record in self.ledger.entries(subject=alarm_subject(alarm_id), limit=MAX_HISTORY):
            event = record.event
            if event.get("type") not in EVENTS:
                continue
            details = event.get("details") or {}
            who = event.get("actor") or {}
            value = details.get("value")
            at = details.get("at") or event.get("time")
            steps.append(
                AlarmStep(
                    index=record.index,
                    event=str(event["type"]).rpartition(".")[2],
                    at=datetime.fromisoformat(str(at).replace("Z", "+00:00"))
                    if at
                    else record.created_at,
                    actor=str(who.get("id") or ""),
                    actor_kind=str(who.get("kind") or ""),
                    reason=str(details.get("reason") or ""),
                    value=float(value) if isinstance(value, int | float) else None,
                    message=str(details.get("message") or ""),
                )
            )
        return steps

    def writable_departments(self, actor: Principal) -> frozenset[str]:
        """Keys of the departments whose rules and alarms the actor may change."""
        with self.db.reader() as s:
            return frozenset(
                key
                for dept_id, key in s.execute(select(Department.id, Department.key))
                if actor.can(Permission.DATA_WRITE, department_id=dept_id)
            )

    def require_rule_writer(self, actor: Principal) -> None:
        """Refuse (401/403) an actor who may create no rule in any department."""
        actor.require(Permission.DATA_WRITE)
        if not actor.is_platform_admin and actor.department_id is None:
            actor.require(Permission.DATA_WRITE, department_id=-1)

    def rule_for_edit(self, actor: Principal, rule_id: int) -> RuleView:
        """A rule the actor may change (data:write on its department), or 403/404."""
        with self.db.reader() as s:
            row = _get_rule(s, rule_id, actor=actor)
            actor.require(Permission.DATA_WRITE, department_id=row.department_id)
            return self._rule_view(s, row)

    def acknowledge(self, actor: Principal, alarm_id: int) -> AlarmView:
        """An operator takes an active alarm in hand (data:write on its department)."""
        with self.db.transaction() as s:
            alarm = _get_alarm(s, alarm_id, actor=actor)
            actor.require(Permission.DATA_WRITE, department_id=alarm.department_id)
            if alarm.state != ACTIVE:
                raise InvalidTransition(
                    f"the alarm is {alarm.state}; only an active alarm is acknowledged",
                    details={"state": alarm.state},
                )
            now = self.clock()
            alarm.state = ACKNOWLEDGED
            alarm.acknowledged_by = actor.user_id
            alarm.acknowledged_at = now
            self._record(s, EVENT_ACKNOWLEDGED, alarm, actor_of(s, actor), now)
            return self._alarm_view(s, alarm)

    def clear(self, actor: Principal, alarm_id: int) -> AlarmView:
        """Clear an acknowledged alarm by hand; the rule's timer for the entity restarts."""
        notices: list[tuple[str, dict[str, Any]]] = []
        with self.db.transaction() as s:
            alarm = _get_alarm(s, alarm_id, actor=actor)
            actor.require(Permission.DATA_WRITE, department_id=alarm.department_id)
            if alarm.state != ACKNOWLEDGED:
                raise InvalidTransition(
                    f"the alarm is {alarm.state}; acknowledge it before clearing it",
                    details={"state": alarm.state},
                )
            self._clear(s, alarm, self.clock(), actor_of(s, actor), reason="manual")
            notices.extend(self._webhook_notices(s, EVENT_CLEARED, alarm))
            view = self._alarm_view(s, alarm)
        if alarm.rule_id is not None:
            with self._lock:
                self._pending.pop((alarm.rule_id, alarm.entity_id), None)
        self._send(notices)
        return view

    def changes_since(
        self, actor: Principal, since: int | datetime | None = None, *, limit: int = 100
    ) -> AlarmChanges:
        """Alarm events after a cursor (a ledger index from the last call, or a time).

        None gives no changes and the current cursor: list open alarms, then poll from it.
        """
        actor.require(Permission.DATA_READ)
        limit = max(1, min(limit, 1000))
        with self.db.reader() as s:
            if since is None:
                last = s.scalar(select(func.max(LedgerLeaf.index)))
                return AlarmChanges(changes=[], cursor=-1 if last is None else int(last))
            query = select(LedgerLeaf.index, LedgerLeaf.type, LedgerLeaf.subject).where(
                LedgerLeaf.type.in_(EVENTS)
            )
            if isinstance(since, datetime):
                query = query.where(LedgerLeaf.created_at >= since)
                cursor = -1
            else:
                query = query.where(LedgerLeaf.index > since)
                cursor = since
            rows = s.execute(query.order_by(LedgerLeaf.index).limit(limit)).all()
            ids = {int(r[2].rpartition(":")[2]) for r in rows}
            alarms = {
                a.id: self._alarm_view(s, a)
                for a in s.scalars(select(OpsAlarm).where(OpsAlarm.id.in_(ids)))
            }
            changes = []
            for r in rows:
                index, event, subject = int(r[0]), str(r[1]), str(r[2])
                cursor = max(cursor, index)
                view = alarms.get(int(subject.rpartition(":")[2]))
                if view is not None:
                    changes.append(AlarmChange(index=index, event=event, alarm=view))
            return AlarmChanges(changes=changes, cursor=cursor)

    # --- Observing ---------------------------------------------------------------------------

    def observe(self, observations: Sequence[Observation]) -> None:
        """The observer: evaluate rules and flags; logs and counts failures, never raises."""
        try:
            self._observe(observations)
        except Exception:
            self.failures += 1
            log.exception("alarm evaluation failed for %d observations", len(observations))

    def check_offline(self, now: datetime) -> int:
        """Raise offline alarms for devices silent too long, clear those back; how many changed."""
        rules = [r for r in self._active_rules() if r.spec.kind == "offline"]
        decisions: list[_Decision] = []
        with self.db.reader() as s:
            for rule in rules:
                cutoff = now - timedelta(seconds=rule.spec.duration_seconds)
                seen = func.coalesce(OpsEntity.last_seen_at, OpsEntity.created_at)
                base = _scoped_entities(rule)
                for eid, dept in s.execute(
                    base.where(seen < cutoff).with_only_columns(
                        OpsEntity.id, OpsEntity.department_id
                    )
                ):
                    decisions.append(
                        _Decision(
                            key=_rule_key(rule.id, eid),
                            raise_=True,
                            at=now,
                            entity_id=eid,
                            department_id=dept,
                            kind="offline",
                            severity=rule.spec.severity,
                            rule=rule,
                            message=rule_message(rule.spec, None),
                            count_repeat=False,
                        )
                    )
                back = s.execute(
                    select(OpsAlarm.entity_id, OpsAlarm.department_id, OpsEntity.last_seen_at)
                    .join(OpsEntity, OpsEntity.id == OpsAlarm.entity_id)
                    .where(
                        OpsAlarm.rule_id == rule.id,
                        OpsAlarm.state.in_(OPEN_STATES),
                        OpsEntity.last_seen_at >= cutoff,
                    )
                )
                for eid, dept, last_seen in back:
                    decisions.append(
                        _Decision(
                            key=_rule_key(rule.id, eid),
                            raise_=False,
                            at=last_seen or now,
                            entity_id=eid,
                            department_id=dept,
                            kind="offline",
                            rule=rule,
                        )
                    )
        if not decisions:
            return 0
        with self._lock:
            return self._apply(decisions, {d.entity_id for d in decisions})

    def _observe(self, observations: Sequence[Observation]) -> None:
        if not observations:
            return
        rules = self._active_rules()
        by_type: dict[tuple[str, str], list[_Rule]] = {}
        offline_types: set[str] = set()
        for rule in rules:
            if rule.spec.kind == "offline":
                offline_types.add(rule.spec.entity_type)
            else:
                by_type.setdefault((rule.spec.entity_type, rule.spec.attribute), []).append(rule)
        decisions: list[_Decision] = []
        recovered: dict[str, Observation] = {}
        with self._lock:
            for obs in sorted(observations, key=lambda o: o.observed_at):
                if obs.entity_type in offline_types:
                    recovered[obs.entity_id] = obs
                if obs.entity_type == STREETLIGHT:
                    decisions.extend(_builtin(obs))
                for rule in by_type.get((obs.entity_type, obs.attribute), ()):
                    if rule.spec.applies_to(obs.department_id, rule.department_id, obs):
                        decision = self._evaluate(rule, obs)
                        if decision is not None:
                            decisions.append(decision)
            for rule in rules:
                if rule.spec.kind != "offline":
                    continue
                for obs in recovered.values():
                    if rule.spec.applies_to(obs.department_id, rule.department_id, obs):
                        decisions.append(
                            _Decision(
                                key=_rule_key(rule.id, obs.entity_id),
                                raise_=False,
                                at=obs.observed_at,
                                entity_id=obs.entity_id,
                                department_id=obs.department_id,
                                kind="offline",
                                rule=rule,
                            )
                        )
            if decisions:
                self._apply(decisions, {d.entity_id for d in decisions})

    def _evaluate(self, rule: _Rule, obs: Observation) -> _Decision | None:
        """One observation against one rule: raise, clear, or nothing yet (pending)."""
        spec = rule.spec
        key = (rule.id, obs.entity_id)
        if spec.kind == "flag":
            holds = flag_value(obs.value)
        else:
            holds = breaches(spec.operator, obs.value, float(spec.threshold or 0.0))
        if holds is None:
            return None
        clear = _Decision(
            key=_rule_key(rule.id, obs.entity_id),
            raise_=False,
            at=obs.observed_at,
            entity_id=obs.entity_id,
            department_id=obs.department_id,
            kind=spec.kind,
            severity=spec.severity,
            rule=rule,
        )
        if not holds:
            self._pending.pop(key, None)
            return clear
        started = self._pending.get(key)
        if started is None or obs.observed_at < started:
            started = self._pending[key] = obs.observed_at
        value = float(obs.value) if isinstance(obs.value, int | float) else None
        held = obs.observed_at - started >= timedelta(seconds=spec.duration_seconds)
        return replace(
            clear,
            raise_=True,
            message=rule_message(spec, obs.value),
            value=value,
            only_if_open=not held,
        )

    def _apply(self, decisions: Sequence[_Decision], entity_ids: set[str]) -> int:
        """Apply decisions in one transaction against the open alarms; how many changed state."""
        open_query = select(OpsAlarm.dedupe_key).where(
            OpsAlarm.entity_id.in_(entity_ids), OpsAlarm.state.in_(OPEN_STATES)
        )
        with self.db.reader() as s:
            open_keys = set(s.scalars(open_query))
        decisions = _one_alarm_per_fault(decisions, open_keys)
        if not _effective(decisions, open_keys):
            # Most observations are in range with nothing open: no write transaction for them.
            return 0
        for attempt in range(3):
            try:
                changed, notices = self._write_decisions(decisions, entity_ids)
                break
            except IntegrityError:
                # Another server process opened the same alarm between our read and write
                # (the partial unique index on open dedupe keys refused the second): read again.
                if attempt == 2:
                    raise
        self._send(notices)
        return changed

    def _write_decisions(
        self, decisions: Sequence[_Decision], entity_ids: set[str]
    ) -> tuple[int, list[tuple[str, dict[str, Any]]]]:
        notices: list[tuple[str, dict[str, Any]]] = []
        changed = 0
        with self.db.transaction() as s:
            open_alarms = {
                a.dedupe_key: a
                for a in s.scalars(
                    select(OpsAlarm).where(
                        OpsAlarm.entity_id.in_(entity_ids), OpsAlarm.state.in_(OPEN_STATES)
                    )
                )
            }
            repeats: dict[int, tuple[OpsAlarm, int]] = {}
            for d in decisions:
                alarm = open_alarms.get(d.key)
                if d.raise_ and alarm is not None:
                    if d.count_repeat:
                        _, n = repeats.get(id(alarm), (alarm, 0))
                        repeats[id(alarm)] = (alarm, n + 1)
                        alarm.last_seen_at = max(alarm.last_seen_at, d.at)
                        if d.value is not None:
                            alarm.value = d.value
                elif d.raise_ and not d.only_if_open:
                    alarm = OpsAlarm(
                        rule_id=d.rule.id if d.rule else None,
                        entity_id=d.entity_id,
                        department_id=d.department_id,
                        dedupe_key=d.key,
                        kind=d.kind,
                        severity=d.severity,
                        state=ACTIVE,
                        message=d.message,
                        value=d.value,
                        occurrences=1,
                        raised_at=d.at,
                        last_seen_at=d.at,
                    )
                    s.add(alarm)
                    s.flush()
                    open_alarms[d.key] = alarm
                    self._record(s, EVENT_RAISED, alarm, SYSTEM_ACTOR, d.at)
                    notices.extend(self._webhook_notices(s, EVENT_RAISED, alarm, d.rule))
                    changed += 1
                elif not d.raise_ and alarm is not None:
                    self._clear(s, alarm, max(d.at, alarm.raised_at), SYSTEM_ACTOR, "recovered")
                    del open_alarms[d.key]
                    notices.extend(self._webhook_notices(s, EVENT_CLEARED, alarm, d.rule))
                    changed += 1
            for alarm, n in repeats.values():
                # Counted in SQL: two server processes repeating the same alarm at once
                # must not overwrite each other's count (the row lock orders them).
                alarm.occurrences = OpsAlarm.occurrences + n
        return changed, notices

    # --- Helpers -----------------------------------------------------------------------------

    def _clear(
        self, s: Session, alarm: OpsAlarm, at: datetime, actor: Mapping[str, Any], reason: str
    ) -> None:
        alarm.state = CLEARED
        alarm.cleared_at = at
        self._record(s, EVENT_CLEARED, alarm, actor, at, reason=reason)

    def _record(
        self,
        s: Session,
        event: str,
        alarm: OpsAlarm,
        actor: Mapping[str, Any],
        at: datetime,
        **extra: Any,
    ) -> None:
        details: dict[str, Any] = {
            "entity": alarm.entity_id,
            "dedupe_key": alarm.dedupe_key,
            "kind": alarm.kind,
            "severity": alarm.severity,
            "at": at.isoformat(),
            **extra,
        }
        if alarm.rule_id is not None:
            details["rule"] = alarm.rule_id
        if event == EVENT_RAISED:
            details["message"] = alarm.message
            if alarm.value is not None:
                details["value"] = alarm.value
        self.ledger.record(
            s,
            LedgerEvent(
                type=event,
                time=self.clock(),
                actor=actor,
                subject={"kind": SUBJECT_KIND, "id": str(alarm.id)},
                details=details,
            ),
        )

    def _webhook_notices(
        self, s: Session, event: str, alarm: OpsAlarm, rule: _Rule | None = None
    ) -> list[tuple[str, dict[str, Any]]]:
        if rule is None:
            if alarm.rule_id is None:
                return []
            row = s.get(OpsRule, alarm.rule_id)
            if row is None:
                return []
            url = _spec_of_row(row).webhook
        else:
            url = rule.spec.webhook
        return [(url, self._notice(s, event, alarm))] if url else []

    def _notice(self, s: Session, event: str, alarm: OpsAlarm) -> dict[str, Any]:
        return {"event": event, "alarm": self._alarm_view(s, alarm).to_json()}

    def _send(self, notices: Sequence[tuple[str, dict[str, Any]]]) -> None:
        for url, payload in notices:
            self.webhooks.submit(url, payload)

    def _active_rules(self) -> list[_Rule]:
        with self._lock:
            fresh = time.monotonic() - self._rules_loaded < RULE_CACHE_SECONDS
            if self._rules is not None and fresh:
                return self._rules
            with self.db.reader() as s:
                rows = s.scalars(select(OpsRule).where(OpsRule.enabled.is_(True))).all()
                rules = []
                for row in rows:
                    try:
                        rules.append(_Rule(row.id, row.department_id, _spec_of_row(row)))
                    except ValidationFailed:
                        log.warning("rule %d is not valid and is ignored", row.id)
            self._rules = rules
            self._rules_loaded = time.monotonic()
            return rules

    def _invalidate_rules(self) -> None:
        with self._lock:
            self._rules = None

    def _forget_rule(self, rule_id: int) -> None:
        with self._lock:
            self._rules = None
            for key in [k for k in self._pending if k[0] == rule_id]:
                del self._pending[key]

    def _rule_view(self, s: Session, row: OpsRule) -> RuleView:
        creator = s.get(User, row.created_by) if row.created_by is not None else None
        return RuleView(
            id=row.id,
            department=_department_key(s, row.department_id),
            spec=_spec_of_row(row),
            created_by=creator.username if creator else None,
            created_at=row.created_at,
        )

    def _alarm_view(self, s: Session, a: OpsAlarm) -> AlarmView:
        entity = s.get(OpsEntity, a.entity_id)
        rule = s.get(OpsRule, a.rule_id) if a.rule_id is not None else None
        acker = s.get(User, a.acknowledged_by) if a.acknowledged_by is not None else None
        return AlarmView(
            id=a.id,
            rule_id=a.rule_id,
            rule_name=rule.name if rule else "",
            entity_id=a.entity_id,
            entity_type=entity.type if entity else "",
            district=entity.district if entity else "",
            department=_department_key(s, a.department_id),
            dedupe_key=a.dedupe_key,
            kind=a.kind,
            severity=a.severity,
            state=a.state,
            message=a.message,
            value=a.value,
            occurrences=a.occurrences,
            raised_at=a.raised_at,
            last_seen_at=a.last_seen_at,
            acknowledged_by=acker.username if acker else None,
            acknowledged_at=a.acknowledged_at,
            cleared_at=a.cleared_at,
        )


_BUILTIN_ATTRIBUTES = frozenset({*STREETLIGHT_FLAGS, "status"})


def _builtin(obs: Observation) -> list[_Decision]:
    """Streetlight failure flags and failure statuses, alarms without any rule."""
    if obs.attribute not in _BUILTIN_ATTRIBUTES:
        return []  # most readings (power, voltage …): nothing to decide
    base = _Decision(
        key="",
        raise_=False,
        at=obs.observed_at,
        entity_id=obs.entity_id,
        department_id=obs.department_id,
        kind="flag",
    )
    if obs.attribute in STREETLIGHT_FLAGS:
        flag = flag_value(obs.value)
        if flag is None:
            return []
        key = f"flag:{obs.attribute}|{obs.entity_id}"
        return [replace(base, key=key, raise_=flag, message=f"{obs.attribute} is true")]
    if obs.attribute == "status" and isinstance(obs.value, str):
        return [
            replace(
                base,
                key=f"status:{status}|{obs.entity_id}",
                raise_=obs.value == status,
                message=f"status is {status}",
            )
            for status in FAILURE_STATUSES
        ]
    return []


def _one_alarm_per_fault(
    decisions: Sequence[_Decision], open_keys: set[str]
) -> Sequence[_Decision]:
    """The decisions without raising a lamp's status alarm for a fault its failure flag's
    alarm already stands for (open before this batch, or open at its end)."""
    flags: dict[tuple[str, str], bool] = {}
    for key in open_keys:
        kind, _, rest = key.partition(":")
        if kind == "flag":
            flag, _, entity = rest.partition("|")
            flags[(entity, flag)] = True
    for d in decisions:
        kind, _, rest = d.key.partition(":")
        if kind == "flag":
            flags[(d.entity_id, rest.partition("|")[0])] = d.raise_
    covered = {
        (entity, STATUS_OF_FLAG[flag])
        for (entity, flag), raised in flags.items()
        if raised and flag in STATUS_OF_FLAG
    }
    if not covered:
        return decisions

    def kept(d: _Decision) -> bool:
        kind, _, rest = d.key.partition(":")
        if kind != "status" or not d.raise_ or d.key in open_keys:
            return True  # clearing, or repeating an alarm already open, is never held back
        return (d.entity_id, rest.partition("|")[0]) not in covered

    return [d for d in decisions if kept(d)]


def _effective(decisions: Sequence[_Decision], open_keys: set[str]) -> bool:
    """Whether any decision changes an alarm, given the dedupe keys open now."""
    for d in decisions:
        if d.key in open_keys:
            if not d.raise_ or d.count_repeat:
                return True
        elif d.raise_ and not d.only_if_open:
            return True
    return False


def _rule_key(rule_id: int, entity_id: str) -> str:
    return f"rule:{rule_id}|{entity_id}"


def _scoped_entities(rule: _Rule) -> Select[Any]:
    query = select(OpsEntity).where(
        OpsEntity.type == rule.spec.entity_type, OpsEntity.department_id == rule.department_id
    )
    scope = rule.spec.scope
    if "district" in scope:
        query = query.where(OpsEntity.district == scope["district"])
    elif "group" in scope:
        query = query.where(OpsEntity.group_id == scope["group"])
    elif "entities" in scope:
        query = query.where(OpsEntity.id.in_(list(scope["entities"])))
    return query


def _spec_of(fields: Mapping[str, Any]) -> RuleSpec:
    allowed = set(RuleSpec.__dataclass_fields__)
    unknown = set(fields) - allowed
    missing = {"name", "entity_type", "kind"} - set(fields)
    errors = [FieldError(k, "unknown", "not a rule field") for k in sorted(unknown)]
    errors += [FieldError(k, "required", "required") for k in sorted(missing)]
    if errors:
        raise ValidationFailed("the rule is not valid", errors=errors)
    values = dict(fields)
    if values.get("scope") is None:
        values["scope"] = {}
    return RuleSpec(**values)


def _spec_of_row(row: OpsRule) -> RuleSpec:
    return RuleSpec(
        name=row.name,
        entity_type=row.entity_type,
        kind=row.kind,
        attribute=row.attribute,
        operator=row.operator,
        threshold=row.threshold,
        duration_seconds=row.duration_seconds,
        scope=dict(row.scope or {}),
        severity=row.severity,
        enabled=row.enabled,
    )


def _columns(spec: RuleSpec) -> dict[str, Any]:
    scope = {k: v for k, v in spec.scope.items() if not (k == "webhook" and not v)}
    return {
        "name": spec.name.strip(),
        "entity_type": spec.entity_type,
        "kind": spec.kind,
        "attribute": spec.attribute if spec.kind != "offline" else "",
        "operator": spec.operator if spec.kind == "threshold" else "",
        "threshold": float(spec.threshold)
        if spec.kind == "threshold" and spec.threshold is not None
        else None,
        "duration_seconds": spec.duration_seconds,
        "scope": scope,
        "severity": spec.severity,
        "enabled": bool(spec.enabled),
    }


def _department_id(s: Session, key: str) -> int:
    dept_id = s.scalar(select(Department.id).where(Department.key == key))
    if dept_id is None:
        raise NotFound(f"no department {key!r}", details={"department": key})
    return int(dept_id)


def _department_key(s: Session, dept_id: int) -> str:
    dept = s.get(Department, dept_id)
    return dept.key if dept else ""


def _get_rule(s: Session, rule_id: int, *, actor: Principal | None = None) -> OpsRule:
    row = s.get(OpsRule, rule_id)
    if row is None:
        if actor is not None:
            # Deny by default: a caller who could change no rule learns nothing of ids.
            actor.require(Permission.DATA_WRITE)
        raise NotFound(f"no rule {rule_id}", details={"rule": rule_id})
    return row


def _get_alarm(s: Session, alarm_id: int, *, actor: Principal | None = None) -> OpsAlarm:
    row = s.get(OpsAlarm, alarm_id)
    if row is None:
        if actor is not None:
            actor.require(Permission.DATA_WRITE)
        raise NotFound(f"no alarm {alarm_id}", details={"alarm": alarm_id})
    return row


def alarm_subject(alarm_id: int) -> str:
    """The ledger subject of an alarm's events (for the ledger API's subject filter)."""
    return subject_key(SUBJECT_KIND, str(alarm_id))
