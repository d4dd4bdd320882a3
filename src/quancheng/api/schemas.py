"""Pydantic shapes at the API edge: what goes in (XCreate) and what comes out (XPublic)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from quancheng.catalog.service import FacetValue, SearchResult
from quancheng.datastore.schema import public_table_name
from quancheng.db.models import CatalogEntry, CatalogVersion, Department, User


class DepartmentPublic(BaseModel):
    """A department as the API shows it."""

    id: int
    key: str
    name: str
    short_name: str
    name_en: str
    credit_code: str
    kind: str
    parent_id: int | None

    @classmethod
    def of(cls, d: Department) -> DepartmentPublic:
        """From the database row."""
        return cls(
            id=d.id,
            key=d.key,
            name=d.name,
            short_name=d.short_name,
            name_en=d.name_en,
            credit_code=d.credit_code,
            kind=d.kind,
            parent_id=d.parent_id,
        )


class DepartmentList(BaseModel):
    """Every department."""

    items: list[DepartmentPublic]
    total: int


class DepartmentCreate(BaseModel):
    """A department to register."""

    model_config = ConfigDict(extra="forbid")

    key: str
    name: str
    short_name: str
    credit_code: str
    kind: str
    name_en: str = ""
    parent: str | None = None


class DepartmentRef(BaseModel):
    """A short reference to the providing department."""

    id: int
    key: str
    name: str
    short_name: str
    name_en: str


class DataItemIO(BaseModel):
    """A data item (信息项)."""

    name: str | None = None
    name_en: str = ""
    data_type: str | None = None
    length: int | None = None
    description: str = ""
    sensitivity: str = "public"


class DatasetFieldsIn(BaseModel):
    """Editable metadata of a catalog entry; validated field by field by the catalog."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = None
    name_en: str = ""
    abstract: str | None = None
    abstract_en: str = ""
    classification_code: str | None = None
    format: str | None = None
    sharing_type: str | None = Field(default=None, description="unconditional|conditional|none")
    sharing_conditions: str = ""
    legal_basis: str = ""
    sharing_method: str | None = Field(default=None, description="api|file|database")
    open_type: str | None = Field(default=None, description="open|conditional|closed")
    open_conditions: str = ""
    update_cycle: str | None = None
    security_grade: str | None = None
    duty: str = ""
    source_system: str = ""
    related_codes: list[str] = []
    keywords: list[str] = []
    data_items: list[DataItemIO] = []


class DatasetCreate(DatasetFieldsIn):
    """A new catalog entry: its department and, optionally, an existing resource code."""

    department: str | int
    code: str | None = None


class DatasetSummary(BaseModel):
    """An entry in a list of search results."""

    id: int
    code: str
    name: str
    name_en: str
    abstract: str
    department: DepartmentRef
    classification_code: str
    classification_name: str
    format: str
    sharing_type: str
    open_type: str
    update_cycle: str
    security_grade: str
    status: str
    version: int
    published_at: datetime | None
    updated_at: datetime
    table: str = Field(description="The name of this entry's data in read-only SQL.")

    @classmethod
    def of(cls, e: CatalogEntry) -> DatasetSummary:
        """From the database row (department and classification loaded)."""
        return cls(**_summary_fields(e))


class DatasetPublic(DatasetSummary):
    """A catalog entry with every metadata field and its data items."""

    abstract_en: str
    sharing_conditions: str
    legal_basis: str
    sharing_method: str
    open_conditions: str
    duty: str
    source_system: str
    related_codes: list[str]
    keywords: list[str]
    content_hash: str | None
    review_comment: str
    created_at: datetime
    data_items: list[DataItemIO]

    @classmethod
    def of(cls, e: CatalogEntry) -> DatasetPublic:
        """From the database row (items, department and classification loaded)."""
        return cls(
            **_summary_fields(e),
            abstract_en=e.abstract_en,
            sharing_conditions=e.sharing_conditions,
            legal_basis=e.legal_basis,
            sharing_method=e.sharing_method,
            open_conditions=e.open_conditions,
            duty=e.duty,
            source_system=e.source_system,
            related_codes=list(e.related_codes or []),
            keywords=list(e.keywords or []),
            content_hash=e.content_hash,
            review_comment=e.review_comment,
            created_at=e.created_at,
            data_items=[
                DataItemIO(
                    name=i.name,
                    name_en=i.name_en,
                    data_type=i.data_type,
                    length=i.length,
                    description=i.description,
                    sensitivity=i.sensitivity,
                )
                for i in e.items
            ],
        )


def _summary_fields(e: CatalogEntry) -> dict[str, Any]:
    d = e.department
    return {
        "id": e.id,
        "code": e.code,
        "table": public_table_name(e.code),
        "name": e.name,
        "name_en": e.name_en,
        "abstract": e.abstract,
        "department": DepartmentRef(
            id=d.id, key=d.key, name=d.name, short_name=d.short_name, name_en=d.name_en
        ),
        "classification_code": e.classification_code,
        "classification_name": e.classification.name if e.classification else "",
        "format": e.format,
        "sharing_type": e.sharing_type,
        "open_type": e.open_type,
        "update_cycle": e.update_cycle,
        "security_grade": e.security_grade,
        "status": e.status,
        "version": e.version,
        "published_at": e.published_at,
        "updated_at": e.updated_at,
    }


class FacetCount(BaseModel):
    """One facet value and its count."""

    value: str
    count: int
    label: str = ""
    label_en: str = ""

    @classmethod
    def of(cls, f: FacetValue) -> FacetCount:
        """From the service's facet value."""
        return cls(value=f.value, count=f.count, label=f.label, label_en=f.label_en)


class DatasetSearch(BaseModel):
    """A page of search results with the total and facet counts."""

    items: list[DatasetSummary]
    total: int
    limit: int
    offset: int
    facets: dict[str, list[FacetCount]]

    @classmethod
    def of(cls, r: SearchResult, *, limit: int, offset: int) -> DatasetSearch:
        """From the service's result."""
        return cls(
            items=[DatasetSummary.of(e) for e in r.items],
            total=r.total,
            limit=limit,
            offset=offset,
            facets={k: [FacetCount.of(f) for f in v] for k, v in r.facets.items()},
        )


class VersionPublic(BaseModel):
    """A published version with its content hash and the diff from the previous one."""

    version: int
    content_hash: str
    published_at: datetime
    diff: list[dict[str, Any]]
    snapshot: dict[str, Any]

    @classmethod
    def of(cls, v: CatalogVersion) -> VersionPublic:
        """From the database row."""
        return cls(
            version=v.version,
            content_hash=v.content_hash,
            published_at=v.published_at,
            diff=v.diff,
            snapshot=v.snapshot,
        )


class Decision(BaseModel):
    """A reason given with a lifecycle step (return to draft, take offline)."""

    model_config = ConfigDict(extra="forbid")

    reason: str = ""


class Stats(BaseModel):
    """The city's figures."""

    departments: int
    providing_departments: int
    datasets: int
    shared_datasets: int
    open_datasets: int
    conditionally_open_datasets: int
    sharing_rate: float
    sharing_mix: dict[str, int]
    by_department: list[dict[str, Any]]
    by_classification: list[dict[str, Any]]


class Me(BaseModel):
    """The caller."""

    username: str
    role: str | None
    department_id: int | None
    permissions: list[str]


class UserCreate(BaseModel):
    """A user to create."""

    model_config = ConfigDict(extra="forbid")

    username: str
    password: str
    role: str
    department: str | int | None = None
    display_name: str = ""


class UserUpdate(BaseModel):
    """Changes to a user: only the fields sent change."""

    model_config = ConfigDict(extra="forbid")

    role: str | None = None
    is_active: bool | None = None
    display_name: str | None = None


class PasswordReset(BaseModel):
    """An administrator's new password for a user."""

    model_config = ConfigDict(extra="forbid")

    password: str


class PasswordChange(BaseModel):
    """The caller's own new password, confirmed by the current one."""

    model_config = ConfigDict(extra="forbid")

    current_password: str
    new_password: str


class UserPublic(BaseModel):
    """A user as the API shows it (never the password hash)."""

    id: int
    username: str
    display_name: str
    role: str
    department_id: int | None
    is_active: bool

    @classmethod
    def of(cls, u: User) -> UserPublic:
        """From the database row."""
        return cls(
            id=u.id,
            username=u.username,
            display_name=u.display_name,
            role=u.role,
            department_id=u.department_id,
            is_active=u.is_active,
        )


class TokenCreate(BaseModel):
    """A token to issue."""

    model_config = ConfigDict(extra="forbid")

    name: str
    permissions: list[str] | None = None
    days: int | None = Field(default=None, ge=1, le=3650)


class TokenIssued(BaseModel):
    """A new token: the secret is shown this once."""

    id: int
    token: str
    prefix: str
    expires_at: datetime
    permissions: list[str]


class TokenPublic(BaseModel):
    """A token as listed later (no secret)."""

    id: int
    name: str
    prefix: str
    permissions: list[str]
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None


class ErrorInfo(BaseModel):
    """What went wrong: a stable code, a message and optional details."""

    code: str
    message: str
    details: Any = None


class ErrorBody(BaseModel):
    """The API error body of every `/api/v1` route (errors.PlatformError.body)."""

    error: ErrorInfo


class ProblemDetails(BaseModel):
    """An NGSI-LD error (RFC 7807 ProblemDetails) with our `error` member alongside."""

    type: str
    title: str
    status: int
    detail: str
    error: ErrorInfo


class CkanErrorBody(BaseModel):
    """A failed CKAN action: `success` is false and `error` carries CKAN's `__type`."""

    help: str
    success: bool
    error: dict[str, Any]


def error_responses(model: type[BaseModel], *statuses: int) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI `responses=` entries documenting our error statuses with their body."""
    return {status: {"model": model, "description": "Error"} for status in statuses}


# Statuses any route may answer with: malformed input, no or bad token, not allowed, not
# found or not visible, conflicting state, too large, invalid fields, too many attempts.
API_ERRORS = error_responses(ErrorBody, 400, 401, 403, 404, 409, 413, 422, 429)
# NGSI-LD also answers 406 (Accept names neither JSON nor JSON-LD) and 415 (a body in another
# media type).
PROBLEM_RESPONSES = error_responses(
    ProblemDetails, 400, 401, 403, 404, 406, 409, 413, 415, 422, 429
)
