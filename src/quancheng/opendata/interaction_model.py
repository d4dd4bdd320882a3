"""The public's interaction with the portal: limits, states, checks and the views shown."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from quancheng.catalog.model import PORTAL_OPEN_TYPES
from quancheng.db.models import (
    CatalogEntry,
    User,
)
from quancheng.errors import (
    FieldError,
    NotAuthenticated,
    PermissionDenied,
)
from quancheng.identity.roles import Permission, Principal

TITLE_MAX = 200
BODY_MAX = 2000
ORGANISATION_MAX = 200
URL_MAX = 1000
MAX_LINKS = 3
# QC_PORTAL_SUBMISSIONS_PER_HOUR: requests, comments, error reports and reuses per user.
SUBMISSIONS_PER_HOUR = 10
# QC_PORTAL_REGISTRATIONS_PER_HOUR: sign-up attempts per client address.
REGISTRATIONS_PER_HOUR = 5
# The same text sent again by the same user within this window is refused as a repeat.
REPEAT_WINDOW = timedelta(days=1)

_LINK = re.compile(r"(?i)\b(?:https?://|www\.)")
PUBLISHED = "published"

# Data requests: the authority reviews (pending_review → open | rejected), the department
# answers (open → answered | planned | published | declined; planned may move on later).
REQUEST_OUTCOMES = ("answered", "planned", "published", "declined")
REQUEST_STATES = ("pending_review", "open", *REQUEST_OUTCOMES, "rejected")
REQUEST_PUBLIC = frozenset({"open", *REQUEST_OUTCOMES})
REQUEST_ANSWERABLE = frozenset({"open", "answered", "planned"})
# Feedback: comments are moderated (pending → published | rejected); error reports go to the
# owning department (open → resolved | declined).
FEEDBACK_KINDS = ("comment", "error")
COMMENT_STATES = ("pending", "published", "rejected")
ERROR_STATES = ("open", "resolved", "declined")
ERROR_OUTCOMES = ("resolved", "declined")
# Reuses: the authority approves (pending → approved | rejected).
REUSE_KINDS = ("app", "research", "visualisation", "news")
REUSE_STATES = ("pending", "approved", "rejected")


def count_links(text: str) -> int:
    """How many web links a text holds."""
    return len(_LINK.findall(text))


def text_problems(
    fields: Iterable[tuple[str, str, int, bool]],
) -> list[FieldError]:
    """What is wrong with submitted texts: (field, value, max length, required) each."""
    problems: list[FieldError] = []
    links = 0
    for name, value, limit, required in fields:
        if required and not value.strip():
            problems.append(FieldError(name, "required", "this field is required"))
        elif len(value) > limit:
            problems.append(
                FieldError(name, "too_long", f"at most {limit} characters ({len(value)} sent)")
            )
        links += count_links(value)
        if links > MAX_LINKS:
            problems.append(
                FieldError(name, "too_many_links", f"at most {MAX_LINKS} links in a submission")
            )
            links = -1_000_000  # report once
    return problems


def url_problem(url: str) -> FieldError | None:
    """Why a reuse's address is not acceptable (only http and https are), or None."""
    if not url:
        return None
    if len(url) > URL_MAX:
        return FieldError("url", "too_long", f"at most {URL_MAX} characters")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or any(c.isspace() for c in url):
        return FieldError("url", "invalid", "an http:// or https:// address")
    return None


@dataclass(frozen=True)
class EntryRef:
    """An open entry named by a request or a reuse."""

    id: int
    code: str
    name: str
    name_en: str


@dataclass(frozen=True)
class DepartmentRef:
    """The department a request is addressed to."""

    id: int
    key: str
    name: str
    name_en: str


@dataclass(frozen=True)
class RequestView:
    """A data request as its readers see it."""

    id: int
    title: str
    description: str
    purpose: str
    department: DepartmentRef | None
    requester: str
    requested_by: int | None
    state: str
    answer: str
    answered_at: datetime | None
    entry: EntryRef | None
    votes: int
    created_at: datetime


@dataclass(frozen=True)
class FeedbackView:
    """A comment (with its rating) or an error report, with the department's reply."""

    id: int
    entry: EntryRef
    department_id: int
    kind: str
    rating: int | None
    body: str
    state: str
    author: str
    user_id: int | None
    reply: str
    replied_at: datetime | None
    created_at: datetime


@dataclass(frozen=True)
class ReuseView:
    """An app, study, visualisation or story built on open entries."""

    id: int
    title: str
    kind: str
    description: str
    url: str
    organisation: str
    submitter: str
    submitted_by: int | None
    state: str
    reason: str
    entries: tuple[EntryRef, ...]
    created_at: datetime


@dataclass(frozen=True)
class EntryFeedback:
    """What the public sees under an open entry."""

    entry: EntryRef
    average_rating: float | None
    ratings: int
    comments: list[FeedbackView]
    errors: list[FeedbackView]


@dataclass(frozen=True)
class ModerationQueue:
    """What waits for the platform authority."""

    requests: list[RequestView]
    comments: list[FeedbackView]
    reuses: list[ReuseView]


@dataclass(frozen=True)
class Inbox:
    """What waits for a department: requests to answer, error reports, comments to reply to."""

    requests: list[RequestView]
    errors: list[FeedbackView]
    comments: list[FeedbackView]


def entry_ref_of(entry: CatalogEntry) -> EntryRef:
    return EntryRef(id=entry.id, code=entry.code, name=entry.name, name_en=entry.name_en)


def is_public_entry(entry: CatalogEntry | None) -> bool:
    return entry is not None and entry.status == PUBLISHED and entry.open_type in PORTAL_OPEN_TYPES


def user_names(s: Session, ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = s.execute(select(User.id, User.display_name, User.username).where(User.id.in_(wanted)))
    return {uid: display or username for uid, display, username in rows}


def require_user(actor: Principal) -> int:
    """The acting user's id; only people (not anonymous visitors) submit."""
    if actor.user_id is None:
        raise NotAuthenticated("log in to take part")
    return actor.user_id


def require_authority(actor: Principal) -> None:
    if not actor.is_authenticated:
        raise NotAuthenticated("log in or present an API token")
    if not actor.is_platform_admin:
        raise PermissionDenied("only the platform authority moderates the portal")


def require_department(actor: Principal, department_id: int | None) -> None:
    """The department's stewards and admins (or the authority) answer for it."""
    if not actor.is_authenticated:
        raise NotAuthenticated("log in or present an API token")
    if department_id is None or not actor.can(
        Permission.CATALOG_WRITE, department_id=department_id
    ):
        raise PermissionDenied(
            "only the department concerned answers this", details={"department_id": department_id}
        )
