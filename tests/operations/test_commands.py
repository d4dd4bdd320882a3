"""Commands to lamps, groups and districts; acknowledgement, expiry, retries; schedule ticks."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from quancheng.app import Services
from quancheng.db.models import LedgerLeaf, OpsCommand, OpsEntity
from quancheng.errors import BadRequest, NotAuthenticated, NotFound, PermissionDenied
from quancheng.identity.roles import Principal
from quancheng.operations.commands import CommandDesk
from quancheng.operations.model import Observation
from quancheng.operations.mqtt import MqttBridge
from tests.operations.test_mqtt import Device, FakeEntities, wait_for
from tests.support.city import SmallCity
from tests.support.mosquitto import Broker, mosquitto_broker, mosquitto_url  # noqa: F401

GROUP = "urn:ngsi-ld:StreetlightGroup:jingshi-road"
DISTRICT = "370102"
SHANGHAI = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 12, 1, 11, 0, tzinfo=UTC)  # 19:00 in Jinan


def lamp_id(n: int) -> str:
    return f"urn:ngsi-ld:Streetlight:cmd-{n:04d}"


def add_lamp(
    services: Services,
    entity_id: str,
    department_id: int,
    *,
    group: str = GROUP,
    district: str = DISTRICT,
    entity_type: str = "Streetlight",
) -> None:
    """A lamp row as the entity store keeps it (the commands only read ops_entities)."""
    with services.db.transaction() as s:
        s.add(
            OpsEntity(
                id=entity_id,
                type=entity_type,
                department_id=department_id,
                district=district,
                group_id=group,
                attrs={"powerState": {"type": "Property", "value": "off"}},
            )
        )


class Recorder:
    """A transport that records what it was asked to publish, or fails while offline."""

    def __init__(self) -> None:
        self.published: list[tuple[str, dict[str, Any]]] = []
        self.offline = False

    def publish(self, topic: str, payload: Any, qos: int = 1) -> None:
        if self.offline:
            raise ConnectionError("broker unreachable")
        self.published.append((topic, payload))


def report(entity_id: str, at: datetime, **attrs: Any) -> list[Observation]:
    return [
        Observation(
            entity_id=entity_id,
            entity_type="Streetlight",
            department_id=0,
            district=DISTRICT,
            group_id=GROUP,
            attribute=name,
            value=value,
            observed_at=at,
        )
        for name, value in attrs.items()
    ]


@pytest.fixture
def desk(services: Services, city: SmallCity) -> CommandDesk:
    gaj = city.departments["gaj"]
    for n in range(1, 4):
        add_lamp(services, lamp_id(n), gaj)
    add_lamp(services, lamp_id(4), gaj, group="urn:ngsi-ld:StreetlightGroup:other")
    add_lamp(services, lamp_id(5), gaj, group="", district="370103")
    # Another department's lamp in the same district.
    add_lamp(services, lamp_id(9), city.departments["sthjj"], group="")
    desk = services.commands
    desk.clock = lambda: T0
    return desk


def states(services: Services) -> dict[int, str]:
    with services.db.reader() as s:
        return {c.id: c.state for c in s.scalars(select(OpsCommand))}


def test_send_to_one_lamp_publishes_on_its_topic(
    services: Services,
    city: SmallCity,
    desk: CommandDesk,
    mosquitto_url: str,  # noqa: F811
) -> None:
    bridge = MqttBridge(mosquitto_url, FakeEntities(set()), client_id="qc-cmd")
    bridge.start()
    assert bridge.wait_connected(10)
    lamp = Device(mosquitto_url, "lamp")
    lamp.subscribe("qc/v1/+/+/cmd")
    desk.transport = bridge
    try:
        (cmd,) = desk.send(city.principals["gaj_steward"], lamp_id(1), "dim", 0.4)
        assert wait_for(lambda: len(lamp.received) == 1)
        topic, payload = lamp.received[0]
        assert topic == f"qc/v1/Streetlight/{lamp_id(1)}/cmd"
        assert payload == {
            "commandId": cmd.id,
            "action": "dim",
            "level": 0.4,
            "expiresAt": "2026-12-01T11:05:00Z",
        }
        assert cmd.state == "sent"
        assert desk.get_command(city.principals["gaj_user"], cmd.id).attempts == 1
    finally:
        lamp.close()
        bridge.stop()


def test_group_and_district_expand_to_the_departments_lamps(
    services: Services, city: SmallCity, desk: CommandDesk
) -> None:
    recorder = Recorder()
    desk.transport = recorder
    steward = city.principals["gaj_steward"]
    group = desk.send(steward, {"group": GROUP}, "on")
    assert sorted(c.entity_id for c in group) == [lamp_id(1), lamp_id(2), lamp_id(3)]
    assert len({c.batch for c in group}) == 1
    district = desk.send(steward, {"district": DISTRICT}, "off")
    # sthjj's lamp in the district is not gaj's to switch.
    assert sorted(c.entity_id for c in district) == [lamp_id(n) for n in (1, 2, 3, 4)]
    assert sorted(t for t, _ in recorder.published[-4:]) == [
        f"qc/v1/Streetlight/{lamp_id(n)}/cmd" for n in (1, 2, 3, 4)
    ]
    # The newer command replaced the older, still unacknowledged one.
    assert {states(services)[c.id] for c in group} == {"superseded"}
    admin = desk.send(city.principals["admin"], {"district": DISTRICT}, "on")
    assert lamp_id(9) in {c.entity_id for c in admin}
    with services.db.reader() as s:
        events = list(
            s.scalars(
                select(LedgerLeaf.type)
                .where(LedgerLeaf.type.like("ops.%"))
                .order_by(LedgerLeaf.index)
            )
        )
    assert events == ["ops.command.sent"] * 3


def test_unknown_devices_permissions_and_bad_input(city: SmallCity, desk: CommandDesk) -> None:
    steward = city.principals["gaj_steward"]
    with pytest.raises(NotFound):
        desk.send(steward, "urn:ngsi-ld:Streetlight:nowhere", "on")
    with pytest.raises(NotFound):
        desk.send(steward, {"group": "urn:ngsi-ld:StreetlightGroup:none"}, "on")
    with pytest.raises(PermissionDenied):
        desk.send(city.principals["env_steward"], lamp_id(1), "on")
    with pytest.raises(PermissionDenied):
        desk.send(city.principals["gaj_user"], lamp_id(1), "on")
    with pytest.raises(PermissionDenied):
        desk.send(city.principals["citizen"], lamp_id(1), "on")
    with pytest.raises(NotAuthenticated):
        desk.send(Principal.anonymous(public_catalog=True), lamp_id(1), "on")
    with pytest.raises(PermissionDenied):
        desk.list_commands(city.principals["citizen"])
    for action, level in (("blink", None), ("dim", None), ("dim", 1.5), ("on", 0.5)):
        with pytest.raises(BadRequest):
            desk.send(steward, lamp_id(1), action, level)
    with pytest.raises(BadRequest):
        desk.send(steward, {"street": "x"}, "on")
    with pytest.raises(BadRequest):
        desk.send(steward, lamp_id(1), "on", expires_in=0)


def test_without_transport_commands_stay_queued_until_retry(
    services: Services, city: SmallCity, desk: CommandDesk
) -> None:
    (cmd,) = desk.send(city.principals["gaj_steward"], lamp_id(1), "on")
    assert cmd.state == "queued"
    recorder = Recorder()
    desk.transport = recorder
    assert desk.retry(T0 + timedelta(seconds=5))["published"] == 1
    assert states(services)[cmd.id] == "sent"
    assert recorder.published[0][1]["commandId"] == cmd.id


def test_a_matching_report_acknowledges(
    services: Services, city: SmallCity, desk: CommandDesk
) -> None:
    desk.transport = Recorder()
    steward = city.principals["gaj_steward"]
    on, dim, off = (
        desk.send(steward, lamp_id(1), "on")[0],
        desk.send(steward, lamp_id(2), "dim", 0.5)[0],
        desk.send(steward, lamp_id(3), "off")[0],
    )
    later = T0 + timedelta(seconds=3)
    # Reports that do not show the desired state leave the commands pending.
    desk.observe(report(lamp_id(1), later, powerState="off"))
    desk.observe(report(lamp_id(2), later, powerState="on", illuminanceLevel=1.0))
    assert {states(services)[c.id] for c in (on, dim)} == {"sent"}
    desk.observe(report(lamp_id(1), later, powerState="on"))
    desk.observe(report(lamp_id(2), later, powerState="on", illuminanceLevel=50))
    desk.observe(report(lamp_id(3), later, commandAck=off.id))
    assert {states(services)[c.id] for c in (on, dim, off)} == {"acknowledged"}
    assert desk.get_command(steward, on.id).acknowledged_at is not None


def test_a_report_older_than_the_command_does_not_acknowledge(
    services: Services, city: SmallCity, desk: CommandDesk
) -> None:
    (cmd,) = desk.send(city.principals["gaj_steward"], lamp_id(1), "on")
    desk.observe(report(lamp_id(1), T0 - timedelta(minutes=5), powerState="on"))
    assert states(services)[cmd.id] == "queued"


def test_unacknowledged_commands_expire(
    services: Services, city: SmallCity, desk: CommandDesk
) -> None:
    desk.transport = Recorder()
    (cmd,) = desk.send(city.principals["gaj_steward"], lamp_id(1), "off", expires_in=60)
    assert desk.retry(T0 + timedelta(seconds=59))["expired"] == 0
    assert desk.retry(T0 + timedelta(seconds=60))["expired"] == 1
    assert states(services)[cmd.id] == "expired"
    # An expired command is not acknowledged by a late report.
    desk.observe(report(lamp_id(1), T0 + timedelta(seconds=61), powerState="off"))
    assert states(services)[cmd.id] == "expired"


def test_retry_resends_to_an_offline_device_with_backoff(
    services: Services, city: SmallCity, desk: CommandDesk
) -> None:
    recorder = Recorder()
    desk.transport = recorder
    (cmd,) = desk.send(city.principals["gaj_steward"], lamp_id(1), "on", expires_in=3600)
    assert len(recorder.published) == 1
    # The lamp is offline: no report. Too early for a second attempt.
    assert desk.retry(T0 + timedelta(seconds=10))["published"] == 0
    assert desk.retry(T0 + timedelta(seconds=31))["published"] == 1
    # Backoff doubles: the third attempt waits a minute after the second.
    assert desk.retry(T0 + timedelta(seconds=61))["published"] == 0
    assert desk.retry(T0 + timedelta(seconds=92))["published"] == 1
    assert [p["commandId"] for _, p in recorder.published] == [cmd.id] * 3
    # The broker is down: the attempt is not counted and the command stays pending.
    recorder.offline = True
    assert desk.retry(T0 + timedelta(seconds=300))["published"] == 0
    recorder.offline = False
    assert desk.retry(T0 + timedelta(seconds=301))["published"] == 1
    # The lamp comes back and reports the desired state.
    desk.observe(report(lamp_id(1), T0 + timedelta(seconds=302), powerState="on"))
    assert states(services)[cmd.id] == "acknowledged"
    assert desk.retry(T0 + timedelta(seconds=900))["published"] == 0
    assert desk.get_command(city.principals["admin"], cmd.id).attempts == 4


def test_list_filters(services: Services, city: SmallCity, desk: CommandDesk) -> None:
    steward = city.principals["gaj_steward"]
    desk.send(steward, {"group": GROUP}, "on")
    (one,) = desk.send(steward, lamp_id(5), "off", override=True)
    reader = city.principals["gaj_user"]
    assert len(desk.list_commands(reader)) == 4
    assert [c.id for c in desk.list_commands(reader, source="override")] == [one.id]
    assert [c.id for c in desk.list_commands(reader, entity_id=lamp_id(5))] == [one.id]
    assert len(desk.list_commands(reader, state="queued", limit=2)) == 2
    # The operations centre is city-wide: another department's users read them too.
    assert len(desk.list_commands(city.principals["env_steward"])) == 4


def local(hour: int, minute: int = 0, day: int = 1) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=SHANGHAI).astimezone(UTC)


def test_tick_turns_due_transitions_into_commands_once(
    services: Services, city: SmallCity, desk: CommandDesk
) -> None:
    recorder = Recorder()
    desk.transport = recorder
    steward = city.principals["gaj_steward"]
    desk.create_schedule(
        steward,
        name="Jingshi Road",
        target={"group": GROUP},
        program={"kind": "fixed", "on": "18:30", "off": "06:00", "dimming": [["23:00", 0.5]]},
    )
    assert desk.tick(local(19, 0)) == 3
    assert desk.tick(local(19, 1)) == 0
    cmds = desk.list_commands(steward, source="schedule")
    assert {(c.entity_id, c.action) for c in cmds} == {(lamp_id(n), "on") for n in (1, 2, 3)}
    assert desk.tick(local(23, 1)) == 3
    assert desk.tick(local(23, 2)) == 0
    dims = desk.list_commands(steward, source="schedule", state="sent")
    assert {(c.action, c.level) for c in dims} == {("dim", 0.5)}
    assert desk.tick(local(6, 0, day=2)) == 3
    assert {c.action for c in desk.list_commands(steward, state="sent")} == {"off"}
    assert json.loads(json.dumps(recorder.published[-1][1]))["action"] == "off"


def test_an_override_beats_the_schedule_until_it_expires(
    services: Services, city: SmallCity, desk: CommandDesk
) -> None:
    desk.transport = Recorder()
    steward = city.principals["gaj_steward"]
    desk.create_schedule(
        steward,
        name="Jingshi Road",
        target={"group": GROUP},
        program={"kind": "fixed", "on": "18:30", "off": "06:00", "dimming": [["23:00", 0.5]]},
    )
    desk.tick(local(19, 0))
    # An incident: full light on one lamp for ten minutes, whatever the schedule says.
    desk.clock = lambda: local(22, 55)
    (override,) = desk.send(steward, lamp_id(1), "on", expires_in=600, override=True)
    assert desk.tick(local(23, 1)) == 2  # the other two lamps dim
    assert desk.tick(local(23, 4)) == 0
    with services.db.reader() as s:
        assert s.get(OpsCommand, override.id).state == "sent"
    # Expired: the schedule's state (dimmed) comes back to that lamp, once.
    assert desk.tick(local(23, 6)) == 1
    assert desk.tick(local(23, 7)) == 0
    (back,) = desk.list_commands(steward, entity_id=lamp_id(1), limit=1)
    assert (back.action, back.level, back.source) == ("dim", 0.5, "schedule")


def test_schedule_changes_are_recorded_and_checked(
    services: Services, city: SmallCity, desk: CommandDesk
) -> None:
    steward = city.principals["gaj_steward"]
    row = desk.create_schedule(
        steward,
        name="Every night",
        program={"kind": "astronomical", "on_offset_minutes": -10, "off_offset_minutes": 15},
        calendar={"weekdays": [0, 1, 2, 3, 4]},
    )
    assert row.department_id == city.departments["gaj"]
    with pytest.raises(PermissionDenied):
        desk.update_schedule(city.principals["env_steward"], row.id, {"priority": 3})
    with pytest.raises(BadRequest):
        desk.update_schedule(steward, row.id, {"program": {"kind": "sometimes"}})
    with pytest.raises(BadRequest):
        desk.create_schedule(steward, name="x", program={"kind": "fixed", "on": "25:00"})
    with pytest.raises(PermissionDenied):
        desk.create_schedule(
            city.principals["gaj_user"],
            name="x",
            program={"kind": "fixed", "on": "18:00", "off": "06:00"},
        )
    desk.update_schedule(steward, row.id, {"priority": 3, "enabled": False})
    assert desk.get_schedule(steward, row.id).priority == 3
    desk.delete_schedule(steward, row.id)
    with pytest.raises(NotFound):
        desk.get_schedule(steward, row.id)
    with services.db.reader() as s:
        events = list(
            s.scalars(
                select(LedgerLeaf.type)
                .where(LedgerLeaf.type.like("ops.%"))
                .order_by(LedgerLeaf.index)
            )
        )
    assert events == ["ops.schedule.created", "ops.schedule.updated", "ops.schedule.deleted"]


def test_reports_through_the_entity_store_acknowledge(services: Services, city: SmallCity) -> None:
    """The production wiring: the entity store's observers include the desk."""
    services.entities.observers.append(services.commands.observe)
    steward = city.principals["gaj_steward"]
    services.entities.create(
        steward,
        {
            "id": lamp_id(7),
            "type": "Streetlight",
            "powerState": {"type": "Property", "value": "off"},
        },
    )
    (cmd,) = services.commands.send(steward, lamp_id(7), "on")
    time.sleep(0.01)
    assert services.entities.ingest_device("Streetlight", lamp_id(7), {"powerState": "on"})
    assert states(services)[cmd.id] == "acknowledged"


def test_commands_api(client: TestClient, city: SmallCity, desk: CommandDesk) -> None:
    steward, reader = city.auth("gaj_steward"), city.auth("gaj_user")
    sent = client.post(
        "/api/v1/ops/commands",
        json={"target": {"group": GROUP}, "action": "dim", "level": 0.3},
        headers=steward,
    )
    assert sent.status_code == 201, sent.text
    batch = sent.json()
    assert {c["entity_id"] for c in batch["commands"]} == {lamp_id(n) for n in (1, 2, 3)}
    assert {c["state"] for c in batch["commands"]} == {"queued"}
    listed = client.get(f"/api/v1/ops/commands?batch={batch['batch']}", headers=reader)
    assert len(listed.json()) == 3
    one = client.get(f"/api/v1/ops/commands/{batch['commands'][0]['id']}", headers=reader)
    assert one.json()["level"] == 0.3
    assert client.get("/api/v1/ops/commands/999999", headers=reader).status_code == 404
    unknown = client.post(
        "/api/v1/ops/commands",
        json={"target": "urn:ngsi-ld:Streetlight:nowhere", "action": "on"},
        headers=steward,
    )
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (404, "unknown_device")
    bad = client.post(
        "/api/v1/ops/commands", json={"target": lamp_id(1), "action": "blink"}, headers=steward
    )
    assert (bad.status_code, bad.json()["error"]["code"]) == (400, "invalid_action")
    no_level = client.post(
        "/api/v1/ops/commands", json={"target": lamp_id(1), "action": "dim"}, headers=steward
    )
    assert no_level.status_code == 400
    assert client.get("/api/v1/ops/commands?state=lost", headers=reader).status_code == 400
    denied = client.post(
        "/api/v1/ops/commands", json={"target": lamp_id(1), "action": "on"}, headers=reader
    )
    assert (denied.status_code, denied.json()["error"]["code"]) == (403, "permission_denied")
    assert client.get("/api/v1/ops/commands", headers=city.auth("citizen")).status_code == 403
    assert client.get("/api/v1/ops/commands").status_code == 401


def test_schedules_api(client: TestClient, city: SmallCity, desk: CommandDesk) -> None:
    steward = city.auth("gaj_steward")
    made = client.post(
        "/api/v1/ops/schedules",
        json={
            "name": "经十路",
            "target": {"group": GROUP},
            "program": {
                "kind": "fixed",
                "on": "18:30",
                "off": "06:00",
                "dimming": [["23:00", 0.5]],
            },
        },
        headers=steward,
    )
    assert made.status_code == 201, made.text
    sid = made.json()["id"]
    plan = client.get(f"/api/v1/ops/schedules/{sid}/plan?date=2026-12-01", headers=steward)
    assert plan.status_code == 200, plan.text
    steps = plan.json()["steps"]
    assert [(s["at"], s["action"], s["level"]) for s in steps] == [
        ("2026-12-01T18:30:00+08:00", "on", None),
        ("2026-12-01T23:00:00+08:00", "dim", 0.5),
        ("2026-12-02T06:00:00+08:00", "off", None),
    ]
    bad_date = client.get(f"/api/v1/ops/schedules/{sid}/plan?date=12/01", headers=steward)
    assert bad_date.status_code == 400
    bad = client.patch(
        f"/api/v1/ops/schedules/{sid}", json={"program": {"kind": "fixed"}}, headers=steward
    )
    assert (bad.status_code, bad.json()["error"]["code"]) == (400, "invalid_time")
    patched = client.patch(f"/api/v1/ops/schedules/{sid}", json={"priority": 4}, headers=steward)
    assert patched.json()["priority"] == 4
    other = client.patch(
        f"/api/v1/ops/schedules/{sid}", json={"priority": 1}, headers=city.auth("env_steward")
    )
    assert other.status_code == 403
    ghost = client.post(
        "/api/v1/ops/schedules",
        json={"name": "x", "target": {"group": "urn:nothing"}, "program": {"kind": "astronomical"}},
        headers=steward,
    )
    assert ghost.status_code == 404
    assert len(client.get("/api/v1/ops/schedules", headers=city.auth("env_steward")).json()) == 1
    assert client.delete(f"/api/v1/ops/schedules/{sid}", headers=steward).status_code == 204
    assert client.get(f"/api/v1/ops/schedules/{sid}", headers=steward).status_code == 404


def test_commands_wait_for_the_broker_and_go_out_on_retry(
    services: Services,
    city: SmallCity,
    desk: CommandDesk,
    mosquitto_broker: Broker,  # noqa: F811
) -> None:
    bridge = MqttBridge(
        mosquitto_broker.url, FakeEntities(set()), client_id="qc-retry", reconnect_max_delay=2
    )
    bridge.start()
    assert bridge.wait_connected(10)
    desk.transport = bridge
    try:
        mosquitto_broker.stop()
        assert wait_for(lambda: not bridge.connected)
        (cmd,) = desk.send(city.principals["gaj_steward"], lamp_id(1), "off", expires_in=3600)
        assert cmd.state == "queued"
        mosquitto_broker.start()
        assert bridge.wait_connected(15)
        lamp = Device(mosquitto_broker.url, "lamp-retry")
        lamp.subscribe(f"qc/v1/Streetlight/{lamp_id(1)}/cmd")
        assert desk.retry(T0 + timedelta(seconds=1))["published"] == 1
        assert wait_for(lambda: len(lamp.received) == 1)
        time.sleep(0.3)
        assert [p["commandId"] for _, p in lamp.received] == [cmd.id]
        assert states(services)[cmd.id] == "sent"
        lamp.close()
    finally:
        bridge.stop()


def test_the_bridge_connects_when_the_broker_comes_up_late(
    mosquitto_broker: Broker,  # noqa: F811
) -> None:
    mosquitto_broker.stop()
    entities = FakeEntities({lamp_id(1)})
    bridge = MqttBridge(mosquitto_broker.url, entities, reconnect_max_delay=1)
    bridge.start()
    try:
        time.sleep(0.5)
        assert not bridge.connected
        mosquitto_broker.start()
        assert bridge.wait_connected(15)
        with pytest.raises(ConnectionError):
            MqttBridge(mosquitto_broker.url, entities).publish("qc/v1/x/y/cmd", {})
    finally:
        bridge.stop()


def test_the_whole_loop_over_mqtt(
    services: Services,
    city: SmallCity,
    mosquitto_url: str,  # noqa: F811
) -> None:
    """Command out on cmd, the lamp's report in on attrs, the command acknowledged."""
    steward = city.principals["gaj_steward"]
    services.entities.create(
        steward,
        {
            "id": lamp_id(8),
            "type": "Streetlight",
            "powerState": {"type": "Property", "value": "on"},
        },
    )
    services.entities.observers.append(services.commands.observe)
    bridge = MqttBridge(mosquitto_url, services.entities, client_id="qc-loop")
    bridge.start()
    assert bridge.wait_connected(10)
    services.commands.transport = bridge
    lamp = Device(mosquitto_url, "lamp-loop")
    lamp.subscribe(f"qc/v1/Streetlight/{lamp_id(8)}/cmd")
    time.sleep(0.3)
    try:
        (cmd,) = services.commands.send(steward, lamp_id(8), "dim", 0.25)
        assert wait_for(lambda: len(lamp.received) == 1)
        order = lamp.received[0][1]
        lamp.publish(
            f"qc/v1/Streetlight/{lamp_id(8)}/attrs",
            {"powerState": "on", "illuminanceLevel": order["level"]},
        )
        assert wait_for(lambda: states(services)[cmd.id] == "acknowledged")
    finally:
        lamp.close()
        bridge.stop()
