"""Governance scorecards: the city's sharing figures and each department's scorecard.

They lived at /metrics until that path became the Prometheus endpoint; a browser's old
bookmark of a department's page is sent on (the bare /metrics is redirected by its route).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.responses import Response

from quancheng.errors import NotFound
from quancheng.observability import governance_url, prefers_html
from quancheng.sharing.metrics import require_government
from quancheng.web.render import WebDep
from quancheng.web.sharing_labels import REQUEST_STATES

router = APIRouter(default_response_class=HTMLResponse, include_in_schema=False)


@router.get("/governance")
def scorecards(web: WebDep) -> Response:
    """The city's exchange at a glance and every department's scorecard, best first."""
    require_government(web.principal)
    metrics = web.services.metrics
    totals = metrics.city()
    states = [s for s in REQUEST_STATES if s in totals.requests_by_state]
    charts: dict[str, Any] = {
        "series": web.gettext("Requests"),
        "states": {
            "labels": [web.gettext(REQUEST_STATES[s]) for s in states],
            "values": [totals.requests_by_state[s] for s in states],
            "links": [f"/sharing?tab=mine&state={s}" for s in states],
        },
    }
    return web.page(
        "metrics.html",
        totals=totals,
        overdue=totals.requests_by_state.get("overdue", 0),
        departments=metrics.departments(),
        grants=metrics.grant_calls(limit=10),
        charts=charts,
    )


@router.get("/governance/{key}")
def scorecard(web: WebDep, key: str) -> Response:
    """One department's scorecard: what it shares, how fast it answers, what it uses."""
    require_government(web.principal)
    return web.page("metrics_department.html", score=web.services.metrics.department(key))


@router.get("/metrics/{key}")
def old_scorecard(request: Request, key: str) -> Response:
    """A bookmark of a department's scorecard from before the move: sent to its new place."""
    if not prefers_html(request.headers.get("accept", "")):
        raise NotFound("no such metrics", code="not_found")
    return RedirectResponse(governance_url(key), status_code=308)
