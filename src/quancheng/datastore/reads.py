"""Every read of stored data — row pages, exports, SQL — through the one read policy."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlencode

import pyarrow as pa

from quancheng.datastore import export, masking, params, sqlguard
from quancheng.datastore.backends import sqlbuild
from quancheng.datastore.cursors import CursorKey, DatasetCursors
from quancheng.datastore.masking import MaskRule
from quancheng.datastore.policy import ReadAudit, ReadDecision, ReadPolicy
from quancheng.datastore.query import Page, QuerySpec
from quancheng.datastore.schema import Column, ColumnType, TableSchema
from quancheng.datastore.service import DatasetInfo, DatastoreService, VersionInfo
from quancheng.errors import BadRequest, NotAuthenticated, NotFound, PermissionDenied
from quancheng.identity.roles import Principal

# Query parameters the HTTP layer handles itself; the row-query parser ignores them.
PASSTHROUGH = frozenset({"_format", "_shape", "_total", "_encoding", "_header"})
COUNT_CACHE_SIZE = 2048


@dataclass(frozen=True)
class RowsResult:
    """A page of rows with the columns as the caller sees them.

    `next_cursor` is the sealed `_next` token of the following page (None on the last).
    """

    dataset: DatasetInfo
    columns: tuple[Column, ...]
    page: Page
    decision: ReadDecision
    next_cursor: str | None = None


@dataclass(frozen=True)
class SqlOutcome:
    """Rows of a read-only SQL query."""

    fields: list[str]
    rows: list[tuple[Any, ...]]
    truncated: bool
    tables: list[str]


class DataReader:
    """Row queries, exports and SQL for every reader: the API, the portal, the exchange."""

    def __init__(
        self,
        *,
        datastore: DatastoreService,
        policy: ReadPolicy,
        masking_key: bytes,
        cursor_key: CursorKey,
        sql_timeout_seconds: float,
        sql_max_rows: int,
        max_limit: int = 10_000,
        audit: ReadAudit | None = None,
    ) -> None:
        self.datastore = datastore
        self.policy = policy
        self.audit = audit
        self.masking_key = masking_key
        self.cursor_key = cursor_key
        self.sql_timeout_seconds = sql_timeout_seconds
        self.sql_max_rows = sql_max_rows
        self.max_limit = max_limit
        self._counts: OrderedDict[tuple[Any, ...], int] = OrderedDict()
        self._counts_lock = threading.Lock()

    def _open(
        self, actor: Principal, ref: int | str
    ) -> tuple[DatasetInfo, VersionInfo, ReadDecision]:
        info = self.datastore.dataset(actor, ref)
        decision = self.policy.decide(actor, info.facts())
        if info.current is None:
            raise NotFound(
                "this catalog entry has no data yet", code="no_data", details={"id": str(ref)}
            )
        return info, info.current, decision

    def rows(
        self, actor: Principal, ref: int | str, query: Sequence[tuple[str, str]], *, total: bool
    ) -> RowsResult:
        """One page of rows (or groups) for a Datasette-style query string."""
        info, version, decision = self._open(actor, ref)
        cursors = self.cursor_key.for_dataset(info.id)
        spec = self._spec(version.schema, decision, query, cursors=cursors)
        page = self.datastore.backend.query(
            version.physical_table, version.schema.columns, spec, with_total=False
        )
        if total:
            page = replace(page, total=self._count(version, spec))
        columns = _result_columns(version.schema, spec, decision.masks)
        rows = _mask_rows(page.rows, columns, decision.masks, self.masking_key)
        self._audit(actor, decision, info, columns, len(rows), _query_text(query), "rows")
        return RowsResult(
            dataset=info,
            columns=columns,
            page=replace(page, rows=rows),
            decision=decision,
            next_cursor=None if page.next_after is None else cursors.seal(page.next_after),
        )

    def export(
        self,
        actor: Principal,
        ref: int | str,
        query: Sequence[tuple[str, str]],
        *,
        fmt: str,
        encoding: str = "utf-8-sig",
        json_shape: str = "objects",
        header: str = "labels",
    ) -> tuple[DatasetInfo, Iterator[bytes]]:
        """Every matching row in a file format, streamed in constant memory."""
        if fmt not in export.MEDIA_TYPES:
            raise BadRequest(
                f"unknown format {fmt!r}; use one of {', '.join(sorted(export.MEDIA_TYPES))}",
                code="unknown_format",
            )
        info, version, decision = self._open(actor, ref)
        spec = self._spec(version.schema, decision, query, unlimited=True)
        columns = _result_columns(version.schema, spec, decision.masks)
        batches = self.datastore.backend.stream(
            version.physical_table, version.schema.columns, spec
        )
        masks = {c: r for c, r in decision.masks.items() if c in {x.name for x in columns}}
        if masks:
            batches = (masking.mask_batch(b, masks, key=self.masking_key) for b in batches)
        if self.audit is not None and decision.grant_id is not None:
            batches = self._counted(
                batches, actor, decision, info, columns, f"{fmt}\x00{_query_text(query)}"
            )
        body = export.export_rows(
            fmt,
            list(columns),
            batches,
            header=header,  # type: ignore[arg-type]
            encoding=encoding,
            json_shape=json_shape,  # type: ignore[arg-type]
        )
        return info, body

    def _audit(
        self,
        actor: Principal,
        decision: ReadDecision,
        info: DatasetInfo,
        columns: Sequence[Column],
        rows: int,
        query: str,
        via: str,
    ) -> None:
        if self.audit is None:
            return
        self.audit.after_read(
            actor,
            decision,
            entry_code=info.entry_code,
            columns=[c.name for c in columns],
            rows=rows,
            query=query,
            via=via,
        )

    def _counted(
        self,
        batches: Iterator[pa.RecordBatch],
        actor: Principal,
        decision: ReadDecision,
        info: DatasetInfo,
        columns: Sequence[Column],
        query: str,
    ) -> Iterator[pa.RecordBatch]:
        """Pass batches through and log the export with its row count once it ends."""
        rows = 0
        try:
            for batch in batches:
                rows += batch.num_rows
                yield batch
        finally:
            self._audit(actor, decision, info, columns, rows, query, "export")

    def _spec(
        self,
        schema: TableSchema,
        decision: ReadDecision,
        query: Sequence[tuple[str, str]],
        *,
        unlimited: bool = False,
        cursors: DatasetCursors | None = None,
    ) -> QuerySpec:
        query = [
            (k, v) for k, v in query if not (unlimited and k in ("_limit", "_offset", "_next"))
        ]
        spec = params.parse_row_query(
            query,
            schema,
            visible=decision.columns,
            max_limit=self.max_limit,
            passthrough=PASSTHROUGH,
            cursors=cursors,
        )
        if spec.search:
            # Free text skips masked columns: matching raw values would reveal them.
            searchable = tuple(c for c in spec.searchable if c not in decision.masks)
            spec = replace(spec, searchable=searchable)
        _refuse_masked_conditions(spec, decision)
        if decision.row_filter:
            spec = replace(spec, filters=spec.filters + tuple(decision.row_filter))
        if unlimited:
            spec = replace(spec, limit=0, offset=0, after=None)
        return spec

    def _count(self, version: VersionInfo, spec: QuerySpec) -> int:
        if not spec.filters and not spec.search and not spec.group_by:
            return version.row_count
        key = (version.id, spec.filters, spec.search, spec.searchable, spec.group_by)
        with self._counts_lock:
            if key in self._counts:
                self._counts.move_to_end(key)
                return self._counts[key]
        counted = self.datastore.backend.query(
            version.physical_table,
            version.schema.columns,
            replace(spec, limit=0, offset=0, after=None, sort=()),
            with_total=True,
        ).total
        total = int(counted or 0)
        with self._counts_lock:
            self._counts[key] = total
            while len(self._counts) > COUNT_CACHE_SIZE:
                self._counts.popitem(last=False)
        return total

    # -- SQL -------------------------------------------------------------------------

    def sql(self, actor: Principal, text: str) -> SqlOutcome:
        """Run one read-only SELECT over the tables the actor may read."""
        tables = _SqlTables(self, actor)
        checked = sqlguard.check_sql(
            text, tables=tables, dialect=self.datastore.backend.dialect, max_rows=self.sql_max_rows
        )
        result = self.datastore.backend.execute_sql(
            checked.sql, timeout_seconds=self.sql_timeout_seconds, max_rows=checked.limit
        )
        for name in checked.tables:
            opened = tables.opened(name)
            if opened is not None:
                info, decision = opened
                read = [c.split(".", 1)[1] for c in checked.columns if c.startswith(f"{name}.")]
                self._audit(
                    actor,
                    decision,
                    info,
                    [Column(name=c, label=c) for c in read],
                    len(result.rows),
                    text,
                    "sql",
                )
        return SqlOutcome(
            fields=list(result.fields),
            rows=[tuple(r) for r in result.rows],
            truncated=result.truncated,
            tables=checked.tables,
        )


class _SqlTables(Mapping[str, sqlguard.SqlTable]):
    """The tables a caller's SQL may name, resolved (and policy-checked) only when named."""

    def __init__(self, reader: DataReader, actor: Principal) -> None:
        self._reader = reader
        self._actor = actor
        self._resolved: dict[str, sqlguard.SqlTable | None] = {}
        self._opened: dict[str, tuple[DatasetInfo, ReadDecision]] = {}

    def opened(self, name: str) -> tuple[DatasetInfo, ReadDecision] | None:
        """The dataset and read decision behind a table the SQL named."""
        return self._opened.get(name.lower())

    def _resolve(self, name: str) -> sqlguard.SqlTable | None:
        key = name.lower()
        if key not in self._resolved:
            self._resolved[key] = self._lookup(key)
        return self._resolved[key]

    def _lookup(self, name: str) -> sqlguard.SqlTable | None:
        datastore = self._reader.datastore
        entry_id = datastore.entry_for_table(name)
        if entry_id is None:
            return None
        try:
            info, version, decision = self._reader._open(self._actor, entry_id)
        except (NotFound, NotAuthenticated):
            return None
        except PermissionDenied as denied:
            # A grant that lapsed says so (403), as on every other read path; a table the
            # caller was never given is simply unknown to its SQL.
            if denied.code.startswith("grant_"):
                raise
            return None
        readable = [
            c.name
            for c in version.schema.columns
            if c.name in decision.columns and c.name not in decision.masks
        ]
        self._opened[name] = (info, decision)
        # The guard reads the table through the policy row filter wherever the SQL names it.
        return sqlguard.SqlTable(
            name=info.table,
            physical=version.physical_table,
            columns=readable,
            row_filter=tuple(decision.row_filter),
            rowid=decision.rowid_readable,
        )

    def __getitem__(self, name: str) -> sqlguard.SqlTable:
        table = self._resolve(name)
        if table is None:
            raise KeyError(name)
        return table

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self._resolve(name) is not None

    def __iter__(self) -> Iterator[str]:
        return iter([k for k, v in self._resolved.items() if v is not None])

    def __len__(self) -> int:
        return sum(1 for v in self._resolved.values() if v is not None)


def _refuse_masked_conditions(spec: QuerySpec, decision: ReadDecision) -> None:
    """A masked column may be shown masked, never filtered, sorted or grouped on.

    Conditions on the raw values would let a caller recover them one prefix at a time.
    """
    named = (
        {f.column for f in spec.filters}
        | {s.column for s in spec.sort}
        | set(spec.group_by)
        | {a.column for a in spec.aggregates if a.column}
    )
    masked = sorted(named & set(decision.masks))
    if masked:
        raise PermissionDenied(
            f"masked columns cannot be filtered, sorted or grouped on: {', '.join(masked)}",
            code="column_masked",
            details={"columns": masked},
        )


def _result_columns(
    schema: TableSchema, spec: QuerySpec, masks: Mapping[str, MaskRule]
) -> tuple[Column, ...]:
    """The result's columns typed as the values sent: masked ones are text."""
    if not spec.group_by:
        by_name = {c.name: c for c in schema.columns}
        return tuple(
            replace(by_name[f], type=ColumnType.TEXT) if f in masks else by_name[f]
            for f in spec.fields
        )
    groups = [c for c in schema.columns if c.name in spec.group_by]
    ordered = sorted(groups, key=lambda c: spec.group_by.index(c.name))
    types = dict(sqlbuild.result_types(schema.columns, spec))
    aggs = [Column(name=a.alias, label=a.alias, type=types[a.alias]) for a in spec.aggregates]
    return tuple(ordered + aggs)


def _mask_rows(
    rows: list[tuple[Any, ...]],
    columns: Sequence[Column],
    masks: Mapping[str, MaskRule],
    key: bytes,
) -> list[tuple[Any, ...]]:
    positions = [(i, masks[c.name]) for i, c in enumerate(columns) if c.name in masks]
    if not positions:
        return rows
    masked = []
    for row in rows:
        cells = list(row)
        for i, rule in positions:
            value = cells[i]
            cells[i] = None if value is None else masking.mask_value(rule, str(value), key=key)
        masked.append(tuple(cells))
    return masked


def _query_text(query: Sequence[tuple[str, str]]) -> str:
    """A row query in a canonical text form (for its hash in the access log)."""
    return urlencode(sorted(query))
