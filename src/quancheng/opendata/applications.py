"""有条件开放: registered users apply for conditional open entries; the department decides.

An application names the entry, the purpose and the period, and carries the data-use agreement
the applicant accepted (its SHA-256, so a later change of the text is visible). The owning
department approves or rejects it within working days; an approval becomes a sharing grant held
by the user (kind `open_application`) with the entry's personal items masked and a daily
quota, enforced on every read by the exchange's GrantPolicy. The applicant then issues API tokens
bound to the grant. Applications, decisions and grants are recorded in the ledger.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from quancheng.catalog.model import EntryStatus, OpenType
from quancheng.catalog.service import CatalogService
from quancheng.datastore.service import DatastoreService
from quancheng.db import Database
from quancheng.db.models import (
    CatalogEntry,
    Department,
    PortalApplication,
    SharingGrant,
    User,
    utcnow,
)
from quancheng.errors import (
    BadRequest,
    Conflict,
    FieldError,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from quancheng.identity.roles import Permission, Principal, Role
from quancheng.identity.service import IdentityService, IssuedToken
from quancheng.ledger.log import Ledger
from quancheng.settings import Settings
from quancheng.sharing.model import GrantKind, GrantState
from quancheng.sharing.records import MAX_TEXT, Records
from quancheng.sharing.rules import SharingRules

AGREEMENT = """数据使用协议（有条件开放数据）

一、申请人应按照申请中载明的用途使用数据，不得超出用途、期限和范围使用。
二、申请人不得试图识别数据中的个人，不得将数据与其他数据关联以重新识别个人身份。
三、未经数据提供部门同意，申请人不得向第三方提供、转让或公开原始数据。
四、申请人应采取必要的安全措施保护数据，发生泄露时应立即告知平台管理机构和数据提供部门。
五、使用数据形成的成果应注明数据来源；鼓励将成果在开放平台的应用展示中提交。
六、申请人违反本协议的，数据提供部门可随时终止授权，并依法追究责任。
七、本协议自申请获批之日起生效，至授权到期或终止之日失效。

Data-use agreement (conditional open data)
1. Use the data only for the stated purpose, period and scope.
2. Do not attempt to identify any person in the data, nor link it with other data to do so.
3. Do not pass, sell or publish the raw data without the providing department's consent.
4. Protect the data; report any leak at once to the platform authority and the department.
5. Cite the source in what you build; you are welcome to submit it to the reuse showcase.
6. The department may end the grant at any time if this agreement is broken.
7. The agreement runs from approval until the grant expires or is ended.
"""
AGREEMENT_HASH = hashlib.sha256(AGREEMENT.encode()).hexdigest()
DEFAULT_PERIOD_DAYS = 365
DEFAULT_QUOTA_PER_DAY = 1000
MAX_QUOTA_PER_DAY = 1_000_000
MAX_TOKENS = 5


class ApplicationState:
    """The states of an application (strings, as stored)."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    ALL = (PENDING, APPROVED, REJECTED, WITHDRAWN)


@dataclass(frozen=True)
class ApplicationView:
    """An application as its applicant and the deciding department see it."""

    id: int
    entry_id: int
    entry_code: str
    entry_name: str
    entry_name_en: str
    department_id: int
    department_key: str
    department_name: str
    department_name_en: str
    applicant: str
    applicant_id: int
    organisation: str
    purpose: str
    period_days: int
    agreement_hash: str
    agreement_current: bool
    state: str
    reason: str
    created_at: datetime
    deadline_at: datetime | None
    overdue: bool
    decided_at: datetime | None
    grant_id: int | None
    grant_state: str | None
    grant_expires_at: datetime | None
    quota_per_day: int | None
    token_ids: tuple[int, ...]

    def to_json(self) -> dict[str, Any]:
        """The API's representation."""
        return {
            "id": self.id,
            "dataset_id": self.entry_id,
            "dataset_code": self.entry_code,
            "dataset_name": self.entry_name,
            "department": self.department_key,
            "applicant": self.applicant,
            "organisation": self.organisation,
            "purpose": self.purpose,
            "period_days": self.period_days,
            "agreement_sha256": self.agreement_hash,
            "agreement_current": self.agreement_current,
            "state": self.state,
            "reason": self.reason,
            "created_at": self.created_at.isoformat(),
            "deadline_at": self.deadline_at.isoformat() if self.deadline_at else None,
            "overdue": self.overdue,
            "decided_at": self.decided_at.isoformat() if self.decided_at else None,
            "grant_id": self.grant_id,
            "grant_state": self.grant_state,
            "grant_expires_at": (
                self.grant_expires_at.isoformat() if self.grant_expires_at else None
            ),
            "quota_per_day": self.quota_per_day,
            "token_ids": list(self.token_ids),
        }


class ApplicationService(Records):
    """Applications for conditional open data, decisions, and the tokens that use the grant."""

    def __init__(
        self,
        *,
        db: Database,
        catalog: CatalogService,
        datastore: DatastoreService,
        ledger: Ledger,
        settings: Settings,
        identity: IdentityService | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        super().__init__(
            db=db,
            catalog=catalog,
            datastore=datastore,
            ledger=ledger,
            rules=SharingRules.from_settings(settings),
            clock=clock,
        )
        self.identity = identity

    @property
    def agreement(self) -> tuple[str, str]:
        """The agreement's text and the SHA-256 an applicant must send to accept it."""
        return AGREEMENT, AGREEMENT_HASH

    # -- the applicant ----------------------------------------------------------------

    def apply(
        self,
        actor: Principal,
        *,
        dataset_id: int | str,
        purpose: str,
        agreement_sha256: str,
        organisation: str = "",
        period_days: int | None = None,
    ) -> ApplicationView:
        """Apply for a conditional open entry, accepting the current agreement."""
        self._applicant(actor)
        purpose = (purpose or "").strip()
        organisation = (organisation or "").strip()
        period = DEFAULT_PERIOD_DAYS if period_days is None else period_days
        problems: list[FieldError] = []
        if not purpose:
            problems.append(FieldError("purpose", "required", "state what the data is for"))
        elif len(purpose) > MAX_TEXT:
            problems.append(FieldError("purpose", "too_long", f"at most {MAX_TEXT} characters"))
        if len(organisation) > 200:
            problems.append(FieldError("organisation", "too_long", "at most 200 characters"))
        if not 1 <= period <= self.rules.max_period_days:
            problems.append(
                FieldError(
                    "period_days", "out_of_range", f"from 1 to {self.rules.max_period_days} days"
                )
            )
        if agreement_sha256 != AGREEMENT_HASH:
            problems.append(
                FieldError(
                    "agreement_sha256",
                    "not_accepted",
                    "accept the current data-use agreement (GET its text and SHA-256 first)",
                )
            )
        if problems:
            raise ValidationFailed("the application is not valid", errors=problems)
        with self.db.transaction() as s:
            entry = self._conditional_entry(s, dataset_id)
            open_ = s.scalar(
                select(func.count(PortalApplication.id)).where(
                    PortalApplication.entry_id == entry.id,
                    PortalApplication.user_id == actor.user_id,
                    PortalApplication.state == ApplicationState.PENDING,
                )
            )
            if open_:
                raise Conflict(
                    "you already have an application for this entry waiting for a decision",
                    code="application_pending",
                )
            now = self.clock()
            app = PortalApplication(
                entry_id=entry.id,
                user_id=actor.user_id,
                department_id=entry.department_id,
                organisation=organisation,
                purpose=purpose,
                agreement_hash=AGREEMENT_HASH,
                agreed_at=now,
                period_days=period,
                state=ApplicationState.PENDING,
                deadline_at=self.rules.deadline(now, self.rules.provider_days),
                created_at=now,
            )
            s.add(app)
            s.flush()
            self._record_application(s, actor, app, "submitted")
            return self._view(s, app)

    def withdraw(self, actor: Principal, application_id: int) -> ApplicationView:
        """The applicant withdraws a pending application."""
        with self.db.transaction() as s:
            app = self._get(s, actor, application_id, lock=True)
            if app.user_id != actor.user_id:
                raise PermissionDenied("only the applicant may withdraw", code="not_applicant")
            if app.state != ApplicationState.PENDING:
                raise Conflict(f"the application is {app.state}", code="invalid_transition")
            app.state = ApplicationState.WITHDRAWN
            app.decided_at = self.clock()
            self._record_application(s, actor, app, "withdrawn")
            return self._view(s, app)

    def issue_token(self, actor: Principal, application_id: int, *, name: str = "") -> IssuedToken:
        """An API token bound to the approved application's grant (its secret shown once)."""
        if self.identity is None:
            raise RuntimeError("ApplicationService needs the identity service to issue tokens")
        with self.db.transaction() as s:
            app = self._get(s, actor, application_id, lock=True)
            if app.user_id != actor.user_id:
                raise PermissionDenied("only the applicant may take tokens", code="not_applicant")
            grant = s.get(SharingGrant, app.grant_id) if app.grant_id is not None else None
            if grant is None or self.grant_state(grant) is not GrantState.ACTIVE:
                raise Conflict(
                    "tokens are issued for an approved application with a live grant",
                    code="no_live_grant",
                )
            if len(grant.applications) >= MAX_TOKENS:
                raise Conflict(
                    f"at most {MAX_TOKENS} tokens per grant; revoke one first",
                    code="too_many_tokens",
                )
            user = s.get_one(User, actor.user_id)
            entry = s.get_one(CatalogEntry, app.entry_id)
            days = max(1, (grant.expires_at - self.clock()).days + 1)
            issued = self.identity.add_token(
                s, user, name=name.strip() or f"开放数据 {entry.code}", days=days
            )
            grant.applications = [*grant.applications, issued.id]
            self._history_grant(s, actor, grant, "token_issued", f"token {issued.prefix}")
            return issued

    # -- the department ---------------------------------------------------------------

    def decide(
        self,
        actor: Principal,
        application_id: int,
        *,
        approve: bool,
        reason: str = "",
        quota_per_day: int | None = DEFAULT_QUOTA_PER_DAY,
        items: Sequence[str] | None = None,
    ) -> ApplicationView:
        """Approve (a grant with masks and a quota) or reject (with a reason) an application."""
        reason = (reason or "").strip()
        with self.db.transaction() as s:
            app = self._get(s, actor, application_id, lock=True)
            actor.require(Permission.SHARING_DECIDE, department_id=app.department_id)
            if app.state != ApplicationState.PENDING:
                raise Conflict(f"the application is {app.state}", code="invalid_transition")
            problems: list[FieldError] = []
            if not approve and not reason:
                problems.append(FieldError("reason", "required", "give the applicant a reason"))
            if quota_per_day is not None and not 1 <= quota_per_day <= MAX_QUOTA_PER_DAY:
                problems.append(
                    FieldError("quota_per_day", "out_of_range", f"from 1 to {MAX_QUOTA_PER_DAY}")
                )
            if problems:
                raise ValidationFailed("the decision is not valid", errors=problems)
            now = self.clock()
            app.reason = reason[:MAX_TEXT]
            app.decided_by = actor.user_id
            app.decided_at = now
            if not approve:
                app.state = ApplicationState.REJECTED
                self._record_application(s, actor, app, "rejected")
                return self._view(s, app)
            entry = s.get_one(CatalogEntry, app.entry_id)
            known = self.entry_items(s, entry)
            refs = known.resolve(items) if items else list(known.refs)
            grant = SharingGrant(
                entry_id=entry.id,
                department_id=None,
                user_id=app.user_id,
                provider_department_id=entry.department_id,
                kind=GrantKind.OPEN_APPLICATION.value,
                items=refs,
                masks=known.default_masks(refs),
                row_filter=[],
                applications=[],
                purpose=app.purpose[:MAX_TEXT],
                quota_per_day=quota_per_day,
                state=GrantState.ACTIVE.value,
                starts_at=now,
                expires_at=now + timedelta(days=app.period_days),
                created_by=actor.user_id,
                created_at=now,
            )
            s.add(grant)
            s.flush()
            app.state = ApplicationState.APPROVED
            app.grant_id = grant.id
            self._history_grant(s, actor, grant, "approved", reason)
            self._record_grant(s, actor, grant, "created")
            self._record_application(s, actor, app, "approved")
            return self._view(s, app)

    # -- reads -------------------------------------------------------------------------

    def application(self, actor: Principal, application_id: int) -> ApplicationView:
        """One application, for its applicant, the deciding department or the platform."""
        with self.db.reader() as s:
            return self._view(s, self._get(s, actor, application_id))

    def applications(
        self,
        actor: Principal,
        *,
        box: str = "mine",
        state: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[list[ApplicationView], int]:
        """The actor's own applications ("mine") or those their department decides ("inbox")."""
        if not actor.is_authenticated:
            actor.require(Permission.CATALOG_READ_DRAFTS)
        if state is not None and state not in ApplicationState.ALL:
            raise BadRequest(
                f"unknown state {state!r}",
                code="unknown_state",
                details={"states": ApplicationState.ALL},
            )
        query = select(PortalApplication)
        if box == "mine":
            query = query.where(PortalApplication.user_id == (actor.user_id or -1))
        elif box == "inbox":
            actor.require(Permission.SHARING_DECIDE)
            if not actor.is_platform_admin:
                query = query.where(PortalApplication.department_id == actor.department_id)
        else:
            raise BadRequest(f"unknown box {box!r}; use mine or inbox", code="unknown_box")
        if state is not None:
            query = query.where(PortalApplication.state == state)
        with self.db.reader() as s:
            total = s.scalar(select(func.count()).select_from(query.subquery())) or 0
            rows = s.scalars(
                query.order_by(PortalApplication.id.desc()).limit(limit).offset(offset)
            ).all()
            return [self._view(s, a) for a in rows], total

    # -- internals ---------------------------------------------------------------------

    def _applicant(self, actor: Principal) -> None:
        if not actor.is_authenticated:
            actor.require(Permission.TOKEN_MANAGE)  # 401 for visitors
        if actor.role is not Role.PUBLIC_USER or actor.user_id is None:
            raise PermissionDenied(
                "conditional open data is applied for by registered public users; departments "
                "use the sharing exchange",
                code="use_sharing_exchange",
            )

    def _conditional_entry(self, s: Session, ref: int | str) -> CatalogEntry:
        visible = self.catalog.get(Principal.anonymous(public_catalog=True), ref)
        entry = s.get_one(CatalogEntry, visible.id)
        if entry.status != EntryStatus.PUBLISHED or entry.open_type != OpenType.CONDITIONAL:
            raise Conflict(
                "only published entries open on conditions take applications",
                code="not_conditional_open",
                details={"open_type": entry.open_type},
            )
        return entry

    def _get(
        self, s: Session, actor: Principal, application_id: int, *, lock: bool = False
    ) -> PortalApplication:
        query = select(PortalApplication).where(PortalApplication.id == application_id)
        if lock:
            query = query.with_for_update()
        app = s.scalar(query)
        if not actor.is_authenticated:
            actor.require(Permission.TOKEN_MANAGE)
        if app is None:
            raise NotFound(f"no application {application_id}", details={"id": application_id})
        if not (
            app.user_id == actor.user_id
            or actor.is_platform_admin
            or actor.can(Permission.SHARING_DECIDE, department_id=app.department_id)
        ):
            raise PermissionDenied(
                "only the applicant and the deciding department see an application",
                code="not_a_party",
            )
        return app

    def _view(self, s: Session, app: PortalApplication) -> ApplicationView:
        entry = s.get_one(CatalogEntry, app.entry_id)
        dept = s.get_one(Department, app.department_id)
        user = s.get_one(User, app.user_id)
        grant = s.get(SharingGrant, app.grant_id) if app.grant_id is not None else None
        now = self.clock()
        return ApplicationView(
            id=app.id,
            entry_id=entry.id,
            entry_code=entry.code,
            entry_name=entry.name,
            entry_name_en=entry.name_en,
            department_id=dept.id,
            department_key=dept.key,
            department_name=dept.name,
            department_name_en=dept.name_en,
            applicant=user.display_name or user.username,
            applicant_id=user.id,
            organisation=app.organisation,
            purpose=app.purpose,
            period_days=app.period_days,
            agreement_hash=app.agreement_hash,
            agreement_current=app.agreement_hash == AGREEMENT_HASH,
            state=app.state,
            reason=app.reason,
            created_at=app.created_at,
            deadline_at=app.deadline_at,
            overdue=(
                app.state == ApplicationState.PENDING
                and app.deadline_at is not None
                and app.deadline_at < now
            ),
            decided_at=app.decided_at,
            grant_id=grant.id if grant else None,
            grant_state=self.grant_state(grant).value if grant else None,
            grant_expires_at=grant.expires_at if grant else None,
            quota_per_day=grant.quota_per_day if grant else None,
            token_ids=tuple(grant.applications) if grant else (),
        )

    def _record_application(
        self, s: Session, actor: Principal, app: PortalApplication, action: str
    ) -> None:
        entry = s.get_one(CatalogEntry, app.entry_id)
        self._record(
            s,
            actor,
            f"open.application.{action}",
            {"kind": "open_application", "id": str(app.id)},
            {
                "state": app.state,
                "entry": entry.code,
                # A pseudonymous reference: the ledger is public and permanent.
                "applicant": f"user:{app.user_id}",
                "agreement_sha256": app.agreement_hash,
                "period_days": app.period_days,
                "grant": app.grant_id,
                "reason": app.reason,
            },
        )
