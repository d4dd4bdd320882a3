"""The identifier validators against DOMAIN.md §5."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from quancheng.chinatime import china_today
from quancheng.datastore.checks import (
    is_bank_card,
    is_credit_code,
    is_id_number,
    is_mobile,
)
from tests.support.city import credit_code

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def with_check(body: str) -> str:
    total = sum(int(c) * w for c, w in zip(body, WEIGHTS, strict=True))
    return body + "10X98765432"[total % 11]


@given(
    region=st.sampled_from(["370102", "370100", "110101", "440305", "370126"]),
    born=st.dates(min_value=date(1920, 1, 1), max_value=date(2020, 12, 31)),
    sequence=st.integers(min_value=0, max_value=999),
)
def test_id_numbers_with_the_right_check_character_are_valid(
    region: str, born: date, sequence: int
) -> None:
    number = with_check(f"{region}{born:%Y%m%d}{sequence:03d}")

    assert is_id_number(number)
    assert is_id_number(number.lower())
    wrong = "10X98765432".replace(number[-1], "")[0]
    assert not is_id_number(number[:-1] + wrong)


def test_id_numbers_need_a_province_a_real_birth_date_and_18_characters() -> None:
    assert is_id_number(with_check("37010219900307123"))
    assert not is_id_number(with_check("99010219900307123"))  # no province 99
    assert not is_id_number(with_check("37010219900230123"))  # 30 February
    tomorrow = china_today() + timedelta(days=1)  # birth dates are China's, ahead of UTC
    assert not is_id_number(with_check(f"370102{tomorrow:%Y%m%d}123"))
    assert not is_id_number("37010219900307123")
    assert not is_id_number("３７０１０２１９９００３０７１２３８")  # full-width digits


def test_other_identifiers() -> None:
    assert is_mobile("13812345678") and not is_mobile("12812345678")
    assert is_bank_card("6222021234567890128") and not is_bank_card("6222021234567890123")
    good = credit_code("MB2848264")
    assert is_credit_code(good)
    assert not is_credit_code(good[:-1] + ("0" if good[-1] != "0" else "1"))


def test_a_baby_born_today_in_china_has_a_valid_id_number_whatever_the_servers_clock() -> None:
    # Regression: the birth date was compared with the server's date, in UTC on our servers,
    # which is still yesterday in Beijing until 08:00: a newborn's number was refused then.
    today = china_today()
    assert today == (datetime.now(UTC) + timedelta(hours=8)).date()
    assert is_id_number(with_check(f"370102{today:%Y%m%d}123"))
    assert not is_id_number(with_check(f"370102{today + timedelta(days=1):%Y%m%d}123"))
