"""Lighting plans: sunset and sunrise, fixed and astronomical programs, dimming, calendars."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from quancheng.errors import BadRequest
from quancheng.operations.lighting import (
    DIM,
    JINAN,
    OFF,
    ON,
    Override,
    Step,
    apply_overrides,
    calendar_matches,
    due_step,
    plan_for,
    sunrise,
    sunset,
    validate_calendar,
    validate_program,
)

TZ = ZoneInfo("Asia/Shanghai")
FIXED = {
    "kind": "fixed",
    "on": "18:30",
    "off": "06:00",
    "dimming": [["23:00", 0.5], ["05:00", 0.8]],
}


@dataclass
class Sched:
    """What plan_for reads of a schedule row."""

    id: int
    program: dict[str, Any]
    calendar: dict[str, Any] = field(default_factory=dict)
    priority: int = 0
    enabled: bool = True


def at(day: date, hhmm: str) -> datetime:
    return datetime.combine(day, time.fromisoformat(hhmm), tzinfo=TZ)


def minutes(d: datetime) -> int:
    local = d.astimezone(TZ)
    return local.hour * 60 + local.minute


def test_jinan_sunset_in_december_and_june() -> None:
    winter, summer = sunset(date(2026, 12, 15)), sunset(date(2026, 6, 21))
    assert abs(minutes(winter) - (17 * 60)) <= 20
    assert abs(minutes(summer) - (19 * 60 + 30)) <= 20
    assert winter.utcoffset() == timedelta(hours=8)
    # Sunrise: about 07:20 in December, 04:50 in June.
    assert abs(minutes(sunrise(date(2026, 12, 15))) - (7 * 60 + 20)) <= 20
    assert abs(minutes(sunrise(date(2026, 6, 21))) - (4 * 60 + 50)) <= 20


def test_fixed_program_with_dimming_crosses_midnight() -> None:
    day = date(2026, 12, 1)
    steps = plan_for(day, [Sched(7, validate_program(FIXED))])
    nxt = day + timedelta(days=1)
    assert steps == [
        Step(at(day, "18:30"), ON, None, 7),
        Step(at(day, "23:00"), DIM, 0.5, 7),
        Step(at(nxt, "05:00"), DIM, 0.8, 7),
        Step(at(nxt, "06:00"), OFF, None, 7),
    ]


def test_astronomical_program_follows_the_sun_with_offsets() -> None:
    day = date(2026, 12, 15)
    program = validate_program(
        {"kind": "astronomical", "on_offset_minutes": -10, "off_offset_minutes": 15}
    )
    steps = plan_for(day, [Sched(1, program)])
    assert [s.action for s in steps] == [ON, OFF]
    assert steps[0].at == sunset(day) - timedelta(minutes=10)
    assert steps[1].at == sunrise(day + timedelta(days=1)) + timedelta(minutes=15)
    summer = plan_for(date(2026, 6, 21), [Sched(1, program)])
    # Summer nights are shorter: later on, earlier off.
    assert minutes(summer[0].at) > minutes(steps[0].at) + 120
    assert summer[1].at - summer[0].at < steps[1].at - steps[0].at


def test_dimming_outside_the_night_is_ignored() -> None:
    program = validate_program(
        {
            "kind": "fixed",
            "on": "19:00",
            "off": "23:00",
            "dimming": [["22:00", 0.3], ["02:00", 0.2]],
        }
    )
    steps = plan_for(date(2026, 12, 1), [Sched(1, program)])
    assert [(s.action, s.level) for s in steps] == [(ON, None), (DIM, 0.3), (OFF, None)]


def test_calendars_and_priority_choose_one_program_per_day() -> None:
    everyday = Sched(1, validate_program(FIXED))
    weekend = Sched(
        2,
        validate_program({"kind": "fixed", "on": "18:00", "off": "07:00"}),
        calendar=validate_calendar({"weekdays": [5, 6]}),
        priority=1,
    )
    national_day = Sched(
        3,
        validate_program({"kind": "fixed", "on": "17:30", "off": "08:00"}),
        calendar=validate_calendar({"from": "2026-10-01", "to": "2026-10-07"}),
        priority=5,
    )
    switched_off = Sched(4, validate_program(FIXED), priority=99, enabled=False)
    schedules = [everyday, weekend, national_day, switched_off]
    assert plan_for(date(2026, 9, 30), schedules)[0].schedule_id == 1  # a Wednesday
    assert plan_for(date(2026, 10, 3), schedules)[0].schedule_id == 3  # a holiday Saturday
    assert plan_for(date(2026, 10, 10), schedules)[0].schedule_id == 2  # a Saturday
    # Same priority: a list of dates beats the every-day calendar.
    festival = Sched(
        5, validate_program(FIXED), calendar=validate_calendar({"dates": ["2026-09-30"]})
    )
    assert plan_for(date(2026, 9, 30), [everyday, festival])[0].schedule_id == 5
    assert plan_for(date(2026, 9, 30), [weekend]) == []


def test_calendar_conditions_all_hold() -> None:
    cal = validate_calendar({"weekdays": [0], "from": "2026-11-01", "to": "2026-11-30"})
    assert calendar_matches(cal, date(2026, 11, 2))  # a Monday in range
    assert not calendar_matches(cal, date(2026, 11, 3))
    assert not calendar_matches(cal, date(2026, 12, 7))  # a Monday after the range
    assert calendar_matches({}, date(2026, 1, 1))


def test_an_override_beats_the_schedule_until_it_expires() -> None:
    day = date(2026, 12, 1)
    steps = plan_for(day, [Sched(7, validate_program(FIXED))])
    override = Override(at(day, "22:30"), at(day, "23:30"), ON, None)
    result = apply_overrides(steps, [override])
    assert [(s.at, s.action, s.level) for s in result[:4]] == [
        (at(day, "18:30"), ON, None),
        (at(day, "22:30"), ON, None),
        # The 23:00 dimming is beaten; at expiry the schedule's state comes back.
        (at(day, "23:30"), DIM, 0.5),
        (at(day + timedelta(days=1), "05:00"), DIM, 0.8),
    ]
    assert due_step(result, at(day, "23:10")) == Step(at(day, "22:30"), ON, None, None)
    assert due_step(result, at(day, "12:00")) is None


@pytest.mark.parametrize(
    ("program", "code"),
    [
        ({"kind": "fixed", "on": "18:30"}, "invalid_time"),
        ({"kind": "fixed", "on": "24:00", "off": "06:00"}, "invalid_time"),
        ({"kind": "weekly"}, "invalid_program"),
        ({"kind": "astronomical", "on_offset_minutes": 600}, "invalid_program"),
        ({"kind": "astronomical", "dimming": [["23:00", 2]]}, "invalid_level"),
        ({"kind": "astronomical", "dimming": [["23:00"]]}, "invalid_program"),
        ("sunset", "invalid_program"),
    ],
)
def test_bad_programs_are_refused(program: Any, code: str) -> None:
    with pytest.raises(BadRequest) as caught:
        validate_program(program)
    assert caught.value.code == code


@pytest.mark.parametrize(
    "calendar",
    [
        {"weekdays": [7]},
        {"dates": ["2026-02-30"]},
        {"from": "2026-10-07", "to": "2026-10-01"},
        {"every": "day"},
        [],
    ],
)
def test_bad_calendars_are_refused(calendar: Any) -> None:
    with pytest.raises(BadRequest):
        validate_calendar(calendar)


hhmm = st.builds(lambda h, m: f"{h:02d}:{m:02d}", st.integers(0, 23), st.integers(0, 59))


@given(
    day=st.dates(date(2020, 1, 1), date(2035, 12, 31)),
    on=hhmm,
    off=hhmm,
    dims=st.lists(st.tuples(hhmm, st.floats(0, 1)), max_size=4),
)
def test_every_plan_is_one_night_in_order(
    day: date, on: str, off: str, dims: list[tuple[str, float]]
) -> None:
    program = validate_program(
        {"kind": "fixed", "on": on, "off": off, "dimming": [list(d) for d in dims]}
    )
    steps = plan_for(day, [Sched(1, program)])
    assert steps[0].action == ON and steps[-1].action == OFF
    assert steps[0].at.date() == day
    assert [s.at for s in steps] == sorted(s.at for s in steps)
    assert timedelta(0) < steps[-1].at - steps[0].at <= timedelta(days=1)
    assert all(s.action == DIM for s in steps[1:-1])


@given(day=st.dates(date(2020, 1, 1), date(2035, 12, 31)))
def test_astronomical_nights_in_jinan_are_sane(day: date) -> None:
    program = validate_program({"kind": "astronomical"})
    on, off = (s.at for s in plan_for(day, [Sched(1, program)], JINAN))
    assert 16 * 60 + 30 <= minutes(on) <= 20 * 60
    assert 4 * 60 + 30 <= minutes(off) <= 7 * 60 + 45
    assert timedelta(hours=9) < off - on < timedelta(hours=15)
