"""CKAN Action API (`/api/3/action/<name>`): the open catalog and its data for CKAN tools.

Read-only. Callers see published entries that are open or conditionally open (conditional
ones as metadata only); department members and the platform see every published entry.
Every data read goes through DataReader, so the read policy and masking apply as elsewhere.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import ColumnElement, Select, and_, false, func, select
from sqlalchemy.orm import Session, selectinload
from starlette.concurrency import run_in_threadpool

from quancheng import __version__
from quancheng.api.data import jsonable
from quancheng.api.deps import get_services, resolve_principal
from quancheng.api.schemas import CkanErrorBody, error_responses
from quancheng.catalog.model import PORTAL_OPEN_TYPES, EntryStatus, OpenType
from quancheng.db.models import CatalogEntry, Classification, Dataset, DataVersion, Department
from quancheng.errors import (
    BadRequest,
    FieldError,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
    PlatformError,
    ValidationFailed,
)
from quancheng.identity.roles import Permission, Principal
from quancheng.identity.service import find_department
from quancheng.opendata import ckan

router = APIRouter(tags=["ckan"], responses=error_responses(CkanErrorBody, 400, 403, 404, 409))

MAX_ROWS = 1000
DATASTORE_DEFAULT_LIMIT = 100
_LIST_PARAMS = frozenset({"facet.field", "facet_field", "fields", "organizations", "groups"})
_JSON_PARAMS = frozenset({"filters", "q"})


@dataclass(frozen=True)
class Call:
    """One action call: who asks, with what parameters, on which site."""

    services: Any
    actor: Principal
    params: dict[str, Any]
    base_url: str

    @property
    def public(self) -> bool:
        """Whether the caller sees only the open catalog (visitors, public users)."""
        return not (self.actor.is_platform_admin or self.actor.department_id is not None)


Action = Callable[[Call], Any]


# -- parameters -------------------------------------------------------------------------


def _invalid(field: str, message: str, code: str = "invalid") -> ValidationFailed:
    return ValidationFailed(message, errors=[FieldError(field, code, message)])


def _text(call: Call, name: str, *, required: bool = False, default: str = "") -> str:
    value = call.params.get(name)
    if value is None or value == "":
        if required:
            raise _invalid(name, f"{name}: Missing value", "required")
        return default
    if not isinstance(value, str | int):
        raise _invalid(name, f"{name}: must be a string")
    return str(value)


def _int(
    call: Call, name: str, default: int, *, cap: int | None = None, signed: bool = False
) -> int:
    """An integer parameter; above `cap` it is the cap, as CKAN's limit_to_configured_maximum."""
    value = call.params.get(name)
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise _invalid(name, f"{name}: Invalid integer") from None
    if number < 0 and not signed:
        raise _invalid(name, f"{name}: Must be a natural number", "out_of_range")
    # CKAN answers with the page its maximum allows, and says which: clients that page by
    # the limit they asked for read the applied one back (datastore_search's `limit`).
    return number if cap is None else min(number, cap)


def _bool(call: Call, name: str, default: bool) -> bool:
    value = call.params.get(name)
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    text = str(value).lower()
    if text in ("true", "1", "yes", "on"):
        return True
    if text in ("false", "0", "no", "off"):
        return False
    raise _invalid(name, f"{name}: Invalid boolean")


def _list(call: Call, *names: str) -> list[str]:
    for name in names:
        value = call.params.get(name)
        if value is None or value == "":
            continue
        if isinstance(value, str):
            return [v.strip() for v in value.split(",") if v.strip()]
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return list(value)
        raise _invalid(name, f"{name}: must be a list of strings")
    return []


def _decode(name: str, value: str) -> Any:
    """GET parameters arrive as text; lists and objects come JSON-encoded, as CKAN takes them."""
    stripped = value.strip()
    if (name in _LIST_PARAMS and stripped.startswith("[")) or (
        name in _JSON_PARAMS and stripped.startswith("{")
    ):
        try:
            return json.loads(stripped)
        except ValueError:
            raise _invalid(name, f"{name}: not valid JSON") from None
    if name == "filters":
        raise _invalid(name, "filters: must be a JSON object")
    return value


async def _params(request: Request) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for key, value in request.query_params.multi_items():
        decoded = _decode(key, value)
        if key in _LIST_PARAMS and key in params and isinstance(decoded, str):
            previous = params[key]
            params[key] = [*(previous if isinstance(previous, list) else [previous]), decoded]
        else:
            params[key] = decoded
    if request.method == "POST":
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if kind in ("application/x-www-form-urlencoded", "multipart/form-data"):
            form = await request.form()
            for key, item in form.multi_items():
                if isinstance(item, str):
                    params[key] = _decode(key, item)
        else:
            raw = await request.body()
            if raw.strip():
                try:
                    body = json.loads(raw)
                except ValueError:
                    raise BadRequest("Bad request - JSON Error: invalid JSON body") from None
                if not isinstance(body, dict):
                    raise BadRequest("Bad request - JSON Error: the body must be an object")
                params.update(body)
    for key, value in params.items():
        if _has_nul(value):
            # PostgreSQL text cannot hold NUL: refuse here rather than fail in the database.
            raise _invalid(key, f"{key}: must not contain NUL characters")
    return params


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def _principal(request: Request) -> Principal:
    """Token in `Authorization` (bare, as CKAN clients send it, or Bearer) or `X-CKAN-API-Key`."""
    services = get_services(request)
    auth = request.headers.get("authorization") or request.headers.get("x-ckan-api-key") or ""
    if auth:
        scheme, _, rest = auth.partition(" ")
        token = rest.strip() if scheme.lower() == "bearer" else auth.strip()
        principal = services.identity.resolve_token(token)
        if principal is None:
            raise NotAuthenticated("the API token is invalid, expired or revoked")
        return principal
    principal, _ = resolve_principal(request)
    if not principal.is_authenticated:
        # Open data is public by law whether or not the internal catalog is (public_catalog):
        # a visitor reads it as the portal pages do, and _scope keeps them to open entries.
        return Principal.anonymous(public_catalog=True)
    return principal


# -- catalog reads ----------------------------------------------------------------------


def _scope(call: Call) -> list[ColumnElement[bool]]:
    call.actor.require(Permission.CATALOG_READ)
    conditions: list[ColumnElement[bool]] = [CatalogEntry.status == EntryStatus.PUBLISHED.value]
    if call.public:
        conditions.append(CatalogEntry.open_type.in_(PORTAL_OPEN_TYPES))
    return conditions


def _entries(s: Session, conditions: Iterable[ColumnElement[bool]]) -> list[CatalogEntry]:
    return list(
        s.scalars(
            select(CatalogEntry)
            .where(*conditions)
            .options(
                selectinload(CatalogEntry.department), selectinload(CatalogEntry.classification)
            )
            .order_by(CatalogEntry.id)
        )
    )


def _data(s: Session, entry_ids: list[int]) -> dict[int, ckan.DataFacts]:
    rows = s.execute(
        select(Dataset.entry_id, Dataset.table_name, DataVersion.created_at, DataVersion.row_count)
        .join(DataVersion, DataVersion.id == Dataset.current_version_id)
        .where(Dataset.entry_id.in_(entry_ids))
    ).all()
    return {r[0]: ckan.DataFacts(table=r[1], loaded_at=r[2], row_count=r[3]) for r in rows}


def _groups(s: Session) -> dict[str, Classification]:
    return {c.code: c for c in s.scalars(select(Classification).where(Classification.level == 1))}


def _packages(
    call: Call, s: Session, entries: list[CatalogEntry], data: dict[int, ckan.DataFacts] | None
) -> list[dict[str, Any]]:
    data = data if data is not None else _data(s, [e.id for e in entries])
    groups = _groups(s)
    return [
        ckan.package_dict(
            e,
            data.get(e.id),
            base_url=call.base_url,
            with_resources=not call.public or e.open_type == OpenType.OPEN.value,
            group=groups.get(e.classification_code[:1]),
        )
        for e in entries
    ]


def _find_entry(call: Call, s: Session, ref: str) -> CatalogEntry:
    slug_expr = func.lower(func.replace(func.replace(CatalogEntry.code, "/", "-"), ".", "-"))
    matches = _entries(s, [*_scope(call), (CatalogEntry.code == ref) | (slug_expr == ref.lower())])
    if not matches:
        raise NotFound(f"Dataset not found: {ref}")
    return next((e for e in matches if e.code == ref), matches[0])


def site_read(call: Call) -> bool:
    """Whether the site can be read (always true)."""
    return True


def status_show(call: Call) -> dict[str, Any]:
    """The site's name, address, CKAN API level and extensions."""
    settings = call.services.settings
    return {
        "site_title": f"{settings.city_name}公共数据开放平台",
        "site_description": f"{settings.city_name_en} open data (Quancheng {__version__})",
        "site_url": call.base_url,
        "ckan_version": "2.10.0",
        "locale_default": "zh_Hans_CN",
        "extensions": ["datastore"],
    }


def package_list(call: Call) -> list[str]:
    """Names of every visible dataset."""
    limit = _int(call, "limit", MAX_ROWS * 100, cap=MAX_ROWS * 100)
    offset = _int(call, "offset", 0)
    with call.services.db.reader() as s:
        codes = s.scalars(select(CatalogEntry.code).where(*_scope(call))).all()
    return sorted(ckan.slug(c) for c in codes)[offset : offset + limit]


def package_search(call: Call) -> dict[str, Any]:
    """Search datasets: q (words, and field terms as fq's), fq (organization, groups, tags,
    res_format, license_id), sort, facets."""
    q = _text(call, "q").strip()
    if q in ("*:*", "*"):
        q = ""
    if len(q) > 200:
        raise _invalid("q", "q: at most 200 characters")
    q, q_terms = ckan.split_q(q)
    terms = ckan.parse_fq(_text(call, "fq"))
    for name, values in q_terms.items():
        terms.setdefault(name, []).extend(values)
    rows = _int(call, "rows", 10, cap=MAX_ROWS)
    start = _int(call, "start", 0)
    sort_text = _text(call, "sort", default="score desc, metadata_modified desc")
    sort = ckan.parse_sort(sort_text)
    facet_fields = _list(call, "facet.field", "facet_field")
    unknown = [f for f in facet_fields if f not in ckan.FQ_FIELDS]
    if unknown:
        raise _invalid("facet.field", f"facet.field: unknown facets {', '.join(unknown)}")
    # A negative facet.limit is Solr's and CKAN's "every value".
    facet_limit = _int(call, "facet.limit", 50, signed=True)
    desc = "desc" in sort_text.split(",")[0].lower()
    with call.services.db.reader() as s:
        search = _Search(call, s, q)
        for name, wanted in terms.items():
            for value in wanted:
                search.conditions.append(search.term(name, value))
        count = s.scalar(search.select(func.count(CatalogEntry.id))) or 0
        page_ids = search.page(sort, desc, start, rows) if start < count else []
        loaded = {e.id: e for e in _entries(s, [CatalogEntry.id.in_(page_ids)])}
        results = _packages(call, s, [loaded[i] for i in page_ids if i in loaded], None)
        search_facets: dict[str, Any] = {}
        facets: dict[str, dict[str, int]] = {}
        for name in facet_fields:
            counts, titles = search.facet(name)
            ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
            top = dict(ordered if facet_limit < 0 else ordered[:facet_limit])
            facets[name] = top
            search_facets[name] = {"title": name, **ckan.facet_items(top, titles)}
    return {
        "count": count,
        "sort": sort_text,
        "results": results,
        "facets": facets,
        "search_facets": search_facets,
    }


class _Search:
    """package_search as SQL: filters, counts, facets and one page, never every entry loaded.

    Every fq value is compared case-insensitively with Python's str.lower() on the values that
    exist (departments, group initials, tags), so SQLite (ASCII-only lower()) and PostgreSQL
    answer alike.
    """

    def __init__(self, call: Call, s: Session, q: str) -> None:
        self.call = call
        self.s = s
        self.dialect = s.get_bind().dialect.name
        self.conditions = _scope(call)
        self._scope = list(self.conditions)
        # Words are matched once and their scores kept: joined into every count, facet and
        # page query instead, SQLite re-ran the full-text match per catalog row (10x slower).
        self.scores: dict[int, float] | None = None
        matches = call.services.catalog.search_index.matches(q) if q else None
        if matches is not None:
            self.scores = {row.entry_id: row.score for row in s.execute(select(matches))}
            self.conditions.append(CatalogEntry.id.in_(list(self.scores)))

    def select(self, *columns: Any) -> Select[Any]:
        """A query of these columns over the matching entries."""
        return select(*columns).select_from(CatalogEntry).where(*self.conditions)

    def has_formats(self) -> ColumnElement[bool]:
        """Whether an entry lists resources (data loaded, and open data for the public)."""
        loaded = (
            select(Dataset.entry_id)
            .join(DataVersion, DataVersion.id == Dataset.current_version_id)
            .where(Dataset.entry_id == CatalogEntry.id)
            .exists()
        )
        if self.call.public:
            return and_(loaded, CatalogEntry.open_type == OpenType.OPEN.value)
        return loaded

    def keywords(self) -> Any:
        """The entry's keywords as a table of `value` rows (JSON array elements)."""
        each = "json_each" if self.dialect == "sqlite" else "json_array_elements_text"
        return getattr(func, each)(CatalogEntry.keywords).table_valued(
            "value", joins_implicitly=True
        )

    def term(self, name: str, value: str) -> ColumnElement[bool]:
        """One fq term as a condition."""
        wanted = value.lower()
        if name == "organization":
            ids = [d.id for d in self.s.scalars(select(Department)) if d.key.lower() == wanted]
            return CatalogEntry.department_id.in_(ids)
        if name == "groups":
            initial = func.substr(CatalogEntry.classification_code, 1, 1)
            known = self.s.scalars(select(initial).where(*self._scope).distinct())
            return initial.in_([c for c in known if c.lower() == wanted])
        if name == "tags":
            tags = self.keywords()
            known = self.s.scalars(
                select(tags.c.value).select_from(CatalogEntry).where(*self._scope).distinct()
            )
            spellings = [t for t in known if isinstance(t, str) and t.lower() == wanted]
            return select(tags.c.value).where(tags.c.value.in_(spellings)).exists()
        if name == "res_format":
            if wanted in {f.lower() for f in ckan.FORMATS}:
                return self.has_formats()
            return false()
        if wanted == "":
            # Open types without a licence (closed data, seen by departments) have an empty id.
            return CatalogEntry.open_type.not_in(list(ckan.LICENSE_OF))
        types = [t for t, lic in ckan.LICENSE_OF.items() if lic.lower() == wanted]
        return CatalogEntry.open_type.in_(types)

    def page(self, sort: str, desc: bool, start: int, rows: int) -> list[int]:
        """The ids of one page of hits in the order asked for."""
        if rows == 0:
            return []
        stamp = func.coalesce(CatalogEntry.published_at, CatalogEntry.updated_at)
        if sort == "code":
            # The CKAN name is a slug no SQL expression spells exactly; ids and codes are small.
            found = list(self.s.execute(self.select(CatalogEntry.id, CatalogEntry.code)))
            found.sort(key=lambda r: r.id)
            found.sort(key=lambda r: ckan.slug(r.code), reverse=desc)
            return [r.id for r in found[start : start + rows]]
        if sort == "relevance" and self.scores is not None:
            # Scores live in Python (see __init__); the hits of a word search are few.
            scores = self.scores
            hits = list(
                self.s.execute(
                    self.select(CatalogEntry.id, CatalogEntry.published_at, CatalogEntry.updated_at)
                )
            )
            hits.sort(
                key=lambda r: (-scores[r.id], -(r.published_at or r.updated_at).timestamp(), r.id)
            )
            return [r.id for r in hits[start : start + rows]]
        order: list[Any]
        if sort == "relevance":
            order = [stamp.desc(), CatalogEntry.id]
        elif sort == "updated":
            order = [stamp.desc(), CatalogEntry.id.desc()] if desc else [stamp, CatalogEntry.id]
        else:
            # Code-point order, as Python sorts: PostgreSQL's locale collations would not.
            name = CatalogEntry.name if self.dialect == "sqlite" else CatalogEntry.name.collate("C")
            order = [name.desc(), CatalogEntry.id.desc()] if desc else [name, CatalogEntry.id]
        query = self.select(CatalogEntry.id).order_by(*order).offset(start).limit(rows)
        return list(self.s.scalars(query))

    def facet(self, name: str) -> tuple[dict[str, int], dict[str, str]]:
        """Counts of a facet's values over the hits, and the display titles of those values."""
        count = func.count(CatalogEntry.id)
        if name == "organization":
            rows = self.s.execute(
                self.select(Department.key, Department.name, count)
                .join(Department, Department.id == CatalogEntry.department_id)
                .group_by(Department.key, Department.name)
            ).all()
            return {r[0]: int(r[2]) for r in rows}, {r[0]: r[1] for r in rows}
        if name == "groups":
            initial = func.substr(CatalogEntry.classification_code, 1, 1)
            rows = self.s.execute(self.select(initial, count).group_by(initial)).all()
            return {r[0]: int(r[1]) for r in rows}, {c: g.name for c, g in _groups(self.s).items()}
        if name == "tags":
            tags = self.keywords()
            distinct = func.count(func.distinct(CatalogEntry.id))
            rows = self.s.execute(self.select(tags.c.value, distinct).group_by(tags.c.value)).all()
            return {r[0]: int(r[1]) for r in rows}, {}
        if name == "res_format":
            n = self.s.scalar(self.select(count).where(self.has_formats())) or 0
            return ({f.upper(): n for f in ckan.FORMATS} if n else {}), {}
        rows = self.s.execute(
            self.select(CatalogEntry.open_type, count).group_by(CatalogEntry.open_type)
        ).all()
        licenses: Counter[str] = Counter()
        for open_type, n in rows:
            licenses[ckan.LICENSE_OF.get(open_type, "")] += int(n)
        return dict(licenses), {}


def package_show(call: Call) -> dict[str, Any]:
    """One dataset by id (resource code) or name (slug)."""
    ref = _text(call, "id", required=True)
    with call.services.db.reader() as s:
        entry = _find_entry(call, s, ref)
        return _packages(call, s, [entry], None)[0]


def _counts_by(call: Call, s: Session, column: Any) -> Counter[str]:
    rows = s.execute(select(column, func.count()).where(*_scope(call)).group_by(column)).all()
    return Counter({str(k): int(n) for k, n in rows})


# What organization_list and group_list sort by, as CKAN names it ("packages" is its alias).
_LIST_SORTS = {"name": "name", "title": "title", "package_count": "count", "packages": "count"}


@dataclass(frozen=True)
class _Listed:
    """An organization or group as the list actions filter and sort it."""

    name: str
    title: str
    text: str
    count: int
    value: Any


def _title_key(title: str) -> tuple[str, str]:
    # Chinese titles in pinyin order, as readers look them up; the title itself breaks ties.
    from pypinyin import lazy_pinyin

    return " ".join(lazy_pinyin(title)).casefold(), title


def _listing(call: Call, listed: list[_Listed], *, default_limit: int) -> list[_Listed]:
    """CKAN's `q` (a substring of name, title or description), `sort`, `offset` and `limit`."""
    raw = _text(call, "sort", default="title asc").strip()
    parts = raw.split()
    field = _LIST_SORTS.get(parts[0].lower()) if parts else None
    direction = parts[1].lower() if len(parts) == 2 else "asc"
    if field is None or len(parts) > 2 or direction not in ("asc", "desc"):
        raise _invalid(
            "sort",
            f"Cannot sort by {raw!r}: use name, title or package_count, then asc or desc",
        )
    q = _text(call, "q").strip().casefold()
    if q:
        listed = [x for x in listed if q in x.name.casefold() or q in x.text.casefold()]
    if field == "name":
        listed.sort(key=lambda x: x.name, reverse=direction == "desc")
    elif field == "title":
        listed.sort(key=lambda x: _title_key(x.title), reverse=direction == "desc")
    else:
        # By count, then by name either way, as a reader scanning the top expects.
        listed.sort(key=lambda x: x.name)
        listed.sort(key=lambda x: x.count, reverse=direction == "desc")
    limit = _int(call, "limit", default_limit, cap=MAX_ROWS)
    offset = _int(call, "offset", 0)
    return listed[offset : offset + limit]


def organization_list(call: Call) -> list[Any]:
    """Departments (names, or full dicts with all_fields), filtered by `q` and `organizations`,
    sorted by `sort` (title asc by default), paged by `offset` and `limit`."""
    all_fields = _bool(call, "all_fields", False)
    wanted = set(_list(call, "organizations"))
    with call.services.db.reader() as s:
        counts = _counts_by(call, s, CatalogEntry.department_id)
        listed = [
            _Listed(d.key, d.name, f"{d.name} {d.short_name} {d.name_en}", counts[str(d.id)], d)
            for d in s.scalars(select(Department))
            if not wanted or d.key in wanted
        ]
        depts = _listing(call, listed, default_limit=MAX_ROWS)
        if not all_fields:
            return [d.name for d in depts]
        return [ckan.organization_dict(d.value, package_count=d.count) for d in depts]


def organization_show(call: Call) -> dict[str, Any]:
    """One department, with its datasets if include_datasets."""
    ref = _text(call, "id", required=True)
    include = _bool(call, "include_datasets", False)
    with call.services.db.reader() as s:
        call.actor.require(Permission.CATALOG_READ)
        dept = find_department(s, ref)
        if dept is None:
            raise NotFound(f"Organization not found: {ref}")
        entries = _entries(s, [*_scope(call), CatalogEntry.department_id == dept.id])
        out = ckan.organization_dict(dept, package_count=len(entries))
        if include:
            out["packages"] = _packages(call, s, entries[:MAX_ROWS], None)
        return out


def group_list(call: Call) -> list[Any]:
    """Top-level classifications (类) as groups, filtered, sorted and paged as organizations."""
    all_fields = _bool(call, "all_fields", False)
    wanted = set(_list(call, "groups"))
    with call.services.db.reader() as s:
        counts = _counts_by(call, s, func.substr(CatalogEntry.classification_code, 1, 1))
        listed = [
            _Listed(g.code, g.name, f"{g.name} {g.name_en}", counts[g.code], g)
            for g in _groups(s).values()
            if not wanted or g.code in wanted
        ]
        groups = _listing(call, listed, default_limit=MAX_ROWS)
        if not all_fields:
            return [g.name for g in groups]
        return [ckan.group_dict(g.value, package_count=g.count) for g in groups]


def group_show(call: Call) -> dict[str, Any]:
    """One top-level classification, with its datasets if include_datasets."""
    ref = _text(call, "id", required=True)
    include = _bool(call, "include_datasets", False)
    with call.services.db.reader() as s:
        group = _groups(s).get(ref)
        if group is None:
            raise NotFound(f"Group not found: {ref}")
        entries = _entries(s, [*_scope(call), CatalogEntry.classification_code.startswith(ref)])
        out = ckan.group_dict(group, package_count=len(entries))
        if include:
            out["packages"] = _packages(call, s, entries[:MAX_ROWS], None)
        return out


def tag_list(call: Call) -> list[Any]:
    """Keywords of visible datasets (filtered by `query`)."""
    query = _text(call, "query").lower()
    all_fields = _bool(call, "all_fields", False)
    with call.services.db.reader() as s:
        keywords = s.scalars(select(CatalogEntry.keywords).where(*_scope(call))).all()
    tags = sorted({k for ks in keywords for k in (ks or []) if query in k.lower()})
    if all_fields:
        return [{"id": t, "name": t, "display_name": t, "vocabulary_id": None} for t in tags]
    return tags


def license_list(call: Call) -> list[dict[str, Any]]:
    """The licences datasets are published under."""
    return [dict(lic) for lic in ckan.LICENSES]


def _resource_entry(call: Call, rid: str) -> tuple[CatalogEntry, dict[str, Any]]:
    table, _ = ckan.split_resource_id(rid)
    entry_id = call.services.datastore.entry_for_table(table)
    if entry_id is None:
        raise NotFound(f"Resource was not found: {rid}")
    with call.services.db.reader() as s:
        entries = _entries(s, [*_scope(call), CatalogEntry.id == entry_id])
        if not entries:
            raise NotFound(f"Resource was not found: {rid}")
        package = _packages(call, s, entries, None)[0]
    resource = next((r for r in package["resources"] if r["id"] == rid), None)
    if resource is None:
        raise NotFound(f"Resource was not found: {rid}")
    return entries[0], resource


def resource_show(call: Call) -> dict[str, Any]:
    """One resource (a download format of a dataset's current data)."""
    return _resource_entry(call, _text(call, "id", required=True))[1]


def datastore_search(call: Call) -> dict[str, Any]:
    """Rows of a resource: filters, q, fields, sort, limit, offset, records_format."""
    rid = _text(call, "resource_id", required=True) if "id" not in call.params else ""
    rid = rid or _text(call, "id", required=True)
    filters = call.params.get("filters")
    if filters is not None and not isinstance(filters, dict):
        raise _invalid("filters", "filters: must be a JSON object")
    fields = _list(call, "fields")
    limit = _int(call, "limit", DATASTORE_DEFAULT_LIMIT, cap=call.services.reads.max_limit)
    offset = _int(call, "offset", 0)
    include_total = _bool(call, "include_total", True)
    records_format = _text(call, "records_format", default="objects")
    if records_format not in ("objects", "lists", "csv", "tsv"):
        raise _invalid("records_format", "records_format: one of objects, lists, csv, tsv")
    entry, _ = _resource_entry(call, rid)
    query = ckan.row_query(
        filters=filters,
        q=call.params.get("q"),
        fields=fields,
        sort=_text(call, "sort") or None,
        limit=limit or 1,
        offset=offset,
    )
    result = call.services.reads.rows(call.actor, entry.id, query, total=include_total)
    call.services.usage.count(entry.id, "api")
    names = [c.name for c in result.columns]
    rows = [[jsonable(v) for v in r] for r in result.page.rows][: limit or 0]
    records: Any
    if records_format == "objects":
        records = [dict(zip(names, r, strict=True)) for r in rows]
    elif records_format == "lists":
        records = rows
    else:
        out = io.StringIO()
        writer = csv.writer(out, delimiter="," if records_format == "csv" else "\t")
        writer.writerows(["" if v is None else v for v in r] for r in rows)
        records = out.getvalue()
    link = f"/api/3/action/datastore_search?resource_id={rid}"
    body: dict[str, Any] = {
        "resource_id": rid,
        "fields": [
            {
                "id": c.name,
                "type": ckan.CKAN_TYPES.get(c.type.value, "text"),
                "info": {"label": c.label, "notes": c.item or ""},
            }
            for c in result.columns
        ],
        "records": records,
        "records_format": records_format,
        "limit": limit,
        "offset": offset,
        "include_total": include_total,
        "_links": {"start": link, "next": f"{link}&offset={offset + limit}"},
    }
    if filters:
        body["filters"] = filters
    if include_total:
        body["total"] = result.page.total
        body["total_was_estimated"] = False
    return body


def datastore_search_sql(call: Call) -> dict[str, Any]:
    """One read-only SELECT over the tables the caller may read (resource ids of CSVs)."""
    sql = _text(call, "sql", required=True)
    if len(sql) > 20_000:
        raise _invalid("sql", "sql: at most 20000 characters")
    outcome = call.services.reads.sql(call.actor, sql)
    for table in outcome.tables:
        entry_id = call.services.datastore.entry_for_table(table)
        if entry_id is not None:
            call.services.usage.count(entry_id, "api")
    rows = [[jsonable(v) for v in r] for r in outcome.rows]
    return {
        "sql": sql,
        "fields": [
            {"id": name, "type": _sql_type([r[i] for r in rows])}
            for i, name in enumerate(outcome.fields)
        ],
        "records": [dict(zip(outcome.fields, r, strict=True)) for r in rows],
        "records_truncated": outcome.truncated,
    }


def _sql_type(values: list[Any]) -> str:
    sample = next((v for v in values if v is not None), None)
    if isinstance(sample, bool):
        return "bool"
    if isinstance(sample, int):
        return "int"
    if isinstance(sample, float):
        return "float"
    return "text"


def help_show(call: Call) -> str:
    """The documentation of an action."""
    name = _text(call, "name", required=True)
    action = ACTIONS.get(name)
    if action is None:
        raise NotFound(f"Action not found: {name}")
    return (action.__doc__ or "").strip()


ACTIONS: dict[str, Action] = {
    f.__name__: f
    for f in (
        site_read,
        status_show,
        package_list,
        package_search,
        package_show,
        organization_list,
        organization_show,
        group_list,
        group_show,
        tag_list,
        license_list,
        resource_show,
        datastore_search,
        datastore_search_sql,
        help_show,
    )
}


# -- HTTP -------------------------------------------------------------------------------


def _error(err: PlatformError) -> tuple[int, dict[str, Any]]:
    """Our error as CKAN's (status, error dict); ckanapi raises by `__type`."""
    if isinstance(err, NotFound):
        return 404, {"__type": "Not Found Error", "message": f"Not found: {err.message}"}
    if isinstance(err, NotAuthenticated | PermissionDenied):
        return 403, {"__type": "Authorization Error", "message": f"Access denied: {err.message}"}
    if isinstance(err, ValidationFailed):
        body: dict[str, Any] = {"__type": "Validation Error", "message": err.message}
        for e in err.errors:
            body.setdefault(e.field, []).append(e.message)
        return 409, body
    if isinstance(err, BadRequest) and err.message.startswith("Bad request"):
        return 400, {"__type": "Bad Request", "message": err.message}
    if isinstance(err, BadRequest):
        # Bad parameters of an action (unknown column, unsafe SQL): CKAN's Validation Error.
        field = "sql" if err.code.startswith("sql") else err.code
        return 409, {"__type": "Validation Error", "message": err.message, field: [err.message]}
    kind = "Internal Server Error" if err.status >= 500 else err.code
    return err.status, {"__type": kind, "message": err.message}


async def _dispatch(name: str, request: Request) -> JSONResponse:
    base = str(request.base_url).rstrip("/")
    help_url = f"{base}/api/3/action/help_show?name={name}"
    try:
        action = ACTIONS.get(name)
        if action is None:
            raise BadRequest(f"Bad request - Action name not known: {name}")
        params = await _params(request)
        # Actions and token checks query the database: off the event loop.
        actor = await run_in_threadpool(_principal, request)
        call = Call(services=get_services(request), actor=actor, params=params, base_url=base)
        result = await run_in_threadpool(action, call)
    except PlatformError as err:
        status, error = _error(err)
        return JSONResponse(
            {"help": help_url, "success": False, "error": error}, status_code=status
        )
    return JSONResponse({"help": help_url, "success": True, "result": result})


@router.get("/api/3")
def api_root() -> dict[str, int]:
    """The CKAN API version this site speaks."""
    return {"version": 3}


@router.get("/api/3/action/{name}")
async def action_get(name: str, request: Request) -> JSONResponse:
    """Call a CKAN action with query parameters."""
    return await _dispatch(name, request)


@router.post("/api/3/action/{name}")
async def action_post(name: str, request: Request) -> JSONResponse:
    """Call a CKAN action with a JSON or form body."""
    return await _dispatch(name, request)


# ckanapi and older clients call the unversioned path.
@router.get("/api/action/{name}")
async def action_get_unversioned(name: str, request: Request) -> JSONResponse:
    """Call a CKAN action with query parameters (unversioned path)."""
    return await _dispatch(name, request)


@router.post("/api/action/{name}")
async def action_post_unversioned(name: str, request: Request) -> JSONResponse:
    """Call a CKAN action with a JSON or form body (unversioned path)."""
    return await _dispatch(name, request)
