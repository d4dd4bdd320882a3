"""Faults against a served city: kill -9, PostgreSQL and broker restarts, a full disk.

Each test runs `quancheng serve` as its own process (tests/support/server.py), drives it over
loopback as users and devices would, breaks something underneath it, and then holds it to what
it answered: nothing acknowledged is missing, no data version is half visible, and
`quancheng ledger verify` passes.
"""

from __future__ import annotations

import io
import json
import os
import resource
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import paho.mqtt.client as paho
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from quancheng.api.data import spool_file
from quancheng.app import Services
from quancheng.errors import PlatformError
from quancheng.identity.roles import Principal
from quancheng.operations.model import STREETLIGHT
from quancheng.operations.mqtt import attrs_topic
from quancheng.operations.telemetry import RAW_TABLE
from tests.support.city import SmallCity, entry_fields
from tests.support.mosquitto import Broker, mosquitto_broker  # noqa: F401
from tests.support.postgres import Cluster, create_database
from tests.support.server import (
    PreparedCity,
    Server,
    ledger_verify,
    opened,
    prepare_city,
    streetlights,
)

DONE = ("succeeded", "unchanged", "failed")
# A lamp's readings at step n, each within its attribute's valid range.
READINGS: dict[str, Callable[[int], float]] = {
    "powerConsumption": lambda n: 20 + n % 100,
    "illuminanceLevel": lambda n: n % 10 / 10,
    "voltage": lambda n: 215 + n % 10,
    "lampTemperature": lambda n: 20 + n % 30,
}
LAMPS = [f"urn:ngsi-ld:Streetlight:fault-{n:04d}" for n in range(200)]
# Recent (within the raw history's retention), yet a burst's seconds never reach the future.
EPOCH = (datetime.now(UTC) - timedelta(hours=6)).replace(minute=0, second=0, microsecond=0)


# -- building blocks -------------------------------------------------------------------------


def air_csv(rows: int, *, seed: int = 0) -> bytes:
    """A small, valid air-quality CSV (its content differs with `seed`)."""
    lines = ["监测站点,所属区县,监测时间,PM2.5浓度,说明"]
    lines += [
        f"站点{n % 7},历下区,2024-01-{1 + n % 28:02d} {n % 24:02d}:00,{n * 1.5 + seed},第{n}次"
        for n in range(rows)
    ]
    return ("\n".join(lines) + "\n").encode()


def write_big_csv(path: Path, rows: int) -> int:
    """A large CSV of the same shape, written in chunks; its size in bytes."""
    with path.open("w", encoding="utf-8") as out:
        out.write("监测站点,所属区县,监测时间,PM2.5浓度,说明\n")
        for start in range(0, rows, 100_000):
            out.write(
                "".join(
                    f"站点{n % 97},历下区,2024-{1 + n % 12:02d}-{1 + n % 28:02d} {n % 24:02d}:00,"
                    f"{n % 500 * 0.5},第{n}次测量记录\n"
                    for n in range(start, min(rows, start + 100_000))
                )
            )
    return path.stat().st_size


def published_entry(services: Services, city: SmallCity) -> int:
    """A published catalog entry of the ecology bureau, to load data into."""
    steward = city.principals["env_steward"]
    entry = services.catalog.create(steward, department="sthjj", fields=entry_fields())
    services.catalog.submit(steward, entry.id)
    services.catalog.publish(steward, entry.id)
    return entry.id


def add_lamps(services: Services, city: SmallCity) -> None:
    """The street lamps the telemetry tests report on, in the public security bureau."""
    services.entities.upsert(Principal.system("faults"), streetlights(LAMPS), department="gaj")


def upload(client: httpx.Client, entry_id: int, body: bytes | Path) -> httpx.Response:
    """POST a file as the next data version of an entry."""
    if isinstance(body, Path):
        with body.open("rb") as handle:
            files = {"file": (body.name, handle, "text/csv")}
            return client.post(f"/api/v1/datasets/{entry_id}/versions", files=files)
    files_ = {"file": ("air.csv", body, "text/csv")}
    return client.post(f"/api/v1/datasets/{entry_id}/versions", files=files_)


def wait_job(
    client: httpx.Client, entry_id: int, job_id: int, timeout: float = 120.0
) -> dict[str, Any]:
    """Poll a load job until it is done."""
    deadline = time.monotonic() + timeout
    while True:
        job: dict[str, Any] = client.get(f"/api/v1/datasets/{entry_id}/jobs/{job_id}").json()
        if job["status"] in DONE:
            return job
        assert time.monotonic() < deadline, f"the load did not finish: {job}"
        time.sleep(0.05)


def load(client: httpx.Client, entry_id: int, body: bytes) -> dict[str, Any]:
    """Upload and wait for the job; it must succeed."""
    response = upload(client, entry_id, body)
    assert response.status_code == 202, response.text
    job = wait_job(client, entry_id, response.json()["id"])
    assert job["status"] == "succeeded", job
    return job


def assert_current(client: httpx.Client, entry_id: int, number: int, rows: int) -> None:
    """Version `number` is current, the only one listed past it, and its rows all readable."""
    data = client.get(f"/api/v1/datasets/{entry_id}/data").json()
    assert (data["current"]["number"], data["current"]["row_count"]) == (number, rows), data
    versions = client.get(f"/api/v1/datasets/{entry_id}/versions").json()
    assert max(v["number"] for v in versions) == number, versions
    body = client.get(f"/api/v1/datasets/{entry_id}/rows", params={"_limit": "5"}).json()
    assert body["total"] == rows, body


def assert_ledger_verifies(city: PreparedCity) -> None:
    """`quancheng ledger verify --data-dir` exits 0."""
    result = ledger_verify(city)
    assert result.exit_code == 0, result.output


def stamp(moment: datetime) -> str:
    """An NGSI-LD observedAt."""
    return moment.isoformat().replace("+00:00", "Z")


def telemetry_batch(moment: datetime, lamps: list[str] = LAMPS) -> str:
    """One gateway batch: every lamp reports every attribute at `moment`."""
    at = stamp(moment)
    return json.dumps(
        [
            {
                "id": lamp,
                "attrs": {a: {"value": f(n), "observedAt": at} for a, f in READINGS.items()},
            }
            for n, lamp in enumerate(lamps)
        ]
    )


def history_by_time(services: Services) -> dict[datetime, int]:
    """Points in the raw history per observation time (UTC)."""
    rows = services.telemetry.engine.fetch(
        f"SELECT observed_at, count(*) FROM {RAW_TABLE} GROUP BY observed_at", []
    )
    return {_utc(at): int(n) for at, n in rows}


def _utc(value: Any) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Burst:
    """Worker threads calling the server until told to stop; what it acknowledged."""

    def __init__(self, server: Server, work: Callable[[httpx.Client, int, Burst], None]) -> None:
        self.server = server
        self.work = work
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.acked: list[Any] = []
        self.statuses: list[int] = []
        self.steps = 0
        self.threads: list[threading.Thread] = []
        self.errors: list[BaseException] = []

    def ack(self, item: Any) -> None:
        """Record something the server answered 2xx for."""
        with self.lock:
            self.acked.append(item)

    def step(self) -> int:
        """A number no other call of this burst gets (distinct observation times)."""
        with self.lock:
            self.steps += 1
            return self.steps

    def status(self, code: int) -> None:
        """Record a response status."""
        with self.lock:
            self.statuses.append(code)

    def start(self, workers: int) -> None:
        """Start `workers` threads, each with its own client."""
        for index in range(workers):
            thread = threading.Thread(target=self._run, args=(index,), daemon=True)
            thread.start()
            self.threads.append(thread)

    def _run(self, index: int) -> None:
        with self.server.client(timeout=30) as client:
            while not self.stop.is_set():
                try:
                    self.work(client, index, self)
                except httpx.HTTPError:
                    # The server went away: that request was not acknowledged.
                    if not self.server.alive:
                        return
                    time.sleep(0.05)
                except Exception as error:
                    self.errors.append(error)
                    return

    def join(self) -> None:
        """Tell the workers to stop and wait for them."""
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=60)
            assert not thread.is_alive(), "a worker hung"
        if self.errors:
            raise self.errors[0]


def wait_for(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll until `predicate()` holds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


# -- 1. kill -9 during an ingest ---------------------------------------------------------------


def test_kill_during_an_ingest_leaves_the_previous_version_current(tmp_path: Path) -> None:
    ids: dict[str, int] = {}
    city = prepare_city(
        tmp_path / "data",
        setup=lambda services, c: ids.update(entry=published_entry(services, c)),
    )
    entry = ids["entry"]
    big = tmp_path / "big.csv"
    size = write_big_csv(big, 900_000)
    assert size > 50_000_000

    server = Server(city, tmp_path / "server.log")
    server.start()
    try:
        with server.client("env_steward") as client:
            load(client, entry, air_csv(40))
            response = upload(client, entry, big)
            assert response.status_code == 202, response.text
            job_id = response.json()["id"]
            # Kill once the load is under way, well before it can finish.
            job: dict[str, Any] = {}
            while job.get("status") != "running" or not job.get("bytes_read"):
                job = client.get(f"/api/v1/datasets/{entry}/jobs/{job_id}").json()
                assert job["status"] not in DONE, f"the load ended before the kill: {job}"
                time.sleep(0.02)
            server.kill9()

            server.start()
            assert_current(client, entry, 1, 40)
            after = client.get(f"/api/v1/datasets/{entry}/jobs/{job_id}").json()
            assert after["status"] != "succeeded"
            assert after["version"] is None
            # The city keeps loading.
            job = load(client, entry, air_csv(25, seed=1))
            assert job["version"] == 2
            assert_current(client, entry, 2, 25)
        server.stop()
        assert_ledger_verifies(city)
    finally:
        server.kill9()


# -- 2. kill -9 during a ledger append burst --------------------------------------------------


def _catalog_changes(client: httpx.Client, index: int, burst: Burst) -> None:
    """Create, submit and publish one entry, recording each acknowledged step."""
    body = {"department": "sthjj", **entry_fields(name=f"故障测试目录{index}")}
    created = client.post("/api/v1/datasets", json=body)
    burst.status(created.status_code)
    if created.status_code != 201:
        return
    entry = created.json()
    burst.ack((entry["id"], entry["code"], "created"))
    for action in ("submit", "publish"):
        answer = client.post(f"/api/v1/datasets/{entry['id']}/{action}")
        burst.status(answer.status_code)
        if answer.status_code != 200:
            return
        burst.ack((entry["id"], entry["code"], action))


def test_kill_during_a_ledger_burst_loses_no_acknowledged_change(tmp_path: Path) -> None:
    city = prepare_city(tmp_path / "data")
    server = Server(city, tmp_path / "server.log")
    server.start()
    try:
        burst = Burst(server, _catalog_changes)
        burst.start(workers=4)
        wait_for(lambda: len(burst.acked) >= 60, 60, "acknowledged catalog changes")
        server.kill9()
        burst.join()
        assert set(burst.statuses) <= {200, 201}, burst.statuses

        server.start()
        events: dict[str, set[str]] = {}
        with server.client() as client:
            for entry_id, code, action in burst.acked:
                got = client.get(f"/api/v1/datasets/{entry_id}")
                assert got.status_code == 200, (entry_id, got.text)
                if action == "publish":
                    assert got.json()["status"] == "published"
                if code not in events:
                    page = client.get(
                        "/api/v1/ledger/entries", params={"subject": f"catalog_entry:{code}"}
                    ).json()
                    events[code] = {item["event"]["type"] for item in page["items"]}
                want = {"create": "created", "submit": "submitted", "publish": "published"}
                assert f"catalog.entry.{want.get(action, action)}" in events[code], (code, action)
        server.stop()
        assert_ledger_verifies(city)
    finally:
        server.kill9()


# -- 3. kill -9 during a telemetry burst ------------------------------------------------------


def _telemetry(client: httpx.Client, index: int, burst: Burst) -> None:
    """Post one batch at a time no other worker uses; record it when acknowledged."""
    step = burst.step()
    moment = EPOCH + timedelta(seconds=step)
    answer = client.post(
        "/api/v1/ops/telemetry",
        content=telemetry_batch(moment),
        headers={"Content-Type": "application/json"},
    )
    if answer.status_code == 200:
        body = answer.json()
        assert body["accepted"] == len(LAMPS), body
        burst.ack((moment, body["points"]))


def test_kill_during_a_telemetry_burst_keeps_every_acknowledged_point(tmp_path: Path) -> None:
    city = prepare_city(tmp_path / "data", setup=add_lamps)
    server = Server(city, tmp_path / "server.log")
    server.start()
    try:
        burst = Burst(server, _telemetry)
        burst.start(workers=3)
        wait_for(lambda: len(burst.acked) >= 10, 60, "acknowledged telemetry batches")
        server.kill9()
        burst.join()
        acked = dict(burst.acked)

        server.start()
        with server.client() as client:
            moment = max(acked)
            got = client.get(
                f"/ngsi-ld/v1/temporal/entities/{LAMPS[0]}",
                params={
                    "attrs": "powerConsumption",
                    "timerel": "between",
                    "timeAt": stamp(moment - timedelta(seconds=1)),
                    "endTimeAt": stamp(moment + timedelta(seconds=1)),
                },
            )
            assert got.status_code == 200, got.text
            assert "powerConsumption" in got.text
        server.stop()
        with opened(city) as services:
            stored = history_by_time(services)
        missing = {m: n for m, n in acked.items() if stored.get(m, 0) != n}
        assert not missing, f"acknowledged points missing after kill -9: {missing}"
        assert_ledger_verifies(city)
    finally:
        server.kill9()


# -- 4. PostgreSQL restarted mid-load ---------------------------------------------------------


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    """A PostgreSQL server of this test's own (restarting the shared one would hurt others)."""
    if shutil.which("runuser") is None and os.geteuid() == 0:
        pytest.skip("running as root without runuser")
    # Not under tmp_path: as root the server runs as `postgres`, who cannot enter it.
    directory = Path(tempfile.mkdtemp(prefix="qc-fault-pg-"))
    try:
        try:
            server = Cluster(directory)
        except RuntimeError as error:
            if os.environ.get("CI"):
                pytest.fail(str(error))
            pytest.skip(str(error))
        server.start()
        try:
            yield server
        finally:
            server.stop("immediate")
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def _mixed(client: httpx.Client, index: int, burst: Burst) -> None:
    """Alternately a catalog change and a telemetry batch; acknowledged ones recorded."""
    step = burst.step()
    if index % 2:
        body = {"department": "sthjj", **entry_fields(name=f"重启测试目录{step}")}
        created = client.post("/api/v1/datasets", json=body)
        outcome = created.status_code
        if outcome == 201:
            burst.ack(("entry", created.json()["id"]))
    else:
        moment = EPOCH + timedelta(seconds=step)
        answer = client.post(
            "/api/v1/ops/telemetry",
            content=telemetry_batch(moment, LAMPS[:50]),
            headers={"Content-Type": "application/json"},
        )
        outcome = answer.status_code
        if outcome == 200:
            burst.ack(("points", (moment, answer.json()["points"])))
    burst.status(outcome)
    if outcome >= 500:
        time.sleep(0.1)  # as a client backs off


@pytest.mark.postgres
def test_postgres_restart_mid_load_recovers_and_loses_nothing(
    tmp_path: Path, cluster: Cluster
) -> None:
    url = create_database(cluster.admin_url)
    city = prepare_city(tmp_path / "data", database_url=url, setup=add_lamps)
    server = Server(city, tmp_path / "server.log")
    server.start()
    try:
        burst = Burst(server, _mixed)
        burst.start(workers=4)
        wait_for(lambda: len(burst.acked) >= 20, 60, "acknowledged requests before the restart")
        cluster.restart()
        before = len(burst.acked)
        # It recovers by itself: requests succeed again without touching the server.
        wait_for(lambda: len(burst.acked) >= before + 20, 60, "requests succeeding again")
        burst.join()
        assert server.alive, server.log_tail()
        codes = set(burst.statuses)
        assert codes <= {200, 201, 500, 502, 503}, codes

        with server.client() as client:
            for kind, item in burst.acked:
                if kind == "entry":
                    assert client.get(f"/api/v1/datasets/{item}").status_code == 200, item
        server.stop()
        with opened(city) as services:
            stored = history_by_time(services)
        points = dict(item for kind, item in burst.acked if kind == "points")
        missing = {m: n for m, n in points.items() if stored.get(m, 0) != n}
        assert not missing, f"acknowledged points missing after the restart: {missing}"
        assert_ledger_verifies(city)
    finally:
        server.kill9()


# -- 5. the MQTT broker restarted mid-stream -------------------------------------------------


def test_broker_restart_mid_stream_loses_no_acknowledged_message(
    tmp_path: Path,
    mosquitto_broker: Broker,  # noqa: F811
) -> None:
    city = prepare_city(tmp_path / "data", setup=add_lamps)
    server = Server(city, tmp_path / "server.log", mqtt_url=mosquitto_broker.url)
    server.start()
    device = paho.Client(callback_api_version=CallbackAPIVersion.VERSION2, client_id="fault-dev")
    sent: dict[int, tuple[str, datetime]] = {}
    acked: set[int] = set()  # message ids the broker sent a PUBACK for

    # Called on paho's network thread while it holds its own locks: take none here (a lock
    # shared with the publishing thread deadlocks), a set.add is atomic.
    def on_publish(client: paho.Client, userdata: Any, mid: int, *rest: Any) -> None:
        acked.add(mid)

    def bridge() -> dict[str, Any]:
        stats = httpx.get(
            f"{server.base}/api/v1/ops/telemetry/stats", headers=city.auth("admin"), timeout=30
        ).json()
        return dict(stats.get("mqtt") or {"connects": 0, "ingested": 0})

    device.on_publish = on_publish
    device.reconnect_delay_set(min_delay=1, max_delay=2)
    try:
        wait_for(lambda: bridge()["connects"] >= 1, 30, "the platform's bridge to connect")
        time.sleep(0.3)  # its SUBACK; paho reports the connection before it
        device.connect("127.0.0.1", mosquitto_broker.port)
        device.loop_start()
        for n in range(600):
            lamp = LAMPS[n % len(LAMPS)]
            moment = EPOCH + timedelta(seconds=n)
            payload = json.dumps(
                {"powerConsumption": {"value": n % 90, "observedAt": stamp(moment)}}
            )
            info = device.publish(attrs_topic(STREETLIGHT, lamp), payload, qos=1)
            sent[info.mid] = (lamp, moment)
            if n == 200:
                mosquitto_broker.stop()
            if n == 300:
                mosquitto_broker.start()
            time.sleep(0.005)
        # The device's own queue is flushed once it is back.
        wait_for(lambda: len(acked) >= 500, 60, "PUBACKs from the restarted broker")
        time.sleep(0.5)
        confirmed = [sent[mid] for mid in list(acked)]

        wait_for(
            lambda: int(bridge()["ingested"]) >= len(set(confirmed)),
            60,
            "the platform to store what the broker acknowledged",
        )
        assert bridge()["connects"] >= 2, "the platform's bridge never saw the restart"
        server.stop()
        with opened(city) as services:
            rows = services.telemetry.engine.fetch(
                f"SELECT entity_id, observed_at FROM {RAW_TABLE} "
                "WHERE attribute = 'powerConsumption'",
                [],
            )
        stored = {(entity, _utc(at)) for entity, at in rows}
        missing = [m for m in confirmed if m not in stored]
        assert not missing, f"{len(missing)} acknowledged messages are not in the history"
    finally:
        device.disconnect()
        device.loop_stop()
        server.kill9()


# -- 6. the disk filling up during an ingest --------------------------------------------------


def _mount_tmpfs(directory: Path, size_mb: int) -> bool:
    """Mount a small tmpfs on `directory`; False where this is not permitted."""
    directory.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0 or shutil.which("mount") is None:
        return False
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size_mb}m", "tmpfs", str(directory)],
        capture_output=True,
        check=False,
    )
    return done.returncode == 0


def _remount(directory: Path, size_mb: int) -> None:
    subprocess.run(
        ["mount", "-o", f"remount,size={size_mb}m", str(directory)], check=True, timeout=30
    )


def _limit_file_size(limit: int) -> Callable[[], None]:
    """A preexec_fn capping the size of any file the server writes (the fallback 'disk')."""

    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past it fails with EFBIG
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


def test_a_full_disk_fails_the_upload_cleanly_and_the_city_carries_on(tmp_path: Path) -> None:
    volume = tmp_path / "volume"
    mounted = _mount_tmpfs(volume, 200)
    try:
        ids: dict[str, int] = {}
        city = prepare_city(
            volume / "data",
            setup=lambda services, c: ids.update(entry=published_entry(services, c)),
        )
        entry = ids["entry"]
        big = tmp_path / "big.csv"  # outside the small volume: it is the client's file
        write_big_csv(big, 600_000)
        used = sum(f.stat().st_size for f in volume.rglob("*") if f.is_file())
        if mounted:
            # Room for the city and its first version, not for the big file.
            _remount(volume, max(used // 2**20 + 12, 20))
            preexec = None
        else:
            preexec = _limit_file_size(used + 8 * 2**20)
        server = Server(city, tmp_path / "server.log", preexec_fn=preexec)
        server.start()
        try:
            with server.client("env_steward", timeout=60) as client:
                load(client, entry, air_csv(40))
                response = upload(client, entry, big)
                if response.status_code == 202:
                    job = wait_job(client, entry, response.json()["id"])
                    assert job["status"] == "failed", job
                    assert job["message"], job
                else:
                    assert response.status_code == 507, response.text
                    error = response.json()["error"]
                    assert error["code"] == "insufficient_storage", error
            # The partial upload gave its space back.
            assert not list((volume / "data" / "uploads").glob("*")), "a partial upload remains"
            # A new connection, as a client would open after a refused upload.
            with server.client("env_steward", timeout=60) as client:
                assert client.get("/healthz").status_code == 200
                assert_current(client, entry, 1, 40)

                # Space is back: the next load goes through.
                if mounted:
                    _remount(volume, 400)
                else:
                    server.stop()
                    server.preexec_fn = None
                    server.start()
                load(client, entry, air_csv(30, seed=2))
                assert_current(client, entry, 2, 30)
            server.stop()
            assert_ledger_verifies(city)
        finally:
            server.kill9()
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(volume)], check=False, timeout=30)


def test_a_full_disk_is_reported_as_such(tmp_path: Path) -> None:
    volume = tmp_path / "volume"
    if not _mount_tmpfs(volume, 1):
        pytest.skip("mounting a tmpfs is not permitted here")
    try:
        with pytest.raises(PlatformError) as raised:
            spool_file(io.BytesIO(b"x" * 4 * 2**20), "big.csv", volume / "uploads", 2**30)
        assert (raised.value.status, raised.value.code) == (507, "insufficient_storage")
        assert not list((volume / "uploads").iterdir()), "a partial upload was left behind"
    finally:
        subprocess.run(["umount", "-l", str(volume)], check=False, timeout=30)
