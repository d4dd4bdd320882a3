"""Sharing requests: drafts, submission, the compliance check, decisions and their grants."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from quancheng.catalog.model import EntryStatus, SharingType
from quancheng.db.models import (
    CatalogEntry,
    SharingGrant,
    SharingRequest,
)
from quancheng.errors import (
    BadRequest,
    Conflict,
    FieldError,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from quancheng.identity.roles import Permission, Principal
from quancheng.sharing import views
from quancheng.sharing.items import parse_masking, parse_row_filter, row_filters
from quancheng.sharing.model import (
    GRANTED_STATES,
    NEEDS_REASON,
    PENDING_STATES,
    Action,
    GrantKind,
    GrantState,
    Party,
    RequestState,
    next_state,
)
from quancheng.sharing.records import MAX_TEXT, Records


class RequestDesk(Records):
    """Consumers ask, the platform checks, providers decide, the platform coordinates."""

    def create_request(
        self,
        actor: Principal,
        *,
        dataset_id: int | str,
        purpose: str,
        items: Sequence[str],
        period_days: int,
        scenario: str = "",
        legal_basis: str = "",
        applications: Sequence[int] = (),
        department: int | None = None,
    ) -> views.RequestView:
        """Draft a request for an entry; `submit` sends it on."""
        self._member(actor)
        actor.require(Permission.SHARING_REQUEST)
        with self.db.transaction() as s:
            entry = self._entry(s, actor, dataset_id)
            consumer_id = self._consumer_department(s, actor, department)
            if consumer_id == entry.department_id:
                raise Conflict(
                    "a department reads its own data directly; no request is needed",
                    code="own_entry",
                )
            if entry.sharing_type == SharingType.UNCONDITIONAL:
                raise Conflict(
                    "this entry is shared unconditionally: subscribe to it instead",
                    code="use_subscription",
                )
            fields = self._request_fields(
                s,
                entry,
                consumer_id,
                purpose=purpose,
                scenario=scenario,
                legal_basis=legal_basis,
                items=items,
                period_days=period_days,
                applications=applications,
            )
            now = self.clock()
            req = SharingRequest(
                entry_id=entry.id,
                consumer_department_id=consumer_id,
                provider_department_id=entry.department_id,
                requested_by=actor.user_id,
                state=RequestState.DRAFT.value,
                created_at=now,
                updated_at=now,
                **fields,
            )
            s.add(req)
            s.flush()
            self._history(s, actor, req, "created", None, RequestState.DRAFT, "")
            self._record_request(s, actor, req, "created")
            return self._request_view(s, actor, req, with_events=True)

    def update_request(
        self, actor: Principal, request_id: int, **changes: Any
    ) -> views.RequestView:
        """Change a draft or a returned request (purpose, items, period …) before submitting."""
        self._member(actor)
        with self.db.transaction() as s:
            req = self._request(s, actor, request_id)
            if Party.CONSUMER not in self._parties(actor, req):
                raise PermissionDenied("only the requesting department may change a request")
            if req.state not in (RequestState.DRAFT, RequestState.RETURNED):
                raise InvalidTransition(
                    f"a request that is {req.state} cannot be changed",
                    details={"state": req.state},
                )
            entry = s.get_one(CatalogEntry, req.entry_id)
            current: dict[str, Any] = {
                "purpose": req.purpose,
                "scenario": req.scenario,
                "legal_basis": req.legal_basis,
                "items": req.items,
                "period_days": req.period_days,
                "applications": req.applications,
            }
            unknown = set(changes) - set(current)
            if unknown:
                raise BadRequest(f"cannot change {', '.join(sorted(unknown))}")
            current.update({k: v for k, v in changes.items() if v is not None})
            fields = self._request_fields(s, entry, req.consumer_department_id, **current)
            for key, value in fields.items():
                setattr(req, key, value)
            req.updated_at = self.clock()
            self._history(s, actor, req, "updated", None, None, "")
            return self._request_view(s, actor, req, with_events=True)

    def _request_fields(
        self,
        s: Session,
        entry: CatalogEntry,
        consumer_id: int,
        *,
        purpose: str,
        scenario: str,
        legal_basis: str,
        items: Sequence[str],
        period_days: int,
        applications: Sequence[int],
    ) -> dict[str, Any]:
        problems: list[FieldError] = []
        purpose = (purpose or "").strip()
        if not purpose:
            problems.append(FieldError("purpose", "required", "state the purpose of the request"))
        for name, text in (
            ("purpose", purpose),
            ("scenario", scenario),
            ("legal_basis", legal_basis),
        ):
            if len(text or "") > MAX_TEXT:
                problems.append(FieldError(name, "too_long", f"at most {MAX_TEXT} characters"))
        if not items:
            problems.append(FieldError("items", "required", "name the data items you need"))
        if not 1 <= int(period_days) <= self.rules.max_period_days:
            problems.append(
                FieldError(
                    "period_days",
                    "out_of_range",
                    f"between 1 and {self.rules.max_period_days} days",
                )
            )
        apps = self._applications(s, consumer_id, applications, problems)
        if problems:
            raise ValidationFailed("the request is not valid", errors=problems)
        refs = self.entry_items(s, entry).resolve(items)
        return {
            "purpose": purpose,
            "scenario": (scenario or "").strip(),
            "legal_basis": (legal_basis or "").strip(),
            "items": refs,
            "period_days": int(period_days),
            "applications": apps,
        }

    def act(
        self,
        actor: Principal,
        request_id: int,
        action: Action,
        *,
        reason: str = "",
        items: Sequence[str] | None = None,
        masking: Mapping[str, str] | None = None,
        row_filter: Mapping[str, object] | None = None,
        starts_at: datetime | None = None,
        expires_at: datetime | None = None,
        quota_per_day: int | None = None,
    ) -> views.RequestView:
        """Take one step on a request: submit, pass, return, decide, negotiate, coordinate …"""
        self._member(actor)
        with self.db.transaction() as s:
            req = self._request(s, actor, request_id, lock=True)
            parties = self._parties(actor, req)
            if not parties:
                raise PermissionDenied("you take no part in this request", code="not_a_party")
            state = RequestState(req.state)
            entry = s.get_one(CatalogEntry, req.entry_id)
            step = next_state(
                state,
                action,
                parties,
                compliance_check=self.rules.compliance_check,
                final=req.final,
            )
            reason = (reason or "").strip()
            if action in NEEDS_REASON and not reason:
                raise ValidationFailed(
                    "give a reason",
                    errors=[FieldError("reason", "required", f"{action.value} needs a reason")],
                )
            if len(reason) > MAX_TEXT:
                raise ValidationFailed(
                    "the reason is too long",
                    errors=[FieldError("reason", "too_long", f"at most {MAX_TEXT} characters")],
                )
            if action is Action.COORDINATE and state is RequestState.DRAFT:
                _coordinated_draft(entry)
            if action is Action.SUBMIT and entry.sharing_type == SharingType.NONE:
                raise Conflict(
                    "this entry is not shared (不予共享); only the platform authority can open a "
                    "coordination case for it",
                    code="not_shareable",
                    details={"legal_basis": entry.legal_basis},
                )
            if entry.status != EntryStatus.PUBLISHED and action in (
                Action.SUBMIT,
                Action.APPROVE,
                Action.PARTIAL,
            ):
                raise Conflict("the entry is no longer published", code="entry_not_published")
            now = self.clock()
            grant: SharingGrant | None = None
            if action in (Action.APPROVE, Action.PARTIAL):
                grant = self._grant_from_decision(
                    s,
                    actor,
                    req,
                    entry,
                    partial=action is Action.PARTIAL,
                    items=items,
                    masking=masking,
                    row_filter=row_filter,
                    starts_at=starts_at,
                    expires_at=expires_at,
                    quota_per_day=quota_per_day,
                )
            elif items or masking or row_filter or starts_at or expires_at or quota_per_day:
                raise BadRequest(
                    "items, masking, row_filter, starts_at, expires_at and quota_per_day belong "
                    "to approvals only",
                    code="not_a_decision",
                )
            if action is Action.WITHDRAW and state in GRANTED_STATES:
                self._end_grants(s, actor, req.id, GrantState.WITHDRAWN, reason or "withdrawn")
            self._answered(req, state, step.target, now)
            if action is Action.SUBMIT:
                req.submitted_at = now
            if action is Action.COORDINATE:
                req.coordination = True
            req.final = req.final or step.final
            if reason:
                req.reason = reason
            req.state = step.target.value
            days = self.rules.days_for(step.target)
            req.deadline_at = self.rules.deadline(now, days) if days else None
            req.pending_since = now if days else None
            req.escalated_at = None
            req.updated_at = now
            self._history(s, actor, req, action.value, state, step.target, reason)
            self._record_request(s, actor, req, action.value)
            if grant is not None:
                self._history_grant(s, actor, grant, "created", "")
                self._record_grant(s, actor, grant, "created")
            return self._request_view(s, actor, req, with_events=True)

    def _answered(
        self, req: SharingRequest, state: RequestState, target: RequestState, now: datetime
    ) -> None:
        """The provider's first answer is what timeliness is measured on."""
        if state is not RequestState.PENDING_PROVIDER or req.answered_at is not None:
            return
        if target not in (
            RequestState.APPROVED,
            RequestState.PARTIALLY_APPROVED,
            RequestState.REJECTED,
            RequestState.RETURNED,
        ):
            return
        req.answered_at = now
        req.answered_on_time = req.deadline_at is None or now <= req.deadline_at
        if req.pending_since is not None:
            req.answer_workdays = self.rules.workdays(req.pending_since, now)

    def _grant_from_decision(
        self,
        s: Session,
        actor: Principal,
        req: SharingRequest,
        entry: CatalogEntry,
        *,
        partial: bool,
        items: Sequence[str] | None,
        masking: Mapping[str, str] | None,
        row_filter: Mapping[str, object] | None,
        starts_at: datetime | None,
        expires_at: datetime | None,
        quota_per_day: int | None,
    ) -> SharingGrant:
        known = self.entry_items(s, entry)
        requested = list(req.items)
        granted = known.resolve(items, field="items") if items else requested
        outside = [i for i in granted if i not in requested]
        if outside:
            raise ValidationFailed(
                "only requested items can be granted",
                errors=[FieldError("items", "not_requested", i) for i in outside],
            )
        if partial and (not items or set(granted) == set(requested)):
            raise ValidationFailed(
                "a partial approval names a subset of the requested items",
                errors=[FieldError("items", "not_a_subset", "pick fewer items than requested")],
            )
        if not partial and set(granted) != set(requested):
            raise ValidationFailed(
                "an approval grants every requested item; use decision=partial for a subset",
                errors=[FieldError("items", "not_all", "use partial")],
            )
        masks = parse_masking(known, granted, masking)
        stored_filter = parse_row_filter(known, granted, row_filter, masks=masks)
        row_filters(known, stored_filter)  # values must fit the columns' types now
        now = self.clock()
        for name, moment in (("starts_at", starts_at), ("expires_at", expires_at)):
            if moment is not None and moment.tzinfo is None:
                raise ValidationFailed(
                    f"{name} needs a time zone",
                    errors=[FieldError(name, "naive", "give an offset, e.g. +08:00")],
                )
        start = now
        if starts_at is not None:
            # A grant may start later (the consumer's system goes live then), never earlier.
            if not now - timedelta(minutes=5) <= starts_at <= now + timedelta(days=366):
                raise ValidationFailed(
                    "starts_at must be from now to a year ahead",
                    errors=[FieldError("starts_at", "out_of_range", now.isoformat())],
                )
            start = max(now, starts_at)
        latest = start + timedelta(days=req.period_days)
        if expires_at is not None and not start < expires_at <= latest + timedelta(days=1):
            raise ValidationFailed(
                "expires_at must be after the start and within the requested period",
                errors=[FieldError("expires_at", "out_of_range", latest.isoformat())],
            )
        if quota_per_day is not None and quota_per_day < 1:
            raise ValidationFailed(
                "the quota is calls per day",
                errors=[FieldError("quota_per_day", "out_of_range", "at least 1")],
            )
        grant = SharingGrant(
            request_id=req.id,
            entry_id=entry.id,
            department_id=req.consumer_department_id,
            provider_department_id=req.provider_department_id,
            kind=GrantKind.REQUEST.value,
            items=granted,
            masks=masks,
            row_filter=stored_filter,
            applications=list(req.applications),
            purpose=req.purpose,
            quota_per_day=quota_per_day,
            state=GrantState.ACTIVE.value,
            starts_at=start,
            expires_at=expires_at or latest,
            created_by=actor.user_id,
            created_at=now,
        )
        s.add(grant)
        s.flush()
        return grant

    def request(self, actor: Principal, request_id: int) -> views.RequestView:
        """One request the actor takes part in, with its history."""
        self._member(actor)
        with self.db.reader() as s:
            req = self._request(s, actor, request_id)
            return self._request_view(s, actor, req, with_events=True)

    def requests(
        self,
        actor: Principal,
        *,
        box: str = "all",
        state: str | None = None,
        overdue: bool | None = None,
        dataset_id: int | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[list[views.RequestView], int]:
        """Requests the actor sees: `mine` (as consumer), `inbox` (as provider) or `all`."""
        self._member(actor)
        query = select(SharingRequest)
        scope = self._scope(actor, SharingRequest, box)
        if scope is not None:
            query = query.where(scope)
        if state:
            try:
                query = query.where(SharingRequest.state == RequestState(state).value)
            except ValueError:
                raise BadRequest(
                    f"unknown state {state!r}",
                    code="unknown_state",
                    details={"states": [s.value for s in RequestState]},
                ) from None
        if dataset_id is not None:
            query = query.where(SharingRequest.entry_id == dataset_id)
        if overdue is not None:
            late = (SharingRequest.state.in_([p.value for p in PENDING_STATES])) & (
                SharingRequest.deadline_at < self.clock()
            )
            query = query.where(late if overdue else ~late)
        with self.db.reader() as s:
            total = int(s.scalar(select(func.count()).select_from(query.subquery())) or 0)
            rows = s.scalars(
                query.order_by(SharingRequest.updated_at.desc(), SharingRequest.id.desc())
                .limit(max(1, min(limit, 500)))
                .offset(max(0, offset))
            ).all()
            return [self._request_view(s, actor, r) for r in rows], total

    def _request(
        self, s: Session, actor: Principal, request_id: int, *, lock: bool = False
    ) -> SharingRequest:
        query = select(SharingRequest).where(SharingRequest.id == request_id)
        if lock:
            query = query.with_for_update()
        req = s.scalar(query)
        sent = req is not None and (req.submitted_at is not None or req.coordination)
        if req is None or not (
            actor.is_platform_admin
            or actor.department_id == req.consumer_department_id
            or (actor.department_id == req.provider_department_id and sent)
        ):
            raise NotFound(f"no sharing request {request_id}", details={"id": request_id})
        return req


def _coordinated_draft(entry: CatalogEntry) -> None:
    """A draft goes to coordination only for a 不予共享 entry; any other is submitted."""
    if entry.sharing_type != SharingType.NONE:
        raise Conflict(
            "only a request for an entry that is not shared (不予共享) goes from draft to "
            "coordination; the requesting department submits any other to its provider",
            code="draft_not_coordinated",
            details={"sharing_type": entry.sharing_type},
        )
