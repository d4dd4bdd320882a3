"""Departments, users, password login, sessions and API tokens through the identity service."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from quancheng.db.models import ApiToken, User, utcnow
from quancheng.errors import (
    NotAuthenticated,
    PermissionDenied,
    RateLimited,
    ValidationFailed,
)
from quancheng.identity.roles import Permission, Role
from quancheng.identity.service import DepartmentFields, PasswordPolicy, credit_code_error
from tests.support.city import PASSWORD, SmallCity, credit_code


def test_credit_code_check_character() -> None:
    # 济南市公安局-style organ code with its GB 32100 check character, and one digit off.
    good = credit_code("004186781")
    assert credit_code_error(good) is None
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    assert "invalid" in (credit_code_error(bad) or "")
    assert credit_code_error("123") is not None


def test_department_fields_report_every_problem() -> None:
    with pytest.raises(ValidationFailed) as caught:
        DepartmentFields(key="A B", name=" ", short_name="", credit_code="91370100X", kind="club")
    assert {e.field for e in caught.value.errors} == {
        "key",
        "name",
        "short_name",
        "credit_code",
        "kind",
    }


def test_duplicate_department_is_refused(city: SmallCity) -> None:
    fields = DepartmentFields(
        key="gaj2",
        name="济南市公安局",
        short_name="市公安局",
        credit_code=credit_code("00000002X"),
        kind="city_department",
    )
    with pytest.raises(ValidationFailed) as caught:
        city.services.identity.create_department(city.principals["admin"], fields)
    assert {(e.field, e.code) for e in caught.value.errors} == {
        ("name", "duplicate"),
        ("credit_code", "duplicate"),
    }


def test_a_department_registered_twice_in_other_spelling_is_refused(
    client: TestClient, city: SmallCity
) -> None:
    # The check character validates after folding case and spaces, so 济南市公安局's code in
    # lower case or with a space, and its name with a trailing space, registered a second
    # department under the same 统一社会信用代码 and name.
    code = credit_code("00000002X")
    for spelling, name in ((code.lower(), "济南市公安局 "), (f" {code[:8]} {code[8:]}", "某局")):
        response = client.post(
            "/api/v1/departments",
            json={
                "key": "gaj2",
                "name": name,
                "short_name": "市公安局",
                "credit_code": spelling,
                "kind": "city_department",
            },
            headers=city.auth("admin"),
        )
        assert response.status_code == 422, response.text
        fields = {(e["field"], e["code"]) for e in response.json()["error"]["details"]}
        assert ("credit_code", "duplicate") in fields
    assert ("name", "duplicate") in {
        (e["field"], e["code"])
        for e in client.post(
            "/api/v1/departments",
            json={
                "key": "gaj3",
                "name": "济南市公安局 ",
                "short_name": "市公安局",
                "credit_code": credit_code("00000077X"),
                "kind": "city_department",
            },
            headers=city.auth("admin"),
        ).json()["error"]["details"]
    }
    created = client.post(
        "/api/v1/departments",
        json={
            "key": "new",
            "name": "济南市新设局",
            "short_name": "市新设局",
            "credit_code": credit_code("00000099X").lower(),
            "kind": "city_department",
        },
        headers=city.auth("admin"),
    )
    assert created.status_code == 201, created.text
    assert city.services.identity.get_department("new").credit_code == credit_code("00000099X")


def test_only_the_platform_registers_departments(city: SmallCity) -> None:
    fields = DepartmentFields(
        key="new",
        name="济南市新设局",
        short_name="市新设局",
        credit_code=credit_code("00000099X"),
        kind="city_department",
    )
    with pytest.raises(PermissionDenied):
        city.services.identity.create_department(city.principals["gaj_admin"], fields)
    dept = city.services.identity.create_department(city.principals["admin"], fields)
    assert city.services.identity.get_department("new").id == dept.id


def test_password_login_session_and_logout(city: SmallCity) -> None:
    identity = city.services.identity
    user = identity.authenticate("gaj_steward", PASSWORD, client="127.0.0.1")
    secret, csrf = identity.start_session(user)
    resolved = identity.resolve_session(secret)
    assert resolved is not None
    principal, session_csrf = resolved
    assert principal.role is Role.DATA_STEWARD
    assert principal.can(Permission.CATALOG_PUBLISH, department_id=city.departments["gaj"])
    assert not principal.can(Permission.CATALOG_PUBLISH, department_id=city.departments["sthjj"])
    assert session_csrf == csrf
    with city.services.db.reader() as s:
        stored = s.scalar(select(User.password_hash).where(User.username == "gaj_steward"))
    assert stored is not None and stored.startswith("$argon2id$") and PASSWORD not in stored
    identity.end_session(secret)
    assert identity.resolve_session(secret) is None


def test_wrong_password_then_rate_limit(city: SmallCity) -> None:
    identity = city.services.identity
    for _ in range(identity.login_max_attempts):
        with pytest.raises(NotAuthenticated):
            identity.authenticate("gaj_user", "wrong-password", client="10.1.1.1")
    # Even the right password is refused while the limit holds.
    with pytest.raises(RateLimited):
        identity.authenticate("gaj_user", PASSWORD, client="10.1.1.2")
    # Another user from a fresh address is unaffected.
    assert identity.authenticate("gaj_admin", PASSWORD, client="10.1.1.3").username == "gaj_admin"


def test_disabled_user_cannot_log_in_and_loses_sessions(city: SmallCity) -> None:
    identity = city.services.identity
    user = identity.authenticate("citizen", PASSWORD, client="127.0.0.1")
    secret, _ = identity.start_session(user)
    identity.set_active("citizen", active=False)
    assert identity.resolve_session(secret) is None
    assert identity.resolve_token(city.tokens["citizen"]) is None
    with pytest.raises(NotAuthenticated):
        identity.authenticate("citizen", PASSWORD, client="127.0.0.2")


def test_tokens_are_hashed_scoped_expiring_and_revocable(city: SmallCity) -> None:
    identity = city.services.identity
    steward = city.principals["gaj_steward"]
    issued = identity.issue_token(steward, name="read only", permissions=["catalog:read"])
    with city.services.db.reader() as s:
        row = s.get(ApiToken, issued.id)
        assert row is not None
        assert issued.token not in (row.token_hash, row.prefix)
    principal = identity.resolve_token(issued.token)
    assert principal is not None
    assert principal.permissions == frozenset({Permission.CATALOG_READ})
    with pytest.raises(ValidationFailed):
        identity.issue_token(steward, name="too much", permissions=["department:manage"])
    identity.revoke_token(steward, issued.id)
    assert identity.resolve_token(issued.token) is None
    expiring = identity.issue_token(steward, name="short", days=1)
    with city.services.db.transaction() as s:
        s.execute(
            update(ApiToken)
            .where(ApiToken.id == expiring.id)
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
    assert identity.resolve_token(expiring.token) is None


def test_department_admin_manages_only_own_department(city: SmallCity) -> None:
    identity = city.services.identity
    admin = city.principals["gaj_admin"]
    created = identity.create_user(
        admin,
        username="gaj_new",
        password="long-enough-password",
        role=Role.DEPARTMENT_USER,
        department="gaj",
    )
    assert created.department_id == city.departments["gaj"]
    with pytest.raises(PermissionDenied):
        identity.create_user(
            admin,
            username="env_new",
            password="long-enough-password",
            role=Role.DEPARTMENT_USER,
            department="sthjj",
        )
    # A public account belongs to no department, so to none that a department admin manages.
    with pytest.raises(PermissionDenied):
        identity.create_user(
            admin,
            username="gaj_citizen",
            password="long-enough-password",
            role=Role.PUBLIC_USER,
            department=None,
        )
    with pytest.raises(PermissionDenied):
        identity.create_user(
            admin,
            username="gaj_boss",
            password="long-enough-password",
            role=Role.PLATFORM_ADMIN,
            department="gaj",
        )


def test_user_validation(city: SmallCity) -> None:
    with pytest.raises(ValidationFailed) as caught:
        city.services.identity.create_user(
            None, username="x", password="short", role=Role.DATA_STEWARD, department=None
        )
    assert {e.field for e in caught.value.errors} == {"username", "password", "department"}


def test_production_password_hashing_parameters() -> None:
    policy = PasswordPolicy()
    hashed = policy.hash("一个足够长的密码")
    assert "m=65536,t=3" in hashed
    assert policy.verify(hashed, "一个足够长的密码")
    assert not policy.verify(hashed, "另一个密码")


def test_a_name_or_key_with_a_trailing_newline_is_refused(
    client: TestClient, city: SmallCity
) -> None:
    # '$' matches before a final newline: 'citizen\n' was a second user beside citizen, and
    # 'gaj\n' a department key that no URL could name.
    user = client.post(
        "/api/v1/users",
        json={
            "username": "citizen\n",
            "password": "long-enough-password",
            "role": "department_user",
            "department": "gaj",
        },
        headers=city.auth("admin"),
    )
    assert user.status_code == 422, user.text
    assert ("username", "invalid") in {
        (e["field"], e["code"]) for e in user.json()["error"]["details"]
    }
    with pytest.raises(ValidationFailed) as caught:
        DepartmentFields(
            key="gaj2\n",
            name="济南市新设局",
            short_name="市新设局",
            credit_code=credit_code("00000099X"),
            kind="city_department",
        )
    assert {e.field for e in caught.value.errors} == {"key"}


def test_an_admin_of_the_authoritys_department_cannot_touch_the_platform_admins_tokens(
    city: SmallCity,
) -> None:
    # Regression: the platform admin belongs to 大数据局 like its department admin, whose
    # user:manage for that department let them revoke the platform admin's tokens and issue
    # tokens in the platform admin's name (a token of that role acts for every department).
    identity = city.services.identity
    bigdata_admin = identity.create_user(
        city.principals["admin"],
        username="bigdata_admin",
        password="long-enough-password",
        role=Role.DEPARTMENT_ADMIN,
        department="bigdata",
    )
    local = identity.principal_for(bigdata_admin)
    platform_token = identity.issue_token(city.principals["admin"], name="ops")
    with pytest.raises(PermissionDenied):
        identity.revoke_token(local, platform_token.id)
    assert identity.resolve_token(platform_token.token) is not None
    with pytest.raises(PermissionDenied):
        identity.issue_token(local, name="mine now", username="admin")
    # Their own department's users stay theirs to manage.
    colleague = identity.create_user(
        local,
        username="bigdata_user",
        password="long-enough-password",
        role=Role.DEPARTMENT_USER,
        department="bigdata",
    )
    issued = identity.issue_token(local, name="for a colleague", username=colleague.username)
    identity.revoke_token(local, issued.id)
    assert identity.resolve_token(issued.token) is None


# -- managing accounts ---------------------------------------------------------------------

NEW_PASSWORD = "a-brand-new-passphrase"


def test_a_user_changes_their_password_with_the_current_one(city: SmallCity) -> None:
    identity = city.services.identity
    me = city.principals["gaj_steward"]
    user = identity.authenticate("gaj_steward", PASSWORD, client="127.0.0.1")
    here, _ = identity.start_session(user)
    elsewhere, _ = identity.start_session(user)

    with pytest.raises(ValidationFailed) as caught:
        identity.change_own_password(
            me, current="not-my-password", new=NEW_PASSWORD, client="127.0.0.1", keep_session=here
        )
    assert [(e.field, e.code) for e in caught.value.errors] == [("current_password", "wrong")]
    with pytest.raises(ValidationFailed) as caught:
        identity.change_own_password(me, current=PASSWORD, new="short", client="127.0.0.1")
    assert [e.field for e in caught.value.errors] == ["new_password"]
    assert identity.authenticate("gaj_steward", PASSWORD, client="127.0.0.1")

    identity.change_own_password(
        me, current=PASSWORD, new=NEW_PASSWORD, client="127.0.0.1", keep_session=here
    )
    # This browser stays logged in; every other session of the user ends.
    assert identity.resolve_session(here) is not None
    assert identity.resolve_session(elsewhere) is None
    assert identity.authenticate("gaj_steward", NEW_PASSWORD, client="127.0.0.1")
    with pytest.raises(NotAuthenticated):
        identity.authenticate("gaj_steward", PASSWORD, client="127.0.0.1")


def test_guessing_the_current_password_counts_as_failed_logins(city: SmallCity) -> None:
    identity = city.services.identity
    me = city.principals["gaj_user"]
    for n in range(identity.login_max_attempts):
        with pytest.raises(ValidationFailed):
            identity.change_own_password(me, current=f"guess-{n}", new=NEW_PASSWORD, client="x")
    with pytest.raises(RateLimited):
        identity.change_own_password(me, current=PASSWORD, new=NEW_PASSWORD, client="x")
    with pytest.raises(RateLimited):
        identity.authenticate("gaj_user", PASSWORD, client="127.0.0.9")


def test_an_admin_changes_roles_in_their_department_and_it_applies_at_once(
    city: SmallCity,
) -> None:
    identity = city.services.identity
    user = identity.authenticate("gaj_user", PASSWORD, client="127.0.0.1")
    session, _ = identity.start_session(user)
    gaj = city.departments["gaj"]
    before = identity.resolve_session(session)
    assert before is not None and not before[0].can(Permission.CATALOG_WRITE, department_id=gaj)

    changed = identity.update_user(
        city.principals["gaj_admin"], "gaj_user", role=Role.DATA_STEWARD, display_name=" 李四 "
    )
    assert (changed.role, changed.display_name) == ("data_steward", "李四")
    after = identity.resolve_session(session)
    assert after is not None and after[0].can(Permission.CATALOG_WRITE, department_id=gaj)

    # Back down: the token made under the wider role loses what the role no longer has.
    identity.update_user(city.principals["admin"], "gaj_user", role=Role.DEPARTMENT_USER)
    token = identity.resolve_token(city.tokens["gaj_user"])
    assert token is not None and not token.can(Permission.CATALOG_WRITE, department_id=gaj)
    changes = city.services.ledger.entries(type="identity.user.role_changed")
    assert [(r.event["actor"]["id"], r.event["details"]["role"]) for r in changes] == [
        ("gaj_admin", "data_steward"),
        ("admin", "department_user"),
    ]


def test_what_an_admin_may_not_do_to_accounts(city: SmallCity) -> None:
    identity = city.services.identity
    gaj_admin = city.principals["gaj_admin"]
    refused = [
        # another department's user, a public user, a platform admin
        lambda: identity.update_user(gaj_admin, "env_steward", role=Role.DEPARTMENT_USER),
        lambda: identity.update_user(gaj_admin, "citizen", active=False),
        lambda: identity.update_user(gaj_admin, "admin", active=False),
        lambda: identity.set_password("admin", NEW_PASSWORD, actor=gaj_admin),
        # promoting to platform admin, or oneself
        lambda: identity.update_user(gaj_admin, "gaj_user", role=Role.PLATFORM_ADMIN),
        lambda: identity.update_user(gaj_admin, "gaj_admin", role=Role.DEPARTMENT_USER),
        lambda: identity.update_user(gaj_admin, "gaj_admin", active=False),
        lambda: identity.update_user(city.principals["admin"], "admin", active=False),
        # one's own password goes through change_own_password, with the current one
        lambda: identity.set_password("gaj_admin", NEW_PASSWORD, actor=gaj_admin),
        # no user management at all
        lambda: identity.update_user(city.principals["gaj_steward"], "gaj_user", active=False),
    ]
    for attempt in refused:
        with pytest.raises(PermissionDenied):
            attempt()
    with pytest.raises(ValidationFailed) as caught:
        identity.update_user(city.principals["admin"], "citizen", role=Role.DATA_STEWARD)
    assert [(e.field, e.code) for e in caught.value.errors] == [("role", "department_mismatch")]
    with city.services.db.reader() as s:
        users = {u.username: (u.role, u.is_active) for u in s.scalars(select(User))}
    assert users["gaj_user"] == ("department_user", True)
    assert users["admin"] == ("platform_admin", True)
    assert users["env_steward"] == ("data_steward", True)


def test_an_admin_resets_a_password_and_disables_an_account(city: SmallCity) -> None:
    identity = city.services.identity
    user = identity.authenticate("gaj_user", PASSWORD, client="127.0.0.1")
    session, _ = identity.start_session(user)
    identity.set_password("gaj_user", NEW_PASSWORD, actor=city.principals["gaj_admin"])
    assert identity.resolve_session(session) is None
    assert identity.authenticate("gaj_user", NEW_PASSWORD, client="127.0.0.1")

    identity.update_user(city.principals["gaj_admin"], "gaj_user", active=False)
    with pytest.raises(NotAuthenticated):
        identity.authenticate("gaj_user", NEW_PASSWORD, client="127.0.0.1")
    identity.update_user(city.principals["gaj_admin"], "gaj_user", active=True)
    assert identity.authenticate("gaj_user", NEW_PASSWORD, client="127.0.0.1")


def test_a_public_users_display_name_must_not_pass_for_the_government(city: SmallCity) -> None:
    identity = city.services.identity
    for name in (
        "济南市公安局",
        "市·公安局",
        "数据管理员",
        "济南市人民政府",
        "x" * 101,
        "王\x07五",
    ):
        with pytest.raises(ValidationFailed) as caught:
            identity.create_user(
                None,
                username="someone",
                password=NEW_PASSWORD,
                role=Role.PUBLIC_USER,
                department=None,
                display_name=name,
            )
        assert [e.field for e in caught.value.errors] == ["display_name"], name
    with pytest.raises(ValidationFailed):
        identity.update_user(city.principals["admin"], "citizen", display_name="市生态环境局")
    # Staff name themselves after their department as they please.
    clerk = identity.update_user(city.principals["admin"], "gaj_user", display_name="市公安局 李四")
    assert clerk.display_name == "市公安局 李四"


def test_the_user_list_api_finds_pages_and_counts_within_the_callers_scope(
    client: TestClient, city: SmallCity
) -> None:
    def names(headers: dict[str, str], **params: str) -> tuple[list[str], str]:
        response = client.get("/api/v1/users", params=params, headers=headers)
        assert response.status_code == 200, response.text
        return [u["username"] for u in response.json()], response.headers["X-Total-Count"]

    admin, gaj_admin = city.auth("admin"), city.auth("gaj_admin")
    assert names(admin, q="GAJ_") == (["gaj_admin", "gaj_steward", "gaj_user"], "3")
    assert names(admin, department="sthjj") == (["env_steward"], "1")
    assert names(admin, q="gaj", limit="1", offset="1") == (["gaj_steward"], "3")
    # A department admin finds only their department's users, whatever is asked.
    assert names(gaj_admin) == (["gaj_admin", "gaj_steward", "gaj_user"], "3")
    assert names(gaj_admin, q="steward") == (["gaj_steward"], "1")
    assert names(gaj_admin, department="sthjj") == ([], "0")
    unknown = client.get("/api/v1/users", params={"department": "nowhere"}, headers=admin)
    assert unknown.status_code == 404
