"""The sharing workbench: requests, decisions, grants, disputes and the platform's oversight."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import partial
from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse
from starlette.datastructures import FormData
from starlette.responses import Response

from quancheng.catalog.model import SharingType
from quancheng.datastore.masking import MaskRule
from quancheng.datastore.query import Op
from quancheng.errors import (
    BadRequest,
    Conflict,
    FieldError,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
    PlatformError,
    ValidationFailed,
)
from quancheng.identity.roles import Permission
from quancheng.sharing import views
from quancheng.sharing.model import PENDING_STATES, Action, RequestState
from quancheng.web import labels
from quancheng.web.i18n import N_
from quancheng.web.listing import PAGE_SIZE, Listing
from quancheng.web.render import FormDep, Web, WebDep
from quancheng.web.sharing_labels import (
    ACTIONS,
    DISPUTE_STATES,
    EVENTS,
    FIELDS,
    GRANT_STATES,
    MASKS,
    OPS,
    PROBLEMS,
    REFUSALS,
    REQUEST_STATES,
    TABS,
)

router = APIRouter(default_response_class=HTMLResponse, include_in_schema=False)

# Only states the form can set and the handler can return to; keeps `next` on our site.
RETURN_PATHS = ("/sharing",)
DECISIONS = (Action.APPROVE, Action.PARTIAL)


@dataclass(frozen=True)
class Problem:
    """A refused form: a translated title, the service's text, and field messages."""

    title: str
    message: str
    fields: dict[str, str] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)  # the fields' names, for the summary


@dataclass(frozen=True)
class Row:
    """One line of a workbench list."""

    url: str
    entry: views.EntryRef
    other: views.Party
    consumer: views.Party
    provider: views.Party
    state: str
    state_label: str
    due: datetime | None
    days_left: int | None
    overdue: bool


@dataclass(frozen=True)
class Item:
    """A data item as a form offers it."""

    ref: str
    label: str
    mask: str


def problem_of(web: Web, exc: PlatformError) -> Problem:
    """A service's refusal in the page's language, with one message per field."""
    fields: dict[str, str] = {}
    if isinstance(exc, ValidationFailed):
        for error in exc.errors:
            name = error.field.split(".", 1)[0]
            fields.setdefault(name, web.gettext(labels.error_message(error)))
    title = PROBLEMS.get(exc.status, PROBLEMS[400])
    if exc.code in REFUSALS:
        message = web.gettext(REFUSALS[exc.code])
    elif fields:
        message = ""  # each field says what is wrong with it, in the page's language
    else:
        message = exc.message
    names = {name: web.gettext(FIELDS[name]) for name in fields if name in FIELDS}
    return Problem(web.gettext(title), message, fields, names)


def _refusable(exc: PlatformError) -> bool:
    """Errors a form shows next to its fields; the rest go to the error page."""
    return isinstance(exc, BadRequest | Conflict | ValidationFailed)


def state_label(web: Web, table: Mapping[str, str], value: str) -> str:
    """A state in the page's language."""
    msgid = table.get(value)
    return web.gettext(msgid) if msgid else value


def _days_left(web: Web, due: datetime | None, *, pending: bool) -> int | None:
    if due is None or not pending:
        return None
    rules = web.services.sharing.rules
    return rules.workdays(web.services.sharing.clock(), due)


def request_row(web: Web, view: views.RequestView, *, as_provider: bool) -> Row:
    """A request as a line of a list, named by the other side."""
    pending = view.state in PENDING_STATES
    return Row(
        url=f"/sharing/requests/{view.id}",
        entry=view.entry,
        other=view.consumer if as_provider else view.provider,
        consumer=view.consumer,
        provider=view.provider,
        state=view.state.value,
        state_label=state_label(web, REQUEST_STATES, view.state.value),
        due=view.deadline_at,
        days_left=_days_left(web, view.deadline_at, pending=pending),
        overdue=view.overdue,
    )


def grant_row(web: Web, view: views.GrantView, *, as_provider: bool) -> Row:
    """A grant as a line of a list."""
    return Row(
        url=f"/sharing/grants/{view.id}",
        entry=view.entry,
        other=view.department if as_provider else view.provider,
        consumer=view.department,
        provider=view.provider,
        state=view.state.value,
        state_label=state_label(web, GRANT_STATES, view.state.value),
        due=view.expires_at,
        days_left=None,
        overdue=False,
    )


def dispute_row(web: Web, view: views.DisputeView) -> Row:
    """A dispute as a line of a list, named by the other side."""
    mine = web.principal.department_id == view.consumer.id
    return Row(
        url=f"/sharing/disputes/{view.id}",
        entry=view.entry,
        other=view.provider if mine else view.consumer,
        consumer=view.consumer,
        provider=view.provider,
        state=view.state.value,
        state_label=state_label(web, DISPUTE_STATES, view.state.value),
        due=view.deadline_at,
        days_left=_days_left(web, view.deadline_at, pending=view.state.value == "open"),
        overdue=view.overdue,
    )


def _require_member(web: Web) -> None:
    """Departments and the platform authority take part; others hear 401 or 403 at once."""
    p = web.principal
    if p.is_platform_admin:
        return
    if p.department_id is not None and (
        p.can(Permission.SHARING_REQUEST) or p.can(Permission.SHARING_DECIDE)
    ):
        return
    p.require(Permission.SHARING_REQUEST)


@router.get("/sharing")
def workbench(web: WebDep, tab: str = "mine", state: str = "", offset: int = 0) -> Response:
    """My requests, my inbox, grants held and given, and disputes, filtered by state."""
    _require_member(web)
    p = web.principal
    sharing = web.services.sharing
    decides = p.is_platform_admin or p.can(Permission.SHARING_DECIDE)
    tabs = [t for t in TABS if t != "inbox" or decides]
    if tab not in tabs:
        tab = "mine"
    states = {
        "mine": REQUEST_STATES,
        "inbox": REQUEST_STATES,
        "held": GRANT_STATES,
        "given": GRANT_STATES,
        "disputes": DISPUTE_STATES,
    }[tab]
    if state not in states:
        state = ""
    start = max(offset, 0)
    wanted = state or None
    rows: list[Row]
    if tab in ("mine", "inbox"):
        found, total = sharing.requests(p, box=tab, state=wanted, limit=PAGE_SIZE, offset=start)
        rows = [request_row(web, v, as_provider=tab == "inbox") for v in found]
    elif tab in ("held", "given"):
        box = "mine" if tab == "held" else "inbox"
        grants, total = sharing.grants(p, box=box, state=wanted, limit=PAGE_SIZE, offset=start)
        rows = [grant_row(web, v, as_provider=tab == "given") for v in grants]
    else:
        disputes, total = sharing.disputes(
            p, box="all", state=wanted, limit=PAGE_SIZE, offset=start
        )
        rows = [dispute_row(web, v) for v in disputes]
    listing = Listing.of("/sharing", {"tab": tab, "state": state, "offset": start})
    return web.page(
        "sharing_workbench.html",
        tab=tab,
        tabs=[(t, web.gettext(TABS[t]), Listing.of("/sharing", {"tab": t}).url()) for t in tabs],
        state=state,
        states=[(value, web.gettext(msgid)) for value, msgid in states.items()],
        rows=rows,
        total=total,
        paging=listing.pages(total, start),
        is_authority=p.is_platform_admin,
    )


def _items(web: Web, dataset: int | str) -> list[Item]:
    return [
        Item(ref, label, mask)
        for ref, label, mask in web.services.sharing.request_form_items(web.principal, dataset)
    ]


def _request_form(
    web: Web,
    dataset: int,
    *,
    values: Mapping[str, str] | None = None,
    chosen: Sequence[str] | None = None,
    problem: Problem | None = None,
    status: int = 200,
) -> Response:
    p = web.principal
    entry = web.services.catalog.get(p, dataset)
    own = p.department_id == entry.department_id
    items = [] if own else _items(web, dataset)
    defaults = {
        "purpose": "",
        "scenario": "",
        "legal_basis": "",
        "period_days": "365",
    }
    return web.page(
        "sharing_new.html",
        status=status,
        entry=entry,
        own=own,
        kind=entry.sharing_type,
        unconditional=entry.sharing_type == SharingType.UNCONDITIONAL,
        not_shared=entry.sharing_type == SharingType.NONE,
        items=items,
        chosen=set(chosen if chosen is not None else (i.ref for i in items)),
        values={**defaults, **(values or {})},
        max_period=web.services.sharing.rules.max_period_days,
        problem=problem,
        field_label=partial(state_label, web, FIELDS),
        mask_label=partial(state_label, web, MASKS),
    )


@router.get("/sharing/new")
def new_request(web: WebDep, dataset: int | None = None) -> Response:
    """The request form for a conditional entry, or the subscription form for an open one."""
    web.principal.require(Permission.SHARING_REQUEST)
    if dataset is None:
        # Reached from a menu or a bookmark: send the user to the catalog to pick an entry.
        return web.page("sharing_choose.html")
    return _request_form(web, dataset)


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _texts(form: FormData, name: str) -> list[str]:
    return [v for v in form.getlist(name) if isinstance(v, str) and v.strip()]


def _int(form: FormData, name: str, *, required: bool = False) -> int | None:
    raw = _text(form, name)
    if not raw and not required:
        return None
    try:
        return int(raw)
    except ValueError:
        raise ValidationFailed(
            "enter a whole number", errors=[FieldError(name, "invalid", raw)]
        ) from None


def _dataset(form: FormData) -> int:
    value = _int(form, "dataset", required=True)
    if value is None:
        raise BadRequest("name the catalog entry", code="dataset_required")
    return value


@router.post("/sharing/new")
def create_request(web: WebDep, form: FormDep) -> Response:
    """Save the request as a draft, or save and submit it."""
    p = web.principal
    p.require(Permission.SHARING_REQUEST)
    dataset = _dataset(form)
    values = {k: _text(form, k) for k in ("purpose", "scenario", "legal_basis", "period_days")}
    chosen = _texts(form, "items")
    sharing = web.services.sharing
    try:
        view = sharing.create_request(
            p,
            dataset_id=dataset,
            purpose=values["purpose"],
            scenario=values["scenario"],
            legal_basis=values["legal_basis"],
            items=chosen,
            period_days=_int(form, "period_days", required=True) or 0,
        )
    except PlatformError as exc:
        if not _refusable(exc):
            raise
        return _request_form(
            web,
            dataset,
            values=values,
            chosen=chosen,
            problem=problem_of(web, exc),
            status=exc.status,
        )
    url = f"/sharing/requests/{view.id}"
    if _text(form, "intent") != "submit":
        return web.redirect(url, flash="sharing_draft")
    try:
        sharing.act(p, view.id, Action.SUBMIT)
    except PlatformError as exc:
        if not _refusable(exc):
            raise
        # The draft is kept; its page shows what is missing before it can go.
        return web.redirect(url, flash="sharing_draft")
    return web.redirect(url, flash="sharing_submit")


@router.post("/sharing/subscribe")
def subscribe(web: WebDep, form: FormDep) -> Response:
    """Subscribe to an unconditional entry for a stated purpose."""
    p = web.principal
    p.require(Permission.SHARING_REQUEST)
    dataset = _dataset(form)
    chosen = _texts(form, "items")
    try:
        grant = web.services.sharing.subscribe(
            p, dataset_id=dataset, purpose=_text(form, "purpose"), items=chosen or None
        )
    except PlatformError as exc:
        if not _refusable(exc):
            raise
        return _request_form(
            web,
            dataset,
            values={"purpose": _text(form, "purpose")},
            chosen=chosen,
            problem=problem_of(web, exc),
            status=exc.status,
        )
    return web.redirect(f"/sharing/grants/{grant.id}", flash="sharing_subscribed")


def _labels(web: Web, dataset: int) -> dict[str, Item]:
    """Items of an entry by reference; an entry no longer shared shows bare references."""
    try:
        return {i.ref: i for i in _items(web, dataset)}
    except (Conflict, NotFound, PermissionDenied):
        return {}


def _events(web: Web, events: Sequence[views.EventView]) -> list[dict[str, Any]]:
    table = {**ACTIONS, **EVENTS}
    return [
        {
            "label": state_label(web, table, e.action),
            "to": state_label(web, {**REQUEST_STATES, **GRANT_STATES, **DISPUTE_STATES}, e.to_state)
            if e.to_state
            else "",
            "note": e.note,
            # Steps the platform takes by itself (expiry, escalation) have no user.
            "actor": e.actor_name or web.gettext(N_("System")),
            "department": web.name_of(e.actor_department) if e.actor_department else "",
            "at": e.at,
        }
        for e in events
    ]


def _request_page(
    web: Web,
    request_id: int,
    *,
    problem: Problem | None = None,
    posted: FormData | None = None,
    status: int = 200,
) -> Response:
    sharing = web.services.sharing
    view = sharing.request(web.principal, request_id)
    known = _labels(web, view.entry.id)
    requested = [known.get(r) or Item(r, r, MaskRule.NONE.value) for r in view.items]
    decides = any(a in view.actions for a in DECISIONS)
    granted = set(_texts(posted, "grant_items")) if posted else {i.ref for i in requested}
    return web.page(
        "sharing_request.html",
        status=status,
        view=view,
        state_text=state_label(web, REQUEST_STATES, view.state.value),
        days_left=_days_left(web, view.deadline_at, pending=view.state in PENDING_STATES),
        items=requested,
        granted=granted,
        decides=decides,
        steps=[(a.value, web.gettext(ACTIONS[a.value])) for a in view.actions],
        masks=[(value, web.gettext(msgid)) for value, msgid in MASKS.items()],
        ops=[(op, web.gettext(label)) for op, label in OPS.items()],
        # Left empty, the grant runs the requested period from its start, however late that
        # start is chosen; a prefilled date counted from today cut a later-starting grant short.
        expiry_default=_text(posted, "expires_at") if posted else "",
        posted=posted,
        events=_events(web, view.events),
        problem=problem,
        field_label=partial(state_label, web, FIELDS),
        mask_label=partial(state_label, web, MASKS),
        is_consumer=web.principal.department_id == view.consumer.id,
    )


@router.get("/sharing/requests/{request_id}")
def request_page(request_id: int, web: WebDep) -> Response:
    """One request: facts, items, history, deadline, and the viewer's decision panel."""
    _require_member(web)
    return _request_page(web, request_id)


def _expiry(web: Web, form: FormData) -> datetime | None:
    raw = _text(form, "expires_at")
    if not raw:
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise ValidationFailed(
            "enter a date", errors=[FieldError("expires_at", "invalid", raw)]
        ) from None
    # The grant runs to the end of the chosen day in the city's time.
    return datetime.combine(day, time(23, 59, 59), tzinfo=web.services.sharing.rules.tz)


def _start(web: Web, form: FormData) -> datetime | None:
    raw = _text(form, "starts_at")
    if not raw:
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise ValidationFailed(
            "enter a date", errors=[FieldError("starts_at", "invalid", raw)]
        ) from None
    sharing = web.services.sharing
    if day == sharing.clock().astimezone(sharing.rules.tz).date():
        return None  # today: the grant starts now
    # A later start begins at midnight in the city's time (an earlier one is refused).
    return datetime.combine(day, time(0, 0), tzinfo=sharing.rules.tz)


def decision_of(web: Web, form: FormData) -> dict[str, Any]:
    """The decision panel's fields as the service's keyword arguments."""
    items = _texts(form, "grant_items")
    masking = {ref: _text(form, f"mask:{ref}") for ref in items if _text(form, f"mask:{ref}")}
    row_filter: dict[str, object] = {}
    column, op, value = (
        _text(form, "filter_item"),
        _text(form, "filter_op"),
        _text(form, "filter_value"),
    )
    if column and value:
        row_filter[f"{column}__{op or Op.EQ.value}"] = value
    return {
        "items": items,
        "masking": masking,
        "row_filter": row_filter or None,
        "starts_at": _start(web, form),
        "expires_at": _expiry(web, form),
        "quota_per_day": _int(form, "quota_per_day"),
    }


def _back(form: FormData, default: str) -> str:
    """Where a form returns to: its own page unless it names another workbench page."""
    target = _text(form, "next")
    if target.startswith(RETURN_PATHS) and "//" not in target and "\\" not in target:
        return target
    return default


@router.post("/sharing/requests/{request_id}/act")
def act(request_id: int, web: WebDep, form: FormDep) -> Response:
    """Every step on a request: submit, pass, return, decide, negotiate, coordinate, withdraw."""
    _require_member(web)
    raw = _text(form, "action")
    try:
        action = Action(raw)
    except ValueError:
        raise BadRequest(f"unknown action {raw!r}", code="unknown_action") from None
    try:
        extra = decision_of(web, form) if action in DECISIONS else {}
        web.services.sharing.act(
            web.principal, request_id, action, reason=_text(form, "reason"), **extra
        )
    except PlatformError as exc:
        if not _refusable(exc):
            raise
        return _request_page(
            web, request_id, problem=problem_of(web, exc), posted=form, status=exc.status
        )
    return web.redirect(
        _back(form, f"/sharing/requests/{request_id}"), flash=f"sharing_{action.value}"
    )


def usage_chart(web: Web, usage: Sequence[tuple[str, int, int]], days: int = 30) -> dict[str, Any]:
    """Calls per day over the last `days` days, zero on days without reads."""
    sharing = web.services.sharing
    today = sharing.clock().astimezone(sharing.rules.tz).date()
    by_day = {day: (calls, rows) for day, calls, rows in usage}
    span = [(today - timedelta(days=n)).isoformat() for n in range(days - 1, -1, -1)]
    return {
        "labels": [d[5:] for d in span],
        "values": [by_day.get(d, (0, 0))[0] for d in span],
        "links": ["" for _ in span],
        "table": [(d, *by_day[d]) for d in span if d in by_day],
    }


def _grant_page(
    web: Web,
    grant_id: int,
    *,
    problem: Problem | None = None,
    posted: FormData | None = None,
    status: int = 200,
) -> Response:
    p = web.principal
    sharing = web.services.sharing
    # Reads are queued for a moment; write them so the chart counts the latest ones.
    web.services.access.flush()
    view = sharing.grant(p, grant_id)
    chart = usage_chart(web, sharing.usage(p, grant_id, days=30))
    known = _labels(web, view.entry.id)
    provider = p.department_id == view.provider.id and p.can(Permission.SHARING_DECIDE)
    return web.page(
        "sharing_grant.html",
        status=status,
        view=view,
        state_text=state_label(web, GRANT_STATES, view.state.value),
        items=[
            (known[r].label if r in known else r, state_label(web, MASKS, view.masks.get(r, "raw")))
            for r in view.items
        ],
        filters=[
            (known[r].label if r in known else r, state_label(web, OPS, o), v)
            for r, o, v in view.row_filter
        ],
        chart=chart,
        charts={"usage": chart, "series": web.gettext(N_("Calls"))},
        can_revoke=view.state.value == "active" and (provider or p.is_platform_admin),
        can_dispute=p.department_id == view.department.id and p.can(Permission.SHARING_REQUEST),
        events=_events(web, view.events),
        problem=problem,
        posted=_kept(posted),
        field_label=partial(state_label, web, FIELDS),
    )


def _kept(posted: FormData | None) -> dict[str, str]:
    """A refused form's text fields, to put back into its inputs."""
    if posted is None:
        return {}
    return {k: v for k, v in posted.items() if isinstance(v, str) and k != "csrf_token"}


@router.get("/sharing/grants/{grant_id}")
def grant_page(grant_id: int, web: WebDep) -> Response:
    """A grant: items, masks, row filter, expiry, history and usage over the last 30 days."""
    _require_member(web)
    return _grant_page(web, grant_id)


@router.post("/sharing/grants/{grant_id}/revoke")
def revoke(grant_id: int, web: WebDep, form: FormDep) -> Response:
    """End a grant now, with a reason (the provider or the authority)."""
    _require_member(web)
    try:
        web.services.sharing.revoke(web.principal, grant_id, reason=_text(form, "reason"))
    except PlatformError as exc:
        if not _refusable(exc):
            raise
        return _grant_page(
            web, grant_id, problem=problem_of(web, exc), posted=form, status=exc.status
        )
    return web.redirect(f"/sharing/grants/{grant_id}", flash="sharing_revoked")


@router.post("/sharing/grants/{grant_id}/dispute")
def raise_dispute(grant_id: int, web: WebDep, form: FormDep) -> Response:
    """The holder questions values it read through the grant."""
    _require_member(web)
    cell: dict[str, Any] = {
        k: _text(form, k) for k in ("column", "value", "expected") if _text(form, k)
    }
    try:
        row = _int(form, "row")
        if row is not None:
            cell["row"] = row
        dispute = web.services.sharing.raise_dispute(
            web.principal,
            grant_id=grant_id,
            description=_text(form, "description"),
            cells=[cell] if cell else [],
        )
    except PlatformError as exc:
        if not _refusable(exc):
            raise
        return _grant_page(
            web, grant_id, problem=problem_of(web, exc), posted=form, status=exc.status
        )
    return web.redirect(f"/sharing/disputes/{dispute.id}", flash="sharing_disputed")


def _dispute_page(
    web: Web,
    dispute_id: int,
    *,
    problem: Problem | None = None,
    posted: FormData | None = None,
    status: int = 200,
) -> Response:
    p = web.principal
    view = web.services.sharing.dispute(p, dispute_id)
    known = _labels(web, view.entry.id)
    cells = [
        {**c, "label": known[c["column"]].label if c.get("column") in known else c.get("column")}
        for c in view.cells
    ]
    return web.page(
        "sharing_dispute.html",
        status=status,
        view=view,
        cells=cells,
        state_text=state_label(web, DISPUTE_STATES, view.state.value),
        days_left=_days_left(web, view.deadline_at, pending=view.state.value == "open"),
        can_answer=view.state.value == "open"
        and p.department_id == view.provider.id
        and p.can(Permission.SHARING_DECIDE),
        events=_events(web, view.events),
        problem=problem,
        posted=_kept(posted),
        field_label=partial(state_label, web, FIELDS),
    )


@router.get("/sharing/disputes/{dispute_id}")
def dispute_page(dispute_id: int, web: WebDep) -> Response:
    """A dispute, its cells, its answer and its history."""
    _require_member(web)
    return _dispute_page(web, dispute_id)


@router.post("/sharing/disputes/{dispute_id}/answer")
def answer_dispute(dispute_id: int, web: WebDep, form: FormDep) -> Response:
    """The provider answers: corrected in a data version, or confirmed correct."""
    _require_member(web)
    try:
        web.services.sharing.answer_dispute(
            web.principal,
            dispute_id,
            outcome=_text(form, "outcome"),
            answer=_text(form, "answer"),
            corrected_version=_int(form, "corrected_version"),
        )
    except PlatformError as exc:
        if not _refusable(exc):
            raise
        return _dispute_page(
            web, dispute_id, problem=problem_of(web, exc), posted=form, status=exc.status
        )
    return web.redirect(f"/sharing/disputes/{dispute_id}", flash="sharing_answered")


@router.get("/sharing/authority")
def authority(web: WebDep) -> Response:
    """The platform authority: overdue requests, compliance checks, coordination, disputes."""
    p = web.principal
    if not p.is_authenticated:
        raise NotAuthenticated("log in as the platform authority")
    if not p.is_platform_admin:
        raise PermissionDenied("only the platform authority oversees the exchange")
    sharing = web.services.sharing
    swept = sharing.sweep()  # record escalations before showing who is late

    def rows(**query: Any) -> list[Row]:
        found, _ = sharing.requests(p, box="all", limit=200, **query)
        return [request_row(web, v, as_provider=False) for v in found]

    disputes = [
        dispute_row(web, d) for d in sharing.disputes(p, box="all", state="open", limit=200)[0]
    ]
    return web.page(
        "sharing_authority.html",
        swept=swept,
        overdue=rows(overdue=True),
        checks=rows(state=RequestState.COMPLIANCE_CHECK.value),
        coordinating=rows(state=RequestState.COORDINATING.value),
        disputes=disputes,
    )
