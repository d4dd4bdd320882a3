"""Ledger events as RFC 8785 canonical JSON, the bytes that become Merkle leaves.

An event's leaf data is ``canonical_json(event.to_json())``; its leaf hash is the RFC 9162
leaf hash of those bytes. Canonical JSON makes the hash independent of key order, spacing
and number formatting, so anyone can recompute it from the event served by the API.

Event JSON (version 1)::

    {"v": 1, "type": "catalog.entry.published", "time": "2025-03-01T08:00:00.000000Z",
     "actor": {"kind": "user", "id": "...", "department": "..."},
     "subject": {"kind": "catalog_entry", "id": "...", "version": 3},
     "payload_hash": "sha256:<64 hex>",        # optional: content kept off the log
     "details": {...}}                          # optional: small, public facts
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import rfc8785

from quancheng.ledger.merkle import SHA256, Hasher

EVENT_VERSION = 1
_TYPE = re.compile(r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+")
_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z")
_PAYLOAD_HASH = re.compile(r"(sha256|sm3):[0-9a-f]{64}")
_FIELDS = {"v", "type", "time", "actor", "subject", "payload_hash", "details"}


class CanonicalError(ValueError):
    """A value cannot be canonicalised, or bytes are not a canonical ledger event."""


def canonical_json(value: Any) -> bytes:
    """RFC 8785 (JCS) serialisation of a JSON value."""
    try:
        return rfc8785.dumps(value)
    except rfc8785.CanonicalizationError as exc:
        raise CanonicalError(f"value cannot be canonicalised as JSON: {exc}") from None


def parse_canonical(data: bytes) -> Any:
    """Parse JSON bytes, refusing any that are not exactly their own canonical form."""
    try:
        value = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CanonicalError(f"leaf data is not JSON: {exc}") from None
    if canonical_json(value) != data:
        raise CanonicalError("leaf data is JSON but not in RFC 8785 canonical form")
    return value


def format_time(moment: datetime) -> str:
    """An aware datetime as UTC with microseconds and 'Z': one spelling per instant."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise CanonicalError(f"event time must carry a time zone, found naive {moment!r}")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_time(text: str) -> datetime:
    """Inverse of `format_time`."""
    if not _TIME.fullmatch(text):
        raise CanonicalError(f"event time must look like 2025-03-01T08:00:00.000000Z: {text!r}")
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def payload_digest(data: bytes, *, hasher: Hasher = SHA256) -> str:
    """The ``<hash name>:<hex>`` reference to content that stays off the log."""
    return f"{hasher.name}:{hasher.digest(data).hex()}"


def sha256_text_digest(text: str) -> str:
    """`payload_digest` of UTF-8 text with SHA-256 (e.g. a query's text)."""
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def _check_party(what: str, value: Mapping[str, Any], required: tuple[str, ...]) -> None:
    if not isinstance(value, Mapping):
        raise CanonicalError(f"event {what} must be an object, found {type(value).__name__}")
    for key in required:
        item = value.get(key)
        if not isinstance(item, str) or not item:
            raise CanonicalError(f"event {what} needs a non-empty string {key!r}, found {item!r}")


@dataclass(frozen=True)
class LedgerEvent:
    """One recorded fact: what happened, when, by whom, to what."""

    type: str
    time: datetime
    actor: Mapping[str, Any]
    subject: Mapping[str, Any]
    payload_hash: str | None = None
    details: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not _TYPE.fullmatch(self.type):
            raise CanonicalError(
                f"event type must be dotted lowercase like 'catalog.entry.published': {self.type!r}"
            )
        format_time(self.time)
        _check_party("actor", self.actor, ("kind",))
        _check_party("subject", self.subject, ("kind", "id"))
        if self.payload_hash is not None and not _PAYLOAD_HASH.fullmatch(self.payload_hash):
            raise CanonicalError(
                f"payload_hash must be 'sha256:<64 hex>' or 'sm3:<64 hex>': {self.payload_hash!r}"
            )
        if not isinstance(self.details, Mapping):
            raise CanonicalError("event details must be an object")
        self.canonical()  # fails now, not at append time, if a value is not JSON

    def to_json(self) -> dict[str, Any]:
        """The event as a JSON object (optional members omitted when empty)."""
        out: dict[str, Any] = {
            "v": EVENT_VERSION,
            "type": self.type,
            "time": format_time(self.time),
            "actor": dict(self.actor),
            "subject": dict(self.subject),
        }
        if self.payload_hash is not None:
            out["payload_hash"] = self.payload_hash
        if self.details:
            out["details"] = dict(self.details)
        return out

    def canonical(self) -> bytes:
        """The leaf data: RFC 8785 canonical JSON of `to_json()`."""
        return canonical_json(self.to_json())

    def leaf_hash(self, *, hasher: Hasher = SHA256) -> bytes:
        """The RFC 9162 leaf hash of the canonical JSON."""
        return hasher.leaf(self.canonical())

    @classmethod
    def from_json(cls, value: Any) -> LedgerEvent:
        """An event from its JSON object, strictly (unknown members are refused)."""
        if not isinstance(value, dict):
            raise CanonicalError(f"event must be a JSON object, found {type(value).__name__}")
        if value.get("v") != EVENT_VERSION:
            raise CanonicalError(f"event version must be {EVENT_VERSION}, found {value.get('v')!r}")
        extra = set(value) - _FIELDS
        if extra:
            raise CanonicalError(f"event has unknown members {sorted(extra)}")
        for key in ("type", "time"):
            if not isinstance(value.get(key), str):
                raise CanonicalError(f"event {key} must be a string, found {value.get(key)!r}")
        if "details" in value and not value["details"]:
            raise CanonicalError("event details, when present, must be non-empty")
        return cls(
            type=value["type"],
            time=parse_time(value["time"]),
            actor=value.get("actor"),  # type: ignore[arg-type]  # checked in __post_init__
            subject=value.get("subject"),  # type: ignore[arg-type]
            payload_hash=value.get("payload_hash"),
            details=value.get("details", {}),
        )

    @classmethod
    def from_canonical(cls, data: bytes) -> LedgerEvent:
        """An event from leaf data, refusing bytes that are not canonical."""
        event = cls.from_json(parse_canonical(data))
        if event.canonical() != data:  # e.g. a payload_hash null instead of absent
            raise CanonicalError("leaf data does not round-trip to the same canonical event")
        return event


def event_leaf_hash(event: LedgerEvent, *, hasher: Hasher = SHA256) -> bytes:
    """The leaf hash of an event."""
    return event.leaf_hash(hasher=hasher)
