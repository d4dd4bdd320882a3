"""Permission matrix rows of this feature (see tests/matrix_parts/__init__.py)."""

from __future__ import annotations

from typing import Any

API: dict[tuple[str, str], frozenset[str]] = {}
WEB: dict[tuple[str, str], frozenset[str]] = {}


def targets(city: Any, entry_id: int) -> dict[str, Any]:
    """Ids named by this feature's route paths."""
    return {}


def api_request(method: str, path: str, targets: dict[str, Any]) -> dict[str, Any] | None:
    """The request a caller would send (None: no body)."""
    return None


def web_form(method: str, path: str, targets: dict[str, Any]) -> dict[str, Any] | None:
    """The form a user would post (None: none)."""
    return None
