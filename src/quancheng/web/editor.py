"""The entry editor form: what was typed, turned into the fields the catalog service accepts."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import FormData

from quancheng.catalog.model import (
    DataType,
    OpenType,
    ResourceFormat,
    SecurityGrade,
    Sensitivity,
    SharingMethod,
    SharingType,
    UpdateCycle,
)
from quancheng.catalog.service import entry_fields
from quancheng.db.models import CatalogEntry, Classification
from quancheng.errors import FieldError, ValidationFailed
from quancheng.web import labels

TEXT_FIELDS = (
    "name",
    "name_en",
    "abstract",
    "abstract_en",
    "classification_code",
    "sharing_conditions",
    "legal_basis",
    "open_conditions",
    "duty",
    "source_system",
    "keywords",
    "related_codes",
)
CHOICE_FIELDS: dict[str, tuple[str, ...]] = {
    "format": tuple(m.value for m in ResourceFormat),
    "sharing_type": tuple(m.value for m in SharingType),
    "sharing_method": tuple(m.value for m in SharingMethod),
    "open_type": tuple(m.value for m in OpenType),
    "update_cycle": tuple(m.value for m in UpdateCycle),
    "security_grade": tuple(m.value for m in SecurityGrade),
}
ITEM_ATTRS = ("name", "name_en", "data_type", "length", "description", "sensitivity")
ITEM_CHOICES: dict[str, tuple[str, ...]] = {
    "data_type": tuple(m.value for m in DataType),
    "sensitivity": tuple(m.value for m in Sensitivity),
}
# What a steward types, not what the select boxes start on, decides whether a row is used.
_TYPED = ("name", "name_en", "length", "description")
_ITEM_KEY = re.compile(r"^items-(\d{1,4})-(\w+)$")
_ERROR_ITEM = re.compile(r"^data_items\[(\d+)\](?:\.(\w+))?$")
_DEFAULTS = {
    "format": ResourceFormat.DATABASE.value,
    "sharing_type": SharingType.UNCONDITIONAL.value,
    "sharing_method": SharingMethod.API.value,
    "open_type": OpenType.CLOSED.value,
    "update_cycle": UpdateCycle.MONTHLY.value,
    "security_grade": SecurityGrade.GENERAL.value,
}


def blank_item() -> dict[str, str]:
    """An empty data item row."""
    return {
        "name": "",
        "name_en": "",
        "data_type": "C",
        "length": "",
        "description": "",
        "sensitivity": "public",
    }


@dataclass
class EditorForm:
    """The editor's values as strings (as they go back into the inputs) and field errors."""

    values: dict[str, str]
    items: list[dict[str, str]]
    department: str = ""
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def empty(cls) -> EditorForm:
        """A new entry's form, with common choices preselected and one data item row."""
        values = dict.fromkeys(TEXT_FIELDS, "") | _DEFAULTS
        return cls(values=values, items=[blank_item()])

    @classmethod
    def of_entry(cls, entry: CatalogEntry) -> EditorForm:
        """The form of an existing entry."""
        raw = entry_fields(entry)
        values = {k: _text(raw.get(k)) for k in (*TEXT_FIELDS, *CHOICE_FIELDS)}
        items = [{a: _text(i.get(a)) for a in ITEM_ATTRS} for i in raw["data_items"]]
        return cls(values=values, items=items or [blank_item()], department=entry.department.key)

    @classmethod
    def of_post(cls, form: FormData) -> EditorForm:
        """What was posted; rows left blank are dropped."""
        values = {k: _posted(form, k) for k in (*TEXT_FIELDS, *CHOICE_FIELDS)}
        rows: dict[int, dict[str, str]] = {}
        for key, value in form.multi_items():
            match = _ITEM_KEY.match(key)
            if match and match.group(2) in ITEM_ATTRS and isinstance(value, str):
                rows.setdefault(int(match.group(1)), blank_item())[match.group(2)] = value.strip()
        items = [rows[n] for n in sorted(rows) if any(rows[n][a] for a in _TYPED)]
        return cls(values=values, items=items, department=_posted(form, "department"))

    def fields(self) -> dict[str, Any]:
        """The plain dict the catalog service validates."""
        return {
            **self.values,
            "data_items": [{**item, "length": item["length"] or None} for item in self.items],
        }

    def with_errors(self, exc: ValidationFailed) -> EditorForm:
        """The same input with each field's message (a catalogue msgid) attached."""
        errors: dict[str, str] = {}
        for error in exc.errors:
            if error.field == "department" and not self.department:
                # The service looked for a department named ""; the steward chose none.
                error = FieldError("department", "required", error.message)
            errors.setdefault(error.field, labels.error_message(error))
        return EditorForm(self.values, self.items or [blank_item()], self.department, errors)

    def anchor(self, error_field: str) -> str:
        """The id of the input an error is about, for the links of the error summary."""
        match = _ERROR_ITEM.match(error_field)
        if match:
            return f"items-{match.group(1)}-{match.group(2) or 'name'}"
        return "item-rows" if error_field == "data_items" else f"f-{error_field}"

    def rows(self, extra: int = 0) -> list[dict[str, str]]:
        """The item rows to show, with some blank ones to fill in."""
        return [*self.items, *(blank_item() for _ in range(extra))]


def classification_groups(
    nodes: Iterable[Classification], *, english: bool
) -> list[tuple[str, list[Classification]]]:
    """目-level classifications under headings of their 类 and 项, for a select box."""
    by_code = {c.code: c for c in nodes}
    groups: dict[str, list[Classification]] = {}
    for node in by_code.values():
        if node.level != 3:
            continue
        parent = by_code.get(node.parent_code or "")
        top = by_code.get(parent.parent_code or "") if parent else None
        heading = " › ".join(
            (n.name_en or n.name) if english else n.name for n in (top, parent) if n is not None
        )
        groups.setdefault(heading, []).append(node)
    return list(groups.items())


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def _posted(form: FormData, key: str) -> str:
    value = form.get(key)
    return value.strip() if isinstance(value, str) else ""
