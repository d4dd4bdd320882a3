"""Column type inference for ingest: a column is typed only when every value proves it.

Inference never destroys data: anything that could lose a leading zero, a digit of a long
code, or an impossible date stays TEXT. Profiles keep counters and flags only, so they run
over millions of rows in bounded memory; every test is a vectorised pyarrow.compute call.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from quancheng.datastore.schema import (
    DATE_PATTERN,
    DOUBLE_PATTERN,
    FALSE_WORDS,
    INTEGER_PATTERN,
    TIMESTAMP_PATTERN,
    TRUE_WORDS,
    Column,
    ColumnType,
)


def _named_groups(pattern: str, names: Iterable[str]) -> str:
    """The pattern with its capturing groups named in order (pyarrow's extract_regex needs it)."""
    it = iter(names)
    return re.sub(r"\((?!\?)", lambda _: f"(?P<{next(it)}>", pattern)


# Derived from the schema patterns so that what inference accepts is exactly what the
# backends cast.
_DATE_GROUPS = _named_groups(DATE_PATTERN, ("y", "m", "d"))
_TIMESTAMP_GROUPS = _named_groups(TIMESTAMP_PATTERN, ("y", "m", "d", "hh", "mi", "ss", "frac"))
_BOOL_WORDS = pa.array(sorted(TRUE_WORDS | FALSE_WORDS), pa.string())
# The integer part of a number with 11 or more digits: a mobile, ID or account number.
_LONG_DIGITS = r"^\s*[+-]?\d{11}"
# Same-length numbers this long are codes (administrative divisions, postcodes).
_CODE_DIGITS = 6

_CODE_LABEL = re.compile("编码|代码|编号|号码|电话|手机|身份证|证件号|邮编|邮政编码|账号|帐号|卡号")
_CODE_WORDS = frozenset(
    {
        "code",
        "codes",
        "phone",
        "telephone",
        "cellphone",
        "tel",
        "mobile",
        "zip",
        "zipcode",
        "postcode",
        "postcodes",
        "id",
        "ids",
    }
)

# Which stored types a catalog data item type (DataType code) admits. A hint only narrows
# what the values already prove; it never forces a type.
_HINT_ALLOWS: dict[str, frozenset[ColumnType]] = {
    "C": frozenset(),
    "M": frozenset(),
    "B": frozenset(),
    "I": frozenset({ColumnType.INTEGER}),
    "N": frozenset({ColumnType.INTEGER, ColumnType.DOUBLE}),
    "F": frozenset({ColumnType.INTEGER, ColumnType.DOUBLE}),
    "Y": frozenset({ColumnType.INTEGER, ColumnType.DOUBLE}),
    "D": frozenset({ColumnType.DATE}),
    "T": frozenset({ColumnType.DATE, ColumnType.TIMESTAMP}),
    "L": frozenset({ColumnType.BOOLEAN}),
}
_NUMERIC_HINTS = frozenset({"I", "N", "F", "Y"})


def _strings(values: Any) -> Any:
    """A plain string array from an Array or ChunkedArray of any string-like type."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if not pa.types.is_string(values.type):
        values = values.cast(pa.string())
    return values


def _all(mask: Any) -> bool:
    """True when every non-null entry of a boolean array is true (vacuously for none)."""
    return bool(pc.all(mask, skip_nulls=True, min_count=0).as_py() is not False)


def _pad2(values: Any) -> Any:
    return pc.utf8_lpad(values, width=2, padding="0")


def _round_trips(text: Any, fmt: str) -> Any:
    """Whether each zero-padded text parses and formats back unchanged (a real calendar date).

    strptime alone rolls 2024-02-30 over to March 1st; formatting back exposes that.
    """
    parsed = pc.strptime(text, format=fmt, unit="s", error_is_null=True)
    back = pc.strftime(parsed, format=fmt)
    return pc.fill_null(pc.equal(back, text), False)


def valid_dates(values: Any) -> Any:
    """Per value: matches DATE_PATTERN and names a real calendar date (null stays null)."""
    values = _strings(values)
    parts = pc.extract_regex(values, pattern=_DATE_GROUPS)
    text = pc.binary_join_element_wise(
        parts.field("y"), _pad2(parts.field("m")), _pad2(parts.field("d")), "-"
    )
    return pc.if_else(pc.is_null(values), None, _round_trips(text, "%Y-%m-%d"))


# Canonical "YYYY-MM-DD HH:MM:SS", by far the most common way a timestamp is written.
_ISO_TIMESTAMP = r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$"


def valid_timestamps(values: Any) -> Any:
    """Per value: matches TIMESTAMP_PATTERN and names a real date and time of day."""
    values = _strings(values)
    iso = pc.fill_null(pc.match_substring_regex(values, pattern=_ISO_TIMESTAMP), False)
    if not pc.any(iso).as_py():
        return _valid_timestamps_by_pattern(values)
    # Every value is distinct in a time series, but its days repeat: check the calendar
    # once per distinct day, and the clock by comparing digits (no parsing at all).
    days = pc.utf8_slice_codeunits(values, 0, 10)
    distinct = pc.unique(pc.filter(days, iso))
    real_days = pc.filter(distinct, valid_dates(distinct))
    clock_ok = pc.and_(
        pc.and_(
            pc.less(pc.utf8_slice_codeunits(values, 11, 13), "24"),
            pc.less(pc.utf8_slice_codeunits(values, 14, 16), "60"),
        ),
        pc.less(pc.utf8_slice_codeunits(values, 17, 19), "60"),
    )
    fast = pc.and_(pc.is_in(days, value_set=real_days), clock_ok)
    if pc.all(iso).as_py():
        return pc.if_else(pc.is_null(values), None, fast)
    return pc.if_else(iso, fast, _valid_timestamps_by_pattern(values))


def _valid_timestamps_by_pattern(values: Any) -> Any:
    parts = pc.extract_regex(values, pattern=_TIMESTAMP_GROUPS)
    # Seconds are optional in the pattern; an absent group comes back empty.
    seconds = parts.field("ss")
    seconds = pc.if_else(pc.equal(pc.utf8_length(seconds), 0), "00", seconds)
    day = pc.binary_join_element_wise(
        parts.field("y"), _pad2(parts.field("m")), _pad2(parts.field("d")), "-"
    )
    clock = pc.binary_join_element_wise(
        _pad2(parts.field("hh")), parts.field("mi"), _pad2(seconds), ":"
    )
    text = pc.binary_join_element_wise(day, clock, " ")
    return pc.if_else(pc.is_null(values), None, _round_trips(text, "%Y-%m-%d %H:%M:%S"))


def label_names_code(label: str) -> bool:
    """Whether a header names a code or contact (编号, 联系电话, zip, id…): keep it TEXT."""
    if _CODE_LABEL.search(label):
        return True
    # Split on non-letters and camelCase humps so that user_id and postCode count as words.
    words = re.split(r"[^A-Za-z]+|(?<=[a-z])(?=[A-Z])", label)
    return any(w.lower() in _CODE_WORDS for w in words)


class ColumnProfile:
    """What the values of one column have proved so far, batch by batch."""

    __slots__ = (
        "boolean",
        "count",
        "date",
        "double",
        "integer",
        "long_digits",
        "max_digits",
        "min_digits",
        "timestamp",
    )

    def __init__(self) -> None:
        self.count = 0
        self.boolean = True
        self.integer = True
        self.double = True
        self.date = True
        self.timestamp = True
        self.long_digits = False
        self.min_digits: int | None = None
        self.max_digits: int | None = None

    def observe(self, values: pa.Array) -> None:
        """Narrow the candidate types by one batch of string values (nulls are empty cells)."""
        if not (self.boolean or self.integer or self.double or self.date or self.timestamp):
            # Proved to be text: only the count is left to keep.
            self.count += len(values) - values.null_count
            return
        present = pc.drop_null(_strings(values))
        if len(present) == 0:
            return
        self.count += len(present)
        if self.boolean:
            words = pc.utf8_lower(pc.utf8_trim_whitespace(present))
            self.boolean = _all(pc.is_in(words, value_set=_BOOL_WORDS))
            if self.boolean:
                # Boolean words are neither numbers nor dates: nothing else is left to test.
                self.integer = self.double = self.date = self.timestamp = False
                return
        if self.integer:
            self.integer = _all(pc.match_substring_regex(present, pattern=INTEGER_PATTERN))
            if self.integer:
                digits = pc.utf8_length(pc.replace_substring_regex(present, r"[^0-9]", ""))
                bounds = pc.min_max(digits)
                low, high = bounds["min"].as_py(), bounds["max"].as_py()
                self.min_digits = low if self.min_digits is None else min(self.min_digits, low)
                self.max_digits = high if self.max_digits is None else max(self.max_digits, high)
        if not self.integer and self.double:
            self.double = _all(pc.match_substring_regex(present, pattern=DOUBLE_PATTERN))
        if self.integer or self.double:
            if not self.long_digits:
                long = pc.any(pc.match_substring_regex(present, pattern=_LONG_DIGITS))
                self.long_digits = bool(long.as_py())
            # Numbers are not dates.
            self.date = self.timestamp = False
            return
        if self.date:
            # Calendar checks run on distinct values: a date column repeats few of them.
            self.date = _all(pc.match_substring_regex(present, pattern=DATE_PATTERN)) and _all(
                valid_dates(pc.unique(present))
            )
            if self.date:
                self.timestamp = False
                return
        if self.timestamp:
            self.timestamp = _all(
                pc.match_substring_regex(present, pattern=TIMESTAMP_PATTERN)
            ) and _all(valid_timestamps(pc.unique(present)))

    @property
    def same_length_codes(self) -> bool:
        """All values are integers of one length of at least six digits (e.g. 370102)."""
        return (
            self.integer
            and self.min_digits is not None
            and self.min_digits == self.max_digits
            and self.min_digits >= _CODE_DIGITS
        )

    def candidate(self, *, numeric_hint: bool = False) -> tuple[ColumnType, str]:
        """The type the values prove; a numeric catalog hint overrides the same-length rule."""
        if self.count == 0:
            return ColumnType.TEXT, ""
        if self.boolean:
            return ColumnType.BOOLEAN, "bool"
        if self.integer or self.double:
            if self.long_digits or (self.same_length_codes and not numeric_hint):
                return ColumnType.TEXT, ""
            return (ColumnType.INTEGER if self.integer else ColumnType.DOUBLE), ""
        if self.date:
            return ColumnType.DATE, "ymd"
        if self.timestamp:
            return ColumnType.TIMESTAMP, "ymd_hms"
        return ColumnType.TEXT, ""

    def result(self) -> tuple[ColumnType, str]:
        """(type, parse) for Column from the values alone."""
        return self.candidate()


def infer_columns(
    names: Sequence[str],
    labels: Sequence[str],
    profiles: Sequence[ColumnProfile],
    hints: Sequence[str | None] = (),
) -> list[Column]:
    """Typed columns from the profiles, the header labels and the linked item types."""
    if not len(names) == len(labels) == len(profiles):
        raise ValueError("names, labels and profiles must have the same length")
    if len(hints) > len(names):
        raise ValueError("more hints than columns")
    columns: list[Column] = []
    for i, (name, label, profile) in enumerate(zip(names, labels, profiles, strict=True)):
        hint = (hints[i] or "").strip().upper() if i < len(hints) else ""
        kind, parse = profile.candidate(numeric_hint=hint in _NUMERIC_HINTS)
        allowed = _HINT_ALLOWS.get(hint)
        if (
            label_names_code(label)
            or label_names_code(name)
            or (allowed is not None and kind not in allowed)
        ):
            kind, parse = ColumnType.TEXT, ""
        columns.append(Column(name, label, kind, parse=parse))
    return columns
