"""NGSI-LD subscriptions: matching changes are posted to webhooks, throttled and retried."""

from __future__ import annotations

import json
import logging
import queue
import re
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select, update

from quancheng.db import Database
from quancheng.db.models import OpsEntity, OpsSubscription
from quancheng.errors import Conflict, NotFound, PermissionDenied
from quancheng.identity.roles import Permission, Principal
from quancheng.operations import ngsi
from quancheng.operations.model import Observation

log = logging.getLogger("quancheng.operations.subscriptions")

_SUB_URN = "urn:ngsi-ld:Subscription:"
_KEYS = frozenset(
    {
        "id",
        "type",
        "@context",
        "subscriptionName",
        "description",
        "entities",
        "watchedAttributes",
        "q",
        "notification",
        "throttling",
        "isActive",
    }
)
_RELOAD_SECONDS = 10.0  # how stale the cache of subscriptions may get (other processes)


@dataclass(frozen=True)
class Matcher:
    """What a subscription watches: entity selectors, watched attributes and a q filter."""

    id: str
    selectors: tuple[tuple[str, str | None, str | None], ...]  # (type, id, idPattern)
    watched: frozenset[str]
    q: tuple[ngsi.QTerm, ...]
    endpoint: str
    attributes: tuple[str, ...]
    key_values: bool
    throttling: float

    def wants(self, obs: Observation) -> bool:
        """Whether a change of this attribute of this entity concerns the subscription."""
        if self.watched and obs.attribute not in self.watched:
            return False
        if not self.selectors:
            return True
        for etype, eid, pattern in self.selectors:
            if etype != obs.entity_type:
                continue
            if eid is not None and eid != obs.entity_id:
                continue
            if pattern is not None and not re.search(pattern, obs.entity_id):
                continue
            return True
        return False


@dataclass
class _Pending:
    """Entities waiting to be sent to one subscription, and its retry state."""

    data: dict[str, dict[str, Any]] = field(default_factory=dict)
    attempts: int = 0
    not_before: float = 0.0


def parse_subscription(body: Any) -> dict[str, Any]:
    """Validate a subscription as posted (400 with BadRequestData if malformed)."""
    if not isinstance(body, Mapping):
        raise ngsi.bad("the subscription must be a JSON object")
    if body.get("type") != "Subscription":
        raise ngsi.bad('a subscription has "type": "Subscription"')
    extra = set(body) - _KEYS
    if extra:
        raise ngsi.bad(f"unsupported subscription members {sorted(extra)}")
    sub_id = body.get("id")
    if sub_id is not None and ngsi.type_of_urn(sub_id) != "Subscription":
        raise ngsi.bad("a subscription id is urn:ngsi-ld:Subscription:{local}")
    entities = body.get("entities", [])
    watched = body.get("watchedAttributes", [])
    if not isinstance(entities, list) or not isinstance(watched, list):
        raise ngsi.bad("entities and watchedAttributes must be arrays")
    if not entities and not watched:
        raise ngsi.bad("a subscription needs entities or watchedAttributes")
    for selector in entities:
        if not isinstance(selector, Mapping) or set(selector) - {"type", "id", "idPattern"}:
            raise ngsi.bad("an entity selector is {type, id?, idPattern?}")
        ngsi.check_type(selector.get("type"))
        if "id" in selector and ngsi.type_of_urn(selector["id"]) != selector["type"]:
            raise ngsi.bad("the selector's id names another type")
        if "idPattern" in selector:
            _regex(selector["idPattern"])
    for name in watched:
        ngsi.check_name(name)
    if "q" in body:
        if not isinstance(body["q"], str):
            raise ngsi.bad("q must be a string")
        ngsi.parse_q(body["q"])
    throttling = body.get("throttling", 0)
    if isinstance(throttling, bool) or not isinstance(throttling, int | float) or throttling < 0:
        raise ngsi.bad("throttling is a number of seconds ≥ 0")
    notification = body.get("notification")
    if not isinstance(notification, Mapping):
        raise ngsi.bad("a subscription needs a notification with an endpoint")
    endpoint = notification.get("endpoint")
    uri = endpoint.get("uri") if isinstance(endpoint, Mapping) else None
    parts = urlsplit(uri) if isinstance(uri, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise ngsi.bad("the notification endpoint must be an http or https URI")
    attributes = notification.get("attributes", [])
    if not isinstance(attributes, list):
        raise ngsi.bad("notification.attributes must be an array")
    for name in attributes:
        ngsi.check_name(name)
    if notification.get("format", "normalized") not in ("normalized", "keyValues"):
        raise ngsi.bad("notification.format is normalized or keyValues")
    out = {k: v for k, v in body.items() if k != "@context"}
    out["id"] = sub_id or f"{_SUB_URN}{uuid.uuid4()}"
    return out


def _regex(pattern: Any) -> None:
    try:
        re.compile(pattern)
    except (re.error, TypeError) as exc:
        raise ngsi.bad("idPattern is not a regular expression") from exc


def matcher(sub_id: str, body: Mapping[str, Any], throttling: float) -> Matcher:
    """The matching view of a stored subscription."""
    notification = body.get("notification", {})
    return Matcher(
        id=sub_id,
        selectors=tuple(
            (str(s["type"]), s.get("id"), s.get("idPattern")) for s in body.get("entities", [])
        ),
        watched=frozenset(body.get("watchedAttributes", [])),
        q=tuple(ngsi.parse_q(body["q"])) if body.get("q") else (),
        endpoint=str(notification["endpoint"]["uri"]),
        attributes=tuple(notification.get("attributes", [])),
        key_values=notification.get("format") == "keyValues",
        throttling=float(throttling),
    )


class SubscriptionService:
    """Subscriptions and their notifier: a background thread that never blocks writes."""

    def __init__(self, *, db: Database, queue_size: int = 10_000) -> None:
        self.db = db
        # Seconds to wait before each retry of a failed notification; then the data is dropped.
        self.retry_delays: tuple[float, ...] = (1.0, 5.0, 30.0, 120.0)
        self.timeout_seconds = 5.0
        self.dropped = 0
        self._queue: queue.Queue[Sequence[Observation]] = queue.Queue(maxsize=queue_size)
        self._lock = threading.Lock()
        self._matchers: list[Matcher] | None = None
        self._loaded_at = 0.0
        self._pending: dict[str, _Pending] = {}
        self._last_sent: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- management ----------------------------------------------------------------------

    def create(self, actor: Principal, body: Any) -> dict[str, Any]:
        """Register a subscription for the actor's department."""
        ngsi.require_government(actor)
        parsed = parse_subscription(body)
        types = {s["type"] for s in parsed.get("entities", [])}
        with self.db.transaction() as s:
            if s.get(OpsSubscription, parsed["id"]) is not None:
                raise ngsi_conflict(parsed["id"])
            row = OpsSubscription(
                id=parsed["id"],
                department_id=actor.department_id,
                created_by=actor.user_id,
                body=parsed,
                entity_type=next(iter(types)) if len(types) == 1 else "",
                endpoint=parsed["notification"]["endpoint"]["uri"],
                throttling_seconds=int(parsed.get("throttling", 0)),
                active=bool(parsed.get("isActive", True)),
            )
            s.add(row)
            s.flush()
            shown = _as_subscription(row)
        self._invalidate()
        return shown

    def list_subscriptions(
        self, actor: Principal, *, limit: int = 100, offset: int = 0
    ) -> list[dict[str, Any]]:
        """The subscriptions of the actor's department (every one for the platform)."""
        ngsi.require_government(actor)
        ngsi.check_page(limit, offset)
        stmt = select(OpsSubscription).order_by(OpsSubscription.created_at, OpsSubscription.id)
        if not actor.is_platform_admin:
            stmt = stmt.where(OpsSubscription.department_id == actor.department_id)
        with self.db.reader() as s:
            rows = s.scalars(stmt.offset(offset).limit(limit))
            return [_as_subscription(r) for r in rows]

    def get(self, actor: Principal, sub_id: str) -> dict[str, Any]:
        """One subscription of the actor's department."""
        ngsi.require_government(actor)
        with self.db.reader() as s:
            row = _visible(s.get(OpsSubscription, sub_id), actor, sub_id)
            return _as_subscription(row)

    def delete(self, actor: Principal, sub_id: str) -> None:
        """Delete a subscription (its creator, or a data writer of its department)."""
        ngsi.require_government(actor)
        with self.db.transaction() as s:
            row = _visible(s.get(OpsSubscription, sub_id), actor, sub_id)
            if row.created_by is None or row.created_by != actor.user_id:
                actor.require(Permission.DATA_WRITE, department_id=row.department_id or -1)
            s.delete(row)
        with self._lock:
            self._pending.pop(sub_id, None)
        self._invalidate()

    # -- the observer and the notifier ---------------------------------------------------

    def observe(self, observations: Sequence[Observation]) -> None:
        """Queue a committed batch if any subscription may want it (never blocks)."""
        matchers = self._current()
        if not matchers or not any(m.wants(o) for m in matchers for o in observations):
            return
        self._ensure_thread()
        try:
            self._queue.put_nowait(observations)
        except queue.Full:
            self.dropped += len(observations)
            log.warning("subscription queue full: %d observations dropped", len(observations))

    def close(self) -> None:
        """Stop the notifier thread after one last delivery pass."""
        self._stop.set()
        thread = self._thread
        if thread is not None:
            thread.join(timeout=self.timeout_seconds + 2)
        self._thread = None

    def _ensure_thread(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._stop.clear()
                self._thread = threading.Thread(
                    target=self._run, name="qc-ngsi-notifier", daemon=True
                )
                self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                batch = self._queue.get(timeout=0.05)
            except queue.Empty:
                batch = None
            try:
                if batch is not None:
                    self._collect(batch)
                self._deliver_due(time.monotonic())
            except Exception:
                # The notifier keeps running whatever one batch or endpoint does.
                log.exception("subscription notifier failed")

    def _current(self) -> list[Matcher]:
        now = time.monotonic()
        with self._lock:
            if self._matchers is not None and now - self._loaded_at < _RELOAD_SECONDS:
                return self._matchers
        with self.db.reader() as s:
            rows = s.execute(
                select(
                    OpsSubscription.id, OpsSubscription.body, OpsSubscription.throttling_seconds
                ).where(OpsSubscription.active.is_(True))
            ).all()
        loaded = [matcher(r.id, r.body, r.throttling_seconds) for r in rows]
        with self._lock:
            self._matchers, self._loaded_at = loaded, now
        return loaded

    def _invalidate(self) -> None:
        with self._lock:
            self._matchers = None

    def _collect(self, batch: Sequence[Observation]) -> None:
        """Turn a batch of changes into pending notification data per subscription."""
        wanted: dict[str, set[str]] = {}
        for m in self._current():
            ids = {o.entity_id for o in batch if m.wants(o)}
            if ids:
                wanted[m.id] = ids
        if not wanted:
            return
        all_ids = sorted(set().union(*wanted.values()))
        with self.db.reader() as s:
            rows = {
                r.id: {"id": r.id, "type": r.type, **r.attrs}
                for i in range(0, len(all_ids), 500)
                for r in s.scalars(select(OpsEntity).where(OpsEntity.id.in_(all_ids[i : i + 500])))
            }
        by_id = {m.id: m for m in self._current()}
        with self._lock:
            for sub_id, ids in wanted.items():
                sub = by_id.get(sub_id)
                if sub is None:
                    continue
                for entity_id in ids:
                    entity = rows.get(entity_id)
                    if entity is None or not ngsi.matches_q(sub.q, entity):
                        continue
                    pending = self._pending.setdefault(sub_id, _Pending())
                    # A newer state of the same entity replaces the one not yet sent.
                    pending.data[entity_id] = _project(entity, sub)

    def _deliver_due(self, now: float) -> None:
        with self._lock:
            matchers = {m.id: m for m in (self._matchers or [])}
            due = [
                (sub_id, p)
                for sub_id, p in self._pending.items()
                if p.data
                and now >= p.not_before
                and now - self._last_sent.get(sub_id, -1e18) >= _throttle(matchers, sub_id)
            ]
        for sub_id, pending in due:
            m = matchers.get(sub_id)
            if m is None:
                with self._lock:
                    self._pending.pop(sub_id, None)
                continue
            with self._lock:
                data = list(pending.data.values())
                pending.data = {}
            ok = self._post(m, data)
            self._record(sub_id, ok)
            with self._lock:
                if ok:
                    pending.attempts = 0
                    self._last_sent[sub_id] = time.monotonic()
                    continue
                pending.attempts += 1
                if pending.attempts > len(self.retry_delays):
                    log.warning("notification to %s dropped after retries", m.endpoint)
                    self.dropped += len(data)
                    pending.attempts = 0
                    continue
                # Put the data back under anything newer that arrived meanwhile.
                pending.data = {**{e["id"]: e for e in data}, **pending.data}
                pending.not_before = time.monotonic() + self.retry_delays[pending.attempts - 1]

    def _post(self, m: Matcher, data: list[dict[str, Any]]) -> bool:
        body = {
            "id": f"urn:ngsi-ld:Notification:{uuid.uuid4()}",
            "type": "Notification",
            "subscriptionId": m.id,
            "notifiedAt": _iso(datetime.now(UTC)),
            "data": data,
        }
        request = urllib.request.Request(  # noqa: S310 (the scheme is checked: http or https)
            m.endpoint,
            data=json.dumps(body, ensure_ascii=False).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_seconds) as response:  # noqa: S310
                return 200 <= int(response.status) < 300
        except (urllib.error.URLError, OSError, ValueError) as exc:
            log.info("notification to %s failed: %s", m.endpoint, exc)
            return False

    def _record(self, sub_id: str, ok: bool) -> None:
        stamp = datetime.now(UTC)
        values: dict[str, Any] = (
            {"times_sent": OpsSubscription.times_sent + 1, "last_notified_at": stamp}
            if ok
            else {"failures": OpsSubscription.failures + 1, "last_failure_at": stamp}
        )
        try:
            with self.db.transaction() as s:
                s.execute(
                    update(OpsSubscription).where(OpsSubscription.id == sub_id).values(values)
                )
        except Exception:
            log.exception("could not record the notification of %s", sub_id)


def _throttle(matchers: Mapping[str, Matcher], sub_id: str) -> float:
    m = matchers.get(sub_id)
    return 0.0 if m is None else m.throttling


def _project(entity: dict[str, Any], m: Matcher) -> dict[str, Any]:
    shown = entity
    if m.attributes:
        shown = {k: v for k, v in entity.items() if k in ("id", "type") or k in m.attributes}
    return ngsi.key_values(shown) if m.key_values else shown


def _visible(row: OpsSubscription | None, actor: Principal, sub_id: str) -> OpsSubscription:
    if row is None:
        raise NotFound(f"no subscription {sub_id}", code="ResourceNotFound")
    if not actor.is_platform_admin and row.department_id != actor.department_id:
        raise PermissionDenied(
            "the subscription belongs to another department",
            details={"permission": "ops:subscriptions"},
        )
    return row


def ngsi_conflict(sub_id: str) -> Conflict:
    """409 AlreadyExists for a subscription id."""
    return Conflict(f"subscription {sub_id} already exists", code="AlreadyExists")


def _as_subscription(row: OpsSubscription) -> dict[str, Any]:
    body = dict(row.body)
    notification = dict(body.get("notification", {}))
    notification["timesSent"] = row.times_sent
    notification["status"] = (
        "failed"
        if (
            row.last_failure_at
            and (row.last_notified_at is None or row.last_failure_at > row.last_notified_at)
        )
        else "ok"
    )
    if row.last_notified_at is not None:
        notification["lastNotification"] = _iso(row.last_notified_at)
    if row.last_failure_at is not None:
        notification["lastFailure"] = _iso(row.last_failure_at)
    body["notification"] = notification
    body["status"] = "active" if row.active else "paused"
    body["isActive"] = row.active
    return body


def _iso(when: datetime) -> str:
    """An ISO 8601 UTC time with a Z."""
    aware = when if when.tzinfo is not None else when.replace(tzinfo=UTC)
    return aware.astimezone(UTC).isoformat().replace("+00:00", "Z")
