"""Signing keys of the log and its witnesses: Ed25519 (default) and SM2 with SM3 (国密).

Text forms follow golang.org/x/mod/sumdb/note, so Ed25519 keys interoperate with Go tools:

- verifier key: ``<name>+<8 hex key ID>+base64(signature type || public key)``
- private key:  ``PRIVATE+KEY+<name>+<8 hex key ID>+base64(signature type || private key)``

Ed25519: signature type 0x01, 32-byte public key, 32-byte private seed, RFC 8032 signatures.

Ed25519 cosignature/v1 (C2SP tlog-cosignature, for witnesses): signature type 0x04, Ed25519
key material, and a timestamped signature over a prefixed message (see `cosignature`). Its
verifier key is the standard vkey; a private key text with type 0x04 is this platform's own
(Go's transparency-dev note package reads the 0x01 text and is told to sign cosignature/v1).

SM2: signed-note assigns no byte, so the type is 0xff (reserved for such algorithms) followed
by the identifier ``quancheng/sm2-sm3/v1``. The public key is the 65-byte uncompressed point
0x04 || x || y on the SM2 curve (GB/T 32918.5), the private key the 32-byte scalar d, and the
signature is SM2 with SM3 (GB/T 32918.2, default user ID ``1234567812345678``) encoded as the
64 bytes r || s. The key ID is computed as for Ed25519 (SHA-256) with these type bytes.
"""

from __future__ import annotations

import base64
import binascii
import os
import secrets
import stat
import time
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from gmssl import sm2

from quancheng.ledger import cosignature
from quancheng.ledger.cosignature import CosignatureError
from quancheng.ledger.note import NoteError, check_key_name, key_id

PRIVATE_KEY_PREFIX = "PRIVATE+KEY+"


class KeyFormatError(ValueError):
    """A key or key text is malformed, or a key file is unsafe."""


class KeyAlgorithm(StrEnum):
    """Signature algorithms of log and witness keys."""

    ED25519 = "ed25519"
    COSIGNATURE_V1 = "cosignature/v1"
    SM2 = "sm2"


SIGNATURE_TYPES: dict[KeyAlgorithm, bytes] = {
    KeyAlgorithm.ED25519: b"\x01",
    KeyAlgorithm.COSIGNATURE_V1: b"\x04",
    KeyAlgorithm.SM2: b"\xff" + b"quancheng/sm2-sm3/v1",
}

_SM2_N = int(sm2.default_ecc_table["n"], 16)
_SM2_P = int(sm2.default_ecc_table["p"], 16)
_SM2_A = int(sm2.default_ecc_table["a"], 16)
_SM2_B = int(sm2.default_ecc_table["b"], 16)


def _split_type(raw: bytes) -> tuple[KeyAlgorithm, bytes]:
    # SM2's type bytes start with 0xff, which no other type here does, so prefixes are unique.
    for algorithm, prefix in SIGNATURE_TYPES.items():
        if raw.startswith(prefix):
            return algorithm, raw[len(prefix) :]
    found = raw[:1].hex() or "nothing"
    raise KeyFormatError(
        f"unknown signature type: expected 01, 04 or ff+sm2 identifier, found {found}"
    )


def _b64decode(text: str, what: str) -> bytes:
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise KeyFormatError(f"{what} is not standard base64") from None
    if not raw:
        raise KeyFormatError(f"{what} is empty")
    return raw


def _parse_hex_id(text: str) -> int:
    if len(text) != 8 or any(c not in "0123456789abcdef" for c in text):
        raise KeyFormatError(f"key ID must be 8 lowercase hex digits, found {text!r}")
    return int(text, 16)


def _sm2_crypt(private_hex: str, public: bytes) -> sm2.CryptSM2:
    crypt = sm2.CryptSM2(private_key=private_hex, public_key="")
    # Set after construction: gmssl's constructor lstrip("04")s the key and can eat x's digits.
    crypt.public_key = public[1:].hex()
    return crypt


def _check_sm2_point(public: bytes) -> None:
    if len(public) != 65 or public[0] != 4:
        raise KeyFormatError(
            f"SM2 public key must be 65 bytes 04||x||y, found {len(public)} bytes "
            f"starting {public[:1].hex() or 'with nothing'}"
        )
    x = int.from_bytes(public[1:33], "big")
    y = int.from_bytes(public[33:], "big")
    if x >= _SM2_P or y >= _SM2_P or (y * y - x * x * x - _SM2_A * x - _SM2_B) % _SM2_P:
        raise KeyFormatError("SM2 public key is not a point on the SM2 curve")


_ED25519_ALGORITHMS = (KeyAlgorithm.ED25519, KeyAlgorithm.COSIGNATURE_V1)


def _check_public(algorithm: KeyAlgorithm, public: bytes) -> None:
    if algorithm in _ED25519_ALGORITHMS:
        if len(public) != 32:
            raise KeyFormatError(f"Ed25519 public key must be 32 bytes, found {len(public)}")
    else:
        _check_sm2_point(public)


@dataclass(frozen=True)
class VerifierKey:
    """A public key with its name: verifies note signatures (implements note.Verifier)."""

    name: str
    algorithm: KeyAlgorithm
    public_key: bytes

    def __post_init__(self) -> None:
        try:
            check_key_name(self.name)
        except NoteError as exc:
            raise KeyFormatError(str(exc)) from None
        _check_public(self.algorithm, self.public_key)

    @property
    def key_type(self) -> bytes:
        """The signature type bytes of this key's algorithm."""
        return SIGNATURE_TYPES[self.algorithm]

    @property
    def key_id(self) -> int:
        """The 32-bit key ID: SHA-256(name || 0x0A || type || public key)[:4]."""
        return key_id(self.name, self.key_type, self.public_key)

    def encode(self) -> str:
        """The verifier key string ``name+hexid+base64(type || public key)``."""
        raw = base64.b64encode(self.key_type + self.public_key).decode()
        return f"{self.name}+{self.key_id:08x}+{raw}"

    def __str__(self) -> str:
        return self.encode()

    @classmethod
    def parse(cls, text: str) -> VerifierKey:
        """Parse a verifier key string, checking that its key ID matches the key."""
        parts = text.strip().split("+", 2)
        if len(parts) != 3:
            raise KeyFormatError(f"verifier key must be 'name+hexid+base64', found {text!r}")
        name, hex_id, b64 = parts
        algorithm, public = _split_type(_b64decode(b64, "verifier key"))
        key = cls(name, algorithm, public)
        expected = _parse_hex_id(hex_id)
        if key.key_id != expected:
            raise KeyFormatError(
                f"verifier key ID is {expected:08x} but the key's is {key.key_id:08x}"
            )
        return key

    def verify(self, message: bytes, signature: bytes) -> bool:
        """Whether `signature` is this key's valid signature of `message`.

        For a cosignature/v1 key `message` is the note text and `signature` the timestamped
        signature; a timestamp beyond 2^63-1 does not verify.
        """
        if self.algorithm is KeyAlgorithm.COSIGNATURE_V1:
            try:
                timestamp, signature = cosignature.split(signature)
            except CosignatureError:
                return False
            message = cosignature.signed_message(timestamp, message)
        if self.algorithm in _ED25519_ALGORITHMS:
            try:
                Ed25519PublicKey.from_public_bytes(self.public_key).verify(signature, message)
            except InvalidSignature:
                return False
            return True
        if len(signature) != 64:
            return False
        r = int.from_bytes(signature[:32], "big")
        s = int.from_bytes(signature[32:], "big")
        # gmssl does not range-check r and s (GB/T 32918.2 §7.1 B1, B2).
        if not (0 < r < _SM2_N and 0 < s < _SM2_N):
            return False
        return bool(_sm2_crypt("", self.public_key).verify_with_sm3(signature.hex(), message))


class SigningKey:
    """A private key with its name: signs notes (implements note.Signer)."""

    def __init__(self, name: str, algorithm: KeyAlgorithm, private_key: bytes) -> None:
        if len(private_key) != 32:
            raise KeyFormatError(
                f"{algorithm} private key must be 32 bytes, found {len(private_key)}"
            )
        self._algorithm = algorithm
        self._private = private_key
        if algorithm in _ED25519_ALGORITHMS:
            self._ed25519: Ed25519PrivateKey | None = Ed25519PrivateKey.from_private_bytes(
                private_key
            )
            public = self._ed25519.public_key().public_bytes(
                serialization.Encoding.Raw, serialization.PublicFormat.Raw
            )
        else:
            self._ed25519 = None
            d = int.from_bytes(private_key, "big")
            if not 0 < d < _SM2_N - 1:
                raise KeyFormatError("SM2 private key must be in [1, n-2]")
            crypt = sm2.CryptSM2(private_key=private_key.hex(), public_key="")
            point = crypt._kg(d, sm2.default_ecc_table["g"])
            public = b"\x04" + bytes.fromhex(point)
        self._verifier = VerifierKey(name, algorithm, public)

    @classmethod
    def generate(cls, name: str, algorithm: KeyAlgorithm = KeyAlgorithm.ED25519) -> SigningKey:
        """A new random key."""
        if algorithm in _ED25519_ALGORITHMS:
            return cls(name, algorithm, secrets.token_bytes(32))
        d = secrets.randbelow(_SM2_N - 2) + 1
        return cls(name, algorithm, d.to_bytes(32, "big"))

    @property
    def name(self) -> str:
        """The key name."""
        return self._verifier.name

    @property
    def algorithm(self) -> KeyAlgorithm:
        """The signature algorithm."""
        return self._algorithm

    @property
    def key_id(self) -> int:
        """The 32-bit key ID (same as the verifier key's)."""
        return self._verifier.key_id

    @property
    def verifier(self) -> VerifierKey:
        """The public half."""
        return self._verifier

    def sign(self, message: bytes, *, timestamp: int | None = None) -> bytes:
        """Sign `message`: 64 bytes, or for cosignature/v1 the 72-byte timestamped signature
        made at `timestamp` (POSIX seconds; default now)."""
        if self._algorithm is not KeyAlgorithm.COSIGNATURE_V1 and timestamp is not None:
            raise KeyFormatError(f"{self._algorithm} signatures carry no timestamp")
        if self._ed25519 is not None:
            if self._algorithm is KeyAlgorithm.COSIGNATURE_V1:
                when = int(time.time()) if timestamp is None else timestamp
                signed = self._ed25519.sign(cosignature.signed_message(when, message))
                return cosignature.join(when, signed)
            return self._ed25519.sign(message)
        crypt = _sm2_crypt(self._private.hex(), self._verifier.public_key)
        while True:
            # gmssl's own nonce comes from `random`, which is not a CSPRNG: pass our own.
            k = secrets.randbelow(_SM2_N - 1) + 1
            sig = crypt.sign_with_sm3(message, f"{k:064x}")
            if sig is not None:  # r = 0, r + k = n or s = 0: retry with a fresh k
                return bytes.fromhex(sig)

    def encode(self) -> str:
        """The private key text ``PRIVATE+KEY+name+hexid+base64(type || private key)``."""
        raw = base64.b64encode(SIGNATURE_TYPES[self._algorithm] + self._private).decode()
        return f"{PRIVATE_KEY_PREFIX}{self.name}+{self.key_id:08x}+{raw}"

    @classmethod
    def parse(cls, text: str) -> SigningKey:
        """Parse private key text, checking its key ID."""
        text = text.strip()
        if not text.startswith(PRIVATE_KEY_PREFIX):
            raise KeyFormatError(f"private key text must start with {PRIVATE_KEY_PREFIX!r}")
        parts = text[len(PRIVATE_KEY_PREFIX) :].split("+", 2)
        if len(parts) != 3:
            raise KeyFormatError("private key text must be 'PRIVATE+KEY+name+hexid+base64'")
        name, hex_id, b64 = parts
        algorithm, private = _split_type(_b64decode(b64, "private key"))
        key = cls(name, algorithm, private)
        expected = _parse_hex_id(hex_id)
        if key.key_id != expected:
            raise KeyFormatError(
                f"private key ID is {expected:08x} but the key's is {key.key_id:08x}"
            )
        return key

    def __repr__(self) -> str:
        return f"SigningKey({self.verifier.encode()!r})"


def write_signing_key(path: Path, key: SigningKey) -> None:
    """Write a new key file readable only by its owner (0600); never overwrite one."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(key.encode() + "\n")
        f.flush()
        os.fsync(f.fileno())


def read_signing_key(path: Path) -> SigningKey:
    """Read a key file, refusing one that group or others may read or write."""
    mode = path.stat().st_mode
    if os.name == "posix" and mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise KeyFormatError(
            f"key file {path} must be readable only by its owner: expected mode 0600, "
            f"found {stat.S_IMODE(mode):04o}"
        )
    return SigningKey.parse(path.read_text(encoding="utf-8"))
