"""The sharing scorecards as a department head reads them."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient

from quancheng.sharing.model import Action
from tests.support.city import SmallCity
from tests.support.sharing import seed_exchange
from tests.web.support import browser, login


def figure(html: str, name: str) -> str:
    found = re.search(rf'data-figure="{name}"[^>]*>([^<]*)<', html)
    assert found, name
    return found[1].strip()


def test_scorecards_show_the_citys_figures_and_each_departments_score(
    client: TestClient, city: SmallCity, tmp_path: Path
) -> None:
    ex = seed_exchange(city, tmp_path)
    sharing = city.services.sharing
    request = sharing.create_request(
        ex.consumer, dataset_id=ex.entry_id, purpose="执法核查", items=["所属区县"], period_days=30
    )
    sharing.act(ex.consumer, request.id, Action.SUBMIT)
    sharing.act(ex.platform, request.id, Action.PASS)
    sharing.act(ex.provider, request.id, Action.APPROVE)
    web = browser(client)
    login(web, "gaj_user")

    page = web.get("/governance")
    police = web.get("/governance/gaj")

    assert page.status_code == 200
    assert "济南市人民政府" in page.text  # the layout's city name, not shadowed by the figures
    # One published entry, conditional: the whole city's catalog is shareable.
    assert figure(page.text, "shareable") == "1 / 1"
    assert figure(page.text, "sharing_rate") == "100.0%"
    assert figure(page.text, "on_time_rate") == "100.0%"
    assert figure(page.text, "grants_active") == "1"
    assert "济南市公安局" in page.text and 'href="/governance/gaj"' in page.text
    assert police.status_code == 200
    assert figure(police.text, "requests_received") == "1"
    assert figure(police.text, "overdue") == "0"


def test_scorecards_are_for_government_users(client: TestClient, city: SmallCity) -> None:
    web = browser(client)
    anonymous = web.get("/governance", follow_redirects=False)
    login(web, "citizen")
    citizen = web.get("/governance")
    unknown_for_citizen = web.get("/governance/gaj")

    assert anonymous.status_code in (302, 303, 307)
    assert citizen.status_code == 403
    assert unknown_for_citizen.status_code == 403


def test_an_unknown_department_has_no_scorecard_and_both_languages_render(
    client: TestClient, city: SmallCity
) -> None:
    web = browser(client)
    login(web, "admin")

    chinese = web.get("/governance")
    web.get("/lang/en")
    english = web.get("/governance")

    assert web.get("/governance/nowhere").status_code == 404
    assert "共享考核评分" in chinese.text
    assert "Sharing scorecards" in english.text and "共享考核评分" not in english.text


def test_old_scorecard_bookmarks_lead_to_the_governance_pages(
    client: TestClient, city: SmallCity
) -> None:
    web = browser(client)
    login(web, "gaj_user")

    city_page = web.get("/metrics")
    department = web.get("/metrics/gaj")
    followed = web.get("/metrics/gaj", follow_redirects=True)

    # 308 keeps the method; the bare /metrics is Prometheus text for scrapers (not HTML).
    assert (city_page.status_code, city_page.headers["location"]) == (308, "/governance")
    assert (department.status_code, department.headers["location"]) == (308, "/governance/gaj")
    assert followed.status_code == 200 and figure(followed.text, "requests_received") == "0"
    assert client.get("/metrics/gaj").status_code == 404  # a scraper gets no page


def test_the_busiest_grants_are_named_in_the_pages_language(
    client: TestClient, city: SmallCity, tmp_path: Path
) -> None:
    # Regression: in English the table showed the entry's and departments' Chinese names.
    ex = seed_exchange(city, tmp_path, rows=5)
    sharing = city.services.sharing
    request = sharing.create_request(
        ex.consumer, dataset_id=ex.entry_id, purpose="执法核查", items=["所属区县"], period_days=30
    )
    sharing.act(ex.consumer, request.id, Action.SUBMIT)
    sharing.act(ex.platform, request.id, Action.PASS)
    sharing.act(ex.provider, request.id, Action.APPROVE)
    city.services.reads.rows(ex.consumer, ex.entry_id, [("_limit", "2")], total=False)
    city.services.access.flush()
    web = browser(client)
    login(web, "admin")

    chinese = web.get("/governance").text.split("调用最多的授权", 1)[1]
    web.get("/lang/en")
    english = web.get("/governance").text.split("Busiest grants", 1)[1]

    assert "人口基本信息" in chinese and "济南市公安局" in chinese
    assert "Basic population information" in english
    assert "Jinan Public Security Bureau" in english
    assert "Jinan Ecology and Environment Bureau" in english
    assert "人口基本信息" not in english and "济南市公安局" not in english
