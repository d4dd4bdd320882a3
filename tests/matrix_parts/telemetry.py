"""Permission matrix rows of the telemetry history (see tests/matrix_parts/__init__.py).

The target is an air station of 生态环境局; any government user may read its history.
"""

from __future__ import annotations

from typing import Any

from quancheng.db.models import OpsEntity

ROLES = ("anonymous", "citizen", "gaj_user", "gaj_steward", "env_steward", "gaj_admin", "admin")
GOVERNMENT = frozenset(ROLES) - {"anonymous", "citizen"}
STATION = "urn:ngsi-ld:AirQualityObserved:matrix-station"

API: dict[tuple[str, str], frozenset[str]] = {
    ("GET", "/ngsi-ld/v1/temporal/entities/{entity_id}"): GOVERNMENT,
}
WEB: dict[tuple[str, str], frozenset[str]] = {}


def targets(city: Any, entry_id: int) -> dict[str, Any]:
    """An air station of 生态环境局 (made once; later roles read the same one)."""
    services = city.services
    with services.db.transaction() as s:
        if s.get(OpsEntity, STATION) is None:
            s.add(
                OpsEntity(
                    id=STATION,
                    type="AirQualityObserved",
                    department_id=city.departments["sthjj"],
                    district="370102",
                    attrs={},
                )
            )
    return {"entity_id": STATION}


def api_request(method: str, path: str, targets: dict[str, Any]) -> dict[str, Any] | None:
    """The request a caller would send: the last reading of each attribute."""
    return {"method": method, "url": path.format(**targets), "params": {"lastN": "1"}}


def web_form(method: str, path: str, targets: dict[str, Any]) -> dict[str, Any] | None:
    """The form a user would post (none: the route is API only)."""
    return None
