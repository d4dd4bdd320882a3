"""Accounts in the browser: one's own password and API tokens, and an admin's user list."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter
from fastapi.responses import HTMLResponse
from starlette.responses import Response

from quancheng.api.deps import SESSION_COOKIE, client_address
from quancheng.errors import (
    FieldError,
    NotAuthenticated,
    NotFound,
    PlatformError,
    RateLimited,
    ValidationFailed,
)
from quancheng.identity.roles import ROLE_PERMISSIONS, Permission, Role
from quancheng.identity.service import DISPLAY_NAME_MAX, IssuedToken
from quancheng.web.i18n import N_
from quancheng.web.render import FLASHES, FormDep, Web, WebDep, form_problem, form_text

router = APIRouter(default_response_class=HTMLResponse, include_in_schema=False)

PAGE_SIZE = 50

FLASHES.update(
    {
        "password_changed": N_("Your password was changed. Your other sessions were ended."),
        "token_revoked": N_("The token was revoked."),
        "user_created": N_("The user was created."),
        "user_saved": N_("The user's changes were saved."),
        "user_enabled": N_("The user may log in again."),
        "user_disabled": N_("The user was disabled and logged out everywhere."),
        "user_password_reset": N_("The user's password was reset and their sessions ended."),
        "user_token_revoked": N_("The user's token was revoked."),
    }
)
FIELDS: dict[str, str] = {
    "current_password": N_("Current password"),
    "new_password": N_("New password"),
    "new_password2": N_("New password again"),
    "username": N_("User name"),
    "display_name": N_("Display name"),
    "password": N_("Password"),
    "role": N_("Role"),
    "department": N_("Department"),
    "name": N_("Token name"),
    "days": N_("Valid for (days)"),
    "permissions": N_("Permissions"),
}
MESSAGES: dict[str, str] = {
    "required": N_("This field is required."),
    "wrong": N_("This is not your current password."),
    "unchanged": N_("The new password must differ from the current one."),
    "too_short": N_("At least 8 characters."),
    "same_as_username": N_("The password must differ from the user name."),
    "too_common": N_("This password is among the most used. Choose another."),
    "mismatch": N_("The two passwords differ."),
    "reserved": N_("A display name must not name a department or the platform."),
    "duplicate": N_("This user name is taken."),
    "unknown": N_("There is no such department."),
    "forbidden": N_("Public users belong to no department."),
    "department_mismatch": N_(
        "Public users belong to no department and every other role to one: create a new "
        "account instead."
    ),
    "not_allowed": N_("Your role does not hold one of these permissions."),
    "out_of_range": N_("Enter a number of days from 1 to 3650."),
}
INVALID: dict[str, str] = {
    "username": N_("3 to 64 letters, digits, '.', '_' or '-'."),
    "display_name": N_("At most 100 printable characters."),
}
PERMISSIONS: dict[str, str] = {
    Permission.CATALOG_READ: N_("Read the catalog"),
    Permission.CATALOG_READ_DRAFTS: N_("Read drafts"),
    Permission.CATALOG_WRITE: N_("Edit catalog entries"),
    Permission.CATALOG_PUBLISH: N_("Publish catalog entries"),
    Permission.DEPARTMENT_MANAGE: N_("Manage departments"),
    Permission.USER_MANAGE: N_("Manage users"),
    Permission.TOKEN_MANAGE: N_("Manage tokens"),
    Permission.DATA_READ: N_("Read data"),
    Permission.DATA_WRITE: N_("Upload data"),
    Permission.SHARING_REQUEST: N_("Request shared data"),
    Permission.SHARING_DECIDE: N_("Decide sharing requests"),
}


PROBLEMS: dict[str, str] = {
    "rate_limited": N_("Too many failed attempts. Please wait a few minutes."),
}


def _problem(web: Web, exc: PlatformError) -> dict[str, Any]:
    return form_problem(web, exc, _field_message, PROBLEMS)


def _field_message(web: Web, error: FieldError) -> str:
    if error.code == "invalid" and error.field in INVALID:
        return web.gettext(INVALID[error.field])
    return web.gettext(MESSAGES.get(error.code, N_("This value is not valid.")))


def _label(web: Web, table: dict[str, str]) -> Any:
    def name(value: str) -> str:
        msgid = table.get(value)
        return web.gettext(msgid) if msgid else value

    return name


def _require_login(web: Web) -> None:
    if web.principal.user_id is None:
        raise NotAuthenticated("log in to see your account")


# -- one's own account -------------------------------------------------------------------


def _account_page(
    web: Web,
    *,
    status: int = 200,
    problem: dict[str, Any] | None = None,
    token_problem: dict[str, Any] | None = None,
    issued: IssuedToken | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    actor = web.principal
    identity = web.services.identity
    department = identity.get_department(actor.department_id) if actor.department_id else None
    tokens = identity.list_tokens(actor) if actor.can(Permission.TOKEN_MANAGE) else []
    own_permissions = sorted(p.value for p in ROLE_PERMISSIONS[actor.role]) if actor.role else []
    return web.page(
        "account.html",
        status=status,
        department=department,
        tokens=list(reversed(tokens)),
        permissions=own_permissions,
        permission_label=_label(web, PERMISSIONS),
        field_label=_label(web, FIELDS),
        problem=problem,
        token_problem=token_problem,
        issued=issued,
        values=values or {},
        token_days=web.settings.token_days,
    )


@router.get("/account")
def account(web: WebDep) -> Response:
    """Who I am, a form to change my password, and my API tokens."""
    _require_login(web)
    return _account_page(web)


@router.post("/account/password")
def change_password(web: WebDep, form: FormDep) -> Response:
    """Change my password: this browser stays logged in, my other sessions end."""
    _require_login(web)
    new = form_text(form, "new_password")
    try:
        if new != form_text(form, "new_password2"):
            raise ValidationFailed(
                "invalid password",
                errors=[FieldError("new_password2", "mismatch", "the two passwords differ")],
            )
        web.services.identity.change_own_password(
            web.principal,
            current=form_text(form, "current_password"),
            new=new,
            client=client_address(web.request),
            keep_session=web.request.cookies.get(SESSION_COOKIE),
        )
    except (ValidationFailed, RateLimited) as exc:
        return _account_page(web, status=exc.status, problem=_problem(web, exc))
    return web.redirect("/account", flash="password_changed")


@router.post("/account/tokens")
def create_token(web: WebDep, form: FormDep) -> Response:
    """Issue a token for an application; its secret is shown on this page, once."""
    _require_login(web)
    web.principal.require(Permission.TOKEN_MANAGE)
    name = form_text(form, "name").strip()
    days_text = form_text(form, "days").strip()
    values = {"name": name, "days": days_text}
    try:
        days = int(days_text) if days_text.isascii() and days_text.isdigit() else -1
        if not 1 <= days <= 3650:
            raise ValidationFailed(
                "invalid token", errors=[FieldError("days", "out_of_range", "1 to 3650")]
            )
        wanted = [str(p) for p in form.getlist("permissions")]
        issued = web.services.identity.issue_token(
            web.principal, name=name, permissions=wanted or None, days=days
        )
    except ValidationFailed as exc:
        return _account_page(
            web, status=exc.status, token_problem=_problem(web, exc), values=values
        )
    return _account_page(web, status=201, issued=issued)


@router.post("/account/tokens/{token_id}/revoke")
def revoke_token(web: WebDep, form: FormDep, token_id: int) -> Response:
    """Revoke one of my tokens at once."""
    _require_login(web)
    web.principal.require(Permission.TOKEN_MANAGE)
    web.services.identity.revoke_token(web.principal, token_id)
    return web.redirect("/account", flash="token_revoked")


# -- managing users ----------------------------------------------------------------------


def _grantable_roles(web: Web) -> list[str]:
    """Roles the actor may give: all for the platform, all but platform admin otherwise."""
    return [
        r.value
        for r in Role
        if web.principal.is_platform_admin
        or (r is not Role.PLATFORM_ADMIN and r is not Role.PUBLIC_USER)
    ]


def _users_page(
    web: Web,
    *,
    status: int = 200,
    problem: dict[str, Any] | None = None,
    values: dict[str, str] | None = None,
    failed_user: str = "",
) -> Response:
    actor = web.principal
    identity = web.services.identity
    # The answer to a form about one user shows that user, whose row holds the problem.
    text = failed_user or web.request.query_params.get("q", "").strip()[:100]
    department_key = web.request.query_params.get("department", "")
    page_text = web.request.query_params.get("page", "1")
    page = max(1, min(int(page_text), 10_000)) if page_text.isascii() and page_text.isdigit() else 1
    departments = [
        d
        for d in identity.list_departments()
        if actor.is_platform_admin or d.id == actor.department_id
    ]
    by_key = {d.key: d for d in departments}
    chosen = by_key.get(department_key)
    users, total = identity.find_users(
        actor,
        text=text,
        department=chosen.id if chosen else None,
        offset=(page - 1) * PAGE_SIZE,
        limit=PAGE_SIZE,
    )
    pages = max(1, (total + PAGE_SIZE - 1) // PAGE_SIZE)
    tokens = identity.tokens_of(actor, [u.username for u in users])

    def page_url(n: int) -> str:
        query = {"q": text, "department": department_key, "page": str(n)}
        return "/users?" + urlencode({k: v for k, v in query.items() if v})

    return web.page(
        "users.html",
        status=status,
        users=users,
        tokens=tokens,
        total=total,
        page=page,
        pages=pages,
        page_url=page_url,
        text=text,
        department_key=department_key,
        departments=departments,
        department_names={d.id: web.name_of(d) for d in identity.list_departments()},
        roles=_grantable_roles(web),
        field_label=_label(web, FIELDS),
        problem=problem,
        values=values or {},
        failed_user=failed_user,
    )


@router.get("/users")
def users(web: WebDep) -> Response:
    """The users I manage: find them, create one, change a role, disable, reset a password."""
    web.principal.require(Permission.USER_MANAGE)
    return _users_page(web)


@router.post("/users")
def create_user(web: WebDep, form: FormDep) -> Response:
    """Create a user in a department I manage (or a public user, for the platform)."""
    web.principal.require(Permission.USER_MANAGE)
    values = {
        k: form_text(form, k).strip() for k in ("username", "display_name", "role", "department")
    }
    try:
        errors: list[FieldError] = []
        if values["role"] not in set(Role):
            errors.append(FieldError("role", "required", "choose a role"))
        if len(values["display_name"]) > DISPLAY_NAME_MAX:
            errors.append(FieldError("display_name", "invalid", "too long"))
        if errors:
            raise ValidationFailed("invalid user", errors=errors)
        web.services.identity.create_user(
            web.principal,
            username=values["username"],
            password=form_text(form, "password"),
            role=Role(values["role"]),
            department=values["department"] or None,
            display_name=values["display_name"],
        )
    except ValidationFailed as exc:
        return _users_page(web, status=exc.status, problem=_problem(web, exc), values=values)
    return web.redirect("/users?" + urlencode({"q": values["username"]}), flash="user_created")


@router.post("/users/{username}")
def update_user(web: WebDep, form: FormDep, username: str) -> Response:
    """Save a user's role and display name, or enable or disable them."""
    web.principal.require(Permission.USER_MANAGE)
    action = form_text(form, "action")
    identity = web.services.identity
    back = "/users?" + urlencode({"q": username})
    try:
        if action in ("enable", "disable"):
            identity.update_user(web.principal, username, active=action == "enable")
            return web.redirect(back, flash=f"user_{action}d")
        role_text = form_text(form, "role")
        if role_text not in set(Role):
            raise ValidationFailed(
                "invalid user", errors=[FieldError("role", "required", "choose a role")]
            )
        identity.update_user(
            web.principal,
            username,
            role=Role(role_text),
            display_name=form_text(form, "display_name"),
        )
    except ValidationFailed as exc:
        return _users_page(web, status=exc.status, problem=_problem(web, exc), failed_user=username)
    return web.redirect(back, flash="user_saved")


@router.post("/users/{username}/password")
def reset_password(web: WebDep, form: FormDep, username: str) -> Response:
    """Give a user a new password (they then log in with it); their sessions end."""
    web.principal.require(Permission.USER_MANAGE)
    try:
        web.services.identity.set_password(
            username, form_text(form, "password"), actor=web.principal
        )
    except ValidationFailed as exc:
        problem = _problem(web, exc)
        # The service names the field "password" or the policy's own field: show it on ours.
        problem["fields"] = {"password": next(iter(problem["fields"].values()), "")}
        return _users_page(web, status=exc.status, problem=problem, failed_user=username)
    return web.redirect("/users?" + urlencode({"q": username}), flash="user_password_reset")


@router.post("/users/{username}/tokens/{token_id}/revoke")
def revoke_user_token(web: WebDep, form: FormDep, username: str, token_id: int) -> Response:
    """Revoke a token of a user I manage (a leaked key, an application retired)."""
    web.principal.require(Permission.USER_MANAGE)
    identity = web.services.identity
    owned = {t.id for t in identity.tokens_of(web.principal, [username]).get(username, [])}
    if token_id not in owned:
        raise NotFound(f"{username} has no live token {token_id} you manage")
    identity.revoke_token(web.principal, token_id)
    return web.redirect("/users?" + urlencode({"q": username}), flash="user_token_revoked")
