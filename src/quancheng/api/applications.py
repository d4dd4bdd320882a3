"""API routes of conditional open data (有条件开放): agreement, applications, decisions, tokens."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from quancheng.api.deps import PrincipalDep, ServicesDep
from quancheng.api.schemas import API_ERRORS, TokenIssued
from quancheng.opendata.applications import ApplicationView

router = APIRouter(prefix="/portal", tags=["open data"], responses=API_ERRORS)


class Agreement(BaseModel):
    """The data-use agreement an applicant accepts by sending its SHA-256."""

    text: str
    sha256: str


class ApplicationCreate(BaseModel):
    """An application for a conditional open entry."""

    dataset_id: int | str = Field(description="The entry's id or resource code.")
    purpose: str = Field(max_length=4000)
    organisation: str = Field("", max_length=200)
    period_days: int | None = Field(None, ge=1, description="Default 365.")
    agreement_sha256: str = Field(description="SHA-256 of the agreement accepted.")


class ApplicationPublic(BaseModel):
    """An application and, once approved, its grant."""

    id: int
    dataset_id: int
    dataset_code: str
    dataset_name: str
    department: str
    applicant: str
    organisation: str
    purpose: str
    period_days: int
    agreement_sha256: str
    agreement_current: bool
    state: str = Field(description="pending, approved, rejected or withdrawn")
    reason: str
    created_at: dt.datetime
    deadline_at: dt.datetime | None
    overdue: bool
    decided_at: dt.datetime | None
    grant_id: int | None
    grant_state: str | None
    grant_expires_at: dt.datetime | None
    quota_per_day: int | None
    token_ids: list[int]


class ApplicationList(BaseModel):
    """A page of applications."""

    total: int
    items: list[ApplicationPublic]


class ApplicationDecision(BaseModel):
    """The owning department's answer."""

    decision: Literal["approve", "reject"]
    reason: str = Field("", max_length=4000)
    quota_per_day: int | None = Field(1000, ge=1, description="Calls a day; null: no quota.")
    items: list[str] | None = Field(None, description="Items granted (default: all).")


class ApplicationToken(BaseModel):
    """A name for the token."""

    name: str = Field("", max_length=100)


def _public(view: ApplicationView) -> ApplicationPublic:
    return ApplicationPublic.model_validate(view.to_json())


@router.get("/agreement", response_model=Agreement)
def agreement(services: ServicesDep) -> Agreement:
    """The current data-use agreement for conditional open data."""
    text, digest = services.applications.agreement
    return Agreement(text=text, sha256=digest)


@router.post("/applications", response_model=ApplicationPublic, status_code=201)
def apply(body: ApplicationCreate, services: ServicesDep, actor: PrincipalDep) -> ApplicationPublic:
    """Apply for a conditional open entry (registered public users)."""
    view = services.applications.apply(
        actor,
        dataset_id=body.dataset_id,
        purpose=body.purpose,
        organisation=body.organisation,
        period_days=body.period_days,
        agreement_sha256=body.agreement_sha256,
    )
    return _public(view)


@router.get("/applications", response_model=ApplicationList)
def list_applications(
    services: ServicesDep,
    actor: PrincipalDep,
    box: Literal["mine", "inbox"] = "mine",
    state: str | None = None,
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0),
) -> ApplicationList:
    """Your applications (mine) or those your department decides (inbox)."""
    views, total = services.applications.applications(
        actor, box=box, state=state, limit=limit, offset=offset
    )
    return ApplicationList(total=total, items=[_public(v) for v in views])


@router.get("/applications/{application_id}", response_model=ApplicationPublic)
def show_application(
    application_id: int, services: ServicesDep, actor: PrincipalDep
) -> ApplicationPublic:
    """One application."""
    return _public(services.applications.application(actor, application_id))


@router.post("/applications/{application_id}/decision", response_model=ApplicationPublic)
def decide(
    application_id: int, body: ApplicationDecision, services: ServicesDep, actor: PrincipalDep
) -> ApplicationPublic:
    """Approve (a grant with a daily quota) or reject (with a reason)."""
    view = services.applications.decide(
        actor,
        application_id,
        approve=body.decision == "approve",
        reason=body.reason,
        quota_per_day=body.quota_per_day,
        items=body.items,
    )
    return _public(view)


@router.post("/applications/{application_id}/withdraw", response_model=ApplicationPublic)
def withdraw(application_id: int, services: ServicesDep, actor: PrincipalDep) -> ApplicationPublic:
    """The applicant withdraws a pending application."""
    return _public(services.applications.withdraw(actor, application_id))


@router.post("/applications/{application_id}/tokens", response_model=TokenIssued, status_code=201)
def issue_token(
    application_id: int, body: ApplicationToken, services: ServicesDep, actor: PrincipalDep
) -> TokenIssued:
    """An API token that reads the entry through the approved grant; shown this once."""
    issued = services.applications.issue_token(actor, application_id, name=body.name)
    return TokenIssued(
        id=issued.id,
        token=issued.token,
        prefix=issued.prefix,
        expires_at=issued.expires_at,
        permissions=list(issued.permissions),
    )
