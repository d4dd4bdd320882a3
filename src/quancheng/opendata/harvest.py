"""Harvesting entries from another CKAN portal or a DCAT feed into a department's catalog.

Remote datasets are read (harvest_remote: CKAN `package_search`, or DCAT pages followed through
hydra paging) and written through CatalogService: new → created and published, changed (by
content hash) → updated as a new version, gone → taken offline. Each run keeps a report of every
dataset and what was done.
"""

from __future__ import annotations

import logging
import threading
import urllib.parse
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from quancheng.catalog.model import EntryFields, EntryStatus
from quancheng.catalog.service import CatalogService
from quancheng.datastore.service import DatastoreService
from quancheng.db import Database
from quancheng.db.models import (
    CatalogEntry,
    Classification,
    Department,
    HarvestRecord,
    HarvestRun,
    HarvestSource,
    utcnow,
)
from quancheng.errors import (
    BadRequest,
    Conflict,
    FieldError,
    NotFound,
    PlatformError,
    ValidationFailed,
)
from quancheng.identity.roles import Permission, Principal
from quancheng.identity.service import find_department
from quancheng.ledger.log import Ledger
from quancheng.opendata.harvest_remote import (
    KINDS,
    MAX_BYTES,
    MAX_DATASETS,
    TIMEOUT_SECONDS,
    Fetch,
    HarvestFetchError,
    RemoteDataset,
    RunReport,
    check_url,
    ckan_items,
    entry_fields_for,
    fields_hash,
    http_fetch,
    read_ckan,
    read_dcat,
)
from quancheng.settings import Settings

log = logging.getLogger(__name__)
# A run still "running" after this long is taken to have died with its process.
STALE_RUN = timedelta(hours=2)

# -- the service -------------------------------------------------------------------------


class HarvestService:
    """Harvesting entries from another CKAN portal or a DCAT feed into a department's catalog."""

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
        self.timeout = float(getattr(settings, "harvest_timeout_seconds", TIMEOUT_SECONDS))
        self.max_bytes = int(getattr(settings, "harvest_max_bytes", MAX_BYTES))
        self.max_datasets = int(getattr(settings, "harvest_max_datasets", MAX_DATASETS))
        # The one seam to the outside world: tests of odd remotes may inject their own.
        self.fetch: Fetch = http_fetch(timeout=self.timeout, max_bytes=self.max_bytes)
        self._locks: dict[int, threading.Lock] = {}
        self._locks_guard = threading.Lock()

    # -- who ---------------------------------------------------------------------------

    @staticmethod
    def _require(actor: Principal, department_id: int | None = None) -> None:
        # Harvesting writes published entries: those who may publish the department's catalog.
        actor.require(Permission.CATALOG_PUBLISH, department_id=department_id)

    def _source(self, actor: Principal, source_id: int) -> HarvestSource:
        self._require(actor)
        with self.db.reader() as s:
            source = s.get(HarvestSource, source_id)
        if source is None:
            raise NotFound(f"no harvest source {source_id}", details={"id": source_id})
        # Another department's source: refused (403), as every harvest route denies by default.
        self._require(actor, source.department_id)
        return source

    # -- sources -----------------------------------------------------------------------

    def sources(self, actor: Principal) -> list[HarvestSource]:
        """The sources the actor manages (all of them for the platform authority)."""
        self._require(actor)
        with self.db.reader() as s:
            query = select(HarvestSource).order_by(HarvestSource.id)
            if not actor.is_platform_admin:
                query = query.where(HarvestSource.department_id == actor.department_id)
            return list(s.scalars(query))

    def get_source(self, actor: Principal, source_id: int) -> HarvestSource:
        """One source, if the actor manages it."""
        return self._source(actor, source_id)

    def add_source(
        self,
        actor: Principal,
        *,
        department: int | str,
        kind: str,
        url: str,
        name: str = "",
        interval_hours: int = 24,
        enabled: bool = True,
        options: Mapping[str, Any] | None = None,
    ) -> HarvestSource:
        """Register a remote portal whose datasets the department will import."""
        self._require(actor)
        errors = _check_source(kind=kind, url=url, name=name or url, interval_hours=interval_hours)
        with self.db.transaction() as s:
            dept = find_department(s, department)
            if dept is None:
                errors.append(FieldError("department", "unknown", f"no department {department}"))
            opts = dict(options or {})
            self._check_options(s, opts, errors)
            if errors:
                raise ValidationFailed("invalid harvest source", errors=errors)
            assert dept is not None  # noqa: S101
            self._require(actor, dept.id)
            source = HarvestSource(
                name=(name or urllib.parse.urlsplit(url).hostname or url)[:200],
                kind=kind,
                url=url.strip(),
                department_id=dept.id,
                interval_hours=interval_hours,
                enabled=enabled,
                options=opts,
                created_by=actor.user_id,
                next_run_at=utcnow() if enabled else None,
            )
            s.add(source)
            s.flush()
            return source

    def update_source(
        self, actor: Principal, source_id: int, changes: Mapping[str, Any]
    ) -> HarvestSource:
        """Change a source's name, URL, interval, options or enabled flag."""
        current = self._source(actor, source_id)
        known = {"name", "url", "interval_hours", "enabled", "options"}
        unknown = sorted(set(changes) - known)
        if unknown:
            raise BadRequest(f"cannot change {', '.join(unknown)}", code="bad_harvest_change")
        name = str(changes.get("name", current.name))
        url = str(changes.get("url", current.url))
        hours = int(changes.get("interval_hours", current.interval_hours))
        errors = _check_source(kind=current.kind, url=url, name=name, interval_hours=hours)
        with self.db.transaction() as s:
            source = s.get(HarvestSource, source_id)
            assert source is not None  # noqa: S101
            opts = dict(changes.get("options", source.options) or {})
            self._check_options(s, opts, errors)
            if errors:
                raise ValidationFailed("invalid harvest source", errors=errors)
            source.name, source.url, source.interval_hours = name[:200], url.strip(), hours
            source.options = opts
            if "enabled" in changes:
                source.enabled = bool(changes["enabled"])
                if source.enabled and source.next_run_at is None:
                    source.next_run_at = utcnow()
            s.flush()
            return source

    def delete_source(self, actor: Principal, source_id: int) -> None:
        """Forget a source and its runs; the entries it made stay in the catalog."""
        self._source(actor, source_id)
        with self.db.transaction() as s:
            for record in s.scalars(
                select(HarvestRecord).where(HarvestRecord.source_id == source_id)
            ):
                s.delete(record)
            for run in s.scalars(select(HarvestRun).where(HarvestRun.source_id == source_id)):
                s.delete(run)
            source = s.get(HarvestSource, source_id)
            if source is not None:
                s.delete(source)

    @staticmethod
    def _check_options(s: Any, options: dict[str, Any], errors: list[FieldError]) -> None:
        code = options.get("classification_code")
        if code is not None:
            node = s.get(Classification, str(code))
            if node is None or node.level != 3:
                errors.append(
                    FieldError(
                        "options.classification_code",
                        "unknown",
                        "a 目-level classification of this catalog",
                    )
                )
        for key in ("organization", "fq"):
            if key in options and (not isinstance(options[key], str) or len(options[key]) > 200):
                errors.append(FieldError(f"options.{key}", "invalid", "text, at most 200"))

    # -- runs --------------------------------------------------------------------------

    def runs(self, actor: Principal, source_id: int, *, limit: int = 20) -> list[HarvestRun]:
        """A source's runs, newest first."""
        self._source(actor, source_id)
        with self.db.reader() as s:
            return list(
                s.scalars(
                    select(HarvestRun)
                    .where(HarvestRun.source_id == source_id)
                    .order_by(HarvestRun.id.desc())
                    .limit(max(1, min(limit, 200)))
                )
            )

    def get_run(self, actor: Principal, run_id: int) -> HarvestRun:
        """One run with its report, if the actor manages its source."""
        self._require(actor)
        with self.db.reader() as s:
            run = s.get(HarvestRun, run_id)
        if run is None:
            raise NotFound(f"no harvest run {run_id}", details={"id": run_id})
        self._source(actor, run.source_id)
        return run

    def latest_runs(self, actor: Principal) -> dict[int, HarvestRun]:
        """The newest run of every source the actor manages."""
        ids = [src.id for src in self.sources(actor)]
        out: dict[int, HarvestRun] = {}
        with self.db.reader() as s:
            for run in s.scalars(
                select(HarvestRun)
                .where(HarvestRun.source_id.in_(ids))
                .order_by(HarvestRun.id.desc())
            ):
                out.setdefault(run.source_id, run)
        return out

    def origin(self, entry_id: int) -> dict[str, Any] | None:
        """Where a harvested entry came from: source, remote id and landing page."""
        with self.db.reader() as s:
            record = s.scalar(select(HarvestRecord).where(HarvestRecord.entry_id == entry_id))
            if record is None:
                return None
            source = s.get(HarvestSource, record.source_id)
            run = s.scalar(
                select(HarvestRun)
                .where(HarvestRun.source_id == record.source_id, HarvestRun.state != "running")
                .order_by(HarvestRun.id.desc())
                .limit(1)
            )
        found = next(
            (i for i in (run.report if run else []) if i.get("remote_id") == record.remote_id), {}
        )
        return {
            "source_id": record.source_id,
            "source_name": source.name if source else "",
            "source_url": source.url if source else "",
            "remote_id": record.remote_id,
            "landing_page": found.get("landing_page", ""),
            "license": found.get("license", ""),
            "removed": record.removed,
        }

    def run(self, actor: Principal, source_id: int) -> HarvestRun:
        """Harvest one source now, as the actor; returns the finished run with its report."""
        self._source(actor, source_id)
        return self._run(actor, source_id)

    def run_due(self, now: datetime | None = None) -> list[HarvestRun]:
        """Run every enabled source whose next run time has passed (the scheduler's job)."""
        now = now or utcnow()
        with self.db.reader() as s:
            due = list(
                s.scalars(
                    select(HarvestSource.id)
                    .where(
                        HarvestSource.enabled.is_(True),
                        HarvestSource.next_run_at.is_not(None),
                        HarvestSource.next_run_at <= now,
                    )
                    .order_by(HarvestSource.next_run_at, HarvestSource.id)
                )
            )
        runs: list[HarvestRun] = []
        for source_id in due:
            try:
                runs.append(self._run(Principal.system("harvest"), source_id, now=now))
            except Conflict:
                log.info("harvest source %s is already running", source_id)
        return runs

    def _lock(self, source_id: int) -> threading.Lock:
        with self._locks_guard:
            return self._locks.setdefault(source_id, threading.Lock())

    def _run(self, actor: Principal, source_id: int, *, now: datetime | None = None) -> HarvestRun:
        lock = self._lock(source_id)
        if not lock.acquire(blocking=False):
            raise Conflict("this source is being harvested now", code="harvest_running")
        try:
            return self._run_locked(actor, source_id, now or utcnow())
        finally:
            lock.release()

    def _run_locked(self, actor: Principal, source_id: int, now: datetime) -> HarvestRun:
        with self.db.transaction() as s:
            source = s.get(HarvestSource, source_id)
            if source is None:
                raise NotFound(f"no harvest source {source_id}", details={"id": source_id})
            # Another process may be on it: a fresh "running" run stands in for a lock.
            busy = s.scalar(
                select(HarvestRun.id).where(
                    HarvestRun.source_id == source_id,
                    HarvestRun.state == "running",
                    HarvestRun.started_at > utcnow() - STALE_RUN,
                )
            )
            if busy is not None:
                raise Conflict("this source is being harvested now", code="harvest_running")
            source.last_run_at = now
            source.next_run_at = now + timedelta(hours=source.interval_hours)
            run = HarvestRun(source_id=source_id, state="running", started_at=utcnow())
            s.add(run)
            s.flush()
            run_id = run.id
            kind, url, options = source.kind, source.url, dict(source.options or {})
            name, department_id = source.name, source.department_id
        report = RunReport()
        state, error = "succeeded", ""
        try:
            remote = self._read(kind, url, options)
        except HarvestFetchError as exc:
            state, error, remote = "failed", str(exc), None
        except Exception as exc:
            log.exception("harvest of source %s failed", source_id)
            state, error, remote = "failed", f"{type(exc).__name__}: {exc}", None
        if remote is not None:
            try:
                self._apply(actor, source_id, name, department_id, options, remote, report)
            except PlatformError as exc:
                state, error = "failed", exc.message
            except Exception as exc:
                log.exception("harvest of source %s failed", source_id)
                state, error = "failed", f"{type(exc).__name__}: {exc}"
            if state == "succeeded" and report.count("failed"):
                state = "partial"
        with self.db.transaction() as s:
            done = s.get(HarvestRun, run_id)
            assert done is not None  # noqa: S101
            run = done
            run.state = state
            run.error = error[:4000]
            run.finished_at = utcnow()
            run.report = report.items
            for action in ("created", "updated", "unchanged", "removed", "failed"):
                setattr(run, action, report.count(action))
            s.flush()
            return run

    def _read(self, kind: str, url: str, options: Mapping[str, Any]) -> list[RemoteDataset]:
        check_url(url)
        if kind == "ckan":
            datasets = read_ckan(self.fetch, url, options, limit=self.max_datasets)
            if options.get("datastore_fields", True):
                datasets = [
                    _with_items(d, ckan_items(self.fetch, url, d.datastore_resource))
                    if d.datastore_resource and d.is_open
                    else d
                    for d in datasets
                ]
            return datasets
        return read_dcat(self.fetch, url, limit=self.max_datasets)

    def _apply(
        self,
        actor: Principal,
        source_id: int,
        source_name: str,
        department_id: int,
        options: Mapping[str, Any],
        remote: list[RemoteDataset],
        report: RunReport,
    ) -> None:
        with self.db.reader() as s:
            records = {
                r.remote_id: r
                for r in s.scalars(
                    select(HarvestRecord).where(HarvestRecord.source_id == source_id)
                )
            }
            leaves = set(s.scalars(select(Classification.code).where(Classification.level == 3)))
            dept = s.get(Department, department_id)
        if dept is None or not leaves:
            raise ValidationFailed(
                "nowhere to file harvested entries",
                errors=[FieldError("classification_code", "unknown", "no 目-level classification")],
            )
        default_code = str(options.get("classification_code") or min(leaves))
        listed: set[str] = set()
        for ds in sorted(remote, key=lambda d: d.remote_id):
            if ds.error:
                # Still listed by the remote: its entry (if any) stays as it is.
                listed.add(ds.remote_id)
                report.add(ds, "failed", error=ds.error)
                continue
            if not ds.is_open:
                # Only unconditionally open data is imported; conditional data stays with its
                # owner, who grants it (a previously open dataset is taken offline below).
                report.add(ds, "skipped", reason="not open")
                continue
            listed.add(ds.remote_id)
            code = ds.classification_code if ds.classification_code in leaves else default_code
            fields = entry_fields_for(ds, classification_code=code, source_name=source_name)
            digest = fields_hash(fields, ds)
            record = records.get(ds.remote_id)
            try:
                if record is None:
                    entry_id = self._create(actor, dept.key, fields, source_id, ds.remote_id)
                    self._save_record(source_id, ds.remote_id, entry_id, digest)
                    report.add(ds, "created", entry_id=entry_id, license=ds.license)
                elif record.content_hash == digest and not record.removed:
                    report.add(ds, "unchanged", entry_id=record.entry_id, license=ds.license)
                else:
                    self._sync(actor, record.entry_id, fields)
                    self._save_record(source_id, ds.remote_id, record.entry_id, digest)
                    extra = {"restored": True} if record.removed else {}
                    report.add(ds, "updated", entry_id=record.entry_id, license=ds.license, **extra)
            except Exception as exc:
                log.warning("harvest of %s from source %s failed", ds.remote_id, source_id)
                report.add(ds, "failed", error=_describe(exc))
        for remote_id, record in sorted(records.items()):
            if remote_id in listed or record.removed:
                continue
            try:
                self._remove(actor, record.entry_id)
                with self.db.transaction() as s:
                    row = s.get(HarvestRecord, (source_id, remote_id))
                    if row is not None:
                        row.removed = True
                report.add(remote_id, "removed", entry_id=record.entry_id)
            except Exception as exc:
                report.add(remote_id, "failed", error=_describe(exc))

    def _create(
        self,
        actor: Principal,
        department: str,
        fields: Mapping[str, Any],
        source_id: int,
        remote_id: str,
    ) -> int:
        entry = self.catalog.create(actor, department=department, fields=fields)
        # Recorded at once with no hash: if publishing fails, the next run finishes the job
        # instead of creating a second entry.
        self._save_record(source_id, remote_id, entry.id, "")
        self.catalog.submit(actor, entry.id)
        self.catalog.publish(actor, entry.id)
        return entry.id

    def _sync(self, actor: Principal, entry_id: int, fields: Mapping[str, Any]) -> None:
        """Bring the entry to the remote's content and publish it, whatever its status."""
        EntryFields.parse(fields)  # fail before touching the entry's status
        with self.db.reader() as s:
            status = s.scalar(select(CatalogEntry.status).where(CatalogEntry.id == entry_id))
        if status is None:
            raise NotFound(f"no catalog entry {entry_id}", details={"id": entry_id})
        if status == EntryStatus.OFFLINE:
            self.catalog.return_to_draft(actor, entry_id, "来源门户重新提供该数据集")
            status = EntryStatus.DRAFT.value
        self.catalog.update(actor, entry_id, fields)
        if status == EntryStatus.DRAFT:
            self.catalog.submit(actor, entry_id)
            status = EntryStatus.SUBMITTED.value
        if status == EntryStatus.SUBMITTED:
            self.catalog.publish(actor, entry_id)

    def _remove(self, actor: Principal, entry_id: int) -> None:
        with self.db.reader() as s:
            status = s.scalar(select(CatalogEntry.status).where(CatalogEntry.id == entry_id))
        if status == EntryStatus.PUBLISHED:
            self.catalog.take_offline(actor, entry_id, "来源门户已不再提供该数据集")

    def _save_record(self, source_id: int, remote_id: str, entry_id: int, digest: str) -> None:
        with self.db.transaction() as s:
            row = s.get(HarvestRecord, (source_id, remote_id))
            if row is None:
                row = HarvestRecord(source_id=source_id, remote_id=remote_id, entry_id=entry_id)
                s.add(row)
            row.content_hash = digest
            row.removed = False
            row.seen_at = utcnow()


def _with_items(ds: RemoteDataset, items: tuple[dict[str, Any], ...]) -> RemoteDataset:
    return replace(ds, items=items) if items else ds


def _describe(exc: Exception) -> str:
    if not isinstance(exc, PlatformError):
        return f"{type(exc).__name__}: {str(exc)[:500]}"
    if isinstance(exc, ValidationFailed) and exc.errors:
        return exc.message + ": " + "; ".join(f"{e.field}: {e.message}" for e in exc.errors)
    return exc.message


def _check_source(*, kind: str, url: str, name: str, interval_hours: int) -> list[FieldError]:
    errors: list[FieldError] = []
    if kind not in KINDS:
        errors.append(FieldError("kind", "invalid_choice", f"one of: {', '.join(KINDS)}"))
    try:
        check_url(url)
    except BadRequest as exc:
        errors.append(FieldError("url", "invalid", exc.message))
    if not name.strip() or len(name) > 200:
        errors.append(FieldError("name", "invalid", "1 to 200 characters"))
    if not 1 <= interval_hours <= 24 * 366:
        errors.append(FieldError("interval_hours", "out_of_range", "between 1 and 8784"))
    return errors


def department_names(db: Database, ids: set[int]) -> dict[int, tuple[str, str, str]]:
    """Key, short name and English name of departments by id (for listing sources)."""
    with db.reader() as s:
        return {
            d.id: (d.key, d.short_name, d.name_en)
            for d in s.scalars(select(Department).where(Department.id.in_(list(ids))))
        }
