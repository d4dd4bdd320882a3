"""The stored log on SQLite and PostgreSQL: appends, proofs, checkpoints, tampering, crashes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy
from sqlalchemy import text
from sqlalchemy.orm import Session

from quancheng.app import Services
from quancheng.ledger import merkle
from quancheng.ledger.canonical import LedgerEvent
from quancheng.ledger.checkpoint import open_checkpoint
from quancheng.ledger.log import Ledger, LedgerCorrupt
from quancheng.ledger.witness import WitnessError, WitnessState, check_advance
from quancheng.settings import Settings
from tests.conftest import FAST_PASSWORDS
from tests.support.city import SmallCity, entry_fields

ROOT = Path(__file__).resolve().parents[2]


def event(i: int, kind: str = "test") -> LedgerEvent:
    return LedgerEvent(
        type="test.event.appended",
        time=datetime(2025, 3, 1, tzinfo=UTC) + timedelta(seconds=i),
        actor={"kind": "system", "id": "test"},
        subject={"kind": kind, "id": str(i)},
    )


def append(services: Services, batches: list[int]) -> None:
    n = services.ledger.size()
    for batch in batches:
        with services.db.transaction() as s:
            services.ledger.record_many(s, [event(n + i) for i in range(batch)])
        n += batch


def all_leaf_hashes(services: Services) -> list[bytes]:
    return [bytes.fromhex(r.as_json()["leaf_hash"]) for r in services.ledger.entries(limit=1000)]


def test_catalog_lifecycle_is_recorded_in_order(city: SmallCity) -> None:
    services = city.services
    start = services.ledger.size()
    steward = city.principals["env_steward"]
    entry = services.catalog.create(steward, department="sthjj", fields=entry_fields())
    services.catalog.submit(steward, entry.id)
    services.catalog.publish(steward, entry.id)
    services.catalog.take_offline(steward, entry.id, reason="数据停止更新")
    history = services.ledger.entries(subject=f"catalog_entry:{entry.code}")
    assert [r.event["type"] for r in history] == [
        "catalog.entry.created",
        "catalog.entry.submitted",
        "catalog.entry.published",
        "catalog.entry.offline",
    ]
    assert [r.index for r in history] == list(range(start, start + 4))
    published = history[2].event
    assert published["actor"] == {"kind": "user", "id": "env_steward", "department": "sthjj"}
    assert published["subject"]["version"] == 1
    assert published["payload_hash"].startswith("sha256:")
    assert history[3].event["details"]["reason"] == "数据停止更新"
    # Seeding the city recorded its departments and users.
    types = {r.event["type"] for r in services.ledger.entries(limit=1000)}
    assert {"identity.department.created", "identity.user.created"} <= types


def test_an_event_of_a_failed_transaction_is_not_recorded(services: Services) -> None:
    append(services, [3])
    with pytest.raises(RuntimeError), services.db.transaction() as s:
        services.ledger.record(s, event(99))
        raise RuntimeError("the change failed")
    assert services.ledger.size() == 3
    append(services, [1])
    assert [r.index for r in services.ledger.entries()] == [0, 1, 2, 3]
    assert services.ledger.verify().ok


def test_stored_proofs_equal_the_pure_core(services: Services) -> None:
    append(services, [1, 2, 5, 1, 9, 3, 16, 1])  # 38 leaves in uneven transactions
    leaves = all_leaf_hashes(services)
    assert len(leaves) == 38
    for size in range(1, 39):
        root = merkle.root(leaves[:size])
        assert services.ledger.root(size) == root
        for index in range(size):
            proof = services.ledger.inclusion_proof(index, size)
            assert proof == merkle.inclusion_proof(leaves[:size], index)
            merkle.verify_inclusion(leaves[index], index, size, proof, root)
        for first in range(1, size + 1):
            proof = services.ledger.consistency_proof(first, size)
            merkle.verify_consistency(first, size, merkle.root(leaves[:first]), root, proof)


def test_appends_continue_after_a_restart(settings: Settings, services: Services) -> None:
    append(services, [7])
    again = Services.from_settings(settings, passwords=FAST_PASSWORDS)
    try:
        append(again, [6])
        assert again.ledger.root() == merkle.root(all_leaf_hashes(again))
        assert again.ledger.verify().ok
    finally:
        again.close()


def test_a_tampered_leaf_is_named(services: Services) -> None:
    append(services, [12])
    with services.db.transaction() as s:
        s.execute(
            text("""UPDATE ledger_leaves SET event = replace(event, 'test', 'fake')
                          WHERE "index" = 5""")
        )
    report = services.ledger.verify()
    assert not report.ok
    assert report.problems[0].startswith("leaf 5:")


def test_a_tampered_node_is_named(services: Services) -> None:
    append(services, [12])
    with services.db.transaction() as s:
        s.execute(
            text('UPDATE ledger_nodes SET hash = :h WHERE level = 3 AND "index" = 0'),
            {"h": b"\x00" * 32},
        )
    report = services.ledger.verify()
    assert report.problems[0].startswith("node level 3 index 0:")
    # The log refuses to sign a tree its own nodes contradict.
    with pytest.raises(LedgerCorrupt):
        services.ledger.issue_checkpoint()


def test_a_deleted_leaf_is_named(services: Services) -> None:
    append(services, [6])
    with services.db.transaction() as s:
        s.execute(text('DELETE FROM ledger_leaves WHERE "index" = 3'))
    assert services.ledger.verify().problems[0] == "leaf 3 is missing (the next stored leaf is 4)"


def test_checkpoints_are_signed_lazily_and_never_shrink(services: Services) -> None:
    clock = [datetime(2025, 3, 1, tzinfo=UTC)]
    services.ledger.clock = lambda: clock[0]
    append(services, [3])
    first = services.ledger.latest_checkpoint()
    cp, _ = open_checkpoint(first.note, [services.ledger.verifier()])
    assert (cp.size, cp.root_hash) == (3, services.ledger.root(3))
    append(services, [2])
    assert services.ledger.latest_checkpoint().size == 3  # younger than the interval
    clock[0] += timedelta(seconds=301)
    assert services.ledger.latest_checkpoint().size == 5
    assert services.ledger.issue_checkpoint().size == 5  # unchanged tree: the same one
    assert [c.size for c in services.ledger.checkpoints()] == [5, 3]
    assert services.ledger.verify().checkpoints_checked == 2


def test_sm3_sm2_suite(tmp_path: Path, database_url: str) -> None:
    settings = Settings(
        data_dir=tmp_path / "sm",
        database_url=database_url,
        secret_key="test-secret-key-0123456789abcdef",
        ledger_suite="sm3-sm2",
    )
    services = Services.from_settings(settings, passwords=FAST_PASSWORDS)
    try:
        services.db.migrate()
        append(services, [5])
        leaves = all_leaf_hashes(services)
        assert leaves[0] == merkle.SM3.leaf(event(0).canonical())
        issued = services.ledger.issue_checkpoint()
        cp, _ = open_checkpoint(issued.note, [services.ledger.verifier()])
        assert cp.root_hash == merkle.root(leaves, hasher=merkle.SM3)
        assert services.ledger.verifier().algorithm.value == "sm2"
        assert oct((tmp_path / "sm" / "ledger.key").stat().st_mode & 0o777) == "0o600"
    finally:
        services.close()


def test_concurrent_appenders_get_a_gapless_order(services: Services) -> None:
    threads, per_thread = 6, 15
    errors: list[BaseException] = []

    def work(t: int) -> None:
        try:
            for i in range(per_thread):
                with services.db.transaction() as s:
                    services.ledger.record(s, event(t * 1000 + i, kind=f"thread{t}"))
        except BaseException as exc:
            errors.append(exc)

    pool = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
    for th in pool:
        th.start()
    for th in pool:
        th.join()
    assert errors == []
    records = services.ledger.entries(limit=1000)
    assert [r.index for r in records] == list(range(threads * per_thread))
    for t in range(threads):  # each thread's events keep their own order
        mine = [
            int(r.event["subject"]["id"])
            for r in records
            if r.event["subject"]["kind"] == f"thread{t}"
        ]
        assert mine == sorted(mine) and len(mine) == per_thread
    assert services.ledger.verify().ok


APPENDER = """
import sys, itertools
from datetime import UTC, datetime
from quancheng.db import Database
from quancheng.ledger.canonical import LedgerEvent
from quancheng.ledger.log import Ledger
from pathlib import Path
db = Database(url=sys.argv[1])
ledger = Ledger(db=db, key_path=Path(sys.argv[2]), origin="crash.test/log")
for n in itertools.count():
    with db.transaction() as s:
        ledger.record_many(s, [LedgerEvent(type="test.crash.append", time=datetime.now(UTC),
            actor={"kind": "system", "id": "crash"}, subject={"kind": "n", "id": f"{n}.{i}"})
            for i in range(1 + n % 7)])
    if n == 5:
        print("ready", flush=True)
"""


def test_a_killed_appender_leaves_a_consistent_log(
    services: Services, settings: Settings, tmp_path: Path
) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", APPENDER, settings.resolved_database_url, str(tmp_path / "k")],
        stdout=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == b"ready"
    time.sleep(0.5)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    report = services.ledger.verify()
    assert report.ok, report.problems
    assert report.size == services.ledger.size() > 6
    append(services, [3])  # and the log goes on after the crash
    assert services.ledger.verify().ok


def test_a_witness_refuses_an_inconsistent_checkpoint(services: Services) -> None:
    append(services, [10])
    old = services.ledger.issue_checkpoint()
    state = WitnessState("log", "jinan.quancheng/ledger", old.size, old.root_hash)
    append(services, [4])
    new = services.ledger.issue_checkpoint()
    cp, _ = open_checkpoint(new.note, [services.ledger.verifier()])
    good = services.ledger.consistency_proof(10, 14)
    check_advance(state, cp, good, hasher=merkle.SHA256)
    forged = WitnessState("log", cp.origin, 10, b"\x01" * 32)
    with pytest.raises(WitnessError, match=r"REFUSED.*not consistent"):
        check_advance(forged, cp, good, hasher=merkle.SHA256)
    bigger = WitnessState("log", cp.origin, 20, b"\x01" * 32)
    with pytest.raises(WitnessError, match="went back from size 20 to 14"):
        check_advance(bigger, cp, [], hasher=merkle.SHA256)


def test_the_log_key_is_created_once_with_mode_0600(tmp_path: Path, services: Services) -> None:
    ledger = Ledger(db=services.db, key_path=tmp_path / "k" / "ledger.key", origin="a.test/log")
    key = ledger.ensure_key()
    assert (tmp_path / "k" / "ledger.key").stat().st_mode & 0o777 == 0o600
    again = Ledger(db=services.db, key_path=tmp_path / "k" / "ledger.key", origin="a.test/log")
    assert again.verifier().encode() == key.verifier.encode()


def test_two_appenders_sharing_a_database_keep_one_tree(services: Services) -> None:
    # Each Ledger keeps the right edge it last wrote; another process's appends (here a second
    # Ledger on the same database) must make it read the edge again, not fork the tree.
    other = Ledger(db=services.db, key_path=services.ledger.key_path, origin=services.ledger.origin)
    for round_ in range(4):
        for ledger in (services.ledger, other, other):
            with services.db.transaction() as s:
                ledger.record_many(s, [event(1000 * round_ + i) for i in range(round_ + 1)])
    leaves = all_leaf_hashes(services)
    assert len(leaves) == services.ledger.size() == 30
    assert services.ledger.root() == other.root() == merkle.root(leaves)
    assert services.ledger.verify().ok


def test_a_rolled_back_append_does_not_leave_a_stale_right_edge(services: Services) -> None:
    append(services, [5])

    # The rows are written just before the commit; a later before-commit hook then fails.
    def refuse(_: Session) -> None:
        raise RuntimeError("the commit failed")

    with pytest.raises(RuntimeError), services.db.transaction() as s:
        services.ledger.record_many(s, [event(100 + i) for i in range(3)])
        sqlalchemy.event.listen(s, "before_commit", refuse)
    append(services, [2])
    assert services.ledger.size() == 7
    assert services.ledger.root() == merkle.root(all_leaf_hashes(services))
    assert services.ledger.verify().ok
