"""Permission matrix rows of backups (see tests/matrix_parts/__init__.py).

Only a platform administrator may take a backup through the live server: it holds every
department's data, the secret key file and the ledger's signing key.
"""

from __future__ import annotations

from typing import Any

API: dict[tuple[str, str], frozenset[str]] = {
    ("GET", "/api/v1/admin/backup"): frozenset({"admin"}),
}
WEB: dict[tuple[str, str], frozenset[str]] = {}


def targets(city: Any, entry_id: int) -> dict[str, Any]:
    """Ids named by this feature's route paths (none)."""
    return {}


def api_request(method: str, path: str, targets: dict[str, Any]) -> dict[str, Any] | None:
    """The request a caller would send (None: no body)."""
    return None


def web_form(method: str, path: str, targets: dict[str, Any]) -> dict[str, Any] | None:
    """The form a user would post (None: none)."""
    return None
