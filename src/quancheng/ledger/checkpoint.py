"""C2SP tlog-checkpoint bodies (https://c2sp.org/tlog-checkpoint): origin, size, root hash.

The body is the text of a signed note (`quancheng.ledger.note`); `open_checkpoint` verifies
the note and parses its body in one step, so that size and root always come from a signature.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from quancheng.ledger.note import Signer, VerifiedNote, Verifier, sign_note, verify_note


class CheckpointError(ValueError):
    """A checkpoint body is malformed or is not the one expected."""


@dataclass(frozen=True)
class Checkpoint:
    """A signed tree head: the log's origin, its tree size and the root hash at that size."""

    origin: str
    size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.origin:
            raise CheckpointError("checkpoint origin must be non-empty")
        for what, line in [("origin", self.origin), *(("extension", e) for e in self.extensions)]:
            if not line:
                raise CheckpointError(f"checkpoint {what} line must be non-empty")
            if any(ord(c) < 0x20 for c in line):
                raise CheckpointError(
                    f"checkpoint {what} line must not contain control characters: {line!r}"
                )
        if self.size < 0:
            raise CheckpointError(f"checkpoint tree size must be >= 0, found {self.size}")
        if not self.root_hash:
            raise CheckpointError("checkpoint root hash must be non-empty")

    def body(self) -> str:
        """The note text: origin, size, base64 root, extension lines, each ending in newline."""
        lines = [self.origin, str(self.size), base64.b64encode(self.root_hash).decode()]
        return "".join(line + "\n" for line in [*lines, *self.extensions])

    @classmethod
    def parse(cls, text: str, *, hash_size: int | None = 32) -> Checkpoint:
        """Parse a checkpoint body strictly; `hash_size` None accepts any root length."""
        if not text.endswith("\n"):
            raise CheckpointError("checkpoint body must end with a newline")
        lines = text[:-1].split("\n")
        if len(lines) < 3:
            raise CheckpointError(
                f"checkpoint body needs origin, size and root lines, found {len(lines)} line(s)"
            )
        origin, size_text, root_text, *extensions = lines
        if not size_text.isascii() or not size_text.isdigit():
            raise CheckpointError(f"checkpoint tree size must be ASCII digits, found {size_text!r}")
        if size_text != "0" and size_text.startswith("0"):
            raise CheckpointError(f"checkpoint tree size has a leading zero: {size_text!r}")
        if len(size_text) > 20 or int(size_text) >= 1 << 64:
            raise CheckpointError(f"checkpoint tree size exceeds 64 bits: {size_text!r}")
        try:
            root_hash = base64.b64decode(root_text, validate=True)
        except (binascii.Error, ValueError):
            raise CheckpointError(f"checkpoint root hash is not base64: {root_text!r}") from None
        if base64.b64encode(root_hash).decode() != root_text:
            raise CheckpointError(f"checkpoint root hash is not canonical base64: {root_text!r}")
        if hash_size is not None and len(root_hash) != hash_size:
            raise CheckpointError(
                f"checkpoint root hash must be {hash_size} bytes, found {len(root_hash)}"
            )
        return cls(origin, int(size_text), root_hash, tuple(extensions))

    def sign(self, signers: Sequence[Signer]) -> str:
        """The checkpoint as a signed note."""
        return sign_note(self.body(), signers)


def open_checkpoint(
    message: str | bytes,
    verifiers: Iterable[Verifier],
    *,
    origin: str | None = None,
    hash_size: int | None = 32,
) -> tuple[Checkpoint, VerifiedNote]:
    """Verify a signed checkpoint and parse its body; check its origin if one is expected.

    Raises NoteError (bad or unverified signatures) or CheckpointError (bad body, wrong origin).
    """
    verified = verify_note(message, verifiers)
    checkpoint = Checkpoint.parse(verified.text, hash_size=hash_size)
    if origin is not None and checkpoint.origin != origin:
        raise CheckpointError(
            f"checkpoint origin should be {origin!r}, found {checkpoint.origin!r}"
        )
    return checkpoint, verified
