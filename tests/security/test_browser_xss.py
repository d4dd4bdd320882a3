"""Stored XSS: what users type is shown as text in a real Chromium, never run or parsed as HTML."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from quancheng.app import create_app
from quancheng.db.models import (
    OpsAlarm,
    OpsEntity,
    PortalDataRequest,
    PortalFeedback,
    PortalReuse,
    PortalReuseEntry,
)
from quancheng.errors import ValidationFailed
from quancheng.sharing.model import Action
from tests.support.browser import CHROMIUM_ARGS, chromium_path
from tests.support.city import PASSWORD, entry_fields, seed_small_city
from tests.support.live import fresh_services, served
from tests.web.support import publish

pytestmark = pytest.mark.browser

IMG = "<img src=x onerror=window.__xss=1>"
SCRIPT = '"><script>window.__xss=1</script>'
SVG = "<svg onload=window.__xss=1>"
JS_URL = "javascript:window.__xss=1"

# Whatever escaping failed, one of these would be in the DOM as an element.
INJECTED = """() => ({
  xss: window.__xss,
  img: document.querySelectorAll('img[src="x"]').length,
  svg: document.querySelectorAll('svg[onload]').length,
  script: [...document.scripts].filter(s => s.textContent.includes('__xss')).length,
  js_links: [...document.querySelectorAll('a[href], form[action], iframe[src]')]
    .filter(e => (e.getAttribute('href') || e.getAttribute('action') || e.getAttribute('src'))
      .trim().toLowerCase().startsWith('javascript:')).length,
})"""
CLEAN = {"xss": None, "img": 0, "svg": 0, "script": 0, "js_links": 0}


@dataclass
class Site:
    url: str
    ids: dict[str, int] = field(default_factory=dict)


def csv_with_payloads(path: Path) -> Path:
    rows = [
        "监测站点,监测时间,PM2.5浓度",
        f'"{IMG}",2024-01-05 08:00,35.5',
        f'"{SCRIPT.replace(chr(34), chr(34) * 2)}",2024-01-05 09:00,41',
        f"{SVG},2024-01-05 10:00,30",
    ]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    """A city where every free-text field users fill holds a script-injection attempt."""
    services = fresh_services(tmp_path)
    city = seed_small_city(services)
    env = city.principals["env_steward"]
    entry_id = publish(services, env, "sthjj", name=f"空气{IMG}", abstract=f"{SCRIPT} {SVG}")
    job = services.datastore.start_load(env, entry_id, source_name="air.csv")
    loaded = services.datastore.run_load(job.id, csv_with_payloads(tmp_path / "air.csv"))
    assert loaded.status == "succeeded", loaded
    with services.db.transaction() as s:
        request = PortalDataRequest(
            title=f"公交{IMG}",
            description=SCRIPT,
            department_id=city.departments["sthjj"],
            state="answered",
            answer=SVG,
        )
        comment = PortalFeedback(
            entry_id=entry_id,
            kind="comment",
            rating=4,
            body=SCRIPT,
            state="published",
            reply=IMG,
        )
        reuse = PortalReuse(
            title=f"地图{SCRIPT}",
            kind="app",
            description=IMG,
            # Submissions refuse javascript: addresses (test below); this one breaks out of href.
            url=f"https://example.org/{SCRIPT}",
            organisation=SVG,
            state="approved",
        )
        s.add_all([request, comment, reuse])
        s.flush()
        s.add(PortalReuseEntry(reuse_id=reuse.id, entry_id=entry_id))
        ids = {"entry": entry_id, "data_request": request.id, "reuse": reuse.id}
    # The exchange: 生态环境局 asks 公安局 with a purpose and 公安局 returns it with a reason.
    gaj = city.principals["gaj_steward"]
    closed = entry_fields(
        name=f"违法记录{SVG}",
        sharing_type="conditional",
        sharing_conditions=IMG,
        legal_basis="《中华人民共和国数据安全法》",
        open_type="closed",
    )
    gaj_entry = services.catalog.create(gaj, department="gaj", fields=closed)
    services.catalog.submit(gaj, gaj_entry.id)
    services.catalog.publish(gaj, gaj_entry.id)
    sharing = services.sharing
    asked = sharing.create_request(
        env, dataset_id=gaj_entry.id, purpose=f"执法{IMG}", items=["监测站点"], period_days=30
    )
    sharing.act(env, asked.id, Action.SUBMIT)
    sharing.act(city.principals["admin"], asked.id, Action.PASS)
    sharing.act(gaj, asked.id, Action.RETURN, reason=f"补充{SCRIPT}")
    ids["sharing_request"] = asked.id
    # Accounts: a colleague's display name (staff may choose any printable name) on the
    # administrators' user list, and a token's name on its owner's account page.
    services.identity.update_user(city.principals["admin"], "gaj_user", display_name=f"李四{IMG}")
    services.identity.issue_token(gaj, name=f"接口{SCRIPT}")
    # The operations desk: a rule's name, an alarm's stored message, a schedule's name.
    station = "urn:ngsi-ld:AirQualityObserved:xss-1"
    with services.db.transaction() as s:
        s.add(
            OpsEntity(
                id=station, type="AirQualityObserved", department_id=city.departments["sthjj"]
            )
        )
    rule = services.alarms.create_rule(
        env,
        {
            "name": f"PM2.5{SCRIPT}",
            "entity_type": "AirQualityObserved",
            "kind": "threshold",
            "attribute": "PM2_5",
            "operator": ">",
            "threshold": 115.0,
        },
    )
    with services.db.transaction() as s:
        alarm = OpsAlarm(
            rule_id=rule.id,
            entity_id=station,
            department_id=city.departments["sthjj"],
            dedupe_key=f"rule:{rule.id}|{station}",
            kind="threshold",
            severity="major",
            state="active",
            message=SVG,
        )
        s.add(alarm)
        s.flush()
        ids["alarm"] = alarm.id
    ids["schedule"] = services.commands.create_schedule(
        gaj, name=f"夜间{IMG}", program={"kind": "fixed", "on": "18:30", "off": "06:00"}
    ).id
    try:
        with served(create_app(services.settings, services=services)) as url:
            yield Site(url, ids)
    finally:
        services.close()


PUBLIC_PAGES = [
    "/",
    "/catalog",
    "/catalog/{entry}",
    "/catalog/{entry}/data",
    "/open",
    "/open/datasets/{entry}",
    "/open/requests",
    "/open/requests/{data_request}",
    "/open/reuses",
    "/open/reuses/{reuse}",
    "/ledger",
    # Reflected, not stored: the search box's words come back on the results page.
    "/catalog?q=" + IMG,
    "/open/search?q=" + SCRIPT,
]
MEMBER_PAGES = [
    "/workspace",
    "/sharing",
    "/sharing?tab=inbox",
    "/sharing/requests/{sharing_request}",
    "/account",
    "/ops/alarms",
    "/ops/alarms/{alarm}",
    "/ops/rules",
    "/ops/schedules",
    "/ops/schedules/{schedule}",
]
ADMIN_PAGES = ["/users"]
# Pages on which a payload must be readable as text (escaped, not dropped).
SHOWN = {
    "/catalog/{entry}": [IMG, SCRIPT],
    "/catalog/{entry}/data": [IMG],
    "/open/datasets/{entry}": [IMG, SCRIPT],
    "/open/requests/{data_request}": [IMG, SCRIPT, SVG],
    "/open/reuses/{reuse}": [SCRIPT, IMG],
    "/sharing/requests/{sharing_request}": [IMG, SCRIPT],
    "/account": [SCRIPT],
    "/users": [IMG],
    "/ops/alarms/{alarm}": [SCRIPT, SVG],
    "/ops/rules": [SCRIPT],
    "/ops/schedules": [IMG],
    "/ops/schedules/{schedule}": [IMG],
}


def check(page: Any, url: str, path: str) -> list[str]:
    """Open a page; return what went wrong on it."""
    problems: list[str] = []
    response = page.goto(url)
    if response is None or response.status >= 500:
        return [f"{path}: {response.status if response else 'no response'}"]
    page.wait_for_timeout(150)  # an onerror fires after the image request fails
    found = page.evaluate(INJECTED)
    if found != CLEAN:
        problems.append(f"{path}: {found}")
    text = page.locator("body").inner_text()
    for payload in SHOWN.get(path, []):
        if payload not in text:
            problems.append(f"{path}: {payload!r} is not shown as text")
    return problems


def test_no_free_text_runs_as_script_on_any_page(site: Site) -> None:
    from playwright.sync_api import sync_playwright

    problems: list[str] = []
    blocked: list[str] = []
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            page = chromium.new_page(locale="zh-CN")
            # A CSP report means markup got through escaping and only the policy stopped it.
            page.on(
                "console",
                lambda m: blocked.append(m.text) if "Content Security Policy" in m.text else None,
            )
            for path in PUBLIC_PAGES:
                problems += check(page, site.url + path.format(**site.ids), path)
            for username, paths in (("gaj_steward", MEMBER_PAGES), ("gaj_admin", ADMIN_PAGES)):
                page.context.clear_cookies()
                page.goto(site.url + "/login")
                page.fill("#username", username)
                page.fill("#password", PASSWORD)
                page.click(".login-card button[type=submit]")
                page.wait_for_url(lambda u: "/login" not in u)
                for path in paths:
                    problems += check(page, site.url + path.format(**site.ids), path)
        finally:
            chromium.close()
    assert problems == []
    assert blocked == []


def test_a_reuse_cannot_link_to_a_javascript_address(tmp_path: Path) -> None:
    services = fresh_services(tmp_path)
    try:
        city = seed_small_city(services)
        entry_id = publish(services, city.principals["env_steward"], "sthjj")
        for url in (JS_URL, " JavaScript:window.__xss=1", "data:text/html,<script>1</script>"):
            with pytest.raises(ValidationFailed) as refused:
                services.interaction.submit_reuse(
                    city.principals["citizen"],
                    title="地图",
                    kind="app",
                    description="说明",
                    url=url,
                    entries=[entry_id],
                )
            assert {e.field for e in refused.value.errors} == {"url"}
    finally:
        services.close()
