"""Demo history of conditional open data: companies and researchers apply, departments decide."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select

from quancheng.catalog.model import EntryStatus, OpenType
from quancheng.db.models import CatalogEntry, User, utcnow
from quancheng.identity.roles import Principal, Role
from quancheng.identity.service import IdentityService
from quancheng.opendata.applications import AGREEMENT_HASH, ApplicationService

if TYPE_CHECKING:
    from quancheng.app import Services

DAYS = 150
APPLICATIONS = 40
APPLICANTS = (
    ("sdu_lab", "山东大学城市计算实验室"),
    ("inspur_ai", "浪潮智慧城市研究院"),
    ("qilu_health", "齐鲁医院公共卫生研究组"),
    ("jinan_logistics", "济南顺达物流有限公司"),
    ("spring_app", "泉城出行App团队"),
    ("ujn_econ", "济南大学经济学院"),
)
PURPOSES = (
    "用于城市人口流动与公共服务布局的学术研究，成果以论文形式发表。",
    "用于开发面向市民的便民服务应用，仅展示统计结果。",
    "用于企业选址分析，数据不对外提供。",
    "用于课题研究：城市空气质量与交通流量的关联分析。",
    "用于公共卫生资源配置评估研究。",
    "用于物流配送路径优化模型训练，结果仅内部使用。",
)
REJECTIONS = (
    "申请用途与本数据内容关联不足，请补充具体研究方案后重新申请。",
    "申请单位信息不完整，无法核实使用主体。",
    "申请的使用期限过长，请按实际需要调整。",
)


@dataclass
class _Clock:
    at: datetime

    def __call__(self) -> datetime:
        return self.at


def build_application_history(
    services: Services, *, seed: int, now: datetime | None = None
) -> dict[str, int]:
    """Add applicants and ~40 applications over five months, in every state."""
    rng = random.Random(seed + 6)  # noqa: S311 - demo data, not security
    end = now or utcnow()
    clock = _Clock(end - timedelta(days=DAYS))
    desk = ApplicationService(
        db=services.db,
        catalog=services.catalog,
        datastore=services.datastore,
        ledger=services.ledger,
        settings=services.settings,
        identity=services.identity,
        clock=clock,
    )
    with services.db.reader() as s:
        entries = list(
            s.scalars(
                select(CatalogEntry)
                .where(
                    CatalogEntry.status == EntryStatus.PUBLISHED,
                    CatalogEntry.open_type == OpenType.CONDITIONAL,
                )
                .order_by(CatalogEntry.id)
            )
        )
        deciders: dict[int, Principal] = {}
        for user in s.scalars(
            select(User).where(User.role.in_([Role.DATA_STEWARD, Role.DEPARTMENT_ADMIN]))
        ):
            if user.department_id is not None:
                deciders.setdefault(user.department_id, IdentityService.principal_for(user))
        existing = {u.username: u for u in s.scalars(select(User))}
    if not entries:
        return {"applications": 0}
    applicants = _applicants(services, existing)
    counts = {"applications": 0, "approved": 0, "rejected": 0, "withdrawn": 0, "pending": 0}
    moments = sorted(
        clock.at + timedelta(seconds=rng.uniform(0, DAYS * 86400 * 0.97))
        for _ in range(APPLICATIONS)
    )
    for moment in moments:
        clock.at = moment
        entry = rng.choice(entries)
        applicant = rng.choice(applicants)
        view = desk.apply(
            applicant,
            dataset_id=entry.id,
            purpose=rng.choice(PURPOSES),
            agreement_sha256=AGREEMENT_HASH,
            organisation=applicant.username and _organisation(applicant.username),
            period_days=rng.choice((90, 180, 365)),
        )
        counts["applications"] += 1
        decider = deciders.get(entry.department_id, Principal.system("demo-builder"))
        age = (end - moment).days
        fate = rng.random()
        if age < 12 and fate < 0.6:
            counts["pending"] += 1
            continue
        clock.at = moment + timedelta(days=rng.uniform(0.5, 9))
        if fate < 0.1:
            desk.withdraw(applicant, view.id)
            counts["withdrawn"] += 1
        elif fate < 0.28:
            desk.decide(decider, view.id, approve=False, reason=rng.choice(REJECTIONS))
            counts["rejected"] += 1
        else:
            desk.decide(decider, view.id, approve=True, quota_per_day=rng.choice((500, 1000, 5000)))
            desk.issue_token(applicant, view.id, name="研究脚本")
            counts["approved"] += 1
    return counts


def _organisation(username: str) -> str:
    return dict(APPLICANTS).get(username, "")


def _applicants(services: Services, existing: dict[str, User]) -> list[Principal]:
    from quancheng.demo.build import DEMO_PASSWORD

    people: list[Principal] = []
    with services.db.transaction() as s:
        for username, display in APPLICANTS:
            user = existing.get(username) or services.identity.add_user(
                s,
                None,
                username=username,
                password=DEMO_PASSWORD,
                role=Role.PUBLIC_USER,
                department=None,
                display_name=display,
            )
            people.append(IdentityService.principal_for(user))
        researcher = existing.get("researcher")
        if researcher is not None:
            people.append(IdentityService.principal_for(researcher))
    return people
