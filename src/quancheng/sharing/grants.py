"""Grants: subscriptions to unconditional entries, listing, usage and revocation."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import func, or_, select

from quancheng.catalog.model import SharingType
from quancheng.db.models import (
    SharingGrant,
    SharingUsage,
)
from quancheng.errors import (
    BadRequest,
    Conflict,
    FieldError,
    InvalidTransition,
    PermissionDenied,
    ValidationFailed,
)
from quancheng.identity.roles import Permission, Principal
from quancheng.sharing import views
from quancheng.sharing.model import (
    GrantKind,
    GrantState,
)
from quancheng.sharing.records import MAX_TEXT, Records


class GrantDesk(Records):
    """What consumer departments hold, and how providers end it."""

    def subscribe(
        self,
        actor: Principal,
        *,
        dataset_id: int | str,
        purpose: str,
        items: Sequence[str] | None = None,
        applications: Sequence[int] = (),
        department: int | None = None,
    ) -> views.GrantView:
        """Get an unconditional entry at once, for a stated purpose, as a grant."""
        self._member(actor)
        actor.require(Permission.SHARING_REQUEST)
        with self.db.transaction() as s:
            entry = self._entry(s, actor, dataset_id)
            consumer_id = self._consumer_department(s, actor, department)
            if entry.sharing_type != SharingType.UNCONDITIONAL:
                raise Conflict(
                    "only unconditional entries can be subscribed to; send a request instead",
                    code="use_request",
                    details={"sharing_type": entry.sharing_type},
                )
            if consumer_id == entry.department_id:
                raise Conflict("a department reads its own data directly", code="own_entry")
            purpose = (purpose or "").strip()
            problems: list[FieldError] = []
            if not purpose:
                problems.append(FieldError("purpose", "required", "state the purpose"))
            apps = self._applications(s, consumer_id, applications, problems)
            if problems:
                raise ValidationFailed("the subscription is not valid", errors=problems)
            known = self.entry_items(s, entry)
            refs = known.resolve(items) if items else list(known.refs)
            now = self.clock()
            grant = SharingGrant(
                entry_id=entry.id,
                department_id=consumer_id,
                provider_department_id=entry.department_id,
                kind=GrantKind.SUBSCRIPTION.value,
                items=refs,
                masks=known.default_masks(refs),
                row_filter=[],
                applications=apps,
                purpose=purpose[:MAX_TEXT],
                state=GrantState.ACTIVE.value,
                starts_at=now,
                expires_at=now + timedelta(days=self.rules.subscription_days),
                created_by=actor.user_id,
                created_at=now,
            )
            s.add(grant)
            s.flush()
            self._history_grant(s, actor, grant, "subscribed", purpose)
            self._record_grant(s, actor, grant, "created")
            return self._grant_view(s, grant, with_events=True)

    def grants(
        self,
        actor: Principal,
        *,
        box: str = "all",
        state: str | None = None,
        dataset_id: int | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[list[views.GrantView], int]:
        """Grants the actor's department holds (`mine`), gave (`inbox`), or all it sees."""
        self._member(actor)
        query = select(SharingGrant)
        scope = self._scope(actor, SharingGrant, box)
        if scope is not None:
            query = query.where(scope)
        now = self.clock()
        if state:
            try:
                wanted = GrantState(state)
            except ValueError:
                raise BadRequest(f"unknown state {state!r}", code="unknown_state") from None
            if wanted is GrantState.ACTIVE:
                query = query.where(
                    SharingGrant.state == GrantState.ACTIVE.value, SharingGrant.expires_at > now
                )
            elif wanted is GrantState.EXPIRED:
                query = query.where(
                    or_(
                        SharingGrant.state == GrantState.EXPIRED.value,
                        (SharingGrant.state == GrantState.ACTIVE.value)
                        & (SharingGrant.expires_at <= now),
                    )
                )
            else:
                query = query.where(SharingGrant.state == wanted.value)
        if dataset_id is not None:
            query = query.where(SharingGrant.entry_id == dataset_id)
        with self.db.reader() as s:
            total = int(s.scalar(select(func.count()).select_from(query.subquery())) or 0)
            rows = s.scalars(
                query.order_by(SharingGrant.id.desc())
                .limit(max(1, min(limit, 500)))
                .offset(max(0, offset))
            ).all()
            return [self._grant_view(s, g) for g in rows], total

    def grant(self, actor: Principal, grant_id: int) -> views.GrantView:
        """One grant the actor's department holds or gave, with its history."""
        self._member(actor)
        with self.db.reader() as s:
            grant = self._grant(s, actor, grant_id)
            return self._grant_view(s, grant, with_events=True)

    def usage(
        self, actor: Principal, grant_id: int, *, days: int = 30
    ) -> list[tuple[str, int, int]]:
        """Calls and rows per day through a grant, oldest first (days without reads omitted)."""
        self._member(actor)
        with self.db.reader() as s:
            self._grant(s, actor, grant_id)
            since = (self.clock() - timedelta(days=days)).astimezone(self.rules.tz).date()
            rows = s.execute(
                select(SharingUsage.day, SharingUsage.calls, SharingUsage.rows)
                .where(SharingUsage.grant_id == grant_id, SharingUsage.day >= since.isoformat())
                .order_by(SharingUsage.day)
            ).all()
            return [(r.day, int(r.calls), int(r.rows)) for r in rows]

    def revoke(self, actor: Principal, grant_id: int, *, reason: str) -> views.GrantView:
        """End a grant now: the provider or the platform authority, with a reason."""
        self._member(actor)
        reason = (reason or "").strip()
        if not reason:
            raise ValidationFailed(
                "give a reason", errors=[FieldError("reason", "required", "say why")]
            )
        with self.db.transaction() as s:
            grant = self._grant(s, actor, grant_id, lock=True)
            provider = actor.department_id == grant.provider_department_id and actor.can(
                Permission.SHARING_DECIDE
            )
            if not (provider or actor.is_platform_admin):
                raise PermissionDenied(
                    "only the providing department or the platform authority may revoke a grant",
                    code="not_your_decision",
                )
            if self.grant_state(grant) is not GrantState.ACTIVE:
                raise InvalidTransition(
                    f"the grant is already {self.grant_state(grant).value}",
                    details={"state": self.grant_state(grant).value},
                )
            self._end(s, actor, grant, GrantState.REVOKED, reason)
            return self._grant_view(s, grant, with_events=True)
