"""My account (password, API tokens) and the administrators' user list, through the pages."""

from __future__ import annotations

import re
from html import unescape

from fastapi.testclient import TestClient

from quancheng.api.deps import SESSION_COOKIE
from tests.support.city import PASSWORD, SmallCity
from tests.web.support import browser, csrf_token, form_token, login

NEW_PASSWORD = "a-brand-new-passphrase"


def logged_in(client: TestClient, username: str, password: str = PASSWORD) -> TestClient:
    user = browser(client)
    login(user, username, password)
    return user


def post(user: TestClient, path: str, form: dict[str, str], page: str = "/account") -> object:
    return user.post(path, data={**form, "csrf_token": form_token(user, page)})


def can_log_in(client: TestClient, username: str, password: str) -> bool:
    user = browser(client)
    response = user.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": form_token(user)},
    )
    return response.status_code == 303


def test_a_user_changes_their_password_and_stays_logged_in_here_only(
    client: TestClient, city: SmallCity
) -> None:
    here, elsewhere = logged_in(client, "gaj_steward"), logged_in(client, "gaj_steward")
    page = here.get("/account")
    assert page.status_code == 200
    assert "gaj_steward" in page.text and "数据管理员" in page.text and "济南市公安局" in page.text

    wrong = here.post(
        "/account/password",
        data={
            "current_password": "not-my-password",
            "new_password": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
            "csrf_token": csrf_token(page.text),
        },
    )
    assert wrong.status_code == 422
    assert "当前密码不正确" in wrong.text
    differ = here.post(
        "/account/password",
        data={
            "current_password": PASSWORD,
            "new_password": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD + "x",
            "csrf_token": csrf_token(page.text),
        },
    )
    assert differ.status_code == 422 and "两次输入的密码不一致" in differ.text
    assert can_log_in(client, "gaj_steward", PASSWORD)

    done = here.post(
        "/account/password",
        data={
            "current_password": PASSWORD,
            "new_password": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
            "csrf_token": csrf_token(page.text),
        },
    )
    assert (done.status_code, done.headers["location"]) == (303, "/account")
    assert "密码已修改" in here.get("/account").text
    assert elsewhere.get("/account").status_code == 303  # sent to log in
    assert can_log_in(client, "gaj_steward", NEW_PASSWORD)
    assert not can_log_in(client, "gaj_steward", PASSWORD)


def test_a_token_is_shown_once_works_with_its_permissions_and_can_be_revoked(
    client: TestClient, city: SmallCity
) -> None:
    user = logged_in(client, "gaj_user")
    made = post(
        user,
        "/account/tokens",
        {"name": "交通应用", "days": "30", "permissions": "catalog:read"},
    )
    assert made.status_code == 201
    match = re.search(r'class="token-secret">([^<]+)<', made.text)
    assert match is not None
    token = unescape(match.group(1))
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200
    assert me.json()["permissions"] == ["catalog:read"]

    listed = user.get("/account").text
    assert "交通应用" in listed and token not in listed
    token_id = re.search(r'data-token="(\d+)">\s*<td>交通应用', listed)
    assert token_id is not None
    revoked = post(user, f"/account/tokens/{token_id.group(1)}/revoke", {})
    assert revoked.status_code == 303
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 401

    wider = post(
        user, "/account/tokens", {"name": "越权", "days": "30", "permissions": "user:manage"}
    )
    assert wider.status_code == 422 and "您的角色不具备其中某项权限" in wider.text
    bad_days = post(user, "/account/tokens", {"name": "太久", "days": "99999"})
    assert bad_days.status_code == 422 and "1 至 3650" in bad_days.text


def rows(html: str) -> set[str]:
    return set(re.findall(r'<tr data-user="([^"]+)"', html))


def test_a_department_admin_manages_the_accounts_of_their_department_only(
    client: TestClient, city: SmallCity
) -> None:
    admin = logged_in(client, "gaj_admin")
    page = admin.get("/users")
    assert page.status_code == 200
    assert rows(page.text) == {"gaj_admin", "gaj_steward", "gaj_user"}
    assert 'href="/users"' in page.text  # the menu shows the page to user administrators
    assert 'href="/users"' not in logged_in(client, "gaj_steward").get("/account").text

    created = post(
        admin,
        "/users",
        {
            "username": "gaj_clerk",
            "display_name": "王五",
            "role": "department_user",
            "department": "gaj",
            "password": NEW_PASSWORD,
        },
        page="/users",
    )
    assert created.status_code == 303
    assert can_log_in(client, "gaj_clerk", NEW_PASSWORD)
    elsewhere = post(
        admin,
        "/users",
        {
            "username": "env_clerk",
            "role": "department_user",
            "department": "sthjj",
            "password": NEW_PASSWORD,
        },
        page="/users",
    )
    assert elsewhere.status_code == 403

    clerk = logged_in(client, "gaj_clerk", NEW_PASSWORD)
    assert clerk.get("/workspace/new").status_code == 403
    promoted = post(
        admin, "/users/gaj_clerk", {"role": "data_steward", "display_name": "王五"}, "/users"
    )
    assert promoted.status_code == 303
    assert clerk.get("/workspace/new").status_code == 200  # on the very next request
    assert "数据管理员" in admin.get("/users?q=clerk").text

    disabled = post(admin, "/users/gaj_clerk", {"action": "disable"}, "/users")
    assert disabled.status_code == 303
    assert clerk.get("/account").status_code == 303
    assert not can_log_in(client, "gaj_clerk", NEW_PASSWORD)
    post(admin, "/users/gaj_clerk", {"action": "enable"}, "/users")
    reset = post(
        admin, "/users/gaj_clerk/password", {"password": "yet-another-passphrase"}, "/users"
    )
    assert reset.status_code == 303
    assert can_log_in(client, "gaj_clerk", "yet-another-passphrase")

    for path, form in [
        ("/users/env_steward", {"action": "disable"}),
        ("/users/admin/password", {"password": NEW_PASSWORD}),
        ("/users/gaj_user", {"role": "platform_admin", "display_name": ""}),
        ("/users/gaj_admin", {"action": "disable"}),
    ]:
        assert post(admin, path, form, "/users").status_code == 403, path
    assert can_log_in(client, "env_steward", PASSWORD)


def test_the_platform_finds_any_user_and_a_refused_change_says_why(
    client: TestClient, city: SmallCity
) -> None:
    admin = logged_in(client, "admin")
    everyone = admin.get("/users").text
    assert {"citizen", "env_steward", "gaj_user", "admin"} <= rows(everyone)
    assert rows(admin.get("/users?department=sthjj").text) == {"env_steward"}
    assert rows(admin.get("/users?q=GAJ_").text) == {"gaj_admin", "gaj_steward", "gaj_user"}
    assert rows(admin.get("/users?q=%25").text) == set()  # a LIKE wildcard is a character

    refused = post(admin, "/users/citizen", {"role": "data_steward", "display_name": ""}, "/users")
    assert refused.status_code == 422
    assert "请改为新建账号" in refused.text
    # The refused user's panel stays open, in a full-width row of its own under theirs.
    panel = re.search(
        r'<tr class="user-manage is-open" id="manage-citizen"[^>]*>\s*<td colspan="7">',
        refused.text,
    )
    assert panel, "the panel of the refused change should be open under its row"
    assert refused.text.count("user-manage is-open") == 1
    assert SESSION_COOKIE in admin.cookies

    # A refused password reset shows on that user's row, opened, not on the new-user form;
    # the language switch and login links lead back to the list, not to the POST address.
    weak = admin.post(
        "/users/citizen/password",
        data={"password": "aaaaaaaa", "csrf_token": form_token(admin, "/users?page=2")},
        headers={"Referer": "http://testserver/users?page=2"},
    )
    assert weak.status_code == 422
    assert rows(weak.text) == {"citizen"}
    panel = weak.text.split('data-manage="citizen"')[1].split("</tr>")[0]
    assert 'class="user-manage is-open"' in weak.text and 'class="field-error"' in panel
    new_user_form = weak.text.split('id="new-user"')[1]
    assert "field-error" not in new_user_form and 'aria-invalid="true"' not in new_user_form
    assert 'href="/lang/en?next=%2Fusers%3Fpage%3D2"' in weak.text
    assert "next=%2Fusers%2Fcitizen" not in weak.text


def test_an_admin_revokes_a_users_token_from_the_user_list(
    client: TestClient, city: SmallCity
) -> None:
    identity = city.services.identity
    leaked = identity.issue_token(city.principals["gaj_user"], name="泄露的接口")
    other = identity.issue_token(city.principals["env_steward"], name="环境接口")
    admin = logged_in(client, "gaj_admin")
    page = admin.get("/users?q=gaj_user").text
    assert "泄露的接口" in page and leaked.token not in page

    revoked = post(admin, f"/users/gaj_user/tokens/{leaked.id}/revoke", {}, "/users")
    assert revoked.status_code == 303
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {leaked.token}"})
    assert me.status_code == 401
    assert "泄露的接口" not in admin.get("/users?q=gaj_user").text
    # Another department's token, named under one of this admin's users or its own owner.
    for path in (
        f"/users/gaj_user/tokens/{other.id}/revoke",
        f"/users/env_steward/tokens/{other.id}/revoke",
    ):
        assert post(admin, path, {}, "/users").status_code in (403, 404), path
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {other.token}"})
    assert me.status_code == 200
