"""Load: a mixed workload from a second process against `quancheng serve --workers N` on PostgreSQL.

A small city is prepared in this process (users and tokens, open entries with data, a
conditional police entry to request, streetlights), then served by `quancheng serve` on
loopback. A second process runs hundreds of asyncio clients, each with its own connection,
looping over a weighted mix of what the city's users do: catalog search, row queries with
filters and sort, the CKAN API, SQL, full CSV downloads, telemetry batches and sharing
requests taken through to a decision. Recorded per route: requests, errors (any non-2xx or
exception), p50 and p99 latency; the overall throughput; and the RSS of every server process
(master and workers), sampled through the run, to show memory stays flat.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from tests.support.city import SmallCity, entry_fields
from tests.support.postgres import create_database, drop_database, postgres_admin_url
from tests.support.server import Server, prepare_city, streetlights
from tests.support.sharing import seed_exchange

from benchmarks.report import Figure, phase, quantile_ms
from quancheng.app import Services
from quancheng.identity.roles import Principal

ROOT = Path(__file__).resolve().parents[1]
FULL_SECONDS = 600.0
QUICK_SECONDS = 6.0
FULL_CLIENTS = 200
QUICK_CLIENTS = 50
WORKERS = 2  # the 2-core benchmark machine
BIG_ROWS = 10_000  # the open entry that is queried, exported and summed
SMALL_ROWS = 500
OPEN_ENTRIES = 3
LAMPS = 500
BATCH = 100  # telemetry messages per request
WARM_CLIENTS = 8  # enough connections to reach every worker
WARM_ROUNDS = 2
THINK = 0.2  # mean pause of a client between two actions, seconds
STATIONS = ("泉城广场", "济南站", "大明湖", "千佛山", "奥体中心", "高新区", "长清区", "章丘区")
SEARCHES = ("空气质量", "kongqi", "air quality", "人口", "监测", "PM2.5", "济南", "数据")
MEMORY_TARGET = 10.0  # percent growth after warm-up
# Shorter runs end while the workers still fill their caches: their growth is no leak.
JUDGED_SECONDS = 120.0

# Route name -> weight in each client's mix; sharing counts three requests per pick.
MIX: dict[str, float] = {
    "catalog search": 3.0,
    "rows, filter and sort": 3.0,
    "CKAN package_search": 2.0,
    "CKAN package_show": 1.0,
    "CKAN datastore_search": 2.0,
    "SQL": 1.0,
    "CSV download (full)": 0.5,
    "telemetry batch": 1.5,
    "sharing request": 0.5,
}
SHARING_ROUTES = ("sharing request", "sharing compliance pass", "sharing decision")


@dataclass
class Plan:
    """What the driver process needs: the server, tokens and the seeded objects."""

    base: str
    tokens: dict[str, str]
    seconds: float
    clients: int
    think: float
    big_entry: int = 0
    big_table: str = ""
    codes: list[str] = field(default_factory=list)
    # SQL names of the open entries' columns by label (the SQL route takes names only).
    columns: dict[str, str] = field(default_factory=dict)
    tables: list[str] = field(default_factory=list)
    exchange_entry: int = 0
    lamps: list[str] = field(default_factory=list)


def _air_csv(rows: int, *, seed: int) -> bytes:
    """Hourly readings of the stations, as the open entries' CSV."""
    rng = random.Random(seed)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    lines = ["监测站点,监测时间,PM2.5浓度"]
    for i in range(rows):
        at = (start + timedelta(hours=i // len(STATIONS))).strftime("%Y-%m-%d %H:%M:%S")
        lines.append(f"{STATIONS[i % len(STATIONS)]},{at},{rng.uniform(5, 250):.1f}")
    return ("\n".join(lines) + "\n").encode()


def _seed(services: Services, city: SmallCity, root: Path, plan: Plan) -> None:
    """Open entries with data, the conditional exchange entry and the streetlights."""
    steward = city.principals["env_steward"]
    for i in range(OPEN_ENTRIES):
        rows = BIG_ROWS if i == 0 else SMALL_ROWS
        fields = entry_fields(
            name=f"空气质量小时监测数据（第{i + 1}批）",
            name_en=f"Hourly air quality monitoring data, batch {i + 1}",
        )
        entry = services.catalog.create(steward, department="sthjj", fields=fields)
        services.catalog.submit(steward, entry.id)
        services.catalog.publish(steward, entry.id)
        path = root / f"air-{i}.csv"
        path.write_bytes(_air_csv(rows, seed=i))
        job = services.datastore.start_load(steward, entry.id, source_name=path.name)
        done = services.datastore.run_load(job.id, path)
        if done.status != "succeeded":
            raise RuntimeError(f"seeding entry {i} failed: {done.message}")
        info = services.datastore.dataset(steward, entry.id)
        plan.codes.append(info.entry_code)
        plan.tables.append(info.table)
        if i == 0:
            plan.big_entry, plan.big_table = entry.id, info.table
            assert info.current is not None
            plan.columns = {c.label: c.name for c in info.current.schema.columns}
    plan.exchange_entry = seed_exchange(city, root, rows=200).entry_id
    plan.lamps = [f"urn:ngsi-ld:Streetlight:load-{i:05d}" for i in range(LAMPS)]
    body = streetlights(plan.lamps)
    services.entities.upsert(Principal.system("bench"), body, department="gaj")


# --- the driver process -------------------------------------------------------------------


class Recorder:
    """Latencies and errors per route, and the first few error answers to report."""

    def __init__(self) -> None:
        self.latencies: dict[str, list[float]] = {}
        self.errors: dict[str, int] = {}
        self.samples: dict[str, list[str]] = {}
        self.started = time.monotonic()
        # The slowest requests and when in the run they came (a cold start, or throughout?).
        self.slowest: list[tuple[float, float, str]] = []

    async def call(
        self, route: str, send: Callable[[], Awaitable[httpx.Response]]
    ) -> httpx.Response | None:
        """Time one request; a non-2xx answer or an exception is an error of the route."""
        started = time.perf_counter()
        response: httpx.Response | None
        try:
            response = await send()
            await response.aread()
            problem = "" if response.is_success else f"{response.status_code} {response.text[:400]}"
        except Exception as error:
            response, problem = None, f"{type(error).__name__}: {error}"[:400]
        elapsed = time.perf_counter() - started
        self.latencies.setdefault(route, []).append(elapsed)
        if len(self.slowest) < 10 or elapsed > self.slowest[0][0]:
            at = time.monotonic() - self.started - elapsed
            self.slowest = sorted([*self.slowest, (elapsed, at, route)])[-10:]
        if problem:
            self.errors[route] = self.errors.get(route, 0) + 1
            kept = self.samples.setdefault(route, [])
            if len(kept) < 3:
                kept.append(problem)
            return None
        return response


class Client:
    """One simulated user: its own connection, looping over the weighted mix."""

    def __init__(self, plan: Plan, recorder: Recorder, index: int) -> None:
        self.plan = plan
        self.rec = recorder
        self.index = index
        self.rng = random.Random(index)
        self.http = httpx.AsyncClient(
            base_url=plan.base,
            timeout=120,
            limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
        )
        self.step = itertools.count()

    def auth(self, username: str) -> dict[str, str]:
        """A seeded user's token header."""
        return {"Authorization": f"Bearer {self.plan.tokens[username]}"}

    def actions(self) -> dict[str, Callable[[], Awaitable[None]]]:
        """The action behind each entry of the mix."""
        return {
            "catalog search": self.search,
            "rows, filter and sort": self.rows,
            "CKAN package_search": self.package_search,
            "CKAN package_show": self.package_show,
            "CKAN datastore_search": self.datastore_search,
            "SQL": self.sql,
            "CSV download (full)": self.download,
            "telemetry batch": self.telemetry,
            "sharing request": self.sharing,
        }

    async def warm(self, rounds: int) -> None:
        """Every action `rounds` times, then close (the warm-up, not measured)."""
        try:
            for _ in range(rounds):
                for action in self.actions().values():
                    await action()
        finally:
            await self.http.aclose()

    async def run(self, stop_at: float) -> None:
        """Loop until `stop_at` (monotonic)."""
        routes = list(MIX)
        weights = list(MIX.values())
        actions = self.actions()
        try:
            # Clients start spread out, as users do, not in one burst.
            await asyncio.sleep(self.rng.uniform(0, 2 * self.plan.think))
            # The first action goes round the routes by client, so that even a short run
            # with few clients measures every route; the rest follow the weights.
            route = routes[self.index % len(routes)]
            while time.monotonic() < stop_at:
                await actions[route]()
                await asyncio.sleep(self.rng.uniform(0, 2 * self.plan.think))
                route = self.rng.choices(routes, weights)[0]
        finally:
            await self.http.aclose()

    async def search(self) -> None:
        q = self.rng.choice(SEARCHES)
        await self.rec.call(
            "catalog search",
            lambda: self.http.get(
                "/api/v1/datasets", params={"q": q, "limit": 20}, headers=self.auth("citizen")
            ),
        )

    async def rows(self) -> None:
        params = {
            "监测站点": self.rng.choice(STATIONS),
            "PM2.5浓度__gt": str(self.rng.randrange(10, 200)),
            "_sort_desc": "监测时间",
            "_limit": "50",
        }
        entry = self.plan.big_entry
        await self.rec.call(
            "rows, filter and sort",
            lambda: self.http.get(
                f"/api/v1/datasets/{entry}/rows", params=params, headers=self.auth("citizen")
            ),
        )

    async def package_search(self) -> None:
        q = self.rng.choice(SEARCHES)
        await self.rec.call(
            "CKAN package_search",
            lambda: self.http.get("/api/3/action/package_search", params={"q": q, "rows": 10}),
        )

    async def package_show(self) -> None:
        code = self.rng.choice(self.plan.codes)
        await self.rec.call(
            "CKAN package_show",
            lambda: self.http.get("/api/3/action/package_show", params={"id": code}),
        )

    async def datastore_search(self) -> None:
        params = {
            "resource_id": self.rng.choice(self.plan.tables),
            "filters": f'{{"监测站点": "{self.rng.choice(STATIONS)}"}}',
            "sort": "PM2.5浓度 desc",
            "limit": "100",
            "offset": str(self.rng.randrange(0, 40)),
        }
        await self.rec.call(
            "CKAN datastore_search",
            lambda: self.http.get("/api/3/action/datastore_search", params=params),
        )

    async def sql(self) -> None:
        low = self.rng.randrange(0, 150)
        station, value = self.plan.columns["监测站点"], self.plan.columns["PM2.5浓度"]
        statement = (
            f'SELECT "{station}", count(*) AS n, avg("{value}") AS mean '
            f'FROM "{self.plan.big_table}" WHERE "{value}" > {low} '
            f'GROUP BY "{station}" ORDER BY mean DESC'
        )
        await self.rec.call(
            "SQL",
            lambda: self.http.post(
                "/api/v1/sql", json={"sql": statement}, headers=self.auth("gaj_user")
            ),
        )

    async def download(self) -> None:
        entry = self.plan.big_entry
        await self.rec.call(
            "CSV download (full)",
            lambda: self.http.get(
                f"/api/v1/datasets/{entry}/export.csv", headers=self.auth("citizen")
            ),
        )

    async def telemetry(self) -> None:
        step = next(self.step)
        at = datetime.now(UTC) - timedelta(hours=1, seconds=self.index * 1000 + step)
        stamp = at.isoformat().replace("+00:00", "Z")
        start = self.rng.randrange(0, len(self.plan.lamps) - BATCH + 1)
        body = [
            {
                "id": lamp,
                "attrs": {
                    "powerConsumption": {"value": 20 + n % 100, "observedAt": stamp},
                    "illuminanceLevel": {"value": n % 10 / 10, "observedAt": stamp},
                },
            }
            for n, lamp in enumerate(self.plan.lamps[start : start + BATCH])
        ]
        await self.rec.call(
            "telemetry batch",
            lambda: self.http.post("/api/v1/ops/telemetry", json=body, headers=self.auth("admin")),
        )

    async def sharing(self) -> None:
        """A request by the environment bureau, passed by the platform, decided by the police."""
        created = await self.rec.call(
            "sharing request",
            lambda: self.http.post(
                "/api/v1/sharing/requests",
                json={
                    "dataset_id": self.plan.exchange_entry,
                    "purpose": "大气污染源排查中的人口分布分析",
                    "items": ["所属区县", "人数"],
                    "period_days": 30,
                    "submit": True,
                },
                headers=self.auth("env_user"),
            ),
        )
        if created is None:
            return
        url = f"/api/v1/sharing/requests/{created.json()['id']}/decision"
        passed = await self.rec.call(
            "sharing compliance pass",
            lambda: self.http.post(url, json={"decision": "pass"}, headers=self.auth("admin")),
        )
        if passed is None:
            return
        approve = self.rng.random() < 0.5
        decision = {"decision": "approve"} if approve else {"decision": "reject", "reason": "测试"}
        await self.rec.call(
            "sharing decision",
            lambda: self.http.post(url, json=decision, headers=self.auth("gaj_steward")),
        )


async def _drive_async(plan: Plan, warm_marker: Path | None) -> dict[str, Any]:
    # Each worker loads what it loads lazily (the jieba and pinyin dictionaries of the
    # catalog search take seconds and hold the GIL) on its first requests: that cold start
    # is measured on its own, then the steady state.
    warm = Recorder()
    warm_started = time.monotonic()
    warmers = [Client(plan, warm, -1 - i) for i in range(min(WARM_CLIENTS, plan.clients))]
    await asyncio.gather(*(c.warm(WARM_ROUNDS) for c in warmers))
    warm_seconds = time.monotonic() - warm_started
    if warm_marker is not None:
        warm_marker.touch()
    recorder = Recorder()
    started = time.monotonic()
    stop_at = started + plan.seconds
    clients = [Client(plan, recorder, i) for i in range(plan.clients)]
    await asyncio.gather(*(c.run(stop_at) for c in clients))
    return {
        "seconds": time.monotonic() - started,
        "latencies": recorder.latencies,
        "errors": recorder.errors,
        "samples": recorder.samples,
        "slowest": recorder.slowest,
        "warm_seconds": warm_seconds,
        "warm_slowest": warm.slowest[-1] if warm.slowest else None,
        "warm_errors": warm.errors,
        "warm_samples": warm.samples,
    }


def drive(plan: Plan, warm_marker: Path | None = None) -> dict[str, Any]:
    """Warm up, then run the workload; latencies, errors and error samples.

    `warm_marker` is created when the warm-up is done (the memory baseline starts there).
    """
    return asyncio.run(_drive_async(plan, warm_marker))


# --- memory of the server processes -------------------------------------------------------


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def process_tree(pid: int) -> list[int]:
    """A process and all its descendants (the serve master, uvicorn's workers, helpers)."""
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo += _children(current)
    return tree


def rss_kib(pid: int) -> int | None:
    """VmRSS of a process in KiB, or None once it has gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def _role(pid: int, master: int) -> str:
    if pid == master:
        return "serve master"
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return "process"
    if "multiprocessing" in command and "resource_tracker" in command:
        return "resource tracker"
    return "worker" if "spawn" in command or "multiprocessing" in command else "process"


def _memory_figures(
    samples: dict[int, list[tuple[float, int]]], master: int, *, judged: bool
) -> list[Figure]:
    """Each process's RSS at 10% of the run and at the end, and the worst growth."""
    figures: list[Figure] = []
    worst = 0.0
    worst_note = ""
    if not samples:
        return figures
    end = max(t for series in samples.values() for t, _ in series)
    for pid, series in sorted(samples.items()):
        warm = next((kib for t, kib in series if t >= 0.1 * end), series[0][1])
        # The middle tells a leak (growing on) from caches filling (levelling off).
        middle = next((kib for t, kib in series if t >= 0.5 * end), warm)
        last = series[-1][1]
        growth = 100.0 * (last - warm) / warm if warm else 0.0
        role = _role(pid, master)
        figures.append(
            Figure(
                name=f"memory: {role} (pid {pid}) at end",
                value=last / 1024,
                unit="MiB",
                note=(
                    f"{warm / 1024:.0f} MiB at 10% of the run, {middle / 1024:.0f} MiB at 50%; "
                    f"growth {growth:+.1f}%"
                ),
            )
        )
        if growth >= worst or not worst_note:
            worst, worst_note = (
                growth,
                f"{role} pid {pid}: {warm / 1024:.0f} → {last / 1024:.0f} MiB",
            )
    figures.append(
        Figure(
            name="memory growth, worst process",
            value=worst,
            unit="%",
            target=f"flat (< {MEMORY_TARGET:.0f}% after warm-up)" if judged else "",
            goal=f"value < {MEMORY_TARGET:g}" if judged else "",
            note=worst_note
            + ("" if judged else f"; a run under {JUDGED_SECONDS:.0f} s is still warming up"),
        )
    )
    return figures


def _sample(master: int, samples: dict[int, list[tuple[float, int]]], started: float) -> None:
    for pid in process_tree(master):
        kib = rss_kib(pid)
        if kib is not None:
            samples.setdefault(pid, []).append((time.monotonic() - started, kib))


# --- the run --------------------------------------------------------------------------------


def _route_figures(result: dict[str, Any], plan: Plan) -> list[Figure]:
    latencies: dict[str, list[float]] = result["latencies"]
    errors: dict[str, int] = result["errors"]
    figures: list[Figure] = []
    order = [r for r in MIX if r != "sharing request"] + list(SHARING_ROUTES)
    for route in order:
        timings = latencies.get(route, [])
        if not timings:
            figures.append(Figure(name=f"{route}: p50", value=0.0, unit="ms", note="no requests"))
            continue
        count = f"{len(timings)} requests, {errors.get(route, 0)} errors"
        figures.append(
            Figure(name=f"{route}: p50", value=quantile_ms(timings, 0.5), unit="ms", note=count)
        )
        figures.append(Figure(name=f"{route}: p99", value=quantile_ms(timings, 0.99), unit="ms"))
    total = sum(len(t) for t in latencies.values())
    warm_failed = sum(result["warm_errors"].values())
    failed = sum(errors.values()) + warm_failed
    samples = {**result["warm_samples"], **result["samples"]}
    first = "; ".join(f"{r}: {s[0]}" for r, s in samples.items() if s)
    figures.append(
        Figure(
            name="errors (non-2xx or exception)",
            value=float(failed),
            unit="requests",
            target="0",
            goal="value == 0",
            note=(first[:600] if first else f"of {total} requests and the warm-up's"),
        )
    )
    slow = result["warm_slowest"]
    figures.append(
        Figure(
            name="cold start: slowest warm-up request",
            value=(slow[0] * 1000) if slow else 0.0,
            unit="ms",
            note=(f"{slow[2]}; " if slow else "")
            + f"warm-up (every route by {WARM_CLIENTS} clients) {result['warm_seconds']:.1f} s",
        )
    )
    figures.append(
        Figure(
            name="throughput, all routes",
            value=total / result["seconds"],
            unit="requests/s",
            note=(
                f"{plan.clients} clients (think {plan.think:.1f} s mean) for "
                f"{result['seconds']:.0f} s, {total} requests"
            ),
        )
    )
    return figures


def measure(
    *, seconds: float, clients: int, workers: int = WORKERS, think: float = THINK
) -> tuple[list[Figure], dict[str, Any]]:
    """Prepare, serve, drive and sample; the figures and the driver's raw result."""
    admin = postgres_admin_url()
    if admin is None:
        raise RuntimeError("the load benchmark runs on PostgreSQL: use scripts/with-postgres")
    with tempfile.TemporaryDirectory(prefix="qc-load-") as tmp:
        root = Path(tmp)
        url = create_database(admin)
        try:
            plan = Plan(base="", tokens={}, seconds=seconds, clients=clients, think=think)
            began = time.monotonic()
            city = prepare_city(
                root / "data",
                database_url=url,
                setup=lambda services, small: _seed(services, small, root, plan),
            )
            plan.tokens = dict(city.tokens)
            server = Server(city, root / "server.log", workers=workers)
            prepared = time.monotonic()
            server.start(timeout=120)
            serving = time.monotonic()
            try:
                assert server.process is not None
                plan.base = server.base
                print(
                    f"  prepared in {prepared - began:.1f} s, served in {serving - prepared:.1f} s",
                    file=sys.stderr,
                )
                with phase(f"{clients} clients for {seconds:.0f} s"):
                    result, samples = _drive_and_sample(plan, server.process.pid, root)
                figures = _route_figures(result, plan)
                figures += _memory_figures(
                    samples, server.process.pid, judged=seconds >= JUDGED_SECONDS
                )
                if not server.alive:
                    raise RuntimeError(f"the server died under load: {server.log_tail()}")
                result["server_log"] = server.log_tail(20_000)
                result["prepare_seconds"] = prepared - began
                result["start_seconds"] = serving - prepared
            finally:
                server.stop()
        finally:
            drop_database(admin, url)
    return figures, result


def _drive_and_sample(
    plan: Plan, master: int, directory: Path
) -> tuple[dict[str, Any], dict[int, list[tuple[float, int]]]]:
    """The workload in a second process while this one samples the server's memory."""
    samples: dict[int, list[tuple[float, int]]] = {}
    every = max(0.5, min(5.0, plan.seconds / 60))
    plan_path, result_path = directory / "plan.json", directory / "result.json"
    plan_path.write_text(json.dumps(asdict(plan)))
    # A plain subprocess rather than multiprocessing: spawn would import the caller's
    # __main__ again (a script, pytest) in the driver.
    warm_marker = directory / "warm"
    command = [
        *(sys.executable, "-m", "benchmarks.load"),
        *(str(plan_path), str(result_path), str(warm_marker)),
    ]
    started = time.monotonic()
    with subprocess.Popen(command, cwd=ROOT) as driver:
        while driver.poll() is None:
            if warm_marker.exists():
                if not samples:
                    started = time.monotonic()
                _sample(master, samples, started)
            try:
                driver.wait(every)
            except subprocess.TimeoutExpired:
                continue
        _sample(master, samples, started)
    if driver.returncode != 0:
        raise RuntimeError(f"the load driver failed with exit code {driver.returncode}")
    return json.loads(result_path.read_text()), samples


def run(
    quick: bool,
    *,
    seconds: float | None = None,
    clients: int | None = None,
    workers: int = WORKERS,
) -> list[Figure]:
    """The load section of the benchmark report."""
    figures, _ = measure(
        seconds=seconds or (QUICK_SECONDS if quick else FULL_SECONDS),
        clients=clients or (QUICK_CLIENTS if quick else FULL_CLIENTS),
        workers=workers,
    )
    return figures


def main(argv: list[str]) -> int:
    """The driver process: read the plan, run the workload, write the result as JSON."""
    plan_path, result_path, warm_marker = (Path(a) for a in argv)
    plan = Plan(**json.loads(plan_path.read_text()))
    result_path.write_text(json.dumps(drive(plan, warm_marker), ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
