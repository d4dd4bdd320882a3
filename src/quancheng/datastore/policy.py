"""The one policy every data read passes through: who may read which columns and rows.

The datastore asks `ReadPolicy.decide` before every row query, export and SQL query. This
default allows the owning department and the platform authority everything, and everyone
the published open entries (personal items masked); the sharing exchange replaces it with
one that also honours grants.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from quancheng.catalog.model import EntryStatus, OpenType
from quancheng.datastore.masking import MaskRule, rule_for_column, rule_for_item
from quancheng.datastore.query import Filter
from quancheng.datastore.schema import Column
from quancheng.errors import NotAuthenticated, PermissionDenied
from quancheng.identity.roles import Permission, Principal


@dataclass(frozen=True)
class ItemInfo:
    """A catalog data item as the policy needs it."""

    name: str
    data_type: str
    sensitivity: str
    length: int | None = None


@dataclass(frozen=True)
class DatasetFacts:
    """What a policy decides on: the entry behind the data and its current columns."""

    dataset_id: int
    entry_id: int
    department_id: int
    status: str
    sharing_type: str
    open_type: str
    columns: tuple[Column, ...]
    items: tuple[ItemInfo, ...]


@dataclass(frozen=True)
class ReadDecision:
    """Visible columns (identifiers), a row filter ANDed to every query, and masks."""

    columns: frozenset[str]
    row_filter: tuple[Filter, ...] = ()
    masks: Mapping[str, MaskRule] = field(default_factory=dict)
    basis: str = "owner"
    grant_id: int | None = None

    @property
    def rowid_readable(self) -> bool:
        """Whether `_rowid` may be read: never through a row filter.

        Row ids number every row of the file; the gaps between those of the rows a filter
        lets through would count the rows it hides.
        """
        return not self.row_filter


class ReadPolicy(Protocol):
    """Decides a read or raises NotAuthenticated / PermissionDenied."""

    def decide(self, actor: Principal, facts: DatasetFacts) -> ReadDecision:
        """The caller's view of the dataset."""
        ...


class ReadAudit(Protocol):
    """Told of every read after it happened (the exchange logs reads through grants)."""

    def after_read(
        self,
        actor: Principal,
        decision: ReadDecision,
        *,
        entry_code: str,
        columns: Sequence[str],
        rows: int,
        query: str,
        via: str,
    ) -> None:
        """Note one read: which columns, how many rows, the query as sent, the path."""
        ...


def personal_masks(facts: DatasetFacts) -> dict[str, MaskRule]:
    """Masks for every column linked to a personal data item or headed like one."""
    by_name = {i.name: i for i in facts.items}
    masks: dict[str, MaskRule] = {}
    for column in facts.columns:
        item = by_name.get(column.item or "")
        if item is None:
            rule = rule_for_column(column.label)
        else:
            rule = rule_for_item(item.name, item.sensitivity, item.data_type)
        if rule is not MaskRule.NONE:
            masks[column.name] = rule
    return masks


class DefaultPolicy:
    """Owner and platform read everything raw; the public reads open, published entries."""

    def decide(self, actor: Principal, facts: DatasetFacts) -> ReadDecision:
        """Allow the owner, the platform authority, or anyone for open published data."""
        everything = frozenset(c.name for c in facts.columns)
        if actor.can(Permission.DATA_READ, department_id=facts.department_id):
            basis = "platform" if actor.is_platform_admin else "owner"
            return ReadDecision(columns=everything, basis=basis)
        if facts.status == EntryStatus.PUBLISHED and facts.open_type == OpenType.OPEN:
            return ReadDecision(columns=everything, masks=personal_masks(facts), basis="open")
        if not actor.is_authenticated:
            raise NotAuthenticated("log in or present an API token to read this data")
        raise PermissionDenied(
            "this data is not shared with you: apply for it through the sharing exchange",
            code="data_not_granted",
        )
