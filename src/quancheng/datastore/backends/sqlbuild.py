"""SQL text shared by the backends: casts for finalize and the SELECTs of a QuerySpec.

Identifiers are always quoted; values always become parameters. Only constants of our own
code (the parse patterns, the boolean words) are written into the SQL as literals.
"""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from quancheng.datastore.backends.base import ROWID, check_table_name
from quancheng.datastore.query import AggFunc, Aggregate, Filter, Op, QuerySpec
from quancheng.datastore.schema import (
    DATE_PATTERN,
    FALSE_WORDS,
    TIMESTAMP_PATTERN,
    TRUE_WORDS,
    Column,
    ColumnType,
)
from quancheng.errors import BadRequest

# What the parse patterns call `\s`, so that trimmed text casts the same way.
_SPACE = " \t\n\r\f\v"
_ROWID_COLUMN = Column(name=ROWID, label=ROWID, type=ColumnType.INTEGER)
_LIKE_ESCAPE = "\\"


@dataclass(frozen=True)
class Dialect:
    """The few places where DuckDB and PostgreSQL SQL differ."""

    name: str
    placeholder: str
    types: dict[ColumnType, str]
    # psycopg reads `%` in SQL text as a placeholder when parameters are passed.
    double_percent: bool

    @property
    def postgres(self) -> bool:
        """Whether this is PostgreSQL."""
        return self.name == "postgres"

    def quote(self, ident: str) -> str:
        """A quoted identifier."""
        quoted = '"' + ident.replace('"', '""') + '"'
        return quoted.replace("%", "%%") if self.double_percent else quoted

    def literal(self, text: str) -> str:
        """A string literal of a constant of our code (never of user data)."""
        quoted = "'" + text.replace("'", "''") + "'"
        return quoted.replace("%", "%%") if self.double_percent else quoted

    def text(self, expr: str) -> str:
        """The text form of an expression."""
        return f"CAST({expr} AS {self.types[ColumnType.TEXT]})"

    def trim(self, expr: str) -> str:
        """Expression without surrounding white space, NULL when blank."""
        func = "btrim" if self.postgres else "trim"
        return f"NULLIF({func}({expr}, {self.literal(_SPACE)}), '')"

    def matches(self, expr: str, pattern: str) -> str:
        """Whether an expression matches one of our (anchored) patterns."""
        if self.postgres:
            return f"({expr} ~ {self.literal(pattern)})"
        return f"regexp_matches({expr}, {self.literal(pattern)})"

    def group(self, expr: str, pattern: str, index: int) -> str:
        """Capture group `index` of a pattern, NULL when the group did not take part."""
        if self.postgres:
            return f"(regexp_match({expr}, {self.literal(pattern)}))[{index}]"
        return f"NULLIF(regexp_extract({expr}, {self.literal(pattern)}, {index}), '')"

    def plus_micros(self, timestamp: str, micros: str) -> str:
        """A timestamp plus an integer number of microseconds."""
        if self.postgres:
            return f"({timestamp} + {micros} * INTERVAL '1 microsecond')"
        return f"({timestamp} + to_microseconds({micros}))"


DUCKDB = Dialect(
    name="duckdb",
    placeholder="?",
    types={
        ColumnType.TEXT: "VARCHAR",
        ColumnType.INTEGER: "BIGINT",
        ColumnType.DOUBLE: "DOUBLE",
        ColumnType.BOOLEAN: "BOOLEAN",
        ColumnType.DATE: "DATE",
        ColumnType.TIMESTAMP: "TIMESTAMP",
    },
    double_percent=False,
)
POSTGRES = Dialect(
    name="postgres",
    placeholder="%s",
    types={
        ColumnType.TEXT: "TEXT",
        ColumnType.INTEGER: "BIGINT",
        ColumnType.DOUBLE: "DOUBLE PRECISION",
        ColumnType.BOOLEAN: "BOOLEAN",
        ColumnType.DATE: "DATE",
        ColumnType.TIMESTAMP: "TIMESTAMP",
    },
    double_percent=True,
)

_ARROW_TYPES: dict[ColumnType, pa.DataType] = {
    ColumnType.TEXT: pa.string(),
    ColumnType.INTEGER: pa.int64(),
    ColumnType.DOUBLE: pa.float64(),
    ColumnType.BOOLEAN: pa.bool_(),
    ColumnType.DATE: pa.date32(),
    ColumnType.TIMESTAMP: pa.timestamp("us"),
}


# -- finalize --------------------------------------------------------------------------


def cast_expr(d: Dialect, column: Column, *, groups: str | None = None) -> str:
    """The expression turning a staging TEXT column into the column's stored type.

    `groups` names a text[] of the pattern's capture groups computed once per row (see
    `finalize_select`); without it each group is extracted by its own regular expression.
    """
    raw = d.quote(column.name)
    if column.type is ColumnType.TEXT:
        return raw
    v = d.trim(raw)
    sql_type = d.types[column.type]
    # A value that fails its pattern is cast as "not a …: value", which always fails, so
    # the engine reports the offending value instead of silently storing NULL.
    fail = f"CAST({d.literal(f'not a {column.type.value}: ')} || {v} AS {sql_type})"
    if column.type is ColumnType.BOOLEAN and column.parse == "bool":
        true = ", ".join(d.literal(w) for w in sorted(TRUE_WORDS))
        false = ", ".join(d.literal(w) for w in sorted(FALSE_WORDS))
        return (
            f"CASE WHEN {v} IS NULL THEN NULL WHEN lower({v}) IN ({true}) THEN TRUE "
            f"WHEN lower({v}) IN ({false}) THEN FALSE ELSE {fail} END"
        )
    if column.type is ColumnType.DATE and column.parse == "ymd":

        def group(i: int) -> str:
            return f"{groups}[{i}]" if groups else d.group(v, DATE_PATTERN, i)

        matched = f"{groups} IS NOT NULL" if groups else d.matches(v, DATE_PATTERN)
        y, m, day = (f"CAST({group(i)} AS INTEGER)" for i in (1, 2, 3))
        return (
            f"CASE WHEN {v} IS NULL THEN NULL "
            f"WHEN {iso_date_text(d, v)} THEN CAST({v} AS {sql_type}) "
            f"WHEN NOT {matched} THEN {fail} ELSE make_date({y}, {m}, {day}) END"
        )
    if column.type is ColumnType.TIMESTAMP and column.parse == "ymd_hms":

        def part(i: int) -> str:
            return f"{groups}[{i}]" if groups else d.group(v, TIMESTAMP_PATTERN, i)

        matched = f"{groups} IS NOT NULL" if groups else d.matches(v, TIMESTAMP_PATTERN)
        y, m, day, hh, mi = (f"CAST({part(i)} AS INTEGER)" for i in (1, 2, 3, 4, 5))
        double = d.types[ColumnType.DOUBLE]
        ss = f"COALESCE(CAST({part(6)} AS {double}), 0)"
        fraction = f"COALESCE({part(7)}, '')"
        micros = f"CAST(rpad({fraction}, 6, '0') AS BIGINT)"
        stamp = d.plus_micros(f"make_timestamp({y}, {m}, {day}, {hh}, {mi}, {ss})", micros)
        return (
            f"CASE WHEN {v} IS NULL THEN NULL "
            f"WHEN {iso_timestamp_text(d, v)} THEN CAST({v} AS {sql_type}) "
            f"WHEN NOT {matched} THEN {fail} ELSE {stamp} END"
        )
    return f"CAST({v} AS {sql_type})"


def _digits_and(d: Dialect, expr: str, length: int, separators: dict[int, str]) -> str:
    """Whether `expr` has `length` characters: the separators at their 1-based positions,
    ASCII digits everywhere else (plain string functions, no regular expression)."""
    parts = [f"length({expr}) = {length}"]
    parts += [f"substr({expr}, {i}, 1) = {d.literal(c)}" for i, c in separators.items()]
    rest = "".join(separators[i] for i in sorted(separators))
    parts.append(f"translate({expr}, '0123456789', '') = {d.literal(rest)}")
    return "(" + " AND ".join(parts) + ")"


def iso_date_text(d: Dialect, v: str) -> str:
    """Whether trimmed text `v` is exactly YYYY-MM-DD, which both engines cast as make_date
    of its groups would (an impossible day fails the same way)."""
    return _digits_and(d, v, 10, {5: "-", 8: "-"})


def iso_timestamp_text(d: Dialect, v: str) -> str:
    """Whether trimmed text `v` is exactly YYYY-MM-DD HH:MM:SS with a clock that exists.

    The engines read 24:00:00 and second 60 as the next day or minute where make_timestamp
    refuses them; those stay on the pattern path so the outcome is the same.
    """
    shape = _digits_and(d, v, 19, {5: "-", 8: "-", 11: " ", 14: ":", 17: ":"})
    clock = f"substr({v}, 12, 2) < '24' AND substr({v}, 15, 2) < '60' AND substr({v}, 18, 2) < '60'"
    return f"({shape} AND {clock})"


def finalize_select(d: Dialect, staging: str, columns: Sequence[Column]) -> str:
    """The SELECT that builds a typed table from a staging table, in load order."""
    casts: list[str] = []
    joins: list[str] = []
    for n, c in enumerate(columns):
        pattern = {"ymd": DATE_PATTERN, "ymd_hms": TIMESTAMP_PATTERN}.get(c.parse)
        if d.postgres and pattern and c.type in (ColumnType.DATE, ColumnType.TIMESTAMP):
            # PostgreSQL's regular expressions cost ~17 µs a match: match once per row and
            # take the groups from the array (8 matches per timestamp took 12 s per 100k
            # rows). OFFSET 0 keeps the planner from inlining the subquery back into them.
            groups = f"_groups_{n}"
            v = d.trim(d.quote(c.name))
            # Canonical ISO text is cast without any regular expression at all.
            iso = iso_date_text(d, v) if c.type is ColumnType.DATE else iso_timestamp_text(d, v)
            joins.append(
                f"CROSS JOIN LATERAL (SELECT CASE WHEN {iso} THEN NULL ELSE "
                f"regexp_match({v}, {d.literal(pattern)}) END AS {groups} OFFSET 0) "
                f"AS _match_{n}"
            )
            casts.append(f"{cast_expr(d, c, groups=groups)} AS {d.quote(c.name)}")
        else:
            casts.append(f"{cast_expr(d, c)} AS {d.quote(c.name)}")
    rowid = d.quote(ROWID)
    source = " ".join([d.quote(check_table_name(staging)), *joins])
    return (
        f"SELECT {', '.join([rowid, *casts])} "  # noqa: S608
        f"FROM {source} ORDER BY {rowid}"
    )


def cast_failed(column: Column, message: str) -> BadRequest:
    """The error of a column whose text could not be converted to its type."""
    return BadRequest(
        f"column {column.label!r} could not be converted to {column.type.value}: {message}",
        code="cast_failed",
        details={"column": column.name, "label": column.label, "type": column.type.value},
    )


def probe_select(d: Dialect, staging: str, column: Column) -> str:
    """A query that fails exactly when casting `column` of `staging` fails."""
    name = d.quote(check_table_name(staging))
    return f"SELECT count({cast_expr(d, column)}) FROM {name}"  # noqa: S608


def count_rows(d: Dialect, table: str) -> str:
    """The number of rows of a table."""
    return f"SELECT count(*) FROM {d.quote(check_table_name(table))}"  # noqa: S608


def last_rowid(d: Dialect, table: str) -> str:
    """The highest `_rowid` of a table (0 when empty)."""
    rowid, name = d.quote(ROWID), d.quote(check_table_name(table))
    return f"SELECT coalesce(max({rowid}), 0) FROM {name}"  # noqa: S608


# -- queries ---------------------------------------------------------------------------


@dataclass
class Built:
    """SQL text with its parameters in placeholder order."""

    sql: str
    params: list[Any] = field(default_factory=list)


def grouped(spec: QuerySpec) -> bool:
    """Whether the spec asks for groups rather than rows."""
    return bool(spec.group_by or spec.aggregates)


def _resolver(columns: Sequence[Column]) -> dict[str, Column]:
    found = {c.name: c for c in columns}
    found.setdefault(ROWID, _ROWID_COLUMN)
    return found


def _column(known: dict[str, Column], name: str) -> Column:
    try:
        return known[name]
    except KeyError:
        raise BadRequest(
            f"unknown column {name!r}", code="unknown_column", details={"column": name}
        ) from None


def _aggregate_type(known: dict[str, Column], agg: Aggregate) -> ColumnType:
    if agg.func is AggFunc.COUNT:
        if agg.column is not None:
            _column(known, agg.column)
        return ColumnType.INTEGER
    if agg.column is None:
        raise BadRequest(f"{agg.func.value} needs a column", code="bad_aggregate")
    ctype = _column(known, agg.column).type
    if agg.func in (AggFunc.MIN, AggFunc.MAX):
        return ctype
    if ctype not in (ColumnType.INTEGER, ColumnType.DOUBLE):
        raise BadRequest(
            f"{agg.func.value} needs a numeric column, not {agg.column!r}",
            code="bad_aggregate",
            details={"column": agg.column},
        )
    if agg.func is AggFunc.AVG:
        return ColumnType.DOUBLE
    return ctype


def result_types(columns: Sequence[Column], spec: QuerySpec) -> list[tuple[str, ColumnType]]:
    """Names and stored types of the result columns of a spec."""
    known = _resolver(columns)
    if not grouped(spec):
        return [(f, _column(known, f).type) for f in spec.fields]
    out = [(g, _column(known, g).type) for g in spec.group_by]
    out += [(a.alias, _aggregate_type(known, a)) for a in spec.aggregates]
    return out


def arrow_schema(types: Sequence[tuple[str, ColumnType]]) -> pa.Schema:
    """The Arrow schema of result columns."""
    return pa.schema([pa.field(name, _ARROW_TYPES[t]) for name, t in types])


def like_pattern(text: str, *, prefix: bool) -> str:
    """A LIKE pattern matching `text` literally, anywhere or at the start."""
    escaped = text.replace(_LIKE_ESCAPE, _LIKE_ESCAPE * 2).replace("%", "\\%").replace("_", "\\_")
    return escaped + "%" if prefix else "%" + escaped + "%"


# NE is SQL's `<>`: like Datasette's `__not`, it does not match NULL cells.
_COMPARISONS = {Op.EQ: "=", Op.NE: "<>", Op.LT: "<", Op.LTE: "<=", Op.GT: ">", Op.GTE: ">="}


class _Builder:
    """Collects SQL fragments and their parameters in textual order."""

    def __init__(self, d: Dialect, columns: Sequence[Column]) -> None:
        self.d = d
        self.known = _resolver(columns)
        self.params: list[Any] = []

    def param(self, value: Any, ctype: ColumnType) -> str:
        self.params.append(value)
        return f"CAST({self.d.placeholder} AS {self.d.types[ctype]})"

    def ident(self, name: str) -> tuple[str, Column]:
        column = _column(self.known, name)
        return self.d.quote(column.name), column

    def like(self, expr: str, pattern: str) -> str:
        escape = self.d.literal(_LIKE_ESCAPE)
        return f"{expr} ILIKE {self.param(pattern, ColumnType.TEXT)} ESCAPE {escape}"

    def condition(self, f: Filter) -> str:
        ident, column = self.ident(f.column)
        t = column.type
        if f.op in _COMPARISONS:
            if f.value is None:
                if f.op in (Op.EQ, Op.NE):
                    return f"{ident} IS {'NOT ' if f.op is Op.NE else ''}NULL"
                return "FALSE"
            return f"{ident} {_COMPARISONS[f.op]} {self.param(f.value, t)}"
        if f.op is Op.IN:
            values = tuple(f.value)
            present = [v for v in values if v is not None]
            parts = []
            if present:
                parts.append(f"{ident} IN ({', '.join(self.param(v, t) for v in present)})")
            if len(present) < len(values):
                parts.append(f"{ident} IS NULL")
            return "(" + " OR ".join(parts) + ")" if parts else "FALSE"
        if f.op in (Op.CONTAINS, Op.STARTSWITH):
            pattern = like_pattern(str(f.value), prefix=f.op is Op.STARTSWITH)
            return self.like(self.d.text(ident), pattern)
        if f.op is Op.ISNULL:
            return f"{ident} IS {'' if f.value else 'NOT '}NULL"
        if f.op is Op.BETWEEN:
            if not isinstance(f.value, tuple | list) or len(f.value) != 2:
                raise BadRequest("between needs two values", code="bad_filter")
            low, high = f.value
            parts = []
            if low is not None:
                parts.append(f"{ident} >= {self.param(low, t)}")
            if high is not None:
                parts.append(f"{ident} <= {self.param(high, t)}")
            return "(" + " AND ".join(parts) + ")" if parts else f"{ident} IS NOT NULL"
        raise BadRequest(f"unknown operator {f.op!r}", code="bad_filter")

    def search(self, spec: QuerySpec, text: str) -> str:
        if not spec.searchable:
            return "FALSE"
        pattern = like_pattern(text, prefix=False)
        parts = [self.like(self.d.text(self.ident(c)[0]), pattern) for c in spec.searchable]
        return "(" + " OR ".join(parts) + ")"

    def after(self, spec: QuerySpec, cursor: tuple[Any, ...]) -> str:
        """Rows strictly after the cursor in ORDER BY sort…, _rowid with NULLS LAST."""
        keys = [(s.column, s.descending) for s in spec.sort] + [(ROWID, False)]
        if len(cursor) != len(keys):
            raise BadRequest(
                f"the cursor has {len(cursor)} values, the sort needs {len(keys)}",
                code="bad_cursor",
            )
        alternatives = []
        for i, ((name, descending), value) in enumerate(zip(keys, cursor, strict=True)):
            if value is None:
                continue  # NULLs sort last: nothing comes after NULL within this key
            parts = []
            for (prev, _), prev_value in zip(keys[:i], cursor[:i], strict=True):
                ident, column = self.ident(prev)
                if prev_value is None:
                    parts.append(f"{ident} IS NULL")
                else:
                    parts.append(f"{ident} = {self.param(prev_value, column.type)}")
            ident, column = self.ident(name)
            later = f"{ident} {'<' if descending else '>'} {self.param(value, column.type)}"
            parts.append(f"({later} OR {ident} IS NULL)" if name != ROWID else later)
            alternatives.append(" AND ".join(parts))
        if not alternatives:
            return "FALSE"
        return "(" + " OR ".join(f"({a})" for a in alternatives) + ")"

    def where(self, spec: QuerySpec, *, keyset: bool) -> str:
        conditions = [self.condition(f) for f in spec.filters]
        if spec.search:
            conditions.append(self.search(spec, spec.search))
        if keyset and spec.after is not None and not grouped(spec):
            conditions.append(self.after(spec, spec.after))
        return " WHERE " + " AND ".join(conditions) if conditions else ""


def _order(d: Dialect, spec: QuerySpec, known: dict[str, Column]) -> str:
    terms = []
    if grouped(spec):
        allowed = set(spec.group_by) | {a.alias for a in spec.aggregates}
        for s in spec.sort:
            if s.column not in allowed:
                raise BadRequest(
                    f"sort {s.column!r} is neither a group column nor an aggregate",
                    code="bad_sort",
                    details={"column": s.column},
                )
            terms.append(f"{d.quote(s.column)} {'DESC' if s.descending else 'ASC'} NULLS LAST")
        terms += [f"{d.quote(g)} ASC NULLS LAST" for g in spec.group_by]
    else:
        for s in spec.sort:
            name = _column(known, s.column).name
            terms.append(f"{d.quote(name)} {'DESC' if s.descending else 'ASC'} NULLS LAST")
        terms.append(f"{d.quote(ROWID)} ASC")
    return " ORDER BY " + ", ".join(terms) if terms else ""


def _aggregate_expr(b: _Builder, agg: Aggregate) -> str:
    d = b.d
    ctype = _aggregate_type(b.known, agg)
    inner = "*" if agg.column is None else b.ident(agg.column)[0]
    expr = f"{agg.func.value.upper()}({inner})"
    if agg.func in (AggFunc.COUNT, AggFunc.SUM, AggFunc.AVG):
        # Engines widen SUM to HUGEINT / NUMERIC and AVG to NUMERIC: keep the stored types.
        expr = f"CAST({expr} AS {d.types[ctype]})"
    return f"{expr} AS {d.quote(agg.alias)}"


def _from(d: Dialect, table: str) -> str:
    return f" FROM {d.quote(check_table_name(table))}"


def build_select(
    d: Dialect,
    table: str,
    columns: Sequence[Column],
    spec: QuerySpec,
    *,
    limit: int | None,
    offset: int,
    keys: bool,
) -> Built:
    """The SELECT of a page (or stream) of `spec`.

    With `keys` (rows, not groups) the values of the sort columns and `_rowid` follow the
    requested fields, so that the caller can build the next keyset cursor.
    """
    b = _Builder(d, columns)
    if grouped(spec):
        group = [b.ident(g)[0] for g in spec.group_by]
        outputs = group + [_aggregate_expr(b, a) for a in spec.aggregates]
    else:
        outputs = [b.ident(f)[0] for f in spec.fields]
        if keys:
            hidden = [b.ident(s.column)[0] for s in spec.sort] + [d.quote(ROWID)]
            outputs += [f"{h} AS {d.quote(f'__qc_key{i}')}" for i, h in enumerate(hidden)]
    sql = "SELECT " + (", ".join(outputs) if outputs else "NULL") + _from(d, table)
    sql += b.where(spec, keyset=True)
    if grouped(spec) and spec.group_by:
        sql += " GROUP BY " + ", ".join(group)
    sql += _order(d, spec, b.known)
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    if offset:
        sql += f" OFFSET {int(offset)}"
    return Built(sql, b.params)


def build_count(d: Dialect, table: str, columns: Sequence[Column], spec: QuerySpec) -> Built:
    """How many rows (or groups) match the filters of `spec`, ignoring paging."""
    b = _Builder(d, columns)
    where = b.where(spec, keyset=False)
    if not grouped(spec):
        return Built("SELECT count(*)" + _from(d, table) + where, b.params)
    inner = "SELECT 1" + _from(d, table) + where
    if spec.group_by:
        inner += " GROUP BY " + ", ".join(b.ident(g)[0] for g in spec.group_by)
    outer = f"SELECT count(*) FROM ({inner}) AS {d.quote('__qc_groups')}"  # noqa: S608
    return Built(outer, b.params)


def page_window(spec: QuerySpec) -> tuple[int, int]:
    """LIMIT (one extra row to see whether more follow) and OFFSET of a query page."""
    offset = spec.offset if spec.after is None or grouped(spec) else 0
    return spec.limit + 1, offset


def stream_window(spec: QuerySpec) -> tuple[int | None, int]:
    """LIMIT and OFFSET of a stream: none at all when the limit is 0."""
    if spec.limit == 0:
        return None, 0
    offset = spec.offset if spec.after is None or grouped(spec) else 0
    return spec.limit, offset


def split_page(
    spec: QuerySpec, raw: list[tuple[Any, ...]], fields: Sequence[str]
) -> tuple[list[tuple[Any, ...]], tuple[Any, ...] | None]:
    """Visible rows of a fetched page and the keyset cursor of the next page, if any."""
    width = len(fields)
    more = len(raw) > spec.limit
    raw = raw[: spec.limit]
    rows = [tuple(to_python(v) for v in r[:width]) for r in raw]
    if not more or not raw or grouped(spec):
        return rows, None
    return rows, tuple(to_python(v) for v in raw[-1][width:])


def page_fields(spec: QuerySpec) -> tuple[str, ...]:
    """Result column names of a page."""
    if grouped(spec):
        return (*spec.group_by, *(a.alias for a in spec.aggregates))
    return spec.fields


def to_python(value: Any) -> Any:
    """A database value as a plain Python value (Decimal → int or float, UUID → str)."""
    if isinstance(value, decimal.Decimal):
        if value.is_finite() and value == value.to_integral_value():
            exponent = value.as_tuple().exponent
            if isinstance(exponent, int) and exponent >= 0:
                return int(value)
        return float(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dt.time | dt.timedelta):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    return value
