"""C2SP tlog-cosignature (https://c2sp.org/tlog-cosignature): Ed25519 cosignature/v1.

A cosignature/v1 key is an Ed25519 key whose signed-note signature type is 0x04, so its key
ID is SHA-256(name || 0x0A || 0x04 || public key)[:4], not the plain signed-note ID of the same
key (type 0x01). Its signature is a `timestamped_signature`: the POSIX time of signing as a
big-endian u64, then the 64-byte Ed25519 signature of the message

    cosignature/v1\\n
    time <timestamp>\\n
    <the whole checkpoint body, origin line to last extension line, with its final newline>

The timestamp must not exceed 2^63 - 1. How far ahead of the verifier's clock it may be is
the verifier's policy (`check_not_future`). These are pure functions; `quancheng.ledger.keys`
signs and verifies with them.
"""

from __future__ import annotations

HEADER = b"cosignature/v1\n"
MAX_TIMESTAMP = 2**63 - 1
TIMESTAMP_SIZE = 8
ED25519_SIGNATURE_SIZE = 64
SIGNATURE_SIZE = TIMESTAMP_SIZE + ED25519_SIGNATURE_SIZE


class CosignatureError(ValueError):
    """A timestamped signature is malformed, or its timestamp is out of range."""


def check_timestamp(timestamp: int) -> None:
    """Raise CosignatureError unless 0 <= `timestamp` <= 2^63 - 1."""
    if not 0 <= timestamp <= MAX_TIMESTAMP:
        raise CosignatureError(
            f"cosignature timestamp must be between 0 and 2^63-1, found {timestamp}"
        )


def signed_message(timestamp: int, body: bytes) -> bytes:
    """The bytes an Ed25519 cosignature/v1 signs: header line, time line, checkpoint body."""
    check_timestamp(timestamp)
    return HEADER + b"time %d\n" % timestamp + body


def join(timestamp: int, signature: bytes) -> bytes:
    """The `timestamped_signature`: u64 big-endian timestamp || Ed25519 signature."""
    check_timestamp(timestamp)
    if len(signature) != ED25519_SIGNATURE_SIZE:
        raise CosignatureError(
            f"an Ed25519 signature is {ED25519_SIGNATURE_SIZE} bytes, found {len(signature)}"
        )
    return timestamp.to_bytes(TIMESTAMP_SIZE, "big") + signature


def split(timestamped: bytes) -> tuple[int, bytes]:
    """The timestamp and Ed25519 signature of a `timestamped_signature` (key ID removed)."""
    if len(timestamped) != SIGNATURE_SIZE:
        raise CosignatureError(
            f"a cosignature/v1 signature is {SIGNATURE_SIZE} bytes (timestamp and Ed25519 "
            f"signature), found {len(timestamped)}"
        )
    timestamp = int.from_bytes(timestamped[:TIMESTAMP_SIZE], "big")
    check_timestamp(timestamp)
    return timestamp, timestamped[TIMESTAMP_SIZE:]


def check_not_future(timestamp: int, now: float, *, leeway_seconds: float) -> None:
    """Raise CosignatureError if `timestamp` is more than `leeway_seconds` after `now`."""
    if timestamp > now + leeway_seconds:
        raise CosignatureError(
            f"cosignature timestamp {timestamp} is {timestamp - int(now)} seconds in the "
            f"future: at most {int(leeway_seconds)} seconds of clock difference are accepted"
        )
