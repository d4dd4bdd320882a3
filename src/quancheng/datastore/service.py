"""DatastoreService: each catalog entry's tabular data, loaded into versions and swapped in.

A load writes a new physical table beside the current one and becomes visible only when
one metadata transaction points the dataset at it; until then, and whenever a load fails
or is killed, readers keep the previous version.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import queue
import re
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from quancheng.catalog.service import CatalogService
from quancheng.datastore import fastcsv, infer, readers, validate
from quancheng.datastore.backends import open_backend
from quancheng.datastore.backends.base import Backend
from quancheng.datastore.freshness import Freshness, freshness
from quancheng.datastore.policy import DatasetFacts, ItemInfo
from quancheng.datastore.schema import Column, TableSchema, public_table_name
from quancheng.db import Database
from quancheng.db.models import CatalogEntry, Dataset, DataVersion, IngestJob, utcnow
from quancheng.errors import Conflict, NotFound, PlatformError
from quancheng.identity.roles import Permission, Principal

log = logging.getLogger("quancheng.datastore")

STAGING_PREFIX = "qcs_"
VERSION_PREFIX = "qcv_"
# A job whose process stopped beating for this long is dead (killed or crashed).
STALE_AFTER = timedelta(minutes=2)
HEARTBEAT_EVERY = timedelta(seconds=2)
MAX_REPORTED_ERRORS = 100_000


class JobStatus(StrEnum):
    """Where a load is."""

    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    UNCHANGED = "unchanged"
    FAILED = "failed"


@dataclass(frozen=True)
class VersionInfo:
    """One stored data version."""

    id: int
    number: int
    physical_table: str
    schema: TableSchema
    row_count: int
    content_hash: str
    source_name: str
    source_format: str
    source_encoding: str | None
    quarantined_rows: int
    purged: bool
    created_at: datetime

    @classmethod
    def of(cls, v: DataVersion) -> VersionInfo:
        """Detach a version row."""
        return cls(
            id=v.id,
            number=v.number,
            physical_table=v.physical_table,
            schema=TableSchema(tuple(Column.from_json(c) for c in v.columns)),
            row_count=v.row_count,
            content_hash=v.content_hash,
            source_name=v.source_name,
            source_format=v.source_format,
            source_encoding=v.source_encoding,
            quarantined_rows=v.quarantined_rows,
            purged=v.purged,
            created_at=v.created_at,
        )


@dataclass(frozen=True)
class DatasetInfo:
    """A dataset as readers see it: the entry behind it and its current version."""

    id: int
    entry_id: int
    entry_code: str
    entry_name: str
    department_id: int
    table: str
    status: str
    sharing_type: str
    open_type: str
    update_cycle: str
    items: tuple[ItemInfo, ...]
    current: VersionInfo | None

    def facts(self) -> DatasetFacts:
        """What the read policy decides on."""
        columns = self.current.schema.columns if self.current else ()
        return DatasetFacts(
            dataset_id=self.id,
            entry_id=self.entry_id,
            department_id=self.department_id,
            status=self.status,
            sharing_type=self.sharing_type,
            open_type=self.open_type,
            columns=columns,
            items=self.items,
        )

    def freshness(self, now: datetime | None = None) -> Freshness:
        """On time or late against the entry's update cycle."""
        loaded = self.current.created_at if self.current else None
        return freshness(self.update_cycle, loaded, now or utcnow())


@dataclass(frozen=True)
class JobInfo:
    """A load job's state and outcome."""

    id: int
    dataset_id: int
    status: JobStatus
    source_name: str
    bytes_total: int
    bytes_read: int
    rows_read: int
    error_count: int
    error_code: str | None
    message: str
    version_id: int | None
    created_at: datetime
    finished_at: datetime | None

    @classmethod
    def of(cls, j: IngestJob) -> JobInfo:
        """Detach a job row."""
        return cls(
            id=j.id,
            dataset_id=j.dataset_id,
            status=JobStatus(j.status),
            source_name=j.source_name,
            bytes_total=j.bytes_total,
            bytes_read=j.bytes_read,
            rows_read=j.rows_read,
            error_count=j.error_count,
            error_code=j.error_code,
            message=j.message,
            version_id=j.version_id,
            created_at=j.created_at,
            finished_at=j.finished_at,
        )

    @property
    def done(self) -> bool:
        """Whether the job has finished, one way or the other."""
        return self.status in (JobStatus.SUCCEEDED, JobStatus.UNCHANGED, JobStatus.FAILED)


Progress = Callable[[int, int], None]


class DatastoreService:
    """Datasets of catalog entries: loads, versions, rollback and the facts reads need."""

    def __init__(
        self,
        *,
        db: Database,
        catalog: CatalogService,
        backend_url: str,
        reports_dir: Path,
        invalid_rows: str = "reject",
        keep_versions: int = 5,
        memory_mib: int | None = None,
        ledger: Any = None,
        fast_csv: bool = True,
    ) -> None:
        self.db = db
        self.catalog = catalog
        self.backend_url = backend_url
        self._backend: Backend | None = None
        self._backend_lock = threading.Lock()
        self.reports_dir = reports_dir
        self.invalid_rows = invalid_rows
        self.keep_versions = keep_versions
        self.memory_mib = memory_mib
        self._ledger = ledger
        # CSV/TSV loads let the engine read the file (fastcsv), the Python path as fallback.
        self.fast_csv = fast_csv
        self._pool: ThreadPoolExecutor | None = None
        self._pool_lock = threading.Lock()

    @property
    def backend(self) -> Backend:
        """The datastore engine, opened on first use (DuckDB allows one process at a time)."""
        if self._backend is None:
            with self._backend_lock:
                if self._backend is None:
                    self._backend = open_backend(
                        self.backend_url,
                        memory_mib=self.memory_mib,
                        staging_dir=self.reports_dir.parent / "staging",
                    )
        return self._backend

    # -- datasets --------------------------------------------------------------------

    def dataset(self, actor: Principal, ref: int | str) -> DatasetInfo:
        """The dataset of a catalog entry the actor may see (it may have no data yet)."""
        entry = self.catalog.get(actor, ref)
        with self.db.reader() as s:
            dataset = s.scalar(select(Dataset).where(Dataset.entry_id == entry.id))
            current = (
                s.get(DataVersion, dataset.current_version_id)
                if dataset is not None and dataset.current_version_id is not None
                else None
            )
            return _info(entry, dataset, current)

    def versions(self, actor: Principal, ref: int | str) -> list[VersionInfo]:
        """Every version of a dataset, newest first."""
        info = self.dataset(actor, ref)
        with self.db.reader() as s:
            rows = s.scalars(
                select(DataVersion)
                .where(DataVersion.dataset_id == info.id)
                .order_by(DataVersion.number.desc())
            )
            return [VersionInfo.of(v) for v in rows]

    def entry_for_table(self, table: str) -> int | None:
        """The catalog entry whose data has this public SQL name."""
        with self.db.reader() as s:
            return s.scalar(select(Dataset.entry_id).where(Dataset.table_name == table.lower()))

    def _ensure_dataset(self, s: Session, entry: CatalogEntry) -> Dataset:
        dataset = s.scalar(select(Dataset).where(Dataset.entry_id == entry.id))
        if dataset is None:
            dataset = Dataset(entry_id=entry.id, table_name=public_table_name(entry.code))
            s.add(dataset)
            s.flush()
        return dataset

    # -- loads -----------------------------------------------------------------------

    def start_load(self, actor: Principal, ref: int | str, *, source_name: str) -> JobInfo:
        """Check the actor may load this entry's data and queue a job for it."""
        entry = self.catalog.get(actor, ref)
        actor.require(Permission.DATA_WRITE, department_id=entry.department_id)
        with self.db.transaction() as s:
            dataset = self._ensure_dataset(s, s.get_one(CatalogEntry, entry.id))
            job = IngestJob(
                dataset_id=dataset.id,
                status=JobStatus.QUEUED,
                source_name=source_name[:255],
                created_by=actor.user_id,
            )
            s.add(job)
            s.flush()
            return JobInfo.of(job)

    def submit(self, job: JobInfo, path: Path, *, delete_after: bool = True) -> Future[JobInfo]:
        """Run a queued job in the background (the web and API path)."""
        with self._pool_lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="qc-ingest")
            return self._pool.submit(self.run_load, job.id, path, delete_after=delete_after)

    def run_load(
        self,
        job_id: int,
        path: Path,
        *,
        delete_after: bool = False,
        progress: Progress | None = None,
        format: str | None = None,
    ) -> JobInfo:
        """Load a file into a new version of the job's dataset; the job records the outcome."""
        try:
            return self._run(job_id, path, progress=progress, format=format)
        finally:
            if delete_after:
                path.unlink(missing_ok=True)

    def job(self, actor: Principal, ref: int | str, job_id: int) -> JobInfo:
        """A job of a dataset the actor may load."""
        info = self.dataset(actor, ref)
        actor.require(Permission.DATA_WRITE, department_id=info.department_id)
        with self.db.reader() as s:
            job = s.get(IngestJob, job_id)
            if job is None or job.dataset_id != info.id:
                raise NotFound(f"no load job {job_id} for this dataset", details={"id": job_id})
            return JobInfo.of(job)

    def jobs(self, actor: Principal, ref: int | str, *, limit: int) -> list[JobInfo]:
        """The latest load jobs of a dataset the actor may load, newest first."""
        info = self.dataset(actor, ref)
        actor.require(Permission.DATA_WRITE, department_id=info.department_id)
        with self.db.reader() as s:
            rows = s.scalars(
                select(IngestJob)
                .where(IngestJob.dataset_id == info.id)
                .order_by(IngestJob.id.desc())
                .limit(limit)
            )
            return [JobInfo.of(j) for j in rows]

    def error_report(self, actor: Principal, ref: int | str, job_id: int) -> Path:
        """The row error report (CSV) of a job."""
        job = self.job(actor, ref, job_id)
        path = self._report_path(job.id)
        if not path.exists():
            raise NotFound("this load has no error report", details={"id": job_id})
        return path

    def job_errors(
        self, actor: Principal, ref: int | str, job_id: int, *, limit: int
    ) -> list[validate.RowError]:
        """The first row errors of a job (none when it has no report)."""
        job = self.job(actor, ref, job_id)
        path = self._report_path(job.id)
        if not job.error_count or not path.exists():
            return []
        return validate.read_error_report(path, limit=limit)

    def _report_path(self, job_id: int) -> Path:
        return self.reports_dir / f"load-{job_id}-errors.csv"

    def _run(
        self, job_id: int, path: Path, *, progress: Progress | None, format: str | None
    ) -> JobInfo:
        with self.db.transaction() as s:
            job = s.get_one(IngestJob, job_id)
            if job.status != JobStatus.QUEUED:
                raise Conflict(f"load job {job_id} has already run", details={"id": job_id})
            dataset = s.get_one(Dataset, job.dataset_id)
            entry = s.get_one(CatalogEntry, dataset.entry_id)
            items = [ItemInfo(i.name, i.data_type, i.sensitivity, i.length) for i in entry.items]
            current = (
                s.get(DataVersion, dataset.current_version_id)
                if dataset.current_version_id is not None
                else None
            )
            current_hash = current.content_hash if current else None
            job.status = JobStatus.RUNNING
            job.bytes_total = path.stat().st_size
            job.heartbeat_at = utcnow()
            dataset_id = dataset.id
        staging = f"{STAGING_PREFIX}{dataset_id}_{job_id}"
        physical = f"{VERSION_PREFIX}{dataset_id}_{job_id}"
        hashing: Future[str] | None = None
        try:
            if current_hash is not None:
                digest = file_sha256(path)
                if digest == current_hash:
                    return self._finish(
                        job_id,
                        JobStatus.UNCHANGED,
                        message="identical to the current version",
                        version_id=current.id if current else None,
                    )
            else:
                # Nothing to compare with: hash while the load runs (hashlib releases the GIL).
                hashing = _in_thread(file_sha256, path)
            load = _Load(
                self, job_id, path, staging, physical, items, progress=progress, format=format
            )
            columns = load.run()
            if load.rows is None:
                rows = self.backend.finalize(staging, physical, columns)
            else:
                rows = load.rows
            if hashing is not None:
                digest = hashing.result()
            version_id = self._swap_in(job_id, dataset_id, physical, columns, rows, digest, load)
            return self._finish(
                job_id,
                JobStatus.SUCCEEDED,
                message=f"{rows} rows",
                version_id=version_id,
                errors=load.error_count,
            )
        except PlatformError as error:
            _settle(hashing)
            self._discard(staging, physical)
            return self._finish(
                job_id,
                JobStatus.FAILED,
                message=error.message,
                code=error.code,
                errors=getattr(error, "error_count", 0),
            )
        except Exception as error:
            log.exception("load job %s failed", job_id)
            _settle(hashing)
            self._discard(staging, physical)
            return self._finish(
                job_id,
                JobStatus.FAILED,
                message=str(error) or type(error).__name__,
                code="load_failed",
            )

    def _swap_in(
        self,
        job_id: int,
        dataset_id: int,
        physical: str,
        columns: list[Column],
        rows: int,
        digest: str,
        load: _Load,
    ) -> int:
        purge: list[str] = []
        with self.db.transaction() as s:
            dataset = s.get_one(Dataset, dataset_id)
            number = (
                s.scalar(
                    select(func.max(DataVersion.number)).where(DataVersion.dataset_id == dataset_id)
                )
                or 0
            ) + 1
            job = s.get_one(IngestJob, job_id)
            version = DataVersion(
                dataset_id=dataset_id,
                number=number,
                physical_table=physical,
                columns=[c.as_json() for c in columns],
                row_count=rows,
                content_hash=digest,
                source_name=job.source_name,
                source_format=load.format,
                source_encoding=load.encoding,
                quarantined_rows=load.quarantined,
                created_by=job.created_by,
            )
            s.add(version)
            s.flush()
            dataset.current_version_id = version.id
            dataset.updated_at = utcnow()
            purge = self._retire(s, dataset_id)
            self._record(s, "data.version.created", dataset, version, job.created_by)
            version_id = version.id
        for table in purge:
            self.backend.drop(table)
        return version_id

    def _retire(self, s: Session, dataset_id: int) -> list[str]:
        """Mark versions beyond the retention count purged; return their tables to drop."""
        kept = s.scalars(
            select(DataVersion)
            .where(DataVersion.dataset_id == dataset_id, DataVersion.purged.is_(False))
            .order_by(DataVersion.number.desc())
        ).all()
        current = s.get_one(Dataset, dataset_id).current_version_id
        tables: list[str] = []
        for version in kept[self.keep_versions :]:
            if version.id == current:
                continue
            version.purged = True
            tables.append(version.physical_table)
        return tables

    def _record(
        self, s: Session, kind: str, dataset: Dataset, version: DataVersion, user_id: int | None
    ) -> None:
        if self._ledger is None:
            return
        self._ledger.record_data_version(s, kind, dataset=dataset, version=version, user_id=user_id)

    def _finish(
        self,
        job_id: int,
        status: JobStatus,
        *,
        message: str,
        code: str | None = None,
        version_id: int | None = None,
        errors: int = 0,
    ) -> JobInfo:
        with self.db.transaction() as s:
            job = s.get_one(IngestJob, job_id)
            job.status = status
            job.message = message[:2000]
            job.error_code = code
            job.version_id = version_id
            job.error_count = errors
            job.finished_at = utcnow()
            return JobInfo.of(job)

    def _discard(self, *tables: str) -> None:
        for table in tables:
            try:
                self.backend.drop(table)
            except Exception:  # cleanup must not hide the load's own error
                log.warning("could not drop %s after a failed load", table, exc_info=True)

    def heartbeat(self, job_id: int, *, bytes_read: int, rows_read: int) -> None:
        """Record a running job's progress (and that its process is alive)."""
        with self.db.transaction() as s:
            s.execute(
                update(IngestJob)
                .where(IngestJob.id == job_id)
                .values(bytes_read=bytes_read, rows_read=rows_read, heartbeat_at=utcnow())
            )

    # -- versions ----------------------------------------------------------------------

    def rollback(self, actor: Principal, ref: int | str, number: int) -> VersionInfo:
        """Make an earlier (still stored) version the current one."""
        info = self.dataset(actor, ref)
        actor.require(Permission.DATA_WRITE, department_id=info.department_id)
        with self.db.transaction() as s:
            version = s.scalar(
                select(DataVersion).where(
                    DataVersion.dataset_id == info.id, DataVersion.number == number
                )
            )
            if version is None:
                raise NotFound(f"no version {number} of this dataset", details={"number": number})
            if version.purged:
                raise Conflict(
                    f"version {number} is no longer stored (retention keeps "
                    f"{self.keep_versions} versions)",
                    code="version_purged",
                )
            dataset = s.get_one(Dataset, info.id)
            if dataset.current_version_id == version.id:
                raise Conflict(f"version {number} is already current", code="already_current")
            dataset.current_version_id = version.id
            dataset.updated_at = utcnow()
            self._record(s, "data.version.rolled_back", dataset, version, actor.user_id)
            return VersionInfo.of(version)

    # -- crash recovery ----------------------------------------------------------------

    def recover(self, *, stale_after: timedelta = STALE_AFTER) -> list[str]:
        """Fail jobs whose process died and drop the tables no version points to."""
        stale = utcnow() - stale_after
        with self.db.transaction() as s:
            dead = s.scalars(
                select(IngestJob).where(
                    IngestJob.status.in_([JobStatus.RUNNING, JobStatus.QUEUED]),
                    IngestJob.heartbeat_at < stale,
                )
            ).all()
            for job in dead:
                job.status = JobStatus.FAILED
                job.error_code = "interrupted"
                job.message = "the load was interrupted; the previous version is still current"
                job.finished_at = utcnow()
            live_jobs = {
                j
                for j in s.scalars(
                    select(IngestJob.id).where(
                        IngestJob.status.in_([JobStatus.RUNNING, JobStatus.QUEUED])
                    )
                )
            }
            kept = set(
                s.scalars(select(DataVersion.physical_table).where(DataVersion.purged.is_(False)))
            )
        dropped = []
        for prefix in (STAGING_PREFIX, VERSION_PREFIX):
            for table in self.backend.tables(prefix):
                match = re.fullmatch(r"qc[sv]_\d+_(\d+)", table)
                if table in kept or (match and int(match.group(1)) in live_jobs):
                    continue
                self.backend.drop(table)
                dropped.append(table)
        return dropped

    def close(self) -> None:
        """Wait for background loads and release the pool."""
        with self._pool_lock:
            if self._pool is not None:
                self._pool.shutdown(wait=True)
                self._pool = None
        with self._backend_lock:
            if self._backend is not None:
                self._backend.close()
                self._backend = None


class _Load:
    """One pass over a file: stage the rows, profile the columns, validate against items."""

    def __init__(
        self,
        service: DatastoreService,
        job_id: int,
        path: Path,
        staging: str,
        physical: str,
        items: list[ItemInfo],
        *,
        progress: Progress | None,
        format: str | None,
    ) -> None:
        self.service = service
        self.job_id = job_id
        self.path = path
        self.staging = staging
        self.physical = physical
        self.items = items
        self.progress = progress
        self.requested_format = format
        self.format = ""
        self.encoding: str | None = None
        self.error_count = 0
        self.quarantined = 0
        # Set when the fast path stored the typed table itself (no staging to finalize).
        self.rows: int | None = None
        self._last_beat = utcnow()
        self._progressed = False

    def _beat(self, bytes_read: int) -> None:
        """Progress for the caller, and the job's heartbeat every few seconds."""
        if self.progress is not None:
            self.progress(bytes_read, self.path.stat().st_size)
        # The first progress is recorded at once, so a watcher sees the load under way.
        first = bytes_read > 0 and not self._progressed
        if first or utcnow() - self._last_beat >= HEARTBEAT_EVERY:
            self.service.heartbeat(self.job_id, bytes_read=bytes_read, rows_read=0)
            self._last_beat = utcnow()
            self._progressed = self._progressed or bytes_read > 0

    def run(self) -> list[Column]:
        """Load the rows; return the inferred, item-linked columns.

        A CSV/TSV file goes the fast way first (fastcsv: the engine reads it into the typed
        table, and `rows` is set); any other file, or one the fast way hands back, is staged
        here row batch by row batch for `finalize`.
        """
        service = self.service
        reader = readers.open_table(self.path, filename=None, format=self.requested_format)
        self.format = reader.format
        self.encoding = reader.encoding
        if isinstance(reader, readers.CsvReader) and service.fast_csv:
            fast = fastcsv.load(
                service.backend,
                reader,
                self.items,
                table=self.physical,
                staging=self.staging,
                beat=self._beat,
            )
            if fast is not None:
                self.rows = fast.rows
                service.heartbeat(self.job_id, bytes_read=reader.total_bytes, rows_read=fast.rows)
                return fast.columns
        text_columns = [
            Column(name=n, label=label)
            for n, label in zip(reader.names, reader.labels, strict=True)
        ]
        linked = validate.link_items(text_columns, self.items)
        validator = validate.RowValidator(linked, self.items)
        profiles = [infer.ColumnProfile() for _ in linked]
        quarantine = service.invalid_rows == "quarantine"
        service.backend.create_staging(self.staging, reader.names)
        report = _ReportWriter(service._report_path(self.job_id))
        # Errors are numbered as the steward sees the rows when opening the file.
        next_row = reader.first_row
        rows_read = 0
        last_beat = utcnow()
        try:
            for batch in _read_ahead(reader.batches()):
                check = validator.check(batch, next_row)
                next_row += batch.num_rows
                rows_read += batch.num_rows
                if check.errors:
                    self.error_count += len(check.errors)
                    report.add(check.errors)
                if check.errors and quarantine:
                    keep = pc.fill_null(check.valid_mask, False)
                    self.quarantined += batch.num_rows - int(pc.sum(keep).as_py() or 0)
                    batch = batch.filter(keep)
                if self.error_count and not quarantine:
                    continue  # keep reading only to report every invalid row
                for profile, column in zip(profiles, batch.columns, strict=True):
                    profile.observe(column)
                service.backend.append(self.staging, batch)
                if self.progress is not None:
                    self.progress(reader.bytes_read, reader.total_bytes)
                if utcnow() - last_beat >= HEARTBEAT_EVERY:
                    service.heartbeat(
                        self.job_id, bytes_read=reader.bytes_read, rows_read=rows_read
                    )
                    last_beat = utcnow()
        finally:
            report.close()
        service.heartbeat(self.job_id, bytes_read=reader.total_bytes, rows_read=rows_read)
        if self.error_count and not quarantine:
            error = LoadRejected(
                f"{self.error_count} rows do not match the entry's data items; "
                "download the error report, correct the file and upload it again",
            )
            error.error_count = self.error_count
            raise error
        types = {i.name: i.data_type for i in self.items}
        hints = [types.get(c.item) if c.item else None for c in linked]
        inferred = infer.infer_columns(reader.names, reader.labels, profiles, hints)
        return [replace(c, item=link.item) for c, link in zip(inferred, linked, strict=True)]


class LoadRejected(Conflict):
    """Invalid rows and the policy is to reject the whole file."""

    code = "invalid_rows"
    error_count = 0


class _ReportWriter:
    """Row errors streamed to a CSV report, opened only when the first error comes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.count = 0
        self._pending: list[validate.RowError] = []

    def add(self, errors: list[validate.RowError]) -> None:
        room = MAX_REPORTED_ERRORS - self.count - len(self._pending)
        self._pending.extend(errors[: max(room, 0)])

    def close(self) -> None:
        if not self._pending:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        validate.write_error_report(self._pending, self.path)
        self.count += len(self._pending)
        self._pending = []


def _info(entry: CatalogEntry, dataset: Dataset | None, current: DataVersion | None) -> DatasetInfo:
    return DatasetInfo(
        id=dataset.id if dataset else 0,
        entry_id=entry.id,
        entry_code=entry.code,
        entry_name=entry.name,
        department_id=entry.department_id,
        table=dataset.table_name if dataset else public_table_name(entry.code),
        status=entry.status,
        sharing_type=entry.sharing_type,
        open_type=entry.open_type,
        update_cycle=entry.update_cycle,
        items=tuple(ItemInfo(i.name, i.data_type, i.sensitivity, i.length) for i in entry.items),
        current=VersionInfo.of(current) if current else None,
    )


_DONE = object()


def _read_ahead(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """The same batches, the next one parsed in a thread while the caller checks this one.

    Parsing and the checks are Arrow kernels that release the GIL, so the two overlap on
    two cores. One batch waits at most: memory stays bounded.
    """
    handoff: queue.Queue[Any] = queue.Queue(maxsize=1)
    stop = threading.Event()

    def produce() -> None:
        try:
            for batch in batches:
                while not stop.is_set():
                    try:
                        handoff.put(batch, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    close = getattr(batches, "close", None)
                    if close is not None:
                        close()  # release the file now, not when collected
                    return
            handoff.put(_DONE)
        except BaseException as error:  # handed to the consumer, who raises it
            handoff.put(error)

    worker = threading.Thread(target=produce, name="qc-ingest-read", daemon=True)
    worker.start()
    try:
        while True:
            item = handoff.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        # Unblock a producer waiting to hand over, then let it finish.
        with contextlib.suppress(queue.Empty):
            handoff.get_nowait()
        worker.join()


def _in_thread(fn: Callable[[Path], str], path: Path) -> Future[str]:
    """`fn(path)` computed in a thread of its own."""
    future: Future[str] = Future()

    def run() -> None:
        try:
            future.set_result(fn(path))
        except BaseException as error:  # handed to whoever asks for the result
            future.set_exception(error)

    threading.Thread(target=run, name="qc-ingest-hash", daemon=True).start()
    return future


def _settle(future: Future[str] | None) -> None:
    """Wait for a background computation whose result is no longer needed."""
    if future is not None:
        with contextlib.suppress(Exception):
            future.result()


def file_sha256(path: Path) -> str:
    """SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()
