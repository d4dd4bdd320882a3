"""The steward's workspace: the department's entries in every state, the editor, the lifecycle."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter
from fastapi.responses import HTMLResponse
from starlette.datastructures import FormData
from starlette.responses import Response

from quancheng.catalog.model import EntryStatus
from quancheng.catalog.service import SearchQuery
from quancheng.db.models import CatalogEntry
from quancheng.errors import InvalidTransition, ValidationFailed
from quancheng.identity.roles import Permission, Principal
from quancheng.web.catalog_pages import entry_actions
from quancheng.web.editor import (
    CHOICE_FIELDS,
    ITEM_CHOICES,
    EditorForm,
    blank_item,
    classification_groups,
)
from quancheng.web.listing import PAGE_SIZE, Listing
from quancheng.web.render import FormDep, Web, WebDep

router = APIRouter(default_response_class=HTMLResponse, include_in_schema=False)

STATUS_TABS = ("all", *(s.value for s in EntryStatus))


@router.get("/workspace")
def workspace(
    web: WebDep, status: str = "all", q: str = "", department: str = "", offset: int = 0
) -> Response:
    """My department's entries in every state (every department's for the platform)."""
    p = web.principal
    p.require(Permission.CATALOG_READ_DRAFTS)
    if status not in STATUS_TABS:
        status = "all"
    scope = (department or None) if p.is_platform_admin else str(p.department_id)

    def query(state: str, *, limit: int = 1, start: int = 0) -> SearchQuery:
        return SearchQuery(
            q=q.strip(), department=scope, status=state, sort="updated", limit=limit, offset=start
        )

    catalog = web.services.catalog
    counts = {s: catalog.search(p, query(s)).total for s in STATUS_TABS}
    result = catalog.search(p, query(status, limit=PAGE_SIZE, start=max(offset, 0)))
    listing = Listing.of(
        "/workspace",
        {
            "status": None if status == "all" else status,
            "q": q.strip(),
            "department": department if p.is_platform_admin else None,
            "offset": max(offset, 0),
        },
    )
    return web.page(
        "workspace.html",
        current_status=status,
        tabs=[(s, counts[s], listing.url(status=None if s == "all" else s)) for s in STATUS_TABS],
        q=q.strip(),
        result=result,
        rows=[(e, entry_actions(web, e)) for e in result.items],
        paging=listing.pages(result.total, max(offset, 0)),
        departments=web.services.identity.list_departments() if p.is_platform_admin else [],
        department=department,
    )


def _editor(
    web: Web,
    form: EditorForm,
    *,
    entry: CatalogEntry | None,
    status: int = 200,
    extra_rows: int = 0,
) -> Response:
    p = web.principal
    provider = entry.department if entry else None
    if provider is None and p.department_id is not None:
        provider = web.services.identity.get_department(p.department_id)
    return web.page(
        "editor.html",
        status=status,
        form=form,
        rows=form.rows(extra_rows),
        entry=entry,
        choices=CHOICE_FIELDS,
        item_choices=ITEM_CHOICES,
        blank_item=blank_item(),
        classifications=classification_groups(
            web.services.catalog.classifications(), english=web.english
        ),
        departments=web.services.identity.list_departments()
        if p.is_platform_admin and entry is None
        else [],
        provider_name=web.name_of(provider) if provider else "—",
        action=f"/workspace/{entry.id}/edit" if entry else "/workspace/new",
    )


@router.get("/workspace/new")
def new_entry(web: WebDep) -> Response:
    """The editor for a new entry."""
    web.principal.require(Permission.CATALOG_WRITE)
    return _editor(web, EditorForm.empty(), entry=None)


@router.post("/workspace/new")
def create_entry(web: WebDep, form: FormDep) -> Response:
    """Save a new draft; invalid input comes back with each field's message (422)."""
    p = web.principal
    posted = EditorForm.of_post(form)
    if form.get("add_row"):
        p.require(Permission.CATALOG_WRITE)
        return _editor(web, posted, entry=None, extra_rows=1)
    department: int | str = posted.department if p.is_platform_admin else p.department_id or ""
    try:
        entry = web.services.catalog.create(p, department=department, fields=posted.fields())
    except ValidationFailed as exc:
        return _editor(web, posted.with_errors(exc), entry=None, status=422)
    return web.redirect(f"/catalog/{entry.id}", flash="created")


def _editable(web: Web, entry_id: int) -> CatalogEntry:
    """The entry if this viewer may edit it now; the same checks as the service's update."""
    p = web.principal
    entry = web.services.catalog.get(p, entry_id)
    p.require(Permission.CATALOG_WRITE, department_id=entry.department_id)
    if entry.status == EntryStatus.PUBLISHED:
        p.require(Permission.CATALOG_PUBLISH, department_id=entry.department_id)
    elif entry.status == EntryStatus.OFFLINE:
        raise InvalidTransition("an offline entry must be returned to draft to be edited")
    return entry


@router.get("/workspace/{entry_id}/edit")
def edit_entry(entry_id: int, web: WebDep) -> Response:
    """The editor with an entry's current metadata."""
    entry = _editable(web, entry_id)
    return _editor(web, EditorForm.of_entry(entry), entry=entry)


@router.post("/workspace/{entry_id}/edit")
def save_entry(entry_id: int, web: WebDep, form: FormDep) -> Response:
    """Save an edit (a published entry gets a new version at once)."""
    entry = _editable(web, entry_id)
    posted = EditorForm.of_post(form)
    if form.get("add_row"):
        return _editor(web, posted, entry=entry, extra_rows=1)
    try:
        web.services.catalog.update(web.principal, entry_id, posted.fields())
    except ValidationFailed as exc:
        return _editor(web, posted.with_errors(exc), entry=entry, status=422)
    return web.redirect(f"/catalog/{entry_id}", flash="saved")


def _step(
    web: Web,
    entry_id: int,
    flash: str,
    step: Callable[[Principal, int], object],
) -> Response:
    step(web.principal, entry_id)
    return web.redirect(f"/catalog/{entry_id}", flash=flash)


def _reason(form: FormData) -> str:
    value = form.get("reason")
    return value.strip() if isinstance(value, str) else ""


@router.post("/workspace/{entry_id}/submit")
def submit_entry(entry_id: int, web: WebDep, form: FormDep) -> Response:
    """Draft → awaiting review."""
    return _step(web, entry_id, "submitted", web.services.catalog.submit)


@router.post("/workspace/{entry_id}/publish")
def publish_entry(entry_id: int, web: WebDep, form: FormDep) -> Response:
    """Awaiting review → published, as a new version."""
    return _step(web, entry_id, "published", web.services.catalog.publish)


@router.post("/workspace/{entry_id}/return")
def return_entry(entry_id: int, web: WebDep, form: FormDep) -> Response:
    """Back to draft, with the reviewer's reason."""
    reason = _reason(form)
    return _step(
        web,
        entry_id,
        "returned",
        lambda p, n: web.services.catalog.return_to_draft(p, n, reason),
    )


@router.post("/workspace/{entry_id}/offline")
def offline_entry(entry_id: int, web: WebDep, form: FormDep) -> Response:
    """Take a published entry offline, with the reason."""
    reason = _reason(form)
    return _step(
        web, entry_id, "offline", lambda p, n: web.services.catalog.take_offline(p, n, reason)
    )
