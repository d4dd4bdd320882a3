"""Staging text cast to stored types in Arrow, for the values whose SQL cast is certain.

`finalize` casts staging text in SQL (sqlbuild.cast_expr). That costs a regular expression
per date and a string column written to disk only to be read back. For the shapes ingest
produces (every value of a typed column matched its inference pattern), the same values
can be computed in Arrow. `typed_batch` returns None as soon as any value falls outside
the shapes handled here (or is impossible, like 2024-02-30), and the caller then casts in
SQL as before: values stored and errors raised are the same either way.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from quancheng.datastore import infer
from quancheng.datastore.backends.base import ROWID
from quancheng.datastore.schema import (
    DATE_PATTERN,
    FALSE_WORDS,
    TIMESTAMP_PATTERN,
    TRUE_WORDS,
    Column,
    ColumnType,
)

# The characters sqlbuild's trim removes.
_SPACE = " \t\n\r\f\v"
_EDGE_SPACE = r"^[ \t\n\r\f\v]|[ \t\n\r\f\v]$|^$"
_INTEGER = r"^[+-]?[0-9]{1,18}$"
_ISO_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
_ISO_TIMESTAMP = r"^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}$"
_DOUBLE = r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]{1,3})?$"
_TRUE = pa.array(sorted(TRUE_WORDS), pa.string())
_WORDS = pa.array(sorted(TRUE_WORDS | FALSE_WORDS), pa.string())
_ARROW: dict[ColumnType, pa.DataType] = {
    ColumnType.TEXT: pa.string(),
    ColumnType.INTEGER: pa.int64(),
    ColumnType.DOUBLE: pa.float64(),
    ColumnType.BOOLEAN: pa.bool_(),
    ColumnType.DATE: pa.date32(),
    ColumnType.TIMESTAMP: pa.timestamp("us"),
}


class _Uncertain(Exception):
    """A value this module does not cast; SQL must decide."""


def typed_schema(columns: Sequence[Column]) -> pa.Schema:
    """The Arrow schema of a finalized table: `_rowid` then the columns."""
    fields = [pa.field(ROWID, pa.int64())]
    fields += [pa.field(c.name, _ARROW[c.type]) for c in columns]
    return pa.schema(fields)


def typed_batch(batch: pa.RecordBatch, columns: Sequence[Column]) -> pa.RecordBatch | None:
    """The staging batch (text columns and `_rowid`) in stored types, or None if unsure."""
    try:
        arrays = [batch.column(ROWID)]
        arrays += [_cast(_column(batch, c.name), c) for c in columns]
    except _Uncertain:
        return None
    return pa.RecordBatch.from_arrays(arrays, schema=typed_schema(columns))


def _column(batch: pa.RecordBatch, name: str) -> Any:
    index = batch.schema.get_field_index(name)
    if index < 0:
        raise _Uncertain
    return batch.column(index)


def _require(mask: Any) -> None:
    """Every non-null entry of `mask` is true, else the value is left to SQL."""
    if pc.all(mask, skip_nulls=True, min_count=0).as_py() is False:
        raise _Uncertain


def _cast(raw: Any, column: Column) -> Any:
    kind = column.type
    if kind is ColumnType.TEXT:
        return raw
    values = raw
    if pc.any(pc.match_substring_regex(raw, pattern=_EDGE_SPACE)).as_py():
        trimmed = pc.utf8_trim(raw, characters=_SPACE)
        values = pc.if_else(pc.equal(trimmed, ""), pa.scalar(None, pa.string()), trimmed)
    if kind is ColumnType.INTEGER and not column.parse:
        _require(pc.match_substring_regex(values, pattern=_INTEGER))
        return pc.cast(pc.replace_substring_regex(values, pattern=r"^\+", replacement=""), "int64")
    if kind is ColumnType.DOUBLE and not column.parse:
        _require(pc.match_substring_regex(values, pattern=_DOUBLE))
        unsigned = pc.replace_substring_regex(values, pattern=r"^\+", replacement="")
        result = pc.cast(unsigned, pa.float64())
        _require(pc.is_finite(result))
        return result
    if kind is ColumnType.BOOLEAN and column.parse == "bool":
        lowered = pc.utf8_lower(values)
        # is_in answers false, not null, for a null cell.
        _require(pc.or_(pc.is_null(values), pc.is_in(lowered, value_set=_WORDS)))
        return pc.if_else(pc.is_null(values), None, pc.is_in(lowered, value_set=_TRUE))
    if kind is ColumnType.DATE and column.parse == "ymd":
        return _dates(values)
    if kind is ColumnType.TIMESTAMP and column.parse == "ymd_hms":
        return _timestamps(values)
    raise _Uncertain


def _pad2(values: Any) -> Any:
    return pc.utf8_lpad(values, width=2, padding="0")


def _parse_exactly(text: Any, fmt: str, valid: Callable[[Any], Any]) -> Any:
    """Timestamps of zero-padded text naming a real date (and time), checked by inference's
    own test: strptime alone would roll 2024-02-30 over to March."""
    distinct = pc.unique(text)
    _require(pc.fill_null(valid(pc.drop_null(distinct)), False))
    return pc.strptime(text, format=fmt, unit="s")


def _groups(values: Any, pattern: str, names: Sequence[str]) -> Any:
    # Capturing groups named in order, as pyarrow's extract_regex wants them.
    it = iter(names)
    named = "".join(
        f"(?P<{next(it)}>" if ch == "(" and pattern[i + 1 : i + 2] != "?" else ch
        for i, ch in enumerate(pattern)
    )
    _require(pc.match_substring_regex(values, pattern=pattern))
    return pc.extract_regex(values, pattern=named)


def _field(parts: Any, name: str) -> Any:
    # struct_field, unlike StructArray.field, keeps the nulls of the struct itself.
    return pc.struct_field(parts, name)


def _all_match(values: Any, pattern: str) -> bool:
    return (
        pc.all(pc.match_substring_regex(values, pattern=pattern), min_count=0).as_py() is not False
    )


def _dates(values: Any) -> Any:
    if _all_match(values, _ISO_DATE):
        return pc.cast(_parse_exactly(values, "%Y-%m-%d", infer.valid_dates), pa.date32())
    parts = _groups(values, DATE_PATTERN, ("y", "m", "d"))
    text = pc.binary_join_element_wise(
        _field(parts, "y"), _pad2(_field(parts, "m")), _pad2(_field(parts, "d")), "-"
    )
    return pc.cast(_parse_exactly(text, "%Y-%m-%d", infer.valid_dates), pa.date32())


def _timestamps(values: Any) -> Any:
    if _all_match(values, _ISO_TIMESTAMP):
        parsed = _parse_exactly(values, "%Y-%m-%d %H:%M:%S", infer.valid_timestamps)
        return pc.cast(parsed, pa.timestamp("us"))
    names = ("y", "m", "d", "hh", "mi", "ss", "frac")
    parts = _groups(values, TIMESTAMP_PATTERN, names)
    seconds = _field(parts, "ss")
    seconds = pc.if_else(pc.equal(pc.utf8_length(seconds), 0), "00", seconds)
    day = pc.binary_join_element_wise(
        _field(parts, "y"), _pad2(_field(parts, "m")), _pad2(_field(parts, "d")), "-"
    )
    clock = pc.binary_join_element_wise(
        _pad2(_field(parts, "hh")), _field(parts, "mi"), _pad2(seconds), ":"
    )
    text = pc.binary_join_element_wise(day, clock, " ")
    parsed = _parse_exactly(text, "%Y-%m-%d %H:%M:%S", infer.valid_timestamps)
    stamp = pc.cast(parsed, pa.timestamp("us"))
    fraction = _field(parts, "frac")
    if pc.max(pc.utf8_length(fraction)).as_py():
        micros = pc.cast(pc.utf8_rpad(fraction, width=6, padding="0"), pa.int64())
        stamp = pc.add(stamp, pc.cast(micros, pa.duration("us")))
    return stamp
