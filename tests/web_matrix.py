"""The web pages' rows of the role × route permission matrix (see test_permissions.py)."""

from __future__ import annotations

from tests import matrix_parts

ROLES = ("anonymous", "citizen", "gaj_user", "gaj_steward", "env_steward", "gaj_admin", "admin")
EVERYONE = frozenset(ROLES)
DRAFT_READERS = frozenset({"gaj_user", "gaj_steward", "env_steward", "gaj_admin", "admin"})
WRITERS = frozenset({"gaj_steward", "env_steward", "gaj_admin", "admin"})
OWNER_STEWARDS = frozenset({"env_steward", "admin"})  # the target entry belongs to 生态环境局
MEMBERS = EVERYONE - {"anonymous", "citizen"}  # departments and the platform authority

# (method, route path) -> roles allowed; anonymous visitors are otherwise sent to log in
# (a redirect or a 401 page), everyone else gets a 403 page.
WEB_MATRIX: dict[tuple[str, str], frozenset[str]] = {
    ("GET", "/"): EVERYONE,
    ("GET", "/catalog"): EVERYONE,
    ("GET", "/catalog/{entry_id}"): EVERYONE,
    ("GET", "/departments"): EVERYONE,
    ("GET", "/departments/{key}"): EVERYONE,
    ("GET", "/login"): EVERYONE,
    ("POST", "/login"): EVERYONE,
    ("POST", "/logout"): EVERYONE,
    ("GET", "/lang/{locale}"): EVERYONE,
    ("GET", "/workspace"): DRAFT_READERS,
    ("GET", "/workspace/new"): WRITERS,
    ("POST", "/workspace/new"): WRITERS,
    ("GET", "/workspace/{entry_id}/edit"): OWNER_STEWARDS,
    ("POST", "/workspace/{entry_id}/edit"): OWNER_STEWARDS,
    ("POST", "/workspace/{entry_id}/submit"): OWNER_STEWARDS,
    ("POST", "/workspace/{entry_id}/publish"): OWNER_STEWARDS,
    ("POST", "/workspace/{entry_id}/return"): OWNER_STEWARDS,
    ("POST", "/workspace/{entry_id}/offline"): OWNER_STEWARDS,
    ("GET", "/catalog/{entry_id}/data"): EVERYONE,
    ("POST", "/catalog/{entry_id}/data/upload"): OWNER_STEWARDS,
    ("GET", "/catalog/{entry_id}/data/jobs/{job_id}"): OWNER_STEWARDS,
    ("POST", "/catalog/{entry_id}/data/versions/{number}/activate"): OWNER_STEWARDS,
    ("GET", "/ledger"): EVERYONE,
    ("GET", "/ledger/entries/{index}"): EVERYONE,
    # The sharing workbench, on the targets of `sharing_targets` (tests/test_permissions.py):
    # 生态环境局's request pending at 公安局, 公安局's grant of 生态环境局's entry, its dispute.
    ("GET", "/sharing"): MEMBERS,
    ("GET", "/sharing/new"): MEMBERS,
    ("POST", "/sharing/new"): MEMBERS,
    ("POST", "/sharing/subscribe"): MEMBERS,
    ("GET", "/sharing/requests/{request_id}"): MEMBERS,
    ("POST", "/sharing/requests/{request_id}/act"): frozenset({"gaj_steward", "gaj_admin"}),
    ("GET", "/sharing/grants/{grant_id}"): MEMBERS,
    ("POST", "/sharing/grants/{grant_id}/revoke"): OWNER_STEWARDS,
    ("POST", "/sharing/grants/{grant_id}/dispute"): frozenset(
        {"gaj_user", "gaj_steward", "gaj_admin"}
    ),
    ("GET", "/sharing/disputes/{dispute_id}"): MEMBERS,
    ("POST", "/sharing/disputes/{dispute_id}/answer"): frozenset({"env_steward"}),
    ("GET", "/sharing/authority"): frozenset({"admin"}),
    # Governance scorecards are for government users (any department, the platform); their old
    # /metrics addresses redirect browsers here (tests/matrix_parts/observability.py).
    ("GET", "/governance"): MEMBERS,
    ("GET", "/governance/{key}"): MEMBERS,
    # Open data (DCAT-AP, Frictionless) is public: the target entry is open.
    ("GET", "/catalog.ttl"): EVERYONE,
    ("GET", "/catalog.jsonld"): EVERYONE,
    ("GET", "/catalog.rdf"): EVERYONE,
    ("GET", "/dataset/{entry_id:path}.ttl"): EVERYONE,
    ("GET", "/dataset/{entry_id:path}.jsonld"): EVERYONE,
    ("GET", "/dataset/{entry_id:path}.rdf"): EVERYONE,
    ("GET", "/dataset/{entry_id:path}/datapackage.json"): EVERYONE,
    # Each open data feature lists its own rows (tests/matrix_parts).
    **matrix_parts.web_rows(),
}
