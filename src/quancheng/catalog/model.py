"""Catalog vocabulary (national catalog metadata) and the validated fields of an entry."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from enum import StrEnum
from typing import Any

from quancheng.errors import FieldError, ValidationFailed


class SharingType(StrEnum):
    """共享类型."""

    UNCONDITIONAL = "unconditional"
    CONDITIONAL = "conditional"
    NONE = "none"


class OpenType(StrEnum):
    """开放属性."""

    OPEN = "open"
    CONDITIONAL = "conditional"
    CLOSED = "closed"


# Entries the open portal lists (conditional ones with their metadata, not their data).
PORTAL_OPEN_TYPES: tuple[str, ...] = (OpenType.OPEN.value, OpenType.CONDITIONAL.value)


class SharingMethod(StrEnum):
    """共享方式."""

    API = "api"
    FILE = "file"
    DATABASE = "database"


class ResourceFormat(StrEnum):
    """信息资源格式."""

    ELECTRONIC_FILE = "electronic_file"
    SPREADSHEET = "spreadsheet"
    DATABASE = "database"
    IMAGE = "image"
    STREAMING_MEDIA = "streaming_media"
    SELF_DESCRIBING = "self_describing"
    SERVICE_API = "service_api"


class UpdateCycle(StrEnum):
    """更新周期."""

    REALTIME = "realtime"
    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    SEMIANNUAL = "semiannual"
    YEARLY = "yearly"


class SecurityGrade(StrEnum):
    """数据分级 (Data Security Law, GB/T 43697-2024)."""

    CORE = "core"
    IMPORTANT = "important"
    GENERAL = "general"


class EntryStatus(StrEnum):
    """目录状态: 草稿 → 待审核 → 已发布 → 已下线."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    PUBLISHED = "published"
    OFFLINE = "offline"


class DataType(StrEnum):
    """Data item types of the national catalog guideline."""

    CHAR = "C"
    NUMERIC = "N"
    CURRENCY = "Y"
    DATE = "D"
    DATETIME = "T"
    LOGICAL = "L"
    MEMO = "M"
    INTEGER = "I"
    FLOAT = "F"
    BINARY = "B"


class Sensitivity(StrEnum):
    """How sensitive a data item is (drives masking in the exchange)."""

    PUBLIC = "public"
    INTERNAL = "internal"
    PERSONAL = "personal"
    SENSITIVE_PERSONAL = "sensitive_personal"


# Types whose length is meaningful and required.
SIZED_TYPES = frozenset({DataType.CHAR, DataType.NUMERIC, DataType.CURRENCY})

NAME_MAX = 200
ITEM_NAME_MAX = 100
MAX_ITEMS = 500


def _enum(
    errors: list[FieldError], field: str, cls: type[StrEnum], value: object
) -> StrEnum | None:
    try:
        return cls(str(value))
    except ValueError:
        allowed = ", ".join(m.value for m in cls)
        errors.append(FieldError(field, "invalid_choice", f"{value!r} is not one of: {allowed}"))
        return None


@dataclass(frozen=True)
class DataItemFields:
    """One data item as given by a steward."""

    name: str
    data_type: DataType
    length: int | None = None
    description: str = ""
    sensitivity: Sensitivity = Sensitivity.PUBLIC
    name_en: str = ""


@dataclass(frozen=True)
class EntryFields:
    """The editable metadata of a catalog entry; built only through `parse`, never invalid."""

    name: str
    abstract: str
    classification_code: str
    format: ResourceFormat
    sharing_type: SharingType
    sharing_method: SharingMethod
    open_type: OpenType
    update_cycle: UpdateCycle
    security_grade: SecurityGrade
    data_items: tuple[DataItemFields, ...]
    sharing_conditions: str = ""
    legal_basis: str = ""
    open_conditions: str = ""
    duty: str = ""
    source_system: str = ""
    name_en: str = ""
    abstract_en: str = ""
    related_codes: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()

    @classmethod
    def parse(cls, raw: Mapping[str, Any]) -> EntryFields:
        """Validate raw input; raise ValidationFailed listing every bad field."""
        errors: list[FieldError] = []

        def text(field: str, *, required: bool = False, limit: int | None = None) -> str:
            value = raw.get(field)
            value = "" if value is None else str(value).strip()
            if required and not value:
                errors.append(FieldError(field, "required", f"{field} is required"))
            if limit is not None and len(value) > limit:
                errors.append(FieldError(field, "too_long", f"at most {limit} characters"))
            return value

        name = text("name", required=True, limit=NAME_MAX)
        abstract = text("abstract", required=True, limit=4000)
        classification = text("classification_code", required=True, limit=12)
        fmt = _enum(errors, "format", ResourceFormat, raw.get("format"))
        sharing = _enum(errors, "sharing_type", SharingType, raw.get("sharing_type"))
        method = _enum(errors, "sharing_method", SharingMethod, raw.get("sharing_method"))
        open_type = _enum(errors, "open_type", OpenType, raw.get("open_type"))
        cycle = _enum(errors, "update_cycle", UpdateCycle, raw.get("update_cycle"))
        grade = _enum(errors, "security_grade", SecurityGrade, raw.get("security_grade"))
        conditions = text("sharing_conditions", limit=2000)
        legal_basis = text("legal_basis", limit=2000)
        open_conditions = text("open_conditions", limit=2000)
        if sharing is SharingType.CONDITIONAL and not conditions:
            errors.append(
                FieldError(
                    "sharing_conditions", "required", "conditional sharing must state conditions"
                )
            )
        if sharing in (SharingType.CONDITIONAL, SharingType.NONE) and not legal_basis:
            errors.append(
                FieldError(
                    "legal_basis",
                    "required",
                    "conditional or no sharing must cite a law, regulation or State Council policy",
                )
            )
        if open_type is OpenType.CONDITIONAL and not open_conditions:
            errors.append(
                FieldError(
                    "open_conditions", "required", "conditional opening must state conditions"
                )
            )
        items = _parse_items(raw.get("data_items"), errors)
        if open_type is OpenType.OPEN and any(
            i.sensitivity is Sensitivity.SENSITIVE_PERSONAL for i in items
        ):
            errors.append(
                FieldError(
                    "open_type",
                    "sensitive_items",
                    "an entry with sensitive personal items cannot be open unconditionally",
                )
            )
        related = _string_list(raw.get("related_codes"), "related_codes", errors)
        keywords = _string_list(raw.get("keywords"), "keywords", errors)
        if errors:
            raise ValidationFailed("invalid catalog entry", errors=errors)
        assert fmt and sharing and method and open_type and cycle and grade  # noqa: S101
        return cls(
            name=name,
            abstract=abstract,
            classification_code=classification,
            format=ResourceFormat(fmt),
            sharing_type=SharingType(sharing),
            sharing_method=SharingMethod(method),
            open_type=OpenType(open_type),
            update_cycle=UpdateCycle(cycle),
            security_grade=SecurityGrade(grade),
            data_items=items,
            sharing_conditions=conditions,
            legal_basis=legal_basis,
            open_conditions=open_conditions,
            duty=text("duty", limit=2000),
            source_system=text("source_system", limit=200),
            name_en=text("name_en", limit=300),
            abstract_en=text("abstract_en", limit=4000),
            related_codes=related,
            keywords=keywords,
        )

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form (the shape `parse` accepts)."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "data_items":
                out[f.name] = [item_dict(i) for i in value]
            elif isinstance(value, tuple):
                out[f.name] = list(value)
            else:
                out[f.name] = str(value) if isinstance(value, StrEnum) else value
        return out


def item_dict(item: DataItemFields) -> dict[str, Any]:
    """A data item as a plain dict."""
    return {
        "name": item.name,
        "name_en": item.name_en,
        "data_type": item.data_type.value,
        "length": item.length,
        "description": item.description,
        "sensitivity": item.sensitivity.value,
    }


def _string_list(value: Any, field: str, errors: list[FieldError]) -> tuple[str, ...]:
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        value = [v for v in value.replace("，", ",").split(",")]
    if not isinstance(value, Sequence) or isinstance(value, str | bytes):
        errors.append(FieldError(field, "invalid", "a list of strings"))
        return ()
    out = tuple(str(v).strip() for v in value if str(v).strip())
    if any(len(v) > 100 for v in out):
        errors.append(FieldError(field, "too_long", "each value at most 100 characters"))
    return out


def _parse_items(value: Any, errors: list[FieldError]) -> tuple[DataItemFields, ...]:
    if not isinstance(value, Sequence) or isinstance(value, str | bytes) or not value:
        errors.append(FieldError("data_items", "required", "an entry needs at least one data item"))
        return ()
    if len(value) > MAX_ITEMS:
        errors.append(FieldError("data_items", "too_many", f"at most {MAX_ITEMS} data items"))
        return ()
    items: list[DataItemFields] = []
    seen: set[str] = set()
    for n, raw in enumerate(value):
        where = f"data_items[{n}]"
        if not isinstance(raw, Mapping):
            errors.append(FieldError(where, "invalid", "each data item is an object"))
            continue
        before = len(errors)
        name = str(raw.get("name") or "").strip()
        if not name:
            errors.append(FieldError(f"{where}.name", "required", "a data item needs a name"))
        elif len(name) > ITEM_NAME_MAX:
            errors.append(FieldError(f"{where}.name", "too_long", f"at most {ITEM_NAME_MAX}"))
        elif name in seen:
            errors.append(FieldError(f"{where}.name", "duplicate", f"{name} appears twice"))
        seen.add(name)
        dtype = _enum(errors, f"{where}.data_type", DataType, raw.get("data_type"))
        sens = _enum(
            errors, f"{where}.sensitivity", Sensitivity, raw.get("sensitivity") or "public"
        )
        length = _length(raw.get("length"), f"{where}.length", errors)
        if dtype in SIZED_TYPES and length is None:
            errors.append(FieldError(f"{where}.length", "required", f"type {dtype} needs a length"))
        if len(errors) > before or dtype is None or sens is None:
            continue
        items.append(
            DataItemFields(
                name=name,
                data_type=DataType(dtype),
                length=length,
                description=str(raw.get("description") or "").strip()[:2000],
                sensitivity=Sensitivity(sens),
                name_en=str(raw.get("name_en") or "").strip()[:200],
            )
        )
    return tuple(items)


def _length(value: Any, field: str, errors: list[FieldError]) -> int | None:
    if value is None or value == "":
        return None
    try:
        length = int(value)
    except (TypeError, ValueError):
        errors.append(FieldError(field, "invalid", "a whole number"))
        return None
    if not 1 <= length <= 1_000_000:
        errors.append(FieldError(field, "out_of_range", "between 1 and 1000000"))
        return None
    return length
