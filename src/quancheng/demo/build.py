"""Build the demo city of Jinan through the platform's own services."""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from quancheng.catalog.classification import seed_classifications
from quancheng.catalog.model import EntryFields, EntryStatus
from quancheng.db.models import Department
from quancheng.demo import content
from quancheng.identity.roles import Principal, Role
from quancheng.identity.service import DepartmentFields

if TYPE_CHECKING:
    from quancheng.app import Services

ACCOUNTS_FILE = "demo-accounts.json"
# One documented password for every demo account; demo mode only.
DEMO_PASSWORD = "Quancheng@2024"  # noqa: S105
# Departments that get an administrator, a data steward and a user account.
ACCOUNT_DEPARTMENTS = ("gaj", "sthjj", "cgj", "jtysj", "lixia")
PUBLIC_USERS = (("citizen", "市民用户"), ("researcher", "山东大学研究团队"))


def is_built(services: Services) -> bool:
    """Whether this data dir already holds the demo city."""
    accounts = services.settings.data_dir / ACCOUNTS_FILE
    with services.db.reader() as s:
        departments = s.scalar(select(func.count(Department.id))) or 0
    return accounts.exists() and departments > 0


def account_plan() -> list[tuple[str, Role, str | None, str]]:
    """(username, role, department key, display name) of every demo account."""
    plan: list[tuple[str, Role, str | None, str]] = [
        ("admin", Role.PLATFORM_ADMIN, "bigdata", "大数据局管理员")
    ]
    for key in ACCOUNT_DEPARTMENTS:
        plan += [
            (f"{key}_admin", Role.DEPARTMENT_ADMIN, key, f"{key} 部门管理员"),
            (f"{key}_steward", Role.DATA_STEWARD, key, f"{key} 数据管理员"),
            (f"{key}_user", Role.DEPARTMENT_USER, key, f"{key} 业务用户"),
        ]
    plan += [(name, Role.PUBLIC_USER, None, display) for name, display in PUBLIC_USERS]
    return plan


def entry_input(entry: content.DemoEntry) -> dict[str, Any]:
    """A demo entry as the catalog's input fields."""
    raw = asdict(entry)
    raw.pop("department_key")
    raw["keywords"] = list(entry.keywords)
    raw["data_items"] = [asdict(i) for i in entry.data_items]
    return raw


def build_demo(services: Services, *, data_dir: Path, seed: int = 2024) -> dict[str, Any]:
    """Create departments, classification, accounts and ~3,000 published entries."""
    started = time.monotonic()
    departments = content.departments()
    entries = content.catalog_entries(seed=seed)
    accounts: list[dict[str, Any]] = []
    names = {d.key: d.name for d in departments}
    with services.db.transaction() as s:
        seed_classifications(s, content.classifications())
        for dept in _parents_first(departments):
            services.identity.add_department(
                s,
                DepartmentFields(
                    key=dept.key,
                    name=dept.name,
                    short_name=dept.short_name,
                    credit_code=dept.credit_code,
                    kind=dept.kind,
                    name_en=dept.name_en,
                    parent_key=dept.parent_key,
                ),
            )
        for username, role, dept_key, display in account_plan():
            user = services.identity.add_user(
                s,
                None,
                username=username,
                password=DEMO_PASSWORD,
                role=role,
                department=dept_key,
                display_name=display,
            )
            token = services.identity.add_token(s, user, name="demo")
            accounts.append(
                {
                    "username": username,
                    "password": DEMO_PASSWORD,
                    "role": role.value,
                    "department": names[dept_key] if dept_key else None,
                    "token": token.token,
                }
            )
        platform = Principal.system("demo-builder")
        for entry in entries:
            services.catalog.add_entry(
                s,
                platform,
                department=entry.department_key,
                fields=EntryFields.parse(entry_input(entry)),
                status=EntryStatus.PUBLISHED,
            )
    _write_accounts(data_dir / ACCOUNTS_FILE, accounts)
    return {
        "departments": len(departments),
        "datasets": len(entries),
        "shared": sum(e.sharing_type != "none" for e in entries),
        "open": sum(e.open_type == "open" for e in entries),
        "accounts": len(accounts),
        "seconds": time.monotonic() - started,
    }


def _parents_first(departments: tuple[content.DemoDepartment, ...]) -> list[content.DemoDepartment]:
    ordered: list[content.DemoDepartment] = []
    placed: set[str] = set()
    pending = list(departments)
    while pending:
        rest = []
        for dept in pending:
            if dept.parent_key is None or dept.parent_key in placed:
                ordered.append(dept)
                placed.add(dept.key)
            else:
                rest.append(dept)
        if len(rest) == len(pending):
            raise ValueError(f"departments with unknown parents: {[d.key for d in rest]}")
        pending = rest
    return ordered


def _write_accounts(path: Path, accounts: list[dict[str, Any]]) -> None:
    # The file holds tokens: readable by the owner only, written whole or not at all.
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(accounts, fh, ensure_ascii=False, indent=2)
        fh.write("\n")
    tmp.replace(path)
