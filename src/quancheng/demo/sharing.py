"""Six months of sharing-exchange history for the demo city, made through the real service.

Every step is planned first, then all steps of every request, subscription, dispute and
day of usage run in time order under a clock that is moved to each step's moment. So the
deadlines, the answers' lateness, escalations, expiries and the ledger's events agree with
each other exactly as if the city had worked for six months.
"""

from __future__ import annotations

import csv
import io
import random
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import insert, select

from quancheng.catalog.model import EntryStatus, SharingType
from quancheng.datastore.service import JobStatus
from quancheng.db.models import (
    CatalogEntry,
    DataItem,
    Dataset,
    Department,
    SharingUsage,
    User,
    utcnow,
)
from quancheng.demo.datasets import DISTRICTS
from quancheng.identity.roles import ROLE_PERMISSIONS, Principal, Role
from quancheng.identity.service import IdentityService
from quancheng.sharing.access import Access, query_hash
from quancheng.sharing.model import Action, RequestState
from quancheng.sharing.service import SharingService

if TYPE_CHECKING:
    from quancheng.app import Services

DAYS = 180
# How many requests end in each state (about 240 in all): with the subscriptions, disputes
# and sweeps this is ~8 s of service calls (300 would be ~11 s), the build's budget for it.
TARGETS: dict[RequestState, int] = {
    RequestState.APPROVED: 78,
    RequestState.PARTIALLY_APPROVED: 25,
    RequestState.REJECTED: 22,
    RequestState.WITHDRAWN: 16,
    RequestState.RETURNED: 16,
    RequestState.PENDING_PROVIDER: 32,
    RequestState.COMPLIANCE_CHECK: 10,
    RequestState.NEGOTIATING: 12,
    RequestState.COORDINATING: 12,
    RequestState.DRAFT: 16,
}
SUBSCRIPTIONS = 90
DISPUTES = 30
ROWS_PER_CALL = (1, 1, 1, 5, 20, 50, 100)
DISTRICT_ITEMS = ("所属区县", "区县", "区县名称", "行政区划")

SCENARIOS: tuple[tuple[str, str, str], ...] = (
    ("城市管理执法核查", "核实违法建设当事人身份及住址", "《城市管理执法办法》第二十二条"),
    ("社会救助资格审核", "核对低保申请家庭成员户籍与收入", "《社会救助暂行办法》第十一条"),
    ("不动产登记办理", "登记窗口核验申请人身份与婚姻状况", "《不动产登记暂行条例》第十八条"),
    ("企业开办一窗通办", "核验企业登记信息与经营场所", "《优化营商环境条例》第十九条"),
    ("生态环境执法检查", "排污单位执法检查前核对企业基本信息", "《中华人民共和国环境保护法》"),
    ("公共租赁住房资格审查", "核对申请家庭住房、车辆与社保缴纳情况", "《公共租赁住房管理办法》"),
    ("义务教育招生入学", "核验适龄儿童户籍与监护人房产信息", "《中华人民共和国义务教育法》"),
    ("交通运输行业监管", "核对营运车辆与从业人员资质", "《道路运输条例》第二十一条"),
    ("医疗保障待遇核定", "核验参保人员身份与异地就医备案", "《医疗保障基金使用监督管理条例》"),
    ("退役军人优抚对象认定", "核对优抚对象户籍与生存状态", "《军人抚恤优待条例》"),
    ("市场主体信用监管", "双随机抽查前汇总企业信用与处罚记录", "《企业信息公示暂行条例》"),
    (
        "应急管理风险排查",
        "汇总重点区域人员与危险化学品企业分布",
        "《突发事件应对法》",
    ),
    ("人才引进补贴发放", "核验申领人学历、社保与落户信息", "《济南市人才引进若干政策》"),
    ("公积金贷款审批", "核对借款人婚姻状况与不动产登记", "《住房公积金管理条例》"),
    (
        "街道网格化服务管理",
        "网格员上门走访前核对实有人口信息",
        "《山东省网格化服务管理条例》",
    ),
    ("残疾人两项补贴审核", "核对残疾人证与家庭经济状况", "《残疾人保障法》"),
)
SUBSCRIPTION_PURPOSES = (
    "政务服务事项办理时调取核验",
    "部门业务系统数据比对",
    "城市运行监测大屏展示",
    "年度统计分析报告编制",
    "一网通办材料免提交",
    "行业监管风险研判",
    "领导驾驶舱专题分析",
    "基层减负报表自动生成",
)
RETURN_REASONS = (
    "申请用途与所列信息项不对应，请补充具体业务场景",
    "未附业务系统说明及安全保障措施，请补正后重新提交",
    "申请使用期限过长，请按实际办理周期调整",
    "信息项范围超出履职需要，请精简后再提交",
)
REJECT_REASONS = (
    "申请信息项包含敏感个人信息，现有法律依据不足以支持共享",
    "该数据正在治理中，质量不满足共享条件",
    "申请用途不属于申请部门法定职责范围",
    "依据《个人信息保护法》第十三条，需进一步明确处理目的与最小必要范围",
)
NEGOTIATE_REASONS = (
    "已补充法律依据和使用场景，请求重新研究",
    "同意仅共享脱敏后的信息项，请再予考虑",
    "业务确需该数据，已压缩信息项范围，申请协商",
)
COORDINATE_REASONS = (
    "双方协商未果，提请市大数据局协调",
    "提供部门逾期未答复，提请主管部门协调",
    "该数据为履职必需，提请主管部门裁定",
)
WITHDRAW_REASONS = (
    "业务需求已变更",
    "已通过其他渠道获取",
    "项目暂停，撤回申请",
)
REVOKE_REASONS = (
    "使用方超出申请用途使用数据",
    "数据源系统迁移，原授权停止",
    "未按要求落实数据安全保护措施",
)
DISPUTES_TEXT = (
    ("部分记录的联系电话与本部门登记不一致", "已核实，源系统录入错误，已更正"),
    ("同一主体存在重复记录", "已核实，重复记录系历史迁移产生，已合并"),
    ("地址信息与实地核查情况不符", "经核实，登记信息无误，实际地址变更未申报"),
    ("数据更新不及时，最新状态未同步", "经核实，数据按周更新，当前数据与源系统一致"),
    ("统一社会信用代码与营业执照不符", "已核实，系历史数据转换问题，已更正"),
    ("证件有效期字段为空", "该字段非必填，源系统确无此信息"),
)


@dataclass
class _Clock:
    """The moment the service believes it is; moved forward step by step."""

    at: datetime

    def __call__(self) -> datetime:
        return self.at


@dataclass(frozen=True)
class _Dept:
    id: int
    key: str
    requester: Principal
    decider: Principal


@dataclass(frozen=True)
class _Entry:
    id: int
    code: str
    department_id: int
    sharing_type: str
    items: tuple[str, ...]
    personal: tuple[str, ...]
    district: str | None
    has_data: bool


@dataclass
class _Grant:
    consumer: _Dept
    provider: _Dept
    entry: _Entry
    items: tuple[str, ...]
    starts: datetime
    expires: datetime
    rate: float
    id: int | None = None
    ended: datetime | None = None


@dataclass
class _Case:
    consumer: _Dept
    provider: _Dept
    entry: _Entry
    items: list[str]
    purpose: tuple[str, str, str]
    period_days: int
    id: int | None = None
    grant: _Grant | None = None


@dataclass
class _Dispute:
    grant: _Grant
    text: str
    reply: str
    id: int | None = None
    answered: bool = False


class _History:
    def __init__(self, services: Services, *, seed: int, now: datetime) -> None:
        self.services = services
        self.rng = random.Random(seed)  # noqa: S311 - demo data, not security
        self.now = now
        self.start = now - timedelta(days=DAYS)
        self.clock = _Clock(self.start)
        base = services.sharing
        self.rules = base.rules
        self.sharing = SharingService(
            db=base.db,
            catalog=base.catalog,
            datastore=base.datastore,
            ledger=base.ledger,
            rules=base.rules,
            clock=self.clock,
        )
        self.timeline: list[tuple[datetime, int, Callable[[], None]]] = []
        self.grants: list[_Grant] = []
        self.disputes: list[_Dispute] = []
        self.last_day: date | None = None
        self.counts = {"subscriptions": 0, "disputes": 0, "revoked": 0, "calls": 0}
        self._load()

    # -- who and what -------------------------------------------------------------------

    def _load(self) -> None:
        services = self.services
        with services.db.reader() as s:
            users = {u.username: u for u in s.scalars(select(User))}
            admin = users.get("admin")
            self.platform = (
                IdentityService.principal_for(admin)
                if admin is not None
                else Principal.system("demo-builder")
            )
            self.depts: dict[int, _Dept] = {}
            for dept in s.scalars(select(Department).order_by(Department.id)):
                self.depts[dept.id] = self._dept(dept, users)
            with_data = set(
                s.scalars(select(Dataset.entry_id).where(Dataset.current_version_id.is_not(None)))
            )
            items: dict[int, list[tuple[str, str]]] = {}
            for entry_id, name, sensitivity in s.execute(
                select(DataItem.entry_id, DataItem.name, DataItem.sensitivity).order_by(
                    DataItem.entry_id, DataItem.position
                )
            ):
                items.setdefault(entry_id, []).append((name, sensitivity))
            entries: list[_Entry] = []
            for e in s.scalars(
                select(CatalogEntry)
                .where(
                    CatalogEntry.status == EntryStatus.PUBLISHED.value,
                    CatalogEntry.sharing_type.in_(
                        (SharingType.CONDITIONAL.value, SharingType.UNCONDITIONAL.value)
                    ),
                )
                .order_by(CatalogEntry.id)
            ):
                district = None
                if e.id in with_data and e.sharing_type == SharingType.CONDITIONAL:
                    known = self.sharing.entry_items(s, e)
                    for label in DISTRICT_ITEMS:
                        ref = known.lookup(label)
                        if ref is not None and known.refs[ref].column is not None:
                            district = ref
                            break
                own = items.get(e.id, [])
                entries.append(
                    _Entry(
                        id=e.id,
                        code=e.code,
                        department_id=e.department_id,
                        sharing_type=e.sharing_type,
                        items=tuple(name for name, _ in own),
                        personal=tuple(n for n, level in own if level.endswith("personal")),
                        district=district,
                        has_data=e.id in with_data,
                    )
                )
        self.conditional = [e for e in entries if e.sharing_type == SharingType.CONDITIONAL]
        self.unconditional = [e for e in entries if e.sharing_type == SharingType.UNCONDITIONAL]
        # Departments with demo accounts take part on both sides, so every login has a workbench.
        self.featured = [d for d in self.depts.values() if d.requester.user_id is not None]

    def _dept(self, dept: Department, users: dict[str, User]) -> _Dept:
        steward, user = users.get(f"{dept.key}_steward"), users.get(f"{dept.key}_user")
        if steward is not None and user is not None:
            return _Dept(
                dept.id,
                dept.key,
                IdentityService.principal_for(user),
                IdentityService.principal_for(steward),
            )
        # Departments without demo accounts act through a steward of the demo builder.
        system = Principal(
            user_id=None,
            username=f"demo-{dept.key}",
            role=Role.DATA_STEWARD,
            department_id=dept.id,
            permissions=ROLE_PERMISSIONS[Role.DATA_STEWARD],
        )
        return _Dept(dept.id, dept.key, system, system)

    def _pick_consumer(self, provider_id: int) -> _Dept:
        pool = self.featured if self.rng.random() < 0.45 else list(self.depts.values())
        while True:
            dept = self.rng.choice(pool)
            if dept.id != provider_id:
                return dept

    def _pick_entry(self, entries: list[_Entry]) -> _Entry:
        featured = {d.id for d in self.featured}
        roll = self.rng.random()
        if roll < 0.4:
            pool = [e for e in entries if e.department_id in featured] or entries
        elif roll < 0.55:
            pool = [e for e in entries if e.district is not None] or entries
        else:
            pool = entries
        return self.rng.choice(pool)

    # -- time -----------------------------------------------------------------------------

    def office(self, moment: datetime) -> datetime:
        """The latest office-hours moment (workday, 9:00-17:30 local) not after `moment`."""
        tz = self.rules.tz
        local = moment.astimezone(tz)
        day = local.date()
        if local.hour >= 18 or local.hour < 9 or not self.rules.calendar.is_workday(day):
            if local.hour < 9 or not self.rules.calendar.is_workday(day):
                day -= timedelta(days=1)
            while not self.rules.calendar.is_workday(day):
                day -= timedelta(days=1)
            minutes = 9 * 60 + self.rng.randrange(8 * 60 + 30)
            local = datetime.combine(day, time(minutes // 60, minutes % 60), tzinfo=tz)
        return min(local, moment)

    def at(self, moment: datetime, step: Callable[[], None]) -> None:
        self.timeline.append((moment, len(self.timeline), step))

    def days(self, low: float, high: float) -> timedelta:
        return timedelta(days=self.rng.uniform(low, high))

    # -- requests ---------------------------------------------------------------------------

    def plan_requests(self) -> list[_Case]:
        cases: list[_Case] = []
        for target, n in TARGETS.items():
            for _ in range(n):
                entry = self._pick_entry(self.conditional)
                provider = self.depts[entry.department_id]
                consumer = self._pick_consumer(provider.id)
                k = min(len(entry.items), self.rng.randint(2, 5))
                items = self.rng.sample(list(entry.items), k)
                if entry.district is not None and entry.district not in items:
                    items.append(entry.district)
                case = _Case(
                    consumer=consumer,
                    provider=provider,
                    entry=entry,
                    items=items,
                    purpose=self.rng.choice(SCENARIOS),
                    period_days=self.rng.choice((30, 60, 90, 180, 365, 365, 730)),
                )
                self._plan(case, target)
                cases.append(case)
        return cases

    def _plan(self, case: _Case, target: RequestState) -> None:
        """Steps back from the last one, so the request ends in `target` at the right age."""
        rng = self.rng
        late = rng.random() < 0.18
        answer = (16.0, 32.0) if late else (0.3, 9.0)
        check = self.rules.compliance_check
        path: list[tuple[str, tuple[float, float]]]
        pending_age: tuple[float, float] | None = None
        overdue = rng.random() < 0.4
        if target is RequestState.DRAFT:
            path = []
        elif target is RequestState.COMPLIANCE_CHECK:
            path = [("submit", (0.05, 1.5))]
            pending_age = (5.0, 25.0) if overdue else (0.02, 0.6)
        elif target is RequestState.PENDING_PROVIDER:
            path = [("submit", (0.05, 1.5)), ("pass", (0.1, 1.5))]
            pending_age = (17.0, 70.0) if overdue else (0.05, 7.0)
        elif target is RequestState.RETURNED:
            if check and rng.random() < 0.35:
                path = [("submit", (0.05, 1.5)), ("return_platform", (0.1, 1.5))]
            else:
                path = [("submit", (0.05, 1.5)), ("pass", (0.1, 1.5)), ("return", answer)]
        elif target is RequestState.APPROVED:
            path = [("submit", (0.05, 1.5)), ("pass", (0.1, 1.5))]
            roll = rng.random()
            if roll < 0.12:
                path += [
                    ("return", (0.5, 5.0)),
                    ("resubmit", (1.0, 6.0)),
                    ("pass", (0.1, 1.5)),
                ]
            elif roll < 0.2:
                path += [("reject", (1.0, 8.0)), ("negotiate", (1.0, 5.0))]
            elif roll < 0.26:
                path += [("reject", (1.0, 8.0)), ("coordinate", (1.0, 5.0))]
                path += [("approve_platform", (2.0, 12.0))]
                answer = (0.0, 0.0)
            if answer != (0.0, 0.0):
                path.append(("approve", answer))
        elif target is RequestState.PARTIALLY_APPROVED:
            path = [("submit", (0.05, 1.5)), ("pass", (0.1, 1.5)), ("partial", answer)]
        elif target is RequestState.REJECTED:
            path = [("submit", (0.05, 1.5)), ("pass", (0.1, 1.5)), ("reject", answer)]
            if rng.random() < 0.25:
                path += [("coordinate", (1.0, 5.0)), ("reject_platform", (2.0, 12.0))]
        elif target is RequestState.NEGOTIATING:
            path = [("submit", (0.05, 1.5)), ("pass", (0.1, 1.5)), ("reject", answer)]
            path.append(("negotiate", (1.0, 5.0)))
            pending_age = (16.0, 40.0) if overdue else (0.05, 6.0)
        elif target is RequestState.COORDINATING:
            path = [("submit", (0.05, 1.5)), ("pass", (0.1, 1.5))]
            if rng.random() < 0.4:
                path.append(("escalate", (18.0, 30.0)))
            else:
                path += [("reject", answer), ("coordinate", (1.0, 5.0))]
            pending_age = (16.0, 40.0) if overdue else (0.05, 6.0)
        else:  # withdrawn
            roll = rng.random()
            if roll < 0.3:
                path = [("withdraw", (1.0, 10.0))]
            elif roll < 0.65:
                path = [("submit", (0.05, 1.5)), ("pass", (0.1, 1.5))]
                path.append(("withdraw", (1.0, 6.0)))
            else:
                path = [("submit", (0.05, 1.5)), ("pass", (0.1, 1.5)), ("approve", answer)]
                path.append(("withdraw", (20.0, 80.0)))
        if not check:
            path = [(a, g) for a, g in path if a != "pass"]
        if pending_age is not None:
            last = self.now - self.days(*pending_age)
        elif target is RequestState.DRAFT:
            last = self.now - self.days(0.05, 30.0)
        else:
            last = self.now - self.days(0.1, DAYS - 45)
        # Walk back from the last step to the draft.
        times = [self.office(last)]
        for _, gap in reversed(path):
            times.append(self.office(times[-1] - self.days(*gap)))
        times.reverse()
        self.at(times[0], lambda: self._create(case))
        for (action, _), moment in zip(path, times[1:], strict=True):
            self.at(moment, self._step(case, action, moment))
            if action in ("approve", "partial", "approve_platform"):
                case.grant = _Grant(
                    consumer=case.consumer,
                    provider=case.provider,
                    entry=case.entry,
                    items=tuple(case.items),
                    starts=moment,
                    expires=moment + timedelta(days=case.period_days),
                    rate=self._rate(),
                )
            elif action == "withdraw" and case.grant is not None:
                case.grant.ended = moment

    def _create(self, case: _Case) -> None:
        purpose, scenario, basis = case.purpose
        view = self.sharing.create_request(
            case.consumer.requester,
            dataset_id=case.entry.id,
            purpose=purpose,
            scenario=scenario,
            legal_basis=basis,
            items=case.items,
            period_days=case.period_days,
        )
        case.id = view.id

    def _step(self, case: _Case, action: str, moment: datetime) -> Callable[[], None]:
        def run() -> None:
            self._act(case, action, moment)

        return run

    def _act(self, case: _Case, action: str, moment: datetime) -> None:
        assert case.id is not None  # noqa: S101 - created by an earlier step
        rng, act = self.rng, self.sharing.act
        consumer, provider, platform = case.consumer.requester, case.provider.decider, self.platform
        if action in ("submit", "resubmit"):
            act(consumer, case.id, Action.SUBMIT)
        elif action == "pass":
            act(platform, case.id, Action.PASS)
        elif action == "return_platform":
            act(platform, case.id, Action.RETURN, reason=rng.choice(RETURN_REASONS))
        elif action == "return":
            act(provider, case.id, Action.RETURN, reason=rng.choice(RETURN_REASONS))
        elif action == "reject":
            act(provider, case.id, Action.REJECT, reason=rng.choice(REJECT_REASONS))
        elif action == "reject_platform":
            act(platform, case.id, Action.REJECT, reason="经协调，维持不予共享决定")
        elif action == "negotiate":
            act(consumer, case.id, Action.NEGOTIATE, reason=rng.choice(NEGOTIATE_REASONS))
        elif action == "coordinate":
            act(consumer, case.id, Action.COORDINATE, reason=rng.choice(COORDINATE_REASONS[::2]))
        elif action == "escalate":
            act(platform, case.id, Action.COORDINATE, reason=COORDINATE_REASONS[1])
        elif action == "withdraw":
            act(consumer, case.id, Action.WITHDRAW, reason=rng.choice(WITHDRAW_REASONS))
        else:
            self._decide(case, action, moment)

    def _decide(self, case: _Case, action: str, moment: datetime) -> None:
        entry = case.entry
        actor = self.platform if action == "approve_platform" else case.provider.decider
        items = list(case.items)
        partial = action == "partial" and len(items) > 1
        if partial:
            keep = [i for i in items if i == entry.district]
            rest = [i for i in items if i != entry.district]
            keep += self.rng.sample(rest, max(1, len(rest) // 2) if len(rest) > 1 else 0)
            items = keep or items[:1]
        row_filter: dict[str, object] | None = None
        if entry.district is not None and entry.district in items and self.rng.random() < 0.7:
            row_filter = {entry.district: self.rng.choice(DISTRICTS)[0]}
        masking = None
        if entry.personal and self.rng.random() < 0.15:
            raw = [p for p in entry.personal if p in items]
            masking = {raw[0]: "none"} if raw else None
        view = self.sharing.act(
            actor,
            case.id or 0,
            Action.PARTIAL if partial else Action.APPROVE,
            items=items if partial else None,
            masking=masking,
            row_filter=row_filter,
        )
        assert view.grant_id is not None and case.grant is not None  # noqa: S101 - planned
        case.grant.id = view.grant_id
        case.grant.items = tuple(items)
        self.grants.append(case.grant)

    def _rate(self) -> float:
        roll = self.rng.random()
        if roll < 0.5:
            return self.rng.uniform(0.1, 1.0)
        if roll < 0.88:
            return self.rng.uniform(1.0, 4.0)
        return self.rng.uniform(8.0, 20.0)

    # -- subscriptions, revocations, disputes ----------------------------------------------

    def plan_subscriptions(self) -> list[_Grant]:
        planned: list[_Grant] = []
        seen: set[tuple[int, int]] = set()
        for _ in range(SUBSCRIPTIONS * 20):  # a small catalog may have fewer distinct pairs
            if len(planned) >= SUBSCRIPTIONS or not self.unconditional:
                break
            entry = self._pick_entry(self.unconditional)
            provider = self.depts[entry.department_id]
            consumer = self._pick_consumer(provider.id)
            if (consumer.id, entry.id) in seen:
                continue
            seen.add((consumer.id, entry.id))
            moment = self.office(self.now - self.days(1.0, DAYS))
            grant = _Grant(
                consumer=consumer,
                provider=provider,
                entry=entry,
                items=entry.items,
                starts=moment,
                expires=moment + timedelta(days=self.rules.subscription_days),
                rate=self._rate(),
            )
            purpose = self.rng.choice(SUBSCRIPTION_PURPOSES)
            self.at(moment, self._subscribe(grant, purpose))
            planned.append(grant)
        return planned

    def _subscribe(self, grant: _Grant, purpose: str) -> Callable[[], None]:
        def run() -> None:
            view = self.sharing.subscribe(
                grant.consumer.requester, dataset_id=grant.entry.id, purpose=purpose
            )
            grant.id = view.id
            self.grants.append(grant)
            self.counts["subscriptions"] += 1

        return run

    def plan_revocations(self, grants: list[_Grant]) -> None:
        candidates = [g for g in grants if g.ended is None and (self.now - g.starts).days > 20]
        for grant in self.rng.sample(candidates, min(6, len(candidates))):
            moment = self.office(grant.starts + self.days(10.0, (self.now - grant.starts).days))
            if moment >= min(grant.expires, self.now) or moment <= grant.starts:
                continue
            grant.ended = moment
            self.at(moment, self._revoke(grant))

    def _revoke(self, grant: _Grant) -> Callable[[], None]:
        def run() -> None:
            if grant.id is None:
                return
            self.sharing.revoke(
                grant.provider.decider, grant.id, reason=self.rng.choice(REVOKE_REASONS)
            )
            self.counts["revoked"] += 1

        return run

    def plan_disputes(self, grants: list[_Grant]) -> None:
        """Disputes on grants, mostly on entries with data; some answered, some left open."""
        pool = sorted(grants, key=lambda g: (not g.entry.has_data, g.starts))
        pool = [g for g in pool if (min(g.ended or self.now, self.now) - g.starts).days >= 2]
        chosen = self.rng.sample(pool[: DISPUTES * 3], min(DISPUTES, len(pool)))
        for n, grant in enumerate(chosen):
            end = min(grant.ended or self.now, grant.expires, self.now)
            span = (end - grant.starts).total_seconds() / 86400
            raised = self.office(grant.starts + self.days(0.5, span))
            if raised <= grant.starts:
                continue
            text, reply = DISPUTES_TEXT[n % len(DISPUTES_TEXT)]
            dispute = _Dispute(grant, text, reply)
            self.disputes.append(dispute)
            self.at(raised, self._dispute(dispute))
            roll = self.rng.random()
            if roll < 0.6:
                answered = self.office(
                    raised + (self.days(0.5, 5.0) if roll < 0.5 else self.days(8.0, 14.0))
                )
                if raised < answered < self.now:
                    self.at(answered, self._answer(dispute))

    def _dispute(self, dispute: _Dispute) -> Callable[[], None]:
        def run() -> None:
            grant = dispute.grant
            assert grant.id is not None  # noqa: S101 - the grant was made earlier
            cells: list[dict[str, object]] = []
            if grant.items and self.rng.random() < 0.6:
                cells.append(
                    {
                        "row": self.rng.randint(1, 200),
                        "column": self.rng.choice(grant.items),
                        "expected": "以本部门登记信息为准",
                    }
                )
            view = self.sharing.raise_dispute(
                grant.consumer.requester, grant_id=grant.id, description=dispute.text, cells=cells
            )
            dispute.id = view.id
            self.counts["disputes"] += 1

        return run

    def _answer(self, dispute: _Dispute) -> Callable[[], None]:
        def run() -> None:
            assert dispute.id is not None  # noqa: S101 - raised earlier
            self.sharing.answer_dispute(
                dispute.grant.provider.decider,
                dispute.id,
                outcome="confirmed",
                answer=dispute.reply,
            )
            dispute.answered = True

        return run

    def correct(self, limit: int = 2) -> None:
        """Today, providers correct the data of a few open disputes in a new data version."""
        builder = Principal.system("demo-builder")
        done: set[int] = set()
        for dispute in self.disputes:
            entry = dispute.grant.entry
            if len(done) >= limit:
                return
            if dispute.answered or dispute.id is None or not entry.has_data or entry.id in done:
                continue
            number = corrected_version(self.services, entry.code, builder)
            if number is None:
                continue
            done.add(entry.id)
            self.sharing.answer_dispute(
                dispute.grant.provider.decider,
                dispute.id,
                outcome="corrected",
                answer="已核实并更正源数据，删除了一条错误记录",
                corrected_version=number,
            )
            dispute.answered = True

    # -- usage and the daily sweep -----------------------------------------------------------

    def plan_days(self) -> None:
        """The expiry and escalation sweep twice a week; the last working day's reads."""
        tz, calendar = self.rules.tz, self.rules.calendar
        day = self.start.astimezone(tz).date()
        last: date | None = None
        while day <= self.now.astimezone(tz).date():
            night = datetime.combine(day, time(0, 30), tzinfo=tz)
            if day.weekday() in (0, 3) and self.start < night < self.now:
                self.at(night, self._sweep)
            if calendar.is_workday(day) and datetime.combine(day, time(18), tzinfo=tz) < self.now:
                last = day
            day += timedelta(days=1)
        self.last_day = last
        if last is not None:
            self.at(datetime.combine(last, time(18, 30), tzinfo=tz), self._reads(last))

    def _sweep(self) -> None:
        self.sharing.sweep()

    def _calls(self, grant: _Grant) -> int:
        return int(grant.rate * self.rng.uniform(0.5, 1.5)) + (self.rng.random() < grant.rate % 1)

    def _live(self, grant: _Grant, opens: datetime, closes: datetime) -> bool:
        end = min(grant.expires, grant.ended or grant.expires)
        return grant.id is not None and grant.starts <= opens and closes < end

    def _reads(self, day: date) -> Callable[[], None]:
        """The last working day's reads go through the access log, into the ledger."""

        def run() -> None:
            access = self.services.access
            opens = datetime.combine(day, time(9), tzinfo=self.rules.tz)
            for grant in self.grants:
                if not self._live(grant, opens, opens + timedelta(hours=9)):
                    continue
                assert grant.id is not None  # noqa: S101 - checked by _live
                calls = self._calls(grant)
                for _ in range(calls):
                    at = opens + timedelta(minutes=self.rng.randrange(9 * 60))
                    via = "api" if self.rng.random() < 0.8 else "rows"
                    access.record(
                        Access(
                            actor=grant.consumer.requester,
                            grant_id=grant.id,
                            entry_code=grant.entry.code,
                            columns=grant.items,
                            rows=self.rng.choice(ROWS_PER_CALL),
                            query_hash=query_hash(grant.entry.code, via, at.isoformat()),
                            via=via,
                            at=at,
                        )
                    )
                self.counts["calls"] += calls
            access.flush()

        return run

    def write_usage(self) -> None:
        """Daily usage before the last working day, written as the access log would count it.

        Written directly: through the access log each read costs a ledger leaf and about a
        millisecond, and six months of reads (tens of thousands) would take most of a minute.
        """
        tz, calendar = self.rules.tz, self.rules.calendar
        rows: list[dict[str, object]] = []
        for grant in self.grants:
            day = grant.starts.astimezone(tz).date() + timedelta(days=1)
            while self.last_day is not None and day < self.last_day:
                opens = datetime.combine(day, time(9), tzinfo=tz)
                if calendar.is_workday(day) and self._live(grant, opens, opens):
                    calls = self._calls(grant)
                    if calls:
                        served = sum(self.rng.choice(ROWS_PER_CALL) for _ in range(calls))
                        rows.append(
                            {
                                "grant_id": grant.id,
                                "day": day.isoformat(),
                                "calls": calls,
                                "rows": served,
                            }
                        )
                        self.counts["calls"] += calls
                day += timedelta(days=1)
        if rows:
            with self.services.db.transaction() as s:
                s.execute(insert(SharingUsage), rows)

    # -- running ------------------------------------------------------------------------------

    def run(self) -> None:
        for moment, _, step in sorted(self.timeline, key=lambda t: (t[0], t[1])):
            self.clock.at = moment
            step()
        self.clock.at = self.now
        self.sharing.sweep()


def build_sharing_history(
    services: Services, *, seed: int, now: datetime | None = None
) -> dict[str, int]:
    """Six months of requests in every state, grants, usage and disputes; return counts."""
    history = _History(services, seed=seed, now=now or utcnow())
    if not history.conditional or not history.unconditional or len(history.depts) < 2:
        return {"requests": 0, "subscriptions": 0, "disputes": 0, "calls": 0}
    cases = history.plan_requests()
    grants = [c.grant for c in cases if c.grant is not None]
    grants += history.plan_subscriptions()
    history.plan_revocations(grants)
    history.plan_disputes(grants)
    history.plan_days()
    history.run()
    history.write_usage()
    history.correct()
    return {
        "requests": len(cases),
        "subscriptions": history.counts["subscriptions"],
        "disputes": history.counts["disputes"],
        "revoked": history.counts["revoked"],
        "calls": history.counts["calls"],
    }


def corrected_version(services: Services, code: str, actor: Principal) -> int | None:
    """Load a corrected copy of an entry's data (its last row dropped); return its number."""
    info, chunks = services.reads.export(actor, code, [], fmt="csv", encoding="utf-8")
    rows = list(csv.reader(io.StringIO(b"".join(chunks).decode("utf-8"))))
    if len(rows) < 3:
        return None
    out = io.StringIO()
    csv.writer(out).writerows(rows[:-1])
    with tempfile.TemporaryDirectory(prefix="qc-demo-") as tmp:
        path = Path(tmp) / "corrected.csv"
        path.write_text(out.getvalue(), encoding="utf-8")
        job = services.datastore.start_load(actor, code, source_name=f"{info.entry_name}.csv")
        result = services.datastore.run_load(job.id, path)
    if result.status is not JobStatus.SUCCEEDED:
        return None
    current = services.datastore.dataset(actor, code).current
    return None if current is None else current.number
