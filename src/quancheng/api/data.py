"""API routes of the datastore: data dictionary, rows, exports, loads, versions, SQL."""

from __future__ import annotations

import datetime as dt
import errno
import itertools
import tempfile
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, BinaryIO
from urllib.parse import quote

from fastapi import APIRouter, Body, File, Request, UploadFile
from fastapi.responses import FileResponse, StreamingResponse
from pydantic import BaseModel, Field

from quancheng.api.deps import PrincipalDep, ServicesDep
from quancheng.api.schemas import API_ERRORS
from quancheng.catalog.model import OpenType
from quancheng.datastore import export
from quancheng.datastore.reads import RowsResult
from quancheng.datastore.schema import Column
from quancheng.datastore.service import DatasetInfo, JobInfo, VersionInfo
from quancheng.errors import BadRequest, InsufficientStorage, NotFound, PayloadTooLarge
from quancheng.identity.roles import Permission, Principal

if TYPE_CHECKING:
    from quancheng.app import Services

router = APIRouter(tags=["data"], responses=API_ERRORS)

UPLOAD_CHUNK = 1 << 20


class ColumnPublic(BaseModel):
    """A column of the data dictionary."""

    name: str = Field(description="SQL identifier.")
    label: str = Field(description="The original header, e.g. 所属区县.")
    type: str
    item: str | None = Field(description="The catalog data item this column holds.")

    @classmethod
    def of(cls, c: Column) -> ColumnPublic:
        """From a stored column."""
        return cls(name=c.name, label=c.label, type=c.type.value, item=c.item)


class DataVersionPublic(BaseModel):
    """One stored data version."""

    number: int
    row_count: int
    content_hash: str
    source_name: str
    source_format: str
    source_encoding: str | None
    quarantined_rows: int
    stored: bool = Field(description="False once retention dropped its rows.")
    created_at: dt.datetime
    columns: list[ColumnPublic]

    @classmethod
    def of(cls, v: VersionInfo) -> DataVersionPublic:
        """From a version."""
        return cls(
            number=v.number,
            row_count=v.row_count,
            content_hash=v.content_hash,
            source_name=v.source_name,
            source_format=v.source_format,
            source_encoding=v.source_encoding,
            quarantined_rows=v.quarantined_rows,
            stored=not v.purged,
            created_at=v.created_at,
            columns=[ColumnPublic.of(c) for c in v.schema.columns],
        )


class DataPublic(BaseModel):
    """The data of a catalog entry: its SQL name, dictionary, current version, freshness."""

    entry_id: int
    code: str
    table: str
    freshness: str
    current: DataVersionPublic | None

    @classmethod
    def of(cls, d: DatasetInfo) -> DataPublic:
        """From a dataset."""
        return cls(
            entry_id=d.entry_id,
            code=d.entry_code,
            table=d.table,
            freshness=d.freshness().value,
            current=DataVersionPublic.of(d.current) if d.current else None,
        )


class JobPublic(BaseModel):
    """A load job."""

    id: int
    status: str
    source_name: str
    bytes_total: int
    bytes_read: int
    progress: float = Field(description="0..1")
    rows_read: int
    error_count: int
    error_code: str | None
    message: str
    version: int | None
    created_at: dt.datetime
    finished_at: dt.datetime | None
    error_report: str | None = Field(description="URL of the row error report (CSV), if any.")

    @classmethod
    def of(cls, j: JobInfo, *, entry_id: int, version: int | None = None) -> JobPublic:
        """From a job."""
        done = j.done and j.status != "failed"
        progress = 1.0 if done else (j.bytes_read / j.bytes_total if j.bytes_total else 0.0)
        return cls(
            id=j.id,
            status=j.status.value,
            source_name=j.source_name,
            bytes_total=j.bytes_total,
            bytes_read=j.bytes_read,
            progress=round(min(progress, 1.0), 4),
            rows_read=j.rows_read,
            error_count=j.error_count,
            error_code=j.error_code,
            message=j.message,
            version=version,
            created_at=j.created_at,
            finished_at=j.finished_at,
            error_report=(
                f"/api/v1/datasets/{entry_id}/jobs/{j.id}/errors.csv" if j.error_count else None
            ),
        )


class SqlIn(BaseModel):
    """A read-only SQL query."""

    sql: str = Field(max_length=20_000, description="One SELECT (WITH allowed).")


class SqlOut(BaseModel):
    """Rows of a SQL query."""

    fields: list[str]
    rows: list[list[Any]]
    truncated: bool
    tables: list[str]


def _query(request: Request) -> list[tuple[str, str]]:
    return list(request.query_params.multi_items())


def _flag(request: Request, name: str, default: bool = False) -> bool:
    value = request.query_params.get(name)
    if value is None:
        return default
    return value.lower() in ("1", "true", "yes", "on")


def jsonable(value: Any) -> Any:
    """A cell as JSON: dates in ISO 8601, NaN and infinities as null."""
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        return None
    if isinstance(value, Decimal):
        return float(value)
    return value


@router.get("/datasets/{entry_id}/data", response_model=DataPublic)
def get_data(entry_id: str, services: ServicesDep, actor: PrincipalDep) -> DataPublic:
    """The data dictionary, SQL name, current version and freshness of an entry's data."""
    return DataPublic.of(services.datastore.dataset(actor, entry_id))


# Open data is public by law whether or not the internal catalog is (public_catalog).
OPEN_DATA_VISITOR = Principal.anonymous(public_catalog=True)


def _reader(services: Services, actor: Principal, entry_id: str) -> Principal:
    """Who reads: a visitor reads unconditionally open data as the portal's public does."""
    if actor.is_authenticated or actor.can(Permission.CATALOG_READ):
        return actor
    try:
        entry = services.catalog.get(OPEN_DATA_VISITOR, entry_id)
    except NotFound:
        return actor
    return OPEN_DATA_VISITOR if entry.open_type == OpenType.OPEN.value else actor


@router.get("/datasets/{entry_id}/rows")
def get_rows(entry_id: str, request: Request, services: ServicesDep, actor: PrincipalDep) -> Any:
    """Rows with Datasette-style filters (`col__op=value`), sort, fields, paging, group-by.

    Page on by following `next_url`, or by sending the `next` cursor as `_next` with the same
    query. Cursors are opaque (encrypted, and valid for this dataset only): one that was
    edited, or comes from other data, is a 400 `bad_cursor`.
    """
    shape = request.query_params.get("_shape", "objects")
    if shape not in ("objects", "arrays"):
        raise BadRequest("_shape must be objects or arrays", code="bad_shape")
    result = services.reads.rows(
        _reader(services, actor, entry_id),
        entry_id,
        _query(request),
        total=_flag(request, "_total", default=True),
    )
    services.usage.count(result.dataset.entry_id, "api")
    return _rows_body(result, request, shape=shape)


def _rows_body(result: RowsResult, request: Request, *, shape: str) -> dict[str, Any]:
    names = [c.name for c in result.columns]
    rows: list[Any]
    if shape == "arrays":
        rows = [[jsonable(v) for v in r] for r in result.page.rows]
    else:
        rows = [{n: jsonable(v) for n, v in zip(names, r, strict=True)} for r in result.page.rows]
    next_url = None
    cursor = result.next_cursor
    if cursor is not None:
        params = [
            (k, v) for k, v in request.query_params.multi_items() if k not in ("_next", "_offset")
        ]
        params.append(("_next", cursor))
        query = "&".join(f"{quote(k)}={quote(v)}" for k, v in params)
        next_url = f"{request.url.path}?{query}"
    return {
        "fields": [ColumnPublic.of(c).model_dump() for c in result.columns],
        "rows": rows,
        "next": cursor,
        "next_url": next_url,
        "total": result.page.total,
        "table": result.dataset.table,
        "version": result.dataset.current.number if result.dataset.current else None,
        "masked": sorted(result.decision.masks),
    }


@router.get("/datasets/{entry_id}/export.{fmt}")
def export_rows(
    entry_id: str, fmt: str, request: Request, services: ServicesDep, actor: PrincipalDep
) -> StreamingResponse:
    """Every matching row as CSV, XLSX, JSON, NDJSON or Parquet, streamed."""
    encoding = request.query_params.get("_encoding", "utf-8-sig").lower()
    if encoding not in ("utf-8-sig", "utf-8", "gb18030"):
        raise BadRequest("_encoding must be utf-8-sig, utf-8 or gb18030", code="bad_encoding")
    shape = request.query_params.get("_shape", "objects")
    header = request.query_params.get("_header", "labels")
    if header not in ("labels", "names"):
        raise BadRequest("_header must be labels or names", code="bad_header")
    info, body = services.reads.export(
        _reader(services, actor, entry_id),
        entry_id,
        _query(request),
        fmt=fmt,
        encoding=encoding,
        json_shape=shape,
        header=header,
    )
    services.usage.count(info.entry_id, "download")
    media = export.media_type(fmt, encoding)
    filename = f"{info.table}.{export.FILE_EXTENSIONS.get(fmt, fmt)}"
    stem = quote(f"{info.entry_name}.{export.FILE_EXTENSIONS.get(fmt, fmt)}")
    headers = {
        "content-disposition": f"attachment; filename=\"{filename}\"; filename*=UTF-8''{stem}"
    }
    return StreamingResponse(_started(body), media_type=media, headers=headers)


def _started(body: Iterator[bytes]) -> Iterator[bytes]:
    """Produce the first chunk now, so that a failing query still gets a 4xx error body.

    A streaming response sends its status before the body; an error after that can only
    cut the download short.
    """
    first = next(body, b"")
    return itertools.chain([first], body)


@router.get("/datasets/{entry_id}/versions", response_model=list[DataVersionPublic])
def list_versions(
    entry_id: str, services: ServicesDep, actor: PrincipalDep
) -> list[DataVersionPublic]:
    """Every data version of an entry, newest first (its owners only)."""
    info = services.datastore.dataset(actor, entry_id)
    actor.require(Permission.DATA_WRITE, department_id=info.department_id)
    return [DataVersionPublic.of(v) for v in services.datastore.versions(actor, entry_id)]


@router.post("/datasets/{entry_id}/versions", response_model=JobPublic, status_code=202)
def upload_version(
    entry_id: str,
    file: Annotated[UploadFile, File(description="CSV/TSV, XLSX/XLS/ODS, JSON, NDJSON, Parquet")],
    services: ServicesDep,
    actor: PrincipalDep,
) -> JobPublic:
    """Load a file as the next version; answers at once with the job to poll."""
    name = Path(file.filename or "upload").name
    info = services.datastore.dataset(actor, entry_id)
    actor.require(Permission.DATA_WRITE, department_id=info.department_id)
    settings = services.settings
    path = spool_file(file.file, name, settings.data_dir / "uploads", settings.upload_max_bytes)
    try:
        job = services.datastore.start_load(actor, entry_id, source_name=name)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    services.datastore.submit(job, path, delete_after=True)
    return JobPublic.of(job, entry_id=info.entry_id)


def spool_file(source: BinaryIO, filename: str, directory: Path, limit: int) -> Path:
    """Copy an upload into the data dir (refusing it past `limit` bytes) for a load job."""
    directory.mkdir(parents=True, exist_ok=True)
    suffix = Path(filename).suffix.lower()[:10]
    handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 - handed to the job, which deletes it
        dir=directory, suffix=suffix, delete=False
    )
    path = Path(handle.name)
    written = 0
    try:
        with handle:
            while chunk := source.read(UPLOAD_CHUNK):
                written += len(chunk)
                if written > limit:
                    raise PayloadTooLarge(f"the file is larger than the limit of {limit} bytes")
                handle.write(chunk)
    except OSError as exc:
        path.unlink(missing_ok=True)
        if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
            raise InsufficientStorage(
                "the server has no room for this file; nothing was stored",
                details={"received_bytes": written},
            ) from exc
        raise
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    if written == 0:
        path.unlink(missing_ok=True)
        raise BadRequest("the uploaded file is empty", code="empty_file")
    return path


@router.get("/datasets/{entry_id}/jobs/{job_id}", response_model=JobPublic)
def get_job(entry_id: str, job_id: int, services: ServicesDep, actor: PrincipalDep) -> JobPublic:
    """A load job's status and progress."""
    job = services.datastore.job(actor, entry_id, job_id)
    info = services.datastore.dataset(actor, entry_id)
    number = None
    if job.version_id is not None:
        number = next(
            (
                v.number
                for v in services.datastore.versions(actor, entry_id)
                if v.id == job.version_id
            ),
            None,
        )
    return JobPublic.of(job, entry_id=info.entry_id, version=number)


@router.get("/datasets/{entry_id}/jobs/{job_id}/errors.csv")
def get_job_errors(
    entry_id: str, job_id: int, services: ServicesDep, actor: PrincipalDep
) -> FileResponse:
    """The row-level error report of a load (row, column, value, reason)."""
    path = services.datastore.error_report(actor, entry_id, job_id)
    return FileResponse(
        path, media_type="text/csv; charset=utf-8", filename=f"load-{job_id}-errors.csv"
    )


@router.post("/datasets/{entry_id}/versions/{number}/activate", response_model=DataVersionPublic)
def activate_version(
    entry_id: str, number: int, services: ServicesDep, actor: PrincipalDep
) -> DataVersionPublic:
    """Roll back (or forward) to a stored version."""
    return DataVersionPublic.of(services.datastore.rollback(actor, entry_id, number))


@router.post("/sql", response_model=SqlOut)
def run_sql(body: Annotated[SqlIn, Body()], services: ServicesDep, actor: PrincipalDep) -> SqlOut:
    """One read-only SELECT over the data tables the caller may read (the `table` names)."""
    outcome = services.reads.sql(actor, body.sql)
    return SqlOut(
        fields=outcome.fields,
        rows=[[jsonable(v) for v in r] for r in outcome.rows],
        truncated=outcome.truncated,
        tables=outcome.tables,
    )
