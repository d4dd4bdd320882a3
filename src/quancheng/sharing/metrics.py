"""Governance metrics of the sharing exchange: how much each department shares and how well.

Everything is computed by a handful of GROUP BY queries over the whole city, whatever the
number of departments, so the scorecard stays cheap enough to render on every page view.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.orm import Session

from quancheng.catalog.model import EntryStatus, OpenType, SharingType
from quancheng.db import Database
from quancheng.db.models import (
    CatalogEntry,
    Department,
    SharingDispute,
    SharingGrant,
    SharingRequest,
    SharingUsage,
    utcnow,
)
from quancheng.errors import NotFound, PermissionDenied
from quancheng.identity.roles import Permission, Principal
from quancheng.sharing import views
from quancheng.sharing.model import PENDING_STATES, DisputeState, GrantState, RequestState
from quancheng.sharing.records import sent_to_provider

# Weights of the scorecard (they sum to 100); see DepartmentScore.
WEIGHT_SHARING = 40.0
WEIGHT_TIMELINESS = 40.0
WEIGHT_DISPUTES = 20.0


def require_government(actor: Principal) -> None:
    """Metrics are for government users: the platform authority or a department reader."""
    if actor.is_platform_admin:
        return
    actor.require(Permission.DATA_READ)
    if actor.department_id is None:
        raise PermissionDenied(
            "sharing metrics are for government departments", code="not_a_department"
        )


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@dataclass(frozen=True)
class DepartmentScore:
    """One department's sharing scorecard.

    `score` (0..100) = 40 × sharing rate
    + 40 × timeliness: answered on time / (answered + pending past the deadline), so a
    request left unanswered counts as late (full marks when there is nothing to judge)
    + 20 × disputes handled in time: 1 − (open past the deadline + answered late) / received
    (full marks when no dispute was received).
    """

    department: views.Party
    entries: int
    unconditional: int
    conditional: int
    not_shared: int
    open_entries: int
    shareable: int
    sharing_rate: float
    requests_received: int
    answered: int
    answered_on_time: int
    on_time_rate: float | None
    avg_answer_days: float | None
    pending: int
    overdue: int
    requests_made: int
    grants_given: int
    grants_held: int
    calls_served: int
    calls_made: int
    disputes_received: int
    disputes_open: int
    disputes_overdue: int
    score: float

    def as_json(self) -> dict[str, Any]:
        """The scorecard in API bodies."""
        return {
            "department": self.department.as_json(),
            "entries": self.entries,
            "unconditional": self.unconditional,
            "conditional": self.conditional,
            "not_shared": self.not_shared,
            "open_entries": self.open_entries,
            "shareable": self.shareable,
            "sharing_rate": self.sharing_rate,
            "requests_received": self.requests_received,
            "answered": self.answered,
            "answered_on_time": self.answered_on_time,
            "on_time_rate": self.on_time_rate,
            "avg_answer_days": self.avg_answer_days,
            "pending": self.pending,
            "overdue": self.overdue,
            "requests_made": self.requests_made,
            "grants_given": self.grants_given,
            "grants_held": self.grants_held,
            "calls_served": self.calls_served,
            "calls_made": self.calls_made,
            "disputes_received": self.disputes_received,
            "disputes_open": self.disputes_open,
            "disputes_overdue": self.disputes_overdue,
            "score": self.score,
        }


@dataclass(frozen=True)
class CityScore:
    """The exchange of the whole city at a glance."""

    departments: int
    entries: int
    shareable: int
    sharing_rate: float
    open_entries: int
    requests_by_state: dict[str, int]
    answered: int
    on_time_rate: float | None
    avg_answer_days: float | None
    grants_active: int
    calls_total: int
    disputes_open: int
    disputes_overdue: int

    def as_json(self) -> dict[str, Any]:
        """The city figures in API bodies."""
        return {
            "departments": self.departments,
            "entries": self.entries,
            "shareable": self.shareable,
            "sharing_rate": self.sharing_rate,
            "open_entries": self.open_entries,
            "requests_by_state": dict(self.requests_by_state),
            "answered": self.answered,
            "on_time_rate": self.on_time_rate,
            "avg_answer_days": self.avg_answer_days,
            "grants_active": self.grants_active,
            "calls_total": self.calls_total,
            "disputes_open": self.disputes_open,
            "disputes_overdue": self.disputes_overdue,
        }


def score(
    *,
    entries: int,
    shareable: int,
    answered_on_time: int,
    answered: int,
    overdue: int,
    disputes_received: int,
    disputes_late: int,
) -> float:
    """The 0..100 scorecard from its parts (see DepartmentScore for the weights)."""
    sharing = shareable / entries if entries else 0.0
    judged = answered + overdue
    timeliness = answered_on_time / judged if judged else 1.0
    disputes = 1.0 - disputes_late / disputes_received if disputes_received else 1.0
    total = (
        WEIGHT_SHARING * sharing
        + WEIGHT_TIMELINESS * timeliness
        + WEIGHT_DISPUTES * max(0.0, disputes)
    )
    return round(min(100.0, max(0.0, total)), 1)


def _count(condition: ColumnElement[bool]) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


_PENDING = [s.value for s in PENDING_STATES]
_SHAREABLE = (SharingType.UNCONDITIONAL.value, SharingType.CONDITIONAL.value)


class SharingMetrics:
    """Scorecards of departments and of the city, computed from the exchange's tables."""

    def __init__(self, *, db: Database, clock: Callable[[], datetime] = utcnow) -> None:
        self.db = db
        self.clock = clock

    def city(self) -> CityScore:
        """The whole city's figures."""
        now = self.clock()
        with self.db.reader() as s:
            departments = int(s.scalar(select(func.count(Department.id))) or 0)
            e = s.execute(
                select(
                    func.count(CatalogEntry.id),
                    _count(CatalogEntry.sharing_type.in_(_SHAREABLE)),
                    _count(CatalogEntry.open_type == OpenType.OPEN.value),
                ).where(CatalogEntry.status == EntryStatus.PUBLISHED.value)
            ).one()
            by_state = {state.value: 0 for state in RequestState}
            for state, n in s.execute(
                select(SharingRequest.state, func.count(SharingRequest.id)).group_by(
                    SharingRequest.state
                )
            ):
                by_state[str(state)] = int(n)
            r = s.execute(
                select(
                    _count(SharingRequest.state.in_(_PENDING) & (SharingRequest.deadline_at < now)),
                    _count(SharingRequest.answered_at.is_not(None)),
                    _count(SharingRequest.answered_on_time.is_(True)),
                    func.avg(
                        case(
                            (
                                SharingRequest.answered_at.is_not(None),
                                SharingRequest.answer_workdays,
                            )
                        )
                    ),
                )
            ).one()
            by_state["overdue"] = int(r[0])
            grants_active = int(
                s.scalar(
                    select(func.count(SharingGrant.id)).where(
                        SharingGrant.state == GrantState.ACTIVE.value,
                        SharingGrant.expires_at > now,
                    )
                )
                or 0
            )
            calls_total = int(s.scalar(select(func.sum(SharingUsage.calls))) or 0)
            d = s.execute(
                select(
                    _count(SharingDispute.state == DisputeState.OPEN.value),
                    _count(
                        (SharingDispute.state == DisputeState.OPEN.value)
                        & (SharingDispute.deadline_at < now)
                    ),
                )
            ).one()
        entries, shareable = int(e[0]), int(e[1])
        answered = int(r[1])
        return CityScore(
            departments=departments,
            entries=entries,
            shareable=shareable,
            sharing_rate=shareable / entries if entries else 0.0,
            open_entries=int(e[2]),
            requests_by_state=by_state,
            answered=answered,
            on_time_rate=_rate(int(r[2]), answered),
            avg_answer_days=None if r[3] is None else float(r[3]),
            grants_active=grants_active,
            calls_total=calls_total,
            disputes_open=int(d[0]),
            disputes_overdue=int(d[1]),
        )

    def departments(self) -> list[DepartmentScore]:
        """Every department's scorecard, best score first, then by name."""
        return sorted(self._scores(), key=lambda d: (-d.score, d.department.name))

    def department(self, ref: int | str) -> DepartmentScore:
        """One department's scorecard, by id or key."""
        with self.db.reader() as s:
            query = select(Department.id)
            if isinstance(ref, int) or (ref.isascii() and ref.isdigit()):
                query = query.where(Department.id == int(ref))
            else:
                query = query.where(Department.key == str(ref))
            dept_id = s.scalar(query)
        if dept_id is None:
            raise NotFound(f"no department {ref}", details={"department": str(ref)})
        return self._scores(dept_id)[0]

    def grant_calls(self, *, limit: int = 20) -> list[dict[str, Any]]:
        """The busiest grants by calls: grant, entry, both departments, calls and rows."""
        consumer = Department.__table__.alias("consumer")
        provider = Department.__table__.alias("provider")
        calls = func.sum(SharingUsage.calls).label("calls")
        now = self.clock()
        rows = (
            select(
                SharingGrant.id,
                SharingGrant.kind,
                SharingGrant.state,
                SharingGrant.expires_at,
                CatalogEntry.code,
                CatalogEntry.name,
                CatalogEntry.name_en,
                consumer.c.name.label("consumer"),
                consumer.c.name_en.label("consumer_en"),
                provider.c.name.label("provider"),
                provider.c.name_en.label("provider_en"),
                calls,
                func.sum(SharingUsage.rows).label("rows"),
            )
            .join(SharingGrant, SharingGrant.id == SharingUsage.grant_id)
            .join(CatalogEntry, CatalogEntry.id == SharingGrant.entry_id)
            .join(consumer, consumer.c.id == SharingGrant.department_id)
            .join(provider, provider.c.id == SharingGrant.provider_department_id)
            .group_by(
                SharingGrant.id,
                SharingGrant.kind,
                SharingGrant.state,
                SharingGrant.expires_at,
                CatalogEntry.code,
                CatalogEntry.name,
                CatalogEntry.name_en,
                consumer.c.name,
                consumer.c.name_en,
                provider.c.name,
                provider.c.name_en,
            )
            .order_by(calls.desc(), SharingGrant.id)
            .limit(max(1, min(limit, 500)))
        )
        with self.db.reader() as s:
            out = []
            for r in s.execute(rows):
                state = r.state
                if state == GrantState.ACTIVE.value and r.expires_at <= now:
                    state = GrantState.EXPIRED.value
                out.append(
                    {
                        "grant_id": r.id,
                        "kind": r.kind,
                        "state": state,
                        "entry_code": r.code,
                        "entry_name": r.name,
                        "entry_name_en": r.name_en,
                        "consumer": r.consumer,
                        "consumer_en": r.consumer_en,
                        "provider": r.provider,
                        "provider_en": r.provider_en,
                        "calls": int(r.calls or 0),
                        "rows": int(r.rows or 0),
                    }
                )
            return out

    def _scores(self, only: int | None = None) -> list[DepartmentScore]:
        now = self.clock()
        with self.db.reader() as s:
            query = select(
                Department.id, Department.key, Department.name, Department.name_en
            ).order_by(Department.id)
            if only is not None:
                query = query.where(Department.id == only)
            depts = s.execute(query).all()
            entries = self._entries(s, only)
            received = self._received(s, now, only)
            made = self._per(
                s,
                SharingRequest.consumer_department_id,
                func.count(SharingRequest.id),
                sent_to_provider(),
                only,
            )
            active = (SharingGrant.state == GrantState.ACTIVE.value) & (
                SharingGrant.expires_at > now
            )
            given = self._per(
                s, SharingGrant.provider_department_id, func.count(SharingGrant.id), active, only
            )
            held = self._per(
                s, SharingGrant.department_id, func.count(SharingGrant.id), active, only
            )
            served = self._calls(s, SharingGrant.provider_department_id, only)
            called = self._calls(s, SharingGrant.department_id, only)
            disputes = self._disputes(s, now, only)
        out = []
        for dept_id, key, name, name_en in depts:
            e = entries.get(dept_id, (0, 0, 0, 0, 0))
            r = received.get(dept_id, (0, 0, 0, None, 0, 0))
            d = disputes.get(dept_id, (0, 0, 0, 0))
            total, uncond, cond, none, opened = e
            shareable = uncond + cond
            n_received, answered, on_time, avg_days, pending, overdue = r
            out.append(
                DepartmentScore(
                    department=views.Party(dept_id, key, name, name_en),
                    entries=total,
                    unconditional=uncond,
                    conditional=cond,
                    not_shared=none,
                    open_entries=opened,
                    shareable=shareable,
                    sharing_rate=shareable / total if total else 0.0,
                    requests_received=n_received,
                    answered=answered,
                    answered_on_time=on_time,
                    on_time_rate=_rate(on_time, answered),
                    avg_answer_days=avg_days,
                    pending=pending,
                    overdue=overdue,
                    requests_made=made.get(dept_id, 0),
                    grants_given=given.get(dept_id, 0),
                    grants_held=held.get(dept_id, 0),
                    calls_served=served.get(dept_id, 0),
                    calls_made=called.get(dept_id, 0),
                    disputes_received=d[0],
                    disputes_open=d[1],
                    disputes_overdue=d[2],
                    score=score(
                        entries=total,
                        shareable=shareable,
                        answered_on_time=on_time,
                        answered=answered,
                        overdue=overdue,
                        disputes_received=d[0],
                        disputes_late=d[2] + d[3],
                    ),
                )
            )
        return out

    @staticmethod
    def _entries(s: Session, only: int | None) -> dict[int, tuple[int, int, int, int, int]]:
        query = (
            select(
                CatalogEntry.department_id,
                func.count(CatalogEntry.id),
                _count(CatalogEntry.sharing_type == SharingType.UNCONDITIONAL.value),
                _count(CatalogEntry.sharing_type == SharingType.CONDITIONAL.value),
                _count(CatalogEntry.sharing_type == SharingType.NONE.value),
                _count(CatalogEntry.open_type == OpenType.OPEN.value),
            )
            .where(CatalogEntry.status == EntryStatus.PUBLISHED.value)
            .group_by(CatalogEntry.department_id)
        )
        if only is not None:
            query = query.where(CatalogEntry.department_id == only)
        return {
            int(r[0]): (int(r[1]), int(r[2]), int(r[3]), int(r[4]), int(r[5]))
            for r in s.execute(query)
        }

    @staticmethod
    def _received(
        s: Session, now: datetime, only: int | None
    ) -> dict[int, tuple[int, int, int, float | None, int, int]]:
        req = SharingRequest
        pending = req.state.in_(_PENDING)
        query = (
            select(
                req.provider_department_id,
                func.count(req.id),
                _count(req.answered_at.is_not(None)),
                _count(req.answered_on_time.is_(True)),
                func.avg(case((req.answered_at.is_not(None), req.answer_workdays))),
                _count(pending),
                _count(pending & (req.deadline_at < now)),
            )
            .where(sent_to_provider())
            .group_by(req.provider_department_id)
        )
        if only is not None:
            query = query.where(req.provider_department_id == only)
        return {
            int(r[0]): (
                int(r[1]),
                int(r[2]),
                int(r[3]),
                None if r[4] is None else round(float(r[4]), 2),
                int(r[5]),
                int(r[6]),
            )
            for r in s.execute(query)
        }

    @staticmethod
    def _per(
        s: Session,
        column: Any,
        aggregate: Any,
        condition: ColumnElement[bool],
        only: int | None,
    ) -> Mapping[int, int]:
        query = select(column, aggregate).where(condition).group_by(column)
        if only is not None:
            query = query.where(column == only)
        # A grant to a public user (conditional open data) is held by no department.
        return {int(k): int(v or 0) for k, v in s.execute(query) if k is not None}

    @staticmethod
    def _calls(s: Session, column: Any, only: int | None) -> Mapping[int, int]:
        query = (
            select(column, func.sum(SharingUsage.calls))
            .join(SharingGrant, SharingGrant.id == SharingUsage.grant_id)
            .group_by(column)
        )
        if only is not None:
            query = query.where(column == only)
        return {int(k): int(v or 0) for k, v in s.execute(query) if k is not None}

    @staticmethod
    def _disputes(
        s: Session, now: datetime, only: int | None
    ) -> dict[int, tuple[int, int, int, int]]:
        d = SharingDispute
        is_open = d.state == DisputeState.OPEN.value
        query = select(
            d.provider_department_id,
            func.count(d.id),
            _count(is_open),
            _count(is_open & (d.deadline_at < now)),
            _count(d.answered_at.is_not(None) & (d.answered_at > d.deadline_at)),
        ).group_by(d.provider_department_id)
        if only is not None:
            query = query.where(d.provider_department_id == only)
        return {int(r[0]): (int(r[1]), int(r[2]), int(r[3]), int(r[4])) for r in s.execute(query)}
