"""Catalog service: entries, their lifecycle and versions, search with facets, figures."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from quancheng.catalog.model import (
    EntryFields,
    EntryStatus,
    OpenType,
    ResourceFormat,
    SecurityGrade,
    SharingType,
    UpdateCycle,
    item_dict,
)
from quancheng.catalog.search import SEARCH_INDEX, CatalogSearch
from quancheng.catalog.versions import content_hash, diff_snapshots
from quancheng.db import Database
from quancheng.db.derived import rebuild
from quancheng.db.models import (
    CatalogEntry,
    CatalogVersion,
    Classification,
    DataItem,
    Department,
    utcnow,
)
from quancheng.errors import (
    FieldError,
    InvalidTransition,
    NotFound,
    ValidationFailed,
)
from quancheng.identity.roles import Permission, Principal
from quancheng.identity.service import find_department

if TYPE_CHECKING:
    from quancheng.ledger.log import Ledger

CODE_RE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z./-]{2,63}$")
MAX_LIMIT = 100
SORTS = ("relevance", "name", "updated", "code")
FACET_FIELDS = (
    "department",
    "classification",
    "sharing_type",
    "open_type",
    "format",
    "update_cycle",
    "security_grade",
)
_ENUM_FILTERS: dict[str, type[Any]] = {
    "sharing_type": SharingType,
    "open_type": OpenType,
    "format": ResourceFormat,
    "update_cycle": UpdateCycle,
    "security_grade": SecurityGrade,
}


@dataclass(frozen=True)
class NewEntry:
    """An entry to register: its department (id, key or name), its fields, maybe its code."""

    department: int | str
    fields: EntryFields
    code: str | None = None


@dataclass(frozen=True)
class SearchQuery:
    """A catalog search: words, facet filters, status, paging and sort; checked when built."""

    q: str = ""
    department: str | None = None
    classification: str | None = None
    sharing_type: str | None = None
    open_type: str | None = None
    format: str | None = None
    update_cycle: str | None = None
    security_grade: str | None = None
    status: str = EntryStatus.PUBLISHED.value
    limit: int = 20
    offset: int = 0
    sort: str = "relevance"

    def __post_init__(self) -> None:
        errors: list[FieldError] = []
        for name, enum in _ENUM_FILTERS.items():
            value = getattr(self, name)
            if value is not None and value not in {m.value for m in enum}:
                allowed = ", ".join(m.value for m in enum)
                errors.append(FieldError(name, "invalid_choice", f"one of: {allowed}"))
        if self.status not in {*(s.value for s in EntryStatus), "all"}:
            errors.append(FieldError("status", "invalid_choice", "a status or 'all'"))
        if not 1 <= self.limit <= MAX_LIMIT:
            errors.append(FieldError("limit", "out_of_range", f"between 1 and {MAX_LIMIT}"))
        if self.offset < 0:
            errors.append(FieldError("offset", "out_of_range", "0 or more"))
        if self.sort not in SORTS:
            errors.append(FieldError("sort", "invalid_choice", f"one of: {', '.join(SORTS)}"))
        if len(self.q) > 200:
            errors.append(FieldError("q", "too_long", "at most 200 characters"))
        if errors:
            raise ValidationFailed("invalid search", errors=errors)


@dataclass(frozen=True)
class FacetValue:
    """One value of a facet with how many matching entries have it."""

    value: str
    count: int
    label: str = ""
    label_en: str = ""


@dataclass
class SearchResult:
    """A page of entries, the total that matched, and facet counts over all matches."""

    items: list[CatalogEntry]
    total: int
    facets: dict[str, list[FacetValue]] = field(default_factory=dict)


# The ledger event of each lifecycle target (catalog.entry.<action>).
_ACTIONS = {
    EntryStatus.SUBMITTED: "submitted",
    EntryStatus.PUBLISHED: "published",
    EntryStatus.DRAFT: "returned",
    EntryStatus.OFFLINE: "offline",
}


class CatalogService:
    """Catalog entries: create, edit, submit, publish, take offline, search, count."""

    def __init__(
        self, *, db: Database, search: CatalogSearch, ledger: Ledger | None = None
    ) -> None:
        self.db = db
        self.search_index = search
        self.ledger = ledger

    def reindex(self) -> int:
        """Index every entry again now (after a restore, a tokenizer change); how many."""
        return rebuild(self.db, SEARCH_INDEX)

    def _record(
        self, s: Session, actor: Principal, action: str, entry: CatalogEntry, *, flush: bool = True
    ) -> None:
        # In the change's own transaction: the step and its ledger leaf commit together.
        if self.ledger is not None:
            if flush:
                s.flush()
            self.ledger.record_catalog(s, actor, action, entry)

    # -- classification ------------------------------------------------------------------

    @staticmethod
    def add_classification(
        s: Session, *, code: str, name: str, name_en: str = "", parent_code: str | None = None
    ) -> Classification:
        """Insert a classification node inside the caller's transaction."""
        level = {1: 1, 3: 2, 6: 3}.get(len(code))
        if level is None or not (code.isascii() and code.isdigit()):
            raise ValidationFailed(
                "invalid classification",
                errors=[FieldError("code", "invalid", "1, 3 or 6 digits (类/项/目)")],
            )
        node = Classification(
            code=code, name=name, name_en=name_en, level=level, parent_code=parent_code
        )
        s.add(node)
        s.flush()
        return node

    def classifications(self) -> list[Classification]:
        """The whole classification tree, parents before children."""
        with self.db.reader() as s:
            return list(s.scalars(select(Classification).order_by(Classification.code)))

    # -- entries -------------------------------------------------------------------------

    def create(
        self,
        actor: Principal,
        *,
        department: int | str,
        fields: Mapping[str, Any],
        code: str | None = None,
    ) -> CatalogEntry:
        """Register a new draft entry for a department."""
        actor.require(Permission.CATALOG_WRITE)
        parsed = EntryFields.parse(fields)
        for attempt in range(3):
            try:
                with self.db.transaction() as s:
                    entry = self.add_entry(
                        s, actor, department=department, fields=parsed, code=code
                    )
                break
            except IntegrityError:
                # Two writers took the same generated code at once: draw again.
                if code is not None or attempt == 2:
                    raise
        return self.get(actor, entry.id)

    def add_entry(
        self,
        s: Session,
        actor: Principal,
        *,
        department: int | str,
        fields: EntryFields,
        code: str | None = None,
        status: EntryStatus = EntryStatus.DRAFT,
    ) -> CatalogEntry:
        """Insert an entry inside the caller's transaction (publishing it if asked)."""
        return self.add_entries(s, actor, [NewEntry(department, fields, code)], status=status)[0]

    def add_entries(
        self,
        s: Session,
        actor: Principal,
        new: Sequence[NewEntry],
        *,
        status: EntryStatus = EntryStatus.DRAFT,
    ) -> list[CatalogEntry]:
        """Insert entries inside the caller's transaction, in order (publishing them if asked).

        One flush for the rows of them all and one code lookup per classification: a city's
        catalog of thousands (the demo, a bulk registration) goes in at a fraction of the
        cost of one entry at a time. All are checked before any is added: the first invalid
        one raises and leaves the session as it was.
        """
        departments: dict[int | str, Department] = {}
        classifications: dict[str, list[FieldError]] = {}  # code -> what is wrong with it
        drawn: dict[str, int] = {}
        taken: set[str] = set()
        checked: list[tuple[NewEntry, Department, str]] = []
        for item in new:
            errors: list[FieldError] = []
            dept = departments.get(item.department) or find_department(s, item.department)
            if dept is None:
                errors.append(
                    FieldError("department", "unknown", f"no department {item.department}")
                )
            classification = item.fields.classification_code
            if classification not in classifications:
                classifications[classification] = []
                self._check_classification(s, classification, classifications[classification])
            errors += classifications[classification]
            if item.code is not None:
                if not CODE_RE.match(item.code):
                    errors.append(
                        FieldError("code", "invalid", "3–64 letters, digits, '.', '/', '-'")
                    )
                elif item.code in taken or s.scalar(
                    select(CatalogEntry.id).where(CatalogEntry.code == item.code)
                ):
                    errors.append(FieldError("code", "duplicate", f"{item.code} is already in use"))
            if errors:
                raise ValidationFailed("invalid catalog entry", errors=errors)
            assert dept is not None  # noqa: S101
            departments[item.department] = dept
            actor.require(Permission.CATALOG_WRITE, department_id=dept.id)
            code = item.code
            while code is None or code in taken:  # past the codes given in this batch
                code = self._next_code(s, item.fields.classification_code, drawn)
            taken.add(code)
            checked.append((item, dept, code))
        entries: list[CatalogEntry] = []
        for item, dept, code in checked:
            entry = CatalogEntry(
                code=code,
                department_id=dept.id,
                status=EntryStatus.DRAFT.value,
                created_by=actor.user_id,
            )
            _apply(entry, item.fields)
            s.add(entry)
            entries.append(entry)
        s.flush()
        # Events, versions and index rows are made of the objects as they stand: the next
        # flush writes them all at once (the transaction's commit, or the caller's next query).
        with s.no_autoflush:
            for entry in entries:
                self._record(s, actor, "created", entry, flush=False)
                if status is EntryStatus.PUBLISHED:
                    self._publish(s, actor, entry, first=True)
                    self._record(s, actor, "published", entry, flush=False)
                self.search_index.index(s, entry, new=True)
        return entries

    def update(self, actor: Principal, entry_id: int, fields: Mapping[str, Any]) -> CatalogEntry:
        """Edit an entry; editing a published entry publishes a new version at once."""
        actor.require(Permission.CATALOG_WRITE)
        parsed = EntryFields.parse(fields)
        with self.db.transaction() as s:
            entry = self._load_for_write(s, actor, entry_id)
            errors: list[FieldError] = []
            self._check_classification(s, parsed.classification_code, errors)
            if errors:
                raise ValidationFailed("invalid catalog entry", errors=errors)
            if entry.status == EntryStatus.PUBLISHED:
                actor.require(Permission.CATALOG_PUBLISH, department_id=entry.department_id)
            elif entry.status == EntryStatus.OFFLINE:
                raise InvalidTransition("an offline entry must be returned to draft to be edited")
            # Old items go first: the new list reuses their (entry, position) keys.
            entry.items = []
            s.flush()
            _apply(entry, parsed)
            entry.updated_at = utcnow()
            s.flush()
            if entry.status == EntryStatus.PUBLISHED:
                self._publish(s, actor, entry)
            self._record(s, actor, "updated", entry)
            self.search_index.index(s, entry)
        return self.get(actor, entry_id)

    def submit(self, actor: Principal, entry_id: int) -> CatalogEntry:
        """Draft → submitted (待审核)."""
        return self._transition(
            actor, entry_id, {EntryStatus.DRAFT}, EntryStatus.SUBMITTED, Permission.CATALOG_WRITE
        )

    def publish(self, actor: Principal, entry_id: int) -> CatalogEntry:
        """Submitted → published, as a new version with content hash and diff."""
        return self._transition(
            actor,
            entry_id,
            {EntryStatus.SUBMITTED},
            EntryStatus.PUBLISHED,
            Permission.CATALOG_PUBLISH,
        )

    def return_to_draft(self, actor: Principal, entry_id: int, reason: str = "") -> CatalogEntry:
        """Submitted or offline → draft (退回), with the reviewer's reason."""
        return self._transition(
            actor,
            entry_id,
            {EntryStatus.SUBMITTED, EntryStatus.OFFLINE},
            EntryStatus.DRAFT,
            Permission.CATALOG_PUBLISH,
            comment=reason,
        )

    def take_offline(self, actor: Principal, entry_id: int, reason: str = "") -> CatalogEntry:
        """Published → offline (已下线)."""
        return self._transition(
            actor,
            entry_id,
            {EntryStatus.PUBLISHED},
            EntryStatus.OFFLINE,
            Permission.CATALOG_PUBLISH,
            comment=reason,
        )

    def _transition(
        self,
        actor: Principal,
        entry_id: int,
        sources: set[EntryStatus],
        target: EntryStatus,
        permission: Permission,
        *,
        comment: str = "",
    ) -> CatalogEntry:
        actor.require(permission)
        with self.db.transaction() as s:
            entry = self._load_for_write(s, actor, entry_id)
            actor.require(permission, department_id=entry.department_id)
            if EntryStatus(entry.status) not in sources:
                raise InvalidTransition(
                    f"cannot go from {entry.status} to {target.value}",
                    details={"status": entry.status, "target": target.value},
                )
            entry.review_comment = comment.strip()[:2000]
            entry.updated_at = utcnow()
            if target is EntryStatus.PUBLISHED:
                self._publish(s, actor, entry)
            else:
                entry.status = target.value
            self._record(s, actor, _ACTIONS[target], entry)
        return self.get(actor, entry_id)

    def _publish(
        self, s: Session, actor: Principal, entry: CatalogEntry, *, first: bool = False
    ) -> None:
        """Publish the entry as it stands (`first`: it has never been published)."""
        snap = snapshot(entry)
        digest = content_hash(snap)
        previous = None
        if not first:
            previous = s.scalar(
                select(CatalogVersion)
                .where(CatalogVersion.entry_id == entry.id)
                .order_by(CatalogVersion.version.desc())
                .limit(1)
            )
        entry.status = EntryStatus.PUBLISHED.value
        if previous is not None and previous.content_hash == digest:
            return  # nothing changed since the last published version
        now = utcnow()
        entry.version = (previous.version if previous else 0) + 1
        entry.content_hash = digest
        entry.published_at = now
        s.add(
            CatalogVersion(
                entry_id=entry.id,
                version=entry.version,
                content_hash=digest,
                snapshot=snap,
                diff=diff_snapshots(previous.snapshot if previous else None, snap),
                published_at=now,
                published_by=actor.user_id,
            )
        )

    def _load_for_write(self, s: Session, actor: Principal, entry_id: int) -> CatalogEntry:
        entry = s.get(CatalogEntry, entry_id, options=[selectinload(CatalogEntry.items)])
        if entry is None or not _visible(actor, entry):
            raise NotFound(f"no catalog entry {entry_id}", details={"id": entry_id})
        actor.require(Permission.CATALOG_WRITE, department_id=entry.department_id)
        return entry

    @staticmethod
    def _check_classification(s: Session, code: str, errors: list[FieldError]) -> None:
        node = s.get(Classification, code)
        if node is None:
            errors.append(FieldError("classification_code", "unknown", f"no classification {code}"))
        elif node.level != 3:
            errors.append(
                FieldError("classification_code", "not_leaf", "choose a 目-level classification")
            )

    @staticmethod
    def _next_code(s: Session, classification: str, drawn: dict[str, int]) -> str:
        """The next free code of a classification; `drawn` holds what this batch took."""
        prefix = f"{classification}/"
        if classification in drawn:
            drawn[classification] += 1
            return f"{prefix}{drawn[classification]:06d}"
        if s.get_bind().dialect.name == "postgresql":
            # Two workers creating entries at once would both read the same maximum: the
            # lock (held to the end of the transaction) makes them take turns. SQLite has
            # one writer at a time already.
            s.execute(
                text("SELECT pg_advisory_xact_lock(hashtext(:key))"),
                {"key": f"catalog-code:{classification}"},
            )
        last = s.scalar(
            select(func.max(CatalogEntry.code)).where(CatalogEntry.code.like(f"{prefix}%"))
        )
        seq = 1
        if last and last[len(prefix) :].isdigit():
            seq = int(last[len(prefix) :]) + 1
        drawn[classification] = seq
        return f"{prefix}{seq:06d}"

    # -- reads ---------------------------------------------------------------------------

    def get(self, actor: Principal, ref: int | str) -> CatalogEntry:
        """An entry by id or resource code, if the actor may see it."""
        with self.db.reader() as s:
            query = select(CatalogEntry).options(
                selectinload(CatalogEntry.items),
                selectinload(CatalogEntry.department),
                selectinload(CatalogEntry.classification),
            )
            # str.isdigit() is true of '²' and '①' too, which int() refuses.
            entry: CatalogEntry | None = None
            if isinstance(ref, int) or (ref.isascii() and ref.isdigit()):
                # An id past the database's integer range names no entry (SQLite would overflow).
                if int(ref) < 2**63:
                    entry = s.scalar(query.where(CatalogEntry.id == int(ref)))
            else:
                entry = s.scalar(query.where(CatalogEntry.code == ref))
            if entry is None or not _visible(actor, entry):
                if entry is None and not actor.can(Permission.CATALOG_READ):
                    actor.require(Permission.CATALOG_READ)
                raise NotFound(f"no catalog entry {ref}", details={"id": str(ref)})
            return entry

    def versions(self, actor: Principal, entry_id: int) -> list[CatalogVersion]:
        """Published versions of an entry, newest first."""
        self.get(actor, entry_id)
        with self.db.reader() as s:
            return list(
                s.scalars(
                    select(CatalogVersion)
                    .where(CatalogVersion.entry_id == entry_id)
                    .order_by(CatalogVersion.version.desc())
                )
            )

    def search(self, actor: Principal, query: SearchQuery) -> SearchResult:
        """Entries matching the query, one page of them, and facet counts."""
        if query.status == EntryStatus.PUBLISHED:
            actor.require(Permission.CATALOG_READ)
        else:
            actor.require(Permission.CATALOG_READ_DRAFTS)
        with self.db.reader() as s:
            conditions = self._conditions(s, actor, query)
            if conditions is None:
                return SearchResult(items=[], total=0, facets={f: [] for f in FACET_FIELDS})
            matches = self.search_index.matches(query.q)
            # One pass over the hits' facet columns: the full-text match runs once, and
            # paging, ranking and facet counts come from the same rows.
            columns = [
                CatalogEntry.id,
                CatalogEntry.department_id,
                CatalogEntry.classification_code,
                *(getattr(CatalogEntry, name) for name in _ENUM_FILTERS),
                CatalogEntry.name,
                CatalogEntry.code,
                CatalogEntry.updated_at,
                CatalogEntry.published_at,
            ]
            scores: dict[int, float] = {}
            hits_query = select(*columns).where(*conditions)
            if matches is not None:
                # Fetch matches once, then filter by id: joining the full-text subquery
                # made SQLite run the match once per catalog row.
                scores = {row.entry_id: row.score for row in s.execute(select(matches))}
                hits_query = hits_query.where(
                    CatalogEntry.id.in_(select(matches.c.entry_id).scalar_subquery())
                )
            hits = s.execute(hits_query).all()
            ordered = sorted(
                hits, key=_sort_key(query.sort, scores if matches is not None else None)
            )
            page_ids = [h.id for h in ordered[query.offset : query.offset + query.limit]]
            loaded = {
                e.id: e
                for e in s.scalars(
                    select(CatalogEntry)
                    .where(CatalogEntry.id.in_(page_ids))
                    .options(
                        selectinload(CatalogEntry.department),
                        selectinload(CatalogEntry.classification),
                    )
                )
            }
            facets = self._facets(s, hits)
        return SearchResult(items=[loaded[i] for i in page_ids], total=len(hits), facets=facets)

    def _conditions(
        self, s: Session, actor: Principal, query: SearchQuery
    ) -> list[ColumnElement[bool]] | None:
        conditions: list[ColumnElement[bool]] = []
        if query.status == "all":
            if not actor.is_platform_admin:
                conditions.append(
                    (CatalogEntry.status == EntryStatus.PUBLISHED.value)
                    | (CatalogEntry.department_id == actor.department_id)
                )
        else:
            conditions.append(CatalogEntry.status == query.status)
            if query.status != EntryStatus.PUBLISHED and not actor.is_platform_admin:
                conditions.append(CatalogEntry.department_id == actor.department_id)
        if query.department:
            dept = find_department(s, query.department)
            if dept is None:
                return None
            conditions.append(CatalogEntry.department_id == dept.id)
        if query.classification:
            conditions.append(CatalogEntry.classification_code.startswith(query.classification))
        for name in _ENUM_FILTERS:
            value = getattr(query, name)
            if value is not None:
                conditions.append(getattr(CatalogEntry, name) == value)
        return conditions

    @staticmethod
    @staticmethod
    def _facets(s: Session, hits: Sequence[Any]) -> dict[str, list[FacetValue]]:
        facets: dict[str, list[FacetValue]] = {}
        by_dept = Counter(h.department_id for h in hits)
        depts = {
            d.id: d for d in s.scalars(select(Department).where(Department.id.in_(list(by_dept))))
        }
        facets["department"] = sorted(
            (
                FacetValue(depts[i].key, n, depts[i].short_name, depts[i].name_en)
                for i, n in by_dept.items()
                if i in depts
            ),
            key=lambda f: (-f.count, f.value),
        )
        by_class = Counter(h.classification_code[:3] for h in hits)
        names = {
            c.code: c
            for c in s.scalars(
                select(Classification).where(Classification.code.in_(list(by_class)))
            )
        }
        facets["classification"] = sorted(
            (
                FacetValue(
                    code,
                    n,
                    names[code].name if code in names else code,
                    names[code].name_en if code in names else code,
                )
                for code, n in by_class.items()
            ),
            key=lambda f: (-f.count, f.value),
        )
        for name in _ENUM_FILTERS:
            counts = Counter(getattr(h, name) for h in hits)
            facets[name] = [FacetValue(v, counts[v]) for v in sorted(counts)]
        return facets

    def stats(self) -> dict[str, Any]:
        """The city's catalog figures (published entries only)."""
        published = CatalogEntry.status == EntryStatus.PUBLISHED.value
        with self.db.reader() as s:

            def count(*where: ColumnElement[bool]) -> int:
                return s.scalar(select(func.count(CatalogEntry.id)).where(published, *where)) or 0

            datasets = count()
            shared = count(CatalogEntry.sharing_type != SharingType.NONE.value)
            by_department = s.execute(
                select(Department.key, Department.short_name, Department.name_en, func.count())
                .join(CatalogEntry, CatalogEntry.department_id == Department.id)
                .where(published)
                .group_by(Department.key, Department.short_name, Department.name_en)
                .order_by(func.count().desc(), Department.key)
            ).all()
            top = func.substr(CatalogEntry.classification_code, 1, 1)
            by_class: dict[str, int] = dict(
                s.execute(select(top, func.count()).where(published).group_by(top)).all()
            )
            class_names = {
                c.code: c
                for c in s.scalars(select(Classification).where(Classification.level == 1))
            }
            mix = dict(
                s.execute(
                    select(CatalogEntry.sharing_type, func.count())
                    .where(published)
                    .group_by(CatalogEntry.sharing_type)
                ).all()
            )
            return {
                "departments": s.scalar(select(func.count(Department.id))) or 0,
                "providing_departments": len(by_department),
                "datasets": datasets,
                "shared_datasets": shared,
                "open_datasets": count(CatalogEntry.open_type == OpenType.OPEN.value),
                "conditionally_open_datasets": count(
                    CatalogEntry.open_type == OpenType.CONDITIONAL.value
                ),
                "sharing_rate": round(shared / datasets, 4) if datasets else 0.0,
                "sharing_mix": {t.value: mix.get(t.value, 0) for t in SharingType},
                "by_department": [
                    {"department": k, "name": name, "name_en": en, "datasets": n}
                    for k, name, en, n in by_department
                ],
                "by_classification": [
                    {
                        "classification": code,
                        "name": class_names[code].name if code in class_names else code,
                        "name_en": class_names[code].name_en if code in class_names else code,
                        "datasets": n,
                    }
                    for code, n in sorted(by_class.items())
                ],
            }


def _sort_key(sort: str, scores: dict[int, float] | None) -> Callable[[Any], Any]:
    """How hits are ordered: relevance (score, then newest), name, last update or code."""
    if sort == "name":
        return lambda h: (h.name, h.id)
    if sort == "updated":
        return lambda h: (-h.updated_at.timestamp(), h.id)
    if sort == "code":
        return lambda h: h.code
    if scores is not None:
        return lambda h: (-scores.get(h.id, 0.0), h.id)
    return lambda h: (-(h.published_at.timestamp() if h.published_at else 0.0), h.id)


def snapshot(entry: CatalogEntry) -> dict[str, Any]:
    """The published content of an entry: what its content hash covers."""
    return {
        "code": entry.code,
        "provider": entry.department.credit_code if entry.department else entry.department_id,
        **EntryFields.parse(entry_fields(entry)).as_dict(),
    }


def entry_fields(entry: CatalogEntry) -> dict[str, Any]:
    """An entry's editable metadata as the plain dict EntryFields.parse accepts."""
    return {
        "name": entry.name,
        "name_en": entry.name_en,
        "abstract": entry.abstract,
        "abstract_en": entry.abstract_en,
        "classification_code": entry.classification_code,
        "format": entry.format,
        "sharing_type": entry.sharing_type,
        "sharing_conditions": entry.sharing_conditions,
        "legal_basis": entry.legal_basis,
        "sharing_method": entry.sharing_method,
        "open_type": entry.open_type,
        "open_conditions": entry.open_conditions,
        "update_cycle": entry.update_cycle,
        "security_grade": entry.security_grade,
        "duty": entry.duty,
        "source_system": entry.source_system,
        "related_codes": list(entry.related_codes or []),
        "keywords": list(entry.keywords or []),
        "data_items": [
            {
                "name": i.name,
                "name_en": i.name_en,
                "data_type": i.data_type,
                "length": i.length,
                "description": i.description,
                "sensitivity": i.sensitivity,
            }
            for i in entry.items
        ],
    }


def _apply(entry: CatalogEntry, fields: EntryFields) -> None:
    entry.name = fields.name
    entry.name_en = fields.name_en
    entry.abstract = fields.abstract
    entry.abstract_en = fields.abstract_en
    entry.classification_code = fields.classification_code
    entry.format = fields.format.value
    entry.sharing_type = fields.sharing_type.value
    entry.sharing_conditions = fields.sharing_conditions
    entry.legal_basis = fields.legal_basis
    entry.sharing_method = fields.sharing_method.value
    entry.open_type = fields.open_type.value
    entry.open_conditions = fields.open_conditions
    entry.update_cycle = fields.update_cycle.value
    entry.security_grade = fields.security_grade.value
    entry.duty = fields.duty
    entry.source_system = fields.source_system
    entry.related_codes = list(fields.related_codes)
    entry.keywords = list(fields.keywords)
    entry.items = [
        DataItem(position=n, **item_dict(item)) for n, item in enumerate(fields.data_items)
    ]


def _visible(actor: Principal, entry: CatalogEntry) -> bool:
    if entry.status == EntryStatus.PUBLISHED:
        return actor.can(Permission.CATALOG_READ)
    return actor.can(Permission.CATALOG_READ_DRAFTS, department_id=entry.department_id)
