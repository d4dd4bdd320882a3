"""Validators of the identifiers that Chinese government data is full of (pure functions)."""

from __future__ import annotations

import re

from stdnum.cn import ric, uscc

_MOBILE = re.compile(r"1[3-9]\d{9}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_POSTCODE = re.compile(r"\d{6}")
_ADMIN_CODE = re.compile(r"\d{6}(?:\d{3}(?:\d{3})?)?")


def is_id_number(value: str) -> bool:
    """居民身份证号: 18 characters with the ISO 7064 MOD 11-2 check character."""
    return len(value) == 18 and ric.is_valid(value)


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
