"""Open data portal: CKAN package_search and datastore_search latency over HTTP, DCAT generation.

The demo city (its ~3,000 entries, the open ones with data loaded) is served by uvicorn on
loopback and asked what CKAN clients ask: searches with text, filters, facets and paging,
and row pages with filters, full-text q and sort. Usage counting is on, as in production.
Target: p95 < 50 ms for both actions. The DCAT-AP catalog is generated for every open entry,
page by page over HTTP as harvesters fetch it, and in one graph in-process.
"""

from __future__ import annotations

import itertools
import tempfile
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import uvicorn
from sqlalchemy import select

from benchmarks.city import demo_city
from benchmarks.datastore import _free_port
from benchmarks.report import Figure, quantile_ms
from quancheng.app import Services, create_app
from quancheng.catalog.model import EntryStatus, OpenType
from quancheng.db.models import CatalogEntry, Dataset
from quancheng.demo.build import load_demo_data
from quancheng.opendata.dcat import Page, catalog_graph, serialize
from quancheng.opendata.portal import OpenCatalog
from quancheng.settings import Settings

SEARCHES: tuple[dict[str, Any], ...] = (
    {"q": "公交"},
    {"q": "空气质量", "rows": 20},
    {"q": "企业登记", "facet.field": '["organization","tags","res_format"]'},
    {"fq": "res_format:CSV", "rows": 50},
    {"q": "bus", "sort": "metadata_modified desc"},
    {"rows": 10, "start": 100},
    {"q": "不动产", "fq": "license_id:cc-by"},
    {"q": "人口", "facet.field": '["groups"]', "rows": 5},
)
TARGET = "p95 < 50 ms"


def _percentiles(name: str, timings: list[float], note: str) -> list[Figure]:
    return [
        Figure(
            name=f"{name}: p{int(q * 100)}",
            value=quantile_ms(timings, q),
            unit="ms",
            target=TARGET if q == 0.95 else "",
            goal="value < 50" if q == 0.95 else "",
            note=note if q == 0.5 else "",
        )
        for q in (0.5, 0.95, 0.99)
    ]


def _row_queries(client: httpx.Client, base: str, tables: list[str]) -> list[dict[str, Any]]:
    """Row pages CKAN clients ask for, built from each table's own fields and values."""
    queries: list[dict[str, Any]] = []
    for table in tables:
        page = client.get(
            f"{base}/api/3/action/datastore_search", params={"resource_id": table, "limit": 5}
        ).json()["result"]
        fields = [f["id"] for f in page["fields"]]
        queries.append({"resource_id": table, "limit": 100})
        queries.append({"resource_id": table, "limit": 20, "offset": 40, "include_total": "false"})
        if page["records"] and fields:
            first = page["records"][0]
            text = next((f for f in fields if isinstance(first.get(f), str) and first[f]), None)
            if text is not None:
                value = first[text].replace('"', "")
                queries.append(
                    {"resource_id": table, "filters": f'{{"{text}": "{value}"}}', "limit": 50}
                )
                queries.append({"resource_id": table, "q": value[:4], "limit": 20})
            queries.append({"resource_id": table, "sort": f"{fields[-1]} desc", "limit": 50})
    return queries


def http_figures(services: Services, settings: Settings, *, rounds: int) -> list[Figure]:
    """CKAN action latency and DCAT paging over uvicorn on loopback."""
    with services.db.reader() as s:
        tables = list(
            s.scalars(
                select(Dataset.table_name)
                .join(CatalogEntry, CatalogEntry.id == Dataset.entry_id)
                .where(
                    CatalogEntry.status == EntryStatus.PUBLISHED.value,
                    CatalogEntry.open_type == OpenType.OPEN.value,
                    Dataset.current_version_id.is_not(None),
                )
                .order_by(Dataset.id)
                .limit(12)
            )
        )
    if not tables:
        raise RuntimeError("the demo city has no open entry with data")
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings, services=services), port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    searches: list[float] = []
    by_search: dict[int, list[float]] = {}
    rows: list[float] = []
    dcat_pages = 0
    try:
        with httpx.Client(timeout=120) as client:
            for _ in range(100):
                try:
                    client.get(f"{base}/healthz")
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
            queries = _row_queries(client, base, tables)
            search_url = f"{base}/api/3/action/package_search"
            rows_url = f"{base}/api/3/action/datastore_search"
            for params in itertools.chain(SEARCHES, queries):  # warm caches and plans
                url = search_url if "resource_id" not in params else rows_url
                client.get(url, params=params).raise_for_status()
            for _ in range(rounds):
                for n, params in enumerate(SEARCHES):
                    started = time.perf_counter()
                    client.get(search_url, params=params).raise_for_status()
                    searches.append(time.perf_counter() - started)
                    by_search.setdefault(n, []).append(searches[-1])
                for params in queries:
                    started = time.perf_counter()
                    client.get(rows_url, params=params).raise_for_status()
                    rows.append(time.perf_counter() - started)
            started = time.perf_counter()
            page = 1
            while True:
                answer = client.get(f"{base}/catalog.ttl", params={"page": page})
                if answer.status_code == 404:
                    break
                answer.raise_for_status()
                dcat_pages += 1
                page += 1
            dcat_http = time.perf_counter() - started
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    slowest = max(by_search, key=lambda n: quantile_ms(by_search[n], 0.95))
    worst = urlencode(SEARCHES[slowest])
    return [
        *_percentiles(
            "CKAN package_search over HTTP, demo catalog",
            searches,
            f"{len(SEARCHES)} searches (text, fq, facets, paging) x {rounds} rounds; slowest "
            f"{worst} at p95 {quantile_ms(by_search[slowest], 0.95):.0f} ms",
        ),
        *_percentiles(
            "CKAN datastore_search over HTTP, demo tables",
            rows,
            f"{len(queries)} row pages over {len(tables)} tables x {rounds} rounds",
        ),
        Figure(
            name="DCAT-AP catalog, every page as Turtle over HTTP",
            value=dcat_http,
            unit="s",
            note=f"{dcat_pages} pages",
        ),
    ]


def dcat_figure(services: Services) -> Figure:
    """Every open entry in one DCAT-AP graph, built and serialized as Turtle in-process."""
    opendata = OpenCatalog(db=services.db, catalog=services.catalog, datastore=services.datastore)
    portal = opendata.portal(
        "http://127.0.0.1", city_name=services.settings.city_name, city_name_en="Jinan"
    )
    started = time.perf_counter()
    entries, paging = opendata.page(1)
    everything = list(entries)
    for number in range(2, paging.last + 1):
        everything += opendata.page(number)[0]
    whole = Page(number=1, total=len(everything), size=max(1, len(everything)))
    graph = catalog_graph(portal, everything, whole, fmt="ttl")
    body = serialize(graph, "ttl")
    seconds = time.perf_counter() - started
    return Figure(
        name="DCAT-AP catalog of every open entry, one Turtle graph in-process",
        value=seconds,
        unit="s",
        note=f"{len(everything):,} open entries, {len(graph):,} triples, {len(body) >> 10:,} KiB",
    )


def run(*, quick: bool) -> list[Figure]:
    """The open data figures on the demo city (fewer loaded tables and rounds when quick)."""
    with tempfile.TemporaryDirectory() as tmp:
        services = demo_city(Path(tmp))
        settings = services.settings
        try:
            load_demo_data(services, seed=2024, limit=12 if quick else 300)
            figures = http_figures(services, settings, rounds=10 if quick else 50)
            figures.append(dcat_figure(services))
        finally:
            services.close()
    return figures
