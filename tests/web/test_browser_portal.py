"""The open-data portal in a real Chromium: a visitor builds a chart from a grouped query."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from quancheng.app import create_app
from tests.support.browser import CHROMIUM_ARGS, chromium_path
from tests.support.city import seed_small_city
from tests.support.live import fresh_services, served
from tests.web.support import publish
from tests.web.test_browser import ARTIFACTS

pytestmark = pytest.mark.browser

CSV = (
    "监测站点,监测时间,PM2.5浓度\n"
    "泉城广场,2024-01-05 08:00,35.5\n"
    "省种子仓库,2024-01-05 09:00,41\n"
    "泉城广场,2024-01-05 09:00,30\n"
    "奥体中心,2024-01-05 09:00,28\n"
)


@dataclass
class Site:
    url: str
    entry_id: int


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    """A city whose environment bureau publishes open air-quality data with rows loaded."""
    services = fresh_services(tmp_path)
    city = seed_small_city(services)
    entry_id = publish(services, city.principals["env_steward"], "sthjj")
    path = tmp_path / "air.csv"
    path.write_text(CSV, encoding="utf-8")
    job = services.datastore.start_load(
        city.principals["env_steward"], entry_id, source_name=path.name
    )
    assert services.datastore.run_load(job.id, path).status == "succeeded"
    try:
        with served(create_app(services.settings, services=services)) as url:
            yield Site(url, entry_id)
    finally:
        services.close()


def test_a_visitor_draws_a_chart_of_a_grouped_query_on_a_phone(site: Site) -> None:
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    problems: list[str] = []
    grouped: list[str] = []
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            page = chromium.new_page(viewport={"width": 390, "height": 844}, locale="zh-CN")
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: problems.append(str(e)))
            page.on("request", lambda r: grouped.append(r.url) if "_group_by" in r.url else None)
            # From the portal's home, a search leads to the entry.
            page.goto(f"{site.url}/open")
            page.screenshot(path=str(ARTIFACTS / "portal-home.png"), full_page=True)
            page.fill("#portal-q", "空气")
            page.press("#portal-q", "Enter")
            page.click(f'a[href="/open/datasets/{site.entry_id}"] >> nth=0')
            expect(page.locator("h1")).to_contain_text("空气质量小时监测数据")
            expect(page.locator("#preview table")).to_contain_text("省种子仓库")

            # Regression: the chart area was ~400px of blank space until 绘制 was pressed.
            # It draws the counts per station at once, and the page fits the phone.
            expect(page.locator("#portal-chart")).to_have_attribute("data-drawn", "bar")
            expect(page.locator("#cb-group option:checked")).to_have_text("监测站点")
            assert page.evaluate("document.documentElement.scrollWidth") <= 390

            page.select_option("#cb-type", "bar")
            page.select_option("#cb-group", label="监测站点")
            page.select_option("#cb-agg", "avg")
            page.select_option("#cb-value", label="PM2.5浓度")
            page.click("#chart-builder button[type=submit]")
            expect(page.locator("#portal-chart canvas")).to_have_count(1)
            expect(page.locator("#portal-chart")).to_have_attribute("data-drawn", "bar")
            canvas = page.locator("#portal-chart canvas")
            expect(canvas).to_be_visible()
            box = canvas.bounding_box()
            assert box is not None and box["width"] > 250 and box["height"] > 200, box

            page.select_option("#cb-type", "pie")
            page.select_option("#cb-agg", "count")
            page.click("#chart-builder button[type=submit]")
            expect(page.locator("#portal-chart")).to_have_attribute("data-drawn", "pie")
            expect(page.locator("#chart-status")).to_have_text("")
            page.screenshot(path=str(ARTIFACTS / "portal-chart.png"), full_page=True)

            # Regression: /open/index was 413px wide on a phone, its tables wrapping names
            # two or three characters a line.
            page.goto(f"{site.url}/open/index")
            assert page.evaluate("document.documentElement.scrollWidth") <= 390
            names = page.locator(".index-table th[scope=row]")
            expect(names.first).to_be_visible()
            assert names.first.bounding_box()["width"] >= 140  # type: ignore[index]
        finally:
            chromium.close()

    assert problems == []
    assert any("_agg=avg%3A" in url for url in grouped), grouped
    assert any("_agg=count" in url for url in grouped), grouped
