"""The data of a catalog entry on the web: preview, dictionary, downloads, loads, versions."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.responses import Response

from quancheng.api.data import spool_file
from quancheng.datastore.reads import RowsResult
from quancheng.datastore.service import JobInfo, JobStatus
from quancheng.datastore.validate import reason_zh
from quancheng.errors import BadRequest, PlatformError
from quancheng.identity.roles import Permission
from quancheng.web.i18n import N_
from quancheng.web.render import FormDep, Web, WebDep

router = APIRouter(default_response_class=HTMLResponse, include_in_schema=False)

PREVIEW_ROWS = 50
# Row errors a failed load's page lists; the error report has them all.
PROBLEMS_SHOWN = 20
# Loads the data page lists to those who may load.
RECENT_JOBS = 5
DOWNLOADS = ("csv", "xlsx", "json", "ndjson", "parquet")
JOB_STATUS = {
    "queued": N_("Queued"),
    "running": N_("Loading"),
    "succeeded": N_("Loaded"),
    "unchanged": N_("Unchanged: identical to the current version"),
    "failed": N_("Failed"),
}
# Why the preview is not shown, in the page's language, by the refusal's code.
REFUSALS = {
    "not_authenticated": N_("Log in to read this data."),
    "data_not_granted": N_("This data is not shared with you."),
    "grant_expired": N_("Your department's grant for this data has expired."),
    "grant_revoked": N_("Your department's grant for this data was revoked."),
    "grant_withdrawn": N_("Your department's grant for this data was withdrawn."),
    "grant_not_started": N_("Your department's grant for this data has not started yet."),
    "grant_filter_broken": N_(
        "The grant's row filter no longer matches the data; ask the providing department to "
        "renew it."
    ),
    "quota_exceeded": N_("Today's calls under your department's grant are used up."),
}
# A refusal of the filters in the address names the column or value: its text is kept.
FILTER_REFUSED = N_("The preview cannot be shown with these filters:")
# Refusals after which the viewer's department can ask for the data (again).
MAY_APPLY = frozenset({"data_not_granted", "grant_expired", "grant_revoked", "grant_withdrawn"})
# A failed load in the steward's language, by the job's error code.
JOB_ERRORS = {
    "invalid_rows": N_(
        "%(count)s problems were found in the rows; download the error report, correct the "
        "file and upload it again."
    ),
    "required_column_missing": N_("Required data items have no column in the file."),
    "bad_encoding": N_(
        "The text encoding of the file could not be read; save it as UTF-8 or GB18030 and "
        "upload it again."
    ),
    "empty_file": N_("The file is empty."),
    "no_rows": N_("The file has a header but no data rows."),
    "ragged_rows": N_(
        "A row has a different number of cells than the header; every row must have as many."
    ),
    "line_too_long": N_("A field of the file is too long to be read."),
    "corrupt_file": N_("The file is damaged or not in the format its name says."),
    "unknown_format": N_(
        "The file is in no supported format: CSV, TSV, XLSX, XLS, ODS, JSON, NDJSON or Parquet."
    ),
    "zip_bomb": N_("The workbook expands to an unreasonable size."),
    "sheet_not_found": N_("The workbook has no such sheet."),
    "cast_failed": N_("A column's values do not all fit its data type."),
    "interrupted": N_("The load was interrupted; the previous version is still current."),
    "load_failed": N_("The load failed; the previous version is still current."),
}
# Failures whose own text names where the file went wrong (a row, a column, a sheet).
DETAILED = frozenset({"ragged_rows", "corrupt_file", "cast_failed", "sheet_not_found"})
FRESHNESS = {
    "on_time": N_("Updated on time"),
    "late": N_("Update overdue"),
    "no_data": N_("No data yet"),
}


@router.get("/catalog/{entry_id}/data")
def data_page(entry_id: int, web: WebDep) -> Response:
    """Preview the rows (filters from the query string), the dictionary and the downloads."""
    datastore = web.services.datastore
    info = datastore.dataset(web.principal, entry_id)
    entry = web.services.catalog.get(web.principal, entry_id)
    can_load = web.principal.can(Permission.DATA_WRITE, department_id=info.department_id)
    preview: RowsResult | None = None
    refusal: PlatformError | None = None
    query = [(k, v) for k, v in web.request.query_params.multi_items() if k != "_limit"]
    if info.current is not None:
        try:
            preview = web.services.reads.rows(
                web.principal, entry_id, [*query, ("_limit", str(PREVIEW_ROWS))], total=True
            )
        except PlatformError as error:
            if error.status >= 500:
                raise
            refusal = error
    reason, detail = "", ""
    if refusal is not None:
        msgid = REFUSALS.get(refusal.code)
        reason = web.gettext(msgid or FILTER_REFUSED)
        detail = "" if msgid else refusal.message
    p = web.principal
    may_apply = (
        refusal is not None
        and refusal.code in MAY_APPLY
        and p.department_id is not None
        and p.can(Permission.SHARING_REQUEST)
    )
    return web.page(
        "data.html",
        entry=entry,
        info=info,
        preview=preview,
        refusal=refusal,
        refusal_reason=reason,
        refusal_detail=detail,
        apply_url=f"/sharing/new?dataset={entry.id}" if may_apply else "",
        freshness=web.gettext(FRESHNESS[info.freshness().value]),
        can_load=can_load,
        versions=datastore.versions(web.principal, entry_id) if can_load else [],
        jobs=_recent_jobs(web, entry_id) if can_load else [],
        downloads=DOWNLOADS,
        filters=[(k, v) for k, v in query if not k.startswith("_")],
        base_url=str(web.request.base_url).rstrip("/"),
    )


@router.post("/catalog/{entry_id}/data/upload")
async def upload(entry_id: int, web: WebDep, form: FormDep) -> Response:
    """Take a file from the steward's form and start loading it as the next version."""
    datastore = web.services.datastore
    info = await run_in_threadpool(datastore.dataset, web.principal, entry_id)
    web.principal.require(Permission.DATA_WRITE, department_id=info.department_id)
    file = form.get("file")
    if not isinstance(file, UploadFile) or not file.filename:
        raise BadRequest("choose a file to upload", code="no_file")
    name = Path(file.filename).name
    settings = web.services.settings
    path = await run_in_threadpool(
        spool_file, file.file, name, settings.data_dir / "uploads", settings.upload_max_bytes
    )
    try:
        job = await run_in_threadpool(
            datastore.start_load, web.principal, entry_id, source_name=name
        )
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    datastore.submit(job, path, delete_after=True)
    return web.redirect(f"/catalog/{entry_id}/data/jobs/{job.id}")


@router.get("/catalog/{entry_id}/data/jobs/{job_id}")
def job_page(entry_id: int, job_id: int, web: WebDep) -> Response:
    """A load's progress; htmx polls the status box until the job is done."""
    job = web.services.datastore.job(web.principal, entry_id, job_id)
    outcome, detail = _outcome(web, job)
    context: dict[str, Any] = {
        "entry_id": entry_id,
        "job": job,
        "status_label": web.gettext(JOB_STATUS[job.status.value]),
        "percent": _percent(job),
        "outcome": outcome,
        "detail": detail,
        "problems": _problems(web, entry_id, job),
    }
    if web.is_htmx:
        return web.fragment("data_job_status.html", **context)
    entry = web.services.catalog.get(web.principal, entry_id)
    return web.page("data_job.html", entry=entry, **context)


@router.post("/catalog/{entry_id}/data/versions/{number}/activate")
def activate(entry_id: int, number: int, web: WebDep, form: FormDep) -> Response:
    """Make a stored version current again."""
    del form  # checked for its CSRF token
    web.services.datastore.rollback(web.principal, entry_id, number)
    return web.redirect(f"/catalog/{entry_id}/data", flash="rolled_back")


@dataclass(frozen=True)
class RecentJob:
    """A load as the data page lists it: its status and, if it failed, why."""

    job: JobInfo
    status_label: str
    outcome: str
    detail: str


def _recent_jobs(web: Web, entry_id: int) -> list[RecentJob]:
    jobs = web.services.datastore.jobs(web.principal, entry_id, limit=RECENT_JOBS)
    return [
        RecentJob(job, web.gettext(JOB_STATUS[job.status.value]), *_outcome(web, job))
        for job in jobs
    ]


@dataclass(frozen=True)
class Problem:
    """A row error as the job page lists it, its reason in the page's language."""

    row: int
    column: str
    value: str | None
    reason: str


def _problems(web: Web, entry_id: int, job: JobInfo) -> list[Problem]:
    """The first row errors of a finished load."""
    if not job.done or not job.error_count:
        return []
    errors = web.services.datastore.job_errors(
        web.principal, entry_id, job.id, limit=PROBLEMS_SHOWN
    )
    # The report's reasons are in English and Chinese; the Chinese one is validate's own.
    chinese = web.locale == "zh_CN"
    return [
        Problem(e.row, e.column, e.value, reason_zh(e.reason) if chinese else e.reason)
        for e in errors
    ]


def _percent(job: JobInfo) -> int:
    if job.done:
        return 100
    if not job.bytes_total:
        return 0
    return min(99, int(job.bytes_read * 100 / job.bytes_total))


def _outcome(web: Web, job: JobInfo) -> tuple[str, str]:
    """Why a load failed, translated, and the service's own words when they add something."""
    if job.status is not JobStatus.FAILED:
        return "", ""  # the status and the rows read say it all
    msgid = JOB_ERRORS.get(job.error_code or "")
    if msgid is None:
        return job.message, ""
    text = web.gettext(msgid) % {"count": f"{job.error_count:,}"}
    return text, job.message if job.error_code in DETAILED else ""
