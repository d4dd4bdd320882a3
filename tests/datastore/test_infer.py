"""Column type inference: typed only when every value proves it, codes stay text."""

from __future__ import annotations

import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from quancheng.datastore.infer import ColumnProfile, infer_columns, valid_dates
from quancheng.datastore.schema import Column, ColumnType


def profile(*batches: list[str | None]) -> ColumnProfile:
    p = ColumnProfile()
    for batch in batches:
        p.observe(pa.array(batch, pa.string()))
    return p


def infer(values: list[str | None], label: str = "数值", hint: str | None = None) -> Column:
    return infer_columns(["c"], [label], [profile(values)], [hint])[0]


@pytest.mark.parametrize(
    ("label", "values", "expected", "parse"),
    [
        ("常住人口", ["125300", "98000", None, "7"], ColumnType.INTEGER, ""),
        ("PM2.5", ["35.5", "12", "0.8", "-1.25"], ColumnType.DOUBLE, ""),
        (
            "发布日期",
            ["2024-01-05", "2024/1/5", "2024.1.5", "2024年1月5日"],
            ColumnType.DATE,
            "ymd",
        ),
        (
            "监测时间",
            ["2024-01-05 08:00", "2024/1/5 8:30:15", "2024-01-05T23:59:59.5"],
            ColumnType.TIMESTAMP,
            "ymd_hms",
        ),
        ("是否开放", ["是", "否", " 是 ", "TRUE", "false"], ColumnType.BOOLEAN, "bool"),
        ("备注", ["12", "abc", "2024-01-05"], ColumnType.TEXT, ""),
        ("空列", [None, None], ColumnType.TEXT, ""),
    ],
)
def test_typical_columns(
    label: str, values: list[str | None], expected: ColumnType, parse: str
) -> None:
    column = infer(values, label)
    assert (column.type, column.parse) == (expected, parse)
    assert column.label == label and column.item is None


def test_zero_and_one_are_integers_not_booleans() -> None:
    assert infer(["0", "1", "1"]).type is ColumnType.INTEGER


@pytest.mark.parametrize(
    "values",
    [
        ["000123", "000456"],  # leading zeros
        ["110101199003074514", "11010119900307451X"],  # ID numbers
        ["13812345678", "15912345678"],  # mobiles
        ["250000", "250100"],  # postcodes
        ["370102", "370103", "370104"],  # administrative codes
        ["91370100MA3C8K5Y1X"],  # credit code
        ["12345678901", "7"],  # 11 digits: no numeric type, not even double
        ["12345678901.5"],
        ["2024-02-30", "2024-01-05"],  # not a real date
        ["2023-02-29"],
        ["2024-01-05 24:00"],
        ["2024-01-05", "2024-01-05 08:00"],  # dates mixed with timestamps
    ],
)
def test_codes_and_impossible_values_stay_text(values: list[str | None]) -> None:
    assert infer(values).type is ColumnType.TEXT


@pytest.mark.parametrize(
    "label",
    [
        "联系电话",
        "行政区划代码",
        "单位编号",
        "邮政编码",
        "user_id",
        "ID",
        "postCode",
        "Mobile No",
        "银行卡号",
    ],
)
def test_labels_naming_codes_force_text(label: str) -> None:
    assert infer(["12", "34"], label).type is ColumnType.TEXT


def test_label_with_id_inside_a_word_is_not_a_code() -> None:
    assert infer(["12", "34"], "Identity count").type is ColumnType.INTEGER


def test_type_disproven_in_a_later_batch_falls_back() -> None:
    p = profile(["1", "2"], ["3.5"])
    assert p.result() == (ColumnType.DOUBLE, "")
    p.observe(pa.array(["n/a"], pa.string()))
    assert p.result() == (ColumnType.TEXT, "")
    dates = profile(["2024-01-05"], [None], ["2024-13-01"])
    assert dates.result() == (ColumnType.TEXT, "")
    flags = profile(["是"], ["3"])
    assert flags.result() == (ColumnType.TEXT, "")


def test_chunked_arrays_are_accepted() -> None:
    p = ColumnProfile()
    p.observe(pa.chunked_array([["1", "2"], ["3"]], pa.string()))
    assert p.result() == (ColumnType.INTEGER, "")


@pytest.mark.parametrize(
    ("hint", "values", "expected"),
    [
        ("C", ["1", "2"], ColumnType.TEXT),
        ("M", ["2024-01-05"], ColumnType.TEXT),
        ("I", ["1", "2"], ColumnType.INTEGER),
        ("I", ["1.5"], ColumnType.TEXT),  # never forces what the values do not support
        ("N", ["1.5"], ColumnType.DOUBLE),
        ("D", ["abc"], ColumnType.TEXT),
        ("D", ["2024-01-05"], ColumnType.DATE),
        ("L", ["0", "1"], ColumnType.TEXT),
        ("N", ["123456", "234567"], ColumnType.INTEGER),  # item says number: not a code
        (None, ["123456", "234567"], ColumnType.TEXT),
    ],
)
def test_catalog_hints_narrow_but_never_force(
    hint: str | None, values: list[str | None], expected: ColumnType
) -> None:
    assert infer(values, hint=hint).type is expected


def test_infer_columns_keeps_names_and_order() -> None:
    columns = infer_columns(["qx", "rk"], ["区县", "人口"], [profile(["历下区"]), profile(["10"])])
    assert [(c.name, c.label, c.type) for c in columns] == [
        ("qx", "区县", ColumnType.TEXT),
        ("rk", "人口", ColumnType.INTEGER),
    ]


def test_valid_dates_checks_the_calendar() -> None:
    values = pa.array(["2024-02-29", "2024-02-30", "2024年12月31日", None, "x"], pa.string())
    assert valid_dates(values).to_pylist() == [True, False, True, None, False]


def _no_same_length_codes(values: list[int]) -> bool:
    lengths = {len(str(abs(v))) for v in values}
    return not (len(lengths) == 1 and lengths.pop() >= 6)


@given(
    st.lists(st.integers(-(10**10) + 1, 10**10 - 1), min_size=1, max_size=50).filter(
        _no_same_length_codes
    ),
    st.integers(1, 4),
)
def test_plain_integers_infer_integer(values: list[int], batches: int) -> None:
    texts: list[str | None] = [str(v) for v in values]
    p = ColumnProfile()
    for i in range(batches):
        p.observe(pa.array(texts[i::batches], pa.string()))
    assert p.result() == (ColumnType.INTEGER, "")


@given(
    st.lists(st.integers(-1000, 1000).map(str), min_size=1, max_size=20),
    st.text(min_size=1).filter(lambda s: any(c.isalpha() and c not in "eE" for c in s)),
)
def test_one_text_value_makes_text(numbers: list[str], word: str) -> None:
    assert profile([*numbers[:5], word, *numbers[5:]]).result() == (ColumnType.TEXT, "")
