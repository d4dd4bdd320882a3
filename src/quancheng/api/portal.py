"""API routes of the public's interaction with the open data portal (opendata.interaction)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from quancheng.api.deps import PrincipalDep, ServicesDep
from quancheng.api.schemas import API_ERRORS
from quancheng.errors import NotAuthenticated, PermissionDenied
from quancheng.identity.roles import Principal
from quancheng.opendata.interaction_model import (
    BODY_MAX,
    ORGANISATION_MAX,
    TITLE_MAX,
    URL_MAX,
)

router = APIRouter(prefix="/portal", tags=["portal"], responses=API_ERRORS)

# Generous edge limits: the service refuses anything past its own limits with field errors,
# these only keep absurd bodies out of memory.
EDGE_MAX = BODY_MAX * 4


class _View(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class EntryRefOut(_View):
    """An open entry."""

    id: int
    code: str
    name: str
    name_en: str


class DepartmentRefOut(_View):
    """A department."""

    id: int
    key: str
    name: str
    name_en: str


class RequestOut(_View):
    """A data request and the department's public answer."""

    id: int
    title: str
    description: str
    purpose: str
    department: DepartmentRefOut | None
    requester: str
    state: str = Field(
        description="pending_review, open, answered, planned, published, declined, rejected"
    )
    answer: str
    answered_at: dt.datetime | None
    entry: EntryRefOut | None
    votes: int
    created_at: dt.datetime


class RequestList(BaseModel):
    """A page of requests."""

    total: int
    requests: list[RequestOut]


class RequestIn(BaseModel):
    """Ask for data that is not open yet."""

    title: str = Field(max_length=EDGE_MAX, description=f"at most {TITLE_MAX} characters")
    description: str = Field(max_length=EDGE_MAX, description=f"at most {BODY_MAX} characters")
    purpose: str = Field("", max_length=EDGE_MAX)
    department: str | None = Field(None, description="key or id of the department asked")


class ReviewIn(BaseModel):
    """The authority's review of a request."""

    decision: Literal["accept", "reject"]
    department: str | None = None
    reason: str = Field("", max_length=EDGE_MAX)


class AnswerIn(BaseModel):
    """The department's public answer."""

    outcome: Literal["answered", "planned", "published", "declined"]
    answer: str = Field(max_length=EDGE_MAX)
    entry: str | None = Field(None, description="id or code of the open entry (published)")


class FeedbackOut(_View):
    """A comment with its rating, or an error report, and the department's reply."""

    id: int
    entry: EntryRefOut
    kind: str = Field(description="comment or error")
    rating: int | None
    body: str
    state: str = Field(description="comment: pending, published, rejected; error: open, …")
    author: str
    reply: str
    replied_at: dt.datetime | None
    created_at: dt.datetime


class EntryFeedbackOut(_View):
    """What the public sees under an open entry."""

    entry: EntryRefOut
    average_rating: float | None
    ratings: int
    comments: list[FeedbackOut]
    errors: list[FeedbackOut]


class FeedbackIn(BaseModel):
    """A comment (optionally rated) or an error report."""

    kind: Literal["comment", "error"]
    body: str = Field(max_length=EDGE_MAX, description=f"at most {BODY_MAX} characters")
    rating: int | None = Field(None, ge=1, le=5)


class ModerateIn(BaseModel):
    """The authority's decision on a comment or a reuse."""

    decision: Literal["publish", "approve", "reject"]
    reason: str = Field("", max_length=EDGE_MAX)


class ReplyIn(BaseModel):
    """The department's reply; an error report also takes its outcome."""

    reply: str = Field(max_length=EDGE_MAX)
    outcome: Literal["resolved", "declined"] | None = None


class ReuseOut(_View):
    """A reuse of open data."""

    id: int
    title: str
    kind: str = Field(description="app, research, visualisation or news")
    description: str
    url: str
    organisation: str
    submitter: str
    state: str = Field(description="pending, approved, rejected")
    reason: str
    entries: list[EntryRefOut]
    created_at: dt.datetime


class ReuseList(BaseModel):
    """A page of the showcase."""

    total: int
    reuses: list[ReuseOut]


class ReuseIn(BaseModel):
    """Show what was built on open data."""

    title: str = Field(max_length=EDGE_MAX, description=f"at most {TITLE_MAX} characters")
    kind: str = Field(max_length=32)
    description: str = Field(max_length=EDGE_MAX)
    url: str = Field("", max_length=URL_MAX * 4, description="http:// or https://")
    organisation: str = Field("", max_length=ORGANISATION_MAX * 4)
    entries: list[str | int] = Field(max_length=50, description="ids or codes of open entries")


class ModerationOut(_View):
    """What waits for the platform authority."""

    requests: list[RequestOut]
    comments: list[FeedbackOut]
    reuses: list[ReuseOut]


class InboxOut(_View):
    """What waits for a department."""

    requests: list[RequestOut]
    errors: list[FeedbackOut]
    comments: list[FeedbackOut]


def writer(principal: PrincipalDep) -> Principal:
    """A logged-in caller; checked before the body so anonymous writes always answer 401."""
    if principal.user_id is None:
        raise NotAuthenticated("log in or present an API token")
    return principal


def authority(principal: Annotated[Principal, Depends(writer)]) -> Principal:
    """The platform authority; checked before the body is read."""
    if not principal.is_platform_admin:
        raise PermissionDenied("only the platform authority moderates the portal")
    return principal


WriterDep = Annotated[Principal, Depends(writer)]
AuthorityDep = Annotated[Principal, Depends(authority)]


# -- data requests ------------------------------------------------------------------------


@router.get("/requests", response_model=RequestList)
def list_requests(
    services: ServicesDep,
    principal: PrincipalDep,
    state: str | None = None,
    department: str | None = None,
    mine: bool = False,
    limit: int = Query(50, ge=1, le=200),
    offset: int = Query(0, ge=0),
) -> RequestList:
    """Public data requests (or the caller's own with mine=true), newest first."""
    total, views = services.interaction.list_requests(
        principal, state=state, department=department, mine=mine, limit=limit, offset=offset
    )
    return RequestList(total=total, requests=[RequestOut.model_validate(v) for v in views])


@router.post("/requests", response_model=RequestOut, status_code=201)
def create_request(body: RequestIn, services: ServicesDep, principal: WriterDep) -> RequestOut:
    """Ask for data that is not open yet (it is reviewed before it shows)."""
    view = services.interaction.submit_request(
        principal,
        title=body.title,
        description=body.description,
        purpose=body.purpose,
        department=body.department,
    )
    return RequestOut.model_validate(view)


@router.get("/requests/{request_id}", response_model=RequestOut)
def show_request(request_id: int, services: ServicesDep, principal: PrincipalDep) -> RequestOut:
    """One data request."""
    return RequestOut.model_validate(services.interaction.get_request(principal, request_id))


@router.post("/requests/{request_id}/review", response_model=RequestOut)
def review_request(
    request_id: int, body: ReviewIn, services: ServicesDep, principal: AuthorityDep
) -> RequestOut:
    """The authority opens the request for a department or rejects it."""
    view = services.interaction.review_request(
        principal,
        request_id,
        decision=body.decision,
        department=body.department,
        reason=body.reason,
    )
    return RequestOut.model_validate(view)


@router.post("/requests/{request_id}/answer", response_model=RequestOut)
def answer_request(
    request_id: int, body: AnswerIn, services: ServicesDep, principal: WriterDep
) -> RequestOut:
    """The department asked answers in public."""
    view = services.interaction.answer_request(
        principal, request_id, outcome=body.outcome, answer=body.answer, entry=body.entry
    )
    return RequestOut.model_validate(view)


@router.post("/requests/{request_id}/vote", response_model=RequestOut)
def vote_request(request_id: int, services: ServicesDep, principal: WriterDep) -> RequestOut:
    """'I need this too' (once per user)."""
    return RequestOut.model_validate(services.interaction.vote(principal, request_id))


# -- feedback -----------------------------------------------------------------------------


@router.get("/datasets/{entry_id}/feedback", response_model=EntryFeedbackOut)
def entry_feedback(entry_id: str, services: ServicesDep) -> EntryFeedbackOut:
    """An open entry's average rating, published comments and resolved error reports."""
    return EntryFeedbackOut.model_validate(services.interaction.entry_feedback(entry_id))


@router.post("/datasets/{entry_id}/feedback", response_model=FeedbackOut, status_code=201)
def create_feedback(
    entry_id: str, body: FeedbackIn, services: ServicesDep, principal: WriterDep
) -> FeedbackOut:
    """Comment on (and rate) an open entry, or report an error in it."""
    view = services.interaction.add_feedback(
        principal, entry_id, kind=body.kind, body=body.body, rating=body.rating
    )
    return FeedbackOut.model_validate(view)


@router.get("/feedback/{feedback_id}", response_model=FeedbackOut)
def show_feedback(feedback_id: int, services: ServicesDep, principal: PrincipalDep) -> FeedbackOut:
    """One comment or error report (pending ones only for their author and the moderators)."""
    return FeedbackOut.model_validate(services.interaction.get_feedback(principal, feedback_id))


@router.post("/feedback/{feedback_id}/moderate", response_model=FeedbackOut)
def moderate_feedback(
    feedback_id: int, body: ModerateIn, services: ServicesDep, principal: AuthorityDep
) -> FeedbackOut:
    """The authority publishes or rejects a comment."""
    decision = "publish" if body.decision in ("publish", "approve") else "reject"
    view = services.interaction.moderate_comment(
        principal, feedback_id, decision=decision, reason=body.reason
    )
    return FeedbackOut.model_validate(view)


@router.post("/feedback/{feedback_id}/reply", response_model=FeedbackOut)
def reply_feedback(
    feedback_id: int, body: ReplyIn, services: ServicesDep, principal: WriterDep
) -> FeedbackOut:
    """The owning department replies (and settles an error report)."""
    view = services.interaction.reply_feedback(
        principal, feedback_id, reply=body.reply, outcome=body.outcome
    )
    return FeedbackOut.model_validate(view)


# -- reuses -------------------------------------------------------------------------------


@router.get("/reuses", response_model=ReuseList)
def list_reuses(
    services: ServicesDep,
    kind: str | None = None,
    limit: int = Query(60, ge=1, le=200),
    offset: int = Query(0, ge=0),
) -> ReuseList:
    """The showcase: approved reuses, optionally of one kind."""
    total, views = services.interaction.list_reuses(kind=kind, limit=limit, offset=offset)
    return ReuseList(total=total, reuses=[ReuseOut.model_validate(v) for v in views])


@router.post("/reuses", response_model=ReuseOut, status_code=201)
def create_reuse(body: ReuseIn, services: ServicesDep, principal: WriterDep) -> ReuseOut:
    """Submit a reuse for the showcase (approved by the authority before it shows)."""
    view = services.interaction.submit_reuse(
        principal,
        title=body.title,
        kind=body.kind,
        description=body.description,
        url=body.url,
        organisation=body.organisation,
        entries=body.entries,
    )
    return ReuseOut.model_validate(view)


@router.get("/reuses/{reuse_id}", response_model=ReuseOut)
def show_reuse(reuse_id: int, services: ServicesDep, principal: PrincipalDep) -> ReuseOut:
    """One reuse."""
    return ReuseOut.model_validate(services.interaction.get_reuse(principal, reuse_id))


@router.post("/reuses/{reuse_id}/moderate", response_model=ReuseOut)
def moderate_reuse(
    reuse_id: int, body: ModerateIn, services: ServicesDep, principal: AuthorityDep
) -> ReuseOut:
    """The authority approves or rejects a reuse (a rejection needs a reason)."""
    decision = "approve" if body.decision in ("publish", "approve") else "reject"
    view = services.interaction.moderate_reuse(
        principal, reuse_id, decision=decision, reason=body.reason
    )
    return ReuseOut.model_validate(view)


# -- queues -------------------------------------------------------------------------------


@router.get("/moderation", response_model=ModerationOut)
def moderation(services: ServicesDep, principal: PrincipalDep) -> ModerationOut:
    """What waits for the platform authority."""
    return ModerationOut.model_validate(services.interaction.moderation(principal))


@router.get("/inbox", response_model=InboxOut)
def inbox(services: ServicesDep, principal: PrincipalDep) -> InboxOut:
    """What waits for the caller's department."""
    return InboxOut.model_validate(services.interaction.inbox(principal))
