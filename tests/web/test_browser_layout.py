"""Layout on the audit's screens: staff at 1366×768, the open data portal on a 390px phone."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from quancheng.app import create_app
from tests.support.browser import CHROMIUM_ARGS, chromium_path
from tests.support.city import PASSWORD, seed_small_city
from tests.support.live import fresh_services, served
from tests.support.sharing import seed_exchange
from tests.web.test_browser import ARTIFACTS

pytestmark = pytest.mark.browser

STAFF = {"width": 1366, "height": 768}

# Where each main-nav link sits: its text, its right edge and its top, against the nav's right.
NAV_BOXES = """() => {
  const nav = document.querySelector('.main-nav-inner');
  const right = nav.getBoundingClientRect().right;
  return [...nav.querySelectorAll('a')].map(a => {
    const box = a.getBoundingClientRect();
    return {text: a.textContent.trim(), right: box.right, top: box.top, limit: right};
  });
}"""

# The users' rows: height and the width of every cell.
USER_ROWS = """() => [...document.querySelectorAll('tr[data-user]')].map(r => [
  Math.round(r.getBoundingClientRect().height),
  [...r.cells].map(c => Math.round(c.getBoundingClientRect().width)),
])"""

# Whether the element drawn at the middle of `selector` is that element (nothing lies over it).
ON_TOP = """(selector) => {
  const target = document.querySelector(selector);
  target.scrollIntoView({block: 'end'});
  const box = target.getBoundingClientRect();
  const hit = document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2);
  return target === hit || target.contains(hit);
}"""


# Every category axis of the page's charts: how many labels it has, shows, and how it fits them.
CATEGORY_AXES = """() => [...document.querySelectorAll('[data-chart]')].flatMap(el => {
  const chart = window.echarts && window.echarts.getInstanceByDom(el);
  if (!chart) { return []; }
  const model = chart.getModel();
  return ['xAxis', 'yAxis'].map(kind => model.getComponent(kind, 0))
    .filter(axis => axis && axis.axis.type === 'category')
    .map(axis => ({
      chart: el.dataset.chart,
      labels: axis.axis.scale.getOrdinalMeta().categories.length,
      shown: axis.axis.getViewLabels().length,
      overflow: axis.get('axisLabel').overflow,
    }));
})"""


@pytest.fixture
def staff_site(tmp_path: Path) -> Iterator[str]:
    """A small city with a sharing request, so the scorecards have a chart."""
    services = fresh_services(tmp_path)
    seed_exchange(seed_small_city(services), tmp_path)
    try:
        with served(create_app(services.settings, services=services)) as url:
            yield url
    finally:
        services.close()


def log_in(page: Any, url: str, username: str) -> None:
    page.goto(f"{url}/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click(".login-card button[type=submit]")
    page.locator(".user-chip").wait_for()


def test_an_administrator_sees_the_whole_menu_forms_and_tables_at_1366(staff_site: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    problems: list[str] = []
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            page = chromium.new_page(viewport=STAFF, locale="zh-CN")
            # A refused form answers 422, which Chromium logs; only script errors count here.
            page.on("pageerror", lambda e: problems.append(str(e)))
            log_in(page, staff_site, "admin")

            # Regression: in English "Developer API" was cut to "De…" past the nav's edge.
            for lang in ("zh_CN", "en"):
                page.goto(f"{staff_site}/lang/{lang}?next=/")
                links = page.evaluate(NAV_BOXES)
                assert len(links) >= 12, links  # an administrator's longest menu
                assert all(a["right"] <= a["limit"] + 0.5 for a in links), (lang, links)
                assert len({round(a["top"]) for a in links}) == 1, (lang, links)
            page.goto(f"{staff_site}/lang/zh_CN?next=/")

            # Regression: the sticky 提交需求 bar lay over 说明 and its error after a failed send.
            page.goto(f"{staff_site}/open/requests/new")
            page.evaluate("document.querySelector('form.stack-form').noValidate = true")
            page.click("form.stack-form button[type=submit]")
            expect(page.locator(".field.has-error")).not_to_have_count(0)
            for field in ("#f-title", "#f-description", "#f-purpose", "#f-department"):
                assert page.evaluate(ON_TOP, field), f"something covers {field}"
            page.screenshot(path=str(ARTIFACTS / "request-new-1366.png"))

            # Regression: opening one user's 管理 panel squeezed every row's columns.
            page.goto(f"{staff_site}/users")
            closed = page.evaluate(USER_ROWS)
            page.click('tr[data-user="gaj_user"] .user-manage-link')
            panel = page.locator('tr[data-manage="gaj_user"]')
            expect(panel).to_be_visible()
            expect(page.locator('tr[data-manage="gaj_steward"]')).to_be_hidden()
            assert page.evaluate(USER_ROWS) == closed
            assert (
                panel.bounding_box()["width"]
                >= 0.9 * page.locator(".user-table").bounding_box()["width"]
            )  # type: ignore[index]
            page.screenshot(path=str(ARTIFACTS / "users-manage-1366.png"))
            # Regression: category charts skipped half their labels and cut long ones short
            # ("Coordination by the author…" on the scorecards).
            for path in ("/governance", "/"):
                page.goto(staff_site + path)
                page.locator("[data-chart] canvas").first.wait_for()
                axes = page.evaluate(CATEGORY_AXES)
                assert axes, path
                for axis in axes:
                    assert axis["shown"] == axis["labels"], (path, axis)
                    assert axis["overflow"] == "break", (path, axis)
        finally:
            chromium.close()
    assert problems == []
