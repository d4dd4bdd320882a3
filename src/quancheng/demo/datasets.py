"""Realistic data rows for the demo catalog entries people look for first.

Each selected entry gets a CSV whose header is its data item names, in item order, and whose
values fit each item's type and meaning (district names, valid ID numbers and credit codes,
coordinates around Jinan, spring water levels ...). Output is deterministic for a seed: a
table's rows are drawn from a `random.Random` and a `Faker("zh_CN")` seeded from the seed and
the entry code, so regenerating a table (or generating it in another process) gives the same
bytes.
"""

from __future__ import annotations

import csv
import hashlib
import math
import random
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cache, partial
from itertools import pairwise
from pathlib import Path
from typing import Protocol, TypeVar

from faker import Faker
from faker.providers.company.zh_CN import Provider as CompanyNames
from faker.providers.person.zh_CN import Provider as PersonNames

from quancheng.demo.identities import bank_card, credit_code, id_number, mobile
from quancheng.demo.tables import DISTRICT_ROWS

Value = str | None


class ItemLike(Protocol):
    """A data item as the catalog stores it (name, type code, sensitivity)."""

    @property
    def name(self) -> str: ...
    @property
    def data_type(self) -> str: ...
    @property
    def sensitivity(self) -> str: ...


class EntryLike(Protocol):
    """A catalog entry with its resource code and data items."""

    @property
    def code(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def items(self) -> Sequence[ItemLike]: ...


E = TypeVar("E", bound=EntryLike)


@dataclass(frozen=True)
class DemoTable:
    """The data rows of one catalog entry, regenerable on demand."""

    entry_code: str
    filename: str
    labels: list[str]
    rows: Callable[[], Iterator[list[Value]]]


# -- selection ---------------------------------------------------------------------------

# Subjects people look for first, most wanted first; selection takes turns between them.
TOPICS: tuple[tuple[str, str], ...] = tuple(
    (line.split()[0], line.split()[1])
    for line in """
bus 公交
parking 停车
air 空气质量
business 企业登记|个体工商户登记|农民专业合作社登记|企业名录|企业年度报告
school 学校|幼儿园|学区
hospital 医疗机构|医院|急救|卫生
spring 泉水|名泉|地下水
streetlight 路灯
population 人口
metro 轨道交通|地铁
charging 充电
weather 气象|天气|降水|雨量
water 水质|供水|河湖
park 公园|景区|绿地|古树
service 政务服务|办件|12345|热线
culture 图书馆|文物|文化|体育|场馆
welfare 养老|救助|低保|社会组织|婚姻
credit 信用|行政处罚|行政许可
energy 供热|燃气|用电|停电
housing 不动产|房屋|小区|物业
""".strip().splitlines()
)
_TOPIC_RE = tuple((key, re.compile(pattern)) for key, pattern in TOPICS)
_YEAR_PREFIX = re.compile(r"^(20\d\d)年")
_DISTRICT_PREFIX = re.compile("^(?:济南市)?(" + "|".join(r[0] for r in DISTRICT_ROWS) + ")")


def _topic(name: str) -> str | None:
    for key, pattern in _TOPIC_RE:
        if pattern.search(name):
            return key
    return None


def _rank(entry: EntryLike) -> tuple[int, str, str]:
    """Lower is wanted earlier: row data before statistics, city-wide before variants."""
    name = entry.name
    penalty = 0
    if "统计数据" in name or "主要指标" in name:
        penalty += 4
    if "变更信息" in name or "办件" in name:
        penalty += 3
    if "巡检" in name or "公示" in name or "归档" in name:
        penalty += 2
    if _YEAR_PREFIX.match(name) or _DISTRICT_PREFIX.match(name):
        penalty += 1
    return penalty, name, entry.code


def select_entries(entries: Sequence[E], *, limit: int = 300) -> list[E]:
    """Up to `limit` entries of the most wanted subjects, taking turns between subjects."""
    by_topic: dict[str, list[E]] = {key: [] for key, _ in TOPICS}
    for entry in entries:
        key = _topic(entry.name)
        if key is not None and entry.items:
            by_topic[key].append(entry)
    queues = [sorted(group, key=_rank) for group in by_topic.values() if group]
    picked: list[E] = []
    depth = 0
    while len(picked) < limit and any(depth < len(q) for q in queues):
        for queue in queues:
            if depth < len(queue) and len(picked) < limit:
                picked.append(queue[depth])
        depth += 1
    return picked


# -- vocabulary --------------------------------------------------------------------------


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


DISTRICTS: tuple[tuple[str, str], ...] = tuple((row[0], row[1]) for row in DISTRICT_ROWS)
# Per district: rough centre (longitude latitude) and some of its streets (街道/镇).
_DISTRICT_TEXT = """
历下区 117.08 36.67 泉城路街道 大明湖街道 解放路街道 千佛山街道 文东街道 甸柳街道 燕山街道 智远街道
市中区 116.99 36.62 大观园街道 杆石桥街道 四里村街道 魏家庄街道 二七街道 七里山街道 舜耕街道
槐荫区 116.90 36.65 振兴街街道 中大槐树街道 道德街街道 西市场街道 营市街街道 青年公园街道
天桥区 116.99 36.70 无影山街道 天桥东街街道 北村街道 南村街道 堤口路街道 北坦街道 泺口街道
历城区 117.13 36.68 洪家楼街道 东风街道 全福街道 山大路街道 王舍人街道 华山街道 唐冶街道
长清区 116.75 36.55 文昌街道 崮云湖街道 平安街道 五峰山街道 归德街道
章丘区 117.53 36.68 明水街道 双山街道 枣园街道 龙山街道 埠村街道 圣井街道
济阳区 117.17 36.98 济阳街道 济北街道 回河街道 崔寨街道
莱芜区 117.67 36.21 凤城街道 张家洼街道 高庄街道 鹏泉街道 口镇
钢城区 117.81 36.06 艾山街道 里辛街道 汶源街道 颜庄镇
平阴县 116.45 36.29 榆山街道 锦水街道 东阿镇 玫瑰镇
商河县 117.16 37.31 许商街道 玉皇庙镇 殷巷镇 贾庄镇
"""
_DISTRICT_FIELDS = [line.split() for line in _DISTRICT_TEXT.strip().splitlines()]
CENTRES = {f[0]: (float(f[1]), float(f[2])) for f in _DISTRICT_FIELDS}
STREET_LISTS = {f[0]: tuple(f[3:]) for f in _DISTRICT_FIELDS}
ROADS = _words(
    "泉城路 经十路 解放路 历山路 山大路 和平路 文化东路 二环东路 舜耕路 "
    "英雄山路 经一路 经七路 纬二路 工业南路 奥体中路 旅游路 北园大街 "
    "花园路 明湖东路 黑虎泉西路 趵突泉北路 共青团路 顺河街 堤口路 济泺路 "
    "天桥北街 张庄路 经四路 工业北路 华龙路 舜华路 新泺大街 凤鸣路 "
    "世纪大道 汇泉路 绣源河路 鲁中大街 汶河大道 榆山路 商中路"
)
ESTATES = _words("阳光 泉景 舜华 燕山 山水 鲁能 绿地 万科 恒大 中海 明湖 历山 玉函 七贤 丁豪 洪楼")
SPRINGS = _words(
    "趵突泉 金线泉 皇华泉 柳絮泉 漱玉泉 马跑泉 无忧泉 石湾泉 湛露泉 "
    "满井泉 登州泉 杜康泉 黑虎泉 琵琶泉 玛瑙泉 白石泉 九女泉 珍珠泉 "
    "散水泉 溪亭泉 濯缨泉 舜泉 五龙潭 古温泉 贤清泉 天镜泉 月牙泉 "
    "百脉泉 墨泉 梅花泉 白泉 涌泉 袈裟泉 洪范池 书院泉 扇面泉"
)
# Springs that head one of the ten spring groups (泉群); the others are listed under 趵突泉.
SPRING_HEADS = _words("趵突泉 黑虎泉 珍珠泉 五龙潭 百脉泉 白泉 涌泉 袈裟泉 洪范池 玉河泉")
AIR_STATIONS = _words(
    "市监测站 省种子仓库 开发区 农科所 机床二厂 市政府 泉城广场 化工厂 "
    "长清党校 章丘环保局 济阳环保局 商河环保局 平阴环保局 莱芜环保局 "
    "钢城环保局 科干所 高新区管委会"
)
BUS_STOPS = _words(
    "泉城广场 大明湖 济南火车站 济南西站 山东大学 燕山立交桥东 洪楼 千佛山 趵突泉 省立医院 "
    "齐鲁医院 解放桥 全福立交桥 舜耕路南口 奥体中心 汉峪金谷 长途汽车总站 动物园 植物园 "
    "腊山 党家庄 王舍人 唐冶 华山湖 济南东站 高新区管委会 历山路口 文化东路 经十一路"
)
NATIONS = ("汉族",) * 40 + ("回族", "回族", "满族", "蒙古族", "壮族", "朝鲜族")
INDUSTRY = _words(
    "科技 商贸 信息技术 建设工程 餐饮管理 物流 环保科技 医药 文化传媒 新能源 食品 置业"
)
LEGAL_FORMS = ("有限公司", "有限公司", "有限责任公司", "股份有限公司")
SCHOOL_KINDS = ("小学", "小学", "中学", "实验中学", "高级中学")
HOSPITALS = ("人民医院", "中医医院", "妇幼保健院", "社区卫生服务中心", "卫生院", "口腔医院")

# Choices for enumerated items ("name: option ... | ..."); "~" marks a name suffix.
_CHOICE_TEXT = """
性别: 男 女 | 办学类型: 小学 初级中学 九年一贯制学校 完全中学 高级中学
办学性质: 公办 公办 公办 民办 | 机构类别: 综合医院 中医医院 专科医院 社区卫生服务中心 卫生院 诊所
经营性质: 非营利性 非营利性 营利性
企业类型: 有限责任公司(自然人投资或控股) 有限责任公司(国有独资) 股份有限公司 个人独资企业
登记状态: 存续 存续 存续 在业 注销 吊销 | 运行状态: 正常 正常 正常 维护 故障
站点类型: 国控点 省控点 市控点 | 线路类型: 常规公交 常规公交 快速公交 定制公交 夜班公交
站台类型: 港湾式 直线式 | 卡类型: 普通卡 普通卡 学生卡 老年卡 爱心卡
优惠类型: 老年优待 学生优惠 残疾人优待 军人优待 | 开关状态: 开 关
故障状态: 正常 正常 正常 正常 灯具故障 通信中断 过压 | 光源类型: LED LED 高压钠灯 金卤灯
控制方式: 单灯控制 回路控制 时控 | 号牌种类: 小型汽车 小型汽车 新能源小型车 大型汽车
车辆类型: 小型普通客车 小型轿车 轻型厢式货车 大型普通客车 | 车身颜色: 白 黑 银 灰 红 蓝
婚姻状况: 未婚 已婚 已婚 离婚 丧偶 | 文化程度: 小学 初中 高中 大学专科 大学本科 研究生
与户主关系: 户主 配偶 子 女 父亲 母亲 | 保护级别: 省级 市级 区级 | 出水形态: 涌出 渗出 溢出 喷涌
登记类型: 结婚登记 离婚登记 补领结婚证 | 车辆状态: 运营 运营 待命 维修 | 天气情况: 晴 多云 阴 雨 雪
风向: 北 东北 东 东南 南 西南 西 西北 | 信用等级: A B C D | 评价结果: 合格 合格 不合格
检验结果: 合格 合格 不合格 | 景区等级: 5A 4A 3A 2A | 预警级别: 蓝色 黄色 橙色 红色
满意度: 非常满意 满意 基本满意 不满意 | 计量单位: 个 人 件 万元 %
~状态: 正常 正常 已办结 处理中 | ~结果: 通过 通过 不予通过 合格 | ~等级: 一级 二级 三级
~级别: 国家级 省级 市级 | ~性质: 公办 民办 | ~方式: 线上办理 窗口办理 邮寄
~类型: 一类 二类 三类 其他 | ~类别: 一类 二类 三类 其他 | ~种类: 一类 二类 其他
~用途: 住宅 商业 办公 工业
"""
PHRASES = {
    "经营范围": _words(
        "一般项目：技术服务、技术开发、技术咨询；软件开发；信息系统集成服务。 "
        "许可项目：食品经营；餐饮服务。一般项目：日用百货销售。 "
        "建设工程施工；市政设施管理；园林绿化工程施工。 货物进出口；机械设备销售；五金产品批发。"
    ),
    "描述": _words("路面破损，影响通行 设施老化需更换 标识牌缺失 照明设施不亮 消防通道被占用"),
    "内容": _words("地址变更 法定代表人变更 经营范围调整 名称变更 联系方式更新"),
}
MEMO_FALLBACK = ("按规定办理完毕", "已转相关部门处理", "材料齐全，予以受理", "已现场核实", "无")
INDICATORS = {
    key: tuple((part.split("/")[0], part.split("/")[1]) for part in text.split())
    for key, text in (
        ("population", "常住人口/万人 户籍人口/万人 出生人口/人 城镇化率/% 65岁及以上人口占比/%"),
        ("business", "新登记企业数/户 实有市场主体数/户 新增注册资本/亿元 注销企业数/户"),
        ("air", "PM2.5年均浓度/微克每立方米 优良天数/天 优良天数比例/%"),
    )
}
GENERIC_INDICATORS = (("{s}数量", "个"), ("{s}办理量", "件"), ("{s}办结率", "%"), ("新增{s}", "个"))
CHINESE_DATES = ("{y}年{m}月{d}日", "{y}/{m}/{d}", "{y}.{m:02d}.{d:02d}")

START = date(2019, 1, 1)
END = date(2025, 12, 31)
SPAN_DAYS = (END - START).days


_VIN_CHARS = "0123456789ABCDEFGHJKLMNPRSTUVWXYZ"
_PLATE_CHARS = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"


# -- one table's generator ---------------------------------------------------------------


Gen = Callable[["_Row"], Value]
SURNAMES = tuple(PersonNames.last_names)
COMPANY_PREFIXES = tuple(CompanyNames.company_prefixes)
SPRING_ITEMS = frozenset(_words("泉水水位 地下水埋深 喷涌状态 地下水水位 水温 电导率"))
AIR_ITEMS = frozenset(
    _words(
        "PM2.5浓度 PM10浓度 二氧化硫浓度 二氧化氮浓度 臭氧浓度 "
        "一氧化碳浓度 空气质量指数 首要污染物 空气质量级别"
    )
)
# 趵突泉 stops gushing below 27.60 m (the city's protection "red line").
SPRING_RED_LINE = 27.60
LAST = datetime(2025, 12, 31, 23, 59, 59)
PERSON_ROLES = frozenset(
    _words(
        "法定代表人 负责人 经营者 投诉人 来电人 报修人 信访人 上报人 查档人 "
        "买受人 项目负责人 监测责任人 代办人员 检查人员 领衔人"
    )
)
HOME_ADDRESSES = frozenset(_words("住址 户籍地址 居住地址 房屋坐落 坐落 用水地址 报修地址"))
ORG_NAMES = ("企业名称", "单位名称", "纳税人名称", "相对人名称", "主体名称")
REGION = dict(DISTRICTS)


@cache
def _choices() -> tuple[dict[str, tuple[str, ...]], tuple[tuple[str, tuple[str, ...]], ...]]:
    """Exact-name choices and suffix choices parsed from `_CHOICE_TEXT`."""
    exact: dict[str, tuple[str, ...]] = {}
    suffix: list[tuple[str, tuple[str, ...]]] = []
    for part in _CHOICE_TEXT.replace("\n", "|").split("|"):
        if not part.strip():
            continue
        name, _, options = part.strip().partition(":")
        if name.startswith("~"):
            suffix.append((name[1:], tuple(options.split())))
        else:
            exact[name] = tuple(options.split())
    return exact, tuple(suffix)


@dataclass
class _Person:
    name: str
    male: bool
    born: date
    id_number: str


@dataclass
class _Site:
    code: str
    name: str
    district: str
    lon: float
    lat: float


@dataclass
class _Row:
    """Values a row shares between its columns (one person, one place, one moment)."""

    district: str
    people: dict[str, _Person] = field(default_factory=dict)
    org: tuple[str, str] | None = None
    site: _Site | None = None
    moment: datetime | None = None
    day: date | None = None
    party: bool | None = None
    point: tuple[float, float] | None = None
    line: str | None = None
    spring: str | None = None
    values: dict[str, Value] | None = None


@dataclass(frozen=True)
class _Plan:
    """What kind of table an entry is and how many rows it gets."""

    kind: str  # stats | series | records
    topic: str
    rows: int
    mixed_dates: bool
    zero_codes: bool
    null_rate: float
    year: int | None
    district: str | None
    step: timedelta


class _Table:
    def __init__(self, entry: EntryLike, plan: _Plan, seed: int) -> None:
        self.entry_name = entry.name
        self.plan = plan
        self.rng = random.Random(seed)  # noqa: S311 - demo data, not security
        self.fake = Faker("zh_CN")
        self.fake.seed_instance(seed)
        self.serial = 0
        self.sites = self._sites()
        self.start = datetime(plan.year or 2019 + self.rng.randrange(5), 1, 1)
        self.start += timedelta(days=self.rng.randrange(180))
        self.names = [i.name for i in entry.items]
        self.columns = [self._column(i.name, str(i.data_type)) for i in entry.items]
        keys = ("编号", "编码", "代码", "名称", "时间", "日期", "号码", "姓名")
        self.nullable = [not any(k in name for k in keys) for name in self.names]

    # -- shape ---------------------------------------------------------------------------

    def rows(self) -> Iterator[list[Value]]:
        if self.plan.kind == "stats":
            yield from self._stats_rows()
            return
        for i in range(self.plan.rows):
            yield self._row(i)

    def _row(self, i: int) -> list[Value]:
        rng = self.rng
        row = _Row(district=self.plan.district or rng.choice(DISTRICTS)[0])
        if self.sites:
            row.site = self.sites[i % len(self.sites)]
            row.district = row.site.district
        if self.plan.kind == "series":
            tick = i // max(1, len(self.sites))
            row.moment = self.start + self.plan.step * tick + timedelta(seconds=rng.randrange(60))
            row.day = row.moment.date()
        rate = self.plan.null_rate
        out: list[Value] = []
        for column, nullable in zip(self.columns, self.nullable, strict=True):
            value = column(row)
            if rate and nullable and rng.random() < rate:
                value = None
            out.append(value)
        return out

    def _sites(self) -> list[_Site]:
        """Fixed stations, lamps or vehicles that a time series repeats over."""
        if self.plan.kind != "series":
            return []
        rng, topic, springs = self.rng, self.plan.topic, "泉水" in self.entry_name
        names: Sequence[str] = ()
        count = 12
        if topic == "spring":
            names = SPRINGS[:12] if springs else [f"{r}监测井" for r in ROADS]
            count = 6 if springs else 10
        elif topic == "air":
            names, count = AIR_STATIONS, len(AIR_STATIONS)
        elif topic in ("bus", "streetlight"):
            count = 40
        sites = []
        for n in range(count):
            district = self.plan.district or rng.choice(DISTRICTS)[0]
            name = names[n] if n < len(names) else f"{rng.choice(ROADS)}{n + 1:02d}"
            lon, lat = self._point(district)
            sites.append(_Site(f"{n + 1:05d}", name, district, lon, lat))
        return sites

    def _stats_rows(self) -> Iterator[list[Value]]:
        rng = self.rng
        years = [self.plan.year] if self.plan.year else list(range(2019, 2025))
        units = STREET_LISTS[self.plan.district] if self.plan.district else list(REGION)
        stem = _stem(self.entry_name)
        indicators = INDICATORS.get(self.plan.topic) or tuple(
            (label.format(s=stem), unit) for label, unit in GENERIC_INDICATORS
        )
        cells = [(y, u, i) for y in years for u in units for i in indicators][: self.plan.rows]
        for year, unit, (label, measure) in cells:
            row = _Row(district=self.plan.district or unit, day=date(year, 12, 31))
            fixed = {
                "统计年度": str(year),
                "区县名称": unit,
                "街道名称": unit,
                "指标名称": label,
                "指标值": self._measure(measure),
                "计量单位": measure,
                "同比增长率": f"{rng.gauss(3, 6):.2f}",
            }
            yield [
                fixed[n] if n in fixed else column(row)
                for n, column in zip(self.names, self.columns, strict=True)
            ]

    def _measure(self, unit: str) -> str:
        rng = self.rng
        if unit == "%":
            return f"{rng.uniform(40, 99):.2f}"
        if unit == "万人":
            return f"{rng.uniform(20, 180):.2f}"
        if unit in ("亿元", "微克每立方米"):
            return f"{rng.uniform(20, 90):.1f}"
        if unit == "天":
            return str(rng.randint(180, 300))
        return str(int(rng.lognormvariate(6, 1)))

    # -- columns: each item's generator is chosen once, by name and type ------------------

    def _column(self, name: str, typ: str) -> Gen:
        return self._identity(name) or self._topical(name) or self._typed(name, typ)

    def _identity(self, name: str) -> Gen | None:
        """Places, people, organisations and their identifiers."""
        rng = self.rng
        exact, _ = _choices()
        if name in ("所属区县", "区县", "区县名称"):
            return lambda r: r.district
        if name in ("所属街道", "街道名称", "所属镇街"):
            return lambda r: rng.choice(STREET_LISTS[r.district])
        if "行政区划代码" in name or name == "区划代码":
            return lambda r: REGION[r.district]
        if "社区代码" in name:
            return lambda r: f"{REGION[r.district]}{rng.randint(1, 12):03d}{rng.randint(1, 30):03d}"
        if "邮政编码" in name:
            return lambda r: f"250{rng.randint(0, 199):03d}"
        if name == "经度":
            return lambda r: f"{self._site_point(r)[0]:.6f}"
        if name == "纬度":
            return lambda r: f"{self._site_point(r)[1]:.6f}"
        if name in ("经纬度", "坐标"):
            return lambda r: "{:.6f},{:.6f}".format(*self._site_point(r))
        if "公民身份号码" in name or "身份证" in name:
            return lambda r: self._person(r, name).id_number
        if name.endswith("证件号码"):
            return lambda r: self._party(r)[1]
        if name.endswith("姓名") or name in PERSON_ROLES:
            return lambda r: self._person(r, name).name
        if name == "性别":
            return lambda r: "男" if self._person(r, name).male else "女"
        if name == "出生日期":
            return lambda r: self._date(self._person(r, name).born)
        if (name.startswith("单位") and "电话" in name) or name in (
            "服务电话",
            "咨询电话",
            "值班电话",
        ):
            return lambda r: f"0531-{rng.choice('6789')}{rng.randrange(10**7):07d}"
        if "联系电话" in name or name in ("来电号码", "手机号码", "手机"):
            return lambda r: mobile(rng)
        if name in ("统一社会信用代码", "纳税人识别号", "持证主体代码"):
            return lambda r: self._org(r)[1]
        if name in ("银行账号", "社会保障卡号"):
            return lambda r: bank_card(rng)
        if name == "卡号":
            return lambda r: f"3101{rng.randrange(10**12):012d}"
        if name == "民族":
            return lambda r: rng.choice(NATIONS)
        if name in exact:
            options = exact[name]
            return lambda r: rng.choice(options)
        if name in HOME_ADDRESSES:
            return lambda r: self._address(r, home=True)
        if name.endswith(("地址", "地点", "住所", "场所", "位置", "坐落")):
            return lambda r: self._address(r, home=False)
        if name.endswith(ORG_NAMES):
            return lambda r: self._org(r)[0]
        if name.endswith(("申请人名称", "申请人", "权利人", "持证主体")):
            return lambda r: self._party(r)[0]
        return None

    def _topical(self, name: str) -> Gen | None:
        """Values whose meaning depends on the subject (springs, air, buses, schools ...)."""
        rng, topic = self.rng, self.plan.topic
        if name in ("监测站点编码", "站点编号", "路灯编号", "泉池编号", "车辆编号") and self.sites:
            return lambda r: r.site.code if r.site else None
        if name in ("监测站点名称", "站点名称") and self.sites and topic != "bus":
            return lambda r: r.site.name if r.site else None
        if name in SPRING_ITEMS:
            return lambda r: self._spring(r)[name]
        if name in AIR_ITEMS:
            return lambda r: self._air(r)[name]
        if name == "监测站点名称":
            pool = AIR_STATIONS if topic == "air" else tuple(f"{x}监测点" for x in ROADS)
            return lambda r: rng.choice(pool)
        if name == "泉池名称":
            return lambda r: self._spring_name(r)
        if name == "所属泉群":
            return lambda r: _spring_group(self._spring_name(r))
        if name in ("线路编号", "所属线路"):
            return lambda r: self._line(r)
        if name == "线路名称":
            return lambda r: f"{self._line(r)}路"
        if name in ("起点站", "终点站", "下一站点", "车站名称", "当前车站", "站点名称"):
            return lambda r: rng.choice(BUS_STOPS)
        if name in ("首班时间", "末班时间"):
            hours = (5, 6) if name == "首班时间" else (20, 23)
            return lambda r: f"{rng.randint(*hours):02d}:{rng.choice((0, 15, 30, 45)):02d}"
        if name in ("学校名称", "就读学校", "报名学校", "对口学校"):
            return lambda r: f"济南市{r.district}{rng.choice(ROADS)}{rng.choice(SCHOOL_KINDS)}"
        if name == "学校标识码":
            return lambda r: f"11370{rng.randrange(10**5):05d}"
        if name in ("机构名称", "所属医院", "就诊机构", "送达医院") and topic == "hospital":
            return lambda r: f"济南市{r.district}{rng.choice(ROADS)}{rng.choice(HOSPITALS)}"
        if name == "机动车号牌号码":
            return lambda r: "鲁A" + rng.choice(_PLATE_CHARS) + f"{rng.randrange(10**4):04d}"
        if name == "车辆识别代号":
            return lambda r: "L" + "".join(rng.choices(_VIN_CHARS, k=16))
        if name == "护照号码":
            return lambda r: f"E{rng.randrange(10**8):08d}"
        if name in ("社区", "所属社区", "社区名称"):
            return lambda r: f"{rng.choice(ESTATES)}社区"
        if name in ("村名", "村庄名称"):
            return lambda r: f"{rng.choice(SURNAMES)}家村"
        if name == "小区名称":
            return lambda r: rng.choice(ESTATES) + rng.choice(("花园", "小区", "家园", "苑"))
        return None

    def _typed(self, name: str, typ: str) -> Gen:
        """A generator by data type, refined by the name's suffix."""
        rng = self.rng
        later = _later(name)
        if typ == "D":
            return lambda r: self._date(self._day(r, later=later))
        if typ == "T":
            return lambda r: self._time(r, later=later)
        if typ == "L":
            return lambda r: "是" if rng.random() < 0.3 else "否"
        if typ in ("I", "N", "F", "Y"):
            return _number(rng, name, typ)
        if typ == "B":
            return lambda r: None
        if typ == "M":
            return self._memo(name)
        return self._text(name)

    def _text(self, name: str) -> Gen:
        rng = self.rng
        _, suffixes = _choices()
        if name.endswith(("年度", "年份")):
            return lambda r: str(self._day(r).year)
        if name.endswith("月份"):
            return lambda r: self._day(r).strftime("%Y-%m")
        if name.endswith("文号"):
            return lambda r: f"济审批〔{rng.randint(2019, 2025)}〕{rng.randint(1, 400)}号"
        if name.endswith(("编号", "编码", "代码", "号码", "证号", "流水号", "登记号", "号")):
            return lambda r: self._code()
        if name.endswith(("机关", "部门")):
            return lambda r: f"济南市{r.district}行政审批服务局"
        if name.endswith(("机构", "单位", "企业", "运营商")):
            return lambda r: self._org(r)[0]
        for suffix, options in suffixes:
            if name.endswith(suffix):
                return lambda r: rng.choice(options)
        if name.endswith("名称"):
            noun = name.removesuffix("名称")[-4:]
            return lambda r: f"{rng.choice(ROADS)}{noun}"
        if name.endswith(("人", "者")):
            return lambda r: self.fake.name()
        return self._memo(name)

    def _memo(self, name: str) -> Gen:
        rng = self.rng
        for key, options in PHRASES.items():
            if key in name:
                return lambda r: rng.choice(options)
        if name == "备注":
            return lambda r: None if rng.random() < 0.8 else rng.choice(MEMO_FALLBACK)
        return lambda r: rng.choice(MEMO_FALLBACK)

    def _code(self) -> str:
        self.serial += 1
        if self.plan.zero_codes:
            # Codes with leading zeros: a loader must keep them as text.
            return f"{self.serial:08d}"
        return f"JN{self.rng.randint(2019, 2025)}{self.rng.randrange(10**6):06d}"

    # -- values a row shares between its columns -----------------------------------------

    def _person(self, row: _Row, name: str) -> _Person:
        role = ""
        for prefix in ("男方", "女方", "监护人", "母亲", "父亲", "经营者", "法定代表人", "投诉人"):
            if name.startswith(prefix):
                role = prefix
        person = row.people.get(role)
        if person is None:
            rng = self.rng
            male = {"男方": True, "女方": False, "母亲": False, "父亲": True}.get(
                role, rng.random() < 0.5
            )
            born = date(1945, 1, 1) + timedelta(days=rng.randrange(365 * 60))
            full = self.fake.name_male() if male else self.fake.name_female()
            number = id_number(rng, region=REGION[row.district], born=born, male=male)
            person = row.people[role] = _Person(full, male, born, number)
        return person

    def _org(self, row: _Row) -> tuple[str, str]:
        if row.org is None:
            rng = self.rng
            prefix = "91"
            for word, code in (("个体", "92"), ("合作社", "93"), ("社会组织", "52")):
                prefix = code if word in self.entry_name else prefix
            name = f"济南{rng.choice(COMPANY_PREFIXES)}{rng.choice(INDUSTRY)}"
            name += rng.choice(LEGAL_FORMS)
            if prefix == "92":
                shop = rng.choice(("便利店", "餐馆", "五金店", "理发店"))
                name = f"{row.district}{rng.choice(SURNAMES)}记{shop}"
            row.org = (name, credit_code(rng, prefix=prefix, region=REGION[row.district]))
        return row.org

    def _party(self, row: _Row) -> tuple[str, str]:
        """An applicant or right holder: a person half the time, else an organisation."""
        if row.party is None:
            row.party = self.rng.random() < 0.5
        if row.party:
            person = self._person(row, "")
            return person.name, person.id_number
        return self._org(row)

    def _point(self, district: str) -> tuple[float, float]:
        lon, lat = CENTRES[district]
        return lon + self.rng.uniform(-0.04, 0.04), lat + self.rng.uniform(-0.03, 0.03)

    def _site_point(self, row: _Row) -> tuple[float, float]:
        if row.site:
            return row.site.lon, row.site.lat
        if row.point is None:
            row.point = self._point(row.district)
        return row.point

    def _address(self, row: _Row, *, home: bool) -> str:
        rng = self.rng
        base = f"山东省济南市{row.district}{rng.choice(ROADS)}{rng.randint(1, 300)}号"
        if not home:
            return base
        room = f"{rng.randint(1, 28)}0{rng.randint(1, 4)}"
        flat = f"{rng.randint(1, 30)}号楼{rng.randint(1, 4)}单元{room}"
        return f"{base}{rng.choice(ESTATES)}小区{flat}"

    def _line(self, row: _Row) -> str:
        if row.line is None:
            n = self.rng.randint(1, 300)
            row.line = self.rng.choice((str(n), str(n), f"K{n}", f"BRT{n % 8 + 1}"))
        return row.line

    def _spring_name(self, row: _Row) -> str:
        if row.spring is None:
            row.spring = self.rng.choice(SPRINGS)
        return row.spring

    def _day(self, row: _Row, *, later: bool = False) -> date:
        if row.day is None:
            if self.plan.year:
                row.day = date(self.plan.year, 1, 1) + timedelta(days=self.rng.randrange(365))
            else:
                row.day = START + timedelta(days=self.rng.randrange(SPAN_DAYS))
        if later:
            return min(END, row.day + timedelta(days=self.rng.randint(1, 400)))
        return row.day

    def _time(self, row: _Row, *, later: bool) -> str:
        if row.moment is None:
            day = self._day(row)
            row.moment = datetime(day.year, day.month, day.day)
            row.moment += timedelta(seconds=self.rng.randrange(86400))
        moment = row.moment
        if later:
            moment = min(LAST, moment + timedelta(minutes=self.rng.randint(10, 60 * 24 * 5)))
        return moment.strftime("%Y-%m-%d %H:%M:%S")

    def _date(self, day: date) -> str:
        if self.plan.mixed_dates and self.rng.random() < 0.5:
            form = self.rng.choice(CHINESE_DATES)
            return form.format(y=day.year, m=day.month, d=day.day)
        return day.isoformat()

    # -- subject models ------------------------------------------------------------------

    def _spring(self, row: _Row) -> dict[str, Value]:
        if row.values is not None:
            return row.values
        rng = self.rng
        self._time(row, later=False)
        assert row.moment is not None  # noqa: S101 - set by _time
        # Levels peak in early autumn after the rainy season and bottom out in early summer.
        season = math.sin((row.moment.timetuple().tm_yday - 150) / 365 * 2 * math.pi)
        name = row.site.name if row.site else "趵突泉"
        offset = {"黑虎泉": -0.15, "五龙潭": 0.05, "珍珠泉": 0.1}.get(name, 0.0)
        level = 28.65 + offset + 0.55 * season + rng.gauss(0, 0.04)
        row.values = {
            "泉水水位": f"{level:.2f}",
            "地下水水位": f"{level + rng.uniform(-1.5, 1.5):.2f}",
            "地下水埋深": f"{30.8 - level:.2f}",
            "喷涌状态": "喷涌" if level >= SPRING_RED_LINE else "停喷",
            "水温": f"{rng.uniform(16.5, 18.5):.1f}",
            "电导率": f"{rng.uniform(550, 720):.0f}",
        }
        return row.values

    def _air(self, row: _Row) -> dict[str, Value]:
        if row.values is not None:
            return row.values
        rng = self.rng
        self._time(row, later=False)
        assert row.moment is not None  # noqa: S101 - set by _time
        winter = math.cos((row.moment.timetuple().tm_yday - 15) / 365 * 2 * math.pi)
        pm25 = max(3.0, rng.lognormvariate(math.log(45 + 25 * winter), 0.4))
        o3 = max(5.0, rng.lognormvariate(math.log(110 - 60 * winter), 0.3))
        aqi = max(_iaqi(pm25), int(o3 / 2))
        primary = None if aqi <= 50 else ("PM2.5" if _iaqi(pm25) >= o3 / 2 else "O3")
        row.values = {
            "PM2.5浓度": f"{pm25:.0f}",
            "PM10浓度": f"{pm25 * rng.uniform(1.4, 2.1):.0f}",
            "二氧化硫浓度": f"{rng.uniform(4, 25):.0f}",
            "二氧化氮浓度": f"{rng.uniform(15, 60):.0f}",
            "臭氧浓度": f"{o3:.0f}",
            "一氧化碳浓度": f"{rng.uniform(0.3, 1.6):.1f}",
            "空气质量指数": str(aqi),
            "首要污染物": primary,
            "空气质量级别": next(level for top, level in AQI_LEVELS if aqi <= top),
        }
        return row.values


AQI_LEVELS: tuple[tuple[int, str], ...] = (
    (50, "优"),
    (100, "良"),
    (150, "轻度污染"),
    (200, "中度污染"),
    (300, "重度污染"),
    (10**9, "严重污染"),
)
_PM25_BREAKS = ((0, 0), (35, 50), (75, 100), (115, 150), (150, 200), (250, 300), (500, 500))


def _iaqi(pm25: float) -> int:
    """HJ 633 individual AQI of a PM2.5 concentration."""
    for (c_lo, i_lo), (c_hi, i_hi) in pairwise(_PM25_BREAKS):
        if pm25 <= c_hi:
            return round(i_lo + (i_hi - i_lo) * (pm25 - c_lo) / (c_hi - c_lo))
    return 500


def _spring_group(spring: str) -> str:
    return f"{spring if spring in SPRING_HEADS else '趵突泉'}泉群"


def _later(name: str) -> bool:
    """Items that come after the row's first date (closing, expiry, completion)."""
    words = ("办结", "结束", "截止", "有效期至", "完成", "结案", "移出", "到达", "解除", "下次")
    return any(w in name for w in words)


# (name fragment, low, high, decimals) of numeric items; the first fragment found wins.
_NUMBER_TEXT = """
床位 0 1500 0|车道数 2 8 0|回路数 2 8 0|人次 100 20000 0|客流 100 20000 0|人口 100 50000 0
时长 1 60 0|期限 1 60 0|时限 1 60 0|数量 1 300 0|数 1 300 0
率 0 100 2|面积 50 50000 2|长度 0.5 40 2|里程 0.5 120 2|桩号 0 120 3|车速 10 60 1|速度 0 60 1
电压 210 240 1|电流 0.2 2 2|功率 30 250 1|亮度 0 100 0|气温 -10 38 1|温度 35 95 1|湿度 20 95 0
水位 20 35 2|浓度 0 120 1|方向角 0 359 0|指数 1 10 2|量 0 10000 2
票价 1 3 0|交易金额 0 2 0|资本 10 50000 2|投资 10 50000 2|总额 10 50000 2
"""
_NUMBERS = tuple(
    (key, float(low), float(high), int(digits))
    for part in _NUMBER_TEXT.replace("\n", "|").split("|")
    if part.strip()
    for key, low, high, digits in [part.split()]
)


def _number(rng: random.Random, name: str, typ: str) -> Gen:
    """Numbers in a range that fits the item's name; money has two decimals."""
    low, high, digits = 0.0, 1000.0, 2
    for key, lo, hi, dg in _NUMBERS:
        if key in name:
            low, high, digits = lo, hi, dg
            break
    if typ == "I":
        lo_i, hi_i = int(low), int(high)
        return lambda r: str(rng.randint(lo_i, hi_i))
    if typ == "Y":
        if high <= 3:  # fares: whole yuan or the usual discounts
            return lambda r: rng.choice(("2.00", "2.00", "1.00", "1.60", "0.00"))
        mid = math.log(max(low, 1.0) * 10 + 1000)
        return lambda r: f"{rng.lognormvariate(mid, 1.2):.2f}"
    return lambda r: f"{rng.uniform(low, high):.{digits}f}"


def _stem(name: str) -> str:
    """The subject of a statistics entry's name (2024年公交客流统计数据 → 公交客流)."""
    stem = _YEAR_PREFIX.sub("", name)
    stem = _DISTRICT_PREFIX.sub("", stem).removeprefix("济南市")
    for tail in ("主要指标数据", "统计数据", "数据", "信息"):
        stem = stem.removesuffix(tail)
    return stem or name


# -- planning ----------------------------------------------------------------------------

SERIES_ITEMS = frozenset({"监测时间", "采集时间", "定位时间", "交易时间", "统计时间", "统计日期"})
SERIES_BASE = {"air": 2400, "spring": 1800, "bus": 2400, "streetlight": 2400}


def _seed_of(seed: int, code: str) -> int:
    digest = hashlib.sha256(f"quancheng-demo-data:{seed}:{code}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


def _plan(entry: EntryLike, seed: int, scale: float) -> _Plan:
    rng = random.Random(_seed_of(seed, entry.code) ^ 0x5EED)  # noqa: S311 - demo data
    name = entry.name
    names = {i.name for i in entry.items}
    types = {str(i.data_type) for i in entry.items}
    topic = _topic(name) or "other"
    year_match = _YEAR_PREFIX.match(name)
    district_match = _DISTRICT_PREFIX.match(name)
    year = int(year_match.group(1)) if year_match else None
    district = district_match.group(1) if district_match else None
    personal = any(str(i.sensitivity) in ("personal", "sensitive_personal") for i in entry.items)
    step = timedelta(hours=1)
    if "指标值" in names:
        kind = "stats"
        units = len(STREET_LISTS[district]) if district else len(DISTRICTS)
        indicators = len(INDICATORS.get(topic, GENERIC_INDICATORS))
        base = (1 if year else 6) * units * indicators
    elif names & SERIES_ITEMS:
        kind = "series"
        base = SERIES_BASE.get(topic, 1000)
        if "统计日期" in names:
            step, base = timedelta(days=1), 720
        elif topic in ("bus", "streetlight"):
            step = timedelta(minutes=5)
    else:
        kind = "records"
        if "变更" in name or "巡检" in name:
            base = 300
        elif "名录" in name or "站点信息" in name:
            base = 60 if topic == "spring" else 400
        elif personal:
            base = 1000
        else:
            base = 500
        base = int(base * rng.uniform(0.8, 1.2))
    base = max(50, min(5000, base))
    return _Plan(
        kind=kind,
        topic=topic,
        rows=max(1, round(base * scale)),
        mixed_dates="D" in types and rng.random() < 0.35,
        zero_codes=rng.random() < 0.4,
        null_rate=rng.choice((0.0, 0.0, 0.02, 0.05)),
        year=year,
        district=district,
        step=step,
    )


def demo_tables(
    entries: Sequence[E], *, seed: int = 2024, limit: int = 300, scale: float = 1.0
) -> Iterator[DemoTable]:
    """A data table for each selected entry; rows are generated only when iterated."""
    for entry in select_entries(entries, limit=limit):
        plan = _plan(entry, seed, scale)
        yield DemoTable(
            entry_code=entry.code,
            filename=f"{entry.code}.csv",
            labels=[i.name for i in entry.items],
            rows=partial(_generate, entry, plan, _seed_of(seed, entry.code)),
        )


def _generate(entry: EntryLike, plan: _Plan, seed: int) -> Iterator[list[Value]]:
    # The generator (and its Faker) is built per call, so every call starts from the seed.
    return _Table(entry, plan, seed).rows()


def write_csv(table: DemoTable, path: Path, *, encoding: str = "utf-8") -> int:
    """Stream a table to a CSV file (header first, nulls as empty fields); return the row count."""
    count = 0
    with path.open("w", encoding=encoding, newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(table.labels)
        for row in table.rows():
            writer.writerow(["" if v is None else v for v in row])
            count += 1
    return count


# -- the scale table ---------------------------------------------------------------------

LARGE_LABELS = ["交易流水号", "卡号", "交易时间", "线路编号", "车辆编号", "交易金额", "卡类型"]
_CHUNK = 50_000


def large_table(path: Path, *, rows: int = 10_000_000, seed: int = 7) -> list[str]:
    """Write a bus card tap table of `rows` rows in chunks (the ≥10M-row scale test)."""
    rng = random.Random(seed)  # noqa: S311 - demo data, not security
    cards = [f"3101{rng.randrange(10**12):012d}" for _ in range(200_000)]
    kinds = ["普通卡"] * 6 + ["学生卡", "老年卡", "老年卡", "爱心卡"]
    fares = {"普通卡": "2.00", "学生卡": "1.00", "老年卡": "0.00", "爱心卡": "0.00"}
    card_kind = [rng.choice(kinds) for _ in cards]
    lines = [str(n) for n in range(1, 301)] + [f"K{n}" for n in range(1, 200)]
    lines += [f"BRT{n}" for n in range(1, 9)]
    buses = [f"{n:05d}" for n in range(1, 6001)]
    clock = [f"{h:02d}:{m:02d}:{s:02d}" for h in range(24) for m in range(60) for s in range(60)]
    # Taps spread over the service day; the day advances every `per_day` rows.
    per_day = max(1, rows // 365)
    first = date(2024, 1, 1)
    days = [(first + timedelta(days=d)).isoformat() for d in range(366)]
    randrange, n_cards, n_lines, n_buses = rng.randrange, len(cards), len(lines), len(buses)
    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.write(",".join(LARGE_LABELS) + "\n")
        done = 0
        while done < rows:
            end = min(rows, done + _CHUNK)
            out = []
            for i in range(done, end):
                c = randrange(n_cards)
                day = days[min(365, i // per_day)]
                moment = clock[19800 + randrange(61200)]  # 05:30 to 22:30
                out.append(
                    f"{i + 1:020d},{cards[c]},{day} {moment},{lines[randrange(n_lines)]},"
                    f"{buses[randrange(n_buses)]},{fares[card_kind[c]]},{card_kind[c]}\n"
                )
            fh.write("".join(out))
            done = end
    return list(LARGE_LABELS)
