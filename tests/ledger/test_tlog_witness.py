"""The log asks a C2SP tlog-witness for cosignatures (https://c2sp.org/tlog-witness).

The witness here is a real HTTP server written from the spec's add-checkpoint section, and it
makes its cosignature/v1 lines by hand from c2sp.org/tlog-cosignature, not with our keys.
"""

from __future__ import annotations

import base64
import hashlib
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from quancheng.ledger import merkle
from quancheng.ledger.checkpoint import Checkpoint
from quancheng.ledger.keys import KeyAlgorithm, VerifierKey
from quancheng.ledger.log import Ledger
from quancheng.ledger.merkle import ProofError
from quancheng.ledger.note import NoteError, verify_note
from quancheng.ledger.witness import HttpWitness, WitnessError, push_checkpoint
from tests.support.city import SmallCity, entry_fields

NAME = "witness.example/w1"


@dataclass
class SpecWitness:
    """One witness for one log: its key, the log's key and the latest checkpoint it co-signed."""

    log_key: VerifierKey
    private: Ed25519PrivateKey = field(default_factory=Ed25519PrivateKey.generate)
    size: int = 0
    root: bytes | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def public(self) -> bytes:
        return self.private.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )

    def key_id(self) -> bytes:
        return hashlib.sha256(NAME.encode() + b"\n\x04" + self.public).digest()[:4]

    def vkey(self) -> str:
        raw = base64.b64encode(b"\x04" + self.public).decode()
        return f"{NAME}+{self.key_id().hex()}+{raw}"

    def add_checkpoint(self, body: bytes) -> tuple[int, str, str]:
        """(status, content type, body) of an add-checkpoint request."""
        head, _, note = body.decode().partition("\n\n")
        old_line, *proof_lines = head.split("\n")
        if not old_line.startswith("old ") or len(proof_lines) > 63:
            return 400, "text/plain", "bad request\n"
        old = int(old_line[4:])
        try:
            verified = verify_note(note, [self.log_key])
        except NoteError:
            return 403, "text/plain", "no signature by a trusted key\n"
        checkpoint = Checkpoint.parse(verified.text)
        if checkpoint.origin != self.log_key.name:
            return 404, "text/plain", "unknown log\n"
        if old > checkpoint.size:
            return 400, "text/plain", "old size beyond the checkpoint\n"
        with self.lock:  # check and update atomically, as the spec requires
            if old != self.size:
                return 409, "text/x.tlog.size", f"{self.size}\n"
            proof = [base64.b64decode(line) for line in proof_lines]
            if old == checkpoint.size and checkpoint.root_hash != self.root:
                return 409, "text/plain", "two roots for one size\n"
            if 0 < old < checkpoint.size:
                try:
                    assert self.root is not None
                    merkle.verify_consistency(
                        old, checkpoint.size, self.root, checkpoint.root_hash, proof
                    )
                except ProofError:
                    return 422, "text/plain", "inconsistent\n"
            elif proof:
                return 422, "text/plain", "unexpected proof\n"
            self.size, self.root = checkpoint.size, checkpoint.root_hash
        timestamp = int(time.time())
        message = b"cosignature/v1\ntime %d\n" % timestamp + verified.text.encode()
        raw = self.key_id() + timestamp.to_bytes(8, "big") + self.private.sign(message)
        return 200, "text/plain", f"\u2014 {NAME} {base64.b64encode(raw).decode()}\n"


@pytest.fixture
def witness_url(city: SmallCity) -> Iterator[tuple[SpecWitness, str]]:
    witness = SpecWitness(log_key=city.services.ledger.verifier())

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            if self.path != "/w/add-checkpoint":
                self.send_error(404)
                return
            body = self.rfile.read(int(self.headers["Content-Length"]))
            status, content_type, text = witness.add_checkpoint(body)
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(text.encode())))
            self.end_headers()
            self.wfile.write(text.encode())

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield witness, f"http://127.0.0.1:{server.server_address[1]}/w"
    server.shutdown()
    server.server_close()


def grow(city: SmallCity, ledger: Ledger) -> int:
    steward = city.principals["env_steward"]
    entry = city.services.catalog.create(steward, department="sthjj", fields=entry_fields())
    city.services.catalog.submit(steward, entry.id)
    return ledger.issue_checkpoint().size


def test_the_log_gets_and_stores_a_standard_witness_cosignature(
    city: SmallCity, witness_url: tuple[SpecWitness, str]
) -> None:
    witness, url = witness_url
    ledger = city.services.ledger
    vkey = VerifierKey.parse(witness.vkey())
    assert vkey.algorithm is KeyAlgorithm.COSIGNATURE_V1
    ledger.add_witness_key(NAME, witness.vkey())
    first = ledger.issue_checkpoint()
    # The witness already co-signed this size elsewhere: the log learns it from the 409.
    witness.size, witness.root = first.size, first.root_hash
    size = grow(city, ledger)
    endpoint = HttpWitness(url)
    try:
        result = push_checkpoint(ledger, endpoint, name=NAME)
        assert (result.size, result.old_size, result.witnesses) == (size, first.size, [NAME])
        served = ledger.latest_checkpoint().note
        assert verify_note(served, [vkey]).signed_by(NAME)
        assert ledger.cosigned_size(NAME) == size
        # Next time the log starts from the size the witness co-signed here.
        bigger = grow(city, ledger)
        again = push_checkpoint(ledger, endpoint, name=NAME)
        assert (again.size, again.old_size) == (bigger, size)
        assert witness.size == bigger
    finally:
        endpoint.close()


def test_a_witness_that_saw_another_tree_cosigns_nothing(
    city: SmallCity, witness_url: tuple[SpecWitness, str]
) -> None:
    witness, url = witness_url
    ledger = city.services.ledger
    ledger.add_witness_key(NAME, witness.vkey())
    issued = ledger.issue_checkpoint()
    witness.size, witness.root = issued.size, b"\x07" * 32  # a fork at this size
    endpoint = HttpWitness(url)
    try:
        with pytest.raises(WitnessError, match="HTTP 409"):
            push_checkpoint(ledger, endpoint, name=NAME)
    finally:
        endpoint.close()
    assert ledger.latest_checkpoint().witnesses == ()
    assert ledger.cosigned_size(NAME) == 0
