"""Keyset cursors (`_next`): sealed, so that they show nothing and cannot be forged.

A cursor carries the sort values and the row id (`_rowid`) of the last row of a page. The
row id is the row's number in the loaded file, which a reader through a row filter must not
learn (the gaps between its rows' numbers would count the rows hidden from it), so the
cursor is encrypted and authenticated with AES-256-GCM under a key derived from the city's
secret, and bound to the dataset it was issued for: an edited or made-up cursor, or one
carried over from another dataset or another city, is refused. The row id takes a fixed 8
bytes, so that the token's length does not tell the table's size either.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import math
import os
import struct
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from quancheng.errors import BadRequest

KEY_BYTES = 32
_HKDF_INFO = b"quancheng keyset cursor v1"
# Random 96-bit nonces: a key stays within GCM's limits for billions of cursors.
_NONCE_BYTES = 12
_TAG_BYTES = 16
_ROWID = struct.Struct(">Q")


class CursorKey:
    """The city's key for keyset cursors; `for_dataset` gives the cursors of one dataset."""

    def __init__(self, key: bytes) -> None:
        if len(key) != KEY_BYTES:
            raise ValueError(f"a cursor key is {KEY_BYTES} bytes, not {len(key)}")
        self._aead = AESGCM(key)

    @classmethod
    def from_secret(cls, secret: str) -> CursorKey:
        """The key derived from the city's secret key (HKDF-SHA256, its own label)."""
        hkdf = HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=_HKDF_INFO)
        return cls(hkdf.derive(secret.encode("utf-8")))

    def for_dataset(self, dataset_id: int) -> DatasetCursors:
        """Cursors valid for this dataset only."""
        return DatasetCursors(self._aead, f"dataset:{dataset_id}".encode("ascii"))


class DatasetCursors:
    """Seals and opens the keyset cursors of one dataset."""

    def __init__(self, aead: AESGCM, scope: bytes) -> None:
        self._aead = aead
        self._scope = scope

    def seal(self, values: tuple[Any, ...]) -> str:
        """An opaque, URL-safe token for the last row's sort values and, last, its row id."""
        *sort, rowid = values
        if not isinstance(rowid, int) or isinstance(rowid, bool) or not 1 <= rowid < 2**63:
            raise ValueError(f"a row id is a positive integer, not {rowid!r}")
        plain = _ROWID.pack(rowid) + (_compact([_encode_item(v) for v in sort]) if sort else b"")
        nonce = os.urandom(_NONCE_BYTES)
        sealed = nonce + self._aead.encrypt(nonce, plain, self._scope)
        return _b64(sealed)

    def open(self, token: str, *, expected: int) -> tuple[Any, ...]:
        """The values of `seal`; bad_cursor unless sealed for this dataset, intact, and of
        the expected length (the sort columns and the row id)."""
        try:
            sealed = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        except (ValueError, binascii.Error):
            raise _bad_cursor("_next is not a valid cursor") from None
        # The decoder skips stray characters and ignores the last one's spare bits: only the
        # canonical spelling is the token, so that no edited character goes unnoticed.
        if len(sealed) < _NONCE_BYTES + _ROWID.size + _TAG_BYTES or _b64(sealed) != token:
            raise _bad_cursor("_next is not a valid cursor")
        nonce, body = sealed[:_NONCE_BYTES], sealed[_NONCE_BYTES:]
        try:
            plain = self._aead.decrypt(nonce, body, self._scope)
        except InvalidTag:
            raise _bad_cursor(
                "_next was modified or is not for this data; follow the next link as given"
            ) from None
        (rowid,) = _ROWID.unpack_from(plain)
        try:
            sort = json.loads(plain[_ROWID.size :] or b"[]")
        except ValueError:
            raise _bad_cursor("_next is not a valid cursor") from None
        if not isinstance(sort, list) or not 1 <= rowid < 2**63:
            raise _bad_cursor("_next is not a valid cursor")
        if len(sort) + 1 != expected:
            raise _bad_cursor("_next does not match this sort order; keep the same _sort")
        return (*(_decode_item(v) for v in sort), rowid)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _compact(value: Any) -> bytes:
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return text.encode("utf-8")


def _encode_item(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else {"f": repr(value)}
    # datetime is a subclass of date: test it first.
    if isinstance(value, dt.datetime):
        return {"t": value.isoformat()}
    if isinstance(value, dt.date):
        return {"d": value.isoformat()}
    raise TypeError(f"cannot put {type(value).__name__} in a cursor")


def _decode_item(item: Any) -> Any:
    if item is None or isinstance(item, (bool, int, float, str)):
        return item
    if isinstance(item, dict) and len(item) == 1:
        ((tag, text),) = item.items()
        if isinstance(text, str):
            try:
                if tag == "d":
                    return dt.date.fromisoformat(text)
                if tag == "t":
                    return dt.datetime.fromisoformat(text)
                if tag == "f" and text in ("inf", "-inf", "nan"):
                    return float(text)
            except ValueError:
                pass
    raise _bad_cursor("_next is not a valid cursor")


def _bad_cursor(message: str) -> BadRequest:
    return BadRequest(message, code="bad_cursor", details={"parameter": "_next"})
