"""Working-day calendar for sharing-request deadlines: weekends, public holidays and 调休."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

# The packages ship no type information; we call three functions of the first and convert
# lunar dates with the second.
import chinese_calendar  # type: ignore[import-untyped]
from lunar_python import Lunar  # type: ignore[import-untyped]

from quancheng.errors import ConfigurationError

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_SEPARATORS = re.compile(r"[,\s]+")
# Thousands of open requests share a few hundred distinct dates; this bounds memory anyway.
_CACHE_SIZE = 8192


@lru_cache(maxsize=1)
def _official_range() -> tuple[date, date]:
    """First and last day of the years the installed library has a schedule for."""
    # The library validates by the years present in its holiday table, so mirror that exactly.
    years = [day.year for day in chinese_calendar.holidays]
    return date(min(years), 1, 1), date(max(years), 12, 31)


@lru_cache(maxsize=64)
def statutory_holidays(year: int) -> frozenset[date]:
    """The 13 days off the law fixes for every year (全国年节及纪念日放假办法, as of 2025).

    元旦 1 January; 春节 除夕 and 正月初一 to 初三; 清明节 the day of the solar term; 劳动节
    1 and 2 May; 端午节 五月初五; 中秋节 八月十五; 国庆节 1 to 3 October. The State Council's
    yearly schedule adds bridge days and swaps weekends (调休) around these; it cannot take
    any of them away.
    """
    spring = _solar(Lunar.fromYmd(year, 1, 1))
    days = {spring + timedelta(days=n) for n in (-1, 0, 1, 2)}
    days |= {_solar(Lunar.fromYmd(year, 5, 5)), _solar(Lunar.fromYmd(year, 8, 15))}
    days |= {
        day
        for day, name in chinese_calendar.get_solar_terms(date(year, 4, 1), date(year, 4, 30))
        if name == "清明"
    }
    days |= {date(year, 1, 1), date(year, 5, 1), date(year, 5, 2)}
    days |= {date(year, 10, n) for n in (1, 2, 3)}
    return frozenset(days)


def _solar(lunar: Any) -> date:
    solar = lunar.getSolar()
    return date(solar.getYear(), solar.getMonth(), solar.getDay())


@lru_cache(maxsize=_CACHE_SIZE)
def _base_is_workday(day: date) -> bool:
    """Official answer inside the library's range; after it, weekdays but the statutory days."""
    first, last = _official_range()
    if first <= day <= last:
        return bool(chinese_calendar.is_workday(day))
    if day < first:
        return day.weekday() < 5
    # A year the State Council has not published yet (or the installed package does not
    # know): its statutory holidays are certain, its bridge days and 调休 are not. Cities add
    # those through extra_holidays / extra_workdays rather than the platform refusing deadlines.
    return day.weekday() < 5 and day not in statutory_holidays(day.year)


def _plain_date(value: date, what: str) -> date:
    """Reject datetimes: they hash differently from dates and hide a timezone decision."""
    if isinstance(value, datetime) or not isinstance(value, date):
        raise TypeError(f"{what} must be a datetime.date, not {type(value).__name__}")
    return value


class WorkCalendar:
    """Working days in mainland China: weekends, public holidays and 调休 working weekends."""

    def __init__(
        self, *, extra_holidays: Iterable[date] = (), extra_workdays: Iterable[date] = ()
    ) -> None:
        self._extra_holidays = frozenset(_plain_date(d, "extra holiday") for d in extra_holidays)
        self._extra_workdays = frozenset(_plain_date(d, "extra workday") for d in extra_workdays)

    @classmethod
    def from_text(cls, *, holidays: str = "", workdays: str = "") -> WorkCalendar:
        """Build from comma/space separated ISO dates, as written in a setting."""
        return cls(
            extra_holidays=_parse_dates(holidays, "holidays"),
            extra_workdays=_parse_dates(workdays, "workdays"),
        )

    @property
    def extra_holidays(self) -> frozenset[date]:
        """Days off added on top of the official schedule."""
        return self._extra_holidays

    @property
    def extra_workdays(self) -> frozenset[date]:
        """Working days added on top of the official schedule (they win over everything)."""
        return self._extra_workdays

    def is_workday(self, day: date) -> bool:
        """Whether people work on `day`."""
        day = _plain_date(day, "day")
        if day in self._extra_workdays:
            return True
        if day in self._extra_holidays:
            return False
        return _base_is_workday(day)

    def add_workdays(self, start: date, days: int) -> date:
        """The `days`-th working day after `start` (start itself never counts); 0 gives start."""
        start = _plain_date(start, "start")
        if days < 0:
            raise ValueError(f"days must be >= 0, got {days}")
        day = start
        remaining = days
        one = date.resolution
        while remaining:
            day += one
            if self.is_workday(day):
                remaining -= 1
        return day

    def workdays_between(self, start: date, end: date) -> int:
        """Number of working days d with start < d <= end; 0 when end <= start."""
        start = _plain_date(start, "start")
        end = _plain_date(end, "end")
        count = 0
        day = start
        one = date.resolution
        while day < end:
            day += one
            if self.is_workday(day):
                count += 1
        return count

    def known_until(self) -> date:
        """Last day the official schedule of the installed library covers."""
        return _official_range()[1]

    def covered_until(self) -> date:
        """Last day of the official schedule, or of a later year the city's own dates reach.

        A city that entered next year's schedule (its extra holidays and workdays) has that
        year covered; after this day only weekends and the statutory holidays are known.
        """
        last = self.known_until()
        extra = max(self._extra_holidays | self._extra_workdays, default=last)
        return max(last, date(extra.year, 12, 31)) if extra.year > last.year else last

    def is_official(self, day: date) -> bool:
        """Whether `day` lies inside the official schedule's range."""
        day = _plain_date(day, "day")
        first, last = _official_range()
        return first <= day <= last

    def __repr__(self) -> str:
        return (
            f"WorkCalendar(extra_holidays={sorted(self._extra_holidays)!r}, "
            f"extra_workdays={sorted(self._extra_workdays)!r})"
        )


def _parse_dates(text: str, setting: str) -> list[date]:
    """ISO dates from a setting's text; the error names the offending value."""
    result: list[date] = []
    for token in _SEPARATORS.split(text.strip()):
        if not token:
            continue
        try:
            # fromisoformat alone also accepts "20270101" and week dates; settings must be plain.
            if not _ISO_DATE.fullmatch(token):
                raise ValueError(token)
            result.append(date.fromisoformat(token))
        except ValueError:
            raise ConfigurationError(
                f"Extra {setting}: {token!r} is not a date like 2027-01-01",
                code="bad_calendar_date",
                details={"setting": setting, "value": token},
            ) from None
    return result


def deadline(start: datetime, days: int, calendar: WorkCalendar, *, tz: ZoneInfo) -> datetime:
    """End (23:59:59.999999 in `tz`) of the `days`-th working day after start's local date, UTC."""
    if start.tzinfo is None or start.utcoffset() is None:
        raise ValueError("start must be timezone-aware")
    local_day = start.astimezone(tz).date()
    last_day = calendar.add_workdays(local_day, days)
    return datetime.combine(last_day, time.max, tzinfo=tz).astimezone(UTC)
