"""有条件开放 in the web pages: apply under the agreement, decide, take a token for the grant."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse
from starlette.datastructures import FormData
from starlette.responses import Response

from quancheng.errors import PlatformError
from quancheng.identity.roles import Permission, Role
from quancheng.identity.service import IssuedToken
from quancheng.opendata.applications import (
    DEFAULT_PERIOD_DAYS,
    DEFAULT_QUOTA_PER_DAY,
    ApplicationState,
    ApplicationView,
)
from quancheng.web.i18n import N_
from quancheng.web.listing import PAGE_SIZE, Listing
from quancheng.web.render import FLASHES, FormDep, Web, WebDep
from quancheng.web.sharing_pages import _int, _refusable, _text, problem_of

router = APIRouter(default_response_class=HTMLResponse, include_in_schema=False)

FLASHES.update(
    {
        "application_sent": N_("Your application was sent. The department will answer it."),
        "application_withdrawn": N_("The application was withdrawn."),
        "application_approved": N_("The application was approved."),
        "application_rejected": N_("The application was rejected."),
    }
)
STATES = {
    ApplicationState.PENDING: N_("Waiting for the department"),
    ApplicationState.APPROVED: N_("Approved"),
    ApplicationState.REJECTED: N_("Rejected"),
    ApplicationState.WITHDRAWN: N_("Withdrawn"),
}


def _state(web: Web, value: str) -> str:
    msgid = STATES.get(value)
    return web.gettext(msgid) if msgid else value


def _apply_form(
    web: Web,
    entry_id: int,
    *,
    values: dict[str, str],
    problem: object = None,
    status: int = 200,
) -> Response:
    entry = web.services.catalog.get(web.principal, entry_id)
    text, digest = web.services.applications.agreement
    return web.page(
        "portal_apply.html",
        status=status,
        entry=entry,
        agreement=text,
        agreement_sha256=digest,
        values=values,
        problem=problem,
        public_user=web.principal.role is Role.PUBLIC_USER,
    )


@router.get("/open/datasets/{entry_id}/apply")
def apply_form(entry_id: int, web: WebDep) -> Response:
    """The application form with the data-use agreement (registered users)."""
    web.principal.require(Permission.TOKEN_MANAGE)
    return _apply_form(
        web,
        entry_id,
        values={"purpose": "", "organisation": "", "period_days": str(DEFAULT_PERIOD_DAYS)},
    )


@router.post("/open/datasets/{entry_id}/apply")
def apply(entry_id: int, web: WebDep, form: FormDep) -> Response:
    """Send the application; the agreement must be ticked."""
    web.principal.require(Permission.TOKEN_MANAGE)
    values = {k: _text(form, k) for k in ("purpose", "organisation", "period_days")}
    try:
        digest = _text(form, "agreement_sha256") if form.get("accept") == "yes" else ""
        view = web.services.applications.apply(
            web.principal,
            dataset_id=entry_id,
            purpose=values["purpose"],
            organisation=values["organisation"],
            period_days=_int(form, "period_days"),
            agreement_sha256=digest,
        )
    except PlatformError as exc:
        if not _refusable(exc):
            raise
        return _apply_form(
            web, entry_id, values=values, problem=problem_of(web, exc), status=exc.status
        )
    return web.redirect(f"/open/applications/{view.id}", flash="application_sent")


@router.get("/open/applications")
def applications(web: WebDep, box: str = "", state: str = "", offset: int = 0) -> Response:
    """My applications, or (for a department's deciders) those waiting for our answer."""
    p = web.principal
    p.require(Permission.TOKEN_MANAGE)
    decider = p.can(Permission.SHARING_DECIDE) and p.role is not Role.PUBLIC_USER
    box = box if box in ("mine", "inbox") else ("inbox" if decider else "mine")
    if box == "inbox":
        p.require(Permission.SHARING_DECIDE)
    wanted = state if state in ApplicationState.ALL else None
    start = max(offset, 0)
    views, total = web.services.applications.applications(
        p, box=box, state=wanted, limit=PAGE_SIZE, offset=start
    )
    listing = Listing.of("/open/applications", {"box": box, "state": wanted, "offset": start})
    return web.page(
        "portal_applications.html",
        rows=views,
        box=box,
        decider=decider,
        state=wanted or "",
        states=[(s, _state(web, s)) for s in ApplicationState.ALL],
        state_label=lambda v: _state(web, v),
        tab_url=lambda b: Listing.of("/open/applications", {"box": b}).url(),
        state_url=lambda v: listing.url(state=v),
        paging=listing.pages(total, start),
    )


def _detail(
    web: Web,
    view: ApplicationView,
    *,
    problem: object = None,
    issued: IssuedToken | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    p = web.principal
    pending = view.state == ApplicationState.PENDING
    may_decide = (
        pending
        and p.role is not Role.PUBLIC_USER
        and p.can(Permission.SHARING_DECIDE, department_id=view.department_id)
    )
    return web.page(
        "portal_application.html",
        status=status,
        app=view,
        state_label=_state(web, view.state),
        mine=_is_applicant(web, view),
        may_decide=may_decide,
        may_withdraw=pending and _is_applicant(web, view),
        may_take_token=_is_applicant(web, view) and view.grant_state == "active",
        issued=issued,
        request_base=str(web.request.base_url).rstrip("/"),
        problem=problem,
        values=values or {"quota_per_day": str(DEFAULT_QUOTA_PER_DAY), "reason": ""},
    )


def _is_applicant(web: Web, view: ApplicationView) -> bool:
    return web.principal.user_id == view.applicant_id


@router.get("/open/applications/{application_id}")
def application(application_id: int, web: WebDep) -> Response:
    """One application: its state, the decision form or the applicant's tokens."""
    web.principal.require(Permission.TOKEN_MANAGE)
    return _detail(web, web.services.applications.application(web.principal, application_id))


@router.post("/open/applications/{application_id}/decide")
def decide(application_id: int, web: WebDep, form: FormDep) -> Response:
    """The owning department approves (with a daily quota) or rejects (with a reason)."""
    p = web.principal
    p.require(Permission.SHARING_DECIDE)
    service = web.services.applications
    values = {"quota_per_day": _text(form, "quota_per_day"), "reason": _text(form, "reason")}
    approve = _text(form, "decision") == "approve"
    try:
        quota = _quota(form)
        view = service.decide(
            p, application_id, approve=approve, reason=values["reason"], quota_per_day=quota
        )
    except PlatformError as exc:
        if not _refusable(exc):
            raise
        current = service.application(p, application_id)
        return _detail(web, current, problem=problem_of(web, exc), values=values, status=exc.status)
    flash = "application_approved" if approve else "application_rejected"
    return web.redirect(f"/open/applications/{view.id}", flash=flash)


def _quota(form: FormData) -> int | None:
    if not _text(form, "quota_per_day"):
        return None
    return _int(form, "quota_per_day")


@router.post("/open/applications/{application_id}/withdraw")
def withdraw(application_id: int, web: WebDep, form: FormDep) -> Response:
    """The applicant withdraws a pending application."""
    web.principal.require(Permission.TOKEN_MANAGE)
    web.services.applications.withdraw(web.principal, application_id)
    return web.redirect(f"/open/applications/{application_id}", flash="application_withdrawn")


@router.post("/open/applications/{application_id}/tokens")
def take_token(application_id: int, web: WebDep, form: FormDep) -> Response:
    """Issue an API token bound to the grant; its secret is on this page only."""
    p = web.principal
    p.require(Permission.TOKEN_MANAGE)
    service = web.services.applications
    issued = service.issue_token(p, application_id, name=_text(form, "name"))
    return _detail(web, service.application(p, application_id), issued=issued)
