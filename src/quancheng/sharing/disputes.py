"""Data disputes (疑义校核): a consumer questions values, the provider answers in time."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from quancheng.db.models import (
    CatalogEntry,
    Dataset,
    DataVersion,
    SharingDispute,
)
from quancheng.errors import (
    BadRequest,
    FieldError,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from quancheng.identity.roles import Permission, Principal
from quancheng.sharing import views
from quancheng.sharing.model import (
    DisputeState,
)
from quancheng.sharing.records import MAX_TEXT, Records


class DisputeDesk(Records):
    """Disputes raised by consumers and answered by providers."""

    def raise_dispute(
        self,
        actor: Principal,
        *,
        grant_id: int,
        description: str,
        cells: Sequence[Mapping[str, Any]] = (),
    ) -> views.DisputeView:
        """A consumer questions rows or values it read through a grant."""
        self._member(actor)
        actor.require(Permission.SHARING_REQUEST)
        description = (description or "").strip()
        problems: list[FieldError] = []
        if not description:
            problems.append(FieldError("description", "required", "say what looks wrong"))
        if len(description) > MAX_TEXT:
            problems.append(FieldError("description", "too_long", f"at most {MAX_TEXT}"))
        if len(cells) > 200:
            problems.append(FieldError("cells", "too_many", "at most 200 cells per dispute"))
        with self.db.transaction() as s:
            grant = self._grant(s, actor, grant_id)
            if actor.department_id != grant.department_id:
                raise PermissionDenied(
                    "only the department holding the grant can dispute its data",
                    code="not_a_party",
                )
            entry = s.get_one(CatalogEntry, grant.entry_id)
            known = self.entry_items(s, entry)
            clean: list[dict[str, Any]] = []
            for i, cell in enumerate(cells):
                column = str(cell.get("column", "")).strip()
                ref = known.lookup(column) if column else None
                if column and (ref is None or ref not in grant.items):
                    problems.append(FieldError(f"cells.{i}.column", "item_not_granted", column))
                row = cell.get("row")
                if row is not None and (not isinstance(row, int) or row < 1):
                    problems.append(FieldError(f"cells.{i}.row", "bad_row", "a row number ≥ 1"))
                clean.append(
                    {
                        "row": row,
                        "column": ref,
                        "value": str(cell.get("value", ""))[:500],
                        "expected": str(cell.get("expected", ""))[:500],
                    }
                )
            if problems:
                raise ValidationFailed("the dispute is not valid", errors=problems)
            version = s.scalar(
                select(DataVersion.number)
                .join(Dataset, Dataset.current_version_id == DataVersion.id)
                .where(Dataset.entry_id == entry.id)
            )
            now = self.clock()
            dispute = SharingDispute(
                grant_id=grant.id,
                entry_id=entry.id,
                consumer_department_id=grant.department_id,
                provider_department_id=grant.provider_department_id,
                raised_by=actor.user_id,
                description=description,
                cells=clean,
                data_version=version,
                state=DisputeState.OPEN.value,
                deadline_at=self.rules.deadline(now, self.rules.dispute_days),
                created_at=now,
            )
            s.add(dispute)
            s.flush()
            self._history_dispute(s, actor, dispute, "raised", None, DisputeState.OPEN, "")
            self._record_dispute(s, actor, dispute, "raised")
            return self._dispute_view(s, dispute, with_events=True)

    def answer_dispute(
        self,
        actor: Principal,
        dispute_id: int,
        *,
        outcome: str,
        answer: str,
        corrected_version: int | None = None,
    ) -> views.DisputeView:
        """The provider answers: corrected in data version N, or confirmed correct."""
        self._member(actor)
        answer = (answer or "").strip()
        try:
            target = DisputeState(outcome)
        except ValueError:
            target = DisputeState.OPEN
        if target is DisputeState.OPEN:
            raise ValidationFailed(
                "the outcome is corrected or confirmed",
                errors=[FieldError("outcome", "unknown_outcome", str(outcome))],
            )
        if not answer:
            raise ValidationFailed(
                "answer the dispute", errors=[FieldError("answer", "required", "explain")]
            )
        with self.db.transaction() as s:
            dispute = self._dispute(s, actor, dispute_id, lock=True)
            if not (
                actor.department_id == dispute.provider_department_id
                and actor.can(Permission.SHARING_DECIDE)
            ):
                raise PermissionDenied(
                    "only the providing department answers a dispute", code="not_your_decision"
                )
            if dispute.state != DisputeState.OPEN:
                raise InvalidTransition(
                    f"the dispute is already {dispute.state}", details={"state": dispute.state}
                )
            if target is DisputeState.CORRECTED:
                numbers = set(
                    s.scalars(
                        select(DataVersion.number)
                        .join(Dataset, Dataset.id == DataVersion.dataset_id)
                        .where(Dataset.entry_id == dispute.entry_id)
                    )
                )
                if corrected_version is None or corrected_version not in numbers:
                    raise ValidationFailed(
                        "name the data version that corrects the data",
                        errors=[
                            FieldError(
                                "corrected_version", "unknown_version", str(corrected_version)
                            )
                        ],
                    )
                if dispute.data_version is not None and corrected_version <= dispute.data_version:
                    raise ValidationFailed(
                        "the correction must be a newer version than the disputed one",
                        errors=[
                            FieldError("corrected_version", "not_newer", str(corrected_version))
                        ],
                    )
            now = self.clock()
            dispute.state = target.value
            dispute.answer = answer[:MAX_TEXT]
            dispute.corrected_version = (
                corrected_version if target is DisputeState.CORRECTED else None
            )
            dispute.answered_by = actor.user_id
            dispute.answered_at = now
            self._history_dispute(s, actor, dispute, "answered", DisputeState.OPEN, target, answer)
            self._record_dispute(s, actor, dispute, "answered")
            return self._dispute_view(s, dispute, with_events=True)

    def dispute(self, actor: Principal, dispute_id: int) -> views.DisputeView:
        """One dispute, seen by both sides and the platform authority."""
        self._member(actor)
        with self.db.reader() as s:
            return self._dispute_view(s, self._dispute(s, actor, dispute_id), with_events=True)

    def disputes(
        self,
        actor: Principal,
        *,
        box: str = "all",
        state: str | None = None,
        overdue: bool | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[list[views.DisputeView], int]:
        """Disputes the actor's department raised (`mine`), must answer (`inbox`) or all."""
        self._member(actor)
        query = select(SharingDispute)
        scope = self._scope(actor, SharingDispute, box)
        if scope is not None:
            query = query.where(scope)
        if state:
            try:
                query = query.where(SharingDispute.state == DisputeState(state).value)
            except ValueError:
                raise BadRequest(f"unknown state {state!r}", code="unknown_state") from None
        if overdue is not None:
            late = (SharingDispute.state == DisputeState.OPEN.value) & (
                SharingDispute.deadline_at < self.clock()
            )
            query = query.where(late if overdue else ~late)
        with self.db.reader() as s:
            total = int(s.scalar(select(func.count()).select_from(query.subquery())) or 0)
            rows = s.scalars(
                query.order_by(SharingDispute.id.desc())
                .limit(max(1, min(limit, 500)))
                .offset(max(0, offset))
            ).all()
            return [self._dispute_view(s, d) for d in rows], total

    def _dispute(
        self, s: Session, actor: Principal, dispute_id: int, *, lock: bool = False
    ) -> SharingDispute:
        query = select(SharingDispute).where(SharingDispute.id == dispute_id)
        if lock:
            query = query.with_for_update()
        dispute = s.scalar(query)
        if dispute is None or not (
            actor.is_platform_admin
            or actor.department_id
            in (dispute.consumer_department_id, dispute.provider_department_id)
        ):
            raise NotFound(f"no dispute {dispute_id}", details={"id": dispute_id})
        return dispute
