"""Rows of the role × route matrix contributed by each feature, with their targets and bodies.

Each module in PARTS defines:
- `API` and `WEB`: {(method, route path): roles allowed} (role names as in tests/web_matrix.py);
- `targets(city, entry_id) -> dict`: the ids its route paths name ({entry_id} is a published
  open entry of 生态环境局, made fresh for each role);
- `api_request(method, path, targets) -> dict | None`: keyword arguments for
  `TestClient.request` (None: the generic request with no body);
- `web_form(method, path, targets) -> dict | None`: the form fields of a valid post (the
  CSRF token is added by the caller), or None for none.
"""

from __future__ import annotations

from importlib import import_module
from types import ModuleType
from typing import Any

PARTS = (
    "portal",
    "interaction",
    "usage",
    "harvest",
    "applications",
    "ngsi",
    "telemetry",
    "ops",
    "board",
    "ops_desk",
    "observability",
    "backup",
    "accounts",
)


def modules() -> list[ModuleType]:
    """The feature modules, in a stable order."""
    return [import_module(f"tests.matrix_parts.{name}") for name in PARTS]


def api_rows() -> dict[tuple[str, str], frozenset[str]]:
    """Every feature's API rows."""
    rows: dict[tuple[str, str], frozenset[str]] = {}
    for module in modules():
        rows |= module.API
    return rows


def web_rows() -> dict[tuple[str, str], frozenset[str]]:
    """Every feature's web rows."""
    rows: dict[tuple[str, str], frozenset[str]] = {}
    for module in modules():
        rows |= module.WEB
    return rows


def owner(method: str, path: str) -> ModuleType | None:
    """The feature module that lists the route, if any."""
    for module in modules():
        if (method, path) in module.API or (method, path) in module.WEB:
            return module
    return None


def targets(city: Any, method: str, path: str, entry_id: int) -> dict[str, Any]:
    """The ids the route's path names, made by its feature (none for other routes)."""
    module = owner(method, path)
    return {} if module is None else dict(module.targets(city, entry_id))
