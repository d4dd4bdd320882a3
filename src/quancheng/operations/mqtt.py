"""The MQTT bridge: device attributes in (qc/v1/{type}/{id}/attrs), commands out.

Delivery guarantee: the platform subscribes with QoS 1 in a persistent session (MQTT 3.1.1,
clean_session false, a stable client id), and acknowledges a message (PUBACK) manually, only
once it is stored: the latest state committed and its points in the history (`durable`).
Messages are taken in batches (up to `batch_size`, or what arrived within `batch_seconds`)
and stored in one transaction each — one transaction per message would cap the rate at a
few thousand a second. A batch whose storing failed for an unexpected reason (the database
down …) is tried again, with a growing pause, until it is stored or the bridge stops; what
is left unacknowledged then is delivered again by the broker on the next connection — at
least once, never silently lost (writes are idempotent on entity, attribute and observedAt).
Malformed payloads and unknown entities are acknowledged and dropped (counted in `stats`):
sending them again would not make them valid.

The broker must let enough messages be in flight to the platform and queue enough while it
is away (Mosquitto: `max_inflight_messages`, `max_queued_messages`; see docs/operations.md).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Protocol
from urllib.parse import unquote, urlsplit

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from quancheng.errors import ConfigurationError, PlatformError
from quancheng.identity.roles import Principal
from quancheng.operations import codec
from quancheng.operations.entities import IngestResult

log = logging.getLogger(__name__)

TOPIC_PREFIX = "qc/v1"
ATTRS_SUBSCRIPTION = f"{TOPIC_PREFIX}/+/+/attrs"
DEFAULT_CLIENT_ID = "quancheng-platform"


BATCH_SIZE = 2_000
BATCH_SECONDS = 0.05
# Pauses between attempts at a batch that could not be stored (seconds, the last repeats).
RETRY_PAUSES = (0.5, 1.0, 2.0, 5.0)


class DeviceSink(Protocol):
    """Where device attributes go: EntityStore.ingest_batch."""

    def ingest_batch(self, actor: Principal, messages: Any) -> IngestResult:
        """Store device messages; unknown ids and refused messages are reported, not raised."""
        ...


class _Delivery(NamedTuple):
    topic: str
    payload: bytes | bytearray
    mid: int
    qos: int


@dataclass
class BridgeStats:
    """What the bridge has seen since it started."""

    received: int = 0
    ingested: int = 0
    unknown: int = 0
    malformed: int = 0
    failed: int = 0
    connects: int = 0
    disconnects: int = 0
    published: int = 0
    last_error: str = ""
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def bump(self, name: str, error: str = "", *, n: int = 1) -> None:
        """Add to a counter (thread-safe), remembering the error if one is given."""
        with self._lock:
            setattr(self, name, getattr(self, name) + n)
            if error:
                self.last_error = error

    def as_dict(self) -> dict[str, int | str]:
        """The counters, for logs and the operations board."""
        with self._lock:
            return {
                "received": self.received,
                "ingested": self.ingested,
                "unknown": self.unknown,
                "malformed": self.malformed,
                "failed": self.failed,
                "connects": self.connects,
                "disconnects": self.disconnects,
                "published": self.published,
                "last_error": self.last_error,
            }


@dataclass(frozen=True)
class BrokerAddress:
    """A broker URL taken apart: mqtt://user:password@host:port or mqtts://…"""

    host: str
    port: int
    tls: bool
    username: str | None
    password: str | None


def parse_url(url: str) -> BrokerAddress:
    """The parts of an mqtt:// or mqtts:// URL, or ConfigurationError."""
    parts = urlsplit(url)
    if parts.scheme not in ("mqtt", "mqtts", "tcp", "ssl") or not parts.hostname:
        raise ConfigurationError(
            "QC_MQTT_URL must look like mqtt://user:password@host:1883",
            details={"setting": "QC_MQTT_URL"},
        )
    tls = parts.scheme in ("mqtts", "ssl")
    return BrokerAddress(
        host=parts.hostname,
        port=parts.port or (8883 if tls else 1883),
        tls=tls,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
    )


def attrs_topic(entity_type: str, entity_id: str) -> str:
    """The topic a device publishes its attributes on."""
    return f"{TOPIC_PREFIX}/{entity_type}/{entity_id}/attrs"


def command_topic(entity_type: str, entity_id: str) -> str:
    """The topic a device receives its commands on."""
    return f"{TOPIC_PREFIX}/{entity_type}/{entity_id}/cmd"


def parse_attrs_topic(topic: str) -> tuple[str, str] | None:
    """(entity type, entity id) of an attrs topic, None for any other topic."""
    parts = topic.split("/")
    if len(parts) != 5 or f"{parts[0]}/{parts[1]}" != TOPIC_PREFIX or parts[4] != "attrs":
        return None
    if not parts[2] or not parts[3]:
        return None
    return parts[2], parts[3]


class MqttBridge:
    """Subscribes to device attributes and feeds them to the entity store; publishes commands."""

    def __init__(
        self,
        url: str,
        entities: DeviceSink,
        *,
        client_id: str = DEFAULT_CLIENT_ID,
        keepalive: int = 30,
        reconnect_min_delay: int = 1,
        reconnect_max_delay: int = 30,
        durable: Callable[[], bool] | None = None,
        batch_size: int = BATCH_SIZE,
        batch_seconds: float = BATCH_SECONDS,
    ) -> None:
        self.address = parse_url(url)
        self.entities = entities
        self.client_id = client_id
        self.keepalive = keepalive
        # Waits until what was stored so far is in the history (TelemetryStore.sync).
        self.durable = durable
        self.batch_size = batch_size
        self.batch_seconds = batch_seconds
        self.actor = Principal.system("mqtt")
        self.stats = BridgeStats()
        self._connected = threading.Event()
        self._started = False
        self._inbox: deque[_Delivery] = deque()
        self._arrived = threading.Condition()
        self._worker: threading.Thread | None = None
        # A persistent session (clean_session false) with a stable client id: the broker
        # keeps our subscription and the QoS 1 messages queued while we are disconnected.
        self.client = paho.Client(
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id=client_id,
            clean_session=False,
            protocol=paho.MQTTv311,
            manual_ack=True,
        )
        if self.address.username is not None:
            self.client.username_pw_set(self.address.username, self.address.password)
        if self.address.tls:
            self.client.tls_set()
        self.client.reconnect_delay_set(reconnect_min_delay, reconnect_max_delay)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message

    @property
    def connected(self) -> bool:
        """Whether the bridge is connected to the broker now."""
        return self._connected.is_set()

    def start(self) -> None:
        """Connect in the background; the network thread reconnects by itself when needed."""
        if self._started:
            return
        self._started = True
        self._worker = threading.Thread(target=self._work, name="qc-mqtt-ingest", daemon=True)
        self._worker.start()
        # connect_async: a broker that is down at start-up is retried, not fatal.
        self.client.connect_async(self.address.host, self.address.port, self.keepalive)
        self.client.loop_start()

    def wait_connected(self, timeout: float = 10.0) -> bool:
        """Wait until connected (for start-up checks and tests)."""
        return self._connected.wait(timeout)

    def stop(self) -> None:
        """Disconnect and stop the network thread; the session stays on the broker."""
        if not self._started:
            return
        self._started = False
        with self._arrived:
            self._arrived.notify()
        if self._worker is not None:
            self._worker.join(timeout=30)
            self._worker = None
        self.client.disconnect()
        self.client.loop_stop()
        self._connected.clear()
        # What was received and not stored stays unacknowledged: the broker keeps it.
        self._inbox.clear()

    def publish(self, topic: str, payload: Any, qos: int = 1) -> None:
        """Publish a JSON payload (dicts are encoded); ConnectionError if not connected."""
        if not self._connected.is_set():
            # paho would queue it for the next connection; the caller (CommandDesk.retry)
            # re-sends instead, so a long outage does not release a burst of stale commands.
            raise ConnectionError(f"MQTT broker not connected; {topic} not published")
        data = payload if isinstance(payload, str | bytes) else json.dumps(payload)
        info = self.client.publish(topic, data, qos=qos)
        if info.rc != MQTTErrorCode.MQTT_ERR_SUCCESS:
            raise ConnectionError(f"MQTT publish to {topic} failed: {paho.error_string(info.rc)}")
        self.stats.bump("published")

    # Callbacks run in paho's network thread.

    def _on_connect(
        self,
        client: paho.Client,
        userdata: Any,
        flags: paho.ConnectFlags,
        reason_code: ReasonCode,
        properties: Properties | None,
    ) -> None:
        if reason_code.is_failure:
            self.stats.bump("failed", f"connect refused: {reason_code}")
            log.warning("MQTT broker refused the connection: %s", reason_code)
            return
        self.stats.bump("connects")
        # Subscribing again on a resumed session is harmless and covers a broker that lost it.
        client.subscribe(ATTRS_SUBSCRIPTION, qos=1)
        self._connected.set()
        log.info("MQTT connected (session present: %s)", flags.session_present)

    def _on_disconnect(
        self,
        client: paho.Client,
        userdata: Any,
        flags: paho.DisconnectFlags,
        reason_code: ReasonCode,
        properties: Properties | None,
    ) -> None:
        self._connected.clear()
        self.stats.bump("disconnects")
        if self._started:
            log.warning("MQTT disconnected (%s); reconnecting", reason_code)

    def _on_message(self, client: paho.Client, userdata: Any, message: paho.MQTTMessage) -> None:
        self.stats.bump("received")
        # deque.append is atomic: the condition is only taken to wake the worker.
        inbox = self._inbox
        inbox.append(_Delivery(message.topic, message.payload, message.mid, message.qos))
        if len(inbox) >= self.batch_size:
            with self._arrived:
                self._arrived.notify()

    # The ingest worker: batches from the inbox, stored, then acknowledged in order.

    def _work(self) -> None:
        while self._started:
            with self._arrived:
                if len(self._inbox) < self.batch_size:
                    self._arrived.wait(self.batch_seconds)
            batch = self._take()
            if batch:
                self._store(batch)

    def _take(self) -> list[_Delivery]:
        batch: list[_Delivery] = []
        inbox = self._inbox
        while inbox and len(batch) < self.batch_size:
            batch.append(inbox.popleft())
        return batch

    def _store(self, batch: list[_Delivery]) -> None:
        """Store a batch (trying again while it fails), then acknowledge every message."""
        # Decoded once: a retry must not count the malformed payloads again.
        decoded = self._decode([(d.topic, d.payload) for d in batch])
        attempt = 0
        while True:
            result = self._ingest(decoded)
            if result is not None and (not result.points or self._durable()):
                break
            if not self._started:
                return  # unacknowledged: delivered again on the next connection
            time.sleep(RETRY_PAUSES[min(attempt, len(RETRY_PAUSES) - 1)])
            attempt += 1
        self._count(result)
        for d in batch:
            if d.qos:
                self.client.ack(d.mid, d.qos)

    def _durable(self) -> bool:
        """Whether everything stored so far is in the history (counted as a failure if not)."""
        if self.durable is None:
            return True
        try:
            if self.durable():
                return True
            error = "the telemetry history was not written in time"
        except Exception as exc:
            log.exception("waiting for the telemetry history failed")
            error = f"{type(exc).__name__}: {exc}"
        log.error("MQTT batch not acknowledged yet: %s", error)
        self.stats.bump("failed", error)
        return False

    def handle(self, topic: str, payload: bytes | bytearray) -> bool:
        """Ingest one message; whether it may be acknowledged (False: deliver it again)."""
        return self.handle_batch([(topic, payload)])

    def handle_batch(self, messages: list[tuple[str, bytes | bytearray]]) -> bool:
        """Store messages in one transaction; whether they may be acknowledged (all or none)."""
        result = self._ingest(self._decode(messages))
        if result is None:
            return False
        if result.points and not self._durable():
            return False
        self._count(result)
        return True

    def _decode(self, messages: list[tuple[str, bytes | bytearray]]) -> list[dict[str, Any]]:
        """The device messages of valid topics and payloads (the others counted as malformed)."""
        decoded: list[dict[str, Any]] = []
        for topic, payload in messages:
            where = parse_attrs_topic(topic)
            if where is None:
                self.stats.bump("malformed", f"unexpected topic {topic!r}")
                continue
            entity_type, entity_id = where
            try:
                attrs = codec.loads(payload)
            except ValueError as exc:  # UnicodeDecodeError is one too
                self.stats.bump("malformed", f"{topic}: not JSON ({exc})")
                continue
            if not isinstance(attrs, dict) or not attrs:
                self.stats.bump("malformed", f"{topic}: payload is not a JSON object")
                continue
            decoded.append({"id": entity_id, "type": entity_type, "attrs": attrs})
        return decoded

    def _ingest(self, decoded: list[dict[str, Any]]) -> IngestResult | None:
        """Store decoded messages; None when that failed and may succeed if tried again."""
        if not decoded:
            return IngestResult()
        try:
            return self.entities.ingest_batch(self.actor, decoded)
        except PlatformError as exc:
            if exc.status < 500:
                # Refused as a whole (not a device's fault, not curable by redelivery).
                self.stats.bump("malformed", exc.message, n=len(decoded))
                return IngestResult()
            log.error("storing %d MQTT messages failed: %s", len(decoded), exc.message)
            self.stats.bump("failed", exc.message)
            return None
        except Exception as exc:
            # Not the messages' fault: keep them unacknowledged and try again.
            log.exception("storing %d MQTT messages failed", len(decoded))
            self.stats.bump("failed", f"{type(exc).__name__}: {exc}")
            return None

    def _count(self, result: IngestResult) -> None:
        """Count what a stored batch did (once it may be acknowledged)."""
        if result.accepted:
            self.stats.bump("ingested", n=result.accepted)
        if result.unknown:
            self.stats.bump("unknown", n=len(result.unknown))
        for refused in result.rejected:
            self.stats.bump("malformed", f"{refused.get('id')}: {refused.get('error')}")
