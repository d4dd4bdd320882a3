"""NGSI-LD entities: create, read, query, patch, delete, batch upsert, device ingestion."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from quancheng.datastore.service import DatastoreService
from quancheng.db import Database
from quancheng.db.models import Department, OpsAlarm, OpsCommand, OpsEntity
from quancheng.errors import BadRequest, Conflict, NotFound, PermissionDenied
from quancheng.identity.roles import Permission, Principal
from quancheng.ledger.log import Ledger
from quancheng.operations import model, ngsi
from quancheng.operations.model import Observation, Observer
from quancheng.operations.ngsi import require_government
from quancheng.operations.subscriptions import SubscriptionService
from quancheng.settings import Settings

log = logging.getLogger("quancheng.operations")

MAX_LIMIT = 1000
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
        if not 0 < query.limit <= MAX_LIMIT:
            raise ngsi.bad(f"limit must be 1..{MAX_LIMIT}", code=ngsi.INVALID)
        if query.offset < 0:
            raise ngsi.bad("offset must not be negative", code=ngsi.INVALID)
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
        observations: list[Observation] = []
        with self.db.transaction() as s:
            existing = _load(s, list(parsed))
            for entity in parsed.values():
                row = existing.get(entity.id)
                if row is None:
                    continue
                # Deny by default: one entity the actor may not write refuses the whole batch.
                actor.require(Permission.DATA_WRITE, department_id=row.department_id)
                if row.type != entity.type:
                    raise ngsi.bad(f"entity {entity.id} exists with type {row.type}")
            new_types = {e.type for e in parsed.values() if e.id not in existing}
            dept_ids = {t: self._department_for(s, actor, t, department) for t in new_types}
            for entity in parsed.values():
                row = existing.get(entity.id)
                if row is None:
                    row = _new_row(entity, dept_ids[entity.type], now)
                    s.add(row)
                    result.created.append(entity.id)
                else:
                    _apply(row, entity.attrs, now, replace=replace)
                    result.updated.append(entity.id)
                observations.extend(_observations(row, entity.attrs, now))
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
        now = ngsi.now_utc()
        try:
            normalized = ngsi.device_attrs(
                entity_type, attrs, now=now, future_seconds=self.settings.telemetry_future_seconds
            )
        except BadRequest as exc:
            raise MalformedMessage(exc.message, details=exc.details) from exc
        with self.db.transaction() as s:
            row = s.get(OpsEntity, entity_id)
            if row is None or row.type != entity_type:
                return False
            if department_id is not None and row.department_id != department_id:
                raise PermissionDenied(
                    f"entity {entity_id} belongs to another department",
                    details={"permission": Permission.DATA_WRITE.value},
                )
            merged = _merge_newer(row.attrs, normalized)
            _apply(row, merged, now, replace=False)
            row.last_seen_at = _utc(now)
            observations = _observations(row, normalized, now)
        self._notify(observations)
        return True

    def ingest_batch(self, actor: Principal, messages: Any) -> IngestResult:
        """Store a batch of device messages in one transaction (one query loads the entities).

        Each message is {"id": urn, "type"?: T, "attrs": {name: value | {value, observedAt,
        unitCode}}} or the same with the attributes at the top level.
        """
        actor.require(Permission.DATA_WRITE)
        if not isinstance(messages, list):
            raise ngsi.bad("the body must be an array of device messages")
        now = ngsi.now_utc()
        future = self.settings.telemetry_future_seconds
        result = IngestResult()
        wanted: list[tuple[str, str | None, Mapping[str, Any]]] = []
        for message in messages:
            if not isinstance(message, Mapping) or not isinstance(message.get("id"), str):
                result.rejected.append({"id": None, "error": "a message needs an id"})
                continue
            body = message.get("attrs")
            if not isinstance(body, Mapping):
                body = {k: v for k, v in message.items() if k not in ("id", "type", "@context")}
            wanted.append((message["id"], message.get("type"), body))
        observations: list[Observation] = []
        with self.db.transaction() as s:
            rows = _load_columns(s, list({w[0] for w in wanted}))
            changes: dict[str, dict[str, Any]] = {}
            for entity_id, declared, body in wanted:
                row = rows.get(entity_id)
                if row is None or (declared is not None and declared != row["type"]):
                    result.unknown.append(entity_id)
                    continue
                if not actor.can(Permission.DATA_WRITE, department_id=row["department_id"]):
                    result.rejected.append({"id": entity_id, "error": "permission_denied"})
                    continue
                try:
                    attrs = ngsi.device_attrs(row["type"], body, now=now, future_seconds=future)
                except BadRequest as exc:
                    result.rejected.append({"id": entity_id, "error": exc.message})
                    continue
                row["attrs"] = _merge_newer(row["attrs"], attrs, into=row["attrs"])
                _derive(row, attrs)
                changes[entity_id] = row
                result.accepted += 1
                for obs in _observations_of(row, attrs, now):
                    observations.append(obs)
            if changes:
                stamp = _utc(now)
                s.execute(
                    update(OpsEntity),
                    [
                        {
                            "id": r["id"],
                            "attrs": r["attrs"],
                            "district": r["district"],
                            "group_id": r["group_id"],
                            "lon": r["lon"],
                            "lat": r["lat"],
                            "last_seen_at": stamp,
                            "modified_at": stamp,
                        }
                        for r in changes.values()
                    ],
                )
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


def _merge_newer(
    current: Mapping[str, Any], incoming: ngsi.Attrs, *, into: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Incoming attributes, except those older than what is stored (late messages)."""
    out = into if into is not None else {}
    for name, attr in incoming.items():
        old = current.get(name)
        new_at, old_at = attr.get("observedAt"), old.get("observedAt") if old else None
        if new_at and old_at and ngsi.instant(old_at) > ngsi.instant(new_at):
            continue
        out[name] = attr
    return out


def _load(s: Session, ids: list[str]) -> dict[str, OpsEntity]:
    found: dict[str, OpsEntity] = {}
    for i in range(0, len(ids), _CHUNK):
        for row in s.scalars(select(OpsEntity).where(OpsEntity.id.in_(ids[i : i + _CHUNK]))):
            found[row.id] = row
    return found


def _load_columns(s: Session, ids: list[str]) -> dict[str, dict[str, Any]]:
    """The batch's entities as plain dicts (no ORM identity map: the fast path)."""
    cols = (
        OpsEntity.id,
        OpsEntity.type,
        OpsEntity.department_id,
        OpsEntity.district,
        OpsEntity.group_id,
        OpsEntity.lon,
        OpsEntity.lat,
        OpsEntity.attrs,
    )
    found: dict[str, dict[str, Any]] = {}
    for i in range(0, len(ids), _CHUNK):
        for r in s.execute(select(*cols).where(OpsEntity.id.in_(ids[i : i + _CHUNK]))):
            found[r.id] = {**r._mapping, "attrs": dict(r.attrs or {})}
    return found


def _as_entity(row: OpsEntity, attrs: Sequence[str]) -> dict[str, Any]:
    shown = row.attrs if not attrs else {k: v for k, v in row.attrs.items() if k in attrs}
    return {"id": row.id, "type": row.type, **shown}


def _observations(row: OpsEntity, attrs: Mapping[str, Any], now: datetime) -> list[Observation]:
    meta = {
        "id": row.id,
        "type": row.type,
        "department_id": row.department_id,
        "district": row.district,
        "group_id": row.group_id,
    }
    return list(_observations_of(meta, attrs, now))


def _observations_of(
    row: Mapping[str, Any], attrs: Mapping[str, Any], now: datetime
) -> Iterable[Observation]:
    """One Observation per Property with a scalar value."""
    entity_id, entity_type = row["id"], row["type"]
    department_id = int(row["department_id"])
    district, group_id = row["district"] or "", row["group_id"] or ""
    for name, attr in attrs.items():
        if attr.get("type") != "Property":
            continue
        value = ngsi.scalar(attr.get("value"))
        if value is None:
            continue
        at = attr.get("observedAt")
        yield Observation(
            entity_id=entity_id,
            entity_type=entity_type,
            department_id=department_id,
            district=district,
            group_id=group_id,
            attribute=name,
            value=value,
            observed_at=ngsi.instant(at) if at else now,
            unit=attr.get("unitCode") or "",
        )
