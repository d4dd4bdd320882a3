"""Keyset cursors are sealed: they round-trip, show no row id, and any change is refused."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import struct
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from quancheng.datastore.cursors import CursorKey, DatasetCursors
from quancheng.errors import BadRequest

KEY = CursorKey.from_secret("test-secret-key-0123456789abcdef")
CURSORS = KEY.for_dataset(7)
URL_SAFE = re.compile(r"^[A-Za-z0-9_-]+$")
BASE64_URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

sort_values = st.lists(
    st.one_of(
        st.none(),
        st.integers(min_value=-(2**63), max_value=2**63 - 1),
        st.text(),
        st.dates(),
        st.datetimes(),
        st.booleans(),
        st.floats(allow_nan=False),
    ),
    max_size=6,
).map(tuple)
rowids = st.integers(min_value=1, max_value=2**63 - 1)


def refused(token: str, *, expected: int = 1, cursors: DatasetCursors = CURSORS) -> BadRequest:
    with pytest.raises(BadRequest) as caught:
        cursors.open(token, expected=expected)
    error = caught.value
    assert (error.status, error.code, error.details) == (400, "bad_cursor", {"parameter": "_next"})
    return error


def unpadded(token: str) -> bytes:
    return base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))


@given(sort_values, rowids)
def test_a_cursor_round_trips(sort: tuple[Any, ...], rowid: int) -> None:
    values = (*sort, rowid)
    token = CURSORS.seal(values)
    assert URL_SAFE.match(token)
    opened = CURSORS.open(token, expected=len(values))
    assert opened == values
    assert [type(v) for v in opened] == [type(v) for v in values]


@given(rowids)
def test_a_cursor_does_not_show_its_row_id(rowid: int) -> None:
    token = CURSORS.seal(("历下区", rowid))
    raw = unpadded(token)
    assert struct.pack(">Q", rowid) not in raw
    if rowid >= 10**6:  # shorter numbers turn up in random bytes by chance
        assert str(rowid).encode() not in raw
    with pytest.raises(ValueError):
        json.loads(raw)
    assert "历下区".encode() not in raw


def test_a_cursor_is_as_long_whatever_its_row_id() -> None:
    lengths = {len(CURSORS.seal((0, "x", rowid))) for rowid in (1, 99, 10**6, 2**62)}
    assert len(lengths) == 1
    # Short enough for a URL: the default order's cursor is 48 characters.
    assert len(CURSORS.seal((5,))) == 48


def test_the_same_position_gives_different_tokens() -> None:
    assert CURSORS.seal((5,)) != CURSORS.seal((5,))


@given(sort_values, rowids, st.data())
def test_a_cursor_changed_in_one_character_is_refused(
    sort: tuple[Any, ...], rowid: int, data: st.DataObject
) -> None:
    values = (*sort, rowid)
    token = CURSORS.seal(values)
    position = data.draw(st.integers(min_value=0, max_value=len(token) - 1))
    replacement = data.draw(
        st.sampled_from(BASE64_URL + "=+/.!~é").filter(lambda c: c != token[position])
    )
    refused(token[:position] + replacement + token[position + 1 :], expected=len(values))


def test_every_one_character_change_is_refused() -> None:
    # The last character carries spare bits the decoder would ignore: each is tried.
    token = CURSORS.seal((12, 345))
    for position, original in enumerate(token):
        for replacement in BASE64_URL:
            if replacement != original:
                refused(token[:position] + replacement + token[position + 1 :], expected=2)


def test_a_cut_or_lengthened_cursor_is_refused() -> None:
    token = CURSORS.seal(("a", 3))
    for tampered in (token[:-1], token[:-4], token[1:], token + "A", token + "AAAA", token * 2):
        refused(tampered, expected=2)


def test_a_cursor_of_another_dataset_or_city_is_refused() -> None:
    token = CURSORS.seal((3,))
    refused(token, cursors=KEY.for_dataset(8))
    refused(token, cursors=CursorKey.from_secret("another-secret-key-0123456789").for_dataset(7))
    # The same secret derives the same key: a restart keeps cursors valid.
    assert CursorKey.from_secret("test-secret-key-0123456789abcdef").for_dataset(7).open(
        token, expected=1
    ) == (3,)


def test_a_cursor_of_the_old_format_is_refused() -> None:
    # Before: base64 of JSON with a keyless checksum, which anyone could read and remake.
    body = [5, 42]
    check = hashlib.blake2b(json.dumps(body).replace(" ", "").encode(), digest_size=6)
    doc = json.dumps({"v": body, "c": check.hexdigest()}, separators=(",", ":"))
    old = base64.urlsafe_b64encode(doc.encode()).decode().rstrip("=")
    assert b"42" in unpadded(old)
    refused(old, expected=2)


@pytest.mark.parametrize("token", ["", "garbage!", "bm90IGpzb24", "W10", "e30", "[]", "A" * 64])
def test_garbage_cursors_are_refused(token: str) -> None:
    refused(token)


def test_a_cursor_of_another_sort_order_says_so() -> None:
    error = refused(CURSORS.seal(("a", 1)), expected=3)
    assert error.message == "_next does not match this sort order; keep the same _sort"


@pytest.mark.parametrize("rowid", [0, -1, None, True, "1", 2**63])
def test_only_a_row_id_is_sealed_last(rowid: Any) -> None:
    with pytest.raises(ValueError):
        CURSORS.seal(("a", rowid))


def test_a_cursor_key_has_32_bytes() -> None:
    with pytest.raises(ValueError):
        CursorKey(bytes(16))
