"""Rules and alarms: durations, dedupe, offline devices, flags, lifecycle, ledger, webhooks."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from quancheng.app import Services
from quancheng.db.models import OpsAlarm, OpsEntity, OpsRule
from quancheng.errors import InvalidTransition, PermissionDenied, ValidationFailed
from quancheng.operations.alarms import AlarmEngine, AlarmView, alarm_subject
from quancheng.operations.model import AIR_QUALITY, STREETLIGHT, Observation
from quancheng.operations.rules import OPERATORS, breaches
from tests.support.city import SmallCity

T0 = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
DISTRICT = "370102"


def minutes(n: float) -> datetime:
    return T0 + timedelta(minutes=n)


def add_entity(
    services: Services,
    city: SmallCity,
    entity_id: str,
    *,
    type: str = AIR_QUALITY,
    dept: str = "sthjj",
    district: str = DISTRICT,
    last_seen: datetime | None = None,
) -> None:
    with services.db.transaction() as s:
        s.add(
            OpsEntity(
                id=entity_id,
                type=type,
                department_id=city.departments[dept],
                district=district,
                attrs={},
                last_seen_at=last_seen,
                created_at=T0,
            )
        )


def obs(
    city: SmallCity,
    entity_id: str,
    attribute: str,
    value: float | str | bool | None,
    at: datetime,
    *,
    type: str = AIR_QUALITY,
    dept: str = "sthjj",
    district: str = DISTRICT,
) -> Observation:
    return Observation(
        entity_id=entity_id,
        entity_type=type,
        department_id=city.departments[dept],
        district=district,
        group_id="",
        attribute=attribute,
        value=value,
        observed_at=at,
    )


def pm25_rule(engine: AlarmEngine, city: SmallCity, **overrides: Any) -> int:
    fields: dict[str, Any] = {
        "name": "PM2.5 重污染",
        "entity_type": AIR_QUALITY,
        "kind": "threshold",
        "attribute": "PM2_5",
        "operator": ">",
        "threshold": 115,
        "duration_seconds": 1800,
        "severity": "critical",
    }
    fields.update(overrides)
    return engine.create_rule(city.principals["env_steward"], fields).id


def all_alarms(engine: AlarmEngine, city: SmallCity, **filters: Any) -> list[AlarmView]:
    views, _ = engine.alarms(city.principals["gaj_user"], **filters)
    return views


STATION = "urn:ngsi-ld:AirQualityObserved:jinan-shiji"
LAMP = "urn:ngsi-ld:Streetlight:lamp-1"


@pytest.fixture
def engine(services: Services) -> Iterator[AlarmEngine]:
    services.alarms.webhooks.backoff = (0.01,)
    yield services.alarms
    services.alarms.webhooks.close()


def test_a_threshold_fires_only_once_it_has_held_for_the_duration(
    engine: AlarmEngine, services: Services, city: SmallCity
) -> None:
    add_entity(services, city, STATION)
    pm25_rule(engine, city)
    engine.observe([obs(city, STATION, "PM2_5", 120, minutes(0))])
    engine.observe([obs(city, STATION, "PM2_5", 130, minutes(29))])
    assert all_alarms(engine, city) == []
    engine.observe([obs(city, STATION, "PM2_5", 125, minutes(30))])
    [alarm] = all_alarms(engine, city)
    assert (alarm.state, alarm.severity, alarm.kind) == ("active", "critical", "threshold")
    assert alarm.raised_at == minutes(30)
    assert alarm.value == 125
    assert alarm.entity_type == AIR_QUALITY
    assert alarm.district == DISTRICT
    assert alarm.department == "sthjj"
    assert "PM2_5 > 115 for 30 min" in alarm.message
    assert engine.failures == 0


def test_a_dip_back_inside_restarts_the_timer(
    engine: AlarmEngine, services: Services, city: SmallCity
) -> None:
    add_entity(services, city, STATION)
    pm25_rule(engine, city)
    engine.observe(
        [
            obs(city, STATION, "PM2_5", 120, minutes(0)),
            obs(city, STATION, "PM2_5", 100, minutes(15)),
            obs(city, STATION, "PM2_5", 130, minutes(20)),
        ]
    )
    engine.observe([obs(city, STATION, "PM2_5", 130, minutes(45))])
    assert all_alarms(engine, city) == []
    engine.observe([obs(city, STATION, "PM2_5", 140, minutes(50))])
    [alarm] = all_alarms(engine, city)
    assert alarm.raised_at == minutes(50)


def test_other_attributes_departments_and_districts_are_not_watched(
    engine: AlarmEngine, services: Services, city: SmallCity
) -> None:
    add_entity(services, city, STATION)
    add_entity(services, city, "urn:other", district="370103")
    pm25_rule(engine, city, duration_seconds=0, scope={"district": DISTRICT})
    engine.observe(
        [
            obs(city, STATION, "PM10", 500, minutes(0)),
            obs(city, STATION, "PM2_5", "n/a", minutes(0)),
            obs(city, "urn:other", "PM2_5", 500, minutes(0), district="370103"),
            # The same reading of a 公安局 device is not 生态环境局's rule's business.
            obs(city, STATION, "PM2_5", 500, minutes(0), dept="gaj"),
        ]
    )
    assert all_alarms(engine, city) == []


def test_a_repeat_counts_on_the_open_alarm_and_recovery_clears_it(
    engine: AlarmEngine, services: Services, city: SmallCity
) -> None:
    add_entity(services, city, STATION)
    pm25_rule(engine, city, duration_seconds=0)
    engine.observe([obs(city, STATION, "PM2_5", 150, minutes(0))])
    engine.observe([obs(city, STATION, "PM2_5", 160, minutes(5))])
    [alarm] = all_alarms(engine, city)
    assert (alarm.occurrences, alarm.last_seen_at, alarm.value) == (2, minutes(5), 160)
    assert alarm.raised_at == minutes(0)

    engine.observe([obs(city, STATION, "PM2_5", 80, minutes(9))])
    [cleared] = all_alarms(engine, city)
    assert (cleared.id, cleared.state, cleared.cleared_at) == (alarm.id, "cleared", minutes(9))

    engine.observe([obs(city, STATION, "PM2_5", 150, minutes(12))])
    newest, _oldest = all_alarms(engine, city)
    assert newest.id != alarm.id and newest.state == "active" and newest.occurrences == 1
    assert [a.id for a in all_alarms(engine, city, state="open")] == [newest.id]


def test_a_condition_that_began_before_a_restart_times_again(
    engine: AlarmEngine, services: Services, city: SmallCity
) -> None:
    add_entity(services, city, STATION)
    pm25_rule(engine, city)
    engine.observe([obs(city, STATION, "PM2_5", 120, minutes(0))])
    restarted = AlarmEngine(
        db=services.db,
        datastore=services.datastore,
        ledger=services.ledger,
        settings=engine.settings,
    )
    restarted.observe([obs(city, STATION, "PM2_5", 120, minutes(31))])
    assert all_alarms(restarted, city) == []
    restarted.observe([obs(city, STATION, "PM2_5", 120, minutes(61))])
    assert len(all_alarms(restarted, city)) == 1


def test_an_alarm_raised_before_a_restart_still_counts_and_clears(
    engine: AlarmEngine, services: Services, city: SmallCity
) -> None:
    add_entity(services, city, STATION)
    pm25_rule(engine, city)
    engine.observe([obs(city, STATION, "PM2_5", 120, minutes(0))])
    engine.observe([obs(city, STATION, "PM2_5", 120, minutes(30))])
    restarted = AlarmEngine(
        db=services.db,
        datastore=services.datastore,
        ledger=services.ledger,
        settings=engine.settings,
    )
    restarted.observe([obs(city, STATION, "PM2_5", 130, minutes(31))])
    [alarm] = all_alarms(restarted, city)
    assert (alarm.state, alarm.occurrences, alarm.value) == ("active", 2, 130)
    restarted.observe([obs(city, STATION, "PM2_5", 90, minutes(32))])
    assert all_alarms(restarted, city)[0].state == "cleared"


def test_offline_devices_raise_once_and_clear_when_they_report(
    engine: AlarmEngine, services: Services, city: SmallCity
) -> None:
    add_entity(services, city, STATION, last_seen=minutes(0))
    add_entity(services, city, "urn:fresh", last_seen=minutes(10))
    engine.create_rule(
        city.principals["env_steward"],
        {
            "name": "站点离线",
            "entity_type": AIR_QUALITY,
            "kind": "offline",
            "duration_seconds": 600,
        },
    )
    assert engine.check_offline(minutes(5)) == 0
    assert engine.check_offline(minutes(11)) == 1
    assert engine.check_offline(minutes(12)) == 0
    [alarm] = all_alarms(engine, city)
    assert (alarm.entity_id, alarm.kind, alarm.state) == (STATION, "offline", "active")
    assert alarm.occurrences == 1
    assert alarm.message == "no observation for 10 min"

    engine.observe([obs(city, STATION, "PM2_5", 30, minutes(13))])
    [back] = all_alarms(engine, city)
    assert (back.state, back.cleared_at) == ("cleared", minutes(13))


def test_check_offline_clears_a_device_another_process_saw(
    engine: AlarmEngine, services: Services, city: SmallCity
) -> None:
    add_entity(services, city, STATION, last_seen=minutes(0))
    engine.create_rule(
        city.principals["env_steward"],
        {"name": "离线", "entity_type": AIR_QUALITY, "kind": "offline", "duration_seconds": 600},
    )
    engine.check_offline(minutes(11))
    with services.db.transaction() as s:
        s.get_one(OpsEntity, STATION).last_seen_at = minutes(14)
    assert engine.check_offline(minutes(15)) == 1
    [alarm] = all_alarms(engine, city)
    assert (alarm.state, alarm.cleared_at) == ("cleared", minutes(14))


def test_streetlight_failure_flags_and_statuses_need_no_rule(
    engine: AlarmEngine, services: Services, city: SmallCity
) -> None:
    add_entity(services, city, LAMP, type=STREETLIGHT, dept="gaj")

    def lamp(attribute: str, value: bool | str, at: datetime) -> Observation:
        return obs(city, LAMP, attribute, value, at, type=STREETLIGHT, dept="gaj")

    engine.observe([lamp("lampFailure", True, minutes(0)), lamp("relayFailure", False, minutes(0))])
    [alarm] = all_alarms(engine, city)
    assert (alarm.kind, alarm.severity, alarm.rule_id) == ("flag", "major", None)
    assert alarm.dedupe_key == f"flag:lampFailure|{LAMP}"
    engine.observe([lamp("lampFailure", True, minutes(1))])
    assert all_alarms(engine, city)[0].occurrences == 2
    engine.observe([lamp("lampFailure", False, minutes(2))])
    assert all_alarms(engine, city)[0].state == "cleared"

    engine.observe([lamp("status", "defectiveLamp", minutes(3))])
    [status] = all_alarms(engine, city, state="open")
    assert status.message == "status is defectiveLamp"
    engine.observe([lamp("status", "ok", minutes(4))])
    assert all_alarms(engine, city, state="open") == []


def test_a_lamp_reporting_a_flag_and_its_status_has_one_alarm(
    engine: AlarmEngine, services: Services, city: SmallCity
) -> None:
    # Regression: a failed lamp raised 灯具故障 (lampFailure) and 灯具损坏 (defectiveLamp),
    # two alarms of one fault on the operators' screen.
    add_entity(services, city, LAMP, type=STREETLIGHT, dept="gaj")

    def lamp(attribute: str, value: bool | str, at: datetime) -> Observation:
        return obs(city, LAMP, attribute, value, at, type=STREETLIGHT, dept="gaj")

    # The status arrives first in the batch, the flag after it: still the flag's alarm only.
    engine.observe(
        [lamp("status", "defectiveLamp", minutes(0)), lamp("lampFailure", True, minutes(0))]
    )
    [alarm] = all_alarms(engine, city, state="open")
    assert alarm.dedupe_key == f"flag:lampFailure|{LAMP}"
    engine.observe([lamp("status", "defectiveLamp", minutes(1))])  # the flag's alarm is open
    assert len(all_alarms(engine, city, state="open")) == 1
    # Another fault of the same lamp is its own alarm.
    engine.observe([lamp("status", "brokenLantern", minutes(2))])
    assert {a.dedupe_key for a in all_alarms(engine, city, state="open")} == {
        f"flag:lampFailure|{LAMP}",
        f"status:brokenLantern|{LAMP}",
    }
    # Repaired, the flag clears; a status still reported defective raises its own alarm.
    engine.observe([lamp("lampFailure", False, minutes(3)), lamp("status", "ok", minutes(3))])
    assert all_alarms(engine, city, state="open") == []
    engine.observe([lamp("status", "defectiveLamp", minutes(4))])
    [alone] = all_alarms(engine, city, state="open")
    assert alone.dedupe_key == f"status:defectiveLamp|{LAMP}"


def test_a_flag_rule_raises_and_clears(
    engine: AlarmEngine, services: Services, city: SmallCity
) -> None:
    add_entity(services, city, STATION)
    engine.create_rule(
        city.principals["env_steward"],
        {
            "name": "传感器故障",
            "entity_type": AIR_QUALITY,
            "kind": "flag",
            "attribute": "sensorFault",
            "severity": "minor",
            "scope": {"entities": [STATION]},
        },
    )
    engine.observe([obs(city, STATION, "sensorFault", True, minutes(0))])
    [alarm] = all_alarms(engine, city, severity="minor")
    assert alarm.rule_name == "传感器故障"
    engine.observe([obs(city, STATION, "sensorFault", "false", minutes(1))])
    assert all_alarms(engine, city)[0].state == "cleared"


def test_lifecycle_with_permissions_and_ledger_events(
    engine: AlarmEngine, services: Services, city: SmallCity
) -> None:
    add_entity(services, city, STATION)
    pm25_rule(engine, city, duration_seconds=0)
    engine.observe([obs(city, STATION, "PM2_5", 150, minutes(0))])
    [alarm] = all_alarms(engine, city)
    steward = city.principals["env_steward"]

    with pytest.raises(InvalidTransition):
        engine.clear(steward, alarm.id)  # an active alarm is acknowledged first
    with pytest.raises(PermissionDenied):
        engine.acknowledge(city.principals["gaj_steward"], alarm.id)
    with pytest.raises(PermissionDenied):
        engine.acknowledge(city.principals["gaj_user"], alarm.id)

    acked = engine.acknowledge(steward, alarm.id)
    assert (acked.state, acked.acknowledged_by) == ("acknowledged", "env_steward")
    assert acked.acknowledged_at is not None
    with pytest.raises(InvalidTransition):
        engine.acknowledge(steward, alarm.id)
    cleared = engine.clear(steward, alarm.id)
    assert cleared.state == "cleared" and cleared.cleared_at is not None

    events = services.ledger.entries(subject=alarm_subject(alarm.id))
    body = [e.event for e in events]
    assert [b["type"] for b in body] == [
        "ops.alarm.raised",
        "ops.alarm.acknowledged",
        "ops.alarm.cleared",
    ]
    assert body[0]["actor"]["kind"] == "system"
    assert body[1]["actor"]["id"] == "env_steward"
    assert body[2]["details"]["reason"] == "manual"


def test_a_manually_cleared_condition_times_again(
    engine: AlarmEngine, services: Services, city: SmallCity
) -> None:
    add_entity(services, city, STATION)
    pm25_rule(engine, city, duration_seconds=600)
    steward = city.principals["env_steward"]
    engine.observe([obs(city, STATION, "PM2_5", 150, minutes(0))])
    engine.observe([obs(city, STATION, "PM2_5", 150, minutes(10))])
    [alarm] = all_alarms(engine, city)
    engine.acknowledge(steward, alarm.id)
    engine.clear(steward, alarm.id)
    engine.observe([obs(city, STATION, "PM2_5", 150, minutes(11))])
    assert all_alarms(engine, city, state="open") == []
    engine.observe([obs(city, STATION, "PM2_5", 150, minutes(21))])
    assert len(all_alarms(engine, city, state="open")) == 1


def test_the_live_feed_pages_by_ledger_cursor(
    engine: AlarmEngine, services: Services, city: SmallCity
) -> None:
    add_entity(services, city, STATION)
    pm25_rule(engine, city, duration_seconds=0)
    reader = city.principals["gaj_user"]
    start = engine.changes_since(reader)
    assert start.changes == []
    engine.observe([obs(city, STATION, "PM2_5", 150, minutes(0))])
    page = engine.changes_since(reader, start.cursor)
    [change] = page.changes
    assert change.event == "ops.alarm.raised" and change.alarm.state == "active"
    engine.acknowledge(city.principals["env_steward"], change.alarm.id)
    [ack] = engine.changes_since(reader, page.cursor).changes
    assert (ack.event, ack.alarm.state) == ("ops.alarm.acknowledged", "acknowledged")
    later = engine.changes_since(reader, ack.index)
    assert later.changes == [] and later.cursor == ack.index
    by_time = engine.changes_since(reader, T0 - timedelta(days=3650))
    assert [c.event for c in by_time.changes] == ["ops.alarm.raised", "ops.alarm.acknowledged"]
    with pytest.raises(PermissionDenied):
        engine.changes_since(city.principals["citizen"], 0)


def test_an_observer_failure_never_reaches_the_write_path(
    engine: AlarmEngine, services: Services, city: SmallCity
) -> None:
    # No such entity row: the alarm cannot be stored, and the caller must not notice.
    engine.observe(
        [obs(city, "urn:ghost", "lampFailure", True, minutes(0), type=STREETLIGHT, dept="gaj")]
    )
    assert engine.failures == 1
    with services.db.reader() as s:
        assert s.scalar(select(func.count()).select_from(OpsAlarm)) == 0


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"operator": "=>"}, "operator"),
        ({"duration_seconds": -1}, "duration_seconds"),
        ({"threshold": None}, "threshold"),
        ({"threshold": float("nan")}, "threshold"),
        ({"entity_type": "Toaster"}, "entity_type"),
        ({"kind": "sometimes"}, "kind"),
        ({"severity": "apocalyptic"}, "severity"),
        ({"scope": {"district": DISTRICT, "group": "urn:g"}}, "scope"),
        ({"scope": {"webhook": "ftp://example.invalid/x"}}, "scope.webhook"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_invalid_rules_are_refused_and_not_stored(
    engine: AlarmEngine, services: Services, city: SmallCity, overrides: Any, field: str
) -> None:
    with pytest.raises(ValidationFailed) as caught:
        pm25_rule(engine, city, **overrides)
    assert field in [e.field for e in caught.value.errors]
    with services.db.reader() as s:
        assert s.scalar(select(func.count()).select_from(OpsRule)) == 0


def test_rules_are_written_only_by_their_department(
    engine: AlarmEngine, services: Services, city: SmallCity
) -> None:
    rule_id = pm25_rule(engine, city)
    with pytest.raises(PermissionDenied):
        engine.update_rule(city.principals["gaj_admin"], rule_id, {"threshold": 75})
    with pytest.raises(PermissionDenied):
        engine.delete_rule(city.principals["gaj_steward"], rule_id)
    with pytest.raises(PermissionDenied):
        engine.rules(city.principals["citizen"])
    updated = engine.update_rule(city.principals["env_steward"], rule_id, {"threshold": 75})
    assert updated.spec.threshold == 75
    assert [r.id for r in engine.rules(city.principals["gaj_user"])] == [rule_id]


def test_deleting_a_rule_clears_its_open_alarms(
    engine: AlarmEngine, services: Services, city: SmallCity
) -> None:
    add_entity(services, city, STATION)
    rule_id = pm25_rule(engine, city, duration_seconds=0)
    engine.observe([obs(city, STATION, "PM2_5", 150, minutes(0))])
    engine.delete_rule(city.principals["env_steward"], rule_id)
    [alarm] = all_alarms(engine, city)
    assert (alarm.state, alarm.rule_id) == ("cleared", None)
    engine.observe([obs(city, STATION, "PM2_5", 150, minutes(1))])
    assert len(all_alarms(engine, city)) == 1


class _Hook(BaseHTTPRequestHandler):
    received: list[dict[str, Any]]
    failures_left: int

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        server: Any = self.server
        if server.failures_left > 0:
            server.failures_left -= 1
            self.send_response(503)
        else:
            server.received.append(json.loads(body))
            self.send_response(204)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        return


@pytest.fixture
def hook() -> Iterator[Any]:
    server: Any = HTTPServer(("127.0.0.1", 0), _Hook)
    server.received = []
    server.failures_left = 1
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_webhooks_are_posted_with_retries_when_raised_and_cleared(
    engine: AlarmEngine, services: Services, city: SmallCity, hook: Any
) -> None:
    add_entity(services, city, STATION)
    url = f"http://127.0.0.1:{hook.server_address[1]}/alarms"
    pm25_rule(engine, city, duration_seconds=0, scope={"webhook": url})
    engine.observe([obs(city, STATION, "PM2_5", 150, minutes(0))])
    engine.observe([obs(city, STATION, "PM2_5", 50, minutes(1))])
    assert engine.webhooks.join(timeout=10)
    assert [p["event"] for p in hook.received] == ["ops.alarm.raised", "ops.alarm.cleared"]
    raised = hook.received[0]["alarm"]
    assert (raised["entity_id"], raised["value"], raised["state"]) == (STATION, 150, "active")
    assert hook.received[1]["alarm"]["state"] == "cleared"
    assert hook.failures_left == 0  # the first post was refused and retried
    assert engine.webhooks.sent == 2


@given(
    op=st.sampled_from(sorted(OPERATORS)),
    value=st.floats(allow_nan=False, allow_infinity=False),
    threshold=st.floats(allow_nan=False, allow_infinity=False),
)
def test_breaches_compares_like_the_operator_says(op: str, value: float, threshold: float) -> None:
    expected = {
        ">": value > threshold,
        ">=": value >= threshold,
        "<": value < threshold,
        "<=": value <= threshold,
        "==": value == threshold,
        "!=": value != threshold,
    }[op]
    assert breaches(op, value, threshold) is expected
    assert breaches(op, True, threshold) is None
    assert breaches(op, "12", threshold) is None


def test_entity_writes_reach_the_alarms_through_the_observer(
    engine: AlarmEngine, services: Services, city: SmallCity
) -> None:
    if engine.observe not in services.entities.observers:
        services.entities.observers.append(engine.observe)
    lamp = "urn:ngsi-ld:Streetlight:e2e-1"
    services.entities.create(
        city.principals["gaj_steward"],
        {
            "id": lamp,
            "type": STREETLIGHT,
            "lampFailure": {
                "type": "Property",
                "value": True,
                "observedAt": "2026-11-30T08:00:00Z",
            },
        },
    )
    [alarm] = all_alarms(engine, city, state="active")
    assert (alarm.entity_id, alarm.dedupe_key) == (lamp, f"flag:lampFailure|{lamp}")
    assert alarm.raised_at == T0
    assert alarm.department == "gaj"


def test_two_server_processes_raising_the_same_alarm_open_it_once(
    services: Services, city: SmallCity, settings: Any
) -> None:
    """Each worker has its own engine; the database keeps one open alarm per dedupe key."""
    add_entity(services, city, LAMP, type=STREETLIGHT, dept="gaj")
    other = Services.from_settings(settings)
    engines = [services.alarms, other.alarms]
    start = threading.Barrier(len(engines))
    failure = obs(city, LAMP, "lampFailure", True, minutes(0), type=STREETLIGHT, dept="gaj")

    def raise_it(engine: AlarmEngine) -> None:
        start.wait()
        for _ in range(20):
            engine.observe([failure])

    try:
        threads = [threading.Thread(target=raise_it, args=(e,)) for e in engines]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        [alarm] = all_alarms(engine=services.alarms, city=city)
        assert alarm.state == "active" and alarm.occurrences == 40
        assert services.alarms.failures == 0 and other.alarms.failures == 0
        # The index itself: a second open alarm with the same key is refused.
        with pytest.raises(IntegrityError), services.db.transaction() as s:
            s.add(
                OpsAlarm(
                    entity_id=LAMP,
                    department_id=city.departments["gaj"],
                    dedupe_key=alarm.dedupe_key,
                    kind="flag",
                    severity="major",
                    state="acknowledged",
                )
            )
    finally:
        other.alarms.webhooks.close()
        other.close()
