"""RFC 9162 §2.1 Merkle tree hashing, inclusion and consistency proofs, as pure functions.

Leaf hashes are computed by the caller (`leaf_hash`); every other function takes the list of
leaf hashes. Proof *generation* is described twice: in terms of leaf ranges and the perfect
subtrees (`NodeID`) that make them up, for a service that stores interior nodes, and as
in-memory functions over all leaf hashes. Verification follows RFC 9162 §2.1.3.2 and §2.1.4.2
step by step. The hash function is SHA-256 unless an SM3 `Hasher` is passed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes


class ProofError(ValueError):
    """A proof, hash, index or size is malformed or does not verify."""


@dataclass(frozen=True)
class Hasher:
    """A hash function for the tree: `name` is the suite name stored beside the log."""

    name: str
    digest: Callable[[bytes], bytes]
    size: int = 32

    def leaf(self, data: bytes) -> bytes:
        """H(0x00 || data)."""
        return self.digest(b"\x00" + data)

    def node(self, left: bytes, right: bytes) -> bytes:
        """H(0x01 || left || right)."""
        return self.digest(b"\x01" + left + right)

    def empty_root(self) -> bytes:
        """The root of the empty tree, H("")."""
        return self.digest(b"")


def _sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def _sm3(data: bytes) -> bytes:
    # cryptography's bundled OpenSSL always has SM3; hashlib's depends on the system build.
    h = hashes.Hash(hashes.SM3())
    h.update(data)
    return h.finalize()


SHA256 = Hasher("sha256", _sha256)
SM3 = Hasher("sm3", _sm3)
HASHERS: dict[str, Hasher] = {SHA256.name: SHA256, SM3.name: SM3}


def hasher_named(name: str) -> Hasher:
    """The hasher of a suite name ("sha256" or "sm3")."""
    try:
        return HASHERS[name]
    except KeyError:
        raise ValueError(f"unknown hash {name!r}: expected one of {sorted(HASHERS)}") from None


def leaf_hash(data: bytes, *, hasher: Hasher = SHA256) -> bytes:
    """The RFC 9162 leaf hash H(0x00 || data)."""
    return hasher.leaf(data)


def node_hash(left: bytes, right: bytes, *, hasher: Hasher = SHA256) -> bytes:
    """The RFC 9162 interior node hash H(0x01 || left || right)."""
    return hasher.node(left, right)


@dataclass(frozen=True, order=True, slots=True)
class NodeID:
    """A perfect subtree: leaves [index * 2**level, (index + 1) * 2**level)."""

    level: int
    index: int

    @property
    def begin(self) -> int:
        """First leaf index covered."""
        return self.index << self.level

    @property
    def end(self) -> int:
        """One past the last leaf index covered."""
        return (self.index + 1) << self.level

    def children(self) -> tuple[NodeID, NodeID]:
        """The left and right child (level must be > 0)."""
        if self.level == 0:
            raise ValueError("a leaf node has no children")
        return NodeID(self.level - 1, 2 * self.index), NodeID(self.level - 1, 2 * self.index + 1)


def _split(n: int) -> int:
    """The largest power of two smaller than n (n > 1), RFC 9162's k."""
    return 1 << ((n - 1).bit_length() - 1)


def range_subtrees(begin: int, end: int) -> list[NodeID]:
    """The perfect subtrees, largest first, whose fold is MTH(D[begin:end]).

    Valid for every range that occurs in an RFC 9162 tree (all proof ranges, and [0, n)):
    `begin` is aligned to a power of two at least `end - begin`.
    """
    if not 0 <= begin < end:
        raise ValueError(f"expected a non-empty range, found [{begin}, {end})")
    out: list[NodeID] = []
    pos, size = begin, end - begin
    for level in range(size.bit_length() - 1, -1, -1):
        if size >> level & 1:
            if pos % (1 << level):
                raise ValueError(f"range [{begin}, {end}) is not a subtree of an RFC 9162 tree")
            out.append(NodeID(level, pos >> level))
            pos += 1 << level
    return out


def fold_subtrees(subtree_hashes: Sequence[bytes], *, hasher: Hasher = SHA256) -> bytes:
    """MTH of a range from the hashes of its `range_subtrees`, folding from the right."""
    if not subtree_hashes:
        raise ValueError("expected at least one subtree hash, found none")
    acc = subtree_hashes[-1]
    for h in reversed(subtree_hashes[:-1]):
        acc = hasher.node(h, acc)
    return acc


def inclusion_proof_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """The leaf ranges whose MTHs form PATH(index, D[size]), bottom first (RFC 9162 §2.1.3.1)."""
    if not 0 <= index < size:
        raise ProofError(f"leaf index must be in [0, {size}) for tree size {size}, found {index}")
    out: list[tuple[int, int]] = []
    lo, hi = 0, size
    while hi - lo > 1:
        k = _split(hi - lo)
        if index < lo + k:
            out.append((lo + k, hi))
            hi = lo + k
        else:
            out.append((lo, lo + k))
            lo += k
    out.reverse()
    return out


def consistency_proof_ranges(old_size: int, new_size: int) -> list[tuple[int, int]]:
    """The leaf ranges whose MTHs form PROOF(old_size, D[new_size]) (RFC 9162 §2.1.4.1)."""
    if not 0 < old_size <= new_size:
        raise ProofError(
            f"consistency needs 0 < first <= second, found first={old_size} second={new_size}"
        )
    out: list[tuple[int, int]] = []
    lo, hi, m, complete = 0, new_size, old_size, True
    while m != hi - lo:
        k = _split(hi - lo)
        if m <= k:
            out.append((lo + k, hi))
            hi = lo + k
        else:
            out.append((lo, lo + k))
            lo += k
            m -= k
            complete = False
    if not complete:
        out.append((lo, hi))
    out.reverse()
    return out


def _mth(leaf_hashes: Sequence[bytes], hasher: Hasher) -> bytes:
    # Pairing neighbours and promoting an odd last node equals RFC 9162's recursive MTH,
    # without recursion depth limits.
    if not leaf_hashes:
        return hasher.empty_root()
    level = list(leaf_hashes)
    while len(level) > 1:
        nxt = [hasher.node(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            nxt.append(level[-1])
        level = nxt
    return level[0]


def root(leaf_hashes: Sequence[bytes], *, hasher: Hasher = SHA256) -> bytes:
    """MTH(D[n]) of the given leaf hashes; the empty tree's root is H("")."""
    return _mth(leaf_hashes, hasher)


def tree_levels(leaf_hashes: Sequence[bytes], *, hasher: Hasher = SHA256) -> list[list[bytes]]:
    """Hashes of every perfect subtree: result[level][index] is the hash of NodeID(level, index)."""
    levels = [list(leaf_hashes)]
    while len(levels[-1]) > 1:
        prev = levels[-1]
        levels.append([hasher.node(prev[i], prev[i + 1]) for i in range(0, len(prev) - 1, 2)])
    return levels


def inclusion_proof(
    leaf_hashes: Sequence[bytes], index: int, *, hasher: Hasher = SHA256
) -> list[bytes]:
    """The inclusion proof of leaf `index` in the tree of all `leaf_hashes`."""
    return [
        _mth(leaf_hashes[lo:hi], hasher)
        for lo, hi in inclusion_proof_ranges(index, len(leaf_hashes))
    ]


def consistency_proof(
    leaf_hashes: Sequence[bytes], old_size: int, *, hasher: Hasher = SHA256
) -> list[bytes]:
    """The consistency proof from the first `old_size` leaves to all `leaf_hashes`."""
    return [
        _mth(leaf_hashes[lo:hi], hasher)
        for lo, hi in consistency_proof_ranges(old_size, len(leaf_hashes))
    ]


def _check_hash(what: str, value: bytes, hasher: Hasher) -> None:
    if len(value) != hasher.size:
        raise ProofError(f"{what} must be {hasher.size} bytes, found {len(value)}")


def _check_proof(proof: Sequence[bytes], expected: int, what: str, hasher: Hasher) -> None:
    if len(proof) != expected:
        raise ProofError(f"{what} should have {expected} hashes, found {len(proof)}")
    size = hasher.size
    for i, h in enumerate(proof):
        if len(h) != size:  # the message is only built for a bad hash
            _check_hash(f"proof hash {i}", h, hasher)


def _mismatch(what: str, calculated: bytes, expected: bytes) -> ProofError:
    return ProofError(f"calculated {what} {calculated.hex()} but expected {expected.hex()}")


def verify_inclusion(
    leaf: bytes,
    index: int,
    tree_size: int,
    proof: Sequence[bytes],
    root_hash: bytes,
    *,
    hasher: Hasher = SHA256,
) -> None:
    """Check that `leaf` (a leaf hash) is at `index` in the tree of `tree_size` with `root_hash`.

    Raises ProofError. Take `tree_size` and `root_hash` from one signed checkpoint: for some
    (index, size) a proof also passes with size + 1 (see the vectors' size-binding note).
    """
    if not 0 <= index < tree_size:
        raise ProofError(
            f"leaf index must be in [0, {tree_size}) for tree size {tree_size}, found {index}"
        )
    _check_hash("leaf hash", leaf, hasher)
    _check_hash("root hash", root_hash, hasher)
    fn, sn = index, tree_size - 1
    inner = (fn ^ sn).bit_length()
    expected = inner + (fn >> inner).bit_count()
    _check_proof(proof, expected, f"inclusion proof of leaf {index} in size {tree_size}", hasher)
    digest = hasher.digest  # H(0x01 || l || r) inline: this loop is the verifier's hot path
    r = leaf
    for p in proof:
        if sn == 0:  # unreachable after the length check; kept as RFC 9162 step 4a
            raise ProofError("inclusion proof is longer than the path to the root")
        if fn & 1 or fn == sn:
            r = digest(b"\x01" + p + r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = digest(b"\x01" + r + p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("inclusion proof is shorter than the path to the root")
    if r != root_hash:
        raise _mismatch(f"root for leaf {index} in size {tree_size}", r, root_hash)


def verify_consistency(
    old_size: int,
    new_size: int,
    old_root: bytes,
    new_root: bytes,
    proof: Sequence[bytes],
    *,
    hasher: Hasher = SHA256,
) -> None:
    """Check that the tree (`new_size`, `new_root`) extends (`old_size`, `old_root`).

    RFC 9162 §2.1.4.2. Equal sizes need an empty proof and equal roots; a proof from the
    empty tree is refused (as transparency-dev/merkle does): it proves nothing.
    """
    if old_size <= 0 or old_size > new_size:
        raise ProofError(
            f"consistency needs 0 < first <= second, found first={old_size} second={new_size}"
        )
    _check_hash("first root", old_root, hasher)
    _check_hash("second root", new_root, hasher)
    if old_size == new_size:
        _check_proof(proof, 0, f"consistency proof {old_size} -> {new_size}", hasher)
        if old_root != new_root:
            raise _mismatch(f"root for size {new_size}", new_root, old_root)
        return
    expected = len(consistency_proof_ranges(old_size, new_size))
    _check_proof(proof, expected, f"consistency proof {old_size} -> {new_size}", hasher)
    path = list(proof)
    if old_size & (old_size - 1) == 0:
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError("consistency proof is longer than the path to the root")
        if fn & 1 or fn == sn:
            fr = hasher.node(c, fr)
            sr = hasher.node(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = hasher.node(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("consistency proof is shorter than the path to the root")
    if fr != old_root:
        raise _mismatch(f"root for size {old_size}", fr, old_root)
    if sr != new_root:
        raise _mismatch(f"root for size {new_size}", sr, new_root)


class CompactRange:
    """The right edge of a growing tree: O(log n) state to append leaves and compute the root.

    A service that stores perfect-subtree nodes persists what `append` returns and rebuilds
    this from the nodes `range_subtrees(0, size)` after a restart.
    """

    def __init__(
        self, size: int = 0, hashes: Sequence[bytes] = (), *, hasher: Hasher = SHA256
    ) -> None:
        expected = range_subtrees(0, size) if size else []
        if len(hashes) != len(expected):
            raise ValueError(
                f"a compact range of size {size} has {len(expected)} subtrees, found {len(hashes)}"
            )
        self.size = size
        self.hasher = hasher
        self._nodes: list[tuple[NodeID, bytes]] = list(zip(expected, hashes, strict=True))

    @property
    def nodes(self) -> list[tuple[NodeID, bytes]]:
        """The perfect subtrees covering [0, size), largest first, with their hashes."""
        return list(self._nodes)

    def append(self, leaf: bytes) -> list[tuple[NodeID, bytes]]:
        """Add a leaf hash; return the leaf node and every interior node it completes."""
        created = [(NodeID(0, self.size), leaf)]
        node, h = created[0]
        while self._nodes and self._nodes[-1][0].level == node.level:
            _, left = self._nodes.pop()
            node, h = NodeID(node.level + 1, node.index >> 1), self.hasher.node(left, h)
            created.append((node, h))
        self._nodes.append((node, h))
        self.size += 1
        return created

    def root(self) -> bytes:
        """MTH of the leaves appended so far."""
        if not self._nodes:
            return self.hasher.empty_root()
        return fold_subtrees([h for _, h in self._nodes], hasher=self.hasher)
