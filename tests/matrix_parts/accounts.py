"""Permission matrix rows of accounts (see tests/matrix_parts/__init__.py).

Everyone logged in manages their own password and tokens; the platform authority and
公安局's administrator manage users — the target user, gaj_user, is in 公安局.
"""

from __future__ import annotations

from typing import Any

from tests.support.city import PASSWORD

LOGGED_IN = frozenset({"citizen", "gaj_user", "gaj_steward", "env_steward", "gaj_admin", "admin"})
USER_ADMINS = frozenset({"admin", "gaj_admin"})
# gaj_user's token: its owner, 公安局's administrator and the platform may revoke it.
TOKEN_REVOKERS = frozenset({"gaj_user", "gaj_admin", "admin"})

API: dict[tuple[str, str], frozenset[str]] = {
    ("POST", "/api/v1/me/password"): LOGGED_IN,
    ("PATCH", "/api/v1/users/{username}"): USER_ADMINS,
    ("PUT", "/api/v1/users/{username}/password"): USER_ADMINS,
}
WEB: dict[tuple[str, str], frozenset[str]] = {
    ("GET", "/account"): LOGGED_IN,
    ("POST", "/account/password"): LOGGED_IN,
    ("POST", "/account/tokens"): LOGGED_IN,
    ("POST", "/account/tokens/{token_id}/revoke"): TOKEN_REVOKERS,
    ("GET", "/users"): USER_ADMINS,
    ("POST", "/users"): USER_ADMINS,
    ("POST", "/users/{username}"): USER_ADMINS,
    ("POST", "/users/{username}/password"): USER_ADMINS,
    ("POST", "/users/{username}/tokens/{token_id}/revoke"): USER_ADMINS,
}
NEW_PASSWORD = "a-brand-new-passphrase"


def targets(city: Any, entry_id: int) -> dict[str, Any]:
    """The user the admin routes name, and a fresh token of that user."""
    token = city.services.identity.issue_token(city.principals["gaj_user"], name="matrix")
    return {"username": "gaj_user", "token_id": token.id}


def api_request(method: str, path: str, targets: dict[str, Any]) -> dict[str, Any] | None:
    """The request a caller would send (None: no body)."""
    url = path.format(**targets)
    if path == "/api/v1/me/password":
        # The right current password: a wrong one counts as a failed login from the test
        # client's address, and five of them would lock the later roles out.
        body: dict[str, Any] = {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    elif path.endswith("/password"):
        body = {"password": NEW_PASSWORD}
    else:
        body = {"display_name": "矩阵测试"}
    return {"method": method, "url": url, "json": body}


def web_form(method: str, path: str, targets: dict[str, Any]) -> dict[str, Any] | None:
    """The form a user would post (None: none)."""
    return {
        "/account/password": {
            "current_password": PASSWORD,
            "new_password": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
        "/account/tokens": {"name": "matrix", "days": "30"},
        "/users": {
            "username": "matrix_user",
            "password": NEW_PASSWORD,
            "role": "department_user",
            "department": "gaj",
        },
        "/users/{username}": {"role": "department_user", "display_name": "矩阵测试"},
        "/users/{username}/password": {"password": NEW_PASSWORD},
    }.get(path)
