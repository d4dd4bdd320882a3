"""Deny by default: every route's answer for every role, and no route left out of the table."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from starlette.routing import Mount

from quancheng.sharing.model import Action
from tests import matrix_parts
from tests.support.city import SmallCity, credit_code, entry_fields

ROLES = ("anonymous", "citizen", "gaj_user", "gaj_steward", "env_steward", "gaj_admin", "admin")
EVERYONE = frozenset(ROLES)
LOGGED_IN = EVERYONE - {"anonymous"}
OWNER_STEWARDS = frozenset({"env_steward", "admin"})  # the entry belongs to 生态环境局
USER_ADMINS = frozenset({"admin", "gaj_admin"})
# 403 codes: generic, or the exchange's "you take no part" and "not your decision to take".
DENIALS = {
    "not_authenticated",
    "permission_denied",
    "not_a_party",
    "not_your_decision",
    # Conditional open data: departments use the exchange; only the applicant withdraws.
    "use_sharing_exchange",
    "not_applicant",
}
MEMBERS = LOGGED_IN - {"citizen"}  # departments and the platform authority
CONSUMER = frozenset({"env_steward"})  # the target request is 生态环境局's
PROVIDER_DECIDERS = frozenset({"gaj_steward", "gaj_admin"})  # … asking 公安局

# (method, route path) -> roles allowed; everyone else gets 401 (anonymous) or 403.
API_MATRIX: dict[tuple[str, str], frozenset[str]] = {
    ("GET", "/healthz"): EVERYONE,
    ("GET", "/api/v1/docs"): EVERYONE,
    ("GET", "/api/v1/openapi.json"): EVERYONE,
    ("GET", "/api/v1/departments"): EVERYONE,
    ("POST", "/api/v1/departments"): frozenset({"admin"}),
    ("GET", "/api/v1/departments/{ref}"): EVERYONE,
    ("GET", "/api/v1/classifications"): EVERYONE,
    ("GET", "/api/v1/datasets"): EVERYONE,
    ("POST", "/api/v1/datasets"): OWNER_STEWARDS,
    ("GET", "/api/v1/datasets/{entry_id}"): EVERYONE,
    ("PUT", "/api/v1/datasets/{entry_id}"): OWNER_STEWARDS,
    ("GET", "/api/v1/datasets/{entry_id}/catalog-versions"): EVERYONE,
    ("POST", "/api/v1/datasets/{entry_id}/submit"): OWNER_STEWARDS,
    ("POST", "/api/v1/datasets/{entry_id}/publish"): OWNER_STEWARDS,
    ("POST", "/api/v1/datasets/{entry_id}/return"): OWNER_STEWARDS,
    ("POST", "/api/v1/datasets/{entry_id}/offline"): OWNER_STEWARDS,
    ("GET", "/api/v1/stats"): EVERYONE,
    # The target entry is open: its data is for everyone, its loads for its stewards.
    ("GET", "/api/v1/datasets/{entry_id}/data"): EVERYONE,
    ("GET", "/api/v1/datasets/{entry_id}/rows"): EVERYONE,
    ("GET", "/api/v1/datasets/{entry_id}/export.{fmt}"): EVERYONE,
    ("GET", "/api/v1/datasets/{entry_id}/versions"): OWNER_STEWARDS,
    ("POST", "/api/v1/datasets/{entry_id}/versions"): OWNER_STEWARDS,
    ("POST", "/api/v1/datasets/{entry_id}/versions/{number}/activate"): OWNER_STEWARDS,
    ("GET", "/api/v1/datasets/{entry_id}/jobs/{job_id}"): OWNER_STEWARDS,
    ("GET", "/api/v1/datasets/{entry_id}/jobs/{job_id}/errors.csv"): OWNER_STEWARDS,
    ("POST", "/api/v1/sql"): EVERYONE,
    ("GET", "/api/v1/me"): LOGGED_IN,
    ("GET", "/api/v1/users"): USER_ADMINS,
    ("POST", "/api/v1/users"): USER_ADMINS,
    ("GET", "/api/v1/tokens"): LOGGED_IN,
    ("POST", "/api/v1/tokens"): LOGGED_IN,
    ("DELETE", "/api/v1/tokens/{token_id}"): frozenset({"gaj_user", "gaj_admin", "admin"}),
    # The ledger is public; a cosignature is authorised by a registered witness key, not a
    # login (an unsigned post is a 400 or 403 for everyone, never 401).
    ("GET", "/api/v1/ledger/checkpoint"): EVERYONE,
    ("GET", "/api/v1/ledger/key"): EVERYONE,
    ("GET", "/api/v1/ledger/entries"): EVERYONE,
    ("GET", "/api/v1/ledger/entries/{index}"): EVERYONE,
    ("GET", "/api/v1/ledger/proof/inclusion"): EVERYONE,
    ("GET", "/api/v1/ledger/proof/consistency"): EVERYONE,
    ("POST", "/api/v1/ledger/cosignatures"): EVERYONE,
    # The exchange: departments and the platform take part, citizens do not. The target
    # request is 生态环境局's, pending at 公安局; the target grant is 公安局's subscription to
    # 生态环境局's entry, and the target dispute is about it.
    ("POST", "/api/v1/sharing/requests"): MEMBERS,
    ("GET", "/api/v1/sharing/requests"): MEMBERS,
    ("GET", "/api/v1/sharing/requests/{request_id}"): MEMBERS,
    ("PATCH", "/api/v1/sharing/requests/{request_id}"): CONSUMER,
    ("POST", "/api/v1/sharing/requests/{request_id}/submit"): CONSUMER,
    ("POST", "/api/v1/sharing/requests/{request_id}/withdraw"): CONSUMER,
    ("POST", "/api/v1/sharing/requests/{request_id}/negotiate"): CONSUMER,
    ("POST", "/api/v1/sharing/requests/{request_id}/return"): PROVIDER_DECIDERS,
    ("POST", "/api/v1/sharing/requests/{request_id}/decision"): PROVIDER_DECIDERS,
    ("POST", "/api/v1/sharing/requests/{request_id}/coordinate"): frozenset({"admin"}),
    ("POST", "/api/v1/sharing/subscriptions"): MEMBERS,
    ("GET", "/api/v1/sharing/grants"): MEMBERS,
    ("GET", "/api/v1/sharing/grants/{grant_id}"): MEMBERS,
    ("GET", "/api/v1/sharing/grants/{grant_id}/usage"): MEMBERS,
    ("POST", "/api/v1/sharing/grants/{grant_id}/revoke"): OWNER_STEWARDS,
    ("POST", "/api/v1/sharing/disputes"): frozenset({"gaj_user", "gaj_steward", "gaj_admin"}),
    ("GET", "/api/v1/sharing/disputes"): MEMBERS,
    ("GET", "/api/v1/sharing/disputes/{dispute_id}"): MEMBERS,
    ("POST", "/api/v1/sharing/disputes/{dispute_id}/answer"): frozenset({"env_steward"}),
    # Governance metrics are for government users.
    ("GET", "/api/v1/metrics/departments"): MEMBERS,
    ("GET", "/api/v1/metrics/departments/{ref}"): MEMBERS,
    ("GET", "/api/v1/metrics/grants"): MEMBERS,
    # The CKAN Action API is read-only and open: each action shows what the caller may see.
    ("GET", "/api/3"): EVERYONE,
    ("GET", "/api/3/action/{name}"): EVERYONE,
    ("POST", "/api/3/action/{name}"): EVERYONE,
    ("GET", "/api/action/{name}"): EVERYONE,
    ("POST", "/api/action/{name}"): EVERYONE,
    # Each open data feature lists its own rows (tests/matrix_parts).
    **matrix_parts.api_rows(),
}


def routes_of(client: TestClient) -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for route in iter_route_contexts(client.app.routes):  # type: ignore[attr-defined]
        if isinstance(route.original_route, Mount):
            continue
        for method in route.methods or ():
            if method != "HEAD":
                found.add((method, route.path))
    return found


def test_every_route_is_in_the_matrix(client: TestClient) -> None:
    from tests.web_matrix import WEB_MATRIX

    listed = set(API_MATRIX) | set(WEB_MATRIX)
    assert routes_of(client) - listed == set(), "add new routes to the permission matrix"
    assert listed - routes_of(client) == set(), "the matrix names routes that do not exist"


def make_targets(city: SmallCity) -> dict[str, Any]:
    steward = city.principals["env_steward"]
    catalog = city.services.catalog
    entry = catalog.create(steward, department="sthjj", fields=entry_fields())
    catalog.submit(steward, entry.id)
    catalog.publish(steward, entry.id)
    token = city.services.identity.issue_token(city.principals["gaj_user"], name="target")
    sharing = sharing_targets(city, entry.id)
    return {
        **sharing,
        "entry_id": entry.id,
        "token_id": token.id,
        "ref": "gaj",
        "fmt": "csv",
        "job_id": 1,
        "number": 1,
        "index": 0,
    }


def sharing_targets(city: SmallCity, open_entry: int) -> dict[str, int]:
    """A request pending at 公安局, a grant 公安局 holds, and a dispute about it."""
    services = city.services
    gaj, env = city.principals["gaj_steward"], city.principals["env_steward"]
    fields = entry_fields(
        name="违法记录",
        sharing_type="conditional",
        sharing_conditions="用于执法核查",
        legal_basis="《中华人民共和国数据安全法》",
        open_type="closed",
    )
    entry = services.catalog.create(gaj, department="gaj", fields=fields)
    services.catalog.submit(gaj, entry.id)
    services.catalog.publish(gaj, entry.id)
    sharing = services.sharing
    request = sharing.create_request(
        env, dataset_id=entry.id, purpose="执法核查", items=["监测站点"], period_days=30
    )
    sharing.act(env, request.id, Action.SUBMIT)
    sharing.act(city.principals["admin"], request.id, Action.PASS)
    grant = sharing.subscribe(city.principals["gaj_user"], dataset_id=open_entry, purpose="核对")
    dispute = sharing.raise_dispute(
        city.principals["gaj_user"], grant_id=grant.id, description="站点名称有误"
    )
    return {"request_id": request.id, "grant_id": grant.id, "dispute_id": dispute.id}


def sharing_body(method: str, path: str, targets: dict[str, Any]) -> Any:
    """A valid body for each sharing route."""
    if method != "POST" and method != "PATCH":
        return None
    tail = path.rsplit("/", 1)[-1]
    if path.endswith("/sharing/requests"):
        return {
            "dataset_id": targets["entry_id"],
            "purpose": "核查",
            "items": ["监测站点"],
            "period_days": 30,
        }
    if path.endswith("/sharing/subscriptions"):
        return {"dataset_id": targets["entry_id"], "purpose": "核查"}
    if path.endswith("/sharing/disputes"):
        return {"grant_id": targets["grant_id"], "description": "数值有误"}
    if tail == "decision":
        return {"decision": "reject", "reason": "不符合共享条件"}
    if tail == "answer":
        return {"outcome": "confirmed", "answer": "经核查数据无误"}
    if tail in ("return", "negotiate", "coordinate", "revoke", "withdraw", "submit"):
        return {"reason": "理由"}
    if method == "PATCH":
        return {"purpose": "新的用途"}
    return None


def request_for(method: str, path: str, targets: dict[str, Any], n: int) -> dict[str, Any]:
    part = matrix_parts.owner(method, path)
    if part is not None:
        url = path.format(**targets)
        return part.api_request(method, path, targets) or {"method": method, "url": url}
    if "/action/{name}" in path:
        url = path.format(name="package_search")
        return {"method": method, "url": url, "params": {"fq": "organization:sthjj"}}
    url = path.format(**targets)
    body: Any = None
    if path.endswith("/versions") and method == "POST":
        csv = "监测站点,监测时间,PM2.5浓度\n泉城广场,2024-01-05 08:00,35.5\n".encode()
        return {"method": method, "url": url, "files": {"file": ("air.csv", csv, "text/csv")}}
    if "/sharing/" in path:
        return {"method": method, "url": url, "json": sharing_body(method, path, targets)}
    if path == "/api/v1/sql":
        return {"method": method, "url": url, "json": {"sql": "SELECT 1 AS one"}}
    if path == "/api/v1/departments" and method == "POST":
        body = {
            "key": f"new{n}",
            "name": f"新部门{n}",
            "short_name": f"新部门{n}",
            "credit_code": credit_code(f"7{n:07d}X"),
            "kind": "city_department",
        }
    elif path == "/api/v1/datasets" and method == "POST":
        body = {"department": "sthjj", **entry_fields()}
    elif method == "PUT":
        body = entry_fields()
    elif path == "/api/v1/users" and method == "POST":
        body = {
            "username": f"newuser{n}",
            "password": "long-enough-password",
            "role": "department_user",
            "department": "gaj",
        }
    elif path == "/api/v1/tokens" and method == "POST":
        body = {"name": "matrix"}
    return {"method": method, "url": url, "json": body}


@pytest.mark.parametrize(("method", "path"), sorted(API_MATRIX))
def test_api_route_answers_each_role(
    client: TestClient,
    city: SmallCity,
    method: str,
    path: str,
) -> None:
    allowed = API_MATRIX[(method, path)]
    for n, role in enumerate(ROLES):
        targets = make_targets(city)  # an entry taken offline is invisible (404) to later roles
        targets |= matrix_parts.targets(city, method, path, targets["entry_id"])
        headers = {} if role == "anonymous" else city.auth(role)
        response = client.request(**request_for(method, path, targets, n), headers=headers)
        if role in allowed:
            assert response.status_code not in (401, 403), (role, response.text)
            assert response.status_code < 500, (role, response.text)
        else:
            expected = 401 if role == "anonymous" else 403
            assert response.status_code == expected, (role, response.status_code, response.text)
            assert response.json()["error"]["code"] in DENIALS
