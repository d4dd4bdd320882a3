"""Sessions, passwords, API tokens, login brute force and upload size, as users meet them."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from quancheng.api.deps import SESSION_COOKIE
from quancheng.app import Services, create_app
from quancheng.db.models import ApiToken, LoginAttempt, WebSession, utcnow
from quancheng.identity.service import sha256_hex
from quancheng.settings import Settings
from tests.support.city import PASSWORD, SmallCity, entry_fields
from tests.web.support import HTML, browser, form_token, login, publish


def logged_in(client: TestClient, username: str) -> TestClient:
    """A browser with a live session of the user."""
    user = browser(client)
    login(user, username)
    return user


def can_open_workspace(user: TestClient) -> bool:
    """Whether the session still counts: the workspace opens instead of sending to login."""
    response = user.get("/workspace")
    return response.status_code == 200


def api_me(user: TestClient) -> int:
    """The status of /api/v1/me with only the browser's session cookie."""
    cookie = user.cookies.get(SESSION_COOKIE)
    fresh = TestClient(user.app)
    return fresh.get("/api/v1/me", cookies={SESSION_COOKIE: cookie or ""}).status_code


# -- sessions -----------------------------------------------------------------------------


def test_an_expired_session_is_refused(client: TestClient, city: SmallCity) -> None:
    user = logged_in(client, "env_steward")
    assert can_open_workspace(user) and api_me(user) == 200
    with city.services.db.transaction() as s:
        s.execute(update(WebSession).values(expires_at=utcnow() - timedelta(seconds=1)))
    assert not can_open_workspace(user)
    assert user.get("/workspace").headers["location"].startswith("/login?")
    assert api_me(user) == 401


def test_a_session_lasts_as_long_as_the_setting_says(client: TestClient, city: SmallCity) -> None:
    before = utcnow()
    logged_in(client, "citizen")
    with city.services.db.reader() as s:
        expires = s.scalar(select(func.max(WebSession.expires_at)))
    assert expires is not None
    hours = city.services.settings.session_hours
    assert before + timedelta(hours=hours) <= expires <= utcnow() + timedelta(hours=hours)


def test_logout_ends_the_session_on_the_server(client: TestClient, city: SmallCity) -> None:
    user = logged_in(client, "env_steward")
    cookie = user.cookies.get(SESSION_COOKIE)
    token = form_token(user, "/workspace")
    assert user.post("/logout", data={"csrf_token": token}).status_code == 303
    # A copy of the cookie kept by an attacker is worth nothing after logout.
    replay = browser(client)
    replay.cookies.set(SESSION_COOKIE, cookie or "")
    assert not can_open_workspace(replay)


def test_logging_in_again_replaces_the_old_session(client: TestClient, city: SmallCity) -> None:
    user = logged_in(client, "env_steward")
    old = user.cookies.get(SESSION_COOKIE)
    login(user, "env_steward")
    assert user.cookies.get(SESSION_COOKIE) != old  # no session fixation
    replay = browser(client)
    replay.cookies.set(SESSION_COOKIE, old or "")
    assert not can_open_workspace(replay)


def test_a_password_change_ends_every_session(client: TestClient, city: SmallCity) -> None:
    laptop, phone = logged_in(client, "gaj_steward"), logged_in(client, "gaj_steward")
    other = logged_in(client, "env_steward")
    city.services.identity.set_password("gaj_steward", "a-brand-new-passphrase")
    assert not can_open_workspace(laptop) and not can_open_workspace(phone)
    assert can_open_workspace(other)


def test_changing_ones_own_password_over_the_api_ends_the_other_sessions(
    client: TestClient, city: SmallCity
) -> None:
    laptop, phone = logged_in(client, "gaj_steward"), logged_in(client, "gaj_steward")
    with_token = {"current_password": PASSWORD, "new_password": "a-brand-new-passphrase"}
    wrong = client.post(
        "/api/v1/me/password",
        json={**with_token, "current_password": "not-it"},
        headers=city.auth("gaj_steward"),
    )
    assert wrong.status_code == 422
    assert wrong.json()["error"]["details"][0]["field"] == "current_password"
    # From the laptop's session (a cookie needs its CSRF token): the laptop stays logged in.
    changed = laptop.post(
        "/api/v1/me/password",
        json=with_token,
        headers={"x-csrf-token": form_token(laptop, "/workspace"), "Accept": "application/json"},
    )
    assert changed.status_code == 204, changed.text
    assert can_open_workspace(laptop) and not can_open_workspace(phone)
    # API tokens are not sessions: the steward's applications keep working.
    assert client.get("/api/v1/me", headers=city.auth("gaj_steward")).status_code == 200


def test_an_admin_changes_a_role_or_disables_a_user_over_the_api(
    client: TestClient, city: SmallCity
) -> None:
    admin = city.auth("gaj_admin")
    promoted = client.patch("/api/v1/users/gaj_user", json={"role": "data_steward"}, headers=admin)
    assert promoted.status_code == 200
    assert promoted.json()["role"] == "data_steward"
    # A token keeps the scope it was issued with: a promotion does not widen it.
    me = client.get("/api/v1/me", headers=city.auth("gaj_user")).json()
    assert (me["role"], "catalog:write" in me["permissions"]) == ("data_steward", False)
    bad = client.patch("/api/v1/users/gaj_user", json={"role": "mayor"}, headers=admin)
    assert bad.status_code == 422
    other = client.patch("/api/v1/users/env_steward", json={"is_active": False}, headers=admin)
    assert other.status_code == 403
    gone = client.patch("/api/v1/users/nobody", json={"is_active": False}, headers=admin)
    assert gone.status_code == 404
    off = client.patch("/api/v1/users/gaj_user", json={"is_active": False}, headers=admin)
    assert off.status_code == 200 and off.json()["is_active"] is False
    assert client.get("/api/v1/me", headers=city.auth("gaj_user")).status_code == 401


def test_disabling_a_user_ends_sessions_and_tokens(client: TestClient, city: SmallCity) -> None:
    user = logged_in(client, "gaj_user")
    assert client.get("/api/v1/me", headers=city.auth("gaj_user")).status_code == 200
    city.services.identity.set_active("gaj_user", active=False)
    assert not can_open_workspace(user)
    assert client.get("/api/v1/me", headers=city.auth("gaj_user")).status_code == 401
    refused = browser(client)
    token = form_token(refused)
    response = refused.post(
        "/login", data={"username": "gaj_user", "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 401
    assert SESSION_COOKIE not in response.headers.get("set-cookie", "")


def test_a_forged_session_cookie_is_anonymous(client: TestClient, city: SmallCity) -> None:
    user = browser(client)
    user.cookies.set(SESSION_COOKIE, "not-a-session")
    assert not can_open_workspace(user)
    assert api_me(user) == 401


# -- passwords ----------------------------------------------------------------------------


def new_user(client: TestClient, city: SmallCity, password: str, n: int = 0) -> Any:
    return client.post(
        "/api/v1/users",
        json={
            "username": f"policy{n}",
            "password": password,
            "role": "department_user",
            "department": "gaj",
        },
        headers=city.auth("admin"),
    )


@pytest.mark.parametrize("password", ["short", "1234567", "password", "12345678", "qwertyuiop"])
def test_a_short_or_common_password_is_refused(
    client: TestClient, city: SmallCity, password: str
) -> None:
    response = new_user(client, city, password)
    assert response.status_code == 422, response.text
    details = response.json()["error"]["details"]
    assert "password" in {e["field"] for e in details}
    assert all(password not in e["message"] for e in details)  # never echoed back


def test_a_password_equal_to_the_user_name_is_refused(client: TestClient, city: SmallCity) -> None:
    response = client.post(
        "/api/v1/users",
        json={
            "username": "zhang.wei",
            "password": "zhang.wei",
            "role": "department_user",
            "department": "gaj",
        },
        headers=city.auth("admin"),
    )
    assert response.status_code == 422


def test_a_long_uncommon_password_is_accepted(client: TestClient, city: SmallCity) -> None:
    assert new_user(client, city, "泉城 趵突泉 2026 水").status_code == 201


def test_a_password_change_follows_the_same_policy(city: SmallCity) -> None:
    from quancheng.errors import ValidationFailed

    for weak in ("short", "password123"):
        with pytest.raises(ValidationFailed):
            city.services.identity.set_password("citizen", weak)


# -- API tokens ---------------------------------------------------------------------------


def scoped_token(client: TestClient, city: SmallCity, permissions: list[str]) -> dict[str, str]:
    response = client.post(
        "/api/v1/tokens",
        json={"name": "scoped", "permissions": permissions},
        headers=city.auth("env_steward"),
    )
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


def test_a_read_only_token_cannot_write(client: TestClient, city: SmallCity) -> None:
    entry_id = publish(city.services, city.principals["env_steward"], "sthjj")
    reader = scoped_token(client, city, ["catalog:read", "data:read"])
    assert client.get(f"/api/v1/datasets/{entry_id}", headers=reader).status_code == 200
    created = client.post(
        "/api/v1/datasets", json={"department": "sthjj", **entry_fields()}, headers=reader
    )
    assert created.status_code == 403
    upload = client.post(
        f"/api/v1/datasets/{entry_id}/versions",
        files={"file": ("a.csv", "监测站点\n泉城广场\n".encode(), "text/csv")},
        headers=reader,
    )
    assert upload.status_code == 403
    offline = client.post(
        f"/api/v1/datasets/{entry_id}/offline", json={"reason": "x"}, headers=reader
    )
    assert offline.status_code == 403
    # The full-scope token of the same steward may.
    allowed = client.post(
        f"/api/v1/datasets/{entry_id}/offline",
        json={"reason": "x"},
        headers=city.auth("env_steward"),
    )
    assert allowed.status_code not in (401, 403), allowed.text


def test_a_token_cannot_mint_itself_more_power(client: TestClient, city: SmallCity) -> None:
    reader = scoped_token(client, city, ["catalog:read"])
    response = client.post("/api/v1/tokens", json={"name": "escalate"}, headers=reader)
    assert response.status_code == 403


def test_a_token_that_may_manage_tokens_mints_no_more_than_its_own_scope(
    client: TestClient, city: SmallCity
) -> None:
    # A read-only token allowed to manage tokens minted a token with the steward's every
    # permission: by default, and when asked for catalog:write by name.
    manager = scoped_token(client, city, ["catalog:read", "token:manage"])
    default = client.post("/api/v1/tokens", json={"name": "child"}, headers=manager)
    assert default.status_code == 201, default.text
    assert sorted(default.json()["permissions"]) == ["catalog:read", "token:manage"]
    wider = client.post(
        "/api/v1/tokens",
        json={"name": "wider", "permissions": ["catalog:read", "catalog:write"]},
        headers=manager,
    )
    assert wider.status_code == 422
    assert "catalog:write" in wider.text
    child = {"Authorization": f"Bearer {default.json()['token']}"}
    created = client.post(
        "/api/v1/datasets", json={"department": "sthjj", **entry_fields()}, headers=child
    )
    assert created.status_code == 403


def test_a_department_admin_cannot_revoke_a_citizens_token(
    client: TestClient, city: SmallCity
) -> None:
    # A citizen's token belongs to no department, and user:manage 'for no department' passed:
    # the police's admin could cut off any citizen's API access, grant-bound tokens included.
    with city.services.db.reader() as s:
        token_id = s.scalar(
            select(ApiToken.id).where(ApiToken.token_hash == sha256_hex(city.tokens["citizen"]))
        )
    refused = client.delete(f"/api/v1/tokens/{token_id}", headers=city.auth("gaj_admin"))
    assert refused.status_code == 403
    assert client.get("/api/v1/me", headers=city.auth("citizen")).status_code == 200
    allowed = client.delete(f"/api/v1/tokens/{token_id}", headers=city.auth("admin"))
    assert allowed.status_code == 204
    assert client.get("/api/v1/me", headers=city.auth("citizen")).status_code == 401


def test_an_expired_or_revoked_token_is_refused(client: TestClient, city: SmallCity) -> None:
    headers = scoped_token(client, city, ["catalog:read"])
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    with city.services.db.transaction() as s:
        s.execute(update(ApiToken).values(expires_at=utcnow() - timedelta(seconds=1)))
    response = client.get("/api/v1/me", headers=headers)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
    # A bad token is an error, never a quiet fall back to anonymous.
    bogus = client.get("/api/v1/datasets", headers={"Authorization": "Bearer qc_nope"})
    assert bogus.status_code == 401


# -- login brute force --------------------------------------------------------------------


def from_address(client: TestClient, host: str) -> TestClient:
    """A browser whose requests come from `host`."""
    return TestClient(client.app, headers=HTML, follow_redirects=False, client=(host, 40000))


def try_login(user: TestClient, username: str, password: str) -> int:
    token = form_token(user)
    data = {"username": username, "password": password, "csrf_token": token}
    return user.post("/login", data=data).status_code


def test_failures_for_one_user_name_lock_it_from_every_address(
    client: TestClient, city: SmallCity
) -> None:
    limit = city.services.settings.login_max_attempts
    for n in range(limit):
        attacker = from_address(client, f"198.51.100.{n + 1}")
        assert try_login(attacker, "env_steward", "guess") == 401
    # Even the right password from a new address is refused while the limit holds.
    assert try_login(from_address(client, "203.0.113.7"), "env_steward", PASSWORD) == 429
    # Other users are not locked out by someone else's attacker.
    assert try_login(from_address(client, "203.0.113.8"), "gaj_steward", PASSWORD) == 303


def test_failures_from_one_address_lock_that_address_for_every_user_name(
    client: TestClient, city: SmallCity
) -> None:
    limit = city.services.settings.login_max_attempts
    attacker = from_address(client, "198.51.100.50")
    for n in range(limit):
        assert try_login(attacker, f"nobody{n}", "guess") == 401
    assert try_login(attacker, "citizen", PASSWORD) == 429
    assert try_login(from_address(client, "198.51.100.51"), "citizen", PASSWORD) == 303


def test_the_login_lock_lifts_after_the_window(client: TestClient, city: SmallCity) -> None:
    limit = city.services.settings.login_max_attempts
    attacker = from_address(client, "198.51.100.60")
    for _ in range(limit):
        try_login(attacker, "citizen", "guess")
    assert try_login(attacker, "citizen", PASSWORD) == 429
    window = timedelta(seconds=city.services.settings.login_window_seconds + 1)
    with city.services.db.transaction() as s:
        s.execute(update(LoginAttempt).values(at=utcnow() - window))
    assert try_login(attacker, "citizen", PASSWORD) == 303


# -- uploads ------------------------------------------------------------------------------


def test_a_web_upload_over_the_size_limit_is_refused_and_nothing_is_stored(
    services: Services, settings: Settings, city: SmallCity
) -> None:
    entry_id = publish(services, city.principals["env_steward"], "sthjj")
    small = settings.model_copy(update={"upload_max_bytes": 64})
    app = create_app(small, services=replace(services, settings=small))
    with TestClient(app) as limited:
        user = browser(limited)
        token = login(user, "env_steward")
        body = "监测站点,监测时间,PM2.5浓度\n" + "泉城广场,2024-01-05 08:00,35.5\n" * 20
        response = user.post(
            f"/catalog/{entry_id}/data/upload",
            data={"csrf_token": token},
            files={"file": ("air.csv", body.encode(), "text/csv")},
        )
    assert response.status_code == 413
    uploads = settings.data_dir / "uploads"
    assert not uploads.exists() or list(uploads.iterdir()) == []
    versions = services.datastore.versions(city.principals["env_steward"], entry_id)
    assert list(versions) == []
