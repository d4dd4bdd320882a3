"""Telemetry into a served city: HTTP batches and MQTT through Mosquitto, sustained, no loss.

The city runs as `quancheng serve` in its own process (one worker, the embedded DuckDB or
PostgreSQL); the load comes from this process over loopback, as gateways and devices would
send it. Figures: data points/s acknowledged (an HTTP answer or a PUBACK comes only once the
points are in the history), request latency, the end-to-end delay from a device's publish
to the operations screen, and — after the server is killed with SIGKILL — the count of
points in the history against the count acknowledged (zero loss means equal).
"""

from __future__ import annotations

import json
import multiprocessing
import os
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion
from tests.support.city import SmallCity
from tests.support.server import PreparedCity, Server, opened, prepare_city, streetlights

from benchmarks.report import Figure, phase, quantile_ms
from quancheng.app import Services
from quancheng.db.models import User
from quancheng.identity.roles import Principal
from quancheng.operations.model import STREETLIGHT
from quancheng.operations.mqtt import attrs_topic
from quancheng.operations.telemetry import RAW_TABLE

TARGET_HTTP = 50_000.0  # points/s (issue 7)
TARGET_MQTT = 10_000.0  # messages/s (issue 7; Jinan's planned peak, DOMAIN.md §6)
THINGSBOARD = 11_000.0  # messages/s, ThingsBoard's published figure on 36 vCPUs
ATTRIBUTES = ("powerConsumption", "illuminanceLevel", "voltage", "lampTemperature")
CHUNK = 500  # lamps per HTTP batch
CLIENTS = 4  # concurrent HTTP clients (gateways)
PUBLISHERS = 2  # MQTT device connections publishing
NGSI_UPSERT = "/ngsi-ld/v1/entityOperations/upsert?options=update"
# The sustained load is offered at a steady rate a little above the target, as a city's
# devices send (not as fast as the publishers can: on this 2-core machine they would take
# the CPU the platform needs and measure the machine's split instead).
OFFERED_MQTT = 1.05 * TARGET_MQTT
BACKLOG_LIMIT = 500_000  # messages queued for the stopped platform (the broker keeps 1,000,000)


@dataclass
class City:
    """A prepared data dir (tests/support/server.py), its lamp ids and the admin's session."""

    prepared: PreparedCity
    lamps: list[str]
    session: str

    @property
    def token(self) -> str:
        """The admin's API token."""
        return self.prepared.tokens["admin"]


def _prepare(root: Path, database_url: str | None, lamps: int) -> City:
    ids = [f"urn:ngsi-ld:Streetlight:live-{i:06d}" for i in range(lamps)]
    sessions: list[str] = []

    def setup(services: Services, _city: SmallCity) -> None:
        admin = Principal.system("bench")
        for i in range(0, lamps, 1000):
            body = streetlights(ids[i : i + 1000], start=i)
            services.entities.upsert(admin, body, department="gaj")
        with services.db.reader() as s:
            user = s.query(User).filter(User.username == "admin").one()
            s.expunge(user)
        sessions.append(services.identity.start_session(user)[0])

    prepared = prepare_city(root / "data", database_url=database_url, setup=setup)
    return City(prepared=prepared, lamps=ids, session=sessions[0])


@contextmanager
def _served(city: City, log: Path, *, mqtt_url: str | None = None) -> Iterator[Server]:
    """`quancheng serve` on a free loopback port (killed on the way out); its output in `log`."""
    server = Server(city.prepared, log, mqtt_url=mqtt_url)
    # Generous: after a SIGKILL the engine replays its log first, on a machine under load.
    server.start(timeout=300)
    try:
        yield server
    finally:
        server.kill9()


def _history_points(city: City) -> int:
    """Rows in the raw history, read with the server stopped."""
    with opened(city.prepared) as services:
        return int(services.telemetry.engine.fetch(f"SELECT count(*) FROM {RAW_TABLE}")[0][0])


def _stamp(start: datetime, step: int) -> str:
    return (start + timedelta(seconds=10 * step)).isoformat().replace("+00:00", "Z")


def _templates(lamps: list[str], *, ngsi: bool = False) -> list[str]:
    """One HTTP body per chunk of lamps, with the time left as a placeholder.

    Device messages for /api/v1/ops/telemetry, or NGSI-LD entities in normalized form for
    entityOperations/upsert (`ngsi`).
    """
    bodies = []
    for i in range(0, len(lamps), CHUNK):
        messages: list[dict[str, Any]] = []
        for n, entity_id in enumerate(lamps[i : i + CHUNK]):
            values = {
                "powerConsumption": 20 + n % 100,
                "illuminanceLevel": n % 10 / 10,
                "voltage": 215 + n % 10,
                "lampTemperature": 20 + n % 30,
            }
            if ngsi:
                attrs = {
                    a: {"type": "Property", "value": v, "observedAt": "@T@"}
                    for a, v in values.items()
                }
                messages.append({"id": entity_id, "type": STREETLIGHT, **attrs})
            else:
                attrs = {a: {"value": v, "observedAt": "@T@"} for a, v in values.items()}
                messages.append({"id": entity_id, "attrs": attrs})
        bodies.append(json.dumps(messages))
    return bodies


def _http_load(city: City, base: str, seconds: float, *, ngsi: bool = False) -> dict[str, Any]:
    """CLIENTS gateways posting batches for `seconds`; what the server acknowledged.

    Device batches to /api/v1/ops/telemetry, or NGSI-LD batch upserts (`ngsi`, update mode).
    """
    templates = _templates(city.lamps, ngsi=ngsi)
    path = NGSI_UPSERT if ngsi else "/api/v1/ops/telemetry"
    # Each load its own hours, so no batch repeats another's points.
    start = datetime.now(UTC) - timedelta(hours=36 if ngsi else 24)
    lock = threading.Lock()
    state: dict[str, Any] = {"next": 0, "points": 0, "requests": 0, "errors": 0}
    latencies: list[float] = []
    stop_at = time.monotonic() + seconds

    def gateway() -> None:
        headers = {"Authorization": f"Bearer {city.token}", "Content-Type": "application/json"}
        with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
            while time.monotonic() < stop_at:
                with lock:
                    n = state["next"]
                    state["next"] += 1
                step, chunk = divmod(n, len(templates))
                body = templates[chunk].replace("@T@", _stamp(start, step))
                t = time.perf_counter()
                response = client.post(path, content=body)
                elapsed = time.perf_counter() - t
                with lock:
                    latencies.append(elapsed)
                    state["requests"] += 1
                    if ngsi:
                        # 204: every entity updated (and its points in the history).
                        answer = (
                            {"accepted": CHUNK, "points": CHUNK * len(ATTRIBUTES)}
                            if response.status_code == 204
                            else {}
                        )
                    else:
                        answer = response.json() if response.status_code == 200 else {}
                    if answer.get("accepted") == CHUNK:
                        state["points"] += int(answer["points"])
                    else:
                        state["errors"] += 1
                        state.setdefault("error", response.text[:300])

    started = time.perf_counter()
    threads = [threading.Thread(target=gateway) for _ in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    state["seconds"] = time.perf_counter() - started
    state["latencies"] = latencies
    return state


def _publish(
    index: int,
    port: int,
    lamps: list[str],
    seconds: float,
    start: datetime,
    out: Any,
    go: Any,
    limit: int | None = None,
    rate: float | None = None,
) -> None:
    """One device connection publishing QoS 1 for `seconds` or `limit` messages.

    At `rate` messages/s when given (kept to a schedule, so a pause is made up), else as
    fast as the broker takes them.
    """
    client = paho.Client(
        callback_api_version=CallbackAPIVersion.VERSION2, client_id=f"bench-dev-{index}"
    )
    acked = [0]
    published = 0

    def on_publish(*_: Any) -> None:
        acked[0] += 1

    client.on_publish = on_publish
    client.max_inflight_messages_set(1000)
    client.max_queued_messages_set(0)
    client.connect("127.0.0.1", port)
    client.loop_start()
    out.put("ready")
    go.wait()
    began = time.monotonic()
    stop_at = began + seconds
    try:
        step = 0
        while time.monotonic() < stop_at:
            stamp = _stamp(start, step)
            for n, entity_id in enumerate(lamps):
                payload = json.dumps(
                    {
                        "powerConsumption": {"value": 20 + n % 100, "observedAt": stamp},
                        "illuminanceLevel": {"value": n % 10 / 10, "observedAt": stamp},
                        "voltage": {"value": 215 + n % 10, "observedAt": stamp},
                        "lampTemperature": {"value": 20 + n % 30, "observedAt": stamp},
                    }
                )
                info = client.publish(attrs_topic(STREETLIGHT, entity_id), payload, qos=1)
                while info.rc == paho.MQTT_ERR_QUEUE_SIZE:
                    time.sleep(0.001)
                    info = client.publish(attrs_topic(STREETLIGHT, entity_id), payload, qos=1)
                published += 1
                if n % 200 == 0:
                    now = time.monotonic()
                    if published == limit or now >= stop_at:
                        break
                    if rate is not None and began + published / rate > now:
                        time.sleep(began + published / rate - now)
                elif published == limit:
                    break
            if published == limit:
                break
            step += 1
        # Every PUBACK received: the broker has them all.
        deadline = time.monotonic() + 120
        while acked[0] < published and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        client.disconnect()
        client.loop_stop()
        out.put(published)


def _mqtt_load(
    city: City,
    base: str | None,
    broker_port: int,
    seconds: float,
    *,
    hours_back: int = 48,
    limit: int | None = None,
    rate: float | None = None,
) -> dict[str, Any]:
    """PUBLISHERS device connections publishing QoS 1 for `seconds`, then until all stored
    (with `base`; without, only until the broker has acknowledged every message).

    Each connection publishes from its own process, as devices would: in threads of one
    process they shared its interpreter lock and could not reach 10,000 messages/s together.
    """
    start = datetime.now(UTC) - timedelta(hours=hours_back)
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["benchmarks.telemetry_live"])
    results, go = ctx.Queue(), ctx.Event()
    publishers = [
        ctx.Process(
            target=_publish,
            args=(
                *(i, broker_port, city.lamps[i::PUBLISHERS], seconds, start, results, go),
                None if limit is None else limit // PUBLISHERS,
                None if rate is None else rate / PUBLISHERS,
            ),
        )
        for i in range(PUBLISHERS)
    ]

    headers = {"Authorization": f"Bearer {city.token}"}
    for process in publishers:
        process.start()
    # Timed from the moment every connection is up and told to go.
    if [results.get(timeout=120) for _ in publishers] != ["ready"] * PUBLISHERS:
        raise RuntimeError("a publisher could not connect to the broker")
    started = time.perf_counter()
    go.set()
    published = [results.get(timeout=seconds + 300) for _ in publishers]
    for process in publishers:
        process.join()
    publishing = time.perf_counter() - started
    total = sum(published)
    stored = 0
    mqtt: dict[str, Any] = {}
    deadline = time.monotonic() + (300 if base is not None else 0)
    while time.monotonic() < deadline:
        stats = httpx.get(f"{base}/api/v1/ops/telemetry/stats", headers=headers).json()
        mqtt = stats.get("mqtt") or {}
        stored = int(mqtt.get("ingested", 0))
        if stored + int(mqtt.get("unknown", 0)) + int(mqtt.get("malformed", 0)) >= total:
            break
        time.sleep(0.1)
    return {
        "published": total,
        "stored": stored,
        "seconds": time.perf_counter() - started,
        "publishing_seconds": publishing,
        "mqtt": mqtt,
    }


def _drain_rate(city: City, base: str, total: int) -> dict[str, float]:
    """Messages/s from the first message stored to the last of `total` (stats polled)."""
    headers = {"Authorization": f"Bearer {city.token}"}
    # Measured between two polls (the drain may begin before the first one answers).
    first: tuple[float, int] | None = None
    last = (time.perf_counter(), 0)
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        mqtt = httpx.get(f"{base}/api/v1/ops/telemetry/stats", headers=headers).json()["mqtt"]
        handled = int(mqtt["ingested"]) + int(mqtt["unknown"]) + int(mqtt["malformed"])
        last = (time.perf_counter(), handled)
        if first is None:
            first = last
        if handled >= total:
            break
        time.sleep(0.05)
    start = first or last
    seconds = last[0] - start[0]
    drained = last[1] - start[1]
    return {"rate": drained / seconds if seconds > 0 else 0.0, "seconds": seconds}


def _latency(city: City, base: str, broker_port: int, probes: int) -> list[float]:
    """Seconds from a lamp's failure flag published to the alarm on the screen's stream."""
    delays: list[float] = []
    client = paho.Client(callback_api_version=CallbackAPIVersion.VERSION2, client_id="bench-probe")
    client.connect("127.0.0.1", broker_port)
    client.loop_start()
    cookies = {"qc_session": city.session}
    try:
        for i in range(probes):
            lamp = city.lamps[-1 - i]
            seen = threading.Event()

            def watch(lamp: str = lamp, seen: threading.Event = seen) -> None:
                with httpx.stream(
                    "GET",
                    f"{base}/ops/stream",
                    cookies=cookies,
                    headers={"Accept": "text/event-stream"},
                    timeout=60,
                ) as response:
                    for line in response.iter_lines():
                        if line.startswith("data:") and lamp in line:
                            seen.set()
                            return

            watcher = threading.Thread(target=watch, daemon=True)
            watcher.start()
            time.sleep(1.0)  # the stream's first event is out
            now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
            t = time.perf_counter()
            payload = json.dumps({"lampFailure": {"value": True, "observedAt": now}})
            client.publish(attrs_topic(STREETLIGHT, lamp), payload, qos=1).wait_for_publish(10)
            if seen.wait(60):
                delays.append(time.perf_counter() - t)
    finally:
        client.disconnect()
        client.loop_stop()
    return delays


def _engines(tmp: Path, *, quick: bool) -> Iterator[tuple[str, str | None, Any]]:
    yield "DuckDB", None, lambda: None
    admin = os.environ.get("QC_TEST_POSTGRES_URL")
    # Quick: the embedded engine only; the load section serves PostgreSQL (with telemetry).
    if admin and not quick:
        from tests.support.postgres import create_database, drop_database

        url = create_database(admin)
        yield "PostgreSQL", url, lambda: drop_database(admin, url)


def run(*, quick: bool) -> list[Figure]:
    """Sustained HTTP and MQTT telemetry into a served city, then SIGKILL and count."""
    from tests.support.mosquitto import Broker, mosquitto_binary

    lamps = 2_000 if quick else 20_000
    figures: list[Figure] = []
    binary = mosquitto_binary()
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        for label, url, cleanup in _engines(tmp, quick=quick):
            # Five minutes each on the embedded engine (the measure); a minute on
            # PostgreSQL, which the load section serves again for ten.
            seconds = 2.0 if quick else (300.0 if url is None else 60.0)
            try:
                with phase(f"{label}: city of {lamps:,} lamps"):
                    city = _prepare(tmp / label, url, lamps)
                logs = tmp / f"logs-{label}"
                logs.mkdir()
                with phase(f"{label}: HTTP"):
                    figures += _http_figures(label, city, seconds, logs)
                if url is None:
                    with phase(f"{label}: NGSI-LD upsert"):
                        ngsi_seconds = 2.0 if quick else 60.0
                        figures += _http_figures(label, city, ngsi_seconds, logs, ngsi=True)
                if binary is not None:
                    (tmp / f"broker-{label}").mkdir()
                    # Configured as docs/deploy.md (no saving of the whole store every second).
                    broker = Broker(binary, tmp / f"broker-{label}", autosave_seconds=None)
                    broker.start()
                    try:
                        figures += _mqtt_figures(label, city, broker, seconds, logs, quick=quick)
                    finally:
                        broker.stop()
            finally:
                cleanup()
    return figures


def _http_figures(
    label: str, city: City, seconds: float, logs: Path, *, ngsi: bool = False
) -> list[Figure]:
    """Gateways posting device batches, or NGSI-LD clients batch upserts (`ngsi`, update
    mode), for `seconds`; then SIGKILL and count what the history kept."""
    before = _history_points(city)
    with _served(city, logs / ("ngsi.log" if ngsi else "http.log")) as server:
        load = _http_load(city, server.base, seconds, ngsi=ngsi)
        server.kill9()
    stored = _history_points(city) - before
    rate = load["points"] / load["seconds"]
    lost = load["points"] - stored
    points = f"{CHUNK * len(ATTRIBUTES):,} points"
    if ngsi:
        route, size = "NGSI-LD entityOperations/upsert", f"NGSI-LD upsert of {CHUNK} entities"
        batches = f"{CHUNK} entities x {len(ATTRIBUTES)} Properties (?options=update)"
        size += f" ({points})"
    else:
        route, size = "HTTP batches", f"telemetry HTTP batch of {points}"
        batches = f"{CHUNK} lamps x {len(ATTRIBUTES)} attributes"
    return [
        Figure(
            name=f"telemetry points/s through {route}, served, {label}",
            value=rate,
            unit="points/s",
            target=f">= {TARGET_HTTP:,.0f}",
            goal=f"value >= {TARGET_HTTP}",
            peer="ThingsBoard (messages/s, 36 vCPUs)",
            peer_value=THINGSBOARD,
            ratio=rate / THINGSBOARD,
            note=f"{load['seconds']:.0f} s, {CLIENTS} clients, batches of {batches}; "
            f"{load['points']:,} points acknowledged, {stored:,} in the history after SIGKILL "
            f"({lost} lost), {load['errors']} errors",
        ),
        Figure(
            name=f"{size}, p50, {label}",
            value=quantile_ms(load["latencies"], 0.5),
            unit="ms",
            note="answered once in the history",
        ),
        Figure(
            name=f"{size}, p99, {label}",
            value=quantile_ms(load["latencies"], 0.99),
            unit="ms",
        ),
    ]


def _mqtt_figures(
    label: str, city: City, broker: Any, seconds: float, logs: Path, *, quick: bool
) -> list[Figure]:
    before = _history_points(city)
    with (
        phase(f"{label}: MQTT sustained and latency"),
        _served(city, logs / "mqtt.log", mqtt_url=broker.url) as server,
    ):
        base = server.base
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            stats = httpx.get(
                f"{base}/api/v1/ops/telemetry/stats",
                headers={"Authorization": f"Bearer {city.token}"},
            ).json()
            if (stats.get("mqtt") or {}).get("connects"):
                break
            time.sleep(0.2)
        load = _mqtt_load(city, base, broker.port, seconds, rate=OFFERED_MQTT)
        delays = _latency(city, base, broker.port, 1 if quick else 10)
        server.kill9()
    # A backlog: the platform away, its persistent session collects what devices send;
    # then the platform comes back and drains it, limited by itself, not by publishers.
    with phase(f"{label}: MQTT backlog"):
        # At most half the broker's queue for the platform (max_queued_messages): beyond it
        # Mosquitto drops what the platform would wait for.
        backlog = _mqtt_load(
            city, None, broker.port, min(seconds / 2, 60), hours_back=96, limit=BACKLOG_LIMIT
        )
    with (
        phase(f"{label}: MQTT drain"),
        _served(city, logs / "drain.log", mqtt_url=broker.url) as server,
    ):
        drain = _drain_rate(city, server.base, backlog["published"])
        server.kill9()
    # The latency probes' failure flags are points too (one each).
    stored_points = (
        _history_points(city) - before - len(delays) - backlog["published"] * len(ATTRIBUTES)
    )
    rate = load["stored"] / load["seconds"]
    expected_points = load["stored"] * len(ATTRIBUTES)
    figures = [
        Figure(
            name=f"telemetry messages/s through Mosquitto (QoS 1), served, {label}",
            value=rate,
            unit="messages/s",
            target=f">= {TARGET_MQTT:,.0f}",
            goal=f"value >= {TARGET_MQTT}",
            peer="ThingsBoard (messages/s, 36 vCPUs)",
            peer_value=THINGSBOARD,
            ratio=rate / THINGSBOARD,
            note=f"{load['published']:,} messages of {len(ATTRIBUTES)} attributes offered at "
            f"{OFFERED_MQTT:,.0f}/s for {load['publishing_seconds']:.0f} s from {PUBLISHERS} "
            "connections, all stored "
            f"after {load['seconds']:.0f} s; {load['stored']:,} stored, "
            f"{stored_points:,} points in the history after SIGKILL "
            f"({expected_points - stored_points} lost)",
        )
    ]
    figures.append(
        Figure(
            name=f"telemetry messages/s drained from a Mosquitto backlog (QoS 1), {label}",
            value=drain["rate"],
            unit="messages/s",
            target=f">= {TARGET_MQTT:,.0f}",
            goal=f"value >= {TARGET_MQTT}",
            peer="ThingsBoard (messages/s, 36 vCPUs)",
            peer_value=THINGSBOARD,
            ratio=drain["rate"] / THINGSBOARD,
            note=f"{backlog['published']:,} messages queued by the broker while the platform "
            f"was stopped, drained once it was back (rate over {drain['seconds']:.1f} s "
            "between two polls: the platform's own rate, no publisher sharing the machine)",
        )
    )
    if delays:
        figures.append(
            Figure(
                name=f"end-to-end: lamp failure published to the alarm on /ops, p50, {label}",
                value=quantile_ms(delays, 0.5),
                unit="ms",
                note=f"{len(delays)} probes over the screen's event stream",
            )
        )
    return figures
