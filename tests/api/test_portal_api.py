"""The public's interaction with the open data portal through the JSON API."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from quancheng.db.models import PortalDataRequest, PortalFeedback, PortalReuse
from quancheng.opendata.interaction_model import BODY_MAX, SUBMISSIONS_PER_HOUR
from tests.support.city import SmallCity
from tests.web.support import publish

API = "/api/v1/portal"


def open_entry(city: SmallCity, **overrides: Any) -> int:
    """A published open entry of 生态环境局."""
    return publish(city.services, city.principals["env_steward"], "sthjj", **overrides)


def gaj_entry(city: SmallCity) -> int:
    """A published open entry of 公安局."""
    return publish(
        city.services, city.principals["gaj_steward"], "gaj", name="交通违法统计", open_type="open"
    )


def counts(city: SmallCity) -> tuple[int, int, int]:
    """How many requests, feedback and reuses are stored."""
    with city.services.db.reader() as s:
        return (
            s.query(PortalDataRequest).count(),
            s.query(PortalFeedback).count(),
            s.query(PortalReuse).count(),
        )


def test_data_request_lifecycle(client: TestClient, city: SmallCity) -> None:
    body = {
        "title": "全市公共自行车站点实时车辆数",
        "description": "希望开放各站点可借车辆与空桩数量。",
        "purpose": "开发出行小程序",
        "department": "sthjj",
    }
    created = client.post(f"{API}/requests", json=body, headers=city.auth("citizen"))
    assert created.status_code == 201, created.text
    request = created.json()
    assert request["state"] == "pending_review"
    rid = request["id"]
    # Not public until the authority has reviewed it, but its author sees it.
    assert client.get(f"{API}/requests/{rid}").status_code == 404
    assert client.get(f"{API}/requests").json()["total"] == 0
    mine = client.get(f"{API}/requests?mine=true", headers=city.auth("citizen")).json()
    assert [r["id"] for r in mine["requests"]] == [rid]
    queue = client.get(f"{API}/moderation", headers=city.auth("admin")).json()
    assert [r["id"] for r in queue["requests"]] == [rid]

    review = {"decision": "accept", "department": "sthjj"}
    opened = client.post(f"{API}/requests/{rid}/review", json=review, headers=city.auth("admin"))
    assert opened.status_code == 200, opened.text
    assert opened.json()["state"] == "open"
    assert opened.json()["department"]["key"] == "sthjj"
    assert client.get(f"{API}/requests/{rid}").json()["title"] == body["title"]

    inbox = client.get(f"{API}/inbox", headers=city.auth("env_steward")).json()
    assert [r["id"] for r in inbox["requests"]] == [rid]
    assert client.get(f"{API}/inbox", headers=city.auth("gaj_steward")).json()["requests"] == []

    # Votes: one per user.
    voted = client.post(f"{API}/requests/{rid}/vote", headers=city.auth("gaj_user"))
    assert voted.json()["votes"] == 1
    again = client.post(f"{API}/requests/{rid}/vote", headers=city.auth("gaj_user"))
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "already_voted"
    assert client.post(f"{API}/requests/{rid}/vote").status_code == 401

    # Another department cannot answer; the one asked can.
    answer = {"outcome": "planned", "answer": "计划于下季度开放。"}
    denied = client.post(
        f"{API}/requests/{rid}/answer", json=answer, headers=city.auth("gaj_steward")
    )
    assert denied.status_code == 403
    planned = client.post(
        f"{API}/requests/{rid}/answer", json=answer, headers=city.auth("env_steward")
    )
    assert planned.json()["state"] == "planned"
    entry_id = open_entry(city)
    published = client.post(
        f"{API}/requests/{rid}/answer",
        json={"outcome": "published", "answer": "已开放。", "entry": str(entry_id)},
        headers=city.auth("env_steward"),
    )
    assert published.status_code == 200, published.text
    assert published.json()["entry"]["id"] == entry_id
    listed = client.get(f"{API}/requests?state=published").json()
    assert [r["id"] for r in listed["requests"]] == [rid]


def test_rejected_request_stays_hidden(client: TestClient, city: SmallCity) -> None:
    body = {"title": "广告", "description": "低价出售发票"}
    rid = client.post(f"{API}/requests", json=body, headers=city.auth("citizen")).json()["id"]
    review = {"decision": "reject", "reason": "垃圾信息"}
    rejected = client.post(f"{API}/requests/{rid}/review", json=review, headers=city.auth("admin"))
    assert rejected.json()["state"] == "rejected"
    assert client.get(f"{API}/requests/{rid}").status_code == 404
    assert client.get(f"{API}/requests/{rid}", headers=city.auth("env_steward")).status_code == 404
    assert client.get(f"{API}/requests").json()["total"] == 0
    # Only the authority reviews.
    denied = client.post(
        f"{API}/requests/{rid}/review", json=review, headers=city.auth("env_steward")
    )
    assert denied.status_code == 403


def test_comment_moderation_and_reply(client: TestClient, city: SmallCity) -> None:
    entry_id = open_entry(city)
    comment = {"kind": "comment", "body": "数据很及时，建议增加历史数据。", "rating": 4}
    created = client.post(
        f"{API}/datasets/{entry_id}/feedback", json=comment, headers=city.auth("citizen")
    )
    assert created.status_code == 201, created.text
    fid = created.json()["id"]
    assert created.json()["state"] == "pending"
    public = client.get(f"{API}/datasets/{entry_id}/feedback").json()
    assert public["comments"] == [] and public["average_rating"] is None

    moderate = {"decision": "publish"}
    denied = client.post(
        f"{API}/feedback/{fid}/moderate", json=moderate, headers=city.auth("env_steward")
    )
    assert denied.status_code == 403
    done = client.post(f"{API}/feedback/{fid}/moderate", json=moderate, headers=city.auth("admin"))
    assert done.json()["state"] == "published"

    other = client.post(
        f"{API}/feedback/{fid}/reply", json={"reply": "好的"}, headers=city.auth("gaj_steward")
    )
    assert other.status_code == 403
    reply = {"reply": "感谢建议，将补充历史数据。"}
    replied = client.post(
        f"{API}/feedback/{fid}/reply", json=reply, headers=city.auth("env_steward")
    )
    assert replied.status_code == 200, replied.text
    public = client.get(f"{API}/datasets/{entry_id}/feedback").json()
    assert public["average_rating"] == 4.0
    assert public["comments"][0]["reply"] == reply["reply"]


def test_rejected_comment_is_hidden(client: TestClient, city: SmallCity) -> None:
    entry_id = open_entry(city)
    comment = {"kind": "comment", "body": "毫无意义的内容", "rating": 1}
    fid = client.post(
        f"{API}/datasets/{entry_id}/feedback", json=comment, headers=city.auth("citizen")
    ).json()["id"]
    client.post(
        f"{API}/feedback/{fid}/moderate", json={"decision": "reject"}, headers=city.auth("admin")
    )
    public = client.get(f"{API}/datasets/{entry_id}/feedback").json()
    assert public["comments"] == [] and public["ratings"] == 0
    assert client.get(f"{API}/feedback/{fid}").status_code == 404


def test_error_report_goes_to_the_owning_department(client: TestClient, city: SmallCity) -> None:
    entry_id = open_entry(city)
    report = {"kind": "error", "body": "1月5日泉城广场站PM2.5数值缺失。"}
    created = client.post(
        f"{API}/datasets/{entry_id}/feedback", json=report, headers=city.auth("citizen")
    )
    fid = created.json()["id"]
    assert created.json()["state"] == "open"
    inbox = client.get(f"{API}/inbox", headers=city.auth("env_steward")).json()
    assert [e["id"] for e in inbox["errors"]] == [fid]
    assert client.get(f"{API}/inbox", headers=city.auth("gaj_steward")).json()["errors"] == []
    settle = {"reply": "已补录缺失数据。", "outcome": "resolved"}
    other = client.post(f"{API}/feedback/{fid}/reply", json=settle, headers=city.auth("gaj_admin"))
    assert other.status_code == 404  # an open report is not public: other departments see none
    no_outcome = client.post(
        f"{API}/feedback/{fid}/reply", json={"reply": "收到"}, headers=city.auth("env_steward")
    )
    assert no_outcome.status_code == 422
    done = client.post(f"{API}/feedback/{fid}/reply", json=settle, headers=city.auth("env_steward"))
    assert done.json()["state"] == "resolved"
    public = client.get(f"{API}/datasets/{entry_id}/feedback").json()
    assert [e["reply"] for e in public["errors"]] == [settle["reply"]]


def test_feedback_only_on_open_entries(client: TestClient, city: SmallCity) -> None:
    closed = open_entry(city, open_type="closed")
    comment = {"kind": "comment", "body": "好", "rating": 5}
    refused = client.post(
        f"{API}/datasets/{closed}/feedback", json=comment, headers=city.auth("citizen")
    )
    assert refused.status_code == 404
    assert counts(city) == (0, 0, 0)


def test_reuse_lifecycle(client: TestClient, city: SmallCity) -> None:
    entry_id = open_entry(city)
    body = {
        "title": "泉城空气地图",
        "kind": "app",
        "description": "基于空气质量开放数据的实时地图。",
        "url": "https://example.org/air",
        "organisation": "山东大学",
        "entries": [entry_id],
    }
    created = client.post(f"{API}/reuses", json=body, headers=city.auth("citizen"))
    assert created.status_code == 201, created.text
    rid = created.json()["id"]
    assert client.get(f"{API}/reuses").json()["total"] == 0
    assert client.get(f"{API}/reuses/{rid}").status_code == 404
    no_reason = client.post(
        f"{API}/reuses/{rid}/moderate", json={"decision": "reject"}, headers=city.auth("admin")
    )
    assert no_reason.status_code == 422
    approved = client.post(
        f"{API}/reuses/{rid}/moderate", json={"decision": "approve"}, headers=city.auth("admin")
    )
    assert approved.json()["state"] == "approved"
    shown = client.get(f"{API}/reuses/{rid}").json()
    assert [e["id"] for e in shown["entries"]] == [entry_id]
    assert client.get(f"{API}/reuses?kind=app").json()["total"] == 1
    assert client.get(f"{API}/reuses?kind=news").json()["total"] == 0
    assert [r.id for r in city.services.interaction.reuses_for_entry(entry_id)] == [rid]


def test_reuse_refuses_bad_urls_and_closed_entries(client: TestClient, city: SmallCity) -> None:
    closed = open_entry(city, open_type="closed")
    body = {
        "title": "恶意链接",
        "kind": "app",
        "description": "说明",
        "url": "javascript:alert(1)",
        "entries": [closed],
    }
    refused = client.post(f"{API}/reuses", json=body, headers=city.auth("citizen"))
    assert refused.status_code == 422
    fields = {e["field"] for e in refused.json()["error"]["details"]}
    assert fields == {"url", "entries"}
    assert counts(city) == (0, 0, 0)


def test_anonymous_writes_are_refused(client: TestClient, city: SmallCity) -> None:
    entry_id = open_entry(city)
    assert client.post(f"{API}/requests", json={}).status_code == 401
    assert client.post(f"{API}/datasets/{entry_id}/feedback", json={}).status_code == 401
    assert client.post(f"{API}/reuses", json={}).status_code == 401
    assert client.get(f"{API}/moderation").status_code == 401
    assert client.get(f"{API}/moderation", headers=city.auth("citizen")).status_code == 403
    assert client.get(f"{API}/inbox", headers=city.auth("citizen")).status_code == 403


def test_spam_rules(client: TestClient, city: SmallCity) -> None:
    entry_id = open_entry(city)
    url = f"{API}/datasets/{entry_id}/feedback"
    citizen = city.auth("citizen")
    too_long = client.post(
        url, json={"kind": "comment", "body": "长" * (BODY_MAX + 1)}, headers=citizen
    )
    assert too_long.status_code == 422
    assert too_long.json()["error"]["details"][0]["code"] == "too_long"
    links = " ".join(f"https://spam{n}.example" for n in range(4))
    too_many = client.post(url, json={"kind": "comment", "body": links}, headers=citizen)
    assert too_many.json()["error"]["details"][0]["code"] == "too_many_links"
    long_title = client.post(
        f"{API}/requests", json={"title": "题" * 201, "description": "说明"}, headers=citizen
    )
    assert long_title.status_code == 422
    assert counts(city) == (0, 0, 0)

    first = client.post(url, json={"kind": "error", "body": "数值有误"}, headers=citizen)
    assert first.status_code == 201
    repeat = client.post(url, json={"kind": "error", "body": "数值有误"}, headers=citizen)
    assert repeat.status_code == 409
    assert repeat.json()["error"]["code"] == "duplicate_submission"
    for n in range(SUBMISSIONS_PER_HOUR - 1):
        ok = client.post(url, json={"kind": "error", "body": f"第{n}处有误"}, headers=citizen)
        assert ok.status_code == 201, ok.text
    limited = client.post(url, json={"kind": "error", "body": "还有一处"}, headers=citizen)
    assert limited.status_code == 429
    assert counts(city) == (0, SUBMISSIONS_PER_HOUR, 0)
    # Another user is not held back by the first one's submissions.
    other = client.post(
        url, json={"kind": "error", "body": "还有一处"}, headers=city.auth("gaj_user")
    )
    assert other.status_code == 201


def test_department_cannot_reply_on_another_departments_entry(
    client: TestClient, city: SmallCity
) -> None:
    entry_id = gaj_entry(city)
    comment = {"kind": "comment", "body": "很好用", "rating": 5}
    fid = client.post(
        f"{API}/datasets/{entry_id}/feedback", json=comment, headers=city.auth("citizen")
    ).json()["id"]
    client.post(
        f"{API}/feedback/{fid}/moderate", json={"decision": "publish"}, headers=city.auth("admin")
    )
    denied = client.post(
        f"{API}/feedback/{fid}/reply", json={"reply": "谢谢"}, headers=city.auth("env_steward")
    )
    assert denied.status_code == 403
    assert client.get(f"{API}/feedback/{fid}").json()["reply"] == ""
