"""What the exchange hands to the API, the pages and the CLI: detached, read-only views."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from quancheng.sharing.model import Action, DisputeState, GrantState, RequestState


@dataclass(frozen=True)
class Party:
    """A department as the exchange shows it."""

    id: int
    key: str
    name: str
    name_en: str

    def as_json(self) -> dict[str, Any]:
        """The department in API bodies."""
        return {"id": self.id, "key": self.key, "name": self.name, "name_en": self.name_en}


@dataclass(frozen=True)
class EntryRef:
    """The catalog entry a request, grant or dispute is about."""

    id: int
    code: str
    name: str
    sharing_type: str
    name_en: str = ""

    def as_json(self) -> dict[str, Any]:
        """The entry in API bodies."""
        return {
            "id": self.id,
            "code": self.code,
            "name": self.name,
            "name_en": self.name_en,
            "sharing_type": self.sharing_type,
        }


@dataclass(frozen=True)
class EventView:
    """One step in the history of a request, grant or dispute."""

    action: str
    from_state: str | None
    to_state: str | None
    note: str
    actor: str
    department: str | None
    at: datetime
    # What pages show: the actor's display name and their department's names.
    actor_name: str = ""
    actor_department: Party | None = None

    def as_json(self) -> dict[str, Any]:
        """The step in API bodies."""
        return {
            "action": self.action,
            "from": self.from_state,
            "to": self.to_state,
            "note": self.note,
            "actor": self.actor,
            "department": self.department,
            "at": self.at.isoformat(),
        }


@dataclass(frozen=True)
class RequestView:
    """A sharing request with its deadline, history and what the viewer may do next."""

    id: int
    entry: EntryRef
    consumer: Party
    provider: Party
    state: RequestState
    purpose: str
    scenario: str
    legal_basis: str
    items: tuple[str, ...]
    period_days: int
    applications: tuple[int, ...]
    coordination: bool
    final: bool
    reason: str
    deadline_at: datetime | None
    overdue: bool
    escalated: bool
    submitted_at: datetime | None
    answered_at: datetime | None
    answered_on_time: bool | None
    created_at: datetime
    updated_at: datetime
    grant_id: int | None = None
    actions: tuple[Action, ...] = ()
    events: tuple[EventView, ...] = field(default=())

    def as_json(self) -> dict[str, Any]:
        """The request in API bodies."""
        return {
            "id": self.id,
            "dataset_id": self.entry.id,
            "entry": self.entry.as_json(),
            "consumer": self.consumer.as_json(),
            "provider": self.provider.as_json(),
            "state": self.state.value,
            "purpose": self.purpose,
            "scenario": self.scenario,
            "legal_basis": self.legal_basis,
            "items": list(self.items),
            "period_days": self.period_days,
            "applications": list(self.applications),
            "coordination": self.coordination,
            "final": self.final,
            "reason": self.reason,
            "deadline_at": _iso(self.deadline_at),
            "overdue": self.overdue,
            "escalated": self.escalated,
            "submitted_at": _iso(self.submitted_at),
            "answered_at": _iso(self.answered_at),
            "answered_on_time": self.answered_on_time,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
            "grant_id": self.grant_id,
            "actions": [a.value for a in self.actions],
            "events": [e.as_json() for e in self.events],
        }


@dataclass(frozen=True)
class GrantView:
    """A grant: what a consumer department may read of an entry, until when."""

    id: int
    request_id: int | None
    entry: EntryRef
    department: Party
    provider: Party
    kind: str
    items: tuple[str, ...]
    masks: dict[str, str]
    row_filter: tuple[tuple[str, str, str], ...]
    applications: tuple[int, ...]
    purpose: str
    quota_per_day: int | None
    state: GrantState
    starts_at: datetime
    expires_at: datetime
    ended_at: datetime | None
    end_reason: str
    created_at: datetime
    calls_today: int = 0
    calls_total: int = 0
    events: tuple[EventView, ...] = field(default=())

    def as_json(self) -> dict[str, Any]:
        """The grant in API bodies."""
        return {
            "id": self.id,
            "request_id": self.request_id,
            "dataset_id": self.entry.id,
            "entry": self.entry.as_json(),
            "department": self.department.as_json(),
            "provider": self.provider.as_json(),
            "kind": self.kind,
            "items": list(self.items),
            "masking": dict(self.masks),
            "row_filter": [{"item": r, "op": o, "value": v} for r, o, v in self.row_filter],
            "applications": list(self.applications),
            "purpose": self.purpose,
            "quota_per_day": self.quota_per_day,
            "state": self.state.value,
            "starts_at": self.starts_at.isoformat(),
            "expires_at": self.expires_at.isoformat(),
            "ended_at": _iso(self.ended_at),
            "end_reason": self.end_reason,
            "created_at": self.created_at.isoformat(),
            "calls_today": self.calls_today,
            "calls_total": self.calls_total,
            "events": [e.as_json() for e in self.events],
        }


@dataclass(frozen=True)
class DisputeView:
    """A data dispute (疑义校核) and its answer."""

    id: int
    grant_id: int | None
    entry: EntryRef
    consumer: Party
    provider: Party
    description: str
    cells: tuple[dict[str, Any], ...]
    data_version: int | None
    state: DisputeState
    deadline_at: datetime
    overdue: bool
    answer: str
    corrected_version: int | None
    answered_at: datetime | None
    created_at: datetime
    events: tuple[EventView, ...] = field(default=())

    def as_json(self) -> dict[str, Any]:
        """The dispute in API bodies."""
        return {
            "id": self.id,
            "grant_id": self.grant_id,
            "dataset_id": self.entry.id,
            "entry": self.entry.as_json(),
            "consumer": self.consumer.as_json(),
            "provider": self.provider.as_json(),
            "description": self.description,
            "cells": list(self.cells),
            "data_version": self.data_version,
            "state": self.state.value,
            "deadline_at": self.deadline_at.isoformat(),
            "overdue": self.overdue,
            "answer": self.answer,
            "corrected_version": self.corrected_version,
            "answered_at": _iso(self.answered_at),
            "created_at": self.created_at.isoformat(),
            "events": [e.as_json() for e in self.events],
        }


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()
