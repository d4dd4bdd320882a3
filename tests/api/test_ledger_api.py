"""The public ledger API: proofs that verify with the pure core, errors, witness cosignatures."""

from __future__ import annotations

import base64
import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from quancheng.errors import NotFound
from quancheng.identity.roles import Role
from quancheng.ledger import merkle
from quancheng.ledger.canonical import canonical_json
from quancheng.ledger.checkpoint import open_checkpoint
from quancheng.ledger.keys import KeyAlgorithm, SigningKey, VerifierKey
from quancheng.ledger.log import COSIGNATURE_LEEWAY
from quancheng.ledger.note import Signature, add_signatures, parse_note, verify_note
from quancheng.ledger.witness import (
    WitnessError,
    WitnessState,
    check_bundle,
    make_bundle,
    run_witness,
    verify_remote,
)
from tests.support.city import SmallCity, entry_fields


class ClientTransport:
    """The witness's transport over the in-process test client."""

    def __init__(self, client: TestClient) -> None:
        self.client = client

    def get(self, path: str) -> str:
        response = self.client.get(path)
        if response.status_code >= 400:
            raise WitnessError(f"GET {path}: {response.status_code} {response.text}")
        return response.text

    def post(self, path: str, body: str) -> str:
        response = self.client.post(path, content=body.encode())
        if response.status_code >= 400:
            raise WitnessError(f"POST {path}: {response.status_code} {response.text}")
        return response.text


def publish_one(city: SmallCity) -> str:
    steward = city.principals["env_steward"]
    entry = city.services.catalog.create(steward, department="sthjj", fields=entry_fields())
    city.services.catalog.submit(steward, entry.id)
    city.services.catalog.publish(steward, entry.id)
    return entry.code


def test_proofs_from_the_api_verify_against_the_checkpoint(
    client: TestClient, city: SmallCity
) -> None:
    code = publish_one(city)
    key = VerifierKey.parse(client.get("/api/v1/ledger/key").text)
    note = client.get("/api/v1/ledger/checkpoint")
    assert note.headers["content-type"].startswith("text/plain")
    cp, _ = open_checkpoint(note.text, [key])
    history = client.get("/api/v1/ledger/entries", params={"subject": f"catalog_entry:{code}"})
    items = history.json()["items"]
    assert [i["event"]["type"] for i in items][-1] == "catalog.entry.published"
    for item in items:
        leaf = merkle.leaf_hash(canonical_json(item["event"]))
        assert leaf.hex() == item["leaf_hash"]
        assert client.get(f"/api/v1/ledger/entries/{item['index']}").json() == item
        proof = client.get(
            "/api/v1/ledger/proof/inclusion", params={"index": item["index"], "size": cp.size}
        ).json()
        assert proof["index"] == item["index"] and proof["size"] == cp.size
        hashes = [bytes.fromhex(h) for h in proof["hashes"]]
        merkle.verify_inclusion(leaf, item["index"], cp.size, hashes, cp.root_hash)
    old_size = cp.size
    publish_one(city)
    new = city.services.ledger.issue_checkpoint()
    body = client.get(
        "/api/v1/ledger/proof/consistency", params={"first": old_size, "second": new.size}
    ).json()
    assert (body["first"], body["second"]) == (old_size, new.size)
    merkle.verify_consistency(
        old_size, new.size, cp.root_hash, new.root_hash, [bytes.fromhex(h) for h in body["hashes"]]
    )


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("inclusion", {"index": 5, "size": 5}),
        ("inclusion", {"index": 0, "size": 10_000}),
        ("inclusion", {"index": -1, "size": 3}),
        ("inclusion", {"index": 0, "size": 0}),
        ("consistency", {"first": 4, "second": 3}),
        ("consistency", {"first": 0, "second": 3}),
        ("consistency", {"first": 1, "second": 10_000}),
    ],
)
def test_malformed_proof_requests_are_400_with_the_error_body(
    client: TestClient, city: SmallCity, path: str, params: dict[str, int]
) -> None:
    response = client.get(f"/api/v1/ledger/proof/{path}", params=params)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid_proof_request"
    assert error["message"]
    assert error["details"]


def test_unknown_and_bad_entry_requests(client: TestClient, city: SmallCity) -> None:
    assert client.get("/api/v1/ledger/entries/99999").status_code == 404
    assert client.get("/api/v1/ledger/entries/-1").status_code == 400
    assert client.get("/api/v1/ledger/entries", params={"limit": 0}).status_code == 400
    assert client.get("/api/v1/ledger/proof/inclusion", params={"index": "x"}).status_code == 422


class RecordingTransport(ClientTransport):
    """The test client, keeping what the witness posted."""

    def __init__(self, client: TestClient) -> None:
        super().__init__(client)
        self.posted: list[str] = []

    def post(self, path: str, body: str) -> str:
        self.posted.append(body)
        return super().post(path, body)


# cosignature/v1 is what new witness keys are; ed25519 (plain signed-note) keys still work.
@pytest.mark.parametrize("algorithm", [KeyAlgorithm.COSIGNATURE_V1, KeyAlgorithm.ED25519])
def test_a_registered_witness_cosigns_and_the_checkpoint_carries_it(
    client: TestClient, city: SmallCity, tmp_path: Path, algorithm: KeyAlgorithm
) -> None:
    witness = SigningKey.generate("witness.gaj.jinan", algorithm)
    city.services.ledger.add_witness_key(witness.name, witness.verifier.encode())
    transport = RecordingTransport(client)
    state = tmp_path / "state.json"
    first = run_witness(transport, witness, state)
    assert first.previous_size is None
    served = client.get("/api/v1/ledger/checkpoint").text
    verified = verify_note(served, [witness.verifier, city.services.ledger.verifier()])
    assert {s.name for s in verified.verified} == {witness.name, city.services.ledger.origin}
    # The line the witness made is served byte for byte, for any verifier to check.
    posted_line = transport.posted[0].rstrip("\n").split("\n")[-1]
    assert posted_line.startswith(f"\u2014 {witness.name} ")
    assert posted_line + "\n" in served
    signature_bytes = len(base64.b64decode(posted_line.split(" ")[2]))
    assert signature_bytes == (76 if algorithm is KeyAlgorithm.COSIGNATURE_V1 else 68)
    # Verifiers that require the witness find its cosignature, in a bundle and on the log.
    log_key = city.services.ledger.verifier()
    index = city.services.ledger.size() - 1
    bundle = make_bundle(
        index=index,
        event=city.services.ledger.entry(index).event,
        size=first.size,
        hashes=city.services.ledger.inclusion_proof(index, first.size),
        checkpoint=served,
    )
    assert check_bundle(bundle, log_key, witnesses=[witness.verifier]).size == first.size
    assert verify_remote(transport, witnesses=[witness.verifier]) == []
    absent = SigningKey.generate("witness.absent", algorithm).verifier
    with pytest.raises(WitnessError, match=r"not signed by witness\.absent\+"):
        check_bundle(bundle, log_key, witnesses=[witness.verifier, absent])
    problems = verify_remote(transport, witnesses=[absent])
    assert problems == [f"the checkpoint does not verify: the checkpoint is not signed by {absent}"]
    publish_one(city)
    city.services.ledger.issue_checkpoint()
    second = run_witness(transport, witness, state)
    assert second.previous_size == first.size < second.size
    assert WitnessState.load(state) is not None
    assert verify_remote(transport) == []


def test_a_retired_witness_key_cosigns_no_more_and_its_old_cosignatures_stay(
    client: TestClient, city: SmallCity, tmp_path: Path
) -> None:
    ledger = city.services.ledger
    witness = SigningKey.generate("witness.lost")
    ledger.add_witness_key(witness.name, witness.verifier.encode())
    run_witness(ClientTransport(client), witness, tmp_path / "state.json")
    cosigned = client.get("/api/v1/ledger/checkpoint").text

    ledger.remove_witness_key(witness.name)

    assert witness.name not in {k.name for k in ledger.witness_keys()}
    publish_one(city)
    ledger.issue_checkpoint()
    note = client.get("/api/v1/ledger/checkpoint").text
    refused = client.post(
        "/api/v1/ledger/cosignatures", content=add_signatures(note, [witness]).encode()
    )
    assert refused.status_code == 403
    # What it signed while registered still verifies.
    assert witness.name in {s.name for s in verify_note(cosigned, [witness.verifier]).verified}
    with pytest.raises(NotFound):
        ledger.remove_witness_key(witness.name)


def test_a_witness_refuses_a_log_that_forked(
    client: TestClient, city: SmallCity, tmp_path: Path
) -> None:
    witness = SigningKey.generate("witness.outside")
    city.services.ledger.add_witness_key(witness.name, witness.verifier.encode())
    state = tmp_path / "state.json"
    run_witness(ClientTransport(client), witness, state)
    saved = WitnessState.load(state)
    assert saved is not None
    # The witness remembers a different root for that size: the log now shows a fork.
    WitnessState(saved.log_key, saved.origin, saved.size, b"\x07" * 32).save(state)
    publish_one(city)
    city.services.ledger.issue_checkpoint()
    with pytest.raises(WitnessError, match="REFUSED"):
        run_witness(ClientTransport(client), witness, state)
    assert WitnessState.load(state) == WitnessState(
        saved.log_key, saved.origin, saved.size, b"\x07" * 32
    )


def cosign_at(note: str, key: SigningKey, timestamp: int) -> str:
    """`note` with `key`'s cosignature/v1 dated `timestamp`."""
    body = parse_note(note).text
    signature = Signature(key.name, key.key_id, key.sign(body.encode(), timestamp=timestamp))
    return note + signature.line()


def test_a_cosignature_dated_in_the_future_is_refused(client: TestClient, city: SmallCity) -> None:
    ledger = city.services.ledger
    witness = SigningKey.generate("witness.fast.clock", KeyAlgorithm.COSIGNATURE_V1)
    ledger.add_witness_key(witness.name, witness.verifier.encode())
    note = client.get("/api/v1/ledger/checkpoint").text
    now = int(time.time())
    ahead = now + int(COSIGNATURE_LEEWAY.total_seconds()) + 600
    response = client.post("/api/v1/ledger/cosignatures", content=cosign_at(note, witness, ahead))
    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == "future_cosignature"
    assert "seconds in the future" in body["error"]["message"]
    details = body["error"]["details"]
    assert (details["witness"], details["timestamp"]) == (witness.name, ahead)
    assert abs(details["now"] - now) < 60
    assert ledger.latest_checkpoint().witnesses == ()
    # A clock a little ahead is within the leeway, and one behind is fine.
    for when in (now + 60, now - 3600):
        ok = client.post("/api/v1/ledger/cosignatures", content=cosign_at(note, witness, when))
        assert ok.status_code == 201, ok.text
    assert ledger.latest_checkpoint().witnesses == (witness.name,)


def test_a_tampered_cosignature_v1_is_refused(client: TestClient, city: SmallCity) -> None:
    witness = SigningKey.generate("witness.tampered", KeyAlgorithm.COSIGNATURE_V1)
    city.services.ledger.add_witness_key(witness.name, witness.verifier.encode())
    note = client.get("/api/v1/ledger/checkpoint").text
    signed = cosign_at(note, witness, int(time.time()))
    line = signed.rstrip("\n").split("\n")[-1]
    raw = bytearray(base64.b64decode(line.split(" ")[2]))
    raw[11] ^= 1  # the timestamp, one second off
    tampered = signed.replace(line, f"\u2014 {witness.name} {base64.b64encode(raw).decode()}")
    response = client.post("/api/v1/ledger/cosignatures", content=tampered)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "bad_cosignature"


def test_cosignatures_need_a_registered_key(client: TestClient, city: SmallCity) -> None:
    note = client.get("/api/v1/ledger/checkpoint").text
    stranger = SigningKey.generate("stranger")
    response = client.post(
        "/api/v1/ledger/cosignatures", content=add_signatures(note, [stranger]).encode()
    )
    assert response.status_code == 403
    known = SigningKey.generate("known")
    city.services.ledger.add_witness_key(known.name, known.verifier.encode())
    response = client.post(
        "/api/v1/ledger/cosignatures", content=add_signatures(note, [stranger]).encode()
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "unknown_witness"
    assert client.post("/api/v1/ledger/cosignatures", content=b"nonsense").status_code == 400
    ok = client.post("/api/v1/ledger/cosignatures", content=add_signatures(note, [known]).encode())
    assert ok.status_code == 201
    assert ok.json() == {"witnesses": ["known"]}


def test_the_entries_page_through_the_log(client: TestClient, city: SmallCity) -> None:
    size = city.services.ledger.size()
    seen: list[dict[str, Any]] = []
    start = 0
    while start < size:
        page = client.get("/api/v1/ledger/entries", params={"from": start, "limit": 4}).json()
        seen.extend(page["items"])
        start += 4
    assert [i["index"] for i in seen] == list(range(size))


def test_the_public_ledger_names_a_member_of_the_public_by_number_only(
    client: TestClient, city: SmallCity
) -> None:
    # Regression: a citizen who signed up with their phone number as user name found it in
    # the public, permanent ledger: as the subject of identity.user.created and as the actor
    # of every data request, vote and application, though the docs promise `user:N` only.
    services = city.services
    user = services.identity.create_user(
        None,
        username="13912345678",
        password="Correct-horse-9",
        role=Role.PUBLIC_USER,
        department=None,
        display_name="张三",
    )
    citizen = services.identity.principal_for(user)
    services.interaction.submit_request(
        citizen, title="公交到站数据", description="希望开放公交车实时到站数据"
    )
    services.identity.set_password("13912345678", "Another-horse-9")
    api = client.get("/api/v1/ledger/entries", params={"limit": 1000}).text
    page = client.get("/ledger").text
    for text in (api, page):
        assert "13912345678" not in text and "张三" not in text
    events = [i["event"] for i in client.get("/api/v1/ledger/entries").json()["items"]]
    created = [e for e in events if e["type"] == "identity.user.created"][-1]
    assert created["subject"] == {"kind": "user", "id": f"user:{user.id}"}
    submitted = next(e for e in events if e["type"] == "portal.request.submitted")
    assert submitted["actor"] == {"kind": "user", "id": f"user:{user.id}"}
    # Staff stay accountable by name.
    steward = city.principals["env_steward"]
    code = publish_one(city)
    published = client.get(
        "/api/v1/ledger/entries", params={"subject": f"catalog_entry:{code}"}
    ).json()["items"][-1]["event"]
    assert published["actor"]["id"] == steward.username


class TamperedTransport(ClientTransport):
    """A log that serves its real key and checkpoint but rewrites the entries page."""

    def __init__(self, client: TestClient, entries: str) -> None:
        super().__init__(client)
        self.entries = entries

    def get(self, path: str) -> str:
        if "/entries" in path:
            return self.entries
        return super().get(path)


@pytest.mark.parametrize(
    "entries",
    [
        "[]",
        '{"items": [1, 2]}',
        '{"items": [{"index": 0, "leaf_hash": "00", "event": [1, 2.5]}]}',
        '{"items": "all of them"}',
    ],
)
def test_verifying_a_log_that_serves_nonsense_names_the_problem(
    client: TestClient, city: SmallCity, entries: str
) -> None:
    # Regression: `quancheng ledger verify --url` crashed with a traceback (AttributeError,
    # CanonicalError) on a log serving malformed entries — the very log it must report on.
    publish_one(city)
    problems = verify_remote(TamperedTransport(client, entries))
    assert problems and all(isinstance(p, str) for p in problems)


class ProofRewritingTransport(ClientTransport):
    """A log that serves a consistency proof that is JSON but not an object."""

    def get(self, path: str) -> str:
        if "/proof/consistency" in path:
            return '["not", "an", "object"]'
        return super().get(path)


def test_a_witness_refuses_a_consistency_proof_that_is_not_an_object(
    client: TestClient, city: SmallCity, tmp_path: Path
) -> None:
    # Regression: the witness crashed with AttributeError (a traceback, not WITNESS ALARM).
    witness = SigningKey.generate("witness.strict")
    city.services.ledger.add_witness_key(witness.name, witness.verifier.encode())
    state = tmp_path / "state.json"
    run_witness(ClientTransport(client), witness, state)
    publish_one(city)
    city.services.ledger.issue_checkpoint()
    with pytest.raises(WitnessError, match="consistency proof must be a list"):
        run_witness(ProofRewritingTransport(client), witness, state)


def test_an_oversized_cosignature_is_413_whether_declared_or_streamed(
    client: TestClient, city: SmallCity
) -> None:
    # Regression: anyone may post here, and the whole body was read into memory before its
    # size was checked (then a 400 invalid_note, not 413).
    big = b"x" * (64 * 1024 + 1)
    declared = client.post("/api/v1/ledger/cosignatures", content=big)
    assert declared.status_code == 413
    assert declared.json()["error"]["code"] == "payload_too_large"

    def chunks() -> Any:
        for _ in range(20):
            yield b"y" * 8192

    streamed = client.post("/api/v1/ledger/cosignatures", content=chunks())
    assert streamed.status_code == 413
    assert client.post("/api/v1/ledger/cosignatures", content=b"").status_code == 400
