"""The catalog's web pages as a visitor, a steward and a reviewer use them, in both languages."""

from __future__ import annotations

import json
import re
from html import unescape

import pytest
from fastapi.testclient import TestClient

from quancheng.catalog.service import SearchQuery
from quancheng.web import labels
from quancheng.web.i18n import translations
from quancheng.web.security import ANON_CSRF_COOKIE, anonymous_token
from tests.support.city import PASSWORD, SmallCity, entry_fields
from tests.web.support import browser, csrf_token, editor_form, form_token, login, publish

ZH = translations("zh_CN")


def zh(msgid: str) -> str:
    return ZH.gettext(msgid)


def text_of(html: str) -> str:
    """The visible text of a page, roughly: tags dropped, entities decoded, spaces squeezed."""
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


@pytest.fixture
def web(client: TestClient) -> TestClient:
    return browser(client)


@pytest.fixture
def bus_entry(city: SmallCity) -> int:
    return publish(
        city.services,
        city.principals["env_steward"],
        "sthjj",
        name="公交线路站点信息",
        name_en="Bus routes and stops",
        abstract="全市公交线路、站点位置和首末班时间。",
        keywords=["公交", "出行"],
    )


def test_home_shows_the_citys_figures_and_chart_data(
    web: TestClient, city: SmallCity, bus_entry: int
) -> None:
    publish(
        city.services,
        city.principals["gaj_steward"],
        "gaj",
        name="户籍人口统计",
        classification_code="101001",
        sharing_type="none",
        legal_basis="《中华人民共和国个人信息保护法》",
        open_type="closed",
    )
    page = web.get("/")
    assert page.status_code == 200
    assert re.search(r'data-figure="departments">\s*3<', page.text)
    assert re.search(r'data-figure="datasets">\s*2<', page.text)
    assert re.search(r'data-figure="shared_datasets">\s*1<', page.text)
    assert re.search(r'data-figure="open_datasets">\s*1<', page.text)
    assert re.search(r'data-figure="sharing_rate">\s*50(\.0)?%<', page.text)
    embedded = re.search(
        r'<script type="application/json" id="chart-data">(.*?)</script>', page.text
    )
    assert embedded
    charts = json.loads(embedded.group(1))
    assert sorted(charts["departments"]["labels"]) == ["市公安局", "市生态环境局"]
    assert charts["sharing"]["labels"] == ["无条件共享", "有条件共享", "不予共享"]
    assert charts["sharing"]["values"] == [1, 0, 1]
    assert "/static/vendor/echarts.min.js" in page.text
    # Without JavaScript the same numbers are on the page as plain lists.
    assert 'class="chart-fallback"' in page.text
    assert 'action="/catalog"' in page.text


def test_search_finds_an_entry_by_chinese_and_by_pinyin(
    web: TestClient, city: SmallCity, bus_entry: int
) -> None:
    publish(city.services, city.principals["env_steward"], "sthjj")  # the air quality entry
    for q in ("公交", "gongjiao"):
        page = web.get("/catalog", params={"q": q})
        assert page.status_code == 200
        assert f'href="/catalog/{bus_entry}"' in page.text, q
        assert "空气质量小时监测数据" not in page.text, q


def test_facets_link_filter_and_are_removable(
    web: TestClient, city: SmallCity, bus_entry: int
) -> None:
    publish(
        city.services,
        city.principals["gaj_steward"],
        "gaj",
        name="户籍人口统计",
        classification_code="101001",
        sharing_type="conditional",
        sharing_conditions="仅限公安业务使用",
        legal_basis="《中华人民共和国居民身份证法》",
        open_type="closed",
    )
    page = web.get("/catalog")
    assert 'href="/catalog?department=gaj"' in page.text
    assert 'href="/catalog?sharing_type=conditional"' in page.text
    assert "有条件共享" in text_of(page.text)

    filtered = web.get("/catalog", params={"department": "gaj"})
    assert "户籍人口统计" in filtered.text
    assert "公交线路站点信息" not in filtered.text
    # The active filter shows as a chip whose link removes it; the facet toggles it off too.
    assert re.search(r'class="chip" href="/catalog"', filtered.text)
    assert '<input type="hidden" name="department" value="gaj">' in filtered.text

    both = web.get("/catalog", params={"department": "sthjj", "q": "公交"})
    assert 'class="chip" href="/catalog?q=%E5%85%AC%E4%BA%A4"' in both.text


def test_htmx_gets_only_the_results_and_the_filter_inputs(
    web: TestClient, city: SmallCity, bus_entry: int
) -> None:
    partial = web.get(
        "/catalog", params={"q": "公交", "department": "sthjj"}, headers={"HX-Request": "true"}
    )
    assert partial.status_code == 200
    assert "<html" not in partial.text
    assert f'href="/catalog/{bus_entry}"' in partial.text
    assert 'id="filter-inputs" hx-swap-oob="true"' in partial.text
    assert "HX-Request" in partial.headers["vary"]
    # A history restore needs the whole page, not the fragment.
    restore = web.get(
        "/catalog", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"}
    )
    assert "<html" in restore.text


def test_entry_page_labels_every_field_and_translates_values(
    web: TestClient, city: SmallCity, bus_entry: int
) -> None:
    page = web.get(f"/catalog/{bus_entry}")
    assert page.status_code == 200
    text = text_of(page.text)
    hidden_when_empty = {"review_comment", "abstract_en"}
    for field, msgid in labels.FIELDS.items():
        if field not in hidden_when_empty:
            assert zh(msgid) in text, (field, zh(msgid))
    for msgid in labels.ITEM_FIELDS.values():
        if msgid != labels.ITEM_FIELDS["name_en"]:
            assert zh(msgid) in text, msgid
    for value in ("无条件共享", "无条件开放", "实时", "一般", "数据库", "接口"):
        assert value in text
    for data_type in ("字符型C", "日期时间型T", "浮点型F"):
        assert data_type in text
    assert "公开" in text  # sensitivity
    assert "1137010000000003" in text  # provider code
    assert "v1" in text and zh("First published version") in text
    # An anonymous visitor gets no lifecycle buttons.
    assert "/workspace/" not in page.text


def test_versions_show_a_readable_diff(web: TestClient, city: SmallCity, bus_entry: int) -> None:
    steward = city.principals["env_steward"]
    entry = city.services.catalog.get(steward, bus_entry)
    fields = editor_form(name=entry.name, update_cycle="daily")
    session = browser(web)
    token = login(session, "env_steward")
    fields["csrf_token"] = token
    fields["items-3-name"] = "线路编号"
    fields["items-3-data_type"] = "C"
    fields["items-3-length"] = "20"
    saved = session.post(f"/workspace/{bus_entry}/edit", data=fields)
    assert saved.status_code == 303, saved.text
    text = text_of(session.get(f"/catalog/{bus_entry}").text)
    assert "v2" in text
    assert "更新周期 实时 → 每日" in text
    assert "信息项“线路编号” 新增" in text


def test_english_after_choosing_it_and_back(
    web: TestClient, city: SmallCity, bus_entry: int
) -> None:
    switch = web.get("/lang/en", params={"next": f"/catalog/{bus_entry}"})
    assert switch.status_code == 303
    assert switch.headers["location"] == f"/catalog/{bus_entry}"
    assert "qc_lang=en" in switch.headers["set-cookie"]
    page = web.get(f"/catalog/{bus_entry}")
    assert '<html lang="en"' in page.text
    text = text_of(page.text)
    for words in ("Resource name", "Unconditional sharing", "Open unconditionally", "Real time"):
        assert words in text
    assert "Character (C)" in text
    assert "Jinan Government Data Resource Catalog" in text
    assert "信息资源名称" not in text

    web.get("/lang/zh_CN", params={"next": "/"})
    assert '<html lang="zh-CN"' in web.get("/").text
    assert web.get("/lang/fr").status_code == 404


def test_department_pages(web: TestClient, city: SmallCity, bus_entry: int) -> None:
    listing = web.get("/departments")
    assert listing.status_code == 200
    text = text_of(listing.text)
    assert "市直部门" in text
    assert "济南市生态环境局" in text
    assert 'href="/departments/sthjj"' in listing.text
    assert re.search(r'href="/departments/sthjj">.*?<strong>1</strong>', listing.text, re.S)

    page = web.get("/departments/sthjj")
    assert page.status_code == 200
    assert "公交线路站点信息" in page.text
    assert "1137010000000003" in page.text
    empty = web.get("/departments/gaj")
    assert "该部门暂未发布数据资源" in empty.text

    missing = web.get("/departments/nothing")
    assert missing.status_code == 404
    assert zh("Not found") in missing.text


def test_login_with_a_wrong_password_says_so(web: TestClient, city: SmallCity) -> None:
    token = form_token(web)
    response = web.post(
        "/login",
        data={"username": "env_steward", "password": "wrong-password", "csrf_token": token},
    )
    assert response.status_code == 401
    assert "用户名或密码错误" in response.text
    assert 'value="env_steward"' in response.text


def test_too_many_failed_logins_are_refused(web: TestClient, city: SmallCity) -> None:
    token = form_token(web)
    attempts = city.services.settings.login_max_attempts
    for _ in range(attempts):
        web.post("/login", data={"username": "citizen", "password": "nope", "csrf_token": token})
    response = web.post(
        "/login", data={"username": "citizen", "password": "nope", "csrf_token": token}
    )
    assert response.status_code == 429
    assert "登录失败次数过多" in response.text


def test_login_leads_to_the_workspace_and_logout_ends_the_session(
    web: TestClient, city: SmallCity
) -> None:
    steward = city.principals["env_steward"]
    draft = city.services.catalog.create(steward, department="sthjj", fields=entry_fields())
    response = web.post(
        "/login",
        data={"username": "env_steward", "password": PASSWORD, "csrf_token": form_token(web)},
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/workspace"
    cookie = response.headers["set-cookie"]
    assert "qc_session=" in cookie and "HttpOnly" in cookie and "samesite=lax" in cookie.lower()
    workspace = web.get("/workspace")
    assert workspace.status_code == 200
    assert "登录成功" in workspace.text  # the flash message
    assert f'href="/catalog/{draft.id}"' in workspace.text
    assert 'class="status status-draft"' in workspace.text

    token = csrf_token(workspace.text)
    assert web.post("/logout", data={"csrf_token": token}).status_code == 303
    after = web.get("/workspace")
    assert after.status_code == 303
    assert after.headers["location"].startswith("/login?next=%2Fworkspace")


def test_the_anonymous_form_token_is_bound_to_its_cookie(web: TestClient, city: SmallCity) -> None:
    page = web.get("/login")
    cookie = web.cookies.get(ANON_CSRF_COOKIE)
    assert cookie
    assert csrf_token(page.text) == anonymous_token(city.services.settings, cookie)
    assert "httponly" in page.headers["set-cookie"].lower()


@pytest.mark.parametrize("token", [None, "forged-token"])
def test_posts_without_a_valid_csrf_token_are_refused(
    client: TestClient, city: SmallCity, token: str | None
) -> None:
    visitor = browser(client)
    visitor.get("/login")
    data = {"username": "env_steward", "password": PASSWORD}
    if token:
        data["csrf_token"] = token
    refused = visitor.post("/login", data=data)
    assert refused.status_code == 403
    assert zh("The form has expired") in refused.text
    assert "qc_session" not in refused.headers.get("set-cookie", "")

    steward = browser(client)
    login(steward, "env_steward")
    form = editor_form()
    if token:
        form["csrf_token"] = token
    refused = steward.post("/workspace/new", data=form)
    assert refused.status_code == 403
    assert "csrf_failed" in refused.text
    assert (
        city.services.catalog.search(
            city.principals["env_steward"], SearchQuery(status="all")
        ).total
        == 0
    )


def test_an_invalid_entry_comes_back_with_messages_and_the_input_kept(
    web: TestClient, city: SmallCity
) -> None:
    token = login(web, "env_steward")
    form = editor_form(
        name="降水量观测数据",
        abstract="",
        sharing_type="conditional",
        csrf_token=token,
    )
    form["items-1-name"] = ""
    form["items-1-description"] = "观测时间"  # a row with a description but no name
    response = web.post("/workspace/new", data=form)
    assert response.status_code == 422
    assert 'value="降水量观测数据"' in response.text
    assert "观测时间" in response.text
    text = text_of(response.text)
    assert zh("This field is required.") in text  # abstract, and the item without a name
    assert zh("Conditional sharing must state its conditions.") in text
    assert re.search(r'<option value="conditional" selected>有条件共享', response.text)
    assert 'id="err-abstract"' in response.text
    assert 'id="err-data_items[1].name"' in response.text
    summary = response.text.split('id="error-summary"', 1)[1].split("</div>", 1)[0]
    assert 'href="#f-abstract"' in summary and 'href="#items-1-name"' in summary


def test_create_submit_and_publish_through_the_forms(web: TestClient, city: SmallCity) -> None:
    token = login(web, "env_steward")
    form = editor_form(name="地表水水质监测数据", csrf_token=token)
    form["items-7-name"] = "溶解氧"
    form["items-7-data_type"] = "F"
    form["items-8-name"] = ""  # an empty row is ignored
    created = web.post("/workspace/new", data=form)
    assert created.status_code == 303, created.text
    url = created.headers["location"]
    entry_id = int(url.rsplit("/", 1)[1])

    page = web.get(url)
    assert "草稿已保存" in page.text
    assert "溶解氧" in page.text
    assert f'action="/workspace/{entry_id}/submit"' in page.text
    assert f'action="/workspace/{entry_id}/publish"' not in page.text

    submitted = web.post(f"/workspace/{entry_id}/submit", data={"csrf_token": token})
    assert submitted.headers["location"] == url
    page = web.get(url)
    assert "目录已提交审核" in page.text
    assert 'class="status status-submitted"' in page.text
    assert f'action="/workspace/{entry_id}/publish"' in page.text

    published = web.post(f"/workspace/{entry_id}/publish", data={"csrf_token": token})
    assert published.status_code == 303
    page = web.get(url)
    assert "目录已发布" in page.text
    assert 'class="status status-published"' in page.text
    assert f'action="/workspace/{entry_id}/offline"' in page.text

    found = browser(web).get("/catalog", params={"q": "地表水"})
    assert f'href="/catalog/{entry_id}"' in found.text


def test_a_department_user_sees_no_publish_button_and_may_not_publish(
    web: TestClient, city: SmallCity
) -> None:
    steward = city.principals["gaj_steward"]
    entry = city.services.catalog.create(
        steward, department="gaj", fields=entry_fields() | {"name": "出入境证件办理"}
    )
    city.services.catalog.submit(steward, entry.id)

    token = login(web, "gaj_user")
    page = web.get(f"/catalog/{entry.id}")
    assert page.status_code == 200
    assert "出入境证件办理" in page.text
    assert "/publish" not in page.text
    assert "/edit" not in page.text
    refused = web.post(f"/workspace/{entry.id}/publish", data={"csrf_token": token})
    assert refused.status_code == 403
    assert zh("Access denied") in refused.text
    assert city.services.catalog.get(steward, entry.id).status == "submitted"


def test_return_and_offline_take_a_reason(web: TestClient, city: SmallCity) -> None:
    steward = city.principals["env_steward"]
    entry_id = publish(city.services, steward, "sthjj")
    token = login(web, "env_steward")
    response = web.post(
        f"/workspace/{entry_id}/offline", data={"csrf_token": token, "reason": "数据源停用"}
    )
    assert response.status_code == 303
    entry = city.services.catalog.get(steward, entry_id)
    assert entry.status == "offline"
    assert entry.review_comment == "数据源停用"
    page = web.get(f"/catalog/{entry_id}")
    assert "数据源停用" in page.text
    assert f'action="/workspace/{entry_id}/return"' in page.text
    web.post(f"/workspace/{entry_id}/return", data={"csrf_token": token, "reason": "重新整理"})
    assert city.services.catalog.get(steward, entry_id).status == "draft"
    wrong_state = web.post(f"/workspace/{entry_id}/publish", data={"csrf_token": token})
    assert wrong_state.status_code == 409
    assert zh("Not possible now") in wrong_state.text


@pytest.mark.parametrize(
    "target", ["//evil.example", "https://evil.example/", "/\\evil.example", "javascript:alert(1)"]
)
def test_next_never_leaves_the_site(web: TestClient, city: SmallCity, target: str) -> None:
    response = web.post(
        "/login",
        data={
            "username": "citizen",
            "password": PASSWORD,
            "next": target,
            "csrf_token": form_token(web),
        },
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    lang = web.get("/lang/en", params={"next": target})
    assert lang.headers["location"] == "/"


def test_next_leads_back_to_a_local_page(web: TestClient, city: SmallCity) -> None:
    response = web.post(
        "/login",
        data={
            "username": "citizen",
            "password": PASSWORD,
            "next": "/catalog?q=air",
            "csrf_token": form_token(web),
        },
    )
    assert response.headers["location"] == "/catalog?q=air"


def test_error_pages_speak_the_visitors_language(web: TestClient, city: SmallCity) -> None:
    missing = web.get("/catalog/999999")
    assert missing.status_code == 404
    assert zh("Not found") in missing.text
    assert '<html lang="zh-CN"' in missing.text
    web.get("/lang/en")
    assert "Not found" in web.get("/no-such-page").text
    login(web, "citizen")
    denied = web.get("/workspace")
    assert denied.status_code == 403
    assert "Access denied" in denied.text
    invalid = web.get("/catalog", params={"sharing_type": "sometimes"})
    assert invalid.status_code == 422
    assert "Invalid input" in invalid.text


def test_pages_carry_security_headers_and_no_inline_code(
    web: TestClient, city: SmallCity, bus_entry: int
) -> None:
    token = login(web, "env_steward")
    assert token
    for path in (
        "/",
        "/catalog",
        f"/catalog/{bus_entry}",
        "/departments",
        "/workspace",
        "/workspace/new",
        f"/workspace/{bus_entry}/edit",
        "/login",
        "/nothing",
    ):
        page = web.get(path)
        headers = page.headers
        assert headers["x-content-type-options"] == "nosniff", path
        assert headers["x-frame-options"] == "DENY", path
        assert headers["referrer-policy"] == "same-origin", path
        assert "script-src 'self'" in headers["content-security-policy"], path
        assert "unsafe-inline" not in headers["content-security-policy"], path
        for script in re.findall(r"<script\b[^>]*>", page.text):
            assert "src=" in script or 'type="application/json"' in script, (path, script)
        assert not re.search(r"\sstyle=", page.text), path
        assert not re.search(r"\son[a-z]+=", page.text), path
        for form in re.findall(r"<form\b[^>]*method=\"post\".*?</form>", page.text, re.S):
            assert 'name="csrf_token"' in form, (path, form[:200])


def test_the_editor_offers_every_field_and_the_vocabularies(
    web: TestClient, city: SmallCity
) -> None:
    login(web, "admin")
    page = web.get("/workspace/new")
    assert page.status_code == 200
    for name in (
        "name",
        "name_en",
        "abstract",
        "abstract_en",
        "classification_code",
        "format",
        "sharing_type",
        "sharing_conditions",
        "legal_basis",
        "sharing_method",
        "open_type",
        "open_conditions",
        "update_cycle",
        "security_grade",
        "duty",
        "source_system",
        "keywords",
        "related_codes",
        "department",
        "items-0-name",
        "items-0-data_type",
        "items-0-length",
        "items-0-description",
        "items-0-sensitivity",
    ):
        assert f'name="{name}"' in page.text, name
    assert '<option value="210001">210001 空气质量</option>' in page.text
    assert '<option value="210">' not in page.text  # only 目-level codes
    assert "济南市公安局" in page.text  # the platform admin picks the department
    more = web.post(
        "/workspace/new", data=editor_form(add_row="1", csrf_token=csrf_token(page.text))
    )
    assert more.status_code == 200
    assert 'name="items-3-name"' in more.text


def test_the_platform_admin_must_choose_a_department(web: TestClient, city: SmallCity) -> None:
    token = login(web, "admin")
    missing = web.post("/workspace/new", data=editor_form(csrf_token=token))
    assert missing.status_code == 422
    assert 'id="err-department"' in missing.text
    chosen = web.post("/workspace/new", data=editor_form(department="gaj", csrf_token=token))
    assert chosen.status_code == 303
    entry_id = int(chosen.headers["location"].rsplit("/", 1)[1])
    assert city.services.catalog.get(city.principals["admin"], entry_id).department.key == "gaj"


@pytest.mark.parametrize(
    "path", ["/", "/catalog", "/open", "/ops", "/governance", "/ledger", "/api/v1/docs"]
)
def test_every_script_and_stylesheet_a_page_names_is_served_from_here(
    web: TestClient, city: SmallCity, path: str
) -> None:
    """Offline intranets have no CDN: each asset is ours, and the server has it."""
    login(web, "admin")
    page = web.get(path)
    assert page.status_code == 200, page.text[:300]
    assets = re.findall(r'<(?:script|link)\b[^>]*?\b(?:src|href)="([^"]+)"', page.text)
    assert any(a.endswith(".js") for a in assets), assets
    for asset in assets:
        assert asset.startswith("/static/"), asset
        served = web.get(asset)
        assert served.status_code == 200, asset
        kind = served.headers["content-type"]
        assert kind.startswith(
            ("text/javascript", "application/javascript", "text/css", "image/")
        ), (
            asset,
            kind,
        )
