"""Row validation against data items, and the error report departments open in Excel."""

from __future__ import annotations

import csv
import re
import tempfile
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from quancheng.datastore import checks, validate
from quancheng.datastore.policy import ItemInfo
from quancheng.datastore.schema import Column
from quancheng.datastore.validate import (
    RowError,
    RowValidator,
    link_items,
    read_error_report,
    reason_zh,
    write_error_report,
)
from quancheng.errors import BadRequest

GOOD_ID = "110101199003074514"
BAD_CHECK_ID = "110101199003074515"
GOOD_CREDIT = "91370100MA3C8K5Y14"
GOOD_CARD = "6222021234567890128"

ITEMS = [
    ItemInfo("姓名", "C", "personal"),
    ItemInfo("身份证号", "C", "sensitive_personal"),
    ItemInfo("手机号码", "C", "personal"),
    ItemInfo("联系电话", "C", "personal"),
    ItemInfo("登记日期", "D", "public"),
    ItemInfo("人数", "I", "public"),
    ItemInfo("金额", "N", "public"),
    ItemInfo("是否有效", "L", "public"),
    ItemInfo("更新时间", "T", "public"),
    ItemInfo("统一社会信用代码", "C", "public"),
    ItemInfo("邮政编码", "C", "public"),
    ItemInfo("银行卡号", "C", "personal"),
]
COLUMNS = [Column(f"c{i}", item.name, item=item.name) for i, item in enumerate(ITEMS)]
CLEAN_ROW: dict[str, str | None] = {
    "姓名": "张三",
    "身份证号": GOOD_ID,
    "手机号码": "13812345678",
    "联系电话": "0531-12345678",
    "登记日期": "2024年1月5日",
    "人数": "12",
    "金额": "3.50",
    "是否有效": "是",
    "更新时间": "2024/1/5 8:30",
    "统一社会信用代码": GOOD_CREDIT,
    "邮政编码": "250000",
    "银行卡号": GOOD_CARD,
}


def batch(rows: list[dict[str, str | None]]) -> pa.RecordBatch:
    return pa.RecordBatch.from_pydict(
        {c.name: pa.array([r.get(c.label) for r in rows], pa.string()) for c in COLUMNS}
    )


def validator(required: tuple[str, ...] = ("姓名",)) -> RowValidator:
    return RowValidator(COLUMNS, ITEMS, required=required)


def test_clean_batch_has_no_errors() -> None:
    rows: list[dict[str, str | None]] = [dict(CLEAN_ROW) for _ in range(3)]
    rows[1]["联系电话"] = "13912345678"  # a mobile is a contact phone too
    rows[2]["金额"] = None  # optional items may be empty
    result = validator().check(batch(rows), first_row=1)
    assert result.errors == []
    assert result.valid_mask.to_pylist() == [True, True, True]


@pytest.mark.parametrize(
    ("label", "value", "reason"),
    [
        ("身份证号", BAD_CHECK_ID, "not a valid ID number (check character)"),
        ("身份证号", "11010119901307451X", "not a valid ID number (check character)"),
        ("身份证号", "12345", "not a valid ID number (length)"),
        ("手机号码", "0531-12345678", "not a valid mobile number"),
        ("手机号码", "12812345678", "not a valid mobile number"),
        ("联系电话", "12345678901", "not a valid mobile number"),
        ("登记日期", "2024-02-30", "not a date"),
        ("登记日期", "明天", "not a date"),
        ("人数", "十二", "not an integer"),
        ("金额", "3,5", "not a number"),
        ("是否有效", "maybe", "not a yes/no value"),
        ("更新时间", "2024-01-05 25:00", "not a date and time"),
        (
            "统一社会信用代码",
            "91370100MA3C8K5Y15",
            "not a valid unified social credit code (check character)",
        ),
        ("邮政编码", "25000", "not a valid postcode"),
        ("银行卡号", "6222021234567890123", "not a valid bank card number"),
        ("姓名", None, "required value missing"),
        ("姓名", "   ", "required value missing"),
    ],
)
def test_bad_value_is_reported_on_its_row(label: str, value: str | None, reason: str) -> None:
    bad = dict(CLEAN_ROW)
    bad[label] = value
    result = validator().check(batch([dict(CLEAN_ROW), bad, dict(CLEAN_ROW)]), first_row=101)
    assert result.errors == [RowError(row=102, column=label, value=value, reason=reason)]
    assert result.valid_mask.to_pylist() == [True, False, True]


def test_one_error_per_cell_and_rows_in_order() -> None:
    bad = dict(CLEAN_ROW, 人数="x", 登记日期="x")
    result = validator().check(batch([bad, dict(CLEAN_ROW), bad]), first_row=1)
    assert [(e.row, e.column) for e in result.errors] == [
        (1, "登记日期"),
        (1, "人数"),
        (3, "登记日期"),
        (3, "人数"),
    ]


def test_a_character_item_holds_at_most_its_length_once_trimmed() -> None:
    # Regression: an item's length (所属区县 C 4) was never checked.
    items = [ItemInfo("所属区县", "C", "public", 4), ItemInfo("人数", "I", "public", 4)]
    columns = [Column("ssqx", "所属区县", item="所属区县"), Column("rs", "人数", item="人数")]
    districts = ["历下区", " 市中区\u3000", "济南市历下区", None, "高新技术产业开发区"]
    counts = ["1", "123456", "2", "3", "4"]
    result = RowValidator(columns, items).check(
        pa.RecordBatch.from_arrays(
            [pa.array(districts, pa.string()), pa.array(counts, pa.string())],
            names=["ssqx", "rs"],
        ),
        first_row=1,
    )
    assert [(e.row, e.column, e.reason) for e in result.errors] == [
        (3, "所属区县", "longer than 4 characters"),
        (5, "所属区县", "longer than 4 characters"),
    ]


def test_passport_in_document_number_column_is_accepted() -> None:
    items = [ItemInfo("证件号码", "C", "personal")]
    columns = [Column("zjhm", "证件号码", item="证件号码")]
    values = pa.array(["E12345678", GOOD_ID, BAD_CHECK_ID], pa.string())
    result = RowValidator(columns, items).check(
        pa.RecordBatch.from_arrays([values], names=["zjhm"]), first_row=1
    )
    assert [e.row for e in result.errors] == [3]


def test_required_item_without_a_column_is_refused() -> None:
    with pytest.raises(BadRequest) as caught:
        RowValidator(COLUMNS[:2], ITEMS, required=["人数"])
    assert caught.value.code == "required_column_missing"


def test_unlinked_columns_are_not_checked() -> None:
    columns = [Column("rq", "日期")]
    result = RowValidator(columns, ITEMS).check(
        pa.RecordBatch.from_arrays([pa.array(["not a date"])], names=["rq"]), first_row=1
    )
    assert result.errors == []


def test_link_items_exact_then_normalised_then_identifier() -> None:
    items = [
        ItemInfo("所属区县", "C", "public"),
        ItemInfo("PM2.5浓度", "N", "public"),
        ItemInfo("Station Name", "C", "public"),
        ItemInfo("人口", "I", "public"),
    ]
    columns = [
        Column("qx", "所属区县"),
        Column("pm", "pm2.5 浓度"),
        Column("station_name", "站点"),
        Column("rk", "人口"),
        Column("rk2", "人口"),  # each item links once
        Column("bz", "备注"),
    ]
    linked = link_items(columns, items)
    assert [c.item for c in linked] == [
        "所属区县",
        "PM2.5浓度",
        "Station Name",
        "人口",
        None,
        None,
    ]
    assert [c.name for c in linked] == [c.name for c in columns]


def test_report_is_csv_excel_can_open(tmp_path: Path) -> None:
    errors = [
        RowError(2, "身份证号", BAD_CHECK_ID, "not a valid ID number (check character)"),
        RowError(3, "姓名", None, "required value missing"),
        RowError(4, "备注", '=HYPERLINK("x")', "not a date"),
        RowError(5, "金额", "-3.5", "not an integer"),
    ]
    path = tmp_path / "errors.csv"
    write_error_report(errors, path)
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    with path.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["行号 row", "列 column", "值 value", "原因", "reason"]
    assert rows[1] == [
        "2",
        "身份证号",
        BAD_CHECK_ID,
        "不是有效的居民身份证号（校验码不符）",
        "not a valid ID number (check character)",
    ]
    assert rows[2] == ["3", "姓名", "", "必填项为空", "required value missing"]
    assert rows[3][2] == '\'=HYPERLINK("x")'  # never evaluated as a formula
    assert rows[4][2] == "-3.5"


@given(
    st.lists(
        st.builds(
            RowError,
            st.integers(1, 10**9),
            st.text(min_size=1).filter(lambda t: "\r" not in t),
            st.one_of(st.none(), st.text(min_size=1).filter(lambda t: "\r" not in t)),
            st.sampled_from(["not a number", "longer than 5 characters", "required value missing"]),
        ),
        max_size=8,
    ),
    st.integers(0, 10),
)
def test_a_report_reads_back_as_the_errors_written(errors: list[RowError], limit: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "errors.csv"
        write_error_report(errors, path)
        assert read_error_report(path, limit=limit) == errors[:limit]


def test_every_reason_a_check_can_give_reads_in_chinese() -> None:
    reasons = {r.reason("x") for r in validate._TYPE_RULES.values()}
    for rule in (validate._MOBILE, validate._CONTACT_PHONE, validate._CREDIT_CODE):
        reasons.add(rule.reason("x"))
    reasons |= {validate._POSTCODE.reason("x"), validate._BANK_CARD.reason("x")}
    reasons |= {validate._id_reason(v) for v in ("1", "x" * 18, BAD_CHECK_ID, GOOD_ID[:-1])}
    reasons |= {"required value missing", validate._max_length_rule(20).reason("x")}
    untranslated = {r for r in reasons if not re.search(r"[\u4e00-\u9fff]", reason_zh(r))}
    assert untranslated == set()


@given(st.lists(st.text(alphabet="0123456789X ", min_size=16, max_size=19), max_size=30))
def test_id_check_agrees_with_checks_module(values: list[str]) -> None:
    items = [ItemInfo("公民身份号码", "C", "personal")]
    columns = [Column("sfz", "公民身份号码", item="公民身份号码")]
    result = RowValidator(columns, items).check(
        pa.RecordBatch.from_arrays([pa.array(values, pa.string())], names=["sfz"]), first_row=1
    )
    expected = [not v.strip() or checks.is_id_number(v.strip()) for v in values]
    assert result.valid_mask.to_pylist() == expected


def test_empty_cells_of_optional_items_are_not_errors() -> None:
    # Regression: an empty yes/no cell was reported as "not a yes/no value" (is_in answers
    # False for null), which rejected the demo's museum list.
    empty = {label: None for label in CLEAN_ROW} | {"姓名": "张三"}

    result = validator().check(batch([empty, CLEAN_ROW]), 1)

    assert result.errors == []
    assert result.valid_mask.to_pylist() == [True, True]


def test_a_document_number_may_be_an_organisations_credit_code() -> None:
    # Regression: 权利人证件号码 of a company (its credit code) was refused as a bad ID.
    items = [ItemInfo("权利人证件号码", "C", "personal")]
    columns = [Column("c0", "权利人证件号码", item="权利人证件号码")]
    broken = GOOD_CREDIT[:-1] + ("0" if GOOD_CREDIT[-1] != "0" else "1")
    values = pa.array([GOOD_CREDIT, GOOD_ID, broken], pa.string())

    result = RowValidator(columns, items).check(pa.RecordBatch.from_arrays([values], ["c0"]), 1)

    assert [e.row for e in result.errors] == [3]
