"""The ledger service: an append-only RFC 9162 log in the metadata database, with checkpoints.

Leaves (canonical JSON events) and the hashes of completed perfect subtrees (level >= 1) are
written in the caller's transaction, so that an event is recorded exactly when its change
commits. The first `record` of a transaction locks the single `ledger_head` row (SQLite's
write transactions are exclusive already), takes the tree's right edge into a `CompactRange`
(from memory when the locked head shows the tree is still the one this process last wrote,
otherwise from the stored nodes) and buffers rows in memory; the buffer is written in bulk,
with driver-level executemany, just before the commit. Roots and proofs are O(log n) reads of
stored nodes by primary key.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Dialect, delete, event, select
from sqlalchemy.orm import Session

from quancheng.db import Database
from quancheng.db.models import (
    CatalogEntry,
    Dataset,
    DataVersion,
    Department,
    LedgerCheckpoint,
    LedgerCosignature,
    LedgerHead,
    LedgerLeaf,
    LedgerNode,
    LedgerWitnessKey,
    User,
    utcnow,
)
from quancheng.errors import (
    BadRequest,
    ConfigurationError,
    Conflict,
    NotFound,
    PermissionDenied,
    PlatformError,
)
from quancheng.identity.roles import Principal, Role
from quancheng.ledger import cosignature, merkle
from quancheng.ledger.canonical import CanonicalError, LedgerEvent
from quancheng.ledger.checkpoint import Checkpoint, CheckpointError, open_checkpoint
from quancheng.ledger.cosignature import CosignatureError
from quancheng.ledger.keys import (
    KeyAlgorithm,
    KeyFormatError,
    SigningKey,
    VerifierKey,
    read_signing_key,
    write_signing_key,
)
from quancheng.ledger.merkle import CompactRange, Hasher, NodeID, ProofError
from quancheng.ledger.note import (
    InvalidSignatureError,
    NoteError,
    Signature,
    UnverifiedNoteError,
    format_note,
    parse_note,
    verify_note,
)

log = logging.getLogger("quancheng.ledger")

SUITES: dict[str, tuple[Hasher, KeyAlgorithm]] = {
    "sha256-ed25519": (merkle.SHA256, KeyAlgorithm.ED25519),
    "sm3-sm2": (merkle.SM3, KeyAlgorithm.SM2),
}
KEY_FILE = "ledger.key"
MAX_PAGE = 1000
_STATE = "qc_ledger_append"
_HEX64 = re.compile(r"[0-9a-f]{64}")
# How far ahead of the log's clock a witness's cosignature/v1 timestamp may be.
COSIGNATURE_LEEWAY = timedelta(minutes=5)


class LedgerCorrupt(PlatformError):
    """Stored leaves, nodes or checkpoints disagree: the log refuses to sign or prove."""

    status = 500
    code = "ledger_corrupt"


def invalid_proof(message: str, **details: Any) -> BadRequest:
    """The 400 error of a malformed proof or entry request."""
    return BadRequest(message, code="invalid_proof_request", details=details or None)


@dataclass(frozen=True)
class LedgerRecord:
    """One stored leaf: its index, leaf hash and event."""

    index: int
    leaf_hash: bytes
    event: dict[str, Any]
    created_at: datetime

    def as_json(self) -> dict[str, Any]:
        """The API form: index, hex leaf hash, event."""
        return {"index": self.index, "leaf_hash": self.leaf_hash.hex(), "event": self.event}


@dataclass(frozen=True)
class IssuedCheckpoint:
    """A checkpoint the log signed, served with the cosignatures witnesses added."""

    id: int
    size: int
    root_hash: bytes
    note: str
    created_at: datetime
    witnesses: tuple[str, ...] = ()


@dataclass
class VerifyReport:
    """What `Ledger.verify` checked and every disagreement it found, first one first."""

    size: int = 0
    nodes_checked: int = 0
    checkpoints_checked: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether nothing disagreed."""
        return not self.problems


@dataclass(frozen=True)
class _Statements:
    """The append path's SQL for one dialect, in the driver's own parameter style."""

    dialect: str
    lock_head: str
    insert_leaves: str
    insert_nodes: str
    update_head: str
    stamp: Callable[[datetime], Any]


def _statements(dialect: Dialect) -> _Statements:
    # Fixed text, no values: only the placeholder style and PostgreSQL's row lock vary.
    p = "?" if dialect.paramstyle == "qmark" else "%s"
    # The column's own bind processing (UTC, and SQLite's text form), computed once.
    process = LedgerLeaf.__table__.c.created_at.type.bind_processor(dialect)
    return _Statements(
        dialect=dialect.name,
        lock_head=(
            "SELECT size, hash_name, root_hash FROM ledger_head WHERE id = 1 FOR UPDATE"
            if dialect.name == "postgresql"
            else "SELECT size, hash_name, root_hash FROM ledger_head WHERE id = 1"
        ),
        insert_leaves=(
            'INSERT INTO ledger_leaves ("index", leaf_hash, event, type, subject, created_at) '
            "VALUES (?, ?, ?, ?, ?, ?)"
        ).replace("?", p),
        insert_nodes='INSERT INTO ledger_nodes (level, "index", hash) VALUES (?, ?, ?)'.replace(
            "?", p
        ),
        update_head=(
            "UPDATE ledger_head SET size = ?, root_hash = ?, hash_name = ? WHERE id = 1"
        ).replace("?", p),
        stamp=process if process is not None else (lambda moment: moment),
    )


@dataclass
class _Append:
    ledger: Ledger
    range: CompactRange
    sql: _Statements
    leaves: list[tuple[Any, ...]] = field(default_factory=list)
    nodes: list[tuple[int, int, bytes]] = field(default_factory=list)


class Ledger:
    """The city's transparency log: record events, serve proofs, issue checkpoints."""

    def __init__(
        self,
        *,
        db: Database,
        key_path: Path,
        origin: str,
        suite: str = "sha256-ed25519",
        checkpoint_interval_seconds: int = 300,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        if suite not in SUITES:
            raise ConfigurationError(
                f"unknown ledger suite {suite!r}: expected one of {sorted(SUITES)}",
                details={"setting": "QC_LEDGER_SUITE"},
            )
        self.db = db
        self.key_path = key_path
        self.origin = origin
        self.suite = suite
        self.hasher, self.algorithm = SUITES[suite]
        self.interval = timedelta(seconds=checkpoint_interval_seconds)
        self.clock = clock
        self._key: SigningKey | None = None
        # (size, root, right-edge hashes) after this process's last append.
        self._edge: tuple[int, bytes, tuple[bytes, ...]] | None = None
        self._sql: _Statements | None = None

    # -- the log key -----------------------------------------------------------------------

    def ensure_key(self) -> SigningKey:
        """The log's signing key, created (0600) in the data dir if there is none yet."""
        if self._key is not None:
            return self._key
        if not self.key_path.exists():
            self.key_path.parent.mkdir(parents=True, exist_ok=True)
            try:
                write_signing_key(self.key_path, SigningKey.generate(self.origin, self.algorithm))
                log.info("created the log key %s", self.key_path)
            except FileExistsError:
                pass  # another process created it first; use theirs
        try:
            key = read_signing_key(self.key_path)
        except (KeyFormatError, OSError) as exc:
            raise ConfigurationError(f"cannot use the log key {self.key_path}: {exc}") from exc
        if key.algorithm is not self.algorithm:
            raise ConfigurationError(
                f"the log key {self.key_path} is {key.algorithm}, "
                f"but suite {self.suite} needs {self.algorithm}",
                details={"setting": "QC_LEDGER_SUITE"},
            )
        self._key = key
        return key

    def verifier(self) -> VerifierKey:
        """The public key that verifies the log's checkpoints."""
        return self.ensure_key().verifier

    # -- appending -------------------------------------------------------------------------

    def record(self, s: Session, ev: LedgerEvent) -> int:
        """Append an event in the caller's transaction; return its leaf index."""
        state: _Append | None = s.info.get(_STATE)
        if state is None:
            state = self._append_state(s)
        data = ev.canonical()
        leaf = self.hasher.leaf(data)
        cr = state.range
        index = cr.size
        created = cr.append(leaf)
        subject = ev.subject
        state.leaves.append(
            (
                index,
                leaf,
                data.decode(),
                ev.type,
                subject_key(str(subject["kind"]), str(subject["id"])),
                state.sql.stamp(self.clock()),
            )
        )
        if len(created) > 1:
            state.nodes.extend((n.level, n.index, h) for n, h in created[1:])
        return index

    def record_many(self, s: Session, events: Iterable[LedgerEvent]) -> list[int]:
        """Append several events in the caller's transaction, in order."""
        return [self.record(s, ev) for ev in events]

    def _append_state(self, s: Session) -> _Append:
        connection = s.connection()
        sql = self._sql
        if sql is None or sql.dialect != connection.dialect.name:
            sql = self._sql = _statements(connection.dialect)
        # The row lock orders appenders on PostgreSQL; on SQLite BEGIN IMMEDIATE already did.
        head = connection.exec_driver_sql(sql.lock_head).one_or_none()
        if head is None:
            raise LedgerCorrupt("the ledger_head row is missing: run `quancheng migrate`")
        size, hash_name, root_hash = int(head[0]), head[1], head[2]
        if hash_name is not None and hash_name != self.hasher.name:
            raise ConfigurationError(
                f"the log is hashed with {hash_name}, but QC_LEDGER_SUITE is {self.suite}",
                details={"setting": "QC_LEDGER_SUITE"},
            )
        # The right edge this process last wrote is still the tree's if the locked head has
        # the same size and root (equal roots of equal sizes mean equal leaves); otherwise
        # another process appended, or our transaction rolled back: read it from the nodes.
        edge = self._edge
        if edge is not None and size and edge[0] == size and root_hash is not None:
            if bytes(root_hash) == edge[1]:
                cr = CompactRange(size, edge[2], hasher=self.hasher)
            else:
                cr = self._compact_range(s, size)
        else:
            cr = self._compact_range(s, size)
        state = _Append(ledger=self, range=cr, sql=sql)
        s.info[_STATE] = state
        if not s.info.get(_STATE + ".listening"):
            event.listen(s, "before_commit", _write_pending)
            event.listen(s, "after_rollback", _drop_pending)
            s.info[_STATE + ".listening"] = True
        return state

    def _flush(self, s: Session, state: _Append) -> None:
        connection = s.connection()
        sql = state.sql
        cr = state.range
        root = cr.root()
        head = (cr.size, root, self.hasher.name)
        # Driver-level executemany: the rows are plain tuples already in the column types, so
        # SQLAlchemy's per-row parameter processing would only cost time. (One PostgreSQL
        # statement of unnest() arrays saved a round trip but halved batched appends.)
        connection.exec_driver_sql(sql.insert_leaves, state.leaves)
        if state.nodes:
            connection.exec_driver_sql(sql.insert_nodes, state.nodes)
        connection.exec_driver_sql(sql.update_head, head)
        self._edge = (cr.size, root, tuple(h for _, h in cr.nodes))

    def _compact_range(self, s: Session, size: int) -> CompactRange:
        ids = merkle.range_subtrees(0, size) if size else []
        found = self._node_hashes(s, ids)
        return CompactRange(size, [found[i] for i in ids], hasher=self.hasher)

    def _node_hashes(self, s: Session, ids: Iterable[NodeID]) -> dict[NodeID, bytes]:
        wanted = set(ids)
        by_level: dict[int, list[int]] = {}
        for n in wanted:
            by_level.setdefault(n.level, []).append(n.index)
        # Hand-written SQL over integers we computed: one round trip, the primary keys used
        # (a row-value IN makes SQLite scan), and none of the expression-building cost that
        # dominated a proof.
        parts = []
        for level, indexes in sorted(by_level.items()):
            listed = ",".join(str(int(i)) for i in indexes)
            if level == 0:
                parts.append(
                    f'SELECT 0, "index", leaf_hash FROM ledger_leaves WHERE "index" IN ({listed})'  # noqa: S608 (integers only)
                )
            else:
                parts.append(
                    f'SELECT level, "index", hash FROM ledger_nodes '  # noqa: S608 (integers only)
                    f'WHERE level = {int(level)} AND "index" IN ({listed})'
                )
        found: dict[NodeID, bytes] = {}
        if parts:
            rows = s.connection().exec_driver_sql(" UNION ALL ".join(parts)).fetchall()
            found.update((NodeID(int(lv), int(i)), bytes(h)) for lv, i, h in rows)
        missing = sorted(wanted - set(found))
        if missing:
            raise LedgerCorrupt(
                f"stored node level {missing[0].level} index {missing[0].index} is missing",
                details={"level": missing[0].level, "index": missing[0].index},
            )
        return found

    # -- events of the platform ------------------------------------------------------------

    def record_catalog(self, s: Session, actor: Principal, action: str, entry: CatalogEntry) -> int:
        """Record a catalog entry's lifecycle step (created, updated, submitted, published …)."""
        dept = s.get(Department, entry.department_id)
        subject: dict[str, Any] = {"kind": "catalog_entry", "id": entry.code}
        if entry.version:
            subject["version"] = entry.version
        details: dict[str, Any] = {"status": entry.status}
        if dept is not None:
            details["department"] = dept.key
        if entry.review_comment and action in ("returned", "offline"):
            details["reason"] = entry.review_comment
        digest = entry.content_hash if entry.content_hash else None
        return self.record(
            s,
            LedgerEvent(
                type=f"catalog.entry.{action}",
                time=self.clock(),
                actor=actor_of(s, actor),
                subject=subject,
                payload_hash=f"sha256:{digest}" if digest and _HEX64.fullmatch(digest) else None,
                details=details,
            ),
        )

    def record_department(
        self, s: Session, actor: Principal | None, action: str, dept: Department
    ) -> int:
        """Record a department being registered or changed."""
        details: dict[str, Any] = {"name": dept.name, "kind": dept.kind}
        if dept.credit_code:
            details["credit_code"] = dept.credit_code
        return self.record(
            s,
            LedgerEvent(
                type=f"identity.department.{action}",
                time=self.clock(),
                actor=actor_of(s, actor),
                subject={"kind": "department", "id": dept.key},
                details=details,
            ),
        )

    def record_user(self, s: Session, actor: Principal | None, action: str, user: User) -> int:
        """Record a user being created, enabled, disabled or given a new password."""
        details: dict[str, Any] = {"role": user.role}
        if user.department_id is not None:
            dept = s.get(Department, user.department_id)
            if dept is not None:
                details["department"] = dept.key
        return self.record(
            s,
            LedgerEvent(
                type=f"identity.user.{action}",
                time=self.clock(),
                actor=actor_of(s, actor),
                subject={"kind": "user", "id": user_ref(user)},
                details=details,
            ),
        )

    def record_data_version(
        self,
        s: Session,
        kind: str,
        *,
        dataset: Dataset,
        version: DataVersion,
        user_id: int | None,
    ) -> int:
        """Record a data version stored or made current; its content stays off the log."""
        entry = s.get(CatalogEntry, dataset.entry_id)
        user = s.get(User, user_id) if user_id is not None else None
        actor = actor_of(s, None) if user is None else _user_actor(s, user)
        digest = version.content_hash
        return self.record(
            s,
            LedgerEvent(
                type=kind,
                time=self.clock(),
                actor=actor,
                subject={
                    "kind": "catalog_entry",
                    "id": entry.code if entry is not None else str(dataset.entry_id),
                    "data_version": version.number,
                },
                payload_hash=f"sha256:{digest}" if _HEX64.fullmatch(digest or "") else None,
                details={"rows": int(version.row_count), "columns": len(version.columns)},
            ),
        )

    # -- reads -----------------------------------------------------------------------------

    def size(self) -> int:
        """The number of leaves committed."""
        with self.db.reader() as s:
            return int(s.scalar(select(LedgerHead.size).where(LedgerHead.id == 1)) or 0)

    def root(self, size: int | None = None) -> bytes:
        """MTH of the first `size` leaves (default: all), from stored nodes."""
        with self.db.reader() as s:
            tree = self._tree_size(s)
            size = tree if size is None else size
            if not 0 <= size <= tree:
                raise invalid_proof(f"size must be in [0, {tree}], found {size}", size=size)
            return self._root_at(s, size)

    def _tree_size(self, s: Session) -> int:
        # Fixed text, read on every proof: the expression-building cost is not worth paying.
        size = s.connection().exec_driver_sql("SELECT size FROM ledger_head WHERE id = 1")
        return int(size.scalar() or 0)

    def _root_at(self, s: Session, size: int) -> bytes:
        if size == 0:
            return self.hasher.empty_root()
        return self._range_hash(s, 0, size)

    def _range_hash(self, s: Session, lo: int, hi: int) -> bytes:
        ids = merkle.range_subtrees(lo, hi)
        found = self._node_hashes(s, ids)
        return merkle.fold_subtrees([found[i] for i in ids], hasher=self.hasher)

    def _ranges_hashes(self, s: Session, ranges: Sequence[tuple[int, int]]) -> list[bytes]:
        per_range = [merkle.range_subtrees(lo, hi) for lo, hi in ranges]
        found = self._node_hashes(s, (n for ids in per_range for n in ids))
        return [
            merkle.fold_subtrees([found[i] for i in ids], hasher=self.hasher) for ids in per_range
        ]

    def entry(self, index: int) -> LedgerRecord:
        """One leaf by index."""
        with self.db.reader() as s:
            row = s.get(LedgerLeaf, index)
            if row is None or index >= self._tree_size(s):
                raise NotFound(f"no ledger entry {index}", details={"index": index})
            return _record_of(row)

    def entries(
        self,
        *,
        subject: str | None = None,
        type: str | None = None,
        start: int = 0,
        limit: int = 100,
        newest_first: bool = False,
    ) -> list[LedgerRecord]:
        """Leaves in index order from `start` (or newest first), filtered by subject and type."""
        if start < 0 or not 1 <= limit <= MAX_PAGE:
            raise invalid_proof(
                f"from must be >= 0 and limit in [1, {MAX_PAGE}]", start=start, limit=limit
            )
        query = select(LedgerLeaf)
        if subject:
            query = query.where(LedgerLeaf.subject == subject)
        if type:
            query = query.where(LedgerLeaf.type == type)
        with self.db.reader() as s:
            size = self._tree_size(s)
            query = query.where(LedgerLeaf.index < size)
            if newest_first:
                query = query.order_by(LedgerLeaf.index.desc())
                if start:
                    query = query.where(LedgerLeaf.index <= start)
            else:
                query = query.where(LedgerLeaf.index >= start).order_by(LedgerLeaf.index)
            return [_record_of(r) for r in s.scalars(query.limit(limit))]

    def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        """PATH(index, D[size]) from stored nodes; 400 for an index or size out of range."""
        with self.db.reader() as s:
            tree = self._tree_size(s)
            if not 0 < size <= tree:
                raise invalid_proof(
                    f"size must be in [1, {tree}] (the tree has {tree} leaves), found {size}",
                    index=index,
                    size=size,
                    tree_size=tree,
                )
            if not 0 <= index < size:
                raise invalid_proof(
                    f"index must be in [0, {size}) for size {size}, found {index}",
                    index=index,
                    size=size,
                )
            return self._ranges_hashes(s, merkle.inclusion_proof_ranges(index, size))

    def consistency_proof(self, first: int, second: int) -> list[bytes]:
        """PROOF(first, D[second]) from stored nodes; 400 unless 0 < first <= second <= size."""
        with self.db.reader() as s:
            tree = self._tree_size(s)
            if not 0 < first <= second <= tree:
                raise invalid_proof(
                    f"consistency needs 0 < first <= second <= {tree}, "
                    f"found first={first} second={second}",
                    first=first,
                    second=second,
                    tree_size=tree,
                )
            if first == second:
                return []
            return self._ranges_hashes(s, merkle.consistency_proof_ranges(first, second))

    # -- checkpoints -----------------------------------------------------------------------

    def latest_checkpoint(self, *, issue_if_due: bool = True) -> IssuedCheckpoint:
        """The newest checkpoint; a new one first if the last is older than the interval."""
        with self.db.reader() as s:
            row = s.scalar(select(LedgerCheckpoint).order_by(LedgerCheckpoint.id.desc()).limit(1))
            size = self._tree_size(s)
            if row is not None and not (
                issue_if_due and size > row.size and self.clock() - row.created_at >= self.interval
            ):
                return self._served(s, row)
        return self.issue_checkpoint()

    def issue_checkpoint(self) -> IssuedCheckpoint:
        """Sign the current tree head, after checking it extends the last signed one."""
        key = self.ensure_key()
        with self.db.transaction() as s:
            head = s.execute(
                select(LedgerHead.size, LedgerHead.root_hash)
                .where(LedgerHead.id == 1)
                .with_for_update()
            ).one()
            size = int(head.size)
            root = self._root_at(s, size)
            if head.root_hash is not None and head.root_hash != root:
                raise LedgerCorrupt(
                    f"stored nodes give root {root.hex()} at size {size}, "
                    f"the head says {head.root_hash.hex()}: refusing to sign"
                )
            last = s.scalar(select(LedgerCheckpoint).order_by(LedgerCheckpoint.id.desc()).limit(1))
            if last is not None:
                self._check_extends(s, last, size, root)
                if last.size == size:
                    return self._served(s, last)
            note = Checkpoint(self.origin, size, root).sign([key])
            row = LedgerCheckpoint(size=size, root_hash=root, note=note, created_at=self.clock())
            s.add(row)
            s.flush()
            return self._served(s, row)

    def _check_extends(self, s: Session, last: LedgerCheckpoint, size: int, root: bytes) -> None:
        try:
            signed, _ = open_checkpoint(last.note, [self.verifier()], hash_size=self.hasher.size)
        except (NoteError, CheckpointError) as exc:
            raise LedgerCorrupt(f"the last stored checkpoint does not verify: {exc}") from exc
        if signed.size > size:
            raise LedgerCorrupt(
                f"the last checkpoint has size {signed.size} but the tree only {size}: "
                "refusing to sign a smaller tree"
            )
        if signed.size == 0:
            return
        try:
            proof = self._ranges_hashes(s, merkle.consistency_proof_ranges(signed.size, size))
            if signed.size == size:
                proof = []
            merkle.verify_consistency(
                signed.size, size, signed.root_hash, root, proof, hasher=self.hasher
            )
        except ProofError as exc:
            raise LedgerCorrupt(
                f"the tree at size {size} is not consistent with the checkpoint at size "
                f"{signed.size}: {exc}; refusing to sign"
            ) from exc

    def _served(self, s: Session, row: LedgerCheckpoint) -> IssuedCheckpoint:
        cosigs = s.execute(
            select(LedgerCosignature.witness, LedgerCosignature.signature)
            .where(LedgerCosignature.checkpoint_id == row.id)
            .order_by(LedgerCosignature.witness)
        ).all()
        note = row.note
        if cosigs:
            parsed = parse_note(row.note)
            extra = [Signature.parse_line(line) for _, line in cosigs]
            note = format_note(parsed.text, [*parsed.signatures, *extra])
        return IssuedCheckpoint(
            id=row.id,
            size=int(row.size),
            root_hash=row.root_hash,
            note=note,
            created_at=row.created_at,
            witnesses=tuple(w for w, _ in cosigs),
        )

    def checkpoints(self, *, limit: int = 20) -> list[IssuedCheckpoint]:
        """The newest checkpoints, newest first."""
        with self.db.reader() as s:
            rows = s.scalars(
                select(LedgerCheckpoint).order_by(LedgerCheckpoint.id.desc()).limit(limit)
            )
            return [self._served(s, r) for r in rows]

    # -- witnesses -------------------------------------------------------------------------

    def add_witness_key(self, name: str, key_text: str) -> VerifierKey:
        """Register a witness's verifier key (the platform authority does this)."""
        try:
            key = VerifierKey.parse(key_text)
        except KeyFormatError as exc:
            raise BadRequest(f"not a verifier key: {exc}", code="invalid_key") from exc
        if key.name != name:
            raise BadRequest(
                f"the key is named {key.name!r}, not {name!r}",
                code="invalid_key",
                details={"name": name, "key_name": key.name},
            )
        if name == self.verifier().name:
            raise Conflict(f"{name!r} is the log's own key name")
        with self.db.transaction() as s:
            if s.scalar(select(LedgerWitnessKey.id).where(LedgerWitnessKey.name == name)):
                raise Conflict(f"a witness key named {name!r} is already registered")
            s.add(LedgerWitnessKey(name=name, key=key.encode()))
        return key

    def remove_witness_key(self, name: str) -> None:
        """Retire a witness's key: its new cosignatures are refused from now on; those it made
        while registered stay with their checkpoints, where anyone can still check them."""
        with self.db.transaction() as s:
            found = s.scalar(select(LedgerWitnessKey).where(LedgerWitnessKey.name == name))
            if found is None:
                raise NotFound(f"no witness key named {name!r}", details={"name": name})
            s.delete(found)

    def witness_keys(self) -> list[VerifierKey]:
        """The registered witness keys."""
        with self.db.reader() as s:
            return [
                VerifierKey.parse(k)
                for k in s.scalars(select(LedgerWitnessKey.key).order_by(LedgerWitnessKey.name))
            ]

    def cosigned_size(self, witness: str) -> int:
        """The size of the newest checkpoint `witness` co-signed here, 0 if none."""
        with self.db.reader() as s:
            size = s.scalar(
                select(LedgerCheckpoint.size)
                .join(LedgerCosignature, LedgerCosignature.checkpoint_id == LedgerCheckpoint.id)
                .where(LedgerCosignature.witness == witness)
                .order_by(LedgerCheckpoint.size.desc())
                .limit(1)
            )
        return int(size or 0)

    def add_cosignature(self, message: str) -> list[str]:
        """Store the registered witnesses' signatures on a checkpoint the log issued.

        A witness's signature is a cosignature/v1 (C2SP tlog-cosignature) or a plain signed-note
        signature, as its registered key says; a cosignature/v1 dated more than
        COSIGNATURE_LEEWAY ahead of the log's clock is refused.
        """
        try:
            note = parse_note(message)
            body = Checkpoint.parse(note.text, hash_size=self.hasher.size)
        except (NoteError, CheckpointError) as exc:
            raise BadRequest(f"not a signed checkpoint: {exc}", code="invalid_note") from exc
        keys = self.witness_keys()
        if not keys:
            raise PermissionDenied("no witness keys are registered", code="unknown_witness")
        try:
            verified = verify_note(message, keys)
        except UnverifiedNoteError as exc:
            raise PermissionDenied(str(exc), code="unknown_witness") from exc
        except InvalidSignatureError as exc:
            raise PermissionDenied(str(exc), code="bad_cosignature") from exc
        self._check_cosignature_times(verified.verified, keys)
        with self.db.transaction() as s:
            row = s.scalar(
                select(LedgerCheckpoint)
                .where(
                    LedgerCheckpoint.size == body.size,
                    LedgerCheckpoint.root_hash == body.root_hash,
                )
                .order_by(LedgerCheckpoint.id.desc())
                .limit(1)
            )
            if row is None or parse_note(row.note).text != note.text:
                raise NotFound(
                    f"the log issued no checkpoint of size {body.size} with this root",
                    details={"size": body.size},
                )
            names = []
            for sig in verified.verified:
                s.execute(
                    delete(LedgerCosignature).where(
                        LedgerCosignature.checkpoint_id == row.id,
                        LedgerCosignature.witness == sig.name,
                    )
                )
                s.add(
                    LedgerCosignature(
                        checkpoint_id=row.id, witness=sig.name, signature=sig.line().rstrip("\n")
                    )
                )
                names.append(sig.name)
        return names

    def _check_cosignature_times(
        self, signatures: Sequence[Signature], keys: Sequence[VerifierKey]
    ) -> None:
        # A cosignature/v1 says "as of its time, this was the largest tree I saw": a time
        # ahead of ours is a witness's wrong clock, or a statement about a future it did not see.
        timed = {(k.name, k.key_id) for k in keys if k.algorithm is KeyAlgorithm.COSIGNATURE_V1}
        now = self.clock().timestamp()
        for sig in signatures:
            if (sig.name, sig.key_id) not in timed:
                continue
            timestamp, _ = cosignature.split(sig.signature)  # verified, so well-formed
            try:
                cosignature.check_not_future(
                    timestamp, now, leeway_seconds=COSIGNATURE_LEEWAY.total_seconds()
                )
            except CosignatureError as exc:
                raise BadRequest(
                    f"the cosignature of {sig.name}: {exc}",
                    code="future_cosignature",
                    details={"witness": sig.name, "timestamp": timestamp, "now": int(now)},
                ) from exc

    # -- verification ----------------------------------------------------------------------

    def verify(self, *, max_problems: int = 20) -> VerifyReport:
        """Recompute the tree from the stored events; check every node, the head, checkpoints."""
        report = VerifyReport()
        with self.db.reader() as s:
            head = s.execute(
                select(LedgerHead.size, LedgerHead.root_hash).where(LedgerHead.id == 1)
            ).one()
            checkpoints = s.execute(
                select(LedgerCheckpoint.id, LedgerCheckpoint.size, LedgerCheckpoint.note).order_by(
                    LedgerCheckpoint.size, LedgerCheckpoint.id
                )
            ).all()
        problems = report.problems
        cr = CompactRange(hasher=self.hasher)
        roots: dict[int, bytes] = {0: self.hasher.empty_root()}
        wanted = {int(c.size) for c in checkpoints}
        nodes = _stream(
            self.db,
            select(LedgerNode.level, LedgerNode.index, LedgerNode.hash).order_by(
                (LedgerNode.index + 1).op("<<")(LedgerNode.level), LedgerNode.level
            ),
        )
        nodes_aligned = True
        leaves = _stream(
            self.db,
            select(LedgerLeaf.index, LedgerLeaf.leaf_hash, LedgerLeaf.event).order_by(
                LedgerLeaf.index
            ),
        )
        for index, stored_hash, text in leaves:
            if len(problems) >= max_problems:
                break
            if index != cr.size:
                problems.append(f"leaf {cr.size} is missing (the next stored leaf is {index})")
                break
            data = text.encode()
            leaf = self.hasher.leaf(data)
            if leaf != stored_hash:
                problems.append(
                    f"leaf {index}: its event hashes to {leaf.hex()} "
                    f"but the stored leaf hash is {bytes(stored_hash).hex()}"
                )
            try:
                LedgerEvent.from_canonical(data)
            except CanonicalError as exc:
                problems.append(f"leaf {index}: not a canonical ledger event: {exc}")
            for node, h in cr.append(leaf)[1:]:
                report.nodes_checked += 1
                if not nodes_aligned:
                    continue
                stored = next(nodes, None)
                if stored is None or (stored[0], stored[1]) != (node.level, node.index):
                    problems.append(f"node level {node.level} index {node.index} is missing")
                    nodes_aligned = False
                elif bytes(stored[2]) != h:
                    problems.append(
                        f"node level {node.level} index {node.index}: stored hash "
                        f"{bytes(stored[2]).hex()} but the leaves give {h.hex()}"
                    )
            if cr.size in wanted:
                roots[cr.size] = cr.root()
        report.size = cr.size
        if nodes_aligned and len(problems) < max_problems:
            extra = next(nodes, None)
            if extra is not None:
                problems.append(
                    f"node level {extra[0]} index {extra[1]} covers leaves beyond the tree"
                )
        if head.size != cr.size:
            problems.append(f"the head says {head.size} leaves but {cr.size} are stored")
        elif head.size and head.root_hash != cr.root():
            problems.append(
                f"the head's root {bytes(head.root_hash or b'').hex()} is not the root "
                f"{cr.root().hex()} of the stored leaves"
            )
        if checkpoints and self._key is None and not self.key_path.exists():
            # Verifying must not create a key (ensure_key would): a new key signs nothing
            # stored, and the log would then refuse to sign a checkpoint ever again.
            problems.append(
                f"the log key {self.key_path} is missing: {len(checkpoints)} checkpoint(s) "
                "cannot be verified (restore it from the backup)"
            )
            return report
        verifiers = [self.verifier()] if checkpoints else []
        for cp in checkpoints:
            report.checkpoints_checked += 1
            try:
                signed, _ = open_checkpoint(cp.note, verifiers, hash_size=self.hasher.size)
            except (NoteError, CheckpointError) as exc:
                problems.append(f"checkpoint {cp.id} (size {cp.size}) does not verify: {exc}")
                continue
            expected = roots.get(signed.size)
            if signed.size != cp.size or expected is None:
                problems.append(
                    f"checkpoint {cp.id} signs size {signed.size}, "
                    f"stored as {cp.size}, tree has {cr.size}"
                )
            elif signed.root_hash != expected:
                problems.append(
                    f"checkpoint {cp.id} (size {signed.size}) signs root "
                    f"{signed.root_hash.hex()} but the leaves give {expected.hex()}"
                )
        return report


def _stream(db: Database, query: Any) -> Iterator[Any]:
    # A server-side cursor of its own, so that millions of rows are never all in memory.
    with db.engine.connect() as connection:
        result = connection.execution_options(yield_per=10_000).execute(query)
        for row in result:
            yield tuple(row)


def _write_pending(s: Session) -> None:
    state: _Append | None = s.info.pop(_STATE, None)
    if state is not None and state.leaves:
        state.ledger._flush(s, state)


def _drop_pending(s: Session) -> None:
    s.info.pop(_STATE, None)


def _record_of(row: LedgerLeaf) -> LedgerRecord:
    import json

    return LedgerRecord(
        index=int(row.index),
        leaf_hash=bytes(row.leaf_hash),
        event=json.loads(row.event),
        created_at=row.created_at,
    )


def subject_key(kind: str, ident: str) -> str:
    """The stored subject of an event, as the `subject` filter of the API takes it."""
    return f"{kind}:{ident}"


def user_ref(user: User) -> str:
    """How the public ledger names a user: staff by user name, the public as `user:N` only."""
    # The ledger is public and permanent; a citizen's user name may be a phone number or name.
    if user.role == Role.PUBLIC_USER:
        return f"user:{user.id}"
    return user.username


def _user_actor(s: Session, user: User) -> dict[str, Any]:
    actor: dict[str, Any] = {"kind": "user", "id": user_ref(user)}
    if user.department_id is not None:
        dept = s.get(Department, user.department_id)
        if dept is not None:
            actor["department"] = dept.key
    return actor


def actor_of(s: Session, principal: Principal | None) -> dict[str, Any]:
    """The event actor of a principal: a user with their department, or the platform."""
    if principal is None or principal.user_id is None:
        name = principal.username if principal is not None and principal.username else "platform"
        return {"kind": "system", "id": name}
    user = s.get(User, principal.user_id)
    if user is None:
        if principal.role is Role.PUBLIC_USER or not principal.username:
            return {"kind": "user", "id": f"user:{principal.user_id}"}
        return {"kind": "user", "id": principal.username}
    actor = _user_actor(s, user)
    if principal.token_id is not None:
        actor["via"] = "token"
    return actor
