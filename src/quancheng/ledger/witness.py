"""Client side of the ledger: witnesses, proof bundles and remote verification.

Everything here talks to a log only through a `Transport` (HTTP in the CLI, the in-process
test client in tests) and checks what it gets with the pure core: a witness co-signs a
checkpoint only after verifying its signature and its consistency with the last checkpoint
it co-signed, and refuses, loudly, anything else.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from quancheng.ledger import merkle
from quancheng.ledger.canonical import CanonicalError, canonical_json
from quancheng.ledger.checkpoint import Checkpoint, CheckpointError, open_checkpoint
from quancheng.ledger.keys import KeyFormatError, SigningKey, VerifierKey
from quancheng.ledger.merkle import CompactRange, Hasher, ProofError
from quancheng.ledger.note import NoteError, Signature, add_signatures, format_note, parse_note

if TYPE_CHECKING:
    from quancheng.ledger.log import Ledger

BUNDLE_VERSION = 1
API = "/api/v1/ledger"


class WitnessError(Exception):
    """The log served something a witness or verifier must not accept."""


class Transport(Protocol):
    """GET and POST text to a log's API."""

    def get(self, path: str) -> str:
        """The body of a successful GET, or raise WitnessError."""
        ...

    def post(self, path: str, body: str) -> str:
        """The body of a successful POST, or raise WitnessError."""
        ...


class HttpTransport:
    """A Transport over HTTP(S) with httpx."""

    def __init__(self, base_url: str, *, timeout: float = 30.0) -> None:
        import httpx

        self._client = httpx.Client(base_url=base_url.rstrip("/"), timeout=timeout)

    def get(self, path: str) -> str:
        """GET `path`; raise WitnessError on any failure."""
        return self._checked("GET", path, None)

    def post(self, path: str, body: str) -> str:
        """POST text to `path`; raise WitnessError on any failure."""
        return self._checked("POST", path, body)

    def _checked(self, method: str, path: str, body: str | None) -> str:
        import httpx

        try:
            response = self._client.request(
                method,
                path,
                content=body.encode() if body is not None else None,
                headers={"content-type": "text/plain; charset=utf-8"} if body else None,
            )
        except httpx.HTTPError as exc:
            raise WitnessError(f"{method} {path} failed: {exc}") from exc
        if response.status_code >= 400:
            raise WitnessError(f"{method} {path}: HTTP {response.status_code}: {response.text}")
        return response.text

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()


def _hasher_for(key: VerifierKey) -> Hasher:
    return merkle.SM3 if key.algorithm.value == "sm2" else merkle.SHA256


def _hexes(values: Any, what: str) -> list[bytes]:
    if not isinstance(values, list):
        raise WitnessError(f"{what} must be a list of hex hashes")
    try:
        return [bytes.fromhex(v) for v in values]
    except (TypeError, ValueError) as exc:
        raise WitnessError(f"{what} holds a value that is not hex: {exc}") from exc


def _json(text: str, what: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise WitnessError(f"{what} is not JSON: {exc}") from exc


# -- witness ------------------------------------------------------------------------------


@dataclass(frozen=True)
class WitnessState:
    """What a witness remembers: the log key it trusts and the last checkpoint it co-signed."""

    log_key: str
    origin: str
    size: int
    root_hash: bytes

    def to_json(self) -> dict[str, Any]:
        """The state file's JSON."""
        return {
            "log_key": self.log_key,
            "origin": self.origin,
            "size": self.size,
            "root_hash": base64.b64encode(self.root_hash).decode(),
        }

    @classmethod
    def load(cls, path: Path) -> WitnessState | None:
        """The saved state, or None before the first cosignature."""
        if not path.exists():
            return None
        data = _json(path.read_text(encoding="utf-8"), f"witness state {path}")
        try:
            return cls(
                log_key=str(data["log_key"]),
                origin=str(data["origin"]),
                size=int(data["size"]),
                root_hash=base64.b64decode(data["root_hash"], validate=True),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise WitnessError(f"witness state {path} is malformed: {exc}") from exc

    def save(self, path: Path) -> None:
        """Write the state atomically (a crash leaves the old or the new state, never half)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps(self.to_json(), indent=2) + "\n", encoding="utf-8")
        os.replace(tmp, path)


def check_advance(
    state: WitnessState | None,
    checkpoint: Checkpoint,
    proof: list[bytes],
    *,
    hasher: Hasher,
) -> None:
    """Raise WitnessError unless `checkpoint` extends the last one the witness co-signed."""
    if state is None:
        return
    if checkpoint.origin != state.origin:
        raise WitnessError(
            f"checkpoint origin is {checkpoint.origin!r}, the witness follows {state.origin!r}"
        )
    if checkpoint.size < state.size:
        raise WitnessError(
            f"REFUSED: the log went back from size {state.size} to {checkpoint.size}"
        )
    try:
        if checkpoint.size == state.size:
            if checkpoint.root_hash != state.root_hash:
                raise ProofError(
                    f"two roots for size {state.size}: {state.root_hash.hex()} "
                    f"and {checkpoint.root_hash.hex()}"
                )
        elif state.size > 0:
            merkle.verify_consistency(
                state.size,
                checkpoint.size,
                state.root_hash,
                checkpoint.root_hash,
                proof,
                hasher=hasher,
            )
    except ProofError as exc:
        raise WitnessError(
            f"REFUSED: checkpoint of size {checkpoint.size} is not consistent with the "
            f"checkpoint of size {state.size} this witness co-signed: {exc}"
        ) from exc


@dataclass(frozen=True)
class WitnessResult:
    """What one witness run did."""

    size: int
    previous_size: int | None
    posted: bool


def run_witness(
    transport: Transport,
    key: SigningKey,
    state_path: Path,
    *,
    log_key: VerifierKey | None = None,
) -> WitnessResult:
    """Fetch the latest checkpoint, check it, co-sign it, post the cosignature, save state."""
    state = WitnessState.load(state_path)
    served_key = VerifierKey.parse(transport.get(f"{API}/key").strip())
    trusted_text = log_key.encode() if log_key else (state.log_key if state else None)
    if trusted_text is not None and served_key.encode() != trusted_text:
        raise WitnessError(
            f"REFUSED: the log now presents key {served_key.encode()}, "
            f"the witness trusts {trusted_text}"
        )
    trusted = log_key or served_key
    hasher = _hasher_for(trusted)
    note = transport.get(f"{API}/checkpoint")
    try:
        checkpoint, _ = open_checkpoint(note, [trusted], hash_size=hasher.size)
    except (NoteError, CheckpointError) as exc:
        raise WitnessError(f"REFUSED: the checkpoint does not verify: {exc}") from exc
    proof: list[bytes] = []
    if state is not None and 0 < state.size < checkpoint.size:
        body = _json(
            transport.get(f"{API}/proof/consistency?first={state.size}&second={checkpoint.size}"),
            "consistency proof",
        )
        proof = _hexes(body.get("hashes") if isinstance(body, dict) else None, "consistency proof")
    check_advance(state, checkpoint, proof, hasher=hasher)
    cosigned = add_signatures(note, [key])
    transport.post(f"{API}/cosignatures", cosigned)
    WitnessState(
        log_key=trusted.encode(),
        origin=checkpoint.origin,
        size=checkpoint.size,
        root_hash=checkpoint.root_hash,
    ).save(state_path)
    return WitnessResult(
        size=checkpoint.size, previous_size=state.size if state else None, posted=True
    )


def open_witnessed(
    note: str, key: VerifierKey, witnesses: Sequence[VerifierKey], *, hash_size: int
) -> Checkpoint:
    """Verify a checkpoint signed by the log's key and co-signed by every one of `witnesses`.

    A witness key of type 0x04 checks a C2SP cosignature/v1, one of type 0x01 or SM2 a plain
    signed-note signature; a bad signature by any of these keys rejects the checkpoint.
    Raises NoteError, CheckpointError or WitnessError (a required signature is missing).
    """
    required = list(dict.fromkeys([key, *witnesses]))
    checkpoint, verified = open_checkpoint(note, required, hash_size=hash_size)
    present = {(s.name, s.key_id) for s in verified.verified}
    missing = [k.encode() for k in required if (k.name, k.key_id) not in present]
    if missing:
        raise WitnessError(f"the checkpoint is not signed by {', '.join(missing)}")
    return checkpoint


# -- C2SP tlog-witness, the log's side ----------------------------------------------------

# tlog-witness: "The client MUST NOT send more than 63 consistency proof lines."
MAX_PROOF_LINES = 63
SIZE_MEDIA_TYPE = "text/x.tlog.size"


class WitnessConflict(WitnessError):
    """The witness co-signed a different size last (409): ask again from that size."""

    def __init__(self, size: int) -> None:
        super().__init__(f"the witness last co-signed size {size}")
        self.size = size


def add_checkpoint_body(old_size: int, proof: Sequence[bytes], note: str) -> str:
    """The body of a tlog-witness add-checkpoint request: old size, proof lines, checkpoint."""
    if len(proof) > MAX_PROOF_LINES:
        raise WitnessError(f"a consistency proof has at most {MAX_PROOF_LINES} hashes")
    lines = [f"old {old_size}", *(base64.b64encode(h).decode() for h in proof)]
    return "".join(line + "\n" for line in lines) + "\n" + note


def cosignature_lines(text: str) -> str:
    """The signature lines of an add-checkpoint response, checked to be only those."""
    if not text.endswith("\n") or not text.strip():
        raise WitnessError("the witness answered no signature lines")
    for line in text[:-1].split("\n"):
        try:
            Signature.parse_line(line)
        except NoteError as exc:
            raise WitnessError(
                f"the witness answered something other than signatures: {exc}"
            ) from exc
    return text


class HttpWitness:
    """A C2SP tlog-witness's submission prefix over HTTP(S)."""

    def __init__(self, url: str, *, timeout: float = 30.0) -> None:
        import httpx

        self._url = url.rstrip("/") + "/add-checkpoint"
        self._client = httpx.Client(timeout=timeout)

    def add_checkpoint(self, body: str) -> str:
        """POST add-checkpoint; the cosignature lines, or WitnessConflict or WitnessError."""
        import httpx

        try:
            response = self._client.post(self._url, content=body.encode())
        except httpx.HTTPError as exc:
            raise WitnessError(f"POST {self._url} failed: {exc}") from exc
        text = response.text
        if response.status_code == 409 and response.headers.get("content-type", "").startswith(
            SIZE_MEDIA_TYPE
        ):
            size = text.strip()
            if not size.isascii() or not size.isdigit():
                raise WitnessError(f"the witness's 409 names no size: {text!r}")
            raise WitnessConflict(int(size))
        if response.status_code != 200:
            raise WitnessError(f"POST {self._url}: HTTP {response.status_code}: {text}")
        return cosignature_lines(text)

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()


class WitnessEndpoint(Protocol):
    """Where a log asks a tlog-witness for cosignatures."""

    def add_checkpoint(self, body: str) -> str:
        """The witness's cosignature lines for an add-checkpoint body."""
        ...


@dataclass(frozen=True)
class PushResult:
    """What one push to a witness did."""

    size: int
    old_size: int
    witnesses: list[str]


def push_checkpoint(ledger: Ledger, witness: WitnessEndpoint, *, name: str) -> PushResult:
    """Ask a tlog-witness to co-sign the latest checkpoint; store the cosignatures it returns.

    The old size is that of the newest checkpoint `name` co-signed here; a witness that says
    (409) it last co-signed another size is asked once more from that size.
    """
    issued = ledger.latest_checkpoint()
    old = ledger.cosigned_size(name)
    for _ in range(2):
        if old > issued.size:
            raise WitnessError(
                f"the witness co-signed size {old} of this log, beyond its latest checkpoint "
                f"of size {issued.size}"
            )
        proof = ledger.consistency_proof(old, issued.size) if 0 < old < issued.size else []
        try:
            lines = witness.add_checkpoint(add_checkpoint_body(old, proof, issued.note))
        except WitnessConflict as exc:
            if exc.size == old:
                raise WitnessError(f"the witness refuses size {old} and names it again") from exc
            old = exc.size
            continue
        # The new lines first: where a line by the same key is already stored, they replace it.
        note = parse_note(issued.note)
        new = [Signature.parse_line(line) for line in lines[:-1].split("\n")]
        names = ledger.add_cosignature(format_note(note.text, [*new, *note.signatures]))
        return PushResult(size=issued.size, old_size=old, witnesses=names)
    raise WitnessError(f"the witness named size {old} but refused it again")


# -- proof bundles ------------------------------------------------------------------------


def make_bundle(
    *, index: int, event: Mapping[str, Any], size: int, hashes: list[bytes], checkpoint: str
) -> dict[str, Any]:
    """An offline-checkable proof that an event is in the log: event, proof, checkpoint."""
    return {
        "version": BUNDLE_VERSION,
        "index": index,
        "event": dict(event),
        "inclusion": {"size": size, "hashes": [h.hex() for h in hashes]},
        "checkpoint": checkpoint,
    }


def check_bundle(
    bundle: Mapping[str, Any], key: VerifierKey, *, witnesses: Sequence[VerifierKey] = ()
) -> Checkpoint:
    """Verify a proof bundle offline against the log's key (and the cosignatures of
    `witnesses`, each required); return the checkpoint it rests on."""
    hasher = _hasher_for(key)
    # A bundle comes from anywhere: every part is checked before use, so that a malformed one
    # is a WitnessError (FAIL and the reason), never a traceback.
    if not isinstance(bundle, Mapping):
        raise WitnessError("bundle must be a JSON object")
    if bundle.get("version") != BUNDLE_VERSION:
        raise WitnessError(f"bundle version must be {BUNDLE_VERSION}")
    inclusion = bundle.get("inclusion")
    if not isinstance(inclusion, Mapping):
        raise WitnessError("bundle inclusion must be an object with size and hashes")
    if not isinstance(bundle.get("event"), Mapping):
        raise WitnessError("bundle event must be a JSON object")
    try:
        checkpoint = open_witnessed(
            str(bundle["checkpoint"]), key, witnesses, hash_size=hasher.size
        )
        index = int(bundle["index"])
        size = int(inclusion.get("size", -1))
        data = canonical_json(bundle["event"])
    except (KeyError, TypeError, ValueError, NoteError, CheckpointError, CanonicalError) as exc:
        raise WitnessError(f"bundle is malformed or its checkpoint does not verify: {exc}") from exc
    if size != checkpoint.size:
        raise WitnessError(
            f"the proof is for size {inclusion.get('size')}, the checkpoint for {checkpoint.size}"
        )
    try:
        merkle.verify_inclusion(
            hasher.leaf(data),
            index,
            checkpoint.size,
            _hexes(inclusion.get("hashes"), "inclusion proof"),
            checkpoint.root_hash,
            hasher=hasher,
        )
    except ProofError as exc:
        raise WitnessError(f"event {index} is not in the signed tree: {exc}") from exc
    return checkpoint


# -- remote verification ------------------------------------------------------------------


def verify_remote(
    transport: Transport,
    *,
    key: VerifierKey | None = None,
    witnesses: Sequence[VerifierKey] = (),
    page: int = 1000,
) -> list[str]:
    """Download every entry, recompute the tree and check the served checkpoint (co-signed by
    each of `witnesses`); the problems found."""
    try:
        served = VerifierKey.parse(transport.get(f"{API}/key").strip())
    except KeyFormatError as exc:
        return [f"the log serves no valid key: {exc}"]
    if key is not None and served.encode() != key.encode():
        return [f"the log presents key {served.encode()}, expected {key.encode()}"]
    trusted = key or served
    hasher = _hasher_for(trusted)
    try:
        checkpoint = open_witnessed(
            transport.get(f"{API}/checkpoint"), trusted, witnesses, hash_size=hasher.size
        )
    except (NoteError, CheckpointError, KeyFormatError, WitnessError) as exc:
        return [f"the checkpoint does not verify: {exc}"]
    problems: list[str] = []
    cr = CompactRange(hasher=hasher)
    while cr.size < checkpoint.size:
        body = _json(transport.get(f"{API}/entries?from={cr.size}&limit={page}"), "entries")
        # The log under test may serve anything: a malformed page is a problem to report.
        items = body.get("items") if isinstance(body, dict) else None
        if not isinstance(items, list):
            problems.append(f"the entries from {cr.size} are not a JSON object with a list")
            break
        if not items:
            problems.append(f"the log serves no entry {cr.size} below size {checkpoint.size}")
            break
        for item in items:
            if cr.size >= checkpoint.size:
                break
            if not isinstance(item, dict) or item.get("index") != cr.size:
                served_index = item.get("index") if isinstance(item, dict) else item
                problems.append(f"entry {cr.size} is missing (served {served_index!r})")
                return problems
            try:
                leaf = hasher.leaf(canonical_json(item.get("event")))
            except CanonicalError as exc:
                problems.append(f"entry {cr.size}: its event is not canonical JSON: {exc}")
                return problems
            if leaf.hex() != item.get("leaf_hash"):
                problems.append(
                    f"leaf {cr.size}: its event hashes to {leaf.hex()}, "
                    f"served leaf hash {item.get('leaf_hash')}"
                )
            cr.append(leaf)
    if not problems and cr.root() != checkpoint.root_hash:
        problems.append(
            f"the entries give root {cr.root().hex()} at size {checkpoint.size}, "
            f"the checkpoint signs {checkpoint.root_hash.hex()}"
        )
    return problems
