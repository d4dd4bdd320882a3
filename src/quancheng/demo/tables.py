"""Static tables of the Jinan demo city, as compact text parsed by `quancheng.demo.content`."""

from __future__ import annotations

from dataclasses import dataclass

# The 12 districts and counties of Jinan: (name, admin code, English name, key).
DISTRICT_ROWS: tuple[tuple[str, str, str, str], ...] = (
    ("历下区", "370102", "Lixia District", "lixia"),
    ("市中区", "370103", "Shizhong District", "shizhong"),
    ("槐荫区", "370104", "Huaiyin District", "huaiyin"),
    ("天桥区", "370105", "Tianqiao District", "tianqiao"),
    ("历城区", "370112", "Licheng District", "licheng"),
    ("长清区", "370113", "Changqing District", "changqing"),
    ("章丘区", "370114", "Zhangqiu District", "zhangqiu"),
    ("济阳区", "370115", "Jiyang District", "jiyang"),
    ("莱芜区", "370116", "Laiwu District", "laiwu"),
    ("钢城区", "370117", "Gangcheng District", "gangcheng"),
    ("平阴县", "370124", "Pingyin County", "pingyin"),
    ("商河县", "370126", "Shanghe County", "shanghe"),
)

YEARS: tuple[int, ...] = (2019, 2020, 2021, 2022, 2023, 2024, 2025)

# -- how names, items and metadata are composed ---------------------------------------------

CYCLE_ZH = {
    "realtime": "实时",
    "daily": "每日",
    "weekly": "每周",
    "monthly": "每月",
    "quarterly": "每季度",
    "semiannual": "每半年",
    "yearly": "每年",
}
CYCLE_EN = {
    "realtime": "in real time",
    "daily": "daily",
    "weekly": "weekly",
    "monthly": "monthly",
    "quarterly": "quarterly",
    "semiannual": "every six months",
    "yearly": "yearly",
}


@dataclass(frozen=True)
class Variant:
    """How a subject becomes a catalog name: patterns, scope and the shape of its items."""

    zh: str
    en: str
    scope: str  # base | district | year
    shape: str  # rows | change | stats | sites | daily | inspect | cases | publicity
    cycle: str = ""  # an update cycle the name implies (月度 → monthly)


def _v(zh: str, en: str, scope: str, shape: str, cycle: str = "") -> Variant:
    return Variant(zh, en, scope, shape, cycle)


STATS_BY_YEAR = _v("{y}年{s}统计数据", "{s} statistics, {y}", "year", "stats")
STATS_BY_DISTRICT = _v("{d}{s}统计数据", "{s} statistics, {d}", "district", "stats")
VARIANTS: dict[str, tuple[Variant, ...]] = {
    "registry": (
        _v("{s}信息", "{s} records", "base", "rows"),
        _v("{s}变更信息", "{s} change records", "base", "change"),
        _v("{d}{s}信息", "{s} records, {d}", "district", "rows"),
        STATS_BY_YEAR,
        STATS_BY_DISTRICT,
    ),
    "license": (
        _v("{s}信息", "{s}", "base", "rows"),
        _v("{s}变更信息", "{s} changes", "base", "change"),
        _v("{s}办件信息", "{s} applications", "base", "cases"),
        _v("{s}结果公示信息", "{s}: decisions published", "base", "publicity"),
        _v("{d}{s}信息", "{s}, {d}", "district", "rows"),
        STATS_BY_YEAR,
    ),
    "monitor": (
        _v("{s}数据", "{s} data", "base", "rows"),
        _v("{s}站点信息", "{s} stations", "base", "sites"),
        _v("{s}日均值数据", "{s} daily means", "base", "daily"),
        _v("{d}{s}数据", "{s} data, {d}", "district", "rows"),
        STATS_BY_YEAR,
    ),
    "meter": (
        _v("{s}数据", "{s} data", "base", "rows"),
        _v("{s}日汇总数据", "{s} daily totals", "base", "daily"),
        _v("{d}{s}数据", "{s} data, {d}", "district", "rows"),
        STATS_BY_YEAR,
    ),
    "facility": (
        _v("{s}信息", "{s}", "base", "rows"),
        _v("{s}巡检养护记录", "{s} inspection and maintenance records", "base", "inspect"),
        _v("{d}{s}信息", "{s}, {d}", "district", "rows"),
        STATS_BY_YEAR,
    ),
    "stats": (
        _v("{s}统计数据", "{s} statistics", "base", "stats"),
        _v("{s}主要指标数据", "{s} key indicators", "base", "stats"),
        STATS_BY_YEAR,
        STATS_BY_DISTRICT,
    ),
    "service": (
        _v("{s}信息", "{s}", "base", "rows"),
        _v("{s}办件信息", "{s} applications", "base", "cases"),
        _v("{d}{s}信息", "{s}, {d}", "district", "rows"),
        STATS_BY_YEAR,
    ),
    "realtime": (
        _v("{s}数据", "{s} data", "base", "rows"),
        _v("{s}历史数据", "{s} history", "base", "rows"),
        _v("{d}{s}数据", "{s} data, {d}", "district", "rows"),
        _v("{y}年{s}归档数据", "{s} archive, {y}", "year", "rows"),
    ),
    "case": (
        _v("{s}信息", "records of {s}", "base", "rows"),
        _v("{d}{s}信息", "records of {s}, {d}", "district", "rows"),
        STATS_BY_YEAR,
    ),
    "penalty": (
        _v("{s}信息", "{s}", "base", "rows"),
        _v("{s}结果公示信息", "{s}: decisions published", "base", "publicity"),
        _v("{d}{s}信息", "{s}, {d}", "district", "rows"),
        STATS_BY_YEAR,
    ),
    "log": (
        _v("{s}记录", "records of {s}", "base", "rows"),
        _v("{s}月度统计数据", "{s} monthly statistics", "base", "stats", "monthly"),
        _v("{d}{s}记录", "records of {s}, {d}", "district", "rows"),
        STATS_BY_YEAR,
    ),
    "directory": (
        _v("{s}名录", "directory of {s}", "base", "rows"),
        _v("{d}{s}名录", "directory of {s}, {d}", "district", "rows"),
        _v("{y}年{s}名录", "directory of {s}, {y}", "year", "rows"),
    ),
    "plan": (
        _v("{s}信息", "{s}", "base", "rows"),
        _v("{d}{s}信息", "{s}, {d}", "district", "rows"),
        _v("{y}年{s}信息", "{s}, {y}", "year", "rows"),
    ),
    "spatial": (
        _v("{s}数据", "{s} data", "base", "rows"),
        _v("{d}{s}数据", "{s} data, {d}", "district", "rows"),
        _v("{y}年{s}数据", "{s} data, {y}", "year", "rows"),
    ),
}
NEEDS_ITEMS = frozenset(k for k, vs in VARIANTS.items() if any(v.shape != "stats" for v in vs))

KIND_NOUN = {
    "registry": "登记信息",
    "license": "办理结果信息",
    "monitor": "数据",
    "meter": "数据",
    "facility": "台账信息",
    "stats": "统计数据",
    "service": "办理信息",
    "realtime": "数据",
    "case": "案件信息",
    "penalty": "执法信息",
    "log": "业务记录",
    "directory": "名录信息",
    "plan": "相关信息",
    "spatial": "空间数据",
}
KIND_KEYWORD = {
    "registry": "登记",
    "license": "行政许可",
    "monitor": "监测",
    "meter": "运行监测",
    "facility": "设施",
    "stats": "统计",
    "service": "政务服务",
    "realtime": "实时数据",
    "case": "案件",
    "penalty": "行政处罚",
    "log": "业务记录",
    "directory": "名录",
    "plan": "信息公开",
    "spatial": "地理信息",
}
DUTY = {
    "registry": "负责{w}{s}登记管理工作",
    "license": "负责{s}的审批和监督管理工作",
    "monitor": "负责{w}{s}网络建设和数据管理工作",
    "meter": "负责{w}{s}数据的采集和统计工作",
    "facility": "负责{w}{s}的建设、运行和维护管理工作",
    "stats": "负责{w}{s}的统计调查和数据发布工作",
    "service": "负责{s}相关政务服务事项的受理和办理工作",
    "realtime": "负责{s}的采集和运行监测工作",
    "case": "负责{w}{s}的受理、调查和处理工作",
    "penalty": "负责{w}{s}的查处和结果公示工作",
    "log": "负责{w}{s}的受理、处置和记录工作",
    "directory": "负责{w}{s}的认定、登记和管理工作",
    "plan": "负责{w}{s}的编制、组织实施和信息发布工作",
    "spatial": "负责{w}{s}的采集、建设和更新工作",
}

Choices = tuple[tuple[str, int], ...]
ROW_FORMATS: dict[str, Choices] = {
    "registry": (("database", 6), ("service_api", 3), ("spreadsheet", 1)),
    "monitor": (("service_api", 6), ("database", 3), ("self_describing", 1)),
    "facility": (("database", 5), ("spreadsheet", 3), ("service_api", 2)),
    "log": (("database", 6), ("service_api", 2), ("spreadsheet", 2)),
    "directory": (
        ("spreadsheet", 5),
        ("self_describing", 2),
        ("service_api", 2),
        ("electronic_file", 1),
    ),
}
ROW_FORMAT_FAMILY = {
    "registry": "registry",
    "license": "registry",
    "service": "registry",
    "case": "registry",
    "penalty": "registry",
    "monitor": "monitor",
    "meter": "monitor",
    "realtime": "monitor",
    "facility": "facility",
    "spatial": "facility",
    "log": "log",
    "directory": "directory",
    "plan": "directory",
}
SHAPE_FORMATS: dict[str, Choices] = {
    "change": (("database", 7), ("service_api", 3)),
    "stats": (("spreadsheet", 6), ("electronic_file", 2), ("self_describing", 2)),
    "sites": (("spreadsheet", 5), ("database", 3), ("self_describing", 2)),
    "daily": (("spreadsheet", 4), ("service_api", 4), ("database", 2)),
    "inspect": (("database", 5), ("spreadsheet", 5)),
    "cases": (("database", 7), ("service_api", 3)),
    "publicity": (("spreadsheet", 4), ("self_describing", 3), ("service_api", 3)),
}
ROW_CYCLES: dict[str, Choices] = {
    "registry": (("daily", 7), ("weekly", 2), ("realtime", 1)),
    "license": (("daily", 7), ("weekly", 3)),
    "service": (("daily", 8), ("weekly", 2)),
    "case": (("weekly", 5), ("daily", 3), ("monthly", 2)),
    "penalty": (("weekly", 5), ("daily", 3), ("monthly", 2)),
    "log": (("daily", 7), ("realtime", 2), ("weekly", 1)),
    "monitor": (("realtime", 8), ("daily", 2)),
    "meter": (("daily", 5), ("realtime", 3), ("monthly", 2)),
    "realtime": (("realtime", 1),),
    "facility": (("monthly", 5), ("quarterly", 4), ("yearly", 1)),
    "directory": (("quarterly", 4), ("semiannual", 3), ("yearly", 3)),
    "plan": (("monthly", 5), ("quarterly", 3), ("weekly", 2)),
    "spatial": (("yearly", 6), ("semiannual", 2), ("quarterly", 2)),
}
SHAPE_CYCLES: dict[str, Choices] = {
    "change": (("daily", 1),),
    "stats": (("monthly", 4), ("quarterly", 4), ("yearly", 2)),
    "sites": (("semiannual", 5), ("yearly", 5)),
    "daily": (("daily", 1),),
    "inspect": (("weekly", 5), ("monthly", 5)),
    "cases": (("daily", 1),),
    "publicity": (("weekly", 6), ("daily", 4)),
}

SHARING_CONDITIONS = {
    3: (
        "仅向具有相应法定职责的部门提供，使用部门须说明使用目的、应用场景和所需信息项，"
        "经提供部门审核同意后按最小必要原则共享，不得超范围使用或向第三方提供。",
        "优先以核验接口方式提供比对结果；确需原始数据的，须经提供部门审核同意，"
        "敏感个人信息脱敏后提供，访问全程留痕可追溯。",
        "限于履行法定职责所必需，按申请的信息项和期限授权使用，到期自动停止共享。",
    ),
    2: (
        "使用部门提交共享申请，说明用途和所需信息项，经提供部门审核同意后共享，个人信息按需脱敏。",
        "限于办理相关行政事项时核验使用，按申请的信息项提供，不得用于其他目的。",
    ),
    1: (
        "涉及工作秘密或商业秘密，使用部门提交申请并经提供部门审核同意后共享，不得对外发布。",
        "按业务需要申请，经提供部门确认数据口径后共享，使用部门不得对外提供。",
    ),
    0: (
        "按业务需要申请，经提供部门确认数据口径和使用范围后共享。",
        "数据涉及尚未公开的统计口径，经提供部门审核同意后共享，使用部门不得对外发布。",
    ),
}
OPEN_CONDITIONS = (
    "注册并实名认证后在线申请，签署数据使用协议，限用于科学研究、公益服务或产品开发，"
    "不得尝试重新识别个人。",
    "经开放主体审核同意后通过接口调用，须注明数据来源，不得转售原始数据。",
    "面向实名注册用户，按申请用途提供脱敏后的数据，使用情况定期反馈开放主体。",
)
PIPL_SHARING = "《中华人民共和国个人信息保护法》第三十四条"
PIPL_SENSITIVE = "《中华人民共和国个人信息保护法》第二十八条"
STATE_COUNCIL_51 = "《政务信息资源共享管理暂行办法》(国发〔2016〕51号)第九条"
DATA_SECURITY = "《中华人民共和国数据安全法》第三十八条"
DATA_GRADING = "《中华人民共和国数据安全法》第二十一条"


# Classification tree: code|name|English name. The parent is the code minus its last level.
CLASSIFICATIONS = """
1|基础信息资源|Basic information resources
101|人口信息|Population
101001|户籍人口|Registered population
101002|流动人口|Floating population
101003|出生和死亡|Births and deaths
101004|婚姻和家庭|Marriage and family
101005|教育和就业状况|Education and employment status
101006|特殊人群|Special groups
102|法人单位信息|Legal entities
102001|企业法人|Enterprises
102002|机关和事业单位|Government organs and public institutions
102003|社会组织|Social organisations
102004|个体工商户|Individual businesses
103|自然资源和空间地理信息|Natural resources and geospatial information
103001|基础测绘|Basic surveying and mapping
103002|土地资源|Land resources
103003|水资源|Water resources
103004|地名地址|Place names and addresses
103005|遥感影像|Remote sensing imagery
103006|矿产和森林资源|Mineral and forest resources
104|社会信用信息|Social credit
104001|法人信用|Corporate credit
104002|自然人信用|Individual credit
104003|行政许可和行政处罚|Administrative licences and penalties
104004|信用评价和联合奖惩|Credit ratings and joint rewards and sanctions
105|电子证照信息|Electronic licences and certificates
105001|个人证照|Personal licences and certificates
105002|法人证照|Corporate licences and certificates
105003|资格资质证书|Qualification certificates
2|主题信息资源|Thematic information resources
201|公共服务|Public services
201001|政务服务事项|Government service items
201002|教育服务|Education services
201003|公共文化服务|Public cultural services
201004|便民服务|Convenience services
202|健康保障|Health
202001|医疗卫生机构|Medical and health institutions
202002|公共卫生和疾病防控|Public health and disease control
202003|医疗服务|Medical services
202004|妇幼健康|Maternal and child health
203|社会保障|Social security
203001|社会保险|Social insurance
203002|社会救助|Social assistance
203003|就业创业|Employment and entrepreneurship
203004|养老服务|Elderly care
203005|住房保障|Housing security
204|食品药品安全|Food and drug safety
204001|食品生产经营|Food production and trade
204002|药品和医疗器械|Drugs and medical devices
204003|抽检监测|Sampling and inspection
205|安全生产|Work safety
205001|企业安全生产|Enterprise work safety
205002|危险化学品|Hazardous chemicals
205003|特种设备|Special equipment
205004|消防安全|Fire safety
206|价格监管|Price regulation
206001|价格监测|Price monitoring
206002|收费管理|Fee administration
207|能源安全|Energy security
207001|电力供应|Power supply
207002|燃气和供热|Gas and heating
207003|能源消费|Energy consumption
208|城乡建设|Urban and rural construction
208001|规划和建设工程|Planning and construction works
208002|市政基础设施|Municipal infrastructure
208003|房地产市场|Real estate market
208004|城市管理|Urban management
208005|园林绿化|Parks and greening
209|社区治理|Community governance
209001|网格化管理|Grid management
209002|基层组织|Grassroots organisations
209003|社区服务|Community services
210|生态环保|Ecology and environment
210001|大气环境|Air environment
210002|水环境|Water environment
210003|污染源监管|Pollution source supervision
210004|泉水保护|Spring protection
210005|固体废物和噪声|Solid waste and noise
211|应急维稳|Emergency management and stability
211001|应急资源|Emergency resources
211002|灾害监测预警|Disaster monitoring and warning
211003|信访和矛盾纠纷|Petitions and disputes
211004|社会治安|Public security
212|交通出行|Transport
212001|公共交通|Public transport
212002|道路交通管理|Road traffic management
212003|交通运输行业|Transport industry
212004|轨道交通|Rail transit
213|文化旅游|Culture and tourism
213001|旅游资源|Tourism resources
213002|文物和非遗|Cultural relics and intangible heritage
213003|体育健身|Sports and fitness
3|部门信息资源|Departmental information resources
301|经济调节|Economic regulation
301001|发展规划和项目|Development planning and projects
301002|财政预算|Public finance
301003|统计调查|Statistical surveys
301004|国有资产|State-owned assets
301005|税收征管|Tax administration
301006|审计监督|Audit supervision
302|市场监管|Market regulation
302001|市场主体监管|Market entity supervision
302002|质量和标准化|Quality and standardisation
302003|知识产权|Intellectual property
302004|商贸流通|Commerce and trade
302005|科技创新|Science and technology innovation
302006|工业和信息化|Industry and information technology
303|社会管理|Social administration
303001|公安管理|Public security administration
303002|民政事务|Civil affairs
303003|司法行政|Judicial administration
303004|退役军人服务|Veterans services
303005|民族宗教|Ethnic and religious affairs
304|公共服务管理|Public service administration
304001|教育管理|Education administration
304002|卫生健康管理|Health administration
304003|人力资源和社会保障管理|Human resources and social security administration
304004|医疗保障管理|Medical insurance administration
304005|文化体育管理|Culture and sports administration
305|生态环境保护|Environmental protection
305001|生态环境监管|Environmental supervision
305002|水务管理|Water administration
305003|园林和林业|Parks and forestry
305004|气象服务|Meteorological services
306|城乡建设和管理|Urban and rural construction and management
306001|住房和城乡建设|Housing and construction
306002|城市管理|Urban management administration
306003|自然资源和规划|Natural resources and planning
306004|交通运输管理|Transport administration
306005|人民防空|Civil air defence
307|政务运行|Government operations
307001|行政审批|Administrative approval
307002|大数据和电子政务|Big data and e-government
307003|机关事务|Government logistics
307004|公共资源交易|Public resource trading
307005|档案管理|Archives
307006|政务督查和热线|Supervision and hotlines
308|农业农村|Agriculture and rural affairs
308001|农业生产|Agricultural production
308002|农村经营管理|Rural economic management
308003|农产品质量安全|Agricultural product quality and safety
309|区县政务|District and county affairs
309001|区县政务服务|District government services
309002|区县经济社会发展|District economic and social development
309003|街道和镇村|Sub-districts, towns and villages
310|公用事业运营|Public utility operations
310001|公交运营|Bus operations
310002|供水排水|Water supply and drainage
310003|供电服务|Electricity services
310004|供热服务|Heating services
310005|轨道交通运营|Rail transit operations
310006|燃气服务|Gas services
"""

# Departments, two lines each:
#   key|name|short name|English name
#     |kind (c city, d district, e enterprise)|credit-code prefix|region|parent|weight
#     |keyword|default source system|law cited when sharing is restricted
# Districts take their region, name and key from DISTRICT_ROWS (see DISTRICT_DEPARTMENT).
DEPARTMENTS = """
bgt|济南市人民政府办公厅|市政府办公厅|General Office of the Jinan Municipal People's Government
  |c|11|370100||22|政务|政务督查管理系统|《中华人民共和国政府信息公开条例》第十五条
fgw|济南市发展和改革委员会|市发展改革委|Jinan Municipal Development and Reform Commission
  |c|11|370100||60|发展改革|投资项目在线审批监管平台|《企业信息公示暂行条例》
jyj|济南市教育局|市教育局|Jinan Municipal Education Bureau
  |c|11|370100||75|教育|教育管理信息系统|《中华人民共和国未成年人保护法》
kjj|济南市科学技术局|市科技局|Jinan Municipal Science and Technology Bureau
  |c|11|370100||40|科技创新|科技项目管理系统|《中华人民共和国科学技术进步法》
gxj|济南市工业和信息化局|市工业和信息化局|Jinan Municipal Bureau of Industry and Information Technology
  |c|11|370100||50|工业和信息化|工业运行监测平台|《中华人民共和国统计法》第九条
gaj|济南市公安局|市公安局|Jinan Municipal Public Security Bureau
  |c|11|370100||150|公安|公安大数据平台|《中华人民共和国居民身份证法》第十三条
jiaojing|济南市公安局交通警察支队|市公安局交警支队|Traffic Police Detachment of Jinan Public Security Bureau
  |c|11|370100|gaj|60|交通管理|交通管理综合应用平台|《中华人民共和国道路交通安全法》
mzj|济南市民政局|市民政局|Jinan Municipal Civil Affairs Bureau
  |c|11|370100||85|民政|民政综合业务信息系统|《社会救助暂行办法》
mzzj|济南市民族宗教事务局|市民族宗教局|Jinan Municipal Ethnic and Religious Affairs Bureau
  |c|11|370100||12|民族宗教|民族宗教事务管理系统|《宗教事务条例》
sfj|济南市司法局|市司法局|Jinan Municipal Justice Bureau
  |c|11|370100||40|司法行政|司法行政综合管理平台|《中华人民共和国社区矫正法》
czj|济南市财政局|市财政局|Jinan Municipal Finance Bureau
  |c|11|370100||45|财政|预算管理一体化系统|《中华人民共和国预算法》
rsj|济南市人力资源和社会保障局|市人力资源社会保障局|Jinan Municipal Human Resources and Social Security Bureau
  |c|11|370100||100|人力资源社会保障|人社一体化信息平台|《中华人民共和国社会保险法》第八十一条
sbzx|济南市社会保险事业中心|市社会保险事业中心|Jinan Social Insurance Service Centre
  |c|12|370100|rsj|65|社会保险|社会保险经办信息系统|《中华人民共和国社会保险法》第八十一条
zrzy|济南市自然资源和规划局|市自然资源和规划局|Jinan Municipal Bureau of Natural Resources and Planning
  |c|11|370100||85|自然资源|国土空间基础信息平台|《中华人民共和国测绘法》
bdc|济南市不动产登记中心|市不动产登记中心|Jinan Real Estate Registration Centre
  |c|12|370100|zrzy|45|不动产登记|不动产登记信息管理平台|《不动产登记暂行条例》第二十七条
sthjj|济南市生态环境局|市生态环境局|Jinan Municipal Bureau of Ecology and Environment
  |c|11|370100||95|生态环境|生态环境大数据平台|《中华人民共和国环境保护法》
zjj|济南市住房和城乡建设局|市住房城乡建设局|Jinan Municipal Bureau of Housing and Urban-Rural Development
  |c|11|370100||90|住房城乡建设|住房城乡建设综合管理平台|《城市房地产开发经营管理条例》
jtysj|济南市城乡交通运输局|市城乡交通运输局|Jinan Municipal Urban and Rural Transport Bureau
  |c|11|370100||90|交通运输|交通运输综合监管平台|《中华人民共和国道路运输条例》
swj|济南市水务局|市水务局|Jinan Municipal Water Affairs Bureau
  |c|11|370100||65|水务|智慧水务平台|《中华人民共和国水法》
nyncj|济南市农业农村局|市农业农村局|Jinan Municipal Bureau of Agriculture and Rural Affairs
  |c|11|370100||60|农业农村|农业农村大数据平台|《中华人民共和国农村土地承包法》
shangwu|济南市商务局|市商务局|Jinan Municipal Commerce Bureau
  |c|11|370100||40|商务|商务运行监测系统|《中华人民共和国统计法》第九条
wlj|济南市文化和旅游局|市文化和旅游局|Jinan Municipal Bureau of Culture and Tourism
  |c|11|370100||55|文化旅游|智慧文旅平台|《中华人民共和国旅游法》
wjw|济南市卫生健康委员会|市卫生健康委|Jinan Municipal Health Commission
  |c|11|370100||100|卫生健康|全民健康信息平台|《中华人民共和国基本医疗卫生与健康促进法》第九十二条
cdc|济南市疾病预防控制中心|市疾控中心|Jinan Center for Disease Control and Prevention
  |c|12|370100|wjw|40|疾病预防控制|疾病预防控制信息系统|《中华人民共和国传染病防治法》
jijiu|济南市急救中心|市急救中心|Jinan Emergency Medical Center
  |c|12|370100|wjw|20|院前急救|120急救指挥调度系统|《院前医疗急救管理办法》
xuezhan|济南市中心血站|市中心血站|Jinan Central Blood Station
  |c|12|370100|wjw|10|采供血|血站信息管理系统|《中华人民共和国献血法》
tyjrj|济南市退役军人事务局|市退役军人事务局|Jinan Municipal Bureau of Veterans Affairs
  |c|11|370100||25|退役军人|退役军人事务信息系统|《中华人民共和国退役军人保障法》
yjj|济南市应急管理局|市应急管理局|Jinan Municipal Emergency Management Bureau
  |c|11|370100||55|应急管理|应急管理综合应用平台|《中华人民共和国突发事件应对法》
xfzd|济南市消防救援支队|市消防救援支队|Jinan Fire and Rescue Detachment
  |c|11|370100||35|消防|消防监督管理系统|《中华人民共和国消防法》
sjj|济南市审计局|市审计局|Jinan Municipal Audit Bureau
  |c|11|370100||20|审计|审计管理系统|《中华人民共和国审计法》
gzw|济南市人民政府国有资产监督管理委员会|市国资委|State-owned Assets Supervision and Administration Commission of Jinan
  |c|11|370100||25|国资监管|国资国企在线监管系统|《企业国有资产监督管理暂行条例》
scjgj|济南市市场监督管理局|市市场监管局|Jinan Administration for Market Regulation
  |c|11|370100||150|市场监管|市场监管综合业务平台|《企业信息公示暂行条例》
tyj|济南市体育局|市体育局|Jinan Municipal Sports Bureau
  |c|11|370100||25|体育|体育管理信息系统|《中华人民共和国体育法》
tjj|济南市统计局|市统计局|Jinan Municipal Bureau of Statistics
  |c|11|370100||70|统计|统计联网直报平台|《中华人民共和国统计法》第九条
ybj|济南市医疗保障局|市医保局|Jinan Municipal Healthcare Security Administration
  |c|11|370100||60|医疗保障|医疗保障信息平台|《医疗保障基金使用监督管理条例》
cgj|济南市城市管理局|市城市管理局|Jinan Municipal Urban Management Bureau
  |c|11|370100||85|城市管理|数字化城市管理系统|《城市市容和环境卫生管理条例》
ylj|济南市园林和林业绿化局|市园林和林业绿化局|Jinan Municipal Bureau of Landscaping and Forestry
  |c|11|370100||40|园林绿化|园林绿化管理信息系统|《城市绿化条例》
xzsp|济南市行政审批服务局|市行政审批服务局|Jinan Municipal Administrative Approval Service Bureau
  |c|11|370100||80|行政审批|一体化政务服务平台|《中华人民共和国行政许可法》
zwfw|济南市政务服务中心|市政务服务中心|Jinan Government Service Center
  |c|12|370100|xzsp|25|政务服务|一体化政务服务平台|《优化营商环境条例》
bigdata|济南市大数据局|市大数据局|Jinan Big Data Bureau
  |c|11|370100||45|大数据|城市大数据平台|《山东省电子政务和政务数据管理办法》
xfj|济南市信访局|市信访局|Jinan Municipal Letters and Calls Bureau
  |c|11|370100||15|信访|信访信息系统|《信访工作条例》
rfb|济南市人民防空办公室|市人防办|Jinan Civil Air Defence Office
  |c|11|370100||15|人民防空|人防指挥信息系统|《中华人民共和国人民防空法》
jgsw|济南市机关事务服务中心|市机关事务服务中心|Jinan Government Offices Administration Service Center
  |c|12|370100||15|机关事务|机关事务管理平台|《党政机关公务用车管理办法》
gjj|济南住房公积金中心|市住房公积金中心|Jinan Housing Provident Fund Center
  |c|12|370100||45|住房公积金|住房公积金综合服务平台|《住房公积金管理条例》
ggzy|济南市公共资源交易中心|市公共资源交易中心|Jinan Public Resources Trading Center
  |c|12|370100||30|公共资源交易|公共资源交易平台|《中华人民共和国招标投标法实施条例》
qxj|济南市气象局|市气象局|Jinan Meteorological Bureau
  |c|12|370100||30|气象|气象综合业务系统|《中华人民共和国气象法》
tax|国家税务总局济南市税务局|市税务局|Jinan Municipal Tax Service, State Taxation Administration
  |c|11|370100||70|税务|税收征管信息系统|《中华人民共和国税收征收管理法》第八条
dag|济南市档案馆|市档案馆|Jinan Municipal Archives
  |c|12|370100||15|档案|数字档案馆系统|《中华人民共和国档案法》
tzcj|济南市投资促进局|市投资促进局|Jinan Investment Promotion Bureau
  |c|11|370100||15|投资促进|招商引资项目管理系统|《中华人民共和国外商投资法》
bus|济南公交集团|公交集团|Jinan Public Transport Group
  |e|91|370100||35|公交|公交智能调度系统|《中华人民共和国个人信息保护法》第十三条
metro|济南轨道交通集团|轨道交通集团|Jinan Rail Transit Group
  |e|91|370100||25|轨道交通|轨道交通综合监控系统|《城市轨道交通运营管理规定》
watergroup|济南水务集团|水务集团|Jinan Water Group
  |e|91|370100||25|供水|智慧供水调度系统|《城市供水条例》
heat|济南热力集团|热力集团|Jinan Thermal Power Group
  |e|91|370100||18|供热|智慧供热监控平台|《山东省供热条例》
grid|国网济南供电公司|济南供电公司|State Grid Jinan Power Supply Company
  |e|91|370100||28|电力|用电信息采集系统|《电力供应与使用条例》
gas|济南港华燃气有限公司|港华燃气|Jinan Towngas Co., Ltd.
  |e|91|370100||12|燃气|燃气管网监控系统|《城镇燃气管理条例》
"""

# How every district government is described (weight, keyword, system, law).
DISTRICT_DEPARTMENT = ("28", "区县政务", "区级政务服务平台", "《山东省电子政务和政务数据管理办法》")

# Data items: name|English name|type and length|sensitivity|description.
# Sensitivity: pub public, int internal, per personal, sen sensitive_personal.
ITEMS = """
姓名|Name|C50|per|自然人姓名
公民身份号码|Citizen ID number|C18|sen|18位居民身份证号码
性别|Gender|C4|per|性别，按GB/T 2261.1编码
出生日期|Date of birth|D|per|出生日期
民族|Ethnicity|C20|per|民族，按GB/T 3304编码
住址|Residential address|C200|per|居住地详细地址
联系电话|Phone number|C20|per|本人联系电话
户籍地址|Registered residence address|C200|per|户口登记地址
户号|Household number|C20|per|户口簿户号
与户主关系|Relationship to household head|C20|per|与户主的关系
签发机关|Issuing authority|C100|pub|证件签发机关
有效期起始日期|Valid from|D|pub|证件有效期起始日期
有效期截止日期|Valid until|D|pub|证件有效期截止日期
证件照片|ID photo|B|sen|证件人像照片（生物识别信息）
居住地址|Current residence address|C200|per|实际居住地址
居住事由|Reason for residence|C50|per|居住事由（务工、经商、就学等）
登记日期|Registration date|D|pub|登记日期
居住证编号|Residence permit number|C30|per|居住证编号
机动车号牌号码|Licence plate number|C20|per|机动车号牌号码
号牌种类|Plate type|C20|pub|号牌种类代码
车辆类型|Vehicle type|C30|pub|车辆类型
车辆品牌|Vehicle brand|C50|pub|中文品牌
车身颜色|Body colour|C10|pub|车身颜色
车辆识别代号|Vehicle identification number|C17|per|17位车辆识别代号（VIN）
机动车所有人|Vehicle owner|C100|per|机动车所有人姓名或名称
初次登记日期|First registration date|D|pub|机动车初次登记日期
机动车状态|Vehicle status|C20|pub|正常、转出、注销、查封等
准驾车型|Permitted vehicle classes|C20|pub|准驾车型代号
初次领证日期|First licence date|D|per|初次领取驾驶证日期
驾驶证有效期至|Licence valid until|D|per|驾驶证有效期截止日期
驾驶证状态|Licence status|C20|per|正常、暂扣、吊销、注销等
累积记分|Accumulated penalty points|I|per|记分周期内累积记分
违法时间|Violation time|T|pub|交通违法行为发生时间
违法地点|Violation location|C200|pub|交通违法行为发生地点
违法行为|Violation|C200|pub|违法行为描述
罚款金额|Fine amount|Y12|pub|罚款金额（元）
违法记分|Penalty points|I|pub|本次违法记分
处理状态|Handling status|C20|pub|未处理、已处理
许可证编号|Licence number|C50|pub|许可证编号
许可事项|Licensed matter|C200|pub|许可事项名称
发证机关|Issuing authority|C100|pub|发证机关名称
发证日期|Issue date|D|pub|发证日期
有效期至|Valid until|D|pub|有效期截止日期
统一社会信用代码|Unified social credit code|C18|pub|18位统一社会信用代码
企业名称|Enterprise name|C200|pub|企业名称
法定代表人|Legal representative|C50|pub|依法公示的法定代表人姓名
注册资本|Registered capital|Y18|pub|注册资本（万元）
成立日期|Date of establishment|D|pub|成立日期
经营范围|Business scope|M|pub|经营范围
住所|Registered address|C200|pub|住所（经营场所）
企业类型|Enterprise type|C50|pub|企业类型
登记机关|Registration authority|C100|pub|登记机关
登记状态|Registration status|C20|pub|存续、在业、吊销、注销等
核准日期|Approval date|D|pub|最近一次核准日期
经营地址|Business address|C200|pub|经营地址
客房数量|Number of guest rooms|I|pub|客房数量
单位名称|Organisation name|C200|pub|单位名称
印章名称|Seal name|C100|int|印章名称
印章编码|Seal code|C20|int|印章编码
刻制单位|Engraving company|C200|int|承接刻制单位
备案日期|Filing date|D|pub|备案日期
犬只登记证号|Dog registration number|C30|per|养犬登记证号
犬只品种|Dog breed|C50|pub|犬只品种
免疫证号|Vaccination certificate number|C30|pub|犬只免疫证号
设施编号|Facility ID|C32|pub|设施编号
设施名称|Facility name|C100|pub|设施名称
设施类型|Facility type|C50|pub|设施类型
所属区县|District|C50|pub|所属区县名称
地址|Address|C200|pub|地址
经度|Longitude|F|pub|经度（CGCS2000，度）
纬度|Latitude|F|pub|纬度（CGCS2000，度）
管理单位|Managing organisation|C200|pub|管理单位名称
运行状态|Operating status|C20|pub|运行状态
证件类型|Document type|C30|pub|证件类型
证件号码|Document number|C30|sen|证件号码
签发日期|Issue date|D|pub|签发日期
证明编号|Certificate number|C30|per|证明编号
开具日期|Issue date|D|pub|开具日期
申请用途|Purpose of application|C100|per|申请用途
化学品名称|Chemical name|C100|pub|化学品名称
购买数量|Quantity purchased|F|int|购买数量（千克）
信号控制方式|Signal control mode|C20|pub|定时、感应、自适应等
路口名称|Intersection|C100|pub|路口名称
路段名称|Road section|C100|pub|路段名称
车道数|Number of lanes|I|pub|车道数
小时流量|Hourly volume|I|pub|小时交通流量（辆）
平均车速|Average speed|F|pub|平均车速（千米/小时）
拥堵指数|Congestion index|F|pub|交通拥堵指数
监测站点编码|Station code|C20|pub|监测站点编码
监测站点名称|Station name|C100|pub|监测站点名称
监测时间|Observation time|T|pub|监测时间
事故编号|Accident number|C30|pub|事故编号
事故发生时间|Time of accident|T|pub|事故发生时间
事故地点|Accident location|C200|pub|事故地点
事故形态|Accident type|C30|pub|事故形态
死亡人数|Deaths|I|pub|死亡人数
受伤人数|Injuries|I|pub|受伤人数
天气情况|Weather conditions|C20|pub|事故发生时天气
事故责任认定|Liability determination|M|int|事故责任认定结果
抓拍类型|Capture type|C30|pub|抓拍违法类型
所属路口|Intersection|C100|pub|所属路口
泊位编号|Parking space ID|C30|pub|泊位编号
泊位数量|Number of spaces|I|pub|泊位数量
收费标准|Charging standard|C200|pub|收费标准
管制编号|Control measure ID|C30|pub|管制编号
管制路段|Controlled section|C200|pub|管制路段
管制类型|Control type|C30|pub|管制类型
开始时间|Start time|T|pub|开始时间
结束时间|End time|T|pub|结束时间
绕行建议|Detour advice|M|pub|绕行建议
发布单位|Publisher|C100|pub|发布单位
项目代码|Project code|C30|pub|投资项目统一代码
项目名称|Project name|C200|pub|项目名称
建设单位|Developer|C200|pub|建设单位名称
建设地点|Construction site|C200|pub|建设地点
总投资|Total investment|Y18|pub|总投资（万元）
建设规模及内容|Scale and content|M|pub|建设规模及内容
开工日期|Start date|D|pub|开工日期
计划竣工日期|Planned completion date|D|pub|计划竣工日期
项目进度|Progress|C50|pub|项目进度
审批类型|Approval type|C20|pub|审批、核准、备案
批复文号|Approval document number|C50|pub|批复文号
批复日期|Approval date|D|pub|批复日期
监测点名称|Monitoring point|C100|pub|价格监测点名称
商品名称|Commodity|C100|pub|商品名称
规格等级|Specification|C50|pub|规格等级
计量单位|Unit|C20|pub|计量单位
监测日期|Monitoring date|D|pub|监测日期
零售价格|Retail price|Y10|pub|零售价格（元）
环比涨跌幅|Change on previous period|F|pub|环比涨跌幅（%）
收费项目名称|Fee item|C200|pub|收费项目名称
定价依据|Pricing basis|C200|pub|定价文件依据
执行日期|Effective date|D|pub|执行日期
定价部门|Pricing authority|C100|pub|定价部门
评价年度|Rating year|C4|pub|评价年度
信用等级|Credit grade|C10|pub|信用等级
评价得分|Score|F|int|评价得分
评价日期|Rating date|D|pub|评价日期
主体名称|Entity name|C200|pub|信用主体名称
列入事由|Reason for listing|M|pub|列入事由
列入日期|Listing date|D|pub|列入日期
认定部门|Determining authority|C100|pub|认定部门
移出日期|Removal date|D|pub|移出日期
修复事项|Repaired record|C200|pub|申请修复的失信信息
申请日期|Application date|D|pub|申请日期
修复结果|Repair result|C20|pub|修复结果
办理日期|Handling date|D|pub|办理日期
所属行业|Industry|C100|pub|国民经济行业分类
年综合能源消费量|Annual energy consumption|F|int|年综合能源消费量（吨标准煤）
能耗限额|Energy quota|F|int|能耗限额（吨标准煤）
充电桩数量|Number of chargers|I|pub|充电桩数量
充电功率|Charging power|F|pub|额定充电功率（千瓦）
运营企业|Operator|C200|pub|运营企业名称
学校标识码|School code|C10|pub|教育部学校标识码
学校名称|School name|C200|pub|学校名称
办学类型|School type|C30|pub|办学类型
办学性质|Ownership|C20|pub|公办、民办
单位联系电话|Office telephone|C30|pub|对外公开的单位联系电话
幼儿园名称|Kindergarten name|C200|pub|幼儿园名称
班级数|Number of classes|I|pub|班级数
学籍号|Student number|C20|sen|全国学籍号（未成年人信息）
就读学校|School attended|C200|per|就读学校
年级|Grade|C10|per|年级
入学日期|Enrolment date|D|per|入学日期
监护人姓名|Guardian name|C50|per|监护人姓名
监护人联系电话|Guardian phone|C20|per|监护人联系电话
报名学校|School applied to|C200|per|报名学校
学区|School district|C100|pub|学区名称
录取结果|Admission result|C20|per|录取结果
证书编号|Certificate number|C50|per|证书编号
资格种类|Qualification type|C50|pub|资格种类
任教学科|Teaching subject|C50|pub|任教学科
认定机构|Accrediting body|C100|pub|认定机构
认定日期|Accreditation date|D|pub|认定日期
举办者|Founder|C200|pub|举办者名称
办学许可证号|School licence number|C50|pub|办学许可证号
培训类别|Training category|C50|pub|学科类、非学科类
办学地址|School address|C200|pub|办学地址
监管状态|Supervision status|C20|pub|监管状态
排查编号|Inspection number|C30|pub|隐患排查编号
隐患类型|Hazard type|C50|pub|隐患类型
隐患描述|Hazard description|M|pub|隐患描述
排查日期|Inspection date|D|pub|排查日期
整改期限|Rectification deadline|D|pub|整改期限
整改状态|Rectification status|C20|pub|整改状态
资助类型|Subsidy type|C50|per|资助类型
资助金额|Subsidy amount|Y12|sen|资助金额（元）
发放日期|Payment date|D|per|发放日期
入库编号|Registration number|C30|pub|入库编号
入库年度|Year registered|C4|pub|入库年度
研发人员数|R&D staff|I|pub|研发人员数
技术领域|Technology field|C100|pub|技术领域
认定年度|Year recognised|C4|pub|认定年度
项目编号|Project number|C30|pub|项目编号
承担单位|Undertaking organisation|C200|pub|承担单位
项目类别|Project category|C50|pub|项目类别
立项年度|Year approved|C4|pub|立项年度
资助经费|Funding|Y18|pub|资助经费（万元）
项目负责人|Project leader|C50|per|项目负责人姓名
合同编号|Contract number|C50|int|合同编号
合同名称|Contract name|C200|pub|合同名称
卖方名称|Seller|C200|pub|卖方名称
买方名称|Buyer|C200|pub|买方名称
合同类型|Contract type|C30|pub|合同类型
成交金额|Transaction amount|Y18|int|成交金额（万元）
载体名称|Facility name|C200|pub|载体名称
运营单位|Operator|C200|pub|运营单位
载体级别|Level|C20|pub|国家级、省级、市级
孵化面积|Incubation area|F|pub|孵化面积（平方米）
在孵企业数|Incubated companies|I|pub|在孵企业数
护照号码|Passport number|C20|sen|护照号码
国籍|Nationality|C50|per|国籍
工作单位|Employer|C200|per|工作单位
职位|Position|C100|per|职位
从业人员数|Employees|I|pub|从业人员数
营业收入|Operating revenue|Y18|int|营业收入（万元）
入选年度|Year selected|C4|pub|入选年度
运营商|Carrier|C50|pub|运营商
站址编码|Site code|C30|int|站址编码
电力消费量|Electricity consumption|F|int|电力消费量（千瓦时）
天然气消费量|Natural gas consumption|F|int|天然气消费量（立方米）
综合能耗|Energy consumption|F|int|综合能耗（吨标准煤）
平台名称|Platform name|C200|pub|平台名称
平台类型|Platform type|C50|pub|平台类型
连接设备数|Connected devices|I|pub|连接设备数
登记类型|Registration type|C20|pub|结婚、离婚、补领
男方姓名|Husband name|C50|per|男方姓名
男方公民身份号码|Husband ID number|C18|sen|男方公民身份号码
女方姓名|Wife name|C50|per|女方姓名
女方公民身份号码|Wife ID number|C18|sen|女方公民身份号码
结婚证字号|Certificate number|C30|per|结婚证（离婚证）字号
登记机关名称|Registering office|C100|pub|婚姻登记机关
家庭人口数|Household size|I|per|家庭人口数
保障人数|Persons covered|I|per|保障人数
月保障金额|Monthly allowance|Y12|sen|月保障金额（元）
救助开始日期|Assistance start date|D|per|救助开始日期
所属街道|Sub-district|C100|pub|所属街道（镇）
供养方式|Support mode|C20|per|集中供养、分散供养
供养标准|Support standard|Y12|sen|供养标准（元/月）
救助事由|Reason for assistance|M|sen|救助事由
救助金额|Assistance amount|Y12|sen|救助金额（元）
救助日期|Assistance date|D|per|救助日期
机构名称|Institution name|C200|pub|机构名称
机构性质|Ownership|C30|pub|机构性质
床位数|Beds|I|pub|床位数
星级等级|Star rating|C10|pub|星级评定等级
社会组织名称|Organisation name|C200|pub|社会组织名称
组织类型|Organisation type|C30|pub|社会团体、民办非企业单位、基金会
业务主管单位|Supervising agency|C100|pub|业务主管单位
死亡日期|Date of death|D|sen|死亡日期
火化日期|Cremation date|D|per|火化日期
殡仪馆名称|Funeral home|C100|pub|殡仪馆名称
地名代码|Place-name code|C30|pub|地名代码
标准地名|Standard place name|C100|pub|地名的标准名称
地名类别|Place-name category|C30|pub|地名类别
汉语拼音|Pinyin|C200|pub|标准名称的汉语拼音
命名日期|Naming date|D|pub|命名或更名日期
地名含义|Meaning of the name|M|pub|地名含义及由来
残疾类别|Disability category|C20|sen|残疾类别
残疾等级|Disability grade|C10|sen|残疾等级
补贴类型|Subsidy type|C50|per|补贴类型
补贴金额|Subsidy amount|Y12|sen|补贴金额（元）
发放月份|Payment month|C7|per|发放月份（YYYY-MM）
年龄段|Age band|C20|per|年龄段
津贴标准|Allowance standard|Y12|per|津贴标准（元/月）
组织名称|Organisation name|C200|pub|组织名称
办公地址|Office address|C200|pub|办公地址
户数|Households|I|pub|户数
保障类别|Support category|C50|sen|困境儿童保障类别
执业许可证号|Practice licence number|C50|pub|执业许可证号
负责人|Person in charge|C50|pub|依法公示的负责人姓名
执业人数|Practitioners|I|pub|执业人数
执业证号|Practice certificate number|C30|per|执业证号
执业机构|Practice institution|C200|pub|执业机构
执业类别|Practice category|C50|pub|执业类别
首次执业日期|First practice date|D|per|首次执业日期
执业状态|Practice status|C20|pub|执业状态
案件编号|Case number|C50|pub|案件编号
纠纷类型|Dispute type|C50|pub|纠纷类型
受理日期|Acceptance date|D|pub|受理日期
调解组织|Mediation committee|C100|pub|调解组织名称
调解结果|Mediation result|C20|pub|调解结果
协议履行情况|Agreement performance|C50|int|协议履行情况
矫正类别|Correction category|C20|sen|管制、缓刑、假释、暂予监外执行
矫正期限|Correction period|C30|sen|矫正期限
起始日期|Start date|D|per|起始日期
执行地|Place of execution|C100|per|社区矫正执行地
案件类型|Case type|C50|pub|案件类型
援助方式|Aid type|C30|pub|援助方式
承办机构|Handling institution|C200|pub|承办机构
文件名称|Document title|C200|pub|文件名称
文号|Document number|C50|pub|文号
制定机关|Issuing body|C100|pub|制定机关
发布日期|Publication date|D|pub|发布日期
施行日期|Effective date|D|pub|施行日期
备案审查结果|Filing review result|C50|pub|备案审查结果
有效状态|Validity|C20|pub|有效、失效、废止
预算年度|Budget year|C4|pub|预算年度
预算单位|Budget unit|C200|pub|预算单位
功能分类科目|Functional classification|C100|pub|支出功能分类科目
经济分类科目|Economic classification|C100|pub|支出经济分类科目
预算金额|Budget amount|Y18|pub|预算金额（万元）
资金性质|Fund type|C30|pub|资金性质
采购单位|Purchaser|C200|pub|采购单位
采购方式|Procurement method|C30|pub|公开招标、竞争性磋商等
中标供应商|Winning supplier|C200|pub|中标（成交）供应商
中标金额|Award amount|Y18|pub|中标（成交）金额（万元）
公告日期|Notice date|D|pub|公告日期
票据代码|Receipt code|C20|int|票据代码
票据号码|Receipt number|C20|int|票据号码
执收单位|Collecting unit|C200|pub|执收单位
收费项目|Fee item|C200|pub|收费项目
缴款人|Payer|C200|per|缴款人姓名或名称
金额|Amount|Y18|int|金额（元）
开票日期|Issue date|D|int|开票日期
资产编号|Asset number|C50|int|资产编号
资产名称|Asset name|C200|int|资产名称
资产分类|Asset class|C50|int|资产分类
使用单位|User organisation|C200|int|使用单位
取得日期|Acquisition date|D|int|取得日期
账面价值|Book value|Y18|int|账面价值（元）
使用状态|Use status|C20|int|使用状态
补贴项目|Subsidy item|C100|per|补贴项目
银行账号|Bank account number|C30|sen|代发银行账号
供应商名称|Supplier name|C200|pub|供应商名称
注册地址|Registered address|C200|pub|注册地址
入库日期|Date registered|D|pub|入库日期
用工单位|Employer|C200|per|用工单位名称
就业类型|Employment type|C30|per|就业类型
就业日期|Employment date|D|per|就业日期
失业日期|Unemployment date|D|per|失业日期
失业原因|Reason for unemployment|C100|per|失业原因
就业困难人员类别|Hard-to-employ category|C50|sen|就业困难人员类别
职业名称|Occupation|C100|pub|职业（工种）名称
技能等级|Skill level|C20|pub|技能等级
评价机构|Assessment body|C200|pub|评价机构
合同起始日期|Contract start|D|per|劳动合同起始日期
合同终止日期|Contract end|D|per|劳动合同终止日期
用人单位名称|Employer name|C200|pub|用人单位名称
违法事实|Facts of violation|M|pub|违法事实
处理结果|Outcome|M|pub|处理结果
立案日期|Case filing date|D|pub|立案日期
结案日期|Case closing date|D|pub|结案日期
服务范围|Service scope|M|pub|服务范围
许可日期|Licence date|D|pub|许可日期
职称系列|Title series|C50|per|职称系列
职称等级|Title level|C20|per|职称等级
职称取得日期|Date obtained|D|per|职称取得日期
评审机构|Review board|C200|pub|评审委员会
贷款金额|Loan amount|Y18|sen|贷款金额（元）
贷款银行|Lending bank|C100|per|贷款银行
贴息金额|Interest subsidy|Y12|sen|财政贴息金额（元）
放款日期|Loan date|D|per|放款日期
申请人|Applicant|C200|per|申请人姓名或名称
被申请人|Respondent|C200|pub|被申请人名称
争议类型|Dispute type|C50|pub|争议类型
裁决结果|Award|M|int|裁决结果
岗位名称|Job title|C100|pub|岗位名称
招聘单位|Employer|C200|pub|招聘单位
招聘人数|Openings|I|pub|招聘人数
学历要求|Education required|C20|pub|学历要求
薪资范围|Salary range|C50|pub|薪资范围
工作地点|Workplace|C200|pub|工作地点
参保状态|Insurance status|C20|per|参保状态
参保日期|Enrolment date|D|per|参保日期
缴费基数|Contribution base|Y12|sen|缴费基数（元）
累计缴费月数|Months contributed|I|sen|累计缴费月数
缴费档次|Contribution level|C20|sen|缴费档次
待遇类型|Benefit type|C50|per|待遇类型
发放金额|Amount paid|Y12|sen|发放金额（元）
受伤日期|Date of injury|D|sen|受伤日期
受伤部位|Injured body part|C100|sen|受伤部位及伤情（健康信息）
认定结论|Conclusion|C50|sen|认定结论
单位类型|Organisation type|C50|pub|单位类型
参保险种|Insurance types|C100|pub|参保险种
参保职工人数|Insured employees|I|pub|参保职工人数
社会保障卡号|Social security card number|C20|sen|社会保障卡号
发卡日期|Card issue date|D|per|发卡日期
卡状态|Card status|C20|per|卡状态
发卡银行|Issuing bank|C100|per|发卡银行
登记号|Registration number|C50|pub|医疗机构登记号
机构类别|Institution category|C50|pub|机构类别
经营性质|Ownership|C20|pub|营利性、非营利性
执业证书编码|Practice certificate code|C30|per|执业证书编码
执业范围|Practice scope|C100|pub|执业范围
注册日期|Registration date|D|per|注册日期
出生医学证明编号|Birth certificate number|C20|per|出生医学证明编号
新生儿姓名|Newborn name|C50|per|新生儿姓名
出生时间|Time of birth|T|per|出生时间
出生地点|Place of birth|C200|per|出生地点
母亲姓名|Mother name|C50|per|母亲姓名
母亲公民身份号码|Mother ID number|C18|sen|母亲公民身份号码
父亲姓名|Father name|C50|per|父亲姓名
父亲公民身份号码|Father ID number|C18|sen|父亲公民身份号码
接生机构|Delivering institution|C200|pub|接生机构名称
血型|Blood type|C10|sen|ABO及Rh血型
既往病史|Medical history|M|sen|既往病史（健康信息）
过敏史|Allergies|M|sen|过敏史（健康信息）
建档日期|Record created|D|per|建档日期
签约家庭医生|Family doctor|C50|per|签约家庭医生
签约团队|Doctor team|C100|pub|签约团队
签约机构|Contracting institution|C200|pub|签约机构
签约日期|Contract date|D|per|签约日期
服务包类型|Service package|C50|per|服务包类型
就诊流水号|Visit number|C50|int|就诊流水号
就诊机构|Health facility|C200|per|就诊机构
就诊科室|Department|C50|sen|就诊科室
就诊日期|Visit date|D|per|就诊日期
诊断名称|Diagnosis|C200|sen|诊断名称（健康信息）
医疗费用|Medical cost|Y12|sen|医疗费用（元）
死亡地点|Place of death|C200|sen|死亡地点
根本死因|Underlying cause of death|C200|sen|根本死因（健康信息）
签发机构|Issuing institution|C200|pub|签发机构
末次月经日期|Last menstrual period|D|sen|末次月经日期（健康信息）
预产期|Expected delivery date|D|sen|预产期
建册机构|Registering institution|C200|per|建册机构
高危因素|Risk factors|M|sen|高危因素（健康信息）
分娩日期|Delivery date|D|sen|分娩日期
疫苗名称|Vaccine|C100|per|疫苗名称
接种剂次|Dose number|I|per|接种剂次
接种日期|Vaccination date|D|per|接种日期
接种单位|Vaccination unit|C200|pub|接种单位
疫苗批号|Vaccine batch|C30|pub|疫苗批号
报告卡编号|Report card number|C30|int|传染病报告卡编号
疾病名称|Disease|C100|sen|疾病名称（健康信息）
发病日期|Date of onset|D|sen|发病日期
诊断日期|Date of diagnosis|D|sen|诊断日期
报告单位|Reporting unit|C200|pub|报告单位
水样类型|Sample type|C30|pub|出厂水、末梢水、二次供水
浑浊度|Turbidity|F|pub|浑浊度（NTU）
菌落总数|Total bacterial count|F|pub|菌落总数（CFU/mL）
余氯|Residual chlorine|F|pub|游离余氯（毫克/升）
评价结果|Assessment|C20|pub|评价结果
监测类别|Monitoring category|C50|pub|监测类别
鼠密度|Rodent density|F|pub|鼠密度
蚊密度|Mosquito density|F|pub|蚊密度
蝇密度|Fly density|F|pub|蝇密度
任务编号|Task number|C30|int|任务编号
呼救时间|Time of call|T|int|呼救时间
现场地址|Scene address|C200|per|现场地址
病情类型|Condition type|C50|sen|病情类型（健康信息）
派车时间|Dispatch time|T|int|派车时间
到达现场时间|Arrival time|T|int|到达现场时间
送达医院|Receiving hospital|C200|int|送达医院
站点名称|Station name|C100|pub|站点名称
所属医院|Affiliated hospital|C200|pub|所属医院
救护车数量|Ambulances|I|pub|救护车数量
车辆编号|Vehicle ID|C20|pub|车辆编号
所属站点|Home station|C100|pub|所属站点
定位时间|Position time|T|pub|定位时间
车辆状态|Vehicle status|C20|pub|车辆状态
设备型号|Device model|C50|pub|设备型号
开放时间|Opening hours|C100|pub|开放时间
险种类型|Insurance type|C50|per|险种类型
机构编码|Institution code|C30|pub|医保机构编码
机构类型|Institution type|C50|pub|机构类型
定点类别|Designation type|C50|pub|定点类别
结算编号|Settlement number|C50|int|结算编号
定点机构|Designated institution|C200|per|定点医药机构
结算日期|Settlement date|D|per|结算日期
医疗总费用|Total medical cost|Y12|sen|医疗总费用（元）
统筹基金支付|Fund payment|Y12|sen|统筹基金支付（元）
个人自付|Out-of-pocket payment|Y12|sen|个人自付（元）
病种名称|Disease type|C100|sen|病种名称（健康信息）
待遇有效期|Benefit valid until|D|per|待遇有效期
药品编码|Drug code|C30|pub|医保药品编码
药品名称|Drug name|C200|pub|药品名称
剂型|Dosage form|C30|pub|剂型
医保类别|Insurance category|C10|pub|甲类、乙类
支付标准|Payment standard|Y12|pub|支付标准（元）
限定支付范围|Payment restrictions|M|pub|限定支付范围
违规类型|Violation type|C100|pub|违规类型
追回金额|Amount recovered|Y18|pub|追回金额（元）
处理日期|Handling date|D|pub|处理日期
项目编码|Item code|C30|pub|项目编码
计价单位|Pricing unit|C20|pub|计价单位
价格|Price|Y12|pub|价格（元）
要素编码|Feature code|C30|int|要素分类编码
要素名称|Feature name|C100|int|要素名称
要素类型|Feature type|C30|int|点、线、面
几何数据|Geometry|B|int|空间几何数据
坐标系|Coordinate system|C30|pub|坐标系
比例尺|Scale|C20|pub|比例尺
更新日期|Update date|D|pub|更新日期
图幅号|Map sheet number|C20|pub|图幅号
影像分辨率|Resolution|F|pub|影像分辨率（米）
拍摄日期|Capture date|D|pub|拍摄日期
影像数据|Image data|B|int|影像数据
规划名称|Plan name|C200|pub|规划名称
规划类型|Plan type|C50|pub|规划类型
规划范围|Plan area|C200|pub|规划范围
批准机关|Approving authority|C100|pub|批准机关
批准文号|Approval number|C50|pub|批准文号
批准日期|Approval date|D|pub|批准日期
规划期限|Plan period|C30|pub|规划期限
用地单位|Land user|C200|pub|用地单位
用地位置|Land location|C200|pub|用地位置
用地面积|Land area|F|pub|用地面积（平方米）
用地性质|Land-use type|C50|pub|用地性质
建设规模|Building scale|F|pub|建设规模（平方米）
宗地编号|Parcel number|C30|pub|宗地编号
宗地位置|Parcel location|C200|pub|宗地位置
土地用途|Land use|C50|pub|土地用途
出让面积|Area transferred|F|pub|出让面积（平方米）
供地方式|Supply method|C30|pub|招标、拍卖、挂牌、划拨
成交价格|Transaction price|Y18|pub|成交价格（万元）
受让人|Transferee|C200|pub|受让单位
签订日期|Signing date|D|pub|合同签订日期
图斑编号|Patch number|C30|pub|图斑编号
地类编码|Land class code|C10|pub|地类编码
地类名称|Land class|C50|pub|地类名称
图斑面积|Patch area|F|pub|图斑面积（平方米）
权属单位|Owner unit|C200|pub|权属单位
隐患点编号|Hazard point ID|C30|pub|隐患点编号
隐患点名称|Hazard point name|C100|pub|隐患点名称
灾害类型|Hazard type|C30|pub|崩塌、滑坡、泥石流、地面塌陷等
规模等级|Scale|C20|pub|规模等级
威胁人数|People at risk|I|pub|威胁人数
监测责任人|Person responsible|C50|int|监测责任人姓名
地址编码|Address code|C30|pub|地址编码
标准地址|Standard address|C200|pub|标准地址
社区|Community|C100|pub|社区（村）名称
门牌号|House number|C30|pub|门牌号
采矿许可证号|Mining licence number|C50|pub|采矿许可证号
矿山名称|Mine name|C200|pub|矿山名称
采矿权人|Mining right holder|C200|pub|采矿权人
开采矿种|Mineral|C50|pub|开采矿种
矿区面积|Mining area|F|pub|矿区面积（平方千米）
资质等级|Qualification grade|C20|pub|资质等级
业务范围|Scope of business|M|pub|业务范围
不动产单元号|Real estate unit number|C28|per|不动产单元号
不动产权证书号|Title certificate number|C50|per|不动产权证书号
权利人|Right holder|C200|per|权利人姓名或名称
权利人证件号码|Right holder ID number|C30|sen|权利人证件号码
坐落|Location|C200|per|不动产坐落
权利类型|Right type|C50|pub|权利类型
用途|Use|C50|pub|用途
建筑面积|Floor area|F|pub|建筑面积（平方米）
登记时间|Registration time|T|pub|登记时间
不动产登记证明号|Registration certificate number|C50|per|不动产登记证明号
抵押权人|Mortgagee|C200|per|抵押权人
抵押人|Mortgagor|C200|per|抵押人
被担保债权数额|Secured amount|Y18|sen|被担保主债权数额（万元）
债务履行期限|Debt term|C50|sen|债务履行期限
查封机关|Seizing authority|C100|int|查封机关
查封文号|Seizure document number|C50|int|查封文号
查封期限|Seizure period|C50|int|查封期限
宗地代码|Parcel code|C19|pub|宗地代码
宗地面积|Parcel area|F|pub|宗地面积（平方米）
界址点坐标|Boundary coordinates|M|int|界址点坐标
权属性质|Ownership type|C20|pub|国有、集体
调查日期|Survey date|D|pub|调查日期
施工单位|Contractor|C200|pub|施工单位
合同价格|Contract price|Y18|pub|合同价格（万元）
预售许可证号|Pre-sale permit number|C50|pub|预售许可证号
预售楼栋|Buildings for pre-sale|C200|pub|预售楼栋
预售面积|Pre-sale area|F|pub|预售面积（平方米）
合同备案号|Contract filing number|C50|int|合同备案号
房屋坐落|Property location|C200|per|房屋坐落
合同总价|Contract price|Y18|sen|合同总价（元）
买受人|Buyer|C100|per|买受人姓名
买受人证件号码|Buyer ID number|C30|sen|买受人证件号码
资质类别|Qualification category|C100|pub|资质类别及等级
物业项目数|Managed properties|I|pub|在管物业项目数
保障方式|Support mode|C30|per|实物配租、租赁补贴
房源地址|Housing address|C200|per|房源地址
租金标准|Rent|Y12|per|租金标准（元/月）
配租日期|Allocation date|D|per|配租日期
噪声等效声级|Noise level|F|pub|等效连续A声级（分贝）
超标状态|Exceedance|L|pub|是否超标
小区名称|Community name|C200|pub|小区名称
楼栋数|Buildings|I|pub|楼栋数
改造内容|Renovation scope|M|pub|改造内容
计划投资|Planned investment|Y18|pub|计划投资（万元）
改造年度|Renovation year|C4|pub|改造年度
完工状态|Completion status|C20|pub|完工状态
业主姓名|Owner name|C50|per|业主姓名
交存金额|Amount deposited|Y12|sen|交存金额（元）
交存日期|Deposit date|D|per|交存日期
账户余额|Account balance|Y18|sen|账户余额（元）
经营者名称|Operator|C200|pub|经营者名称
营运证号|Operating permit number|C30|pub|道路运输证号
燃料类型|Fuel type|C20|pub|燃料类型
营运证有效期|Operating permit valid until|D|pub|道路运输证有效期
从业资格证号|Qualification certificate number|C30|per|从业资格证号
资格类别|Qualification category|C50|pub|从业资格类别
服务单位|Service company|C200|per|服务单位
路线编号|Route number|C20|pub|公路路线编号
路线名称|Route name|C100|pub|路线名称
技术等级|Technical grade|C20|pub|技术等级
起点桩号|Start chainage|F|pub|起点桩号
止点桩号|End chainage|F|pub|止点桩号
里程|Length|F|pub|里程（千米）
路面类型|Pavement type|C20|pub|路面类型
管养单位|Maintaining organisation|C200|pub|管养单位
桥梁长度|Bridge length|F|pub|桥梁全长（米）
技术状况等级|Condition grade|C10|pub|技术状况等级
站场等级|Station grade|C10|pub|站场等级
日发班次|Daily departures|I|pub|日发班次
货物名称|Cargo|C100|int|危险货物名称
电子运单号|Electronic waybill number|C50|int|电子运单号
速度|Speed|F|pub|速度（千米/小时）
线路名称|Route name|C100|pub|线路名称
起点站|Origin|C100|pub|起点站
终点站|Terminus|C100|pub|终点站
发车频次|Departures|I|pub|日发车班次
维修类别|Repair category|C50|pub|维修类别
维修地址|Workshop address|C200|pub|经营地址
停放点编号|Parking point ID|C30|pub|停放点编号
容量|Capacity|I|pub|可停放车辆数
泉水水位|Spring water level|F|pub|泉水水位（米，1985国家高程基准）
地下水埋深|Groundwater depth|F|pub|地下水埋深（米）
喷涌状态|Gushing status|C10|pub|喷涌、持续出流、停喷
泉池编号|Spring pool ID|C20|pub|泉池编号
泉池名称|Spring name|C100|pub|泉池名称
所属泉群|Spring group|C50|pub|趵突泉、黑虎泉、珍珠泉、五龙潭等泉群
保护级别|Protection level|C20|pub|保护级别
出水形态|Outflow form|C20|pub|出水形态
地下水水位|Groundwater level|F|pub|地下水水位（米）
水温|Water temperature|F|pub|水温（摄氏度）
电导率|Conductivity|F|pub|电导率（微西门子/厘米）
水位|Water level|F|pub|水位（米）
流量|Discharge|F|pub|流量（立方米/秒）
警戒水位|Warning level|F|pub|警戒水位（米）
超警戒幅度|Above warning|F|pub|超警戒幅度（米）
时段降水量|Period rainfall|F|pub|时段降水量（毫米）
累计降水量|Cumulative rainfall|F|pub|累计降水量（毫米）
取水权人|Water user|C200|pub|取水权人
取水地点|Abstraction point|C200|pub|取水地点
取水量|Volume permitted|F|pub|许可取水量（万立方米/年）
水源类型|Water source|C20|pub|地表水、地下水
取水用途|Purpose|C50|pub|取水用途
河湖名称|River or lake|C100|pub|河湖名称
河段|Reach|C200|pub|河段起止
河长姓名|River chief|C50|pub|依法公示的河湖长姓名
河长职务|Position|C100|pub|河湖长职务
公示牌编号|Sign number|C30|pub|公示牌编号
管径|Pipe diameter|I|pub|管径（毫米）
管材|Pipe material|C20|pub|管材
埋深|Burial depth|F|pub|埋深（米）
管段长度|Section length|F|pub|管段长度（米）
积水深度|Ponding depth|F|pub|历史最大积水深度（厘米）
责任单位|Responsible unit|C200|pub|责任单位
方案名称|Plan name|C200|pub|方案名称
防治责任范围|Prevention area|F|pub|水土流失防治责任范围（公顷）
灯杆编号|Pole ID|C30|pub|灯杆编号
光源类型|Lamp type|C20|pub|LED、高压钠灯等
额定功率|Rated power|F|pub|额定功率（瓦）
所属控制柜|Control cabinet|C30|pub|所属控制柜编号
道路名称|Road name|C100|pub|道路名称
路灯编号|Streetlight ID|C30|pub|路灯编号
控制柜编号|Cabinet ID|C30|pub|控制柜编号
采集时间|Sampled at|T|pub|采集时间
开关状态|Power state|C10|pub|开、关、调光
亮度|Illuminance level|F|pub|调光比例（0–1）
电压|Voltage|F|pub|电压（伏）
电流|Current|F|pub|电流（安）
功率|Power|F|pub|功率（瓦）
故障状态|Fault state|C30|pub|故障状态
回路数|Circuits|I|pub|回路数
控制方式|Control mode|C30|pub|控制方式
设施规模|Capacity|C50|pub|设施规模
无障碍设施|Accessible facilities|L|pub|是否配置无障碍设施
蹲位数量|Number of stalls|I|pub|厕位数量
设置单位|Applicant|C200|pub|设置单位
设置地点|Location|C200|pub|设置地点
广告类型|Advertisement type|C50|pub|广告类型
广告规格|Dimensions|C50|pub|广告规格
设置期限|Permitted period|C50|pub|设置期限
问题编号|Case ID|C30|pub|问题编号
问题类别|Problem category|C50|pub|问题类别
问题描述|Problem description|M|pub|问题描述
发生地址|Location|C200|pub|发生地址
上报时间|Reported at|T|pub|上报时间
处置部门|Responsible department|C100|pub|处置部门
结案时间|Closed at|T|pub|结案时间
案件状态|Status|C20|pub|案件状态
清运车辆编号|Collection vehicle|C30|pub|清运车辆编号
收运点名称|Collection point|C100|pub|收运点名称
清运时间|Collection time|T|pub|清运时间
清运量|Collected amount|F|pub|清运量（吨）
处置场所|Disposal site|C100|pub|处置场所
消纳场所|Disposal site|C200|pub|消纳场所
运输单位|Haulier|C200|pub|运输单位
核准量|Approved volume|F|pub|核准处置量（立方米）
道路编号|Road ID|C30|pub|道路编号
道路等级|Road class|C20|pub|道路等级
起点|Start|C100|pub|起点
终点|End|C100|pub|终点
道路长度|Length|F|pub|道路长度（米）
道路宽度|Width|F|pub|道路宽度（米）
养护单位|Maintenance unit|C200|pub|养护单位
PM2.5浓度|PM2.5 concentration|F|pub|细颗粒物浓度（微克/立方米）
PM10浓度|PM10 concentration|F|pub|可吸入颗粒物浓度（微克/立方米）
二氧化硫浓度|SO2 concentration|F|pub|二氧化硫浓度（微克/立方米）
二氧化氮浓度|NO2 concentration|F|pub|二氧化氮浓度（微克/立方米）
臭氧浓度|O3 concentration|F|pub|臭氧浓度（微克/立方米）
一氧化碳浓度|CO concentration|F|pub|一氧化碳浓度（毫克/立方米）
空气质量指数|Air quality index|I|pub|空气质量指数（AQI）
首要污染物|Primary pollutant|C20|pub|首要污染物
空气质量级别|Air quality level|C10|pub|空气质量级别
pH值|pH|F|pub|pH值
溶解氧|Dissolved oxygen|F|pub|溶解氧（毫克/升）
高锰酸盐指数|Permanganate index|F|pub|高锰酸盐指数（毫克/升）
氨氮|Ammonia nitrogen|F|pub|氨氮（毫克/升）
总磷|Total phosphorus|F|pub|总磷（毫克/升）
水质类别|Water quality class|C10|pub|水质类别（GB 3838）
行业类别|Industry category|C100|pub|行业类别
生产经营场所地址|Premises address|C200|pub|生产经营场所地址
主要污染物类别|Main pollutants|C200|pub|主要污染物类别
排放方式|Discharge mode|C50|pub|排放方式
排放口编号|Outlet ID|C30|pub|排放口编号
监测因子|Parameter|C50|pub|监测因子
排放浓度|Emission concentration|F|pub|排放浓度（毫克/立方米或毫克/升）
排放标准限值|Emission limit|F|pub|排放标准限值
是否超标|Exceeded|L|pub|是否超标
环评文件类型|EIA document type|C20|pub|报告书、报告表
审批文号|Approval number|C50|pub|审批文号
审批日期|Approval date|D|pub|审批日期
功能区类别|Noise zone class|C10|pub|声环境功能区类别
昼间等效声级|Daytime level|F|pub|昼间等效声级（分贝）
夜间等效声级|Night-time level|F|pub|夜间等效声级（分贝）
核准经营规模|Approved capacity|F|pub|核准经营规模（吨/年）
废物类别|Waste categories|C200|pub|危险废物类别
检测报告编号|Test report number|C50|pub|检测报告编号
检测机构|Testing body|C200|pub|检测机构
检测日期|Test date|D|pub|检测日期
检测方法|Test method|C50|pub|检测方法
检测结果|Test result|C20|pub|合格、不合格
投诉编号|Complaint ID|C30|pub|投诉编号
投诉人|Complainant|C50|per|投诉人姓名
投诉人联系电话|Complainant phone|C20|per|投诉人联系电话
被投诉单位|Respondent|C200|pub|被投诉单位
投诉内容|Complaint|M|int|投诉内容
办结日期|Completion date|D|pub|办结日期
投资方国别|Investor country|C50|pub|投资方国别（地区）
投资总额|Total investment|Y18|pub|投资总额（万美元）
发卡企业|Card issuer|C200|pub|发卡企业名称
预收资金余额|Prepaid balance|Y18|int|预收资金余额（万元）
加油站名称|Filling station|C200|pub|加油站名称
储油规模|Storage capacity|F|pub|储油规模（立方米）
回收品种|Materials recycled|C200|pub|回收品种
品牌名称|Brand|C100|pub|品牌名称
创立年份|Year founded|C4|pub|创立年份
认定级别|Recognition level|C20|pub|认定级别
网点名称|Outlet name|C200|pub|网点名称
网点类型|Outlet type|C50|pub|网点类型
营业面积|Floor area|F|pub|营业面积（平方米）
景区名称|Scenic area|C200|pub|景区名称
景区等级|Grade|C10|pub|A级等级
门票价格|Ticket price|Y10|pub|门票价格（元）
最大承载量|Maximum capacity|I|pub|最大承载量（人次）
统计时间|Statistics time|T|pub|统计时间
实时在园人数|Visitors on site|I|pub|实时在园人数
当日累计入园人数|Visitors today|I|pub|当日累计入园人数
舒适度等级|Comfort level|C10|pub|舒适度等级
藏书量|Collection size|I|pub|藏书量（册）
文保单位名称|Heritage site|C200|pub|文物保护单位名称
类别|Category|C50|pub|类别
年代|Period|C50|pub|年代
公布批次|Listing batch|C50|pub|公布批次
项目序号|Item number|C20|pub|项目序号
保护单位|Safeguarding body|C200|pub|保护单位
演出名称|Performance|C200|pub|演出名称
演出场所|Venue|C200|pub|演出场所
演出日期|Performance dates|C100|pub|演出日期
场所名称|Venue name|C200|pub|场所名称
终端数|Terminals|I|pub|计算机终端数
导游证号|Guide licence number|C30|per|导游证号
语种|Language|C50|pub|语种
等级|Grade|C20|pub|等级
入伍日期|Enlistment date|D|sen|入伍日期
退役日期|Discharge date|D|sen|退役日期
退役类别|Discharge category|C50|sen|退役类别
安置方式|Placement|C50|sen|安置方式
优抚类别|Care category|C50|sen|优抚对象类别
抚恤标准|Pension standard|Y12|sen|抚恤补助标准（元/年）
服务站名称|Service station|C200|pub|服务站名称
服务电话|Service phone|C30|pub|服务电话
设施级别|Level|C20|pub|保护级别
纪念对象|Commemorated|M|pub|纪念对象
危险源等级|Hazard grade|C10|int|重大危险源等级
储存量|Stored quantity|F|int|储存量（吨）
有效面积|Usable area|F|pub|有效面积（平方米）
容纳人数|Capacity|I|pub|可容纳人数
队伍名称|Team name|C200|pub|队伍名称
队伍类型|Team type|C50|pub|队伍类型
所属单位|Parent organisation|C200|pub|所属单位
队伍人数|Team size|I|int|队伍人数
主要装备|Main equipment|M|int|主要装备
值班电话|Duty phone|C30|int|值班电话
灾害编号|Disaster ID|C30|pub|灾害编号
发生时间|Occurred at|T|pub|发生时间
受灾区域|Affected area|C200|pub|受灾区域
受灾人口|Affected people|I|pub|受灾人口
直接经济损失|Direct economic loss|Y18|pub|直接经济损失（万元）
报送单位|Reporting unit|C100|pub|报送单位
烟火识别|Smoke or fire detected|L|pub|是否识别到烟火
告警等级|Alert level|C10|pub|告警等级
达标等级|Standardisation grade|C10|pub|达标等级
被审计单位|Audited entity|C200|int|被审计单位
审计类型|Audit type|C50|int|审计类型
计划开始日期|Planned start|D|int|计划开始日期
计划结束日期|Planned end|D|int|计划结束日期
问题类型|Issue type|C100|int|问题类型
问题金额|Amount involved|Y18|int|问题金额（万元）
整改要求|Rectification required|M|int|整改要求
整改完成日期|Rectified on|D|int|整改完成日期
公告标题|Announcement title|C200|pub|公告标题
公告文号|Announcement number|C50|pub|公告文号
审计发现问题|Findings|M|pub|审计发现的主要问题
企业级次|Enterprise tier|C10|pub|企业级次
主营业务|Main business|M|pub|主营业务
产权登记类型|Registration type|C30|int|占有、变动、注销登记
出资人|Investor|C200|int|出资人
出资额|Capital contributed|Y18|int|出资额（万元）
持股比例|Shareholding|F|int|持股比例（%）
投资方向|Investment area|C100|int|投资方向
投资额|Investment amount|Y18|int|投资额（万元）
组成形式|Form|C20|pub|个人经营、家庭经营
经营者姓名|Operator name|C50|per|经营者姓名
经营者公民身份号码|Operator ID number|C18|sen|经营者公民身份号码
个体工商户名称|Business name|C200|pub|个体工商户名称
经营场所|Premises|C200|pub|经营场所
成员出资总额|Member capital|Y18|pub|成员出资总额（万元）
报告年度|Report year|C4|pub|年度报告所属年度
从业人数|Employees|I|int|从业人数
资产总额|Total assets|Y18|int|资产总额（万元）
营业总收入|Total revenue|Y18|int|营业总收入（万元）
纳税总额|Total tax paid|Y18|int|纳税总额（万元）
报送日期|Submission date|D|pub|报送日期
列入原因|Reason for listing|C200|pub|列入经营异常名录原因
作出决定机关|Deciding authority|C100|pub|作出决定机关
主体业态|Business format|C100|pub|主体业态
经营项目|Business items|M|pub|经营项目
食品类别|Food categories|C200|pub|食品类别
生产地址|Production address|C200|pub|生产地址
抽样编号|Sample number|C50|pub|抽样编号
被抽样单位|Sampled business|C200|pub|被抽样单位
食品名称|Food|C200|pub|食品名称
规格型号|Specification|C100|pub|规格型号
生产日期|Production date|D|pub|生产日期
抽样日期|Sampling date|D|pub|抽样日期
检验项目|Test items|M|pub|检验项目
检验结果|Test result|C20|pub|合格、不合格
经营方式|Business mode|C50|pub|经营方式
仓库地址|Warehouse address|C200|pub|仓库地址
设备注册代码|Equipment registration code|C30|pub|设备注册代码
设备类别|Equipment category|C50|pub|设备类别
设备品种|Equipment variety|C50|pub|设备品种
使用单位名称|User|C200|pub|使用单位
设备地址|Equipment address|C200|pub|设备地址
制造单位|Manufacturer|C200|pub|制造单位
下次检验日期|Next inspection date|D|pub|下次检验日期
器具名称|Instrument|C100|pub|计量器具名称
出厂编号|Serial number|C50|pub|出厂编号
检定结论|Verification result|C20|pub|检定结论
检定日期|Verification date|D|pub|检定日期
产品名称|Product|C200|pub|产品名称
统计类别|Category|C100|pub|统计类别
申请量|Applications|I|pub|申请量（件）
授权量|Grants|I|pub|授权量（件）
有效量|In force|I|pub|有效量（件）
产品类别|Product category|C50|pub|产品类别
保护范围|Protected area|C200|pub|地理标志保护范围
公告号|Announcement number|C50|pub|公告号
行政相对人名称|Party name|C200|pub|行政相对人名称
决定文书号|Decision number|C50|pub|决定文书号
处罚事由|Grounds|M|pub|违法事实及处罚事由
处罚依据|Legal basis|M|pub|处罚依据
处罚结果|Penalty|M|pub|处罚结果
处罚决定日期|Decision date|D|pub|处罚决定日期
检查对象名称|Inspected party|C200|pub|检查对象名称
检查事项|Inspection item|C200|pub|检查事项
检查日期|Inspection date|D|pub|检查日期
检查结果|Inspection result|C100|pub|检查结果
检查机关|Inspecting authority|C100|pub|检查机关
标准编号|Standard number|C30|pub|标准编号
标准名称|Standard title|C200|pub|标准名称
起草单位|Drafting organisation|C200|pub|起草单位
实施日期|Implementation date|D|pub|实施日期
标准状态|Status|C20|pub|现行、废止
赛事名称|Event|C200|pub|赛事名称
赛事级别|Event level|C30|pub|赛事级别
举办地点|Venue|C200|pub|举办地点
举办日期|Event date|D|pub|举办日期
主办单位|Organiser|C200|pub|主办单位
指导员等级|Instructor grade|C20|per|社会体育指导员等级
指导项目|Sport|C50|per|指导项目
场馆名称|Venue name|C200|pub|场馆名称
场馆类型|Venue type|C50|pub|场馆类型
场地面积|Area|F|pub|场地面积（平方米）
是否免费开放|Free entry|L|pub|是否免费或低收费开放
经营项目名称|Sport licensed|C100|pub|高危险性体育项目
行业代码|Industry code|C10|pub|国民经济行业代码
单位规模|Size class|C20|pub|大型、中型、小型、微型
调查周期|Survey frequency|C20|pub|调查周期
登记注册类型|Ownership type|C30|pub|登记注册类型
公园名称|Park name|C200|pub|公园名称
公园类型|Park type|C50|pub|综合公园、专类公园、社区公园、游园
面积|Area|F|pub|面积（公顷）
树种|Species|C50|pub|树种
树龄|Age|I|pub|估测树龄（年）
胸径|Trunk diameter|F|pub|胸径（厘米）
绿地编号|Green space ID|C30|pub|绿地编号
绿地类型|Green space type|C50|pub|绿地类型
绿地面积|Green area|F|pub|绿地面积（平方米）
采伐地点|Felling site|C200|pub|采伐地点
采伐树种|Species felled|C100|pub|采伐树种
采伐株数|Trees felled|I|pub|采伐株数
采伐方式|Felling method|C30|pub|采伐方式
有害生物种类|Pest species|C100|pub|有害生物种类
发生面积|Affected area|F|pub|发生面积（公顷）
危害程度|Severity|C20|pub|危害程度
株数|Number of trees|I|pub|株数
事项编码|Service item code|C50|pub|政务服务事项编码
事项名称|Service item|C200|pub|事项名称
事项类型|Item type|C30|pub|行政许可、行政确认、公共服务等
实施主体|Implementing body|C100|pub|实施主体
办理时限|Time limit|I|pub|承诺办理时限（工作日）
办理地点|Service location|C200|pub|办理地点
设定依据|Legal basis|M|pub|设定依据
办件编号|Case number|C50|pub|办件编号
申请人名称|Applicant name|C200|per|申请人姓名或名称
申请人证件号码|Applicant ID number|C30|sen|申请人证件号码
办理结果|Result|C50|pub|办理结果
受理部门|Accepting department|C100|pub|受理部门
营业执照编号|Licence serial number|C30|pub|营业执照编号
证照编号|Licence number|C50|pub|证照编号
证照类型|Licence type|C100|pub|证照类型
持证主体|Holder|C200|per|持证主体名称
持证主体代码|Holder code|C30|sen|持证主体证件号码或统一社会信用代码
颁发机构|Issuing body|C100|pub|颁发机构
颁发日期|Issue date|D|pub|颁发日期
证照状态|Licence status|C20|pub|有效、注销、吊销
评价编号|Review number|C30|pub|评价编号
评价渠道|Channel|C20|pub|线上、线下、热线
评价等级|Rating|C10|pub|非常满意至非常不满意
评价时间|Rated at|T|pub|评价时间
大厅名称|Service hall|C200|pub|大厅名称
当前排队人数|People waiting|I|pub|当前排队人数
平均等待时长|Average waiting time|I|pub|平均等待时长（分钟）
办理窗口数|Open windows|I|pub|开放办理窗口数
预约编号|Appointment number|C30|pub|预约编号
预约事项|Service booked|C200|per|预约事项
预约时间|Appointment time|T|per|预约时间
预约状态|Appointment status|C20|pub|预约状态
咨询电话|Enquiry phone|C30|pub|咨询电话
窗口数量|Service windows|I|pub|窗口数量
代办人员|Assisting officer|C50|int|帮办代办人员
服务方式|Service mode|C30|pub|服务方式
资源代码|Resource code|C50|pub|信息资源代码
资源名称|Resource name|C200|pub|信息资源名称
提供部门|Provider|C100|pub|提供部门
共享类型|Sharing type|C20|pub|共享类型
开放属性|Open attribute|C20|pub|开放属性
交换任务编号|Exchange task ID|C50|int|交换任务编号
使用部门|Consumer|C100|int|使用部门
交换方式|Exchange method|C20|int|接口、文件、库表
交换时间|Exchange time|T|int|交换时间
交换数据量|Records exchanged|I|int|交换数据量（条）
交换状态|Exchange status|C20|int|交换状态
接入单位|Connected organisation|C200|int|接入单位
接入方式|Connection type|C50|int|接入方式
接入日期|Connection date|D|int|接入日期
云资源编号|Cloud resource ID|C50|int|云资源编号
资源类型|Resource type|C50|int|云主机、存储、数据库等
CPU核数|vCPUs|I|int|CPU核数
内存容量|Memory|I|int|内存容量（GB）
存储容量|Storage|I|int|存储容量（GB）
指标编码|Indicator code|C30|pub|指标编码
指标名称|Indicator|C100|pub|指标名称
所属领域|Domain|C50|pub|所属领域
指标值|Value|F|pub|指标值
预警状态|Alert status|C20|pub|正常、预警、告警
设备编号|Device ID|C50|pub|设备编号
设备类型|Device type|C50|pub|设备类型
接入协议|Protocol|C30|pub|接入协议
校核批次|Check batch|C30|int|校核批次
校核规则|Rule|C200|int|校核规则
问题记录数|Records with issues|I|int|问题记录数
校核时间|Checked at|T|int|校核时间
数据来源部门|Source department|C100|int|数据来源部门
婚姻状况|Marital status|C10|per|婚姻状况
文化程度|Education|C20|per|文化程度
信访件编号|Petition number|C50|int|信访件编号
信访人|Petitioner|C50|per|信访人姓名
信访人联系电话|Petitioner phone|C20|per|信访人联系电话
信访形式|Form|C20|pub|来信、来访、网上信访
问题分类|Issue category|C100|pub|问题分类
信访内容|Content|M|sen|信访诉求内容
办理单位|Handling unit|C100|pub|办理单位
办理状态|Status|C20|pub|办理状态
接访领导|Receiving leader|C50|pub|接访领导
接访日期|Reception date|D|pub|接访日期
接访地点|Reception venue|C200|pub|接访地点
接访领域|Topics|C200|pub|接访领域
工程名称|Works name|C200|int|人防工程名称
工程类别|Works category|C50|int|工程类别
防护等级|Protection grade|C10|int|防护等级
平时用途|Peacetime use|C50|int|平时用途
警报器编号|Siren ID|C30|int|警报器编号
设置位置|Location|C200|int|设置位置
覆盖半径|Coverage radius|I|int|覆盖半径（米）
缴费金额|Amount paid|Y18|pub|缴费金额（元）
缴费日期|Payment date|D|pub|缴费日期
基地名称|Base name|C200|int|疏散基地名称
可容纳人数|Capacity|I|int|可容纳人数
车辆用途|Vehicle use|C30|int|车辆用途
购置日期|Purchase date|D|int|购置日期
能源品种|Energy type|C30|pub|能源品种
消费量|Consumption|F|pub|消费量
人均能耗|Per-capita energy use|F|pub|人均能耗（千克标准煤）
房屋坐落位置|Building location|C200|int|房屋坐落
使用面积|Usable area|F|int|使用面积（平方米）
创建年度|Year recognised|C4|pub|创建年度
个人公积金账号|Provident fund account|C20|sen|个人住房公积金账号
缴存基数|Contribution base|Y12|sen|缴存基数（元）
月缴存额|Monthly contribution|Y12|sen|月缴存额（元）
缴存状态|Contribution status|C20|per|正常、封存、销户
提取原因|Withdrawal reason|C50|sen|提取原因
提取金额|Amount withdrawn|Y12|sen|提取金额（元）
提取日期|Withdrawal date|D|per|提取日期
贷款期限|Loan term|I|sen|贷款期限（月）
贷款余额|Outstanding balance|Y18|sen|贷款余额（元）
缴存人数|Contributors|I|pub|缴存职工人数
开户日期|Account opened|D|pub|开户日期
招标公告编号|Tender notice number|C50|pub|招标公告编号
招标人|Tendering party|C200|pub|招标人
招标方式|Tender method|C30|pub|招标方式
投标截止时间|Bid deadline|T|pub|投标截止时间
中标人|Winning bidder|C200|pub|中标人
中标价|Winning price|Y18|pub|中标价（万元）
公示日期|Publicity date|D|pub|公示日期
交易编号|Transaction number|C50|pub|交易编号
交易方式|Trading method|C30|pub|交易方式
起始价|Reserve price|Y18|pub|起始价（万元）
成交日期|Transaction date|D|pub|成交日期
专家编号|Expert ID|C30|int|专家编号
评标专业|Specialty|C100|int|评标专业
职称|Professional title|C50|per|职称
主体类型|Party type|C50|pub|招标人、投标人、代理机构
气温|Air temperature|F|pub|气温（摄氏度）
相对湿度|Relative humidity|F|pub|相对湿度（%）
降水量|Precipitation|F|pub|降水量（毫米）
风向|Wind direction|C10|pub|风向
风速|Wind speed|F|pub|风速（米/秒）
气压|Air pressure|F|pub|气压（百帕）
能见度|Visibility|F|pub|能见度（米）
预报发布时间|Issued at|T|pub|预报发布时间
预报区域|Forecast area|C100|pub|预报区域
预报时效|Lead time|I|pub|预报时效（小时）
天气现象|Weather|C50|pub|天气现象
最高气温|Maximum temperature|F|pub|最高气温（摄氏度）
最低气温|Minimum temperature|F|pub|最低气温（摄氏度）
风力|Wind force|C20|pub|风力等级
预警编号|Warning ID|C50|pub|预警编号
预警类型|Warning type|C30|pub|暴雨、大风、高温、寒潮等
预警级别|Warning level|C10|pub|蓝色、黄色、橙色、红色
发布时间|Issued at|T|pub|发布时间
解除时间|Lifted at|T|pub|解除时间
影响区域|Affected area|C200|pub|影响区域
防御指南|Guidance|M|pub|防御指南
雷达站|Radar station|C50|pub|雷达站
观测时间|Observation time|T|pub|观测时间
产品类型|Product type|C30|pub|组合反射率、降水估测等
图像数据|Image|B|pub|图像数据
装置类型|Device type|C50|pub|防雷装置类型
检测单位|Testing body|C200|pub|检测单位
纳税人识别号|Taxpayer ID|C20|pub|纳税人识别号
纳税人名称|Taxpayer name|C200|pub|纳税人名称
主管税务机关|Tax office|C100|pub|主管税务机关
纳税人状态|Taxpayer status|C20|pub|纳税人状态
欠税税种|Tax in arrears|C50|pub|欠税税种
欠税余额|Arrears|Y18|pub|欠税余额（元）
案件性质|Nature of case|C100|pub|案件性质
主要违法事实|Facts|M|pub|主要违法事实
扣缴义务人|Withholding agent|C200|per|扣缴义务人
所得项目|Income type|C50|sen|所得项目
收入额|Income|Y18|sen|收入额（元）
应纳税额|Tax payable|Y18|sen|应纳税额（元）
申报日期|Filing date|D|per|申报日期
消防安全责任人|Fire safety officer|C50|int|消防安全责任人
检查类型|Inspection type|C50|pub|检查类型
消火栓编号|Hydrant ID|C30|pub|消火栓编号
消火栓类型|Hydrant type|C20|pub|地上式、地下式
接口口径|Coupling size|I|pub|接口口径（毫米）
可用状态|Availability|C20|pub|可用状态
救援站名称|Station name|C200|pub|消防救援站名称
站级|Station class|C20|pub|站级
车辆数|Vehicles|I|pub|消防车辆数
警情编号|Incident number|C50|int|警情编号
报警时间|Alarm time|T|int|报警时间
警情类型|Incident type|C50|pub|警情类型
出动车辆数|Vehicles dispatched|I|pub|出动车辆数
处置结果|Outcome|C100|pub|处置结果
档号|Archival reference|C50|pub|档号
题名|Title|C200|pub|题名
立档单位|Creating agency|C200|pub|立档单位
形成年度|Year created|C4|pub|形成年度
保管期限|Retention period|C20|pub|永久、长期、短期
开放状态|Access status|C20|pub|开放、控制
查档编号|Request number|C30|int|查档编号
查档人|Requester|C50|per|查档人姓名
查档目的|Purpose|C200|per|查档目的
查档日期|Request date|D|per|查档日期
利用方式|Use|C30|pub|查阅、复制、出具证明
工单编号|Ticket number|C50|pub|工单编号
来电人|Caller|C50|per|来电人姓名
来电号码|Caller number|C20|per|来电号码
来电时间|Call time|T|pub|来电时间
诉求类型|Request type|C50|pub|咨询、求助、投诉、建议
诉求内容|Request|M|per|诉求内容
承办单位|Handling unit|C100|pub|承办单位
办结时间|Closed at|T|pub|办结时间
满意度|Satisfaction|C20|pub|满意度
申请编号|Application number|C30|pub|申请编号
申请内容|Information requested|M|per|申请公开的政府信息
答复类型|Reply type|C30|pub|答复类型
答复日期|Reply date|D|pub|答复日期
会议名称|Meeting|C100|int|会议名称
会议日期|Meeting date|D|int|会议日期
议定事项|Decision|M|int|议定事项
责任单位名称|Lead unit|C200|int|责任单位
落实情况|Implementation|M|int|落实情况
规章名称|Rule|C200|pub|规章名称
令号|Decree number|C30|pub|政府令号
建议提案编号|Proposal number|C30|pub|建议提案编号
建议提案标题|Proposal title|C200|pub|建议提案标题
领衔人|Lead proposer|C50|pub|领衔代表或委员
主办单位名称|Lead handling unit|C100|pub|主办单位
答复意见类别|Reply category|C10|pub|答复意见类别
督查事项|Supervised matter|C200|int|督查事项
督查类型|Supervision type|C50|int|督查类型
完成时限|Deadline|D|int|完成时限
宗教类别|Religion|C20|pub|宗教类别
教职人员姓名|Clergy name|C50|per|教职人员姓名
宗教信仰|Religious belief|C20|sen|宗教信仰（敏感个人信息）
教职身份|Clerical status|C50|sen|教职身份
民族名称|Ethnic group|C20|pub|民族名称
人口数|Population|I|pub|人口数
单位称号|Title awarded|C100|pub|命名称号
命名年度|Year named|C4|pub|命名年度
献血日期|Donation date|D|per|献血日期
献血量|Volume donated|I|sen|献血量（毫升）
献血类型|Donation type|C20|per|全血、成分血
献血证号|Donor certificate number|C30|per|无偿献血证号
血液品种|Blood component|C50|pub|血液品种
库存量|Stock|F|pub|库存量（单位）
招商项目名称|Project name|C200|pub|招商项目名称
所属产业|Industry|C100|pub|所属产业
投资方|Investor|C200|int|投资方
项目签约日期|Signing date|D|pub|项目签约日期
落地状态|Status|C20|pub|落地状态
活动名称|Event name|C200|pub|活动名称
活动日期|Event date|D|pub|活动日期
活动地点|Venue|C200|pub|活动地点
参与企业数|Companies attending|I|pub|参与企业数
载体类型|Facility type|C50|pub|载体类型
可用面积|Available area|F|pub|可用面积（平方米）
主导产业|Leading industries|C200|pub|主导产业
农场名称|Farm name|C200|pub|农场名称
经营者|Operator|C50|per|经营者姓名
所属镇街|Town or sub-district|C100|pub|所属镇（街道）
经营类型|Farming type|C50|pub|种植、养殖、种养结合
经营面积|Area farmed|F|pub|经营面积（亩）
合作社名称|Cooperative name|C200|pub|合作社名称
成员数|Members|I|pub|成员数
承包方代表|Contractor|C50|per|承包方代表姓名
发包方|Contracting party|C200|pub|发包方
地块编码|Plot code|C30|per|地块编码
地块面积|Plot area|F|per|地块面积（亩）
承包期限|Contract term|C50|per|承包期限
权证编号|Certificate number|C50|per|经营权证编号
项目区名称|Project area|C200|pub|项目区名称
建设年度|Year built|C4|pub|建设年度
建设面积|Area|F|pub|建设面积（亩）
地块范围|Boundary|B|pub|地块范围（空间数据）
养殖场名称|Farm name|C200|pub|养殖场名称
畜禽种类|Livestock|C50|pub|畜禽种类
存栏量|Stock|I|pub|存栏量（头/只）
动物防疫条件合格证号|Certificate number|C50|pub|动物防疫条件合格证编号
机具品目|Machinery type|C100|pub|机具品目
组织代码|Organisation code|C30|pub|集体经济组织登记证代码
村名|Village|C100|pub|村名
成员户数|Member households|I|pub|成员户数
村庄名称|Village name|C100|pub|村庄名称
创建级别|Level|C20|pub|创建级别
线路编号|Route ID|C20|pub|线路编号
线路类型|Route type|C30|pub|常规、快速公交、定制公交等
首班时间|First departure|C5|pub|首班时间（HH:MM）
末班时间|Last departure|C5|pub|末班时间（HH:MM）
票价|Fare|Y8|pub|票价（元）
线路长度|Route length|F|pub|线路长度（千米）
站点编号|Stop ID|C20|pub|站点编号
站台类型|Stop type|C30|pub|站台类型
途经线路数|Routes served|I|pub|途经线路数
方向角|Heading|F|pub|方向角（度）
下一站点|Next stop|C100|pub|下一站点
满载率|Load factor|F|pub|满载率（%）
车辆型号|Vehicle model|C50|pub|车辆型号
核定载客人数|Passenger capacity|I|pub|核定载客人数
投运日期|In service since|D|pub|投运日期
所属线路|Route|C50|pub|所属线路
刷卡人次|Card taps|I|pub|刷卡人次
扫码人次|QR scans|I|pub|扫码人次
总客流量|Total ridership|I|pub|总客流量（人次）
交易流水号|Transaction number|C50|int|交易流水号
卡号|Card number|C30|per|交通卡卡号
交易时间|Transaction time|T|per|交易时间
交易金额|Amount|Y10|per|交易金额（元）
卡类型|Card type|C20|pub|卡类型
优惠类型|Concession type|C30|per|老年卡、爱心卡等
办理日期时间|Processed at|T|pub|办理时间
场站名称|Depot name|C100|pub|场站名称
车站数量|Stations|I|pub|车站数量
开通日期|Opening date|D|pub|开通日期
车站编号|Station ID|C20|pub|车站编号
车站名称|Station name|C100|pub|车站名称
出入口数量|Entrances|I|pub|出入口数量
换乘线路|Interchanges|C100|pub|换乘线路
进站量|Entries|I|pub|进站量（人次）
出站量|Exits|I|pub|出站量（人次）
换乘量|Transfers|I|pub|换乘量（人次）
列车编号|Train ID|C20|pub|列车编号
当前车站|Current station|C100|pub|当前车站
运行方向|Direction|C10|pub|上行、下行
晚点时长|Delay|I|pub|晚点时长（秒）
车票类型|Ticket type|C30|pub|车票类型
进站车站|Entry station|C100|per|进站车站
出站车站|Exit station|C100|per|出站车站
用户编号|Customer number|C30|per|用户编号
户名|Account name|C100|per|户名
用水地址|Supply address|C200|per|用水地址
用水性质|Water use type|C20|pub|居民、非居民、特种行业
水表编号|Meter number|C30|per|水表编号
总大肠菌群|Total coliforms|F|pub|总大肠菌群（MPN/100mL）
抄表月份|Billing month|C7|per|抄表月份
用水量|Water used|F|per|用水量（立方米）
通知编号|Notice number|C30|pub|通知编号
停水区域|Affected area|C200|pub|停水区域
停水原因|Reason|C200|pub|停水原因
影响户数|Households affected|I|pub|影响户数
厂站名称|Plant name|C100|pub|厂站名称
供水量|Water supplied|F|pub|供水量（万立方米）
出厂水压|Outlet pressure|F|pub|出厂水压（兆帕）
处理水量|Volume treated|F|pub|处理水量（万立方米）
进水COD|Influent COD|F|pub|进水化学需氧量（毫克/升）
出水COD|Effluent COD|F|pub|出水化学需氧量（毫克/升）
出水氨氮|Effluent ammonia|F|pub|出水氨氮（毫克/升）
达标状态|Compliance|C20|pub|达标状态
供热面积|Heated area|F|pub|供热面积（平方米）
换热站名称|Substation name|C100|pub|换热站名称
供热方式|Heating mode|C30|pub|供热方式
一次供水温度|Primary supply temperature|F|pub|一次供水温度（摄氏度）
一次回水温度|Primary return temperature|F|pub|一次回水温度（摄氏度）
二次供水温度|Secondary supply temperature|F|pub|二次供水温度（摄氏度）
二次回水温度|Secondary return temperature|F|pub|二次回水温度（摄氏度）
瞬时流量|Flow rate|F|pub|瞬时流量（立方米/小时）
瞬时热量|Heat rate|F|pub|瞬时热量（吉焦/小时）
室内温度|Indoor temperature|F|pub|室内温度（摄氏度）
报修编号|Repair ticket|C30|pub|报修编号
报修人|Caller|C50|per|报修人姓名
报修地址|Repair address|C200|per|报修地址
报修时间|Reported at|T|pub|报修时间
故障类型|Fault type|C50|pub|故障类型
用电户号|Electricity account|C30|per|用电户号
用电地址|Supply address|C200|per|用电地址
用电类别|Tariff class|C30|pub|用电类别
电压等级|Voltage level|C20|pub|电压等级
合同容量|Contracted capacity|F|int|合同容量（千伏安）
统计区域|Area|C100|pub|统计区域
行业分类|Sector|C100|pub|行业分类
用电量|Electricity used|F|pub|用电量（万千瓦时）
停电区域|Outage area|C200|pub|停电区域
停电原因|Reason|C200|pub|停电原因
停电线路|Feeder|C100|pub|停电线路
充电站名称|Station name|C200|pub|充电站名称
快充数量|Fast chargers|I|pub|快充桩数量
慢充数量|Slow chargers|I|pub|慢充桩数量
收费标准说明|Tariff|C200|pub|充电服务费收费标准
变电站名称|Substation name|C100|int|变电站名称
主变容量|Transformer capacity|F|int|主变容量（兆伏安）
最大负荷|Peak load|F|pub|最大负荷（兆瓦）
平均负荷|Average load|F|pub|平均负荷（兆瓦）
负荷率|Load factor|F|pub|负荷率（%）
用电户名|Account name|C200|pub|用电户名（企业）
统计月份|Month|C7|pub|统计月份（YYYY-MM）
电费金额|Electricity bill|Y18|int|电费金额（元）
用气地址|Supply address|C200|per|用气地址
用气性质|Gas use type|C20|pub|居民、工商业
燃气表编号|Meter number|C30|per|燃气表编号
压力级制|Pressure class|C20|int|压力级制
泄漏浓度|Leak concentration|F|pub|可燃气体浓度（%LEL）
报警状态|Alarm state|C20|pub|报警状态
用气量|Gas used|F|pub|用气量（万立方米）
检查人员|Inspector|C50|int|检查人员
隐患内容|Hazard found|M|pub|隐患内容
网格员编号|Grid worker ID|C30|int|网格员编号
所属网格|Grid|C100|pub|所属网格
所属社区|Community|C100|pub|所属社区
上岗日期|Start date|D|int|上岗日期
网格编码|Grid code|C30|pub|网格编码
网格名称|Grid name|C100|pub|网格名称
网格面积|Grid area|F|pub|网格面积（平方千米）
网格边界|Grid boundary|B|pub|网格边界（空间数据）
事件编号|Incident ID|C50|pub|事件编号
事件类型|Incident type|C50|pub|事件类型
事件描述|Description|M|int|事件描述
上报人|Reporter|C50|per|上报人姓名
社区名称|Community name|C100|pub|社区名称
社区代码|Community code|C12|pub|统计用区划代码
人口数量|Population|I|pub|人口数量
街道名称|Sub-district name|C100|pub|街道（镇）名称
区划代码|Division code|C12|pub|统计用区划代码
辖区面积|Area|F|pub|辖区面积（平方千米）
社区数量|Communities|I|pub|下辖社区（村）数量
服务类型|Service type|C50|per|服务类型
服务机构|Service provider|C200|per|服务机构
服务日期|Service date|D|per|服务日期
服务点名称|Service point|C200|pub|服务点名称
服务内容|Services|M|pub|服务内容
学区名称|School district|C100|pub|学区名称
对口学校|Assigned school|C200|pub|对口学校
划片范围|Catchment|M|pub|划片范围
适用年度|School year|C4|pub|适用年度
统计年度|Statistical year|C4|pub|统计年度
区县名称|District|C50|pub|区县名称
同比增长率|Year-on-year change|F|pub|同比增长率（%）
变更事项|Changed field|C100|pub|变更事项
变更前内容|Before|M|int|变更前内容
变更后内容|After|M|int|变更后内容
变更日期|Change date|D|pub|变更日期
站点类型|Station type|C30|pub|站点类型
建站日期|Station established|D|pub|建站日期
巡检日期|Inspection date|D|pub|巡检日期
巡检结果|Inspection result|C50|pub|巡检结果
处置状态|Handling status|C20|pub|处置状态
处置完成时间|Completed at|T|pub|处置完成时间
决定事项|Decision subject|C200|pub|决定事项
决定内容|Decision|M|pub|决定内容
决定日期|Decision date|D|pub|决定日期
决定机关|Deciding authority|C100|pub|决定机关
统计日期|Date|D|pub|统计日期
数据更新时间|Last updated|T|pub|数据更新时间
备注|Remarks|M|pub|备注
建成日期|Completion date|D|pub|建成日期
经营区域|Service area|C200|pub|经营区域
缴费状态|Payment status|C20|per|缴费状态
运输企业|Carrier|C200|pub|道路危险货物运输企业
视频流地址|Video stream URL|C200|int|视频流访问地址
"""

# Item groups usable in subject item lists as @name.
GROUPS = """
person|姓名 公民身份号码 性别 出生日期 住址
ent|统一社会信用代码 企业名称 法定代表人 注册资本 成立日期 经营范围 住所
site|监测站点编码 监测站点名称 监测时间 经度 纬度
fac|设施编号 设施名称 设施类型 所属区县 地址 经度 纬度 管理单位 运行状态
lic|许可证编号 许可事项 发证机关 发证日期 有效期至
veh|机动车号牌号码 号牌种类 车辆类型
geo|地址 经度 纬度
stats|统计年度 区县名称 指标名称 指标值 计量单位 同比增长率
change|变更事项 变更前内容 变更后内容 变更日期
sites|监测站点编码 监测站点名称 站点类型 所属区县 地址 经度 纬度 建站日期 运行状态
inspect|设施编号 设施名称 巡检日期 巡检结果 问题描述 处置状态 处置完成时间 养护单位
cases|办件编号 事项名称 申请人名称 申请人证件号码 受理日期 办结日期 办理结果 受理部门
publicity|行政相对人名称 统一社会信用代码 决定文书号 决定事项 决定内容 决定日期 决定机关
"""

# Subjects each department catalogs. A record starts at column 0 and continues on indented
# lines (joined as they stand):
#   stem|English stem|kind|classification|flags|items|options
# kind picks the naming variants (see content.VARIANTS); flags: core/imp (security grade of
# the detailed data), restricted (rarely shared), open (favoured for opening), nd (no
# per-district variants), ny (no per-year variants); items: names from ITEMS or @groups;
# options: sys=source system; duty=duty phrase (负责…工作); kw=extra keywords; fmt=format;
# cycle=update cycle of the detailed data; law=law cited when sharing is restricted.
SUBJECTS = """
[bgt]
12345市民服务热线工单|12345 citizen hotline tickets|log|307006|
  |工单编号 来电人 来电号码 来电时间 诉求类型 诉求内容 承办单位 办结时间 满意度
  |sys=12345市民服务热线系统;duty=12345市民服务热线工单的受理、转办和督办;kw=热线,诉求
政府信息公开申请|government information disclosure requests|service|307006|nd
  |申请编号 申请人 申请内容 受理日期 答复类型 答复日期
政府常务会议议定事项|decisions of executive meetings|plan|307006|restricted,nd
  |会议名称 会议日期 议定事项 责任单位名称 落实情况
市政府规章|municipal government rules|directory|307006|open,nd
  |规章名称 令号 发布日期 施行日期 有效状态|fmt=self_describing
人大建议政协提案办理|handling of deputies' suggestions and CPPCC proposals|log|307006|nd
  |建议提案编号 建议提案标题 领衔人 主办单位名称 答复意见类别 答复日期
政务督查事项|government supervision items|plan|307006|restricted
  |督查事项 督查类型 责任单位名称 完成时限 落实情况
[fgw]
重点建设项目|key construction projects|plan|301001|open
  |项目代码 项目名称 建设单位 建设地点 总投资 建设规模及内容 开工日期 计划竣工日期 项目进度
固定资产投资项目审批|fixed-asset investment project approvals|license|301001|
  |项目代码 项目名称 建设单位 审批类型 批复文号 批复日期 总投资 建设地点
重要商品价格监测|key commodity price monitoring|meter|206001|open
  |监测点名称 商品名称 规格等级 计量单位 监测日期 零售价格 环比涨跌幅|cycle=daily
政府定价收费项目|government-priced fee items|directory|206002|open,nd
  |收费项目名称 收费标准 计量单位 定价依据 执行日期 定价部门
公共信用综合评价|public credit comprehensive ratings|registry|104004|
  |统一社会信用代码 企业名称 评价年度 信用等级 评价得分 评价日期|sys=公共信用信息平台
严重失信主体|seriously dishonest entities|directory|104004|open
  |主体名称 统一社会信用代码 列入事由 列入日期 认定部门 移出日期|sys=公共信用信息平台
信用修复|credit repair|service|104001|
  |统一社会信用代码 主体名称 修复事项 申请日期 修复结果 办理日期|sys=公共信用信息平台
重点用能单位|key energy-consuming entities|directory|207003|
  |统一社会信用代码 单位名称 所属行业 年综合能源消费量 能耗限额 所属区县
能源消费|energy consumption|stats|207003|
电动汽车充电基础设施|EV charging infrastructure|facility|207001|open
  |@fac 充电桩数量 充电功率 运营企业
[jyj]
中小学校|primary and secondary schools|directory|201002|open
  |学校标识码 学校名称 办学类型 办学性质 所属区县 地址 经度 纬度 单位联系电话
幼儿园|kindergartens|directory|201002|open
  |学校标识码 幼儿园名称 办学性质 所属区县 地址 班级数 收费标准 单位联系电话
学生学籍|student status records|registry|101005|imp
  |学籍号 姓名 公民身份号码 性别 出生日期 就读学校 年级 入学日期 监护人姓名 监护人联系电话
  |sys=中小学生学籍信息管理系统
义务教育招生入学|compulsory education enrolment|service|201002|
  |姓名 公民身份号码 户籍地址 报名学校 学区 录取结果|sys=义务教育招生入学服务平台
教师资格认定|teacher qualification accreditation|license|105003|
  |证书编号 姓名 公民身份号码 资格种类 任教学科 认定机构 认定日期
民办学校办学许可|private school operating licences|license|104003|
  |@lic 学校名称 统一社会信用代码 办学地址 举办者
校外培训机构|off-campus training institutions|directory|201002|open
  |机构名称 统一社会信用代码 办学许可证号 培训类别 办学地址 所属区县 监管状态
学校安全隐患排查|school safety hazard inspections|log|205001|
  |排查编号 学校名称 隐患类型 隐患描述 排查日期 整改期限 整改状态
学前教育资助|preschool education subsidies|registry|203002|imp
  |姓名 公民身份号码 就读学校 资助类型 资助金额 发放日期|sys=学生资助管理信息系统
教育事业发展|education development|stats|304001|open
[kjj]
高新技术企业|high-tech enterprises|directory|302005|open
  |统一社会信用代码 企业名称 证书编号 认定年度 技术领域 所属区县
科技型中小企业|technology-based SMEs|directory|302005|open
  |统一社会信用代码 企业名称 入库编号 入库年度 所属区县 研发人员数
科技计划项目|science and technology programme projects|plan|302005|
  |项目编号 项目名称 承担单位 项目类别 立项年度 资助经费 项目负责人
技术合同登记|technology contract registrations|registry|302005|
  |合同编号 合同名称 卖方名称 买方名称 合同类型 成交金额 登记日期 技术领域
科技企业孵化器|technology business incubators|directory|302005|open
  |载体名称 运营单位 载体级别 孵化面积 在孵企业数 所属区县
研究与试验发展经费投入|R&D expenditure|stats|302005|
外国人来华工作许可|work permits for foreigners|license|105001|
  |@lic 姓名 护照号码 国籍 工作单位 职位|sys=外国人来华工作管理服务系统
[gxj]
规模以上工业企业|industrial enterprises above designated size|directory|302006|
  |统一社会信用代码 企业名称 所属行业 所属区县 从业人员数 营业收入
工业经济运行|industrial economic performance|stats|302006|open
专精特新中小企业|specialised and innovative SMEs|directory|302006|open
  |统一社会信用代码 企业名称 认定年度 所属行业 所属区县
智能制造示范项目|smart manufacturing demonstration projects|plan|302006|open
  |项目名称 承担单位 统一社会信用代码 项目类别 总投资 入选年度
5G基站|5G base stations|facility|302006|
  |@fac 运营商 站址编码
工业企业能耗在线监测|online energy monitoring of industrial enterprises|meter|207003|
  |统一社会信用代码 企业名称 监测时间 电力消费量 天然气消费量 综合能耗
工业互联网平台|industrial internet platforms|directory|302006|open
  |平台名称 运营单位 统一社会信用代码 平台类型 连接设备数 入选年度
[gaj]
户籍人口|registered household population|registry|101001|core
  |@person 民族 户籍地址 户号 与户主关系
  |sys=人口信息管理系统;duty=全市户籍管理和居民身份证管理
居民身份证|resident identity cards|registry|105001|core,nd
  |@person 民族 签发机关 有效期起始日期 有效期截止日期 证件照片
  |sys=人口信息管理系统;duty=全市户籍管理和居民身份证管理
流动人口居住登记|floating population residence registration|registry|101002|
  |@person 联系电话 居住地址 居住事由 登记日期|sys=流动人口管理系统;law=《居住证暂行条例》
居住证|residence permits|registry|105001|
  |@person 居住证编号 居住地址 签发日期 有效期截止日期
  |sys=流动人口管理系统;law=《居住证暂行条例》
机动车登记|motor vehicle registration|registry|212002|
  |@veh 车辆品牌 车身颜色 车辆识别代号 机动车所有人 初次登记日期 机动车状态
  |sys=机动车驾驶人管理系统;law=《机动车登记规定》(公安部令第164号)
机动车驾驶人|licensed motor vehicle drivers|registry|212002|
  |姓名 公民身份号码 性别 准驾车型 初次领证日期 驾驶证有效期至 驾驶证状态 累积记分
  |sys=机动车驾驶人管理系统;law=《机动车驾驶证申领和使用规定》
道路交通违法|road traffic violations|case|212002|
  |机动车号牌号码 号牌种类 违法时间 违法地点 违法行为 罚款金额 违法记分 处理状态
  |sys=交通违法处理系统;law=《中华人民共和国道路交通安全法》
旅馆业特种行业许可|special trade licences for hotels|license|303001|
  |@lic 统一社会信用代码 企业名称 经营地址 客房数量
  |sys=治安管理信息系统;law=《旅馆业治安管理办法》
公章刻制备案|official seal engraving filings|registry|303001|
  |统一社会信用代码 单位名称 印章名称 印章编码 刻制单位 备案日期|sys=治安管理信息系统
养犬登记|dog registration|registry|303001|
  |犬只登记证号 姓名 联系电话 住址 犬只品种 免疫证号 登记日期|sys=治安管理信息系统
社会治安视频监控点位|public security video surveillance points|facility|211004|restricted,imp
  |@fac|sys=视频图像信息综合应用平台;law=《公共安全视频图像信息系统管理条例》
110接处警|110 police call handling|stats|211004|restricted
  ||law=《中华人民共和国人民警察法》
出入境证件|exit-entry documents|service|105001|
  |@person 证件类型 证件号码 签发日期 有效期截止日期
  |sys=出入境管理信息系统;law=《中华人民共和国出境入境管理法》
无犯罪记录证明|certificates of no criminal record|service|104002|restricted
  |@person 证明编号 开具日期 申请用途
  |sys=违法犯罪记录查询系统;law=《公安机关办理犯罪记录查询工作规定》
保安服务许可|security service licences|license|104003|
  |@lic 统一社会信用代码 企业名称 法定代表人 住所 注册资本|law=《保安服务管理条例》
剧毒化学品购买许可|highly toxic chemical purchase permits|license|205002|restricted
  |@lic 统一社会信用代码 企业名称 化学品名称 购买数量|law=《危险化学品安全管理条例》
[jiaojing]
交通信号灯|traffic signals|facility|212002|
  |@fac 信号控制方式 路口名称|sys=交通信号控制系统
道路交通流量监测|road traffic flow monitoring|monitor|212002|open
  |@site 路段名称 车道数 小时流量 平均车速 拥堵指数|sys=交通信号控制系统
道路交通事故|road traffic accidents|case|211004|
  |事故编号 事故发生时间 事故地点 事故形态 死亡人数 受伤人数 天气情况 事故责任认定
交通技术监控设备|traffic enforcement cameras|facility|212002|restricted
  |@fac 抓拍类型 所属路口
道路停车泊位|on-street parking spaces|facility|212002|open
  |泊位编号 路段名称 泊位数量 收费标准 所属区县 经度 纬度 管理单位
道路交通视频监控|road traffic video|realtime|212002|restricted
  |设备编号 路口名称 经度 纬度 视频流地址 采集时间|fmt=streaming_media;sys=视频图像信息综合应用平台
交通管制|traffic control measures|plan|212002|open
  |管制编号 管制路段 管制类型 开始时间 结束时间 绕行建议 发布单位
[mzj]
婚姻登记|marriage registration|registry|101004|imp
  |登记类型 男方姓名 男方公民身份号码 女方姓名 女方公民身份号码 登记日期 结婚证字号
  登记机关名称|sys=全国婚姻登记信息系统
最低生活保障|minimum living allowance|registry|203002|imp
  |@person 家庭人口数 保障人数 月保障金额 救助开始日期 所属街道|sys=社会救助信息系统
特困人员救助供养|support for persons in extreme poverty|registry|203002|imp
  |@person 供养方式 供养标准 救助开始日期 所属街道|sys=社会救助信息系统
临时救助|temporary assistance|registry|203002|
  |@person 救助事由 救助金额 救助日期|sys=社会救助信息系统
养老机构|elderly care institutions|directory|203004|open
  |机构名称 统一社会信用代码 机构性质 床位数 所属区县 地址 单位联系电话 星级等级
社会组织登记|social organisation registration|registry|102003|open
  |统一社会信用代码 社会组织名称 组织类型 法定代表人 登记机关 业务主管单位 成立日期 住所
  登记状态|sys=社会组织管理信息系统
遗体火化|cremations|registry|303002|imp
  |姓名 公民身份号码 性别 死亡日期 火化日期 殡仪馆名称|sys=殡葬管理信息系统
地名|place names|directory|103004|open
  |地名代码 标准地名 地名类别 所属区县 汉语拼音 命名日期 地名含义|sys=地名信息库
困难残疾人生活补贴和重度残疾人护理补贴|disability living and nursing subsidies|registry|203002|imp
  |@person 残疾类别 残疾等级 补贴类型 补贴金额 发放月份
高龄津贴|old-age allowances|registry|303002|
  |@person 年龄段 津贴标准 发放月份
城乡社区居民委员会|community residents' committees|directory|209002|open
  |组织名称 统一社会信用代码 所属街道 所属区县 办公地址 单位联系电话 户数
困境儿童保障|support for children in difficulty|registry|101006|imp,restricted
  |@person 保障类别 监护人姓名 所属街道 救助开始日期
[mzzj]
宗教活动场所|religious venues|directory|303005|
  |场所名称 宗教类别 统一社会信用代码 地址 所属区县 登记日期 负责人
宗教教职人员备案|religious clergy filings|registry|303005|imp,restricted
  |教职人员姓名 公民身份号码 宗教信仰 教职身份 场所名称 备案日期
少数民族人口|ethnic minority population|stats|303005|
民族团结进步示范单位|model units for ethnic unity|directory|303005|open,nd
  |单位名称 单位称号 命名年度 所属区县
[sfj]
律师事务所|law firms|directory|303003|open
  |执业许可证号 机构名称 统一社会信用代码 负责人 执业人数 地址 所属区县
执业律师|practising lawyers|registry|105003|
  |执业证号 姓名 性别 执业机构 执业类别 首次执业日期 执业状态|sys=律师管理系统
公证机构|notary offices|directory|303003|open,nd
  |执业许可证号 机构名称 负责人 执业人数 地址 单位联系电话
人民调解|people's mediation|case|211003|
  |案件编号 纠纷类型 受理日期 调解组织 调解结果 协议履行情况 所属街道
社区矫正对象|community corrections subjects|registry|303003|imp,restricted
  |@person 矫正类别 矫正期限 起始日期 执行地|sys=社区矫正信息管理系统
法律援助|legal aid|service|303003|
  |@person 案件类型 受理日期 援助方式 承办机构
司法鉴定机构|forensic appraisal institutions|directory|303003|open,nd
  |执业许可证号 机构名称 统一社会信用代码 负责人 业务范围 地址
行政规范性文件|administrative normative documents|directory|303003|open,nd
  |文件名称 文号 制定机关 发布日期 施行日期 备案审查结果 有效状态|fmt=self_describing
[czj]
财政预算|fiscal budgets|plan|301002|open
  |预算年度 预算单位 功能分类科目 经济分类科目 预算金额 资金性质
政府采购项目|government procurement projects|plan|307004|open
  |项目编号 项目名称 采购单位 采购方式 预算金额 中标供应商 中标金额 公告日期
  |sys=政府采购管理交易系统
财政收支|fiscal revenue and expenditure|stats|301002|open
政府债务|government debt|stats|301002|restricted,nd
非税收入票据|non-tax revenue receipts|registry|301002|
  |票据代码 票据号码 执收单位 收费项目 缴款人 金额 开票日期|sys=非税收入收缴管理系统
行政事业单位国有资产|state assets of government organs and institutions|registry|301004|
  |资产编号 资产名称 资产分类 使用单位 取得日期 账面价值 使用状态
惠民惠农财政补贴资金|benefit subsidies for residents and farmers|registry|203002|imp
  |@person 补贴项目 补贴金额 发放日期 银行账号|sys=惠民惠农补贴资金发放系统
政府采购供应商|government procurement suppliers|directory|307004|
  |供应商名称 统一社会信用代码 注册地址 法定代表人 入库日期|sys=政府采购管理交易系统
[rsj]
就业登记|employment registration|registry|203003|
  |@person 用工单位 统一社会信用代码 就业类型 就业日期
失业登记|unemployment registration|registry|203003|
  |@person 失业日期 失业原因 登记日期 就业困难人员类别
职业技能等级证书|vocational skill level certificates|license|105003|
  |证书编号 姓名 公民身份号码 职业名称 技能等级 发证日期 评价机构
劳动用工备案|labour contract filings|registry|304003|
  |统一社会信用代码 单位名称 姓名 公民身份号码 合同类型 合同起始日期 合同终止日期
劳动保障监察|labour inspection|penalty|203003|
  |案件编号 用人单位名称 统一社会信用代码 违法事实 处理结果 立案日期 结案日期
人力资源服务许可|human resources service licences|license|304003|open
  |@lic 机构名称 统一社会信用代码 服务范围 许可日期
专业技术职称|professional titles|registry|105003|
  |姓名 公民身份号码 工作单位 职称系列 职称等级 职称取得日期 评审机构
高校毕业生就业|college graduate employment|stats|203003|open
创业担保贷款|entrepreneurship guarantee loans|registry|203003|imp
  |@person 贷款金额 贷款银行 贴息金额 放款日期
劳动人事争议仲裁|labour dispute arbitration|case|211003|
  |案件编号 申请人 被申请人 争议类型 受理日期 裁决结果 结案日期
招聘岗位|job vacancies|plan|203003|open
  |岗位名称 招聘单位 统一社会信用代码 招聘人数 学历要求 薪资范围 工作地点 发布日期
  |sys=公共就业服务平台
[sbzx]
职工基本养老保险参保|employee basic pension insurance enrolment|registry|203001|imp
  |@person 单位名称 参保状态 参保日期 缴费基数 累计缴费月数
城乡居民基本养老保险参保|resident basic pension insurance enrolment|registry|203001|imp
  |@person 参保状态 参保日期 缴费档次 所属街道
失业保险参保|unemployment insurance enrolment|registry|203001|
  |@person 单位名称 参保状态 参保日期 缴费基数
工伤保险参保|work injury insurance enrolment|registry|203001|
  |@person 单位名称 参保状态 参保日期
养老保险待遇发放|pension benefit payments|registry|203001|imp
  |@person 待遇类型 发放金额 发放月份 银行账号
工伤认定|work injury determinations|service|203001|imp
  |@person 单位名称 受伤日期 受伤部位 认定结论|law=《工伤保险条例》
社会保险参保单位|insured employers|registry|203001|
  |统一社会信用代码 单位名称 单位类型 参保险种 参保职工人数 参保日期 所属区县
社会保障卡|social security cards|registry|105001|
  |姓名 公民身份号码 社会保障卡号 发卡日期 卡状态 发卡银行
社会保险基金收支|social insurance fund revenue and expenditure|stats|203001|
[zrzy]
基础地理信息|basic geographic information|spatial|103001|core,restricted
  |要素编码 要素名称 要素类型 几何数据 坐标系 比例尺 更新日期|fmt=database
数字正射影像|digital orthophotos|spatial|103005|imp
  |图幅号 影像分辨率 拍摄日期 坐标系 影像数据|fmt=image
国土空间规划|territorial spatial plans|plan|306003|open
  |规划名称 规划类型 规划范围 批准机关 批准文号 批准日期 规划期限
建设用地规划许可|land-use planning permits|license|208001|open
  |@lic 用地单位 项目名称 用地位置 用地面积 用地性质
建设工程规划许可|construction works planning permits|license|208001|open
  |@lic 建设单位 项目名称 建设地点 建设规模
国有建设用地供应|state-owned construction land supply|plan|103002|open
  |宗地编号 宗地位置 土地用途 出让面积 供地方式 成交价格 受让人 签订日期
土地利用现状|current land use|spatial|103002|
  |图斑编号 地类编码 地类名称 图斑面积 权属单位 所属区县
地质灾害隐患点|geological hazard points|facility|211002|
  |隐患点编号 隐患点名称 灾害类型 规模等级 威胁人数 所属区县 经度 纬度 监测责任人
标准地址|standard addresses|spatial|103004|
  |地址编码 标准地址 所属区县 所属街道 社区 门牌号 经度 纬度|sys=标准地址库
采矿权|mining rights|registry|103006|
  |采矿许可证号 矿山名称 采矿权人 开采矿种 矿区面积 有效期起始日期 有效期截止日期
测绘资质|surveying and mapping qualifications|license|105003|open,nd
  |@lic 单位名称 统一社会信用代码 资质等级 业务范围
[bdc]
不动产登记|real estate registration|registry|103002|imp
  |不动产单元号 不动产权证书号 权利人 权利人证件号码 坐落 权利类型 用途 建筑面积
  登记时间
不动产抵押登记|real estate mortgage registration|registry|104002|imp
  |不动产单元号 不动产登记证明号 抵押权人 抵押人 被担保债权数额 债务履行期限 登记时间
不动产查封登记|real estate seizure registration|registry|104002|restricted
  |不动产单元号 权利人 坐落 查封机关 查封文号 查封期限 登记时间
不动产权籍调查|real estate cadastral surveys|spatial|103002|
  |宗地代码 宗地面积 界址点坐标 权属性质 调查日期 所属区县
[sthjj]
空气质量监测|air quality monitoring|monitor|210001|open
  |@site PM2.5浓度 PM10浓度 二氧化硫浓度 二氧化氮浓度 臭氧浓度 一氧化碳浓度 空气质量指数
  首要污染物 空气质量级别|sys=环境空气质量监测网
地表水水质监测|surface water quality monitoring|monitor|210002|open
  |@site 水温 pH值 溶解氧 高锰酸盐指数 氨氮 总磷 水质类别|sys=水质自动监测系统
排污许可|pollutant discharge permits|license|210003|open
  |许可证编号 统一社会信用代码 单位名称 行业类别 生产经营场所地址 主要污染物类别
  排放方式 有效期至|sys=排污许可管理信息平台
重点排污单位|key pollutant-discharging entities|directory|210003|open
  |统一社会信用代码 单位名称 行业类别 所属区县 主要污染物类别 排放方式
污染源自动监控|automatic pollution source monitoring|monitor|210003|
  |@site 统一社会信用代码 单位名称 排放口编号 监测因子 排放浓度 排放标准限值 是否超标
  |sys=污染源自动监控系统
建设项目环境影响评价审批|EIA approvals|license|210003|open
  |项目名称 建设单位 建设地点 环评文件类型 审批文号 审批日期
环境行政处罚|environmental penalties|penalty|104003|
  |案件编号 行政相对人名称 统一社会信用代码 处罚事由 处罚依据 处罚结果 处罚决定日期
声环境质量监测|acoustic environment monitoring|monitor|210005|open
  |@site 功能区类别 昼间等效声级 夜间等效声级
危险废物经营许可|hazardous waste business licences|license|305001|
  |@lic 单位名称 统一社会信用代码 核准经营规模 废物类别
机动车排放检验|vehicle emission inspections|registry|305001|
  |检测报告编号 机动车号牌号码 车辆识别代号 检测机构 检测日期 检测方法 检测结果
生态环境信访投诉|environmental complaints|log|305001|
  |投诉编号 投诉人 投诉人联系电话 被投诉单位 投诉内容 登记日期 处理结果 办结日期
企业环境信用评价|corporate environmental credit ratings|registry|104001|open
  |统一社会信用代码 企业名称 评价年度 信用等级 评价日期
[zjj]
建筑工程施工许可|construction permits|license|208001|open
  |@lic 项目名称 建设单位 施工单位 建设地点 合同价格 建筑面积
商品房预售许可|commercial housing pre-sale permits|license|208003|open
  |预售许可证号 项目名称 企业名称 预售楼栋 预售面积 发证日期
新建商品房网签备案|new housing online contract filings|registry|208003|imp
  |合同备案号 项目名称 房屋坐落 建筑面积 合同总价 买受人 买受人证件号码 备案日期
  |sys=房屋交易管理系统
存量房交易网签|second-hand housing online contracts|registry|208003|imp
  |合同备案号 房屋坐落 建筑面积 合同总价 买受人 买受人证件号码 备案日期
  |sys=房屋交易管理系统
建筑业企业资质|construction enterprise qualifications|license|105002|open
  |@lic 企业名称 统一社会信用代码 资质类别
房地产开发企业|real estate developers|directory|208003|open
  |统一社会信用代码 企业名称 法定代表人 资质等级 注册地址 所属区县
物业服务企业|property management companies|directory|209003|open
  |统一社会信用代码 企业名称 物业项目数 注册地址 所属区县
公共租赁住房保障|public rental housing|registry|203005|imp
  |@person 家庭人口数 保障方式 房源地址 租金标准 配租日期|sys=住房保障管理信息系统
建筑工地扬尘在线监测|construction site dust monitoring|monitor|210001|
  |@site 项目名称 PM10浓度 PM2.5浓度 噪声等效声级 超标状态
老旧小区改造|old residential community renovation|plan|208001|open
  |小区名称 所属区县 所属街道 楼栋数 户数 改造内容 计划投资 改造年度 完工状态
住宅专项维修资金|residential maintenance funds|registry|306001|
  |房屋坐落 业主姓名 交存金额 交存日期 账户余额
燃气经营许可|gas business licences|license|207002|open
  |@lic 企业名称 统一社会信用代码 经营区域
[jtysj]
道路运输经营许可|road transport business licences|license|212003|open
  |@lic 经营者名称 统一社会信用代码 经营范围 住所
巡游出租汽车|cruising taxis|registry|306004|
  |机动车号牌号码 经营者名称 统一社会信用代码 车辆类型 燃料类型 营运证号 营运证有效期
网络预约出租汽车运输证|ride-hailing vehicle transport certificates|license|306004|
  |@lic 机动车号牌号码 车辆识别代号 经营者名称 车辆类型
出租汽车驾驶员从业资格|taxi driver qualifications|license|105003|
  |从业资格证号 姓名 公民身份号码 资格类别 发证日期 有效期至 服务单位
公路路网|highway network|spatial|212002|
  |路线编号 路线名称 技术等级 起点桩号 止点桩号 里程 路面类型 管养单位
公路桥梁|highway bridges|facility|208002|
  |@fac 路线编号 桥梁长度 技术状况等级
汽车客运站|bus terminals|directory|212001|open
  |站点名称 站场等级 地址 所属区县 经度 纬度 日发班次 单位联系电话
公共交通客运量|public transport ridership|stats|212001|open
危险货物道路运输车辆动态|dangerous goods vehicle tracking|realtime|205002|restricted
  |机动车号牌号码 运输企业 货物名称 电子运单号 定位时间 经度 纬度 速度
交通运输行政处罚|transport administrative penalties|penalty|104003|
  |案件编号 行政相对人名称 统一社会信用代码 处罚事由 处罚依据 处罚结果 处罚决定日期
城乡客运班线|urban-rural bus routes|directory|212001|open
  |线路名称 起点站 终点站 经营者名称 车辆数 发车频次
机动车驾驶员培训机构|driver training schools|directory|212003|open
  |机构名称 统一社会信用代码 地址 所属区县 单位联系电话 经营范围
机动车维修经营备案|vehicle repair business filings|registry|306004|
  |经营者名称 统一社会信用代码 维修类别 维修地址 备案日期
互联网租赁自行车|shared bicycles|realtime|212001|
  |车辆编号 运营企业 定位时间 经度 纬度 车辆状态 所属区县
互联网租赁自行车停放点|shared bicycle parking points|facility|212001|open
  |停放点编号 地址 所属区县 经度 纬度 容量 管理单位
[swj]
泉水水位监测|spring water level monitoring|monitor|210004|open
  |@site 泉水水位 地下水埋深 喷涌状态|sys=泉水监测系统;kw=泉水,趵突泉
名泉|famous springs|directory|210004|open
  |泉池编号 泉池名称 所属泉群 地址 经度 纬度 保护级别 出水形态|sys=名泉保护管理系统
地下水监测|groundwater monitoring|monitor|103003|open
  |@site 地下水水位 水温 电导率|sys=泉水监测系统
河湖水情|river and lake water conditions|monitor|211002|open
  |@site 水位 流量 警戒水位 超警戒幅度|sys=水雨情监测系统
雨量监测|rainfall monitoring|monitor|211002|open
  |@site 时段降水量 累计降水量|sys=水雨情监测系统
取水许可|water abstraction permits|license|305002|
  |@lic 取水权人 取水地点 取水量 水源类型 取水用途
河湖长|river and lake chiefs|directory|305002|open
  |河湖名称 河段 河长姓名 河长职务 所属区县 公示牌编号
城市排水管网|urban drainage network|facility|208002|
  |@fac 管径 管材 埋深 管段长度
城市易涝点|urban waterlogging points|facility|211002|open
  |@fac 积水深度 责任单位
生产建设项目水土保持方案审批|soil and water conservation plan approvals|license|305002|
  |方案名称 项目名称 建设单位 防治责任范围 审批文号 审批日期
水资源|water resources|stats|103003|open
节约用水|water conservation|stats|305002|
[nyncj]
农作物种植面积和产量|crop area and output|stats|308001|open
农产品质量安全检测|agricultural product quality testing|log|308003|open
  |抽样编号 被抽样单位 产品名称 抽样日期 检验项目 检验结果
家庭农场|family farms|directory|308002|open
  |农场名称 统一社会信用代码 经营者 所属区县 所属镇街 经营类型 经营面积 认定级别
农民专业合作社示范社|model farmers' cooperatives|directory|308002|open
  |合作社名称 统一社会信用代码 所属区县 成员数 认定级别 认定年度
农村土地承包经营权|rural land contract rights|registry|308002|imp
  |承包方代表 公民身份号码 发包方 地块编码 地块面积 承包期限 权证编号
  |sys=农村土地承包经营权信息应用平台
高标准农田建设|high-standard farmland construction|spatial|308001|
  |项目区名称 所属区县 建设年度 建设面积 地块范围
动物防疫条件合格证|animal epidemic prevention certificates|license|308003|
  |动物防疫条件合格证号 单位名称 统一社会信用代码 地址 发证日期
农药经营许可|pesticide business licences|license|308003|open
  |@lic 企业名称 统一社会信用代码 经营地址
农机购置补贴|farm machinery purchase subsidies|registry|308001|
  |姓名 公民身份号码 所属区县 机具品目 补贴金额 结算日期
畜禽规模养殖场|large livestock and poultry farms|directory|308001|
  |养殖场名称 统一社会信用代码 畜禽种类 存栏量 所属区县 地址
农村集体经济组织|rural collective economic organisations|directory|308002|
  |组织名称 组织代码 村名 所属镇街 所属区县 成员户数
美丽乡村示范村|model beautiful villages|directory|308002|open
  |村庄名称 所属镇街 所属区县 创建级别 创建年度
[shangwu]
外商投资企业|foreign-invested enterprises|directory|302004|
  |统一社会信用代码 企业名称 投资方国别 投资总额 成立日期 所属区县
对外贸易进出口|foreign trade|stats|302004|open
社会消费品零售总额|total retail sales of consumer goods|stats|302004|open
单用途商业预付卡备案|single-purpose prepaid card filings|registry|302004|
  |发卡企业 统一社会信用代码 备案日期 预收资金余额 经营地址
成品油零售经营|retail refined oil business|license|207003|
  |@lic 加油站名称 统一社会信用代码 地址 储油规模
生活必需品市场监测|daily necessities market monitoring|meter|206001|open
  |监测点名称 商品名称 规格等级 监测日期 零售价格 环比涨跌幅
再生资源回收经营者备案|recycling operator filings|registry|302004|
  |经营者名称 统一社会信用代码 回收品种 经营地址 备案日期
老字号|time-honoured brands|directory|213002|open
  |企业名称 统一社会信用代码 品牌名称 创立年份 认定级别 所属区县
商业网点|commercial outlets|directory|302004|open
  |网点名称 网点类型 地址 所属区县 经度 纬度 营业面积
[wlj]
A级旅游景区|A-grade tourist attractions|directory|213001|open
  |景区名称 景区等级 所属区县 地址 经度 纬度 开放时间 门票价格 最大承载量
旅行社|travel agencies|directory|213001|open
  |许可证编号 机构名称 统一社会信用代码 地址 所属区县 单位联系电话
星级饭店|star-rated hotels|directory|213001|open
  |企业名称 星级等级 地址 所属区县 客房数量 单位联系电话
景区客流监测|scenic area visitor flow monitoring|meter|213001|open
  |景区名称 统计时间 实时在园人数 当日累计入园人数 最大承载量 舒适度等级
  |cycle=realtime
公共图书馆和文化馆|public libraries and cultural centres|directory|201003|open
  |机构名称 机构类别 地址 所属区县 开放时间 藏书量
文物保护单位|cultural heritage sites|directory|213002|open
  |文保单位名称 保护级别 类别 年代 地址 所属区县 公布批次
非物质文化遗产代表性项目|intangible cultural heritage items|directory|213002|open
  |项目序号 项目名称 类别 认定级别 保护单位 所属区县 公布批次
营业性演出许可|commercial performance permits|license|304005|open
  |@lic 演出名称 演出场所 演出日期 举办者
互联网上网服务营业场所|internet access venues|directory|304005|
  |场所名称 统一社会信用代码 地址 所属区县 终端数 许可证编号
导游人员|tour guides|registry|105003|
  |导游证号 姓名 性别 语种 等级 执业状态
文化和旅游市场行政处罚|culture and tourism market penalties|penalty|104003|
  |案件编号 行政相对人名称 统一社会信用代码 处罚事由 处罚依据 处罚结果 处罚决定日期
旅游接待|tourist arrivals|stats|213001|open
[wjw]
医疗机构|medical institutions|directory|202001|open
  |登记号 机构名称 统一社会信用代码 机构类别 经营性质 床位数 地址 所属区县 经度 纬度
医疗机构执业许可|medical institution practising licences|license|202001|open
  |@lic 机构名称 统一社会信用代码 机构类别 执业范围 地址
医师执业注册|physician registration|registry|304002|
  |姓名 性别 执业证书编码 执业类别 执业范围 执业机构 注册日期|sys=医师电子化注册系统
护士执业注册|nurse registration|registry|304002|
  |姓名 性别 执业证书编码 执业机构 注册日期|sys=护士电子化注册系统
出生医学证明|medical birth certificates|registry|101003|imp
  |出生医学证明编号 新生儿姓名 性别 出生时间 出生地点 母亲姓名 母亲公民身份号码 父亲姓名
  父亲公民身份号码 接生机构|sys=妇幼健康信息系统
居民电子健康档案|resident electronic health records|registry|202003|core,nd
  |@person 血型 既往病史 过敏史 建档日期 签约家庭医生
家庭医生签约服务|family doctor contracts|registry|202003|
  |@person 签约团队 签约机构 签约日期 服务包类型
门诊和住院诊疗|outpatient and inpatient treatment|registry|202003|imp
  |就诊流水号 姓名 公民身份号码 就诊机构 就诊科室 就诊日期 诊断名称 医疗费用
死亡医学证明|medical death certificates|registry|101003|imp
  |证明编号 姓名 公民身份号码 死亡日期 死亡地点 根本死因 签发机构
医疗卫生资源|medical and health resources|stats|304002|open
托育机构|childcare institutions|directory|202004|open
  |机构名称 统一社会信用代码 机构性质 地址 所属区县 班级数 收费标准
职业健康检查机构|occupational health examination institutions|directory|202002|open,nd
  |机构名称 统一社会信用代码 地址 单位联系电话 执业范围
公共场所卫生许可|public place hygiene licences|license|202002|open
  |@lic 单位名称 统一社会信用代码 经营地址 经营项目
孕产妇保健|maternal health care|registry|202004|imp
  |@person 末次月经日期 预产期 建册机构 高危因素 分娩日期|sys=妇幼健康信息系统
[cdc]
预防接种|vaccinations|registry|202002|imp
  |姓名 公民身份号码 出生日期 疫苗名称 接种剂次 接种日期 接种单位 疫苗批号
  |sys=免疫规划信息系统
法定传染病报告|notifiable infectious disease reports|registry|202002|imp,restricted
  |报告卡编号 姓名 公民身份号码 性别 住址 疾病名称 发病日期 诊断日期 报告单位
预防接种门诊|vaccination clinics|directory|202002|open
  |机构名称 地址 所属区县 开放时间 单位联系电话
生活饮用水卫生监测|drinking water hygiene monitoring|monitor|202002|open
  |@site 水样类型 浑浊度 菌落总数 余氯 评价结果|cycle=monthly
病媒生物监测|disease vector monitoring|monitor|202002|
  |@site 监测类别 鼠密度 蚊密度 蝇密度|cycle=monthly
学生常见病和健康影响因素监测|student common disease monitoring|stats|202002|
慢性病及其危险因素监测|chronic disease surveillance|stats|202002|
[jijiu]
120急救调度|120 emergency dispatch|log|202003|imp
  |任务编号 呼救时间 现场地址 病情类型 派车时间 到达现场时间 送达医院
院前急救站点|pre-hospital emergency stations|directory|202003|open
  |站点名称 所属医院 地址 所属区县 经度 纬度 救护车数量
急救车辆实时位置|ambulance positions|realtime|202003|
  |车辆编号 机动车号牌号码 所属站点 定位时间 经度 纬度 车辆状态
院前急救|pre-hospital emergency care|stats|202003|
公共场所自动体外除颤器|public AEDs|facility|202003|open
  |@fac 设备型号 开放时间
[xuezhan]
献血者|blood donors|registry|202003|imp
  |姓名 公民身份号码 性别 血型 献血日期 献血量 献血类型 献血证号
献血点|blood donation sites|directory|202003|open
  |站点名称 地址 所属区县 经度 纬度 开放时间
血液库存|blood stocks|meter|202003|
  |统计时间 血型 血液品种 库存量 预警状态|cycle=daily
无偿献血|voluntary blood donation|stats|202003|open
[tyjrj]
退役军人|veterans|registry|303004|imp,restricted
  |@person 入伍日期 退役日期 退役类别 安置方式|sys=退役军人信息采集系统
优抚对象抚恤补助|pensions for entitled groups|registry|303004|imp
  |@person 优抚类别 抚恤标准 发放金额 发放月份
退役军人服务站|veterans service stations|directory|303004|open
  |服务站名称 所属街道 所属区县 地址 服务电话
烈士纪念设施|martyrs memorial facilities|directory|213002|open
  |设施名称 设施级别 地址 所属区县 纪念对象
退役军人就业创业|veteran employment and entrepreneurship|stats|303004|
[yjj]
危险化学品经营许可|hazardous chemicals business licences|license|205002|open
  |@lic 企业名称 统一社会信用代码 经营地址 经营方式 储存量
危险化学品重大危险源|major hazard sources|facility|205002|restricted,imp
  |@fac 统一社会信用代码 危险源等级 化学品名称 储存量|sys=危险化学品安全生产风险监测预警系统
安全生产许可|work safety licences|license|205001|open
  |@lic 企业名称 统一社会信用代码 经营范围
应急避难场所|emergency shelters|facility|211001|open
  |@fac 有效面积 容纳人数
应急物资储备库|emergency supplies depots|facility|211001|restricted
  |@fac 有效面积
应急救援队伍|emergency rescue teams|directory|211001|
  |队伍名称 队伍类型 所属单位 队伍人数 主要装备 地址 值班电话
安全生产行政处罚|work safety penalties|penalty|104003|
  |案件编号 行政相对人名称 统一社会信用代码 处罚事由 处罚依据 处罚结果 处罚决定日期
生产安全事故|production safety accidents|stats|205001|
自然灾害灾情|natural disaster impacts|log|211002|
  |灾害编号 灾害类型 发生时间 受灾区域 受灾人口 直接经济损失 报送单位
森林火情视频监测|forest fire video monitoring|monitor|211002|
  |@site 烟火识别 告警等级 经度 纬度
安全生产标准化达标企业|work safety standardised enterprises|directory|205001|open
  |企业名称 统一社会信用代码 所属行业 达标等级 所属区县
[xfzd]
消防安全重点单位|fire safety key units|directory|205004|
  |单位名称 统一社会信用代码 地址 所属区县 消防安全责任人
公众聚集场所投入使用营业前消防安全检查|pre-opening fire safety inspections|license|205004|open
  |@lic 场所名称 统一社会信用代码 地址 建筑面积
市政消火栓|municipal fire hydrants|facility|205004|
  |消火栓编号 消火栓类型 接口口径 地址 所属区县 经度 纬度 可用状态
火灾|fires|stats|205004|open
消防救援站|fire rescue stations|directory|205004|open
  |救援站名称 站级 地址 所属区县 车辆数
消防监督检查|fire safety inspections|penalty|205004|
  |检查对象名称 统一社会信用代码 检查类型 检查日期 检查结果 检查机关
火警接处警|fire call handling|log|211001|
  |警情编号 报警时间 警情类型 事故地点 出动车辆数 处置结果
[sjj]
审计项目计划|audit project plans|plan|301006|restricted
  |项目编号 项目名称 被审计单位 审计类型 计划开始日期 计划结束日期
审计发现问题整改|rectification of audit findings|case|301006|restricted
  |项目编号 被审计单位 问题类型 问题金额 整改要求 整改状态 整改完成日期
审计结果公告|audit result announcements|plan|301006|open,nd
  |公告标题 公告文号 被审计单位 审计发现问题 发布日期
[gzw]
市属国有企业|municipal state-owned enterprises|directory|301004|open,nd
  |企业名称 统一社会信用代码 企业级次 主营业务 注册资本 法定代表人
国有资产产权登记|state property rights registration|registry|301004|nd
  |企业名称 统一社会信用代码 产权登记类型 出资人 出资额 持股比例 登记日期
市属企业经济运行|performance of municipal SOEs|stats|301004|nd
国有资本投资项目|state capital investment projects|plan|301004|restricted
  |项目名称 企业名称 投资方向 投资额 开工日期 项目进度
[scjgj]
企业登记|enterprise registration|registry|102001|open
  |@ent 企业类型 登记机关 登记状态 核准日期|sys=企业登记注册系统
个体工商户登记|individual business registration|registry|102004|
  |统一社会信用代码 个体工商户名称 经营者姓名 经营者公民身份号码 组成形式 经营场所
  经营范围 成立日期 登记状态|sys=企业登记注册系统
农民专业合作社登记|farmers' cooperative registration|registry|102001|open
  |统一社会信用代码 合作社名称 法定代表人 成员出资总额 成立日期 住所 登记状态
  |sys=企业登记注册系统
企业年度报告|enterprise annual reports|registry|104001|
  |统一社会信用代码 企业名称 报告年度 从业人数 资产总额 营业总收入 纳税总额 报送日期
  |sys=国家企业信用信息公示系统（山东）
经营异常|abnormal business operations|directory|104001|open
  |统一社会信用代码 企业名称 列入原因 列入日期 作出决定机关 移出日期
严重违法失信|seriously illegal and dishonest enterprises|directory|104004|open
  |统一社会信用代码 企业名称 列入事由 列入日期 作出决定机关
食品经营许可|food business licences|license|204001|open
  |许可证编号 经营者名称 统一社会信用代码 法定代表人 经营场所 主体业态 经营项目
  发证日期 有效期至|sys=食品经营许可系统
食品生产许可|food production licences|license|204001|open
  |许可证编号 企业名称 统一社会信用代码 生产地址 食品类别 发证日期 有效期至
食品安全监督抽检|food safety sampling inspections|log|204003|open
  |抽样编号 被抽样单位 食品名称 规格型号 生产日期 抽样日期 检验项目 检验结果
药品经营许可|drug business licences|license|204002|open
  |@lic 企业名称 统一社会信用代码 经营方式 经营范围 仓库地址
医疗器械经营备案|medical device business filings|registry|204002|open
  |企业名称 统一社会信用代码 经营方式 经营范围 经营场所 备案日期
特种设备|special equipment|facility|205003|
  |设备注册代码 设备类别 设备品种 使用单位名称 设备地址 制造单位 下次检验日期 运行状态
  所属区县|sys=特种设备安全监察系统
电梯|elevators|facility|205003|open
  |设备注册代码 使用单位名称 设备地址 所属区县 制造单位 下次检验日期 运行状态
  |sys=电梯应急处置服务平台
强制检定计量器具|compulsory verification of measuring instruments|registry|302002|
  |器具名称 出厂编号 使用单位名称 检定结论 检定日期
工业产品生产许可|industrial product production licences|license|302002|open
  |@lic 企业名称 统一社会信用代码 产品名称 生产地址
专利|patents|stats|302003|open
地理标志产品|geographical indication products|directory|302003|open,nd
  |产品名称 产品类别 保护范围 公告号 所属区县
市场监管行政处罚|market regulation penalties|penalty|104003|
  |案件编号 行政相对人名称 统一社会信用代码 处罚事由 处罚依据 处罚结果 处罚决定日期
消费投诉举报|consumer complaints|log|211003|
  |投诉编号 投诉人 投诉人联系电话 被投诉单位 投诉内容 登记日期 处理结果 办结日期
  |sys=全国12315平台
双随机抽查|random inspections|log|302001|open
  |检查对象名称 统一社会信用代码 检查事项 检查日期 检查结果 检查机关
济南市地方标准|Jinan local standards|directory|302002|open,nd
  |标准编号 标准名称 起草单位 发布日期 实施日期 标准状态
[tyj]
公共体育设施|public sports facilities|facility|213003|open
  |@fac 场地面积 是否免费开放
全民健身路径|fitness trails|facility|213003|open
  |@fac 开放时间
体育赛事活动|sports events|plan|213003|open
  |赛事名称 赛事级别 举办地点 举办日期 主办单位
社会体育指导员|social sports instructors|registry|304005|
  |姓名 性别 指导员等级 指导项目 所属区县
高危险性体育项目经营许可|high-risk sports business licences|license|213003|open
  |@lic 经营者名称 统一社会信用代码 经营项目名称 经营场所
体育场馆|sports venues|directory|213003|open
  |场馆名称 场馆类型 地址 所属区县 经度 纬度 场地面积 是否免费开放
[tjj]
地区生产总值|gross regional product|stats|301003|open
常住人口|resident population|stats|101001|open
居民人均可支配收入|per capita disposable income|stats|301003|open
规模以上工业增加值|industrial value added|stats|301003|open
固定资产投资|fixed-asset investment|stats|301003|open
居民消费价格指数|consumer price index|stats|206001|open,nd
统计调查单位名录|statistical survey units|registry|301003|restricted
  |统一社会信用代码 单位名称 行业代码 单位规模 所属区县 登记注册类型 调查周期
  |sys=统计单位名录库
经济普查|economic census|stats|301003|
人口普查|population census|stats|101001|
农业普查|agricultural census|stats|308001|
服务业|service industry|stats|301003|open
住户收支调查|household income and expenditure survey|stats|301003|restricted
[ybj]
基本医疗保险参保|basic medical insurance enrolment|registry|203001|imp
  |@person 险种类型 参保状态 参保日期 单位名称
医保定点医药机构|designated medical insurance institutions|directory|204002|open
  |机构编码 机构名称 统一社会信用代码 机构类型 定点类别 地址 所属区县
医疗费用结算|medical expense settlement|registry|203001|imp
  |结算编号 姓名 公民身份号码 定点机构 结算日期 医疗总费用 统筹基金支付 个人自付
门诊慢特病待遇认定|chronic and special disease benefit qualification|service|203001|imp
  |@person 病种名称 认定日期 定点机构 待遇有效期
医保药品目录|medical insurance drug list|plan|204002|open,nd
  |药品编码 药品名称 剂型 医保类别 支付标准 限定支付范围
医保基金收支|medical insurance fund revenue and expenditure|stats|304004|
医保违法违规处理|handling of medical insurance violations|penalty|304004|
  |案件编号 机构名称 统一社会信用代码 违规类型 追回金额 处理结果 处理日期
医疗服务价格项目|medical service prices|directory|206002|open,nd
  |项目编码 项目名称 计价单位 价格 执行日期
[cgj]
城市道路照明设施|urban road lighting facilities|facility|208004|open
  |@fac 灯杆编号 光源类型 额定功率 所属控制柜 道路名称|sys=城市照明智能监控系统;kw=路灯
智慧路灯运行监测|smart streetlight telemetry|realtime|208004|
  |路灯编号 控制柜编号 采集时间 开关状态 亮度 电压 电流 功率 故障状态
  |sys=城市照明智能监控系统;kw=路灯,物联网
路灯控制柜|streetlight control cabinets|facility|208004|
  |@fac 回路数 控制方式|sys=城市照明智能监控系统;kw=路灯
环卫设施|sanitation facilities|facility|208004|open
  |@fac 设施规模
公共厕所|public toilets|facility|208004|open
  |@fac 开放时间 无障碍设施 蹲位数量
户外广告设施设置|outdoor advertising installations|license|306002|open
  |@lic 设置单位 设置地点 广告类型 广告规格 设置期限
城市管理问题|urban management problems|log|208004|open
  |问题编号 问题类别 问题描述 发生地址 经度 纬度 上报时间 处置部门 结案时间 案件状态
生活垃圾清运|household waste collection|meter|210005|
  |清运车辆编号 收运点名称 清运时间 清运量 处置场所
建筑垃圾处置核准|construction waste disposal approvals|license|306002|open
  |@lic 建设单位 项目名称 运输单位 消纳场所 核准量
城市管理行政处罚|urban management penalties|penalty|104003|
  |案件编号 行政相对人名称 统一社会信用代码 处罚事由 处罚依据 处罚结果 处罚决定日期
餐厨垃圾收运|kitchen waste collection|meter|210005|
  |清运车辆编号 收运点名称 清运时间 清运量 处置场所
城市道路|urban roads|facility|208002|open
  |道路编号 道路名称 道路等级 起点 终点 道路长度 道路宽度 养护单位 所属区县
集中供热面积|district heating area|stats|207002|open
[ylj]
城市公园|urban parks|directory|208005|open
  |公园名称 公园类型 所属区县 地址 经度 纬度 面积 开放时间
古树名木|ancient and famous trees|facility|208005|open
  |@fac 树种 树龄 保护级别 胸径
城市绿地|urban green space|spatial|208005|
  |绿地编号 绿地类型 绿地面积 所属区县 管理单位
林木采伐许可|tree felling permits|license|305003|
  |@lic 采伐地点 采伐树种 采伐株数 采伐方式
林业有害生物监测|forest pest monitoring|monitor|305003|
  |@site 有害生物种类 发生面积 危害程度|cycle=monthly
森林资源|forest resources|stats|103006|open
城市树木迁移砍伐审批|urban tree removal approvals|license|208005|
  |@lic 建设单位 项目名称 树种 株数
[xzsp]
政务服务事项|government service items|plan|201001|open
  |事项编码 事项名称 事项类型 实施主体 办理时限 收费标准 办理地点 设定依据
  |sys=政务服务事项管理系统
行政许可办理|administrative licensing cases|log|307001|
  |@cases
营业执照|business licences|license|105002|open
  |@ent 登记机关 核准日期 营业执照编号|sys=电子营业执照系统
电子证照|electronic licences|registry|105002|
  |证照编号 证照类型 持证主体 持证主体代码 颁发机构 颁发日期 有效期至 证照状态
  |sys=电子证照库
政务服务好差评|service evaluations|log|201001|
  |评价编号 事项名称 办件编号 评价渠道 评价等级 评价时间 整改状态
企业开办|business start-up|stats|307001|open
施工图审查|construction drawing reviews|license|306001|
  |项目名称 建设单位 审批文号 审批日期 资质等级
[zwfw]
政务服务大厅排队叫号|service hall queues|meter|201001|open
  |大厅名称 统计时间 当前排队人数 平均等待时长 办理窗口数|cycle=realtime
政务服务预约|service appointments|log|201001|
  |预约编号 姓名 联系电话 预约事项 预约时间 大厅名称 预约状态
帮办代办|assisted processing|log|201001|
  |办件编号 事项名称 申请人名称 代办人员 服务方式 受理日期 办结日期
政务服务大厅|government service halls|directory|201001|open
  |大厅名称 地址 所属区县 经度 纬度 开放时间 咨询电话 窗口数量
[bigdata]
政务数据资源目录|government data resource catalog|plan|307002|open
  |资源代码 资源名称 提供部门 共享类型 开放属性 更新日期|sys=政务数据资源目录系统
政务数据共享交换|government data exchange|log|307002|
  |交换任务编号 提供部门 使用部门 资源名称 交换方式 交换时间 交换数据量 交换状态
  |sys=政务数据共享交换平台
公共数据开放|public data opening|stats|307002|open
电子政务外网接入单位|e-government extranet connections|directory|307002|restricted,nd
  |接入单位 接入方式 接入日期
政务云资源使用|government cloud usage|meter|307002|
  |云资源编号 使用单位 资源类型 CPU核数 内存容量 存储容量 统计时间|sys=政务云管理平台
智慧泉城运营指标|Smart Quancheng operations indicators|meter|307002|open
  |指标编码 指标名称 所属领域 统计时间 指标值 计量单位 预警状态
  |sys=智慧泉城运营管理中心;kw=城市运行,一网统管
城市物联感知设备|urban IoT sensing devices|facility|307002|
  |设备编号 设备类型 接入协议 所属区县 地址 经度 纬度 管理单位 运行状态
  |sys=城市物联网感知平台;kw=物联网
政务数据质量校核|data quality checks|log|307002|
  |校核批次 资源名称 校核规则 问题记录数 校核时间 提供部门
人口综合|population consolidated|registry|101001|core,nd
  |@person 户籍地址 联系电话 婚姻状况 文化程度 数据来源部门|sys=人口综合库
机关事业单位|government organs and public institutions|directory|102002|open,nd
  |统一社会信用代码 单位名称 单位类型 所属区县 办公地址 单位联系电话|sys=法人综合库
法人综合|legal entity consolidated|registry|102001|nd
  |@ent 登记状态 数据来源部门|sys=法人综合库
[xfj]
信访事项|petition cases|log|211003|restricted,imp
  |信访件编号 信访人 信访人联系电话 信访形式 问题分类 信访内容 登记日期 办理单位 办理状态
信访事项办理满意度|petition satisfaction|stats|211003|
领导干部公开接访|leaders receiving petitioners|plan|211003|open
  |接访领导 接访日期 接访地点 接访领域
[rfb]
人防工程|civil air defence works|facility|306005|core,restricted
  |工程名称 工程类别 防护等级 建筑面积 平时用途 所属区县
人防警报器|air raid sirens|facility|306005|restricted
  |警报器编号 设置位置 覆盖半径 所属区县 运行状态
防空地下室易地建设费|relocation fees for air defence basements|registry|306005|
  |项目名称 建设单位 统一社会信用代码 缴费金额 缴费日期
人口疏散基地|evacuation bases|directory|306005|restricted,nd
  |基地名称 地址 可容纳人数 所属区县
防空地下室建设审批|air defence basement approvals|license|306005|
  |@lic 项目名称 建设单位 建筑面积
[jgsw]
公务用车|official vehicles|registry|307003|
  |机动车号牌号码 车辆类型 使用单位 车辆用途 购置日期 车辆状态|sys=公务用车管理平台
公共机构能源资源消耗|public institution energy use|meter|307003|
  |单位名称 统计月份 能源品种 消费量 人均能耗
党政机关办公用房|government office space|registry|307003|restricted
  |使用单位 房屋坐落位置 使用面积 取得日期
节约型机关|resource-saving agencies|directory|307003|open,nd
  |单位名称 创建年度 所属区县
[gjj]
住房公积金缴存|housing provident fund contributions|registry|203005|imp
  |@person 个人公积金账号 单位名称 缴存基数 月缴存额 账户余额 缴存状态
住房公积金提取|housing provident fund withdrawals|registry|203005|imp
  |姓名 公民身份号码 个人公积金账号 提取原因 提取金额 提取日期
住房公积金个人贷款|housing provident fund loans|registry|203005|imp
  |姓名 公民身份号码 贷款金额 贷款期限 贷款余额 房屋坐落 放款日期
住房公积金缴存单位|contributing employers|registry|203005|
  |统一社会信用代码 单位名称 缴存人数 开户日期 缴存状态
住房公积金运行|housing provident fund operations|stats|203005|open
[ggzy]
工程建设项目招标公告|construction tender notices|plan|307004|open
  |招标公告编号 项目名称 招标人 招标方式 投标截止时间 发布日期
工程建设项目中标结果|construction bid awards|plan|307004|open
  |项目编号 项目名称 招标人 中标人 中标价 公示日期
政府采购公告|government procurement notices|plan|307004|open
  |项目编号 项目名称 采购单位 采购方式 预算金额 公告日期
土地使用权出让交易|land-use right transactions|plan|307004|open
  |交易编号 宗地位置 土地用途 出让面积 交易方式 起始价 成交价格 成交日期
评标专家|bid evaluation experts|registry|307004|restricted
  |专家编号 姓名 公民身份号码 联系电话 工作单位 评标专业 职称 入库日期
公共资源交易主体|trading parties|registry|307004|open
  |统一社会信用代码 主体名称 主体类型 法定代表人 注册地址 入库日期
国有产权交易|state property rights transactions|plan|307004|open
  |交易编号 项目名称 交易方式 起始价 成交价格 成交日期
[qxj]
地面气象观测|surface weather observations|monitor|305004|open
  |@site 气温 相对湿度 降水量 风向 风速 气压 能见度|sys=气象观测数据库
天气预报|weather forecasts|plan|305004|open
  |预报发布时间 预报区域 预报时效 天气现象 最高气温 最低气温 风向 风力|cycle=daily
气象灾害预警信号|weather warning signals|log|211002|open
  |预警编号 预警类型 预警级别 发布时间 解除时间 发布单位 影响区域 防御指南
天气雷达产品|weather radar products|spatial|305004|open
  |雷达站 观测时间 产品类型 图像数据|fmt=image;cycle=realtime
气候|climate|stats|305004|open
防雷装置检测|lightning protection inspections|license|305004|
  |单位名称 统一社会信用代码 装置类型 检测单位 检测日期 检测结果
[tax]
纳税人登记|taxpayer registration|registry|301005|
  |纳税人识别号 纳税人名称 法定代表人 登记注册类型 主管税务机关 登记日期 纳税人状态
纳税信用A级纳税人|A-rated taxpayers|directory|104001|open
  |纳税人识别号 纳税人名称 评价年度|fmt=self_describing
税收收入|tax revenue|stats|301005|
欠税公告|tax arrears announcements|plan|104004|open
  |纳税人识别号 纳税人名称 法定代表人 欠税税种 欠税余额 公告日期
重大税收违法失信案件|major tax violation cases|penalty|104004|open
  |纳税人识别号 纳税人名称 法定代表人 案件性质 主要违法事实 处罚结果 公告日期
个人所得税纳税申报|individual income tax returns|registry|301005|imp,restricted
  |姓名 公民身份号码 扣缴义务人 所得项目 收入额 应纳税额 申报日期
社会保险费征缴|social insurance contributions collected|stats|203001|
[dag]
馆藏档案目录|archive holdings catalogue|plan|307005|nd
  |档号 题名 立档单位 形成年度 保管期限 开放状态
开放档案|open archives|plan|307005|open,nd
  |档号 题名 立档单位 形成年度 开放状态
婚姻登记档案|marriage registration archives|registry|101004|imp
  |男方姓名 男方公民身份号码 女方姓名 女方公民身份号码 登记类型 登记日期 档号
档案查阅利用|archive access|log|307005|
  |查档编号 查档人 证件号码 查档目的 查档日期 利用方式
[tzcj]
招商引资项目|investment attraction projects|plan|301001|
  |招商项目名称 所属产业 投资方 投资额 项目签约日期 落地状态 所属区县
投资促进活动|investment promotion events|plan|301001|open
  |活动名称 活动日期 活动地点 主办单位 参与企业数
招商载体|investment facilities|directory|301001|open
  |载体名称 载体类型 所属区县 可用面积 主导产业 单位联系电话
[bus]
公交线路|bus routes|plan|212001|open
  |线路编号 线路名称 线路类型 首班时间 末班时间 票价 起点站 终点站 线路长度 运营企业
公交站点|bus stops|facility|212001|open
  |站点编号 站点名称 经度 纬度 所属区县 站台类型 途经线路数 管理单位
公交车辆实时位置|bus real-time positions|realtime|310001|open
  |车辆编号 线路编号 定位时间 经度 纬度 速度 方向角 下一站点 满载率
公交运营车辆|bus fleet|registry|310001|
  |车辆编号 机动车号牌号码 车辆型号 燃料类型 核定载客人数 投运日期 所属线路 车辆状态
公交客流|bus ridership|meter|310001|open
  |线路编号 统计时间 刷卡人次 扫码人次 总客流量 满载率
公交卡交易|bus card transactions|log|310001|
  |交易流水号 卡号 交易时间 线路编号 车辆编号 交易金额 卡类型
公交场站|bus depots|facility|310001|
  |@fac 场站名称 泊位数量
公交优惠乘车卡|concession bus cards|registry|310001|imp
  |@person 卡号 优惠类型 办理日期时间
[metro]
轨道交通线路|rail transit lines|plan|212004|open,nd
  |线路编号 线路名称 起点站 终点站 线路长度 车站数量 开通日期 首班时间 末班时间
轨道交通车站|rail transit stations|facility|212004|open
  |车站编号 车站名称 所属线路 经度 纬度 所属区县 出入口数量 换乘线路
轨道交通客流|rail transit ridership|meter|310005|open
  |车站名称 统计时间 进站量 出站量 换乘量
轨道交通列车运行|train operations|realtime|310005|
  |列车编号 线路编号 当前车站 运行方向 定位时间 晚点时长
轨道交通建设项目|rail transit construction projects|plan|212004|open,nd
  |项目名称 线路名称 建设单位 总投资 开工日期 计划竣工日期 项目进度
轨道交通票务交易|rail ticket transactions|log|310005|
  |交易流水号 卡号 车票类型 进站车站 出站车站 交易时间 交易金额
[watergroup]
城市供水管网|water supply network|facility|310002|restricted
  |@fac 管径 管材 埋深 管段长度
供水水质|tap water quality|monitor|310002|open
  |@site 浑浊度 余氯 pH值 菌落总数 总大肠菌群 评价结果
供水用户|water customers|registry|310002|
  |用户编号 户名 用水地址 用水性质 水表编号 联系电话 开户日期|sys=供水营业收费系统
居民用水量|household water use|meter|310002|
  |用户编号 抄表月份 用水量 用水性质|sys=供水营业收费系统
计划停水通知|planned water outages|plan|310002|open
  |通知编号 停水区域 停水原因 开始时间 结束时间 影响户数 发布时间
水厂运行|water plant operations|meter|310002|
  |厂站名称 统计时间 供水量 出厂水压 浑浊度 余氯
污水处理厂运行|sewage plant operations|meter|310002|open
  |厂站名称 统计时间 处理水量 进水COD 出水COD 出水氨氮 达标状态
[heat]
供热小区|heated residential communities|directory|310004|open
  |小区名称 所属区县 地址 供热面积 供热方式 户数
换热站运行监测|heat exchange station monitoring|monitor|310004|
  |@site 换热站名称 一次供水温度 一次回水温度 二次供水温度 二次回水温度 瞬时流量 瞬时热量
室温监测|indoor temperature monitoring|monitor|310004|
  |@site 小区名称 室内温度|cycle=realtime
供热用户|heating customers|registry|310004|
  |用户编号 户名 地址 供热面积 联系电话 缴费状态
供热报修|heating repair requests|log|310004|
  |报修编号 报修人 联系电话 报修地址 报修时间 故障类型 处置状态 处置完成时间
[grid]
电力用户|electricity customers|registry|310003|
  |用电户号 户名 用电地址 用电类别 电压等级 合同容量 联系电话|sys=电力营销业务系统
全社会用电量|electricity consumption|meter|207001|open
  |统计区域 行业分类 统计月份 用电量 同比增长率|cycle=monthly
计划停电|planned power outages|plan|207001|open
  |停电区域 停电原因 停电线路 开始时间 结束时间 发布时间
电动汽车充电站|EV charging stations|facility|207001|open
  |充电站名称 地址 所属区县 经度 纬度 快充数量 慢充数量 收费标准说明 运营企业
变电站|substations|facility|207001|core,restricted
  |变电站名称 电压等级 主变容量 所属区县 运行状态
电网负荷|grid load|meter|207001|
  |统计时间 最大负荷 平均负荷 负荷率|cycle=realtime
企业用电|enterprise electricity use|meter|207003|
  |统一社会信用代码 用电户名 统计月份 用电量 电费金额
[gas]
燃气用户|gas customers|registry|310006|
  |用户编号 户名 用气地址 用气性质 燃气表编号 联系电话 开户日期
燃气管网|gas pipe network|facility|310006|restricted
  |@fac 管径 管材 压力级制
燃气泄漏监测|gas leak monitoring|monitor|207002|
  |@site 泄漏浓度 报警状态 地址 经度 纬度
燃气用量|gas consumption|meter|310006|
  |统计月份 用气性质 用气量 统计区域
燃气安全入户检查|household gas safety inspections|log|310006|
  |检查日期 用户编号 用气地址 检查人员 隐患内容 整改状态
[district]
政务服务事项办件|government service cases|log|309001|
  |@cases
网格员|grid workers|registry|209001|
  |网格员编号 姓名 联系电话 所属网格 所属社区 所属街道 上岗日期|sys=网格化服务管理平台
网格划分|grid divisions|spatial|209001|
  |网格编码 网格名称 所属社区 所属街道 网格面积 户数 网格边界|sys=网格化服务管理平台
网格事件|grid incidents|log|209001|
  |事件编号 事件类型 事件描述 发生地址 上报人 上报时间 处置状态 处置完成时间
  |sys=网格化服务管理平台
社区|communities|directory|209002|open
  |社区名称 社区代码 所属街道 办公地址 户数 人口数量 单位联系电话
街道办事处和镇人民政府|sub-district offices and town governments|directory|309003|open
  |街道名称 区划代码 办公地址 单位联系电话 辖区面积 社区数量
重点项目|key projects|plan|309002|open
  |项目名称 建设单位 建设地点 总投资 开工日期 计划竣工日期 项目进度
经济运行|economic performance|stats|309002|open
居家养老服务|home-based elderly care|registry|203004|imp
  |@person 服务类型 服务机构 服务日期
社区卫生服务机构|community health service institutions|directory|202001|open
  |机构名称 地址 所属街道 开放时间 单位联系电话
中小学学区划分|school catchment areas|plan|201002|open
  |学区名称 对口学校 划片范围 适用年度
安全生产隐患排查|work safety hazard inspections|log|205001|
  |排查编号 单位名称 隐患类型 隐患描述 排查日期 整改期限 整改状态
便民服务点|convenience service points|directory|201004|open
  |服务点名称 服务内容 地址 所属街道 开放时间
财政预决算|budgets and final accounts|plan|301002|open
  |预算年度 预算单位 功能分类科目 预算金额 资金性质
老旧小区|old residential communities|directory|208001|
  |小区名称 所属街道 楼栋数 户数 建成日期 改造年度
"""
