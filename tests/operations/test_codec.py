"""The telemetry hot path's JSON (orjson): standard JSON in, standard JSON out."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from quancheng.operations import codec

# What a device message holds: names, finite numbers within 64 bits, text, flags, nesting.
_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
)
_JSON = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@given(_JSON)
def test_what_is_encoded_decodes_to_the_same_value(value: Any) -> None:
    text = codec.dumps(value)
    assert isinstance(text, str)
    assert codec.loads(text) == value
    assert codec.loads(text.encode()) == value
    # The databases read it with their own JSON parsers: it is standard JSON.
    assert json.loads(text) == value


@pytest.mark.parametrize(
    "payload",
    [
        b"",
        b"{",
        b"not json",
        b'{"a": 1',
        b"\xff\xfe{}",
        bytearray(b"[1,"),
        # Not JSON, though Python's json module reads them: PostgreSQL's jsonb would not.
        b'{"PM2_5": {"value": NaN}}',
        b'{"PM2_5": {"value": Infinity}}',
    ],
)
def test_what_is_not_json_is_a_value_error(payload: bytes | bytearray) -> None:
    # The HTTP route answers 400 and the MQTT bridge counts the payload as malformed.
    with pytest.raises(ValueError):
        codec.loads(payload)


def test_a_request_body_is_decoded_from_its_bytes() -> None:
    body = bytearray(b'[{"id": "urn:ngsi-ld:Streetlight:a", "attrs": {"lampFailure": true}}]')
    assert codec.loads(body) == [
        {"id": "urn:ngsi-ld:Streetlight:a", "attrs": {"lampFailure": True}}
    ]
