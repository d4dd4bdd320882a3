"""Data items of a shared entry: naming them, their default masks, and grant row filters.

A request or a grant names items the way the rows API names columns: by the original
header (label), by the SQL identifier, or by the catalog data item's name. What is stored
is one stable reference per item: the catalog item's name when the column is linked to
one (it survives new data versions), else the column's identifier.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from quancheng.datastore import params
from quancheng.datastore.masking import MaskRule, rule_for_column, rule_for_item
from quancheng.datastore.policy import ItemInfo
from quancheng.datastore.query import Filter, Op
from quancheng.datastore.schema import Column, TableSchema
from quancheng.errors import FieldError, ValidationFailed


@dataclass(frozen=True)
class ItemRef:
    """One shareable item: its stable reference, what people call it, and its default mask."""

    ref: str
    label: str
    column: str | None
    default_mask: MaskRule


class EntryItems:
    """The items of one entry: its catalog data items and the columns of its current data."""

    def __init__(self, items: Sequence[ItemInfo], columns: Sequence[Column]) -> None:
        self.items = tuple(items)
        self.columns = tuple(columns)
        by_item = {i.name: i for i in items}
        refs: dict[str, ItemRef] = {}
        for item in items:
            column = next((c for c in columns if c.item == item.name), None)
            refs[item.name] = ItemRef(
                ref=item.name,
                label=item.name,
                column=column.name if column else None,
                default_mask=rule_for_item(item.name, item.sensitivity, item.data_type),
            )
        for column in columns:
            if column.item and column.item in by_item:
                continue
            # A column the catalog does not describe: its header is all that tells whether
            # it holds personal data.
            refs[column.name] = ItemRef(
                ref=column.name,
                label=column.label,
                column=column.name,
                default_mask=rule_for_column(column.label),
            )
        self.refs = refs
        self._names: dict[str, str] = {}
        for ref in refs.values():
            self._names.setdefault(ref.ref.lower(), ref.ref)
            self._names.setdefault(ref.label.lower(), ref.ref)
            if ref.column:
                self._names.setdefault(ref.column.lower(), ref.ref)
        for column in columns:
            target = column.item if column.item in refs else column.name
            if target in refs:
                self._names.setdefault(column.label.lower(), target)
                self._names.setdefault(column.name.lower(), target)

    def lookup(self, name: str) -> str | None:
        """The stable reference of an item named by label, identifier or item name."""
        return self._names.get(name.strip().lower())

    def resolve(self, names: Iterable[str], *, field: str = "items") -> list[str]:
        """Stable references of `names` in the order given, or 422 naming the unknown ones."""
        out: list[str] = []
        unknown: list[str] = []
        for name in names:
            ref = self.lookup(str(name))
            if ref is None:
                unknown.append(str(name))
            elif ref not in out:
                out.append(ref)
        if unknown:
            raise ValidationFailed(
                "unknown data items: " + ", ".join(unknown),
                errors=[
                    FieldError(
                        field,
                        "unknown_item",
                        f"no data item {n!r} in this entry; known: " + ", ".join(self.labels()),
                    )
                    for n in unknown
                ],
            )
        return out

    def labels(self) -> list[str]:
        """What the items are called, for messages and forms."""
        return [r.label for r in self.refs.values()]

    def default_masks(self, refs: Iterable[str]) -> dict[str, str]:
        """The mask each of `refs` gets unless a grant gives it raw."""
        return {
            r: self.refs[r].default_mask.value
            for r in refs
            if r in self.refs and self.refs[r].default_mask is not MaskRule.NONE
        }

    def visible_columns(self, refs: Iterable[str]) -> frozenset[str]:
        """Column identifiers of the current data that `refs` grant."""
        wanted = set(refs)
        return frozenset(
            c.name
            for c in self.columns
            if (c.item in wanted and c.item in self.refs) or c.name in wanted
        )

    def column_masks(self, masks: Mapping[str, str]) -> dict[str, MaskRule]:
        """Masks keyed by column identifier."""
        out: dict[str, MaskRule] = {}
        for ref, rule in masks.items():
            item = self.refs.get(ref)
            if item is not None and item.column is not None and rule != MaskRule.NONE:
                out[item.column] = MaskRule(rule)
        return out


def parse_masking(
    entry: EntryItems, granted: Sequence[str], given: Mapping[str, str] | None
) -> dict[str, str]:
    """The grant's masks: defaults for personal items, changed by the decision's `masking`.

    `given` maps an item to a rule name, or to "none"/"raw" to give that item unmasked.
    """
    masks = entry.default_masks(granted)
    problems: list[FieldError] = []
    for name, rule in (given or {}).items():
        ref = entry.lookup(name)
        if ref is None or ref not in granted:
            problems.append(
                FieldError(
                    "masking", "item_not_granted", f"{name!r} is not among the granted items"
                )
            )
            continue
        text = str(rule).strip().lower()
        if text in ("none", "raw"):
            masks.pop(ref, None)
            continue
        try:
            masks[ref] = MaskRule(text).value
        except ValueError:
            problems.append(
                FieldError(
                    "masking",
                    "unknown_mask",
                    f"unknown mask {rule!r}; use one of {', '.join(m.value for m in MaskRule)}",
                )
            )
    if problems:
        raise ValidationFailed("the masking is not valid", errors=problems)
    return masks


def parse_row_filter(
    entry: EntryItems,
    granted: Sequence[str],
    given: Mapping[str, object] | None,
    *,
    masks: Mapping[str, str],
) -> list[list[str]]:
    """Store a decision's row filter (`{"所属区县__eq": "历下区"}`) by item reference.

    Each key names a granted item and an operator as the rows API does; the value is
    text. A filter on an ungranted or masked item is refused: it would let the consumer
    learn what it may not see.
    """
    stored: list[list[str]] = []
    problems: list[FieldError] = []
    for key, raw in (given or {}).items():
        name, sep, op_text = str(key).rpartition("__")
        if not sep:
            name, op_text = str(key), Op.EQ.value
        ref = entry.lookup(name)
        if ref is None or ref not in granted:
            problems.append(
                FieldError(
                    "row_filter", "item_not_granted", f"{name!r} is not among the granted items"
                )
            )
            continue
        if ref in masks:
            problems.append(
                FieldError(
                    "row_filter",
                    "item_masked",
                    f"{name!r} is masked in this grant; a filter on it would reveal its values",
                )
            )
            continue
        try:
            op = Op(op_text)
        except ValueError:
            problems.append(FieldError("row_filter", "unknown_operator", f"unknown {op_text!r}"))
            continue
        stored.append([ref, op.value, _text(raw)])
    if problems:
        raise ValidationFailed("the row filter is not valid", errors=problems)
    return stored


def row_filters(entry: EntryItems, stored: Sequence[Sequence[str]]) -> tuple[Filter, ...]:
    """A stored row filter as datastore filters over the current columns.

    Raises ValidationFailed when the data no longer has a filtered column: the caller must
    then deny the read rather than drop the filter.
    """
    if not stored:
        return ()
    pairs: list[tuple[str, str]] = []
    for ref, op, value in stored:
        item = entry.refs.get(ref)
        if item is None or item.column is None:
            raise ValidationFailed(
                "the grant's row filter names a column the data no longer has",
                errors=[FieldError("row_filter", "column_missing", ref)],
            )
        pairs.append((f"{item.column}__{op}", value))
    schema = TableSchema(entry.columns)
    spec = params.parse_row_query(pairs, schema, visible=frozenset(c.name for c in entry.columns))
    return spec.filters


def _text(value: object) -> str:
    if isinstance(value, list | tuple):
        return ",".join(str(v) for v in value)
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)
