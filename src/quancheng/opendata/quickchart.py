"""The open dataset page's quick chart: which column it groups by when the page loads."""

from __future__ import annotations

import re
from collections.abc import Sequence

from quancheng.datastore.schema import Column, ColumnType

# Headers that name a record rather than a category: 站点编号, 统一社会信用代码, 证件号码, …_id.
_IDENTIFIER = re.compile(
    r"(编号|编码|代码|序号|证号|号码|(^|_)id|(^|_)code|(^|_)no)$", re.IGNORECASE
)
_CATEGORICAL = frozenset({ColumnType.TEXT, ColumnType.BOOLEAN})


def is_identifier(column: Column) -> bool:
    """Whether the column's name or header reads like a record's identifier."""
    return bool(_IDENTIFIER.search(column.name) or _IDENTIFIER.search(column.label))


def default_category(columns: Sequence[Column], sample: Sequence[Sequence[object]]) -> str | None:
    """The column to group by first: a text column whose sampled values repeat, fewest kinds.

    `sample` holds rows in the order of `columns` (the page's preview). A column whose
    sampled values are all distinct, or that holds only one value, or is named like an
    identifier, is never chosen; None when no column qualifies.
    """
    best: tuple[int, str] | None = None
    for index, column in enumerate(columns):
        if column.type not in _CATEGORICAL or is_identifier(column):
            continue
        values = [row[index] for row in sample if index < len(row) and row[index] is not None]
        kinds = len(set(values))
        if kinds < 2 or kinds == len(values):
            continue
        if best is None or kinds < best[0]:
            best = (kinds, column.name)
    return best[1] if best else None
