"""Web pages of the city operations centre (see quancheng.operations): the big screen."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, JSONResponse, StreamingResponse
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from quancheng.db.models import OpsEntity
from quancheng.identity.roles import Permission, Principal
from quancheng.operations.board import require_viewer
from quancheng.operations.model import STREETLIGHT
from quancheng.operations.simulator import DISTRICTS
from quancheng.web.render import Web, WebDep
from quancheng.web.security import add_security_headers

router = APIRouter(default_response_class=HTMLResponse, include_in_schema=False)

# Server push: one event every few seconds; a connection is held at most this long, then the
# browser's EventSource reconnects by itself (so no worker is held forever).
STREAM_INTERVAL_SECONDS = 5.0
STREAM_POLL_SECONDS = 0.5  # how soon an alarm change reaches the screen
STREAM_HOLD_SECONDS = 120.0
STREAM_RETRY_MS = 3000


def _lamp_department(web: Web) -> int | None:
    """The department that owns the streetlights (城市管理局 in the demo), if any lamps exist."""
    with web.services.db.reader() as s:
        found: int | None = s.scalar(
            select(OpsEntity.department_id).where(OpsEntity.type == STREETLIGHT).limit(1)
        )
        return found


def _writable(principal: Principal) -> list[int] | str:
    """Departments whose devices the viewer may act on ("all" for the platform)."""
    if principal.is_platform_admin:
        return "all"
    if principal.department_id is not None and principal.can(Permission.DATA_WRITE):
        return [principal.department_id]
    return []


def _labels(web: Web) -> dict[str, str]:
    """The words the page's script draws on the canvas, in the page's language."""
    _ = web.gettext
    return {
        "on": _("On"),
        "off": _("Off"),
        "faulty": _("Faulty"),
        "aqi": _("AQI"),
        "pm25": _("PM2.5"),
        "lamps": _("Streetlights"),
        "lamps_on": _("Lamps on"),
        "energy": _("Energy today (kWh)"),
        "vehicles": _("Vehicles (last 5 min)"),
        "speed": _("Average speed (km/h)"),
        "level": _("Water level (m)"),
        "stop": _("Stops gushing below"),
        "margin": _("Above the stop level (m)"),
        "alarms": _("Active alarms"),
        "raised": _("Alarms raised"),
        "no_alarms_hours": _("No alarms in these hours"),
        "stations": _("Air stations"),
        "springs": _("Springs"),
        "clusters": _("Lamp clusters"),
        "acknowledge": _("Acknowledge"),
        "acknowledged": _("Acknowledged"),
        "no_alarms": _("No open alarms."),
        "live": _("Live"),
        "polling": _("Refreshing every few seconds"),
        "offline": _("Connection lost; retrying"),
        "sent": _("Command sent."),
        "failed": _("The request failed:"),
        "updated": _("Updated"),
        "good": _("Good"),
        "moderate": _("Moderate"),
        "sensitive": _("Unhealthy for sensitive groups"),
        "unhealthy": _("Unhealthy"),
        "very_unhealthy": _("Very unhealthy"),
        "hazardous": _("Hazardous"),
        "no_data": _("No data"),
        # Built-in alarms by cause (streetlight failure flags and statuses, TALQ names).
        "cause_lampFailure": _("Lamp failure"),
        "cause_relayFailure": _("Relay failure"),
        "cause_supplyLoss": _("Power supply lost"),
        "cause_lampUnexpectedOn": _("Lamp on when it should be off"),
        "cause_defectiveLamp": _("Defective lamp"),
        "cause_columnIssue": _("Column damaged"),
        "cause_brokenLantern": _("Broken lantern"),
        "value": _("value"),
    }


@router.get("/ops")
def big_screen(web: WebDep) -> Response:
    """The operations centre's big screen: the city by district, live."""
    require_viewer(web.principal)
    board = web.services.board.board(web.principal)
    lamp_department = _lamp_department(web)
    writable = _writable(web.principal)
    can_command = lamp_department is not None and (writable == "all" or lamp_department in writable)
    config = {
        "board": "/ops/board.json",
        "stream": "/ops/stream",
        "geo": "/static/geo/jinan-districts.json",
        "english": web.english,
        "writable": writable,
        "can_command": can_command,
        "labels": _labels(web),
        "districts": {d.name: {"code": d.code, "en": d.name_en} for d in DISTRICTS},
    }
    labels = _labels(web)

    def alarm_text(a: dict[str, Any]) -> str:
        # As the script's alarmText: the rule's name, or the label of its built-in cause;
        # the stored (English) message only when neither is known.
        if a.get("rule_name"):
            value = a.get("value")
            return str(a["rule_name"]) + (
                f" ({labels['value']} {value})" if value is not None else ""
            )
        label = labels.get(f"cause_{a['cause']}") if a.get("cause") else None
        return label or str(a.get("message") or "")

    return web.page(
        "ops_board.html",
        alarm_text=alarm_text,
        board=board,
        config=config,
        can_command=can_command,
        districts=DISTRICTS,
    )


@router.get("/ops/board.json")
def board_json(web: WebDep) -> Response:
    """The big screen's figures as JSON (what the page's script draws)."""
    data = web.services.board.board(web.principal)
    return web.finish(JSONResponse(data))


@router.get("/ops/stream")
async def board_stream(web: WebDep) -> Response:
    """Server-Sent Events: the board every few seconds.

    A client that does not ask for `text/event-stream` (a plain fetch) gets one event and the
    end of the response; an EventSource is held up to a couple of minutes, then reconnects.
    """
    principal = web.principal
    require_viewer(principal)
    board = web.services.board
    request = web.request
    hold = STREAM_HOLD_SECONDS
    if "text/event-stream" not in request.headers.get("accept", ""):
        hold = 0.0

    alarms = web.services.alarms

    async def events() -> AsyncIterator[str]:
        started = time.monotonic()
        yield f"retry: {STREAM_RETRY_MS}\n\n"
        # Alarms are news: a change is pushed within half a second, not at the next refresh.
        cursor = (await run_in_threadpool(alarms.changes_since, principal)).cursor
        fresh = False
        while True:
            data: dict[str, Any] = await run_in_threadpool(board.board, principal, fresh=fresh)
            payload = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
            yield f"event: board\nid: {data['generated_at']}\ndata: {payload}\n\n"
            if time.monotonic() - started + STREAM_INTERVAL_SECONDS > hold:
                return
            waited, fresh = 0.0, False
            while waited < STREAM_INTERVAL_SECONDS and not fresh:
                await asyncio.sleep(STREAM_POLL_SECONDS)
                waited += STREAM_POLL_SECONDS
                if await request.is_disconnected():
                    return
                news = await run_in_threadpool(alarms.changes_since, principal, cursor)
                if news.changes:
                    cursor, fresh = news.cursor, True

    response = StreamingResponse(events(), media_type="text/event-stream")
    response.headers["Cache-Control"] = "no-store"
    # Proxies (nginx) must pass events through at once instead of buffering them.
    response.headers["X-Accel-Buffering"] = "no"
    add_security_headers(response)
    return response
