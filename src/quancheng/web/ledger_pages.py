"""The ledger explorer: the latest checkpoint and its signatures, events, one event's proof."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse
from starlette.responses import Response

from quancheng.ledger import merkle
from quancheng.ledger.merkle import ProofError
from quancheng.ledger.note import parse_note
from quancheng.web.render import WebDep

router = APIRouter(default_response_class=HTMLResponse, include_in_schema=False)

RECENT = 50


@router.get("/ledger")
def ledger_home(web: WebDep, subject: str = "") -> Response:
    """Latest checkpoint with its signatures, and recent events (or one subject's history)."""
    ledger = web.services.ledger
    checkpoint = ledger.latest_checkpoint()
    signers = [s.name for s in parse_note(checkpoint.note).signatures]
    subject = subject.strip()[:300]
    if subject:
        events = ledger.entries(subject=subject, limit=200)
    else:
        events = ledger.entries(limit=RECENT, newest_first=True)
    return web.page(
        "ledger.html",
        checkpoint=checkpoint,
        signers=signers,
        log_name=ledger.origin,
        key=ledger.verifier().encode(),
        events=events,
        subject=subject,
        suite=ledger.suite,
    )


@router.get("/ledger/entries/{index}")
def ledger_entry(web: WebDep, index: int) -> Response:
    """One event, its inclusion proof in the latest checkpoint, and whether it verifies."""
    ledger = web.services.ledger
    record = ledger.entry(index)
    checkpoint = ledger.latest_checkpoint()
    if checkpoint.size <= index:
        checkpoint = ledger.issue_checkpoint()
    proof = ledger.inclusion_proof(index, checkpoint.size)
    problem: str | None = None
    try:
        merkle.verify_inclusion(
            record.leaf_hash,
            index,
            checkpoint.size,
            proof,
            checkpoint.root_hash,
            hasher=ledger.hasher,
        )
    except ProofError as exc:
        problem = str(exc)
    steps: list[dict[str, Any]] = [{"n": n + 1, "hash": h.hex()} for n, h in enumerate(proof)]
    return web.page(
        "ledger_entry.html",
        record=record,
        checkpoint=checkpoint,
        steps=steps,
        problem=problem,
        event_json=_pretty(record.event),
    )


def _pretty(value: Any) -> str:
    import json

    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True)
