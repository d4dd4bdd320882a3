"""The open-data index page: the city's layers, a chart and what to improve, in both languages."""

from __future__ import annotations

import json
import re
from html import unescape

import pytest
from fastapi.testclient import TestClient

from quancheng.app import Services, create_app
from quancheng.settings import Settings
from tests.conftest import FAST_PASSWORDS
from tests.support.city import SmallCity, entry_fields, seed_small_city
from tests.web.support import browser


def publish(city: SmallCity, **overrides: object) -> int:
    """A published entry of 生态环境局."""
    steward = city.principals["env_steward"]
    catalog = city.services.catalog
    entry = catalog.create(steward, department="sthjj", fields=entry_fields(**overrides))
    catalog.submit(steward, entry.id)
    catalog.publish(steward, entry.id)
    return entry.id


def figure(html: str, name: str) -> str:
    found = re.search(rf'data-figure="{name}"[^>]*>([^<]*)<', html)
    assert found, name
    return found[1].strip()


def test_the_index_page_shows_layers_chart_and_advice_in_chinese(
    client: TestClient, city: SmallCity, services: Services
) -> None:
    entry = publish(city)
    for _ in range(3):
        services.usage.count(entry, "download")
    services.usage.flush()
    web = browser(client)

    page = web.get("/open/index")

    assert page.status_code == 200
    html = page.text
    for word in ("准备度", "平台层", "数据层", "利用层", "改进建议", "开放数据指数自评"):
        assert word in html
    expected = services.open_index.assess()
    assert figure(html, "overall") == f"{expected.score:.1f}"
    assert figure(html, "data") == f"{expected.layers[2].score:.1f}"
    assert figure(html, "downloads") == "3"
    # The chart's data is JSON for the static script; no inline script runs.
    data = re.search(r'<script type="application/json" id="open-index-data">(.*?)</script>', html)
    assert data and json.loads(data[1])["labels"] == ["准备度", "平台层", "数据层", "利用层"]
    assert "js/open_index.js" in html and "vendor/echarts.min.js" in html
    assert "以下主题尚无开放数据" in html  # one entry covers few high-demand topics
    assert 'data-indicator="requests_answered"' in html  # no data requests yet: weak
    assert "尚无到期的数据需求" in html  # and the advice says so rather than quote zeros


@pytest.mark.parametrize("locale", ["en"])
def test_the_index_page_renders_in_english(
    client: TestClient, city: SmallCity, locale: str
) -> None:
    publish(city)
    web = browser(client)
    web.cookies.set("qc_lang", locale)
    html = web.get("/open/index").text
    for word in ("Readiness", "Platform", "Utilization", "What to improve", "No open data yet on"):
        assert word in html
    assert "准备度" not in html
    # Regression: the advice listed departments by their Chinese names joined with 、 and
    # topics joined with 、 on the English page.
    assert "among them: Jinan Big Data Bureau, Jinan Public Security Bureau." in unescape(html)
    assert "、" not in html
    assert re.search(r"No open data yet on: \w[\w ]*, \w", unescape(html))


def test_the_index_json_matches_the_page(
    client: TestClient, city: SmallCity, services: Services
) -> None:
    from tests.opendata.test_usage import app_with_stats

    publish(city)
    with TestClient(app_with_stats(services.settings, services)) as api:
        body = api.get("/api/v1/portal/index").json()
        english = api.get("/api/v1/portal/index", params={"locale": "en"}).json()
        wrong = api.get("/api/v1/portal/index", params={"locale": "fr"})
    assert body["score"] == services.open_index.assess().score
    assert [layer["label"] for layer in body["layers"]] == ["准备度", "平台层", "数据层", "利用层"]
    assert english["layers"][0]["label"] == "Readiness"
    assert "、" not in json.dumps(english["improve"], ensure_ascii=False)
    weak = [i for layer in body["layers"] for i in layer["indicators"] if i["weak"]]
    assert weak and all(i["improve"] for i in weak)
    assert {i["indicator"] for i in body["improve"]} == {i["key"] for i in weak}
    assert wrong.status_code == 422


def test_the_index_is_public_when_the_internal_catalog_is_not(settings: Settings) -> None:
    """Regression: the portal's 开放指数 page sent a visitor to the login page, and its API
    answered 401, when public_catalog was off — the open portal is public either way."""
    closed_catalog = settings.model_copy(update={"public_catalog": False})
    services = Services.from_settings(closed_catalog, passwords=FAST_PASSWORDS)
    services.db.migrate()
    try:
        city = seed_small_city(services)
        publish(city)
        with TestClient(create_app(closed_catalog, services=services)) as client:
            visitor = browser(client)
            page = visitor.get("/open/index")
            assert page.status_code == 200
            assert "开放数据指数自评" in page.text
            index = client.get("/api/v1/portal/index")
            assert index.status_code == 200
            assert [layer["key"] for layer in index.json()["layers"]] == [
                "readiness",
                "platform",
                "data",
                "utilization",
            ]
            assert client.get("/api/v1/portal/usage").status_code == 200
            # The internal catalog stays closed to the visitor.
            closed = visitor.get("/catalog")
            assert closed.status_code == 303
            assert closed.headers["location"].startswith("/login")
    finally:
        services.close()
