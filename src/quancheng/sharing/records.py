"""What every desk of the exchange shares: dependencies, history rows, ledger events, views."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from quancheng.catalog.model import EntryStatus, SharingType
from quancheng.catalog.service import CatalogService
from quancheng.datastore.service import DatastoreService
from quancheng.db import Database
from quancheng.db.models import (
    ApiToken,
    CatalogEntry,
    Dataset,
    DataVersion,
    Department,
    SharingDispute,
    SharingEvent,
    SharingGrant,
    SharingRequest,
    SharingUsage,
    User,
    utcnow,
)
from quancheng.errors import (
    BadRequest,
    Conflict,
    FieldError,
    NotFound,
    PermissionDenied,
)
from quancheng.identity.roles import Permission, Principal
from quancheng.ledger.canonical import LedgerEvent
from quancheng.ledger.log import Ledger, actor_of
from quancheng.sharing import views
from quancheng.sharing.items import EntryItems
from quancheng.sharing.model import (
    NEEDS_REASON,
    PENDING_STATES,
    Action,
    DisputeState,
    GrantState,
    Party,
    RequestState,
    allowed_actions,
)
from quancheng.sharing.rules import SharingRules

MAX_TEXT = 4000


def sent_to_provider() -> ColumnElement[bool]:
    """Requests the provider has been sent: submitted once, or taken to coordination.

    A draft, and a draft withdrawn before it was ever submitted, stay the consumer's own.
    """
    return SharingRequest.submitted_at.is_not(None) | SharingRequest.coordination.is_(True)


class Records:
    """The exchange's dependencies and the bookkeeping every change goes through."""

    def __init__(
        self,
        *,
        db: Database,
        catalog: CatalogService,
        datastore: DatastoreService,
        ledger: Ledger | None,
        rules: SharingRules,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.db = db
        self.catalog = catalog
        self.datastore = datastore
        self.ledger = ledger
        self.rules = rules
        self.clock = clock

    def _member(self, actor: Principal) -> None:
        """Only departments and the platform authority take part in the exchange."""
        if actor.is_platform_admin:
            return
        if actor.department_id is not None and (
            actor.can(Permission.SHARING_REQUEST) or actor.can(Permission.SHARING_DECIDE)
        ):
            return
        actor.require(Permission.SHARING_REQUEST)

    def entry_items(self, s: Session, entry: CatalogEntry) -> EntryItems:
        """The items of an entry: catalog data items and the columns of its current data."""
        from quancheng.datastore.policy import ItemInfo
        from quancheng.datastore.schema import Column

        columns: list[Column] = []
        version = s.scalar(
            select(DataVersion)
            .join(Dataset, Dataset.current_version_id == DataVersion.id)
            .where(Dataset.entry_id == entry.id)
        )
        if version is not None:
            columns = [Column.from_json(c) for c in version.columns]
        items = [ItemInfo(i.name, i.data_type, i.sensitivity, i.length) for i in entry.items]
        return EntryItems(items, columns)

    def request_form_items(
        self, actor: Principal, dataset_id: int | str
    ) -> list[tuple[str, str, str]]:
        """Items a request form offers: (reference, label, default mask) in the entry's order."""
        self._member(actor)
        with self.db.reader() as s:
            entry = self._entry(s, actor, dataset_id)
            known = self.entry_items(s, entry)
            return [(r.ref, r.label, r.default_mask.value) for r in known.refs.values()]

    def _entry(self, s: Session, actor: Principal, ref: int | str) -> CatalogEntry:
        visible = self.catalog.get(actor, ref)
        entry = s.get_one(CatalogEntry, visible.id)
        if entry.status != EntryStatus.PUBLISHED:
            raise Conflict(
                "only published catalog entries can be shared",
                code="entry_not_published",
                details={"status": entry.status},
            )
        return entry

    def _scope(self, actor: Principal, table: Any, box: str) -> Any:
        consumer = (
            table.consumer_department_id if table is not SharingGrant else table.department_id
        )
        dept = actor.department_id or -1
        provides = table.provider_department_id == dept
        if table is SharingRequest:
            provides = provides & sent_to_provider()
        if box == "mine":
            return consumer == dept
        if box == "inbox":
            if actor.is_platform_admin and actor.department_id is None:
                return None
            return provides
        if box != "all":
            raise BadRequest(f"unknown box {box!r}; use mine, inbox or all", code="unknown_box")
        if actor.is_platform_admin:
            return None
        return or_(consumer == dept, provides)

    def _parties(self, actor: Principal, req: SharingRequest) -> frozenset[Party]:
        parties: set[Party] = set()
        if actor.is_platform_admin:
            parties.add(Party.PLATFORM)
        if actor.department_id == req.consumer_department_id and actor.can(
            Permission.SHARING_REQUEST
        ):
            parties.add(Party.CONSUMER)
        if actor.department_id == req.provider_department_id and actor.can(
            Permission.SHARING_DECIDE
        ):
            parties.add(Party.PROVIDER)
        return frozenset(parties)

    def _consumer_department(self, s: Session, actor: Principal, department: int | None) -> int:
        if department is not None and department != actor.department_id:
            if not actor.is_platform_admin:
                raise PermissionDenied("you can only request for your own department")
            if s.get(Department, department) is None:
                raise NotFound(f"no department {department}")
            return department
        if actor.department_id is None:
            raise BadRequest(
                "requests are made by a department; name the requesting department",
                code="department_required",
            )
        return actor.department_id

    def _applications(
        self, s: Session, department_id: int, ids: Sequence[int], problems: list[FieldError]
    ) -> list[int]:
        """API tokens named by a request must be live tokens of the consumer department."""
        wanted = sorted({int(i) for i in ids})
        if not wanted:
            return []
        rows = s.execute(
            select(ApiToken.id, ApiToken.revoked_at, ApiToken.expires_at, User.department_id)
            .join(User, User.id == ApiToken.user_id)
            .where(ApiToken.id.in_(wanted))
        ).all()
        now = self.clock()
        good = {
            r.id
            for r in rows
            if r.department_id == department_id and r.revoked_at is None and r.expires_at > now
        }
        for token_id in wanted:
            if token_id not in good:
                problems.append(
                    FieldError(
                        "applications",
                        "unknown_application",
                        f"{token_id} is not a live API token of the requesting department",
                    )
                )
        return wanted

    def grant_state(self, grant: SharingGrant) -> GrantState:
        """The grant's state now: an active grant past its expiry is expired."""
        state = GrantState(grant.state)
        if state is GrantState.ACTIVE and grant.expires_at <= self.clock():
            return GrantState.EXPIRED
        return state

    def _grant(
        self, s: Session, actor: Principal, grant_id: int, *, lock: bool = False
    ) -> SharingGrant:
        query = select(SharingGrant).where(SharingGrant.id == grant_id)
        if lock:
            query = query.with_for_update()
        grant = s.scalar(query)
        if grant is None or not (
            actor.is_platform_admin
            or actor.department_id in (grant.department_id, grant.provider_department_id)
        ):
            if not actor.is_authenticated:
                actor.require(Permission.DATA_READ)
            raise NotFound(f"no grant {grant_id}", details={"id": grant_id})
        return grant

    def _end_grants(
        self, s: Session, actor: Principal, request_id: int, state: GrantState, reason: str
    ) -> None:
        for grant in s.scalars(
            select(SharingGrant).where(
                SharingGrant.request_id == request_id,
                SharingGrant.state == GrantState.ACTIVE.value,
            )
        ):
            self._end(s, actor, grant, state, reason)

    def _end(
        self,
        s: Session,
        actor: Principal | None,
        grant: SharingGrant,
        state: GrantState,
        reason: str,
    ) -> None:
        grant.state = state.value
        grant.ended_at = self.clock()
        grant.ended_by = actor.user_id if actor is not None else None
        grant.end_reason = reason[:MAX_TEXT]
        self._history_grant(s, actor, grant, state.value, reason)
        self._record_grant(s, actor, grant, state.value)

    def _event(
        self,
        s: Session,
        actor: Principal | None,
        action: str,
        *,
        request_id: int | None = None,
        grant_id: int | None = None,
        dispute_id: int | None = None,
        before: str | None = None,
        after: str | None = None,
        note: str = "",
    ) -> None:
        """One row of the history both sides see."""
        s.add(
            SharingEvent(
                request_id=request_id,
                grant_id=grant_id,
                dispute_id=dispute_id,
                action=action,
                from_state=before,
                to_state=after,
                note=note[:MAX_TEXT],
                actor_id=actor.user_id if actor else None,
                actor_department_id=actor.department_id if actor else None,
                at=self.clock(),
            )
        )

    def _history(
        self,
        s: Session,
        actor: Principal | None,
        req: SharingRequest,
        action: str,
        before: RequestState | None,
        after: RequestState | None,
        note: str,
    ) -> None:
        self._event(
            s,
            actor,
            action,
            request_id=req.id,
            before=before.value if before else None,
            after=after.value if after else None,
            note=note,
        )

    def _history_grant(
        self, s: Session, actor: Principal | None, grant: SharingGrant, action: str, note: str
    ) -> None:
        self._event(
            s,
            actor,
            f"grant_{action}",
            request_id=grant.request_id,
            grant_id=grant.id,
            after=grant.state,
            note=note,
        )

    def _history_dispute(
        self,
        s: Session,
        actor: Principal | None,
        dispute: SharingDispute,
        action: str,
        before: DisputeState | None,
        after: DisputeState,
        note: str,
    ) -> None:
        self._event(
            s,
            actor,
            f"dispute_{action}",
            grant_id=dispute.grant_id,
            dispute_id=dispute.id,
            before=before.value if before else None,
            after=after.value,
            note=note,
        )

    def _record(
        self,
        s: Session,
        actor: Principal | None,
        kind: str,
        subject: dict[str, Any],
        details: dict[str, Any],
    ) -> None:
        if self.ledger is None:
            return
        self.ledger.record(
            s,
            LedgerEvent(
                type=kind,
                time=self.clock(),
                actor=actor_of(s, actor),
                subject=subject,
                details=details,
            ),
        )

    def _keys(self, s: Session, *department_ids: int) -> list[str]:
        return [s.get_one(Department, d).key for d in department_ids]

    def _record_request(
        self, s: Session, actor: Principal | None, req: SharingRequest, action: str
    ) -> None:
        entry = s.get_one(CatalogEntry, req.entry_id)
        consumer, provider = self._keys(s, req.consumer_department_id, req.provider_department_id)
        details: dict[str, Any] = {
            "state": req.state,
            "entry": entry.code,
            "consumer": consumer,
            "provider": provider,
            "items": list(req.items),
        }
        if req.reason and action in (a.value for a in NEEDS_REASON):
            details["reason"] = req.reason
        if req.deadline_at is not None:
            details["deadline"] = req.deadline_at.isoformat()
        self._record(
            s,
            actor,
            f"sharing.request.{action}",
            {"kind": "sharing_request", "id": str(req.id)},
            details,
        )

    def _record_grant(
        self, s: Session, actor: Principal | None, grant: SharingGrant, action: str
    ) -> None:
        entry = s.get_one(CatalogEntry, grant.entry_id)
        (provider,) = self._keys(s, grant.provider_department_id)
        consumer = (
            self._keys(s, grant.department_id)[0]
            if grant.department_id is not None
            else f"user:{grant.user_id}"
        )
        details: dict[str, Any] = {
            "state": grant.state,
            "entry": entry.code,
            "consumer": consumer,
            "provider": provider,
            "items": list(grant.items),
            "masks": dict(grant.masks),
            "row_filter": [list(f) for f in grant.row_filter],
            "expires": grant.expires_at.isoformat(),
        }
        if grant.request_id is not None:
            details["request"] = grant.request_id
        if grant.end_reason:
            details["reason"] = grant.end_reason
        self._record(
            s,
            actor,
            f"sharing.grant.{action}",
            {"kind": "sharing_grant", "id": str(grant.id)},
            details,
        )

    def _record_dispute(
        self, s: Session, actor: Principal | None, dispute: SharingDispute, action: str
    ) -> None:
        entry = s.get_one(CatalogEntry, dispute.entry_id)
        details: dict[str, Any] = {"state": dispute.state, "entry": entry.code}
        if dispute.data_version is not None:
            details["data_version"] = dispute.data_version
        if dispute.corrected_version is not None:
            details["corrected_version"] = dispute.corrected_version
        self._record(
            s,
            actor,
            f"sharing.dispute.{action}",
            {"kind": "sharing_dispute", "id": str(dispute.id)},
            details,
        )

    def _consumer(self, s: Session, grant: SharingGrant) -> views.Party:
        if grant.department_id is not None:
            return self._party(s, grant.department_id)
        # Conditional open data: a registered public user holds the grant.
        user = s.get_one(User, grant.user_id)
        return views.Party(0, f"user:{user.id}", user.display_name or user.username, "")

    def _party(self, s: Session, department_id: int) -> views.Party:
        dept = s.get_one(Department, department_id)
        return views.Party(dept.id, dept.key, dept.name, dept.name_en)

    def _entry_ref(self, s: Session, entry_id: int) -> views.EntryRef:
        entry = s.get_one(CatalogEntry, entry_id)
        return views.EntryRef(entry.id, entry.code, entry.name, entry.sharing_type, entry.name_en)

    def _events(self, s: Session, column: Any, ident: int) -> tuple[views.EventView, ...]:
        rows = s.execute(
            select(SharingEvent, User, Department)
            .outerjoin(User, User.id == SharingEvent.actor_id)
            .outerjoin(Department, Department.id == SharingEvent.actor_department_id)
            .where(column == ident)
            .order_by(SharingEvent.id)
        ).all()
        return tuple(
            views.EventView(
                action=ev.action,
                from_state=ev.from_state,
                to_state=ev.to_state,
                note=ev.note,
                actor=user.username if user else "platform",
                department=dept.key if dept else None,
                at=ev.at,
                actor_name=(user.display_name or user.username) if user else "",
                actor_department=views.Party(dept.id, dept.key, dept.name, dept.name_en)
                if dept
                else None,
            )
            for ev, user, dept in rows
        )

    def _request_view(
        self, s: Session, actor: Principal, req: SharingRequest, *, with_events: bool = False
    ) -> views.RequestView:
        state = RequestState(req.state)
        now = self.clock()
        grant_id = s.scalar(
            select(SharingGrant.id)
            .where(SharingGrant.request_id == req.id)
            .order_by(SharingGrant.id.desc())
            .limit(1)
        )
        entry = self._entry_ref(s, req.entry_id)
        actions = allowed_actions(
            state,
            self._parties(actor, req),
            compliance_check=self.rules.compliance_check,
            final=req.final,
        )
        if state is RequestState.DRAFT and entry.sharing_type != SharingType.NONE:
            # The authority takes a draft to coordination only for a 不予共享 entry.
            actions = [a for a in actions if a is not Action.COORDINATE]
        return views.RequestView(
            id=req.id,
            entry=entry,
            consumer=self._party(s, req.consumer_department_id),
            provider=self._party(s, req.provider_department_id),
            state=state,
            purpose=req.purpose,
            scenario=req.scenario,
            legal_basis=req.legal_basis,
            items=tuple(req.items),
            period_days=req.period_days,
            applications=tuple(req.applications),
            coordination=req.coordination,
            final=req.final,
            reason=req.reason,
            deadline_at=req.deadline_at,
            overdue=state in PENDING_STATES
            and req.deadline_at is not None
            and req.deadline_at < now,
            escalated=req.escalated_at is not None,
            submitted_at=req.submitted_at,
            answered_at=req.answered_at,
            answered_on_time=req.answered_on_time,
            created_at=req.created_at,
            updated_at=req.updated_at,
            grant_id=grant_id,
            actions=tuple(actions),
            events=self._events(s, SharingEvent.request_id, req.id) if with_events else (),
        )

    def _grant_view(
        self, s: Session, grant: SharingGrant, *, with_events: bool = False
    ) -> views.GrantView:
        today = self.clock().astimezone(self.rules.tz).date().isoformat()
        calls_today = s.scalar(
            select(SharingUsage.calls).where(
                SharingUsage.grant_id == grant.id, SharingUsage.day == today
            )
        )
        calls_total = s.scalar(
            select(func.sum(SharingUsage.calls)).where(SharingUsage.grant_id == grant.id)
        )
        return views.GrantView(
            id=grant.id,
            request_id=grant.request_id,
            entry=self._entry_ref(s, grant.entry_id),
            department=self._consumer(s, grant),
            provider=self._party(s, grant.provider_department_id),
            kind=grant.kind,
            items=tuple(grant.items),
            masks=dict(grant.masks),
            row_filter=tuple((str(a), str(b), str(c)) for a, b, c in grant.row_filter),
            applications=tuple(grant.applications),
            purpose=grant.purpose,
            quota_per_day=grant.quota_per_day,
            state=self.grant_state(grant),
            starts_at=grant.starts_at,
            expires_at=grant.expires_at,
            ended_at=grant.ended_at,
            end_reason=grant.end_reason,
            created_at=grant.created_at,
            calls_today=int(calls_today or 0),
            calls_total=int(calls_total or 0),
            events=self._events(s, SharingEvent.grant_id, grant.id) if with_events else (),
        )

    def _dispute_view(
        self, s: Session, dispute: SharingDispute, *, with_events: bool = False
    ) -> views.DisputeView:
        state = DisputeState(dispute.state)
        return views.DisputeView(
            id=dispute.id,
            grant_id=dispute.grant_id,
            entry=self._entry_ref(s, dispute.entry_id),
            consumer=self._party(s, dispute.consumer_department_id),
            provider=self._party(s, dispute.provider_department_id),
            description=dispute.description,
            cells=tuple(dispute.cells),
            data_version=dispute.data_version,
            state=state,
            deadline_at=dispute.deadline_at,
            overdue=state is DisputeState.OPEN and dispute.deadline_at < self.clock(),
            answer=dispute.answer,
            corrected_version=dispute.corrected_version,
            answered_at=dispute.answered_at,
            created_at=dispute.created_at,
            events=self._events(s, SharingEvent.dispute_id, dispute.id) if with_events else (),
        )
