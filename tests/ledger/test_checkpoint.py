"""C2SP tlog-checkpoint bodies, signed and opened as notes."""

from __future__ import annotations

import base64

import pytest

from quancheng.ledger import merkle
from quancheng.ledger.checkpoint import Checkpoint, CheckpointError, open_checkpoint
from quancheng.ledger.keys import KeyAlgorithm, SigningKey
from quancheng.ledger.note import InvalidSignatureError, UnverifiedNoteError, add_signatures
from tests.ledger.testdata import load_vectors

# The example body of https://c2sp.org/tlog-checkpoint.
SPEC_BODY = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"


def test_the_spec_example_body_parses_and_formats_back() -> None:
    cp = Checkpoint.parse(SPEC_BODY)
    assert (cp.origin, cp.size, cp.extensions) == ("example.com/behind-the-sofa", 20852163, ())
    assert cp.root_hash == base64.b64decode("CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=")
    assert cp.body() == SPEC_BODY


def test_extension_lines_round_trip() -> None:
    cp = Checkpoint("city.example/log", 0, merkle.root([]), ("suite sha256-ed25519", "x"))
    assert Checkpoint.parse(cp.body()) == cp
    assert cp.body().splitlines()[1] == "0"


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ("example.com/log\n5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=", "end with a newline"),
        ("example.com/log\n5\n", "found 2 line"),
        ("\n5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n", "origin must be non-empty"),
        ("example.com/log\n05\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n", "leading zero"),
        ("example.com/log\n-5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n", "ASCII digits"),
        ("example.com/log\n+5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n", "ASCII digits"),
        ("example.com/log\n５\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n", "ASCII digits"),
        (
            "example.com/log\n18446744073709551616\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
            "64 bits",
        ),
        ("example.com/log\n5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I\n", "not base64"),
        ("example.com/log\n5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2J=\n", "canonical"),
        ("example.com/log\n5\nAAAA\n", "must be 32 bytes, found 3"),
        ("example.com/log\n5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\nx\n", "non-empty"),
    ],
)
def test_malformed_bodies_are_refused(body: str, error: str) -> None:
    with pytest.raises(CheckpointError, match=error):
        Checkpoint.parse(body)


@pytest.mark.parametrize("algorithm", list(KeyAlgorithm))
def test_a_signed_checkpoint_opens_with_the_log_key(algorithm: KeyAlgorithm) -> None:
    log = SigningKey.generate("city.example/log", algorithm)
    leaves = [merkle.leaf_hash(bytes([i])) for i in range(5)]
    cp = Checkpoint("city.example/log", 5, merkle.root(leaves))
    opened, note = open_checkpoint(cp.sign([log]), [log.verifier], origin="city.example/log")
    assert opened == cp
    assert note.signed_by(log.name)
    with pytest.raises(CheckpointError, match=r"origin should be 'other\.example/log'"):
        open_checkpoint(cp.sign([log]), [log.verifier], origin="other.example/log")


def test_a_checkpoint_with_an_altered_size_or_root_does_not_open() -> None:
    log = SigningKey.generate("city.example/log")
    cp = Checkpoint("city.example/log", 5, merkle.root([b"\x00" * 32] * 5))
    signed = cp.sign([log])
    for altered in (
        signed.replace("\n5\n", "\n6\n", 1),
        signed.replace(
            base64.b64encode(cp.root_hash).decode(), base64.b64encode(bytes(32)).decode()
        ),
    ):
        with pytest.raises(InvalidSignatureError):
            open_checkpoint(altered, [log.verifier])
    with pytest.raises(UnverifiedNoteError):
        open_checkpoint(signed, [SigningKey.generate("city.example/log").verifier])


def test_a_witness_cosignature_is_carried_and_verified() -> None:
    log = SigningKey.generate("city.example/log")
    witness = SigningKey.generate("finance.city.example/witness")
    signed = Checkpoint("city.example/log", 1, merkle.leaf_hash(b"e")).sign([log])
    cosigned = add_signatures(signed, [witness])
    _, note = open_checkpoint(cosigned, [log.verifier, witness.verifier])
    assert note.signed_by(witness.name) and note.signed_by(log.name)


def test_checkpoint_of_the_vector_tree_uses_the_vector_root() -> None:
    v = load_vectors()
    root8 = bytes.fromhex(v["root_hashes_by_tree_size"]["8"])
    leaves = [bytes.fromhex(h) for h in v["leaf_hashes"]]
    cp = Checkpoint("city.example/log", 8, merkle.root(leaves))
    assert Checkpoint.parse(cp.body()).root_hash == root8
