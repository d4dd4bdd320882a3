"""Datasette-style row query strings (`?所属区县=历下区&_sort=-人口&_limit=50`) as a QuerySpec.

Pure: no I/O. The caller passes the columns the reader may see; a hidden column is reported
exactly like a column that does not exist, so error messages never confirm it.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from quancheng.datastore.cursors import DatasetCursors
from quancheng.datastore.query import AggFunc, Aggregate, Filter, Op, QuerySpec, Sort
from quancheng.datastore.schema import (
    DATE_PATTERN,
    FALSE_WORDS,
    TIMESTAMP_PATTERN,
    Column,
    ColumnType,
    TableSchema,
)
from quancheng.errors import BadRequest

DEFAULT_LIMIT = 100
_OPS = {op.value: op for op in Op}
_AGGS = {a.value: a for a in AggFunc}
_NUMERIC = frozenset({ColumnType.INTEGER, ColumnType.DOUBLE})
_TEXT_OPS = frozenset({Op.CONTAINS, Op.STARTSWITH})
# ASCII digits only, as the engines' casts and patterns read them: int() and float() also
# take '٣' and '３' (and float() '1_000'), which would filter on a number nobody wrote.
_DATE_RE = re.compile(DATE_PATTERN, re.ASCII)
_TIMESTAMP_RE = re.compile(TIMESTAMP_PATTERN, re.ASCII)
_INT_RE = re.compile(r"^[+-]?\d{1,19}$", re.ASCII)
_BIGINT = 2**63
_TRUE = frozenset({"true", "1", "是"})
_FALSE = frozenset({"false", "0"}) | FALSE_WORDS


@dataclass
class _Parsed:
    """Mutable accumulator while walking the query string."""

    filters: list[Filter] = field(default_factory=list)
    sort_refs: list[tuple[str, str, bool]] = field(default_factory=list)  # (param, ref, desc)
    fields: list[str] | None = None
    limit: int = DEFAULT_LIMIT
    offset: int = 0
    cursor: str | None = None
    group_refs: list[str] | None = None
    agg_text: str | None = None
    search: str | None = None


def parse_row_query(
    query: Sequence[tuple[str, str]],
    schema: TableSchema,
    *,
    visible: frozenset[str],
    max_limit: int = 10_000,
    passthrough: frozenset[str] = frozenset(),
    cursors: DatasetCursors | None = None,
) -> QuerySpec:
    """Turn a raw multi-valued query string into a QuerySpec over visible columns.

    `_next` is opened with `cursors` (the dataset's); without them no cursor is valid.
    """
    resolver = _Resolver(schema, visible)
    p = _Parsed()
    for key, value in query:
        if key in passthrough:
            continue
        if key == "_sort":
            p.sort_refs += [(key, r, r.startswith("-")) for r in _split_list(value)]
        elif key == "_sort_desc":
            p.sort_refs += [(key, r, True) for r in _split_list(value)]
        elif key == "_fields":
            p.fields = (p.fields or []) + [
                resolver.resolve(key, r).name for r in _split_list(value)
            ]
        elif key == "_limit":
            p.limit = _parse_limit(value, max_limit)
        elif key == "_offset":
            p.offset = _parse_offset(value)
        elif key == "_next":
            p.cursor = value or None
        elif key == "_group_by":
            p.group_refs = (p.group_refs or []) + _split_list(value)
        elif key == "_agg":
            p.agg_text = value
        elif key in ("_search", "q"):
            p.search = value.strip() or None
        else:
            p.filters.append(_parse_filter(resolver, key, value))
    if p.group_refs:
        return _grouped_spec(resolver, p, p.group_refs)
    if p.agg_text is not None:
        raise _bad("bad_value", "_agg needs _group_by", "_agg")
    sort = tuple(
        Sort(resolver.resolve(param, ref.removeprefix("-") if param == "_sort" else ref).name, desc)
        for param, ref, desc in p.sort_refs
    )
    after = None
    if p.cursor is not None:
        if cursors is None:
            raise _bad_cursor("_next is not a valid cursor")
        after = cursors.open(p.cursor, expected=len(sort) + 1)
        _check_cursor_types(after, [resolver.by_name[s.column] for s in sort])
    fields = tuple(_dedupe(p.fields)) if p.fields else tuple(resolver.visible_names)
    return QuerySpec(
        fields=fields,
        filters=tuple(p.filters),
        sort=sort,
        limit=p.limit,
        offset=p.offset,
        after=after,
        search=p.search,
        searchable=tuple(resolver.visible_names) if p.search else (),
    )


def _grouped_spec(resolver: _Resolver, p: _Parsed, group_refs: list[str]) -> QuerySpec:
    if p.fields is not None:
        raise _bad("bad_value", "_fields cannot be combined with _group_by", "_fields")
    if p.cursor is not None:
        raise _bad("bad_cursor", "_next cannot be used with _group_by; use _offset", "_next")
    groups = tuple(_dedupe([resolver.resolve("_group_by", r).name for r in group_refs]))
    aggregates = _parse_aggregates(resolver, p.agg_text or "count")
    aliases = {a.alias: a.alias for a in aggregates}
    clash = [g for g in groups if g in aliases]
    if clash:
        # Two result columns of one name: a row object would keep only one of them.
        raise _bad(
            "bad_value",
            f"the aggregate {clash[0]!r} is named like a group column; ask _agg for "
            "another (count:column is named count_column)",
            "_agg",
            column=clash[0],
        )
    sort: list[Sort] = []
    for param, raw, desc in p.sort_refs:
        ref = raw.removeprefix("-") if param == "_sort" else raw
        if ref in aliases:
            sort.append(Sort(ref, desc))
            continue
        column = resolver.lookup(ref)
        if column is None or column.name not in groups:
            available = [resolver.by_name[g].label for g in groups] + list(aliases)
            raise _bad(
                "unknown_column",
                f"cannot sort groups by {ref!r}; sort by a group column or an aggregate",
                param,
                column=ref,
                available=available,
            )
        sort.append(Sort(column.name, desc))
    return QuerySpec(
        fields=groups,
        filters=tuple(p.filters),
        sort=tuple(sort),
        limit=p.limit,
        offset=p.offset,
        group_by=groups,
        aggregates=aggregates,
        search=p.search,
        searchable=tuple(resolver.visible_names) if p.search else (),
    )


def _parse_aggregates(resolver: _Resolver, text: str) -> tuple[Aggregate, ...]:
    found: dict[str, Aggregate] = {}
    for item in _split_list(text) or ["count"]:
        func_name, _, ref = item.partition(":")
        func = _AGGS.get(func_name.strip().lower())
        if func is None:
            raise _bad(
                "unknown_operator",
                f"unknown aggregate {func_name!r}; use one of {', '.join(_AGGS)}",
                "_agg",
                operator=func_name,
            )
        ref = ref.strip()
        if not ref:
            if func is not AggFunc.COUNT:
                raise _bad("bad_value", f"{func.value} needs a column: {func.value}:column", "_agg")
            agg = Aggregate(func)
        else:
            column = resolver.resolve("_agg", ref)
            if func in (AggFunc.SUM, AggFunc.AVG) and column.type not in _NUMERIC:
                raise _bad("bad_value", f"{func.value} needs a numeric column, not {ref!r}", "_agg")
            agg = Aggregate(func, column.name)
        found.setdefault(agg.alias, agg)
    return tuple(found.values())


class _Resolver:
    """Column lookup restricted to what the reader may see."""

    def __init__(self, schema: TableSchema, visible: frozenset[str]) -> None:
        self.schema = schema
        self.visible_columns = [c for c in schema.columns if c.name in visible]
        self.visible_names = [c.name for c in self.visible_columns]
        self.by_name = {c.name: c for c in self.visible_columns}

    def lookup(self, ref: str) -> Column | None:
        # Resolve against the visible columns only: a label shared with a hidden column
        # must not be shadowed by it, and a hidden one must look exactly like a missing one.
        ref = ref.strip()
        for c in self.visible_columns:
            if c.name == ref:
                return c
        for c in self.visible_columns:
            if c.label == ref:
                return c
        return None

    def resolve(self, param: str, ref: str) -> Column:
        column = self.lookup(ref)
        if column is None:
            raise _bad(
                "unknown_column",
                f"no column {ref.strip()!r}",
                param,
                column=ref.strip(),
                available=[c.label for c in self.visible_columns],
            )
        return column


def _parse_filter(resolver: _Resolver, key: str, value: str) -> Filter:
    column = resolver.lookup(key)
    op = Op.EQ
    if column is None and "__" in key:
        ref, _, suffix = key.rpartition("__")
        if suffix in _OPS:
            op = _OPS[suffix]
            column = resolver.lookup(ref)
            if column is None and key.startswith("_"):
                raise _unknown_parameter(key)
            column = column or resolver.resolve(key, ref)
        elif resolver.lookup(ref) is not None:
            raise _bad(
                "unknown_operator",
                f"unknown operator {suffix!r}; use one of {', '.join(_OPS)}",
                key,
                operator=suffix,
                available=list(_OPS),
            )
    if column is None:
        if key.startswith("_"):
            raise _unknown_parameter(key)
        column = resolver.resolve(key, key)
    return Filter(column.name, op, _filter_value(column, op, value, key))


def _filter_value(column: Column, op: Op, raw: str, param: str) -> Any:
    if op in _TEXT_OPS:
        return raw
    if op is Op.ISNULL:
        return _to_bool(raw, param)
    if op is Op.IN:
        items = _value_list(raw, param)
        if not items:
            raise _bad("bad_value", "__in needs at least one value", param)
        return tuple(convert_value(column, v, param) for v in items)
    if op is Op.BETWEEN:
        items = _value_list(raw, param)
        if len(items) != 2:
            raise _bad("bad_value", "__between needs two values: low,high", param)
        return (convert_value(column, items[0], param), convert_value(column, items[1], param))
    return convert_value(column, raw, param)


def _value_list(raw: str, param: str) -> list[str]:
    text = raw.strip()
    if not text.startswith("["):
        return [v.strip() for v in text.split(",")] if text else []
    try:
        items = json.loads(text)
    except ValueError:
        raise _bad("bad_value", "not a valid JSON array", param) from None
    if not isinstance(items, list):
        raise _bad("bad_value", "not a valid JSON array", param)
    out: list[str] = []
    for item in items:
        if isinstance(item, bool):
            out.append("true" if item else "false")
        elif isinstance(item, (str, int, float)):
            out.append(str(item))
        else:
            raise _bad("bad_value", "JSON array items must be strings or numbers", param)
    return out


def convert_value(column: Column, raw: str, param: str) -> Any:
    """Convert query-string text to the Python type of the column, or raise bad_value."""
    text = raw.strip()
    kind = column.type
    if kind is ColumnType.TEXT:
        return raw
    if kind is ColumnType.INTEGER:
        if _INT_RE.match(text) and -_BIGINT <= int(text) < _BIGINT:
            return int(text)
    elif kind is ColumnType.DOUBLE:
        try:
            number = float(text) if text.isascii() and "_" not in text else math.nan
        except ValueError:
            number = math.nan
        if math.isfinite(number):
            return number
    elif kind is ColumnType.BOOLEAN:
        return _to_bool(text, param)
    elif kind is ColumnType.DATE:
        day = _to_date(text)
        if day is not None:
            return day
    elif kind is ColumnType.TIMESTAMP:
        moment = _to_timestamp(text)
        if moment is not None:
            return moment
    raise _bad(
        "bad_value",
        f"{raw!r} is not a valid {kind.value} for column {column.label!r}",
        param,
        column=column.label,
        type=kind.value,
        value=raw,
    )


def _to_bool(text: str, param: str) -> bool:
    word = text.strip().lower()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise _bad("bad_value", f"{text!r} is not true or false", param, value=text)


def _to_date(text: str) -> dt.date | None:
    m = _DATE_RE.match(text)
    if m is None:
        return None
    try:
        return dt.date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        return None


def _to_timestamp(text: str) -> dt.datetime | None:
    m = _TIMESTAMP_RE.match(text)
    if m is None:
        # A bare date on a timestamp column means its midnight (`ts__gte=2024-01-05`).
        day = _to_date(text)
        return None if day is None else dt.datetime(day.year, day.month, day.day)
    try:
        return dt.datetime(
            int(m[1]),
            int(m[2]),
            int(m[3]),
            int(m[4]),
            int(m[5]),
            int(m[6] or 0),
            int((m[7] or "0").ljust(6, "0")),
        )
    except ValueError:
        return None


def _parse_limit(value: str, max_limit: int) -> int:
    text = value.strip()
    if not text:
        return DEFAULT_LIMIT
    if not _INT_RE.match(text) or not 0 <= int(text) <= max_limit:
        raise _bad(
            "bad_limit",
            f"_limit must be a whole number from 0 to {max_limit}",
            "_limit",
            max=max_limit,
        )
    return int(text)


def _parse_offset(value: str) -> int:
    text = value.strip()
    if not text:
        return 0
    if not _INT_RE.match(text) or not 0 <= int(text) < _BIGINT:
        raise _bad(
            "bad_value", f"_offset must be a whole number from 0 to {_BIGINT - 1}", "_offset"
        )
    return int(text)


def _split_list(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


def _dedupe(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _unknown_parameter(key: str) -> BadRequest:
    return _bad("unknown_parameter", f"unknown parameter {key!r}", key)


def _bad(code: str, message: str, parameter: str, **details: Any) -> BadRequest:
    return BadRequest(message, code=code, details={"parameter": parameter, **details})


# -- keyset cursors (sealed and opened in quancheng.datastore.cursors) --------------------


def _check_cursor_types(values: tuple[Any, ...], columns: list[Column]) -> None:
    """Refuse a cursor whose values cannot be compared with the sort columns."""
    expected: dict[ColumnType, tuple[type, ...]] = {
        ColumnType.TEXT: (str,),
        ColumnType.INTEGER: (int,),
        ColumnType.DOUBLE: (int, float),
        ColumnType.BOOLEAN: (bool,),
        ColumnType.DATE: (dt.date,),
        ColumnType.TIMESTAMP: (dt.datetime,),
    }
    for value, column in zip(values, columns, strict=False):
        if value is None:
            continue
        types = expected[column.type]
        wrong_bool = isinstance(value, bool) and bool not in types
        wrong_date = isinstance(value, dt.datetime) and column.type is ColumnType.DATE
        if not isinstance(value, types) or wrong_bool or wrong_date:
            raise _bad_cursor("_next does not match this sort order; keep the same _sort")
    rowid = values[-1]
    if not isinstance(rowid, int) or isinstance(rowid, bool) or rowid < 1:
        raise _bad_cursor("_next is not a valid cursor")


def _bad_cursor(message: str) -> BadRequest:
    return _bad("bad_cursor", message, "_next")
