"""A small in-process scheduler: named jobs run every N seconds on one daemon thread."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

log = logging.getLogger(__name__)


@dataclass
class Job:
    """A named function and how often it runs."""

    name: str
    every_seconds: float
    fn: Callable[[], object]
    next_at: float = 0.0
    runs: int = 0
    failures: int = 0


class Scheduler:
    """Runs each job every `every_seconds`; a job that raises is logged and others go on."""

    def __init__(self, *, tick_seconds: float = 1.0, clock: Callable[[], float] = time.monotonic):
        self.tick_seconds = tick_seconds
        self.clock = clock
        self.jobs: dict[str, Job] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def add(self, name: str, every_seconds: float, fn: Callable[[], object]) -> Job:
        """Register a job; its first run is due at once."""
        if every_seconds <= 0:
            raise ValueError("every_seconds must be positive")
        job = Job(name=name, every_seconds=every_seconds, fn=fn, next_at=self.clock())
        with self._lock:
            if name in self.jobs:
                raise ValueError(f"a job named {name!r} is already scheduled")
            self.jobs[name] = job
        return job

    def run_pending(self) -> int:
        """Run the jobs that are due now (the thread calls this each tick); how many ran."""
        now = self.clock()
        with self._lock:
            due = [j for j in self.jobs.values() if j.next_at <= now]
        for job in due:
            # Scheduled from the due time, not the finish, so a slow job does not drift.
            job.next_at = max(job.next_at + job.every_seconds, now)
            job.runs += 1
            try:
                job.fn()
            except Exception:
                job.failures += 1
                log.exception("scheduled job %s failed", job.name)
            if self._stop.is_set():
                break
        return len(due)

    def start(self) -> None:
        """Start the daemon thread (once)."""
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="quancheng-scheduler", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Ask the thread to stop and wait for the job in hand to finish."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=timeout)
            self._thread = None

    @property
    def running(self) -> bool:
        """Whether the thread is alive."""
        return self._thread is not None and self._thread.is_alive()

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.run_pending()
            self._stop.wait(self.tick_seconds)
