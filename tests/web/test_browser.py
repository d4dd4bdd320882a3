"""A visitor and a steward in a real Chromium: figures, charts, htmx search, languages, editor."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from quancheng.app import create_app
from tests.support.browser import CHROMIUM_ARGS, chromium_path
from tests.support.city import PASSWORD, seed_small_city
from tests.support.live import fresh_services, served
from tests.web.support import publish

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
ENTRIES = (
    (
        "env_steward",
        "sthjj",
        {
            "name": "公交线路站点信息",
            "name_en": "Bus routes and stops",
            "abstract": "全市公交线路、站点位置和首末班时间，供出行服务和交通规划使用。",
            "keywords": ["公交", "出行"],
            "update_cycle": "daily",
        },
    ),
    ("env_steward", "sthjj", {}),
    (
        "env_steward",
        "sthjj",
        {
            "name": "重点排污单位名录",
            "name_en": "Key pollutant-discharging units",
            "update_cycle": "monthly",
            "abstract": "纳入重点排污单位名录的企业名称、地址和主要污染物。",
            "open_type": "conditional",
            "open_conditions": "实名注册后申请",
        },
    ),
    (
        "gaj_steward",
        "gaj",
        {
            "name": "户籍人口统计",
            "name_en": "Registered population statistics",
            "classification_code": "101001",
            "abstract": "按区县和街道汇总的户籍人口数量。",
            "sharing_type": "conditional",
            "sharing_conditions": "仅限政务服务使用",
            "legal_basis": "《中华人民共和国户口登记条例》",
            "open_type": "closed",
            "update_cycle": "quarterly",
            "security_grade": "important",
        },
    ),
    (
        "gaj_steward",
        "gaj",
        {
            "name": "居民身份证办理网点",
            "name_en": "Identity card service points",
            "classification_code": "101001",
            "abstract": "全市居民身份证受理网点名称、地址和办公时间。",
        },
    ),
    (
        "admin",
        "bigdata",
        {
            "name": "政务数据共享交换记录",
            "name_en": "Government data exchange log",
            "sharing_type": "none",
            "legal_basis": "《中华人民共和国数据安全法》",
            "open_type": "closed",
            "abstract": "部门间数据共享交换的调用记录。",
        },
    ),
)


@pytest.fixture
def site(tmp_path: Path) -> Iterator[str]:
    """The app of a small seeded city, served by uvicorn on 127.0.0.1 in a thread."""
    services = fresh_services(tmp_path)
    city = seed_small_city(services)
    for user, department, fields in ENTRIES:
        publish(services, city.principals[user], department, **fields)
    try:
        with served(create_app(services.settings, services=services)) as url:
            yield url
    finally:
        services.db.dispose()


def test_a_visitor_searches_and_a_steward_publishes(site: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    problems: list[str] = []
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            page = chromium.new_page(viewport={"width": 1366, "height": 900}, locale="zh-CN")
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: problems.append(str(e)))
            page.on("dialog", lambda d: d.accept())

            # Home: the figures, and ECharts drawing on canvases.
            page.goto(site + "/")
            expect(page.locator('[data-figure="datasets"]')).to_have_text("6")
            expect(page.locator('[data-figure="departments"]')).to_have_text("3")
            expect(page.locator(".chart-card.is-live canvas").first).to_be_visible()
            assert page.locator(".chart-card.is-live").count() == 3
            page.wait_for_timeout(600)  # let the chart animation finish for the screenshot
            page.hover('[data-chart="sharing"] canvas')  # a tooltip must not trip the CSP
            page.hover('[data-chart="departments"] canvas')
            page.screenshot(path=str(ARTIFACTS / "home.png"), full_page=True)

            # Search from the home page, then type in the catalog's box: htmx swaps the results.
            page.fill("#home-q", "公交")
            page.press("#home-q", "Enter")
            page.wait_for_url("**/catalog?q=*")
            results = page.locator("#results .entry-card h3 a")
            expect(results).to_have_count(1)
            expect(results.first).to_have_text("公交线路站点信息")
            page.evaluate("window.__samePage = true")
            page.fill("#q", "")
            page.locator("#q").press_sequentially("gongjiao", delay=30)
            page.wait_for_url("**/catalog?*q=gongjiao*")
            expect(results).to_have_count(1)
            expect(results.first).to_have_text("公交线路站点信息")
            page.fill("#q", "")
            expect(results).to_have_count(6)
            page.click('.facet-option:has-text("市公安局")')
            page.wait_for_url("**department=gaj*")
            expect(results).to_have_count(2)
            expect(page.locator(".active-filters .chip").first).to_contain_text("市公安局")
            assert page.evaluate("window.__samePage === true"), "htmx should not reload the page"
            page.screenshot(path=str(ARTIFACTS / "search.png"), full_page=True)
            page.click(".active-filters .chip >> nth=0")
            expect(results).to_have_count(6)

            # An entry, in Chinese, then in English, then back.
            page.fill("#q", "公交")
            expect(results).to_have_count(1)
            results.first.click()
            expect(page.locator("h1")).to_have_text("公交线路站点信息")
            expect(page.locator(".meta-grid").first).to_contain_text("信息资源提供方")
            page.screenshot(path=str(ARTIFACTS / "entry.png"), full_page=True)
            page.click("a[data-lang-link][lang=en]")
            expect(page.locator(".meta-grid").first).to_contain_text("Provider")
            expect(page.locator(".badges-large")).to_contain_text("Unconditional sharing")
            page.click("a[data-lang-link][lang=zh-CN]")
            expect(page.locator(".badges-large")).to_contain_text("无条件共享")

            # A steward logs in and writes a new entry with an extra data item row.
            page.click(".login-link")
            page.fill("#username", "env_steward")
            page.fill("#password", PASSWORD)
            page.click(".login-card button[type=submit]")
            page.goto(site + "/workspace")
            expect(page.locator("h1")).to_have_text("工作台")
            page.click('a.button-primary[href="/workspace/new"]')
            page.fill("#f-name", "城区噪声自动监测数据")
            page.fill("#f-name_en", "Urban noise monitoring data")
            page.select_option("#f-classification_code", "210001")
            page.fill("#f-abstract", "城区功能区噪声自动监测站逐小时等效声级。")
            page.fill("#f-keywords", "噪声, 声环境")
            page.select_option("#f-update_cycle", "realtime")
            page.select_option("#f-open_type", "open")
            page.fill("#items-0-name", "监测站点")
            page.fill("#items-0-length", "50")
            page.click("[data-add-row]")
            expect(page.locator("[data-item-row]")).to_have_count(2)
            page.fill("#items-1-name", "等效声级")
            page.select_option("#items-1-data_type", "F")
            page.fill("#items-1-description", "单位：分贝")
            page.screenshot(path=str(ARTIFACTS / "editor.png"), full_page=True)
            page.click(".form-actions .button-primary")
            expect(page.locator(".flash")).to_have_text("草稿已保存。")
            expect(page.locator(".data-table")).to_contain_text("等效声级")
            page.click("text=提交审核")
            expect(page.locator(".flash")).to_have_text("目录已提交审核。")
            page.click(".action-list >> text=发布")
            expect(page.locator(".flash")).to_have_text("目录已发布。")
            expect(page.locator(".entry-title .status")).to_have_text("已发布")

            # The new entry is found by the public search.
            page.goto(site + "/catalog")
            page.locator("#q").press_sequentially("噪声", delay=30)
            expect(results).to_have_count(1)
            expect(results.first).to_have_text("城区噪声自动监测数据")
        finally:
            chromium.close()
    assert problems == [], "the pages logged errors (a CSP violation shows up here too)"
