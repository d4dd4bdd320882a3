"""The public's pages of the open data portal: sign-up, data requests, feedback and reuses."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter
from fastapi.responses import HTMLResponse
from starlette.datastructures import FormData
from starlette.responses import Response

from quancheng.api.deps import SESSION_COOKIE
from quancheng.errors import (
    BadRequest,
    Conflict,
    FieldError,
    InvalidTransition,
    NotAuthenticated,
    PlatformError,
    RateLimited,
    ValidationFailed,
)
from quancheng.identity.roles import Permission, Role
from quancheng.opendata.interaction_model import (
    BODY_MAX,
    ORGANISATION_MAX,
    REQUEST_OUTCOMES,
    REUSE_KINDS,
    TITLE_MAX,
    URL_MAX,
    FeedbackView,
    RequestView,
)
from quancheng.web.i18n import N_
from quancheng.web.render import FLASHES, FormDep, Web, WebDep, form_problem, form_text
from quancheng.web.security import safe_next

router = APIRouter(default_response_class=HTMLResponse, include_in_schema=False)

PAGE_SIZE = 20
DISPLAY_NAME_MAX = 100

FLASHES.update(
    {
        "portal_registered": N_("Welcome! Your account was created and you are logged in."),
        "portal_request_sent": N_("Your request was sent; it shows once it has been reviewed."),
        "portal_reviewed": N_("The review was recorded."),
        "portal_answered": N_("The answer was published."),
        "portal_voted": N_("Your vote was counted."),
        "portal_comment_sent": N_("Your comment was sent; it shows once it has been moderated."),
        "portal_error_sent": N_("Your error report was sent to the department."),
        "portal_moderated": N_("The decision was recorded."),
        "portal_replied": N_("The reply was published."),
        "portal_reuse_sent": N_("Your reuse was sent; it shows once it has been approved."),
    }
)

STATES: dict[str, str] = {
    "pending_review": N_("Awaiting review"),
    # Not "Open" and "Answered": those msgids are a link ("查看") and a time ("答复时间").
    "open": N_("Awaiting an answer"),
    "answered": N_("Answer given"),
    "planned": N_("Planned"),
    "published": N_("Published"),
    "declined": N_("Declined"),
    "rejected": N_("Rejected"),
    "pending": N_("Awaiting moderation"),
    "resolved": N_("Resolved"),
    "approved": N_("Approved"),
}
KINDS: dict[str, str] = {
    "app": N_("App"),
    "research": N_("Research"),
    "visualisation": N_("Visualisation"),
    "news": N_("News"),
}
FIELDS: dict[str, str] = {
    "username": N_("User name"),
    "display_name": N_("Display name"),
    "password": N_("Password"),
    "password2": N_("Password again"),
    "title": N_("Title"),
    "description": N_("Description"),
    "purpose": N_("What you will use it for"),
    "department": N_("Department asked"),
    "body": N_("Your text"),
    "rating": N_("Rating"),
    "kind": N_("Kind"),
    "url": N_("Web address"),
    "organisation": N_("Organisation"),
    "entries": N_("Open data used"),
    "answer": N_("Answer"),
    "outcome": N_("Outcome"),
    "entry": N_("Open entry"),
    "reply": N_("Reply"),
    "reason": N_("Reason"),
}
LIMITS = {
    "title": TITLE_MAX,
    "organisation": ORGANISATION_MAX,
    "url": URL_MAX,
    "display_name": DISPLAY_NAME_MAX,
}
FIELD_MESSAGES: dict[str, str] = {
    "required": N_("This field is required."),
    "too_many_links": N_("At most 3 links are allowed in one submission."),
    "not_open": N_("Only open entries of the catalog can be named."),
    "unknown": N_("There is no such department."),
    "duplicate": N_("This user name is taken."),
    "too_short": N_("At least 8 characters."),
    "same_as_username": N_("The password must differ from the user name."),
    "too_common": N_("This password is among the most used. Choose another."),
    "mismatch": N_("The two passwords differ."),
    "reserved": N_("A display name must not name a department or the platform."),
}
INVALID: dict[str, str] = {
    "username": N_("3 to 64 letters, digits, '.', '_' or '-'."),
    "url": N_("Give an address starting with http:// or https://."),
    "rating": N_("Choose a rating from 1 to 5."),
    "kind": N_("Choose one of the listed kinds."),
    "outcome": N_("Choose an outcome."),
}
PROBLEMS: dict[str, str] = {
    "duplicate_submission": N_("You have already sent exactly this."),
    "already_voted": N_("You have already voted for this request."),
    "rate_limited": N_("Too many submissions. Please try again in an hour."),
    "invalid_transition": N_("This step is no longer possible."),
}


def _problem(web: Web, exc: PlatformError) -> dict[str, Any]:
    return form_problem(web, exc, _field_message, PROBLEMS)


def _field_message(web: Web, error: FieldError) -> str:
    if error.code == "too_long":
        limit = LIMITS.get(error.field, BODY_MAX)
        return web.gettext(N_("Too long: at most %(n)s characters.")) % {"n": limit}
    if error.code == "invalid":
        return web.gettext(INVALID.get(error.field, N_("This value is not valid.")))
    return web.gettext(FIELD_MESSAGES.get(error.code, N_("This value is not valid.")))


def _page_number(page: int) -> int:
    return max(1, min(page, 10_000))


def _helpers(web: Web) -> dict[str, Any]:
    """What every template of this module uses to name states, kinds and fields."""

    def label(table: dict[str, str]) -> Any:
        def name(value: str) -> str:
            msgid = table.get(value)
            return web.gettext(msgid) if msgid else value

        return name

    return {
        "state_label": label(STATES),
        "kind_label": label(KINDS),
        "field_label": label(FIELDS),
        "limits": {"title": TITLE_MAX, "body": BODY_MAX, "url": URL_MAX, "org": ORGANISATION_MAX},
        "entry_name": lambda e: e.name_en if web.english and e.name_en else e.name,
    }


def _render(web: Web, template: str, *, status: int = 200, **context: Any) -> Response:
    return web.page(template, status=status, **_helpers(web), **context)


def _require_login(web: Web) -> None:
    if web.principal.user_id is None:
        raise NotAuthenticated("log in to take part")


# -- registration -------------------------------------------------------------------------


@router.get("/register")
def register_form(web: WebDep) -> Response:
    """The sign-up form for members of the public."""
    return _render(web, "register.html", values={}, problem=None)


@router.post("/register")
def register(web: WebDep, form: FormDep) -> Response:
    """Create a public user, log them in and go to the open data requests."""
    values = {k: form_text(form, k).strip() for k in ("username", "display_name")}
    password, password2 = form_text(form, "password"), form_text(form, "password2")
    client = web.request.client.host if web.request.client else "unknown"
    identity = web.services.identity
    try:
        web.services.interaction.note_registration_attempt(client)
        extra: list[FieldError] = []
        if password != password2:
            extra.append(FieldError("password2", "mismatch", "the two passwords differ"))
        if len(values["display_name"]) > DISPLAY_NAME_MAX:
            extra.append(FieldError("display_name", "too_long", "too long"))
        if extra:
            raise ValidationFailed("invalid user", errors=extra)
        user = identity.create_user(
            None,
            username=values["username"],
            password=password,
            role=Role.PUBLIC_USER,
            department=None,
            display_name=values["display_name"],
        )
    except RateLimited:
        problem = {
            "title": web.gettext(N_("Not sent")),
            "message": web.gettext(
                N_("Too many registrations from this address. Please try again later.")
            ),
            "fields": {},
        }
        return _render(web, "register.html", status=429, values=values, problem=problem)
    except ValidationFailed as exc:
        problem = _problem(web, exc)
        return _render(web, "register.html", status=exc.status, values=values, problem=problem)
    old = web.request.cookies.get(SESSION_COOKIE)
    if old:
        identity.end_session(old)
    secret, _ = identity.start_session(user)
    response = web.redirect("/open/requests", flash="portal_registered")
    web.set_cookie(response, SESSION_COOKIE, secret, max_age=web.settings.session_hours * 3600)
    return response


# -- data requests ------------------------------------------------------------------------


@router.get("/open/requests")
def request_list(
    web: WebDep, state: str = "", department: str = "", mine: bool = False, page: int = 1
) -> Response:
    """Public data requests and the departments' answers."""
    if mine:
        _require_login(web)
    page = _page_number(page)
    total, views = web.services.interaction.list_requests(
        web.principal,
        state=state or None,
        department=department or None,
        mine=mine,
        limit=PAGE_SIZE,
        offset=(page - 1) * PAGE_SIZE,
    )
    query = {"state": state, "department": department, "mine": "1" if mine else ""}
    base = {k: v for k, v in query.items() if v}
    return _render(
        web,
        "portal_request_list.html",
        requests=views,
        total=total,
        state=state,
        mine=mine,
        states=("open", "answered", "planned", "published", "declined"),
        prev_url=f"/open/requests?{urlencode(base | {'page': page - 1})}" if page > 1 else None,
        next_url=f"/open/requests?{urlencode(base | {'page': page + 1})}"
        if page * PAGE_SIZE < total
        else None,
    )


def _request_form(web: Web, *, values: dict[str, str], problem: Any, status: int = 200) -> Response:
    departments = [d for d in web.services.identity.list_departments()]
    return _render(
        web,
        "portal_request_new.html",
        status=status,
        values=values,
        problem=problem,
        departments=departments,
    )


@router.get("/open/requests/new")
def request_new(web: WebDep) -> Response:
    """The form to ask for data that is not open yet."""
    _require_login(web)
    return _request_form(web, values={}, problem=None)


@router.post("/open/requests/new")
def request_create(web: WebDep, form: FormDep) -> Response:
    """Send a data request; it is reviewed before it shows."""
    _require_login(web)
    values = {k: form_text(form, k) for k in ("title", "description", "purpose", "department")}
    try:
        view = web.services.interaction.submit_request(
            web.principal,
            title=values["title"],
            description=values["description"],
            purpose=values["purpose"],
            department=values["department"] or None,
        )
    except (ValidationFailed, Conflict, RateLimited) as exc:
        return _request_form(web, values=values, problem=_problem(web, exc), status=exc.status)
    return web.redirect(f"/open/requests/{view.id}", flash="portal_request_sent")


def _request_page(
    web: Web, view: RequestView, *, problem: Any = None, status: int = 200
) -> Response:
    p = web.principal
    dept_id = view.department.id if view.department else None
    return _render(
        web,
        "portal_request.html",
        status=status,
        req=view,
        problem=problem,
        can_vote=p.user_id is not None and view.state not in ("pending_review", "rejected"),
        voted=web.services.interaction.has_voted(p, view.id),
        can_review=p.is_platform_admin and view.state in ("pending_review", "open"),
        can_answer=dept_id is not None
        and p.can(Permission.CATALOG_WRITE, department_id=dept_id)
        and view.state in ("open", "answered", "planned"),
        outcomes=REQUEST_OUTCOMES,
        departments=web.services.identity.list_departments() if p.is_platform_admin else [],
    )


@router.get("/open/requests/{request_id}")
def request_detail(web: WebDep, request_id: int) -> Response:
    """One data request with the department's answer."""
    return _request_page(web, web.services.interaction.get_request(web.principal, request_id))


def _request_step(web: Web, request_id: int, step: Any, flash: str) -> Response:
    interaction = web.services.interaction
    try:
        step()
    except (ValidationFailed, Conflict, RateLimited, BadRequest) as exc:
        view = interaction.get_request(web.principal, request_id)
        return _request_page(web, view, problem=_problem(web, exc), status=exc.status)
    return web.redirect(f"/open/requests/{request_id}", flash=flash)


@router.post("/open/requests/{request_id}/vote")
def request_vote(web: WebDep, form: FormDep, request_id: int) -> Response:
    """'I need this too'."""
    _require_login(web)
    return _request_step(
        web,
        request_id,
        lambda: web.services.interaction.vote(web.principal, request_id),
        "portal_voted",
    )


@router.post("/open/requests/{request_id}/review")
def request_review(web: WebDep, form: FormDep, request_id: int) -> Response:
    """The authority opens a request for a department, or rejects it."""
    return _request_step(
        web,
        request_id,
        lambda: web.services.interaction.review_request(
            web.principal,
            request_id,
            decision=form_text(form, "decision"),
            department=form_text(form, "department") or None,
            reason=form_text(form, "reason"),
        ),
        "portal_reviewed",
    )


@router.post("/open/requests/{request_id}/answer")
def request_answer(web: WebDep, form: FormDep, request_id: int) -> Response:
    """The department asked answers in public."""
    return _request_step(
        web,
        request_id,
        lambda: web.services.interaction.answer_request(
            web.principal,
            request_id,
            outcome=form_text(form, "outcome"),
            answer=form_text(form, "answer"),
            entry=form_text(form, "entry") or None,
        ),
        "portal_answered",
    )


# -- feedback on an entry -----------------------------------------------------------------


def _back_to(web: Web, entry_id: str) -> str:
    """Where a feedback form returns: the page that loaded the fragment, if it is ours."""
    current = web.request.headers.get("hx-current-url", "")
    path = urlsplit(current).path if current else ""
    return safe_next(path, f"/open/datasets/{entry_id}/feedback")


def _feedback_page(
    web: Web,
    entry_id: str,
    *,
    problem: Any = None,
    values: dict[str, str] | None = None,
    status: int = 200,
    fragment: bool = False,
) -> Response:
    feedback = web.services.interaction.entry_feedback(entry_id)
    context = {
        **_helpers(web),
        "fb": feedback,
        "problem": problem,
        "values": values or {},
        "next_url": _back_to(web, entry_id) if fragment else "",
        "login_url": "/login?" + urlencode({"next": _back_to(web, entry_id)}),
    }
    if fragment:
        return web.fragment("portal_feedback_fragment.html", status=status, **context)
    return web.page("portal_feedback.html", status=status, **context)


@router.get("/open/datasets/{entry_id}/feedback")
def entry_feedback(web: WebDep, entry_id: str) -> Response:
    """An open entry's rating, comments and settled error reports (a fragment for htmx)."""
    return _feedback_page(web, entry_id, fragment=web.is_htmx)


@router.post("/open/datasets/{entry_id}/feedback")
def feedback_create(web: WebDep, form: FormDep, entry_id: str) -> Response:
    """Send a comment (with a rating) or an error report."""
    _require_login(web)
    kind = form_text(form, "kind")
    values = {"kind": kind, "body": form_text(form, "body"), "rating": form_text(form, "rating")}
    raw = values["rating"].strip()
    try:
        rating = int(raw) if raw else None
    except ValueError:
        rating = 0  # refused by the service with its field message
    try:
        web.services.interaction.add_feedback(
            web.principal, entry_id, kind=kind, body=values["body"], rating=rating
        )
    except (ValidationFailed, Conflict, RateLimited) as exc:
        return _feedback_page(
            web, entry_id, problem=_problem(web, exc), values=values, status=exc.status
        )
    flash = "portal_error_sent" if kind == "error" else "portal_comment_sent"
    return web.redirect(
        safe_next(form_text(form, "next"), f"/open/datasets/{entry_id}/feedback"), flash=flash
    )


def _feedback_return(web: Web, form: FormData, view: FeedbackView | None) -> str:
    fallback = f"/open/datasets/{view.entry.id}/feedback" if view else "/open/moderation"
    return safe_next(form_text(form, "next"), fallback)


@router.post("/open/feedback/{feedback_id}/moderate")
def feedback_moderate(web: WebDep, form: FormDep, feedback_id: int) -> Response:
    """The authority publishes or rejects a comment."""
    try:
        web.services.interaction.moderate_comment(
            web.principal,
            feedback_id,
            decision=form_text(form, "decision"),
            reason=form_text(form, "reason"),
        )
    except (InvalidTransition, BadRequest) as exc:
        return _queue_page(web, problem=_problem(web, exc), status=exc.status)
    return web.redirect(
        safe_next(form_text(form, "next"), "/open/moderation"), flash="portal_moderated"
    )


@router.post("/open/feedback/{feedback_id}/reply")
def feedback_reply(web: WebDep, form: FormDep, feedback_id: int) -> Response:
    """The owning department replies to a comment or settles an error report."""
    interaction = web.services.interaction
    try:
        view = interaction.reply_feedback(
            web.principal,
            feedback_id,
            reply=form_text(form, "reply"),
            outcome=form_text(form, "outcome") or None,
        )
    except (ValidationFailed, Conflict) as exc:
        return _inbox_page(web, problem=_problem(web, exc), status=exc.status)
    return web.redirect(_feedback_return(web, form, view), flash="portal_replied")


# -- reuses -------------------------------------------------------------------------------


@router.get("/open/reuses")
def reuse_list(web: WebDep, kind: str = "", page: int = 1) -> Response:
    """The showcase of apps, research, visualisations and news built on open data."""
    page = _page_number(page)
    total, views = web.services.interaction.list_reuses(
        kind=kind or None, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE
    )
    base = {"kind": kind} if kind else {}
    return _render(
        web,
        "portal_reuse_list.html",
        reuses=views,
        total=total,
        kind=kind,
        kinds=REUSE_KINDS,
        prev_url=f"/open/reuses?{urlencode(base | {'page': page - 1})}" if page > 1 else None,
        next_url=f"/open/reuses?{urlencode(base | {'page': page + 1})}"
        if page * PAGE_SIZE < total
        else None,
    )


@router.get("/open/reuses/new")
def reuse_new(web: WebDep, entry: str = "") -> Response:
    """The form to show what was built on open data."""
    _require_login(web)
    return _render(
        web, "portal_reuse_new.html", values={"entries": entry}, problem=None, kinds=REUSE_KINDS
    )


@router.post("/open/reuses/new")
def reuse_create(web: WebDep, form: FormDep) -> Response:
    """Send a reuse; it is approved before it shows."""
    _require_login(web)
    names = ("title", "kind", "description", "url", "organisation", "entries")
    values = {k: form_text(form, k) for k in names}
    refs = [r for r in values["entries"].replace("，", ",").replace("\n", ",").split(",")]
    try:
        view = web.services.interaction.submit_reuse(
            web.principal,
            title=values["title"],
            kind=values["kind"],
            description=values["description"],
            url=values["url"],
            organisation=values["organisation"],
            entries=[r.strip() for r in refs if r.strip()],
        )
    except (ValidationFailed, Conflict, RateLimited) as exc:
        return _render(
            web,
            "portal_reuse_new.html",
            status=exc.status,
            values=values,
            problem=_problem(web, exc),
            kinds=REUSE_KINDS,
        )
    return web.redirect(f"/open/reuses/{view.id}", flash="portal_reuse_sent")


@router.get("/open/reuses/{reuse_id}")
def reuse_detail(web: WebDep, reuse_id: int) -> Response:
    """One reuse and the open entries it is built on."""
    view = web.services.interaction.get_reuse(web.principal, reuse_id)
    return _render(web, "portal_reuse.html", reuse=view, problem=None)


@router.post("/open/reuses/{reuse_id}/moderate")
def reuse_moderate(web: WebDep, form: FormDep, reuse_id: int) -> Response:
    """The authority approves a reuse or rejects it with a reason."""
    try:
        web.services.interaction.moderate_reuse(
            web.principal,
            reuse_id,
            decision=form_text(form, "decision"),
            reason=form_text(form, "reason"),
        )
    except (ValidationFailed, InvalidTransition, BadRequest) as exc:
        return _queue_page(web, problem=_problem(web, exc), status=exc.status)
    return web.redirect(
        safe_next(form_text(form, "next"), "/open/moderation"), flash="portal_moderated"
    )


# -- queues -------------------------------------------------------------------------------


def _queue_page(web: Web, *, problem: Any = None, status: int = 200) -> Response:
    queue = web.services.interaction.moderation(web.principal)
    departments = web.services.identity.list_departments()
    return _render(
        web,
        "portal_moderation.html",
        status=status,
        queue=queue,
        problem=problem,
        departments=departments,
    )


@router.get("/open/moderation")
def moderation(web: WebDep) -> Response:
    """The authority's queue: requests to review, comments and reuses to moderate."""
    return _queue_page(web)


def _inbox_page(web: Web, *, problem: Any = None, status: int = 200) -> Response:
    inbox = web.services.interaction.inbox(web.principal)
    return _render(
        web,
        "portal_moderation_inbox.html",
        status=status,
        inbox=inbox,
        problem=problem,
        can_reply=web.principal.can(Permission.CATALOG_WRITE),
    )


@router.get("/open/inbox")
def inbox(web: WebDep) -> Response:
    """A department's requests to answer, error reports and comments awaiting a reply."""
    return _inbox_page(web)
