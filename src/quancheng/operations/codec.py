"""JSON on the telemetry hot path, with orjson.

A device batch of 500 messages is decoded once (the HTTP body, or 2,000 MQTT payloads) and
its latest state encoded once; with the standard library these two were about a fifth of
the served process's time. orjson does both several times faster. It is also strict: NaN and
Infinity are not JSON (RFC 8259) and are refused when decoding,
so such a reading never reaches the databases' JSON columns; a non-finite float is encoded
as null.
"""

from __future__ import annotations

from typing import Any

import orjson


def loads(data: bytes | bytearray | str) -> Any:
    """Decode JSON; ValueError (orjson.JSONDecodeError is one) when it is not JSON."""
    return orjson.loads(data)


def dumps(value: Any) -> str:
    """Encode JSON as compact text."""
    return orjson.dumps(value).decode()
