"""The MQTT bridge against a real mosquitto: ingest, bad payloads, broker restarts, sessions."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import paho.mqtt.client as paho
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from quancheng.app import Services
from quancheng.errors import ConfigurationError
from quancheng.operations.entities import IngestResult
from quancheng.operations.mqtt import MqttBridge, attrs_topic, parse_attrs_topic, parse_url
from tests.support.city import SmallCity
from tests.support.mosquitto import Broker, mosquitto_broker, mosquitto_url  # noqa: F401

LAMP = "urn:ngsi-ld:Streetlight:mqtt-0001"


def wait_for(check: Callable[[], bool], timeout: float = 10.0) -> bool:
    """Poll until `check` holds (True) or the timeout passes (False)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.02)
    return check()


class FakeEntities:
    """A sink standing in for EntityStore.ingest_batch: known ids, refused messages, failures.

    The bridge's own behaviour (batching, acknowledging, retrying) is under test here; the
    real entity store is exercised by test_mqtt_into_the_real_entity_store.
    """

    def __init__(self, known: set[str], *, fail_first: int = 0) -> None:
        self.known = known
        self.calls: list[tuple[str, str, dict[str, Any]]] = []
        self.fail_first = fail_first
        self.failures = 0
        self.lock = threading.Lock()

    def ingest_batch(self, actor: Any, messages: list[dict[str, Any]]) -> IngestResult:
        result = IngestResult()
        with self.lock:
            if self.fail_first:
                self.fail_first -= 1
                self.failures += 1
                raise RuntimeError("database unavailable")
            for m in messages:
                if "bad" in m["attrs"]:
                    result.rejected.append({"id": m["id"], "error": "bad is not an attribute"})
                    continue
                self.calls.append((m["type"], m["id"], m["attrs"]))
                if m["id"] in self.known:
                    result.accepted += 1
                else:
                    result.unknown.append(m["id"])
        return result

    def seqs(self) -> list[int]:
        with self.lock:
            return [int(c[2]["seq"]) for c in self.calls if "seq" in c[2]]


class Device:
    """A device (or a test observer) connected to the broker with its own paho client."""

    def __init__(self, url: str, client_id: str) -> None:
        address = parse_url(url)
        self.client = paho.Client(
            callback_api_version=CallbackAPIVersion.VERSION2, client_id=client_id
        )
        self.received: list[tuple[str, dict[str, Any]]] = []
        self.client.on_message = self._on_message
        self.client.connect(address.host, address.port)
        self.client.loop_start()

    def _on_message(self, client: paho.Client, userdata: Any, msg: paho.MQTTMessage) -> None:
        self.received.append((msg.topic, json.loads(msg.payload)))

    def publish(self, topic: str, payload: Any, qos: int = 1) -> None:
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        self.client.publish(topic, data, qos=qos).wait_for_publish(5)

    def subscribe(self, topic: str) -> None:
        result, _mid = self.client.subscribe(topic, qos=1)
        assert result == paho.MQTT_ERR_SUCCESS
        time.sleep(0.2)  # the SUBACK; paho has no blocking subscribe

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def device(mosquitto_url: str) -> Iterator[Device]:  # noqa: F811
    d = Device(mosquitto_url, "test-device")
    yield d
    d.close()


def start_bridge(url: str, entities: Any, **options: Any) -> MqttBridge:
    bridge = MqttBridge(url, entities, **options)
    bridge.start()
    # Connected means subscribed too: what a device publishes from now on is delivered.
    assert bridge.wait_connected(10), "the bridge did not connect"
    return bridge


def test_urls_and_topics() -> None:
    address = parse_url("mqtt://dev%40qc:s3cret@10.0.0.5:1884")
    assert (address.host, address.port, address.username, address.password, address.tls) == (
        "10.0.0.5",
        1884,
        "dev@qc",
        "s3cret",
        False,
    )
    assert parse_url("mqtts://broker.example").port == 8883
    with pytest.raises(ConfigurationError):
        parse_url("http://broker.example")
    assert parse_attrs_topic(attrs_topic("Streetlight", LAMP)) == ("Streetlight", LAMP)
    assert parse_attrs_topic(f"qc/v1/Streetlight/{LAMP}/cmd") is None
    assert parse_attrs_topic("qc/v2/Streetlight/x/attrs") is None


def test_attrs_are_ingested_and_bad_messages_counted(
    mosquitto_url: str,  # noqa: F811
    device: Device,
) -> None:
    entities = FakeEntities(known={LAMP})
    bridge = start_bridge(mosquitto_url, entities)
    try:
        device.publish(attrs_topic("Streetlight", LAMP), {"powerState": "on", "seq": 1})
        device.publish(attrs_topic("Streetlight", LAMP), b"{not json")
        device.publish(attrs_topic("Streetlight", LAMP), b"[1, 2]")
        device.publish(attrs_topic("Streetlight", LAMP), {"bad": 1})
        device.publish(attrs_topic("Streetlight", "urn:ngsi-ld:Streetlight:nobody"), {"seq": 2})
        # The bridge keeps going after all of that.
        device.publish(attrs_topic("Streetlight", LAMP), {"illuminanceLevel": 0.5, "seq": 3})
        assert wait_for(lambda: bridge.stats.received == 6)
        assert wait_for(lambda: entities.seqs() == [1, 2, 3])
        # Counted once acknowledged (by the confirming thread, after the store).
        counted = ("malformed", "unknown", "ingested")
        assert wait_for(lambda: [bridge.stats.as_dict()[k] for k in counted] == [3, 1, 2])
        assert entities.calls[0] == ("Streetlight", LAMP, {"powerState": "on", "seq": 1})
    finally:
        bridge.stop()


def test_broker_restart_reconnects_and_delivers_what_was_queued(
    mosquitto_broker: Broker,  # noqa: F811
) -> None:
    entities = FakeEntities(known={LAMP})
    bridge = start_bridge(
        mosquitto_broker.url, entities, reconnect_min_delay=1, reconnect_max_delay=2
    )
    try:
        first = Device(mosquitto_broker.url, "dev-1")
        for seq in range(5):
            first.publish(attrs_topic("Streetlight", LAMP), {"seq": seq})
        first.close()
        assert wait_for(lambda: entities.seqs() == list(range(5)))

        mosquitto_broker.stop()
        assert wait_for(lambda: not bridge.connected)
        mosquitto_broker.start()
        # Published before the bridge is back: the broker queues them in its session.
        second = Device(mosquitto_broker.url, "dev-2")
        for seq in range(5, 10):
            second.publish(attrs_topic("Streetlight", LAMP), {"seq": seq})
        assert wait_for(lambda: bridge.stats.connects >= 2, timeout=15)
        for seq in range(10, 15):
            second.publish(attrs_topic("Streetlight", LAMP), {"seq": seq})
        second.close()
        assert wait_for(lambda: sorted(set(entities.seqs())) == list(range(15)), timeout=15)
    finally:
        bridge.stop()


def test_persistent_session_keeps_messages_while_the_platform_is_away(
    mosquitto_url: str,  # noqa: F811
    device: Device,
) -> None:
    entities = FakeEntities(known={LAMP})
    bridge = start_bridge(mosquitto_url, entities, client_id="qc-persistent")
    bridge.stop()
    for seq in range(3):
        device.publish(attrs_topic("Streetlight", LAMP), {"seq": seq})
    # Same client id, clean_session false: the broker hands over what it kept.
    again = start_bridge(mosquitto_url, entities, client_id="qc-persistent")
    try:
        assert wait_for(lambda: entities.seqs() == [0, 1, 2])
    finally:
        again.stop()


def test_a_batch_whose_storing_failed_is_tried_again_then_acknowledged(
    mosquitto_url: str,  # noqa: F811
    device: Device,
) -> None:
    entities = FakeEntities(known={LAMP}, fail_first=2)
    bridge = start_bridge(mosquitto_url, entities, client_id="qc-retry-store")
    try:
        device.publish(attrs_topic("Streetlight", LAMP), {"seq": 7})
        assert wait_for(lambda: entities.seqs() == [7])
        assert wait_for(lambda: bridge.stats.ingested == 1)
        assert bridge.stats.failed == 2
    finally:
        bridge.stop()
    # Acknowledged once stored: the session has nothing to deliver again.
    again = start_bridge(mosquitto_url, entities, client_id="qc-retry-store")
    try:
        time.sleep(0.5)
        assert entities.seqs() == [7]
    finally:
        again.stop()


class CountingEntities(FakeEntities):
    """FakeEntities whose accepted messages carry one point each (for the history)."""

    def ingest_batch(self, actor: Any, messages: list[dict[str, Any]]) -> IngestResult:
        result = super().ingest_batch(actor, messages)
        result.points = result.accepted
        return result


def test_a_batch_is_acknowledged_only_once_in_the_history(
    mosquitto_url: str,  # noqa: F811
    device: Device,
) -> None:
    entities = CountingEntities(known={LAMP})
    history = threading.Event()
    bridge = start_bridge(mosquitto_url, entities, client_id="qc-durable", durable=history.is_set)
    try:
        device.publish(attrs_topic("Streetlight", LAMP), {"seq": 1})
        assert wait_for(lambda: entities.seqs() == [1])
        # Stored but not in the history: neither counted nor acknowledged, and not stored
        # twice; the next batch is stored meanwhile.
        assert wait_for(lambda: bridge.stats.failed >= 1)
        device.publish(attrs_topic("Streetlight", LAMP), {"seq": 2})
        assert wait_for(lambda: entities.seqs() == [1, 2])
        assert bridge.stats.ingested == 0
    finally:
        bridge.stop()
    # Never in the history, so never acknowledged: the session delivers both again.
    history.set()
    again = start_bridge(mosquitto_url, entities, client_id="qc-durable", durable=history.is_set)
    try:
        assert wait_for(lambda: entities.seqs() == [1, 2, 1, 2])
        assert wait_for(lambda: again.stats.ingested == 2)
    finally:
        again.stop()
    # Now acknowledged: nothing more to deliver.
    last = start_bridge(mosquitto_url, entities, client_id="qc-durable", durable=history.is_set)
    try:
        time.sleep(0.5)
        assert entities.seqs() == [1, 2, 1, 2]
    finally:
        last.stop()


def test_what_could_not_be_stored_is_delivered_again_on_the_next_connection(
    mosquitto_url: str,  # noqa: F811
    device: Device,
) -> None:
    entities = FakeEntities(known={LAMP}, fail_first=1_000)
    bridge = start_bridge(mosquitto_url, entities, client_id="qc-redeliver")
    device.publish(attrs_topic("Streetlight", LAMP), {"seq": 7})
    assert wait_for(lambda: bridge.stats.failed >= 1)
    bridge.stop()
    assert entities.seqs() == []
    # Never acknowledged, so the next connection of the session receives it again.
    entities.fail_first = 0
    again = start_bridge(mosquitto_url, entities, client_id="qc-redeliver")
    try:
        assert wait_for(lambda: entities.seqs() == [7])
    finally:
        again.stop()


def test_mqtt_into_the_real_entity_store(
    services: Services,
    city: SmallCity,
    mosquitto_url: str,  # noqa: F811
    device: Device,
) -> None:
    steward = city.principals["gaj_steward"]
    services.entities.create(
        steward,
        {
            "id": LAMP,
            "type": "Streetlight",
            "powerState": {"type": "Property", "value": "off"},
        },
    )
    bridge = start_bridge(mosquitto_url, services.entities)
    try:
        device.publish(attrs_topic("Streetlight", LAMP), {"powerState": "on"})
        device.publish(attrs_topic("Streetlight", LAMP), b"")
        device.publish(attrs_topic("Streetlight", "urn:ngsi-ld:Streetlight:ghost"), {"x": 1})
        assert wait_for(lambda: bridge.stats.received == 3)
        assert wait_for(lambda: services.entities.get(steward, LAMP)["powerState"]["value"] == "on")
        # Counted once the batch is in the history too (a moment after the entity changed).
        assert wait_for(lambda: bridge.stats.ingested == 1)
        # The empty payload and the ghost may come in later batches than the good message.
        assert wait_for(lambda: bridge.stats.malformed == 1)
        assert wait_for(lambda: bridge.stats.unknown == 1)
        # The unregistered device is named where the operator reads the bridge's counters.
        assert bridge.stats.as_dict()["last_unknown"] == "urn:ngsi-ld:Streetlight:ghost"
    finally:
        bridge.stop()


def process_gone(pid: int) -> bool:
    """Whether a process has ended (a zombie holds no socket: it counts as gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return True
    return stat.rsplit(")", 1)[1].split()[0] in ("Z", "X")


class BlockingEntities(FakeEntities):
    """A sink whose first batch waits until the test lets it be stored."""

    def __init__(self, known: set[str]) -> None:
        super().__init__(known)
        self.entered = threading.Event()
        self.release = threading.Event()

    def ingest_batch(self, actor: Any, messages: list[dict[str, Any]]) -> IngestResult:
        if not self.entered.is_set():
            self.entered.set()
            assert self.release.wait(30)
        return super().ingest_batch(actor, messages)


def test_the_receiver_is_a_child_process_reaped_on_stop(mosquitto_url: str) -> None:  # noqa: F811
    bridge = start_bridge(mosquitto_url, FakeEntities(known={LAMP}), client_id="qc-child")
    pid = bridge.receiver_pid
    assert pid is not None and pid != os.getpid()
    cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    assert b"quancheng.operations.mqtt_receiver" in cmdline
    bridge.stop()
    # Reaped, not left a zombie; and nothing else holds the client id.
    assert not Path(f"/proc/{pid}").exists()
    assert bridge.receiver_pid is None and not bridge.connected


def test_messages_are_acknowledged_only_once_stored(
    mosquitto_url: str,  # noqa: F811
    device: Device,
) -> None:
    entities = BlockingEntities(known={LAMP})
    bridge = start_bridge(
        mosquitto_url, entities, client_id="qc-ack-after-store", reconnect_max_delay=1
    )
    try:
        device.publish(attrs_topic("Streetlight", LAMP), {"seq": 1})
        assert entities.entered.wait(10)
        # The receiver dies while the server is storing its batch: it had not acknowledged
        # the message, so the broker delivers it again to the receiver started in its place.
        first = bridge.receiver_pid
        assert first is not None
        os.kill(first, signal.SIGKILL)
        assert wait_for(lambda: bridge.receiver_pid not in (None, first), timeout=15)
        assert wait_for(lambda: bridge.stats.received == 2, timeout=15)
        entities.release.set()
        assert wait_for(lambda: entities.seqs() == [1, 1])
        assert wait_for(lambda: bridge.stats.ingested == 2)
    finally:
        entities.release.set()
        bridge.stop()
    # The second copy was acknowledged once stored: the session holds nothing more.
    again = start_bridge(mosquitto_url, entities, client_id="qc-ack-after-store")
    try:
        time.sleep(0.5)
        assert entities.seqs() == [1, 1]
    finally:
        again.stop()


SERVER = """
import sys, time
from quancheng.operations.entities import IngestResult
from quancheng.operations.mqtt import MqttBridge

class Sink:
    def ingest_batch(self, actor, messages):
        return IngestResult()

bridge = MqttBridge(sys.argv[1], Sink(), client_id="qc-orphan")
bridge.start()
assert bridge.wait_connected(10)
print(bridge.receiver_pid, flush=True)
time.sleep(600)
"""


def test_the_receiver_does_not_outlive_a_killed_server(
    mosquitto_url: str,  # noqa: F811
) -> None:
    server = subprocess.Popen(
        [sys.executable, "-c", SERVER, mosquitto_url], stdout=subprocess.PIPE, text=True
    )
    try:
        assert server.stdout is not None
        child = int(server.stdout.readline())
        assert not process_gone(child)
    finally:
        server.kill()
        server.wait()
    assert wait_for(lambda: process_gone(child), timeout=5), "the receiver outlived the server"
    # A server started again with the same client id keeps its connection: no orphan takes
    # the session back from it.
    bridge = start_bridge(mosquitto_url, FakeEntities(known=set()), client_id="qc-orphan")
    try:
        time.sleep(2)
        assert bridge.connected
        assert (bridge.stats.connects, bridge.stats.disconnects) == (1, 0)
    finally:
        bridge.stop()


def test_the_broker_password_is_on_no_command_line(tmp_path: Path) -> None:
    secret = "s3cret-do-not-show"
    # No broker needed: the receiver is started (and retries connecting) all the same.
    bridge = MqttBridge(f"mqtt://platform:{secret}@127.0.0.1:9", FakeEntities(known=set()))
    bridge.start()
    try:
        assert wait_for(lambda: bridge.receiver_pid is not None)
        pid = bridge.receiver_pid
        assert pid is not None
        seen = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    seen.append((entry / "cmdline").read_bytes())
                except OSError:
                    continue  # ended meanwhile
        assert any(b"mqtt_receiver" in argv for argv in seen)
        assert not any(secret.encode() in argv for argv in seen)
    finally:
        bridge.stop()


def test_a_text_value_with_a_nul_character_is_refused_not_retried_forever(
    services: Services, city: SmallCity
) -> None:
    # Regression: on PostgreSQL a reading like {"name": "a\u0000b"} made the whole batch fail
    # in the database (jsonb has no NUL), so the bridge tried it again forever, never
    # acknowledged it, and every device's telemetry behind it stalled.
    steward = city.principals["gaj_steward"]
    other = LAMP.replace("0001", "0002")
    for lamp in (LAMP, other):
        services.entities.create(
            steward,
            {"id": lamp, "type": "Streetlight", "powerState": {"type": "Property", "value": "off"}},
        )
    bridge = MqttBridge("mqtt://127.0.0.1:1", services.entities)
    ok = bridge.handle_batch(
        [
            (attrs_topic("Streetlight", LAMP), b'{"powerState": "on"}'),
            (
                attrs_topic("Streetlight", other),
                b'{"powerState": {"value": "on", "unitCode": "\\u0000"}}',
            ),
            (attrs_topic("Streetlight", other), b'{"powerState": "on", "note": "a\\u0000b"}'),
        ]
    )
    assert ok, "the batch must be acknowledged: sending it again cannot make it valid"
    assert services.entities.get(steward, LAMP)["powerState"]["value"] == "on"
    assert services.entities.get(steward, other)["powerState"]["value"] == "off"
    assert bridge.stats.ingested == 1 and bridge.stats.malformed == 2
    assert "NUL" in bridge.stats.last_error


def test_a_command_to_an_id_with_a_wildcard_is_refused_and_the_receiver_keeps_running(
    mosquitto_url: str,  # noqa: F811
    device: Device,
) -> None:
    # Regression: entity ids may contain '+' (urn:ngsi-ld:Streetlight:lamp+1), which no MQTT
    # topic name may. publish() reported success (the command was marked sent) while paho
    # raised in the receiver process and killed it: ingestion stopped and restarted.
    bridge = start_bridge(mosquitto_url, FakeEntities(known={LAMP}), client_id="qc-wildcard")
    try:
        pid = bridge.receiver_pid
        with pytest.raises(ValueError, match="wildcard"):
            bridge.publish("qc/v1/Streetlight/urn:ngsi-ld:Streetlight:lamp+1/cmd", {"on": 1})
        assert bridge.stats.published == 0
        device.publish(attrs_topic("Streetlight", LAMP), {"powerState": "on", "seq": 1})
        assert wait_for(lambda: bridge.stats.ingested == 1)
        assert bridge.receiver_pid == pid and bridge.connected
        assert bridge.stats.failed == 0
    finally:
        bridge.stop()


def test_a_retained_reading_without_its_own_time_is_not_stored_again_on_each_connect(
    mosquitto_url: str,  # noqa: F811
    device: Device,
) -> None:
    # Regression: the broker sends retained messages on every subscription, and the bridge
    # subscribes on every connection; a retained reading without observedAt was stored as if
    # observed then — last week's value became current again and a silent device looked alive.
    other = LAMP.replace("0001", "0002")
    timed = {"powerState": {"value": "on", "observedAt": "2026-01-01T00:00:00Z"}}

    def retained(topic: str, payload: Any) -> None:
        info = device.client.publish(topic, json.dumps(payload).encode(), qos=1, retain=True)
        info.wait_for_publish(5)

    retained(attrs_topic("Streetlight", LAMP), {"seq": 1})
    retained(attrs_topic("Streetlight", other), timed)
    sink = FakeEntities(known={LAMP, other})
    bridge = start_bridge(mosquitto_url, sink, client_id="qc-retained")
    try:
        assert wait_for(lambda: bridge.stats.received == 2)
        assert wait_for(lambda: bridge.stats.stale == 1 and bridge.stats.ingested == 1)
        assert sink.seqs() == [] and [c[1] for c in sink.calls] == [other]
        # Live messages reach an established subscription with the retain flag cleared.
        retained(attrs_topic("Streetlight", LAMP), {"seq": 2})
        assert wait_for(lambda: sink.seqs() == [2])
    finally:
        bridge.stop()
    bridge = start_bridge(mosquitto_url, sink, client_id="qc-retained")
    try:
        assert wait_for(lambda: bridge.stats.received == 2)
        assert wait_for(lambda: bridge.stats.stale == 1)
        time.sleep(0.3)
        assert sink.seqs() == [2], "the retained seq 2 is not stored a second time"
    finally:
        bridge.stop()
        for topic in (attrs_topic("Streetlight", LAMP), attrs_topic("Streetlight", other)):
            device.client.publish(topic, b"", qos=1, retain=True).wait_for_publish(5)
