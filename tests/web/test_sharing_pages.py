"""The sharing workbench as consumers, providers and the platform authority use it."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from html import unescape
from pathlib import Path

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import update

from quancheng.db.models import CatalogEntry, User, utcnow
from quancheng.sharing.model import Action, RequestState
from tests.support.city import SmallCity
from tests.support.sharing import Exchange, seed_exchange
from tests.web.support import browser, csrf_token, login

_CHART = re.compile(r'<script type="application/json" id="chart-data">(.*?)</script>', re.S)


def page(user: TestClient, url: str) -> str:
    response = user.get(url)
    assert response.status_code == 200, response.text[:800]
    text: str = response.text
    return text


def act(user: TestClient, request_id: int, **fields: object) -> httpx.Response:
    """Post the request page's form, with its token, as the browser would."""
    token = csrf_token(page(user, f"/sharing/requests/{request_id}"))
    url = f"/sharing/requests/{request_id}/act"
    response: httpx.Response = user.post(url, data={"csrf_token": token, **fields})
    return response


def granted_request(ex: Exchange) -> tuple[int, int]:
    """A request submitted, passed and approved through the service: (request id, grant id)."""
    sharing = ex.city.services.sharing
    req = sharing.create_request(
        ex.consumer,
        dataset_id=ex.entry_id,
        purpose="环境执法核查",
        items=["姓名", "所属区县"],
        period_days=60,
    )
    sharing.act(ex.consumer, req.id, Action.SUBMIT)
    sharing.act(ex.platform, req.id, Action.PASS)
    view = sharing.act(ex.provider, req.id, Action.APPROVE)
    assert view.grant_id is not None
    return req.id, view.grant_id


def test_request_pass_partial_approval_and_the_consumer_sees_the_grant(
    client: TestClient, city: SmallCity, tmp_path: Path
) -> None:
    ex = seed_exchange(city, tmp_path, rows=20)
    consumer = browser(client)
    login(consumer, "env_user")
    entry = page(consumer, f"/catalog/{ex.entry_id}")
    assert f"/sharing/new?dataset={ex.entry_id}" in entry
    form = page(consumer, f"/sharing/new?dataset={ex.entry_id}")
    assert 'value="公民身份号码"' in form

    sent = consumer.post(
        "/sharing/new",
        data={
            "csrf_token": csrf_token(form),
            "dataset": str(ex.entry_id),
            "purpose": "核对排污企业法定代表人身份",
            "scenario": "环境执法",
            "legal_basis": "《环境保护法》",
            "items": ["姓名", "公民身份号码", "所属区县"],
            "period_days": "90",
            "intent": "submit",
        },
    )
    assert sent.status_code == 303, sent.text[:800]
    request_id = int(sent.headers["location"].rsplit("/", 1)[-1])
    assert ex.city.services.sharing.request(ex.consumer, request_id).state is (
        RequestState.COMPLIANCE_CHECK
    )

    admin = browser(client)
    login(admin, "admin")
    assert act(admin, request_id, action="pass").status_code == 303

    provider = browser(client)
    login(provider, "gaj_steward")
    panel = page(provider, f"/sharing/requests/{request_id}")
    assert 'name="mask:公民身份号码"' in panel and 'value="partial"' in panel
    decided = act(
        provider,
        request_id,
        action="partial",
        grant_items=["公民身份号码", "所属区县"],
        **{"mask:公民身份号码": "id_number", "mask:所属区县": "raw"},
        filter_item="所属区县",
        filter_op="eq",
        filter_value="历下区",
        quota_per_day="100",
    )
    assert decided.status_code == 303, decided.text[:800]

    view = ex.city.services.sharing.request(ex.consumer, request_id)
    assert view.state is RequestState.PARTIALLY_APPROVED and view.grant_id is not None
    mine = page(consumer, f"/sharing/requests/{request_id}")
    assert f"/sharing/grants/{view.grant_id}" in mine
    grant = page(consumer, f"/sharing/grants/{view.grant_id}")
    assert "历下区" in grant and "公民身份号码" in grant
    assert "<td>姓名</td>" not in grant  # not granted
    held = ex.city.services.sharing.grant(ex.consumer, view.grant_id)
    assert held.masks == {"公民身份号码": "id_number"}
    assert held.row_filter == (("所属区县", "eq", "历下区"),)
    assert held.quota_per_day == 100


def test_a_grant_can_start_on_a_later_day_chosen_in_the_panel(
    client: TestClient, city: SmallCity, tmp_path: Path
) -> None:
    ex = seed_exchange(city, tmp_path, rows=5)
    sharing = ex.city.services.sharing
    req = sharing.create_request(
        ex.consumer, dataset_id=ex.entry_id, purpose="核查", items=["所属区县"], period_days=30
    )
    sharing.act(ex.consumer, req.id, Action.SUBMIT)
    sharing.act(ex.platform, req.id, Action.PASS)
    provider = browser(client)
    login(provider, "gaj_steward")
    tz = sharing.rules.tz
    start_day = utcnow().astimezone(tz).date() + timedelta(days=3)

    decided = act(
        provider,
        req.id,
        action="approve",
        grant_items=["所属区县"],
        starts_at=start_day.isoformat(),
        expires_at=(start_day + timedelta(days=20)).isoformat(),
    )

    assert decided.status_code == 303, decided.text[:800]
    view = sharing.request(ex.consumer, req.id)
    assert view.grant_id is not None
    grant = sharing.grant(ex.consumer, view.grant_id)
    assert grant.starts_at.astimezone(tz).date() == start_day
    assert grant.starts_at.astimezone(tz).hour == 0


def test_a_later_start_keeps_the_requested_period_when_the_expiry_is_left_alone(
    client: TestClient, city: SmallCity, tmp_path: Path
) -> None:
    # Regression: the panel prefilled the expiry as today + the period, so a grant that
    # starts later ran short (or was refused), and its date picker offered a day after that
    # which the service refused with "enter a whole number between 1 and 1000000".
    ex = seed_exchange(city, tmp_path, rows=5)
    sharing = ex.city.services.sharing
    req = sharing.create_request(
        ex.consumer, dataset_id=ex.entry_id, purpose="核查", items=["所属区县"], period_days=30
    )
    sharing.act(ex.consumer, req.id, Action.SUBMIT)
    sharing.act(ex.platform, req.id, Action.PASS)
    provider = browser(client)
    login(provider, "gaj_steward")
    tz = sharing.rules.tz
    start_day = utcnow().astimezone(tz).date() + timedelta(days=10)
    panel = page(provider, f"/sharing/requests/{req.id}")
    shown = re.search(r'name="expires_at" value="([^"]*)"', panel)
    assert shown is not None

    decided = act(
        provider,
        req.id,
        action="approve",
        grant_items=["所属区县"],
        starts_at=start_day.isoformat(),
        expires_at=shown.group(1),
    )

    assert decided.status_code == 303, decided.text[:800]
    view = sharing.request(ex.consumer, req.id)
    assert view.grant_id is not None
    grant = sharing.grant(ex.consumer, view.grant_id)
    assert grant.starts_at.astimezone(tz).date() == start_day
    assert grant.expires_at - grant.starts_at == timedelta(days=30)


def test_a_refusal_without_a_reason_is_shown_and_changes_nothing(
    client: TestClient, city: SmallCity, tmp_path: Path
) -> None:
    ex = seed_exchange(city, tmp_path, rows=5)
    sharing = ex.city.services.sharing
    req = sharing.create_request(
        ex.consumer, dataset_id=ex.entry_id, purpose="核查", items=["姓名"], period_days=30
    )
    sharing.act(ex.consumer, req.id, Action.SUBMIT)
    sharing.act(ex.platform, req.id, Action.PASS)
    provider = browser(client)
    login(provider, "gaj_steward")

    response = act(provider, req.id, action="reject", reason="  ")

    assert response.status_code == 422
    # Regression: only "部分填写内容无效。" stood at the top, the field's message far below;
    # the summary now comes first, is focused, and leads to the field.
    html = response.text
    summary = html.split('id="error-summary"', 1)[1].split("</div>", 1)[0]
    assert html.index('id="error-summary"') < html.index('id="f-reason"')
    opening = re.search(r'<div [^>]*id="error-summary"[^>]*>', html)
    assert opening and "autofocus" in opening[0] and 'tabindex="-1"' in opening[0]
    assert '<a href="#err-reason">原因</a>' in summary
    assert 'id="err-reason"' in html and 'class="field-error"' in html
    after = sharing.request(ex.consumer, req.id)
    assert after.state is RequestState.PENDING_PROVIDER and after.grant_id is None
    assert [e.action for e in after.events] == ["created", "submit", "pass"]


def test_the_authority_page_lists_an_overdue_request(
    client: TestClient, city: SmallCity, tmp_path: Path
) -> None:
    ex = seed_exchange(city, tmp_path, rows=5)
    sharing = ex.city.services.sharing
    req = sharing.create_request(
        ex.consumer, dataset_id=ex.entry_id, purpose="逾期核查", items=["姓名"], period_days=30
    )
    sharing.act(ex.consumer, req.id, Action.SUBMIT)
    sharing.act(ex.platform, req.id, Action.PASS)
    later = utcnow() + timedelta(days=40)
    sharing.clock = lambda: later  # the provider let the deadline pass
    admin = browser(client)
    login(admin, "admin")

    html = page(admin, "/sharing/authority")

    overdue = html.split('class="count-pill"', 2)[1]
    assert f"/sharing/requests/{req.id}" in html and "row-overdue" in html
    assert overdue.startswith(">1<")
    assert sharing.request(ex.platform, req.id).escalated
    steward = browser(client)
    login(steward, "gaj_steward")
    assert steward.get("/sharing/authority").status_code == 403


def test_the_grant_page_shows_usage_after_a_read(
    client: TestClient, city: SmallCity, tmp_path: Path
) -> None:
    ex = seed_exchange(city, tmp_path, rows=10)
    _, grant_id = granted_request(ex)
    ex.city.services.reads.rows(ex.consumer, ex.entry_id, [("_limit", "5")], total=False)
    consumer = browser(client)
    login(consumer, "env_user")

    html = page(consumer, f"/sharing/grants/{grant_id}")

    match = _CHART.search(html)
    assert match
    chart = json.loads(unescape(match.group(1)))["usage"]
    assert len(chart["values"]) == 30 and chart["values"][-1] == 1
    assert 'data-chart="usage"' in html and "usage-table" in html


def test_workbench_labels_in_english_and_chinese(
    client: TestClient, city: SmallCity, tmp_path: Path
) -> None:
    ex = seed_exchange(city, tmp_path, rows=5)
    sharing = ex.city.services.sharing
    req = sharing.create_request(
        ex.consumer, dataset_id=ex.entry_id, purpose="核查", items=["姓名"], period_days=30
    )
    sharing.act(ex.consumer, req.id, Action.SUBMIT)
    user = browser(client)
    login(user, "env_user")

    chinese = page(user, "/sharing")
    user.cookies.set("qc_lang", "en")
    english = page(user, "/sharing?state=compliance_check")

    assert "我的申请" in chinese and "符合性审查" in chinese and "人口基本信息" in chinese
    assert "My requests" in english and "Compliance check" in english
    assert "working days left" in english
    assert page(user, "/sharing?state=approved").count("/sharing/requests/") == 0


def test_a_request_form_with_no_purpose_comes_back_with_the_message(
    client: TestClient, city: SmallCity, tmp_path: Path
) -> None:
    ex = seed_exchange(city, tmp_path, rows=5)
    consumer = browser(client)
    login(consumer, "env_user")
    form = page(consumer, f"/sharing/new?dataset={ex.entry_id}")

    response = consumer.post(
        "/sharing/new",
        data={
            "csrf_token": csrf_token(form),
            "dataset": str(ex.entry_id),
            "purpose": "",
            "items": ["姓名"],
            "period_days": "30",
            "intent": "draft",
        },
    )

    assert response.status_code == 422
    assert "err-purpose" in response.text
    assert ex.city.services.sharing.requests(ex.consumer, box="mine")[1] == 0


def test_out_of_range_values_are_named_for_what_they_are(
    client: TestClient, city: SmallCity, tmp_path: Path
) -> None:
    # Regression: a period beyond the city's limit, an expiry past the requested period and a
    # start in the past were all told "enter a whole number between 1 and 1000000".
    ex = seed_exchange(city, tmp_path, rows=5)
    consumer = browser(client)
    login(consumer, "env_user")
    form = page(consumer, f"/sharing/new?dataset={ex.entry_id}")
    assert 'max="1095"' in form

    too_long = consumer.post(
        "/sharing/new",
        data={
            "csrf_token": csrf_token(form),
            "dataset": str(ex.entry_id),
            "purpose": "核查",
            "items": ["姓名"],
            "period_days": "5000",
        },
    )

    assert too_long.status_code == 422
    assert "请输入 1 天至本市允许的最长期限之间的天数" in too_long.text
    assert "1000000" not in too_long.text
    assert 'value="5000"' in too_long.text
    sharing = ex.city.services.sharing
    req = sharing.create_request(
        ex.consumer, dataset_id=ex.entry_id, purpose="核查", items=["所属区县"], period_days=30
    )
    sharing.act(ex.consumer, req.id, Action.SUBMIT)
    sharing.act(ex.platform, req.id, Action.PASS)
    provider = browser(client)
    login(provider, "gaj_steward")
    today = utcnow().astimezone(sharing.rules.tz).date()

    late = act(
        provider,
        req.id,
        action="approve",
        grant_items=["所属区县"],
        expires_at=(today + timedelta(days=60)).isoformat(),
    )
    early = act(
        provider,
        req.id,
        action="approve",
        grant_items=["所属区县"],
        starts_at=(today - timedelta(days=3)).isoformat(),
    )

    assert late.status_code == 422
    assert "请选择晚于开始日期、且不超出所申请期限的到期日期" in late.text
    assert early.status_code == 422
    assert "请选择今天至一年以内的开始日期" in early.text
    assert "1000000" not in late.text + early.text
    assert sharing.request(ex.consumer, req.id).grant_id is None


def test_a_refused_step_is_explained_in_the_pages_language(
    client: TestClient, city: SmallCity, tmp_path: Path
) -> None:
    # Regression: under the translated title the form showed the service's English text
    # ("give a reason", "cannot approve a request that is approved").
    ex = seed_exchange(city, tmp_path, rows=5)
    sharing = ex.city.services.sharing
    req = sharing.create_request(
        ex.consumer, dataset_id=ex.entry_id, purpose="核查", items=["所属区县"], period_days=30
    )
    sharing.act(ex.consumer, req.id, Action.SUBMIT)
    sharing.act(ex.platform, req.id, Action.PASS)
    provider = browser(client)
    login(provider, "gaj_steward")
    stale = page(provider, f"/sharing/requests/{req.id}")

    no_reason = act(provider, req.id, action="reject", reason="")
    provider.post(
        f"/sharing/requests/{req.id}/act",
        data={"csrf_token": csrf_token(stale), "action": "approve", "grant_items": ["所属区县"]},
    )
    again = provider.post(
        f"/sharing/requests/{req.id}/act",
        data={"csrf_token": csrf_token(stale), "action": "approve", "grant_items": ["所属区县"]},
    )

    assert no_reason.status_code == 422
    assert "err-reason" in no_reason.text and "give a reason" not in no_reason.text
    assert again.status_code == 409
    assert "页面加载后情况已有变化" in again.text
    assert "cannot approve" not in again.text
    assert sharing.request(ex.consumer, req.id).state is RequestState.APPROVED


def test_refused_dispute_forms_keep_what_was_typed(
    client: TestClient, city: SmallCity, tmp_path: Path
) -> None:
    # Regression: a refused dispute, answer or revocation came back with empty fields, and the
    # answer's outcome back on "the data is correct" although "corrected" had been chosen.
    ex = seed_exchange(city, tmp_path, rows=5)
    _, grant_id = granted_request(ex)
    consumer = browser(client)
    login(consumer, "env_user")
    grant = page(consumer, f"/sharing/grants/{grant_id}")

    raised = consumer.post(
        f"/sharing/grants/{grant_id}/dispute",
        data={
            "csrf_token": csrf_token(grant),
            "description": "",
            "row": "3",
            "column": "所属区县",
            "value": "历下区",
            "expected": "市中区",
        },
    )

    assert raised.status_code == 422
    assert "err-description" in raised.text
    assert 'value="3"' in raised.text and 'value="市中区"' in raised.text
    assert '<option value="所属区县" selected>' in raised.text
    dispute = ex.city.services.sharing.raise_dispute(
        ex.consumer, grant_id=grant_id, description="户籍所在区县有误"
    )
    provider = browser(client)
    login(provider, "gaj_steward")
    answer_form = page(provider, f"/sharing/disputes/{dispute.id}")
    # An open dispute waits for the provider's answer (the label once read 查看, a link's word).
    assert "待答复" in answer_form and "查看" not in answer_form

    answered = provider.post(
        f"/sharing/disputes/{dispute.id}/answer",
        data={
            "csrf_token": csrf_token(answer_form),
            "outcome": "corrected",
            "corrected_version": "99",
            "answer": "已在新版本中更正该区县",
        },
    )

    assert answered.status_code == 422
    assert "已在新版本中更正该区县</textarea>" in answered.text
    assert 'value="corrected" checked' in answered.text
    assert 'value="confirmed" checked' not in answered.text
    assert 'value="99"' in answered.text
    assert ex.city.services.sharing.dispute(ex.provider, dispute.id).state.value == "open"


def test_a_refused_decision_names_each_field_problem_in_chinese(
    client: TestClient, city: SmallCity, tmp_path: Path
) -> None:
    # Regression: the decision panel's field messages for items, masks and the row filter
    # were the service's English ("unknown mask 'zz'; use one of none, id_number, …").
    ex = seed_exchange(city, tmp_path, rows=5)
    sharing = ex.city.services.sharing
    req = sharing.create_request(
        ex.consumer,
        dataset_id=ex.entry_id,
        purpose="核查",
        items=["姓名", "所属区县"],
        period_days=30,
    )
    sharing.act(ex.consumer, req.id, Action.SUBMIT)
    sharing.act(ex.platform, req.id, Action.PASS)
    provider = browser(client)
    login(provider, "gaj_steward")
    both = ["姓名", "所属区县"]

    bad_mask = act(provider, req.id, action="approve", grant_items=both, **{"mask:姓名": "zz"})
    bad_op = act(
        provider,
        req.id,
        action="approve",
        grant_items=both,
        filter_item="所属区县",
        filter_op="zz",
        filter_value="历下区",
    )
    too_few = act(provider, req.id, action="approve", grant_items=["姓名"])

    assert bad_mask.status_code == bad_op.status_code == too_few.status_code == 422
    assert "请选择一种脱敏规则" in bad_mask.text and "unknown mask" not in bad_mask.text
    assert "请选择一种比较方式" in bad_op.text
    assert "如只授权部分，请选择部分同意" in too_few.text
    assert sharing.request(ex.consumer, req.id).grant_id is None


def test_english_pages_name_entries_in_english_and_fall_back_to_chinese(
    client: TestClient, city: SmallCity, tmp_path: Path
) -> None:
    # Regression: the workbench, the authority view and a request's page showed the entry's
    # Chinese name in English although the catalog had its English name.
    ex = seed_exchange(city, tmp_path, rows=5)
    sharing = ex.city.services.sharing
    req = sharing.create_request(
        ex.consumer, dataset_id=ex.entry_id, purpose="核查", items=["姓名"], period_days=30
    )
    sharing.act(ex.consumer, req.id, Action.SUBMIT)
    consumer = browser(client)
    login(consumer, "env_user")
    admin = browser(client)
    login(admin, "admin")
    for user in (consumer, admin):
        user.cookies.set("qc_lang", "en")

    pages = [
        page(consumer, "/sharing"),
        page(consumer, f"/sharing/requests/{req.id}"),
        page(admin, "/sharing/authority"),
    ]
    for html in pages:
        assert "Basic population information" in html
        assert "人口基本信息" not in html

    consumer.cookies.set("qc_lang", "zh_CN")
    assert "人口基本信息" in page(consumer, "/sharing")
    with ex.city.services.db.transaction() as s:
        entry = s.get_one(CatalogEntry, ex.entry_id)
        entry.name_en = ""
    consumer.cookies.set("qc_lang", "en")
    assert "人口基本信息" in page(consumer, "/sharing")


def test_the_history_names_people_and_departments_not_their_keys(
    client: TestClient, city: SmallCity, tmp_path: Path
) -> None:
    # Regression: 办理记录 read "gaj_steward · gaj" and "admin · bigdata".
    ex = seed_exchange(city, tmp_path, rows=5)
    with ex.city.services.db.transaction() as s:
        s.execute(update(User).where(User.username == "gaj_steward").values(display_name="王警官"))
    req_id, _ = granted_request(ex)
    sharing = ex.city.services.sharing
    later = utcnow() + timedelta(days=400)
    sharing.clock = lambda: later
    sharing.sweep()  # the grant expires: a step nobody took
    consumer = browser(client)
    login(consumer, "env_user")

    history = page(consumer, f"/sharing/requests/{req_id}").split("办理记录", 1)[1]
    consumer.cookies.set("qc_lang", "en")
    english = page(consumer, f"/sharing/requests/{req_id}").split("History", 1)[1]
    grant = page(consumer, f"/sharing/grants/{sharing.request(ex.consumer, req_id).grant_id}")

    assert "王警官 · 济南市公安局" in unescape(history)
    assert "济南市大数据局" in history and "济南市生态环境局" in history
    assert "gaj_steward" not in history and "· gaj<" not in history
    assert "王警官 · Jinan Public Security Bureau" in unescape(english)
    assert "System" in grant.split("History", 1)[1]


def test_a_request_without_an_entry_sends_the_user_to_the_catalog(
    client: TestClient, city: SmallCity
) -> None:
    """Regression: /sharing/new without ?dataset= was a bare 400 请求有误."""
    consumer = browser(client)
    login(consumer, "gaj_user")
    text = page(consumer, "/sharing/new")
    assert "<h1>申请共享数据</h1>" in text
    assert "请先在数据目录中找到所需目录" in text
    assert re.search(r'<form[^>]*action="/catalog" method="get"', text)
    assert 'href="/catalog?sharing_type=conditional"' in text
    assert "请求有误" not in text
    # Still only for those who may request: a member of the public is refused as before.
    public = browser(client)
    login(public, "citizen")
    assert public.get("/sharing/new").status_code == 403
