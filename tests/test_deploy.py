"""The production set-up of docs/deploy.md: `quancheng serve --workers 2` on PostgreSQL."""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select

from quancheng.app import Services
from quancheng.db.models import HarvestRun, HarvestSource, utcnow
from quancheng.identity.roles import Principal
from quancheng.observability import TELEMETRY_SYNC_SECONDS
from quancheng.operations.model import STREETLIGHT
from quancheng.settings import Settings
from tests.conftest import FAST_PASSWORDS
from tests.support.city import entry_fields, seed_small_city
from tests.support.mosquitto import free_port
from tests.support.postgres import create_database, drop_database, postgres_admin_url

pytestmark = pytest.mark.postgres

SECRET = "deploy-test-secret-0123456789abcdef"
WORKERS = 2
THREADS = 8
ROUNDS = 6
LAMPS = [f"urn:ngsi-ld:Streetlight:deploy-{n}" for n in range(5)]


@dataclass
class Deployment:
    """`quancheng serve --workers 2` on a prepared city in a throwaway PostgreSQL database."""

    base: str
    port: int
    server: subprocess.Popen[bytes]
    settings: Settings
    tokens: dict[str, str]
    entries: list[int]
    log: Path

    def auth(self, username: str) -> dict[str, str]:
        """The Authorization header of a seeded user's API token."""
        return {"Authorization": f"Bearer {self.tokens[username]}"}

    def workers(self) -> list[int]:
        """The worker processes (uvicorn's spawned children, not its resource tracker)."""
        return [
            pid
            for pid in children(self.server.pid)
            if "spawn_main" in Path(f"/proc/{pid}/cmdline").read_text()
        ]


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    """The city served by two workers for the tests of this module."""
    admin = postgres_admin_url()
    if admin is None:
        if os.environ.get("CI"):
            pytest.fail("QC_TEST_POSTGRES_URL is not set: run the suite with `make test`")
        pytest.skip("no PostgreSQL server: run the suite with `make test`")
    database = create_database(admin)
    tmp_path = tmp_path_factory.mktemp("deploy")
    data_dir = tmp_path / "data"
    settings = Settings(
        data_dir=data_dir, database_url=database, datastore_url=database, secret_key=SECRET
    )
    tokens, entries = prepare(settings)
    env = {k: v for k, v in os.environ.items() if not k.startswith("QC_")}
    env |= {
        "QC_DATA_DIR": str(data_dir),
        "QC_DATABASE_URL": database,
        "QC_DATASTORE_URL": database,
        "QC_SECRET_KEY": SECRET,
    }
    port = free_port()
    log = tmp_path / "serve.log"
    command = [sys.executable, "-c", "from quancheng.cli import main; main()", "serve"]
    args = ["--workers", str(WORKERS), "--port", str(port)]
    with log.open("wb") as out:
        server = subprocess.Popen([*command, *args], env=env, stdout=out, stderr=out)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base, server, log)
        yield Deployment(base, port, server, settings, tokens, entries, log)
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        drop_database(admin, database)


def close(services: Services) -> None:
    """Close everything the services hold (pools, telemetry writers)."""
    services.telemetry.close()
    services.entities.close()
    services.close()


def prepare(settings: Settings) -> tuple[dict[str, str], list[int]]:
    """Migrate and seed the city in this process; return the API tokens and one entry a thread."""
    services = Services.from_settings(settings, passwords=FAST_PASSWORDS)
    try:
        services.db.migrate()
        city = seed_small_city(services)
        # A harvest due now from an unreachable portal: the background work's first job.
        source = services.harvest.add_source(
            city.principals["admin"],
            department="sthjj",
            kind="ckan",
            url="http://127.0.0.1:1/",
            interval_hours=6,
        )
        with services.db.transaction() as s:
            s.get_one(HarvestSource, source.id).next_run_at = utcnow() - timedelta(minutes=1)
        lamps = [{"id": lamp, "type": STREETLIGHT} for lamp in LAMPS]
        services.entities.upsert(Principal.system("deploy"), lamps, department="gaj")
        steward = city.principals["env_steward"]
        entries = [
            services.catalog.create(
                steward, department="sthjj", fields=entry_fields(name=f"并发{n}")
            ).id
            for n in range(THREADS)
        ]
        return dict(city.tokens), entries
    finally:
        close(services)


def children(pid: int) -> list[int]:
    """The direct child processes of `pid` (Linux /proc)."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        found += [int(p) for p in text]
    return found


def open_files(pid: int) -> list[str]:
    """What the process's file descriptors point at."""
    targets = []
    try:
        fds = list(Path(f"/proc/{pid}/fd").iterdir())
    except OSError:
        return []  # the process has gone
    for fd in fds:
        try:
            targets.append(os.readlink(fd))
        except OSError:
            continue  # closed while we looked
    return targets


def sockets_of(pid: int) -> set[str]:
    """Inodes of the process's sockets."""
    return {t[8:-1] for t in open_files(pid) if t.startswith("socket:[")}


def established_inodes(port: int) -> set[str]:
    """Socket inodes of established TCP connections to the local `port`."""
    inodes: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if state == "01" and int(local.rsplit(":", 1)[1], 16) == port:
                inodes.add(inode)
    return inodes


def started_workers(server: subprocess.Popen[bytes], log: Path) -> set[int]:
    """Worker pids that finished their startup and are still alive."""
    text = log.read_text(errors="replace")
    started = {int(m) for m in re.findall(r"Started server process \[(\d+)\]", text)}
    return started & set(children(server.pid))


def wait_ready(base: str, server: subprocess.Popen[bytes], log: Path) -> None:
    """Until every worker has started and the city answers /readyz."""
    deadline = time.monotonic() + 120
    while True:
        ready = False
        with contextlib.suppress(httpx.TransportError):
            ready = httpx.get(f"{base}/readyz", timeout=5).status_code == 200
        if ready and len(started_workers(server, log)) == WORKERS:
            return
        assert server.poll() is None, log.read_text()[-3000:]
        # uvicorn kills a worker that does not answer its health check within 5 s of being
        # spawned; on a busy machine a worker importing the app can take longer, and the slot
        # then never fills ("Child process [...] died" in the log).
        assert time.monotonic() < deadline, "workers did not start:\n" + log.read_text()[-3000:]
        time.sleep(0.5)


def test_two_workers_answer_concurrent_reads_and_writes(deployment: Deployment) -> None:
    workers = deployment.workers()
    assert len(workers) == WORKERS, workers
    steward = deployment.auth("env_steward")

    def work(n: int) -> tuple[list[int], set[int]]:
        statuses: list[int] = []
        entry = deployment.entries[n]
        with httpx.Client(base_url=deployment.base, timeout=60) as client:
            for r in range(ROUNDS):
                body = entry_fields(name=f"并发{n}-第{r}次修改")
                put = client.put(f"/api/v1/datasets/{entry}", json=body, headers=steward)
                got = client.get(f"/api/v1/datasets/{entry}", headers=steward)
                statuses += [put.status_code, got.status_code]
                if got.status_code == 200 and got.json()["name"] != body["name"]:
                    statuses.append(-1)  # a worker answered with a stale row
                token = client.post("/api/v1/tokens", json={"name": f"t{n}-{r}"}, headers=steward)
                statuses.append(token.status_code)
                statuses.append(client.get("/api/v1/datasets").status_code)
                statuses.append(client.get("/healthz").status_code)
            # While this client's keep-alive connection is open: which worker holds it.
            inodes = established_inodes(deployment.port)
            holders = {pid for pid in workers if inodes & sockets_of(pid)}
        return statuses, holders

    with ThreadPoolExecutor(THREADS) as pool:
        results = list(pool.map(work, range(THREADS)))
    statuses = [s for found, _ in results for s in found]
    assert [s for s in statuses if s not in (200, 201)] == []
    assert statuses.count(201) == THREADS * ROUNDS  # every token was issued
    served_by = set().union(*(holders for _, holders in results))
    # Each connection was held by a worker; which one is the kernel's choice, so both are
    # reported but only one is required.
    assert served_by and served_by <= set(workers), (served_by, workers)
    with ThreadPoolExecutor(THREADS) as pool:
        names = list(
            pool.map(
                lambda e: httpx.get(
                    f"{deployment.base}/api/v1/datasets/{e}", headers=steward, timeout=30
                ).json()["name"],
                deployment.entries,
            )
        )
    assert names == [f"并发{n}-第{ROUNDS - 1}次修改" for n in range(THREADS)]
    assert deployment.workers() == workers  # no worker died or was replaced on the way


def test_background_work_runs_in_exactly_one_process(deployment: Deployment) -> None:
    server = deployment.server
    holders = [
        pid
        for pid in [server.pid, *children(server.pid)]
        if any(t.endswith("/background.lock") for t in open_files(pid))
    ]
    assert len(holders) == 1 and holders[0] in deployment.workers(), holders
    # The due harvest (the first job of the schedule) ran once, not once per worker.
    deadline = time.monotonic() + 30
    while True:
        check = Services.from_settings(deployment.settings, passwords=FAST_PASSWORDS)
        try:
            with check.db.reader() as s:
                runs = s.scalar(select(func.count()).select_from(HarvestRun)) or 0
        finally:
            close(check)
        if runs or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    time.sleep(2)  # a second process running the same job would have recorded it by now
    check = Services.from_settings(deployment.settings, passwords=FAST_PASSWORDS)
    try:
        with check.db.reader() as s:
            runs = s.scalar(select(func.count()).select_from(HarvestRun)) or 0
    finally:
        close(check)
    assert runs == 1, f"the due harvest ran {runs} times"


def test_concurrent_new_entries_get_distinct_codes(deployment: Deployment) -> None:
    steward = deployment.auth("env_steward")

    def create(n: int) -> int:
        body = {"department": "sthjj", **entry_fields(name=f"并发新建{n}")}
        with httpx.Client(base_url=deployment.base, timeout=60) as client:
            try:
                return client.post("/api/v1/datasets", json=body, headers=steward).status_code
            except httpx.TransportError:
                return 0  # the worker dropped the connection on the unhandled error

    with ThreadPoolExecutor(THREADS) as pool:
        statuses = list(pool.map(create, range(THREADS * 2)))
    assert statuses == [201] * (THREADS * 2)


def test_the_server_log_has_no_unexpected_errors(deployment: Deployment) -> None:
    text = deployment.log.read_text()
    assert "Traceback" not in text, text[-3000:]


def metric_sum(text: str, name: str, **labels: str) -> float:
    """The sum of a scrape's samples named `name` whose labels include `labels`."""
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == name and labels.items() <= sample.labels.items()
    )


def test_metrics_add_up_the_counts_of_every_worker(deployment: Deployment) -> None:
    admin = deployment.auth("admin")

    def scrape() -> tuple[float, float]:
        # A new connection each time: whichever worker the kernel picks answers.
        text = httpx.get(f"{deployment.base}/metrics", headers=admin, timeout=30).text
        return (
            metric_sum(text, "quancheng_http_requests_total", route="/healthz", status="200"),
            metric_sum(text, "quancheng_telemetry_points_received_total"),
        )

    health_before, points_before = scrape()
    for _ in range(40):
        assert httpx.get(f"{deployment.base}/healthz", timeout=30).status_code == 200
    at = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=1)
    for n in range(4):
        moment = (at + timedelta(seconds=n)).isoformat().replace("+00:00", "Z")
        batch = [
            {"id": lamp, "attrs": {"illuminanceLevel": {"value": 0.5, "observedAt": moment}}}
            for lamp in LAMPS
        ]
        posted = httpx.post(
            f"{deployment.base}/api/v1/ops/telemetry", json=batch, headers=admin, timeout=30
        )
        assert posted.status_code == 200, posted.text
    deadline = time.monotonic() + TELEMETRY_SYNC_SECONDS * 3
    while True:
        scrapes = [scrape() for _ in range(6)]
        # Every worker answers the same sums: each counted request once, whoever served it.
        healths = {h for h, _ in scrapes}
        points = {p for _, p in scrapes}
        if points == {points_before + 4 * len(LAMPS)} or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert healths == {health_before + 40}, (health_before, scrapes)
    assert points == {points_before + 4 * len(LAMPS)}, (points_before, scrapes)
