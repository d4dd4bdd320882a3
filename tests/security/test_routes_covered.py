"""No route escapes the permission matrix: every endpoint, every mount, every method is listed."""

from __future__ import annotations

from fastapi.routing import APIRoute, APIWebSocketRoute, RouteContext, iter_route_contexts
from fastapi.testclient import TestClient
from starlette.routing import Mount, Route, WebSocketRoute

from tests.test_permissions import API_MATRIX, routes_of
from tests.web_matrix import WEB_MATRIX

# Mounted sub-applications are outside the matrix, so each one is named here with the reason it
# needs no permission. A new mount (an admin sub-app, say) fails the test until it is listed.
EXEMPT_MOUNTS = {
    # Our CSS, JavaScript, fonts and the map: the same files for everyone, nothing per city.
    "/static": "public static assets shipped in the package",
}


def _contexts(client: TestClient) -> list[RouteContext]:
    """Every route of the app, through included routers, as FastAPI resolves them."""
    return list(iter_route_contexts(client.app.routes))  # type: ignore[attr-defined]


def test_every_endpoint_has_a_row(client: TestClient) -> None:
    listed = set(API_MATRIX) | set(WEB_MATRIX)
    missing = sorted(routes_of(client) - listed)
    assert missing == [], f"routes without a permission row: {missing}"


def test_every_mount_is_an_explicit_exemption(client: TestClient) -> None:
    mounts = {c.path for c in _contexts(client) if isinstance(c.original_route, Mount)}
    assert mounts == set(EXEMPT_MOUNTS), "list the mount and why it needs no permission"


def test_no_route_kind_escapes_the_enumeration(client: TestClient) -> None:
    # `routes_of` knows HTTP routes and mounts; a websocket or a raw route would slip by.
    for context in _contexts(client):
        route = context.original_route
        assert not isinstance(route, WebSocketRoute | APIWebSocketRoute), context.path
        # NGSI-LD routes subclass APIRoute; anything else is a kind the matrix cannot see.
        assert isinstance(route, APIRoute | Route | Mount), (context.path, type(route))


def test_every_method_of_a_route_is_listed(client: TestClient) -> None:
    # A route that also answers PUT or DELETE must have a row for each, not only for GET.
    listed = set(API_MATRIX) | set(WEB_MATRIX)
    for context in _contexts(client):
        if isinstance(context.original_route, Mount):
            continue
        assert context.methods, f"{context.path} answers no declared method"
        for method in set(context.methods) - {"HEAD"}:
            assert (method, context.path) in listed, (method, context.path)
