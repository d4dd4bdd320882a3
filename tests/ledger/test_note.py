"""C2SP signed notes and the Ed25519/SM2 keys that sign them."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from quancheng.ledger.keys import (
    SIGNATURE_TYPES,
    KeyAlgorithm,
    KeyFormatError,
    SigningKey,
    VerifierKey,
    read_signing_key,
    write_signing_key,
)
from quancheng.ledger.note import (
    InvalidSignatureError,
    NoteError,
    Signature,
    UnverifiedNoteError,
    add_signatures,
    key_id,
    merge_signatures,
    parse_note,
    sign_note,
    verify_note,
)
from tests.ledger.testdata import load_vectors

EXAMPLE = load_vectors()["c2sp_signed_note_ed25519_example"]
ALGORITHMS = list(KeyAlgorithm)


def test_the_c2sp_example_note_verifies() -> None:
    vkey = VerifierKey.parse(EXAMPLE["vkey"])
    assert vkey.key_id == 0x530D903A
    assert vkey.encode() == EXAMPLE["vkey"]
    verified = verify_note(EXAMPLE["note"], [vkey])
    assert verified.text == EXAMPLE["signed_text"]
    assert verified.signed_by("example.com/foo")
    assert parse_note(EXAMPLE["note"]).format() == EXAMPLE["note"]


def test_the_c2sp_example_fails_when_its_text_changes() -> None:
    vkey = VerifierKey.parse(EXAMPLE["vkey"])
    tampered = EXAMPLE["note"].replace("example message", "exemplary message")
    with pytest.raises(InvalidSignatureError, match=r"example\.com/foo\+530d903a"):
        verify_note(tampered, [vkey])


def test_key_id_is_sha256_of_name_newline_type_and_key() -> None:
    vkey = VerifierKey.parse(EXAMPLE["vkey"])
    assert key_id("example.com/foo", b"\x01", vkey.public_key) == 0x530D903A
    assert key_id("example.com/bar", b"\x01", vkey.public_key) != 0x530D903A


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_log_and_department_witnesses_cosign_one_checkpoint(algorithm: KeyAlgorithm) -> None:
    log = SigningKey.generate("city.example/log", algorithm)
    finance = SigningKey.generate("finance.city.example/witness", KeyAlgorithm.ED25519)
    transport = SigningKey.generate("transport.city.example/witness", algorithm)
    signed = sign_note("city.example/log\n3\nAAAA\n", [log])
    cosigned = add_signatures(signed, [finance])
    other = add_signatures(signed, [transport])
    merged = merge_signatures(cosigned, other)
    assert [s.name for s in parse_note(merged).signatures] == [
        log.name,
        finance.name,
        transport.name,
    ]
    verified = verify_note(merged, [log.verifier, transport.verifier])
    assert [s.name for s in verified.verified] == [log.name, transport.name]
    assert [s.name for s in verified.unverified] == [finance.name]
    # A witness verifying only its own key and the log's finds both.
    assert verify_note(merged, [finance.verifier]).signed_by(finance.name)


def test_cosigning_again_replaces_the_old_signature() -> None:
    log = SigningKey.generate("city.example/log")
    witness = SigningKey.generate("w.example/1")
    once = add_signatures(sign_note("x\n", [log]), [witness])
    twice = add_signatures(once, [witness])
    assert len(parse_note(twice).signatures) == 2


def test_unknown_keys_alone_do_not_verify_a_note() -> None:
    log = SigningKey.generate("city.example/log")
    impostor = SigningKey.generate("city.example/log")  # same name, other key ID
    note = sign_note("hello\n", [impostor])
    with pytest.raises(UnverifiedNoteError, match="no signature by a known key"):
        verify_note(note, [log.verifier])


def test_a_bad_signature_by_a_known_key_rejects_the_whole_note() -> None:
    log = SigningKey.generate("city.example/log")
    witness = SigningKey.generate("w.example/1")
    good = parse_note(sign_note("hello\n", [log, witness]))
    forged = Signature(witness.name, witness.key_id, bytes(64))
    message = good.text + "\n" + good.signatures[0].line() + forged.line()
    with pytest.raises(InvalidSignatureError):
        verify_note(message, [log.verifier, witness.verifier])
    assert verify_note(message, [log.verifier]).signed_by(log.name)


@pytest.mark.parametrize(
    ("message", "error"),
    [
        ("text\n\n— a AAAAAAA=", "end with a newline"),
        ("text\n— a AAAAAAA=\n", "no blank line"),
        ("text\n\n", "no signature lines"),
        ("text\n\n- a AAAAAAA=\n", "must start with '— '"),
        ("text\n\n— a\n", "'— <name> <base64>'"),
        ("text\n\n— a b+c AAAAAAA=\n", "not standard base64"),
        ("text\n\n— a AAAA\n", "at least 5 bytes"),
        ("text\n\n— a AAAAAA!=\n", "not standard base64"),
        ("te\txt\n\n— a AAAAAAA=\n", "control character"),
        ("text\n\n— a+b AAAAAAA=\n", "must not contain"),
        ("text\n\n" + "— a AAAAAAA=\n" * 101, "at most 100 signatures"),
    ],
)
def test_malformed_notes_are_refused(message: str, error: str) -> None:
    with pytest.raises(NoteError, match=error):
        parse_note(message)


def test_text_may_contain_blank_lines_and_sixteen_signatures_are_accepted() -> None:
    keys = [SigningKey.generate(f"w.example/{i}") for i in range(16)]
    text = "first paragraph\n\nsecond paragraph\n"
    note = sign_note(text, keys)
    verified = verify_note(note, [k.verifier for k in keys])
    assert verified.text == text
    assert len(verified.verified) == 16


def test_invalid_bytes_are_refused() -> None:
    with pytest.raises(NoteError, match="not valid UTF-8"):
        parse_note(b"\xff\n\n\xe2\x80\x94 a AAAAAAA=\n")
    with pytest.raises(NoteError, match="end with a newline"):
        sign_note("no newline", [SigningKey.generate("a.example/k")])


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_keys_round_trip_through_their_text_forms(algorithm: KeyAlgorithm) -> None:
    key = SigningKey.generate("city.example/log", algorithm)
    text = key.encode()
    assert text.startswith(f"PRIVATE+KEY+city.example/log+{key.key_id:08x}+")
    again = SigningKey.parse(text)
    assert again.verifier == key.verifier
    assert VerifierKey.parse(str(key.verifier)) == key.verifier
    assert text not in repr(key)
    signature = again.sign(b"message")
    # A cosignature/v1 is timestamped: 8 bytes of time before the 64-byte signature.
    assert len(signature) == (72 if algorithm is KeyAlgorithm.COSIGNATURE_V1 else 64)
    assert key.verifier.verify(b"message", signature)
    assert not key.verifier.verify(b"massage", signature)


def test_sm2_key_type_uses_the_reserved_byte_with_an_identifier() -> None:
    key = SigningKey.generate("city.example/log", KeyAlgorithm.SM2)
    assert SIGNATURE_TYPES[KeyAlgorithm.SM2] == b"\xffquancheng/sm2-sm3/v1"
    assert key.key_id == key_id(
        key.name, SIGNATURE_TYPES[KeyAlgorithm.SM2], key.verifier.public_key
    )


# Generated and signed with OpenSSL 3.0 (`openssl genpkey -algorithm SM2`, `openssl pkeyutl
# -sign -rawin -digest sm3 -pkeyopt distid:1234567812345678`): an independent implementation.
OPENSSL_SM2_PRIVATE = "26f89250679bc8640671004a5c07b9e981fc83a3ae6e5663269cf738897f9607"
OPENSSL_SM2_PUBLIC = (
    "04329e0cafcfc87a0ba63370d045000d0d2d859dedc6de03ca8f0e7657b4aadd93"
    "925eef36825b38ed93ebd11b57df10faaa3198b5d9505e859b15d8b1ecbe80cf"
)
OPENSSL_SM2_SIGNATURE = (
    "54283b570630bb20a82351e4b67b756193ba75a58c5ebf77324ba7d8daedd124"
    "3334d37a4302bdee7f6ef59506dc169174912b5d93ed175651f108cc3dbfcb90"
)


def test_sm2_agrees_with_openssl() -> None:
    key = SigningKey("gm.example/log", KeyAlgorithm.SM2, bytes.fromhex(OPENSSL_SM2_PRIVATE))
    assert key.verifier.public_key.hex() == OPENSSL_SM2_PUBLIC
    signature = bytes.fromhex(OPENSSL_SM2_SIGNATURE)
    assert key.verifier.verify(b"cross check\n", signature)
    assert not key.verifier.verify(b"cross check!\n", signature)
    # r or s out of range must fail even where gmssl would not check.
    assert not key.verifier.verify(b"cross check\n", bytes(32) + signature[32:])
    assert not key.verifier.verify(b"cross check\n", signature[:32] + b"\xff" * 32)


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("example.com/foo+530d903a", "name\\+hexid\\+base64"),
        ("example.com/foo+530d903b+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k", "530d903b"),
        ("example.com/foo+530D903A+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k", "lowercase"),
        ("example.com/foo+530d903a+AukyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k", "found 02"),
        ("example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv", "32 bytes"),
        ("+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k", "non-empty"),
        ("a.example/k+00000000+/3F1YW5jaGVuZy9zbTItc20zL3YxBAAA", "65 bytes"),
    ],
)
def test_malformed_verifier_keys_are_refused(text: str, error: str) -> None:
    with pytest.raises(KeyFormatError, match=error):
        VerifierKey.parse(text)


def test_an_sm2_key_off_the_curve_is_refused() -> None:
    public = bytearray(bytes.fromhex(OPENSSL_SM2_PUBLIC))
    public[-1] ^= 1
    with pytest.raises(KeyFormatError, match="not a point on the SM2 curve"):
        VerifierKey("gm.example/log", KeyAlgorithm.SM2, bytes(public))


def test_key_files_are_private_and_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "log.key"
    key = SigningKey.generate("city.example/log")
    write_signing_key(path, key)
    assert path.stat().st_mode & 0o777 == 0o600
    assert read_signing_key(path).verifier == key.verifier
    with pytest.raises(FileExistsError):
        write_signing_key(path, SigningKey.generate("city.example/log"))
    os.chmod(path, 0o644)
    with pytest.raises(KeyFormatError, match="expected mode 0600, found 0644"):
        read_signing_key(path)


def test_private_key_text_with_a_wrong_id_is_refused() -> None:
    text = SigningKey.generate("city.example/log").encode()
    wrong = "PRIVATE+KEY+city.example/log+00000000+" + text.split("+", 4)[4]
    with pytest.raises(KeyFormatError, match="private key ID is 00000000"):
        SigningKey.parse(wrong)
