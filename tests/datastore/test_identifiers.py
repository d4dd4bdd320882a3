"""SQL identifiers made from department headers."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from quancheng.datastore.identifiers import RESERVED_WORDS, make_identifiers

IDENTIFIER = re.compile(r"^[a-z\u3400-\u9fff][a-z0-9_\u3400-\u9fff]*$")


def test_chinese_and_english_headers_become_readable_identifiers() -> None:
    assert make_identifiers(["所属区县", "联系电话(手机)", "Station Name", "ＡＢＣ　１２"]) == [
        "所属区县",
        "联系电话_手机",
        "station_name",
        "abc_12",
    ]


def test_empty_and_symbol_only_headers_get_their_position() -> None:
    assert make_identifiers(["名称", "", "  ", "---"]) == [
        "名称",
        "column_2",
        "column_3",
        "column_4",
    ]


def test_leading_digit_and_underscore_are_made_safe() -> None:
    assert make_identifiers(["2024年人口", "_rowid", "__x__"]) == ["c_2024年人口", "rowid", "x"]


def test_reserved_words_get_a_trailing_underscore() -> None:
    assert make_identifiers(["Select", "date", "日期", "ORDER BY"]) == [
        "select_",
        "date_",
        "日期",
        "order_by",
    ]


def test_duplicates_are_numbered_and_real_names_keep_theirs() -> None:
    assert make_identifiers(["名称", "名称", "名称 ", "a", "a", "a_2"]) == [
        "名称",
        "名称_2",
        "名称_3",
        "a",
        "a_3",
        "a_2",
    ]


def test_long_chinese_header_is_cut_on_a_character_boundary() -> None:
    names = make_identifiers(["某某市某某区某某街道办事处社区卫生服务中心门诊部联系人电话号码"] * 2)
    assert all(len(n.encode()) <= 63 for n in names)
    assert names[0] == "某某市某某区某某街道办事处社区卫生服务中心"  # 21 characters, 63 bytes
    assert names[1].endswith("_2") and names[1] != names[0]


def test_same_headers_always_give_the_same_names() -> None:
    labels = ["站点", "站点", "Station-ID", ""]
    assert make_identifiers(labels) == make_identifiers(list(labels))


@given(st.lists(st.text(max_size=80), max_size=30))
def test_identifiers_are_unique_safe_and_short(labels: list[str]) -> None:
    names = make_identifiers(labels)
    assert len(names) == len(labels)
    assert len(set(names)) == len(names)
    for name in names:
        assert len(name.encode("utf-8")) <= 63
        assert IDENTIFIER.match(name), name
        assert name not in RESERVED_WORDS


@given(st.lists(st.sampled_from(["a", "a_2", "select", "名称", "", "1", "c_1"]), max_size=40))
def test_colliding_headers_stay_unique(labels: list[str]) -> None:
    names = make_identifiers(labels)
    assert len(set(names)) == len(names)
