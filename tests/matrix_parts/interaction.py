"""Permission matrix rows of this feature (see tests/matrix_parts/__init__.py).

The public's interaction with the portal: sign-up, data requests, feedback, reuses, moderation.
"""

from __future__ import annotations

import itertools
from typing import Any

from quancheng.db.models import PortalDataRequest, PortalFeedback, PortalReuse, PortalReuseEntry

EVERYONE = frozenset(
    {"anonymous", "citizen", "gaj_user", "gaj_steward", "env_steward", "gaj_admin", "admin"}
)
LOGGED_IN = EVERYONE - {"anonymous"}
MEMBERS = LOGGED_IN - {"citizen"}
AUTHORITY = frozenset({"admin"})
# The targets belong to 生态环境局: its stewards (and the authority) answer for it.
ENV = frozenset({"env_steward", "admin"})

P = "/api/v1/portal"
API: dict[tuple[str, str], frozenset[str]] = {
    ("GET", f"{P}/requests"): EVERYONE,
    ("POST", f"{P}/requests"): LOGGED_IN,
    ("GET", f"{P}/requests/{{request_id}}"): EVERYONE,
    ("POST", f"{P}/requests/{{request_id}}/review"): AUTHORITY,
    ("POST", f"{P}/requests/{{request_id}}/answer"): ENV,
    ("POST", f"{P}/requests/{{request_id}}/vote"): LOGGED_IN,
    ("GET", f"{P}/datasets/{{entry_id}}/feedback"): EVERYONE,
    ("POST", f"{P}/datasets/{{entry_id}}/feedback"): LOGGED_IN,
    ("GET", f"{P}/feedback/{{feedback_id}}"): EVERYONE,
    ("POST", f"{P}/feedback/{{feedback_id}}/moderate"): AUTHORITY,
    ("POST", f"{P}/feedback/{{feedback_id}}/reply"): ENV,
    ("GET", f"{P}/reuses"): EVERYONE,
    ("POST", f"{P}/reuses"): LOGGED_IN,
    ("GET", f"{P}/reuses/{{reuse_id}}"): EVERYONE,
    ("POST", f"{P}/reuses/{{reuse_id}}/moderate"): AUTHORITY,
    ("GET", f"{P}/moderation"): AUTHORITY,
    ("GET", f"{P}/inbox"): MEMBERS,
}
WEB: dict[tuple[str, str], frozenset[str]] = {
    ("GET", "/register"): EVERYONE,
    ("POST", "/register"): EVERYONE,
    ("GET", "/open/requests"): EVERYONE,
    ("GET", "/open/requests/new"): LOGGED_IN,
    ("POST", "/open/requests/new"): LOGGED_IN,
    ("GET", "/open/requests/{request_id}"): EVERYONE,
    ("POST", "/open/requests/{request_id}/review"): AUTHORITY,
    ("POST", "/open/requests/{request_id}/answer"): ENV,
    ("POST", "/open/requests/{request_id}/vote"): LOGGED_IN,
    ("GET", "/open/datasets/{entry_id}/feedback"): EVERYONE,
    ("POST", "/open/datasets/{entry_id}/feedback"): LOGGED_IN,
    ("POST", "/open/feedback/{feedback_id}/moderate"): AUTHORITY,
    ("POST", "/open/feedback/{feedback_id}/reply"): ENV,
    ("GET", "/open/reuses"): EVERYONE,
    ("GET", "/open/reuses/new"): LOGGED_IN,
    ("POST", "/open/reuses/new"): LOGGED_IN,
    ("GET", "/open/reuses/{reuse_id}"): EVERYONE,
    ("POST", "/open/reuses/{reuse_id}/moderate"): AUTHORITY,
    ("GET", "/open/moderation"): AUTHORITY,
    ("GET", "/open/inbox"): MEMBERS,
}

_names = itertools.count(1)


def targets(city: Any, entry_id: int) -> dict[str, Any]:
    """An open request of 生态环境局, a published comment on the entry, an approved reuse.

    Written without an author so that they do not count against anyone's hourly limit.
    """
    with city.services.db.transaction() as s:
        request = PortalDataRequest(
            title="公交实时数据",
            description="希望开放公交实时位置。",
            department_id=city.departments["sthjj"],
            state="open",
        )
        comment = PortalFeedback(
            entry_id=entry_id, kind="comment", rating=4, body="数据很好", state="published"
        )
        reuse = PortalReuse(
            title="空气地图", kind="app", description="实时空气地图", state="approved"
        )
        s.add_all([request, comment, reuse])
        s.flush()
        s.add(PortalReuseEntry(reuse_id=reuse.id, entry_id=entry_id))
        return {"request_id": request.id, "feedback_id": comment.id, "reuse_id": reuse.id}


def _body(path: str, targets: dict[str, Any]) -> dict[str, Any] | None:
    tail = path.rsplit("/", 1)[-1]
    if path.endswith("/requests") or path.endswith("/requests/new"):
        return {"title": "地铁客流数据", "description": "希望开放各站客流。", "department": "sthjj"}
    if tail == "review":
        return {"decision": "accept", "department": "sthjj"}
    if tail == "answer":
        return {"outcome": "planned", "answer": "计划于下季度开放。"}
    if tail == "feedback":
        return {"kind": "comment", "body": "很有用的数据", "rating": 5}
    if tail == "moderate":
        return {"decision": "reject", "reason": "与数据无关"}
    if tail == "reply":
        return {"reply": "感谢您的反馈。"}
    if path.endswith("/reuses") or path.endswith("/reuses/new"):
        return {
            "title": "空气质量小程序",
            "kind": "app",
            "description": "展示实时空气质量。",
            "url": "https://example.org/app",
            "entries": [targets["entry_id"]],
        }
    if path == "/register":
        n = next(_names)
        return {
            "username": f"matrix{n}",
            "display_name": "矩阵",
            "password": "a-long-password",
            "password2": "a-long-password",
        }
    return None


def api_request(method: str, path: str, targets: dict[str, Any]) -> dict[str, Any] | None:
    """The request a caller would send (None: no body)."""
    url = path.format(**targets)
    if method != "POST":
        return {"method": method, "url": url}
    return {"method": method, "url": url, "json": _body(path, targets)}


def web_form(method: str, path: str, targets: dict[str, Any]) -> dict[str, Any] | None:
    """The form a user would post (None: none)."""
    if method != "POST":
        return None
    body = _body(path, targets)
    if body is not None and isinstance(body.get("entries"), list):
        body["entries"] = ",".join(str(e) for e in body["entries"])
    if body is not None and "rating" in body:
        body["rating"] = str(body["rating"])
    return body
