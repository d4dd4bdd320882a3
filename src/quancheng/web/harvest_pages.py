"""Harvesting pages: a department's remote sources, their latest runs, and each run's report."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse
from starlette.responses import Response

from quancheng.errors import ValidationFailed
from quancheng.identity.roles import Permission
from quancheng.opendata.harvest import department_names
from quancheng.web.i18n import N_
from quancheng.web.render import FLASHES, FormDep, Web, WebDep

router = APIRouter(default_response_class=HTMLResponse, include_in_schema=False)

FLASHES.update(
    {
        "harvest_added": N_("The harvest source was added."),
        "harvest_ran": N_("The harvest has run; its report is below."),
    }
)
RUN_STATES = {
    "running": N_("Running"),
    "succeeded": N_("Succeeded"),
    "partial": N_("Partly failed"),
    "failed": N_("Failed"),
}
ACTIONS = {
    "created": N_("Created"),
    "updated": N_("Updated"),
    "unchanged": N_("Unchanged"),
    "removed": N_("Taken offline"),
    "failed": N_("Failed"),
    "skipped": N_("Skipped (not open)"),
}
KIND_LABELS = {"ckan": N_("CKAN portal"), "dcat": N_("DCAT feed")}


def _page(web: Web, *, status: int = 200, errors: list[str] | None = None, **form: Any) -> Response:
    actor = web.principal
    sources = web.services.harvest.sources(actor)
    latest = web.services.harvest.latest_runs(actor)
    names = department_names(web.services.db, {s.department_id for s in sources})
    departments = [
        d
        for d in web.services.identity.list_departments()
        if actor.can(Permission.CATALOG_PUBLISH, department_id=d.id)
    ]
    return web.page(
        "harvest.html",
        status=status,
        sources=sources,
        latest=latest,
        names=names,
        departments=departments,
        run_states=RUN_STATES,
        kinds=KIND_LABELS,
        errors=errors or [],
        form=form,
    )


@router.get("/harvest")
def sources_page(web: WebDep) -> Response:
    """Sources the user manages with their latest run, a run-now button and an add form."""
    web.principal.require(Permission.CATALOG_PUBLISH)
    return _page(web)


@router.post("/harvest/sources")
def add_source(web: WebDep, form: FormDep) -> Response:
    """Register a source from the form."""
    web.principal.require(Permission.CATALOG_PUBLISH)
    values = {k: str(form.get(k) or "").strip() for k in ("department", "kind", "url", "name")}
    hours = str(form.get("interval_hours") or "24").strip()
    try:
        web.services.harvest.add_source(
            web.principal,
            department=values["department"],
            kind=values["kind"],
            url=values["url"],
            name=values["name"],
            interval_hours=int(hours) if hours.isascii() and hours.isdigit() else 0,
        )
    except ValidationFailed as exc:
        errors = [f"{e.field}: {e.message}" for e in exc.errors] or [exc.message]
        return _page(web, status=422, errors=errors, **values, interval_hours=hours)
    return web.redirect("/harvest", flash="harvest_added")


@router.post("/harvest/sources/{source_id}/run")
def run_now(web: WebDep, form: FormDep, source_id: int) -> Response:
    """Harvest a source now and show the run's report."""
    web.principal.require(Permission.CATALOG_PUBLISH)
    run = web.services.harvest.run(web.principal, source_id)
    return web.redirect(f"/harvest/runs/{run.id}", flash="harvest_ran")


@router.get("/harvest/runs/{run_id}")
def run_page(web: WebDep, run_id: int) -> Response:
    """One run's report: each remote dataset and what was done with it."""
    web.principal.require(Permission.CATALOG_PUBLISH)
    run = web.services.harvest.get_run(web.principal, run_id)
    source = web.services.harvest.get_source(web.principal, run.source_id)
    return web.page(
        "harvest_run.html",
        run=run,
        source=source,
        run_states=RUN_STATES,
        actions=ACTIONS,
        kinds=KIND_LABELS,
    )
