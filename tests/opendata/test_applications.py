"""有条件开放: a registered user applies, the department approves, a token reads within quota."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from quancheng.db.models import LedgerLeaf, PortalApplication, SharingGrant
from quancheng.identity.roles import Role
from tests.support.city import PASSWORD, SmallCity
from tests.support.sharing import Exchange, seed_exchange


@pytest.fixture
def exchange(city: SmallCity, tmp_path: Path) -> Exchange:
    """The police's population entry, open on conditions to registered users."""
    return seed_exchange(
        city, tmp_path, rows=30, open_type="conditional", open_conditions="用于学术研究"
    )


def agreement(client: TestClient) -> str:
    response = client.get("/api/v1/portal/agreement")
    assert response.status_code == 200
    body = response.json()
    assert "数据使用协议" in body["text"]
    return str(body["sha256"])


def apply(client: TestClient, ex: Exchange, user: str = "citizen", **extra: Any) -> Any:
    body = {
        "dataset_id": ex.entry_id,
        "purpose": "研究各区人口结构",
        "organisation": "山东大学",
        "agreement_sha256": agreement(client),
        **extra,
    }
    return client.post("/api/v1/portal/applications", json=body, headers=ex.auth(user))


def rows(client: TestClient, ex: Exchange, headers: dict[str, str]) -> Any:
    return client.get(f"/api/v1/datasets/{ex.entry_id}/rows?_limit=100", headers=headers)


def test_an_approved_application_reads_masked_rows_through_its_own_token_within_quota(
    client: TestClient, exchange: Exchange
) -> None:
    ex = exchange
    applied = apply(client, ex)
    assert applied.status_code == 201, applied.text
    app = applied.json()
    assert app["state"] == "pending" and app["deadline_at"] and app["agreement_current"]
    # Before a decision the user reads nothing.
    assert rows(client, ex, ex.auth("citizen")).status_code == 403

    inbox = client.get("/api/v1/portal/applications?box=inbox", headers=ex.auth("gaj_steward"))
    assert [a["id"] for a in inbox.json()["items"]] == [app["id"]]
    decided = client.post(
        f"/api/v1/portal/applications/{app['id']}/decision",
        json={"decision": "approve", "quota_per_day": 2},
        headers=ex.auth("gaj_steward"),
    )
    assert decided.status_code == 200, decided.text
    assert decided.json()["state"] == "approved" and decided.json()["grant_state"] == "active"

    issued = client.post(
        f"/api/v1/portal/applications/{app['id']}/tokens",
        json={"name": "研究脚本"},
        headers=ex.auth("citizen"),
    )
    assert issued.status_code == 201, issued.text
    token = {"Authorization": f"Bearer {issued.json()['token']}"}
    first = rows(client, ex, token)
    assert first.status_code == 200, first.text
    got = first.json()["rows"]
    assert len(got) == 30
    raw_ids = {r["公民身份号码"] for r in ex.rows}
    raw_mobiles = {r["手机号码"] for r in ex.rows}
    assert not raw_ids & {str(v) for row in got for v in row.values()}
    assert not raw_mobiles & {str(v) for row in got for v in row.values()}
    assert {r["所属区县"] for r in ex.rows} <= {str(v) for row in got for v in row.values()}
    # The token the user held before is not bound to the grant: it reads nothing.
    assert rows(client, ex, ex.auth("citizen")).status_code == 403
    assert rows(client, ex, token).status_code == 200
    over = rows(client, ex, token)
    assert over.status_code == 429
    assert over.json()["error"]["code"] == "quota_exceeded"


def test_scorecards_count_a_public_users_grant_as_given_and_held_by_no_department(
    client: TestClient, exchange: Exchange, city: SmallCity
) -> None:
    ex = exchange
    admin = ex.auth("admin")
    before = client.get("/api/v1/metrics/departments/gaj", headers=admin).json()
    app = apply(client, ex).json()
    decided = client.post(
        f"/api/v1/portal/applications/{app['id']}/decision",
        json={"decision": "approve"},
        headers=ex.auth("gaj_steward"),
    )
    assert decided.status_code == 200, decided.text
    issued = client.post(
        f"/api/v1/portal/applications/{app['id']}/tokens",
        json={"name": "研究脚本"},
        headers=ex.auth("citizen"),
    ).json()
    token = {"Authorization": f"Bearer {issued['token']}"}
    assert rows(client, ex, token).status_code == 200
    city.services.access.flush()
    ranked = client.get("/api/v1/metrics/departments", headers=admin)
    assert ranked.status_code == 200, ranked.text
    police = client.get("/api/v1/metrics/departments/gaj", headers=admin).json()
    assert police["grants_given"] == before["grants_given"] + 1
    assert police["calls_served"] == before["calls_served"] + 1
    assert police["grants_held"] == before["grants_held"]
    assert sum(d["grants_held"] for d in ranked.json()["departments"]) == 0


def test_revoking_the_grant_stops_the_token_at_once(client: TestClient, exchange: Exchange) -> None:
    ex = exchange
    app = apply(client, ex).json()
    client.post(
        f"/api/v1/portal/applications/{app['id']}/decision",
        json={"decision": "approve"},
        headers=ex.auth("gaj_steward"),
    )
    token = client.post(
        f"/api/v1/portal/applications/{app['id']}/tokens", json={}, headers=ex.auth("citizen")
    ).json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert rows(client, ex, headers).status_code == 200
    grant_id = client.get(
        f"/api/v1/portal/applications/{app['id']}", headers=ex.auth("citizen")
    ).json()["grant_id"]
    revoked = client.post(
        f"/api/v1/sharing/grants/{grant_id}/revoke",
        json={"reason": "超出用途使用"},
        headers=ex.auth("gaj_steward"),
    )
    assert revoked.status_code == 200, revoked.text
    refused = rows(client, ex, headers)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "grant_revoked"
    again = client.post(
        f"/api/v1/portal/applications/{app['id']}/tokens", json={}, headers=ex.auth("citizen")
    )
    assert again.status_code == 409


def test_who_may_apply_and_decide(client: TestClient, exchange: Exchange) -> None:
    ex = exchange
    assert apply(client, ex, "env_user").json()["error"]["code"] == "use_sharing_exchange"
    anonymous = client.post(
        "/api/v1/portal/applications",
        json={"dataset_id": ex.entry_id, "purpose": "x", "agreement_sha256": agreement(client)},
    )
    assert anonymous.status_code == 401
    app = apply(client, ex).json()
    assert apply(client, ex).json()["error"]["code"] == "application_pending"
    # Another department takes no part: it may not decide, nor read the applicant's purpose.
    other = client.post(
        f"/api/v1/portal/applications/{app['id']}/decision",
        json={"decision": "approve"},
        headers=ex.auth("env_steward"),
    )
    assert other.status_code == 403
    assert other.json()["error"]["code"] == "not_a_party"
    seen = client.get(f"/api/v1/portal/applications/{app['id']}", headers=ex.auth("env_steward"))
    assert seen.status_code == 403 and "研究" not in seen.text
    # The applicant cannot decide their own application.
    own = client.post(
        f"/api/v1/portal/applications/{app['id']}/decision",
        json={"decision": "approve"},
        headers=ex.auth("citizen"),
    )
    assert own.status_code == 403
    no_reason = client.post(
        f"/api/v1/portal/applications/{app['id']}/decision",
        json={"decision": "reject"},
        headers=ex.auth("gaj_steward"),
    )
    assert no_reason.status_code == 422
    rejected = client.post(
        f"/api/v1/portal/applications/{app['id']}/decision",
        json={"decision": "reject", "reason": "用途与数据无关"},
        headers=ex.auth("gaj_steward"),
    )
    assert rejected.json()["state"] == "rejected"
    assert rejected.json()["reason"] == "用途与数据无关"
    twice = client.post(
        f"/api/v1/portal/applications/{app['id']}/decision",
        json={"decision": "approve"},
        headers=ex.auth("gaj_steward"),
    )
    assert twice.status_code == 409
    assert rows(client, ex, ex.auth("citizen")).status_code == 403


def test_bad_applications_are_refused_and_leave_nothing(
    client: TestClient, exchange: Exchange, city: SmallCity
) -> None:
    ex = exchange
    stale = apply(client, ex, agreement_sha256="0" * 64)
    assert stale.status_code == 422
    assert stale.json()["error"]["details"][0]["field"] == "agreement_sha256"
    assert apply(client, ex, purpose="  ").status_code == 422
    assert apply(client, ex, period_days=100_000).status_code == 422
    assert apply(client, ex, dataset_id=999_999).status_code == 404
    with city.services.db.reader() as s:
        assert s.scalars(select(PortalApplication)).all() == []


def test_only_entries_open_on_conditions_take_applications(
    client: TestClient, city: SmallCity, tmp_path: Path
) -> None:
    closed = seed_exchange(city, tmp_path, rows=5)  # open type closed
    response = apply(client, closed)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "not_conditional_open"


def test_withdrawal_and_the_ledger(client: TestClient, exchange: Exchange, city: SmallCity) -> None:
    ex = exchange
    app = apply(client, ex).json()
    out = client.post(
        f"/api/v1/portal/applications/{app['id']}/withdraw", headers=ex.auth("citizen")
    )
    assert out.json()["state"] == "withdrawn"
    second = apply(client, ex).json()
    client.post(
        f"/api/v1/portal/applications/{second['id']}/decision",
        json={"decision": "approve"},
        headers=ex.auth("gaj_steward"),
    )
    with city.services.db.reader() as s:
        types = [leaf.type for leaf in s.scalars(select(LedgerLeaf).order_by(LedgerLeaf.index))]
        grant = s.scalars(select(SharingGrant).where(SharingGrant.user_id.is_not(None))).one()
        approved = s.scalars(
            select(LedgerLeaf).where(LedgerLeaf.type == "open.application.approved")
        ).one()
    assert types.count("open.application.submitted") == 2
    assert "open.application.withdrawn" in types and "open.application.approved" in types
    assert grant.department_id is None and grant.kind == "open_application"
    # The public ledger names the applicant by number only, never by name.
    assert '"applicant":"user:' in approved.event and "citizen" not in approved.event
    mine = client.get("/api/v1/portal/applications", headers=ex.auth("citizen")).json()
    assert mine["total"] == 2


def test_a_second_public_user_reads_nothing_through_someone_elses_grant(
    client: TestClient, exchange: Exchange, city: SmallCity
) -> None:
    ex = exchange
    app = apply(client, ex).json()
    client.post(
        f"/api/v1/portal/applications/{app['id']}/decision",
        json={"decision": "approve"},
        headers=ex.auth("gaj_steward"),
    )
    with city.services.db.transaction() as s:
        user = city.services.identity.add_user(
            s,
            None,
            username="researcher2",
            password=PASSWORD,
            role=Role.PUBLIC_USER,
            department=None,
        )
        token = city.services.identity.add_token(s, user, name="t").token
    other = {"Authorization": f"Bearer {token}"}
    assert rows(client, ex, other).status_code == 403
    assert client.get(f"/api/v1/portal/applications/{app['id']}", headers=other).status_code == 403
