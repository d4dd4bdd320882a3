"""Request dependencies shared by API and web routes: services and the acting principal."""

from __future__ import annotations

import hmac
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, Request

from quancheng.errors import CsrfFailed, NotAuthenticated
from quancheng.identity.roles import Principal

if TYPE_CHECKING:
    from quancheng.app import Services

SESSION_COOKIE = "qc_session"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def get_services(request: Request) -> Services:
    """The services built by create_app."""
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated["Services", Depends(get_services)]


def client_address(request: Request) -> str:
    """The caller's address as login rate limits count it."""
    return request.client.host if request.client else "unknown"


def resolve_principal(request: Request) -> tuple[Principal, str | None]:
    """Who is calling (token, then session cookie, else anonymous) and the session's CSRF token.

    Cached on the request so the API, the web pages and the error pages agree.
    """
    cached: tuple[Principal, str | None] | None = getattr(request.state, "principal", None)
    if cached is not None:
        return cached
    services = get_services(request)
    result: tuple[Principal, str | None]
    auth = request.headers.get("authorization", "")
    if auth:
        scheme, _, token = auth.partition(" ")
        principal = (
            services.identity.resolve_token(token.strip()) if scheme.lower() == "bearer" else None
        )
        if principal is None:
            raise NotAuthenticated("the API token is invalid, expired or revoked")
        result = (principal, None)
    else:
        secret = request.cookies.get(SESSION_COOKIE)
        session = services.identity.resolve_session(secret) if secret else None
        result = (
            session
            if session is not None
            else (Principal.anonymous(public_catalog=services.settings.public_catalog), None)
        )
    request.state.principal = result
    return result


def api_principal(request: Request) -> Principal:
    """The caller of an API route; cookie sessions must send the CSRF header on writes."""
    principal, csrf = resolve_principal(request)
    if (
        csrf is not None
        and request.method not in SAFE_METHODS
        and not hmac.compare_digest(request.headers.get(CSRF_HEADER, ""), csrf)
    ):
        raise CsrfFailed("send the session's CSRF token in the X-CSRF-Token header")
    return principal


PrincipalDep = Annotated[Principal, Depends(api_principal)]
