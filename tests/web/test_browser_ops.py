"""The big screen in a real Chromium: the map draws, pushes arrive, an operator acknowledges."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from quancheng.app import create_app
from quancheng.db.models import OpsAlarm, OpsEntity
from quancheng.demo.devices import seed_devices
from quancheng.operations.model import STREETLIGHT
from tests.support.browser import CHROMIUM_ARGS, chromium_path
from tests.support.city import PASSWORD, SmallCity, seed_small_city
from tests.support.live import fresh_services, served
from tests.web.test_browser import ARTIFACTS

pytestmark = pytest.mark.browser


@dataclass
class Site:
    url: str
    city: SmallCity
    alarm_id: int
    raised_at: datetime


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    """A city with a small fleet (公安局 standing in for 城市管理局) and one active lamp alarm."""
    services = fresh_services(tmp_path)
    city = seed_small_city(services)
    seed_devices(
        services,
        seed=4,
        owners={"cgj": "gaj", "jtysj": "gaj", "swj": "sthjj"},
        lamps=600,
        cabinets=12,
        groups=24,
        air_stations=12,
        traffic_counters=12,
        springs=8,
    )
    raised_at = (datetime.now(UTC) - timedelta(minutes=3)).replace(microsecond=0)
    with services.db.transaction() as s:
        lamp = s.scalars(select(OpsEntity).where(OpsEntity.type == STREETLIGHT).limit(1)).one()
        alarm = OpsAlarm(
            entity_id=lamp.id,
            department_id=lamp.department_id,
            dedupe_key=f"flag:lampFailure|{lamp.id}",
            kind="flag",
            severity="major",
            state="active",
            message="lampFailure",
            raised_at=raised_at,
        )
        s.add(alarm)
        s.flush()
        alarm_id = alarm.id
    try:
        with served(create_app(services.settings, services=services)) as url:
            yield Site(url, city, alarm_id, raised_at)
    finally:
        services.close()


def test_the_wall_draws_the_map_and_an_operator_acknowledges_an_alarm(site: Site) -> None:
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    problems: list[str] = []
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            # A browser in another time zone than the city's: the screen still shows Jinan time.
            page = chromium.new_page(
                viewport={"width": 1920, "height": 1080},
                locale="zh-CN",
                timezone_id="Europe/London",
            )
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: problems.append(str(e)))
            page.goto(site.url + "/login")
            page.fill("#username", "gaj_steward")
            page.fill("#password", PASSWORD)
            page.click(".login-card button[type=submit]")
            page.goto(site.url + "/ops")
            # The map is drawn on a canvas from the shipped GeoJSON; every panel has its chart.
            expect(page.locator('[data-chart="map"] canvas')).to_be_visible()
            for name in ("lamps", "energy", "air", "traffic", "springs", "trends"):
                expect(page.locator(f'[data-chart="{name}"] canvas')).to_be_visible()
            # Server push arrives (SSE): the status says live.
            expect(page.locator("[data-live].is-live")).to_be_visible(timeout=15_000)
            expect(page.locator('[data-kpi="lamps.total"]')).to_have_text("600")
            # On the wall everything fits on one screen: no scrolling.
            height = page.evaluate("document.documentElement.scrollHeight")
            assert height <= 1080 + 2
            page.wait_for_timeout(800)
            page.screenshot(path=str(ARTIFACTS / "ops-wall.png"))
            # The districts' table opens over the board as a solid sheet (it was see-through,
            # its headers over the figures).
            page.click(".ops-table summary")
            sheet = page.evaluate(
                "(() => { const s = getComputedStyle(document.querySelector('.ops-table'));"
                " return [s.position, s.backgroundImage, s.backgroundColor]; })()"
            )
            assert sheet == ["fixed", "none", "rgb(13, 27, 46)"], sheet
            page.click(".ops-table summary")
            page.click('[data-layer="faulty"]')
            expect(page.locator('[data-layer="faulty"]')).to_have_attribute("aria-pressed", "true")
            # The operator of the lamps' department acknowledges the alarm from the screen.
            button = page.locator(f'[data-alarm="{site.alarm_id}"] button')
            expect(button).to_be_visible()
            # Regression: the alarm's time was the browser's and the trend axis UTC hours.
            jinan = site.raised_at.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%H:%M")
            when = page.locator(f'[data-alarm="{site.alarm_id}"] time')
            expect(when).to_contain_text(jinan)
            button.click()
            expect(page.locator("[data-alarm-msg]")).to_have_text("已确认", timeout=10_000)
            # A laptop: the same page, in columns, still drawing the map.
            page.set_viewport_size({"width": 1366, "height": 768})
            page.wait_for_timeout(400)
            expect(page.locator('[data-chart="map"] canvas')).to_be_visible()
            page.screenshot(path=str(ARTIFACTS / "ops-laptop.png"), full_page=True)
        finally:
            chromium.close()
    with site.city.services.db.reader() as s:
        assert s.get_one(OpsAlarm, site.alarm_id).state == "acknowledged"
    assert problems == [], "the page logged errors (a CSP violation shows up here too)"
