"""A backend-neutral row query: what the API, the portal and the exchange ask the datastore.

Column references here are already resolved to SQL identifiers of the table's schema and the
policy hook has already removed what the caller may not see; backends only translate.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Op(StrEnum):
    """Filter operators (Datasette style: `col__op=value`)."""

    EQ = "eq"
    NE = "ne"
    LT = "lt"
    LTE = "lte"
    GT = "gt"
    GTE = "gte"
    IN = "in"
    CONTAINS = "contains"
    STARTSWITH = "startswith"
    ISNULL = "isnull"
    BETWEEN = "between"


class AggFunc(StrEnum):
    """Aggregates allowed with `_group_by`."""

    COUNT = "count"
    SUM = "sum"
    AVG = "avg"
    MIN = "min"
    MAX = "max"


@dataclass(frozen=True)
class Filter:
    """`column op value`; IN takes a tuple, BETWEEN a pair, ISNULL a bool.

    Values are already converted to the column's Python type (int, float, bool,
    datetime.date, datetime.datetime or str).
    """

    column: str
    op: Op
    value: Any


@dataclass(frozen=True)
class Sort:
    """Order by one column."""

    column: str
    descending: bool = False


@dataclass(frozen=True)
class Aggregate:
    """`count` (column None = COUNT(*)) or `sum|avg|min|max` of a column.

    The result column is called `count` or `{func}_{column}`.
    """

    func: AggFunc
    column: str | None = None

    @property
    def alias(self) -> str:
        """Name of the result column."""
        return self.func.value if self.column is None else f"{self.func.value}_{self.column}"


@dataclass(frozen=True)
class RowFilter:
    """A policy row filter (a grant's `district = 历下区`): ANDed with the user's filters."""

    filters: tuple[Filter, ...] = ()


@dataclass(frozen=True)
class QuerySpec:
    """One page of rows, or of groups when `group_by` is set.

    `after` is a keyset cursor: the values of the sort columns followed by the row id
    (`_rowid`, which every stored table has, 1-based in load order) of the last row of the
    previous page; backends return rows strictly after it in the sort order, with `_rowid`
    as the final tie-breaker. `offset` is used only when `after` is None.
    """

    fields: tuple[str, ...]
    filters: tuple[Filter, ...] = ()
    sort: tuple[Sort, ...] = ()
    limit: int = 100
    offset: int = 0
    after: tuple[Any, ...] | None = None
    group_by: tuple[str, ...] = ()
    aggregates: tuple[Aggregate, ...] = ()
    # Free text (CKAN's `q`): rows where any of `searchable` contains it.
    search: str | None = None
    searchable: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        if self.limit < 0 or self.offset < 0:
            raise ValueError("limit and offset must not be negative")


@dataclass(frozen=True)
class Page:
    """Rows of a query in the order of `fields` (or group columns then aggregates)."""

    fields: tuple[str, ...]
    rows: list[tuple[Any, ...]]
    next_after: tuple[Any, ...] | None
    total: int | None
