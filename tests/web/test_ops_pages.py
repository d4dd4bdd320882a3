"""The big screen: members see it in both languages, public users and visitors do not."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

from fastapi.testclient import TestClient

from quancheng.demo.devices import seed_devices
from quancheng.web.ops_pages import STREAM_RETRY_MS
from tests.support.city import SmallCity
from tests.web.support import browser, login

OWNERS = {"cgj": "gaj", "jtysj": "gaj", "swj": "sthjj"}
NIGHT = datetime(2026, 11, 30, 13, 0, tzinfo=UTC)


def _seed(city: SmallCity) -> None:
    seed_devices(
        city.services,
        seed=5,
        now=NIGHT,
        owners=OWNERS,
        lamps=240,
        cabinets=12,
        groups=24,
        air_stations=12,
        traffic_counters=12,
        springs=8,
    )


def _kpi(html: str, name: str) -> str:
    found = re.search(rf'data-kpi="{re.escape(name)}"[^>]*>([^<]*)<', html)
    assert found, name
    return found[1].strip()


def _config(html: str) -> dict[str, object]:
    found = re.search(r'<script type="application/json" id="ops-config">(.*?)</script>', html, re.S)
    assert found
    config: dict[str, object] = json.loads(found[1])
    return config


def test_a_member_sees_the_city_on_the_big_screen_in_chinese(
    client: TestClient, city: SmallCity
) -> None:
    _seed(city)
    web = browser(client)
    login(web, "gaj_user")
    page = web.get("/ops")
    assert page.status_code == 200
    html = page.text
    assert "城市运行中心" in html
    assert _kpi(html, "lamps.total") == "240"
    assert "历下区" in html and "商河县" in html
    # The map's boundaries are shipped with the project, never fetched from elsewhere.
    config = _config(html)
    assert config["geo"] == "/static/geo/jinan-districts.json"
    assert web.get(str(config["geo"])).json()["type"] == "FeatureCollection"
    assert "https://" not in re.sub(r'href="https://[^"]*"', "", html)
    # A department user (no data:write) sees no command form and acts on no alarm.
    assert config["can_command"] is False
    assert "data-command-form" not in html
    assert page.headers["Content-Security-Policy"]


def test_the_big_screen_in_english_for_a_steward_who_may_command(
    client: TestClient, city: SmallCity
) -> None:
    _seed(city)
    web = browser(client)
    login(web, "gaj_steward")
    web.get("/lang/en")
    html = web.get("/ops").text
    assert "City Operations Centre" in html
    assert "Lixia" in html and "Shanghe" in html
    config = _config(html)
    # 公安局 owns the lamps in this test city: its steward may command them.
    assert config["can_command"] is True
    assert config["writable"] == [city.departments["gaj"]]
    assert "data-command-form" in html


def test_the_environment_steward_may_not_command_the_police_lamps(
    client: TestClient, city: SmallCity
) -> None:
    _seed(city)
    web = browser(client)
    login(web, "env_steward")
    config = _config(web.get("/ops").text)
    assert config["can_command"] is False
    assert config["writable"] == [city.departments["sthjj"]]


def test_public_users_and_visitors_are_refused(client: TestClient, city: SmallCity) -> None:
    visitor = browser(client)
    for path in ("/ops", "/ops/board.json"):
        response = visitor.get(path)
        assert response.status_code in (303, 401), (path, response.status_code)
    assert visitor.get("/ops").headers["location"].startswith("/login?")
    citizen = browser(client)
    login(citizen, "citizen")
    for path in ("/ops", "/ops/board.json", "/ops/stream"):
        assert citizen.get(path).status_code == 403, path


def test_board_json_and_the_stream_carry_the_same_figures(
    client: TestClient, city: SmallCity
) -> None:
    _seed(city)
    web = browser(client)
    login(web, "admin")
    data = web.get("/ops/board.json", headers={"Accept": "application/json"}).json()
    assert data["summary"]["lamps"]["total"] == 240
    assert len(data["districts"]) == 12
    # A plain client (not an EventSource) gets one event, then the end of the stream.
    stream = web.get("/ops/stream")
    assert stream.headers["content-type"].startswith("text/event-stream")
    assert f"retry: {STREAM_RETRY_MS}" in stream.text
    events = [line for line in stream.text.splitlines() if line.startswith("data: ")]
    assert len(events) == 1
    pushed = json.loads(events[0][len("data: ") :])
    assert pushed["summary"]["lamps"] == data["summary"]["lamps"]
