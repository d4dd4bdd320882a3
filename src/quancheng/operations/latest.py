"""The telemetry fast path's latest state: who each entity is, and one UPDATE per batch.

Device messages (HTTP batches, MQTT) and NGSI-LD batch upserts of existing entities only
change attribute values (an upsert may also replace them all). Reading every entity's
whole attribute document to merge a few values into it, then writing it all back, is where a
batch's time went; here the process remembers what it needs about each entity (type, owner,
district, group, point, and when each attribute was last observed, to keep late messages
from overwriting newer values) and the database merges the changed attributes in place
(`json_set` on SQLite, `jsonb ||` on PostgreSQL).

The memory is a cache, never the truth: entries expire after `TTL_SECONDS` (another worker
may have moved or deleted the entity), creating, patching or deleting through the entity API
forgets the ids it touches, and an UPDATE that finds fewer rows than expected forgets them.

A streetlight's state column is derived data: when LAMP_STATE_VERSION changes, `migrate`
computes it again for every lamp (LAMP_STATES, db/derived.py).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from quancheng.db.derived import Derivation, Step
from quancheng.db.models import OpsEntity
from quancheng.operations import codec, ngsi
from quancheng.operations.model import (
    LAMP_INPUTS,
    LAMP_STATE_VERSION,
    STREETLIGHT,
    entity_state,
    lamp_inputs,
    lamp_state,
)

TTL_SECONDS = 30.0
MAX_ENTRIES = 1_000_000  # ~300 bytes each: a whole city's fleet fits
_CHUNK = 500  # ids per IN (...) query
# Attributes that move an entity (district, group, point): recomputed when a message has one.
_PLACING = frozenset({"districtCode", "address", "refStreetlightGroup", "location"})
_TABLE: Table = OpsEntity.__table__  # type: ignore[assignment]


@dataclass(slots=True)
class Known:
    """What the fast path needs about one entity."""

    id: str
    type: str
    department_id: int
    district: str
    group_id: str
    lon: float | None
    lat: float | None
    state: str = ""
    # When each attribute's stored value was observed (late messages must not replace it).
    observed: dict[str, datetime] = field(default_factory=dict)
    # A streetlight's values its state is made of (None for other types).
    lamp: dict[str, Any] | None = None
    loaded: float = 0.0

    def follow(self, attrs: Mapping[str, Any]) -> None:
        """Refresh a streetlight's state from the attributes just written."""
        if self.lamp is None:
            return
        changed = False
        for name in LAMP_INPUTS:
            attr = attrs.get(name)
            if attr is not None:
                self.lamp[name] = attr.get("value")
                changed = True
        if changed:
            self.state = lamp_state(self.lamp)

    def overwrite(self, attrs: Mapping[str, Any], *, replace: bool) -> None:
        """Take attributes written through the entity API: they replace, newest or not.

        `replace` (an upsert without options=update): the attributes are the whole entity now.
        """
        if replace:
            self.observed = observed_times(attrs)
            if self.lamp is not None:
                self.lamp = lamp_inputs(attrs)
                self.state = lamp_state(self.lamp)
        else:
            observed = self.observed
            for name, attr in attrs.items():
                at = attr.get("observedAt")
                if isinstance(at, str):
                    observed[name] = ngsi.instant(at)
                else:
                    observed.pop(name, None)
            self.follow(attrs)
        self.place(attrs)

    def place(self, attrs: Mapping[str, Any]) -> None:
        """Refresh district, group and point from attributes that name them."""
        if _PLACING.isdisjoint(attrs):
            return
        district = ngsi.district_of(attrs)
        if district is not None:
            self.district = district
        group = ngsi.group_of(self.type, attrs)
        if group is not None:
            self.group_id = group
        point = ngsi.point_of(attrs)
        if point is not None:
            self.lon, self.lat = point


def observed_times(attrs: Mapping[str, Any]) -> dict[str, datetime]:
    """Each attribute's observedAt, parsed (attributes without one are left out)."""
    out: dict[str, datetime] = {}
    for name, attr in attrs.items():
        at = attr.get("observedAt") if isinstance(attr, Mapping) else None
        if isinstance(at, str):
            try:
                out[name] = ngsi.instant(at)
            except ValueError:
                continue
    return out


class LatestState:
    """Entities known to this process, and the batched latest-state UPDATE."""

    def __init__(self, *, ttl_seconds: float = TTL_SECONDS, max_entries: int = MAX_ENTRIES):
        self.ttl_seconds = ttl_seconds
        self.max_entries = max_entries
        self._entries: dict[str, Known] = {}
        self._lock = threading.Lock()

    def forget(self, ids: Iterable[str] | None = None) -> None:
        """Drop entries (all of them when no ids are given): the next batch reloads them."""
        with self._lock:
            if ids is None:
                self._entries.clear()
                return
            for entity_id in ids:
                self._entries.pop(entity_id, None)

    def lookup(self, conn: Connection, ids: Sequence[str]) -> dict[str, Known]:
        """The entities among `ids` that exist, loading those not known (or expired)."""
        now = time.monotonic()
        found: dict[str, Known] = {}
        missing: list[str] = []
        with self._lock:
            entries = self._entries
            for entity_id in ids:
                known = entries.get(entity_id)
                if known is not None and now - known.loaded < self.ttl_seconds:
                    found[entity_id] = known
                else:
                    missing.append(entity_id)
        if not missing:
            return found
        loaded = self._load(conn, missing, now)
        found.update(loaded)
        with self._lock:
            if len(self._entries) + len(loaded) > self.max_entries:
                self._entries.clear()
            self._entries.update(loaded)
        return found

    def _load(self, conn: Connection, ids: list[str], now: float) -> dict[str, Known]:
        c = _TABLE.c
        cols = (c.id, c.type, c.department_id, c.district, c.group_id, c.lon, c.lat, c.attrs)
        loaded: dict[str, Known] = {}
        for i in range(0, len(ids), _CHUNK):
            rows = conn.execute(select(*cols).where(c.id.in_(ids[i : i + _CHUNK])))
            for r in rows:
                attrs = r[7] or {}
                lamp = lamp_inputs(attrs) if r[1] == STREETLIGHT else None
                loaded[r[0]] = Known(
                    id=r[0],
                    type=r[1],
                    department_id=int(r[2]),
                    district=r[3] or "",
                    group_id=r[4] or "",
                    lon=r[5],
                    lat=r[6],
                    state=lamp_state(lamp) if lamp is not None else "",
                    observed=observed_times(attrs),
                    lamp=lamp,
                    loaded=now,
                )
        return loaded

    def write(
        self,
        conn: Connection,
        changes: Sequence[tuple[Known, Mapping[str, Any]]],
        stamp: datetime,
        *,
        replace: bool = False,
    ) -> int:
        """Merge each entity's changed attributes into its row; the number of rows updated.

        With `replace` the attributes given become the row's whole attribute document.

        Plain driver-level statements (the ORM's per-row parameter processing cost more than
        the UPDATE itself): on PostgreSQL one statement per batch, its rows in one JSON
        parameter (`jsonb_array_elements`); on SQLite an executemany. Attribute names are
        checked NGSI-LD terms, and still go in as parameters (JSON paths), never into the
        SQL text.
        """
        if not changes:
            return 0
        dialect = conn.dialect
        stamp_type = _TABLE.c.last_seen_at.type
        # The column type's own conversion (UTC; SQLite's text form), applied once.
        bind = stamp_type.dialect_impl(dialect).bind_processor(dialect)
        when = bind(stamp) if bind is not None else stamp
        # By id: concurrent batches then lock the rows they share in the same order.
        ordered = sorted(changes, key=lambda change: change[0].id)
        if dialect.name == "postgresql":
            rows = [(k.id, a, k.district, k.group_id, k.lon, k.lat, k.state) for k, a in ordered]
            merged = "j.a::json" if replace else "(e.attrs::jsonb || j.a)::json"
            sql = (
                f"UPDATE ops_entities AS e SET attrs = {merged}, "  # noqa: S608
                "district = j.d, group_id = j.g, lon = j.x, lat = j.y, state = j.s, "
                "last_seen_at = %s, modified_at = %s "
                "FROM (SELECT r->>0 AS id, r->1 AS a, r->>2 AS d, r->>3 AS g, "
                "(r->>4)::float8 AS x, (r->>5)::float8 AS y, r->>6 AS s "
                "FROM jsonb_array_elements(%s::jsonb) AS r) AS j WHERE e.id = j.id"
            )
            result = conn.exec_driver_sql(sql, (when, when, codec.dumps(rows)))
            return _rowcount(result, len(rows))
        # json_set takes (path, value) pairs: one statement per set of attribute names (a
        # fleet sends the same names, so a batch is one or two statements). Each row's
        # attributes are encoded once (?1) and taken apart by path: cheaper than encoding
        # each attribute, and than unpacking the whole batch with json_each.
        by_names: dict[tuple[str, ...] | None, list[tuple[Any, ...]]] = {}
        for k, attrs in ordered:
            row = (codec.dumps(attrs), k.district, k.group_id, k.lon, k.lat, k.state, when, k.id)
            by_names.setdefault(None if replace else tuple(attrs), []).append(row)
        updated = 0
        for names, rows in by_names.items():
            if names is None:
                paths: tuple[str, ...] = ()
                merged = "json(?1)"
            else:
                paths = tuple(f'$."{name}"' for name in names)
                # ?9, ?10 …: the paths, the same in every row.
                pairs = ", ".join(
                    f"?{9 + i}, json_extract(?1, ?{9 + i})" for i in range(len(names))
                )
                merged = f"json_set(attrs, {pairs})" if names else "attrs"
            sql = (
                f"UPDATE ops_entities SET attrs = {merged}, "  # noqa: S608
                "district = ?2, group_id = ?3, lon = ?4, lat = ?5, state = ?6, "
                "last_seen_at = ?7, modified_at = ?7 WHERE id = ?8"
            )
            params = [row + paths for row in rows]
            updated += _rowcount(conn.exec_driver_sql(sql, params), len(rows))
        return updated


def _rowcount(result: Any, expected: int) -> int:
    """Rows an executemany UPDATE changed (drivers that cannot tell: assume all)."""
    count = getattr(result, "rowcount", -1)
    return expected if count is None or count < 0 else int(count)


def restate_batch(s: Session, after: str | None, limit: int) -> Step:
    """Compute again the state of up to `limit` streetlights after entity id `after`; the last
    batch empties the state of every other type."""
    table = _TABLE
    rows = s.execute(
        select(OpsEntity.id, OpsEntity.attrs, OpsEntity.state)
        .where(OpsEntity.type == STREETLIGHT, OpsEntity.id > (after or ""))
        .order_by(OpsEntity.id)
        .limit(limit)
        # PostgreSQL: a telemetry batch for these lamps waits, so its state is the one kept.
        .with_for_update()
    ).all()
    changed = [
        {"eid": row.id, "new_state": state}
        for row in rows
        if (state := entity_state(STREETLIGHT, row.attrs)) != row.state
    ]
    if changed:
        s.connection().execute(
            update(table)
            .where(table.c.id == bindparam("eid"))
            .values(state=bindparam("new_state")),
            changed,
        )
    if len(rows) == limit:
        return Step(len(rows), rows[-1].id)
    s.execute(
        update(table).where(table.c.type != STREETLIGHT, table.c.state != "").values(state="")
    )
    return Step(len(rows), None)


LAMP_STATES = Derivation(
    kind="lamp_state", version=LAMP_STATE_VERSION, batch=restate_batch, batch_size=2000
)
