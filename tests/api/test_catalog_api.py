"""The native catalog API as a steward, a reader and an anonymous visitor use it."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient

from tests.support.city import SmallCity, entry_fields


def create(client: TestClient, city: SmallCity, user: str, **overrides: Any) -> dict[str, Any]:
    department = overrides.pop("department", "sthjj")
    response = client.post(
        "/api/v1/datasets",
        json={"department": department, **entry_fields(**overrides)},
        headers=city.auth(user),
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def test_error_body_is_pinned(client: TestClient, city: SmallCity) -> None:
    response = client.get("/api/v1/datasets/999999", headers=city.auth("gaj_user"))
    assert response.status_code == 404
    assert response.json() == {
        "error": {
            "code": "not_found",
            "message": "no catalog entry 999999",
            "details": {"id": "999999"},
        }
    }


def test_unknown_route_and_bad_json_use_the_same_error_body(
    client: TestClient, city: SmallCity
) -> None:
    missing = client.get("/api/v1/nothing-here")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"
    bad = client.post(
        "/api/v1/datasets",
        content=b"{not json",
        headers={**city.auth("env_steward"), "content-type": "application/json"},
    )
    assert bad.status_code == 422
    assert bad.json()["error"]["code"] == "validation_failed"


def test_steward_creates_submits_and_publishes_with_versions(
    client: TestClient, city: SmallCity
) -> None:
    entry = create(client, city, "env_steward")
    assert entry["status"] == "draft"
    assert entry["code"] == "210001/000001"
    assert entry["department"]["key"] == "sthjj"
    assert [i["name"] for i in entry["data_items"]] == ["监测站点", "监测时间", "PM2.5浓度"]
    auth = city.auth("env_steward")

    # A draft is invisible to other departments and to the public.
    assert (
        client.get(f"/api/v1/datasets/{entry['id']}", headers=city.auth("gaj_user")).status_code
        == 404
    )
    assert client.get(f"/api/v1/datasets/{entry['id']}").status_code == 404

    submitted = client.post(f"/api/v1/datasets/{entry['id']}/submit", headers=auth).json()
    assert submitted["status"] == "submitted"
    published = client.post(f"/api/v1/datasets/{entry['id']}/publish", headers=auth).json()
    assert published["status"] == "published"
    assert published["version"] == 1
    assert re.fullmatch(r"[0-9a-f]{64}", published["content_hash"])
    assert client.get(f"/api/v1/datasets/{entry['id']}").json()["name"] == "空气质量小时监测数据"

    changed = entry_fields(abstract="全市空气质量监测站点逐小时数据，含六项污染物。")
    changed["data_items"].append({"name": "臭氧浓度", "data_type": "F"})
    v2 = client.put(f"/api/v1/datasets/{entry['id']}", json=changed, headers=auth).json()
    assert v2["version"] == 2
    assert v2["content_hash"] != published["content_hash"]
    versions = client.get(f"/api/v1/datasets/{entry['id']}/catalog-versions", headers=auth).json()
    assert [v["version"] for v in versions] == [2, 1]
    fields_changed = {d["field"]: d["change"] for d in versions[0]["diff"]}
    assert fields_changed == {"abstract": "changed", "data_items.臭氧浓度": "added"}
    assert versions[1]["diff"] == [{"field": "*", "change": "created"}]


def test_publishing_twice_is_refused_and_offline_returns_to_draft(
    client: TestClient, city: SmallCity
) -> None:
    entry = create(client, city, "env_steward")
    auth = city.auth("env_steward")
    response = client.post(f"/api/v1/datasets/{entry['id']}/publish", headers=auth)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "invalid_transition"
    client.post(f"/api/v1/datasets/{entry['id']}/submit", headers=auth)
    returned = client.post(
        f"/api/v1/datasets/{entry['id']}/return", json={"reason": "摘要不完整"}, headers=auth
    ).json()
    assert returned["status"] == "draft"
    assert returned["review_comment"] == "摘要不完整"
    client.post(f"/api/v1/datasets/{entry['id']}/submit", headers=auth)
    client.post(f"/api/v1/datasets/{entry['id']}/publish", headers=auth)
    offline = client.post(f"/api/v1/datasets/{entry['id']}/offline", headers=auth).json()
    assert offline["status"] == "offline"
    assert client.get(f"/api/v1/datasets/{entry['id']}").status_code == 404


def test_invalid_fields_give_field_level_messages_and_store_nothing(
    client: TestClient, city: SmallCity
) -> None:
    auth = city.auth("env_steward")
    response = client.post(
        "/api/v1/datasets",
        json={"department": "sthjj", **entry_fields(sharing_type="conditional", open_type="bogus")},
        headers=auth,
    )
    assert response.status_code == 422
    fields = {e["field"]: e["code"] for e in response.json()["error"]["details"]}
    assert fields == {
        "open_type": "invalid_choice",
        "sharing_conditions": "required",
        "legal_basis": "required",
    }
    unknown = client.post(
        "/api/v1/datasets", json={"department": "nowhere", **entry_fields()}, headers=auth
    )
    assert unknown.status_code == 422
    assert unknown.json()["error"]["details"][0]["field"] == "department"
    listing = client.get("/api/v1/datasets?status=all", headers=auth).json()
    assert listing["total"] == 0


def test_duplicate_code_is_refused(client: TestClient, city: SmallCity) -> None:
    auth = city.auth("env_steward")
    body = {"department": "sthjj", "code": "210001/900001", **entry_fields()}
    assert client.post("/api/v1/datasets", json=body, headers=auth).status_code == 201
    again = client.post("/api/v1/datasets", json=body, headers=auth)
    assert again.status_code == 422
    assert again.json()["error"]["details"] == [
        {"field": "code", "code": "duplicate", "message": "210001/900001 is already in use"}
    ]


def test_who_may_write(client: TestClient, city: SmallCity) -> None:
    body = {"department": "sthjj", **entry_fields()}
    assert client.post("/api/v1/datasets", json=body).status_code == 401
    # A steward of another department, a department user and a public user may not.
    for user in ("gaj_steward", "gaj_user", "citizen"):
        response = client.post("/api/v1/datasets", json=body, headers=city.auth(user))
        assert response.status_code == 403, user
        assert response.json()["error"]["code"] == "permission_denied"
    entry = create(client, city, "env_steward")
    edit = client.put(
        f"/api/v1/datasets/{entry['id']}", json=entry_fields(), headers=city.auth("gaj_admin")
    )
    assert edit.status_code == 404  # another department's draft is not even visible
    # The platform authority may act for any department.
    assert (
        client.post(
            f"/api/v1/datasets/{entry['id']}/submit", headers=city.auth("admin")
        ).status_code
        == 200
    )


def test_invalid_token_is_401(client: TestClient, city: SmallCity) -> None:
    response = client.get("/api/v1/me", headers={"Authorization": "Bearer qc_forged"})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_stats_count_published_shared_and_open(client: TestClient, city: SmallCity) -> None:
    auth = city.auth("env_steward")
    kinds = [
        {"sharing_type": "unconditional", "open_type": "open"},
        {
            "sharing_type": "conditional",
            "sharing_conditions": "仅用于环境执法",
            "legal_basis": "《中华人民共和国环境保护法》",
            "open_type": "closed",
        },
        {
            "sharing_type": "none",
            "legal_basis": "《中华人民共和国保守国家秘密法》",
            "open_type": "closed",
        },
    ]
    for n, kind in enumerate(kinds):
        entry = create(client, city, "env_steward", name=f"监测数据{n}", **kind)
        client.post(f"/api/v1/datasets/{entry['id']}/submit", headers=auth)
        client.post(f"/api/v1/datasets/{entry['id']}/publish", headers=auth)
    create(client, city, "env_steward", name="草稿数据")  # drafts do not count
    stats = client.get("/api/v1/stats").json()
    assert stats["departments"] == 3
    assert stats["datasets"] == 3
    assert stats["shared_datasets"] == 2
    assert stats["open_datasets"] == 1
    assert stats["sharing_mix"] == {"unconditional": 1, "conditional": 1, "none": 1}
    assert stats["by_department"][0]["department"] == "sthjj"


def test_departments_and_health(client: TestClient, city: SmallCity) -> None:
    departments = client.get("/api/v1/departments").json()
    assert departments["total"] == 3
    assert {d["key"] for d in departments["items"]} == {"bigdata", "gaj", "sthjj"}
    assert client.get("/healthz").json()["status"] == "ok"
    openapi = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/datasets" in openapi["paths"]
