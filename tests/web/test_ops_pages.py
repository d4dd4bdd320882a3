"""The big screen: members see it in both languages, public users and visitors do not."""

from __future__ import annotations

import json
import re
import threading
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from quancheng.chinatime import CHINA_TIME
from quancheng.db.models import OpsEntity
from quancheng.demo.devices import seed_devices
from quancheng.operations.model import STREETLIGHT, Observation
from quancheng.web import ops_pages
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


def _a_lamp(city: SmallCity) -> OpsEntity:
    with city.services.db.reader() as s:
        lamp = s.scalars(select(OpsEntity).where(OpsEntity.type == STREETLIGHT).limit(1)).one()
        s.expunge(lamp)
    return lamp


def _lamp_fails(city: SmallCity, lamp: OpsEntity) -> None:
    """The lamp reports a lamp failure now: a built-in alarm opens."""
    failure = Observation(
        lamp.id,
        STREETLIGHT,
        lamp.department_id,
        lamp.district,
        lamp.group_id,
        "lampFailure",
        True,
        datetime.now(UTC),
    )
    city.services.alarms.observe([failure])


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
    # Before the script redraws it, the page states its time in China time, not as UTC ISO.
    stamp = re.search(r'<time data-updated datetime="([^"]+)">([^<]+)</time>', html)
    assert stamp is not None
    generated = datetime.fromisoformat(stamp[1])
    assert stamp[2] == generated.astimezone(CHINA_TIME).strftime("%Y-%m-%d %H:%M")


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


def test_a_new_alarm_reaches_the_screen_before_the_next_refresh(
    client: TestClient, city: SmallCity, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the regular refresh an hour away, only the alarm push can bring the news."""
    monkeypatch.setattr(ops_pages, "STREAM_INTERVAL_SECONDS", 3600.0)
    monkeypatch.setattr(ops_pages, "STREAM_HOLD_SECONDS", 7200.0)
    _seed(city)
    lamp = _a_lamp(city)
    web = browser(client)
    login(web, "admin")
    boards: list[dict[str, Any]] = []
    first = threading.Event()

    def watch() -> None:
        headers = {"Accept": "text/event-stream"}
        with web.stream("GET", "/ops/stream", headers=headers) as response:
            for line in response.iter_lines():
                if line.startswith("data: "):
                    boards.append(json.loads(line[len("data: ") :]))
                    first.set()
                    if len(boards) == 2:
                        return

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    assert first.wait(30)
    assert all(a.get("entity_id") != lamp.id for a in boards[0]["alarms"])
    _lamp_fails(city, lamp)
    watcher.join(30)
    assert len(boards) == 2, "the alarm was not pushed"
    [pushed] = [a for a in boards[1]["alarms"] if a.get("entity_id") == lamp.id]
    # Named on the screen by its cause, in the page's language (the labels in its config).
    assert (pushed["cause"], pushed["rule_name"]) == ("lampFailure", None)
    config = _config(web.get("/ops").text)
    labels = config["labels"]
    assert isinstance(labels, dict) and labels["cause_lampFailure"] == "灯具故障"


def test_alarms_drawn_before_the_script_runs_are_in_the_pages_language(
    client: TestClient, city: SmallCity
) -> None:
    # Regression: the list the server draws (all a browser without scripts shows) gave the
    # stored English message, "lampFailure is true", on the Chinese page.
    _seed(city)
    _lamp_fails(city, _a_lamp(city))
    web = browser(client)
    login(web, "admin")
    html = web.get("/ops").text
    shown = re.findall(r'<span class="alarm-msg">([^<]*)</span>', html)
    assert "灯具故障" in shown
    assert not any("is true" in text for text in shown)
    web.get("/lang/en")
    assert "Lamp failure" in re.findall(
        r'<span class="alarm-msg">([^<]*)</span>', web.get("/ops").text
    )
