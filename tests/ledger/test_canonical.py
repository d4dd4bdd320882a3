"""Ledger events as RFC 8785 canonical JSON and their leaf hashes."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta, timezone

import pytest
import rfc8785
from hypothesis import given
from hypothesis import strategies as st

from quancheng.ledger import merkle
from quancheng.ledger.canonical import (
    CanonicalError,
    LedgerEvent,
    canonical_json,
    event_leaf_hash,
    format_time,
    parse_canonical,
    parse_time,
    payload_digest,
)
from quancheng.ledger.merkle import SM3

EVENT = LedgerEvent(
    type="catalog.entry.published",
    time=datetime(2025, 3, 1, 16, 0, tzinfo=timezone(timedelta(hours=8))),
    actor={"kind": "user", "id": "u-7", "department": "数据局"},
    subject={"kind": "catalog_entry", "id": "e-42", "version": 3},
    payload_hash="sha256:" + "ab" * 32,
)


def test_rfc8785_orders_keys_and_formats_numbers() -> None:
    assert canonical_json({"b": [1e21, 0.1, -0.0], "a": "é\u2028"}) == (
        '{"a":"é\u2028","b":[1e+21,0.1,0]}'.encode()
    )


def test_an_event_serialises_to_one_byte_string_whatever_its_input_order() -> None:
    data = EVENT.canonical()
    assert data.startswith(b'{"actor":{"department":"')
    assert b'"time":"2025-03-01T08:00:00.000000Z"' in data
    shuffled = LedgerEvent.from_json(dict(reversed(list(EVENT.to_json().items()))))
    assert shuffled.canonical() == data
    assert LedgerEvent.from_canonical(data) == LedgerEvent.from_json(EVENT.to_json())


CANONICAL = (
    '{"actor":{"department":"数据局","id":"u-7","kind":"user"},'
    '"payload_hash":"sha256:' + "ab" * 32 + '",'
    '"subject":{"id":"e-42","kind":"catalog_entry","version":3},'
    '"time":"2025-03-01T08:00:00.000000Z","type":"catalog.entry.published","v":1}'
)
LEAF_HASH = "72d1da26e9a5bb8555fe04fe3da988a89d8ed9586056ac14e37ecc18aa824851"


def test_the_leaf_hash_of_an_event_never_changes() -> None:
    # Pinned: if this changes, every recorded log stops verifying.
    assert EVENT.canonical() == CANONICAL.encode()
    assert hashlib.sha256(b"\x00" + CANONICAL.encode()).hexdigest() == LEAF_HASH
    assert EVENT.leaf_hash() == merkle.leaf_hash(EVENT.canonical())
    assert event_leaf_hash(EVENT).hex() == LEAF_HASH
    assert EVENT.leaf_hash(hasher=SM3) == SM3.leaf(EVENT.canonical())


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (b'{"a": 1}', "not in RFC 8785 canonical form"),
        (b'{"b":1,"a":2}', "not in RFC 8785 canonical form"),
        (b"\xff", "not JSON"),
    ],
)
def test_non_canonical_leaf_data_is_refused(data: bytes, error: str) -> None:
    with pytest.raises(CanonicalError, match=error):
        parse_canonical(data)


def test_stored_leaf_with_explicit_null_is_refused() -> None:
    data = canonical_json({**EVENT.to_json(), "payload_hash": None})
    with pytest.raises(CanonicalError, match="round-trip"):
        LedgerEvent.from_canonical(data)


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"type": "Published"}, "dotted lowercase"),
        ({"time": datetime(2025, 3, 1)}, "time zone"),
        ({"actor": {"id": "u-7"}}, "actor needs a non-empty string 'kind'"),
        ({"subject": {"kind": "catalog_entry"}}, "subject needs a non-empty string 'id'"),
        ({"payload_hash": "md5:00"}, "payload_hash must be"),
        ({"details": {"x": float("nan")}}, "cannot be canonicalised"),
        ({"details": {"x": 2**60}}, "cannot be canonicalised"),
    ],
)
def test_invalid_events_are_refused_when_built(changes: dict[str, object], error: str) -> None:
    fields: dict[str, object] = {
        "type": EVENT.type,
        "time": EVENT.time,
        "actor": EVENT.actor,
        "subject": EVENT.subject,
        **changes,
    }
    with pytest.raises(CanonicalError, match=error):
        LedgerEvent(**fields)  # type: ignore[arg-type]


def test_unknown_members_and_versions_are_refused() -> None:
    with pytest.raises(CanonicalError, match="unknown members \\['extra'\\]"):
        LedgerEvent.from_json({**EVENT.to_json(), "extra": 1})
    with pytest.raises(CanonicalError, match="version must be 1"):
        LedgerEvent.from_json({**EVENT.to_json(), "v": 2})


def test_payload_digest_names_its_hash() -> None:
    assert payload_digest(b"abc") == (
        "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    )
    assert payload_digest(b"abc", hasher=SM3).startswith("sm3:66c7f0f4")


JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


@given(details=st.dictionaries(st.text(min_size=1), JSON, min_size=1, max_size=4))
def test_any_event_round_trips_through_its_leaf_data(details: dict[str, object]) -> None:
    event = LedgerEvent(
        type="sharing.request.approved",
        time=datetime(2025, 1, 1, tzinfo=UTC),
        actor={"kind": "app", "id": "a-1"},
        subject={"kind": "request", "id": "r-1"},
        details=details,
    )
    data = event.canonical()
    assert LedgerEvent.from_canonical(data).canonical() == data


ANY_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**60), 2**60)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
    | st.characters(min_codepoint=0xD800, max_codepoint=0x10FFFF).map(str),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.tuples(inner, inner)
        | st.dictionaries(st.text() | st.sampled_from(["\ue000", "\U0001f600", "\x1f"]), inner)
    ),
    max_leaves=12,
)


@given(value=ANY_JSON)
def test_the_fast_serialiser_writes_exactly_what_the_rfc8785_reference_writes(
    value: object,
) -> None:
    # canonical_json takes the C JSON encoder when it can; bytes and refusals must not change:
    # astral and private-use keys order differently by code point, floats format differently.
    try:
        expected: bytes | None = rfc8785.dumps(value)  # type: ignore[arg-type]
    except rfc8785.CanonicalizationError:
        expected = None
    if expected is None:
        with pytest.raises(CanonicalError):
            canonical_json(value)
    else:
        assert canonical_json(value) == expected


def test_an_event_computes_its_canonical_json_once() -> None:
    # Regression: `record` serialised every event a second time after construction had.
    assert EVENT.canonical() is EVENT.canonical()
    assert (
        LedgerEvent(
            type=EVENT.type,
            time=EVENT.time,
            actor=dict(EVENT.actor),
            subject=dict(EVENT.subject),
            payload_hash=EVENT.payload_hash,
        )
        == EVENT
    )


@given(
    moment=st.datetimes(
        min_value=datetime(2, 1, 1), max_value=datetime(9998, 12, 31), timezones=st.timezones()
    ).filter(lambda m: m.utcoffset() is not None)
)
def test_event_times_have_one_spelling_per_instant(moment: datetime) -> None:
    utc = moment.astimezone(UTC)
    text = format_time(moment)
    assert text == utc.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if utc.year >= 1000:
        assert parse_time(text) == utc
