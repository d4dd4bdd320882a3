"""API routes of harvesting: remote sources of a department's catalog, their runs and reports."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from quancheng.api.deps import PrincipalDep, ServicesDep
from quancheng.api.schemas import API_ERRORS
from quancheng.db.models import HarvestRun, HarvestSource
from quancheng.opendata.harvest import department_names

router = APIRouter(prefix="/harvest", tags=["harvest"], responses=API_ERRORS)


class SourcePublic(BaseModel):
    """A remote portal a department imports entries from."""

    id: int
    name: str
    kind: str = Field(description="ckan (Action API) or dcat (a DCAT feed, paged with hydra).")
    url: str
    department: str = Field(description="Key of the department the entries are filed under.")
    interval_hours: int
    enabled: bool
    options: dict[str, Any]
    created_at: dt.datetime
    last_run_at: dt.datetime | None
    next_run_at: dt.datetime | None


class SourceCreate(BaseModel):
    """A new source."""

    model_config = ConfigDict(extra="forbid")

    department: str = Field(min_length=1, max_length=200)
    kind: Literal["ckan", "dcat"]
    url: str = Field(min_length=1, max_length=1000)
    name: str = Field(default="", max_length=200)
    interval_hours: int = Field(default=24, ge=1, le=8784)
    enabled: bool = True
    options: dict[str, Any] = Field(
        default_factory=dict,
        description="classification_code (where entries are filed), organization, fq, "
        "datastore_fields (CKAN: read data items from the datastore, default true).",
    )


class SourceUpdate(BaseModel):
    """Changes to a source (disable it with enabled=false)."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=200)
    url: str | None = Field(default=None, min_length=1, max_length=1000)
    interval_hours: int | None = Field(default=None, ge=1, le=8784)
    enabled: bool | None = None
    options: dict[str, Any] | None = None


class SourceList(BaseModel):
    """Sources the caller manages."""

    sources: list[SourcePublic]


class RunPublic(BaseModel):
    """One harvest and what it did to each remote dataset."""

    id: int
    source_id: int
    state: str = Field(description="running, succeeded, partial (some datasets failed), failed.")
    started_at: dt.datetime
    finished_at: dt.datetime | None
    created: int
    updated: int
    unchanged: int
    removed: int
    failed: int
    error: str
    report: list[dict[str, Any]] = Field(
        description="[{remote_id, title, landing_page, action, entry_id?, error?}, ...]"
    )


class RunList(BaseModel):
    """Runs of a source, newest first (reports left out)."""

    runs: list[RunPublic]


def _source(source: HarvestSource, keys: dict[int, tuple[str, str, str]]) -> SourcePublic:
    return SourcePublic(
        id=source.id,
        name=source.name,
        kind=source.kind,
        url=source.url,
        department=keys.get(source.department_id, ("", "", ""))[0],
        interval_hours=source.interval_hours,
        enabled=source.enabled,
        options=dict(source.options or {}),
        created_at=source.created_at,
        last_run_at=source.last_run_at,
        next_run_at=source.next_run_at,
    )


def _run(run: HarvestRun, *, with_report: bool = True) -> RunPublic:
    return RunPublic(
        id=run.id,
        source_id=run.source_id,
        state=run.state,
        started_at=run.started_at,
        finished_at=run.finished_at,
        created=run.created,
        updated=run.updated,
        unchanged=run.unchanged,
        removed=run.removed,
        failed=run.failed,
        error=run.error,
        report=list(run.report or []) if with_report else [],
    )


def _one(services: ServicesDep, source: HarvestSource) -> SourcePublic:
    return _source(source, department_names(services.db, {source.department_id}))


@router.get("/sources")
def list_sources(services: ServicesDep, principal: PrincipalDep) -> SourceList:
    """Every source the caller manages (all of them for the platform authority)."""
    sources = services.harvest.sources(principal)
    keys = department_names(services.db, {s.department_id for s in sources})
    return SourceList(sources=[_source(s, keys) for s in sources])


@router.post("/sources", status_code=201)
def create_source(
    body: SourceCreate, services: ServicesDep, principal: PrincipalDep
) -> SourcePublic:
    """Register a CKAN portal or DCAT feed whose open datasets a department imports."""
    source = services.harvest.add_source(principal, **body.model_dump())
    return _one(services, source)


@router.get("/sources/{source_id}")
def get_source(source_id: int, services: ServicesDep, principal: PrincipalDep) -> SourcePublic:
    """One source."""
    return _one(services, services.harvest.get_source(principal, source_id))


@router.patch("/sources/{source_id}")
def update_source(
    source_id: int, body: SourceUpdate, services: ServicesDep, principal: PrincipalDep
) -> SourcePublic:
    """Change a source; `enabled: false` stops scheduled runs."""
    changes = {k: v for k, v in body.model_dump(exclude_unset=True).items() if v is not None}
    return _one(services, services.harvest.update_source(principal, source_id, changes))


@router.delete("/sources/{source_id}", status_code=204)
def delete_source(source_id: int, services: ServicesDep, principal: PrincipalDep) -> Response:
    """Forget a source and its runs; the entries it made stay in the catalog."""
    services.harvest.delete_source(principal, source_id)
    return Response(status_code=204)


@router.post("/sources/{source_id}/run")
def run_source(source_id: int, services: ServicesDep, principal: PrincipalDep) -> RunPublic:
    """Harvest the source now and return the finished run with its report."""
    return _run(services.harvest.run(principal, source_id))


@router.get("/sources/{source_id}/runs")
def list_runs(
    source_id: int,
    services: ServicesDep,
    principal: PrincipalDep,
    limit: int = Query(20, ge=1, le=200),
) -> RunList:
    """A source's runs, newest first, without their reports."""
    runs = services.harvest.runs(principal, source_id, limit=limit)
    return RunList(runs=[_run(r, with_report=False) for r in runs])


@router.get("/runs/{run_id}")
def get_run(run_id: int, services: ServicesDep, principal: PrincipalDep) -> RunPublic:
    """One run with its report: each remote dataset and what was done with it."""
    return _run(services.harvest.get_run(principal, run_id))
