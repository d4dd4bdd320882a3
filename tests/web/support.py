"""Helpers for driving the web pages as a browser would: HTML accepted, forms with CSRF tokens."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

from fastapi.testclient import TestClient

from quancheng.app import Services
from tests.support.city import PASSWORD, entry_fields

HTML = {"Accept": "text/html,application/xhtml+xml"}
_CSRF = re.compile(r'name="csrf_token" value="([^"]*)"')


def browser(client: TestClient) -> TestClient:
    """A client of the same app with its own cookie jar that asks for HTML, not JSON."""
    return TestClient(client.app, headers=HTML, follow_redirects=False)


def csrf_token(html: str) -> str:
    """The CSRF token of the first form on a page."""
    match = _CSRF.search(html)
    assert match, "the page has no form with a CSRF token"
    return unescape(match.group(1))


def form_token(web: TestClient, path: str = "/login") -> str:
    """Load a page and return the token its forms carry."""
    response = web.get(path)
    assert response.status_code == 200, response.text
    return csrf_token(response.text)


def login(web: TestClient, username: str, password: str = PASSWORD) -> str:
    """Log in through the login form; return the session's CSRF token."""
    response = web.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": form_token(web)},
    )
    assert response.status_code == 303, response.text
    return form_token(web, "/")


def editor_form(**overrides: Any) -> dict[str, str]:
    """The editor's fields for a valid entry, as a browser would post them."""
    fields = entry_fields()
    items = fields.pop("data_items")
    data = {k: ", ".join(v) if isinstance(v, list) else str(v) for k, v in fields.items()}
    for n, item in enumerate(items):
        for key, value in item.items():
            data[f"items-{n}-{key}"] = "" if value is None else str(value)
    data.update({k: str(v) for k, v in overrides.items()})
    return data


def publish(services: Services, steward: Any, department: str, **overrides: Any) -> int:
    """Create, submit and publish an entry through the service; return its id."""
    entry = services.catalog.create(
        steward, department=department, fields=entry_fields(**overrides)
    )
    services.catalog.submit(steward, entry.id)
    services.catalog.publish(steward, entry.id)
    return entry.id
