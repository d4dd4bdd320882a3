"""API routes of the sharing exchange's governance metrics (government users only)."""

from __future__ import annotations

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from quancheng.api.deps import PrincipalDep, ServicesDep
from quancheng.api.schemas import API_ERRORS
from quancheng.api.sharing import PartyPublic
from quancheng.sharing.metrics import require_government

router = APIRouter(prefix="/metrics", tags=["metrics"], responses=API_ERRORS)


class DepartmentScorePublic(BaseModel):
    """One department's sharing scorecard."""

    department: PartyPublic
    entries: int = Field(description="Published catalog entries.")
    unconditional: int
    conditional: int
    not_shared: int
    open_entries: int
    shareable: int = Field(description="Unconditional plus conditional entries.")
    sharing_rate: float
    requests_received: int = Field(description="Requests to this department, drafts excluded.")
    answered: int
    answered_on_time: int
    on_time_rate: float | None
    avg_answer_days: float | None = Field(description="Mean working days to the first answer.")
    pending: int
    overdue: int
    requests_made: int
    grants_given: int = Field(description="Active grants on this department's entries.")
    grants_held: int = Field(description="Active grants this department holds.")
    calls_served: int
    calls_made: int
    disputes_received: int
    disputes_open: int
    disputes_overdue: int
    score: float = Field(
        description="0..100: 40 × sharing rate + 40 × timeliness + 20 × disputes handled in time."
    )


class CityScorePublic(BaseModel):
    """The exchange of the whole city."""

    departments: int
    entries: int
    shareable: int
    sharing_rate: float
    open_entries: int
    requests_by_state: dict[str, int] = Field(description="Every request state, plus overdue.")
    answered: int
    on_time_rate: float | None
    avg_answer_days: float | None
    grants_active: int
    calls_total: int
    disputes_open: int
    disputes_overdue: int


class Scoreboard(BaseModel):
    """The city's figures and every department's scorecard, best first."""

    city: CityScorePublic
    departments: list[DepartmentScorePublic]


class GrantCalls(BaseModel):
    """Reads through one grant."""

    grant_id: int
    kind: str
    state: str
    entry_code: str
    entry_name: str
    entry_name_en: str
    consumer: str
    consumer_en: str
    provider: str
    provider_en: str
    calls: int
    rows: int


@router.get("/departments")
def scoreboard(services: ServicesDep, principal: PrincipalDep) -> Scoreboard:
    """The city's sharing figures and every department's scorecard."""
    require_government(principal)
    metrics = services.metrics
    return Scoreboard(
        city=CityScorePublic.model_validate(metrics.city().as_json()),
        departments=[
            DepartmentScorePublic.model_validate(d.as_json()) for d in metrics.departments()
        ],
    )


@router.get("/departments/{ref}")
def department_score(
    ref: str, services: ServicesDep, principal: PrincipalDep
) -> DepartmentScorePublic:
    """One department's scorecard, by id or key."""
    require_government(principal)
    return DepartmentScorePublic.model_validate(services.metrics.department(ref).as_json())


@router.get("/grants")
def busiest_grants(
    services: ServicesDep,
    principal: PrincipalDep,
    limit: int = Query(20, ge=1, le=500),
) -> list[GrantCalls]:
    """The grants read most, with their entry and both departments."""
    require_government(principal)
    return [GrantCalls.model_validate(g) for g in services.metrics.grant_calls(limit=limit)]
