"""Permission matrix rows of the operations big screen (see tests/matrix_parts/__init__.py).

The big screen is for government users: any department member and the platform. Public users
get 403 and visitors are sent to the login page. `/ops/stream` answers a client that does not
ask for `text/event-stream` with one event and ends, so the matrix can read it.
"""

from __future__ import annotations

from typing import Any

ROLES = ("anonymous", "citizen", "gaj_user", "gaj_steward", "env_steward", "gaj_admin", "admin")
MEMBERS = frozenset(ROLES) - {"anonymous", "citizen"}

API: dict[tuple[str, str], frozenset[str]] = {}
WEB: dict[tuple[str, str], frozenset[str]] = {
    ("GET", "/ops"): MEMBERS,
    ("GET", "/ops/board.json"): MEMBERS,
    ("GET", "/ops/stream"): MEMBERS,
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
