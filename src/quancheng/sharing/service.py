"""SharingService: requests and their decisions, subscriptions, grants and disputes.

Every change happens in one metadata transaction together with its history row and its
ledger event, so what the workbench shows, what the policy enforces and what the ledger
proves never disagree.
"""

from __future__ import annotations

from sqlalchemy import select

from quancheng.db.models import (
    SharingGrant,
    SharingRequest,
)
from quancheng.sharing.disputes import DisputeDesk
from quancheng.sharing.grants import GrantDesk
from quancheng.sharing.model import (
    PENDING_STATES,
    GrantState,
)
from quancheng.sharing.requests import RequestDesk


class SharingService(RequestDesk, GrantDesk, DisputeDesk):
    """The exchange: consumers ask, providers decide, the platform checks and coordinates."""

    def sweep(self) -> dict[str, int]:
        """Expire grants past their end and escalate overdue requests (recorded once each)."""
        now = self.clock()
        counts = {"expired": 0, "escalated": 0}
        with self.db.transaction() as s:
            for grant in s.scalars(
                select(SharingGrant).where(
                    SharingGrant.state == GrantState.ACTIVE.value, SharingGrant.expires_at <= now
                )
            ):
                grant.state = GrantState.EXPIRED.value
                grant.ended_at = grant.expires_at
                self._history_grant(s, None, grant, "expired", "")
                self._record_grant(s, None, grant, "expired")
                counts["expired"] += 1
            for req in s.scalars(
                select(SharingRequest).where(
                    SharingRequest.state.in_([p.value for p in PENDING_STATES]),
                    SharingRequest.deadline_at < now,
                    SharingRequest.escalated_at.is_(None),
                )
            ):
                req.escalated_at = now
                self._history(s, None, req, "overdue", None, None, "escalated to the platform")
                self._record_request(s, None, req, "overdue")
                counts["escalated"] += 1
        return counts
