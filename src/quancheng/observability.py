"""What operators watch: request ids, JSON logs, access lines, Prometheus metrics, readiness."""

from __future__ import annotations

import hmac
import json
import logging
import os
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar
from datetime import UTC, datetime
from importlib import resources
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import quote

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.routing import iter_route_contexts
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client import multiprocess as prometheus_multiprocess
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select, text
from starlette.routing import Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from quancheng.api.deps import resolve_principal
from quancheng.db.models import (
    IngestJob,
    LedgerCheckpoint,
    LedgerHead,
    OpsAlarm,
    OpsEntity,
)
from quancheng.errors import NotAuthenticated, PermissionDenied

if TYPE_CHECKING:
    from quancheng.app import Services

REQUEST_ID_HEADER = "X-Request-ID"
PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
ACCESS_LOGGER = "quancheng.access"
UNMATCHED = "unmatched"
NO_REQUEST = "-"
_SANE_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
# Formats a browser asks for before HTML would not be a Prometheus scraper's.
_METRICS_TYPES = ("text/plain", "application/openmetrics-text")
# Open alarms are the ones an operator still has to handle.
_OPEN_ALARM_STATES = ("active", "acknowledged")
# prometheus_client's switch to its multi-process mode (one file per process and metric, summed
# at scrape time): `quancheng serve --workers N` sets it for its workers.
MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"
TELEMETRY_COUNTERS = ("points_received", "points_written", "duplicates_dropped", "points_dropped")
# How stale another worker's telemetry counters may be in a scrape (multi-process mode).
TELEMETRY_SYNC_SECONDS = 5.0

_request_id: ContextVar[str | None] = ContextVar("quancheng_request_id", default=None)
access_log = logging.getLogger(ACCESS_LOGGER)
log = logging.getLogger(__name__)


# -- request ids and logs ------------------------------------------------------------------


def current_request_id() -> str | None:
    """The id of the request being handled in this context, if any."""
    return _request_id.get()


def request_id_for(incoming: str | None) -> str:
    """The caller's X-Request-ID when it is a sane token, else a new random id."""
    if incoming is not None and _SANE_ID.fullmatch(incoming):
        return incoming
    return uuid.uuid4().hex


class RequestIdFilter(logging.Filter):
    """Puts the current request's id on every record (`-` outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Annotate the record; never drops it."""
        if not hasattr(record, "request_id"):
            record.request_id = current_request_id() or NO_REQUEST
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message and the request's fields."""

    _EXTRAS = ("method", "route", "path", "status", "duration_ms")

    def format(self, record: logging.LogRecord) -> str:
        """The record as one line of JSON."""
        stamp = datetime.fromtimestamp(record.created, UTC)
        line: dict[str, Any] = {
            "time": stamp.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        rid = getattr(record, "request_id", None) or current_request_id()
        if rid and rid != NO_REQUEST:
            line["request_id"] = rid
        for key in self._EXTRAS:
            value = getattr(record, key, None)
            if value is not None:
                line[key] = value
        # logging.exception outside an except block records (None, None, None): no traceback.
        if record.exc_info and record.exc_info[0] is not None:
            line["exc"] = self.formatException(record.exc_info)
        elif record.exc_text:
            line["exc"] = record.exc_text
        return json.dumps(line, ensure_ascii=False, default=str)


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


def log_config(fmt: Literal["text", "json"], *, level: str = "INFO") -> dict[str, Any]:
    """A logging.config.dictConfig for the server: ours and uvicorn's records, one format."""
    formatter: dict[str, Any] = (
        {"()": f"{__name__}.JsonFormatter"} if fmt == "json" else {"format": TEXT_FORMAT}
    )
    handler = {
        "class": "logging.StreamHandler",
        "stream": "ext://sys.stderr",
        "formatter": "main",
        # On the handler, not a logger: filters of a logger miss its children's records.
        "filters": ["request_id"],
    }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": f"{__name__}.RequestIdFilter"}},
        "formatters": {"main": formatter},
        "handlers": {"main": handler},
        "loggers": {
            "quancheng": {"level": level, "handlers": ["main"], "propagate": False},
            "uvicorn": {"level": level, "handlers": ["main"], "propagate": False},
            # uvicorn's own access line carries the query string (tokens may be in it).
            "uvicorn.access": {"level": "WARNING", "handlers": [], "propagate": False},
        },
        "root": {"level": "WARNING", "handlers": ["main"]},
    }


# -- metrics -------------------------------------------------------------------------------


class HttpMetrics:
    """The app's own registry: request counts and latencies per route template.

    Under `serve --workers N` each worker counts its own requests; with MULTIPROCESS_ENV set
    the counts go to files there and a scrape, whichever worker answers it, sums every
    worker's (the telemetry counters too, copied from the store every few seconds).
    """

    def __init__(self, services: Services) -> None:
        # Never the global default registry: a process may hold several apps (tests, workers).
        self.registry = CollectorRegistry(auto_describe=False)
        self.multiprocess_dir = os.environ.get(MULTIPROCESS_ENV) or None
        self.requests = Counter(
            "quancheng_http_requests",
            "HTTP requests answered, by method, route template and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.duration = Histogram(
            "quancheng_http_request_duration_seconds",
            "Time to answer an HTTP request, by method and route template.",
            ["method", "route"],
            registry=self.registry,
        )
        self.services = services
        self.city = CityCollector(services, telemetry=self.multiprocess_dir is None)
        if self.multiprocess_dir is None:
            self.registry.register(self.city)
            return
        self._telemetry = {
            key: Counter(
                f"quancheng_telemetry_{key}",
                f"Telemetry {key.replace('_', ' ')} by the server's workers since they started.",
                registry=self.registry,
            )
            for key in TELEMETRY_COUNTERS
        }
        self._queue = Gauge(
            "quancheng_telemetry_queue_length",
            "Telemetry points waiting to be written.",
            registry=self.registry,
            multiprocess_mode="livesum",
        )
        self._seen = dict.fromkeys(TELEMETRY_COUNTERS, 0)
        self._sync_lock = threading.Lock()
        self._stopped = threading.Event()
        threading.Thread(target=self._sync_loop, name="metrics-sync", daemon=True).start()

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        """Count one answered request."""
        self.requests.labels(method, route, str(status)).inc()
        self.duration.labels(method, route).observe(seconds)

    def exposition(self) -> bytes:
        """Every metric in the Prometheus text format."""
        if self.multiprocess_dir is None:
            return generate_latest(self.registry)
        self.sync_telemetry()
        merged = CollectorRegistry(auto_describe=False)
        prometheus_multiprocess.MultiProcessCollector(merged, path=self.multiprocess_dir)  # type: ignore[no-untyped-call]
        merged.register(self.city)
        return generate_latest(merged)

    def sync_telemetry(self) -> None:
        """Copy this worker's telemetry counters into the shared files (multi-process mode)."""
        stats = self.services.telemetry.stats()
        with self._sync_lock:
            for key, counter in self._telemetry.items():
                now = int(stats.get(key, 0))
                if now > self._seen[key]:
                    counter.inc(now - self._seen[key])
                self._seen[key] = now
            self._queue.set(float(stats.get("queue_length", 0)))

    def close(self) -> None:
        """Stop copying; this worker's live gauges leave the sums (its counters stay)."""
        if self.multiprocess_dir is None or self._stopped.is_set():
            return
        self._stopped.set()
        prometheus_multiprocess.mark_process_dead(os.getpid(), self.multiprocess_dir)  # type: ignore[no-untyped-call]

    def _sync_loop(self) -> None:
        while not self._stopped.wait(TELEMETRY_SYNC_SECONDS):
            try:
                self.sync_telemetry()
            except Exception:
                log.warning("metrics: copying the telemetry counters failed", exc_info=True)


class CityCollector(Collector):
    """Gauges read from the services at scrape time; a failing read is left out."""

    def __init__(self, services: Services, *, telemetry: bool = True) -> None:
        self.services = services
        # This process's telemetry counters; in multi-process mode HttpMetrics sums them.
        self.telemetry = telemetry

    def describe(self) -> Iterable[Metric]:
        """Nothing up front, so registering it does not query the database."""
        return []

    def collect(self) -> Iterable[Metric]:
        """One cheap query per family."""
        reads: list[Callable[[], Iterable[Metric]]] = [
            self._ingest_jobs,
            self._ledger,
            self._alarms,
            self._entities,
            self._work_calendar,
        ]
        if self.telemetry:
            reads.append(self._telemetry)
        for read in reads:
            try:
                families = list(read())
            except Exception:
                # A scrape must answer even when one source is down; readiness reports it.
                log.warning("metrics: %s failed", read.__name__, exc_info=True)
                continue
            yield from families

    def _ingest_jobs(self) -> Iterator[Metric]:
        family = GaugeMetricFamily(
            "quancheng_ingest_jobs", "Data load jobs by state.", labels=["state"]
        )
        with self.services.db.reader() as s:
            rows = s.execute(
                select(IngestJob.status, func.count()).group_by(IngestJob.status)
            ).all()
        for state, count in rows:
            family.add_metric([str(state)], float(count))
        yield family

    def _ledger(self) -> Iterator[Metric]:
        with self.services.db.reader() as s:
            size = s.scalar(select(LedgerHead.size).where(LedgerHead.id == 1))
            last = s.scalar(select(func.max(LedgerCheckpoint.created_at)))
        yield GaugeMetricFamily(
            "quancheng_ledger_entries", "Entries in the ledger.", value=float(size or 0)
        )
        if last is not None:
            if last.tzinfo is None:
                last = last.replace(tzinfo=UTC)
            age = (datetime.now(UTC) - last).total_seconds()
            yield GaugeMetricFamily(
                "quancheng_ledger_checkpoint_age_seconds",
                "Seconds since the ledger's last signed checkpoint.",
                value=max(age, 0.0),
            )

    def _work_calendar(self) -> Iterator[Metric]:
        left = self.services.sharing.rules.calendar_days_left(datetime.now(UTC))
        yield GaugeMetricFamily(
            "quancheng_work_calendar_days_left",
            "Days until the holiday schedule behind sharing deadlines runs out (after it only "
            "weekends and statutory holidays count: enter the next year's schedule).",
            value=float(left),
        )

    def _telemetry(self) -> Iterator[Metric]:
        stats = self.services.telemetry.stats()
        for key in TELEMETRY_COUNTERS:
            yield CounterMetricFamily(
                f"quancheng_telemetry_{key}",
                f"Telemetry {key.replace('_', ' ')} by this process since it started.",
                value=float(stats.get(key, 0)),
            )
        yield GaugeMetricFamily(
            "quancheng_telemetry_queue_length",
            "Telemetry points waiting to be written.",
            value=float(stats.get("queue_length", 0)),
        )

    def _alarms(self) -> Iterator[Metric]:
        family = GaugeMetricFamily(
            "quancheng_alarms_open",
            "Alarms not yet cleared, by severity and state.",
            labels=["severity", "state"],
        )
        with self.services.db.reader() as s:
            rows = s.execute(
                select(OpsAlarm.severity, OpsAlarm.state, func.count())
                .where(OpsAlarm.state.in_(_OPEN_ALARM_STATES))
                .group_by(OpsAlarm.severity, OpsAlarm.state)
            ).all()
        for severity, state, count in rows:
            family.add_metric([str(severity), str(state)], float(count))
        yield family

    def _entities(self) -> Iterator[Metric]:
        family = GaugeMetricFamily(
            "quancheng_entities", "Operations entities (devices, places) by type.", labels=["type"]
        )
        with self.services.db.reader() as s:
            rows = s.execute(select(OpsEntity.type, func.count()).group_by(OpsEntity.type)).all()
        for kind, count in rows:
            family.add_metric([str(kind)], float(count))
        yield family


# -- the middleware ------------------------------------------------------------------------


class ObservabilityMiddleware:
    """Gives each request an id, counts it per route template and writes its access line."""

    def __init__(self, app: ASGIApp, *, metrics: HttpMetrics, routes: RouteTemplates) -> None:
        self.app = app
        self.metrics = metrics
        self.routes = routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Wrap one HTTP request (other scopes pass through)."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = _header(scope, b"x-request-id")
        rid = request_id_for(incoming)
        reset = _request_id.set(rid)
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers = [
                    (k, v) for k, v in message.get("headers", []) if k.lower() != b"x-request-id"
                ]
                headers.append((b"x-request-id", rid.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except BaseException as error:
            if isinstance(error, Exception):
                # Here the traceback is still at hand (the app's 500 handler runs in a worker
                # thread without it); the id stays set for that handler's line too.
                where = f"{scope.get('method')} {scope.get('path')}"
                log.error("unhandled error on %s", where, exc_info=error)
            self._finish(scope, status, started)
            raise
        self._finish(scope, status, started)
        _request_id.reset(reset)

    def _finish(self, scope: Scope, status: int, started: float) -> None:
        seconds = time.perf_counter() - started
        method = str(scope.get("method", ""))
        route = self.routes.of(scope)
        self.metrics.observe(method, route, status, seconds)
        path = str(scope.get("path", ""))  # never the query string: tokens may be in it
        duration_ms = round(seconds * 1000, 2)
        access_log.info(
            "%s %s %s %.2fms",
            method,
            path,
            status,
            duration_ms,
            extra={
                "method": method,
                "route": route,
                "path": path,
                "status": status,
                "duration_ms": duration_ms,
            },
        )


class RouteTemplates:
    """Maps the route that answered a request to its full template (prefixes included)."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self._by_id: dict[int, str] | None = None

    def _table(self) -> dict[int, str]:
        # Built on the first request, when every route is in place; a lookup is then O(1).
        if self._by_id is None:
            table: dict[int, str] = {}
            for context in iter_route_contexts(self.app.routes):
                route = context.original_route
                target = route.app if isinstance(route, Mount) else route
                template = context.path_format or context.path
                if template:
                    table.setdefault(id(target), template)
            self._by_id = table
        return self._by_id

    def of(self, scope: Scope) -> str:
        """The template of the route that answered (bounded label values), or "unmatched"."""
        table = self._table()
        # A route sets "route" in the scope; a mount (static files) only its "endpoint".
        for key in ("route", "endpoint"):
            found = table.get(id(scope.get(key)))
            if found is not None:
                return found
        return UNMATCHED


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            try:
                return bytes(value).decode("ascii")
            except UnicodeDecodeError:
                return None
    return None


# -- content negotiation and access --------------------------------------------------------


def prefers_html(accept: str) -> bool:
    """Whether an Accept header ranks text/html above the Prometheus formats (a browser)."""
    html = 0.0
    metrics = 0.0
    for part in accept.split(","):
        media, *params = (p.strip() for p in part.split(";"))
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = min(max(float(value), 0.0), 1.0)
                except ValueError:
                    quality = 0.0
        media = media.lower()
        if media == "text/html":
            html = max(html, quality)
        elif media in _METRICS_TYPES:
            metrics = max(metrics, quality)
    return html > 0 and html >= metrics


def check_metrics_access(request: Request, services: Services) -> None:
    """Let in the metrics token's bearer or a platform administrator; refuse everyone else."""
    token = services.settings.metrics_token
    scheme, _, presented = request.headers.get("authorization", "").partition(" ")
    if token is not None and token.get_secret_value() and scheme.lower() == "bearer":
        expected = token.get_secret_value().encode()
        if hmac.compare_digest(presented.strip().encode(), expected):
            return
    principal, _csrf = resolve_principal(request)
    if principal.is_platform_admin:
        return
    if not principal.is_authenticated:
        raise NotAuthenticated("the metrics need the metrics token or a platform administrator")
    raise PermissionDenied("only platform administrators may read the metrics")


# -- readiness -----------------------------------------------------------------------------


class Readiness:
    """Whether this server can take traffic: database, datastore and schema at head."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self._heads: frozenset[str] | None = None

    def failed(self) -> list[str]:
        """The names of the checks that fail ("database", "datastore", "migrations")."""
        checks: list[tuple[str, Callable[[], bool]]] = [
            ("database", self._database),
            ("datastore", self._datastore),
            ("migrations", self._migrations),
        ]
        failed = []
        for name, check in checks:
            try:
                ok = check()
            except Exception:
                log.warning("readiness: %s check failed", name, exc_info=True)
                ok = False
            if not ok:
                failed.append(name)
        return failed

    def _database(self) -> bool:
        with self.services.db.reader() as s:
            return s.execute(text("SELECT 1")).scalar() == 1

    def _datastore(self) -> bool:
        result = self.services.datastore.backend.execute_sql(
            "SELECT 1", timeout_seconds=5.0, max_rows=1
        )
        return len(result.rows) == 1

    def _migrations(self) -> bool:
        if self._heads is None:
            location = resources.files("quancheng.db") / "migrations"
            self._heads = frozenset(ScriptDirectory(str(location)).get_heads())
        with self.services.db.engine.connect() as connection:
            current = MigrationContext.configure(connection).get_current_heads()
        return frozenset(current) == self._heads


# -- wiring --------------------------------------------------------------------------------


def install(app: FastAPI, services: Services) -> HttpMetrics:
    """Add the middleware and the /metrics and /readyz routes to the app."""
    metrics = HttpMetrics(services)
    readiness = Readiness(services)
    app.state.http_metrics = metrics
    app.add_middleware(ObservabilityMiddleware, metrics=metrics, routes=RouteTemplates(app))

    @app.get(
        "/readyz",
        tags=["health"],
        responses={503: {"description": "Not ready: the failing checks are listed."}},
    )
    def readyz() -> JSONResponse:
        """Readiness: the databases answer and the schema is at the newest migration."""
        failed = readiness.failed()
        if failed:
            return JSONResponse({"status": "not ready", "failed": failed}, status_code=503)
        return JSONResponse({"status": "ready"})

    @app.get("/metrics", include_in_schema=False)
    def prometheus_metrics(request: Request) -> Response:
        """Prometheus metrics for the token's bearer or a platform administrator."""
        if prefers_html(request.headers.get("accept", "")):
            # Bookmarks of the governance scorecards, which lived here before.
            return RedirectResponse("/governance", status_code=308)
        check_metrics_access(request, services)
        return Response(metrics.exposition(), media_type=PROMETHEUS_CONTENT_TYPE)

    return metrics


def governance_url(key: str) -> str:
    """Where a department's scorecard lives now."""
    return f"/governance/{quote(key, safe='')}"
