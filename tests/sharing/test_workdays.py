"""Working-day calendar: real Chinese holiday facts, overrides, settings text and deadlines."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar  # type: ignore[import-untyped]
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quancheng.errors import ConfigurationError
from quancheng.sharing.rules import SharingRules
from quancheng.sharing.workdays import WorkCalendar, deadline, statutory_holidays

SHANGHAI = ZoneInfo("Asia/Shanghai")
CAL = WorkCalendar()

# Spans official years, the last official year and unofficial years on both sides.
any_day = st.dates(min_value=date(2002, 1, 1), max_value=date(2029, 12, 31))
small_n = st.integers(min_value=0, max_value=40)


def test_national_day_2025_is_off_and_its_weekends_are_worked() -> None:
    for offset in range(8):
        assert not CAL.is_workday(date(2025, 10, 1) + timedelta(days=offset))
    assert CAL.is_workday(date(2025, 9, 28))  # Sunday, 调休
    assert CAL.is_workday(date(2025, 10, 11))  # Saturday, 调休
    assert CAL.is_workday(date(2025, 10, 9))
    assert not CAL.is_workday(date(2025, 10, 12))  # an ordinary Sunday


def test_national_day_2025_deadline_skips_the_golden_week() -> None:
    # Sep 29, 30, Oct 9, 10, 11 (Saturday, worked).
    assert CAL.add_workdays(date(2025, 9, 28), 5) == date(2025, 10, 11)
    assert CAL.workdays_between(date(2025, 9, 30), date(2025, 10, 8)) == 0


def test_spring_festival_2026_ten_working_days_jump_over_the_holiday() -> None:
    # Feb 15-23 off; Feb 14 and Feb 28 (Saturdays) worked. From Tuesday Feb 10:
    # 11, 12, 13, 14(Sat), 24, 25, 26, 27, 28(Sat), then Monday Mar 2.
    for offset in range(9):
        assert not CAL.is_workday(date(2026, 2, 15) + timedelta(days=offset))
    assert CAL.add_workdays(date(2026, 2, 10), 10) == date(2026, 3, 2)
    assert CAL.add_workdays(date(2026, 2, 10), 9) == date(2026, 2, 28)
    assert CAL.workdays_between(date(2026, 2, 10), date(2026, 3, 2)) == 10


def test_adjusted_saturday_counts_as_a_working_day() -> None:
    saturday = date(2026, 2, 14)
    assert saturday.weekday() == 5
    assert CAL.is_workday(saturday)
    assert CAL.add_workdays(date(2026, 2, 13), 1) == saturday


def test_zero_days_is_the_start_itself_even_on_a_holiday() -> None:
    assert CAL.add_workdays(date(2025, 10, 3), 0) == date(2025, 10, 3)


def test_negative_days_are_refused() -> None:
    with pytest.raises(ValueError):
        CAL.add_workdays(date(2025, 10, 3), -1)


def test_official_range_comes_from_the_library() -> None:
    assert CAL.known_until() == date(2026, 12, 31)
    assert CAL.is_official(date(2026, 12, 31))
    assert CAL.is_official(date(2004, 1, 1))
    assert not CAL.is_official(date(2027, 1, 1))
    assert not CAL.is_official(date(2003, 12, 31))


def test_the_statutory_holidays_follow_the_law_in_every_published_year() -> None:
    # Since 2025 the law fixes 13 days: the computed ones are official holidays each year.
    for year in (2025, 2026):
        days = statutory_holidays(year)
        assert len(days) == 13
        assert all(chinese_calendar.is_holiday(day) for day in days), year
    assert date(2026, 2, 16) in statutory_holidays(2026)  # 除夕 of the Year of the Horse


def test_2027_keeps_its_statutory_holidays_before_the_schedule_is_published() -> None:
    # Regression: every weekday after the installed schedule counted as a working day, so
    # New Year's Day 2027 was one and a request passed on 18 December 2026 fell due on it.
    assert not CAL.is_workday(date(2027, 1, 1))  # New Year, a Friday
    assert not CAL.is_workday(date(2027, 1, 2))
    assert CAL.is_workday(date(2027, 1, 4))
    # 除夕 to 初三 of the Year of the Goat: Friday 5 to Monday 8 February 2027.
    spring = [CAL.is_workday(date(2027, 2, d)) for d in range(4, 10)]
    assert spring == [True, False, False, False, False, True]
    assert not CAL.is_workday(date(2027, 4, 5))  # 清明, a Monday
    assert [CAL.is_workday(date(2027, 5, d)) for d in (1, 2, 3)] == [False, False, True]
    assert not CAL.is_workday(date(2027, 6, 9))  # 端午, a Wednesday
    assert not CAL.is_workday(date(2027, 9, 15))  # 中秋, a Wednesday
    assert [CAL.is_workday(date(2027, 10, d)) for d in (1, 4)] == [False, True]
    # Thursday Dec 31 2026 -> (New Year's Day) -> Monday Jan 4, across the schedule's end.
    assert CAL.add_workdays(date(2026, 12, 31), 1) == date(2027, 1, 4)
    assert CAL.workdays_between(date(2026, 12, 25), date(2027, 1, 8)) == 9
    assert CAL.add_workdays(date(2026, 12, 18), 10) == date(2027, 1, 4)


def test_extra_holidays_and_workdays_override() -> None:
    cal = WorkCalendar(
        extra_holidays=[date(2027, 1, 1), date(2025, 9, 28), date(2027, 2, 6)],
        extra_workdays=[date(2027, 2, 6), date(2025, 10, 2)],
    )
    assert not cal.is_workday(date(2027, 1, 1))  # added holiday outside the schedule
    assert not cal.is_workday(date(2025, 9, 28))  # added holiday over an official 调休 Sunday
    assert cal.is_workday(date(2027, 2, 6))  # Saturday in both: the workday wins
    assert cal.is_workday(date(2025, 10, 2))  # workday over an official holiday
    assert cal.add_workdays(date(2026, 12, 31), 1) == date(2027, 1, 4)
    # The default calendar is untouched by another instance's overrides.
    assert CAL.is_workday(date(2025, 9, 28))  # the official 调休 Sunday
    assert not CAL.is_workday(date(2027, 2, 6))


def test_from_text_reads_comma_and_space_separated_dates() -> None:
    cal = WorkCalendar.from_text(
        holidays="2027-01-01,2027-02-05 2027-02-08,\n 2027-02-09 ", workdays="2027-02-06"
    )
    assert cal.extra_holidays == {
        date(2027, 1, 1),
        date(2027, 2, 5),
        date(2027, 2, 8),
        date(2027, 2, 9),
    }
    assert cal.extra_workdays == {date(2027, 2, 6)}
    assert not cal.is_workday(date(2027, 2, 5))
    assert cal.is_workday(date(2027, 2, 6))


def test_from_text_empty_is_the_official_calendar() -> None:
    cal = WorkCalendar.from_text(holidays="", workdays="  ")
    assert cal.extra_holidays == frozenset()
    assert cal.extra_workdays == frozenset()


@pytest.mark.parametrize("bad", ["2027-13-01", "20270101", "2027/01/01", "tomorrow", "2027-02-30"])
def test_from_text_names_the_bad_value(bad: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        WorkCalendar.from_text(workdays=f"2027-01-02, {bad}")
    assert bad in info.value.message
    assert info.value.details == {"setting": "workdays", "value": bad}
    assert info.value.code == "bad_calendar_date"
    assert info.value.status == 500


def test_datetimes_are_not_dates() -> None:
    with pytest.raises(TypeError):
        CAL.is_workday(datetime(2025, 10, 1, tzinfo=UTC))


def test_deadline_is_end_of_the_local_day_in_utc() -> None:
    start = datetime(2025, 9, 30, 3, 0, tzinfo=UTC)  # 11:00 in Shanghai, Tuesday
    end = deadline(start, 1, CAL, tz=SHANGHAI)
    assert end == datetime(2025, 10, 9, 15, 59, 59, 999999, tzinfo=UTC)
    assert end.utcoffset() == timedelta(0)
    local = end.astimezone(SHANGHAI)
    assert (local.date(), local.hour, local.minute, local.second) == (date(2025, 10, 9), 23, 59, 59)


def test_deadline_counts_from_the_local_date_not_the_utc_date() -> None:
    # 17:00 UTC Saturday Sep 27 is 01:00 on Sunday Sep 28 in Shanghai (a 调休 workday),
    # so the next working day is Monday Sep 29, not Sunday Sep 28.
    start = datetime(2025, 9, 27, 17, 0, tzinfo=UTC)
    assert deadline(start, 1, CAL, tz=SHANGHAI) == datetime(
        2025, 9, 29, 15, 59, 59, 999999, tzinfo=UTC
    )
    assert deadline(start, 0, CAL, tz=SHANGHAI) == datetime(
        2025, 9, 28, 15, 59, 59, 999999, tzinfo=UTC
    )


def test_deadline_refuses_naive_start() -> None:
    with pytest.raises(ValueError):
        deadline(datetime(2025, 9, 30, 12, 0), 1, CAL, tz=SHANGHAI)


@given(start=any_day, n=st.integers(min_value=1, max_value=40))
def test_result_is_a_workday(start: date, n: int) -> None:
    assert CAL.is_workday(CAL.add_workdays(start, n))


@given(start=any_day, n=small_n)
def test_between_inverts_add(start: date, n: int) -> None:
    assert CAL.workdays_between(start, CAL.add_workdays(start, n)) == n


@given(start=any_day, n=small_n)
def test_add_is_strictly_monotonic_in_n(start: date, n: int) -> None:
    assert CAL.add_workdays(start, n) < CAL.add_workdays(start, n + 1)


@settings(deadline=None)  # counts days over decades: slow on a busy machine, not wrong
@given(start=any_day, end=any_day)
def test_between_is_zero_backwards_and_bounded_by_calendar_days(start: date, end: date) -> None:
    count = CAL.workdays_between(start, end)
    assert 0 <= count <= max(0, (end - start).days)
    if end <= start:
        assert count == 0


@given(start=any_day, n=small_n, hour=st.integers(min_value=0, max_value=23))
def test_deadline_is_always_local_end_of_a_workday(start: date, n: int, hour: int) -> None:
    moment = datetime(start.year, start.month, start.day, hour, tzinfo=SHANGHAI)
    end = deadline(moment, n, CAL, tz=SHANGHAI)
    assert end.tzinfo is UTC
    local = end.astimezone(SHANGHAI)
    assert local.time().isoformat() == "23:59:59.999999"
    assert local.date() == CAL.add_workdays(start, n)
    assert end > moment


def test_the_schedule_left_counts_the_citys_own_next_year() -> None:
    rules = SharingRules(calendar=WorkCalendar(), tz=SHANGHAI)
    december = datetime(2026, 12, 2, 3, tzinfo=UTC)
    assert rules.calendar_days_left(december) == 29
    # Past midnight in Jinan on New Year's Eve (still the 31st in UTC) the schedule has run out.
    assert rules.calendar_days_left(datetime(2026, 12, 31, 17, tzinfo=UTC)) == -1
    # A city that entered 2027's 调休 (QC_SHARING_EXTRA_*) has 2027 covered.
    entered = WorkCalendar.from_text(holidays="2027-02-09", workdays="2027-02-20")
    assert SharingRules(calendar=entered, tz=SHANGHAI).calendar_days_left(december) == 29 + 365
