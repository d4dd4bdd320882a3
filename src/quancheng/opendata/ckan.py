"""CKAN Action API vocabulary: our entries, departments and classifications as CKAN dicts.

Pure: no I/O. The API layer loads the rows and hands them here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from quancheng.catalog.model import OpenType
from quancheng.db.models import CatalogEntry, Classification, Department
from quancheng.errors import BadRequest

# One resource per export format; CSV comes first and its id is the SQL table name, so
# `SELECT * FROM "<resource_id>"` works in datastore_search_sql as it does on CKAN.
FORMATS = ("csv", "xlsx", "json", "ndjson", "parquet")
MEDIA = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
    "ndjson": "application/x-ndjson",
    "parquet": "application/vnd.apache.parquet",
}
LICENSES: tuple[dict[str, Any], ...] = (
    {
        "id": "cc-by",
        "title": "Creative Commons Attribution 4.0",
        "url": "https://creativecommons.org/licenses/by/4.0/",
        "od_conformance": "approved",
        "status": "active",
    },
    {
        "id": "qc-conditional",
        "title": "有条件开放数据使用协议 (Conditional open data agreement)",
        "url": "",
        "od_conformance": "not reviewed",
        "status": "active",
    },
)
LICENSE_OF = {OpenType.OPEN.value: "cc-by", OpenType.CONDITIONAL.value: "qc-conditional"}
FQ_FIELDS = ("organization", "groups", "tags", "res_format", "license_id")
SORTS = {
    "score": "relevance",
    "name": "code",
    "title_string": "name",
    "title": "name",
    "metadata_modified": "updated",
}
_FQ_TERM = re.compile(r'([+-]?)([a-z_]+):("(?:[^"\\]|\\.)*"|\S+)')
# `"列 名" desc, other asc`: a quoted or bare column, then an optional direction.
_SORT_TERM = re.compile(r'\s*("[^"]+"|[^\s,]+)(?:\s+(asc|desc))?\s*(?:,|$)', re.IGNORECASE)
_SLUG_CHARS = re.compile(r"[^0-9a-z_-]+")


@dataclass(frozen=True)
class DataFacts:
    """What a package needs to know about an entry's stored data."""

    table: str
    loaded_at: datetime
    row_count: int


def slug(code: str) -> str:
    """The CKAN `name` of an entry: its resource code in lower case, '/' and '.' as '-'."""
    return _SLUG_CHARS.sub("-", code.lower()).strip("-")


def resource_id(table: str, fmt: str) -> str:
    """A resource's stable id: the SQL table name for CSV, `<table>-<format>` otherwise."""
    return table if fmt == "csv" else f"{table}-{fmt}"


def split_resource_id(rid: str) -> tuple[str, str]:
    """The table and format a resource id names."""
    for fmt in FORMATS[1:]:
        if rid.endswith(f"-{fmt}"):
            return rid[: -len(fmt) - 1], fmt
    return rid, "csv"


def iso(value: datetime | None) -> str | None:
    """A timestamp as CKAN writes it (ISO 8601 without zone)."""
    return None if value is None else value.replace(tzinfo=None).isoformat()


def organization_dict(dept: Department, *, package_count: int = 0) -> dict[str, Any]:
    """A department as a CKAN organization."""
    return {
        "id": dept.key,
        "name": dept.key,
        "title": dept.name,
        "display_name": dept.name,
        "description": dept.name_en,
        "image_url": "",
        "type": "organization",
        "is_organization": True,
        "state": "active",
        "approval_status": "approved",
        "created": iso(dept.created_at),
        "package_count": package_count,
        "extras": [
            {"key": "short_name", "value": dept.short_name},
            {"key": "name_en", "value": dept.name_en},
            {"key": "credit_code", "value": dept.credit_code},
            {"key": "kind", "value": dept.kind},
        ],
    }


def group_dict(node: Classification, *, package_count: int = 0) -> dict[str, Any]:
    """A top-level classification (类) as a CKAN group."""
    return {
        "id": node.code,
        "name": node.code,
        "title": node.name,
        "display_name": node.name,
        "description": node.name_en,
        "image_url": "",
        "type": "group",
        "is_organization": False,
        "state": "active",
        "approval_status": "approved",
        "package_count": package_count,
        "extras": [{"key": "name_en", "value": node.name_en}],
    }


def resources(
    entry: CatalogEntry, data: DataFacts | None, *, base_url: str
) -> list[dict[str, Any]]:
    """One resource per export format of an entry's current data."""
    if data is None:
        return []
    out = []
    for n, fmt in enumerate(FORMATS):
        rid = resource_id(data.table, fmt)
        out.append(
            {
                "id": rid,
                "package_id": slug(entry.code),
                "name": f"{entry.name}.{fmt}",
                "description": entry.name_en,
                "url": f"{base_url}/api/v1/datasets/{entry.id}/export.{fmt}",
                "format": fmt.upper(),
                "mimetype": MEDIA[fmt],
                "datastore_active": True,
                "position": n,
                "state": "active",
                "url_type": None,
                "resource_type": None,
                "created": iso(data.loaded_at),
                "last_modified": iso(data.loaded_at),
                "metadata_modified": iso(data.loaded_at),
                "size": None,
            }
        )
    return out


def package_dict(
    entry: CatalogEntry,
    data: DataFacts | None,
    *,
    base_url: str,
    with_resources: bool = True,
    group: Classification | None = None,
) -> dict[str, Any]:
    """A catalog entry as a CKAN package (dataset); national metadata go to `extras`."""
    listed = resources(entry, data, base_url=base_url) if with_resources else []
    tags = [
        {"name": k, "display_name": k, "id": k, "state": "active", "vocabulary_id": None}
        for k in dict.fromkeys(entry.keywords or [])
    ]
    license_id = LICENSE_OF.get(entry.open_type, "")
    titles = {lic["id"]: lic for lic in LICENSES}
    modified = max(
        (t for t in (entry.updated_at, entry.published_at, data.loaded_at if data else None) if t),
        default=entry.created_at,
    )
    extras = {
        "code": entry.code,
        "name_en": entry.name_en,
        "abstract_en": entry.abstract_en,
        "classification_code": entry.classification_code,
        "resource_format": entry.format,
        "sharing_type": entry.sharing_type,
        "sharing_method": entry.sharing_method,
        "open_type": entry.open_type,
        "open_conditions": entry.open_conditions,
        "update_cycle": entry.update_cycle,
        "security_grade": entry.security_grade,
        "provider_credit_code": entry.department.credit_code,
        "version": str(entry.version),
        "content_hash": entry.content_hash or "",
    }
    if data is not None:
        extras["row_count"] = str(data.row_count)
    dept = entry.department
    return {
        "id": entry.code,
        "name": slug(entry.code),
        "title": entry.name,
        "notes": entry.abstract,
        "type": "dataset",
        "state": "active",
        "private": False,
        "isopen": entry.open_type == OpenType.OPEN.value,
        "version": str(entry.version),
        # The portal's page: public whether or not the internal catalog (/catalog) is.
        "url": f"{base_url}/open/datasets/{entry.id}",
        "author": dept.name,
        "author_email": None,
        "maintainer": dept.name,
        "maintainer_email": None,
        "license_id": license_id,
        "license_title": titles[license_id]["title"] if license_id in titles else "",
        "license_url": titles[license_id]["url"] if license_id in titles else "",
        "metadata_created": iso(entry.published_at or entry.created_at),
        "metadata_modified": iso(modified),
        "owner_org": dept.key,
        "organization": {
            "id": dept.key,
            "name": dept.key,
            "title": dept.name,
            "description": dept.name_en,
            "type": "organization",
            "is_organization": True,
            "state": "active",
            "image_url": "",
            "approval_status": "approved",
            "created": iso(dept.created_at),
        },
        "groups": (
            [
                {
                    "id": group.code,
                    "name": group.code,
                    "title": group.name,
                    "display_name": group.name,
                    "description": group.name_en,
                    "image_display_url": "",
                }
            ]
            if group is not None
            else []
        ),
        "tags": tags,
        "num_tags": len(tags),
        "resources": listed,
        "num_resources": len(listed),
        "relationships_as_object": [],
        "relationships_as_subject": [],
        "extras": [{"key": k, "value": v} for k, v in extras.items()],
    }


def parse_fq(fq: str) -> dict[str, list[str]]:
    """`organization:gaj tags:"空气 质量"` as {field: [values]}; other fields are refused."""
    terms: dict[str, list[str]] = {}
    for sign, name, value in _FQ_TERM.findall(fq):
        if sign == "-":
            raise BadRequest("negated fq terms are not supported", code="fq_unsupported")
        if name not in FQ_FIELDS:
            raise BadRequest(
                f"fq field {name!r} is not supported; use {', '.join(FQ_FIELDS)}",
                code="fq_unsupported",
            )
        if value.startswith('"'):
            value = value[1:-1].replace('\\"', '"')
        terms.setdefault(name, []).append(value)
    leftover = _FQ_TERM.sub("", fq).replace("AND", "").strip()
    if leftover:
        raise BadRequest(f"cannot read fq near {leftover[:40]!r}", code="fq_unsupported")
    return terms


def split_q(q: str) -> tuple[str, dict[str, list[str]]]:
    """CKAN's `q` as free text and field terms: `tags:空气 organization:sthjj 监测` filters by
    tag and department and searches for 监测, as Solr reads field terms in `q`. Only the
    fields `fq` knows are terms; other `word:word` text (a URL, 12:00) stays words."""
    terms: dict[str, list[str]] = {}
    kept: list[str] = []
    position = 0
    for match in _FQ_TERM.finditer(q):
        sign, name, value = match.groups()
        if name not in FQ_FIELDS:
            continue
        if sign == "-":
            raise BadRequest("negated q terms are not supported", code="fq_unsupported")
        kept.append(q[position : match.start()])
        position = match.end()
        if value.startswith('"'):
            value = value[1:-1].replace('\\"', '"')
        terms.setdefault(name, []).append(value)
    kept.append(q[position:])
    text = " ".join(" ".join(kept).split())
    # What joined the terms in Solr's syntax joins nothing once they are filters.
    words = [w for w in text.split() if w not in ("AND", "+")]
    return " ".join(words), terms


def parse_sort(sort: str) -> str:
    """CKAN's `field asc|desc[, ...]` as one of our catalog sorts (the first field decides)."""
    first = sort.split(",")[0].strip().split()
    if not first:
        return "relevance"
    field = first[0]
    if field not in SORTS:
        raise BadRequest(
            f"cannot sort by {field!r}; use {', '.join(SORTS)}", code="sort_unsupported"
        )
    return SORTS[field]


def facet_items(counts: Mapping[str, int], titles: Mapping[str, str]) -> dict[str, Any]:
    """One facet in `search_facets` shape, most frequent first."""
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return {
        "items": [
            {"name": k, "display_name": titles.get(k, k), "count": n} for k, n in ordered if n
        ]
    }


def row_query(
    *,
    filters: Mapping[str, Any] | None,
    q: Any,
    fields: Sequence[str] | None,
    sort: str | None,
    limit: int,
    offset: int,
) -> list[tuple[str, str]]:
    """datastore_search parameters as a Datasette-style row query for DataReader.rows."""
    pairs: list[tuple[str, str]] = []
    for column, value in (filters or {}).items():
        if isinstance(value, list):
            pairs.append((f"{column}__in", json.dumps(value, ensure_ascii=False)))
        elif isinstance(value, dict):
            raise BadRequest(f"filter on {column!r} must be a value or a list", code="bad_filter")
        elif isinstance(value, bool):
            pairs.append((column, "true" if value else "false"))
        elif value is None:
            pairs.append((f"{column}__isnull", "true"))
        else:
            pairs.append((column, str(value)))
    if isinstance(q, dict):
        pairs += [(f"{column}__contains", str(text)) for column, text in q.items()]
    elif q:
        pairs.append(("q", str(q)))
    if fields:
        pairs.append(("_fields", ",".join(fields)))
    for column, direction in _SORT_TERM.findall(sort or ""):
        name = column[1:-1] if column.startswith('"') else column
        pairs.append(("_sort", f"-{name}" if direction.lower() == "desc" else name))
    pairs += [("_limit", str(limit)), ("_offset", str(offset))]
    return pairs


CKAN_TYPES = {
    "text": "text",
    "integer": "int",
    "double": "float",
    "boolean": "bool",
    "date": "date",
    "timestamp": "timestamp",
}
