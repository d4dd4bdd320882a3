"""The request's view of the site: who asks, in which language, and how pages are answered."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Annotated, Any, TypeVar
from urllib.parse import urlencode, urlsplit

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.responses import HTMLResponse, RedirectResponse, Response

from quancheng import __version__
from quancheng.api.deps import get_services, resolve_principal
from quancheng.errors import FieldError, PlatformError, ValidationFailed
from quancheng.identity.roles import Permission, Principal
from quancheng.web import labels
from quancheng.web.i18n import LANG_COOKIE, LOCALES, N_, environment, pick_locale, translations
from quancheng.web.security import (
    ANON_CSRF_COOKIE,
    CSRF_FIELD,
    add_security_headers,
    anonymous_token,
    check_form_token,
    new_anonymous_cookie,
    safe_next,
)

if TYPE_CHECKING:
    from quancheng.app import Services

R = TypeVar("R", bound=Response)
FLASH_COOKIE = "qc_flash"
# Flash messages travel as keys, never as text, so a cookie cannot put words on our pages.
FLASHES: dict[str, str] = {
    "created": N_("The draft was saved."),
    "saved": N_("Your changes were saved."),
    "submitted": N_("The entry was submitted for review."),
    "published": N_("The entry was published."),
    "returned": N_("The entry was returned to draft."),
    "offline": N_("The entry was taken offline."),
    "rolled_back": N_("The chosen data version is current again."),
    "logged_in": N_("You are logged in."),
    "logged_out": N_("You are logged out."),
    # The sharing workbench.
    "sharing_draft": N_("The request was saved as a draft."),
    "sharing_submit": N_("The request was submitted."),
    "sharing_pass": N_("The request passed the compliance check."),
    "sharing_return": N_("The request was returned for correction."),
    "sharing_approve": N_("The request was approved; the grant is active."),
    "sharing_partial": N_("Some items were approved; the grant is active."),
    "sharing_reject": N_("The request was refused."),
    "sharing_negotiate": N_("Negotiation was requested."),
    "sharing_coordinate": N_("The case went to the authority for coordination."),
    "sharing_withdraw": N_("The request was withdrawn."),
    "sharing_subscribed": N_("You are subscribed; the grant is active."),
    "sharing_revoked": N_("The grant was revoked."),
    "sharing_disputed": N_("The dispute was raised."),
    "sharing_answered": N_("The dispute was answered."),
}


class Web:
    """One request's page context: principal, locale, CSRF token, and page answers."""

    def __init__(
        self,
        request: Request,
        services: Services,
        principal: Principal,
        session_csrf: str | None,
    ) -> None:
        self.request = request
        self.services = services
        self.settings = services.settings
        self.principal = principal
        self.session_csrf = session_csrf
        self.locale = pick_locale(request.cookies.get(LANG_COOKIE), self.settings.default_locale)
        self._translations = translations(self.locale)
        self._new_anon_cookie: str | None = None

    @property
    def is_htmx(self) -> bool:
        """Whether htmx asked for a fragment (not a history restore, which needs the page)."""
        headers = self.request.headers
        return headers.get("hx-request") == "true" and not headers.get("hx-history-restore-request")

    @property
    def english(self) -> bool:
        """Whether the page is in English (names then prefer their English form)."""
        return self.locale == "en"

    def gettext(self, message: str) -> str:
        """A message in the page's language."""
        return self._translations.gettext(message)

    def csrf_token(self) -> str:
        """The token that every POST form of this page carries."""
        if self.session_csrf is not None:
            return self.session_csrf
        cookie = self.request.cookies.get(ANON_CSRF_COOKIE)
        if not cookie:
            cookie = self._new_anon_cookie = self._new_anon_cookie or new_anonymous_cookie()
        return anonymous_token(self.settings, cookie)

    def here(self) -> str:
        """The current path and query, for `next` links."""
        query = self.request.url.query
        return self.request.url.path + (f"?{query}" if query else "")

    def page_address(self) -> str:
        """Where a link back to "this page" (the language switch) leads: the current page, or,
        for the answer to a form (a POST address that GET refuses), the page the form was on."""
        if self.request.method in ("GET", "HEAD"):
            return self.here()
        referer = urlsplit(self.request.headers.get("referer", ""))
        if referer.netloc != self.request.url.netloc:
            return "/"
        return safe_next(referer.path + (f"?{referer.query}" if referer.query else ""))

    def value_label(self, field: str, value: str | None) -> str:
        """A vocabulary value in the page's language (the raw value if unknown)."""
        if not value:
            return "—"
        msgid = labels.VALUES.get(field, {}).get(value)
        return self.gettext(msgid) if msgid else value

    def name_of(self, obj: Any) -> str:
        """An object's name in the page's language, falling back to Chinese."""
        return self.localized(str(obj.name), getattr(obj, "name_en", None))

    def localized(self, name: str, name_en: str | None) -> str:
        """A name given in both languages, in the page's; the Chinese one if no English."""
        return name_en if self.english and name_en else name

    def base_context(self) -> dict[str, Any]:
        """What the layout needs on every page."""
        p = self.principal
        city = self.settings.city_name_en if self.english else self.settings.city_name
        return {
            "web": self,
            "principal": p,
            "locale": self.locale,
            "locales": LOCALES,
            "html_lang": "zh-CN" if self.locale == "zh_CN" else "en",
            "city": city,
            "demo_mode": self.settings.demo_mode,
            "csrf_field": CSRF_FIELD,
            "csrf_token": self.csrf_token(),
            "here": self.page_address(),
            "path": self.request.url.path,
            "can_workspace": p.can(Permission.CATALOG_READ_DRAFTS),
            "can_write": p.can(Permission.CATALOG_WRITE),
            "asset": asset,
            "labels": labels,
            "urlencode": urlencode,
            "flash": None,
        }

    def render(self, template: str, context: dict[str, Any]) -> str:
        """A template rendered in the page's language."""
        return (
            environment(self.locale)
            .get_template(template)
            .render({**self.base_context(), **context})
        )

    def page(self, template: str, *, status: int = 200, **context: Any) -> HTMLResponse:
        """A full page, with the flash message (consumed) and the security headers."""
        flash_key = self.request.cookies.get(FLASH_COOKIE)
        flash = FLASHES.get(flash_key or "")
        if flash:
            context["flash"] = self.gettext(flash)
        response = HTMLResponse(self.render(template, context), status_code=status)
        if flash_key:
            response.delete_cookie(FLASH_COOKIE, path="/")
        return self.finish(response)

    def fragment(self, template: str, *, status: int = 200, **context: Any) -> HTMLResponse:
        """A piece of a page for htmx to swap in."""
        response = HTMLResponse(self.render(template, context), status_code=status)
        return self.finish(response)

    def redirect(self, url: str, *, flash: str | None = None) -> RedirectResponse:
        """303 See Other to a local URL, optionally with a flash message for the next page."""
        response = RedirectResponse(url, status_code=303)
        if flash is not None:
            self.set_cookie(response, FLASH_COOKIE, flash, max_age=60)
        return self.finish(response)

    def finish(self, response: R) -> R:
        """Security headers, and the anonymous CSRF cookie if this page created one."""
        response.headers["Vary"] = "Cookie, HX-Request"
        response.headers.setdefault("Cache-Control", "no-store")
        if self._new_anon_cookie:
            self.set_cookie(response, ANON_CSRF_COOKIE, self._new_anon_cookie, max_age=None)
        add_security_headers(response)
        return response

    def set_cookie(self, response: Response, name: str, value: str, *, max_age: int | None) -> None:
        """A cookie that scripts cannot read, sent on same-site requests and top-level links."""
        response.set_cookie(
            name,
            value,
            max_age=max_age,
            path="/",
            httponly=True,
            samesite="lax",
            secure=self.settings.secure_cookies,
        )


def asset(path: str) -> str:
    """URL of one of our static files, versioned so browsers drop stale copies on upgrade."""
    return f"/static/{path}?v={__version__}"


def web_context(request: Request) -> Web:
    """The page context of a request (principal resolved once and cached on the request)."""
    principal, csrf = resolve_principal(request)
    return Web(request, get_services(request), principal, csrf)


async def checked_form(request: Request) -> FormData:
    """The posted form, once its CSRF token has been checked."""
    form = await request.form()
    _, session_csrf = await run_in_threadpool(resolve_principal, request)
    check_form_token(
        form,
        session_token=session_csrf,
        anonymous_cookie=request.cookies.get(ANON_CSRF_COOKIE),
        settings=get_services(request).settings,
    )
    return form


def form_text(form: FormData, name: str) -> str:
    """A posted text field as sent ("" when absent or a file)."""
    value = form.get(name)
    return value if isinstance(value, str) else ""


def form_problem(
    web: Web,
    exc: PlatformError,
    field_message: Callable[[Web, FieldError], str],
    problems: Mapping[str, str],
) -> dict[str, Any]:
    """A refused form's message and its fields' messages, in the page's language: each field's
    by `field_message`, the form's by the error's code in `problems` (msgids)."""
    fields: dict[str, str] = {}
    if isinstance(exc, ValidationFailed):
        for error in exc.errors:
            fields.setdefault(error.field, field_message(web, error))
        message = N_("Please correct the marked fields.")
    else:
        message = problems.get(exc.code, N_("The form could not be sent."))
    return {"title": web.gettext(N_("Not sent")), "message": web.gettext(message), "fields": fields}


WebDep = Annotated[Web, Depends(web_context)]
FormDep = Annotated[FormData, Depends(checked_form)]
