"""The quick chart's first grouping: a repeating text column, never an identifier."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from quancheng.datastore.schema import Column, ColumnType
from quancheng.opendata.quickchart import default_category, is_identifier

STATION_ID = Column("zhan_dian_bian_hao", "站点编号")
STATION = Column("jian_ce_zhan_dian", "监测站点")
DISTRICT = Column("suo_shu_qu_xian", "所属区县")
PM25 = Column("pm25", "PM2.5浓度", ColumnType.DOUBLE)
TIME = Column("jian_ce_shi_jian", "监测时间", ColumnType.TIMESTAMP)


def test_the_audit_case_groups_by_district_not_by_the_station_id() -> None:
    """Regression: the quick chart grouped by 站点编号 first, a wall of bars of height 1."""
    columns = [STATION_ID, STATION, DISTRICT, PM25]
    rows = [
        ["S001", "泉城广场", "历下区", 35.5],
        ["S002", "省种子仓库", "历下区", 41.0],
        ["S003", "奥体中心", "历下区", 28.0],
        ["S004", "市监测站", "市中区", 30.0],
        ["S005", "长清党校", "长清区", 22.0],
    ]
    assert default_category(columns, rows) == "suo_shu_qu_xian"


def test_identifiers_by_name_and_columns_whose_values_are_all_distinct_are_never_chosen() -> None:
    assert is_identifier(STATION_ID)
    assert is_identifier(Column("org_code", "统一社会信用代码"))
    assert is_identifier(Column("user_id", "用户"))
    assert not is_identifier(DISTRICT)
    assert not is_identifier(Column("video", "视频"))  # ends in "o", not in "no"
    # Repeating values under an identifier's name are still an identifier.
    assert default_category([STATION_ID], [["S1"], ["S1"], ["S2"]]) is None
    assert default_category([STATION], [["甲"], ["乙"], ["丙"]]) is None
    assert default_category([STATION], [["甲"], ["甲"]]) is None  # one bar says nothing
    assert default_category([PM25, TIME], [[1.0, "t"], [1.0, "t"], [2.0, "u"]]) is None
    assert default_category([DISTRICT], []) is None


@given(
    st.lists(
        st.tuples(st.sampled_from(["历下区", "市中区", None]), st.text(max_size=3)),
        max_size=30,
    )
)
def test_the_choice_repeats_in_the_sample_and_is_text(rows: list[tuple[str | None, str]]) -> None:
    columns = [DISTRICT, Column("bei_zhu", "备注")]
    chosen = default_category(columns, rows)
    if chosen is None:
        return
    index = [c.name for c in columns].index(chosen)
    values = [r[index] for r in rows if r[index] is not None]
    assert 2 <= len(set(values)) < len(values)
