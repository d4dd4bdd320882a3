"""Build the demo city of Jinan through the platform's own services."""

from __future__ import annotations

import json
import multiprocessing
import os
import random
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from quancheng.catalog.classification import seed_classifications
from quancheng.catalog.model import EntryFields, EntryStatus
from quancheng.catalog.service import NewEntry
from quancheng.datastore.service import JobStatus
from quancheng.db.models import CatalogEntry, Department
from quancheng.demo import content, datasets
from quancheng.demo.applications import build_application_history
from quancheng.demo.devices import seed_devices
from quancheng.demo.interaction import seed_interaction
from quancheng.demo.sharing import build_sharing_history
from quancheng.demo.usage import seed_usage
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
# Entries that get rows: the few hundred that people look for first.
DATA_TABLES = 300
LARGE_ROWS = 10_000_000
LARGE_ENTRY_NAME = "公交IC卡刷卡交易记录（全量）"


def is_built(services: Services) -> bool:
    """Whether this data dir already holds the demo city."""
    accounts = services.settings.data_dir / ACCOUNTS_FILE
    with services.db.reader() as s:
        departments = s.scalar(select(func.count(Department.id))) or 0
    return accounts.exists() and departments > 0


def account_plan(short_names: dict[str, str]) -> list[tuple[str, Role, str | None, str]]:
    """(username, role, department key, display name) of every demo account.

    A staff account is shown as its department's short name and its job (市公安局数据管理员),
    as people read it on the pages; the user name keeps the department's key.
    """
    plan: list[tuple[str, Role, str | None, str]] = [
        ("admin", Role.PLATFORM_ADMIN, "bigdata", "大数据局管理员")
    ]
    for key in ACCOUNT_DEPARTMENTS:
        short = short_names[key]
        plan += [
            (f"{key}_admin", Role.DEPARTMENT_ADMIN, key, f"{short}部门管理员"),
            (f"{key}_steward", Role.DATA_STEWARD, key, f"{short}数据管理员"),
            (f"{key}_user", Role.DEPARTMENT_USER, key, f"{short}业务用户"),
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


def build_demo(
    services: Services,
    *,
    data_dir: Path,
    seed: int = 2024,
    with_data: bool = True,
    large: bool = False,
) -> dict[str, Any]:
    """Create departments, classification, accounts, ~3,000 published entries and their data."""
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
        short_names = {d.key: d.short_name for d in departments}
        for username, role, dept_key, display in account_plan(short_names):
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
        services.catalog.add_entries(
            s,
            platform,
            [
                NewEntry(entry.department_key, EntryFields.parse(entry_input(entry)))
                for entry in entries
            ],
            status=EntryStatus.PUBLISHED,
        )
    loaded = load_demo_data(services, seed=seed) if with_data else (0, 0)
    if large:
        load_large_table(services)
    sharing = build_sharing_history(services, seed=seed)
    applications = build_application_history(services, seed=seed)
    interaction = seed_interaction(services, random.Random(seed + 7))  # noqa: S311 (demo data)
    usage = seed_usage(services, seed=seed)
    devices = seed_devices(services, seed=seed)
    # Written last: its presence marks the city as built (see is_built).
    _write_accounts(data_dir / ACCOUNTS_FILE, accounts)
    return {
        "data_tables": loaded[0],
        "data_rows": loaded[1],
        "departments": len(departments),
        "datasets": len(entries),
        "shared": sum(e.sharing_type != "none" for e in entries),
        "open": sum(e.open_type == "open" for e in entries),
        "accounts": len(accounts),
        "sharing": sharing,
        "applications": applications,
        "interaction": interaction,
        "usage": usage,
        "devices": devices,
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


@dataclass(frozen=True)
class _Item:
    name: str
    data_type: str
    sensitivity: str


@dataclass(frozen=True)
class _Entry:
    code: str
    name: str
    items: tuple[_Item, ...]


def _published_entries(services: Services) -> list[_Entry]:
    with services.db.reader() as s:
        rows = s.scalars(
            select(CatalogEntry)
            .where(CatalogEntry.status == EntryStatus.PUBLISHED)
            .options(selectinload(CatalogEntry.items))
            .order_by(CatalogEntry.id)
        )
        return [
            _Entry(
                code=e.code,
                name=e.name,
                items=tuple(_Item(i.name, i.data_type, i.sensitivity) for i in e.items),
            )
            for e in rows
        ]


def load_demo_data(services: Services, *, seed: int, limit: int = DATA_TABLES) -> tuple[int, int]:
    """Generate rows for the entries people look for first and load them like a steward would.

    A second process writes the CSV files while this one loads them: generation and
    loading each take about half of the time, and the machine has at least two cores.
    """
    platform = Principal.system("demo-builder")
    datastore = services.datastore
    tables = rows = 0
    context = multiprocessing.get_context("spawn")
    with tempfile.TemporaryDirectory(prefix="qc-demo-") as tmp:
        ready: multiprocessing.Queue[tuple[str, str, Path] | str | None] = context.Queue()
        writer = context.Process(
            target=_write_tables,
            args=(_published_entries(services), seed, limit, Path(tmp), ready),
            daemon=True,
        )
        writer.start()
        try:
            while (item := ready.get(timeout=300)) is not None:
                if isinstance(item, str):
                    raise RuntimeError(f"demo data generation failed: {item}")
                code, filename, path = item
                job = datastore.start_load(platform, code, source_name=filename)
                result = datastore.run_load(job.id, path)
                path.unlink()
                if result.status is not JobStatus.SUCCEEDED:
                    raise RuntimeError(f"demo data of {code} did not load: {result.message}")
                tables += 1
                rows += result.rows_read
        finally:
            writer.join(timeout=10)
            if writer.is_alive():
                writer.kill()
    return tables, rows


def _write_tables(
    entries: list[_Entry],
    seed: int,
    limit: int,
    directory: Path,
    ready: multiprocessing.Queue[tuple[str, str, Path] | str | None],
) -> None:
    """The writer process: each table's CSV, announced once complete; None at the end."""
    try:
        for n, table in enumerate(datasets.demo_tables(entries, seed=seed, limit=limit), 1):
            path = directory / f"{n}.csv"
            datasets.write_csv(table, path)
            ready.put((table.entry_code, table.filename, path))
    except Exception as error:  # reported to the loading process, which stops the build
        ready.put(f"{type(error).__name__}: {error}")
    ready.put(None)


def load_large_table(services: Services, *, rows: int = LARGE_ROWS) -> str:
    """Add the scale entry (bus card taps, ≥ 10 million rows) with its data; return its code."""
    platform = Principal.system("demo-builder")
    with services.db.reader() as s:
        existing = s.scalar(select(CatalogEntry.code).where(CatalogEntry.name == LARGE_ENTRY_NAME))
        template = s.scalar(
            select(CatalogEntry).where(CatalogEntry.name.contains("公交")).order_by(CatalogEntry.id)
        )
        if template is None:
            raise RuntimeError("the demo catalog has no bus entry to file the scale table under")
        department = s.get_one(Department, template.department_id).key
        classification = template.classification_code
    if existing is not None:
        return existing
    types = {"交易时间": "T", "交易金额": "Y"}
    fields = EntryFields.parse(
        {
            "name": LARGE_ENTRY_NAME,
            "name_en": "Bus IC card transactions (full history)",
            "abstract": "全市公交车辆IC卡刷卡交易逐笔记录，含卡类型、线路和车辆，用于客流分析。",
            "classification_code": classification,
            "format": "database",
            "sharing_type": "unconditional",
            "sharing_method": "api",
            "open_type": "open",
            "update_cycle": "daily",
            "security_grade": "general",
            "duty": "负责全市公共交通运营管理",
            "source_system": "公交一卡通清算系统",
            "keywords": ["公交", "客流", "IC卡"],
            "data_items": [
                {
                    "name": label,
                    "data_type": types.get(label, "C"),
                    "length": 12 if label == "交易金额" else (None if label in types else 40),
                    "sensitivity": "public",
                }
                for label in datasets.LARGE_LABELS
            ],
        }
    )
    with services.db.transaction() as s:
        entry = services.catalog.add_entry(
            s, platform, department=department, fields=fields, status=EntryStatus.PUBLISHED
        )
        code = entry.code
    with tempfile.TemporaryDirectory(prefix="qc-demo-") as tmp:
        path = Path(tmp) / "bus-card-taps.csv"
        datasets.large_table(path, rows=rows)
        job = services.datastore.start_load(platform, code, source_name=path.name)
        result = services.datastore.run_load(job.id, path)
    if result.status is not JobStatus.SUCCEEDED:
        raise RuntimeError(f"the scale table did not load: {result.message}")
    return code
