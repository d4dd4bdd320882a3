"""The MQTT bridge: device attributes in (qc/v1/{type}/{id}/attrs), commands out.

Delivery guarantee: the platform subscribes with QoS 1 in a persistent session (MQTT 3.1.1,
clean_session false, a stable client id), and acknowledges a message (PUBACK) manually, only
once it is stored: the latest state committed and its points in the history (`durable`).
Messages are taken in batches (up to `batch_size`, or what arrived within `batch_seconds`)
and stored in one transaction each — one transaction per message would cap the rate at a
few thousand a second; the next batch is stored while the history writes the last one, and
batches are acknowledged in order as the history has them. A batch whose storing failed for
an unexpected reason (the database down …) is tried again, with a growing pause, until it
is stored or the bridge stops; what is left unacknowledged then is delivered again by the
broker on the next connection — at least once, never silently lost (writes are idempotent
on entity, attribute and observedAt).
Malformed payloads and unknown entities are acknowledged and dropped (counted in `stats`):
sending them again would not make them valid. So is a retained message (the broker sends it
on every subscription, and the bridge subscribes on every connection) unless each of its
attributes carries its own observedAt: stored at the time it arrived, a reading of last week
became current again after each reconnect and made a silent device look alive (`stale`).

The connection itself lives in a child process (`mqtt_receiver`): paho reads the broker's
packets one small read at a time, and in this process it held the interpreter lock the
storing needs (half of the server's time at 5,000 messages/s). The child hands over raw
batches and acknowledges a batch only when told it is stored, so a crash of either process
leaves the unstored messages to the broker; the child ends when the server does, even
killed with SIGKILL (its stdin closes), so no orphan keeps the session's client id.

The broker must let enough messages be in flight to the platform and queue enough while it
is away (Mosquitto: `max_inflight_messages`, `max_queued_messages`; see docs/operations.md).
"""

from __future__ import annotations

import contextlib
import json
import logging
import queue
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Protocol
from urllib.parse import unquote, urlsplit

from quancheng.errors import ConfigurationError, PlatformError
from quancheng.identity.roles import Principal
from quancheng.operations import codec, mqtt_receiver
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


class _Batch(NamedTuple):
    generation: int  # of the receiver child that sent it
    number: int
    messages: list[tuple[Any, ...]]  # (topic, payload), or (topic, payload, True) if retained


@dataclass
class BridgeStats:
    """What the bridge has seen since it started."""

    received: int = 0
    ingested: int = 0
    unknown: int = 0
    malformed: int = 0
    stale: int = 0
    failed: int = 0
    connects: int = 0
    disconnects: int = 0
    published: int = 0
    last_error: str = ""
    # The ids of the last batch's messages for entities not registered (at most five).
    last_unknown: str = ""
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def bump(self, name: str, error: str = "", *, n: int = 1) -> None:
        """Add to a counter (thread-safe), remembering the error if one is given."""
        with self._lock:
            setattr(self, name, getattr(self, name) + n)
            if error:
                self.last_error = error

    def unregistered(self, ids: list[str]) -> None:
        """Count messages for unknown entities and name them (an integrator asks which)."""
        with self._lock:
            self.unknown += len(ids)
            self.last_unknown = ", ".join(ids[:5]) + (" …" if len(ids) > 5 else "")

    def as_dict(self) -> dict[str, int | str]:
        """The counters, for logs and the operations board."""
        with self._lock:
            return {
                "received": self.received,
                "ingested": self.ingested,
                "unknown": self.unknown,
                "malformed": self.malformed,
                "stale": self.stale,
                "failed": self.failed,
                "connects": self.connects,
                "disconnects": self.disconnects,
                "published": self.published,
                "last_error": self.last_error,
                "last_unknown": self.last_unknown,
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
    """Subscribes to device attributes and feeds them to the entity store; publishes commands.

    Paho runs in a child process (`mqtt_receiver`), so reading the broker's packets does not
    take the interpreter lock from the storing here; the child acknowledges a batch only once
    this process has stored it. Commands go out through the child's connection too.
    """

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
        self.reconnect_min_delay = reconnect_min_delay
        self.reconnect_max_delay = reconnect_max_delay
        # Waits until what was stored so far is in the history (TelemetryStore.sync).
        self.durable = durable
        self.batch_size = batch_size
        self.batch_seconds = batch_seconds
        self.actor = Principal.system("mqtt")
        self.stats = BridgeStats()
        self._connected = threading.Event()
        self._started = False
        self._batches: queue.Queue[_Batch | None] = queue.Queue()
        # Stored batches waiting for the history, then confirmed to the child (in order).
        self._stored: queue.Queue[tuple[_Batch, IngestResult] | None] = queue.Queue()
        self._confirmer: threading.Thread | None = None
        self._reader: threading.Thread | None = None
        self._worker: threading.Thread | None = None
        self._child: subprocess.Popen[bytes] | None = None
        self._generation = 0
        self._child_lock = threading.Lock()

    @property
    def connected(self) -> bool:
        """Whether the bridge is connected to the broker now."""
        return self._connected.is_set()

    @property
    def receiver_pid(self) -> int | None:
        """The process id of the receiving child while it runs (for operators and tests)."""
        child = self._child
        return child.pid if child is not None and child.returncode is None else None

    def start(self) -> None:
        """Start the receiving child; it connects in the background and reconnects by itself."""
        if self._started:
            return
        self._started = True
        self._worker = threading.Thread(target=self._work, name="qc-mqtt-ingest", daemon=True)
        self._worker.start()
        self._confirmer = threading.Thread(
            target=self._confirm, name="qc-mqtt-confirm", daemon=True
        )
        self._confirmer.start()
        # The child is started from this thread, which lives as long as the child does:
        # Linux's parent-death signal follows the thread that started a process.
        self._reader = threading.Thread(target=self._receive, name="qc-mqtt-receiver", daemon=True)
        self._reader.start()

    def wait_connected(self, timeout: float = 10.0) -> bool:
        """Wait until connected (for start-up checks and tests)."""
        return self._connected.wait(timeout)

    def stop(self) -> None:
        """Store what is being stored, end the child (disconnected); the session stays."""
        if not self._started:
            return
        self._started = False
        self._batches.put(None)
        if self._worker is not None:
            self._worker.join(timeout=30)
            self._worker = None
        # Then the batches stored so far are confirmed once in the history (not waited for
        # beyond one attempt: what stays unconfirmed is delivered again).
        self._stored.put(None)
        if self._confirmer is not None:
            self._confirmer.join(timeout=60)
            self._confirmer = None
        with self._child_lock:
            child = self._child
            if child is not None and child.stdin is not None:
                # End of input: the child disconnects after the acknowledgements sent so far.
                with contextlib.suppress(OSError):
                    child.stdin.close()
        if self._reader is not None:
            self._reader.join(timeout=15)
            self._reader = None
        self._connected.clear()
        # What was received and not stored stays unacknowledged: the broker keeps it.
        while not self._batches.empty():
            self._batches.get_nowait()
        while not self._stored.empty():
            self._stored.get_nowait()

    def publish(self, topic: str, payload: Any, qos: int = 1) -> None:
        """Publish a JSON payload (dicts are encoded); ConnectionError if not connected.

        ValueError for a topic with a wildcard ('+' is valid in an entity id, never in a
        topic name): paho would raise it in the receiver process and end it.
        """
        if "+" in topic or "#" in topic:
            raise ValueError(f"an MQTT topic name cannot contain a wildcard (+ or #): {topic}")
        if not self._connected.is_set():
            # paho would queue it for the next connection; the caller (CommandDesk.retry)
            # re-sends instead, so a long outage does not release a burst of stale commands.
            raise ConnectionError(f"MQTT broker not connected; {topic} not published")
        data = payload if isinstance(payload, str | bytes) else json.dumps(payload)
        if not self._tell(self._generation, ("publish", topic, data, qos)):
            raise ConnectionError(f"MQTT publish to {topic} failed: the receiver has stopped")
        self.stats.bump("published")

    # The receiver thread: starts the child, reads what it sends, starts it again if it died.

    def _receive(self) -> None:
        attempt = 0
        while self._started:
            began = time.monotonic()
            try:
                self._run_child()
            except OSError:
                log.exception("the MQTT receiver process could not be run")
            self._connected.clear()
            if not self._started:
                break
            if time.monotonic() - began > 60:
                attempt = 0
            pause = RETRY_PAUSES[min(attempt, len(RETRY_PAUSES) - 1)]
            log.error("the MQTT receiver process ended; starting it again in %.1f s", pause)
            self.stats.bump("failed", "the MQTT receiver process ended")
            time.sleep(pause)
            attempt += 1

    def _run_child(self) -> None:
        """Run one receiver child until it ends, then reap it."""
        child = mqtt_receiver.spawn()
        assert child.stdin is not None and child.stdout is not None  # noqa: S101 (both PIPE)
        with self._child_lock:
            self._child = child
            self._generation += 1
            generation = self._generation
        try:
            config = {
                "host": self.address.host,
                "port": self.address.port,
                "tls": self.address.tls,
                "username": self.address.username,
                "password": self.address.password,
                "client_id": self.client_id,
                "keepalive": self.keepalive,
                "reconnect_min_delay": self.reconnect_min_delay,
                "reconnect_max_delay": self.reconnect_max_delay,
                "subscription": ATTRS_SUBSCRIPTION,
                "batch_size": self.batch_size,
                "batch_seconds": self.batch_seconds,
            }
            if not self._started or not self._tell(generation, config):
                return
            while True:
                try:
                    event = mqtt_receiver.read_frame(child.stdout)
                except EOFError:
                    return
                self._event(generation, event)
        finally:
            with self._child_lock:
                with contextlib.suppress(OSError):
                    child.stdin.close()
                self._child = None
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
            child.stdout.close()

    def _event(self, generation: int, event: tuple[Any, ...]) -> None:
        kind = event[0]
        if kind == "batch":
            self.stats.bump("received", n=len(event[2]))
            self._batches.put(_Batch(generation, event[1], event[2]))
        elif kind == "connected":
            self.stats.bump("connects")
            self._connected.set()
            log.info("MQTT connected (session present: %s)", event[1])
        elif kind == "disconnected":
            self._connected.clear()
            self.stats.bump("disconnects")
            if self._started:
                log.warning("MQTT disconnected (%s); reconnecting", event[1])
        elif kind == "refused":
            self.stats.bump("failed", f"connect refused: {event[1]}")
            log.warning("MQTT broker refused the connection: %s", event[1])
        elif kind == "error":
            self.stats.bump("failed", event[1])
            log.error("MQTT: %s", event[1])

    def _tell(self, generation: int, message: Any) -> bool:
        """Send to the child of that generation; False if it is gone (or was replaced)."""
        with self._child_lock:
            child = self._child
            if child is None or generation != self._generation or child.stdin is None:
                return False
            try:
                mqtt_receiver.write_frame(child.stdin, message)
            except (OSError, ValueError):
                return False
            return True

    # The ingest worker stores batches from the child; the confirmer waits until they are in
    # the history and tells the child to acknowledge them. Two threads, so the next batch is
    # stored while the history writes the last one.

    def _work(self) -> None:
        while self._started:
            batch = self._batches.get()
            if batch is None or not self._started:
                break
            result = self._store(batch.messages)
            if result is None:
                break  # the bridge stopped first: unacknowledged, delivered again
            self._stored.put((batch, result))

    def _confirm(self) -> None:
        while True:
            item = self._stored.get()
            if item is None:
                break
            batch, result = item
            attempt = 0
            while result.points and not self._durable():
                if not self._started:
                    return  # unacknowledged: delivered again on the next connection
                time.sleep(RETRY_PAUSES[min(attempt, len(RETRY_PAUSES) - 1)])
                attempt += 1
            self._count(result)
            # Acknowledged by the child that received them; a newer child was sent them
            # again by the broker and acknowledges its own copies.
            self._tell(batch.generation, ("stored", batch.number))

    def _store(self, batch: list[tuple[Any, ...]]) -> IngestResult | None:
        """Store a batch (trying again while it fails); None if the bridge stopped first."""
        # Decoded once: a retry must not count the malformed payloads again.
        decoded = self._decode(batch)
        attempt = 0
        while True:
            result = self._ingest(decoded)
            if result is not None:
                return result
            if not self._started:
                return None
            time.sleep(RETRY_PAUSES[min(attempt, len(RETRY_PAUSES) - 1)])
            attempt += 1

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

    def handle_batch(self, messages: list[tuple[Any, ...]]) -> bool:
        """Store messages in one transaction; whether they may be acknowledged (all or none)."""
        result = self._ingest(self._decode(messages))
        if result is None:
            return False
        if result.points and not self._durable():
            return False
        self._count(result)
        return True

    def _decode(self, messages: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
        """The device messages of valid topics and payloads (the others counted as malformed).

        Each message is (topic, payload), or (topic, payload, True) when it is retained.
        """
        decoded: list[dict[str, Any]] = []
        for message in messages:
            topic, payload = message[0], message[1]
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
            if len(message) > 2 and message[2] and not _all_timed(attrs):
                self.stats.bump(
                    "stale", f"{topic}: retained message without observedAt on every attribute"
                )
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
            self.stats.unregistered(result.unknown)
        for refused in result.rejected:
            self.stats.bump("malformed", f"{refused.get('id')}: {refused.get('error')}")


def _all_timed(attrs: dict[str, Any]) -> bool:
    """Whether every attribute carries its own observedAt (a retained copy is then harmless)."""
    return all(isinstance(v, dict) and "observedAt" in v for v in attrs.values())
