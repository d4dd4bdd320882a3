"""The sharing exchange over HTTP: requests, decisions, grants, subscriptions and disputes."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from quancheng.app import Services, create_app
from quancheng.db.models import User
from quancheng.settings import Settings
from quancheng.sharing.rules import SharingRules
from quancheng.sharing.service import SharingService
from tests.support.city import SmallCity, entry_fields
from tests.support.sharing import (
    POPULATION_ITEMS,
    Exchange,
    population_csv,
    population_rows,
    seed_exchange,
)

API = "/api/v1/sharing"
CONSUMER = "env_user"
PROVIDER = "gaj_steward"
ADMIN = "admin"
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def ex(city: SmallCity, tmp_path: Path) -> Exchange:
    """The police population entry (conditional, 60 rows) and a consumer user."""
    return seed_exchange(city, tmp_path)


class Api:
    """Calls as one user or another, asserting the status."""

    def __init__(self, client: TestClient, ex: Exchange) -> None:
        self.client = client
        self.ex = ex

    def call(
        self, method: str, path: str, user: str, status: int = 200, **kwargs: Any
    ) -> dict[str, Any]:
        response = self.client.request(method, path, headers=self.ex.auth(user), **kwargs)
        assert response.status_code == status, (method, path, response.text)
        body: dict[str, Any] = response.json()
        if status >= 400:
            # The pinned error body (tests/api/test_catalog_api.py).
            assert set(body) == {"error"}
            assert set(body["error"]) == {"code", "message", "details"}
        return body

    def create(self, user: str = CONSUMER, status: int = 201, **fields: Any) -> dict[str, Any]:
        body = {
            "dataset_id": self.ex.entry_id,
            "purpose": "核验排污许可申请人的身份",
            "scenario": "排污许可证核发",
            "items": ["姓名", "公民身份号码", "所属区县", "人数"],
            "period_days": 90,
            **fields,
        }
        return self.call("POST", f"{API}/requests", user, status, json=body)

    def step(
        self, rid: int, action: str, user: str, status: int = 200, **body: Any
    ) -> dict[str, Any]:
        return self.call("POST", f"{API}/requests/{rid}/{action}", user, status, json=body)

    def decide(self, rid: int, user: str, status: int = 200, **body: Any) -> dict[str, Any]:
        return self.step(rid, "decision", user, status, **body)

    def request(self, rid: int, user: str = CONSUMER) -> dict[str, Any]:
        return self.call("GET", f"{API}/requests/{rid}", user)

    def pending(self, **fields: Any) -> dict[str, Any]:
        """A request submitted and passed by the compliance check, at the provider."""
        rid = self.create(submit=True, **fields)["id"]
        passed = self.decide(rid, ADMIN, decision="pass")
        assert passed["state"] == "pending_provider"
        return passed

    def rows(self, user: str = CONSUMER, **params: Any) -> Any:
        return self.client.get(
            f"/api/v1/datasets/{self.ex.entry_id}/rows",
            params={"_limit": 100, **params},
            headers=self.ex.auth(user),
        )


@pytest.fixture
def api(client: TestClient, ex: Exchange) -> Api:
    return Api(client, ex)


def ledger_types(services: Services, prefix: str) -> list[str]:
    return [
        r.event["type"]
        for r in services.ledger.entries(limit=1000)
        if r.event["type"].startswith(prefix)
    ]


def test_a_request_goes_through_the_check_to_a_partial_approval_that_the_reads_obey(
    api: Api, ex: Exchange
) -> None:
    draft = api.create()
    assert draft["state"] == "draft"
    assert set(draft["actions"]) == {"submit", "withdraw"}
    assert draft["items"] == ["姓名", "公民身份号码", "所属区县", "人数"]
    assert draft["provider"]["key"] == "gaj" and draft["consumer"]["key"] == "sthjj"
    # The provider sees it only once submitted, and cannot decide during the check.
    submitted = api.step(draft["id"], "submit", CONSUMER)
    assert submitted["state"] == "compliance_check"
    assert submitted["deadline_at"] is not None
    refused = api.decide(draft["id"], PROVIDER, 409, decision="approve")
    assert refused["error"]["code"] == "invalid_transition"
    inbox = api.call("GET", f"{API}/requests", PROVIDER, params={"box": "inbox"})
    assert [r["id"] for r in inbox["requests"]] == [draft["id"]]
    assert api.call("GET", f"{API}/requests", PROVIDER, params={"box": "mine"})["total"] == 0

    passed = api.decide(draft["id"], ADMIN, decision="pass")
    assert passed["state"] == "pending_provider"
    assert passed["deadline_at"] > submitted["deadline_at"]
    as_provider = api.request(draft["id"], PROVIDER)
    assert set(as_provider["actions"]) == {"approve", "partial", "reject", "return"}

    decided = api.decide(
        draft["id"],
        PROVIDER,
        decision="partial",
        items=["公民身份号码", "所属区县"],
        masking={"公民身份号码": "id_number"},
        row_filter={"所属区县__in": ["历下区", "市中区"]},
        quota_per_day=100,
    )
    assert decided["state"] == "partially_approved"
    assert decided["answered_on_time"] is True
    grant = api.call("GET", f"{API}/grants/{decided['grant_id']}", CONSUMER)
    assert grant["items"] == ["公民身份号码", "所属区县"]
    assert grant["masking"] == {"公民身份号码": "id_number"}
    assert grant["row_filter"] == [{"item": "所属区县", "op": "in", "value": "历下区,市中区"}]
    assert grant["state"] == "active" and grant["kind"] == "request"

    read = api.rows()
    assert read.status_code == 200, read.text
    body = read.json()
    assert [f["name"] for f in body["fields"]] == ["公民身份号码", "所属区县"]
    expected = [r for r in ex.rows if r["所属区县"] in ("历下区", "市中区")]
    assert len(body["rows"]) == len(expected) == body["total"]
    for row, source in zip(body["rows"], expected, strict=True):
        raw = source["公民身份号码"]
        assert row["公民身份号码"] == raw[:6] + "*" * 8 + raw[-4:]

    types = ledger_types(ex.city.services, "sharing.")
    assert types == [
        "sharing.request.created",
        "sharing.request.submit",
        "sharing.request.pass",
        "sharing.request.partial",
        "sharing.grant.created",
    ]
    assert ex.city.services.ledger.verify().ok


def test_a_rejection_is_negotiated_then_coordinated_and_the_platform_has_the_last_word(
    api: Api, ex: Exchange
) -> None:
    rid = api.pending()["id"]
    no_reason = api.decide(rid, PROVIDER, 422, decision="reject")
    assert no_reason["error"]["details"][0]["field"] == "reason"
    rejected = api.decide(rid, PROVIDER, decision="reject", reason="涉及公民个人敏感信息")
    assert rejected["state"] == "rejected" and rejected["reason"] == "涉及公民个人敏感信息"
    assert rejected["actions"] == []  # the provider's view: its part is done
    assert set(api.request(rid)["actions"]) == {"negotiate", "coordinate", "withdraw"}

    negotiating = api.step(rid, "negotiate", CONSUMER, reason="只需核验，不留存")
    assert negotiating["state"] == "negotiating"
    assert api.decide(rid, PROVIDER, decision="reject", reason="仍不同意")["state"] == "rejected"
    coordinating = api.step(rid, "coordinate", CONSUMER, reason="请主管部门协调")
    assert coordinating["state"] == "coordinating" and coordinating["coordination"]
    # Only the platform decides in coordination.
    api.decide(rid, PROVIDER, 403, decision="approve")
    final = api.decide(rid, ADMIN, decision="reject", reason="依据个人信息保护法不予共享")
    assert final["state"] == "rejected" and final["final"] is True
    assert final["actions"] == []
    assert api.request(rid)["actions"] == ["withdraw"]
    for action in ("negotiate", "coordinate"):
        again = api.step(rid, action, CONSUMER, 409, reason="再议")
        assert again["error"]["code"] == "invalid_transition"
    assert api.request(rid)["state"] == "rejected"

    # Coordination can also end in a grant, decided by the platform.
    other = api.pending()["id"]
    api.decide(other, PROVIDER, decision="reject", reason="不同意")
    api.step(other, "coordinate", ADMIN, reason="主管部门介入")
    approved = api.decide(
        other, ADMIN, decision="partial", items=["所属区县", "人数"], reason="协调结果"
    )
    assert approved["state"] == "partially_approved" and approved["grant_id"] is not None
    assert api.rows().status_code == 200

    types = ledger_types(ex.city.services, "sharing.request.")
    assert types.count("sharing.request.reject") == 4
    assert "sharing.request.negotiate" in types and "sharing.request.coordinate" in types


def test_a_returned_request_is_corrected_and_resubmitted(api: Api) -> None:
    rid = api.pending()["id"]
    returned = api.step(rid, "return", PROVIDER, reason="请说明具体使用场景")
    assert returned["state"] == "returned"
    assert set(api.request(rid)["actions"]) == {"submit", "withdraw"}
    changed = api.call(
        "PATCH",
        f"{API}/requests/{rid}",
        CONSUMER,
        json={"scenario": "排污许可证核发现场核验", "items": ["所属区县", "人数"]},
    )
    assert changed["items"] == ["所属区县", "人数"]
    assert changed["scenario"] == "排污许可证核发现场核验"
    assert changed["state"] == "returned"
    resubmitted = api.step(rid, "submit", CONSUMER)
    assert resubmitted["state"] == "compliance_check"
    locked = api.call("PATCH", f"{API}/requests/{rid}", CONSUMER, 409, json={"purpose": "改"})
    assert locked["error"]["code"] == "invalid_transition"
    # The provider cannot edit the consumer's request.
    api.call("PATCH", f"{API}/requests/{rid}", PROVIDER, 403, json={"purpose": "改"})
    actions = [e["action"] for e in api.request(rid)["events"]]
    assert actions == ["created", "submit", "pass", "return", "updated", "submit"]


def test_a_draft_stays_the_consumers_until_it_is_submitted(api: Api, ex: Exchange) -> None:
    # Regression: the provider's inbox listed the consumer's unsent drafts, the provider could
    # open them, and its scorecard counted a draft withdrawn before sending as received.
    kept = api.create()["id"]
    dropped = api.create(purpose="草稿,未提交即撤回")["id"]
    api.step(dropped, "withdraw", CONSUMER)
    inbox = api.call("GET", f"{API}/requests", PROVIDER, params={"box": "inbox"})
    assert inbox == {"total": 0, "requests": []}
    assert api.call("GET", f"{API}/requests", PROVIDER)["total"] == 0
    for rid in (kept, dropped):
        api.call("GET", f"{API}/requests/{rid}", PROVIDER, 404)
    assert api.call("GET", f"{API}/requests", CONSUMER, params={"box": "mine"})["total"] == 2
    police = ex.city.services.metrics.department("gaj")
    assert police.requests_received == 0 and police.pending == 0
    assert ex.city.services.metrics.department("sthjj").requests_made == 0

    api.step(kept, "submit", CONSUMER)

    inbox = api.call("GET", f"{API}/requests", PROVIDER, params={"box": "inbox"})
    assert [r["id"] for r in inbox["requests"]] == [kept]
    assert api.request(kept, PROVIDER)["state"] == "compliance_check"
    assert ex.city.services.metrics.department("gaj").requests_received == 1


def test_withdrawing_an_approved_request_ends_its_grant(api: Api, ex: Exchange) -> None:
    rid = api.pending()["id"]
    approved = api.decide(rid, PROVIDER, decision="approve")
    assert approved["state"] == "approved"
    assert api.rows().status_code == 200
    withdrawn = api.step(rid, "withdraw", CONSUMER, reason="项目结束")
    assert withdrawn["state"] == "withdrawn" and withdrawn["actions"] == []
    grant = api.call("GET", f"{API}/grants/{approved['grant_id']}", PROVIDER)
    assert grant["state"] == "withdrawn" and grant["end_reason"] == "项目结束"
    after = api.rows()
    assert after.status_code == 403
    assert after.json()["error"]["code"] == "grant_withdrawn"
    listed = api.call("GET", f"{API}/grants", CONSUMER, params={"state": "withdrawn"})
    assert [g["id"] for g in listed["grants"]] == [approved["grant_id"]]
    assert "sharing.grant.withdrawn" in ledger_types(ex.city.services, "sharing.grant.")


def test_a_grant_that_starts_later_serves_nothing_before_its_start(api: Api) -> None:
    rid = api.pending()["id"]
    now = datetime.now(UTC)
    api.decide(
        rid, PROVIDER, 422, decision="approve", starts_at=(now - timedelta(days=2)).isoformat()
    )
    api.decide(
        rid,
        PROVIDER,
        422,
        decision="approve",
        starts_at=(now + timedelta(days=10)).isoformat(),
        expires_at=(now + timedelta(days=5)).isoformat(),
    )
    assert api.request(rid)["state"] == "pending_provider"
    start = now + timedelta(days=7)

    approved = api.decide(rid, PROVIDER, decision="approve", starts_at=start.isoformat())
    grant = api.call("GET", f"{API}/grants/{approved['grant_id']}", CONSUMER)
    before_start = api.rows()

    assert datetime.fromisoformat(grant["starts_at"]) == start
    # The requested 90 days run from the start, not from the decision.
    assert datetime.fromisoformat(grant["expires_at"]) == start + timedelta(days=90)
    assert before_start.status_code == 403
    assert before_start.json()["error"]["code"] == "grant_not_started"


def publish(ex: Exchange, tmp_path: Path, **overrides: Any) -> int:
    """Another police entry with population data (sharing type and name overridden)."""
    services = ex.city.services
    fields = entry_fields(
        classification_code="101001",
        open_type="closed",
        data_items=POPULATION_ITEMS,
        **overrides,
    )
    entry = services.catalog.create(ex.provider, department="gaj", fields=fields)
    services.catalog.submit(ex.provider, entry.id)
    services.catalog.publish(ex.provider, entry.id)
    path = tmp_path / f"entry-{entry.id}.csv"
    path.write_bytes(population_csv(population_rows(10, seed=entry.id)))
    job = services.datastore.start_load(ex.provider, entry.id, source_name=path.name)
    assert services.datastore.run_load(job.id, path).status == "succeeded"
    return entry.id


def test_an_unconditional_entry_is_subscribed_to_at_once(
    api: Api, ex: Exchange, tmp_path: Path
) -> None:
    entry = publish(ex, tmp_path, name="户籍人口统计", sharing_type="unconditional")
    refused = api.create(dataset_id=entry, status=409)
    assert refused["error"]["code"] == "use_subscription"
    wrong = api.call(
        "POST",
        f"{API}/subscriptions",
        CONSUMER,
        409,
        json={"dataset_id": ex.entry_id, "purpose": "x"},
    )
    assert wrong["error"]["code"] == "use_request"
    api.call(
        "POST", f"{API}/subscriptions", CONSUMER, 422, json={"dataset_id": entry, "purpose": " "}
    )

    grant = api.call(
        "POST", f"{API}/subscriptions", CONSUMER, 201, json={"dataset_id": entry, "purpose": "统计"}
    )
    assert grant["kind"] == "subscription" and grant["state"] == "active"
    assert grant["request_id"] is None
    assert set(grant["masking"]) == {"姓名", "公民身份号码", "手机号码"}
    read = api.client.get(f"/api/v1/datasets/{entry}/rows", headers=ex.auth(CONSUMER))
    assert read.status_code == 200
    assert set(read.json()["masked"]) == {"姓名", "公民身份号码", "手机号码"}
    assert len(read.json()["rows"]) == 10
    assert "sharing.grant.created" in ledger_types(ex.city.services, "sharing.grant.")


def load_second_version(ex: Exchange, tmp_path: Path) -> None:
    """The provider loads corrected data: version 2 of the entry."""
    services = ex.city.services
    rows = population_rows(60)
    rows[0]["人数"] = 9
    path = tmp_path / "population-v2.csv"
    path.write_bytes(population_csv(rows))
    job = services.datastore.start_load(ex.provider, ex.entry_id, source_name=path.name)
    assert services.datastore.run_load(job.id, path).status == "succeeded"


def test_a_dispute_is_answered_with_a_newer_version_or_confirmed(
    api: Api, ex: Exchange, tmp_path: Path
) -> None:
    rid = api.pending()["id"]
    grant_id = api.decide(rid, PROVIDER, decision="approve")["grant_id"]
    cell = {"row": 1, "column": "人数", "value": "1", "expected": "9"}
    api.call(
        "POST",
        f"{API}/disputes",
        CONSUMER,
        422,
        json={"grant_id": grant_id, "description": "x", "cells": [{**cell, "column": "手机号码"}]},
    )
    api.call(
        "POST", f"{API}/disputes", PROVIDER, 403, json={"grant_id": grant_id, "description": "x"}
    )
    raised = api.call(
        "POST",
        f"{API}/disputes",
        CONSUMER,
        201,
        json={"grant_id": grant_id, "description": "第一行人数有误", "cells": [cell]},
    )
    assert raised["state"] == "open" and raised["data_version"] == 1
    assert raised["cells"][0]["column"] == "人数"
    did = raised["id"]
    answer = f"{API}/disputes/{did}/answer"

    def fix(version: int) -> dict[str, Any]:
        return {"outcome": "corrected", "answer": "已更正", "corrected_version": version}

    api.call("POST", answer, CONSUMER, 403, json={"outcome": "confirmed", "answer": "x"})
    same = api.call(
        "POST",
        answer,
        PROVIDER,
        422,
        json=fix(1),
    )
    assert same["error"]["details"][0]["code"] == "not_newer"
    unknown = api.call(
        "POST",
        answer,
        PROVIDER,
        422,
        json=fix(2),
    )
    assert unknown["error"]["details"][0]["code"] == "unknown_version"
    assert api.call("GET", f"{API}/disputes/{did}", CONSUMER)["state"] == "open"

    load_second_version(ex, tmp_path)
    corrected = api.call(
        "POST",
        answer,
        PROVIDER,
        json=fix(2),
    )
    assert corrected["state"] == "corrected" and corrected["corrected_version"] == 2
    again = api.call("POST", answer, PROVIDER, 409, json={"outcome": "confirmed", "answer": "x"})
    assert again["error"]["code"] == "invalid_transition"

    second = api.call(
        "POST",
        f"{API}/disputes",
        CONSUMER,
        201,
        json={"grant_id": grant_id, "description": "区县?"},
    )
    assert second["data_version"] == 2
    confirmed = api.call(
        "POST",
        f"{API}/disputes/{second['id']}/answer",
        PROVIDER,
        json={"outcome": "confirmed", "answer": "数据无误"},
    )
    assert confirmed["state"] == "confirmed" and confirmed["corrected_version"] is None
    inbox = api.call("GET", f"{API}/disputes", PROVIDER, params={"box": "inbox"})
    assert inbox["total"] == 2
    assert ledger_types(ex.city.services, "sharing.dispute.") == [
        "sharing.dispute.raised",
        "sharing.dispute.answered",
        "sharing.dispute.raised",
        "sharing.dispute.answered",
    ]
    assert ex.city.services.ledger.verify().ok


# -- bad input changes nothing -----------------------------------------------------------


def snapshot(api: Api, rid: int) -> dict[str, Any]:
    """Everything the consumer sees of a request (actions aside)."""
    body = api.request(rid)
    body.pop("actions")
    return body


def test_bad_requests_are_refused_and_store_nothing(api: Api, ex: Exchange, tmp_path: Path) -> None:
    unknown = api.create(items=["姓名", "血型"], status=422)
    assert unknown["error"]["details"][0]["code"] == "unknown_item"
    empty = api.create(purpose="  ", status=422)
    assert [e["field"] for e in empty["error"]["details"]] == ["purpose"]
    gaj_token = add_token(ex.city.services, "gaj_user")
    foreign = api.create(applications=[gaj_token], status=422)
    assert foreign["error"]["details"][0]["code"] == "unknown_application"
    own = api.create(user=PROVIDER, status=409)
    assert own["error"]["code"] == "own_entry"
    unconditional = publish(ex, tmp_path, name="户籍统计", sharing_type="unconditional")
    assert api.create(dataset_id=unconditional, status=409)["error"]["code"] == "use_subscription"
    assert api.call("GET", f"{API}/requests", CONSUMER)["total"] == 0
    assert ledger_types(ex.city.services, "sharing.") == []

    closed = publish(
        ex,
        tmp_path,
        name="在押人员信息",
        sharing_type="none",
        legal_basis="《中华人民共和国看守所条例》",
    )
    draft = api.create(dataset_id=closed)
    kept = snapshot(api, draft["id"])
    refused = api.step(draft["id"], "submit", CONSUMER, 409)
    assert refused["error"]["code"] == "not_shareable"
    assert snapshot(api, draft["id"]) == kept


def test_only_a_draft_for_an_entry_not_shared_goes_to_coordination(
    api: Api, ex: Exchange, tmp_path: Path
) -> None:
    # Regression: the authority could take any department's unsent draft to coordination and
    # approve it there, so a conditional entry was granted without its provider ever asked.
    draft = api.create()
    assert "coordinate" not in api.request(draft["id"], ADMIN)["actions"]
    kept = snapshot(api, draft["id"])

    refused = api.step(draft["id"], "coordinate", ADMIN, 409, reason="主管部门直接协调")

    assert refused["error"]["code"] == "draft_not_coordinated"
    assert snapshot(api, draft["id"]) == kept
    closed = publish(
        ex, tmp_path, name="在押人员信息", sharing_type="none", legal_basis="《看守所条例》"
    )
    case = api.create(dataset_id=closed)
    assert "coordinate" in api.request(case["id"], ADMIN)["actions"]
    coordinated = api.step(case["id"], "coordinate", ADMIN, reason="依法协调不予共享的数据")
    assert coordinated["state"] == "coordinating"


def add_token(services: Services, username: str) -> int:
    """A new API token of a user; its id."""
    with services.db.transaction() as s:
        user = s.scalar(select(User).where(User.username == username))
        assert user is not None
        return services.identity.add_token(s, user, name="某应用").id


APPROVE: dict[str, Any] = {"decision": "approve"}
ALL_ITEMS = ["姓名", "公民身份号码", "所属区县", "人数"]
BAD_DECISIONS: list[tuple[str, dict[str, Any], int, str]] = [
    # A department that is not the provider: the consumer's steward, and the provider's
    # plain user (no decision right); then the consumer itself.
    ("env_steward", APPROVE, 403, "not_your_decision"),
    ("gaj_user", APPROVE, 403, "not_a_party"),
    (CONSUMER, APPROVE, 403, "not_your_decision"),
    (PROVIDER, {"decision": "pass"}, 403, "not_your_decision"),
    (PROVIDER, {"decision": "maybe"}, 422, "validation_failed"),
    (PROVIDER, {"decision": "reject"}, 422, "validation_failed"),  # no reason
    (PROVIDER, {"decision": "partial", "items": ALL_ITEMS}, 422, "validation_failed"),
    (PROVIDER, {"decision": "partial"}, 422, "validation_failed"),
    (PROVIDER, {**APPROVE, "items": ["姓名"]}, 422, "validation_failed"),
    (PROVIDER, {**APPROVE, "items": ["手机号码"]}, 422, "validation_failed"),
    (PROVIDER, {**APPROVE, "items": ["血型"]}, 422, "validation_failed"),
    (PROVIDER, {**APPROVE, "masking": {"公民身份号码": "rot13"}}, 422, "validation_failed"),
    (PROVIDER, {**APPROVE, "masking": {"手机号码": "redact"}}, 422, "validation_failed"),
    (PROVIDER, {**APPROVE, "row_filter": {"手机号码": "138"}}, 422, "validation_failed"),
    (PROVIDER, {**APPROVE, "row_filter": {"所属区县__like": "历%"}}, 422, "validation_failed"),
    (PROVIDER, {**APPROVE, "row_filter": {"人数": "many"}}, 400, "bad_value"),
    (PROVIDER, {**APPROVE, "quota_per_day": 0}, 422, "validation_failed"),
    (PROVIDER, {**APPROVE, "expires_at": "2020-01-01T00:00:00+08:00"}, 422, "validation_failed"),
    (PROVIDER, {**APPROVE, "expires_at": "2099-01-01T00:00:00"}, 422, "validation_failed"),
    (PROVIDER, {"decision": "reject", "reason": "x", "items": ["姓名"]}, 400, "not_a_decision"),
]


def test_a_bad_decision_is_refused_and_changes_nothing(api: Api, ex: Exchange) -> None:
    rid = api.pending()["id"]
    kept = snapshot(api, rid)
    size = ex.city.services.ledger.size()
    for user, body, status, code in BAD_DECISIONS:
        refused = api.decide(rid, user, status, **body)
        assert refused["error"]["code"] == code, (user, body, refused)
        assert snapshot(api, rid) == kept, (user, body)
    assert ex.city.services.ledger.size() == size
    assert api.call("GET", f"{API}/grants", CONSUMER)["total"] == 0
    # Still decidable afterwards.
    assert api.decide(rid, PROVIDER, **APPROVE)["state"] == "approved"


def test_a_row_filter_on_a_masked_item_is_refused(api: Api) -> None:
    # items.parse_row_filter promises it: a filter on a masked item tells the consumer
    # what it may not see (every row's ID number starts with 370102 …).
    rid = api.pending()["id"]
    kept = snapshot(api, rid)
    refused = api.decide(
        rid,
        PROVIDER,
        422,
        decision="approve",
        row_filter={"公民身份号码__startswith": "370102"},
    )
    assert refused["error"]["details"][0]["field"] == "row_filter"
    assert snapshot(api, rid) == kept


def test_a_decided_or_withdrawn_request_takes_no_second_decision(api: Api) -> None:
    rid = api.pending()["id"]
    api.decide(rid, PROVIDER, decision="approve")
    kept = snapshot(api, rid)
    again = api.decide(rid, PROVIDER, 409, decision="reject", reason="改主意")
    assert again["error"]["code"] == "invalid_transition"
    assert snapshot(api, rid) == kept

    other = api.pending()["id"]
    api.step(other, "withdraw", CONSUMER)
    kept = snapshot(api, other)
    late = api.decide(other, PROVIDER, 409, decision="approve")
    assert late["error"]["code"] == "invalid_transition"
    assert api.step(other, "withdraw", CONSUMER, 409)["error"]["code"] == "invalid_transition"
    assert snapshot(api, other) == kept
    grants = api.call("GET", f"{API}/grants", CONSUMER)
    assert grants["total"] == 1


# -- deadlines over the National Day holiday ---------------------------------------------


def nth_workday_after(start: date, n: int) -> date:
    """The n-th working day after `start`, from the chinese_calendar package's facts."""
    day = start
    while n:
        day += timedelta(days=1)
        if chinese_calendar.is_workday(day):
            n -= 1
    return day


def test_the_provider_deadline_skips_the_national_day_holiday(
    services: Services, settings: Settings, ex: Exchange
) -> None:
    friday = datetime(2026, 9, 25, 16, 30, tzinfo=SHANGHAI)
    assert friday.weekday() == 4
    rules = SharingRules.from_settings(settings)
    clocked = SharingService(
        db=services.db,
        catalog=services.catalog,
        datastore=services.datastore,
        ledger=services.ledger,
        rules=rules,
        clock=lambda: friday.astimezone(UTC),
    )
    app = create_app(settings, services=dataclasses.replace(services, sharing=clocked))
    with TestClient(app) as client:
        api = Api(client, ex)
        submitted = api.create(submit=True)
        passed = api.decide(submitted["id"], ADMIN, decision="pass")

    def end_of(day: date) -> str:
        local = datetime.combine(day, time.max, tzinfo=SHANGHAI)
        return local.astimezone(UTC).isoformat().replace("+00:00", "Z")

    # Two working days for the check: Monday 28 and Tuesday 29 September.
    assert nth_workday_after(friday.date(), rules.compliance_days) == date(2026, 9, 29)
    assert submitted["deadline_at"] == end_of(date(2026, 9, 29))
    # Ten for the provider: 28, 29, 30 Sep, 8, 9, 10 (a worked Saturday), 12 … 15 October.
    assert not chinese_calendar.is_workday(date(2026, 10, 7))
    assert chinese_calendar.is_workday(date(2026, 10, 10))
    assert rules.provider_days == 10
    assert nth_workday_after(friday.date(), 10) == date(2026, 10, 15)
    assert passed["deadline_at"] == end_of(date(2026, 10, 15))
