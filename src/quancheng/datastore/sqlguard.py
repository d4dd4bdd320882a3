"""The read-only SQL guard: one SELECT over public table names, rewritten for the backend.

Pure: parses with sqlglot, checks every statement, table, function and column against
allow-lists, expands `*` to the readable columns, maps public names to physical tables (read
through the policy row filter where there is one) and caps the row count. Nothing reaches a
database unless it passed here.
"""

from __future__ import annotations

import datetime
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import OptimizeError, SqlglotError
from sqlglot.optimizer.qualify import qualify
from sqlglot.optimizer.scope import Scope, traverse_scope

from quancheng.datastore.query import Filter, Op
from quancheng.errors import BadRequest

READ_DIALECT = "postgres"
ROWID = "_rowid"
MAX_SQL_CHARS = 100_000


@dataclass(frozen=True)
class SqlTable:
    """A table the caller may read: public name, physical table, readable columns, row filter.

    `row_filter` (the policy's, ANDed) is applied to every reference of the table, so the
    query sees only the rows it allows. `rowid` says whether the caller may name `_rowid`;
    where it may not, the row id is unknown like a hidden column.
    """

    name: str
    physical: str
    columns: Sequence[str]
    row_filter: tuple[Filter, ...] = ()
    rowid: bool = True


@dataclass(frozen=True)
class CheckedSql:
    """SQL that passed the guard, in the target dialect.

    `tables` are the public tables read and `columns` the `table.column` pairs read (for
    the audit trail); `limit` is the effective row cap.
    """

    sql: str
    tables: list[str]
    columns: list[str]
    limit: int


def _classes(*names: str) -> tuple[type[exp.Expression], ...]:
    # Looked up by name so that a class missing from some sqlglot version is simply absent.
    return tuple(getattr(exp, n) for n in names if isinstance(getattr(exp, n, None), type))


# Statements and clauses that write, lock or reach outside the query.
_DENIED_NODES = _classes(
    "DML", "DDL", "Insert", "Update", "Delete", "Merge", "Create", "Drop", "Alter", "Copy",
    "Command", "Pragma", "Set", "Into", "Lock", "Transaction", "Commit", "Rollback", "Use",
    "TruncateTable", "Describe", "Show", "Kill", "Cache", "Uncache", "Analyze", "Grant",
    "LoadData", "Refresh", "Attach", "Detach", "Install", "Summarize", "Export", "Declare",
    "Returning",
)  # fmt: skip

# Widest lpad/rpad result: codes are padded to a few characters, never to megabytes.
MAX_PAD = 1000

# Functions by sqlglot expression class; everything else (exp.Anonymous above all) is denied.
_ALLOWED_FUNCS = _classes(
    # aggregates
    "Count", "CountIf", "Sum", "Avg", "Min", "Max", "Stddev", "StddevSamp", "StddevPop",
    "Variance", "VariancePop", "Median", "PercentileCont", "PercentileDisc", "Quantile",
    "ApproxDistinct", "GroupConcat", "LogicalAnd", "LogicalOr",
    # strings
    "Lower", "Upper", "Length", "Substring", "Trim", "Concat", "ConcatWs", "Replace", "Left",
    "Right", "Pad", "StrPosition", "SplitPart", "Initcap", "Reverse",
    # maths
    "Abs", "Round", "Floor", "Ceil", "Pow", "Sqrt", "Ln", "Log", "Exp", "Mod", "Greatest",
    "Least", "Sign",
    # nulls and conditionals
    "Coalesce", "Nullif", "If", "Case",
    # casts
    "Cast", "TryCast",
    # dates and times
    "Extract", "DateTrunc", "TimestampTrunc", "Year", "Quarter", "Month", "Week", "Day",
    "DayOfWeek", "DayOfYear", "CurrentDate", "CurrentTimestamp", "DateAdd", "DateSub",
    "DateDiff", "TsOrDsAdd", "TimeToStr", "ToChar", "StrToTime", "StrToDate",
    # operators sqlglot models as functions
    "And", "Or", "Xor", "Exists", "Collate", "RegexpLike", "RegexpILike", "Corr",
    # window functions
    "RowNumber", "Rank", "DenseRank", "Lag", "Lead", "FirstValue", "LastValue", "NthValue",
    "Ntile", "PercentRank", "CumeDist",
)  # fmt: skip

# Safe functions the postgres reader does not model (they arrive as exp.Anonymous).
_ALLOWED_ANONYMOUS = frozenset({"strftime", "strptime"})

# Table-valued functions that expose catalog data: reported like system tables.
_SYSTEM_PREFIXES = ("duckdb_", "pg_", "sqlite_", "information_schema")
_GENERATED_ALIAS = re.compile(r"^_col_\d+$")


def check_sql(
    sql: str, *, tables: Mapping[str, SqlTable], dialect: str, max_rows: int
) -> CheckedSql:
    """Validate one read-only query over `tables` and rewrite it for `dialect`."""
    try:
        return _check(sql, tables=tables, dialect=dialect, max_rows=max_rows)
    except RecursionError:
        # A query shallow enough to parse can still be too deep to walk (100 nested
        # subqueries, 1,000 UNION ALL branches): the sqlglot passes recurse per level.
        raise BadRequest("the query is nested too deeply", code="sql_parse_error") from None


def _check(sql: str, *, tables: Mapping[str, SqlTable], dialect: str, max_rows: int) -> CheckedSql:
    query = _parse_one(sql)
    _refuse_statements(query)
    _refuse_functions(query)
    used = _resolve_tables(query, tables)
    qualified = _qualify(query, used)
    _refuse_natural_joins(qualified)
    _refuse_whole_rows(qualified)
    _check_columns(qualified)
    _drop_implicit_rowids(qualified)
    _unwrap_generated_aliases(qualified)
    read = _read_columns(qualified)
    _to_physical(qualified, used)
    limit = _cap_limit(qualified, max_rows)
    try:
        out = qualified.sql(dialect=dialect)
    except SqlglotError as error:
        raise BadRequest(str(error), code="sql_parse_error") from None
    return CheckedSql(sql=out, tables=sorted(used), columns=read, limit=limit)


def _parse_one(sql: str) -> exp.Query:
    if len(sql) > MAX_SQL_CHARS:
        raise BadRequest(
            f"the query is longer than {MAX_SQL_CHARS} characters", code="sql_parse_error"
        )
    try:
        parsed = sqlglot.parse(sql, read=READ_DIALECT)
    except SqlglotError as error:
        raise BadRequest(
            str(error), code="sql_parse_error", details={"error": str(error)}
        ) from None
    except RecursionError:
        raise BadRequest("the query is nested too deeply", code="sql_parse_error") from None
    # A trailing ";" or comment parses as an empty statement; it is not a second one.
    statements = [s for s in parsed if s is not None and not isinstance(s, exp.Semicolon)]
    if len(statements) != 1:
        raise BadRequest(
            "write exactly one SELECT statement",
            code="sql_not_select",
            details={"statements": len(statements)},
        )
    root = statements[0]
    while isinstance(root, exp.Subquery) and not root.alias and isinstance(root.this, exp.Query):
        root = root.this
    if not isinstance(root, (exp.Select, exp.SetOperation)):
        raise BadRequest(
            "only SELECT queries may be run", code="sql_not_select", details={"statement": root.key}
        )
    return root


def _refuse_statements(query: exp.Query) -> None:
    for node in query.walk():
        if isinstance(node, _DENIED_NODES):
            raise BadRequest(
                f"only SELECT queries may be run ({node.key.upper()} is not allowed)",
                code="sql_not_select",
                details={"statement": node.key},
            )


# Types a value may be cast to. Casts to object-identifier types (regclass, regproc,
# regrole, oid …) would look names up in the system catalog and reveal what it holds.
_CAST_TYPES = frozenset(
    {
        *("TEXT", "VARCHAR", "CHAR", "NCHAR", "NVARCHAR", "BPCHAR", "NAME"),
        *("SMALLINT", "INT", "BIGINT", "TINYINT", "HUGEINT", "UBIGINT", "UINT", "USMALLINT"),
        *("DECIMAL", "DOUBLE", "FLOAT", "REAL"),
        *("BOOLEAN", "DATE", "TIME", "TIMESTAMP", "TIMESTAMPTZ", "INTERVAL"),
    }
)


def _refuse_cast(node: exp.Cast) -> None:
    target = node.to
    kind = target.this
    name = kind.value if isinstance(kind, exp.DataType.Type) else ""
    if name.upper() not in _CAST_TYPES:
        shown = target.sql(dialect="postgres")
        raise BadRequest(
            f"casting to {shown} is not allowed",
            code="sql_function_denied",
            details={"function": "cast", "type": shown},
        )


def _refuse_functions(query: exp.Query) -> None:
    for node in query.walk():
        if isinstance(node, exp.Table) and not isinstance(node.this, exp.Identifier):
            _refuse_table_function(node.this)
        if isinstance(node, exp.Cast):
            _refuse_cast(node)
        if isinstance(node, exp.Pad):
            _refuse_long_pad(node)
        if not isinstance(node, exp.Func) or isinstance(node, _ALLOWED_FUNCS):
            continue
        if isinstance(node, exp.Anonymous) and node.name.lower() in _ALLOWED_ANONYMOUS:
            continue
        raise _function_denied(node)


def _refuse_long_pad(node: exp.Pad) -> None:
    """lpad/rpad to a literal width of at most MAX_PAD: lpad(x, 2000000000) is 2 GB a row."""
    width = node.args.get("expression")
    if (
        isinstance(width, exp.Literal)
        and not width.is_string
        and width.this.isascii()
        and width.this.isdigit()
        and int(width.this) <= MAX_PAD
    ):
        return
    raise BadRequest(
        f"lpad and rpad take a literal width of at most {MAX_PAD}",
        code="sql_function_denied",
        details={"function": "lpad" if node.args.get("is_left") else "rpad", "max": MAX_PAD},
    )


def _refuse_table_function(node: exp.Expr) -> None:
    name = _function_name(node)
    if name.lower().startswith(_SYSTEM_PREFIXES):
        raise _table_denied(name)
    raise _function_denied(node)


def _function_name(node: exp.Expr) -> str:
    if isinstance(node, exp.Anonymous):
        return node.name
    if isinstance(node, exp.Func):
        return node.sql_name().lower()
    return node.key


def _function_denied(node: exp.Expr) -> BadRequest:
    name = _function_name(node)
    return BadRequest(
        f"the function {name} is not allowed",
        code="sql_function_denied",
        details={"function": name},
    )


def _table_denied(name: str) -> BadRequest:
    return BadRequest(
        f"no table {name} that you may read", code="sql_table_denied", details={"table": name}
    )


def _scopes(query: exp.Query) -> list[Scope]:
    try:
        return traverse_scope(query)
    except OptimizeError as error:
        raise BadRequest(str(error), code="sql_parse_error") from None


def _resolve_tables(query: exp.Query, tables: Mapping[str, SqlTable]) -> dict[str, SqlTable]:
    """Every table reference is a CTE in scope or a readable public table, unqualified."""
    cte_refs: set[int] = set()
    for scope in _scopes(query):
        for table in scope.tables:
            if isinstance(scope.sources.get(table.alias_or_name), Scope) and table.name in (
                scope.cte_sources
            ):
                cte_refs.add(id(table))
    used: dict[str, SqlTable] = {}
    for table in list(query.find_all(exp.Table)):
        if id(table) in cte_refs:
            continue
        if table.args.get("db") or table.args.get("catalog"):
            raise _table_denied(".".join(p.name for p in table.parts))
        name = table.name.lower()
        if name not in tables:
            raise _table_denied(table.name)
        used[name] = tables[name]
        # The lookup is case-insensitive; make the reference match the schema given to qualify.
        table.set("this", exp.to_identifier(name))
    return used


def _qualify(query: exp.Query, used: Mapping[str, SqlTable]) -> exp.Query:
    schema: dict[str, object] = {
        name: {**dict.fromkeys(t.columns, "text"), **({ROWID: "bigint"} if t.rowid else {})}
        for name, t in used.items()
    }
    for column in query.find_all(exp.Column):
        # Marks the row ids the user asked for; the ones `*` adds are dropped afterwards.
        if column.name.lower() == ROWID:
            column.meta["user_rowid"] = True
    try:
        qualified = qualify(
            query,
            schema=schema,
            dialect=READ_DIALECT,
            validate_qualify_columns=False,
            identify=True,
        )
    except OptimizeError as error:
        found = re.search(r"column:?\s*(\S+)", str(error), re.IGNORECASE)
        raise _unknown_column(str(error), found[1] if found else None) from None
    return qualified


def _refuse_natural_joins(query: exp.Query) -> None:
    """A NATURAL JOIN qualify left alone shares no readable column: refuse it.

    qualify turns one over readable columns into JOIN … ON; one it could not would join on
    whatever the physical tables share, hidden and masked columns included — `people
    NATURAL JOIN (SELECT '3701…' AS 身份证号) AS g` tested a guessed ID number.
    """
    for join in query.find_all(exp.Join):
        if join.method.upper() == "NATURAL":
            raise BadRequest(
                "NATURAL JOIN needs a column both sides share that you may read; "
                "write CROSS JOIN or JOIN … ON instead",
                code="sql_join_denied",
            )


def _refuse_whole_rows(query: exp.Query) -> None:
    """A table's name used as a value is its whole row, hidden and masked columns included.

    So is `t.*` anywhere qualify did not expand it into the readable columns (it expands a
    select list's stars): PostgreSQL reads concat(t.*) or CAST(t.* AS text) as the whole
    physical row. Only count(*) keeps its star.
    """
    for node in query.find_all(exp.TableColumn, exp.Dot, exp.Star):
        if isinstance(node, exp.Star) and isinstance(node.parent, exp.Count):
            continue
        if isinstance(node, exp.Star):
            name = node.parent.sql() if isinstance(node.parent, exp.Column) else "*"
        else:
            name = node.name if isinstance(node, exp.TableColumn) else node.sql()
        raise BadRequest(
            f"{name} is a whole row or a field of one; name the columns you want instead",
            code="unknown_column",
            details={"column": name},
        )


def _check_columns(query: exp.Query) -> None:
    """Columns qualify could not resolve are unknown, hidden or ambiguous: refuse them.

    Scopes do not list the columns of HAVING, QUALIFY, ORDER BY and DISTINCT ON that may
    name an output, so every column of the tree is looked at: an unqualified one is left to
    the database to resolve only as a bare ORDER BY or DISTINCT ON key naming an output,
    which both engines read as that output. Anywhere else (`HAVING max(secret) > '3'`,
    `ORDER BY secret || ''`) they read the physical column, hidden or masked.
    """
    for column in query.find_all(exp.Column):
        if column.table or _names_an_output(column):
            continue
        raise _unknown_column(f"no column {column.name} that you may read", column.name)


def _names_an_output(column: exp.Column) -> bool:
    key: exp.Expr = column.parent if isinstance(column.parent, exp.Ordered) else column
    clause = key.parent
    if isinstance(clause, exp.Order):
        owner = clause.parent
    elif isinstance(clause, exp.Tuple) and isinstance(clause.parent, exp.Distinct):
        owner = clause.parent.parent
    else:
        return False
    return isinstance(owner, exp.Query) and column.name in owner.named_selects


def _unknown_column(message: str, name: str | None) -> BadRequest:
    return BadRequest(message, code="unknown_column", details={"column": name})


def _drop_implicit_rowids(query: exp.Query) -> None:
    """`*` lists readable columns only; the row id appears when asked for by name."""
    for scope in _scopes(query):
        select = scope.expression
        if not isinstance(select, exp.Select):
            continue
        kept = []
        for projection in select.expressions:
            column = projection.this if isinstance(projection, exp.Alias) else projection
            implicit = (
                isinstance(column, exp.Column)
                and column.name == ROWID
                and not column.meta.get("user_rowid")
                and _rowid_dropped(scope.sources.get(column.table))
            )
            if not implicit:
                kept.append(projection)
        if len(kept) != len(select.expressions):
            select.set("expressions", kept)


def _rowid_dropped(source: exp.Table | Scope | None) -> bool:
    # Scopes come inner first, so a derived table has already lost its implicit row id.
    if isinstance(source, Scope):
        return isinstance(source.expression, exp.Query) and (
            ROWID not in source.expression.named_selects
        )
    return isinstance(source, exp.Table)


def _unwrap_generated_aliases(query: exp.Query) -> None:
    """Let the database name unnamed outputs (`count`, not qualify's `_col_1`)."""
    referenced = {c.name for c in query.find_all(exp.Column)}
    for select in _branches(query):
        for projection in list(select.expressions):
            alias = projection.alias if isinstance(projection, exp.Alias) else ""
            if _GENERATED_ALIAS.match(alias) and alias not in referenced:
                projection.replace(projection.this)


def _branches(query: exp.Expr) -> list[exp.Select]:
    if isinstance(query, exp.SetOperation):
        return _branches(query.this) + _branches(query.expression)
    if isinstance(query, exp.Subquery):
        return _branches(query.this)
    return [query] if isinstance(query, exp.Select) else []


def _read_columns(query: exp.Query) -> list[str]:
    read: set[str] = set()
    for scope in _scopes(query):
        for column in scope.columns:
            source = scope.sources.get(column.table)
            if isinstance(source, exp.Table):
                read.add(f"{source.name}.{column.name}")
    return sorted(read)


def _to_physical(query: exp.Query, used: Mapping[str, SqlTable]) -> None:
    seen: set[int] = set()
    for scope in _scopes(query):
        for table in scope.tables:
            source = scope.sources.get(table.alias_or_name)
            # CTE references are not sources that are the table itself: they stay as they are.
            if source is not table or table.name not in used or id(table) in seen:
                continue
            seen.add(id(table))
            spec = used[table.name]
            alias = table.alias or table.name
            *schema, physical = spec.physical.split(".")
            table.set("this", exp.to_identifier(physical, quoted=True))
            if schema:
                table.set("db", exp.to_identifier(schema[-1], quoted=True))
            # Column aliases (`AS x(a, b)`) rename the readable columns in order, as qualify
            # read them; on the physical table they would rename its first columns, hidden
            # and masked ones included, so a renamed table is read through the subquery
            # that lists the readable columns only.
            renamed = table.args["alias"].columns if table.args.get("alias") else []
            # Qualified references keep working through the public name (or the user's alias).
            table.set(
                "alias",
                exp.TableAlias(this=exp.to_identifier(alias, quoted=True), columns=renamed or None),
            )
            if spec.row_filter or renamed or not spec.rowid:
                table.replace(_filtered(table, spec, physical))


# Table arguments that belong to the reference in the outer query, not to the physical read
# (a parenthesised join hangs its joins on its first table).
_OUTER_TABLE_ARGS = ("alias", "laterals", "joins", "pivots")


def _filtered(table: exp.Table, spec: SqlTable, physical: str) -> exp.Subquery:
    """`(SELECT readable…, _rowid FROM physical WHERE policy) AS alias` in place of `table`.

    Without a policy filter the condition is TRUE: the subquery still limits the columns.
    The row id leaves it only where the caller may read it.
    """
    inner = table.copy()
    for key in _OUTER_TABLE_ARGS:
        inner.set(key, None)
    # Named after the physical table and used to qualify every column, so that a filter or
    # column name resolves in this scope only and never against a table of the outer query.
    inner.set("alias", exp.TableAlias(this=exp.to_identifier(physical, quoted=True)))
    names = [*dict.fromkeys([*spec.columns, *([ROWID] if spec.rowid else [])])]
    select = exp.select(*(exp.column(n, table=physical, quoted=True) for n in names))
    select = select.from_(inner).where(row_condition(spec.row_filter, qualifier=physical))
    derived = exp.Subquery(this=select)
    for key in _OUTER_TABLE_ARGS:
        derived.set(key, table.args.get(key))
    return derived


def row_condition(filters: Sequence[Filter], *, qualifier: str | None = None) -> exp.Expr:
    """The AND of `filters` as a sqlglot condition, values as literals; TRUE when empty."""
    parts = [_paren(_condition(f, qualifier)) for f in filters]
    if not parts:
        return exp.true()
    combined = parts[0]
    for part in parts[1:]:
        combined = exp.And(this=combined, expression=part)
    return combined


def _paren(node: exp.Expr) -> exp.Expr:
    return exp.Paren(this=node) if isinstance(node, exp.Connector) else node


def _condition(f: Filter, qualifier: str | None) -> exp.Expr:
    # Same meaning as the row-query builder (sqlbuild._Builder.condition), as literals.
    column = exp.column(f.column, table=qualifier, quoted=True)
    if f.op in _COMPARISONS:
        if f.value is None:
            if f.op is Op.EQ:
                return exp.Is(this=column, expression=exp.Null())
            if f.op is Op.NE:
                return exp.Not(this=exp.Is(this=column.copy(), expression=exp.Null()))
            return exp.false()
        return _COMPARISONS[f.op](this=column, expression=_literal(f.value))
    if f.op is Op.IN:
        values = tuple(f.value)
        present = [v for v in values if v is not None]
        parts: list[exp.Expr] = []
        if present:
            parts.append(exp.In(this=column, expressions=[_literal(v) for v in present]))
        if len(present) < len(values):
            parts.append(exp.Is(this=column.copy(), expression=exp.Null()))
        if not parts:
            return exp.false()
        return exp.Or(this=parts[0], expression=parts[1]) if len(parts) == 2 else parts[0]
    if f.op in (Op.CONTAINS, Op.STARTSWITH):
        pattern = _like_pattern(str(f.value), prefix=f.op is Op.STARTSWITH)
        text = exp.Cast(this=column, to=exp.DataType.build("text"))
        like = exp.ILike(this=text, expression=exp.Literal.string(pattern))
        return exp.Escape(this=like, expression=exp.Literal.string(_LIKE_ESCAPE))
    if f.op is Op.ISNULL:
        null = exp.Is(this=column, expression=exp.Null())
        return null if f.value else exp.Not(this=null)
    if f.op is Op.BETWEEN:
        if not isinstance(f.value, tuple | list) or len(f.value) != 2:
            raise BadRequest("between needs two values", code="bad_filter")
        low, high = f.value
        bounds: list[exp.Expr] = []
        if low is not None:
            bounds.append(exp.GTE(this=column.copy(), expression=_literal(low)))
        if high is not None:
            bounds.append(exp.LTE(this=column.copy(), expression=_literal(high)))
        if not bounds:
            return exp.Not(this=exp.Is(this=column, expression=exp.Null()))
        return exp.And(this=bounds[0], expression=bounds[1]) if len(bounds) == 2 else bounds[0]
    raise BadRequest(f"unknown operator {f.op!r}", code="bad_filter")


_COMPARISONS: dict[Op, type[exp.Binary]] = {
    Op.EQ: exp.EQ,
    Op.NE: exp.NEQ,
    Op.LT: exp.LT,
    Op.LTE: exp.LTE,
    Op.GT: exp.GT,
    Op.GTE: exp.GTE,
}
_LIKE_ESCAPE = "\\"


def _like_pattern(text: str, *, prefix: bool) -> str:
    escaped = (
        text.replace(_LIKE_ESCAPE, _LIKE_ESCAPE * 2)
        .replace("%", _LIKE_ESCAPE + "%")
        .replace("_", _LIKE_ESCAPE + "_")
    )
    return escaped + "%" if prefix else "%" + escaped + "%"


def _literal(value: Any) -> exp.Expr:
    """A typed Python value as a SQL literal node; sqlglot does the quoting."""
    if isinstance(value, bool):
        return exp.Boolean(this=value)
    if isinstance(value, int | float | Decimal):
        if isinstance(value, float | Decimal) and not math.isfinite(value):
            # `nan` or `inf` as a bare number would read as a column name.
            shown = "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
            return _cast(shown, "double")
        number = exp.Literal.number(abs(value))
        return exp.Neg(this=number) if value < 0 else number
    if isinstance(value, datetime.datetime):
        if value.tzinfo is not None:
            # Stored timestamps are naive; an offset would be dropped or applied differently
            # by DuckDB and PostgreSQL.
            raise BadRequest("a row filter timestamp must not carry a time zone", code="bad_filter")
        return _cast(value.isoformat(sep=" "), "timestamp")
    if isinstance(value, datetime.date):
        return _cast(value.isoformat(), "date")
    if isinstance(value, str):
        return exp.Literal.string(value)
    raise BadRequest(
        f"a row filter value of type {type(value).__name__} is not supported",
        code="bad_filter",
    )


def _cast(text: str, type_name: str) -> exp.Cast:
    return exp.Cast(this=exp.Literal.string(text), to=exp.DataType.build(type_name))


def _cap_limit(query: exp.Query, max_rows: int) -> int:
    current = query.args.get("limit")
    wanted: int | None = None
    if isinstance(current, exp.Limit):
        wanted = _int_literal(current.expression)
    elif isinstance(current, exp.Fetch):
        options = current.args.get("limit_options")
        percent = isinstance(options, exp.Expr) and bool(options.args.get("percent"))
        wanted = None if percent else _int_literal(current.args.get("count"))
    limit = max_rows if wanted is None else min(wanted, max_rows)
    query.set("limit", exp.Limit(expression=exp.Literal.number(limit)))
    return limit


def _int_literal(node: exp.Expr | None) -> int | None:
    if isinstance(node, exp.Literal) and not node.is_string:
        try:
            value = int(str(node.this))
        except ValueError:
            return None
        return value if value >= 0 else None
    return None
