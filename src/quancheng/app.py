"""create_app(settings): the one place where engines, services and routes are wired."""

from __future__ import annotations

import fcntl
import hmac
import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any, TextIO

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.routing import iter_route_contexts
from fastapi.staticfiles import StaticFiles
from sqlalchemy import text
from sqlalchemy.exc import DataError, StatementError
from starlette.exceptions import HTTPException as StarletteHTTPException

from quancheng import __version__, observability
from quancheng.api import admin as admin_api
from quancheng.api import applications as applications_api
from quancheng.api import catalog as catalog_api
from quancheng.api import ckan as ckan_api
from quancheng.api import data as data_api
from quancheng.api import harvest as harvest_api
from quancheng.api import identity as identity_api
from quancheng.api import ledger as ledger_api
from quancheng.api import metrics as metrics_api
from quancheng.api import ngsi as ngsi_api
from quancheng.api import ngsi_temporal as ngsi_temporal_api
from quancheng.api import opendata as opendata_api
from quancheng.api import operations as operations_api
from quancheng.api import portal as portal_api
from quancheng.api import portal_stats as portal_stats_api
from quancheng.api import sharing as sharing_api
from quancheng.catalog import textindex
from quancheng.catalog.search import SEARCH_INDEX, CatalogSearch
from quancheng.catalog.service import CatalogService
from quancheng.datastore.cursors import CursorKey
from quancheng.datastore.reads import DataReader
from quancheng.datastore.service import DatastoreService
from quancheng.db import Database
from quancheng.db.models import utcnow
from quancheng.errors import BadRequest, HttpError, PlatformError
from quancheng.identity.service import IdentityService, PasswordPolicy
from quancheng.ledger.log import KEY_FILE, Ledger
from quancheng.opendata.applications import ApplicationService
from quancheng.opendata.harvest import HarvestService
from quancheng.opendata.index import OpenDataIndex
from quancheng.opendata.interaction import InteractionService
from quancheng.opendata.usage import UsageCounter
from quancheng.operations.alarms import AlarmEngine
from quancheng.operations.board import OperationsBoard
from quancheng.operations.commands import CommandDesk
from quancheng.operations.entities import EntityStore
from quancheng.operations.latest import LAMP_STATES
from quancheng.operations.mqtt import MqttBridge
from quancheng.operations.telemetry import TelemetryStore
from quancheng.scheduler import Scheduler
from quancheng.settings import Settings
from quancheng.sharing.access import AccessLog
from quancheng.sharing.metrics import SharingMetrics
from quancheng.sharing.policy import GrantPolicy
from quancheng.sharing.rules import SharingRules
from quancheng.sharing.service import SharingService
from quancheng.web.security import SecurityHeaders

log = logging.getLogger("quancheng")

API_PREFIX = "/api/v1"
API_DOCS_PAGE = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Quancheng API</title>
<link rel="stylesheet" href="/static/vendor/swagger-ui.css">
<link rel="icon" href="/static/favicon.svg">
</head>
<body>
<div id="swagger-ui" data-openapi="{API_PREFIX}/openapi.json"></div>
<script src="/static/vendor/swagger-ui-bundle.js"></script>
<script src="/static/js/api-docs.js"></script>
</body>
</html>
"""
# Data computed from other tables by application code: `migrate` rebuilds a kind whenever
# the version its code declares is newer than the one it was built with (db/derived.py).
DERIVED_DATA = (SEARCH_INDEX, LAMP_STATES)
HARVEST_EVERY_SECONDS = 300
SWEEP_EVERY_SECONDS = 3600
_STATUS_CODES = {
    500: "internal_error",
    400: "bad_request",
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_failed",
    429: "rate_limited",
}


@dataclass(frozen=True)
class Services:
    """Everything a route or command needs, built once per app or CLI call."""

    settings: Settings
    db: Database
    identity: IdentityService
    catalog: CatalogService
    datastore: DatastoreService
    reads: DataReader
    ledger: Ledger
    sharing: SharingService
    access: AccessLog
    metrics: SharingMetrics
    usage: UsageCounter
    interaction: InteractionService
    harvest: HarvestService
    applications: ApplicationService
    open_index: OpenDataIndex
    entities: EntityStore
    telemetry: TelemetryStore
    alarms: AlarmEngine
    commands: CommandDesk
    board: OperationsBoard

    @classmethod
    def from_settings(
        cls, settings: Settings, *, passwords: PasswordPolicy | None = None
    ) -> Services:
        """Build the database and the services for a city."""
        db = Database(url=settings.resolved_database_url, derived=DERIVED_DATA)
        ledger = Ledger(
            db=db,
            key_path=settings.data_dir / KEY_FILE,
            origin=settings.resolved_ledger_origin,
            suite=settings.ledger_suite,
            checkpoint_interval_seconds=settings.checkpoint_interval_seconds,
        )
        catalog = CatalogService(db=db, search=CatalogSearch(dialect=db.dialect), ledger=ledger)
        datastore = DatastoreService(
            db=db,
            catalog=catalog,
            backend_url=settings.resolved_datastore_url,
            reports_dir=settings.data_dir / "reports",
            invalid_rows=settings.ingest_invalid_rows,
            keep_versions=settings.keep_data_versions,
            memory_mib=settings.datastore_memory_mib,
            ledger=ledger,
        )
        # Pseudonyms must be stable for a city (so masked columns still join) and secret.
        masking_key = hmac.digest(
            settings.secret_key.get_secret_value().encode(), b"quancheng masking", "sha256"
        )
        rules = SharingRules.from_settings(settings)
        access = AccessLog(
            db=db,
            ledger=ledger,
            tz=rules.tz,
            flush_seconds=settings.sharing_access_flush_seconds,
        )
        reads = DataReader(
            datastore=datastore,
            policy=GrantPolicy(db=db, access=access),
            masking_key=masking_key,
            cursor_key=CursorKey.from_secret(settings.secret_key.get_secret_value()),
            sql_timeout_seconds=settings.sql_timeout_seconds,
            sql_max_rows=settings.sql_max_rows,
            audit=access,
        )
        portal: dict[str, Any] = {
            "db": db,
            "catalog": catalog,
            "datastore": datastore,
            "ledger": ledger,
            "settings": settings,
        }
        ops: dict[str, Any] = {
            "db": db,
            "datastore": datastore,
            "ledger": ledger,
            "settings": settings,
        }
        identity = IdentityService(
            db=db,
            session_hours=settings.session_hours,
            login_max_attempts=settings.login_max_attempts,
            login_window_seconds=settings.login_window_seconds,
            token_days=settings.token_days,
            public_catalog=settings.public_catalog,
            passwords=passwords,
            ledger=ledger,
        )
        built = cls(
            settings=settings,
            db=db,
            identity=identity,
            catalog=catalog,
            datastore=datastore,
            reads=reads,
            ledger=ledger,
            sharing=SharingService(
                db=db, catalog=catalog, datastore=datastore, ledger=ledger, rules=rules
            ),
            access=access,
            metrics=SharingMetrics(db=db),
            usage=UsageCounter(**portal),
            interaction=InteractionService(**portal),
            harvest=HarvestService(**portal),
            applications=ApplicationService(**portal, identity=identity),
            open_index=OpenDataIndex(**portal),
            entities=EntityStore(**ops),
            telemetry=TelemetryStore(**ops),
            alarms=AlarmEngine(**ops),
            commands=CommandDesk(**ops),
            board=OperationsBoard(**ops),
        )
        # Every committed change of an entity's attributes: history, alarm rules, command acks
        # (NGSI-LD subscriptions are the store's own first observer).
        built.board.telemetry = built.telemetry
        built.entities.observers += [
            built.telemetry.record,
            built.alarms.observe,
            built.commands.observe,
        ]
        return built

    def close(self) -> None:
        """Finish background work and close every connection."""
        self.access.close()
        self.usage.close()
        self.entities.close()
        self.telemetry.close()
        self.alarms.webhooks.close()
        self.datastore.close()
        self.db.dispose()


# The State Council publishes next year's holidays in the autumn; warn from then on.
CALENDAR_WARNING_DAYS = 60


def _warn_of_the_calendar(services: Services, now: datetime | None = None) -> None:
    rules = services.sharing.rules
    left = rules.calendar_days_left(now or datetime.now(UTC))
    if left < CALENDAR_WARNING_DAYS:
        log.warning(
            "the holiday schedule behind sharing deadlines ends on %s: after it only weekends "
            "and statutory holidays count; enter the next year's schedule in "
            "QC_SHARING_EXTRA_HOLIDAYS and QC_SHARING_EXTRA_WORKDAYS (or upgrade chinesecalendar)",
            rules.calendar.covered_until().isoformat(),
        )


def create_app(
    settings: Settings, *, services: Services | None = None, scheduled: bool = False
) -> FastAPI:
    """Build the web application for one city (with its periodic work when `scheduled`)."""
    services = services or Services.from_settings(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        try:
            if not scheduled:
                yield
                return
            _warn_of_the_calendar(services)
            try:
                with background_work(services):
                    yield
            finally:
                services.close()
        finally:
            # Web-only workers (QC_SCHEDULER=false) leave the metrics' live sums too.
            _app.state.http_metrics.close()

    app = FastAPI(
        lifespan=lifespan,
        title="Quancheng 泉城",
        version=__version__,
        description="City data platform: catalog, sharing exchange, open data, ledger.",
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=None,
        redoc_url=None,
    )
    app.state.services = services
    app.include_router(catalog_api.router, prefix=API_PREFIX)
    app.include_router(identity_api.router, prefix=API_PREFIX)
    app.include_router(data_api.router, prefix=API_PREFIX)
    app.include_router(ledger_api.router, prefix=API_PREFIX)
    app.include_router(sharing_api.router, prefix=API_PREFIX)
    app.include_router(metrics_api.router, prefix=API_PREFIX)
    app.include_router(portal_api.router, prefix=API_PREFIX)
    app.include_router(portal_stats_api.router, prefix=API_PREFIX)
    app.include_router(harvest_api.router, prefix=API_PREFIX)
    app.include_router(applications_api.router, prefix=API_PREFIX)
    app.include_router(operations_api.router, prefix=API_PREFIX)
    app.include_router(ngsi_api.router)
    app.include_router(ngsi_temporal_api.router)
    app.include_router(opendata_api.router)
    app.include_router(ckan_api.router)
    app.include_router(admin_api.router, prefix=API_PREFIX)

    static_dir = resources.files("quancheng.web") / "static"
    app.mount("/static", StaticFiles(directory=str(static_dir)), name="static")

    @app.get(f"{API_PREFIX}/docs", include_in_schema=False)
    def api_docs() -> HTMLResponse:
        # Our own page rather than FastAPI's: its inline start-up script would need
        # 'unsafe-inline' in the Content-Security-Policy; ours is a static file.
        return HTMLResponse(API_DOCS_PAGE)

    @app.get("/healthz", tags=["health"])
    def healthz() -> dict[str, str]:
        """Liveness and database reachability."""
        with services.db.reader() as s:
            s.execute(text("SELECT 1"))
        return {"status": "ok", "version": __version__}

    # Request ids, access lines and /metrics (which also redirects old bookmarks), /readyz.
    observability.install(app, services)
    # Security headers on every answer (pages set their own; API, files and errors get these).
    app.add_middleware(SecurityHeaders)

    from quancheng.web.routes import build_router, error_page

    app.include_router(build_router(services))

    def render(request: Request, exc: PlatformError) -> Response:
        if _wants_json(request):
            return JSONResponse(exc.body(), status_code=exc.status)
        return error_page(request, exc)

    @app.exception_handler(PlatformError)
    def platform_error(request: Request, exc: PlatformError) -> Response:
        if exc.status >= 500:
            log.error("platform error: %s", exc.message)
        return render(request, exc)

    @app.exception_handler(RequestValidationError)
    def validation_error(request: Request, exc: RequestValidationError) -> Response:
        details = [
            {
                "field": ".".join(str(p) for p in err.get("loc", ())[1:]) or "body",
                "code": str(err.get("type", "invalid")),
                "message": str(err.get("msg", "")),
            }
            for err in exc.errors()
        ]
        return render(request, _http_error(422, "the request is not valid", details))

    @app.exception_handler(StarletteHTTPException)
    def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        message = exc.detail if isinstance(exc.detail, str) else "request failed"
        return render(request, _http_error(exc.status_code, message, None))

    @app.exception_handler(OverflowError)
    @app.exception_handler(StatementError)
    def unstorable_value(request: Request, exc: StatementError | OverflowError) -> Response:
        # A value from the request the database cannot hold — a number beyond its integer
        # range (OverflowError on SQLite, DataError on PostgreSQL) or a NUL character in text
        # (PostgreSQL) — is the caller's error; any other failed statement is ours.
        orig = exc.orig if isinstance(exc, StatementError) else exc
        if isinstance(exc, DataError) or isinstance(orig, OverflowError):
            log.info("unstorable value on %s %s: %s", request.method, request.url.path, orig)
            return render(
                request,
                BadRequest(
                    "a value in the request cannot be stored: a number out of range or a "
                    "NUL character",
                    code="unstorable_value",
                ),
            )
        # Handled here, so the middleware never sees it: the traceback is logged now.
        log.error("database error on %s %s", request.method, request.url.path, exc_info=exc)
        return render(request, _http_error(500, "internal error", None))

    @app.exception_handler(Exception)
    def unexpected_error(request: Request, exc: Exception) -> Response:
        # The caller sees our error body, never internals. The traceback is logged once, by
        # the request-id middleware (quancheng.observability), which still has it at hand.
        log.error("unexpected error on %s %s: %r", request.method, request.url.path, exc)
        return render(request, _http_error(500, "internal error", None))

    # FastAPI builds an included router's route handlers when a request first reaches them:
    # build them all now, so that a worker's first requests do not wait a second or more
    # (several seconds on a busy machine) while every route of the platform is prepared.
    for _context in iter_route_contexts(app.routes):
        pass
    return app


def _http_error(status: int, message: str, details: Any) -> PlatformError:
    return HttpError(status, _STATUS_CODES.get(status, "error"), message, details=details)


def _wants_json(request: Request) -> bool:
    path = request.url.path
    if path.startswith(("/api/", "/healthz")):
        return True
    accept = request.headers.get("accept", "")
    return "text/html" not in accept


def app_from_env() -> FastAPI:
    """The app for uvicorn's factory mode: settings from the QC_* variables."""
    settings = Settings()
    app = create_app(settings, scheduled=settings.scheduler)
    # Each worker's first search would otherwise wait seconds for the dictionaries.
    textindex.warm_up()
    return app


def scheduler_for(services: Services) -> Scheduler:
    """The server's periodic work: harvests, deadlines, alarms, lighting, telemetry upkeep."""
    from quancheng.operations.sensor_open_data import publish_sensor_open_data

    scheduler = Scheduler()
    scheduler.add("harvest", HARVEST_EVERY_SECONDS, services.harvest.run_due)
    scheduler.add("sharing-sweep", SWEEP_EVERY_SECONDS, services.sharing.sweep)
    scheduler.add("alarms-offline", 60, lambda: services.alarms.check_offline(utcnow()))
    scheduler.add("lighting", 60, lambda: services.commands.tick(utcnow()))
    scheduler.add("command-retries", 10, lambda: services.commands.retry(utcnow()))
    scheduler.add("telemetry-rollup", 300, lambda: services.telemetry.rollup(utcnow()))
    scheduler.add("telemetry-retention", 6 * 3600, lambda: services.telemetry.purge(utcnow()))
    scheduler.add("sensor-open-data", 600, lambda: publish_sensor_open_data(services, utcnow()))
    return scheduler


@contextmanager
def background_work(services: Services) -> Iterator[None]:
    """Periodic jobs and the MQTT bridge, in one server process of the data dir only."""
    lock = _background_lock(services.settings.data_dir)
    if lock is None:
        # Another worker of this city runs them; commands queued here are sent by its retries.
        yield
        return
    scheduler = scheduler_for(services)
    bridge: MqttBridge | None = None
    if services.settings.mqtt_url:
        bridge = MqttBridge(
            services.settings.mqtt_url, services.entities, durable=services.telemetry.sync
        )
        bridge.start()
        services.commands.transport = bridge
    scheduler.start()
    try:
        yield
    finally:
        scheduler.stop()
        if bridge is not None:
            services.commands.transport = None
            bridge.stop()
        lock.close()


def _background_lock(data_dir: Path) -> TextIO | None:
    """An exclusive lock on DATA_DIR/background.lock, or None when another process holds it."""
    data_dir.mkdir(parents=True, exist_ok=True)
    handle = (data_dir / "background.lock").open("w")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        return None
    return handle
