"""`make bench`: catalog search latency over HTTP on the demo catalog, beside a peer.

The peer is SQLite FTS5 queried directly with the same match expressions (the floor our
HTTP + ranking + facets stack adds to). Results go to benchmarks/results/latest.json and
latest.md with the machine they ran on.
"""

from __future__ import annotations

import json
import os
import platform
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from quancheng.app import Services, create_app
from quancheng.catalog import textindex
from quancheng.demo.build import build_demo
from quancheng.settings import Settings

QUERIES = ("公交", "gongjiao", "gj", "空气质量", "企业登记", "bus", "不动产", "ldj", "人口", "水位")
ROUNDS = 20
RESULTS = Path(__file__).resolve().parent / "results"


def p(values: list[float], q: float) -> float:
    """The q-quantile of a list of seconds, in milliseconds."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def main() -> None:
    """Build the demo city, time searches over HTTP and straight FTS5, write the report."""
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp), demo_mode=True)
        services = Services.from_settings(settings)
        services.db.migrate()
        build_demo(services, data_dir=Path(tmp))
        http: list[float] = []
        with TestClient(create_app(settings, services=services)) as client:
            for q in QUERIES:  # warm-up
                client.get("/api/v1/datasets", params={"q": q})
            for _ in range(ROUNDS):
                for q in QUERIES:
                    start = time.perf_counter()
                    response = client.get("/api/v1/datasets", params={"q": q})
                    http.append(time.perf_counter() - start)
                    assert response.status_code == 200
        peer: list[float] = []
        con = sqlite3.connect(Path(tmp) / "quancheng.sqlite3")
        for _ in range(ROUNDS):
            for q in QUERIES:
                tokens = textindex.query_tokens(q)
                expr = " ".join(f'"{t}"' for t in tokens[:-1]) + f' "{tokens[-1]}"*'
                start = time.perf_counter()
                con.execute(
                    "SELECT rowid FROM catalog_search WHERE catalog_search MATCH ? "
                    "ORDER BY bm25(catalog_search, 10.0, 3.0, 1.0) LIMIT 20",
                    (expr.strip(),),
                ).fetchall()
                peer.append(time.perf_counter() - start)
        con.close()
        services.db.dispose()
    report: dict[str, Any] = {
        "machine": {
            "platform": platform.platform(),
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
        },
        "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "benchmarks": [
            {
                "name": "catalog search over HTTP, demo catalog (3,000 entries), with facets",
                "p50_ms": round(p(http, 0.5), 2),
                "p95_ms": round(p(http, 0.95), 2),
                "mean_ms": round(statistics.mean(http) * 1000, 2),
                "target_p95_ms": 30,
                "peer": "SQLite FTS5 MATCH + bm25, top 20, no HTTP/facets",
                "peer_p95_ms": round(p(peer, 0.95), 3),
                "ratio_p95": round(p(http, 0.95) / max(p(peer, 0.95), 1e-6), 1),
            }
        ],
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "latest.json").write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
    rows = [
        "| benchmark | p50 ms | p95 ms | target p95 | peer | peer p95 ms | ratio |",
        "|---|---|---|---|---|---|---|",
    ]
    for b in report["benchmarks"]:
        rows.append(
            f"| {b['name']} | {b['p50_ms']} | {b['p95_ms']} | {b['target_p95_ms']} | "
            f"{b['peer']} | {b['peer_p95_ms']} | {b['ratio_p95']} |"
        )
    machine = report["machine"]
    text = (
        f"# Benchmarks\n\nMachine: {machine['platform']}, Python {machine['python']}, "
        f"{machine['cpus']} CPUs; {report['time']}\n\n" + "\n".join(rows) + "\n"
    )
    (RESULTS / "latest.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
