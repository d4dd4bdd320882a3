"""Demo history of the public's interaction: data requests, ratings, error reports, reuses."""

from __future__ import annotations

import random
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from quancheng.catalog.model import PORTAL_OPEN_TYPES
from quancheng.db.models import (
    CatalogEntry,
    Department,
    PortalDataRequest,
    PortalFeedback,
    PortalReuse,
    PortalReuseEntry,
    User,
    utcnow,
)
from quancheng.identity.roles import Role

if TYPE_CHECKING:
    from quancheng.app import Services

DAYS = 180
# Authors of the demo's public content; they cannot log in (their password is thrown away).
AUTHORS = (
    ("wang_xs", "王先生"),
    ("li_ns", "李女士"),
    ("zhang_wei", "张伟"),
    ("liu_yang", "刘洋"),
    ("chen_jing", "陈静"),
    ("quancheng_trip", "泉城出行科技"),
    ("qilu_news", "齐鲁晚报数据新闻部"),
    ("sdu_gis", "山东大学地理信息实验室"),
    ("jn_dev", "济南开发者社区"),
    ("zhao_lei", "赵磊"),
    ("sun_li", "孙丽"),
    ("huang_min", "黄敏"),
)

# (title, description, purpose, department key)
REQUESTS = (
    (
        "公交车辆实时位置数据",
        "希望开放全市公交车辆实时GPS位置及到站预测数据。",
        "开发候车提醒小程序",
        "jtysj",
    ),
    (
        "共享单车停放点位与数量",
        "请开放各区共享单车电子围栏点位和车辆数量。",
        "研究最后一公里出行",
        "jtysj",
    ),
    ("地铁各站进出站客流", "希望按小时开放轨道交通各站进出站客流统计。", "通勤规律研究", "jtysj"),
    ("公共停车场实时泊位", "开放全市公共停车场位置、收费标准和剩余泊位。", "停车导航应用", "cgj"),
    ("道路施工占道信息", "希望开放道路施工占道的位置、工期和绕行建议。", "出行路线规划", "cgj"),
    ("城市内涝积水点位", "请开放历年易积水点位和实时积水深度监测数据。", "雨天出行提醒", "swj"),
    ("河道水质监测数据", "希望开放小清河等主要河道断面水质月度监测数据。", "环保公益监督", "sthjj"),
    ("噪声监测数据", "开放功能区噪声自动监测站的小时数据。", "居住环境评估", "sthjj"),
    ("企业排污许可信息", "希望开放排污许可证发放、执行报告等信息。", "环境信息公开研究", "sthjj"),
    ("中小学学区划分", "请开放各区中小学学区范围及招生计划。", "家长择校参考", "jyj"),
    ("幼儿园名录及收费", "开放全市公办民办幼儿园名录、收费标准和学位数。", "入园信息查询", "jyj"),
    ("医院门诊号源信息", "希望开放市属医院各科室每日号源余量。", "便民挂号服务", "wjw"),
    ("药店分布与营业时间", "开放全市零售药店位置和营业时间。", "夜间购药地图", "scjgj"),
    ("养老机构床位信息", "希望开放养老机构名录、床位数和收费。", "为老人选择养老院", "mzj"),
    ("社区食堂分布", "开放老年助餐点、社区食堂位置和开放时间。", "助老服务地图", "mzj"),
    ("体育场馆开放时间", "希望开放公共体育场馆位置、开放时间和预约方式。", "全民健身应用", "tyj"),
    ("景区实时客流", "开放主要景区实时在园人数和承载量。", "错峰出游", "wlj"),
    ("文化场馆活动日历", "希望开放图书馆、博物馆的活动安排。", "文化活动聚合", "wlj"),
    ("新建商品房备案价格", "开放新建商品住房网签备案均价。", "房地产市场研究", "zjj"),
    ("保障性住房房源", "开放公租房、保障性租赁住房房源信息。", "住房保障查询", "zjj"),
    ("建筑工地扬尘监测", "开放在建工地扬尘在线监测数据。", "空气污染溯源研究", "zjj"),
    ("市场主体登记统计", "按行业、区县开放新设市场主体月度统计。", "营商环境研究", "scjgj"),
    ("食品抽检结果", "开放食品安全监督抽检合格与不合格信息。", "消费者提示", "scjgj"),
    ("政务服务事项办件量", "开放各政务服务事项的月度办件量和办理时长。", "政务服务评估", "xzsp"),
    ("公共资源交易公告", "开放工程建设、政府采购交易公告结构化数据。", "招投标分析", "ggzy"),
    ("气象站逐小时观测", "开放全市自动气象站逐小时温度、降水、风速。", "农业气象服务", "qxj"),
    ("农产品批发价格", "开放主要农产品批发市场每日价格。", "价格走势分析", "nyncj"),
    ("应急避难场所", "开放应急避难场所位置、容量和设施。", "防灾减灾地图", "yjj"),
    ("消防站分布", "开放消防站位置及辖区范围。", "城市安全研究", "xfzd"),
    ("急救站点与AED位置", "开放急救站点和公共场所AED设备位置。", "急救地图", "jijiu"),
    ("献血点位置与时间", "开放献血屋和献血车的位置与服务时间。", "献血提醒", "xuezhan"),
    ("公积金缴存统计", "按行业开放住房公积金缴存人数和金额统计。", "住房金融研究", "gjj"),
    ("社保经办网点", "开放社保经办网点位置和可办业务。", "便民查询", "sbzx"),
    ("城市绿道与公园", "开放公园、绿道的位置、面积和设施。", "健身路线推荐", "ylj"),
    ("充电桩分布", "开放公共充电桩位置、功率和运营商。", "新能源出行", "fgw"),
    ("人口年龄结构", "按街道开放常住人口年龄结构统计。", "社区服务规划", "tjj"),
    ("出租车订单热力", "开放脱敏后的出租车上下客热力数据。", "交通规划研究", "jtysj"),
    ("低价出售发票 加微信", "代开各类发票，价格优惠。", "", None),
    ("免费领取红包", "点击链接领取，数量有限。", "", None),
    ("测试测试", "测试", "", None),
)

ANSWERS = {
    "answered": (
        "该数据已在“{entry}”中部分开放，可按站点筛选使用；其余字段涉及个人信息，暂不开放。",
        "经核实，相关数据由省级部门统一发布，请访问省公共数据开放网获取。",
        "我局已将该需求纳入数据治理清单，现有数据按月更新，可通过接口获取。",
    ),
    "planned": (
        "该数据正在进行脱敏和质量核查，计划于下季度开放。",
        "已列入本年度公共数据开放计划，预计年底前上线。",
        "我局正在建设相关监测系统，系统验收后将同步开放数据。",
    ),
    "published": (
        "已开放，详见“{entry}”，支持接口调用和批量下载。",
        "感谢您的建议，数据已按需求开放，更新频率为每日。",
    ),
    "declined": (
        "该数据涉及国家安全和个人隐私，依法不予开放。",
        "该数据不属于我局职责范围，建议向相关部门咨询。",
        "原始数据质量尚不满足开放要求，暂不开放，我们将持续改进。",
    ),
}

COMMENTS = (
    (5, "数据更新很及时，接口稳定，已经用在我们的小程序里了。"),
    (5, "字段说明清楚，下载方便，点赞！"),
    (4, "数据很有用，建议增加历史数据的批量下载。"),
    (4, "整体不错，希望能提供英文字段名。"),
    (4, "质量较好，偶尔有缺失值，希望补充说明缺失原因。"),
    (3, "数据可以用，但更新频率偏低，希望改为每日更新。"),
    (3, "部分字段含义不太明确，希望完善数据字典。"),
    (3, "数据量偏少，希望覆盖到所有区县。"),
    (2, "接口经常超时，希望优化。"),
    (2, "下载的CSV在Excel中打开中文乱码，建议提供带BOM的版本。"),
    (5, "做课程作业用到了这份数据，非常感谢开放。"),
    (4, "和往年数据口径一致，方便做对比分析。"),
    (1, "数据与实际情况差距较大。"),
)
COMMENT_REPLIES = (
    "感谢您的反馈，我们将在下次更新中补充相关内容。",
    "已将您的建议转交数据管理人员，预计下月完善。",
    "感谢使用！历史数据已支持按年份批量下载。",
    "已优化接口性能，如仍有问题请再次反馈。",
    "CSV下载已改为UTF-8带BOM编码，Excel可直接打开。",
)
SPAM_COMMENTS = ("加微信领取福利 www.example.com", "好好好好好好", "代办各类证件，价格优惠")
ERRORS = (
    "部分记录的经纬度明显错误，落在了黄河以北。",
    "2024年3月的数据有重复记录。",
    "站点名称与实际不符，“泉城广场”写成了“泉成广场”。",
    "单位标注为毫克/立方米，实际应为微克/立方米。",
    "有若干条记录的日期格式不一致。",
    "联系电话一栏有多条记录为空。",
    "统计口径说明中提到的字段在数据中找不到。",
)
ERROR_REPLIES = {
    "resolved": (
        "经核实确有错误，已在新版本数据中更正，感谢您的纠错。",
        "已删除重复记录并重新发布。",
        "已统一日期格式，感谢反馈。",
    ),
    "declined": (
        "经核实，该数据与源系统一致，不存在错误。",
        "该字段为空是因为相关单位未登记电话，不属于数据错误。",
    ),
}
# (title, kind, description, organisation, url, words in the names of the entries it uses)
REUSES = (
    (
        "泉城公交通",
        "app",
        "实时查询公交到站、换乘方案的手机应用。",
        "泉城出行科技",
        "https://example.com/bus",
        ("公交",),
    ),
    (
        "济南空气质量地图",
        "visualisation",
        "按站点展示空气质量指数的交互地图。",
        "济南开发者社区",
        "https://example.com/air",
        ("空气",),
    ),
    (
        "城市绿地可达性研究",
        "research",
        "基于公园和人口数据分析十五分钟生活圈的绿地可达性。",
        "山东大学地理信息实验室",
        "https://example.edu/green",
        ("公园", "人口"),
    ),
    (
        "数说济南：一年的降雨",
        "news",
        "用开放气象数据回顾全年降雨。",
        "齐鲁晚报数据新闻部",
        "https://example.com/rain",
        ("气象", "降水"),
    ),
    (
        "学校与医院分布图",
        "visualisation",
        "展示各区学校与医院的空间分布。",
        "济南开发者社区",
        "https://example.com/map",
        ("学校", "医院"),
    ),
    (
        "夜间购药助手",
        "app",
        "查找附近营业中的药店。",
        "个人开发者",
        "https://example.com/drug",
        ("药",),
    ),
    (
        "营商环境数据观察",
        "news",
        "从市场主体登记数据看新设企业变化。",
        "齐鲁晚报数据新闻部",
        "https://example.com/biz",
        ("市场主体", "企业"),
    ),
    (
        "济南停车地图",
        "app",
        "公共停车场位置与收费查询。",
        "泉城出行科技",
        "https://example.com/park",
        ("停车",),
    ),
    (
        "河流水质变化分析",
        "research",
        "分析主要河流断面近五年的水质变化趋势。",
        "济南大学环境学院",
        "https://example.edu/water",
        ("水质", "河"),
    ),
    (
        "养老服务地图",
        "app",
        "养老机构和社区食堂一图查询。",
        "社区志愿者团队",
        "https://example.com/elder",
        ("养老",),
    ),
    (
        "交通事故时空分布",
        "research",
        "研究交通事故的时间和空间分布规律。",
        "山东大学交通学院",
        "https://example.edu/traffic",
        ("交通",),
    ),
    (
        "城市能耗可视化",
        "visualisation",
        "展示各行业用电量变化。",
        "个人开发者",
        "https://example.com/energy",
        ("用电", "能源"),
    ),
    (
        "文旅活动日历",
        "app",
        "汇总博物馆、图书馆活动。",
        "济南开发者社区",
        "https://example.com/culture",
        ("文化", "图书馆", "博物馆"),
    ),
    (
        "人口结构与学位需求",
        "research",
        "基于人口和学校数据预测学位需求。",
        "山东师范大学",
        "https://example.edu/school",
        ("人口", "学校"),
    ),
    (
        "济南房价数据新闻",
        "news",
        "解读新建住房备案价格变化。",
        "齐鲁晚报数据新闻部",
        "https://example.com/house",
        ("住房", "房"),
    ),
    (
        "应急避难导航",
        "app",
        "查找最近的应急避难场所。",
        "泉城出行科技",
        "https://example.com/shelter",
        ("避难", "应急"),
    ),
    (
        "食品抽检可视化",
        "visualisation",
        "按品类展示食品抽检结果。",
        "消费者协会志愿者",
        "https://example.com/food",
        ("食品",),
    ),
    (
        "就业市场观察",
        "news",
        "从招聘与社保数据看就业。",
        "济南日报",
        "https://example.com/job",
        ("就业", "社保"),
    ),
    (
        "充电桩一张图",
        "visualisation",
        "全市公共充电桩分布热力图。",
        "济南开发者社区",
        "https://example.com/ev",
        ("充电",),
    ),
    (
        "城市树木普查分析",
        "research",
        "分析行道树种类与分布。",
        "山东农业大学",
        "https://example.edu/tree",
        ("树", "绿化"),
    ),
    (
        "社区服务一点通",
        "app",
        "社区服务设施查询。",
        "个人开发者",
        "https://example.com/community",
        ("社区",),
    ),
    (
        "景区客流预测",
        "research",
        "基于历史客流的景区客流预测模型。",
        "山东财经大学",
        "https://example.edu/tour",
        ("景区", "旅游"),
    ),
    (
        "数据看济南教育",
        "news",
        "用开放数据看教育资源变化。",
        "济南日报",
        "https://example.com/edu",
        ("教育", "学校"),
    ),
    (
        "体育场馆预约",
        "app",
        "公共体育场馆开放时间查询。",
        "泉城出行科技",
        "https://example.com/sport",
        ("体育",),
    ),
    (
        "空气与健康研究",
        "research",
        "空气污染与门诊量关系研究。",
        "山东第一医科大学",
        "https://example.edu/health",
        ("空气", "门诊"),
    ),
)


@dataclass(frozen=True)
class _Entry:
    id: int
    name: str
    department_id: int


def seed_interaction(
    services: Services, rng: random.Random, *, now: datetime | None = None
) -> dict[str, int]:
    """Six months of the public's requests, comments, error reports and reuses; return counts."""
    now = now or utcnow()
    start = now - timedelta(days=DAYS)
    with services.db.transaction() as s:
        authors = _authors(services, s)
        entries = [
            _Entry(e.id, e.name, e.department_id)
            for e in s.scalars(
                select(CatalogEntry)
                .where(
                    CatalogEntry.status == "published",
                    CatalogEntry.open_type.in_(PORTAL_OPEN_TYPES),
                )
                .order_by(CatalogEntry.id)
            )
        ]
        if not entries or not authors:
            return {"requests": 0, "comments": 0, "errors": 0, "reuses": 0}
        depts = {d.key: d.id for d in s.scalars(select(Department))}
        stewards = _stewards(s)

        def moment() -> datetime:
            return start + timedelta(seconds=rng.uniform(0, DAYS * 86400 - 7 * 86400))

        counts = {
            "requests": _requests(s, rng, moment, authors, entries, depts, stewards, now),
            "comments": 0,
            "errors": 0,
            "reuses": _reuses(s, rng, moment, authors, entries),
        }
        popular = rng.sample(entries, min(len(entries), 45))
        for n in range(150):
            entry = popular[min(int(rng.expovariate(1 / 8)), len(popular) - 1)]
            _comment(s, rng, moment(), rng.choice(authors), entry, stewards, n, now)
            counts["comments"] += 1
        for n in range(20):
            state = ("open", "resolved", "resolved", "declined")[n % 4]
            at = moment()
            reply = rng.choice(ERROR_REPLIES[state]) if state != "open" else ""
            s.add(
                PortalFeedback(
                    entry_id=rng.choice(popular).id,
                    user_id=rng.choice(authors),
                    kind="error",
                    body=ERRORS[n % len(ERRORS)],
                    state=state,
                    reply=reply,
                    replied_at=_later(rng, at, now) if reply else None,
                    created_at=at,
                )
            )
            counts["errors"] += 1
        return counts


def _authors(services: Services, s: Session) -> list[int]:
    existing = {u.username: u.id for u in s.scalars(select(User).where(User.role == "public_user"))}
    for username, display in AUTHORS:
        if username not in existing:
            user = services.identity.add_user(
                s,
                None,
                username=username,
                password=secrets.token_urlsafe(24),
                role=Role.PUBLIC_USER,
                department=None,
                display_name=display,
            )
            existing[username] = user.id
    return sorted(existing.values())


def _stewards(s: Session) -> dict[int, int]:
    """A data steward (or department admin) of each department, who answers for it."""
    found: dict[int, int] = {}
    rows = s.execute(
        select(User.department_id, User.id, User.role).where(
            User.role.in_(("data_steward", "department_admin"))
        )
    )
    for dept_id, user_id, role in rows:
        if dept_id is not None and (dept_id not in found or role == "data_steward"):
            found[dept_id] = user_id
    return found


def _later(rng: random.Random, at: datetime, now: datetime) -> datetime:
    return min(now, at + timedelta(days=rng.uniform(1, 20)))


def _requests(
    s: Session,
    rng: random.Random,
    moment: Callable[[], datetime],
    authors: list[int],
    entries: list[_Entry],
    depts: dict[str, int],
    stewards: dict[int, int],
    now: datetime,
) -> int:
    plan = ["pending_review"] * 5 + ["open"] * 7 + ["answered"] * 7 + ["planned"] * 7
    plan += ["published"] * 6 + ["declined"] * 5
    rng.shuffle(plan)
    by_dept: dict[int, list[_Entry]] = {}
    for e in entries:
        by_dept.setdefault(e.department_id, []).append(e)
    count = 0
    for n, (title, description, purpose, key) in enumerate(REQUESTS):
        at = moment()
        # A city without the named department asks one that has open entries instead.
        dept_id = (depts.get(key) or rng.choice(sorted(by_dept))) if key else None
        state = "rejected" if key is None else plan[n % len(plan)]
        row = PortalDataRequest(
            title=title,
            description=description,
            purpose=purpose,
            department_id=dept_id,
            requested_by=rng.choice(authors),
            state=state,
            votes=0 if state in ("pending_review", "rejected") else int(rng.expovariate(1 / 12)),
            created_at=at,
        )
        if state == "rejected":
            row.answer = "内容与数据需求无关，作为垃圾信息处理。"
        if state in ANSWERS and dept_id is not None:
            own = by_dept.get(dept_id) or entries
            linked = rng.choice(own)
            row.answer = rng.choice(ANSWERS[state]).format(entry=linked.name)
            row.answered_by = stewards.get(dept_id)
            row.answered_at = _later(rng, at, now)
            if state == "published":
                row.entry_id = linked.id
        s.add(row)
        count += 1
    return count


def _comment(
    s: Session,
    rng: random.Random,
    at: datetime,
    author: int,
    entry: _Entry,
    stewards: dict[int, int],
    n: int,
    now: datetime,
) -> None:
    roll = rng.random()
    if roll < 0.05:
        body, rating, state = rng.choice(SPAM_COMMENTS), 1, "rejected"
    else:
        rating, body = rng.choice(COMMENTS)
        state = "pending" if roll < 0.15 else "published"
        if n % 7 == 0:
            rating = None  # a comment without a rating
    reply = rng.choice(COMMENT_REPLIES) if state == "published" and rng.random() < 0.4 else ""
    s.add(
        PortalFeedback(
            entry_id=entry.id,
            user_id=author,
            kind="comment",
            rating=rating,
            body=body,
            state=state,
            reply=reply,
            replied_by=stewards.get(entry.department_id) if reply else None,
            replied_at=_later(rng, at, now) if reply else None,
            moderated_at=_later(rng, at, now) if state != "pending" else None,
            created_at=at,
        )
    )


def _reuses(
    s: Session,
    rng: random.Random,
    moment: Callable[[], datetime],
    authors: list[int],
    entries: list[_Entry],
) -> int:
    count = 0
    for n, (title, kind, description, org, url, words) in enumerate(REUSES):
        used = [e for e in entries if any(w in e.name for w in words)][:3]
        if not used:
            used = rng.sample(entries, min(2, len(entries)))
        state = "pending" if n % 9 == 4 else "rejected" if n % 12 == 11 else "approved"
        row = PortalReuse(
            title=title,
            kind=kind,
            description=description,
            url=url,
            organisation=org,
            submitted_by=rng.choice(authors),
            state=state,
            reason="链接无法访问，请核实后重新提交。" if state == "rejected" else "",
            created_at=moment(),
        )
        s.add(row)
        s.flush()
        for e in used:
            s.add(PortalReuseEntry(reuse_id=row.id, entry_id=e.id))
        count += 1
    return count
