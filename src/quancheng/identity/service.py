"""Identity service: departments, users, password login, sessions and API tokens."""

from __future__ import annotations

import hashlib
import re
import secrets
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session
from stdnum.cn import uscc
from stdnum.exceptions import ValidationError as StdnumError

from quancheng.db import Database
from quancheng.db.models import ApiToken, Department, LoginAttempt, User, WebSession, utcnow
from quancheng.errors import (
    Conflict,
    FieldError,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
    RateLimited,
    ValidationFailed,
)
from quancheng.identity.passwords import password_problem
from quancheng.identity.roles import ROLE_PERMISSIONS, Permission, Principal, Role

if TYPE_CHECKING:
    from quancheng.ledger.log import Ledger

TOKEN_PREFIX = "qc_"  # noqa: S105 (marks our tokens in logs and scanners)
USERNAME_RE = re.compile(r"[A-Za-z0-9_.-]{3,64}")
KEY_RE = re.compile(r"[a-z0-9][a-z0-9_-]{1,39}")


class DepartmentKind(StrEnum):
    """Kinds of providers in a city."""

    CITY_DEPARTMENT = "city_department"
    DISTRICT_GOVERNMENT = "district_government"
    PUBLIC_ENTERPRISE = "public_enterprise"


def sha256_hex(value: str) -> str:
    """Hex SHA-256 of a UTF-8 string (for high-entropy secrets: tokens, session ids)."""
    return hashlib.sha256(value.encode()).hexdigest()


def credit_code_error(code: str) -> str | None:
    """Why a 统一社会信用代码 is invalid, or None when it is valid (GB 32100 check)."""
    try:
        uscc.validate(code)
    except StdnumError as exc:
        return f"invalid unified social credit code: {exc}"
    return None


@dataclass(frozen=True)
class DepartmentFields:
    """Validated fields of a department; construction raises ValidationFailed."""

    key: str
    name: str
    short_name: str
    credit_code: str
    kind: str
    name_en: str = ""
    parent_key: str | None = None

    def __post_init__(self) -> None:
        # Stored as checked: the duplicate checks compare what the unique columns will hold,
        # so a code in lower case or with spaces, or a name with a trailing space, is no
        # second department.
        object.__setattr__(self, "name", self.name.strip())
        object.__setattr__(self, "short_name", self.short_name.strip())
        object.__setattr__(self, "name_en", self.name_en.strip())
        object.__setattr__(self, "credit_code", uscc.compact(self.credit_code))
        errors: list[FieldError] = []
        if not KEY_RE.fullmatch(self.key):
            errors.append(FieldError("key", "invalid", "lowercase letters, digits, - or _"))
        if not self.name.strip():
            errors.append(FieldError("name", "required", "a department needs a name"))
        if not self.short_name.strip():
            errors.append(FieldError("short_name", "required", "a department needs a short name"))
        reason = credit_code_error(self.credit_code)
        if reason:
            errors.append(FieldError("credit_code", "invalid", reason))
        if self.kind not in set(DepartmentKind):
            errors.append(
                FieldError("kind", "invalid", f"one of {[k.value for k in DepartmentKind]}")
            )
        if errors:
            raise ValidationFailed("invalid department", errors=errors)


@dataclass(frozen=True)
class IssuedToken:
    """A newly created API token: the only time its secret is visible."""

    id: int
    token: str
    prefix: str
    expires_at: datetime
    permissions: tuple[str, ...]


DISPLAY_NAME_MAX = 100
# What a member of the public may not call themselves: it would pass their comments and
# requests off as the government's.
RESERVED_WORDS = ("官方", "管理员", "人民政府", "大数据局", "客服", "official")


def _folded(text: str) -> str:
    """Text compared loosely: NFKC, case-folded, without spaces, punctuation or symbols."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(ch for ch in folded if unicodedata.category(ch)[0] not in "PZCS")


def display_name_problems(s: Session, display_name: str, role: Role) -> list[FieldError]:
    """Why a display name cannot be used: too long, unprintable, or, for a member of the
    public, naming a department or the platform."""
    if len(display_name) > DISPLAY_NAME_MAX or not display_name.isprintable():
        return [FieldError("display_name", "invalid", "at most 100 printable characters")]
    if role is not Role.PUBLIC_USER or not display_name:
        return []
    name = _folded(display_name)
    taken = [w for w in RESERVED_WORDS if w in name]
    for full, short in s.execute(select(Department.name, Department.short_name)):
        for official in (_folded(full), _folded(short)):
            # A short name that is a place (历下区) is refused alone, not in "历下区居民".
            if official == name or (len(official) >= 4 and official in name):
                taken.append(official)
    if taken:
        return [
            FieldError(
                "display_name",
                "reserved",
                "a public user's display name must not name a department or the platform",
            )
        ]
    return []


def find_department(s: Session, ref: int | str) -> Department | None:
    """A department by id, key or full name."""
    # str.isdigit() is true of '²' and '①' too, which int() refuses.
    if isinstance(ref, int) or (ref.isascii() and ref.isdigit()):
        # An id past the database's integer range names no department (SQLite would overflow).
        return s.get(Department, int(ref)) if int(ref) < 2**63 else None
    return s.scalar(select(Department).where((Department.key == ref) | (Department.name == ref)))


class PasswordPolicy:
    """Argon2id hashing; the library's recommended parameters unless told otherwise."""

    def __init__(self, *, time_cost: int = 3, memory_cost_kib: int = 65536) -> None:
        self._hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_cost_kib)

    def hash(self, password: str) -> str:
        """Hash a password for storage."""
        return self._hasher.hash(password)

    def verify(self, hashed: str, password: str) -> bool:
        """Whether the password matches the stored hash."""
        try:
            return self._hasher.verify(hashed, password)
        except (VerificationError, InvalidHashError):
            return False


class IdentityService:
    """Departments, users, login sessions and API tokens."""

    def __init__(
        self,
        *,
        db: Database,
        session_hours: int = 8,
        login_max_attempts: int = 5,
        login_window_seconds: int = 300,
        token_days: int = 365,
        public_catalog: bool = True,
        passwords: PasswordPolicy | None = None,
        ledger: Ledger | None = None,
    ) -> None:
        self.db = db
        self.ledger = ledger
        self.session_hours = session_hours
        self.login_max_attempts = login_max_attempts
        self.login_window = timedelta(seconds=login_window_seconds)
        self.token_days = token_days
        self.public_catalog = public_catalog
        self.passwords = passwords or PasswordPolicy()
        # A real hash to verify against when the user does not exist, so that a login
        # for an unknown name takes as long as one with a wrong password.
        self._dummy_hash = self.passwords.hash(secrets.token_hex(8))

    # -- departments ---------------------------------------------------------------------

    def create_department(self, actor: Principal, fields: DepartmentFields) -> Department:
        """Register a department (platform authority only)."""
        actor.require(Permission.DEPARTMENT_MANAGE)
        with self.db.transaction() as s:
            return self.add_department(s, fields, actor=actor)

    def add_department(
        self, s: Session, fields: DepartmentFields, *, actor: Principal | None = None
    ) -> Department:
        """Insert a department inside the caller's transaction (no permission check)."""
        errors: list[FieldError] = []
        for column, value in (
            ("key", fields.key),
            ("name", fields.name),
            ("credit_code", fields.credit_code),
        ):
            if s.scalar(select(Department.id).where(getattr(Department, column) == value)):
                errors.append(FieldError(column, "duplicate", f"{value} is already registered"))
        parent_id = None
        if fields.parent_key:
            parent_id = s.scalar(select(Department.id).where(Department.key == fields.parent_key))
            if parent_id is None:
                errors.append(FieldError("parent", "unknown", f"no department {fields.parent_key}"))
        if errors:
            raise ValidationFailed("invalid department", errors=errors)
        dept = Department(
            key=fields.key,
            name=fields.name,
            short_name=fields.short_name,
            name_en=fields.name_en,
            credit_code=fields.credit_code,
            kind=fields.kind,
            parent_id=parent_id,
        )
        s.add(dept)
        s.flush()
        if self.ledger is not None:
            self.ledger.record_department(s, actor, "created", dept)
        return dept

    def list_departments(self) -> list[Department]:
        """Every department, ordered by kind then name."""
        with self.db.reader() as s:
            return list(s.scalars(select(Department).order_by(Department.kind, Department.id)))

    def get_department(self, ref: int | str) -> Department:
        """A department by id, key or name."""
        with self.db.reader() as s:
            dept = find_department(s, ref)
            if dept is None:
                raise NotFound(f"no department {ref}", details={"department": str(ref)})
            return dept

    # -- users ---------------------------------------------------------------------------

    def create_user(
        self,
        actor: Principal | None,
        *,
        username: str,
        password: str,
        role: Role,
        department: int | str | None,
        display_name: str = "",
    ) -> User:
        """Create a user; `actor=None` is the command line acting as the platform itself."""
        with self.db.transaction() as s:
            return self.add_user(
                s,
                actor,
                username=username,
                password=password,
                role=role,
                department=department,
                display_name=display_name,
            )

    def add_user(
        self,
        s: Session,
        actor: Principal | None,
        *,
        username: str,
        password: str,
        role: Role,
        department: int | str | None,
        display_name: str = "",
    ) -> User:
        """Insert a user inside the caller's transaction."""
        errors: list[FieldError] = []
        if not USERNAME_RE.fullmatch(username):
            errors.append(
                FieldError("username", "invalid", "3–64 letters, digits, '.', '_' or '-'")
            )
        # Names differing only in letter case would pass one user off as another.
        elif s.scalar(select(User.id).where(func.lower(User.username) == username.lower())):
            errors.append(FieldError("username", "duplicate", f"{username} is taken"))
        if (problem := password_problem(password, username=username)) is not None:
            errors.append(problem)
        dept = find_department(s, department) if department is not None else None
        if department is not None and dept is None:
            errors.append(FieldError("department", "unknown", f"no department {department}"))
        if role is not Role.PUBLIC_USER and department is None:
            errors.append(FieldError("department", "required", f"{role.value} needs a department"))
        if role is Role.PUBLIC_USER and department is not None:
            errors.append(FieldError("department", "forbidden", "public users have none"))
        errors.extend(display_name_problems(s, display_name.strip(), role))
        if errors:
            raise ValidationFailed("invalid user", errors=errors)
        if actor is not None:
            actor.require(Permission.USER_MANAGE, department_id=dept.id if dept else None)
            if role is Role.PLATFORM_ADMIN and not actor.is_platform_admin:
                raise PermissionDenied("only the platform authority creates platform admins")
            # A department admin's scope is their department; a public user has none.
            if dept is None and not actor.is_platform_admin:
                raise PermissionDenied("only the platform authority creates public users")
        user = User(
            username=username,
            display_name=display_name.strip() or username,
            password_hash=self.passwords.hash(password),
            role=role.value,
            department_id=dept.id if dept else None,
        )
        s.add(user)
        s.flush()
        if self.ledger is not None:
            self.ledger.record_user(s, actor, "created", user)
        return user

    def list_users(self, department: int | str | None = None) -> list[User]:
        """Users, optionally of one department."""
        with self.db.reader() as s:
            query = select(User).order_by(User.id)
            if department is not None:
                dept = find_department(s, department)
                if dept is None:
                    raise NotFound(f"no department {department}")
                query = query.where(User.department_id == dept.id)
            return list(s.scalars(query))

    def names_of(self, user_ids: Iterable[int | None]) -> dict[int, str]:
        """Users' display names (their user name where none), for "who did it" on staff pages."""
        wanted = {i for i in user_ids if i is not None}
        if not wanted:
            return {}
        with self.db.reader() as s:
            rows = s.execute(
                select(User.id, User.display_name, User.username).where(User.id.in_(wanted))
            )
            return {uid: display or username for uid, display, username in rows}

    def find_users(
        self,
        actor: Principal,
        *,
        text: str = "",
        department: int | None = None,
        offset: int = 0,
        limit: int = 50,
    ) -> tuple[list[User], int]:
        """A page of the users `actor` manages, by user or display name, and how many match.

        The platform authority manages everyone; a department admin their department.
        """
        actor.require(Permission.USER_MANAGE)
        query = select(User)
        if not actor.is_platform_admin:
            query = query.where(User.department_id == actor.department_id)
        if department is not None:
            query = query.where(User.department_id == department)
        if text.strip():
            wanted = text.strip().lower()
            query = query.where(
                func.lower(User.username).contains(wanted, autoescape=True)
                | func.lower(User.display_name).contains(wanted, autoescape=True)
            )
        with self.db.reader() as s:
            total = s.scalar(select(func.count()).select_from(query.subquery())) or 0
            page = s.scalars(query.order_by(User.username).offset(offset).limit(limit))
            return list(page), total

    def set_password(self, username: str, password: str, *, actor: Principal | None = None) -> None:
        """Replace a user's password and end their sessions (an admin's reset, or the CLI's)."""
        if (problem := password_problem(password, username=username)) is not None:
            raise ValidationFailed("invalid password", errors=[problem])
        with self.db.transaction() as s:
            user = self._managed_user(s, actor, username)
            if actor is not None and actor.user_id == user.id:
                # Else a session left open would take the account without its password.
                raise PermissionDenied(
                    "change your own password under My account, with the current one",
                    code="own_account",
                )
            user.password_hash = self.passwords.hash(password)
            s.execute(delete(WebSession).where(WebSession.user_id == user.id))
            if self.ledger is not None:
                self.ledger.record_user(s, actor, "password_changed", user)

    def change_own_password(
        self,
        actor: Principal,
        *,
        current: str,
        new: str,
        client: str,
        keep_session: str | None = None,
    ) -> None:
        """The actor's new password, given the current one; their other sessions end.

        A wrong current password counts as a failed login, so that a session left open
        cannot be used to guess it.
        """
        if actor.user_id is None or not actor.username:
            raise NotAuthenticated("log in to change your password")
        problem = password_problem(new, username=actor.username)
        if problem is None and new == current:
            problem = FieldError("new_password", "unchanged", "the new password is the old one")
        if problem is not None:
            problem = FieldError("new_password", problem.code, problem.message)
            raise ValidationFailed("invalid password", errors=[problem])
        try:
            self.authenticate(actor.username, current, client=client, record_login=False)
        except NotAuthenticated:
            raise ValidationFailed(
                "the current password is wrong",
                errors=[FieldError("current_password", "wrong", "the current password is wrong")],
            ) from None
        with self.db.transaction() as s:
            user = s.get(User, actor.user_id)
            if user is None or not user.is_active:
                raise NotAuthenticated("log in to change your password")
            user.password_hash = self.passwords.hash(new)
            ended = delete(WebSession).where(WebSession.user_id == user.id)
            if keep_session:
                ended = ended.where(WebSession.id_hash != sha256_hex(keep_session))
            s.execute(ended)
            if self.ledger is not None:
                self.ledger.record_user(s, actor, "password_changed", user)

    def set_active(self, username: str, *, active: bool, actor: Principal | None = None) -> None:
        """Enable or disable a user; disabling ends their sessions at once."""
        self.update_user(actor, username, active=active)

    def update_user(
        self,
        actor: Principal | None,
        username: str,
        *,
        role: Role | None = None,
        active: bool | None = None,
        display_name: str | None = None,
    ) -> User:
        """Change a user's role, whether they may log in, or their display name.

        The platform authority changes anyone; a department admin the users of their
        department, never into or out of platform admin. Nobody changes their own role or
        disables themselves: an admin who did could lock the platform out. A role or an
        enabling change takes effect on the user's next request; disabling ends their
        sessions, and their tokens stop working with them.
        """
        with self.db.transaction() as s:
            user = self._managed_user(s, actor, username)
            errors: list[FieldError] = []
            own = actor is not None and actor.user_id == user.id
            if role is not None and role.value != user.role:
                if own:
                    raise PermissionDenied(
                        "you cannot change your own role; ask another administrator",
                        code="own_account",
                    )
                platform_only = role is Role.PLATFORM_ADMIN
                if platform_only and actor is not None and not actor.is_platform_admin:
                    raise PermissionDenied("only the platform authority creates platform admins")
                if (role is Role.PUBLIC_USER) != (user.department_id is None):
                    errors.append(
                        FieldError(
                            "role",
                            "department_mismatch",
                            "public users belong to no department and every other role to one;"
                            " create a new account instead",
                        )
                    )
            if active is False and own:
                raise PermissionDenied("you cannot disable your own account", code="own_account")
            if display_name is not None:
                display_name = display_name.strip()
                errors.extend(display_name_problems(s, display_name, role or Role(user.role)))
            if errors:
                raise ValidationFailed("invalid user", errors=errors)
            changes: list[str] = []
            if role is not None and role.value != user.role:
                user.role = role.value
                changes.append("role_changed")
            if active is not None and active != user.is_active:
                user.is_active = active
                changes.append("enabled" if active else "disabled")
                if not active:
                    s.execute(delete(WebSession).where(WebSession.user_id == user.id))
            if display_name is not None:
                user.display_name = display_name or user.username
            if self.ledger is not None:
                for change in changes:
                    self.ledger.record_user(s, actor, change, user)
            s.flush()
            return user

    def _managed_user(self, s: Session, actor: Principal | None, username: str) -> User:
        """The user `actor` may manage (`None` is the command line, which manages all)."""
        user = s.scalar(select(User).where(User.username == username))
        if actor is not None:
            actor.require(Permission.USER_MANAGE)
            if user is not None and user.id != actor.user_id:
                if user.department_id is None and not actor.is_platform_admin:
                    raise PermissionDenied("only the platform authority manages public users")
                _require_tokens_of(actor, user)
        if user is None:
            raise NotFound(f"no user {username}", details={"username": username})
        return user

    @staticmethod
    def principal_for(user: User, *, token: ApiToken | None = None) -> Principal:
        """The principal of a user, narrowed to a token's permissions when given."""
        role = Role(user.role)
        perms = ROLE_PERMISSIONS[role]
        if token is not None:
            perms = perms & frozenset(Permission(p) for p in token.permissions)
        return Principal(
            user_id=user.id,
            username=user.username,
            role=role,
            department_id=user.department_id,
            permissions=perms,
            token_id=token.id if token else None,
        )

    # -- login and sessions --------------------------------------------------------------

    def authenticate(
        self, username: str, password: str, *, client: str, record_login: bool = True
    ) -> User:
        """Check a password login, refusing after too many recent failures."""
        now = utcnow()
        since = now - self.login_window
        with self.db.transaction() as s:
            failures = s.scalar(
                select(func.count())
                .select_from(LoginAttempt)
                .where(
                    LoginAttempt.at >= since,
                    (LoginAttempt.username == username) | (LoginAttempt.client == client),
                )
            )
            if (failures or 0) >= self.login_max_attempts:
                raise RateLimited(
                    "too many failed logins; try again later",
                    details={"retry_after_seconds": int(self.login_window.total_seconds())},
                )
            user = s.scalar(select(User).where(User.username == username))
            ok = self.passwords.verify(user.password_hash if user else self._dummy_hash, password)
            if user is not None and ok and user.is_active:
                s.execute(delete(LoginAttempt).where(LoginAttempt.username == username))
                s.execute(delete(LoginAttempt).where(LoginAttempt.at < since))
                if record_login:
                    user.last_login_at = now
                return user
            s.add(LoginAttempt(username=username[:64], client=client[:64], at=now))
        # Raised after the transaction so that the failed attempt is committed.
        raise NotAuthenticated("wrong user name or password")

    def start_session(self, user: User) -> tuple[str, str]:
        """Open a server-side session; returns (cookie secret, CSRF token)."""
        secret = secrets.token_urlsafe(32)
        csrf = secrets.token_urlsafe(32)
        with self.db.transaction() as s:
            s.add(
                WebSession(
                    id_hash=sha256_hex(secret),
                    user_id=user.id,
                    csrf_token=csrf,
                    expires_at=utcnow() + timedelta(hours=self.session_hours),
                )
            )
        return secret, csrf

    def resolve_session(self, secret: str) -> tuple[Principal, str] | None:
        """The principal and CSRF token of a live session, or None."""
        with self.db.reader() as s:
            row = s.get(WebSession, sha256_hex(secret))
            if row is None or row.expires_at <= utcnow() or not row.user.is_active:
                return None
            return self.principal_for(row.user), row.csrf_token

    def end_session(self, secret: str) -> None:
        """Log out: delete the session."""
        with self.db.transaction() as s:
            s.execute(delete(WebSession).where(WebSession.id_hash == sha256_hex(secret)))

    # -- API tokens ----------------------------------------------------------------------

    def issue_token(
        self,
        actor: Principal,
        *,
        name: str,
        permissions: Iterable[str] | None = None,
        days: int | None = None,
        username: str | None = None,
    ) -> IssuedToken:
        """Create an API token for the actor (or, for admins, another user)."""
        actor.require(Permission.TOKEN_MANAGE)
        with self.db.transaction() as s:
            user = s.scalar(select(User).where(User.username == (username or actor.username)))
            if user is None:
                raise NotFound(f"no user {username}")
            if user.id != actor.user_id:
                _require_tokens_of(actor, user)
            # A token that may manage tokens mints none wider than itself.
            return self.add_token(
                s, user, name=name, permissions=permissions, days=days, within=actor.permissions
            )

    def add_token(
        self,
        s: Session,
        user: User,
        *,
        name: str,
        permissions: Iterable[str] | None = None,
        days: int | None = None,
        within: frozenset[Permission] | None = None,
    ) -> IssuedToken:
        """Insert a token in the caller's transaction; scopes beyond the role or `within` fail."""
        if not name.strip():
            raise ValidationFailed(
                "invalid token", errors=[FieldError("name", "required", "name the token")]
            )
        role_permissions = ROLE_PERMISSIONS[Role(user.role)]
        if within is not None:
            role_permissions = role_permissions & within
        allowed = {p.value for p in role_permissions}
        wanted = set(permissions) if permissions is not None else allowed
        extra = sorted(wanted - allowed)
        if extra:
            raise ValidationFailed(
                "invalid token",
                errors=[FieldError("permissions", "not_allowed", f"role lacks {', '.join(extra)}")],
            )
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        expires = utcnow() + timedelta(days=days or self.token_days)
        row = ApiToken(
            user_id=user.id,
            name=name.strip()[:100],
            prefix=token[:10],
            token_hash=sha256_hex(token),
            permissions=sorted(wanted),
            department_id=user.department_id,
            expires_at=expires,
        )
        s.add(row)
        s.flush()
        return IssuedToken(row.id, token, row.prefix, expires, tuple(row.permissions))

    def resolve_token(self, token: str) -> Principal | None:
        """The principal of a valid, unexpired, unrevoked token, or None."""
        if not token.startswith(TOKEN_PREFIX):
            return None
        with self.db.reader() as s:
            row = s.scalar(select(ApiToken).where(ApiToken.token_hash == sha256_hex(token)))
            if (
                row is None
                or row.revoked_at is not None
                or row.expires_at <= utcnow()
                or not row.user.is_active
            ):
                return None
            return self.principal_for(row.user, token=row)

    def list_tokens(self, actor: Principal) -> Sequence[ApiToken]:
        """The actor's own tokens (never their secrets)."""
        actor.require(Permission.TOKEN_MANAGE)
        with self.db.reader() as s:
            return list(
                s.scalars(
                    select(ApiToken).where(ApiToken.user_id == actor.user_id).order_by(ApiToken.id)
                )
            )

    def tokens_of(self, actor: Principal, usernames: Iterable[str]) -> dict[str, list[ApiToken]]:
        """The unrevoked, unexpired tokens of users `actor` manages, by user name."""
        wanted = list(usernames)
        out: dict[str, list[ApiToken]] = {name: [] for name in wanted}
        with self.db.reader() as s:
            rows = s.execute(
                select(User, ApiToken)
                .join(ApiToken, ApiToken.user_id == User.id)
                .where(
                    User.username.in_(wanted),
                    ApiToken.revoked_at.is_(None),
                    ApiToken.expires_at > utcnow(),
                )
                .order_by(ApiToken.id)
            ).all()
            for user, token in rows:
                if user.id != actor.user_id:
                    if user.department_id is None and not actor.is_platform_admin:
                        continue
                    try:
                        _require_tokens_of(actor, user)
                    except (PermissionDenied, NotAuthenticated):
                        continue
                out[user.username].append(token)
        return out

    def revoke_token(self, actor: Principal | None, token_id: int) -> None:
        """Revoke a token: its owner, an admin of its department or the platform may."""
        with self.db.transaction() as s:
            row = s.get(ApiToken, token_id)
            if row is None:
                raise NotFound(f"no token {token_id}")
            if actor is not None and row.user_id != actor.user_id:
                # A public user's token has no department, so none a department admin manages.
                if row.department_id is None and not actor.is_platform_admin:
                    raise PermissionDenied("only the owner or the platform authority may revoke it")
                actor.require(Permission.USER_MANAGE, department_id=row.department_id)
                owner = s.get(User, row.user_id)
                if owner is not None:
                    _require_tokens_of(actor, owner)
            if row.revoked_at is not None:
                raise Conflict("token already revoked")
            row.revoked_at = utcnow()


def _require_tokens_of(actor: Principal, user: User) -> None:
    """Whether `actor` may manage `user` and their tokens: an admin of the user's department,
    never for the platform authority's own accounts (which belong to a department too)."""
    actor.require(Permission.USER_MANAGE, department_id=user.department_id)
    if user.role == Role.PLATFORM_ADMIN and not actor.is_platform_admin:
        raise PermissionDenied(
            "only the platform authority manages a platform admin's account and tokens"
        )
