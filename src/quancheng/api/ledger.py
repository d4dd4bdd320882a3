"""API routes of the ledger: checkpoint, key, entries, proofs (public) and witness cosignatures."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import PlainTextResponse

from quancheng.api.deps import ServicesDep
from quancheng.api.schemas import API_ERRORS
from quancheng.errors import BadRequest, PayloadTooLarge

router = APIRouter(prefix="/ledger", tags=["ledger"], responses=API_ERRORS)
NOTE_MEDIA_TYPE = "text/plain; charset=utf-8"
MAX_NOTE_BYTES = 64 * 1024


@router.get("/checkpoint", response_class=PlainTextResponse)
def checkpoint(services: ServicesDep) -> PlainTextResponse:
    """The latest checkpoint as a C2SP signed note, with the witnesses' cosignatures."""
    issued = services.ledger.latest_checkpoint()
    return PlainTextResponse(issued.note, media_type=NOTE_MEDIA_TYPE)


@router.get("/key", response_class=PlainTextResponse)
def key(services: ServicesDep) -> PlainTextResponse:
    """The log's verifier key, `name+hexkeyid+base64(type || public key)`."""
    return PlainTextResponse(services.ledger.verifier().encode() + "\n", media_type=NOTE_MEDIA_TYPE)


@router.get("/entries/{index}")
def entry(index: int, services: ServicesDep) -> dict[str, Any]:
    """One leaf: its index, hex leaf hash and event."""
    if index < 0:
        raise BadRequest("index must be >= 0", code="invalid_proof_request")
    return services.ledger.entry(index).as_json()


@router.get("/entries")
def entries(
    services: ServicesDep,
    subject: str | None = None,
    type: str | None = None,
    start: Annotated[int, Query(alias="from")] = 0,
    limit: int = 100,
) -> dict[str, Any]:
    """Leaves in order from index `from`, optionally of one subject (`kind:id`) or type."""
    items = services.ledger.entries(subject=subject, type=type, start=start, limit=limit)
    return {"items": [r.as_json() for r in items], "size": services.ledger.size()}


@router.get("/proof/inclusion")
def inclusion_proof(index: int, size: int, services: ServicesDep) -> dict[str, Any]:
    """PATH(index, D[size]) of RFC 9162, bottom first, as hex."""
    hashes = services.ledger.inclusion_proof(index, size)
    return {"index": index, "size": size, "hashes": [h.hex() for h in hashes]}


@router.get("/proof/consistency")
def consistency_proof(first: int, second: int, services: ServicesDep) -> dict[str, Any]:
    """PROOF(first, D[second]) of RFC 9162, as hex."""
    hashes = services.ledger.consistency_proof(first, second)
    return {"first": first, "second": second, "hashes": [h.hex() for h in hashes]}


@router.post("/cosignatures", status_code=201)
async def add_cosignature(request: Request, services: ServicesDep) -> dict[str, Any]:
    """A witness posts a checkpoint it co-signed; only registered witness keys count (else 403).

    No login: the signature by a key the platform authority registered is the credential.
    """
    # Anyone may post here: read at most the limit, never a whole oversized body.
    too_large = PayloadTooLarge(f"a co-signed checkpoint note is at most {MAX_NOTE_BYTES} bytes")
    declared = request.headers.get("content-length")
    if declared and declared.isascii() and declared.isdigit() and int(declared) > MAX_NOTE_BYTES:
        raise too_large
    raw = bytearray()
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > MAX_NOTE_BYTES:
            raise too_large
    if not raw:
        raise BadRequest(
            f"post the co-signed checkpoint note as text (at most {MAX_NOTE_BYTES} bytes)",
            code="invalid_note",
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequest("the note is not UTF-8", code="invalid_note") from exc
    witnesses = services.ledger.add_cosignature(text)
    return {"witnesses": witnesses}
