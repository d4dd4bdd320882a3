"""The public's data requests, error reports, ratings, comments and reuses."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from quancheng.catalog.service import CatalogService
from quancheng.datastore.service import DatastoreService
from quancheng.db import Database
from quancheng.db.models import (
    CatalogEntry,
    Department,
    LedgerLeaf,
    PortalDataRequest,
    PortalFeedback,
    PortalReuse,
    PortalReuseEntry,
    utcnow,
)
from quancheng.errors import (
    BadRequest,
    Conflict,
    FieldError,
    InvalidTransition,
    NotAuthenticated,
    NotFound,
    RateLimited,
    ValidationFailed,
)
from quancheng.identity.roles import Permission, Principal
from quancheng.ledger.canonical import LedgerEvent
from quancheng.ledger.log import Ledger, actor_of, subject_key
from quancheng.opendata.interaction_model import (
    BODY_MAX,
    ERROR_OUTCOMES,
    FEEDBACK_KINDS,
    ORGANISATION_MAX,
    REGISTRATIONS_PER_HOUR,
    REPEAT_WINDOW,
    REQUEST_ANSWERABLE,
    REQUEST_OUTCOMES,
    REQUEST_PUBLIC,
    REUSE_KINDS,
    SUBMISSIONS_PER_HOUR,
    TITLE_MAX,
    DepartmentRef,
    EntryFeedback,
    FeedbackView,
    Inbox,
    ModerationQueue,
    RequestView,
    ReuseView,
    entry_ref_of,
    is_public_entry,
    require_authority,
    require_department,
    require_user,
    text_problems,
    url_problem,
    user_names,
)
from quancheng.settings import Settings


class InteractionService:
    """The public's data requests, error reports, ratings, comments and reuses."""

    def __init__(
        self,
        *,
        db: Database,
        catalog: CatalogService,
        datastore: DatastoreService,
        ledger: Ledger,
        settings: Settings,
    ) -> None:
        self.db = db
        self.catalog = catalog
        self.datastore = datastore
        self.ledger = ledger
        self.settings = settings
        self.submissions_per_hour: int = getattr(
            settings, "portal_submissions_per_hour", SUBMISSIONS_PER_HOUR
        )
        self.registrations_per_hour: int = getattr(
            settings, "portal_registrations_per_hour", REGISTRATIONS_PER_HOUR
        )
        self.clock: Callable[[], datetime] = utcnow
        # Sign-up attempts per client address; kept in memory because no personal data (an
        # address) belongs in the database for this, and an hour's window survives no restart.
        self._signups: dict[str, deque[datetime]] = {}
        self._signup_lock = threading.Lock()

    # -- registration ------------------------------------------------------------------

    def note_registration_attempt(self, client: str) -> None:
        """Count a sign-up attempt from an address; RateLimited past the hourly limit."""
        now = self.clock()
        since = now - timedelta(hours=1)
        with self._signup_lock:
            attempts = self._signups.setdefault(client, deque())
            while attempts and attempts[0] < since:
                attempts.popleft()
            if len(attempts) >= self.registrations_per_hour:
                raise RateLimited(
                    "too many registrations from this address; try again later",
                    details={"retry_after_seconds": 3600},
                )
            attempts.append(now)

    # -- shared checks -----------------------------------------------------------------

    def _check_rate(self, s: Session, user_id: int) -> None:
        since = self.clock() - timedelta(hours=1)
        total = 0
        for model, column in (
            (PortalDataRequest, PortalDataRequest.requested_by),
            (PortalFeedback, PortalFeedback.user_id),
            (PortalReuse, PortalReuse.submitted_by),
        ):
            total += (
                s.scalar(
                    select(func.count())
                    .select_from(model)
                    .where(column == user_id, model.created_at >= since)
                )
                or 0
            )
        if total >= self.submissions_per_hour:
            raise RateLimited(
                f"at most {self.submissions_per_hour} submissions an hour; try again later",
                details={"limit": self.submissions_per_hour, "retry_after_seconds": 3600},
            )

    def _check_repeat(self, s: Session, query: Any) -> None:
        if s.scalar(query.limit(1)) is not None:
            raise Conflict(
                "you have already sent exactly this; it is not sent twice",
                code="duplicate_submission",
            )

    def _public_entry(self, s: Session, ref: int | str, *, field: str = "entry") -> CatalogEntry:
        entry = self._find_entry(s, ref)
        if entry is None or not is_public_entry(entry):
            raise NotFound(f"no open entry {ref}", details={field: str(ref)})
        return entry

    @staticmethod
    def _find_entry(s: Session, ref: int | str) -> CatalogEntry | None:
        text = str(ref).strip()
        if text.isascii() and text.isdigit():
            found = s.get(CatalogEntry, int(text))
            if found is not None:
                return found
        return s.scalar(select(CatalogEntry).where(CatalogEntry.code == text))

    def _record(
        self, s: Session, actor: Principal, type_: str, kind: str, ident: str, **details: Any
    ) -> None:
        self.ledger.record(
            s,
            LedgerEvent(
                type=type_,
                time=self.clock(),
                actor=actor_of(s, actor),
                subject={"kind": kind, "id": ident},
                details=details,
            ),
        )

    # -- data requests -----------------------------------------------------------------

    def submit_request(
        self,
        actor: Principal,
        *,
        title: str,
        description: str,
        purpose: str = "",
        department: int | str | None = None,
    ) -> RequestView:
        """Ask for data that is not open yet; it waits for the authority's review."""
        user_id = require_user(actor)
        title, description, purpose = title.strip(), description.strip(), purpose.strip()
        problems = text_problems(
            [
                ("title", title, TITLE_MAX, True),
                ("description", description, BODY_MAX, True),
                ("purpose", purpose, BODY_MAX, False),
            ]
        )
        with self.db.transaction() as s:
            dept = self._department(s, department, problems)
            if problems:
                raise ValidationFailed("the request cannot be sent", errors=problems)
            self._check_rate(s, user_id)
            self._check_repeat(
                s,
                select(PortalDataRequest.id).where(
                    PortalDataRequest.requested_by == user_id,
                    PortalDataRequest.title == title,
                    PortalDataRequest.description == description,
                    PortalDataRequest.created_at >= self.clock() - REPEAT_WINDOW,
                ),
            )
            row = PortalDataRequest(
                title=title,
                description=description,
                purpose=purpose,
                department_id=dept.id if dept else None,
                requested_by=user_id,
                state="pending_review",
                created_at=self.clock(),
            )
            s.add(row)
            s.flush()
            self._record(s, actor, "portal.request.submitted", "portal_request", str(row.id))
            return self._request_view(s, row)

    @staticmethod
    def _department(
        s: Session, ref: int | str | None, problems: list[FieldError]
    ) -> Department | None:
        if ref is None or str(ref).strip() == "":
            return None
        text = str(ref).strip()
        dept = s.get(Department, int(text)) if text.isascii() and text.isdigit() else None
        dept = dept or s.scalar(select(Department).where(Department.key == text))
        if dept is None:
            problems.append(FieldError("department", "unknown", f"no department {text}"))
        return dept

    def review_request(
        self,
        actor: Principal,
        request_id: int,
        *,
        decision: str,
        department: int | str | None = None,
        reason: str = "",
    ) -> RequestView:
        """The authority accepts a request for a department (it opens) or rejects it as spam."""
        require_authority(actor)
        with self.db.transaction() as s:
            row = self._request_row(s, request_id)
            problems: list[FieldError] = []
            if decision == "accept":
                if row.state not in ("pending_review", "open"):
                    raise InvalidTransition(f"a request that is {row.state} is not reviewed")
                dept = self._department(s, department, problems)
                dept_id = dept.id if dept else row.department_id
                if dept_id is None and not problems:
                    problems.append(
                        FieldError("department", "required", "name the department to answer")
                    )
                if problems:
                    raise ValidationFailed("the request cannot be opened", errors=problems)
                row.department_id = dept_id
                row.state = "open"
            elif decision == "reject":
                if row.state != "pending_review":
                    raise InvalidTransition(f"a request that is {row.state} is not rejected")
                problems = text_problems([("reason", reason.strip(), BODY_MAX, False)])
                if problems:
                    raise ValidationFailed("the reason is not acceptable", errors=problems)
                row.state = "rejected"
                row.answer = reason.strip()
            else:
                raise BadRequest("decision is accept or reject", code="bad_decision")
            self._record(s, actor, f"portal.request.{row.state}", "portal_request", str(row.id))
            return self._request_view(s, row)

    def answer_request(
        self,
        actor: Principal,
        request_id: int,
        *,
        outcome: str,
        answer: str,
        entry: int | str | None = None,
    ) -> RequestView:
        """The department answers in public: answered, planned, published (an entry) or declined."""
        with self.db.transaction() as s:
            row = self._request_row(s, request_id, actor=actor)
            require_department(actor, row.department_id)
            if row.state not in REQUEST_ANSWERABLE:
                raise InvalidTransition(f"a request that is {row.state} is not answered")
            if outcome not in REQUEST_OUTCOMES:
                raise BadRequest(
                    "outcome is answered, planned, published or declined", code="bad_outcome"
                )
            answer = answer.strip()
            problems = text_problems([("answer", answer, BODY_MAX, True)])
            linked: CatalogEntry | None = None
            if outcome == "published":
                if entry is None or str(entry).strip() == "":
                    problems.append(
                        FieldError("entry", "required", "name the open entry that answers it")
                    )
                else:
                    linked = self._find_entry(s, entry)
                    if not is_public_entry(linked):
                        problems.append(FieldError("entry", "not_open", f"no open entry {entry}"))
            if problems:
                raise ValidationFailed("the answer cannot be sent", errors=problems)
            row.state = outcome
            row.answer = answer
            row.answered_by = actor.user_id
            row.answered_at = self.clock()
            row.entry_id = linked.id if linked else None
            self._record(s, actor, f"portal.request.{outcome}", "portal_request", str(row.id))
            return self._request_view(s, row)

    def vote(self, actor: Principal, request_id: int) -> RequestView:
        """'I need this too': one vote per user on a public request."""
        user_id = require_user(actor)
        with self.db.transaction() as s:
            row = self._request_row(s, request_id, actor=actor)
            if row.state not in REQUEST_PUBLIC:
                raise InvalidTransition("only public requests take votes")
            # Who voted lives in the ledger (no votes table): one subject per voter and request.
            subject = subject_key("portal_vote", f"{row.id}:{user_id}")
            if s.scalar(select(LedgerLeaf.index).where(LedgerLeaf.subject == subject).limit(1)):
                raise Conflict("you have already voted for this request", code="already_voted")
            row.votes += 1
            self._record(s, actor, "portal.request.voted", "portal_vote", f"{row.id}:{user_id}")
            return self._request_view(s, row)

    def has_voted(self, actor: Principal, request_id: int) -> bool:
        """Whether this user has voted for the request."""
        if actor.user_id is None:
            return False
        subject = subject_key("portal_vote", f"{request_id}:{actor.user_id}")
        with self.db.reader() as s:
            found = s.scalar(select(LedgerLeaf.index).where(LedgerLeaf.subject == subject).limit(1))
            return found is not None

    def _request_row(
        self, s: Session, request_id: int, *, actor: Principal | None = None
    ) -> PortalDataRequest:
        row = s.get(PortalDataRequest, request_id)
        if row is None or (actor is not None and not self._may_see_request(actor, row)):
            raise NotFound(f"no data request {request_id}", details={"request_id": request_id})
        return row

    @staticmethod
    def _may_see_request(actor: Principal, row: PortalDataRequest) -> bool:
        if row.state in REQUEST_PUBLIC or actor.is_platform_admin:
            return True
        if actor.user_id is not None and actor.user_id == row.requested_by:
            return True
        return (
            row.state != "rejected"
            and row.department_id is not None
            and actor.can(Permission.CATALOG_READ_DRAFTS, department_id=row.department_id)
        )

    def get_request(self, actor: Principal, request_id: int) -> RequestView:
        """One request, if the caller may see it (pending and rejected ones are not public)."""
        with self.db.reader() as s:
            return self._request_view(s, self._request_row(s, request_id, actor=actor))

    def list_requests(
        self,
        actor: Principal,
        *,
        state: str | None = None,
        department: str | None = None,
        mine: bool = False,
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[int, list[RequestView]]:
        """Public requests (newest first), or the caller's own with `mine`; and the total."""
        with self.db.reader() as s:
            query = select(PortalDataRequest)
            if mine:
                if actor.user_id is None:
                    raise NotAuthenticated("log in to see your requests")
                query = query.where(PortalDataRequest.requested_by == actor.user_id)
            else:
                query = query.where(PortalDataRequest.state.in_(REQUEST_PUBLIC))
            if state:
                query = query.where(PortalDataRequest.state == state)
            if department:
                dept = s.scalar(select(Department).where(Department.key == department))
                query = query.where(PortalDataRequest.department_id == (dept.id if dept else -1))
            total = s.scalar(select(func.count()).select_from(query.subquery())) or 0
            rows = s.scalars(
                query.order_by(PortalDataRequest.created_at.desc(), PortalDataRequest.id.desc())
                .limit(limit)
                .offset(offset)
            )
            return total, self._request_views(s, list(rows))

    def _request_view(self, s: Session, row: PortalDataRequest) -> RequestView:
        return self._request_views(s, [row])[0]

    def _request_views(self, s: Session, rows: list[PortalDataRequest]) -> list[RequestView]:
        names = user_names(s, (r.requested_by for r in rows))
        views = []
        for r in rows:
            dept = s.get(Department, r.department_id) if r.department_id else None
            entry = s.get(CatalogEntry, r.entry_id) if r.entry_id else None
            views.append(
                RequestView(
                    id=r.id,
                    title=r.title,
                    description=r.description,
                    purpose=r.purpose,
                    department=DepartmentRef(dept.id, dept.key, dept.name, dept.name_en)
                    if dept
                    else None,
                    requester=names.get(r.requested_by or 0, ""),
                    requested_by=r.requested_by,
                    state=r.state,
                    answer=r.answer,
                    answered_at=r.answered_at,
                    entry=entry_ref_of(entry) if entry is not None else None,
                    votes=r.votes,
                    created_at=r.created_at,
                )
            )
        return views

    # -- comments, ratings and error reports --------------------------------------------

    def add_feedback(
        self,
        actor: Principal,
        entry_ref: int | str,
        *,
        kind: str,
        body: str,
        rating: int | None = None,
    ) -> FeedbackView:
        """A comment (rating 1-5 optional; moderated) or an error report on an open entry."""
        user_id = require_user(actor)
        body = body.strip()
        problems = text_problems([("body", body, BODY_MAX, True)])
        if kind not in FEEDBACK_KINDS:
            problems.append(FieldError("kind", "invalid", "comment or error"))
        if rating is not None and (kind != "comment" or not 1 <= rating <= 5):
            problems.append(FieldError("rating", "invalid", "a comment's rating is 1 to 5"))
        with self.db.transaction() as s:
            entry = self._public_entry(s, entry_ref)
            if problems:
                raise ValidationFailed("the feedback cannot be sent", errors=problems)
            self._check_rate(s, user_id)
            self._check_repeat(
                s,
                select(PortalFeedback.id).where(
                    PortalFeedback.user_id == user_id,
                    PortalFeedback.entry_id == entry.id,
                    PortalFeedback.body == body,
                    PortalFeedback.created_at >= self.clock() - REPEAT_WINDOW,
                ),
            )
            row = PortalFeedback(
                entry_id=entry.id,
                user_id=user_id,
                kind=kind,
                rating=rating if kind == "comment" else None,
                body=body,
                state="pending" if kind == "comment" else "open",
                created_at=self.clock(),
            )
            s.add(row)
            s.flush()
            self._record(s, actor, f"portal.{kind}.submitted", "portal_feedback", str(row.id))
            return self._feedback_views(s, [row])[0]

    def moderate_comment(
        self, actor: Principal, feedback_id: int, *, decision: str, reason: str = ""
    ) -> FeedbackView:
        """The authority publishes a comment or rejects it (it stays hidden)."""
        require_authority(actor)
        with self.db.transaction() as s:
            row = self._feedback_row(s, feedback_id)
            if row.kind != "comment":
                raise InvalidTransition("error reports go to the department, not to moderation")
            if decision not in ("publish", "reject"):
                raise BadRequest("decision is publish or reject", code="bad_decision")
            target = "published" if decision == "publish" else "rejected"
            if row.state == target:
                raise InvalidTransition(f"the comment is already {target}")
            row.state = target
            row.moderated_by = actor.user_id
            row.moderated_at = self.clock()
            details = {"reason": reason.strip()[:BODY_MAX]} if reason.strip() else {}
            self._record(
                s, actor, f"portal.comment.{target}", "portal_feedback", str(row.id), **details
            )
            return self._feedback_views(s, [row])[0]

    def reply_feedback(
        self, actor: Principal, feedback_id: int, *, reply: str, outcome: str | None = None
    ) -> FeedbackView:
        """The owning department replies to a comment, or settles an error report."""
        with self.db.transaction() as s:
            row = self._feedback_row(s, feedback_id)
            entry = s.get(CatalogEntry, row.entry_id)
            dept_id = entry.department_id if entry else None
            if not actor.is_authenticated:
                raise NotAuthenticated("log in or present an API token")
            if not self._may_see_feedback(actor, row, dept_id):
                raise NotFound(f"no feedback {feedback_id}", details={"feedback_id": feedback_id})
            require_department(actor, dept_id)
            reply = reply.strip()
            problems = text_problems([("reply", reply, BODY_MAX, True)])
            if row.kind == "error":
                if outcome not in ERROR_OUTCOMES:
                    problems.append(FieldError("outcome", "invalid", "resolved or declined"))
            elif outcome:
                problems.append(FieldError("outcome", "invalid", "a comment takes no outcome"))
            if problems:
                raise ValidationFailed("the reply cannot be sent", errors=problems)
            if row.kind == "comment" and row.state == "rejected":
                raise InvalidTransition("a rejected comment takes no reply")
            if row.kind == "error":
                if row.state != "open":
                    raise InvalidTransition(f"the error report is already {row.state}")
                row.state = str(outcome)
            row.reply = reply
            row.replied_by = actor.user_id
            row.replied_at = self.clock()
            self._record(s, actor, f"portal.{row.kind}.replied", "portal_feedback", str(row.id))
            return self._feedback_views(s, [row])[0]

    def _feedback_row(self, s: Session, feedback_id: int) -> PortalFeedback:
        row = s.get(PortalFeedback, feedback_id)
        if row is None:
            raise NotFound(f"no feedback {feedback_id}", details={"feedback_id": feedback_id})
        return row

    @staticmethod
    def _may_see_feedback(actor: Principal, row: PortalFeedback, dept_id: int | None) -> bool:
        if row.state in ("published", "resolved", "declined") or actor.is_platform_admin:
            return True
        if actor.user_id is not None and actor.user_id == row.user_id:
            return True
        return (
            row.state != "rejected"
            and dept_id is not None
            and actor.can(Permission.CATALOG_READ_DRAFTS, department_id=dept_id)
        )

    def get_feedback(self, actor: Principal, feedback_id: int) -> FeedbackView:
        """One comment or error report, if the caller may see it."""
        with self.db.reader() as s:
            row = self._feedback_row(s, feedback_id)
            entry = s.get(CatalogEntry, row.entry_id)
            if not self._may_see_feedback(actor, row, entry.department_id if entry else None):
                raise NotFound(f"no feedback {feedback_id}", details={"feedback_id": feedback_id})
            return self._feedback_views(s, [row])[0]

    def entry_feedback(self, entry_ref: int | str) -> EntryFeedback:
        """An open entry's average rating, published comments and settled error reports."""
        with self.db.reader() as s:
            entry = self._public_entry(s, entry_ref)
            rows = list(
                s.scalars(
                    select(PortalFeedback)
                    .where(
                        PortalFeedback.entry_id == entry.id,
                        PortalFeedback.state.in_(("published", "resolved")),
                    )
                    .order_by(PortalFeedback.created_at.desc(), PortalFeedback.id.desc())
                )
            )
            views = self._feedback_views(s, rows)
            comments = [v for v in views if v.kind == "comment"]
            rated = [v.rating for v in comments if v.rating is not None]
            return EntryFeedback(
                entry=entry_ref_of(entry),
                average_rating=round(sum(rated) / len(rated), 1) if rated else None,
                ratings=len(rated),
                comments=comments,
                errors=[v for v in views if v.kind == "error"],
            )

    def rating_of(self, entry_id: int) -> tuple[float | None, int]:
        """An entry's average published rating and how many ratings it rests on."""
        with self.db.reader() as s:
            avg, count = s.execute(
                select(func.avg(PortalFeedback.rating), func.count(PortalFeedback.rating)).where(
                    PortalFeedback.entry_id == entry_id,
                    PortalFeedback.kind == "comment",
                    PortalFeedback.state == "published",
                )
            ).one()
            return (round(float(avg), 1) if avg is not None else None), int(count or 0)

    def _feedback_views(self, s: Session, rows: list[PortalFeedback]) -> list[FeedbackView]:
        names = user_names(s, (r.user_id for r in rows))
        views = []
        for r in rows:
            entry = s.get(CatalogEntry, r.entry_id)
            if entry is None:  # a foreign key: only a broken database gets here
                continue
            views.append(
                FeedbackView(
                    id=r.id,
                    entry=entry_ref_of(entry),
                    department_id=entry.department_id,
                    kind=r.kind,
                    rating=r.rating,
                    body=r.body,
                    state=r.state,
                    author=names.get(r.user_id or 0, ""),
                    user_id=r.user_id,
                    reply=r.reply,
                    replied_at=r.replied_at,
                    created_at=r.created_at,
                )
            )
        return views

    # -- reuses ------------------------------------------------------------------------

    def submit_reuse(
        self,
        actor: Principal,
        *,
        title: str,
        kind: str,
        description: str,
        url: str = "",
        organisation: str = "",
        entries: Sequence[int | str] = (),
    ) -> ReuseView:
        """Show what was built on open entries; it waits for the authority's approval."""
        user_id = require_user(actor)
        title, description = title.strip(), description.strip()
        url, organisation = url.strip(), organisation.strip()
        problems = text_problems(
            [
                ("title", title, TITLE_MAX, True),
                ("description", description, BODY_MAX, True),
                ("organisation", organisation, ORGANISATION_MAX, False),
            ]
        )
        if kind not in REUSE_KINDS:
            problems.append(FieldError("kind", "invalid", "app, research, visualisation or news"))
        bad_url = url_problem(url)
        if bad_url is not None:
            problems.append(bad_url)
        refs = [str(e).strip() for e in entries if str(e).strip()]
        if not refs:
            problems.append(FieldError("entries", "required", "name the open entries it uses"))
        with self.db.transaction() as s:
            used: dict[int, CatalogEntry] = {}
            for ref in refs:
                found = self._find_entry(s, ref)
                if found is None or not is_public_entry(found):
                    problems.append(FieldError("entries", "not_open", f"no open entry {ref}"))
                else:
                    used[found.id] = found
            if problems:
                raise ValidationFailed("the reuse cannot be sent", errors=problems)
            self._check_rate(s, user_id)
            self._check_repeat(
                s,
                select(PortalReuse.id).where(
                    PortalReuse.submitted_by == user_id,
                    PortalReuse.title == title,
                    PortalReuse.description == description,
                    PortalReuse.created_at >= self.clock() - REPEAT_WINDOW,
                ),
            )
            row = PortalReuse(
                title=title,
                kind=kind,
                description=description,
                url=url,
                organisation=organisation,
                submitted_by=user_id,
                state="pending",
                created_at=self.clock(),
            )
            s.add(row)
            s.flush()
            for entry_id in used:
                s.add(PortalReuseEntry(reuse_id=row.id, entry_id=entry_id))
            s.flush()
            self._record(s, actor, "portal.reuse.submitted", "portal_reuse", str(row.id))
            return self._reuse_views(s, [row])[0]

    def moderate_reuse(
        self, actor: Principal, reuse_id: int, *, decision: str, reason: str = ""
    ) -> ReuseView:
        """The authority approves a reuse for the showcase or rejects it with a reason."""
        require_authority(actor)
        with self.db.transaction() as s:
            row = self._reuse_row(s, reuse_id)
            if decision not in ("approve", "reject"):
                raise BadRequest("decision is approve or reject", code="bad_decision")
            reason = reason.strip()
            problems = text_problems([("reason", reason, BODY_MAX, decision == "reject")])
            if problems:
                raise ValidationFailed("the decision cannot be taken", errors=problems)
            target = "approved" if decision == "approve" else "rejected"
            if row.state == target:
                raise InvalidTransition(f"the reuse is already {target}")
            row.state = target
            row.reason = reason
            row.moderated_by = actor.user_id
            row.moderated_at = self.clock()
            self._record(s, actor, f"portal.reuse.{target}", "portal_reuse", str(row.id))
            return self._reuse_views(s, [row])[0]

    def _reuse_row(
        self, s: Session, reuse_id: int, *, actor: Principal | None = None
    ) -> PortalReuse:
        row = s.get(PortalReuse, reuse_id)
        visible = row is not None and (
            actor is None
            or row.state == "approved"
            or actor.is_platform_admin
            or (actor.user_id is not None and actor.user_id == row.submitted_by)
        )
        if row is None or not visible:
            raise NotFound(f"no reuse {reuse_id}", details={"reuse_id": reuse_id})
        return row

    def get_reuse(self, actor: Principal, reuse_id: int) -> ReuseView:
        """One reuse: approved ones for everyone, others for the submitter and the authority."""
        with self.db.reader() as s:
            return self._reuse_views(s, [self._reuse_row(s, reuse_id, actor=actor)])[0]

    def list_reuses(
        self, *, kind: str | None = None, limit: int = 60, offset: int = 0
    ) -> tuple[int, list[ReuseView]]:
        """The showcase: approved reuses, newest first, optionally of one kind; and the total."""
        with self.db.reader() as s:
            query = select(PortalReuse).where(PortalReuse.state == "approved")
            if kind:
                query = query.where(PortalReuse.kind == kind)
            total = s.scalar(select(func.count()).select_from(query.subquery())) or 0
            rows = s.scalars(
                query.order_by(PortalReuse.created_at.desc(), PortalReuse.id.desc())
                .limit(limit)
                .offset(offset)
            )
            return total, self._reuse_views(s, list(rows))

    def reuses_for_entry(self, entry_id: int) -> list[ReuseView]:
        """The approved reuses built on an entry (for the entry page)."""
        with self.db.reader() as s:
            rows = s.scalars(
                select(PortalReuse)
                .join(PortalReuseEntry, PortalReuseEntry.reuse_id == PortalReuse.id)
                .where(PortalReuseEntry.entry_id == entry_id, PortalReuse.state == "approved")
                .order_by(PortalReuse.created_at.desc())
            )
            return self._reuse_views(s, list(rows))

    def _reuse_views(self, s: Session, rows: list[PortalReuse]) -> list[ReuseView]:
        names = user_names(s, (r.submitted_by for r in rows))
        views = []
        for r in rows:
            entries = s.scalars(
                select(CatalogEntry)
                .join(PortalReuseEntry, PortalReuseEntry.entry_id == CatalogEntry.id)
                .where(PortalReuseEntry.reuse_id == r.id)
                .order_by(CatalogEntry.code)
            )
            views.append(
                ReuseView(
                    id=r.id,
                    title=r.title,
                    kind=r.kind,
                    description=r.description,
                    url=r.url,
                    organisation=r.organisation,
                    submitter=names.get(r.submitted_by or 0, ""),
                    submitted_by=r.submitted_by,
                    state=r.state,
                    reason=r.reason,
                    # An entry taken offline since is no longer shown as a link.
                    entries=tuple(entry_ref_of(e) for e in entries if is_public_entry(e)),
                    created_at=r.created_at,
                )
            )
        return views

    # -- queues ------------------------------------------------------------------------

    def moderation(self, actor: Principal) -> ModerationQueue:
        """What waits for the authority: requests to review, comments and reuses to moderate."""
        require_authority(actor)
        with self.db.reader() as s:
            requests = s.scalars(
                select(PortalDataRequest)
                .where(PortalDataRequest.state == "pending_review")
                .order_by(PortalDataRequest.created_at)
            )
            comments = s.scalars(
                select(PortalFeedback)
                .where(PortalFeedback.kind == "comment", PortalFeedback.state == "pending")
                .order_by(PortalFeedback.created_at)
            )
            reuses = s.scalars(
                select(PortalReuse)
                .where(PortalReuse.state == "pending")
                .order_by(PortalReuse.created_at)
            )
            return ModerationQueue(
                requests=self._request_views(s, list(requests)),
                comments=self._feedback_views(s, list(comments)),
                reuses=self._reuse_views(s, list(reuses)),
            )

    def inbox(self, actor: Principal) -> Inbox:
        """A department's open requests, open error reports and published comments unanswered."""
        actor.require(Permission.CATALOG_READ_DRAFTS)
        with self.db.reader() as s:
            req_q = select(PortalDataRequest).where(
                PortalDataRequest.state.in_(("open", "planned"))
            )
            fb_q = select(PortalFeedback).join(
                CatalogEntry, CatalogEntry.id == PortalFeedback.entry_id
            )
            if not actor.is_platform_admin:
                req_q = req_q.where(PortalDataRequest.department_id == actor.department_id)
                fb_q = fb_q.where(CatalogEntry.department_id == actor.department_id)
            errors = s.scalars(
                fb_q.where(PortalFeedback.kind == "error", PortalFeedback.state == "open").order_by(
                    PortalFeedback.created_at
                )
            )
            comments = s.scalars(
                fb_q.where(
                    PortalFeedback.kind == "comment",
                    PortalFeedback.state == "published",
                    PortalFeedback.reply == "",
                ).order_by(PortalFeedback.created_at)
            )
            return Inbox(
                requests=self._request_views(
                    s, list(s.scalars(req_q.order_by(PortalDataRequest.created_at)))
                ),
                errors=self._feedback_views(s, list(errors)),
                comments=self._feedback_views(s, list(comments)),
            )
