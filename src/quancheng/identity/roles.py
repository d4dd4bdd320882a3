"""Roles, permissions and the principal every permission check is made against."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from quancheng.errors import NotAuthenticated, PermissionDenied


class Role(StrEnum):
    """The roles a user can hold."""

    PLATFORM_ADMIN = "platform_admin"
    DEPARTMENT_ADMIN = "department_admin"
    DATA_STEWARD = "data_steward"
    DEPARTMENT_USER = "department_user"
    PUBLIC_USER = "public_user"


class Permission(StrEnum):
    """What a principal may do; department-scoped unless the principal is the platform's."""

    CATALOG_READ = "catalog:read"
    CATALOG_READ_DRAFTS = "catalog:read_drafts"
    CATALOG_WRITE = "catalog:write"
    CATALOG_PUBLISH = "catalog:publish"
    DEPARTMENT_MANAGE = "department:manage"
    USER_MANAGE = "user:manage"
    TOKEN_MANAGE = "token:manage"  # noqa: S105 (a permission name, not a secret)
    DATA_READ = "data:read"
    DATA_WRITE = "data:write"
    SHARING_REQUEST = "sharing:request"
    SHARING_DECIDE = "sharing:decide"


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.PLATFORM_ADMIN: frozenset(Permission),
    Role.DEPARTMENT_ADMIN: frozenset(
        {
            Permission.CATALOG_READ,
            Permission.CATALOG_READ_DRAFTS,
            Permission.CATALOG_WRITE,
            Permission.CATALOG_PUBLISH,
            Permission.USER_MANAGE,
            Permission.TOKEN_MANAGE,
            Permission.DATA_READ,
            Permission.DATA_WRITE,
            Permission.SHARING_REQUEST,
            Permission.SHARING_DECIDE,
        }
    ),
    Role.DATA_STEWARD: frozenset(
        {
            Permission.CATALOG_READ,
            Permission.CATALOG_READ_DRAFTS,
            Permission.CATALOG_WRITE,
            Permission.CATALOG_PUBLISH,
            Permission.TOKEN_MANAGE,
            Permission.DATA_READ,
            Permission.DATA_WRITE,
            Permission.SHARING_REQUEST,
            Permission.SHARING_DECIDE,
        }
    ),
    Role.DEPARTMENT_USER: frozenset(
        {
            Permission.CATALOG_READ,
            Permission.CATALOG_READ_DRAFTS,
            Permission.TOKEN_MANAGE,
            Permission.DATA_READ,
            Permission.SHARING_REQUEST,
        }
    ),
    Role.PUBLIC_USER: frozenset({Permission.CATALOG_READ, Permission.TOKEN_MANAGE}),
}


@dataclass(frozen=True)
class Principal:
    """Who is acting: a user (through a session or a token) or an anonymous visitor."""

    user_id: int | None
    username: str
    role: Role | None
    department_id: int | None
    permissions: frozenset[Permission] = field(default_factory=frozenset)
    token_id: int | None = None

    @classmethod
    def anonymous(cls, *, public_catalog: bool) -> Principal:
        """A visitor who has not logged in."""
        perms = frozenset({Permission.CATALOG_READ}) if public_catalog else frozenset()
        return cls(user_id=None, username="", role=None, department_id=None, permissions=perms)

    @classmethod
    def system(cls, name: str) -> Principal:
        """The platform itself acting from the command line (init, demo builder)."""
        return cls(
            user_id=None,
            username=name,
            role=Role.PLATFORM_ADMIN,
            department_id=None,
            permissions=ROLE_PERMISSIONS[Role.PLATFORM_ADMIN],
        )

    @property
    def is_authenticated(self) -> bool:
        """Whether a user (or the platform itself) stands behind this principal."""
        return self.user_id is not None or self.role is not None

    @property
    def is_platform_admin(self) -> bool:
        """Whether this is the platform authority, whose scope is every department."""
        return self.role is Role.PLATFORM_ADMIN

    def can(self, permission: Permission, *, department_id: int | None = None) -> bool:
        """Whether the principal holds the permission (for that department, if given)."""
        if permission not in self.permissions:
            return False
        if department_id is None or self.is_platform_admin:
            return True
        return self.department_id == department_id

    def require(self, permission: Permission, *, department_id: int | None = None) -> None:
        """Raise 401 for anonymous callers and 403 for others unless `can` says yes."""
        if self.can(permission, department_id=department_id):
            return
        if not self.is_authenticated:
            raise NotAuthenticated("log in or present an API token")
        raise PermissionDenied(
            f"{permission.value} is not granted"
            + ("" if department_id is None else " for this department"),
            details={"permission": permission.value},
        )
