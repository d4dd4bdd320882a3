"""The shape of a stored table: typed columns with their original labels."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class ColumnType(StrEnum):
    """Storage type of a column; anything not proven otherwise stays TEXT."""

    TEXT = "text"
    INTEGER = "integer"
    DOUBLE = "double"
    BOOLEAN = "boolean"
    DATE = "date"
    TIMESTAMP = "timestamp"


@dataclass(frozen=True)
class Column:
    """One stored column.

    `name` is the safe SQL identifier (lower-case ASCII or CJK, at most 63 bytes UTF-8);
    `label` is the header as the department wrote it (e.g. "所属区县"); `item` is the name
    of the catalog data item it is linked to, if any; `parse` says how text became the
    stored type (a strptime-style pattern for dates, "" when the cast is plain).
    """

    name: str
    label: str
    type: ColumnType = ColumnType.TEXT
    item: str | None = None
    parse: str = ""

    def as_json(self) -> dict[str, Any]:
        """The dictionary form kept in the metadata database."""
        return {
            "name": self.name,
            "label": self.label,
            "type": self.type.value,
            "item": self.item,
            "parse": self.parse,
        }

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Column:
        """Rebuild a column from `as_json` output."""
        return cls(
            name=str(raw["name"]),
            label=str(raw.get("label") or raw["name"]),
            type=ColumnType(raw.get("type", "text")),
            item=raw.get("item"),
            parse=str(raw.get("parse") or ""),
        )


@dataclass(frozen=True)
class TableSchema:
    """The ordered columns of one data version."""

    columns: tuple[Column, ...]

    def __post_init__(self) -> None:
        names = [c.name for c in self.columns]
        if len(set(names)) != len(names):
            raise ValueError(f"duplicate column identifiers in {names}")

    def column(self, ref: str) -> Column | None:
        """The column named by identifier or by label (the original header)."""
        for c in self.columns:
            if c.name == ref:
                return c
        for c in self.columns:
            if c.label == ref:
                return c
        return None

    @property
    def names(self) -> list[str]:
        """The SQL identifiers in order."""
        return [c.name for c in self.columns]


# How typed columns are recognised in text and cast by every backend. The patterns are
# written for both RE2 (DuckDB) and PostgreSQL ARE; the groups are year, month, day
# (then hour, minute, second, fraction for timestamps), so that 2024-01-05, 2024/1/5,
# 2024.1.5 and 2024年1月5日 all become the same date.
DATE_PATTERN = r"^\s*(\d{4})(?:-|/|\.|年)(\d{1,2})(?:-|/|\.|月)(\d{1,2})日?\s*$"
TIMESTAMP_PATTERN = (
    r"^\s*(\d{4})(?:-|/|\.|年)(\d{1,2})(?:-|/|\.|月)(\d{1,2})日?(?:T|\s+)"
    r"(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?\s*$"
)
# Plain integers without a leading zero (a leading zero means a code: keep it as text)
# and short enough for BIGINT.
INTEGER_PATTERN = r"^\s*[+-]?(?:0|[1-9]\d{0,17})\s*$"
DOUBLE_PATTERN = r"^\s*[+-]?(?:(?:0|[1-9]\d*)(?:\.\d+)?|\.\d+)(?:[eE][+-]?\d+)?\s*$"
TRUE_WORDS = frozenset({"true", "是"})
FALSE_WORDS = frozenset({"false", "否"})
# Column.parse values: "" plain cast of the trimmed text; "ymd" and "ymd_hms" take the
# groups of DATE_PATTERN / TIMESTAMP_PATTERN; "bool" maps TRUE_WORDS / FALSE_WORDS
# (case-insensitive) to true / false.


def public_table_name(code: str) -> str:
    """The stable name SQL users write for an entry's data: `d_` and the resource code."""
    return ("d_" + re.sub(r"[^0-9a-z]+", "_", code.lower())).strip("_")[:63]
