"""The alarm and alarm-rule pages: lists with filters, an alarm's history, acknowledge and clear
through forms, rules created, refused, edited and deleted; who may see and do what."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from quancheng.chinatime import CHINA_TIME
from quancheng.db.models import OpsEntity
from quancheng.operations.model import AIR_QUALITY, STREETLIGHT, Observation
from tests.support.city import SmallCity
from tests.web.support import browser, csrf_token, login

XSS = '<script>alert("x")</script>'
LIXIA, SHIZHONG = "370102", "370103"


@dataclass
class Alarms:
    rule_id: int
    station: str
    lamp: str
    pm25: int  # 生态环境局's threshold alarm, 历下区, major
    lamp_failure: int  # 公安局's built-in lamp alarm, 市中区


def _observe(city: SmallCity, entity: OpsEntity, attribute: str, value: object) -> None:
    city.services.alarms.observe(
        [
            Observation(
                entity.id,
                entity.type,
                entity.department_id,
                entity.district,
                entity.group_id,
                attribute,
                value,  # type: ignore[arg-type]
                datetime.now(UTC),
            )
        ]
    )


def _seed(city: SmallCity, *, rule_name: str = "PM2.5 超标") -> Alarms:
    """A 生态环境局 station over a PM2.5 rule and a 公安局 lamp reporting a lamp failure."""
    env, gaj = city.departments["sthjj"], city.departments["gaj"]
    station = OpsEntity(
        id="urn:ngsi-ld:AirQualityObserved:lixia-1",
        type=AIR_QUALITY,
        department_id=env,
        district=LIXIA,
        group_id="",
        attrs={},
    )
    lamp = OpsEntity(
        id="urn:ngsi-ld:Streetlight:shizhong-1",
        type=STREETLIGHT,
        department_id=gaj,
        district=SHIZHONG,
        group_id="urn:ngsi-ld:StreetlightGroup:shizhong",
        attrs={},
    )
    with city.services.db.transaction() as s:
        s.add_all([station, lamp])
    rule = city.services.alarms.create_rule(
        city.principals["env_steward"],
        {
            "name": rule_name,
            "entity_type": AIR_QUALITY,
            "kind": "threshold",
            "attribute": "PM2_5",
            "operator": ">",
            "threshold": 115.0,
            "severity": "major",
        },
    )
    _observe(city, station, "PM2_5", 130.0)
    _observe(city, lamp, "lampFailure", True)
    views, _ = city.services.alarms.alarms(city.principals["admin"])
    by_entity = {v.entity_id: v.id for v in views}
    return Alarms(rule.id, station.id, lamp.id, by_entity[station.id], by_entity[lamp.id])


def _rows(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<tr data-alarm="(\d+)"', html)]


def test_the_alarm_list_in_chinese_and_english(client: TestClient, city: SmallCity) -> None:
    seeded = _seed(city)
    web = browser(client)
    login(web, "gaj_user")
    page = web.get("/ops/alarms")
    assert page.status_code == 200
    html = page.text
    assert "<h1>告警</h1>" in html
    assert sorted(_rows(html)) == sorted([seeded.pm25, seeded.lamp_failure])
    # Named in the page's language: the rule's name with its value, the lamp by its cause.
    assert "PM2.5 超标 (数值 130)" in html
    assert "灯具故障" in html and "lampFailure is true" not in html
    assert "待确认" in html and "历下区" in html and "重要" in html
    # Newest first: the lamp failure was raised after the PM2.5 alarm.
    assert _rows(html) == [seeded.lamp_failure, seeded.pm25]
    web.get("/lang/en")
    english = web.get("/ops/alarms").text
    assert "<h1>Alarms</h1>" in english
    assert "Lamp failure" in english and "Awaiting acknowledgement" in english
    assert "Lixia" in english


def test_filters_narrow_the_list(client: TestClient, city: SmallCity) -> None:
    seeded = _seed(city)
    web = browser(client)
    login(web, "admin")
    both = sorted([seeded.pm25, seeded.lamp_failure])

    def shown(query: str) -> list[int]:
        response = web.get("/ops/alarms?" + query)
        assert response.status_code == 200, response.text[:300]
        return sorted(_rows(response.text))

    assert shown("") == both
    assert shown(f"district={LIXIA}") == [seeded.pm25]
    assert shown(f"type={STREETLIGHT}") == [seeded.lamp_failure]
    assert shown(f"rule={seeded.rule_id}") == [seeded.pm25]
    assert shown("severity=critical") == []
    assert shown("state=cleared") == []
    assert shown("state=open") == both
    today = datetime.now(CHINA_TIME).date()
    assert shown(f"since={today}&until={today}") == both
    assert shown(f"until={today - timedelta(days=1)}") == []
    assert shown(f"since={today + timedelta(days=1)}") == []
    # Values that are not filters are ignored rather than refused.
    assert shown("state=nonsense&severity=&since=yesterday") == both
    # The filter form keeps what was chosen; paging links keep the filter.
    html = web.get(f"/ops/alarms?district={LIXIA}").text
    assert f'<option value="{LIXIA}" selected>' in html


def test_acknowledge_then_clear_through_the_forms(client: TestClient, city: SmallCity) -> None:
    seeded = _seed(city)
    web = browser(client)
    token = login(web, "env_steward")
    url = f"/ops/alarms/{seeded.pm25}"
    page = web.get(url).text
    assert 'data-action="acknowledge"' in page and 'data-action="clear"' not in page
    assert re.search(r'<tr data-event="raised">', page)
    done = web.post(url + "/acknowledge", data={"csrf_token": token})
    assert done.status_code == 303 and done.headers["location"] == url
    page = web.get(url).text
    assert "告警已确认。" in page
    assert 'data-state="acknowledged"' in page
    assert 'data-action="clear"' in page and 'data-action="acknowledge"' not in page
    acknowledged = re.search(r'<tr data-event="acknowledged">(.*?)</tr>', page, re.S)
    assert acknowledged and "env_steward" in acknowledged[1]
    assert web.post(url + "/clear", data={"csrf_token": token}).status_code == 303
    page = web.get(url).text
    assert 'data-state="cleared"' in page and "data-action=" not in page
    cleared = re.search(r'<tr data-event="cleared">(.*?)</tr>', page, re.S)
    assert cleared and "env_steward" in cleared[1] and "人工清除" in cleared[1]
    # The list agrees, and a second clear is refused as not possible now.
    assert _rows(web.get("/ops/alarms?state=cleared").text) == [seeded.pm25]
    assert web.post(url + "/clear", data={"csrf_token": token}).status_code == 409


def test_no_buttons_and_403_for_those_who_may_not_act(client: TestClient, city: SmallCity) -> None:
    seeded = _seed(city)
    url = f"/ops/alarms/{seeded.pm25}"
    # A read-only member and the steward of another department read the alarm, see no button.
    for role in ("gaj_user", "gaj_steward"):
        web = browser(client)
        token = login(web, role)
        page = web.get(url)
        assert page.status_code == 200
        assert "data-action=" not in page.text
        assert web.post(url + "/acknowledge", data={"csrf_token": token}).status_code == 403
    # 公安局's steward acts on its own lamp's alarm.
    web = browser(client)
    login(web, "gaj_steward")
    assert 'data-action="acknowledge"' in web.get(f"/ops/alarms/{seeded.lamp_failure}").text
    citizen = browser(client)
    login(citizen, "citizen")
    for path in ("/ops/alarms", url, "/ops/rules"):
        assert citizen.get(path).status_code == 403, path
    visitor = browser(client)
    for path in ("/ops/alarms", url, "/ops/rules"):
        response = visitor.get(path)
        assert response.status_code == 303 and response.headers["location"].startswith("/login?")


def _rule_form(token: str, **changes: str) -> dict[str, str]:
    form = {
        "csrf_token": token,
        "name": "PM10 超标",
        "entity_type": AIR_QUALITY,
        "kind": "threshold",
        "attribute": "PM10",
        "operator": ">=",
        "threshold": "150",
        "duration_seconds": "3600",
        "severity": "minor",
        "enabled": "on",
    }
    form.update(changes)
    return form


def test_a_bad_threshold_is_shown_next_to_the_field_and_the_input_kept(
    client: TestClient, city: SmallCity
) -> None:
    web = browser(client)
    token = login(web, "env_steward")
    refused = web.post("/ops/rules/new", data=_rule_form(token, threshold="一百五"))
    assert refused.status_code == 422
    html = refused.text
    assert "请修改标出的内容。" in html
    field = re.search(r'<div class="field has-error">(.*?)</div>', html, re.S)
    assert field and 'name="threshold"' in field[1] and "请输入数字" in field[1]
    assert 'value="一百五"' in html and 'value="PM10 超标"' in html and 'value="3600"' in html
    assert city.services.alarms.rules(city.principals["admin"]) == []
    # A threshold rule without a threshold, and two scopes at once, are the rule's own refusals.
    html = web.post(
        "/ops/rules/new",
        data=_rule_form(token, threshold="", scope_district=LIXIA, scope_group="g"),
    ).text
    assert 'aria-describedby="err-threshold"' in html
    assert 'aria-describedby="err-scope_district"' in html


def test_create_edit_and_delete_a_rule(client: TestClient, city: SmallCity) -> None:
    web = browser(client)
    token = login(web, "env_steward")
    form_page = web.get("/ops/rules/new")
    assert form_page.status_code == 200 and "新建告警规则" in form_page.text
    created = web.post("/ops/rules/new", data=_rule_form(token, scope_district=LIXIA))
    assert created.status_code == 303, created.text[:500]
    [rule] = city.services.alarms.rules(city.principals["admin"])
    assert (rule.department, rule.spec.threshold, dict(rule.spec.scope)) == (
        "sthjj",
        150.0,
        {"district": LIXIA},
    )
    listing = web.get("/ops/rules").text
    assert "告警规则已创建。" in listing and "PM10 超标" in listing and "PM10 &gt;= 150" in listing
    edit = web.get(f"/ops/rules/{rule.id}/edit").text
    assert 'value="PM10 超标"' in edit and f'<option value="{LIXIA}" selected>' in edit
    saved = web.post(
        f"/ops/rules/{rule.id}/edit",
        data=_rule_form(token, name="PM10 严重超标", threshold="250", severity="critical"),
    )
    assert saved.status_code == 303
    [changed] = city.services.alarms.rules(city.principals["admin"])
    assert (changed.spec.name, changed.spec.threshold, changed.spec.severity) == (
        "PM10 严重超标",
        250.0,
        "critical",
    )
    assert dict(changed.spec.scope) == {}  # the district was left empty in the edit
    deleted = web.post(f"/ops/rules/{rule.id}/delete", data={"csrf_token": token})
    assert deleted.status_code == 303
    assert "告警规则已删除" in web.get("/ops/rules").text
    assert city.services.alarms.rules(city.principals["admin"]) == []


def test_rules_in_english_and_read_only_for_others(client: TestClient, city: SmallCity) -> None:
    seeded = _seed(city, rule_name=f"PM2.5 {XSS}")
    web = browser(client)
    token = login(web, "gaj_user")
    web.get("/lang/en")
    html = web.get("/ops/rules").text
    assert "<h1>Alarm rules</h1>" in html and "Air quality station" in html
    # Stored names are text, never markup.
    assert XSS not in html and "&lt;script&gt;" in html
    assert "/ops/rules/new" not in html and "data-edit" not in html
    assert web.get("/ops/rules/new").status_code == 403
    assert web.get(f"/ops/rules/{seeded.rule_id}/edit").status_code == 403
    delete = web.post(f"/ops/rules/{seeded.rule_id}/delete", data={"csrf_token": token})
    assert delete.status_code == 403
    alarm = web.get(f"/ops/alarms/{seeded.pm25}").text
    assert XSS not in alarm and "&lt;script&gt;" in alarm
    # 公安局's steward may write, but not 生态环境局's rule.
    steward = browser(client)
    login(steward, "gaj_steward")
    html = steward.get("/ops/rules").text
    assert "/ops/rules/new" in html and "data-edit" not in html
    assert steward.get(f"/ops/rules/{seeded.rule_id}/edit").status_code == 403
    assert csrf_token(steward.get("/ops/rules/new").text)


def test_the_big_screen_and_the_desk_pages_link_to_each_other(
    client: TestClient, city: SmallCity
) -> None:
    web = browser(client)
    login(web, "gaj_user")
    desk = ("/ops/alarms", "/ops/rules", "/ops/schedules", "/ops/commands")
    screen = web.get("/ops").text
    assert all(f'<a href="{path}">' in screen for path in desk)
    for path in desk:
        html = web.get(path).text
        nav = re.search(r'<nav class="portal-nav ops-nav".*?</nav>', html, re.S)
        assert nav and '<a href="/ops">' in nav[0], path
        assert f'<a href="{path}" aria-current="page">' in nav[0], path
        # The breadcrumb leads back to the big screen as well.
        assert '<a href="/ops">城市运行中心</a>' in html, path
