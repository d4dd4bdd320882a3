"""The open-data index self-assessment page (/open/index) and the words of its indicators."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse
from starlette.responses import Response

from quancheng.opendata.index import IndexResult, Indicator
from quancheng.opendata.usage import parse_period
from quancheng.web.i18n import N_
from quancheng.web.render import WebDep

router = APIRouter(default_response_class=HTMLResponse, include_in_schema=False)

LAYER_TEXT: dict[str, str] = {
    "readiness": N_("Readiness"),
    "platform": N_("Platform"),
    "data": N_("Data layer"),
    "utilization": N_("Utilization"),
}
LAYER_HINT: dict[str, str] = {
    "readiness": N_("Rules, standards and organisation behind the open data."),
    "platform": N_("Discovery, preview, access, interaction and reuse submission."),
    "data": N_("Quantity, timeliness, formats, metadata, licence and coverage."),
    "utilization": N_("Reuses of the data and how much it is used."),
}
# Indicator key -> (label, what to improve); the advice quotes the indicator's figures.
INDICATOR_TEXT: dict[str, tuple[str, str]] = {
    "rules_published": (
        N_("Open-data licence and agreement published"),
        N_("Publish the open-data licence and the conditional-access agreement on the portal."),
    ),
    "closed_justified": (
        N_("Closed resources with a stated legal basis"),
        N_("%(missing)s published resources are not open and state no legal basis; state why."),
    ),
    "conditions_stated": (
        N_("Conditional resources with stated conditions"),
        N_("%(missing)s conditional resources state no conditions of use; write them down."),
    ),
    "stewards": (
        N_("Departments with a data steward"),
        N_("%(missing)s departments with open data have no data steward; appoint one each."),
    ),
    "access": (
        N_("Open resources with preview, API and download"),
        N_("%(missing)s open resources have no data loaded, so no preview, API or download."),
    ),
    "conditional_flow": (
        N_("Conditional applications decided in time"),
        N_("Decide conditional-access applications before their deadline (%(late)s late)."),
    ),
    "requests_answered": (
        N_("Data requests answered within 15 days"),
        N_("%(late)s of %(total)s data requests were not answered within 15 days."),
    ),
    "errors_resolved": (
        N_("Error reports resolved"),
        N_("%(open)s of %(total)s error reports are not resolved; fix the data and reply."),
    ),
    "comments_replied": (
        N_("Comments with a reply"),
        N_("%(open)s of %(total)s published comments have no reply from the department."),
    ),
    "reuse_submissions": (
        N_("Reuse results submitted"),
        N_("Invite developers, researchers and media to submit what they built with the data."),
    ),
    "open_entries": (
        N_("Open resources"),
        N_("Open more resources: %(value)s are open, the target is %(target)s."),
    ),
    "open_share": (
        N_("Share of published resources that are open"),
        N_("Review the %(closed)s resources that are not open and open what the law allows."),
    ),
    "open_rows": (
        N_("Rows of open data"),
        N_("Load the data behind open resources: %(value)s rows are open."),
    ),
    "timely": (
        N_("Open data updated on time"),
        N_("%(late)s open resources are late against their update cycle; load fresh data."),
    ),
    "machine_readable": (
        N_("Machine-readable open resources"),
        N_("%(missing)s open resources are neither loaded nor in a machine-readable format."),
    ),
    "metadata": (
        N_("Metadata completeness"),
        N_("Complete the metadata of open resources: English name and abstract, keywords, items."),
    ),
    "licence": (
        N_("Open resources with a licence"),
        N_("%(missing)s open resources carry no licence."),
    ),
    "departments": (
        N_("Departments that open data"),
        N_("%(missing)s departments open no data yet, among them: %(names)s."),
    ),
    "topics": (
        N_("High-demand topics covered"),
        N_("No open data yet on: %(names)s."),
    ),
    "reuses": (
        N_("Approved reuses"),
        N_("Showcase more reuses: %(value)s are approved, the target is %(target)s."),
    ),
    "reuse_kinds": (
        N_("Kinds of reuse (apps, research, visualisations, news)"),
        N_("Reuses of %(value)s kinds are shown; look for apps, research, charts and news."),
    ),
    "reused_entries": (
        N_("Open resources used by an approved reuse"),
        N_("Promote the open resources no reuse builds on yet (%(used)s of %(total)s used)."),
    ),
    "usage": (
        N_("Downloads and API calls per open resource (30 days)"),
        N_("Promote the data: %(value)s downloads and API calls per open resource in 30 days."),
    ),
}
# What to improve when there is nothing to measure yet (no request, report or comment).
EMPTY_TEXT: dict[str, str] = {
    "conditional_flow": N_(
        "No conditional-access application is due yet: make conditional resources easy to apply for."  # noqa: E501
    ),
    "requests_answered": N_(
        "No data request is due yet: invite the public to ask for data, answer within 15 days."
    ),
    "errors_resolved": N_("No error report yet: invite users to report errors in the data."),
    "comments_replied": N_(
        "No published comment yet: invite users to rate and comment on the data."
    ),
}
TOPIC_TEXT: dict[str, str] = {
    "business": N_("business registration"),
    "transport": N_("transport"),
    "weather": N_("weather"),
    "credit": N_("credit"),
    "environment": N_("environment"),
    "health": N_("health care"),
    "education": N_("education"),
    "social": N_("social security"),
}


def advice(indicator: Indicator, gettext: Callable[[str], str], *, english: bool = False) -> str:
    """What to improve for an indicator, in the caller's language, with its figures."""
    params = dict(indicator.params)
    # Lists in English take ", " and the departments' English names, not 、 and Chinese ones.
    separator = ", " if english else "、"
    if indicator.key == "topics":
        params["names"] = separator.join(
            gettext(TOPIC_TEXT.get(t, t)) for t in params.get("keys", ())
        )
    if english and "names_en" in params:
        params["names"] = params["names_en"]
    if params.get("total") == 0 and indicator.key in EMPTY_TEXT:
        return gettext(EMPTY_TEXT[indicator.key])
    return gettext(INDICATOR_TEXT[indicator.key][1]) % params


def label(indicator: Indicator, gettext: Callable[[str], str]) -> str:
    """An indicator's name in the caller's language."""
    return gettext(INDICATOR_TEXT[indicator.key][0])


def shown(indicator: Indicator, value: float) -> str:
    """A value as the page shows it (shares in percent)."""
    if indicator.unit == "share":
        return f"{value * 100:.0f}%"
    if indicator.unit == "per_entry":
        return f"{value:.1f}"
    return f"{int(value):,}"


def chart(result: IndexResult, gettext: Callable[[str], str]) -> dict[str, Any]:
    """The radar of the four layers, as the page's JS draws it."""
    return {
        "labels": [gettext(LAYER_TEXT[layer.key]) for layer in result.layers],
        "values": [layer.score for layer in result.layers],
        "series": gettext("Score"),
    }


@router.get("/open/index")
def open_index(web: WebDep) -> Response:
    """The city's open-data index self-assessment: layers, indicators and what to improve."""
    # Public like the open catalog, whether or not the internal catalog is (public_catalog):
    # the index shows only aggregates of the open portal.
    result = web.services.open_index.assess()
    usage = web.services.usage
    start, end = parse_period(None, None, today=usage.today())
    return web.page(
        "portal_index.html",
        result=result,
        layer_text=LAYER_TEXT,
        layer_hint=LAYER_HINT,
        label=lambda i: label(i, web.gettext),
        advice=lambda i: advice(i, web.gettext, english=web.english),
        shown=shown,
        chart=chart(result, web.gettext),
        usage_total=usage.totals(start, end),
        usage_departments=usage.by_department(start, end)[:10],
        period=(start, end),
    )
