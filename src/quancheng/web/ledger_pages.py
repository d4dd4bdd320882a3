"""The ledger explorer: the latest checkpoint and its signatures, events, one event's proof."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse
from starlette.responses import Response

from quancheng.ledger import merkle
from quancheng.ledger.log import LedgerRecord
from quancheng.ledger.merkle import ProofError
from quancheng.ledger.note import parse_note
from quancheng.web.i18n import N_
from quancheng.web.ledger_labels import DETAIL_FIELDS, EVENT_FIELDS, EVENT_TYPES, SUBJECT_KINDS
from quancheng.web.render import Web, WebDep

router = APIRouter(default_response_class=HTMLResponse, include_in_schema=False)

RECENT = 50
# Public users are on the ledger as `user:N` only (ledger.log.user_ref).
_PUBLIC_USER = "user:"


def event_label(web: Web, event_type: str) -> str:
    """An event type in the page's language (the code itself if it is not known)."""
    msgid = EVENT_TYPES.get(event_type)
    return web.gettext(msgid) if msgid else event_type


def _ref(web: Web, kind: str, ident: str) -> str:
    # A public user's id already says "user:"; a label of kind and id said it twice.
    if kind == "user" and ident.startswith(_PUBLIC_USER):
        return web.gettext(N_("User #%(n)s")) % {"n": ident.removeprefix(_PUBLIC_USER)}
    msgid = SUBJECT_KINDS.get(kind)
    return f"{web.gettext(msgid)} {ident}" if msgid else f"{kind}:{ident}"


def subject_label(web: Web, subject: dict[str, Any]) -> str:
    """What an event is about, named by its kind in the page's language and its id."""
    return _ref(web, str(subject.get("kind", "")), str(subject.get("id", "")))


def actor_label(web: Web, actor: dict[str, Any], departments: dict[str, str]) -> str:
    """Who acted, showing no more than the event itself does (the page is public): a staff
    user's user name and department, a public user's number, or the system."""
    ident = str(actor.get("id", ""))
    if actor.get("kind") != "user":
        return web.gettext(N_("System"))
    if ident.startswith(_PUBLIC_USER):
        return _ref(web, "user", ident)
    key = str(actor.get("department") or "")
    return f"{ident} · {departments.get(key, key)}" if key else ident


def event_rows(web: Web, records: list[LedgerRecord]) -> list[dict[str, Any]]:
    """Ledger events as the explorer's table shows them: labels, with the codes kept."""
    departments = {d.key: web.name_of(d) for d in web.services.identity.list_departments()}
    rows = []
    for r in records:
        ev = r.event
        subject, actor = ev.get("subject", {}), ev.get("actor", {})
        rows.append(
            {
                "index": r.index,
                "time": ev.get("time"),
                "type": ev.get("type", ""),
                "label": event_label(web, str(ev.get("type", ""))),
                "subject": subject_label(web, subject),
                "subject_key": f"{subject.get('kind')}:{subject.get('id')}",
                "actor": actor_label(web, actor, departments),
                "actor_code": f"{actor.get('kind')}:{actor.get('id')}",
            }
        )
    return rows


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
        events=event_rows(web, events),
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
    event = record.event
    return web.page(
        "ledger_entry.html",
        record=record,
        row=event_rows(web, [record])[0],
        field_label={k: web.gettext(v) for k, v in EVENT_FIELDS.items()},
        details=_facts(web, event.get("details") or {}),
        subject_extra=_facts(
            web, {k: v for k, v in event.get("subject", {}).items() if k not in ("kind", "id")}
        ),
        checkpoint=checkpoint,
        steps=steps,
        problem=problem,
        event_json=_pretty(record.event),
    )


def _pretty(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True)


def _facts(web: Web, facts: dict[str, Any]) -> list[tuple[str, str, str]]:
    """An event's facts as (label, key, value): the key stays for what the label hides."""
    return [
        (web.gettext(DETAIL_FIELDS[k]) if k in DETAIL_FIELDS else k, k, _shown(v))
        for k, v in sorted(facts.items())
    ]


def _shown(value: Any) -> str:
    """A detail's value as text: strings as they are, the rest as compact JSON."""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
