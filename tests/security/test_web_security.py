"""CSRF on every form and API write, and the security headers and cookies of every answer."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import MetaData, select

from quancheng.api.deps import SESSION_COOKIE
from quancheng.app import Services, create_app
from quancheng.settings import Settings
from quancheng.web.security import CONTENT_SECURITY_POLICY, NON_PAGE_POLICY, SecurityHeaders
from tests import matrix_parts
from tests.conftest import FAST_PASSWORDS
from tests.support.city import PASSWORD, SmallCity
from tests.test_permissions import API_MATRIX, make_targets
from tests.test_permissions import request_for as api_request_for
from tests.web.support import HTML, browser, form_token, login
from tests.web.test_web_permissions import request_for as web_request_for
from tests.web_matrix import ROLES, WEB_MATRIX

WRITES = ("POST", "PUT", "PATCH", "DELETE")
# Every state-changing form of the web pages (the API and NGSI-LD have their own rules below).
WEB_FORMS = sorted(
    key for key in WEB_MATRIX if key[0] in WRITES and not key[1].startswith(("/api/", "/ngsi-ld/"))
)
# API writes that act as the caller: with only a session cookie they need the CSRF header.
API_WRITES = sorted(
    key for key in API_MATRIX if key[0] in WRITES and "anonymous" not in API_MATRIX[key]
)


def acting_role(allowed: frozenset[str]) -> str:
    """A logged-in role the route lets through, so a refusal can only be the CSRF check."""
    for role in reversed(ROLES):  # the platform admin first: it may do the most
        if role in allowed and role != "anonymous":
            return role
    return "citizen"


def database_state(services: Services) -> dict[str, str]:
    """A digest of every metadata table's rows, to prove a refused post changed nothing (by
    table, so a failure names the table that changed).

    What the background writers hold (data access log, portal usage, telemetry history, whose
    tables share PostgreSQL's database and appear on its first write) is written first, so a
    write they finish on their own a moment later is neither mistaken for the request's nor
    missed if the request queued it.
    """
    services.access.flush()
    services.usage.flush()
    services.telemetry.flush()
    meta = MetaData()
    meta.reflect(services.db.engine)
    state: dict[str, str] = {}
    with services.db.engine.connect() as conn:
        for table in meta.sorted_tables:
            rows = sorted(repr(tuple(row)) for row in conn.execute(select(table)))
            state[table.name] = hashlib.sha256(repr(rows).encode()).hexdigest()
    return state


def files_under(path: Path) -> list[str]:
    """Every file a request may have written in the data dir (uploads, datastore, ledger)."""
    return sorted(
        f"{p.relative_to(path)}:{p.stat().st_size}" for p in path.rglob("*") if p.is_file()
    )


@pytest.mark.parametrize("sent", [None, "a-wrong-token"])
@pytest.mark.parametrize(("method", "path"), WEB_FORMS)
def test_every_form_refuses_a_missing_or_wrong_csrf_token(
    client: TestClient, city: SmallCity, method: str, path: str, sent: str | None
) -> None:
    role = acting_role(WEB_MATRIX[(method, path)])
    user = browser(client)
    token = login(user, role)
    url, form = web_request_for(method, path, role, token, city)
    body = dict(form or {})
    body.pop("csrf_token", None)
    if sent is not None:
        body["csrf_token"] = sent
    before = database_state(city.services)
    files = files_under(city.services.settings.data_dir / "uploads")
    response = user.request(method, url, data=body)
    assert response.status_code == 403, (role, response.status_code, response.text[:300])
    assert "csrf_failed" in response.text
    assert database_state(city.services) == before
    assert files_under(city.services.settings.data_dir / "uploads") == files


def test_a_valid_token_of_another_session_is_refused(client: TestClient, city: SmallCity) -> None:
    attacker, victim = browser(client), browser(client)
    stolen = login(attacker, "citizen")
    login(victim, "env_steward")
    before = database_state(city.services)
    response = victim.post("/logout", data={"csrf_token": stolen})
    assert response.status_code == 403
    assert database_state(city.services) == before


@pytest.mark.parametrize(("method", "path"), API_WRITES)
def test_api_writes_with_a_session_cookie_need_the_csrf_header(
    client: TestClient, city: SmallCity, method: str, path: str
) -> None:
    role = acting_role(API_MATRIX[(method, path)])
    user = TestClient(client.app, follow_redirects=False)
    login(user, role)
    targets = make_targets(city)
    targets |= matrix_parts.targets(city, method, path, targets["entry_id"])
    kwargs = api_request_for(method, path, targets, 1)
    before = database_state(city.services)
    for header in ({}, {"X-CSRF-Token": "a-wrong-token"}):
        response = user.request(**kwargs, headers=header)
        assert response.status_code == 403, (role, response.status_code, response.text[:300])
        assert response.json()["error"]["code"] == "csrf_failed"
    assert database_state(city.services) == before


# -- headers ------------------------------------------------------------------------------


def assert_page_headers(headers: Any, where: str) -> None:
    csp = headers.get("content-security-policy", "")
    directives = {d.split()[0]: d.split()[1:] for d in csp.split(";") if d.strip()}
    script = directives.get("script-src", directives.get("default-src"))
    assert script is not None, (where, csp)
    assert "'unsafe-inline'" not in script and "'unsafe-eval'" not in script, (where, csp)
    framing = directives.get("frame-ancestors") == ["'none'"]
    assert framing or headers.get("x-frame-options") == "DENY", where
    assert headers.get("x-content-type-options") == "nosniff", where
    assert headers.get("referrer-policy") in ("same-origin", "no-referrer", "strict-origin"), where


PAGES = [
    "/",
    "/catalog",
    "/catalog/{entry_id}",
    "/catalog/{entry_id}/data",
    "/departments",
    "/login",
    "/ledger",
    "/workspace",
    "/sharing",
    "/governance",
    "/no-such-page",  # the error page
]


@pytest.mark.parametrize("role", ["anonymous", "env_steward"])
def test_every_page_carries_the_security_headers(
    client: TestClient, city: SmallCity, role: str
) -> None:
    user = browser(client)
    if role != "anonymous":
        login(user, role)
    entry_id = make_targets(city)["entry_id"]
    for page in PAGES:
        response = user.get(page.format(entry_id=entry_id))
        assert response.status_code < 500, page
        assert_page_headers(response.headers, page)


def test_every_html_route_of_the_matrix_carries_the_security_headers(
    client: TestClient, city: SmallCity
) -> None:
    user = browser(client)
    token = login(user, "admin")
    for method, path in sorted(WEB_MATRIX):
        if method != "GET" or ("{" in path and path not in ("/catalog/{entry_id}",)):
            continue
        url, _ = web_request_for(method, path, "admin", token, city)
        response = user.get(url)
        if response.headers.get("content-type", "").startswith("text/html"):
            assert_page_headers(response.headers, url)


# Answers that are not our pages: JSON of the API, NGSI-LD, RDF, health, static files, errors.
OTHER_FAMILIES = [
    "/api/v1/datasets",
    "/api/v1/nope",
    "/api/3/action/package_list",
    "/ngsi-ld/v1/entities",
    "/healthz",
    "/readyz",
    "/metrics",
    "/catalog.ttl",
    "/static/app.css",
    "/api/v1/openapi.json",
]


@pytest.mark.parametrize("path", OTHER_FAMILIES)
def test_every_other_answer_carries_the_security_headers(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.headers.get("x-content-type-options") == "nosniff", path
    assert_page_headers(response.headers, path)


def test_the_security_headers_middleware_covers_every_answer(
    services: Services, settings: Settings
) -> None:
    app = create_app(settings, services=services)
    app.add_middleware(SecurityHeaders)
    with TestClient(app) as c:
        for path in OTHER_FAMILIES:
            response = c.get(path)
            assert_page_headers(response.headers, path)
            csp = response.headers["content-security-policy"]
            assert csp == NON_PAGE_POLICY or response.text.startswith("<"), (path, csp)
        # Pages keep their own policy; the middleware only fills in what is missing.
        page = c.get("/", headers=HTML)
        assert page.headers["content-security-policy"] == CONTENT_SECURITY_POLICY


# -- cookies ------------------------------------------------------------------------------


def session_cookie_line(response: Any) -> str:
    lines = [v for k, v in response.headers.multi_items() if k.lower() == "set-cookie"]
    found = [line for line in lines if line.startswith(f"{SESSION_COOKIE}=")]
    assert found, lines
    return found[0].lower()


def log_in_raw(user: TestClient, username: str) -> Any:
    token = form_token(user)
    return user.post(
        "/login", data={"username": username, "password": PASSWORD, "csrf_token": token}
    )


def test_the_session_cookie_is_httponly_samesite_and_not_secure_over_plain_http(
    client: TestClient, city: SmallCity
) -> None:
    line = session_cookie_line(log_in_raw(browser(client), "citizen"))
    assert "httponly" in line
    assert "samesite=lax" in line or "samesite=strict" in line
    assert "secure" not in line.replace("samesite", "")  # browsers drop Secure cookies on http


def test_the_session_cookie_is_secure_when_served_behind_tls(
    services: Services, settings: Settings, city: SmallCity
) -> None:
    # The server does not trust X-Forwarded-Proto (uvicorn runs without proxy headers), so TLS
    # at the proxy is declared by QC_SECURE_COOKIES; docs/deploy.md says to set it.
    tls = settings.model_copy(update={"secure_cookies": True})
    served = Services.from_settings(tls, passwords=FAST_PASSWORDS)  # the same city's database
    with TestClient(create_app(tls, services=served), headers=HTML) as c:
        user = TestClient(
            c.app, headers=HTML, base_url="https://testserver", follow_redirects=False
        )
        response = log_in_raw(user, "citizen")
        assert response.status_code == 303, response.text[:300]
        line = session_cookie_line(response)
        assert "; secure" in line and "httponly" in line and "samesite=lax" in line
        for key, value in response.headers.multi_items():
            if key.lower() == "set-cookie":
                assert "secure" in value.lower(), value  # the flash and CSRF cookies too
    served.close()


def test_a_forwarded_proto_header_alone_does_not_change_cookies(
    client: TestClient, city: SmallCity
) -> None:
    # A client cannot talk the app into believing it is behind TLS (or anything else).
    user = browser(client)
    token = form_token(user)
    response = user.post(
        "/login",
        data={"username": "citizen", "password": PASSWORD, "csrf_token": token},
        headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"},
    )
    assert response.status_code == 303
    assert "httponly" in session_cookie_line(response)
