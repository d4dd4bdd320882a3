"""SQLAlchemy tables of the metadata database: identity, catalog, datastore, ledger, sharing."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    event,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from quancheng.operations.model import entity_state

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back timezone-aware (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Refuse naive times; store UTC."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Attach UTC to what SQLite returns without a zone."""
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base with stable constraint names for migrations."""

    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON,
    }


class Department(Base):
    """A government department, district government or public enterprise."""

    __tablename__ = "departments"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    short_name: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(300), default="")
    credit_code: Mapped[str] = mapped_column(String(18), unique=True)
    kind: Mapped[str] = mapped_column(String(30))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    parent: Mapped[Department | None] = relationship(remote_side=[id])


class User(Base):
    """A person who logs in; public users belong to no department."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100), default="")
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(30))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), index=True)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(default=None)

    department: Mapped[Department | None] = relationship()


class ApiToken(Base):
    """An API token: only its SHA-256 is stored; the token is shown once."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    permissions: Mapped[list[str]] = mapped_column(JSON)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
    last_used_at: Mapped[datetime | None] = mapped_column(default=None)

    user: Mapped[User] = relationship()


class WebSession(Base):
    """A server-side login session; the cookie holds a secret whose hash is the key."""

    __tablename__ = "web_sessions"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]

    user: Mapped[User] = relationship()


class LoginAttempt(Base):
    """A failed login, kept for rate limiting by user name and client address."""

    __tablename__ = "login_attempts"
    __table_args__ = (Index("ix_login_attempts_at", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), index=True)
    client: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)


class Classification(Base):
    """A node of the catalog classification: 类 (level 1), 项 (2), 目 (3)."""

    __tablename__ = "classifications"

    code: Mapped[str] = mapped_column(String(12), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    level: Mapped[int] = mapped_column(Integer)
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("classifications.code"))


class CatalogEntry(Base):
    """A data resource in the catalog with the national metadata."""

    __tablename__ = "catalog_entries"
    __table_args__ = (
        Index("ix_catalog_entries_status_department", "status", "department_id"),
        Index("ix_catalog_entries_classification", "classification_code"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(300), default="")
    abstract: Mapped[str] = mapped_column(Text)
    abstract_en: Mapped[str] = mapped_column(Text, default="")
    classification_code: Mapped[str] = mapped_column(ForeignKey("classifications.code"))
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    format: Mapped[str] = mapped_column(String(30))
    sharing_type: Mapped[str] = mapped_column(String(20))
    sharing_conditions: Mapped[str] = mapped_column(Text, default="")
    legal_basis: Mapped[str] = mapped_column(Text, default="")
    sharing_method: Mapped[str] = mapped_column(String(20))
    open_type: Mapped[str] = mapped_column(String(20))
    open_conditions: Mapped[str] = mapped_column(Text, default="")
    update_cycle: Mapped[str] = mapped_column(String(20))
    security_grade: Mapped[str] = mapped_column(String(20))
    duty: Mapped[str] = mapped_column(Text, default="")
    source_system: Mapped[str] = mapped_column(String(200), default="")
    related_codes: Mapped[list[str]] = mapped_column(JSON, default=list)
    keywords: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(20))
    version: Mapped[int] = mapped_column(Integer, default=0)
    content_hash: Mapped[str | None] = mapped_column(String(64), default=None)
    published_at: Mapped[datetime | None] = mapped_column(default=None)
    review_comment: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    department: Mapped[Department] = relationship()
    classification: Mapped[Classification] = relationship()
    items: Mapped[list[DataItem]] = relationship(
        order_by="DataItem.position", cascade="all, delete-orphan"
    )


class DataItem(Base):
    """One data item (信息项) of a catalog entry."""

    __tablename__ = "data_items"
    __table_args__ = (UniqueConstraint("entry_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(
        ForeignKey("catalog_entries.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    data_type: Mapped[str] = mapped_column(String(2))
    length: Mapped[int | None] = mapped_column(Integer, default=None)
    description: Mapped[str] = mapped_column(Text, default="")
    sensitivity: Mapped[str] = mapped_column(String(30))


class CatalogVersion(Base):
    """A published version of an entry: its full metadata, content hash and diff."""

    __tablename__ = "catalog_versions"
    __table_args__ = (UniqueConstraint("entry_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(
        ForeignKey("catalog_entries.id", ondelete="CASCADE"), index=True
    )
    version: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64))
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON)
    diff: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    published_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


# Datastore: which tabular data each catalog entry has, its versions and its load jobs.


class Dataset(Base):
    """The tabular data of one catalog entry; `current_version_id` is what readers see."""

    __tablename__ = "datasets"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(
        ForeignKey("catalog_entries.id", ondelete="CASCADE"), unique=True
    )
    table_name: Mapped[str] = mapped_column(String(63), unique=True)
    current_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("data_versions.id", use_alter=True, ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(default=None)

    entry: Mapped[CatalogEntry] = relationship()


class DataVersion(Base):
    """One load of a dataset: its own physical table, schema, row count and content hash."""

    __tablename__ = "data_versions"
    __table_args__ = (UniqueConstraint("dataset_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dataset_id: Mapped[int] = mapped_column(
        ForeignKey("datasets.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column(Integer)
    physical_table: Mapped[str] = mapped_column(String(63), unique=True)
    columns: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    row_count: Mapped[int] = mapped_column(BigInteger)
    content_hash: Mapped[str] = mapped_column(String(64), index=True)
    source_name: Mapped[str] = mapped_column(String(255), default="")
    source_format: Mapped[str] = mapped_column(String(16), default="")
    source_encoding: Mapped[str | None] = mapped_column(String(32), default=None)
    quarantined_rows: Mapped[int] = mapped_column(BigInteger, default=0)
    # Dropped from the datastore by retention; the row stays for history.
    purged: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)


class IngestJob(Base):
    """A load in progress or done: status, progress, outcome and the row error report."""

    __tablename__ = "ingest_jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    dataset_id: Mapped[int] = mapped_column(
        ForeignKey("datasets.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(16), index=True)
    source_name: Mapped[str] = mapped_column(String(255), default="")
    bytes_total: Mapped[int] = mapped_column(BigInteger, default=0)
    bytes_read: Mapped[int] = mapped_column(BigInteger, default=0)
    rows_read: Mapped[int] = mapped_column(BigInteger, default=0)
    error_count: Mapped[int] = mapped_column(BigInteger, default=0)
    error_code: Mapped[str | None] = mapped_column(String(64), default=None)
    message: Mapped[str] = mapped_column(Text, default="")
    version_id: Mapped[int | None] = mapped_column(
        ForeignKey("data_versions.id", ondelete="SET NULL"), default=None
    )
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    heartbeat_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)


# Ledger: the Merkle transparency log (leaves, stored subtree hashes, checkpoints, witnesses).


class LedgerHead(Base):
    """The one row that orders appends: each appending transaction locks, reads and advances it."""

    __tablename__ = "ledger_head"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    size: Mapped[int] = mapped_column(BigInteger, default=0)
    root_hash: Mapped[bytes | None] = mapped_column(LargeBinary(64), default=None)
    # The tree hash of the log ("sha256" or "sm3"), fixed by its first leaf.
    hash_name: Mapped[str | None] = mapped_column(String(16), default=None)


class LedgerLeaf(Base):
    """One recorded event: its canonical JSON (the leaf data) and its RFC 9162 leaf hash."""

    __tablename__ = "ledger_leaves"

    index: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    leaf_hash: Mapped[bytes] = mapped_column(LargeBinary(64))
    event: Mapped[str] = mapped_column(Text)
    type: Mapped[str] = mapped_column(String(100), index=True)
    subject: Mapped[str] = mapped_column(String(300), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class LedgerNode(Base):
    """The hash of a perfect subtree above the leaves (level >= 1), stored when completed."""

    __tablename__ = "ledger_nodes"

    level: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    index: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hash: Mapped[bytes] = mapped_column(LargeBinary(64))


class LedgerCheckpoint(Base):
    """A checkpoint the log key signed: the signed note as issued, with its size and root."""

    __tablename__ = "ledger_checkpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger, index=True)
    root_hash: Mapped[bytes] = mapped_column(LargeBinary(64))
    note: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class LedgerWitnessKey(Base):
    """A witness verifier key registered by the platform authority."""

    __tablename__ = "ledger_witness_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    key: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class LedgerCosignature(Base):
    """A witness's signature line on one checkpoint (the newest per witness and checkpoint)."""

    __tablename__ = "ledger_cosignatures"
    __table_args__ = (UniqueConstraint("checkpoint_id", "witness"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    checkpoint_id: Mapped[int] = mapped_column(
        ForeignKey("ledger_checkpoints.id", ondelete="CASCADE"), index=True
    )
    witness: Mapped[str] = mapped_column(String(200))
    signature: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


# Sharing exchange: requests, grants, their usage, disputes and the history of each.


class SharingRequest(Base):
    """A department's request for a conditional (or coordinated) catalog entry."""

    __tablename__ = "sharing_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("catalog_entries.id"), index=True)
    consumer_department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    provider_department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    requested_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    state: Mapped[str] = mapped_column(String(24), index=True)
    purpose: Mapped[str] = mapped_column(Text)
    scenario: Mapped[str] = mapped_column(Text, default="")
    legal_basis: Mapped[str] = mapped_column(Text, default="")
    # Data item references (catalog item names, or column identifiers for unlinked columns).
    items: Mapped[list[str]] = mapped_column(JSON, default=list)
    period_days: Mapped[int] = mapped_column(Integer)
    # API token ids of the consumer's applications that will call the data API.
    applications: Mapped[list[int]] = mapped_column(JSON, default=list)
    coordination: Mapped[bool] = mapped_column(Boolean, default=False)
    final: Mapped[bool] = mapped_column(Boolean, default=False)
    reason: Mapped[str] = mapped_column(Text, default="")
    deadline_at: Mapped[datetime | None] = mapped_column(default=None, index=True)
    escalated_at: Mapped[datetime | None] = mapped_column(default=None)
    submitted_at: Mapped[datetime | None] = mapped_column(default=None)
    pending_since: Mapped[datetime | None] = mapped_column(default=None)
    answered_at: Mapped[datetime | None] = mapped_column(default=None)
    answered_on_time: Mapped[bool | None] = mapped_column(Boolean, default=None)
    answer_workdays: Mapped[int | None] = mapped_column(Integer, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class SharingGrant(Base):
    """Access a consumer department holds: items, row filter, masks, period and quota."""

    __tablename__ = "sharing_grants"
    __table_args__ = (Index("ix_sharing_grants_entry_department", "entry_id", "department_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int | None] = mapped_column(
        ForeignKey("sharing_requests.id"), default=None, index=True
    )
    entry_id: Mapped[int] = mapped_column(ForeignKey("catalog_entries.id"))
    # The consumer: a department, or (conditional open data) a registered public user.
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None, index=True)
    provider_department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    items: Mapped[list[str]] = mapped_column(JSON, default=list)
    # {item reference: mask rule}; a granted personal item absent here is read raw.
    masks: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # [[item reference, operator, value text], ...], ANDed to every read.
    row_filter: Mapped[list[list[str]]] = mapped_column(JSON, default=list)
    applications: Mapped[list[int]] = mapped_column(JSON, default=list)
    purpose: Mapped[str] = mapped_column(Text)
    quota_per_day: Mapped[int | None] = mapped_column(Integer, default=None)
    state: Mapped[str] = mapped_column(String(16), index=True)
    starts_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    ended_at: Mapped[datetime | None] = mapped_column(default=None)
    ended_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    end_reason: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SharingUsage(Base):
    """Reads through a grant per day: calls (for quotas and metrics) and rows returned."""

    __tablename__ = "sharing_usage"

    grant_id: Mapped[int] = mapped_column(
        ForeignKey("sharing_grants.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[str] = mapped_column(String(10), primary_key=True)
    calls: Mapped[int] = mapped_column(BigInteger, default=0)
    rows: Mapped[int] = mapped_column(BigInteger, default=0)


class SharingDispute(Base):
    """疑义校核: a consumer questions rows or values; the provider must answer in time."""

    __tablename__ = "sharing_disputes"

    id: Mapped[int] = mapped_column(primary_key=True)
    grant_id: Mapped[int | None] = mapped_column(ForeignKey("sharing_grants.id"), default=None)
    entry_id: Mapped[int] = mapped_column(ForeignKey("catalog_entries.id"), index=True)
    consumer_department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    provider_department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    raised_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    description: Mapped[str] = mapped_column(Text)
    # [{"row": _rowid or null, "column": reference, "value": text, "expected": text}, ...]
    cells: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    data_version: Mapped[int | None] = mapped_column(Integer, default=None)
    state: Mapped[str] = mapped_column(String(16), index=True)
    deadline_at: Mapped[datetime]
    answer: Mapped[str] = mapped_column(Text, default="")
    corrected_version: Mapped[int | None] = mapped_column(Integer, default=None)
    answered_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    answered_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SharingEvent(Base):
    """History of a request, grant or dispute, shown to both sides."""

    __tablename__ = "sharing_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int | None] = mapped_column(
        ForeignKey("sharing_requests.id", ondelete="CASCADE"), default=None, index=True
    )
    grant_id: Mapped[int | None] = mapped_column(
        ForeignKey("sharing_grants.id", ondelete="CASCADE"), default=None, index=True
    )
    dispute_id: Mapped[int | None] = mapped_column(
        ForeignKey("sharing_disputes.id", ondelete="CASCADE"), default=None, index=True
    )
    action: Mapped[str] = mapped_column(String(32))
    from_state: Mapped[str | None] = mapped_column(String(24), default=None)
    to_state: Mapped[str | None] = mapped_column(String(24), default=None)
    note: Mapped[str] = mapped_column(Text, default="")
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    actor_department_id: Mapped[int | None] = mapped_column(
        ForeignKey("departments.id"), default=None
    )
    at: Mapped[datetime] = mapped_column(default=utcnow)


# Open data portal: usage counters, harvesting, and the public's requests, feedback and reuses.


class PortalUsage(Base):
    """Views, downloads and API calls of an open entry per day; no visitor is recorded."""

    __tablename__ = "portal_usage"

    entry_id: Mapped[int] = mapped_column(
        ForeignKey("catalog_entries.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[str] = mapped_column(String(10), primary_key=True)
    views: Mapped[int] = mapped_column(BigInteger, default=0)
    downloads: Mapped[int] = mapped_column(BigInteger, default=0)
    api_calls: Mapped[int] = mapped_column(BigInteger, default=0)


class HarvestSource(Base):
    """Another portal (CKAN Action API or DCAT feed) whose entries a department imports."""

    __tablename__ = "harvest_sources"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    url: Mapped[str] = mapped_column(String(1000))
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    interval_hours: Mapped[int] = mapped_column(Integer, default=24)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # Source-specific options, e.g. {"organization": "...", "fq": "..."}.
    options: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_run_at: Mapped[datetime | None] = mapped_column(default=None)
    next_run_at: Mapped[datetime | None] = mapped_column(default=None, index=True)


class HarvestRun(Base):
    """One harvest of a source and its report: what was created, updated, unchanged, removed."""

    __tablename__ = "harvest_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(
        ForeignKey("harvest_sources.id", ondelete="CASCADE"), index=True
    )
    state: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
    created: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    removed: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    # [{"remote_id": ..., "action": "created|updated|unchanged|removed|failed", ...}, ...]
    report: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    error: Mapped[str] = mapped_column(Text, default="")


class HarvestRecord(Base):
    """Which local entry a remote dataset became, and the hash of what was last imported."""

    __tablename__ = "harvest_records"

    source_id: Mapped[int] = mapped_column(
        ForeignKey("harvest_sources.id", ondelete="CASCADE"), primary_key=True
    )
    remote_id: Mapped[str] = mapped_column(String(300), primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("catalog_entries.id"), index=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    removed: Mapped[bool] = mapped_column(Boolean, default=False)
    seen_at: Mapped[datetime] = mapped_column(default=utcnow)


class PortalDataRequest(Base):
    """A member of the public asks for data that is not open yet; the department answers."""

    __tablename__ = "portal_data_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    purpose: Mapped[str] = mapped_column(Text, default="")
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("departments.id"), default=None, index=True
    )
    requested_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    state: Mapped[str] = mapped_column(String(16), index=True)
    answer: Mapped[str] = mapped_column(Text, default="")
    answered_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    answered_at: Mapped[datetime | None] = mapped_column(default=None)
    # The entry opened (or already open) in answer to the request.
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("catalog_entries.id"), default=None)
    votes: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PortalFeedback(Base):
    """A comment with a rating, or an error report, on an open entry; moderated before shown."""

    __tablename__ = "portal_feedback"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("catalog_entries.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    kind: Mapped[str] = mapped_column(String(16))
    rating: Mapped[int | None] = mapped_column(Integer, default=None)
    body: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16), index=True)
    reply: Mapped[str] = mapped_column(Text, default="")
    replied_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    replied_at: Mapped[datetime | None] = mapped_column(default=None)
    moderated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    moderated_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PortalReuse(Base):
    """An app, research paper, visualisation or news story built on open entries."""

    __tablename__ = "portal_reuses"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    description: Mapped[str] = mapped_column(Text)
    url: Mapped[str] = mapped_column(String(1000), default="")
    organisation: Mapped[str] = mapped_column(String(200), default="")
    submitted_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    state: Mapped[str] = mapped_column(String(16), index=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    moderated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    moderated_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PortalReuseEntry(Base):
    """An entry a reuse is built on."""

    __tablename__ = "portal_reuse_entries"

    reuse_id: Mapped[int] = mapped_column(
        ForeignKey("portal_reuses.id", ondelete="CASCADE"), primary_key=True
    )
    entry_id: Mapped[int] = mapped_column(ForeignKey("catalog_entries.id"), primary_key=True)


class PortalApplication(Base):
    """有条件开放: a registered user applies for a conditional open entry under an agreement."""

    __tablename__ = "portal_applications"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("catalog_entries.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    organisation: Mapped[str] = mapped_column(String(200), default="")
    purpose: Mapped[str] = mapped_column(Text)
    # SHA-256 of the agreement text the applicant accepted, and when.
    agreement_hash: Mapped[str] = mapped_column(String(64))
    agreed_at: Mapped[datetime] = mapped_column(default=utcnow)
    period_days: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16), index=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    deadline_at: Mapped[datetime | None] = mapped_column(default=None)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    decided_at: Mapped[datetime | None] = mapped_column(default=None)
    grant_id: Mapped[int | None] = mapped_column(ForeignKey("sharing_grants.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


# City operations: NGSI-LD entities (latest state), subscriptions, rules, alarms, commands and
# lighting schedules. Telemetry history lives in the datastore engine (DuckDB / PostgreSQL).


class OpsEntity(Base):
    """An NGSI-LD entity (a lamp, a cabinet, a station …): its latest attributes."""

    __tablename__ = "ops_entities"
    __table_args__ = (Index("ix_ops_entities_lon_lat", "lon", "lat"),)

    id: Mapped[str] = mapped_column(String(256), primary_key=True)
    type: Mapped[str] = mapped_column(String(100), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    # Where it is: the district's administrative code, its group (refStreetlightGroup …),
    # and the point used for georel queries and the map (a location's centroid).
    district: Mapped[str] = mapped_column(String(12), default="", index=True)
    group_id: Mapped[str] = mapped_column(String(256), default="", index=True)
    lon: Mapped[float | None] = mapped_column(Float, default=None)
    lat: Mapped[float | None] = mapped_column(Float, default=None)
    # The entity's attributes in NGSI-LD normalized form, latest value of each.
    attrs: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # A streetlight's on/off/faulty (empty for other types), kept beside its attributes so the
    # big screen counts 300k lamps without reading their JSON; set on every write.
    state: Mapped[str] = mapped_column(String(16), default="", server_default="")
    # Not indexed: rows rewritten by every telemetry batch stay in place (migration 0008).
    last_seen_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    modified_at: Mapped[datetime] = mapped_column(default=utcnow)


@event.listens_for(OpsEntity, "before_insert")
@event.listens_for(OpsEntity, "before_update")
def _entity_state(mapper: Any, connection: Any, target: OpsEntity) -> None:
    """Keep the state column in step with the attributes on every ORM write."""
    target.state = entity_state(target.type, target.attrs)


class OpsSubscription(Base):
    """An NGSI-LD subscription: matching changes are posted to a webhook, throttled."""

    __tablename__ = "ops_subscriptions"

    id: Mapped[str] = mapped_column(String(256), primary_key=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), index=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    # The subscription as posted (entities, watchedAttributes, q, notification.endpoint …).
    body: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    entity_type: Mapped[str] = mapped_column(String(100), default="", index=True)
    endpoint: Mapped[str] = mapped_column(String(1000))
    throttling_seconds: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    times_sent: Mapped[int] = mapped_column(BigInteger, default=0)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_notified_at: Mapped[datetime | None] = mapped_column(default=None)
    last_failure_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class OpsRule(Base):
    """An alarm rule: a threshold held for a duration, a device offline, or a failure flag."""

    __tablename__ = "ops_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    entity_type: Mapped[str] = mapped_column(String(100), index=True)
    # "threshold" (attribute operator value, held duration_seconds), "offline" (not seen for
    # duration_seconds) or "flag" (a failure flag attribute is true).
    kind: Mapped[str] = mapped_column(String(16))
    attribute: Mapped[str] = mapped_column(String(100), default="")
    operator: Mapped[str] = mapped_column(String(4), default="")
    threshold: Mapped[float | None] = mapped_column(Float, default=None)
    duration_seconds: Mapped[int] = mapped_column(Integer, default=0)
    # Which entities: {"district": "370102"} / {"group": "urn:…"} / {} for every one of the type.
    scope: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    severity: Mapped[str] = mapped_column(String(16), default="major")
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class OpsAlarm(Base):
    """An alarm: active → acknowledged → cleared; one open alarm per rule, entity and cause."""

    __tablename__ = "ops_alarms"
    __table_args__ = (
        # One open alarm per dedupe key, even when two server processes raise it at once.
        Index(
            "ux_ops_alarms_open",
            "dedupe_key",
            unique=True,
            sqlite_where=text("state != 'cleared'"),
            postgresql_where=text("state != 'cleared'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    rule_id: Mapped[int | None] = mapped_column(ForeignKey("ops_rules.id"), default=None)
    entity_id: Mapped[str] = mapped_column(ForeignKey("ops_entities.id"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    # What deduplicates it while it is open, e.g. "rule:7|urn:…" or "flag:lampFailure|urn:…".
    dedupe_key: Mapped[str] = mapped_column(String(400), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    severity: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16), index=True)
    message: Mapped[str] = mapped_column(Text, default="")
    value: Mapped[float | None] = mapped_column(Float, default=None)
    occurrences: Mapped[int] = mapped_column(Integer, default=1)
    raised_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    acknowledged_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    acknowledged_at: Mapped[datetime | None] = mapped_column(default=None)
    cleared_at: Mapped[datetime | None] = mapped_column(default=None)


class OpsCommand(Base):
    """A command to a device (on / off / dim): desired state, delivery status and retries."""

    __tablename__ = "ops_commands"

    id: Mapped[int] = mapped_column(primary_key=True)
    entity_id: Mapped[str] = mapped_column(ForeignKey("ops_entities.id"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    # Commands sent together (to a group or a district) share a batch.
    batch: Mapped[str] = mapped_column(String(64), default="", index=True)
    action: Mapped[str] = mapped_column(String(16))
    level: Mapped[float | None] = mapped_column(Float, default=None)
    # "manual", "schedule" or "override".
    source: Mapped[str] = mapped_column(String(16), default="manual")
    state: Mapped[str] = mapped_column(String(16), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(default=None)
    acknowledged_at: Mapped[datetime | None] = mapped_column(default=None)
    expires_at: Mapped[datetime]


class OpsSchedule(Base):
    """A lighting calendar entry: on which days, which program (fixed or astronomical)."""

    __tablename__ = "ops_schedules"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    # {"group": "urn:…"} / {"district": "370102"} / {} (every lamp of the department).
    target: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # {"kind": "fixed", "on": "18:30", "off": "06:00"} or {"kind": "astronomical",
    # "on_offset_minutes": -10, "off_offset_minutes": 15}, plus "dimming": [["23:00", 0.5], …].
    program: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # {"weekdays": [0..6]} / {"dates": ["2026-10-01", …]} / {"from": "…", "to": "…"}.
    calendar: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    priority: Mapped[int] = mapped_column(Integer, default=0)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class DerivedStamp(Base):
    """The version of the code that last built one kind of derived data (db/derived.py)."""

    __tablename__ = "derived_data"

    kind: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    built_at: Mapped[datetime] = mapped_column(default=utcnow)
