"""GrantPolicy: the read policy once the exchange exists — owners, grants, then open data.

Deny by default: a department that holds no live grant reads nothing of another
department's entry unless the entry is open data; a grant shows only its items, only the
rows its filter admits, and its masked items masked. Looked up on every read, so an expiry
or a revocation takes effect on the very next request.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select

from quancheng.catalog.model import EntryStatus, OpenType
from quancheng.datastore.policy import DatasetFacts, ReadDecision, personal_masks
from quancheng.db import Database
from quancheng.db.models import SharingGrant, utcnow
from quancheng.errors import NotAuthenticated, PermissionDenied, RateLimited, ValidationFailed
from quancheng.identity.roles import Permission, Principal
from quancheng.sharing.access import AccessLog
from quancheng.sharing.items import EntryItems, row_filters
from quancheng.sharing.model import GrantState


class GrantPolicy:
    """Owner and platform raw; a consumer through its grant; the public open data, masked."""

    def __init__(
        self, *, db: Database, access: AccessLog, clock: Callable[[], datetime] = utcnow
    ) -> None:
        self.db = db
        self.access = access
        self.clock = clock

    def decide(self, actor: Principal, facts: DatasetFacts) -> ReadDecision:
        """The actor's view of the dataset, or 401/403/429."""
        everything = frozenset(c.name for c in facts.columns)
        if actor.can(Permission.DATA_READ, department_id=facts.department_id):
            basis = "platform" if actor.is_platform_admin else "owner"
            return ReadDecision(columns=everything, basis=basis)
        lapsed: PermissionDenied | None = None
        # Departments read through their grants; a registered public user (no department)
        # through the grant of an approved application for conditional open data.
        if (actor.department_id is not None and actor.can(Permission.DATA_READ)) or (
            actor.department_id is None and actor.user_id is not None
        ):
            grant, lapsed = self._grant(actor, facts)
            if grant is not None:
                return self._through(grant, facts)
        if facts.status == EntryStatus.PUBLISHED and facts.open_type == OpenType.OPEN:
            return ReadDecision(columns=everything, masks=personal_masks(facts), basis="open")
        if lapsed is not None:
            raise lapsed
        if not actor.is_authenticated:
            raise NotAuthenticated("log in or present an API token to read this data")
        raise PermissionDenied(
            "this data is not shared with you: apply for it through the sharing exchange",
            code="data_not_granted",
        )

    def _grant(
        self, actor: Principal, facts: DatasetFacts
    ) -> tuple[SharingGrant | None, PermissionDenied | None]:
        with self.db.reader() as s:
            grants = s.scalars(
                select(SharingGrant)
                .where(
                    SharingGrant.entry_id == facts.entry_id,
                    SharingGrant.department_id == actor.department_id
                    if actor.department_id is not None
                    else SharingGrant.user_id == actor.user_id,
                )
                .order_by(SharingGrant.id.desc())
            ).all()
        now = self.clock()
        live: list[SharingGrant] = []
        lapsed: PermissionDenied | None = None
        for grant in grants:
            # A grant naming applications serves only their tokens (and the department's
            # people in the web pages); one naming none serves the whole department (or, for
            # a public user's grant, the user in the web pages).
            if (
                actor.token_id is not None
                and grant.applications
                and actor.token_id not in grant.applications
            ):
                continue
            if grant.state == GrantState.ACTIVE and grant.starts_at <= now < grant.expires_at:
                live.append(grant)
            elif lapsed is None:
                lapsed = _lapsed(grant, now)
        if not live:
            return None, lapsed
        best = max(live, key=lambda g: (len(g.items), g.id))
        if best.quota_per_day is not None:
            used = self.access.calls_today(best.id)
            if used >= best.quota_per_day:
                raise RateLimited(
                    f"the grant's quota of {best.quota_per_day} calls a day is used up",
                    code="quota_exceeded",
                    details={"grant_id": best.id, "quota_per_day": best.quota_per_day},
                )
        return best, None

    def _through(self, grant: SharingGrant, facts: DatasetFacts) -> ReadDecision:
        known = EntryItems(facts.items, facts.columns)
        try:
            filters = row_filters(known, grant.row_filter)
        except ValidationFailed:
            # The data changed under the filter: deny rather than serve unfiltered rows.
            raise PermissionDenied(
                "the grant's row filter no longer matches the data; ask the provider to renew it",
                code="grant_filter_broken",
                details={"grant_id": grant.id},
            ) from None
        return ReadDecision(
            columns=known.visible_columns(grant.items),
            row_filter=filters,
            masks=known.column_masks(grant.masks),
            basis="grant",
            grant_id=grant.id,
        )


def _lapsed(grant: SharingGrant, now: datetime) -> PermissionDenied:
    state = GrantState(grant.state)
    if state is GrantState.ACTIVE:
        if grant.expires_at <= now:
            state = GrantState.EXPIRED
        else:
            return PermissionDenied(
                "the grant starts later", code="grant_not_started", details={"grant_id": grant.id}
            )
    return PermissionDenied(
        f"your grant for this data is {state.value}",
        code=f"grant_{state.value}",
        details={"grant_id": grant.id, "state": state.value},
    )
