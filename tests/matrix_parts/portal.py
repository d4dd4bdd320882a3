"""Permission matrix rows of this feature (see tests/matrix_parts/__init__.py)."""

from __future__ import annotations

from typing import Any

# As tests/web_matrix.py's EVERYONE (not imported: that module imports this one).
EVERYONE = frozenset(
    ("anonymous", "citizen", "gaj_user", "gaj_steward", "env_steward", "gaj_admin", "admin")
)
API: dict[tuple[str, str], frozenset[str]] = {}
# The public portal: no login, every role sees the same open data.
WEB: dict[tuple[str, str], frozenset[str]] = {
    ("GET", "/open"): EVERYONE,
    ("GET", "/open/datasets"): EVERYONE,
    ("GET", "/open/datasets/{entry_id}"): EVERYONE,
    ("GET", "/open/departments"): EVERYONE,
    ("GET", "/open/departments/{key}"): EVERYONE,
    ("GET", "/open/developers"): EVERYONE,
}


def targets(city: Any, entry_id: int) -> dict[str, Any]:
    """Ids named by this feature's route paths."""
    return {}


def api_request(method: str, path: str, targets: dict[str, Any]) -> dict[str, Any] | None:
    """The request a caller would send (None: no body)."""
    return None


def web_form(method: str, path: str, targets: dict[str, Any]) -> dict[str, Any] | None:
    """The form a user would post (None: none)."""
    return None
