"""Permission matrix rows of conditional open data (see tests/matrix_parts/__init__.py).

The target application is the citizen's, pending at 公安局, for 公安局's entry open on
conditions; the target entry of the web form routes is 生态环境局's open entry.
"""

from __future__ import annotations

from typing import Any

from quancheng.opendata.applications import AGREEMENT_HASH
from tests.support.city import entry_fields

ROLES = ("anonymous", "citizen", "gaj_user", "gaj_steward", "env_steward", "gaj_admin", "admin")
EVERYONE = frozenset(ROLES)
LOGGED_IN = EVERYONE - {"anonymous"}
APPLICANT = frozenset({"citizen"})
DECIDERS = frozenset({"gaj_steward", "gaj_admin", "admin"})
PARTIES = APPLICANT | DECIDERS

API: dict[tuple[str, str], frozenset[str]] = {
    ("GET", "/api/v1/portal/agreement"): EVERYONE,
    ("POST", "/api/v1/portal/applications"): APPLICANT,
    ("GET", "/api/v1/portal/applications"): LOGGED_IN,
    ("GET", "/api/v1/portal/applications/{application_id}"): PARTIES,
    ("POST", "/api/v1/portal/applications/{application_id}/decision"): DECIDERS,
    ("POST", "/api/v1/portal/applications/{application_id}/withdraw"): APPLICANT,
    ("POST", "/api/v1/portal/applications/{application_id}/tokens"): APPLICANT,
}
WEB: dict[tuple[str, str], frozenset[str]] = {
    ("GET", "/open/datasets/{entry_id}/apply"): LOGGED_IN,
    ("POST", "/open/datasets/{entry_id}/apply"): APPLICANT,
    ("GET", "/open/applications"): LOGGED_IN,
    ("GET", "/open/applications/{application_id}"): PARTIES,
    ("POST", "/open/applications/{application_id}/decide"): DECIDERS,
    ("POST", "/open/applications/{application_id}/withdraw"): APPLICANT,
    ("POST", "/open/applications/{application_id}/tokens"): APPLICANT,
}


def targets(city: Any, entry_id: int) -> dict[str, Any]:
    """A 公安局 entry open on conditions and the citizen's pending application for it."""
    services = city.services
    steward = city.principals["gaj_steward"]
    fields = entry_fields(
        name="企业信用评价",
        open_type="conditional",
        open_conditions="用于学术研究",
    )
    entry = services.catalog.create(steward, department="gaj", fields=fields)
    services.catalog.submit(steward, entry.id)
    services.catalog.publish(steward, entry.id)
    app = services.applications.apply(
        city.principals["citizen"],
        dataset_id=entry.id,
        purpose="研究",
        agreement_sha256=AGREEMENT_HASH,
    )
    return {"application_id": app.id, "conditional_id": entry.id}


def api_request(method: str, path: str, targets: dict[str, Any]) -> dict[str, Any] | None:
    """The request a caller would send."""
    url = path.format(**targets)
    tail = path.rsplit("/", 1)[-1]
    body: Any = None
    if path.endswith("/portal/applications") and method == "POST":
        body = {
            "dataset_id": targets["conditional_id"],
            "purpose": "研究",
            "agreement_sha256": AGREEMENT_HASH,
        }
    elif tail == "decision":
        body = {"decision": "reject", "reason": "矩阵测试"}
    elif tail == "tokens":
        body = {"name": "矩阵"}
    return {"method": method, "url": url, "json": body}


def web_form(method: str, path: str, targets: dict[str, Any]) -> dict[str, Any] | None:
    """The form a user would post."""
    tail = path.rsplit("/", 1)[-1]
    if tail == "apply":
        return {"purpose": "研究", "accept": "yes", "agreement_sha256": AGREEMENT_HASH}
    if tail == "decide":
        return {"decision": "reject", "reason": "矩阵测试"}
    return None
