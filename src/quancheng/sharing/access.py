"""The access log: every read through a grant, counted per day and recorded in the ledger.

Reads must stay fast, so a read only queues its record; a background thread writes the
queue in one transaction (ledger leaves and per-day usage together) at most
`flush_seconds` later, and on shutdown. Quotas count what is written plus what is queued
in this process.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from quancheng.datastore.policy import ReadDecision
from quancheng.db import Database
from quancheng.db.models import SharingUsage, utcnow
from quancheng.identity.roles import Principal
from quancheng.ledger.canonical import LedgerEvent
from quancheng.ledger.log import Ledger, actor_of

log = logging.getLogger("quancheng.sharing")


@dataclass(frozen=True)
class Access:
    """One read through a grant."""

    actor: Principal
    grant_id: int
    entry_code: str
    columns: tuple[str, ...]
    rows: int
    query_hash: str
    via: str
    at: datetime


def query_hash(*parts: str) -> str:
    """SHA-256 of a query as the reader sent it (the ledger keeps the hash, not the query)."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode())
        digest.update(b"\x00")
    return digest.hexdigest()


class AccessLog:
    """Queues reads through grants and writes them in batches."""

    def __init__(
        self,
        *,
        db: Database,
        ledger: Ledger | None,
        tz: ZoneInfo,
        flush_seconds: float = 1.0,
        max_batch: int = 1000,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.db = db
        self.ledger = ledger
        self.tz = tz
        self.flush_seconds = flush_seconds
        self.max_batch = max_batch
        self.clock = clock
        self._queue: list[Access] = []
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def day(self, at: datetime) -> str:
        """The city's calendar day of a moment, as usage is counted."""
        return at.astimezone(self.tz).date().isoformat()

    def record(self, access: Access) -> None:
        """Queue one read; it reaches the ledger within `flush_seconds`."""
        with self._lock:
            self._queue.append(access)
            full = len(self._queue) >= self.max_batch
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="quancheng-access-log", daemon=True
                )
                self._thread.start()
        if full:
            self._wake.set()

    def after_read(
        self,
        actor: Principal,
        decision: ReadDecision,
        *,
        entry_code: str,
        columns: Sequence[str],
        rows: int,
        query: str,
        via: str,
    ) -> None:
        """Log a read made through a grant (the datastore's read audit hook)."""
        if decision.grant_id is None:
            return
        self.record(
            Access(
                actor=actor,
                grant_id=decision.grant_id,
                entry_code=entry_code,
                columns=tuple(columns),
                rows=rows,
                query_hash=query_hash(entry_code, via, query),
                via=via,
                at=self.clock(),
            )
        )

    def calls_today(self, grant_id: int) -> int:
        """Calls through a grant today: written and still queued in this process."""
        today = self.day(self.clock())
        # Not while a batch is being written: taken from the queue but not yet committed, its
        # calls would be counted nowhere and a quota could be overrun.
        with self._flush_lock:
            with self._lock:
                queued = sum(
                    1 for a in self._queue if a.grant_id == grant_id and self.day(a.at) == today
                )
            with self.db.reader() as s:
                written = s.scalar(
                    select(SharingUsage.calls).where(
                        SharingUsage.grant_id == grant_id, SharingUsage.day == today
                    )
                )
        return int(written or 0) + queued

    def flush(self) -> int:
        """Write everything queued now; return how many reads were written."""
        with self._flush_lock:
            with self._lock:
                batch, self._queue = self._queue, []
            if not batch:
                return 0
            try:
                with self.db.transaction() as s:
                    self._write(s, batch)
            except Exception:
                # Put the batch back in front: a later flush retries it rather than lose it.
                with self._lock:
                    self._queue = batch + self._queue
                raise
            return len(batch)

    def _write(self, s: Session, batch: Sequence[Access]) -> None:
        calls: Counter[tuple[int, str]] = Counter()
        rows: Counter[tuple[int, str]] = Counter()
        for access in batch:
            key = (access.grant_id, self.day(access.at))
            calls[key] += 1
            rows[key] += access.rows
        insert: Any = (
            postgresql.insert if s.get_bind().dialect.name == "postgresql" else sqlite.insert
        )
        for (grant_id, day), n in sorted(calls.items()):
            stmt = insert(SharingUsage).values(
                grant_id=grant_id, day=day, calls=n, rows=rows[(grant_id, day)]
            )
            s.execute(
                stmt.on_conflict_do_update(
                    index_elements=[SharingUsage.grant_id, SharingUsage.day],
                    set_={
                        "calls": SharingUsage.calls + stmt.excluded.calls,
                        "rows": SharingUsage.rows + stmt.excluded.rows,
                    },
                )
            )
        if self.ledger is None:
            return
        self.ledger.record_many(
            s,
            (
                LedgerEvent(
                    type="sharing.access",
                    time=a.at,
                    actor=actor_of(s, a.actor),
                    subject={"kind": "sharing_grant", "id": str(a.grant_id)},
                    payload_hash=f"sha256:{a.query_hash}",
                    details={
                        "entry": a.entry_code,
                        "columns": list(a.columns),
                        "rows": a.rows,
                        "via": a.via,
                    },
                )
                for a in batch
            ),
        )

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.flush_seconds)
            self._wake.clear()
            try:
                self.flush()
            except Exception:
                log.exception("could not write the access log; retrying")

    def close(self) -> None:
        """Write what is queued and stop the background writer."""
        self._stop.set()
        self._wake.set()
        thread = self._thread
        if thread is not None:
            thread.join(timeout=10)
        self.flush()
