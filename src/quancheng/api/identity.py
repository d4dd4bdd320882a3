"""API routes of identity: the caller, users and API tokens."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request, Response

from quancheng.api.deps import SESSION_COOKIE, PrincipalDep, ServicesDep, client_address
from quancheng.api.schemas import (
    API_ERRORS,
    Me,
    PasswordChange,
    PasswordReset,
    TokenCreate,
    TokenIssued,
    TokenPublic,
    UserCreate,
    UserPublic,
    UserUpdate,
)
from quancheng.errors import FieldError, NotAuthenticated, ValidationFailed
from quancheng.identity.roles import Permission, Role

router = APIRouter(tags=["identity"], responses=API_ERRORS)


@router.get("/me", response_model=Me)
def me(actor: PrincipalDep) -> Me:
    """Who the token or session belongs to and what it may do."""
    if not actor.is_authenticated:
        raise NotAuthenticated("log in or present an API token")
    return Me(
        username=actor.username,
        role=actor.role.value if actor.role else None,
        department_id=actor.department_id,
        permissions=sorted(p.value for p in actor.permissions),
    )


@router.get("/users", response_model=list[UserPublic])
def list_users(
    services: ServicesDep,
    actor: PrincipalDep,
    response: Response,
    q: str = Query("", max_length=100, description="Part of the user or display name."),
    department: str | None = Query(None, description="A department's key, id or name."),
    limit: int = Query(1000, ge=1, le=1000),
    offset: int = Query(0, ge=0),
) -> list[UserPublic]:
    """Users the caller manages: their department's (every user for the platform authority),
    by user name; the X-Total-Count header counts all that match."""
    actor.require(Permission.USER_MANAGE)
    dept_id = services.identity.get_department(department).id if department else None
    users, total = services.identity.find_users(
        actor, text=q, department=dept_id, offset=offset, limit=limit
    )
    response.headers["X-Total-Count"] = str(total)
    return [UserPublic.of(u) for u in users]


@router.post("/users", response_model=UserPublic, status_code=201)
def create_user(body: UserCreate, services: ServicesDep, actor: PrincipalDep) -> UserPublic:
    """Create a user (platform authority, or a department admin in their department)."""
    actor.require(Permission.USER_MANAGE)
    if body.role not in set(Role):
        raise ValidationFailed(
            "invalid user",
            errors=[FieldError("role", "invalid_choice", ", ".join(r.value for r in Role))],
        )
    user = services.identity.create_user(
        actor,
        username=body.username,
        password=body.password,
        role=Role(body.role),
        department=body.department,
        display_name=body.display_name,
    )
    return UserPublic.of(user)


@router.post("/me/password", status_code=204)
def change_my_password(
    body: PasswordChange, request: Request, services: ServicesDep, actor: PrincipalDep
) -> Response:
    """Change the caller's password; their other sessions end, this one stays."""
    services.identity.change_own_password(
        actor,
        current=body.current_password,
        new=body.new_password,
        client=client_address(request),
        keep_session=request.cookies.get(SESSION_COOKIE),
    )
    return Response(status_code=204)


@router.patch("/users/{username}", response_model=UserPublic)
def update_user(
    username: str, body: UserUpdate, services: ServicesDep, actor: PrincipalDep
) -> UserPublic:
    """Change a user's role, display name, or whether they may log in."""
    actor.require(Permission.USER_MANAGE)
    role = None
    if body.role is not None:
        if body.role not in set(Role):
            raise ValidationFailed(
                "invalid user",
                errors=[FieldError("role", "invalid_choice", ", ".join(r.value for r in Role))],
            )
        role = Role(body.role)
    user = services.identity.update_user(
        actor, username, role=role, active=body.is_active, display_name=body.display_name
    )
    return UserPublic.of(user)


@router.put("/users/{username}/password", status_code=204)
def reset_password(
    username: str, body: PasswordReset, services: ServicesDep, actor: PrincipalDep
) -> Response:
    """Give a user a new password (an administrator's reset); their sessions end."""
    actor.require(Permission.USER_MANAGE)
    services.identity.set_password(username, body.password, actor=actor)
    return Response(status_code=204)


@router.get("/tokens", response_model=list[TokenPublic])
def list_tokens(services: ServicesDep, actor: PrincipalDep) -> list[TokenPublic]:
    """The caller's API tokens (never their secrets)."""
    return [
        TokenPublic(
            id=t.id,
            name=t.name,
            prefix=t.prefix,
            permissions=t.permissions,
            created_at=t.created_at,
            expires_at=t.expires_at,
            revoked_at=t.revoked_at,
        )
        for t in services.identity.list_tokens(actor)
    ]


@router.post("/tokens", response_model=TokenIssued, status_code=201)
def create_token(body: TokenCreate, services: ServicesDep, actor: PrincipalDep) -> TokenIssued:
    """Issue an API token; its secret is in this response only."""
    issued = services.identity.issue_token(
        actor, name=body.name, permissions=body.permissions, days=body.days
    )
    return TokenIssued(
        id=issued.id,
        token=issued.token,
        prefix=issued.prefix,
        expires_at=issued.expires_at,
        permissions=list(issued.permissions),
    )


@router.delete("/tokens/{token_id}", status_code=204)
def revoke_token(token_id: int, services: ServicesDep, actor: PrincipalDep) -> Response:
    """Revoke a token at once."""
    actor.require(Permission.TOKEN_MANAGE)
    services.identity.revoke_token(actor, token_id)
    return Response(status_code=204)
