"""Sharing exchange: what enforcing a grant and logging each read adds to a row query.

The same filtered, sorted page is asked over HTTP by the owning department (no grant to
look up, nothing logged) and by a consumer department through its grant (grant looked up,
masks and filters applied, the read queued for the ledger), in alternation so both see the
same machine. Target: less than 10% added latency at p50.
"""

from __future__ import annotations

import tempfile
import threading
import time
from pathlib import Path

import httpx
import uvicorn

from benchmarks.datastore import _free_port, write_csv
from benchmarks.report import Figure, quantile_ms
from quancheng.app import Services, create_app
from quancheng.settings import Settings
from quancheng.sharing.model import Action


def overhead_figures(rows: int, tmp: Path, *, rounds: int) -> list[Figure]:
    """p50/p99 of one page read by the owner and through a grant."""
    from tests.support.city import entry_fields, seed_small_city

    path = tmp / "air.csv"
    write_csv(path, rows, encoding="utf-8")
    settings = Settings(data_dir=tmp / "city", secret_key="bench-secret-key-0123456789abcdef")
    services = Services.from_settings(settings)
    services.db.migrate()
    city = seed_small_city(services)
    owner = city.principals["gaj_steward"]
    fields = entry_fields(
        sharing_type="conditional",
        sharing_conditions="用于执法核查",
        legal_basis="《中华人民共和国数据安全法》",
        open_type="closed",
        data_items=[
            {"name": "监测站点", "data_type": "C", "length": 50, "sensitivity": "public"},
            {"name": "所属区县", "data_type": "C", "length": 20, "sensitivity": "public"},
            {"name": "监测时间", "data_type": "T", "sensitivity": "public"},
            {"name": "PM2.5浓度", "data_type": "F", "sensitivity": "public"},
        ],
    )
    entry = services.catalog.create(owner, department="gaj", fields=fields)
    services.catalog.submit(owner, entry.id)
    services.catalog.publish(owner, entry.id)
    job = services.datastore.start_load(owner, entry.id, source_name=path.name)
    services.datastore.run_load(job.id, path)
    consumer = city.principals["env_steward"]
    # Every column, the file's extra ones too: both readers get the same page to compare.
    items = [ref for ref, _, _ in services.sharing.request_form_items(consumer, entry.id)]
    request = services.sharing.create_request(
        consumer, dataset_id=entry.id, purpose="基准测试", items=items, period_days=30
    )
    services.sharing.act(consumer, request.id, Action.SUBMIT)
    services.sharing.act(city.principals["admin"], request.id, Action.PASS)
    services.sharing.act(owner, request.id, Action.APPROVE)
    before = services.ledger.size()

    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings, services=services), port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}/api/v1/datasets/{entry.id}/rows"
    params: dict[str, str | int] = {
        "所属区县__eq": "历下区",
        "_sort": "-PM2.5浓度",
        "_limit": 100,
        "_total": 0,
    }
    timings: dict[str, list[float]] = {"owner": [], "grant": []}
    try:
        with httpx.Client(timeout=120) as client:
            for _ in range(100):
                try:
                    client.get(f"http://127.0.0.1:{port}/healthz")
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
            headers = {"owner": city.auth("gaj_steward"), "grant": city.auth("env_steward")}
            for who in timings:  # warm both paths
                client.get(url, params=params, headers=headers[who]).raise_for_status()
            for _ in range(rounds):
                for who in timings:
                    started = time.perf_counter()
                    client.get(url, params=params, headers=headers[who]).raise_for_status()
                    timings[who].append(time.perf_counter() - started)
        services.access.flush()
        logged = services.ledger.size() - before
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        services.close()
    figures = []
    for q in (0.5, 0.99):
        grant, own = quantile_ms(timings["grant"], q), quantile_ms(timings["owner"], q)
        figures.append(
            Figure(
                name=f"page of 100 through a grant, {rows:,} rows: p{int(q * 100)}",
                value=grant,
                unit="ms",
                target="< 1.10x the owner's read at p50" if q == 0.5 else "",
                goal="ratio < 1.10" if q == 0.5 else "",
                peer="the owner's read of the same page (no grant, no access log)",
                peer_value=own,
                ratio=grant / own if own else None,
            )
        )
    figures.append(
        Figure(
            name="reads through the grant recorded in the ledger",
            value=float(logged),
            unit="events",
            target=f"{rounds + 1} (one per read)",
            goal=f"value == {rounds + 1}",
        )
    )
    return figures


def run(*, quick: bool) -> list[Figure]:
    """The overhead figures at the chosen size."""
    rows = 50_000 if quick else 1_000_000
    with tempfile.TemporaryDirectory() as tmp:
        return overhead_figures(rows, Path(tmp), rounds=50 if quick else 200)
