"""Validators of the identifiers that Chinese government data is full of (pure functions)."""

from __future__ import annotations

import re
from datetime import date

from stdnum.cn import uscc

from quancheng.chinatime import china_today

_ID_NUMBER = re.compile(r"[1-9]\d{16}[\dX]")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
# GB/T 2260 province-level codes, and 71/81/82 for Taiwan, Hong Kong and Macao.
_PROVINCES = frozenset(
    {
        *("11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36"),
        *("37", "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62"),
        *("63", "64", "65", "71", "81", "82"),
    }
)
_MOBILE = re.compile(r"1[3-9]\d{9}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_POSTCODE = re.compile(r"\d{6}")
_ADMIN_CODE = re.compile(r"\d{6}(?:\d{3}(?:\d{3})?)?")


def id_number_problem(value: str) -> str | None:
    """What is wrong with a 居民身份证号 (length, format, check character, birth date, region)."""
    # Written out rather than python-stdnum's ric: that one looks every region code up in a
    # table (slow on millions of rows, and it raises on some city-level codes).
    value = value.upper()
    if len(value) != 18:
        return "length"
    if _ID_NUMBER.fullmatch(value) is None:
        return "format"
    total = sum(int(c) * w for c, w in zip(value, _ID_WEIGHTS, strict=False))
    if value[17] != _ID_CHECK[total % 11]:
        return "check character"
    try:
        born = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return "birth date"
    if born.year < 1900 or born > china_today():
        return "birth date"
    if value[:2] not in _PROVINCES:
        return "region code"
    return None


def is_id_number(value: str) -> bool:
    """居民身份证号: province, a real birth date and the ISO 7064 MOD 11-2 check character."""
    return id_number_problem(value) is None


def is_credit_code(value: str) -> bool:
    """统一社会信用代码: 18 characters with the GB 32100 check character."""
    return len(value) == 18 and uscc.is_valid(value)


def is_mobile(value: str) -> bool:
    """Mainland mobile number: 11 digits starting 13–19."""
    return _MOBILE.fullmatch(value) is not None


def is_bank_card(value: str) -> bool:
    """Bank card number: 12–19 digits passing the Luhn check."""
    if not value.isascii() or not value.isdigit() or not 12 <= len(value) <= 19:
        return False
    total = 0
    for position, char in enumerate(reversed(value)):
        digit = int(char)
        if position % 2:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def is_email(value: str) -> bool:
    """A plausible e-mail address (one @, a dot in the domain, no spaces)."""
    return _EMAIL.fullmatch(value) is not None


def is_postcode(value: str) -> bool:
    """邮政编码: six digits."""
    return _POSTCODE.fullmatch(value) is not None


def is_admin_code(value: str) -> bool:
    """行政区划代码: 6, 9 or 12 digits."""
    return _ADMIN_CODE.fullmatch(value) is not None
