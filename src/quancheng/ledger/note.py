"""C2SP signed notes (https://c2sp.org/signed-note): text signed by one or more keys.

A note is its text (ending in a newline), a blank line, then one signature line per key:
``— <key name> base64(key ID || signature)`` with the em dash U+2014. This module is
algorithm-agnostic: signers and verifiers are anything with a `name`, a 32-bit `key_id` and
`sign`/`verify` (see `quancheng.ledger.keys` for Ed25519 and SM2 keys).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

SIGNATURE_PREFIX = "\u2014 "
# The spec asks verifiers to accept at least 16; golang.org/x/mod/sumdb/note stops at 100.
MAX_SIGNATURES = 100


class NoteError(ValueError):
    """A note, key name or signature line is malformed."""


class InvalidSignatureError(NoteError):
    """A signature by a known key does not verify: the whole note is rejected."""


class UnverifiedNoteError(NoteError):
    """No signature on the note is by a known key."""


class Signer(Protocol):
    """Anything that signs note text under a key name and key ID."""

    @property
    def name(self) -> str:
        """The key name written in the signature line."""
        ...

    @property
    def key_id(self) -> int:
        """The 32-bit key ID."""
        ...

    def sign(self, message: bytes) -> bytes:
        """The signature of `message` (without the key ID)."""
        ...


class Verifier(Protocol):
    """Anything that verifies signatures of one key name and key ID."""

    @property
    def name(self) -> str:
        """The key name expected in the signature line."""
        ...

    @property
    def key_id(self) -> int:
        """The 32-bit key ID."""
        ...

    def verify(self, message: bytes, signature: bytes) -> bool:
        """Whether `signature` (without the key ID) is valid for `message`."""
        ...


def check_key_name(name: str) -> None:
    """Raise NoteError unless `name` is a valid key name (non-empty, no spaces, no '+')."""
    if not name:
        raise NoteError("key name must be non-empty")
    bad = [c for c in name if c.isspace() or c == "+" or ord(c) < 0x20]
    if bad:
        raise NoteError(f"key name must not contain spaces, '+' or control characters: {name!r}")


def key_id(name: str, key_type: bytes, public_key: bytes) -> int:
    """SHA-256(name || 0x0A || signature type || public key)[:4] as a big-endian uint32."""
    check_key_name(name)
    digest = hashlib.sha256(name.encode() + b"\n" + key_type + public_key).digest()
    return int.from_bytes(digest[:4], "big")


def check_text(text: str) -> None:
    """Raise NoteError unless `text` is valid note text: ends in newline, no control chars."""
    if not text.endswith("\n"):
        raise NoteError("note text must end with a newline")
    for lineno, line in enumerate(text.split("\n"), start=1):
        if any(ord(c) < 0x20 for c in line):
            raise NoteError(f"note text line {lineno} contains an ASCII control character")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:  # lone surrogates
        raise NoteError(f"note text is not valid UTF-8: {exc}") from None


@dataclass(frozen=True)
class Signature:
    """One signature line of a note."""

    name: str
    key_id: int
    signature: bytes

    def __post_init__(self) -> None:
        check_key_name(self.name)
        if not 0 <= self.key_id < 1 << 32:
            raise NoteError(f"key ID must be a 32-bit unsigned integer, found {self.key_id}")
        if not self.signature:
            raise NoteError("signature must be non-empty")

    def line(self) -> str:
        """The signature line, with its newline."""
        raw = self.key_id.to_bytes(4, "big") + self.signature
        return f"{SIGNATURE_PREFIX}{self.name} {base64.b64encode(raw).decode()}\n"

    @classmethod
    def parse_line(cls, line: str) -> Signature:
        """Parse one signature line (without its newline)."""
        if not line.startswith(SIGNATURE_PREFIX):
            raise NoteError(f"signature line must start with '— ' (U+2014, space): {line!r}")
        name, sep, b64 = line[len(SIGNATURE_PREFIX) :].partition(" ")
        if not sep or not b64:
            raise NoteError(f"signature line must be '— <name> <base64>': {line!r}")
        try:
            raw = base64.b64decode(b64, validate=True)
        except (binascii.Error, ValueError):
            raise NoteError(f"signature of {name!r} is not standard base64: {b64!r}") from None
        if base64.b64encode(raw).decode() != b64:
            raise NoteError(f"signature of {name!r} is not canonical base64")
        if len(raw) < 5:
            raise NoteError(f"signature of {name!r} must be at least 5 bytes, found {len(raw)}")
        return cls(name, int.from_bytes(raw[:4], "big"), raw[4:])


@dataclass(frozen=True)
class Note:
    """A note's text and its signatures, not (yet) verified."""

    text: str
    signatures: tuple[Signature, ...]

    def __post_init__(self) -> None:
        check_text(self.text)
        if len(self.signatures) > MAX_SIGNATURES:
            raise NoteError(
                f"a note may carry at most {MAX_SIGNATURES} signatures, "
                f"found {len(self.signatures)}"
            )

    def format(self) -> str:
        """The signed note as text: text, blank line, signature lines."""
        return self.text + "\n" + "".join(s.line() for s in self.signatures)


@dataclass(frozen=True)
class VerifiedNote:
    """A note with at least one valid signature by a known key."""

    text: str
    verified: tuple[Signature, ...]
    unverified: tuple[Signature, ...]

    def signed_by(self, name: str) -> bool:
        """Whether a known key of this name signed the note."""
        return any(s.name == name for s in self.verified)


def parse_note(message: str | bytes) -> Note:
    """Split a signed note into text and signatures, checking the format but no signature."""
    if isinstance(message, bytes):
        try:
            message = message.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise NoteError(f"note is not valid UTF-8: {exc}") from None
    if not message.endswith("\n"):
        raise NoteError("signed note must end with a newline")
    split = message.rfind("\n\n")
    if split < 0:
        raise NoteError("signed note has no blank line before its signatures")
    text, block = message[: split + 1], message[split + 2 :]
    if not block:
        raise NoteError("signed note has no signature lines")
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise NoteError(f"a note may carry at most {MAX_SIGNATURES} signatures, found {len(lines)}")
    check_text(block)
    return Note(text, tuple(Signature.parse_line(line) for line in lines))


def format_note(text: str, signatures: Iterable[Signature]) -> str:
    """A signed note from its text and signatures."""
    return Note(text, tuple(signatures)).format()


def sign_note(text: str, signers: Sequence[Signer]) -> str:
    """Sign `text` with every signer; at least one is required."""
    if not signers:
        raise NoteError("a signed note needs at least one signer")
    check_text(text)
    body = text.encode()
    return format_note(text, (Signature(s.name, s.key_id, s.sign(body)) for s in signers))


def add_signatures(message: str | bytes, signers: Sequence[Signer]) -> str:
    """Co-sign a signed note: add each signer's signature, replacing an older one by its key."""
    note = parse_note(message)
    body = note.text.encode()
    new = [Signature(s.name, s.key_id, s.sign(body)) for s in signers]
    replaced = {(s.name, s.key_id) for s in new}
    kept = [s for s in note.signatures if (s.name, s.key_id) not in replaced]
    return format_note(note.text, [*kept, *new])


def merge_signatures(message: str | bytes, *others: str | bytes) -> str:
    """One note carrying every distinct signature of notes that share the same text."""
    note = parse_note(message)
    sigs = list(note.signatures)
    seen = {(s.name, s.key_id) for s in sigs}
    for other in others:
        o = parse_note(other)
        if o.text != note.text:
            raise NoteError("cannot merge signatures of notes with different text")
        for s in o.signatures:
            if (s.name, s.key_id) not in seen:
                seen.add((s.name, s.key_id))
                sigs.append(s)
    return format_note(note.text, sigs)


def verify_note(message: str | bytes, verifiers: Iterable[Verifier]) -> VerifiedNote:
    """Verify a signed note against known keys, as the signed-note spec requires.

    Signatures by unknown keys (name and key ID not both known) are ignored and returned as
    `unverified`; a bad signature by a known key raises InvalidSignatureError; no valid known
    signature raises UnverifiedNoteError.
    """
    known: dict[tuple[str, int], Verifier] = {}
    for v in verifiers:
        if (v.name, v.key_id) in known and known[(v.name, v.key_id)] is not v:
            raise NoteError(f"two verifier keys share name {v.name!r} and ID {v.key_id:08x}")
        known[(v.name, v.key_id)] = v
    note = parse_note(message)
    body = note.text.encode()
    verified: list[Signature] = []
    unverified: list[Signature] = []
    seen: set[tuple[str, int, bytes]] = set()
    for sig in note.signatures:
        ident = (sig.name, sig.key_id)
        if (*ident, sig.signature) in seen:
            continue
        seen.add((*ident, sig.signature))
        verifier = known.get(ident)
        if verifier is None:
            unverified.append(sig)
            continue
        if not verifier.verify(body, sig.signature):
            raise InvalidSignatureError(
                f"signature by known key {sig.name}+{sig.key_id:08x} does not verify"
            )
        if all((s.name, s.key_id) != ident for s in verified):
            verified.append(sig)
    if not verified:
        names = sorted({f"{s.name}+{s.key_id:08x}" for s in note.signatures})
        expected = sorted(f"{n}+{i:08x}" for n, i in known)
        raise UnverifiedNoteError(
            f"no signature by a known key: expected one of {expected}, found {names}"
        )
    return VerifiedNote(note.text, tuple(verified), tuple(unverified))
