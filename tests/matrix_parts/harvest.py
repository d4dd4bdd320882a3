"""Permission matrix rows of this feature (see tests/matrix_parts/__init__.py).

Harvesting: the platform authority manages every source; a department's admins and stewards
manage their own department's; everyone else is refused.
"""

from __future__ import annotations

from typing import Any

from quancheng.db.models import HarvestRun, HarvestSource, utcnow

# Those who may publish some department's catalog (and so list their own sources).
MANAGERS = frozenset({"gaj_steward", "gaj_admin", "env_steward", "admin"})
# The targets belong to 生态环境局.
ENV = frozenset({"env_steward", "admin"})
# Nothing listens on port 1: a run fails at once, without any network beyond this machine.
DEAD_URL = "http://127.0.0.1:1/catalog.ttl"

P = "/api/v1/harvest"
API: dict[tuple[str, str], frozenset[str]] = {
    ("GET", f"{P}/sources"): MANAGERS,
    ("POST", f"{P}/sources"): ENV,
    ("GET", f"{P}/sources/{{source_id}}"): ENV,
    ("PATCH", f"{P}/sources/{{source_id}}"): ENV,
    ("DELETE", f"{P}/sources/{{source_id}}"): ENV,
    ("POST", f"{P}/sources/{{source_id}}/run"): ENV,
    ("GET", f"{P}/sources/{{source_id}}/runs"): ENV,
    ("GET", f"{P}/runs/{{run_id}}"): ENV,
}
WEB: dict[tuple[str, str], frozenset[str]] = {
    ("GET", "/harvest"): MANAGERS,
    ("POST", "/harvest/sources"): ENV,
    ("POST", "/harvest/sources/{source_id}/run"): ENV,
    ("GET", "/harvest/runs/{run_id}"): ENV,
}


def targets(city: Any, entry_id: int) -> dict[str, Any]:
    """A DCAT source of 生态环境局 and one finished run of it."""
    with city.services.db.transaction() as s:
        source = HarvestSource(
            name="矩阵测试来源",
            kind="dcat",
            url=DEAD_URL,
            department_id=city.departments["sthjj"],
            interval_hours=24,
            enabled=True,
            options={},
        )
        s.add(source)
        s.flush()
        run = HarvestRun(
            source_id=source.id,
            state="succeeded",
            started_at=utcnow(),
            finished_at=utcnow(),
            report=[{"remote_id": "r1", "title": "远程数据集", "action": "unchanged"}],
        )
        s.add(run)
        s.flush()
        return {"source_id": source.id, "run_id": run.id}


def _source_body() -> dict[str, Any]:
    return {"department": "sthjj", "kind": "dcat", "url": DEAD_URL, "name": "新来源"}


def api_request(method: str, path: str, targets: dict[str, Any]) -> dict[str, Any] | None:
    """The request a caller would send (None: no body)."""
    url = path.format(**targets)
    if method == "POST" and path.endswith("/sources"):
        return {"method": method, "url": url, "json": _source_body()}
    if method == "PATCH":
        return {"method": method, "url": url, "json": {"enabled": False, "interval_hours": 12}}
    return None


def web_form(method: str, path: str, targets: dict[str, Any]) -> dict[str, Any] | None:
    """The form a user would post (None: none)."""
    if path == "/harvest/sources":
        return {**_source_body(), "interval_hours": "24"}
    return None
