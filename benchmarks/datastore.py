"""Datastore figures: ingest rows/s and peak memory, and query latency over HTTP.

Peers, run on the same files in the same run: DuckDB's own `read_csv` into a table (the
limit of the embedded engine), PostgreSQL `COPY` (CKAN xloader's method) when a server is
available, and Datasette serving the same rows from SQLite, queried by the same client.
"""

from __future__ import annotations

import contextlib
import csv
import multiprocessing
import os
import resource
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from importlib.metadata import version
from pathlib import Path
from typing import Any

import duckdb
import httpx
import psycopg
import uvicorn

from benchmarks.report import Figure, phase, quantile_ms
from quancheng.app import Services, create_app
from quancheng.datastore.backends.sqlbuild import DUCKDB as D
from quancheng.identity.roles import Principal
from quancheng.settings import Settings

DISTRICTS = ("历下区", "市中区", "槐荫区", "天桥区", "历城区", "长清区", "章丘区", "济阳区")
HEADER = (
    "记录编号,站点编码,站点名称,所属区县,监测日期,监测时间,"
    "PM2.5浓度,PM10浓度,二氧化氮,臭氧,空气质量指数,联系电话"
)


def write_csv(path: Path, rows: int, *, encoding: str, seed: int = 7) -> None:
    """A 12-column air-quality-like CSV with codes, dates, numbers and Chinese text.

    Written by DuckDB from hashes of the row number (the same file on every run), about
    twenty times as fast as row by row in Python: ten million rows take seconds, not a minute.
    """

    def draw(k: int, n: int) -> str:  # 0 <= value < n, fixed by (row, seed, k)
        return f"(hash(i, {seed * 16 + k}) % {n})"

    at = "(TIMESTAMP '2024-01-01' + to_minutes(5 * i))"
    districts = "[" + ", ".join(D.literal(d) for d in DISTRICTS) + "]"
    values = [
        "i + 1",
        f"lpad(CAST(1 + {draw(1, 399)} AS VARCHAR), 4, '0')",
        f"'监测站' || (1 + {draw(2, 399)})",
        f"{districts}[i % {len(DISTRICTS)} + 1]",
        f"strftime({at}, '%Y-%m-%d')",
        f"strftime({at}, '%Y-%m-%d %H:%M:%S')",
        f"(50 + {draw(3, 2451)}) / 10",  # 5.0 to 250.0
        f"(100 + {draw(4, 3901)}) / 10",
        f"(50 + {draw(5, 1151)}) / 10",
        f"(100 + {draw(6, 1901)}) / 10",
        f"10 + {draw(7, 290)}",
        f"'13' || lpad(CAST({draw(8, 10**9)} AS VARCHAR), 9, '0')",
    ]
    named = ", ".join(
        f"{v} AS {D.quote(n)}" for v, n in zip(values, HEADER.split(","), strict=True)
    )
    utf8 = path if encoding == "utf-8" else path.with_suffix(".utf-8.csv")
    with duckdb.connect() as con:
        con.execute(
            f"COPY (SELECT {named} FROM range({int(rows)}) AS t(i) ORDER BY i) "
            f"TO {D.literal(str(utf8))} (HEADER, DELIMITER ',')"
        )
    if utf8 != path:
        with utf8.open(encoding="utf-8") as src, path.open("w", encoding=encoding) as out:
            while chunk := src.read(1 << 22):
                out.write(chunk)
        utf8.unlink()


def _ingest_child(data_dir: str, datastore_url: str | None, path: str, out: Any) -> None:
    """Load one file through the real service in a fresh process; report time and peak RSS."""
    from tests.support.city import entry_fields

    settings = Settings(
        data_dir=Path(data_dir),
        datastore_url=datastore_url,
        secret_key="bench-secret-key-0123456789abcdef",
    )
    services = Services.from_settings(settings)
    services.db.migrate()
    _seed_entry(services, entry_fields)
    admin = Principal.system("bench")
    started = time.perf_counter()
    job = services.datastore.start_load(admin, 1, source_name=Path(path).name)
    result = services.datastore.run_load(job.id, Path(path))
    seconds = time.perf_counter() - started
    current = services.datastore.dataset(admin, 1).current
    types = [D.types[c.type] for c in current.schema.columns] if current else []
    services.close()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    out.put((result.status.value, result.message, seconds, peak, types))


def _seed_entry(services: Services, entry_fields: Any) -> None:
    """One department and one published open entry whose items match the CSV header."""
    from tests.support.city import credit_code

    from quancheng.catalog.service import CatalogService
    from quancheng.identity.service import DepartmentFields

    with services.db.transaction() as s:
        services.identity.add_department(
            s,
            DepartmentFields(
                key="sthjj",
                name="济南市生态环境局",
                short_name="市生态环境局",
                credit_code=credit_code("00000003X"),
                kind="city_department",
            ),
        )
        for code, name, parent in (
            ("2", "主题", None),
            ("210", "生态环保", "2"),
            ("210001", "空气质量", "210"),
        ):
            CatalogService.add_classification(
                s, code=code, name=name, name_en=name, parent_code=parent
            )
    admin = Principal.system("bench")
    # The item types a steward would declare (they steer inference: C keeps text).
    types = dict.fromkeys(("记录编号", "空气质量指数"), "I")
    types |= dict.fromkeys(("PM2.5浓度", "PM10浓度", "二氧化氮", "臭氧"), "F")
    types |= {"监测日期": "D", "监测时间": "T"}
    items = [
        {"name": h, "data_type": types.get(h, "C"), "length": None if h in types else 50}
        for h in HEADER.split(",")
    ]
    entry = services.catalog.create(
        admin, department="sthjj", fields=entry_fields(data_items=items)
    )
    services.catalog.submit(admin, entry.id)
    services.catalog.publish(admin, entry.id)


def _ingest(path: Path, datastore_url: str | None) -> tuple[float, int, list[str]]:
    # A fresh process per load, for its own peak RSS; forked from a server that has the
    # platform imported already (the same baseline as a spawned child, seconds sooner).
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["benchmarks.datastore", "tests.support.city"])
    queue = ctx.Queue()
    with tempfile.TemporaryDirectory() as tmp:
        proc = ctx.Process(target=_ingest_child, args=(tmp, datastore_url, str(path), queue))
        proc.start()
        status, message, seconds, peak, types = queue.get(timeout=3600)
        proc.join()
    if status != "succeeded":
        raise RuntimeError(f"ingest failed: {message}")
    return seconds, peak, types


def _duckdb_read_csv(path: Path, types: list[str] | None = None) -> float:
    """DuckDB's read_csv into a table: the types it detects, or the `types` given."""
    columns = ""
    if types:
        with path.open(encoding="utf-8") as f:
            header = next(csv.reader(f))
        pairs = ", ".join(
            f"{D.literal(n)}: {D.literal(t)}" for n, t in zip(header, types, strict=True)
        )
        columns = f", header=true, columns={{{pairs}}}"
    with tempfile.TemporaryDirectory() as tmp:
        con = duckdb.connect(str(Path(tmp) / "peer.duckdb"))
        started = time.perf_counter()
        con.execute(f"CREATE TABLE t AS SELECT * FROM read_csv(?{columns})", [str(path)])
        con.execute("CHECKPOINT")
        seconds = time.perf_counter() - started
        con.close()
    return seconds


def _postgres_copy(path: Path, url: str, encoding: str) -> float:
    libpq = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(libpq, autocommit=True) as con:
        columns = ", ".join(f'"c{i}" text' for i in range(12))
        con.execute("DROP TABLE IF EXISTS bench_copy")
        con.execute(f"CREATE TABLE bench_copy ({columns})")
        started = time.perf_counter()
        with con.cursor() as cur, path.open("rb") as f:
            pg_encoding = "GB18030" if encoding == "gb18030" else "UTF8"
            with cur.copy(
                f"COPY bench_copy FROM STDIN (FORMAT csv, HEADER true, ENCODING '{pg_encoding}')"
            ) as copy:
                while chunk := f.read(1 << 20):
                    copy.write(chunk)
        seconds = time.perf_counter() - started
        con.execute("DROP TABLE bench_copy")
    return seconds


def ingest_figures(rows: int, tmp: Path) -> list[Figure]:
    """Ingest the same file through Quancheng and through the peers."""
    figures: list[Figure] = []
    pg_admin = os.environ.get("QC_TEST_POSTGRES_URL")
    for encoding in ("utf-8", "gb18030"):
        path = tmp / f"bench-{encoding}.csv"
        write_csv(path, rows, encoding=encoding)
        os.sync()  # the file on disk before any timing, not written back during the first
        seconds, peak, types = _ingest(path, None)
        ours = rows / seconds
        peer_name, peer_rate, target, same = "", None, "", None
        if encoding == "utf-8":
            peer_rate = rows / _duckdb_read_csv(path)
            peer_name, target = "DuckDB read_csv into a table", ">= 0.5x peer"
            # The same read told the types we stored: codes, phone numbers and the record
            # number as text, where the detecting read makes them BIGINT (0123 -> 123).
            same = rows / _duckdb_read_csv(path, types)
        figures.append(
            Figure(
                name=f"ingest {rows:,} rows x 12 columns, CSV {encoding}, DuckDB backend",
                value=ours,
                unit="rows/s",
                target=target,
                goal="ratio >= 0.5" if target else "",
                peer=peer_name,
                peer_value=peer_rate,
                ratio=ours / peer_rate if peer_rate else None,
                note=f"end to end: hash, detect, validate, infer, load, swap; peak RSS "
                f"{peak // 1024} MiB",
            )
        )
        if same is not None:
            figures.append(
                Figure(
                    name=f"ingest {rows:,} rows x 12 columns, CSV utf-8, DuckDB backend, "
                    "beside read_csv told our column types",
                    value=ours,
                    unit="rows/s",
                    peer="DuckDB read_csv into a table, with the column types we stored",
                    peer_value=same,
                    ratio=ours / same,
                    note="how much of the gap above is storing codes as text: "
                    f"our types {', '.join(types)}",
                )
            )
        if pg_admin:
            from tests.support.postgres import create_database, drop_database

            url = create_database(pg_admin)
            try:
                seconds, peak, _ = _ingest(path, url)
                copy_rate = rows / _postgres_copy(path, url, encoding)
            finally:
                drop_database(pg_admin, url)
            figures.append(
                Figure(
                    name=f"ingest {rows:,} rows x 12 columns, CSV {encoding}, PostgreSQL backend",
                    value=rows / seconds,
                    unit="rows/s",
                    target=">= 1x peer",
                    goal="ratio >= 1",
                    peer="PostgreSQL COPY of the file into text columns",
                    peer_value=copy_rate,
                    ratio=(rows / seconds) / copy_rate,
                    note=f"peak RSS {peak // 1024} MiB",
                )
            )
    return figures


def _free_port() -> int:
    return _free_ports(1)[0]


def _free_ports(n: int) -> list[int]:
    """`n` distinct free loopback ports (held open together, so no two come out the same)."""
    with contextlib.ExitStack() as stack:
        sockets = [stack.enter_context(socket.socket()) for _ in range(n)]
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [int(sock.getsockname()[1]) for sock in sockets]


def _time(client: httpx.Client, url: str, params: dict[str, Any], n: int) -> list[float]:
    warm = client.get(url, params=params)
    if warm.status_code != 200:
        raise RuntimeError(f"{url} answered {warm.status_code}: {warm.text[:500]}")
    out = []
    for _ in range(n):
        started = time.perf_counter()
        client.get(url, params=params).raise_for_status()
        out.append(time.perf_counter() - started)
    return out


def _sqlite_copy(path: Path, db_path: Path, columns: list[str]) -> None:
    """The CSV's rows in table `air` of a new SQLite file (what Datasette serves)."""
    con = sqlite3.connect(db_path)
    con.execute(f"CREATE TABLE air ({', '.join(columns)})")
    with path.open(encoding="utf-8") as f:
        reader = csv.reader(f)
        next(reader)
        con.executemany(f"INSERT INTO air VALUES ({', '.join('?' * len(columns))})", reader)
    con.commit()
    con.close()


def query_figures(rows: int, tmp: Path, *, rounds: int) -> list[Figure]:
    """Filtered sorted page and group-by over HTTP: Quancheng vs Datasette on SQLite."""
    from tests.support.city import entry_fields

    path = tmp / "query.csv"
    with phase(f"{rows:,}-row CSV written"):
        write_csv(path, rows, encoding="utf-8")
    settings = Settings(data_dir=tmp / "city", secret_key="bench-secret-key-0123456789abcdef")
    services = Services.from_settings(settings)
    services.db.migrate()
    _seed_entry(services, entry_fields)
    admin = Principal.system("bench")
    with phase("loaded by Quancheng"):
        job = services.datastore.start_load(admin, 1, source_name=path.name)
        services.datastore.run_load(job.id, path)
    info = services.datastore.dataset(admin, 1)
    assert info.current is not None
    names = {c.label: c.name for c in info.current.schema.columns}

    db_path = tmp / "peer.db"
    with phase("loaded into SQLite for Datasette"):
        _sqlite_copy(path, db_path, list(names.values()))

    port, peer_port = _free_ports(2)
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings, services=services), port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    peer = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "datasette",
            "serve",
            str(db_path),
            "-p",
            str(peer_port),
            "--setting",
            "sql_time_limit_ms",
            "60000",
            "--setting",
            "max_returned_rows",
            "1000",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    district, pm25 = names["所属区县"], names["PM2.5浓度"]
    try:
        with httpx.Client(timeout=120) as client:
            for _ in range(100):
                try:
                    client.get(f"http://127.0.0.1:{peer_port}/-/versions.json")
                    client.get(f"http://127.0.0.1:{port}/healthz")
                    break
                except httpx.TransportError:
                    time.sleep(0.2)
            ours_page = _time(
                client,
                f"http://127.0.0.1:{port}/api/v1/datasets/1/rows",
                {f"{district}__eq": "历下区", "_sort": f"-{pm25}", "_limit": 100, "_total": 0},
                rounds,
            )
            peer_page = _time(
                client,
                f"http://127.0.0.1:{peer_port}/peer/air.json",
                {f"{district}__exact": "历下区", "_sort_desc": pm25, "_size": 100, "_nocount": 1},
                rounds,
            )
            ours_group = _time(
                client,
                f"http://127.0.0.1:{port}/api/v1/datasets/1/rows",
                {"_group_by": district, "_agg": f"count,avg:{pm25}", "_total": 0},
                rounds,
            )
            peer_group = _time(
                client,
                f"http://127.0.0.1:{peer_port}/peer.json",
                {"sql": f"select {district}, count(*), avg({pm25}) from air group by {district}"},
                rounds,
            )
    finally:
        peer.terminate()
        peer.wait()
        server.should_exit = True
        thread.join(timeout=10)
        services.close()
    figures = []
    for label, ours, theirs in (
        ("filtered, sorted page of 100", ours_page, peer_page),
        ("group-by with count and avg", ours_group, peer_group),
    ):
        for q in (0.5, 0.99):
            a, b = quantile_ms(ours, q), quantile_ms(theirs, q)
            figures.append(
                Figure(
                    name=f"{label} over HTTP, {rows:,} rows: p{int(q * 100)}",
                    value=a,
                    unit="ms",
                    target="faster than Datasette",
                    goal="ratio < 1",
                    peer=f"Datasette {version('datasette')} on SQLite, same client",
                    peer_value=b,
                    ratio=a / b if b else None,
                )
            )
        figures.append(
            Figure(
                name=f"{label} over HTTP, {rows:,} rows: requests/s (one client)",
                value=len(ours) / sum(ours),
                unit="req/s",
                peer="Datasette",
                peer_value=len(theirs) / sum(theirs),
                ratio=(len(ours) / sum(ours)) / (len(theirs) / sum(theirs)),
            )
        )
    return figures


def run(*, quick: bool) -> list[Figure]:
    """Both groups of figures at the chosen size."""
    ingest_rows = 20_000 if quick else 1_000_000
    # The scale: a 10-million-row table (the size of `quancheng demo --large`).
    query_rows = 20_000 if quick else 10_000_000
    with tempfile.TemporaryDirectory() as tmp:
        figures = ingest_figures(ingest_rows, Path(tmp))
        figures += query_figures(query_rows, Path(tmp), rounds=20)
    return figures
