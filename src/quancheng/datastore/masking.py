"""De-identification of personal data (GB/T 37964): masking, pseudonymisation, generalisation.

Every function is pure and total: a value that does not look like what the rule expects is
replaced by FULL_MASK rather than passed through, because a malformed value (a mobile
number typed into an ID column, say) is exactly the one a looser rule would leak. Empty
values stay empty so that "no data" remains distinguishable from "hidden data".
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from datetime import date, datetime
from enum import StrEnum

import pyarrow as pa

from quancheng.chinatime import china_today
from quancheng.errors import ConfigurationError

FULL_MASK = "****"


class MaskRule(StrEnum):
    """How one column is de-identified on its way to a reader."""

    NONE = "none"
    ID_NUMBER = "id_number"
    MOBILE = "mobile"
    PHONE = "phone"
    NAME = "name"
    ADDRESS = "address"
    BANK_CARD = "bank_card"
    EMAIL = "email"
    PSEUDONYM = "pseudonym"
    AGE_BAND = "age_band"
    DISTRICT = "district"
    REDACT = "redact"


# --- identifiers -------------------------------------------------------------------------

_ID18 = re.compile(r"\d{17}[\dXx]")
_ID15 = re.compile(r"\d{15}")
_MOBILE = re.compile(
    r"(?P<prefix>(?:\+|00)?86[\s-]?)?(?P<head>1[3-9]\d)[\s-]?(?P<mid>\d{4})[\s-]?(?P<tail>\d{4})"
)
_LANDLINE = re.compile(
    r"(?P<area>\(0\d{2,3}\)\s?|（0\d{2,3}）|0\d{2,3}[\s-]?)?"
    r"(?P<local>[2-9]\d{2,3}[\s-]?\d{4})"
    r"(?P<ext>(?:\s*(?:-|转|ext\.?|x)\s*)\d{1,6})?",
    re.IGNORECASE,
)
_CARD_SEPARATORS = re.compile(r"[\s-]")
_EMAIL = re.compile(r"(?P<local>[^@\s]+)@(?P<domain>[^@\s]+\.[^@\s]+)")


def mask_id_number(v: str) -> str:
    """居民身份证号: first 6 (region) and last 4 kept (15-digit IDs: last 3), birth date masked."""
    s = v.strip()
    if not s:
        return ""
    if _ID18.fullmatch(s):
        return s[:6] + "*" * 8 + s[-4:]
    if _ID15.fullmatch(s):
        return s[:6] + "*" * 6 + s[-3:]
    return FULL_MASK


def mask_mobile(v: str) -> str:
    """手机号: 138****1234, keeping a +86 prefix as written."""
    s = v.strip()
    if not s:
        return ""
    m = _MOBILE.fullmatch(s)
    if m is None:
        return FULL_MASK
    return (m["prefix"] or "") + m["head"] + "****" + m["tail"]


def mask_phone(v: str) -> str:
    """固定电话: area code and last 2 digits kept; a mobile number is masked as a mobile."""
    s = v.strip()
    if not s:
        return ""
    # 联系电话 columns hold mobiles as often as landlines.
    if _MOBILE.fullmatch(s):
        return mask_mobile(s)
    m = _LANDLINE.fullmatch(s)
    if m is None:
        return FULL_MASK
    local = re.sub(r"\D", "", m["local"])
    # An extension identifies a person's desk as well as the number does: hide it whole.
    ext = "-" + "*" * 2 if m["ext"] else ""
    return (m["area"] or "") + "*" * (len(local) - 2) + local[-2:] + ext


def mask_bank_card(v: str) -> str:
    """银行卡号: keep the first 6 (issuer) and last 4 digits."""
    s = _CARD_SEPARATORS.sub("", v.strip())
    if not s:
        return ""
    if not (s.isascii() and s.isdigit() and 12 <= len(s) <= 19):
        return FULL_MASK
    return s[:6] + "*" * (len(s) - 10) + s[-4:]


def mask_email(v: str) -> str:
    """E-mail: first character of the local part, ***, then @domain."""
    s = v.strip()
    if not s:
        return ""
    m = _EMAIL.fullmatch(s)
    if m is None:
        return FULL_MASK
    return m["local"][0] + "***@" + m["domain"]


# --- names -------------------------------------------------------------------------------

_COMPOUND_SURNAME_TEXT = (
    "欧阳 司马 诸葛 上官 东方 皇甫 尉迟 公孙 慕容 长孙 宇文 司徒 司空 "
    "夏侯 令狐 端木 南宫 西门 独孤 轩辕 百里 呼延 澹台 公冶 太史 申屠 "
    "闻人 赫连 钟离 濮阳 拓跋 万俟 第五 鲜于 闾丘 子车 亓官 司寇 仲孙 "
    "东郭 南门 羊舌 微生 梁丘 左丘 东门 公羊 单于 乐正 漆雕 壤驷 公良 "
    "谷梁 宰父 巫马 公西 颛孙 段干 太叔 淳于 "
)
COMPOUND_SURNAMES = frozenset(_COMPOUND_SURNAME_TEXT.split())
_CJK_NAME = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+(?:[·•・．.][\u3400-\u9fff\uf900-\ufaff]+)*")
_LATIN_NAME = re.compile(r"[A-Za-z\u00c0-\u024f]+(?:[\s.'’-]+[A-Za-z\u00c0-\u024f]+)*\.?")
_NAME_DOTS = frozenset("·•・．.")


def mask_name(v: str) -> str:
    """姓名: surname kept (two characters for 欧阳, 司马 …), the rest one * per character."""
    s = v.strip()
    if not s:
        return ""
    if len(s) <= 40 and _CJK_NAME.fullmatch(s):
        if len(s) == 1:
            return "*"
        keep = 2 if s[:2] in COMPOUND_SURNAMES and len(s) > 2 else 1
        # Minority names keep their separator dots: the length is no secret, the letters are.
        return s[:keep] + "".join(c if c in _NAME_DOTS else "*" for c in s[keep:])
    if len(s) <= 100 and _LATIN_NAME.fullmatch(s):
        return s[0] + "***"
    return FULL_MASK


# --- addresses ---------------------------------------------------------------------------

# Administrative levels in the order an address writes them. The character classes refuse
# digits and road or building words, so that "经十路小区" is never taken for a district
# just because it ends in 区.
_NOT_PLACE = r"\d０-９路街巷弄胡同号楼栋幢室单元层座院园苑村组社"
_ADDRESS_HEAD = re.compile(
    rf"(?P<province>[^{_NOT_PLACE}省市区县]{{2,8}}?(?:省|自治区|特别行政区))?"
    rf"(?P<city>[^{_NOT_PLACE}省区县镇乡]{{1,10}}?(?:自治州|地区|市|州|盟))?"
    rf"(?P<county>[^{_NOT_PLACE}省镇乡]{{1,10}}?(?:自治县|自治旗|新区|区|县|市|旗))?"
)
_ADDRESS_TOWN = re.compile(r"[^\d０-９号楼栋幢室单元层座院园苑村组]{1,12}?(?:街道|镇|乡|苏木)")


def _address_parts(s: str) -> tuple[str, str]:
    """The district-level prefix of an address and the town/street after it."""
    m = _ADDRESS_HEAD.match(s)
    head = m.group(0) if m else ""
    town = _ADDRESS_TOWN.match(s, len(head)) if head else None
    return head, town.group(0) if town else ""


def mask_address(v: str) -> str:
    """地址: kept down to district and street (区/县/市, 镇/乡/街道), the rest is ****."""
    s = v.strip()
    if not s:
        return ""
    head, town = _address_parts(s)
    if not head:
        return FULL_MASK
    kept = head + town
    return kept if kept == s else kept + FULL_MASK


def district_of(v: str) -> str:
    """Generalise an address to its district or county: 济南市历下区泉城路… → 济南市历下区."""
    s = v.strip()
    if not s:
        return ""
    head, _ = _address_parts(s)
    return head or FULL_MASK


# --- pseudonyms and generalisation -------------------------------------------------------


def pseudonymize(v: str, *, key: bytes) -> str:
    """Keyed hash (HMAC-SHA256, 16 hex characters): equal inputs give equal outputs."""
    if not key:
        # An unkeyed hash of an ID number is reversed by enumerating birth dates.
        raise ConfigurationError("pseudonymisation needs a non-empty masking key")
    s = v.strip()
    if not s:
        return ""
    return hmac.new(key, s.encode("utf-8"), hashlib.sha256).hexdigest()[:16]


_AGE = re.compile(r"(\d{1,3})\s*(?:岁|周岁)?")
_BIRTH = re.compile(r"(\d{4})(?:-|/|\.|年)(\d{1,2})(?:-|/|\.|月)(\d{1,2})日?(?:[T\s].*)?")
_COMPACT_BIRTH = re.compile(r"(\d{4})(\d{2})(\d{2})")
MAX_AGE = 130
# Few people are that old, so a finer band would single them out.
OLDEST_BAND = 90


def _band(age: int) -> str:
    if age >= OLDEST_BAND:
        return f"{OLDEST_BAND}+"
    low = age // 10 * 10
    return f"{low}-{low + 9}"


def _age_at(birth: date, today: date) -> int:
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def _birth_date(s: str) -> date | None:
    parts: tuple[str, str, str] | None = None
    if _ID18.fullmatch(s):
        parts = (s[6:10], s[10:12], s[12:14])
    elif _ID15.fullmatch(s):
        parts = ("19" + s[6:8], s[8:10], s[10:12])
    elif m := _BIRTH.fullmatch(s) or _COMPACT_BIRTH.fullmatch(s):
        parts = (m[1], m[2], m[3])
    if parts is None:
        return None
    try:
        return date(int(parts[0]), int(parts[1]), int(parts[2]))
    except ValueError:
        return None


def age_band(v: str, *, today: date | None = None) -> str:
    """Generalise an age, a birth date or an ID number to a ten-year band such as "30-39"."""
    s = v.strip()
    if not s:
        return ""
    today = today or china_today()
    m = _AGE.fullmatch(s)
    if m is not None:
        age = int(m[1])
    else:
        birth = _birth_date(s)
        if birth is None or birth > today:
            return FULL_MASK
        age = _age_at(birth, today)
    if not 0 <= age <= MAX_AGE:
        return FULL_MASK
    return _band(age)


# --- rules -------------------------------------------------------------------------------

# Checked in order: 联系人电话 is a phone and 电子邮件地址 an e-mail before either is a name or
# an address.
_RULE_WORDS: tuple[tuple[MaskRule, tuple[str, ...]], ...] = (
    (MaskRule.ID_NUMBER, ("身份证", "身份号码", "证件号码", "证件号")),
    (MaskRule.MOBILE, ("手机", "mobile")),
    (MaskRule.PHONE, ("电话", "phone")),
    (MaskRule.EMAIL, ("邮箱", "电子邮件", "电子邮箱", "email", "e-mail")),
    (MaskRule.BANK_CARD, ("银行卡", "账号", "卡号")),
    (MaskRule.AGE_BAND, ("出生日期", "出生年月", "生日", "年龄", "birth")),
    (MaskRule.ADDRESS, ("地址", "住址", "住所", "居住地", "address")),
    (MaskRule.NAME, ("姓名", "联系人", "法定代表人", "法人代表", "负责人")),
)
_UNMASKED = frozenset({"public", "internal"})


def rule_for_item(name: str, sensitivity: str, data_type: str) -> MaskRule:
    """The mask a catalog data item gets when its data leaves the owning department."""
    if sensitivity in _UNMASKED:
        return MaskRule.NONE
    named = rule_for_column(name)
    if named is not MaskRule.NONE:
        return named
    # A date item about a person (出生 …) is as identifying as a birth date.
    if data_type in ("D", "T") and "出生" in name:
        return MaskRule.AGE_BAND
    # Unknown sensitivities fail closed: treated like personal data.
    return MaskRule.PSEUDONYM if sensitivity == "sensitive_personal" else MaskRule.REDACT


def rule_for_column(label: str) -> MaskRule:
    """The mask of a column no catalog data item describes, read from its header alone.

    The catalog's sensitivity cannot speak for it, so a header that names personal data
    (身份证号码, 联系电话, 家庭住址 …) gets that data's mask; any other header none.
    """
    lowered = label.lower()
    for rule, words in _RULE_WORDS:
        if any(w in lowered for w in words):
            return rule
    return MaskRule.NONE


def mask_value(rule: MaskRule, value: str, *, key: bytes) -> str:
    """Apply one rule to one value."""
    match rule:
        case MaskRule.NONE:
            return value
        case MaskRule.ID_NUMBER:
            return mask_id_number(value)
        case MaskRule.MOBILE:
            return mask_mobile(value)
        case MaskRule.PHONE:
            return mask_phone(value)
        case MaskRule.NAME:
            return mask_name(value)
        case MaskRule.ADDRESS:
            return mask_address(value)
        case MaskRule.BANK_CARD:
            return mask_bank_card(value)
        case MaskRule.EMAIL:
            return mask_email(value)
        case MaskRule.PSEUDONYM:
            return pseudonymize(value, key=key)
        case MaskRule.AGE_BAND:
            return age_band(value)
        case MaskRule.DISTRICT:
            return district_of(value)
        case MaskRule.REDACT:
            return FULL_MASK if value.strip() else ""


def _text(value: object) -> str:
    """A stored value as the text the rules read (dates ISO, so birth dates band)."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def mask_batch(
    batch: pa.RecordBatch, masks: Mapping[str, MaskRule], *, key: bytes
) -> pa.RecordBatch:
    """The batch with every column named in `masks` masked to strings (nulls stay null)."""
    arrays: list[pa.Array] = []
    fields: list[pa.Field] = []
    for i, field in enumerate(batch.schema):
        column = batch.column(i)
        rule = masks.get(field.name, MaskRule.NONE)
        if rule is MaskRule.NONE:
            arrays.append(column)
            fields.append(field)
            continue
        # Columns repeat values (districts, surnames): mask each distinct value once.
        seen: dict[str, str] = {}
        out: list[str | None] = []
        for value in column.to_pylist():
            if value is None:
                out.append(None)
                continue
            text = _text(value)
            masked = seen.get(text)
            if masked is None:
                masked = seen[text] = mask_value(rule, text, key=key)
            out.append(masked)
        arrays.append(pa.array(out, type=pa.string()))
        fields.append(pa.field(field.name, pa.string(), nullable=True, metadata=field.metadata))
    schema = pa.schema(fields, metadata=batch.schema.metadata)
    return pa.RecordBatch.from_arrays(arrays, schema=schema)
