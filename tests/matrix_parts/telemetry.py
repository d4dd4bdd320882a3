"""Permission matrix rows of the telemetry history (see tests/matrix_parts/__init__.py).

The target is an air station of 生态环境局; any government user may read its history.
"""

from __future__ import annotations

from typing import Any

from quancheng.db.models import OpsEntity

ROLES = ("anonymous", "citizen", "gaj_user", "gaj_steward", "env_steward", "gaj_admin", "admin")
GOVERNMENT = frozenset(ROLES) - {"anonymous", "citizen"}
STATION = "urn:ngsi-ld:AirQualityObserved:matrix-station"

# Device batches: only the station's owner (生态环境局) and the platform may write its
# readings; a batch naming an entity the caller may not write is refused whole.
OWNERS = frozenset({"env_steward", "admin"})
API: dict[tuple[str, str], frozenset[str]] = {
    ("GET", "/ngsi-ld/v1/temporal/entities/{entity_id}"): GOVERNMENT,
    ("POST", "/api/v1/ops/telemetry"): OWNERS,
    ("GET", "/api/v1/ops/telemetry/stats"): GOVERNMENT,
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
    """The request a caller would send: a reading, or the last reading of each attribute."""
    url = path.format(**targets)
    if path == "/api/v1/ops/telemetry":
        message = {"id": targets["entity_id"], "attrs": {"pm25": 35.0}}
        return {"method": method, "url": url, "json": [message]}
    if path.startswith("/api/v1/ops/telemetry"):
        return {"method": method, "url": url}
    return {"method": method, "url": url, "params": {"lastN": "1"}}


def web_form(method: str, path: str, targets: dict[str, Any]) -> dict[str, Any] | None:
    """The form a user would post (none: the route is API only)."""
    return None
