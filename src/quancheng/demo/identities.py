"""Valid-looking identifiers of people and organisations for the demo data (not real ones).

Credit codes carry the GB 32100 / GB 11714 check characters, ID numbers the MOD 11-2 check
character and a Jinan region code that existed at the birth date, bank cards the Luhn digit.
"""

from __future__ import annotations

import random
from datetime import date

from stdnum.cn import ric

from quancheng.demo.tables import DISTRICT_ROWS

_DISTRICT_CODES = tuple(row[1] for row in DISTRICT_ROWS)

_CODE_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_MOBILE_PREFIXES = "130 131 132 133 135 136 137 138 139 150 151 152 155 156 157 158 159 176 177 "
_MOBILE_PREFIX = (_MOBILE_PREFIXES + "178 180 181 182 183 185 186 187 188 189 191 199").split()
_REGION_BY_BIRTH: dict[tuple[str, int], str] = {}
_OLD_REGIONS = ("370123", "370181", "370125", "370122", "370121")


def _org_check(body: str) -> str:
    """GB 11714 check character of an 8-character organisation code body."""
    weights = (3, 7, 9, 10, 5, 8, 4, 2)
    c9 = 11 - sum(_CODE_CHARS.index(d) * w for d, w in zip(body, weights, strict=True)) % 11
    return {10: "X", 11: "0"}.get(c9, str(c9))


def credit_code(rng: random.Random, *, prefix: str = "91", region: str = "370102") -> str:
    """A 统一社会信用代码 with valid GB 11714 and GB 32100 check characters."""
    body = "".join(rng.choice("0123456789") for _ in range(8))
    stem = f"{prefix}{region}{body}{_org_check(body)}"
    total = sum(_CODE_CHARS.index(c) * w for c, w in zip(stem, _USCC_WEIGHTS, strict=True))
    return stem + _CODE_CHARS[(31 - total % 31) % 31]


def _birth_region(region: str, born: date) -> str:
    """A Jinan region code that existed when someone was born (the ID keeps the old code)."""
    key = (region, born.year)
    if key not in _REGION_BY_BIRTH:
        stamp = born.strftime("%Y%m%d")
        found = "370102"
        # Today's districts first, then the counties they replaced (长清县, 章丘市 ...).
        for candidate in (region, *_DISTRICT_CODES, *_OLD_REGIONS):
            probe = f"{candidate}{stamp}0010"
            if ric.is_valid(probe[:17] + ric.calc_check_digit(probe)):
                found = candidate
                break
        _REGION_BY_BIRTH[key] = found
    return _REGION_BY_BIRTH[key]


def id_number(rng: random.Random, *, region: str, born: date, male: bool) -> str:
    """A 18-digit 居民身份证号 with a 3701xx region and the MOD 11-2 check character."""
    seq = rng.randrange(0, 499) * 2 + (1 if male else 0)
    stem = f"{_birth_region(region, born)}{born:%Y%m%d}{seq:03d}"
    return stem + ric.calc_check_digit(stem + "0")


def mobile(rng: random.Random) -> str:
    """A mainland mobile number."""
    return rng.choice(_MOBILE_PREFIX) + f"{rng.randrange(10**8):08d}"


def bank_card(rng: random.Random) -> str:
    """A 19-digit UnionPay card number passing the Luhn check."""
    stem = "622848" + "".join(rng.choice("0123456789") for _ in range(12))
    total = 0
    for position, char in enumerate(reversed(stem)):
        digit = int(char)
        if position % 2 == 0:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return stem + str((10 - total % 10) % 10)
