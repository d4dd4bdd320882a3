"""What operators watch: Prometheus /metrics, /readyz, request ids and JSON access logs."""

from __future__ import annotations

import io
import json
import logging
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import httpx
import pytest
from alembic.script import ScriptDirectory
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr
from sqlalchemy import text

from quancheng.app import Services, create_app
from quancheng.observability import (
    JsonFormatter,
    RequestIdFilter,
    prefers_html,
    request_id_for,
)
from quancheng.settings import Settings
from tests.conftest import FAST_PASSWORDS
from tests.support.city import SmallCity, entry_fields
from tests.support.live import TEST_SECRET, fresh_services
from tests.web.support import browser, login

SCRAPE_TOKEN = "scrape-token-0123456789abcdef"
SCRAPER = {"Authorization": f"Bearer {SCRAPE_TOKEN}"}
PROMETHEUS_ACCEPT = (
    "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;"
    "q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"
)
FIREFOX_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The test city's settings with a Prometheus scrape token."""
    return settings.model_copy(update={"metrics_token": SecretStr(SCRAPE_TOKEN)})


Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def samples(body: str) -> Samples:
    """Every sample of a Prometheus text exposition, parsed by prometheus_client's parser."""
    found: Samples = {}
    for family in text_string_to_metric_families(body):
        for sample in family.samples:
            found[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return found


def value(
    found: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str
) -> float:
    """One sample's value (KeyError when absent)."""
    return found[(name, frozenset(labels.items()))]


def of_family(found: Samples, name: str, label: str) -> dict[str, float]:
    """The samples of one family by the value of one label."""
    return {dict(labels)[label]: v for (n, labels), v in found.items() if n == name}


def scrape(client: TestClient) -> Samples:
    response = client.get("/metrics", headers={**SCRAPER, "Accept": PROMETHEUS_ACCEPT})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    return samples(response.text)


def lamp(local: str, *, failing: bool = False) -> dict[str, Any]:
    """A streetlight near 泉城广场, reporting a lamp failure when `failing`."""
    return {
        "id": f"urn:ngsi-ld:Streetlight:{local}",
        "type": "Streetlight",
        "location": {
            "type": "GeoProperty",
            "value": {"type": "Point", "coordinates": [117.02, 36.66]},
        },
        "powerState": {"type": "Property", "value": "on"},
        "lampFailure": {"type": "Property", "value": failing},
    }


# -- /metrics ------------------------------------------------------------------------------


def test_metrics_need_the_scrape_token_and_count_requests_by_route_template(
    client: TestClient, city: SmallCity
) -> None:
    assert client.get("/api/v1/departments/gaj").status_code == 200
    assert client.get("/api/v1/departments/sthjj").status_code == 200
    assert client.get("/no/such/page").status_code == 404

    anonymous = client.get("/metrics")
    wrong = client.get("/metrics", headers={"Authorization": "Bearer not-the-token"})
    found = scrape(client)

    assert anonymous.status_code == 401
    assert anonymous.json()["error"]["code"] == "not_authenticated"
    assert wrong.status_code == 401
    route = "/api/v1/departments/{ref}"
    assert value(found, "quancheng_http_requests_total", method="GET", route=route, status="200")
    assert (
        value(found, "quancheng_http_requests_total", method="GET", route=route, status="200") == 2
    )
    assert (
        value(found, "quancheng_http_request_duration_seconds_count", method="GET", route=route)
        == 2
    )
    assert (
        value(found, "quancheng_http_requests_total", method="GET", route="unmatched", status="404")
        == 1
    )
    assert (
        value(found, "quancheng_http_requests_total", method="GET", route="/metrics", status="401")
        == 2
    )
    # Raw paths never become label values (one series per route, whatever the ids).
    routes = {dict(labels).get("route") for _name, labels in found}
    assert not any(r and ("/gaj" in r or "/no/such" in r) for r in routes)


def test_metrics_gauges_follow_the_city(client: TestClient, city: SmallCity) -> None:
    services = city.services
    steward = city.principals["gaj_steward"]
    before = scrape(client)
    entities_before = sum(of_family(before, "quancheng_entities", "type").values())

    services.entities.create(steward, lamp("metrics-1"))
    services.entities.create(steward, lamp("metrics-2", failing=True))
    entry = services.catalog.create(steward, department="gaj", fields=entry_fields())
    services.catalog.submit(steward, entry.id)
    services.catalog.publish(steward, entry.id)
    services.datastore.start_load(steward, entry.id, source_name="air.csv")
    services.ledger.issue_checkpoint()
    found = scrape(client)

    entities = of_family(found, "quancheng_entities", "type")
    assert entities_before == 0 and sum(entities.values()) == 2
    assert value(found, "quancheng_ledger_entries") == services.ledger.size() > 0
    assert 0 <= value(found, "quancheng_ledger_checkpoint_age_seconds") < 60
    # Operators are warned before sharing deadlines run past the published holidays.
    left = services.sharing.rules.calendar_days_left(datetime.now(UTC))
    assert value(found, "quancheng_work_calendar_days_left") == left
    jobs = of_family(found, "quancheng_ingest_jobs", "state")
    assert sum(jobs.values()) == 1
    stats = services.telemetry.stats()
    assert value(found, "quancheng_telemetry_points_received_total") == stats["points_received"]
    assert value(found, "quancheng_telemetry_queue_length") == stats["queue_length"]
    open_alarms = of_family(found, "quancheng_alarms_open", "state")
    assert open_alarms == {"active": 1.0}  # the failing lamp


def test_a_failing_gauge_read_is_left_out_not_a_500(client: TestClient, city: SmallCity) -> None:
    # The operations tables gone (a broken database): the request figures still answer.
    with city.services.db.transaction() as s:
        s.execute(text("DROP TABLE ops_alarms"))

    found = scrape(client)

    assert not any(n == "quancheng_alarms_open" for n, _l in found)
    assert value(found, "quancheng_ledger_entries") >= 0


def test_platform_admins_read_metrics_and_department_users_may_not(
    client: TestClient, city: SmallCity
) -> None:
    text_plain = {"Accept": "text/plain"}
    admin = browser(client)
    login(admin, "admin")
    steward = browser(client)
    login(steward, "gaj_steward")

    by_session = admin.get("/metrics", headers=text_plain)
    by_token = client.get("/metrics", headers=city.auth("admin"))
    refused_session = steward.get("/metrics", headers=text_plain)
    refused_token = client.get("/metrics", headers=city.auth("gaj_admin"))

    assert by_session.status_code == 200 and "quancheng_http_requests_total" in by_session.text
    assert by_token.status_code == 200
    assert refused_session.status_code == 403
    assert refused_token.status_code == 403
    assert refused_token.json()["error"]["code"] == "permission_denied"


def test_a_browser_at_metrics_is_sent_to_the_governance_pages(
    client: TestClient, city: SmallCity
) -> None:
    web = browser(client)

    old = web.get("/metrics", headers={"Accept": FIREFOX_ACCEPT})
    login(web, "gaj_user")
    page = web.get("/metrics", follow_redirects=True)

    assert (old.status_code, old.headers["location"]) == (308, "/governance")
    assert page.status_code == 200 and "共享考核评分" in page.text


@pytest.mark.parametrize(
    ("accept", "html"),
    [
        (FIREFOX_ACCEPT, True),
        ("text/html", True),
        (PROMETHEUS_ACCEPT, False),
        ("text/plain;version=0.0.4", False),
        ("*/*", False),
        ("", False),
        ("text/html;q=0", False),
        ("text/plain, text/html;q=0.5", False),
        ("text/html;q=bogus, */*", False),
    ],
)
def test_only_a_browser_preference_for_html_redirects(accept: str, html: bool) -> None:
    assert prefers_html(accept) is html


# -- /readyz -------------------------------------------------------------------------------


def test_readyz_is_ready_on_a_migrated_city_and_names_an_old_schema(
    client: TestClient, services: Services
) -> None:
    ready = client.get("/readyz")
    location = resources.files("quancheng.db") / "migrations"
    script = ScriptDirectory(str(location))
    [head] = script.get_heads()
    older = script.get_revision(head).down_revision
    assert isinstance(older, str)
    # What a new release sees before `quancheng migrate` has run on its database.
    with services.db.transaction() as s:
        s.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": older})

    stale = client.get("/readyz")
    alive = client.get("/healthz")

    assert (ready.status_code, ready.json()) == (200, {"status": "ready"})
    assert (stale.status_code, stale.json()) == (
        503,
        {"status": "not ready", "failed": ["migrations"]},
    )
    assert alive.status_code == 200  # liveness does not depend on the schema's version


def test_readyz_names_a_datastore_that_does_not_answer(
    services: Services, settings: Settings, tmp_path: Path
) -> None:
    # A datastore that cannot be opened (its directory is a file), beside a healthy database.
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    broken = settings.model_copy(update={"datastore_url": f"duckdb:///{blocker}/store.duckdb"})
    server = Services.from_settings(broken, passwords=FAST_PASSWORDS)
    try:
        with TestClient(create_app(broken, services=server)) as client:
            answer = client.get("/readyz")
    finally:
        server.close()

    assert answer.status_code == 503
    assert answer.json() == {"status": "not ready", "failed": ["datastore"]}


# -- request ids and logs ------------------------------------------------------------------


def test_request_ids_are_echoed_when_sane_and_made_otherwise(client: TestClient) -> None:
    echoed = client.get("/healthz", headers={"X-Request-ID": "lb-7f3a.9_Z"})
    replaced = client.get("/healthz", headers={"X-Request-ID": "bad id\twith spaces"})
    too_long = client.get("/healthz", headers={"X-Request-ID": "a" * 65})
    made = client.get("/healthz")
    error = client.get("/api/v1/datasets/999999", headers={"X-Request-ID": "err-1"})

    assert echoed.headers["X-Request-ID"] == "lb-7f3a.9_Z"
    for response in (replaced, too_long, made):
        assert re.fullmatch(r"[0-9a-f]{32}", response.headers["X-Request-ID"])
    assert replaced.headers["X-Request-ID"] != made.headers["X-Request-ID"]
    assert error.status_code == 404 and error.headers["X-Request-ID"] == "err-1"


@given(st.text(max_size=80))
def test_a_request_id_is_always_a_short_safe_token(incoming: str) -> None:
    rid = request_id_for(incoming)

    assert re.fullmatch(r"[A-Za-z0-9._-]{1,64}", rid)
    assert (rid == incoming) == bool(re.fullmatch(r"[A-Za-z0-9._-]{1,64}", incoming))


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    """The `quancheng` loggers written as JSON lines into a buffer, as `serve` configures them."""
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    logger = logging.getLogger("quancheng")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield buffer
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def test_access_lines_are_json_with_the_request_id_and_no_query_string(
    client: TestClient, city: SmallCity, json_log: io.StringIO
) -> None:
    secret = "tok-SECRET-in-the-query"
    client.get(
        f"/api/v1/departments/gaj?access_token={secret}", headers={"X-Request-ID": "trace-42"}
    )

    lines = [json.loads(line) for line in json_log.getvalue().splitlines()]
    [access] = [line for line in lines if line.get("request_id") == "trace-42"]
    assert access["logger"] == "quancheng.access" and access["level"] == "INFO"
    assert access["method"] == "GET" and access["status"] == 200
    assert access["path"] == "/api/v1/departments/gaj"
    assert access["route"] == "/api/v1/departments/{ref}"
    assert access["duration_ms"] >= 0 and access["time"].endswith("Z")
    assert secret not in json_log.getvalue()


def test_an_unexpected_error_is_logged_with_its_request_id_and_traceback(
    services: Services, settings: Settings, json_log: io.StringIO
) -> None:
    app = create_app(settings, services=services)

    def broken() -> None:
        raise RuntimeError("disk on fire")

    app.add_api_route("/broken", broken)
    with TestClient(app, raise_server_exceptions=False) as client:
        answer = client.get("/broken", headers={"X-Request-ID": "boom-1"})
        found = samples(app.state.http_metrics.exposition().decode())

    lines = [json.loads(x) for x in json_log.getvalue().splitlines()]
    [error] = [x for x in lines if x["level"] == "ERROR" and "exc" in x]
    assert answer.status_code == 500 and answer.json()["error"]["code"] == "internal_error"
    assert error["request_id"] == "boom-1" and "RuntimeError: disk on fire" in error["exc"]
    assert "disk on fire" not in answer.text  # the caller sees no internals
    labels = {"method": "GET", "route": "/broken", "status": "500"}
    assert value(found, "quancheng_http_requests_total", **labels) == 1


def test_records_outside_a_request_carry_no_request_id(json_log: io.StringIO) -> None:
    logging.getLogger("quancheng.test").warning("started %s", "ok")

    [line] = [json.loads(x) for x in json_log.getvalue().splitlines()]
    assert (line["level"], line["logger"]) == ("WARNING", "quancheng.test")
    assert line["message"] == "started ok"
    assert "request_id" not in line


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_quancheng_serve_writes_json_logs_with_request_ids(tmp_path: Path) -> None:
    fresh_services(tmp_path).close()
    port = free_port()
    env = {
        **os.environ,
        "QC_SECRET_KEY": TEST_SECRET,
        "QC_DATABASE_URL": f"sqlite:///{tmp_path / 'meta.sqlite3'}",
        "QC_LOG_FORMAT": "json",
        "QC_SCHEDULER": "false",
    }
    command = [sys.executable, "-c", "from quancheng.cli import main; main()", "serve"]
    args = ["--data-dir", str(tmp_path / "data"), "--port", str(port)]
    server = subprocess.Popen(
        [*command, *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                response = httpx.get(
                    f"http://127.0.0.1:{port}/readyz?token=SECRET-Q",
                    headers={"X-Request-ID": "r-1"},
                    timeout=2,
                )
                body, echoed = response.json(), response.headers["X-Request-ID"]
                break
            except httpx.TransportError:
                assert server.poll() is None and time.monotonic() < deadline, "serve did not start"
                time.sleep(0.2)
    finally:
        server.terminate()
        _out, err = server.communicate(timeout=20)

    assert body == {"status": "ready"} and echoed == "r-1"
    lines = [json.loads(x) for x in err.splitlines() if x.startswith("{")]
    assert any(x["logger"] == "quancheng.access" and x.get("request_id") == "r-1" for x in lines)
    assert any(x["logger"].startswith("uvicorn") for x in lines)  # the server's own lines too
    assert "SECRET-Q" not in err


def test_serving_warns_when_the_holiday_schedule_is_about_to_run_out(
    services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    from quancheng.app import _warn_of_the_calendar

    def warnings(now: datetime) -> list[str]:
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="quancheng"):
            _warn_of_the_calendar(services, now)
        return [r.getMessage() for r in caplog.records if "holiday schedule" in r.getMessage()]

    # The installed schedule ends with 2026 (tests/sharing/test_workdays.py pins it).
    assert warnings(datetime(2026, 6, 1, tzinfo=UTC)) == []
    december = warnings(datetime(2026, 12, 2, tzinfo=UTC))
    assert len(december) == 1
    assert "2026-12-31" in december[0] and "QC_SHARING_EXTRA_HOLIDAYS" in december[0]
