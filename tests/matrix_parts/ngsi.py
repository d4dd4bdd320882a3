"""Permission matrix rows of the NGSI-LD API (see tests/matrix_parts/__init__.py).

The target entity is a streetlight owned by 公安局 (the stand-in owner of lamps); the target
subscription is 公安局's, made by its steward. Government users read every entity; writes need
data:write for the entity's department; a subscription is seen by its department.
"""

from __future__ import annotations

import uuid
from typing import Any

ROLES = ("anonymous", "citizen", "gaj_user", "gaj_steward", "env_steward", "gaj_admin", "admin")
EVERYONE = frozenset(ROLES)
MEMBERS = frozenset({"gaj_user", "gaj_steward", "env_steward", "gaj_admin", "admin"})
GAJ_MEMBERS = frozenset({"gaj_user", "gaj_steward", "gaj_admin", "admin"})
GAJ_WRITERS = frozenset({"gaj_steward", "gaj_admin", "admin"})
V1 = "/ngsi-ld/v1"

API: dict[tuple[str, str], frozenset[str]] = {
    ("GET", f"{V1}/contexts/{{name}}"): EVERYONE,
    # New entities go to 公安局 (?department=gaj): only its writers and the platform may.
    ("POST", f"{V1}/entities"): GAJ_WRITERS,
    ("GET", f"{V1}/entities"): MEMBERS,
    ("GET", f"{V1}/entities/{{entity_id}}"): MEMBERS,
    ("PATCH", f"{V1}/entities/{{entity_id}}"): GAJ_WRITERS,
    ("PATCH", f"{V1}/entities/{{entity_id}}/attrs"): GAJ_WRITERS,
    ("DELETE", f"{V1}/entities/{{entity_id}}"): GAJ_WRITERS,
    ("POST", f"{V1}/entityOperations/upsert"): GAJ_WRITERS,
    ("POST", f"{V1}/subscriptions"): MEMBERS,
    ("GET", f"{V1}/subscriptions"): MEMBERS,
    ("GET", f"{V1}/subscriptions/{{subscription_id}}"): GAJ_MEMBERS,
    ("DELETE", f"{V1}/subscriptions/{{subscription_id}}"): GAJ_WRITERS,
}
WEB: dict[tuple[str, str], frozenset[str]] = {}


def lamp(local: str) -> dict[str, Any]:
    """A valid streetlight near 泉城广场."""
    return {
        "id": f"urn:ngsi-ld:Streetlight:{local}",
        "type": "Streetlight",
        "location": {
            "type": "GeoProperty",
            "value": {"type": "Point", "coordinates": [117.02, 36.66]},
        },
        "powerState": {"type": "Property", "value": "on"},
        "illuminanceLevel": {"type": "Property", "value": 0.7},
    }


def subscription() -> dict[str, Any]:
    """A valid subscription (to spring levels, which the matrix never writes)."""
    return {
        "type": "Subscription",
        "entities": [{"type": "WaterObserved"}],
        "watchedAttributes": ["height"],
        "notification": {"endpoint": {"uri": "http://127.0.0.1:9/notify"}},
    }


def targets(city: Any, entry_id: int) -> dict[str, Any]:
    """A 公安局 streetlight, a fresh id for a new one, and 公安局's subscription."""
    local = uuid.uuid4().hex[:12]
    steward = city.principals["gaj_steward"]
    entities = city.services.entities
    entities.create(steward, lamp(f"matrix-{local}"))
    sub = entities.subscriptions.create(steward, subscription())
    return {
        "entity_id": f"urn:ngsi-ld:Streetlight:matrix-{local}",
        "new_local": f"new-{local}",
        "subscription_id": sub["id"],
        "name": "quancheng-context.jsonld",
    }


def api_request(method: str, path: str, targets: dict[str, Any]) -> dict[str, Any] | None:
    """The request a caller would send."""
    url = path.format(**targets)
    body: Any = None
    params: dict[str, str] = {}
    if path == f"{V1}/entities" and method == "POST":
        body, params = lamp(targets["new_local"]), {"department": "gaj"}
    elif path == f"{V1}/entityOperations/upsert":
        existing = lamp(targets["entity_id"].rsplit(":", 1)[-1])
        body, params = [existing, lamp(targets["new_local"])], {"department": "gaj"}
    elif method == "PATCH":
        body = {"powerState": {"type": "Property", "value": "off"}}
    elif path == f"{V1}/subscriptions" and method == "POST":
        body = subscription()
    elif path == f"{V1}/entities" and method == "GET":
        params = {"type": "Streetlight", "q": 'powerState=="on"'}
    request: dict[str, Any] = {"method": method, "url": url, "params": params}
    if body is not None:
        request["json"] = body
    return request


def web_form(method: str, path: str, targets: dict[str, Any]) -> dict[str, Any] | None:
    """No web pages."""
    return None
