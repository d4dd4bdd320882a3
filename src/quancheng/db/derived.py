"""Derived data: rows computed from other tables by application code, rebuilt when it changes.

A kind of derived data (the catalog's search index, the streetlights' state column) declares
the version of the code that computes it, next to that code. The database keeps the version
each kind was last built with (table derived_data). After `Database.migrate`, every kind whose
stored version is missing or older is rebuilt by the running release, batch by batch, each
batch in its own transaction; the stamp is written in the transaction of the last batch. A
rebuild cut short leaves the old stamp, so the next `migrate` runs it again: batches overwrite
rows, they never append. Migrations therefore never import application code to rebuild data
(replaying an old migration must not depend on how today's code computes it).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

from sqlalchemy import Connection, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from quancheng.db.models import DerivedStamp, utcnow

if TYPE_CHECKING:
    from quancheng.db.database import Database

log = logging.getLogger("quancheng.db")

_KIND = re.compile(r"[a-z][a-z0-9_]{0,63}")


class Step(NamedTuple):
    """What one batch of a rebuild did."""

    rows: int  # rows it rebuilt
    after: str | None  # the key the next batch starts after; None when this was the last


# One batch: (session of the batch's transaction, key the previous batch ended at or None for
# the first, most rows to take) -> Step. The last batch also removes rows derived from rows
# that are gone.
Batch = Callable[[Session, str | None, int], Step]


@dataclass(frozen=True)
class Derivation:
    """One kind of derived data: its name, the version of its code, and how to rebuild it."""

    kind: str
    version: int
    batch: Batch
    batch_size: int = 1000

    def __post_init__(self) -> None:
        if not _KIND.fullmatch(self.kind):
            raise ValueError(
                f"derived data kind {self.kind!r}: expected a lowercase letter, then up to "
                "63 lowercase letters, digits or _"
            )
        if self.version < 1:
            raise ValueError(f"derived data {self.kind}: version {self.version}, expected ≥ 1")
        if self.batch_size < 1:
            raise ValueError(
                f"derived data {self.kind}: batch size {self.batch_size}, expected ≥ 1"
            )


def check_kinds(kinds: Sequence[Derivation]) -> tuple[Derivation, ...]:
    """The kinds as a tuple, after checking that no name is declared twice."""
    names = [k.kind for k in kinds]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ValueError(f"derived data declared twice: {', '.join(twice)}")
    return tuple(kinds)


def stale(kinds: Sequence[Derivation], stamps: Mapping[str, int]) -> list[Derivation]:
    """The kinds whose stored version is missing or older than their code's, in order."""
    return [k for k in kinds if stamps.get(k.kind, 0) < k.version]


def read_stamps(connection: Connection) -> dict[str, int]:
    """The version each kind was last built with."""
    rows = connection.execute(select(DerivedStamp.kind, DerivedStamp.version))
    return {kind: version for kind, version in rows}


def write_stamp(connection: Connection, kind: Derivation) -> None:
    """Record that `kind` now holds what its current code computes."""
    insert = sqlite_insert if connection.dialect.name == "sqlite" else postgresql_insert
    stmt = insert(DerivedStamp).values(kind=kind.kind, version=kind.version, built_at=utcnow())
    connection.execute(
        stmt.on_conflict_do_update(
            index_elements=[DerivedStamp.kind],
            set_={"version": stmt.excluded.version, "built_at": stmt.excluded.built_at},
        )
    )


def rebuild(db: Database, kind: Derivation) -> int:
    """Rebuild one kind now, batch by batch, and stamp it; the number of rows rebuilt."""
    after: str | None = None
    total = 0
    while True:
        with db.transaction() as s:
            step = kind.batch(s, after, kind.batch_size)
            total += step.rows
            if step.after is None:
                write_stamp(s.connection(), kind)
                return total
        after = step.after


def refresh(db: Database, kinds: Sequence[Derivation]) -> dict[str, int]:
    """Rebuild every kind whose stamp is missing or older; the rows rebuilt of each."""
    with db.engine.connect() as connection:
        stamps = read_stamps(connection)
    for kind in kinds:
        if stamps.get(kind.kind, 0) > kind.version:
            # Data built by a newer release than this one: left as it is.
            log.warning(
                "derived data %s was built by version %d of its code, this release has %d",
                kind.kind,
                stamps[kind.kind],
                kind.version,
            )
    rebuilt: dict[str, int] = {}
    for kind in stale(kinds, stamps):
        log.info(
            "rebuilding derived data %s (version %s -> %d)",
            kind.kind,
            stamps.get(kind.kind, "none"),
            kind.version,
        )
        rebuilt[kind.kind] = rebuild(db, kind)
        log.info("rebuilt derived data %s: %d rows", kind.kind, rebuilt[kind.kind])
    return rebuilt
