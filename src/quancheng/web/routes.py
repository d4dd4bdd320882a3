"""The web pages' router, and the page that shows an error in the visitor's language."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response

from quancheng.api.deps import get_services, resolve_principal
from quancheng.errors import CsrfFailed, PlatformError
from quancheng.identity.roles import Principal
from quancheng.web import (
    account_pages,
    alarm_pages,
    application_pages,
    auth,
    catalog_pages,
    data_pages,
    harvest_pages,
    index_pages,
    interaction_pages,
    ledger_pages,
    lighting_pages,
    metrics_pages,
    ops_pages,
    portal_pages,
    sharing_pages,
    workspace,
)
from quancheng.web.i18n import N_, load_all
from quancheng.web.render import Web

if TYPE_CHECKING:
    from quancheng.app import Services

# A title and an explanation for each status a visitor may meet.
ERRORS: dict[int, tuple[str, str]] = {
    400: (N_("Bad request"), N_("The request could not be understood.")),
    401: (N_("Please log in"), N_("This page is for logged-in users. Log in to continue.")),
    403: (N_("Access denied"), N_("Your account may not see this page or take this action.")),
    404: (
        N_("Not found"),
        N_("The page or catalog entry does not exist, or it is not visible to you."),
    ),
    405: (N_("Not allowed"), N_("This address does not accept that kind of request.")),
    409: (N_("Not possible now"), N_("This step does not fit the entry's current state.")),
    422: (N_("Invalid input"), N_("Some of the values sent are not valid.")),
    429: (
        N_("Too many attempts"),
        N_("Too many attempts in a short time. Please wait a few minutes and try again."),
    ),
    500: (N_("Something went wrong"), N_("The platform could not complete the request.")),
}
CSRF_ERROR = (
    N_("The form has expired"),
    N_(
        "The form was not sent from this site or has expired. Go back, reload the page and try "
        "again."
    ),
)


def build_router(services: Services) -> APIRouter:
    """The web pages' routes (translations and templates are loaded now, to fail early)."""
    load_all()
    router = APIRouter()
    router.include_router(catalog_pages.router)
    router.include_router(data_pages.router)
    router.include_router(ledger_pages.router)
    router.include_router(workspace.router)
    router.include_router(sharing_pages.router)
    router.include_router(metrics_pages.router)
    router.include_router(portal_pages.router)
    router.include_router(interaction_pages.router)
    router.include_router(index_pages.router)
    router.include_router(harvest_pages.router)
    router.include_router(application_pages.router)
    router.include_router(ops_pages.router)
    router.include_router(alarm_pages.router)
    router.include_router(lighting_pages.router)
    router.include_router(account_pages.router)
    router.include_router(auth.router)
    return router


def error_page(request: Request, exc: PlatformError) -> Response:
    """An error as a page in the visitor's language; a GET that needs a login goes to it."""
    services = get_services(request)
    try:
        principal, csrf = resolve_principal(request)
    except PlatformError:
        principal, csrf = Principal.anonymous(public_catalog=services.settings.public_catalog), None
    web = Web(request, services, principal, csrf)
    if exc.status == 401 and request.method == "GET" and not web.is_htmx:
        return web.redirect("/login?" + urlencode({"next": web.here()}))
    if isinstance(exc, CsrfFailed):
        title, text = CSRF_ERROR
    else:
        title, text = ERRORS.get(exc.status, ERRORS[500 if exc.status >= 500 else 400])
    return web.page(
        "error.html",
        status=exc.status,
        error=exc,
        title=web.gettext(title),
        text=web.gettext(text),
        login_url="/login?" + urlencode({"next": web.here() if request.method == "GET" else "/"}),
    )
