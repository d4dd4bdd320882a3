"""API routes of the sharing exchange: requests, decisions, subscriptions, grants, disputes."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from quancheng.api.deps import PrincipalDep, ServicesDep
from quancheng.api.schemas import API_ERRORS
from quancheng.sharing.model import Action

router = APIRouter(prefix="/sharing", tags=["sharing"], responses=API_ERRORS)


class PartyPublic(BaseModel):
    """A department."""

    id: int
    key: str
    name: str
    name_en: str


class EntryRefPublic(BaseModel):
    """The catalog entry concerned."""

    id: int
    code: str
    name: str
    sharing_type: str


class EventPublic(BaseModel):
    """One step of the history."""

    model_config = ConfigDict(populate_by_name=True)

    action: str
    from_: str | None = Field(alias="from")
    to: str | None
    note: str
    actor: str
    department: str | None
    at: dt.datetime


class RequestPublic(BaseModel):
    """A sharing request."""

    id: int
    dataset_id: int
    entry: EntryRefPublic
    consumer: PartyPublic
    provider: PartyPublic
    state: str = Field(description="draft, compliance_check, pending_provider, returned, …")
    purpose: str
    scenario: str
    legal_basis: str
    items: list[str]
    period_days: int
    applications: list[int]
    coordination: bool
    final: bool = Field(description="A rejection after coordination: nothing reopens it.")
    reason: str
    deadline_at: dt.datetime | None
    overdue: bool
    escalated: bool
    submitted_at: dt.datetime | None
    answered_at: dt.datetime | None
    answered_on_time: bool | None
    created_at: dt.datetime
    updated_at: dt.datetime
    grant_id: int | None
    actions: list[str] = Field(description="What the caller may do next.")
    events: list[EventPublic]


class RequestList(BaseModel):
    """A page of requests."""

    total: int
    requests: list[RequestPublic]


class RowFilterPublic(BaseModel):
    """One condition of a grant's row filter."""

    item: str
    op: str
    value: str


class GrantPublic(BaseModel):
    """A grant: what a consumer department may read."""

    id: int
    request_id: int | None
    dataset_id: int
    entry: EntryRefPublic
    department: PartyPublic
    provider: PartyPublic
    kind: str
    items: list[str]
    masking: dict[str, str]
    row_filter: list[RowFilterPublic]
    applications: list[int]
    purpose: str
    quota_per_day: int | None
    state: str
    starts_at: dt.datetime
    expires_at: dt.datetime
    ended_at: dt.datetime | None
    end_reason: str
    created_at: dt.datetime
    calls_today: int
    calls_total: int
    events: list[EventPublic]


class GrantList(BaseModel):
    """A page of grants."""

    total: int
    grants: list[GrantPublic]


class UsageDay(BaseModel):
    """Reads through a grant on one day."""

    day: str
    calls: int
    rows: int


class DisputePublic(BaseModel):
    """A data dispute (疑义校核)."""

    id: int
    grant_id: int | None
    dataset_id: int
    entry: EntryRefPublic
    consumer: PartyPublic
    provider: PartyPublic
    description: str
    cells: list[dict[str, Any]]
    data_version: int | None
    state: str
    deadline_at: dt.datetime
    overdue: bool
    answer: str
    corrected_version: int | None
    answered_at: dt.datetime | None
    created_at: dt.datetime
    events: list[EventPublic]


class DisputeList(BaseModel):
    """A page of disputes."""

    total: int
    disputes: list[DisputePublic]


class RequestCreate(BaseModel):
    """A new request (a draft unless `submit` is true)."""

    model_config = ConfigDict(extra="forbid")

    dataset_id: int | str = Field(description="Catalog entry id or resource code.")
    purpose: str = Field(max_length=4000)
    scenario: str = Field(default="", max_length=4000)
    legal_basis: str = Field(default="", max_length=4000)
    items: list[str] = Field(
        max_length=500, description="Data items by label (original header) or identifier."
    )
    period_days: int = Field(ge=1, description="How long the data is needed, in days.")
    applications: list[int] = Field(
        default_factory=list, max_length=50, description="API token ids of the calling apps."
    )
    department: int | None = Field(
        default=None, description="Requesting department (platform authority only)."
    )
    submit: bool = Field(default=False, description="Submit at once instead of saving a draft.")


class RequestUpdate(BaseModel):
    """Changes to a draft or returned request."""

    model_config = ConfigDict(extra="forbid")

    purpose: str | None = Field(default=None, max_length=4000)
    scenario: str | None = Field(default=None, max_length=4000)
    legal_basis: str | None = Field(default=None, max_length=4000)
    items: list[str] | None = Field(default=None, max_length=500)
    period_days: int | None = Field(default=None, ge=1)
    applications: list[int] | None = Field(default=None, max_length=50)


class Reason(BaseModel):
    """A step that may (or must) carry a reason."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(default="", max_length=4000)


class Decision(BaseModel):
    """The answer of the provider (or of the platform in coordination); `pass`: compliant."""

    model_config = ConfigDict(extra="forbid")

    decision: Literal["approve", "partial", "reject", "pass"]
    items: list[str] | None = Field(default=None, max_length=500)
    masking: dict[str, str] | None = Field(
        default=None, description='Per item: a mask rule, or "none" for raw access.'
    )
    row_filter: dict[str, str | int | float | bool | list[str]] | None = Field(
        default=None, description='Rows-API style conditions, e.g. {"所属区县__eq": "历下区"}.'
    )
    starts_at: dt.datetime | None = Field(
        default=None, description="When the grant starts (default: now); never in the past."
    )
    expires_at: dt.datetime | None = None
    quota_per_day: int | None = Field(default=None, ge=1)
    reason: str = Field(default="", max_length=4000)


class SubscriptionCreate(BaseModel):
    """Subscribe to an unconditional entry."""

    model_config = ConfigDict(extra="forbid")

    dataset_id: int | str
    purpose: str = Field(max_length=4000)
    items: list[str] | None = Field(default=None, max_length=500)
    applications: list[int] = Field(default_factory=list, max_length=50)
    department: int | None = None


class DisputeCell(BaseModel):
    """A questioned value."""

    model_config = ConfigDict(extra="forbid")

    row: int | None = Field(default=None, ge=1, description="The row's _rowid.")
    column: str = Field(default="", max_length=200)
    value: str = Field(default="", max_length=500)
    expected: str = Field(default="", max_length=500)


class DisputeCreate(BaseModel):
    """A consumer flags data it believes wrong."""

    model_config = ConfigDict(extra="forbid")

    grant_id: int
    description: str = Field(max_length=4000)
    cells: list[DisputeCell] = Field(default_factory=list, max_length=200)


class DisputeAnswer(BaseModel):
    """The provider's answer to a dispute."""

    model_config = ConfigDict(extra="forbid")

    outcome: Literal["corrected", "confirmed"]
    answer: str = Field(max_length=4000)
    corrected_version: int | None = Field(default=None, ge=1)


Box = Literal["all", "mine", "inbox"]


@router.post("/requests", status_code=201)
def create_request(
    body: RequestCreate, services: ServicesDep, principal: PrincipalDep
) -> RequestPublic:
    """Draft (and optionally submit) a request for a conditional entry."""
    view = services.sharing.create_request(
        principal,
        dataset_id=body.dataset_id,
        purpose=body.purpose,
        scenario=body.scenario,
        legal_basis=body.legal_basis,
        items=body.items,
        period_days=body.period_days,
        applications=body.applications,
        department=body.department,
    )
    if body.submit:
        view = services.sharing.act(principal, view.id, Action.SUBMIT)
    return RequestPublic.model_validate(view.as_json())


@router.get("/requests")
def list_requests(
    services: ServicesDep,
    principal: PrincipalDep,
    box: Box = "all",
    state: str | None = None,
    overdue: bool | None = None,
    dataset_id: int | None = None,
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0),
) -> RequestList:
    """Requests the caller's department made (`mine`), must answer (`inbox`), or both."""
    views_, total = services.sharing.requests(
        principal,
        box=box,
        state=state,
        overdue=overdue,
        dataset_id=dataset_id,
        limit=limit,
        offset=offset,
    )
    return RequestList(
        total=total, requests=[RequestPublic.model_validate(v.as_json()) for v in views_]
    )


@router.get("/requests/{request_id}")
def get_request(request_id: int, services: ServicesDep, principal: PrincipalDep) -> RequestPublic:
    """One request with its history and the caller's next possible steps."""
    return RequestPublic.model_validate(services.sharing.request(principal, request_id).as_json())


@router.patch("/requests/{request_id}")
def update_request(
    request_id: int, body: RequestUpdate, services: ServicesDep, principal: PrincipalDep
) -> RequestPublic:
    """Change a draft or a returned request."""
    view = services.sharing.update_request(
        principal, request_id, **body.model_dump(exclude_unset=True)
    )
    return RequestPublic.model_validate(view.as_json())


def _step(
    services: ServicesDep, principal: PrincipalDep, request_id: int, action: Action, reason: str
) -> RequestPublic:
    view = services.sharing.act(principal, request_id, action, reason=reason)
    return RequestPublic.model_validate(view.as_json())


@router.post("/requests/{request_id}/submit")
def submit_request(
    request_id: int, services: ServicesDep, principal: PrincipalDep, body: Reason | None = None
) -> RequestPublic:
    """Send a draft or a corrected request on (to the compliance check or the provider)."""
    return _step(services, principal, request_id, Action.SUBMIT, body.reason if body else "")


@router.post("/requests/{request_id}/withdraw")
def withdraw_request(
    request_id: int, services: ServicesDep, principal: PrincipalDep, body: Reason | None = None
) -> RequestPublic:
    """The consumer withdraws its request (and ends the grant it produced, if any)."""
    return _step(services, principal, request_id, Action.WITHDRAW, body.reason if body else "")


@router.post("/requests/{request_id}/return")
def return_request(
    request_id: int, body: Reason, services: ServicesDep, principal: PrincipalDep
) -> RequestPublic:
    """Send a request back to the consumer for correction, with a reason."""
    return _step(services, principal, request_id, Action.RETURN, body.reason)


@router.post("/requests/{request_id}/negotiate")
def negotiate_request(
    request_id: int, body: Reason, services: ServicesDep, principal: PrincipalDep
) -> RequestPublic:
    """After a rejection, the consumer asks the provider to reconsider (协商)."""
    return _step(services, principal, request_id, Action.NEGOTIATE, body.reason)


@router.post("/requests/{request_id}/coordinate")
def coordinate_request(
    request_id: int, body: Reason, services: ServicesDep, principal: PrincipalDep
) -> RequestPublic:
    """Escalate to the platform authority's coordination (主管部门协调)."""
    return _step(services, principal, request_id, Action.COORDINATE, body.reason)


@router.post("/requests/{request_id}/decision")
def decide_request(
    request_id: int, body: Decision, services: ServicesDep, principal: PrincipalDep
) -> RequestPublic:
    """Approve (all items), approve partially (some items), reject with a reason, or pass."""
    view = services.sharing.act(
        principal,
        request_id,
        Action(body.decision),
        reason=body.reason,
        items=body.items,
        masking=body.masking,
        row_filter=body.row_filter,
        starts_at=body.starts_at,
        expires_at=body.expires_at,
        quota_per_day=body.quota_per_day,
    )
    return RequestPublic.model_validate(view.as_json())


@router.post("/subscriptions", status_code=201)
def subscribe(
    body: SubscriptionCreate, services: ServicesDep, principal: PrincipalDep
) -> GrantPublic:
    """Subscribe to an unconditional entry: a grant at once, for the stated purpose."""
    view = services.sharing.subscribe(
        principal,
        dataset_id=body.dataset_id,
        purpose=body.purpose,
        items=body.items,
        applications=body.applications,
        department=body.department,
    )
    return GrantPublic.model_validate(view.as_json())


@router.get("/grants")
def list_grants(
    services: ServicesDep,
    principal: PrincipalDep,
    box: Box = "all",
    state: str | None = None,
    dataset_id: int | None = None,
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0),
) -> GrantList:
    """Grants the caller's department holds (`mine`), gave (`inbox`), or both."""
    views_, total = services.sharing.grants(
        principal, box=box, state=state, dataset_id=dataset_id, limit=limit, offset=offset
    )
    return GrantList(total=total, grants=[GrantPublic.model_validate(v.as_json()) for v in views_])


@router.get("/grants/{grant_id}")
def get_grant(grant_id: int, services: ServicesDep, principal: PrincipalDep) -> GrantPublic:
    """One grant with its history and today's calls."""
    return GrantPublic.model_validate(services.sharing.grant(principal, grant_id).as_json())


@router.get("/grants/{grant_id}/usage")
def grant_usage(
    grant_id: int,
    services: ServicesDep,
    principal: PrincipalDep,
    days: int = Query(30, ge=1, le=366),
) -> list[UsageDay]:
    """Calls and rows per day through a grant."""
    services.access.flush()
    return [
        UsageDay(day=d, calls=c, rows=r)
        for d, c, r in services.sharing.usage(principal, grant_id, days=days)
    ]


@router.post("/grants/{grant_id}/revoke")
def revoke_grant(
    grant_id: int, body: Reason, services: ServicesDep, principal: PrincipalDep
) -> GrantPublic:
    """End a grant now (the provider or the platform authority); the next read is refused."""
    view = services.sharing.revoke(principal, grant_id, reason=body.reason)
    return GrantPublic.model_validate(view.as_json())


@router.post("/disputes", status_code=201)
def raise_dispute(
    body: DisputeCreate, services: ServicesDep, principal: PrincipalDep
) -> DisputePublic:
    """Flag rows or values believed wrong; the provider must answer by the deadline."""
    view = services.sharing.raise_dispute(
        principal,
        grant_id=body.grant_id,
        description=body.description,
        cells=[c.model_dump() for c in body.cells],
    )
    return DisputePublic.model_validate(view.as_json())


@router.get("/disputes")
def list_disputes(
    services: ServicesDep,
    principal: PrincipalDep,
    box: Box = "all",
    state: str | None = None,
    overdue: bool | None = None,
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0),
) -> DisputeList:
    """Disputes the caller's department raised (`mine`), must answer (`inbox`), or both."""
    views_, total = services.sharing.disputes(
        principal, box=box, state=state, overdue=overdue, limit=limit, offset=offset
    )
    return DisputeList(
        total=total, disputes=[DisputePublic.model_validate(v.as_json()) for v in views_]
    )


@router.get("/disputes/{dispute_id}")
def get_dispute(dispute_id: int, services: ServicesDep, principal: PrincipalDep) -> DisputePublic:
    """One dispute with its history."""
    return DisputePublic.model_validate(services.sharing.dispute(principal, dispute_id).as_json())


@router.post("/disputes/{dispute_id}/answer")
def answer_dispute(
    dispute_id: int, body: DisputeAnswer, services: ServicesDep, principal: PrincipalDep
) -> DisputePublic:
    """The provider answers: corrected in data version N, or confirmed correct."""
    view = services.sharing.answer_dispute(
        principal,
        dispute_id,
        outcome=body.outcome,
        answer=body.answer,
        corrected_version=body.corrected_version,
    )
    return DisputePublic.model_validate(view.as_json())
