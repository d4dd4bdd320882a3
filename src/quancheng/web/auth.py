"""Logging in and out of the web pages, and choosing the language."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse
from starlette.responses import Response

from quancheng.api.deps import SESSION_COOKIE, client_address
from quancheng.errors import NotAuthenticated, NotFound, RateLimited
from quancheng.identity.roles import Permission
from quancheng.web.i18n import LANG_COOKIE, LOCALES, N_
from quancheng.web.render import FormDep, Web, WebDep
from quancheng.web.security import safe_next

router = APIRouter(default_response_class=HTMLResponse, include_in_schema=False)

LANG_MAX_AGE = 365 * 24 * 3600


def _login_page(
    web: Web, *, next_url: str, username: str = "", error: str | None = None, status: int = 200
) -> Response:
    return web.page(
        "login.html",
        status=status,
        next_url=next_url,
        username=username,
        error=web.gettext(error) if error else None,
    )


@router.get("/login")
def login_form(web: WebDep, next: str = "") -> Response:
    """The login form."""
    return _login_page(web, next_url=safe_next(next, ""))


@router.post("/login")
def login(web: WebDep, form: FormDep) -> Response:
    """Check the password, open a session and go where the visitor was going (if local)."""
    username = str(form.get("username") or "").strip()
    password = str(form.get("password") or "")
    next_url = safe_next(str(form.get("next") or ""), "")
    client = client_address(web.request)
    identity = web.services.identity
    try:
        user = identity.authenticate(username, password, client=client)
    except RateLimited:
        error = N_("Too many failed logins. Please wait a few minutes and try again.")
        return _login_page(web, next_url=next_url, username=username, error=error, status=429)
    except NotAuthenticated:
        error = N_("Wrong user name or password.")
        return _login_page(web, next_url=next_url, username=username, error=error, status=401)
    old = web.request.cookies.get(SESSION_COOKIE)
    if old:
        identity.end_session(old)
    secret, _ = identity.start_session(user)
    principal = identity.principal_for(user)
    default = "/workspace" if principal.can(Permission.CATALOG_READ_DRAFTS) else "/"
    response = web.redirect(next_url or default, flash="logged_in")
    web.set_cookie(response, SESSION_COOKIE, secret, max_age=web.settings.session_hours * 3600)
    return response


@router.post("/logout")
def logout(web: WebDep, form: FormDep) -> Response:
    """End the session."""
    secret = web.request.cookies.get(SESSION_COOKIE)
    if secret:
        web.services.identity.end_session(secret)
    response = web.redirect("/", flash="logged_out")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/lang/{locale}")
def choose_language(locale: str, web: WebDep, next: str = "") -> Response:
    """Remember the visitor's language and go back to the page they were on."""
    if locale not in LOCALES:
        raise NotFound(f"no language {locale}", details={"locale": locale})
    response = web.redirect(safe_next(next, "/"))
    web.set_cookie(response, LANG_COOKIE, locale, max_age=LANG_MAX_AGE)
    return response
