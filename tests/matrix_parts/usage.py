"""Permission matrix rows of this feature (see tests/matrix_parts/__init__.py).

The open-data index and the usage figures are aggregates of the open portal: everyone may read
them, anonymous visitors too, whether or not the internal catalog is public.
"""

from __future__ import annotations

from typing import Any

EVERYONE = frozenset(
    ("anonymous", "citizen", "gaj_user", "gaj_steward", "env_steward", "gaj_admin", "admin")
)

API: dict[tuple[str, str], frozenset[str]] = {
    ("GET", "/api/v1/portal/index"): EVERYONE,
    ("GET", "/api/v1/portal/usage"): EVERYONE,
}
WEB: dict[tuple[str, str], frozenset[str]] = {
    ("GET", "/open/index"): EVERYONE,
}


def targets(city: Any, entry_id: int) -> dict[str, Any]:
    """Ids named by this feature's route paths (none)."""
    return {}


def api_request(method: str, path: str, targets: dict[str, Any]) -> dict[str, Any] | None:
    """The request a caller would send (None: no body)."""
    return None


def web_form(method: str, path: str, targets: dict[str, Any]) -> dict[str, Any] | None:
    """The form a user would post (None: none)."""
    return None
