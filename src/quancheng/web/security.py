"""CSRF tokens for forms, safe redirects and the security headers of every page."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping
from urllib.parse import urlsplit

from starlette.datastructures import MutableHeaders
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from quancheng.errors import CsrfFailed
from quancheng.settings import Settings

CSRF_FIELD = "csrf_token"
# Visitors who are not logged in have no server-side session to hold a token, so their forms
# use a double submit: a random cookie, and a field that only we can derive from it.
ANON_CSRF_COOKIE = "qc_csrf"

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
}


def anonymous_token(settings: Settings, cookie: str) -> str:
    """The form token that goes with an anonymous visitor's CSRF cookie."""
    key = settings.secret_key.get_secret_value().encode()
    return hmac.new(key, b"qc-csrf:" + cookie.encode(), hashlib.sha256).hexdigest()


def new_anonymous_cookie() -> str:
    """A fresh random value for the anonymous CSRF cookie."""
    return secrets.token_urlsafe(32)


def check_form_token(
    form: Mapping[str, object],
    *,
    session_token: str | None,
    anonymous_cookie: str | None,
    settings: Settings,
) -> None:
    """Raise CsrfFailed unless the form carries the session's token (or the visitor's)."""
    sent = form.get(CSRF_FIELD)
    if not isinstance(sent, str) or not sent:
        raise CsrfFailed("the form was sent without its security token")
    if session_token is not None:
        expected = session_token
    elif anonymous_cookie:
        expected = anonymous_token(settings, anonymous_cookie)
    else:
        raise CsrfFailed("the form's security token has no cookie to match")
    if not hmac.compare_digest(sent.encode(), expected.encode()):
        raise CsrfFailed("the form's security token is not valid")


def safe_next(value: str | None, default: str = "/") -> str:
    """A redirect target only if it is a path on this site (never //host or a scheme)."""
    if not value or not value.startswith("/") or value.startswith(("//", "/\\")):
        return default
    if any(c in value for c in "\\\r\n\t") or any(ord(c) < 32 for c in value):
        return default
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return default
    return value


def add_security_headers(response: Response) -> None:
    """Set the headers every HTML answer carries."""
    for name, value in SECURITY_HEADERS.items():
        response.headers[name] = value


# Answers that are not our pages (JSON, RDF, static files) load nothing and are never framed.
NON_PAGE_POLICY = "default-src 'none'; frame-ancestors 'none'"


class SecurityHeaders:
    """ASGI middleware: the security headers on every answer that has not set its own."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Add the missing headers to the response start of each HTTP request."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                html = headers.get("content-type", "").startswith("text/html")
                for name, value in SECURITY_HEADERS.items():
                    if name == "Content-Security-Policy" and not html:
                        # JSON, RDF, CSV and static files load nothing: the strictest policy.
                        value = NON_PAGE_POLICY
                    if name not in headers:
                        headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)
