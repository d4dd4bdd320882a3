"""Public pages of the catalog: the city's figures, search, an entry, the departments."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse
from starlette.responses import Response

from quancheng.catalog.model import EntryStatus
from quancheng.catalog.service import FACET_FIELDS, SearchQuery, SearchResult
from quancheng.db.models import CatalogEntry, CatalogVersion, Classification
from quancheng.identity.roles import Permission
from quancheng.web import labels
from quancheng.web.i18n import N_
from quancheng.web.listing import PAGE_SIZE, Listing
from quancheng.web.render import Web, WebDep

router = APIRouter(default_response_class=HTMLResponse, include_in_schema=False)

TOP_DEPARTMENTS = 15
FACET_SHOWN = 8


@router.get("/")
def home(web: WebDep) -> Response:
    """The city's catalog at a glance: figures, charts, search, latest entries."""
    web.principal.require(Permission.CATALOG_READ)
    stats = web.services.catalog.stats()
    latest = web.services.catalog.search(web.principal, SearchQuery(sort="updated", limit=6))
    return web.page("home.html", stats=stats, charts=_charts(web, stats), latest=latest.items)


def _charts(web: Web, stats: dict[str, Any]) -> dict[str, Any]:
    def name(row: dict[str, Any]) -> str:
        return str(row["name_en"] or row["name"]) if web.english else str(row["name"])

    departments = stats["by_department"][:TOP_DEPARTMENTS]
    mix = stats["sharing_mix"]
    return {
        "series": web.gettext("Datasets"),
        "departments": {
            "labels": [name(r) for r in departments],
            "values": [r["datasets"] for r in departments],
            "links": [f"/catalog?department={r['department']}" for r in departments],
        },
        "classes": {
            "labels": [name(r) for r in stats["by_classification"]],
            "values": [r["datasets"] for r in stats["by_classification"]],
            "links": [
                f"/catalog?classification={r['classification']}" for r in stats["by_classification"]
            ],
        },
        "sharing": {
            "labels": [web.value_label("sharing_type", k) for k in mix],
            "values": list(mix.values()),
            "links": [f"/catalog?sharing_type={k}" for k in mix],
        },
    }


@dataclass(frozen=True)
class FacetOption:
    """One value of a facet as the sidebar shows it."""

    label: str
    count: int
    url: str
    selected: bool


@dataclass(frozen=True)
class ActiveFilter:
    """A filter in force, with the link that removes it."""

    facet: str
    label: str
    remove_url: str


def facet_view(
    web: Web, result: SearchResult, listing: Listing
) -> tuple[dict[str, list[FacetOption]], list[ActiveFilter]]:
    """The sidebar's facets (labelled, counted, linked) and the filters in force."""
    facets: dict[str, list[FacetOption]] = {}
    for field in FACET_FIELDS:
        options = []
        for f in result.facets.get(field, []):
            if field in ("department", "classification"):
                label = (f.label_en or f.label) if web.english else f.label
            else:
                label = web.value_label(field, f.value)
            selected = listing.get(field) == f.value
            options.append(
                FacetOption(label or f.value, f.count, listing.toggle(field, f.value), selected)
            )
        facets[field] = options
    active = []
    for field in FACET_FIELDS:
        value = listing.get(field)
        if value is None:
            continue
        shown = next((o.label for o in facets[field] if o.selected), value)
        active.append(
            ActiveFilter(web.gettext(labels.FACETS[field]), shown, listing.url(**{field: None}))
        )
    return facets, active


@router.get("/catalog")
def catalog(
    web: WebDep,
    q: str = "",
    department: str | None = None,
    classification: str | None = None,
    sharing_type: str | None = None,
    open_type: str | None = None,
    format: str | None = None,
    update_cycle: str | None = None,
    security_grade: str | None = None,
    offset: int = 0,
    sort: str = "relevance",
) -> Response:
    """Search the published catalog, with facets; htmx gets only the results region."""
    filters = {
        "department": department,
        "classification": classification,
        "sharing_type": sharing_type,
        "open_type": open_type,
        "format": format,
        "update_cycle": update_cycle,
        "security_grade": security_grade,
    }
    filters = {k: (v or None) for k, v in filters.items()}
    query = SearchQuery(
        q=q.strip(),
        department=filters["department"],
        classification=filters["classification"],
        sharing_type=filters["sharing_type"],
        open_type=filters["open_type"],
        format=filters["format"],
        update_cycle=filters["update_cycle"],
        security_grade=filters["security_grade"],
        sort=sort or "relevance",
        offset=max(offset, 0),
        limit=PAGE_SIZE,
    )
    result = web.services.catalog.search(web.principal, query)
    listing = Listing.of(
        "/catalog",
        {
            "q": query.q,
            **filters,
            "sort": None if query.sort == "relevance" else query.sort,
            "offset": query.offset,
        },
    )
    facets, active = facet_view(web, result, listing)
    context: dict[str, Any] = {
        "query": query,
        "result": result,
        "listing": listing,
        "facets": facets,
        "active": active,
        "paging": listing.pages(result.total, query.offset),
        "filters": {k: v for k, v in filters.items() if v},
    }
    if web.is_htmx:
        return web.fragment("catalog_results.html", **context, oob=True)
    return web.page("catalog.html", **context, oob=False)


@dataclass(frozen=True)
class DiffLine:
    """One change between two published versions, ready to read."""

    label: str
    change: str
    before: str
    after: str


@dataclass(frozen=True)
class Actions:
    """The lifecycle steps the viewer may take on an entry, and nothing more."""

    edit: bool
    submit: bool
    publish: bool
    send_back: bool
    offline: bool

    @property
    def any(self) -> bool:
        """Whether there is at least one."""
        return self.edit or self.submit or self.publish or self.send_back or self.offline


def entry_actions(web: Web, entry: CatalogEntry) -> Actions:
    """What the catalog service would let this viewer do to this entry in its state."""
    p = web.principal
    write = p.can(Permission.CATALOG_WRITE, department_id=entry.department_id)
    review = write and p.can(Permission.CATALOG_PUBLISH, department_id=entry.department_id)
    status = entry.status
    return Actions(
        edit=(write and status in (EntryStatus.DRAFT, EntryStatus.SUBMITTED))
        or (review and status == EntryStatus.PUBLISHED),
        submit=write and status == EntryStatus.DRAFT,
        publish=review and status == EntryStatus.SUBMITTED,
        send_back=review and status in (EntryStatus.SUBMITTED, EntryStatus.OFFLINE),
        offline=review and status == EntryStatus.PUBLISHED,
    )


def show_value(web: Web, field: str, value: Any) -> str:
    """A snapshot value as text: vocabulary translated, lists joined, items summarised."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, dict):
        parts = [str(value.get("name", "")), web.value_label("data_type", value.get("data_type"))]
        if value.get("length"):
            parts.append(str(value["length"]))
        return " · ".join(parts)
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    if field in labels.VALUES:
        return web.value_label(field, str(value))
    return str(value)


def diff_lines(web: Web, version: CatalogVersion) -> list[DiffLine]:
    """A version's diff in the page's language."""
    lines = []
    for change in version.diff:
        field = str(change.get("field", ""))
        kind = str(change.get("change", ""))
        if field == "*":
            lines.append(DiffLine(web.gettext(N_("First published version")), kind, "", ""))
            continue
        if field.startswith("data_items."):
            _, _, rest = field.partition(".")
            item, _, attr = rest.partition(".")
            what = web.gettext(labels.ITEM_FIELDS.get(attr, attr)) if attr else ""
            label = web.gettext(N_("Data item “%(name)s”")) % {"name": item}
            label += f" · {what}" if what else ""
            key = attr or "item"
        else:
            label = web.gettext(labels.FIELDS.get(field, field))
            key = field
        lines.append(
            DiffLine(
                label,
                kind,
                show_value(web, key, change.get("before")),
                show_value(web, key, change.get("after")),
            )
        )
    return lines


@router.get("/catalog/{entry_id}")
def entry_page(entry_id: int, web: WebDep) -> Response:
    """Every metadata field of an entry, its data items, versions and the viewer's actions."""
    entry = web.services.catalog.get(web.principal, entry_id)
    versions = web.services.catalog.versions(web.principal, entry_id)
    tree = {c.code: c for c in web.services.catalog.classifications()}
    path: list[Classification] = []
    code: str | None = entry.classification_code
    while code and code in tree:
        path.insert(0, tree[code])
        code = tree[code].parent_code
    return web.page(
        "entry.html",
        entry=entry,
        classification_path=path,
        versions=[(v, diff_lines(web, v)) for v in versions],
        actions=entry_actions(web, entry),
        # Stewards load data before publishing: the data page is their way to it.
        can_load=web.principal.can(Permission.DATA_WRITE, department_id=entry.department_id),
    )


@router.get("/departments")
def departments(web: WebDep) -> Response:
    """The city's providers grouped by kind, with how many published entries each has."""
    web.principal.require(Permission.CATALOG_READ)
    counts = {r["department"]: r["datasets"] for r in web.services.catalog.stats()["by_department"]}
    groups: dict[str, list[tuple[Any, int]]] = {k: [] for k in labels.VALUES["kind"]}
    for dept in web.services.identity.list_departments():
        groups.setdefault(dept.kind, []).append((dept, counts.get(dept.key, 0)))
    return web.page(
        "departments.html",
        groups=[(kind, rows, sum(n for _, n in rows)) for kind, rows in groups.items() if rows],
    )


@router.get("/departments/{key}")
def department_page(key: str, web: WebDep, offset: int = 0) -> Response:
    """A department's metadata and its published entries."""
    web.principal.require(Permission.CATALOG_READ)
    dept = web.services.identity.get_department(key)
    query = SearchQuery(
        department=dept.key,
        status=EntryStatus.PUBLISHED.value,
        sort="name",
        offset=max(offset, 0),
        limit=PAGE_SIZE,
    )
    result = web.services.catalog.search(web.principal, query)
    listing = Listing.of(f"/departments/{dept.key}", {"offset": query.offset})
    parent = None
    if dept.parent_id is not None:
        parent = next(
            (d for d in web.services.identity.list_departments() if d.id == dept.parent_id), None
        )
    return web.page(
        "department.html",
        dept=dept,
        parent=parent,
        result=result,
        paging=listing.pages(result.total, query.offset),
    )
