"""Every web route answers every role as the matrix says, through real logins and real forms."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests import matrix_parts
from tests.support.city import PASSWORD, SmallCity, entry_fields
from tests.test_permissions import sharing_targets
from tests.web.support import browser, editor_form, form_token, login
from tests.web_matrix import ROLES, WEB_MATRIX


def target_entry(city: SmallCity) -> int:
    """A fresh published entry of 生态环境局, visible to all, so a refusal is never a 404."""
    steward = city.principals["env_steward"]
    catalog = city.services.catalog
    entry = catalog.create(steward, department="sthjj", fields=entry_fields())
    catalog.submit(steward, entry.id)
    catalog.publish(steward, entry.id)
    return entry.id


def request_for(
    method: str, path: str, role: str, token: str, city: SmallCity
) -> tuple[str, dict[str, Any] | None]:
    """The URL and form body that a user of this role would send to the route."""
    step = path.rsplit("/", 1)[-1]
    entry_id = target_entry(city)
    ids = sharing_targets(city, entry_id) if path.startswith("/sharing") else {}
    ids |= matrix_parts.targets(city, method, path, entry_id)
    # `{entry_id:path}` (open data routes) formats like `{entry_id}`.
    url = path.replace(":path}", "}").format(
        entry_id=entry_id, key="sthjj", locale="en", job_id=1, number=1, index=0, **ids
    )
    if path == "/sharing/new" and method == "GET":
        url += f"?dataset={entry_id}"
    if method == "GET":
        return url, None
    form: dict[str, Any] = {"csrf_token": token}
    part = matrix_parts.owner(method, path)
    if part is not None:
        return url, form | (part.web_form(method, path, {"entry_id": entry_id, **ids}) or {})
    if path.startswith("/sharing"):
        form |= sharing_form(path, entry_id)
    if path == "/login":
        form |= {"username": "citizen" if role == "anonymous" else role, "password": PASSWORD}
    elif path == "/workspace/new":
        form |= editor_form(department="sthjj")
    elif step == "edit":
        form |= editor_form(name="空气质量小时监测数据（修订）")
    elif step in ("return", "offline"):
        form["reason"] = "权限矩阵测试"
    return url, form


def sharing_form(path: str, entry_id: int) -> dict[str, Any]:
    """A valid workbench form for each sharing route (a refusal on the action route)."""
    step = path.rsplit("/", 1)[-1]
    return {
        "new": {"dataset": entry_id, "purpose": "核查", "items": "监测站点", "period_days": 30},
        "subscribe": {"dataset": entry_id, "purpose": "核查"},
        "act": {"action": "reject", "reason": "不符合共享条件"},
        "revoke": {"reason": "权限矩阵测试"},
        "dispute": {"description": "站点名称有误"},
        "answer": {"outcome": "confirmed", "answer": "经核查数据无误"},
    }.get(step, {})


@pytest.mark.parametrize(("method", "path"), sorted(WEB_MATRIX))
def test_web_route_answers_each_role(
    client: TestClient, city: SmallCity, method: str, path: str
) -> None:
    allowed = WEB_MATRIX[(method, path)]
    for role in ROLES:
        user = browser(client)
        token = form_token(user) if role == "anonymous" else login(user, role)
        url, form = request_for(method, path, role, token, city)
        response = user.request(method, url, data=form)
        status = response.status_code
        if role in allowed:
            assert status not in (401, 403), (role, status, response.text[:500])
            assert status < 500, (role, status, response.text[:500])
        elif role == "anonymous":
            location = response.headers.get("location", "")
            assert status == 401 or (status == 303 and location.startswith("/login?")), (
                role,
                status,
                location,
            )
        else:
            assert status == 403, (role, status, response.text[:500])
            assert "Content-Security-Policy" in response.headers


def test_the_matrix_names_every_role_of_the_api_matrix() -> None:
    from tests.test_permissions import ROLES as API_ROLES

    assert ROLES == API_ROLES
