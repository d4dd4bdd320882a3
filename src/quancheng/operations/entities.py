"""NGSI-LD entities: create, read, query, patch, delete, batch upsert, device ingestion."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from quancheng.datastore.service import DatastoreService
from quancheng.db import Database
from quancheng.db.models import Department, OpsAlarm, OpsCommand, OpsEntity
from quancheng.errors import BadRequest, Conflict, NotFound, PermissionDenied
from quancheng.identity.roles import Permission, Principal
from quancheng.ledger.log import Ledger
from quancheng.operations import model, ngsi
from quancheng.operations.latest import Known, LatestState
from quancheng.operations.model import Observation, Observer
from quancheng.operations.ngsi import require_government
from quancheng.operations.subscriptions import SubscriptionService
from quancheng.settings import Settings

log = logging.getLogger("quancheng.operations")

MAX_LIMIT = ngsi.MAX_LIMIT
# Who owns each type in the demo city: the department a platform admin's new entity goes to
# when the request names none.
TYPE_OWNERS = {
    model.STREETLIGHT: "cgj",
    model.STREETLIGHT_GROUP: "cgj",
    model.CONTROL_CABINET: "cgj",
    model.AIR_QUALITY: "sthjj",
    model.TRAFFIC_FLOW: "jtysj",
    model.WATER_LEVEL: "swj",
}
_CHUNK = 500  # ids per IN (...) query
_new_tuple = tuple.__new__


class MalformedMessage(BadRequest, ValueError):
    """A device message that is not a valid attribute map (400 over HTTP, dropped on MQTT)."""


@dataclass(frozen=True)
class EntityQuery:
    """The filters of GET /entities (all optional; AND-ed)."""

    types: tuple[str, ...] = ()
    ids: tuple[str, ...] = ()
    id_pattern: str | None = None
    q: tuple[ngsi.QTerm, ...] = ()
    attrs: tuple[str, ...] = ()
    geo: ngsi.GeoQuery | None = None
    limit: int = 20
    offset: int = 0
    count: bool = False


@dataclass
class UpsertResult:
    """What a batch upsert did: ids created and updated, and each refused entity's error."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class IngestResult:
    """What a device batch did: messages and data points stored, ids unknown or refused."""

    accepted: int = 0
    points: int = 0
    unknown: list[str] = field(default_factory=list)
    rejected: list[dict[str, Any]] = field(default_factory=list)


class EntityStore:
    """NGSI-LD entities: create, read, query, patch, delete, batch upsert."""

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
        self.subscriptions = SubscriptionService(db=db)
        # Called after each committed write; the subscription notifier is the first.
        self.observers: list[Observer] = [self.subscriptions.observe]
        # The device fast path's memory of entities; entity API writes make it forget.
        self.latest = LatestState()
        self.observer_failures = 0

    def close(self) -> None:
        """Stop the subscription notifier (delivering what is due first)."""
        self.subscriptions.close()

    # -- reads ---------------------------------------------------------------------------

    def get(self, actor: Principal, entity_id: str, *, attrs: Sequence[str] = ()) -> dict[str, Any]:
        """One entity in normalized form (404 if unknown)."""
        require_government(actor)
        with self.db.reader() as s:
            row = s.get(OpsEntity, entity_id)
            if row is None:
                raise NotFound(f"no entity {entity_id}", code="ResourceNotFound")
            return _as_entity(row, attrs)

    def query(
        self, actor: Principal, query: EntityQuery
    ) -> tuple[list[dict[str, Any]], int | None]:
        """Entities matching the filters, ordered by id: one page and (if asked) the total."""
        require_government(actor)
        ngsi.check_page(query.limit, query.offset)
        pattern = None
        if query.id_pattern:
            try:
                pattern = re.compile(query.id_pattern)
            except re.error as exc:
                raise ngsi.bad("idPattern is not a regular expression", code=ngsi.INVALID) from exc
        stmt = select(OpsEntity).order_by(OpsEntity.id)
        if query.types:
            stmt = stmt.where(OpsEntity.type.in_(query.types))
        if query.ids:
            stmt = stmt.where(OpsEntity.id.in_(query.ids))
        if query.geo is not None:
            lo_lon, lo_lat, hi_lon, hi_lat = query.geo.bbox()
            stmt = stmt.where(
                OpsEntity.lon.between(lo_lon, hi_lon), OpsEntity.lat.between(lo_lat, hi_lat)
            )
        filtered = bool(query.q or query.attrs or query.geo or pattern)
        page: list[dict[str, Any]] = []
        total = 0
        with self.db.reader() as s:
            if not filtered:
                if query.count:
                    counted = select(func.count()).select_from(stmt.order_by(None).subquery())
                    total = int(s.scalar(counted) or 0)
                rows = s.scalars(stmt.offset(query.offset).limit(query.limit))
                return [_as_entity(r, ()) for r in rows], total if query.count else None
            for row in s.scalars(stmt.execution_options(yield_per=500)):
                if pattern is not None and not pattern.search(row.id):
                    continue
                if query.geo is not None and not query.geo.matches(row.lon, row.lat):
                    continue
                if query.q and not ngsi.matches_q(query.q, row.attrs):
                    continue
                if query.attrs and not any(a in row.attrs for a in query.attrs):
                    continue
                if query.offset <= total < query.offset + query.limit:
                    page.append(_as_entity(row, query.attrs))
                total += 1
                if not query.count and total >= query.offset + query.limit:
                    break
        return page, total if query.count else None

    # -- writes --------------------------------------------------------------------------

    def create(
        self, actor: Principal, body: Any, *, department: str | None = None
    ) -> dict[str, Any]:
        """Create an entity for the actor's department (a platform admin names one)."""
        actor.require(Permission.DATA_WRITE)
        now = ngsi.now_utc()
        parsed = ngsi.parse_entity(
            body, now=now, future_seconds=self.settings.telemetry_future_seconds
        )
        with self.db.transaction() as s:
            dept_id = self._department_for(s, actor, parsed.type, department)
            if s.get(OpsEntity, parsed.id) is not None:
                raise Conflict(f"entity {parsed.id} already exists", code="AlreadyExists")
            row = _new_row(parsed, dept_id, now)
            s.add(row)
            s.flush()
            observations = _observations(row, parsed.attrs, now)
            entity = _as_entity(row, ())
        self.latest.forget([parsed.id])
        self._notify(observations)
        return entity

    def patch(self, actor: Principal, entity_id: str, fragment: Any) -> dict[str, Any]:
        """Merge attributes into an entity (named ones replaced, others kept)."""
        require_government(actor)
        actor.require(Permission.DATA_WRITE)
        now = ngsi.now_utc()
        with self.db.transaction() as s:
            row = s.get(OpsEntity, entity_id)
            if row is None:
                raise NotFound(f"no entity {entity_id}", code="ResourceNotFound")
            actor.require(Permission.DATA_WRITE, department_id=row.department_id)
            if isinstance(fragment, Mapping) and (
                fragment.get("id", entity_id) != entity_id
                or fragment.get("type", row.type) != row.type
            ):
                raise ngsi.bad("the body names another entity id or type")
            attrs = ngsi.parse_attrs(
                row.type, fragment, now=now, future_seconds=self.settings.telemetry_future_seconds
            )
            if not attrs:
                raise ngsi.bad("the body names no attribute")
            _apply(row, attrs, now, replace=False)
            observations = _observations(row, attrs, now)
            entity = _as_entity(row, ())
        self.latest.forget([entity_id])
        self._notify(observations)
        return entity

    def delete(self, actor: Principal, entity_id: str) -> None:
        """Delete an entity with its alarms and commands."""
        require_government(actor)
        actor.require(Permission.DATA_WRITE)
        with self.db.transaction() as s:
            row = s.get(OpsEntity, entity_id)
            if row is None:
                raise NotFound(f"no entity {entity_id}", code="ResourceNotFound")
            actor.require(Permission.DATA_WRITE, department_id=row.department_id)
            s.execute(delete(OpsAlarm).where(OpsAlarm.entity_id == entity_id))
            s.execute(delete(OpsCommand).where(OpsCommand.entity_id == entity_id))
            s.delete(row)
        self.latest.forget([entity_id])

    def upsert(
        self,
        actor: Principal,
        bodies: Any,
        *,
        department: str | None = None,
        replace: bool = True,
    ) -> UpsertResult:
        """Create or update many entities in one transaction; invalid ones are reported."""
        actor.require(Permission.DATA_WRITE)
        if not isinstance(bodies, list) or not bodies:
            raise ngsi.bad("the body must be a non-empty array of entities")
        if len(bodies) > MAX_LIMIT:
            raise ngsi.bad(f"at most {MAX_LIMIT} entities per batch", code=ngsi.INVALID)
        now = ngsi.now_utc()
        result = UpsertResult()
        parsed: dict[str, ngsi.ParsedEntity] = {}
        for body in bodies:
            try:
                entity = ngsi.parse_entity(
                    body, now=now, future_seconds=self.settings.telemetry_future_seconds
                )
            except BadRequest as exc:
                raw_id = body.get("id") if isinstance(body, Mapping) else None
                result.errors.append({"entityId": raw_id, "error": exc})
                continue
            if entity.id in parsed:
                merged = {**parsed[entity.id].attrs, **entity.attrs}
                entity = ngsi.ParsedEntity(id=entity.id, type=entity.type, attrs=merged)
            parsed[entity.id] = entity
        # Existing entities take the fast path's single UPDATE (no ORM row is loaded or
        # flushed: that was most of a telemetry batch's time); new ones are inserted.
        observations: list[Observation] = []
        ids = list(parsed)
        try:
            with self.db.transaction() as s:
                conn = s.connection()
                known = self.latest.lookup(conn, ids)
                for entity_id, entity in parsed.items():
                    found = known.get(entity_id)
                    if found is None:
                        continue
                    # Deny by default: one entity the actor may not write refuses the batch.
                    actor.require(Permission.DATA_WRITE, department_id=found.department_id)
                    if found.type != entity.type:
                        raise ngsi.bad(f"entity {entity_id} exists with type {found.type}")
                changes: list[tuple[Known, ngsi.Attrs]] = []
                for entity_id, entity in parsed.items():
                    found = known.get(entity_id)
                    if found is not None:
                        found.overwrite(entity.attrs, replace=replace)
                        changes.append((found, entity.attrs))
                        observations.extend(_observations_of(found, entity.attrs, now))
                gone: set[str] = set()
                written = self.latest.write(conn, changes, _utc(now), replace=replace)
                if written < len(changes):
                    # Deleted meanwhile (by another worker): an upsert creates them again.
                    gone = _gone(s, [found.id for found, _ in changes])
                    self.latest.forget(gone)
                    observations = [o for o in observations if o.entity_id not in gone]
                fresh = [e for i, e in parsed.items() if i not in known or i in gone]
                dept_ids = {
                    t: self._department_for(s, actor, t, department)
                    for t in {e.type for e in fresh}
                }
                for entity in fresh:
                    row = _new_row(entity, dept_ids[entity.type], now)
                    s.add(row)
                    observations.extend(_observations_of(row, entity.attrs, now))
                created = {e.id for e in fresh}
                for entity_id in parsed:
                    (result.created if entity_id in created else result.updated).append(entity_id)
        except BaseException:
            # The remembered entities may be ahead of what was committed.
            self.latest.forget(ids)
            raise
        self._notify(observations)
        return result

    # -- device fast path -----------------------------------------------------------------

    def ingest_device(
        self,
        entity_type: str,
        entity_id: str,
        attrs: Mapping[str, Any],
        *,
        department_id: int | None = None,
    ) -> bool:
        """Store one device message for an existing entity (False if the entity is unknown)."""

        def allowed(owner: int) -> bool:
            return department_id is None or owner == department_id

        message = {"id": entity_id, "type": entity_type, "attrs": attrs}
        return self._ingest([message], allowed, strict=True).accepted == 1

    def ingest_batch(
        self, actor: Principal, messages: Any, *, refuse_foreign: bool = False
    ) -> IngestResult:
        """Store a batch of device messages in one transaction (the telemetry fast path).

        Each message is {"id": urn, "type"?: T, "attrs": {name: value | {value, observedAt,
        unitCode}}} or the same with the attributes at the top level. A message for an
        entity the actor may not write is reported, or with `refuse_foreign` refuses the
        whole batch (403, nothing stored: how the HTTP route answers).
        """
        actor.require(Permission.DATA_WRITE)
        if not isinstance(messages, list):
            raise ngsi.bad("the body must be an array of device messages")

        def allowed(owner: int) -> bool:
            return actor.can(Permission.DATA_WRITE, department_id=owner)

        return self._ingest(messages, allowed, refuse_foreign=refuse_foreign)

    def _ingest(
        self,
        messages: list[Any],
        allowed: Callable[[int], bool],
        *,
        strict: bool = False,
        refuse_foreign: bool = False,
    ) -> IngestResult:
        """Validate device messages, merge them into the latest state, tell the observers.

        Late attributes (observed before the stored value) still reach the history but leave
        the latest state alone. `strict` raises on the first refused message (one-message
        callers) instead of reporting it.
        """
        now = ngsi.now_utc()
        future = self.settings.telemetry_future_seconds
        result = IngestResult()
        wanted: list[tuple[str, str | None, Mapping[str, Any]]] = []
        for message in messages:
            if not isinstance(message, Mapping) or not isinstance(message.get("id"), str):
                result.rejected.append({"id": None, "error": "a message needs an id"})
                continue
            body = message.get("attrs")
            if body is None:
                body = {k: v for k, v in message.items() if k not in ("id", "type", "@context")}
            elif not isinstance(body, Mapping):
                error = "a device message is a non-empty JSON object of attributes"
                if strict:
                    raise MalformedMessage(error)
                result.rejected.append({"id": message["id"], "error": error})
                continue
            wanted.append((message["id"], message.get("type"), body))
        observations: list[Observation] = []
        changes: dict[str, tuple[Known, dict[str, Any]]] = {}
        accepted: dict[str, int] = {}
        ids = list({w[0] for w in wanted})
        try:
            with self.db.transaction() as s:
                conn = s.connection()
                known = self.latest.lookup(conn, ids)
                for entity_id, declared, body in wanted:
                    entity = known.get(entity_id)
                    if entity is None or (declared is not None and declared != entity.type):
                        result.unknown.append(entity_id)
                        continue
                    if not allowed(entity.department_id):
                        if strict or refuse_foreign:
                            raise PermissionDenied(
                                f"entity {entity_id} belongs to another department",
                                details={"permission": Permission.DATA_WRITE.value},
                            )
                        result.rejected.append({"id": entity_id, "error": "permission_denied"})
                        continue
                    try:
                        attrs = ngsi.device_attrs(entity.type, body, now=now, future_seconds=future)
                    except BadRequest as exc:
                        if strict:
                            raise MalformedMessage(exc.message, details=exc.details) from exc
                        result.rejected.append({"id": entity_id, "error": exc.message})
                        continue
                    fresh = _newer(entity, attrs)
                    entity.place(fresh)
                    entity.follow(fresh)
                    pending = changes.get(entity_id)
                    if pending is None:
                        changes[entity_id] = (entity, fresh)
                    else:
                        pending[1].update(fresh)
                    result.accepted += 1
                    accepted[entity_id] = accepted.get(entity_id, 0) + 1
                    observations.extend(_observations_of(entity, attrs, now))
                stamp = _utc(now)
                # Also entities whose message was all late: they were heard from (last_seen_at).
                pending_changes = list(changes.values())
                if self.latest.write(conn, pending_changes, stamp) < len(pending_changes):
                    # Deleted meanwhile (by another worker): those are unknown after all.
                    gone = _gone(s, list(changes))
                    if gone:
                        self.latest.forget(gone)
                        result.accepted -= sum(accepted[g] for g in gone)
                        result.unknown.extend(sorted(gone))
                        observations = [o for o in observations if o.entity_id not in gone]
        except BaseException:
            # The remembered observation times may be ahead of what was committed.
            self.latest.forget(ids)
            raise
        result.points = len(observations)
        self._notify(observations)
        return result

    # -- helpers -------------------------------------------------------------------------

    def _department_for(
        self, s: Session, actor: Principal, entity_type: str, department: str | None
    ) -> int:
        """The department a new entity belongs to; the actor must write for it."""
        if department:
            dept_id = s.scalar(
                select(Department.id).where(
                    (Department.key == department) | (Department.name == department)
                )
            )
            if dept_id is None:
                raise ngsi.bad(f"no department {department!r}", details={"department": department})
        elif actor.department_id is not None and not actor.is_platform_admin:
            dept_id = actor.department_id
        else:
            # The platform acts for every department, so it names one or the type's owner.
            owner = TYPE_OWNERS.get(entity_type, "")
            dept_id = s.scalar(select(Department.id).where(Department.key == owner))
            if dept_id is None:
                raise ngsi.bad("name the owning department (?department=key)", code=ngsi.INVALID)
        actor.require(Permission.DATA_WRITE, department_id=dept_id)
        return int(dept_id)

    def _notify(self, observations: Sequence[Observation]) -> None:
        if not observations:
            return
        for observer in list(self.observers):
            try:
                observer(observations)
            except Exception:
                # An observer's fault must never undo or block a committed write.
                self.observer_failures += 1
                log.exception("entity observer %r failed", observer)


# --- row helpers ----------------------------------------------------------------------------


def _utc(when: datetime) -> datetime:
    """The time in UTC (the columns refuse naive times)."""
    return when.astimezone(UTC)


def _new_row(entity: ngsi.ParsedEntity, department_id: int, now: datetime) -> OpsEntity:
    point = ngsi.point_of(entity.attrs)
    stamp = _utc(now)
    return OpsEntity(
        id=entity.id,
        type=entity.type,
        department_id=department_id,
        district=ngsi.district_of(entity.attrs) or "",
        group_id=ngsi.group_of(entity.type, entity.attrs) or "",
        lon=None if point is None else point[0],
        lat=None if point is None else point[1],
        attrs=dict(entity.attrs),
        last_seen_at=stamp,
        created_at=stamp,
        modified_at=stamp,
    )


def _apply(row: OpsEntity, attrs: ngsi.Attrs, now: datetime, *, replace: bool) -> None:
    """Write attributes into the row (merge, or replace all) and refresh derived columns."""
    # A new dict, so the JSON column sees the change.
    row.attrs = dict(attrs) if replace else {**row.attrs, **attrs}
    derived: dict[str, Any] = {
        "type": row.type,
        "district": row.district,
        "group_id": row.group_id,
        "lon": row.lon,
        "lat": row.lat,
    }
    _derive(derived, row.attrs if replace else attrs)
    row.district, row.group_id = derived["district"], derived["group_id"]
    row.lon, row.lat = derived["lon"], derived["lat"]
    row.modified_at = row.last_seen_at = _utc(now)


def _derive(row: dict[str, Any], attrs: Mapping[str, Any]) -> None:
    """Refresh district, group and point from the attributes just written."""
    district = ngsi.district_of(attrs)
    if district is not None:
        row["district"] = district
    group = ngsi.group_of(row["type"], attrs)
    if group is not None:
        row["group_id"] = group
    point = ngsi.point_of(attrs)
    if point is not None:
        row["lon"], row["lat"] = point


def _as_entity(row: OpsEntity, attrs: Sequence[str]) -> dict[str, Any]:
    shown = row.attrs if not attrs else {k: v for k, v in row.attrs.items() if k in attrs}
    return {"id": row.id, "type": row.type, **shown}


def _observations(row: OpsEntity, attrs: Mapping[str, Any], now: datetime) -> list[Observation]:
    return list(_observations_of(row, attrs, now))


class _Placed(Protocol):
    """An entity's identity and place (an OpsEntity row or the fast path's Known)."""

    id: str
    type: str
    department_id: int
    district: str
    group_id: str


def _observations_of(
    entity: _Placed, attrs: Mapping[str, Any], now: datetime
) -> Iterable[Observation]:
    """One Observation per Property with a scalar value."""
    entity_id, entity_type = entity.id, entity.type
    department_id = int(entity.department_id)
    district, group_id = entity.district or "", entity.group_id or ""
    scalar, instant = ngsi.scalar, ngsi.instant
    for name, attr in attrs.items():
        if attr.get("type") != "Property":
            continue
        value = scalar(attr.get("value"))
        if value is None:
            continue
        at = attr.get("observedAt")
        # tuple.__new__ skips the named tuple's generated __new__ (a third of the cost;
        # a device batch builds thousands): the same fields, in order.
        yield _new_tuple(
            Observation,
            (
                entity_id,
                entity_type,
                department_id,
                district,
                group_id,
                name,
                value,
                instant(at) if at else now,
                attr.get("unitCode") or "",
            ),
        )


def _newer(entity: Known, attrs: dict[str, Any]) -> dict[str, Any]:
    """The attributes not older than the stored ones (remembering their times)."""
    observed = entity.observed
    fresh: dict[str, Any] = {}
    for name, attr in attrs.items():
        at = attr.get("observedAt")
        if at:
            when = ngsi.instant(at)
            old = observed.get(name)
            if old is not None and old > when:
                continue
            observed[name] = when
        fresh[name] = attr
    return fresh


def _gone(s: Session, ids: list[str]) -> set[str]:
    """The ids with no entity row."""
    present: set[str] = set()
    for i in range(0, len(ids), _CHUNK):
        chunk = ids[i : i + _CHUNK]
        present.update(s.scalars(select(OpsEntity.id).where(OpsEntity.id.in_(chunk))))
    return set(ids) - present
