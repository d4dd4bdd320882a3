"""The demo city of Jinan: its departments, classification and ~3,000 catalog entries."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import asdict

import pytest
from stdnum.cn import uscc

from quancheng.catalog.model import SIZED_TYPES, EntryFields
from quancheng.demo.content import (
    DISTRICTS,
    DemoEntry,
    catalog_entries,
    classifications,
    departments,
)
from quancheng.identity.service import DepartmentFields

# The municipal providers DOMAIN.md §1 lists, by short name.
LISTED_PROVIDERS = (
    "市发展改革委",
    "市教育局",
    "市科技局",
    "市工业和信息化局",
    "市公安局",
    "市民政局",
    "市司法局",
    "市财政局",
    "市人力资源社会保障局",
    "市自然资源和规划局",
    "市生态环境局",
    "市住房城乡建设局",
    "市城乡交通运输局",
    "市水务局",
    "市农业农村局",
    "市商务局",
    "市文化和旅游局",
    "市卫生健康委",
    "市退役军人事务局",
    "市应急管理局",
    "市审计局",
    "市国资委",
    "市市场监管局",
    "市体育局",
    "市统计局",
    "市医保局",
    "市城市管理局",
    "市园林和林业绿化局",
    "市行政审批服务局",
    "市大数据局",
    "市信访局",
    "市人防办",
    "市机关事务服务中心",
    "市住房公积金中心",
    "市公共资源交易中心",
    "市气象局",
    "市税务局",
    "市消防救援支队",
    "市社会保险事业中心",
    "市不动产登记中心",
    "市疾控中心",
    "市急救中心",
    "公交集团",
    "轨道交通集团",
    "水务集团",
    "热力集团",
    "济南供电公司",
)
DATA_TYPES = set("CNYDTLMIFB")
SENSITIVITIES = {"public", "internal", "personal", "sensitive_personal"}


@pytest.fixture(scope="module")
def entries() -> list[DemoEntry]:
    """The default demo catalog, built once for the module."""
    return catalog_entries()


def test_the_city_has_sixty_plus_providers_including_every_listed_one() -> None:
    depts = departments()
    short_names = {d.short_name for d in depts}
    assert len(depts) >= 60
    assert [p for p in LISTED_PROVIDERS if p not in short_names] == []
    keys = {d.key: d for d in depts}
    for key in ("bigdata", "cgj", "sthjj", "gaj", "jtysj", "lixia"):
        assert key in keys
    assert keys["bigdata"].name == "济南市大数据局"
    assert keys["gaj"].name == "济南市公安局"


def test_all_twelve_districts_have_a_government() -> None:
    assert len(DISTRICTS) == 12
    governments = {d.short_name: d for d in departments() if d.kind == "district_government"}
    assert set(governments) == {name for name, _ in DISTRICTS}
    for name, code in DISTRICTS:
        gov = governments[name]
        assert gov.name == f"济南市{name}人民政府"
        assert gov.credit_code[2:8] == code


def test_credit_codes_are_valid_unique_and_match_the_kind() -> None:
    depts = departments()
    codes = [d.credit_code for d in depts]
    assert len(set(codes)) == len(codes)
    for dept in depts:
        assert uscc.validate(dept.credit_code) == dept.credit_code
        prefix = dept.credit_code[:2]
        assert prefix == "91" if dept.kind == "public_enterprise" else prefix in ("11", "12")
        if dept.kind == "city_department":
            assert dept.credit_code[2:8] == "370100"


def test_departments_pass_the_identity_validation_and_parents_exist() -> None:
    depts = departments()
    keys = [d.key for d in depts]
    assert len(set(keys)) == len(keys)
    assert len({d.name for d in depts}) == len(depts)
    placed: set[str] = set()
    for dept in depts:
        DepartmentFields(
            key=dept.key,
            name=dept.name,
            short_name=dept.short_name,
            credit_code=dept.credit_code,
            kind=dept.kind,
            name_en=dept.name_en,
            parent_key=dept.parent_key,
        )
        assert dept.parent_key is None or dept.parent_key in placed
        placed.add(dept.key)


def test_classification_tree_is_well_formed() -> None:
    tree = classifications()
    seen: set[str] = set()
    for node in tree:
        assert len(node.code) in (1, 3, 6) and node.code.isdigit()
        expected_parent = {1: None, 3: node.code[:1], 6: node.code[:3]}[len(node.code)]
        assert node.parent_code == expected_parent
        assert node.parent_code is None or node.parent_code in seen
        assert node.name and node.name_en
        seen.add(node.code)
    assert [n.code for n in tree if len(n.code) == 1] == ["1", "2", "3"]
    leaves = Counter(n.parent_code for n in tree if len(n.code) == 6)
    assert all(leaves[n.code] >= 2 for n in tree if len(n.code) == 3)


def test_entries_point_at_existing_departments_and_leaf_classifications(
    entries: list[DemoEntry],
) -> None:
    keys = {d.key for d in departments()}
    leaves = {c.code for c in classifications() if len(c.code) == 6}
    assert len(entries) == 3000
    assert {e.department_key for e in entries} == keys
    assert {e.classification_code for e in entries} == leaves


def test_sharing_reproduces_the_city_figures(entries: list[DemoEntry]) -> None:
    sharing = Counter(e.sharing_type for e in entries)
    opening = Counter(e.open_type for e in entries)
    assert sharing["unconditional"] + sharing["conditional"] >= 2300
    assert sharing["none"] > 0 and sharing["conditional"] > 0
    assert 0.28 <= opening["open"] / len(entries) <= 0.38
    assert 0 < opening["conditional"] / len(entries) < 0.1


def test_restricted_entries_state_their_conditions_and_legal_basis(
    entries: list[DemoEntry],
) -> None:
    for e in entries:
        if e.sharing_type in ("conditional", "none"):
            assert "《" in e.legal_basis, e.name
        if e.sharing_type == "conditional":
            assert e.sharing_conditions, e.name
        else:
            assert e.sharing_conditions == ""
        assert bool(e.open_conditions) == (e.open_type == "conditional")
        if e.sharing_type == "none":
            assert e.open_type == "closed"


def test_sensitive_personal_data_is_never_open_and_mostly_conditional(
    entries: list[DemoEntry],
) -> None:
    sensitive = [
        e for e in entries if any(i.sensitivity == "sensitive_personal" for i in e.data_items)
    ]
    assert sensitive
    assert all(e.open_type != "open" for e in sensitive)
    sharing = Counter(e.sharing_type for e in sensitive)
    assert sharing["conditional"] > sharing["none"]
    assert sharing["unconditional"] == 0


def test_every_entry_passes_the_catalog_validation(entries: list[DemoEntry]) -> None:
    for entry in entries:
        raw = asdict(entry)
        raw.pop("department_key")
        EntryFields.parse(raw)


def test_entries_have_realistic_metadata(entries: list[DemoEntry]) -> None:
    for e in entries:
        assert e.name.endswith(("信息", "数据", "名录", "记录")), e.name
        assert e.name_en and e.abstract_en and e.duty.startswith("负责") and e.source_system
        assert 1 <= e.abstract.count("。") <= 3
        assert 2 <= len(e.keywords) <= 5
        assert 4 <= len(e.data_items) <= 15
        assert len({i.name for i in e.data_items}) == len(e.data_items)
        for item in e.data_items:
            assert item.data_type in DATA_TYPES and item.sensitivity in SENSITIVITIES
            assert item.name_en and item.description
            if item.data_type in SIZED_TYPES:
                assert item.length, item.name
            if item.data_type in "DTLM":
                assert item.length is None, item.name


def test_data_items_follow_the_subject(entries: list[DemoEntry]) -> None:
    by_name = {e.name.removeprefix("济南市"): e for e in entries}

    def types(name: str) -> dict[str, str]:
        return {i.name: i.data_type for i in by_name[name].data_items}

    person = types("户籍人口信息")
    assert {"姓名", "公民身份号码", "性别", "出生日期", "住址"} <= set(person)
    enterprise = types("企业登记信息")
    assert enterprise["注册资本"] == "Y" and enterprise["成立日期"] == "D"
    assert enterprise["经营范围"] == "M" and "统一社会信用代码" in enterprise
    air = types("空气质量监测数据")
    assert air["监测时间"] == "T" and air["经度"] == "F" and air["PM2.5浓度"] == "F"


def test_flagship_open_data_is_open(entries: list[DemoEntry]) -> None:
    opened = {e.name.removeprefix("济南市") for e in entries if e.open_type == "open"}
    for name in (
        "空气质量监测数据",
        "泉水水位监测数据",
        "公交线路信息",
        "企业登记信息",
        "名泉名录",
    ):
        assert name in opened


def test_every_department_has_entries_big_ones_more(entries: list[DemoEntry]) -> None:
    per = Counter(e.department_key for e in entries)
    assert all(per[d.key] >= 1 for d in departments())
    assert per["gaj"] > per["lixia"] > per["xfj"]


def test_names_are_unique(entries: list[DemoEntry]) -> None:
    assert len({e.name for e in entries}) >= 0.95 * len(entries)


def test_the_catalog_is_deterministic_per_seed(entries: list[DemoEntry]) -> None:
    assert catalog_entries(seed=2024) == entries
    assert catalog_entries(seed=7) != entries


def test_smaller_catalogs_still_cover_every_department() -> None:
    small = catalog_entries(count=200)
    assert len(small) == 200
    assert {e.department_key for e in small} == {d.key for d in departments()}
    assert len(catalog_entries(count=10)) == 10


def test_building_the_catalog_is_fast() -> None:
    started = time.perf_counter()
    catalog_entries(seed=99)
    assert time.perf_counter() - started < 1.0
