"""The MQTT bridge against a real mosquitto: ingest, bad payloads, broker restarts, sessions."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
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
    assert bridge.wait_connected(10), "the bridge did not connect"
    # The subscription is sent from on_connect; give the SUBACK a moment.
    time.sleep(0.3)
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
        stats = bridge.stats.as_dict()
        assert stats["malformed"] == 3
        assert stats["unknown"] == 1
        assert stats["ingested"] == 2
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
        assert bridge.stats.failed == 2 and bridge.stats.ingested == 1
    finally:
        bridge.stop()
    # Acknowledged once stored: the session has nothing to deliver again.
    again = start_bridge(mosquitto_url, entities, client_id="qc-retry-store")
    try:
        time.sleep(0.5)
        assert entities.seqs() == [7]
    finally:
        again.stop()


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
    finally:
        bridge.stop()
