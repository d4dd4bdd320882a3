"""The classification tree (类/项/目) of the catalog."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from sqlalchemy.orm import Session

from quancheng.catalog.service import CatalogService


class ClassificationNode(Protocol):
    """What a node of a classification tree provides."""

    @property
    def code(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def name_en(self) -> str: ...
    @property
    def parent_code(self) -> str | None: ...


def seed_classifications(s: Session, nodes: Iterable[ClassificationNode]) -> int:
    """Insert a tree (parents listed before children) inside the caller's transaction."""
    count = 0
    for node in nodes:
        CatalogService.add_classification(
            s, code=node.code, name=node.name, name_en=node.name_en, parent_code=node.parent_code
        )
        count += 1
    return count
