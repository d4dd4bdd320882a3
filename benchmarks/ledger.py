"""Ledger figures: appends/s (single and batched, SQLite and PostgreSQL), proofs at 1M/10M
leaves, verifications/s against hashlib's raw SHA-256 rate, storage bytes per event."""

from __future__ import annotations

import hashlib
import os
import random
import sqlite3
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import event, text, update

from benchmarks.report import Figure, quantile_ms
from quancheng.db import Database
from quancheng.db.models import LedgerHead
from quancheng.ledger import merkle
from quancheng.ledger.canonical import LedgerEvent
from quancheng.ledger.log import Ledger

_INSERT_NODES = 'INSERT INTO ledger_nodes (level, "index", hash) VALUES (?, ?, ?)'
TESSERA = 3_000.0  # events/s, Tessera's published figure on a 12-core machine


def _event(i: int) -> LedgerEvent:
    return LedgerEvent(
        type="catalog.entry.published",
        time=datetime(2025, 3, 1, tzinfo=UTC),
        actor={"kind": "user", "id": f"steward{i % 50}", "department": f"dept{i % 60}"},
        subject={"kind": "catalog_entry", "id": f"210001/{i:06d}", "version": 1 + i % 3},
        payload_hash="sha256:" + hashlib.sha256(str(i).encode()).hexdigest(),
        details={"status": "published", "department": f"dept{i % 60}"},
    )


def _ledger(url: str, tmp: Path) -> Ledger:
    db = Database(url=url)
    db.migrate()
    return Ledger(db=db, key_path=tmp / "ledger.key", origin="bench.quancheng/ledger")


def _appends(ledger: Ledger, *, singles: int, batched: int, batch: int) -> tuple[float, float]:
    # Events are built inside the timed loops: checking an event and computing its canonical
    # JSON is part of what every caller of `record` pays.
    start = time.perf_counter()
    for i in range(singles):
        with ledger.db.transaction() as s:
            ledger.record(s, _event(i))
    single_rate = singles / (time.perf_counter() - start)
    start = time.perf_counter()
    for lo in range(singles, singles + batched, batch):
        with ledger.db.transaction() as s:
            ledger.record_many(
                s, [_event(i) for i in range(lo, min(lo + batch, singles + batched))]
            )
    batched_rate = batched / (time.perf_counter() - start) if batched else 0.0
    return single_rate, batched_rate


def _append_figures(
    engine: str, ledger: Ledger, *, singles: int, batched: int, batch: int
) -> list[Figure]:
    single, many = _appends(ledger, singles=singles, batched=batched, batch=batch)
    durability = (
        "WAL, synchronous=NORMAL (the platform's setting)"
        if engine == "SQLite"
        else "synchronous_commit=on"
    )
    return [
        Figure(
            name=f"ledger appends on {engine}, one event per transaction",
            value=single,
            unit="events/s",
            target="≥ 1,000/s" if engine == "SQLite" else "",
            goal="value >= 1000" if engine == "SQLite" else "",
            peer="Tessera (published, 12 cores)",
            peer_value=TESSERA,
            ratio=single / TESSERA,
            note=f"{singles} transactions; {durability}",
        ),
        Figure(
            name=f"ledger appends on {engine}, {batch} events per transaction",
            value=many,
            unit="events/s",
            target="≥ 20,000/s" if engine == "SQLite" else "",
            goal="value >= 20000" if engine == "SQLite" else "",
            peer="Tessera (published, 12 cores)",
            peer_value=TESSERA,
            ratio=many / TESSERA,
            note=f"{batched} events",
        ),
    ]


def _full_sync_figure(tmp: Path, singles: int) -> Figure:
    """Single-event transactions with synchronous=FULL: every commit fsyncs the WAL."""
    ledger = _ledger(f"sqlite:///{tmp / 'full.sqlite3'}", tmp)
    ledger.db.dispose()

    def full(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute("PRAGMA synchronous=FULL")  # after the platform's pragmas

    event.listen(ledger.db.engine, "connect", full)
    with ledger.db.engine.connect() as c:
        mode = c.exec_driver_sql("PRAGMA synchronous").scalar()
    if mode != 2:
        raise RuntimeError(f"expected synchronous=FULL (2), found {mode}")
    rate, _ = _appends(ledger, singles=singles, batched=0, batch=1)
    ledger.db.dispose()
    return Figure(
        name="ledger appends on SQLite, one event per transaction, synchronous=FULL",
        value=rate,
        unit="events/s",
        target="≥ 1,000/s",
        goal="value >= 1000",
        peer="Tessera (published, 12 cores)",
        peer_value=TESSERA,
        ratio=rate / TESSERA,
        note=f"{singles} transactions; every commit fsynced (survives power loss)",
    )


def _storage_figure(url: str, path: Path, n: int) -> Figure:
    db = Database(url=url)
    with db.engine.connect() as c:
        c.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        pages = c.exec_driver_sql(
            "SELECT sum(pgsize) FROM dbstat WHERE name LIKE 'ledger_%' OR name LIKE "
            "'%ledger_leaves%' OR name LIKE '%ledger_nodes%'"
        ).scalar()
    db.dispose()
    size = float(pages or path.stat().st_size)
    return Figure(
        name="ledger storage per event on SQLite (leaf, canonical event, subtree hashes, indexes)",
        value=size / n,
        unit="bytes/event",
        note=f"{n} catalog events of ~330 bytes of canonical JSON",
    )


def _bulk_tree(path: Path, n: int) -> None:
    """Store n leaves and their subtree hashes directly in SQLite (no events), as a log of size n.

    The leaves are H(0x00 || i); nodes come from pairing within aligned chunks of 2**16 leaves,
    then pairing the chunk roots: exactly the perfect subtrees `record` would have stored.
    """
    chunk_level = 16
    chunk = 1 << chunk_level
    stamp = "2025-03-01 00:00:00.000000"
    sha = hashlib.sha256
    con = sqlite3.connect(path, isolation_level=None)
    try:
        con.execute("PRAGMA synchronous=OFF")  # a fixture, not a measured append
        tops: list[bytes] = []
        for lo in range(0, n, chunk):
            hi = min(n, lo + chunk)
            level = [sha(b"\x00" + i.to_bytes(8, "big")).digest() for i in range(lo, hi)]
            rows = [(lo + j, h, "{}", "bench.leaf", "bench:x", stamp) for j, h in enumerate(level)]
            nodes = _pair_levels(level, 0, lo)
            if hi - lo == chunk:
                tops.append(nodes[-1][2])
            con.execute("BEGIN")
            con.executemany(
                'INSERT INTO ledger_leaves ("index", leaf_hash, event, type, subject, created_at) '
                "VALUES (?, ?, ?, ?, ?, ?)",
                rows,
            )
            con.executemany(_INSERT_NODES, nodes)
            con.execute("COMMIT")
        con.execute("BEGIN")
        con.executemany(
            _INSERT_NODES,
            _pair_levels(tops, chunk_level, 0),
        )
        con.execute("UPDATE ledger_head SET size = ?, hash_name = 'sha256' WHERE id = 1", (n,))
        con.execute("COMMIT")
    finally:
        con.close()


def _pair_levels(level: list[bytes], base: int, first_leaf: int) -> list[tuple[int, int, bytes]]:
    """Every complete node above `level` (hashes at level `base` from leaf `first_leaf`)."""
    node = merkle.SHA256.node
    out: list[tuple[int, int, bytes]] = []
    depth = base
    while len(level) > 1:
        level = [node(level[j], level[j + 1]) for j in range(0, len(level) - 1, 2)]
        depth += 1
        start = first_leaf >> depth
        out.extend((depth, start + j, h) for j, h in enumerate(level))
    return out


def _proof_figures(n: int, tmp: Path, rounds: int) -> list[Figure]:
    url = f"sqlite:///{tmp / f'tree{n}.sqlite3'}"
    ledger = _ledger(url, tmp)
    ledger.db.dispose()
    start = time.perf_counter()
    _bulk_tree(tmp / f"tree{n}.sqlite3", n)
    build = time.perf_counter() - start
    rng = random.Random(n)
    root = ledger.root(n)
    with ledger.db.transaction() as s:
        s.execute(update(LedgerHead).where(LedgerHead.id == 1).values(root_hash=root))
    inclusion: list[float] = []
    consistency: list[float] = []
    proofs: list[tuple[int, list[bytes]]] = []
    for _ in range(rounds):
        index = rng.randrange(n)
        t = time.perf_counter()
        proof = ledger.inclusion_proof(index, n)
        inclusion.append(time.perf_counter() - t)
        proofs.append((index, proof))
        first = rng.randrange(1, n)
        t = time.perf_counter()
        ledger.consistency_proof(first, n)
        consistency.append(time.perf_counter() - t)
    figures = [
        Figure(
            name=f"inclusion proof from stored nodes at {n:,} leaves: p50",
            value=quantile_ms(inclusion, 0.5),
            unit="ms",
            target="< 2 ms",
            goal="value < 2",
            note=f"p95 {quantile_ms(inclusion, 0.95):.3f} ms; tree stored in {build:.0f} s",
        ),
        Figure(
            name=f"consistency proof from stored nodes at {n:,} leaves: p50",
            value=quantile_ms(consistency, 0.5),
            unit="ms",
            target="< 2 ms",
            goal="value < 2",
            note=f"p95 {quantile_ms(consistency, 0.95):.3f} ms",
        ),
    ]
    if proofs:
        # Verification: leaf hashes come from the stored tree.
        with ledger.db.reader() as s:
            leaves = {
                i: h
                for i, h in s.execute(
                    text(
                        'SELECT "index", leaf_hash FROM ledger_leaves WHERE "index" IN ('
                        + ",".join(str(i) for i, _ in proofs)
                        + ")"
                    )
                )
            }
        work = [(i, leaves[i], p) for i, p in proofs]
        repeats = max(1, 20_000 // len(work))
        t = time.perf_counter()
        for _ in range(repeats):
            for i, leaf, p in work:
                merkle.verify_inclusion(leaf, i, n, p, root)
        rate = repeats * len(work) / (time.perf_counter() - t)
        block = b"\x01" + bytes(64)
        count = 200_000
        t = time.perf_counter()
        for _ in range(count):
            hashlib.sha256(block).digest()
        raw = count / (time.perf_counter() - t)
        depth = statistics.mean(len(p) for _, p in proofs) + 1
        limit = raw / depth
        figures.append(
            Figure(
                name=f"inclusion proof verifications at {n:,} leaves",
                value=rate,
                unit="verifications/s",
                peer=f"hashlib SHA-256 of 65 bytes ({raw:,.0f}/s) / {depth:.1f} hashes per proof",
                peer_value=limit,
                ratio=rate / limit,
            )
        )
    ledger.db.dispose()
    (tmp / f"tree{n}.sqlite3").unlink(missing_ok=True)
    return figures


def run(*, quick: bool) -> list[Figure]:
    """Appends on SQLite (and PostgreSQL when available), proofs, verification, storage."""
    singles = 2_000 if quick else 20_000
    batched = 50_000 if quick else 500_000
    batch = 1_000
    figures: list[Figure] = []
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        path = tmp / "log.sqlite3"
        ledger = _ledger(f"sqlite:///{path}", tmp)
        figures += _append_figures("SQLite", ledger, singles=singles, batched=batched, batch=batch)
        ledger.db.dispose()
        figures.append(_storage_figure(f"sqlite:///{path}", path, singles + batched))
        figures.append(_full_sync_figure(tmp, singles // 2))
        admin = os.environ.get("QC_TEST_POSTGRES_URL")
        if admin:
            from tests.support.postgres import create_database, drop_database

            url = create_database(admin)
            try:
                pg = _ledger(url, tmp)
                figures += _append_figures(
                    "PostgreSQL",
                    pg,
                    singles=singles // 2,
                    batched=batched // 2,
                    batch=batch,
                )
                pg.db.dispose()
            finally:
                drop_database(admin, url)
        for n in (100_000,) if quick else (1_000_000, 10_000_000):
            figures += _proof_figures(n, tmp, rounds=200 if quick else 1000)
    return figures
