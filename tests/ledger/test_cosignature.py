"""C2SP tlog-cosignature: Ed25519 cosignature/v1 keys and their timestamped signatures.

The checks named "by hand" re-implement the spec (https://c2sp.org/tlog-cosignature, §Format
and §Ed25519 signed message) with nothing but hashlib, base64 and raw Ed25519, so that our
keys and signatures are tested against the text, not against themselves.
"""

from __future__ import annotations

import base64
import hashlib

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from hypothesis import given
from hypothesis import strategies as st

from quancheng.ledger import cosignature
from quancheng.ledger.checkpoint import Checkpoint, open_checkpoint
from quancheng.ledger.cosignature import CosignatureError
from quancheng.ledger.keys import KeyAlgorithm, KeyFormatError, SigningKey, VerifierKey
from quancheng.ledger.note import (
    InvalidSignatureError,
    UnverifiedNoteError,
    add_signatures,
    parse_note,
    verify_note,
)

ORIGIN = "jinan.quancheng/ledger"
WITNESS = "witness.czj.jinan"
BODY = f"{ORIGIN}\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"

# c2sp.org/tlog-cosignature §Format: the example checkpoint's cosignature line (the spec does
# not publish the witness's public key, so only its layout can be checked).
SPEC_EXAMPLE_LINE = (
    "— witness.example.com/w1 jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2"
    "oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA=="
)
# transparency-dev/formats note/note_cosigv1_test.go: a native type-0x04 verifier key of a
# public witness, and a real cosignature made at 1727964367.
NATIVE_VKEY = "remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2"
FORMATS_SIGNATURE = (
    "ZGhGuQAAAABm/qTPeyKXD+R2rzyQsxPiP8mXum7qq/iF0u4vanlqJyocWODBt97w9uL+8qT7S5gxEHWWOworDcFiEBYJXO"
    "RmnFBOBA=="
)


def signed_checkpoint() -> tuple[str, SigningKey]:
    log = SigningKey.generate(ORIGIN)
    return Checkpoint.parse(BODY).sign([log]), log


def spec_message(timestamp: int, body: str) -> bytes:
    # §Ed25519 signed message: "cosignature/v1", "time <decimal>", then the whole note body.
    return b"cosignature/v1\n" + b"time " + str(timestamp).encode("ascii") + b"\n" + body.encode()


def spec_key_id(name: str, public: bytes) -> bytes:
    # §Format: SHA-256(<name> || "\n" || 0x04 || 32-byte Ed25519 public key)[:4]
    return hashlib.sha256(name.encode() + b"\n" + b"\x04" + public).digest()[:4]


def last_line(note: str) -> str:
    return note.rstrip("\n").split("\n")[-1]


def test_our_vkey_is_the_spec_vkey_by_hand() -> None:
    key = SigningKey.generate(WITNESS, KeyAlgorithm.COSIGNATURE_V1)
    name, hex_id, b64 = key.verifier.encode().split("+", 2)
    raw = base64.b64decode(b64)
    assert name == WITNESS
    assert raw[0] == 0x04 and len(raw) == 33
    assert bytes.fromhex(hex_id) == spec_key_id(WITNESS, raw[1:])
    assert key.key_id.to_bytes(4, "big") == spec_key_id(WITNESS, raw[1:])


def test_our_cosignature_verifies_by_hand() -> None:
    note, _ = signed_checkpoint()
    key = SigningKey.generate(WITNESS, KeyAlgorithm.COSIGNATURE_V1)
    cosigned = add_signatures(note, [key])
    line = last_line(cosigned)
    assert line.startswith(f"\u2014 {WITNESS} ")
    raw = base64.b64decode(line.split(" ")[2], validate=True)
    assert len(raw) == 4 + 8 + 64 == 76
    key_id, timestamp, signature = raw[:4], int.from_bytes(raw[4:12], "big"), raw[12:]
    public = base64.b64decode(key.verifier.encode().split("+", 2)[2])[1:]
    assert key_id == spec_key_id(WITNESS, public)
    assert 0 < timestamp < 2**63
    # Raises InvalidSignature if our signature is not over the spec's message.
    Ed25519PublicKey.from_public_bytes(public).verify(signature, spec_message(timestamp, BODY))
    # The body signed is the checkpoint text exactly as the log signed it.
    assert parse_note(cosigned).text == BODY


def test_a_given_timestamp_is_signed_as_written() -> None:
    key = SigningKey.generate(WITNESS, KeyAlgorithm.COSIGNATURE_V1)
    signed = key.sign(BODY.encode(), timestamp=1679315147)
    assert signed[:8] == bytes.fromhex("00000000641850cb")
    public = key.verifier.public_key
    Ed25519PublicKey.from_public_bytes(public).verify(signed[8:], spec_message(1679315147, BODY))
    assert cosignature.signed_message(1679315147, BODY.encode()) == spec_message(1679315147, BODY)


def hand_made_cosignature(private: Ed25519PrivateKey, timestamp: int, body: str) -> str:
    """A signature line written from the spec alone."""
    public = private.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    raw = (
        spec_key_id(WITNESS, public)
        + timestamp.to_bytes(8, "big")
        + private.sign(spec_message(timestamp, body))
    )
    return f"\u2014 {WITNESS} {base64.b64encode(raw).decode()}\n"


def hand_made_vkey(private: Ed25519PrivateKey) -> str:
    public = private.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    raw = base64.b64encode(b"\x04" + public).decode()
    return f"{WITNESS}+{spec_key_id(WITNESS, public).hex()}+{raw}"


def test_a_hand_made_cosignature_verifies_with_our_code() -> None:
    note, log = signed_checkpoint()
    private = Ed25519PrivateKey.generate()
    cosigned = note + hand_made_cosignature(private, 1_700_000_000, BODY)
    witness = VerifierKey.parse(hand_made_vkey(private))
    assert witness.algorithm is KeyAlgorithm.COSIGNATURE_V1
    checkpoint, verified = open_checkpoint(cosigned, [log.verifier, witness])
    assert checkpoint.size == 20852163
    assert verified.signed_by(WITNESS) and verified.signed_by(ORIGIN)


def test_a_tampered_timestamp_or_body_fails() -> None:
    note, log = signed_checkpoint()
    key = SigningKey.generate(WITNESS, KeyAlgorithm.COSIGNATURE_V1)
    cosigned = add_signatures(note, [key])
    line = last_line(cosigned)
    raw = bytearray(base64.b64decode(line.split(" ")[2]))
    raw[11] ^= 1  # one second later
    later = cosigned.replace(line, f"\u2014 {WITNESS} {base64.b64encode(bytes(raw)).decode()}")
    with pytest.raises(InvalidSignatureError, match=WITNESS):
        verify_note(later, [log.verifier, key.verifier])
    other_body = cosigned.replace("20852163", "20852164")
    with pytest.raises(InvalidSignatureError):
        verify_note(other_body, [key.verifier])


def test_a_timestamp_beyond_2_63_minus_1_does_not_verify() -> None:
    note, _ = signed_checkpoint()
    private = Ed25519PrivateKey.generate()
    witness = VerifierKey.parse(hand_made_vkey(private))
    # Correctly signed, including the out-of-range time line: only the range refuses it.
    for timestamp in (2**63, 2**64 - 1):
        with pytest.raises(InvalidSignatureError):
            verify_note(note + hand_made_cosignature(private, timestamp, BODY), [witness])
    assert verify_note(note + hand_made_cosignature(private, 2**63 - 1, BODY), [witness])
    key = SigningKey.generate(WITNESS, KeyAlgorithm.COSIGNATURE_V1)
    with pytest.raises(CosignatureError, match="2\\^63-1"):
        key.sign(BODY.encode(), timestamp=2**63)


def test_the_same_key_as_0x01_and_as_cosignature_v1_are_different_keys() -> None:
    note, _ = signed_checkpoint()
    seed = bytes(range(32))
    legacy = SigningKey(WITNESS, KeyAlgorithm.ED25519, seed)
    v1 = SigningKey(WITNESS, KeyAlgorithm.COSIGNATURE_V1, seed)
    assert legacy.verifier.public_key == v1.verifier.public_key
    assert legacy.key_id != v1.key_id
    # A verifier of one kind ignores the other's line: a different key ID is a different key.
    with pytest.raises(UnverifiedNoteError):
        verify_note(add_signatures(note, [v1]), [legacy.verifier])
    with pytest.raises(UnverifiedNoteError):
        verify_note(add_signatures(note, [legacy]), [v1.verifier])


def test_cosignature_v1_keys_round_trip_through_their_text_forms() -> None:
    key = SigningKey.generate(WITNESS, KeyAlgorithm.COSIGNATURE_V1)
    text = key.encode()
    assert base64.b64decode(text.split("+", 4)[4])[0] == 0x04
    again = SigningKey.parse(text)
    assert again.algorithm is KeyAlgorithm.COSIGNATURE_V1
    assert again.verifier == key.verifier
    assert VerifierKey.parse(key.verifier.encode()) == key.verifier
    with pytest.raises(KeyFormatError, match="no timestamp"):
        SigningKey.generate("w", KeyAlgorithm.ED25519).sign(b"x\n", timestamp=1)


def test_published_vectors() -> None:
    # A witness's published type-0x04 vkey: parsing recomputes and checks its key ID.
    native = VerifierKey.parse(NATIVE_VKEY)
    assert native.algorithm is KeyAlgorithm.COSIGNATURE_V1
    assert native.key_id == 0xDA77ADE7 and native.encode() == NATIVE_VKEY
    # The spec's example line: 4-byte key ID, then the timestamp 2023-03-20T12:25:47Z.
    raw = base64.b64decode(SPEC_EXAMPLE_LINE.split(" ")[2])
    assert len(raw) == 76 and raw[:4].hex() == "8d66cf3f"
    assert cosignature.split(raw[4:])[0] == 1679315147
    assert cosignature.split(base64.b64decode(FORMATS_SIGNATURE)[4:])[0] == 1727964367


@given(
    st.integers(min_value=0, max_value=2**63 - 1),
    st.binary(min_size=64, max_size=64),
)
def test_timestamped_signatures_split_as_they_were_joined(timestamp: int, sig: bytes) -> None:
    joined = cosignature.join(timestamp, sig)
    assert len(joined) == cosignature.SIGNATURE_SIZE
    assert cosignature.split(joined) == (timestamp, sig)
    message = cosignature.signed_message(timestamp, b"o\n1\nAA==\n")
    assert message == b"cosignature/v1\ntime " + str(timestamp).encode() + b"\no\n1\nAA==\n"


@pytest.mark.parametrize("size", [0, 71, 73, 76])
def test_a_signature_of_the_wrong_length_is_refused(size: int) -> None:
    with pytest.raises(CosignatureError, match="72 bytes"):
        cosignature.split(bytes(size))


def test_a_future_timestamp_is_refused_beyond_the_leeway() -> None:
    cosignature.check_not_future(1_000_300, 1_000_000.0, leeway_seconds=300)
    cosignature.check_not_future(999_000, 1_000_000.0, leeway_seconds=300)
    with pytest.raises(CosignatureError, match="301 seconds in the future"):
        cosignature.check_not_future(1_000_301, 1_000_000.0, leeway_seconds=300)
