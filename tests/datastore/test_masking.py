"""Masking rules: what a reader of masked data can and cannot learn."""

from __future__ import annotations

import re
from datetime import date

import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from quancheng.datastore.checks import is_id_number
from quancheng.datastore.masking import (
    FULL_MASK,
    MaskRule,
    age_band,
    district_of,
    mask_address,
    mask_bank_card,
    mask_batch,
    mask_email,
    mask_id_number,
    mask_mobile,
    mask_name,
    mask_phone,
    mask_value,
    pseudonymize,
    rule_for_item,
)
from quancheng.errors import ConfigurationError

KEY = b"test-masking-key"
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def with_check_char(first17: str) -> str:
    """A valid 居民身份证号 from its first 17 digits (ISO 7064 MOD 11-2, DOMAIN.md §5)."""
    total = sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True))
    return first17 + "10X98765432"[total % 11]


id_numbers = st.from_regex(r"[0-9]{17}", fullmatch=True).map(with_check_char)


def test_id_number_keeps_region_and_tail_only() -> None:
    value = with_check_char("37010219900101123")
    assert is_id_number(value)
    assert mask_id_number(value) == "370102********" + value[-4:]
    assert mask_id_number("370102900101123") == "370102******123"


@given(id_numbers)
def test_masked_id_numbers_never_show_the_birth_date(value: str) -> None:
    masked = mask_id_number(value)
    assert masked[:6] == value[:6]
    assert masked[-4:] == value[-4:]
    assert masked[6:14] == "*" * 8
    assert value[6:14] not in masked


@pytest.mark.parametrize(
    ("rule", "value"),
    [
        (MaskRule.ID_NUMBER, "13812345678"),
        (MaskRule.ID_NUMBER, "3701021990010112"),
        (MaskRule.MOBILE, "0531-88881234"),
        (MaskRule.MOBILE, "2381234567"),
        (MaskRule.PHONE, "12345"),
        (MaskRule.BANK_CARD, "6222-abc"),
        (MaskRule.EMAIL, "zhang.san at example.com"),
        (MaskRule.NAME, "张3"),
        (MaskRule.ADDRESS, "泉城路188号"),
        (MaskRule.AGE_BAND, "about thirty"),
        (MaskRule.AGE_BAND, "1990-02-30"),
        (MaskRule.DISTRICT, "泉城路188号"),
        (MaskRule.REDACT, "anything at all"),
    ],
)
def test_values_of_the_wrong_shape_are_fully_masked(rule: MaskRule, value: str) -> None:
    assert mask_value(rule, value, key=KEY) == FULL_MASK


@pytest.mark.parametrize("rule", [r for r in MaskRule if r is not MaskRule.NONE])
def test_empty_stays_empty(rule: MaskRule) -> None:
    assert mask_value(rule, "", key=KEY) == ""


def test_mobile_numbers() -> None:
    assert mask_mobile("13812341234") == "138****1234"
    assert mask_mobile("+86 138 1234 5678") == "+86 138****5678"
    assert mask_mobile("+8613812345678") == "+86138****5678"


def test_phone_numbers_keep_area_code_and_last_two_digits() -> None:
    assert mask_phone("0531-88881234") == "0531-******34"
    assert mask_phone("(0531)88881234") == "(0531)******34"
    assert mask_phone("010 6512 3456") == "010 ******56"
    assert mask_phone("88881234") == "******34"
    assert mask_phone("0531-88881234-801") == "0531-******34-**"
    # 联系电话 columns often hold mobiles.
    assert mask_phone("13812341234") == "138****1234"


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("张三", "张*"),
        ("张三丰", "张**"),
        ("欧阳娜娜", "欧阳**"),
        ("司马光", "司马*"),
        ("欧阳", "欧*"),
        ("张", "*"),
        ("阿不都·热合曼", "阿**·***"),
        ("John Smith", "J***"),
    ],
)
def test_names_keep_the_surname(name: str, masked: str) -> None:
    assert mask_name(name) == masked


@pytest.mark.parametrize(
    ("address", "masked", "district"),
    [
        (
            "山东省济南市历下区泉城路街道泉城路188号",
            "山东省济南市历下区泉城路街道****",
            "山东省济南市历下区",
        ),
        # 小区 ends in 区 but is no district: the estate and the road stay hidden.
        ("济南市历下区经十路小区3号楼", "济南市历下区****", "济南市历下区"),
        ("济南市市中区七里山街道", "济南市市中区七里山街道", "济南市市中区"),
        ("上海市浦东新区张江镇科苑路1号", "上海市浦东新区张江镇****", "上海市浦东新区"),
        ("山东省潍坊市寿光市圣城街道1号", "山东省潍坊市寿光市圣城街道****", "山东省潍坊市寿光市"),
        ("济南市经十路17号", "济南市****", "济南市"),
    ],
)
def test_addresses_are_kept_down_to_district_and_street(
    address: str, masked: str, district: str
) -> None:
    assert mask_address(address) == masked
    assert district_of(address) == district


@given(st.from_regex(r"62[0-9]{14,17}", fullmatch=True))
def test_bank_cards_keep_first_six_and_last_four(card: str) -> None:
    masked = mask_bank_card(card)
    assert masked[:6] == card[:6]
    assert masked[-4:] == card[-4:]
    assert set(masked[6:-4]) == {"*"}
    assert len(masked) == len(card)


def test_bank_card_with_spaces() -> None:
    assert mask_bank_card("6222 0212 3456 7890") == "622202******7890"


def test_email() -> None:
    assert mask_email("zhang.san@example.com") == "z***@example.com"


def test_pseudonyms_are_stable_keyed_and_short() -> None:
    a = pseudonymize("370102199001011234", key=KEY)
    assert a == pseudonymize("370102199001011234", key=KEY)
    assert re.fullmatch(r"[0-9a-f]{16}", a)
    assert a != pseudonymize("370102199001011235", key=KEY)
    with pytest.raises(ConfigurationError):
        pseudonymize("370102199001011234", key=b"")


@given(st.text(min_size=1), st.binary(min_size=1), st.binary(min_size=1))
def test_pseudonyms_join_within_a_key_and_differ_across_keys(
    value: str, key1: bytes, key2: bytes
) -> None:
    if not value.strip():
        return
    assert pseudonymize(value, key=key1) == pseudonymize(value, key=key1)
    if key1 != key2:
        assert pseudonymize(value, key=key1) != pseudonymize(value, key=key2)


@pytest.mark.parametrize(
    ("value", "band"),
    [
        ("35", "30-39"),
        ("35岁", "30-39"),
        ("1990-06-02", "30-39"),
        ("1990-06-01", "30-39"),
        ("1994-06-02", "20-29"),
        ("1990年1月1日", "30-39"),
        ("19900101", "30-39"),
        ("370102199001011234", "30-39"),
        ("370102900101123", "30-39"),
        ("2020-01-01 08:00:00", "0-9"),
        ("95", "90+"),
        ("2030-01-01", FULL_MASK),
        ("200", FULL_MASK),
    ],
)
def test_age_bands(value: str, band: str) -> None:
    assert age_band(value, today=date(2024, 6, 1)) == band


@pytest.mark.parametrize(
    ("item", "sensitivity", "rule"),
    [
        ("身份证号码", "personal", MaskRule.ID_NUMBER),
        ("证件号码", "sensitive_personal", MaskRule.ID_NUMBER),
        ("手机号码", "personal", MaskRule.MOBILE),
        ("联系电话", "personal", MaskRule.PHONE),
        ("联系人电话", "personal", MaskRule.PHONE),
        ("姓名", "personal", MaskRule.NAME),
        ("法定代表人", "personal", MaskRule.NAME),
        ("户籍地址", "personal", MaskRule.ADDRESS),
        ("电子邮件地址", "personal", MaskRule.EMAIL),
        ("银行账号", "personal", MaskRule.BANK_CARD),
        ("出生日期", "personal", MaskRule.AGE_BAND),
        ("诊断结果", "sensitive_personal", MaskRule.PSEUDONYM),
        ("婚姻状况", "personal", MaskRule.REDACT),
        ("公民身份号码", "personal", MaskRule.ID_NUMBER),
        ("姓名", "public", MaskRule.NONE),
        ("身份证号码", "internal", MaskRule.NONE),
    ],
)
def test_rule_for_item(item: str, sensitivity: str, rule: MaskRule) -> None:
    assert rule_for_item(item, sensitivity, "C") is rule


@given(st.sampled_from(list(MaskRule)), st.text())
def test_no_rule_raises_on_arbitrary_text(rule: MaskRule, value: str) -> None:
    masked = mask_value(rule, value, key=KEY)
    assert isinstance(masked, str)
    if not value.strip():
        assert masked in ("", value)


def test_mask_batch_masks_named_columns_and_keeps_nulls() -> None:
    batch = pa.RecordBatch.from_pydict(
        {
            "xm": ["张三", None, "欧阳娜娜"],
            "csrq": [date(1990, 1, 1), date(2001, 5, 5), None],
            "sl": [1, 2, 3],
        }
    )
    masked = mask_batch(
        batch, {"xm": MaskRule.NAME, "csrq": MaskRule.AGE_BAND, "sl": MaskRule.NONE}, key=KEY
    )
    assert masked.schema.names == ["xm", "csrq", "sl"]
    assert masked.schema.field("csrq").type == pa.string()
    assert masked.column("xm").to_pylist() == ["张*", None, "欧阳**"]
    assert re.fullmatch(r"\d+-\d+|90\+", masked.column("csrq").to_pylist()[0])
    assert masked.column("csrq").to_pylist()[2] is None
    assert masked.column("sl").to_pylist() == [1, 2, 3]
