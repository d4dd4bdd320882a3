"""Views, downloads and API calls per open entry and day, without personal data.

A count only adds to an in-memory tally keyed by (entry, city day): nothing about the
visitor (address, account, token, user agent) is ever seen here, let alone stored. A
background thread adds the tally to `portal_usage` every few seconds, sooner when it grows
past a threshold, and on close; entries that are not public when the tally is written
(closed, unpublished, deleted) are dropped then, so counting costs a request nothing.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from quancheng.catalog.model import PORTAL_OPEN_TYPES, EntryStatus
from quancheng.catalog.service import CatalogService
from quancheng.datastore.service import DatastoreService
from quancheng.db import Database
from quancheng.db.models import CatalogEntry, Department, PortalUsage, utcnow
from quancheng.errors import BadRequest
from quancheng.ledger.log import Ledger
from quancheng.settings import Settings

log = logging.getLogger("quancheng.opendata")

# What a count is of, and the column it adds to.
KINDS: dict[str, str] = {"view": "views", "download": "downloads", "api": "api_calls"}
# Seconds between background writes (QC_PORTAL_USAGE_FLUSH_SECONDS once wired).
FLUSH_SECONDS = 5.0
# Distinct (entry, day) tallies held before a write is started early.
MAX_PENDING = 500
# The longest period a usage report covers.
MAX_PERIOD_DAYS = 3660


@dataclass(frozen=True)
class UsageFigures:
    """Views, downloads and API calls over a period."""

    views: int = 0
    downloads: int = 0
    api_calls: int = 0

    @property
    def total(self) -> int:
        """Every use together."""
        return self.views + self.downloads + self.api_calls

    def __add__(self, other: UsageFigures) -> UsageFigures:
        return UsageFigures(
            self.views + other.views,
            self.downloads + other.downloads,
            self.api_calls + other.api_calls,
        )


@dataclass(frozen=True)
class EntryUsage:
    """One entry's use over a period."""

    entry_id: int
    code: str
    name: str
    department_key: str
    department_name: str
    figures: UsageFigures


@dataclass(frozen=True)
class DepartmentUsage:
    """One department's open entries' use over a period."""

    department_id: int
    key: str
    name: str
    name_en: str
    entries: int
    figures: UsageFigures


@dataclass(frozen=True)
class DayUsage:
    """The city's (or a selection's) use on one day."""

    day: str
    figures: UsageFigures


@dataclass(frozen=True)
class UsageReport:
    """Use over a period: city totals, per department, top entries and per day."""

    start: date
    end: date
    total: UsageFigures
    departments: list[DepartmentUsage]
    entries: list[EntryUsage]
    days: list[DayUsage]


def parse_period(
    start: str | date | None, end: str | date | None, *, today: date, default_days: int = 30
) -> tuple[date, date]:
    """A closed period of days; missing ends default to the last `default_days` days."""
    try:
        last = _as_date(end) or today
        first = _as_date(start) or last - timedelta(days=default_days - 1)
    except ValueError:
        raise BadRequest("start and end must be dates (YYYY-MM-DD)", code="bad_period") from None
    if first > last:
        raise BadRequest("start must not be after end", code="bad_period")
    if (last - first).days >= MAX_PERIOD_DAYS:
        raise BadRequest(f"a period covers at most {MAX_PERIOD_DAYS} days", code="bad_period")
    return first, last


def _as_date(value: str | date | None) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    return date.fromisoformat(value)


def public_entry_ids(s: Session, entry_ids: Iterable[int]) -> set[int]:
    """Which of these entries the portal lists (published, open or conditional)."""
    ids = sorted(set(entry_ids))
    if not ids:
        return set()
    return set(
        s.scalars(
            select(CatalogEntry.id).where(
                CatalogEntry.id.in_(ids),
                CatalogEntry.status == EntryStatus.PUBLISHED.value,
                CatalogEntry.open_type.in_(PORTAL_OPEN_TYPES),
            )
        )
    )


class UsageCounter:
    """Views, downloads and API calls per open entry and day, without personal data."""

    def __init__(
        self,
        *,
        db: Database,
        catalog: CatalogService,
        datastore: DatastoreService,
        ledger: Ledger,
        settings: Settings,
    ) -> None:
        self.db = db
        self.catalog = catalog
        self.datastore = datastore
        self.ledger = ledger
        self.settings = settings
        self.tz = ZoneInfo(settings.timezone)
        self.flush_seconds = float(
            getattr(settings, "portal_usage_flush_seconds", FLUSH_SECONDS) or FLUSH_SECONDS
        )
        self.max_pending = MAX_PENDING
        self.clock: Callable[[], datetime] = utcnow
        # (entry id, day) -> [views, downloads, api calls]
        self._pending: dict[tuple[int, str], list[int]] = {}
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def day(self, at: datetime) -> str:
        """The city's calendar day of a moment, as usage is counted."""
        return at.astimezone(self.tz).date().isoformat()

    def today(self) -> date:
        """Today in the city."""
        return self.clock().astimezone(self.tz).date()

    def count(self, entry_id: int, kind: str) -> None:
        """Count one view, download or API call ("view", "download", "api") of an entry."""
        column = KINDS.get(kind)
        if column is None:
            raise ValueError(f"unknown usage kind: {kind!r}")
        slot = list(KINDS).index(kind)
        key = (int(entry_id), self.day(self.clock()))
        with self._lock:
            tally = self._pending.get(key)
            if tally is None:
                tally = self._pending[key] = [0, 0, 0]
            tally[slot] += 1
            full = len(self._pending) >= self.max_pending
            if self._thread is None and not self._stop.is_set():
                self._thread = threading.Thread(
                    target=self._run, name="quancheng-portal-usage", daemon=True
                )
                self._thread.start()
        if full:
            self._wake.set()

    def pending(self) -> int:
        """Uses counted in this process and not yet written."""
        with self._lock:
            return sum(sum(t) for t in self._pending.values())

    def flush(self) -> int:
        """Write what is counted now; return how many uses were written."""
        with self._flush_lock:
            with self._lock:
                batch, self._pending = self._pending, {}
            if not batch:
                return 0
            try:
                with self.db.transaction() as s:
                    written = self._write(s, batch)
            except Exception:
                # Merge the batch back: a later flush retries it rather than lose counts.
                with self._lock:
                    for key, tally in batch.items():
                        current = self._pending.setdefault(key, [0, 0, 0])
                        for i, n in enumerate(tally):
                            current[i] += n
                raise
            return written

    def _write(self, s: Session, batch: dict[tuple[int, str], list[int]]) -> int:
        public = public_entry_ids(s, (entry_id for entry_id, _ in batch))
        insert: Any = (
            postgresql.insert if s.get_bind().dialect.name == "postgresql" else sqlite.insert
        )
        written = 0
        for (entry_id, day), (views, downloads, api_calls) in sorted(batch.items()):
            if entry_id not in public:
                continue
            stmt = insert(PortalUsage).values(
                entry_id=entry_id, day=day, views=views, downloads=downloads, api_calls=api_calls
            )
            s.execute(
                stmt.on_conflict_do_update(
                    index_elements=[PortalUsage.entry_id, PortalUsage.day],
                    set_={
                        "views": PortalUsage.views + stmt.excluded.views,
                        "downloads": PortalUsage.downloads + stmt.excluded.downloads,
                        "api_calls": PortalUsage.api_calls + stmt.excluded.api_calls,
                    },
                )
            )
            written += views + downloads + api_calls
        return written

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.flush_seconds)
            self._wake.clear()
            try:
                self.flush()
            except Exception:
                log.exception("could not write portal usage; retrying")

    def close(self) -> None:
        """Write what is counted but not yet written."""
        self._stop.set()
        self._wake.set()
        thread = self._thread
        if thread is not None:
            thread.join(timeout=10)
        self._thread = None
        self.flush()

    # -- figures ------------------------------------------------------------------------

    def entry_figures(self, entry_id: int, start: date, end: date) -> UsageFigures:
        """One entry's use over a period (written counts)."""
        with self.db.reader() as s:
            row = s.execute(
                _sums().where(
                    PortalUsage.entry_id == entry_id,
                    PortalUsage.day >= start.isoformat(),
                    PortalUsage.day <= end.isoformat(),
                )
            ).one()
        return _figures(row)

    def totals(self, start: date, end: date) -> UsageFigures:
        """The city's use of its open data over a period."""
        with self.db.reader() as s:
            row = s.execute(
                _sums().where(
                    PortalUsage.day >= start.isoformat(), PortalUsage.day <= end.isoformat()
                )
            ).one()
        return _figures(row)

    def by_entry(
        self, start: date, end: date, *, department: str | None = None, limit: int = 20
    ) -> list[EntryUsage]:
        """The most used entries over a period (of one department, by key), busiest first."""
        total = PortalUsage.views + PortalUsage.downloads + PortalUsage.api_calls
        stmt = (
            select(
                CatalogEntry.id,
                CatalogEntry.code,
                CatalogEntry.name,
                Department.key,
                Department.name,
                func.sum(PortalUsage.views),
                func.sum(PortalUsage.downloads),
                func.sum(PortalUsage.api_calls),
            )
            .join(CatalogEntry, CatalogEntry.id == PortalUsage.entry_id)
            .join(Department, Department.id == CatalogEntry.department_id)
            .where(PortalUsage.day >= start.isoformat(), PortalUsage.day <= end.isoformat())
            .group_by(
                CatalogEntry.id,
                CatalogEntry.code,
                CatalogEntry.name,
                Department.key,
                Department.name,
            )
            .order_by(func.sum(total).desc(), CatalogEntry.id)
            .limit(max(1, min(limit, 1000)))
        )
        if department:
            stmt = stmt.where(Department.key == department)
        with self.db.reader() as s:
            rows = s.execute(stmt).all()
        return [
            EntryUsage(
                entry_id=r[0],
                code=r[1],
                name=r[2],
                department_key=r[3],
                department_name=r[4],
                figures=UsageFigures(int(r[5] or 0), int(r[6] or 0), int(r[7] or 0)),
            )
            for r in rows
        ]

    def by_department(self, start: date, end: date) -> list[DepartmentUsage]:
        """Each department's open entries' use over a period, busiest first."""
        stmt = (
            select(
                Department.id,
                Department.key,
                Department.name,
                Department.name_en,
                func.count(func.distinct(PortalUsage.entry_id)),
                func.sum(PortalUsage.views),
                func.sum(PortalUsage.downloads),
                func.sum(PortalUsage.api_calls),
            )
            .join(CatalogEntry, CatalogEntry.id == PortalUsage.entry_id)
            .join(Department, Department.id == CatalogEntry.department_id)
            .where(PortalUsage.day >= start.isoformat(), PortalUsage.day <= end.isoformat())
            .group_by(Department.id, Department.key, Department.name, Department.name_en)
        )
        with self.db.reader() as s:
            rows = s.execute(stmt).all()
        found = [
            DepartmentUsage(
                department_id=r[0],
                key=r[1],
                name=r[2],
                name_en=r[3] or "",
                entries=int(r[4] or 0),
                figures=UsageFigures(int(r[5] or 0), int(r[6] or 0), int(r[7] or 0)),
            )
            for r in rows
        ]
        return sorted(found, key=lambda d: (-d.figures.total, d.key))

    def by_day(
        self,
        start: date,
        end: date,
        *,
        entry_id: int | None = None,
        department: str | None = None,
    ) -> list[DayUsage]:
        """Use per day over a period (of one entry, a department or the city), every day listed."""
        stmt = (
            _sums()
            .add_columns(PortalUsage.day)
            .where(PortalUsage.day >= start.isoformat(), PortalUsage.day <= end.isoformat())
            .group_by(PortalUsage.day)
        )
        if entry_id is not None:
            stmt = stmt.where(PortalUsage.entry_id == entry_id)
        if department:
            stmt = (
                stmt.join(CatalogEntry, CatalogEntry.id == PortalUsage.entry_id)
                .join(Department, Department.id == CatalogEntry.department_id)
                .where(Department.key == department)
            )
        with self.db.reader() as s:
            found = {r[3]: _figures(r) for r in s.execute(stmt)}
        days = []
        day = start
        while day <= end:
            key = day.isoformat()
            days.append(DayUsage(key, found.get(key, UsageFigures())))
            day += timedelta(days=1)
        return days

    def report(
        self,
        start: date,
        end: date,
        *,
        department: str | None = None,
        entry_id: int | None = None,
        limit: int = 20,
    ) -> UsageReport:
        """Use over a period: totals, per department, the busiest entries and per day.

        Narrowed to one department (by key) or one entry when given.
        """
        if entry_id is not None:
            entries = [
                e
                for e in self.by_entry(start, end, department=department, limit=1000)
                if e.entry_id == entry_id
            ]
            keys = {e.department_key for e in entries}
            return UsageReport(
                start=start,
                end=end,
                total=sum((e.figures for e in entries), UsageFigures()),
                departments=[d for d in self.by_department(start, end) if d.key in keys],
                entries=entries,
                days=self.by_day(start, end, entry_id=entry_id),
            )
        departments = self.by_department(start, end)
        if department:
            departments = [d for d in departments if d.key == department]
        total = (
            sum((d.figures for d in departments), UsageFigures())
            if department
            else self.totals(start, end)
        )
        return UsageReport(
            start=start,
            end=end,
            total=total,
            departments=departments,
            entries=self.by_entry(start, end, department=department, limit=limit),
            days=self.by_day(start, end, department=department),
        )


def _sums() -> Any:
    return select(
        func.coalesce(func.sum(PortalUsage.views), 0),
        func.coalesce(func.sum(PortalUsage.downloads), 0),
        func.coalesce(func.sum(PortalUsage.api_calls), 0),
    )


def _figures(row: Any) -> UsageFigures:
    return UsageFigures(int(row[0] or 0), int(row[1] or 0), int(row[2] or 0))
