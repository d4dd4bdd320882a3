"""Permission matrix rows of the operators' endpoints (see tests/matrix_parts/__init__.py).

`/metrics` is Prometheus text for the metrics token's bearer or a platform administrator; the
generic API request carries a user's API token, so only `admin` gets in. A browser asking for
HTML at `/metrics` or `/metrics/{key}` (old bookmarks of the scorecards) is redirected to
`/governance` whoever it is, so those web rows allow everyone: the governance rows decide.
`/readyz` is public like `/healthz`.
"""

from __future__ import annotations

from typing import Any

ROLES = ("anonymous", "citizen", "gaj_user", "gaj_steward", "env_steward", "gaj_admin", "admin")
EVERYONE = frozenset(ROLES)

API: dict[tuple[str, str], frozenset[str]] = {
    ("GET", "/metrics"): frozenset({"admin"}),
    ("GET", "/readyz"): EVERYONE,
}
WEB: dict[tuple[str, str], frozenset[str]] = {
    ("GET", "/metrics"): EVERYONE,
    ("GET", "/metrics/{key}"): EVERYONE,
}


def targets(city: Any, entry_id: int) -> dict[str, Any]:
    """Ids named by this feature's route paths (none: `{key}` is filled in by the caller)."""
    return {}


def api_request(method: str, path: str, targets: dict[str, Any]) -> dict[str, Any] | None:
    """The request a caller would send (None: no body)."""
    return None


def web_form(method: str, path: str, targets: dict[str, Any]) -> dict[str, Any] | None:
    """The form a user would post (None: none)."""
    return None
