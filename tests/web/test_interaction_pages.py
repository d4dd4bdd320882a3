"""The public's interaction pages: sign-up, data requests, feedback, reuses and moderation."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from quancheng.db.models import PortalDataRequest, PortalFeedback, PortalReuse, User
from quancheng.opendata.interaction_model import BODY_MAX
from tests.support.city import SmallCity
from tests.web.support import browser, form_token, login, publish

XSS = '<script>alert("x")</script>'


def open_entry(city: SmallCity, department: str = "sthjj") -> int:
    steward = city.principals["env_steward" if department == "sthjj" else "gaj_steward"]
    return publish(city.services, steward, department)


def counts(city: SmallCity) -> tuple[int, int, int]:
    with city.services.db.reader() as s:
        return (
            s.query(PortalDataRequest).count(),
            s.query(PortalFeedback).count(),
            s.query(PortalReuse).count(),
        )


def test_register_logs_the_new_user_in(client: TestClient, city: SmallCity) -> None:
    web = browser(client)
    token = form_token(web, "/register")
    form = {
        "csrf_token": token,
        "username": "zhangsan",
        "display_name": "张三",
        "password": "a-long-password",
        "password2": "a-long-password",
    }
    response = web.post("/register", data=form)
    assert response.status_code == 303, response.text
    assert web.get("/open/requests/new").status_code == 200
    with city.services.db.reader() as s:
        user = s.query(User).filter_by(username="zhangsan").one()
        assert (user.role, user.department_id, user.display_name) == ("public_user", None, "张三")


def test_register_refuses_taken_names_and_short_passwords(
    client: TestClient, city: SmallCity
) -> None:
    web = browser(client)
    token = form_token(web, "/register")
    taken = {
        "csrf_token": token,
        "username": "citizen",
        "password": "a-long-password",
        "password2": "a-long-password",
    }
    response = web.post("/register", data=taken)
    assert response.status_code == 422
    assert "这个用户名已被占用" in response.text or "This user name is taken" in response.text
    short = taken | {"username": "lisi", "password": "short", "password2": "short"}
    assert web.post("/register", data=short).status_code == 422
    no_csrf = taken | {"username": "wangwu", "csrf_token": "forged"}
    assert web.post("/register", data=no_csrf).status_code == 403
    with city.services.db.reader() as s:
        assert s.query(User).filter(User.username.in_(("lisi", "wangwu"))).count() == 0


def test_register_refuses_a_taken_name_in_other_letter_case(
    client: TestClient, city: SmallCity
) -> None:
    # 'Admin' and 'CITIZEN' registered next to admin and citizen: a stranger posting, rating
    # and answering under the platform administrator's name but for a capital letter.
    web = browser(client)
    for name in ("Admin", "CITIZEN"):
        form = {
            "csrf_token": form_token(web, "/register"),
            "username": name,
            "password": "a-long-password",
            "password2": "a-long-password",
        }
        response = web.post("/register", data=form)
        assert response.status_code == 422, name
        assert "这个用户名已被占用" in response.text
    with city.services.db.reader() as s:
        assert s.query(User).filter(User.username.in_(("Admin", "CITIZEN"))).count() == 0


def test_register_refuses_a_display_name_that_passes_for_the_government(
    client: TestClient, city: SmallCity
) -> None:
    # Regression: a member of the public could post comments as "济南市生态环境局".
    web = browser(client)
    names = ("济南市生态环境局", "市公安局 ", "泉城 官方", "ＯＦＦＩＣＩＡＬ")
    for n, name in enumerate(names):
        form = {
            "csrf_token": form_token(web, "/register"),
            "username": f"someone{n}",
            "display_name": name,
            "password": "a-long-password",
            "password2": "a-long-password",
        }
        response = web.post("/register", data=form)
        assert response.status_code == 422, name
        assert "显示名称不能使用部门或平台的名称" in response.text
    ok = {
        "csrf_token": form_token(web, "/register"),
        "username": "zhangsan",
        "display_name": "张三（环保志愿者）",
        "password": "a-long-password",
        "password2": "a-long-password",
    }
    assert web.post("/register", data=ok).status_code == 303
    with city.services.db.reader() as s:
        assert s.query(User).filter(User.username.like("someone%")).count() == 0


def test_register_names_what_is_wrong_with_a_weak_password(
    client: TestClient, city: SmallCity
) -> None:
    web = browser(client)
    form = {"csrf_token": form_token(web, "/register"), "username": "zhaoliu88"}
    common = web.post("/register", data=form | {"password": "password", "password2": "password"})
    assert common.status_code == 422
    assert "该密码属于最常用的密码" in common.text
    same = web.post("/register", data=form | {"password": "ZhaoLiu88", "password2": "ZhaoLiu88"})
    assert same.status_code == 422
    assert "密码不能与用户名相同" in same.text
    with city.services.db.reader() as s:
        assert s.query(User).filter_by(username="zhaoliu88").count() == 0


def test_register_is_rate_limited_per_address(client: TestClient, city: SmallCity) -> None:
    limit = city.services.interaction.registrations_per_hour
    statuses = []
    for n in range(limit + 1):
        web = browser(client)
        form = {
            "csrf_token": form_token(web, "/register"),
            "username": f"user{n}",
            "password": "a-long-password",
            "password2": "a-long-password",
        }
        statuses.append(web.post("/register", data=form).status_code)
    # Each sign-up is from the same address (the test client's).
    assert statuses.count(303) == limit
    assert statuses[-1] == 429


def test_request_lifecycle_through_the_pages(client: TestClient, city: SmallCity) -> None:
    citizen = browser(client)
    token = login(citizen, "citizen")
    form = {
        "csrf_token": token,
        "title": "公交车实时到站数据",
        "description": "希望开放公交实时位置数据。",
        "purpose": "出行应用",
        "department": "sthjj",
    }
    sent = citizen.post("/open/requests/new", data=form)
    assert sent.status_code == 303, sent.text
    rid = int(sent.headers["location"].rsplit("/", 1)[-1])
    anonymous = browser(client)
    assert anonymous.get(f"/open/requests/{rid}").status_code == 404
    assert "公交车实时到站数据" not in anonymous.get("/open/requests").text

    admin = browser(client)
    admin_token = login(admin, "admin")
    assert "公交车实时到站数据" in admin.get("/open/moderation").text
    review = {"csrf_token": admin_token, "decision": "accept", "department": "sthjj"}
    assert admin.post(f"/open/requests/{rid}/review", data=review).status_code == 303
    listed = anonymous.get("/open/requests").text
    assert "公交车实时到站数据" in listed
    # Regression: the states shared msgids with a link ("查看") and a time ("答复时间").
    assert re.search(r'qc-state-open">待答复<', listed)
    assert re.search(r'state=answered"[^>]*>已答复<', listed)
    assert "查看" not in listed and "答复时间" not in listed

    vote = citizen.post(f"/open/requests/{rid}/vote", data={"csrf_token": token})
    assert vote.status_code == 303
    again = citizen.post(f"/open/requests/{rid}/vote", data={"csrf_token": token})
    assert again.status_code == 409

    other = browser(client)
    other_token = login(other, "gaj_steward")
    answer = {"csrf_token": other_token, "outcome": "planned", "answer": "计划开放"}
    assert other.post(f"/open/requests/{rid}/answer", data=answer).status_code == 403
    steward = browser(client)
    steward_token = login(steward, "env_steward")
    assert "公交车实时到站数据" in steward.get("/open/inbox").text
    answer["csrf_token"] = steward_token
    assert steward.post(f"/open/requests/{rid}/answer", data=answer).status_code == 303
    page = anonymous.get(f"/open/requests/{rid}").text
    assert "计划开放" in page


def test_comment_is_moderated_escaped_and_replied(client: TestClient, city: SmallCity) -> None:
    entry_id = open_entry(city)
    citizen = browser(client)
    token = login(citizen, "citizen")
    form = {"csrf_token": token, "kind": "comment", "rating": "5", "body": f"很好 {XSS}"}
    sent = citizen.post(f"/open/datasets/{entry_id}/feedback", data=form)
    assert sent.status_code == 303, sent.text
    anonymous = browser(client)
    fragment = anonymous.get(f"/open/datasets/{entry_id}/feedback", headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    assert "很好" not in fragment.text  # pending: not shown
    assert "/login?" in fragment.text  # anonymous visitors get a login link, not a form
    # Signed in, the fragment (what the dataset page loads) holds the form with its token,
    # and a refused comment sent from it comes back in it with the reason.
    own = citizen.get(f"/open/datasets/{entry_id}/feedback", headers={"HX-Request": "true"})
    assert own.status_code == 200, own.text
    assert f'name="csrf_token" value="{token}"' in own.text
    assert 'name="body"' in own.text
    empty = {"csrf_token": token, "kind": "comment", "rating": "5", "body": ""}
    refused = citizen.post(
        f"/open/datasets/{entry_id}/feedback", data=empty, headers={"HX-Request": "true"}
    )
    assert refused.status_code == 422, refused.text
    assert 'id="feedback"' in refused.text and 'class="field has-error"' in refused.text

    admin = browser(client)
    admin_token = login(admin, "admin")
    queue = admin.get("/open/moderation").text
    assert XSS not in queue and "&lt;script&gt;" in queue
    fid = city.services.interaction.moderation(city.principals["admin"]).comments[0].id
    publish_form = {"csrf_token": admin_token, "decision": "publish"}
    assert admin.post(f"/open/feedback/{fid}/moderate", data=publish_form).status_code == 303

    steward = browser(client)
    steward_token = login(steward, "env_steward")
    reply = {"csrf_token": steward_token, "reply": "感谢您的反馈"}
    assert steward.post(f"/open/feedback/{fid}/reply", data=reply).status_code == 303
    shown = anonymous.get(f"/open/datasets/{entry_id}/feedback").text
    assert "很好" in shown and "感谢您的反馈" in shown
    assert XSS not in shown and "&lt;script&gt;" in shown
    assert 'data-average="5.0"' in shown


def test_department_cannot_reply_on_another_departments_entry(
    client: TestClient, city: SmallCity
) -> None:
    entry_id = open_entry(city, "gaj")
    feedback = city.services.interaction.add_feedback(
        city.principals["citizen"], entry_id, kind="comment", body="好用", rating=4
    )
    city.services.interaction.moderate_comment(
        city.principals["admin"], feedback.id, decision="publish"
    )
    steward = browser(client)
    token = login(steward, "env_steward")
    reply = {"csrf_token": token, "reply": "谢谢"}
    assert steward.post(f"/open/feedback/{feedback.id}/reply", data=reply).status_code == 403


def test_oversized_and_linky_feedback_is_refused_with_a_reason(
    client: TestClient, city: SmallCity
) -> None:
    entry_id = open_entry(city)
    citizen = browser(client)
    token = login(citizen, "citizen")
    long_body = {"csrf_token": token, "kind": "comment", "body": "长" * (BODY_MAX + 1)}
    refused = citizen.post(f"/open/datasets/{entry_id}/feedback", data=long_body)
    assert refused.status_code == 422
    assert f"{BODY_MAX}" in refused.text
    links = " ".join(f"http://spam{n}.example" for n in range(4))
    spam = citizen.post(
        f"/open/datasets/{entry_id}/feedback",
        data={"csrf_token": token, "kind": "error", "body": links},
    )
    assert spam.status_code == 422
    assert counts(city) == (0, 0, 0)


def test_reuse_showcase(client: TestClient, city: SmallCity) -> None:
    entry_id = open_entry(city)
    code = city.services.catalog.get(city.principals["admin"], entry_id).code
    citizen = browser(client)
    token = login(citizen, "citizen")
    form = {
        "csrf_token": token,
        "title": f"空气地图 {XSS}",
        "kind": "visualisation",
        "description": "实时空气质量地图",
        "url": "https://example.org/map",
        "organisation": "泉城数据社",
        "entries": code,
    }
    sent = citizen.post("/open/reuses/new", data=form)
    assert sent.status_code == 303, sent.text
    rid = int(sent.headers["location"].rsplit("/", 1)[-1])
    anonymous = browser(client)
    assert anonymous.get(f"/open/reuses/{rid}").status_code == 404
    assert citizen.get(f"/open/reuses/{rid}").status_code == 200  # its submitter sees it

    admin = browser(client)
    admin_token = login(admin, "admin")
    approve = {"csrf_token": admin_token, "decision": "approve"}
    assert admin.post(f"/open/reuses/{rid}/moderate", data=approve).status_code == 303
    gallery = anonymous.get("/open/reuses?kind=visualisation").text
    assert "空气地图" in gallery and XSS not in gallery
    assert "空气地图" not in anonymous.get("/open/reuses?kind=news").text
    detail = anonymous.get(f"/open/reuses/{rid}").text
    assert f"/open/datasets/{entry_id}" in detail and code in detail


def test_reuse_with_a_javascript_url_leaves_nothing(client: TestClient, city: SmallCity) -> None:
    entry_id = open_entry(city)
    citizen = browser(client)
    token = login(citizen, "citizen")
    form = {
        "csrf_token": token,
        "title": "坏链接",
        "kind": "app",
        "description": "说明",
        "url": "javascript:alert(1)",
        "entries": str(entry_id),
    }
    refused = citizen.post("/open/reuses/new", data=form)
    assert refused.status_code == 422
    assert counts(city) == (0, 0, 0)


def test_pages_render_in_english_and_chinese(client: TestClient, city: SmallCity) -> None:
    entry_id = open_entry(city)
    web = browser(client)
    login(web, "admin")
    for locale, word in (("zh_CN", "数据需求"), ("en", "Data requests")):
        web.cookies.set("qc_lang", locale)
        assert word in web.get("/open/requests").text
    for path in (
        "/open/requests",
        "/open/requests/new",
        "/open/reuses",
        "/open/reuses/new",
        "/open/moderation",
        "/open/inbox",
        f"/open/datasets/{entry_id}/feedback",
        "/register",
    ):
        for locale in ("zh_CN", "en"):
            web.cookies.set("qc_lang", locale)
            assert web.get(path).status_code == 200, (path, locale)
