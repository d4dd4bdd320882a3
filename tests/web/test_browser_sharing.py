"""The sharing workbench in a real Chromium: a provider decides on one screen, the grant's chart."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from quancheng.app import create_app
from quancheng.sharing.model import Action
from tests.support.browser import CHROMIUM_ARGS, chromium_path
from tests.support.city import PASSWORD, seed_small_city
from tests.support.live import fresh_services, served
from tests.support.sharing import Exchange, seed_exchange
from tests.web.test_browser import ARTIFACTS

pytestmark = pytest.mark.browser


@dataclass
class Site:
    url: str
    exchange: Exchange
    request_id: int


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    """A city with the police's population entry and a request waiting for the police."""
    services = fresh_services(tmp_path)
    ex = seed_exchange(seed_small_city(services), tmp_path)
    request = services.sharing.create_request(
        ex.consumer,
        dataset_id=ex.entry_id,
        purpose="城市管理执法核查",
        items=["姓名", "公民身份号码", "所属区县", "人数"],
        period_days=90,
    )
    services.sharing.act(ex.consumer, request.id, Action.SUBMIT)
    services.sharing.act(ex.platform, request.id, Action.PASS)
    try:
        with served(create_app(services.settings, services=services)) as url:
            yield Site(url, ex, request.id)
    finally:
        services.close()


def test_a_provider_grants_some_items_masked_and_filtered_on_one_screen(site: Site) -> None:
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    problems: list[str] = []
    services = site.exchange.city.services
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            page = chromium.new_page(viewport={"width": 1366, "height": 900}, locale="zh-CN")
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: problems.append(str(e)))
            page.goto(site.url + "/login")
            page.fill("#username", "gaj_steward")
            page.fill("#password", PASSWORD)
            page.click(".login-card button[type=submit]")

            # The inbox lists the request; its page is the one-screen decision.
            page.goto(site.url + "/sharing?tab=inbox")
            page.click(f'a[href="/sharing/requests/{site.request_id}"] >> nth=0')
            expect(page.locator("h1")).to_contain_text("人口基本信息")
            page.uncheck('input[name="grant_items"][value="姓名"]')
            page.select_option('select[name="mask:公民身份号码"]', "id_number")
            page.select_option("#f-filter_item", "所属区县")
            page.fill("#f-filter_value", "历下区")
            page.fill("#f-quota_per_day", "500")
            page.screenshot(path=str(ARTIFACTS / "sharing-decision.png"), full_page=True)
            page.click('button[name="action"][value="partial"]')
            expect(page.locator(".flash")).to_be_visible()
            expect(page.locator(".entry-title")).to_contain_text("部分同意")
        finally:
            chromium.close()

    view = services.sharing.request(site.exchange.provider, site.request_id)
    assert view.grant_id is not None
    grant = services.sharing.grant(site.exchange.provider, view.grant_id)
    assert set(grant.items) == {"公民身份号码", "所属区县", "人数"}
    assert grant.masks == {"公民身份号码": "id_number"}
    assert grant.row_filter == (("所属区县", "eq", "历下区"),)
    assert grant.quota_per_day == 500
    # The consumer reads through it; the grant page draws the day's calls as a chart.
    rows = services.reads.rows(site.exchange.consumer, site.exchange.entry_id, [], total=True)
    assert {r[1] for r in rows.page.rows} == {"历下区"}
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            page = chromium.new_page(viewport={"width": 1366, "height": 900}, locale="zh-CN")
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: problems.append(str(e)))
            page.goto(site.url + "/login")
            page.fill("#username", "env_user")
            page.fill("#password", PASSWORD)
            page.click(".login-card button[type=submit]")
            page.goto(site.url + f"/sharing/grants/{view.grant_id}")
            expect(page.locator(".chart-card.is-live canvas").first).to_be_visible()
            page.wait_for_timeout(600)
            page.screenshot(path=str(ARTIFACTS / "sharing-grant.png"), full_page=True)
        finally:
            chromium.close()
    assert problems == [], "the pages logged errors (a CSP violation shows up here too)"
