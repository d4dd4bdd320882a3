"""The lighting schedule and streetlight command pages: lists, a schedule's plan, schedules
created, refused, edited and deleted through forms, a command's outcome at each lamp; who may
see and do what."""

from __future__ import annotations

import re
from dataclasses import dataclass

from fastapi.testclient import TestClient

from quancheng.db.models import OpsEntity, OpsSchedule
from quancheng.operations.model import STREETLIGHT
from tests.support.city import SmallCity
from tests.web.support import browser, login

XSS = '<script>alert("x")</script>'
GROUP = "urn:ngsi-ld:StreetlightGroup:quancheng-road"
LAMPS = ("urn:ngsi-ld:Streetlight:quancheng-road-1", "urn:ngsi-ld:Streetlight:quancheng-road-2")
TUESDAY = "2026-12-01"


@dataclass
class Lighting:
    schedule_id: int
    command_id: int


def _seed(city: SmallCity, *, name: str = "泉城路夜间照明") -> Lighting:
    """Two 公安局 lamps in a group, a fixed weekday schedule for it and a dim command."""
    gaj = city.departments["gaj"]
    with city.services.db.transaction() as s:
        s.add_all(
            OpsEntity(
                id=lamp,
                type=STREETLIGHT,
                department_id=gaj,
                district="370102",
                group_id=GROUP,
                attrs={},
            )
            for lamp in LAMPS
        )
    steward = city.principals["gaj_steward"]
    desk = city.services.commands
    schedule = desk.create_schedule(
        steward,
        name=name,
        target={"group": GROUP},
        program={"kind": "fixed", "on": "18:30", "off": "06:00", "dimming": [["23:00", 0.5]]},
        calendar={"weekdays": [0, 1, 2, 3, 4]},
    )
    commands = desk.send(steward, {"group": GROUP}, "dim", 0.3)
    return Lighting(schedule.id, commands[0].id)


def _plan(html: str) -> list[tuple[str, str]]:
    """(night, action) of each step of the plan table."""
    return re.findall(r'<tr data-night="([\d-]+)" data-action="(\w+)">', html)


def test_the_schedule_list_and_plan_in_chinese_and_english(
    client: TestClient, city: SmallCity
) -> None:
    seeded = _seed(city)
    web = browser(client)
    login(web, "gaj_user")
    listing = web.get("/ops/schedules")
    assert listing.status_code == 200
    assert "<h1>照明计划</h1>" in listing.text
    assert "泉城路夜间照明" in listing.text and "18:30–06:00" in listing.text
    assert "星期一" in listing.text
    page = web.get(f"/ops/schedules/{seeded.schedule_id}?from={TUESDAY}")
    assert page.status_code == 200
    html = page.text
    # Tuesday to Friday nights switch on, dim and off; Saturday and Sunday nights do not.
    steps = _plan(html)
    assert steps[:3] == [(TUESDAY, "on"), (TUESDAY, "dim"), (TUESDAY, "off")]
    assert len(steps) == 3 * 5  # Tue, Wed, Thu, Fri and next Monday
    assert ">18:30</time>" in html and ">23:00</time>" in html and ">12-02 06:00</time>" in html
    assert "开灯" in html and "调光" in html and "50%" in html
    assert "没有照明计划" in html  # the weekend nights
    web.get("/lang/en")
    english = web.get(f"/ops/schedules/{seeded.schedule_id}?from={TUESDAY}").text
    assert "Plan of the coming nights" in english and "Switch on" in english
    english_list = web.get("/ops/schedules").text
    assert "Lighting schedules" in english_list and "Monday, Tuesday" in english_list


def _schedule_form(token: str, **changes: str | list[str]) -> dict[str, str | list[str]]:
    form: dict[str, str | list[str]] = {
        "csrf_token": token,
        "name": "历下区路灯",
        "target_district": "370102",
        "program_kind": "astronomical",
        "on_offset": "-10",
        "off_offset": "15",
        "dimming": "23:30 60%",
        "priority": "1",
        "enabled": "on",
    }
    form.update(changes)
    return form


def test_create_edit_and_delete_a_schedule(client: TestClient, city: SmallCity) -> None:
    web = browser(client)
    token = login(web, "gaj_steward")
    assert "新建照明计划" in web.get("/ops/schedules/new").text
    created = web.post("/ops/schedules/new", data=_schedule_form(token))
    assert created.status_code == 303, created.text[:500]
    location = created.headers["location"]
    schedule_id = int(location.rsplit("/", 1)[1])
    with city.services.db.reader() as s:
        row = s.get(OpsSchedule, schedule_id)
        assert row is not None
        assert (row.department_id, row.target, row.priority) == (
            city.departments["gaj"],
            {"district": "370102"},
            1,
        )
        assert row.program["dimming"] == [["23:30", 0.6]]
    page = web.get(location + f"?from={TUESDAY}").text
    assert "照明计划已创建。" in page
    # By the sun: on ten minutes before sunset (about 16:55 in Jinan in December), every night.
    steps = _plan(page)
    assert len(steps) == 3 * 7
    first_on = re.search(r'data-action="on">.*?<time datetime="[^"]+">([\d:]+)</time>', page, re.S)
    assert first_on and "16:30" <= first_on[1] <= "17:15"
    edit = web.get(f"/ops/schedules/{schedule_id}/edit").text
    assert 'value="历下区路灯"' in edit and ">23:30 60%</textarea>" in edit
    saved = web.post(
        f"/ops/schedules/{schedule_id}/edit",
        data=_schedule_form(
            token, program_kind="fixed", on="19:00", off="05:30", dimming="", weekdays=["5", "6"]
        ),
    )
    assert saved.status_code == 303
    page = web.get(f"/ops/schedules/{schedule_id}?from={TUESDAY}").text
    assert ">19:00</time>" in page and [a for _, a in _plan(page)] == ["on", "off"] * 2
    assert "星期六、星期日" in web.get("/ops/schedules").text
    deleted = web.post(f"/ops/schedules/{schedule_id}/delete", data={"csrf_token": token})
    assert deleted.status_code == 303
    assert "照明计划已删除" in web.get("/ops/schedules").text
    assert web.get(f"/ops/schedules/{schedule_id}").status_code == 404


def test_refused_schedule_fields_are_marked_and_the_input_kept(
    client: TestClient, city: SmallCity
) -> None:
    web = browser(client)
    token = login(web, "gaj_steward")
    refused = web.post(
        "/ops/schedules/new", data=_schedule_form(token, program_kind="fixed", on="25:00")
    )
    assert refused.status_code == 422
    assert 'aria-describedby="err-on"' in refused.text
    assert "请按“时:分”填写时间" in refused.text and 'value="25:00"' in refused.text
    refused = web.post("/ops/schedules/new", data=_schedule_form(token, dimming="23:00 很暗"))
    assert 'aria-describedby="err-dimming"' in refused.text
    assert "23:00 很暗" in refused.text
    refused = web.post("/ops/schedules/new", data=_schedule_form(token, on_offset="-300"))
    assert 'aria-describedby="err-on_offset"' in refused.text
    refused = web.post("/ops/schedules/new", data=_schedule_form(token, name=" "))
    assert 'aria-describedby="err-name"' in refused.text
    with city.services.db.reader() as s:
        assert s.query(OpsSchedule).count() == 0


def test_commands_and_their_outcome_at_each_lamp(client: TestClient, city: SmallCity) -> None:
    seeded = _seed(city)
    web = browser(client)
    login(web, "env_steward")
    listing = web.get("/ops/commands")
    assert listing.status_code == 200
    html = listing.text
    assert "<h1>路灯指令</h1>" in html
    # One row for the request, however many lamps it went to.
    [row] = re.findall(r'<tr data-command="(\d+)">(.*?)</tr>', html, re.S)
    assert "调光" in row[1] and "30%" in row[1] and "排队中 2" in row[1]
    sender = city.services.identity.names_of([city.principals["gaj_steward"].user_id])
    [name] = sender.values()
    assert f"· {name}</td>" in row[1]  # who sent it, beside how
    assert web.get("/ops/commands?state=acknowledged").text.count("<tr data-command=") == 0
    assert web.get("/ops/commands?source=manual").text.count("<tr data-command=") == 1
    # A command's page lists every lamp of its request, whichever lamp's command is named.
    for command_id in (row[0], seeded.command_id):
        page = web.get(f"/ops/commands/{command_id}").text
        assert re.findall(r'<tr data-lamp="([^"]+)" data-state="queued">', page) == list(LAMPS)
        assert f"· {name}</dd>" in page
    web.get("/lang/en")
    english = web.get(f"/ops/commands/{seeded.command_id}").text
    assert "Outcome at each lamp" in english and "Queued" in english and "Dim" in english


def test_read_only_roles_see_no_buttons_and_others_are_refused(
    client: TestClient, city: SmallCity
) -> None:
    seeded = _seed(city, name=f"夜间{XSS}")
    page = f"/ops/schedules/{seeded.schedule_id}"
    for role in ("gaj_user", "env_steward"):
        web = browser(client)
        token = login(web, role)
        listing = web.get("/ops/schedules").text
        assert "data-edit" not in listing and "data-edit" not in web.get(page).text
        assert XSS not in listing and "&lt;script&gt;" in listing
        assert web.get(page + "/edit").status_code == 403
        assert web.post(page + "/delete", data={"csrf_token": token}).status_code == 403
    web = browser(client)
    login(web, "gaj_user")
    assert "/ops/schedules/new" not in web.get("/ops/schedules").text
    assert web.get("/ops/schedules/new").status_code == 403
    steward = browser(client)
    login(steward, "gaj_steward")
    assert "data-edit" in steward.get(page).text
    citizen = browser(client)
    login(citizen, "citizen")
    visitor = browser(client)
    for path in ("/ops/schedules", page, "/ops/commands", f"/ops/commands/{seeded.command_id}"):
        assert citizen.get(path).status_code == 403, path
        response = visitor.get(path)
        assert response.status_code == 303 and response.headers["location"].startswith("/login?")
