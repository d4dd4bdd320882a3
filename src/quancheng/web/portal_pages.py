"""The public open-data portal: home, search with facets, entry pages, departments, developers."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse
from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.sql import Subquery
from starlette.responses import Response

from quancheng.api.ckan import ACTIONS as CKAN_ACTIONS
from quancheng.catalog.model import PORTAL_OPEN_TYPES, EntryStatus, OpenType
from quancheng.datastore import export
from quancheng.datastore.freshness import due_at
from quancheng.datastore.reads import RowsResult
from quancheng.datastore.schema import ColumnType
from quancheng.db.models import (
    CatalogEntry,
    Classification,
    Dataset,
    DataVersion,
    Department,
    PortalUsage,
)
from quancheng.errors import NotFound, PlatformError
from quancheng.identity.roles import Principal
from quancheng.identity.service import find_department
from quancheng.opendata.ckan import LICENSE_OF, LICENSES, slug
from quancheng.opendata.dcat import RDF_FORMATS
from quancheng.opendata.quickchart import default_category
from quancheng.web import labels
from quancheng.web.i18n import N_
from quancheng.web.interaction_pages import KINDS as REUSE_KIND_LABELS
from quancheng.web.listing import PAGE_SIZE, Listing
from quancheng.web.render import Web, WebDep

router = APIRouter(default_response_class=HTMLResponse, include_in_schema=False)

# Open data is public by law whether or not the internal catalog is: every portal read is
# made as a visitor who may see published entries and nothing else.
PUBLIC = Principal.anonymous(public_catalog=True)
PREVIEW_ROWS = 20
USAGE_DAYS = 30
LATEST = 6
SORTS: dict[str, str] = {
    "relevance": N_("Relevance"),
    "updated": N_("Recently updated"),
    "used": N_("Most used"),
}
FACETS: dict[str, str] = {
    "department": N_("Provider department"),
    "classification": N_("Classification"),
    "open_type": N_("Open attribute"),
    "update_cycle": N_("Update cycle"),
    "format": N_("Resource format"),
}
CHART_TYPES: dict[str, str] = {"bar": N_("Bar"), "line": N_("Line"), "pie": N_("Pie")}
AGGREGATES: dict[str, str] = {"count": N_("Count"), "sum": N_("Sum"), "avg": N_("Average")}
FRESHNESS: dict[str, str] = {
    "on_time": N_("Updated on time"),
    "late": N_("Update overdue"),
    "no_data": N_("No data loaded yet"),
}
_NUMERIC = frozenset({ColumnType.INTEGER, ColumnType.DOUBLE})
# The data dictionary names a column's type in the reader's language; the API name stays in
# the cell's data-type attribute.
COLUMN_TYPES: dict[str, str] = {
    ColumnType.TEXT.value: N_("Text"),
    ColumnType.INTEGER.value: N_("Whole number"),
    ColumnType.DOUBLE.value: N_("Decimal number"),
    ColumnType.BOOLEAN.value: N_("Yes or no"),
    ColumnType.DATE.value: N_("Date"),
    ColumnType.TIMESTAMP.value: N_("Date and time"),
}
_MAX_Q = 200


@dataclass(frozen=True)
class Facet:
    """One value of a facet as the sidebar shows it."""

    label: str
    count: int
    url: str
    selected: bool


@dataclass
class Found:
    """A page of open entries, the total that matched, and the sidebar's facets."""

    items: list[CatalogEntry]
    total: int
    facets: dict[str, list[Facet]] = field(default_factory=dict)


def _public() -> list[ColumnElement[bool]]:
    return [
        CatalogEntry.status == EntryStatus.PUBLISHED.value,
        CatalogEntry.open_type.in_(PORTAL_OPEN_TYPES),
    ]


def _since(web: Web) -> str:
    """The first day counted, in the city's days as the usage counters record them."""
    return (web.services.usage.today() - timedelta(days=USAGE_DAYS)).isoformat()


def _usage(web: Web, s: Session, entry_ids: Sequence[int] | None = None) -> dict[int, int]:
    """Views, downloads and API calls per entry over the last USAGE_DAYS days."""
    total = func.sum(PortalUsage.views + PortalUsage.downloads + PortalUsage.api_calls)
    query = select(PortalUsage.entry_id, total).where(PortalUsage.day >= _since(web))
    if entry_ids is not None:
        query = query.where(PortalUsage.entry_id.in_(list(entry_ids)))
    return {row[0]: int(row[1] or 0) for row in s.execute(query.group_by(PortalUsage.entry_id))}


def _loaded(s: Session, entry_ids: Sequence[int]) -> dict[int, DataVersion]:
    """The current data version of each entry that has data."""
    rows = s.execute(
        select(Dataset.entry_id, DataVersion)
        .join(DataVersion, DataVersion.id == Dataset.current_version_id)
        .where(Dataset.entry_id.in_(list(entry_ids)))
    )
    return {row[0]: row[1] for row in rows}


def _entries(s: Session, ids: Sequence[int]) -> list[CatalogEntry]:
    found = {
        e.id: e
        for e in s.scalars(
            select(CatalogEntry)
            .where(CatalogEntry.id.in_(list(ids)))
            .options(
                selectinload(CatalogEntry.department), selectinload(CatalogEntry.classification)
            )
        )
    }
    return [found[i] for i in ids if i in found]


def search(
    web: Web, q: str, filters: dict[str, str | None], sort: str, offset: int, listing: Listing
) -> Found:
    """Open entries matching words and facet filters, one page, with facet counts."""
    conditions = _public()
    with web.services.db.reader() as s:
        if filters.get("department"):
            dept = find_department(s, str(filters["department"]))
            if dept is None:
                return Found(items=[], total=0, facets={f: [] for f in FACETS})
            conditions.append(CatalogEntry.department_id == dept.id)
        if filters.get("classification"):
            code = str(filters["classification"])
            conditions.append(CatalogEntry.classification_code.startswith(code))
        for name in ("open_type", "update_cycle", "format"):
            if filters.get(name):
                conditions.append(getattr(CatalogEntry, name) == filters[name])
        # Words are matched once: joined into each query, SQLite re-ran the match per row.
        scores: dict[int, float] | None = None
        matches = web.services.catalog.search_index.matches(q) if q else None
        if matches is not None:
            scores = {row.entry_id: row.score for row in s.execute(select(matches))}
            conditions.append(CatalogEntry.id.in_(list(scores)))

        def hits(*columns: Any) -> Select[Any]:
            return select(*columns).select_from(CatalogEntry).where(*conditions)

        # Counting, sorting, paging and the facets all happen in SQL: only one page is loaded.
        total = s.scalar(hits(func.count(CatalogEntry.id))) or 0
        order: list[Any] = [CatalogEntry.updated_at.desc(), CatalogEntry.id]
        query = hits(CatalogEntry.id)
        if sort == "used":
            used = _used(web)
            query = query.outerjoin(used, used.c.entry_id == CatalogEntry.id)
            order = [func.coalesce(used.c.used, 0).desc(), *order]
        if sort == "relevance" and scores is not None:
            found = list(s.execute(hits(CatalogEntry.id, CatalogEntry.updated_at)))
            found.sort(key=lambda h: (-scores[h.id], -h.updated_at.timestamp(), h.id))
            page = [h.id for h in found[offset : offset + PAGE_SIZE]]
        else:
            page = list(s.scalars(query.order_by(*order).offset(offset).limit(PAGE_SIZE)))
        items = _entries(s, page) if page and offset < total else []
        facets = _facets(web, s, hits, listing)
    return Found(items=items, total=total, facets=facets)


def _used(web: Web) -> Subquery:
    """Views, downloads and API calls per entry (`entry_id`, `used`) over USAGE_DAYS days."""
    total = func.sum(PortalUsage.views + PortalUsage.downloads + PortalUsage.api_calls)
    return (
        select(PortalUsage.entry_id, total.label("used"))
        .where(PortalUsage.day >= _since(web))
        .group_by(PortalUsage.entry_id)
        .subquery("used")
    )


def _facets(
    web: Web, s: Session, hits: Callable[..., Select[Any]], listing: Listing
) -> dict[str, list[Facet]]:
    def option(name: str, value: str, label: str, count: int) -> Facet:
        selected = listing.get(name) == value
        return Facet(label or value, count, listing.toggle(name, value), selected)

    def counts(column: Any) -> dict[Any, int]:
        rows = s.execute(hits(column, func.count(CatalogEntry.id)).group_by(column))
        return {row[0]: int(row[1]) for row in rows}

    facets: dict[str, list[Facet]] = {}
    by_dept = counts(CatalogEntry.department_id)
    depts = {d.id: d for d in s.scalars(select(Department).where(Department.id.in_(by_dept)))}
    facets["department"] = [
        option("department", depts[i].key, _dept_name(web, depts[i]), n)
        for i, n in sorted(by_dept.items(), key=lambda kv: (-kv[1], kv[0]))
        if i in depts
    ]
    by_class = counts(func.substr(CatalogEntry.classification_code, 1, 3))
    names = {
        c.code: c
        for c in s.scalars(select(Classification).where(Classification.code.in_(by_class)))
    }
    facets["classification"] = [
        option("classification", code, web.name_of(names[code]) if code in names else code, n)
        for code, n in sorted(by_class.items(), key=lambda kv: (-kv[1], kv[0]))
    ]
    for name in ("open_type", "update_cycle", "format"):
        by_value = counts(getattr(CatalogEntry, name))
        facets[name] = [
            option(name, v, web.value_label(name, v), by_value[v]) for v in sorted(by_value)
        ]
    return facets


def _dept_name(web: Web, dept: Department) -> str:
    return dept.name_en if web.english and dept.name_en else dept.short_name


def _base(web: Web) -> str:
    return str(web.request.base_url).rstrip("/")


def open_entry(web: Web, entry_id: int) -> CatalogEntry:
    """A published open or conditional entry; anything else is the same 404 as a missing one."""
    try:
        entry = web.services.catalog.get(PUBLIC, entry_id)
    except NotFound:
        entry = None
    if entry is None or entry.open_type not in PORTAL_OPEN_TYPES:
        raise NotFound(f"no open data set {entry_id}", details={"id": str(entry_id)})
    return entry


def figures(web: Web, department_id: int | None = None) -> dict[str, int]:
    """Open entries, publishing departments, rows available, downloads and API calls."""
    conditions = _public()
    if department_id is not None:
        conditions.append(CatalogEntry.department_id == department_id)
    with web.services.db.reader() as s:
        entries = s.scalar(select(func.count(CatalogEntry.id)).where(*conditions)) or 0
        departments = (
            s.scalar(
                select(func.count(func.distinct(CatalogEntry.department_id))).where(*conditions)
            )
            or 0
        )
        rows = (
            s.scalar(
                select(func.sum(DataVersion.row_count))
                .join(Dataset, Dataset.current_version_id == DataVersion.id)
                .join(CatalogEntry, CatalogEntry.id == Dataset.entry_id)
                .where(*conditions)
            )
            or 0
        )
        usage = s.execute(
            select(
                func.sum(PortalUsage.views),
                func.sum(PortalUsage.downloads),
                func.sum(PortalUsage.api_calls),
            )
            .join(CatalogEntry, CatalogEntry.id == PortalUsage.entry_id)
            .where(*conditions)
        ).one()
    return {
        "entries": int(entries),
        "departments": int(departments),
        "rows": int(rows),
        "views": int(usage[0] or 0),
        "downloads": int(usage[1] or 0),
        "api_calls": int(usage[2] or 0),
    }


@router.get("/open")
def portal_home(web: WebDep) -> Response:
    """The portal's front page: figures, search, topics, latest and most used open data."""
    with web.services.db.reader() as s:
        codes = list(s.scalars(select(CatalogEntry.classification_code).where(*_public())))
        classes = list(
            s.scalars(
                select(Classification)
                .where(Classification.level.in_((1, 2)))
                .order_by(Classification.code)
            )
        )
        latest_ids = list(
            s.scalars(
                select(CatalogEntry.id)
                .where(*_public())
                .order_by(CatalogEntry.updated_at.desc(), CatalogEntry.id)
                .limit(LATEST)
            )
        )
        latest = _entries(s, latest_ids)
        public_ids = set(s.scalars(select(CatalogEntry.id).where(*_public())))
        used = {i: n for i, n in _usage(web, s).items() if i in public_ids and n > 0}
        top = sorted(used, key=lambda i: (-used[i], i))[:LATEST]
        popular = [(e, used[e.id]) for e in _entries(s, top)]
    counts = Counter(c[:1] for c in codes) + Counter(c[:3] for c in codes)
    topics = []
    for c in classes:
        if c.level == 1 and counts.get(c.code):
            children = [
                (k, counts[k.code])
                for k in classes
                if k.level == 2 and k.parent_code == c.code and counts.get(k.code)
            ]
            topics.append((c, counts[c.code], children))
    return web.page(
        "portal_home.html",
        figures=figures(web),
        topics=topics,
        latest=latest,
        popular=popular,
    )


@router.get("/open/datasets")
def portal_datasets(
    web: WebDep,
    q: str = "",
    department: str | None = None,
    classification: str | None = None,
    open_type: str | None = None,
    update_cycle: str | None = None,
    format: str | None = None,
    sort: str = "relevance",
    offset: int = 0,
) -> Response:
    """Search open data with facets, paged and sorted by relevance, update or use."""
    q = q.strip()[:_MAX_Q]
    sort = sort if sort in SORTS else "relevance"
    offset = max(offset, 0)
    filters = {
        "department": department or None,
        "classification": classification or None,
        "open_type": open_type or None,
        "update_cycle": update_cycle or None,
        "format": format or None,
    }
    listing = Listing.of(
        "/open/datasets",
        {"q": q, **filters, "sort": None if sort == "relevance" else sort, "offset": offset},
    )
    found = search(web, q, filters, sort, offset, listing)
    active = []
    for name, value in filters.items():
        if value:
            shown = next((f.label for f in found.facets.get(name, []) if f.selected), value)
            active.append((web.gettext(FACETS[name]), shown, listing.url(**{name: None})))
    return web.page(
        "portal_datasets.html",
        q=q,
        sort=sort,
        sorts=SORTS,
        facet_names=FACETS,
        found=found,
        active=active,
        filters={k: v for k, v in filters.items() if v},
        listing=listing,
        paging=listing.pages(found.total, offset),
        loaded=_loaded_of(web, [e.id for e in found.items]),
    )


def _loaded_of(web: Web, ids: Sequence[int]) -> dict[int, DataVersion]:
    if not ids:
        return {}
    with web.services.db.reader() as s:
        return _loaded(s, ids)


@router.get("/open/datasets/{entry_id}")
def portal_dataset(entry_id: int, web: WebDep) -> Response:
    """An open entry: metadata, dictionary, preview, chart builder, downloads and API examples."""
    entry = open_entry(web, entry_id)
    web.services.usage.count(entry.id, "view")
    info = web.services.datastore.dataset(PUBLIC, entry.id)
    current = info.current
    is_open = entry.open_type == OpenType.OPEN.value
    preview = None
    if is_open and current is not None:
        try:
            preview = web.services.reads.rows(
                PUBLIC, entry.id, [("_limit", str(PREVIEW_ROWS))], total=True
            )
        except PlatformError:
            preview = None  # the dictionary and downloads still tell what the data is
    columns = preview.columns if preview else (current.schema.columns if current else ())
    versions = web.services.datastore.versions(PUBLIC, entry.id) if current else []
    history = web.services.catalog.versions(PUBLIC, entry.id)
    base = _base(web)
    licence = next((x for x in LICENSES if x["id"] == LICENSE_OF.get(entry.open_type)), None)
    chart = {
        "rows_url": f"/api/v1/datasets/{entry.id}/rows",
        "columns": [{"name": c.name, "label": c.label} for c in columns],
        "numeric": [{"name": c.name, "label": c.label} for c in columns if c.type in _NUMERIC],
        # Drawn as the page loads: counts per category, when the preview shows one that repeats.
        "default_group": default_category(preview.columns, preview.page.rows) if preview else None,
        "hint": web.gettext("Choose a category column and press Draw."),
        "series": web.gettext("Value"),
        "empty": web.gettext("No rows to draw."),
        "failed": web.gettext("The chart could not be drawn."),
    }
    return web.page(
        "portal_dataset.html",
        entry=entry,
        info=info,
        is_open=is_open,
        preview=preview,
        columns=columns,
        versions=versions,
        history=history,
        freshness=info.freshness().value,
        freshness_labels=FRESHNESS,
        due=due_at(entry.update_cycle, current.created_at) if current else None,
        formats=list(export.MEDIA_TYPES) if is_open and current else [],
        rdf_formats=list(RDF_FORMATS),
        licence=licence,
        base=base,
        examples=examples(base, entry, info.table, columns, _first_value(preview)),
        chart=chart,
        chart_types=CHART_TYPES,
        aggregates=AGGREGATES,
        item_fields=labels.ITEM_FIELDS,
        column_types=COLUMN_TYPES,
        reuses=web.services.interaction.reuses_for_entry(entry.id),
        reuse_kinds={kind: web.gettext(text) for kind, text in REUSE_KIND_LABELS.items()},
    )


def _first_value(preview: RowsResult | None) -> str:
    """A value of the first column, so the filter example finds rows."""
    if preview is None or not preview.page.rows or preview.page.rows[0][0] is None:
        return "..."
    return str(preview.page.rows[0][0])


def examples(
    base: str, entry: CatalogEntry | None, table: str, columns: Sequence[Any], value: str = "..."
) -> dict[str, str]:
    """Ready-to-copy calls of the rows API, CKAN and SQL with this entry's ids filled in."""
    entry_id = str(entry.id) if entry else "{id}"
    name = slug(entry.code) if entry else "{name}"
    rows = f"{base}/api/v1/datasets/{entry_id}/rows"
    first = columns[0].name if columns else "column"
    # Example text shown to the reader, never executed here.
    sql = f"SELECT * FROM {table or 'table'} LIMIT 10"  # noqa: S608
    return {
        "curl": f'curl "{rows}?_limit=10"',
        "curl_filter": (
            f'curl -G "{rows}" --data-urlencode "{first}={value}" --data-urlencode "_limit=10"'
        ),
        "python": (
            "import httpx\n\n"
            f'response = httpx.get("{rows}", params={{"_limit": 10}})\n'
            "response.raise_for_status()\n"
            'for row in response.json()["rows"]:\n'
            "    print(row)"
        ),
        "group": f'curl "{rows}?_group_by={first}&_agg=count"',
        "ckan": (
            f'curl "{base}/api/3/action/datastore_search?resource_id={table}&limit=5"'
            if table
            else f'curl "{base}/api/3/action/package_show?id={name}"'
        ),
        "package": f'curl "{base}/api/3/action/package_show?id={name}"',
        "sql": (
            f"curl -X POST \"{base}/api/v1/sql\" -H 'Content-Type: application/json' "
            f'-d \'{{"sql": "{sql}"}}\''
        ),
    }


@router.get("/open/departments")
def portal_departments(web: WebDep) -> Response:
    """Departments that publish open data, with how many open entries each has."""
    with web.services.db.reader() as s:
        rows = s.execute(
            select(Department, func.count(CatalogEntry.id))
            .join(CatalogEntry, CatalogEntry.department_id == Department.id)
            .where(*_public())
            .group_by(Department.id)
            .order_by(func.count(CatalogEntry.id).desc(), Department.key)
        ).all()
        departments = [(row[0], int(row[1])) for row in rows]
    return web.page("portal_departments.html", departments=departments)


@router.get("/open/departments/{key}")
def portal_department(key: str, web: WebDep, offset: int = 0) -> Response:
    """A department's open entries and its open-data figures."""
    dept = web.services.identity.get_department(key)
    offset = max(offset, 0)
    with web.services.db.reader() as s:
        ids = list(
            s.scalars(
                select(CatalogEntry.id)
                .where(*_public(), CatalogEntry.department_id == dept.id)
                .order_by(CatalogEntry.updated_at.desc(), CatalogEntry.id)
            )
        )
        items = _entries(s, ids[offset : offset + PAGE_SIZE])
        loaded = _loaded(s, [e.id for e in items])
    listing = Listing.of(f"/open/departments/{dept.key}", {"offset": offset})
    return web.page(
        "portal_department.html",
        dept=dept,
        figures=figures(web, dept.id),
        items=items,
        loaded=loaded,
        paging=listing.pages(len(ids), offset),
    )


@router.get("/open/developers")
def portal_developers(web: WebDep) -> Response:
    """How to use the open data APIs, with examples against a real open entry."""
    with web.services.db.reader() as s:
        sample_id = s.scalar(
            select(CatalogEntry.id)
            .join(Dataset, Dataset.entry_id == CatalogEntry.id)
            .where(
                *_public(),
                CatalogEntry.open_type == OpenType.OPEN.value,
                Dataset.current_version_id.is_not(None),
            )
            .order_by(CatalogEntry.id)
            .limit(1)
        )
    base = _base(web)
    sample = None
    fallback = examples(base, None, "", ())
    if sample_id is not None:
        entry = web.services.catalog.get(PUBLIC, sample_id)
        info = web.services.datastore.dataset(PUBLIC, sample_id)
        columns = info.current.schema.columns if info.current else ()
        sample = (entry, examples(base, entry, info.table, columns), info.table)
    return web.page(
        "portal_developers.html",
        base=base,
        sample=sample,
        fallback=fallback,
        formats=list(export.MEDIA_TYPES),
        rdf_formats=list(RDF_FORMATS),
        ckan_actions=sorted(CKAN_ACTIONS),
    )
