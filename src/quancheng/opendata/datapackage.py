"""Frictionless Data Package descriptors of open entries (pure)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from quancheng.catalog.model import OpenType
from quancheng.datastore.schema import Column, ColumnType
from quancheng.opendata.ckan import LICENSE_OF, LICENSES
from quancheng.opendata.dcat import DEFAULT_LICENSE, OpenEntry, Portal, dataset_uri

PROFILE = "https://datapackage.org/profiles/2.0/datapackage.json"
RESOURCE_PROFILE = "https://datapackage.org/profiles/2.0/dataresource.json"
FIELD_TYPES: dict[ColumnType, str] = {
    ColumnType.TEXT: "string",
    ColumnType.INTEGER: "integer",
    ColumnType.DOUBLE: "number",
    ColumnType.BOOLEAN: "boolean",
    ColumnType.DATE: "date",
    ColumnType.TIMESTAMP: "datetime",
}
_LICENSE_NAMES = {DEFAULT_LICENSE: ("CC-BY-4.0", "Creative Commons Attribution 4.0")}
_AGREEMENT_TITLE = next(
    str(x["title"]) for x in LICENSES if x["id"] == LICENSE_OF[OpenType.CONDITIONAL.value]
)


def package_name(code: str) -> str:
    """A package or resource name: lower-case letters, digits and `.-_` only."""
    return re.sub(r"[^a-z0-9._-]+", "-", code.lower()).strip("-") or "dataset"


def datapackage(
    portal: Portal,
    entry: OpenEntry,
    columns: Sequence[Column],
    descriptions: dict[str, str],
    *,
    row_count: int | None = None,
) -> dict[str, Any]:
    """The descriptor: package metadata and one CSV resource whose schema is the columns.

    `descriptions` maps catalog data item names to their descriptions; a column linked to
    an item carries it. The CSV link asks for SQL names as the header so that it matches
    the schema's field names.
    """
    name = package_name(entry.code)
    license = portal.license_of(entry)
    license_name, license_title = _LICENSE_NAMES.get(license, ("", license))
    if license != portal.license:
        license_title = _AGREEMENT_TITLE
    licence: dict[str, str] = {"path": license, "title": license_title}
    if license_name:
        licence["name"] = license_name
    fields: list[dict[str, Any]] = []
    for c in columns:
        field: dict[str, Any] = {"name": c.name, "title": c.label, "type": FIELD_TYPES[c.type]}
        if c.item and descriptions.get(c.item):
            field["description"] = descriptions[c.item]
        fields.append(field)
    resource: dict[str, Any] = {
        "$schema": RESOURCE_PROFILE,
        "name": name,
        "title": entry.name,
        "path": str(
            portal.url(f"/api/v1/datasets/{entry.id}/export.csv?_header=names&_encoding=utf-8")
        ),
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        "schema": {"fields": fields},
    }
    if row_count is not None:
        resource["rows"] = row_count
    package: dict[str, Any] = {
        "$schema": PROFILE,
        "name": name,
        "id": str(dataset_uri(portal, entry)),
        "title": entry.name,
        "description": entry.abstract,
        "homepage": str(portal.url(f"/open/datasets/{entry.id}")),
        "keywords": list(entry.keywords),
        "licenses": [licence],
        "sources": [
            {
                "title": entry.publisher.name,
                "path": str(portal.url(f"/open/departments/{entry.publisher.key}")),
            }
        ],
        "resources": [resource],
    }
    if entry.issued is not None:
        package["created"] = entry.issued.isoformat()
    if entry.name_en:
        package["x_title_en"] = entry.name_en
    return package
