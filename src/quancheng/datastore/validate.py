"""Row validation at ingest: each linked column's values are checked against its data item.

Checks run vectorised over a whole batch (pyarrow.compute); Python objects are built only
for the rows that fail, so a clean batch costs a few array passes per column.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from quancheng.datastore import checks
from quancheng.datastore.identifiers import base_identifier
from quancheng.datastore.infer import valid_dates, valid_timestamps
from quancheng.datastore.policy import ItemInfo
from quancheng.datastore.schema import Column
from quancheng.errors import BadRequest


@dataclass(frozen=True)
class RowError:
    """One failing cell: the row number as the source file shows it, the column's label, the
    value, why."""

    row: int
    column: str
    value: str | None
    reason: str


@dataclass(frozen=True)
class Check:
    """The outcome for one batch: True per row without errors, and the errors."""

    valid_mask: pa.BooleanArray
    errors: list[RowError]


def _normalise(text: str) -> str:
    """Header text compared loosely: NFKC, no spaces or punctuation, case-folded."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(ch for ch in folded if unicodedata.category(ch)[0] not in "PZC")


def link_items(columns: Sequence[Column], items: Sequence[ItemInfo]) -> list[Column]:
    """The columns with `item` set to the data item each header names, one column per item."""
    names = {i.name for i in items}
    linked: list[str | None] = []
    used: set[str] = set()
    for column in columns:
        # Keep a link made earlier (e.g. by hand) while its item still exists.
        keep = column.item if column.item in names and column.item not in used else None
        linked.append(keep)
        if keep is not None:
            used.add(keep)
    matchers: list[Callable[[Column, ItemInfo], bool]] = [
        lambda c, i: c.label == i.name,
        lambda c, i: _normalise(c.label) == _normalise(i.name) != "",
        lambda c, i: c.name == base_identifier(i.name, 0),
    ]
    for matches in matchers:
        for index, column in enumerate(columns):
            if linked[index] is not None:
                continue
            for item in items:
                if item.name not in used and matches(column, item):
                    linked[index] = item.name
                    used.add(item.name)
                    break
    return [replace(c, item=name) for c, name in zip(columns, linked, strict=True)]


# Validation is more lenient than inference: "007" is an integer value even though it
# would not be stored as one.
_INTEGER_TEXT = r"^\s*[+-]?\d+\s*$"
_NUMBER_TEXT = r"^\s*[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?\s*$"
_LOGICAL_WORDS = pa.array(["是", "否", "true", "false", "1", "0"], pa.string())
_MOBILE_LIKE = r"^1\d{10}$"
_EIGHTEEN = r"^.{18}$"
# ASCII-only forms that checks.is_mobile surely accepts (it also takes other Unicode digits).
_SURE_MOBILE = r"^1[3-9][0-9]{9}$"


@dataclass(frozen=True)
class _Rule:
    """One check of a column: `test` maps trimmed values to ok (null means not applicable).

    `kind` names the check for the SQL fast path of ingest (fastcsv), which re-states some
    checks as SQL and leaves the others to `test`.
    """

    test: Callable[[Any], Any]
    reason: Callable[[str], str]
    kind: str


def _regex(pattern: str) -> Callable[[Any], Any]:
    return lambda values: pc.match_substring_regex(values, pattern=pattern)


def _logical(values: Any) -> Any:
    # is_in answers False (not null) for a null cell; an empty cell is not a wrong one.
    return pc.if_else(
        pc.is_null(values), None, pc.is_in(pc.utf8_lower(values), value_set=_LOGICAL_WORDS)
    )


def _date_or_timestamp(values: Any) -> Any:
    stamps = valid_timestamps(values)
    if _all_true(stamps):
        return stamps  # a column of timestamps needs no date check
    return pc.or_(pc.fill_null(valid_dates(values), False), stamps)


def _on_distinct(test: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """A vectorised test run on the distinct values only (dates repeat a lot)."""

    def run(values: Any) -> Any:
        distinct = pc.drop_null(pc.unique(values))
        good = pc.filter(distinct, pc.fill_null(test(distinct), False))
        return pc.if_else(pc.is_null(values), None, pc.is_in(values, value_set=good))

    return run


def _per_value(
    check: Callable[[str], bool], applies: str | None = None, *, sure: str | None = None
) -> Callable[[Any], Any]:
    """A vectorised test from a pure Python check, run once per distinct value.

    Values matching `sure` (a pattern only valid values match) pass without the Python
    check: a column of a million distinct mobiles costs one regular expression pass.
    """

    def test(values: Any) -> Any:
        passed = None
        rest = values
        if sure is not None:
            passed = pc.fill_null(pc.match_substring_regex(values, pattern=sure), False)
            rest = pc.filter(values, pc.invert(passed))
        distinct = pc.drop_null(pc.unique(rest)).to_pylist()
        good = pa.array([v for v in distinct if check(v)], pa.string())
        ok = pc.is_in(values, value_set=good)
        if passed is not None:
            ok = pc.or_(ok, passed)
        if applies is not None:
            # Values the check does not apply to (a landline in a phone column) pass.
            ok = pc.or_(ok, pc.invert(pc.match_substring_regex(values, pattern=applies)))
        return pc.if_else(pc.is_null(values), None, ok)

    return test


def _fixed(reason: str) -> Callable[[str], str]:
    return lambda _: reason


def _id_reason(value: str) -> str:
    """Why a value is not a valid 居民身份证号, for the report."""
    return f"not a valid ID number ({checks.id_number_problem(value) or 'format'})"


_TYPE_RULES: dict[str, _Rule] = {
    "I": _Rule(_regex(_INTEGER_TEXT), _fixed("not an integer"), "integer_text"),
    "N": _Rule(_regex(_NUMBER_TEXT), _fixed("not a number"), "number_text"),
    "F": _Rule(_regex(_NUMBER_TEXT), _fixed("not a number"), "number_text"),
    "Y": _Rule(_regex(_NUMBER_TEXT), _fixed("not a number"), "number_text"),
    "D": _Rule(_on_distinct(valid_dates), _fixed("not a date"), "date"),
    "T": _Rule(
        _on_distinct(_date_or_timestamp), _fixed("not a date and time"), "date_or_timestamp"
    ),
    "L": _Rule(_logical, _fixed("not a yes/no value"), "logical"),
}
_ID_STRICT = _Rule(_per_value(checks.is_id_number), _id_reason, "id_number")
# 证件号码 may hold a passport or other document, and a rights holder may be an
# organisation: an 18-character value must be an ID number or a unified credit code.
_ID_IF_EIGHTEEN = _Rule(
    _per_value(lambda v: checks.is_id_number(v) or checks.is_credit_code(v), _EIGHTEEN),
    _id_reason,
    "id_or_credit_code",
)
_MOBILE = _Rule(
    _per_value(checks.is_mobile, sure=_SURE_MOBILE), _fixed("not a valid mobile number"), "mobile"
)
# A contact phone may be a landline (0531-12345678); an 11-digit 1… number must be a mobile.
_CONTACT_PHONE = _Rule(
    _per_value(checks.is_mobile, _MOBILE_LIKE, sure=_SURE_MOBILE),
    _fixed("not a valid mobile number"),
    "contact_phone",
)
_CREDIT_CODE = _Rule(
    _per_value(checks.is_credit_code),
    _fixed("not a valid unified social credit code (check character)"),
    "credit_code",
)
_POSTCODE = _Rule(
    _per_value(checks.is_postcode, sure=r"^[0-9]{6}$"), _fixed("not a valid postcode"), "postcode"
)
_BANK_CARD = _Rule(
    _per_value(checks.is_bank_card), _fixed("not a valid bank card number"), "bank_card"
)


MAX_LENGTH_KIND = "max_length:"


def _max_length_rule(limit: int) -> _Rule:
    """A character item's length: at most `limit` characters once trimmed."""
    return _Rule(
        lambda values: pc.less_equal(pc.utf8_length(values), limit),
        _fixed(f"longer than {limit} characters"),
        f"{MAX_LENGTH_KIND}{limit}",
    )


def _identity_rule(name: str) -> _Rule | None:
    """The identifier check a header or item name calls for, if any."""
    n = _normalise(name)
    if "身份证" in n or "公民身份号码" in n:
        return _ID_STRICT
    if "证件号" in n:
        return _ID_IF_EIGHTEEN
    if n.endswith(("手机", "手机号", "手机号码")):
        return _MOBILE
    if "电话" in n or "联系方式" in n:
        return _CONTACT_PHONE
    if "统一社会信用代码" in n:
        return _CREDIT_CODE
    if "邮政编码" in n or "邮编" in n:
        return _POSTCODE
    if "银行卡号" in n:
        return _BANK_CARD
    return None


@dataclass(frozen=True)
class _Plan:
    """What to check in one column."""

    column: Column
    required: bool
    rules: tuple[_Rule, ...]


@dataclass(frozen=True)
class ColumnChecks:
    """What validation checks in one column: whether a value is required, and the rule kinds."""

    column: Column
    required: bool
    kinds: tuple[str, ...]


class RowValidator:
    """Checks batches of rows against the data items their columns are linked to."""

    def __init__(
        self,
        columns: Sequence[Column],
        items: Sequence[ItemInfo],
        *,
        required: Collection[str] = (),
    ) -> None:
        by_name = {i.name: i for i in items}
        linked = {c.item for c in columns if c.item}
        missing = sorted(set(required) - linked)
        if missing:
            raise BadRequest(
                "required data items have no column in the file",
                code="required_column_missing",
                details={"items": missing},
            )
        plans: list[_Plan] = []
        for column in columns:
            item = by_name.get(column.item or "")
            if item is None:
                continue
            rules: list[_Rule] = []
            data_type = item.data_type.strip().upper()
            type_rule = _TYPE_RULES.get(data_type)
            if type_rule is not None:
                rules.append(type_rule)
            if data_type == "C" and item.length:
                rules.append(_max_length_rule(item.length))
            identity = _identity_rule(item.name) or _identity_rule(column.label)
            if identity is not None:
                rules.append(identity)
            is_required = item.name in required
            if rules or is_required:
                plans.append(_Plan(column, is_required, tuple(rules)))
        self._plans = tuple(plans)

    @property
    def plans(self) -> tuple[ColumnChecks, ...]:
        """The columns this validator checks, and how."""
        return tuple(
            ColumnChecks(p.column, p.required, tuple(r.kind for r in p.rules)) for p in self._plans
        )

    def check(self, batch: pa.RecordBatch, first_row: int) -> Check:
        """Errors of one batch; `first_row` is the number of its first row in the source file
        (the reader's numbering: a CSV line, a sheet row, a JSON record)."""
        size = batch.num_rows
        valid = pa.repeat(True, size)
        found: dict[tuple[int, int], RowError] = {}
        for position, plan in enumerate(self._plans):
            raw = _column_values(batch, plan.column)
            values = pc.utf8_trim_whitespace(raw)
            # A cell of only spaces is as empty as a null one.
            values = pc.if_else(pc.equal(pc.utf8_length(values), 0), None, values)
            checks_: list[tuple[Any, Callable[[str | None], str]]] = []
            if plan.required:
                checks_.append((pc.is_valid(values), lambda _: "required value missing"))
            for rule in plan.rules:
                ok = pc.fill_null(rule.test(values), True)
                checks_.append((ok, _reason_of(rule)))
            for ok, reason in checks_:
                if _all_true(ok):
                    continue
                valid = pc.and_(valid, ok)
                for index in pc.indices_nonzero(pc.invert(ok)).to_pylist():
                    key = (index, position)
                    if key in found:
                        continue
                    value = raw[index].as_py()
                    found[key] = RowError(
                        row=first_row + index,
                        column=plan.column.label,
                        value=value,
                        reason=reason(value),
                    )
        errors = [found[k] for k in sorted(found)]
        return Check(valid_mask=valid, errors=errors)


def _reason_of(rule: _Rule) -> Callable[[str | None], str]:
    return lambda value: rule.reason((value or "").strip())


def _all_true(mask: Any) -> bool:
    return bool(pc.all(mask, min_count=0).as_py() is not False)


def _column_values(batch: pa.RecordBatch, column: Column) -> Any:
    """The string values of a column, by identifier or else by label; all null if absent."""
    for ref in (column.name, column.label):
        index = batch.schema.get_field_index(ref)
        if index >= 0:
            values = batch.column(index)
            return values if pa.types.is_string(values.type) else values.cast(pa.string())
    return pa.nulls(batch.num_rows, pa.string())


def _spreadsheet_safe(value: str | None) -> str:
    """The value as a cell Excel will not evaluate as a formula."""
    if not value:
        return ""
    if value[0] in "=@\t\r" or (value[0] in "+-" and re.fullmatch(_NUMBER_TEXT, value) is None):
        return "'" + value
    return value


def _unsafe(cell: str) -> str | None:
    """A report cell back as the value it was written from (undoes `_spreadsheet_safe`)."""
    if not cell:
        return None
    if cell.startswith("'") and _spreadsheet_safe(cell[1:]) == cell:
        return cell[1:]
    return cell


# The report's header: Chinese for the stewards who read it, English for scripts. "行号"
# is the row the steward sees on opening the source file in Excel or WPS: a CSV file's line
# (its header is row 1, so the first data row is 2), a sheet's own row number, a JSON
# record's or NDJSON line's number, a Parquet record's (see TableReader.first_row).
REPORT_HEADER = ("行号 row", "列 column", "值 value", "原因", "reason")
_REASONS_ZH = {
    "required value missing": "必填项为空",
    "not an integer": "不是整数",
    "not a number": "不是数字",
    "not a date": "不是日期",
    "not a date and time": "不是日期时间",
    "not a yes/no value": "不是“是/否”值",
    "not a valid mobile number": "不是有效的手机号码",
    "not a valid unified social credit code (check character)": "统一社会信用代码校验码不符",
    "not a valid postcode": "不是有效的邮政编码",
    "not a valid bank card number": "不是有效的银行卡号",
}
_ID_PROBLEMS_ZH = {
    "length": "长度不对",
    "format": "格式不对",
    "check character": "校验码不符",
    "birth date": "出生日期无效",
    "region code": "地区码无效",
}
_LONGER = re.compile(r"longer than (\d+) characters")
_ID_REASON = re.compile(r"not a valid ID number \((.+)\)")


def reason_zh(reason: str) -> str:
    """A report reason in Chinese (the English one if it has no translation)."""
    if (known := _REASONS_ZH.get(reason)) is not None:
        return known
    if m := _LONGER.fullmatch(reason):
        return f"超过 {m[1]} 个字符"
    if m := _ID_REASON.fullmatch(reason):
        return f"不是有效的居民身份证号（{_ID_PROBLEMS_ZH.get(m[1], m[1])}）"
    return reason


def write_error_report(errors: Iterable[RowError], path: Path) -> None:
    """Write the errors as CSV (UTF-8 with BOM for Excel): row, column, value, the reason in
    Chinese and in English."""
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(REPORT_HEADER)
        for error in errors:
            writer.writerow(
                [
                    error.row,
                    error.column,
                    _spreadsheet_safe(error.value),
                    reason_zh(error.reason),
                    error.reason,
                ]
            )


def read_error_report(path: Path, *, limit: int) -> list[RowError]:
    """The first `limit` errors of a report written by `write_error_report`."""
    errors: list[RowError] = []
    with path.open(encoding="utf-8-sig", newline="") as f:
        rows = csv.reader(f)
        if next(rows, None) != list(REPORT_HEADER):
            raise ValueError(f"{path.name} is not an error report")
        for row, column, value, _reason_zh, reason in rows:
            if len(errors) == limit:
                break
            errors.append(RowError(int(row), column, _unsafe(value), reason))
    return errors
