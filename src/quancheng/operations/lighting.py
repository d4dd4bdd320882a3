"""Lighting calendars, fixed and astronomical programs, dimming profiles: pure functions."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, NamedTuple, Protocol
from zoneinfo import ZoneInfo

from astral import Observer
from astral.sun import sunrise as _astral_sunrise
from astral.sun import sunset as _astral_sunset

from quancheng.errors import BadRequest

ON = "on"
OFF = "off"
DIM = "dim"
ACTIONS = (ON, OFF, DIM)
_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
# How far an astronomical offset may move the switching time (two hours either way).
MAX_OFFSET_MINUTES = 120


@dataclass(frozen=True)
class Place:
    """Where the lamps are: the city's coordinates and time zone."""

    latitude: float
    longitude: float
    timezone: str


JINAN = Place(latitude=36.6512, longitude=117.1201, timezone="Asia/Shanghai")


class Step(NamedTuple):
    """One transition of a night's plan: when (local, aware), what, and which schedule chose it."""

    at: datetime
    action: str
    level: float | None
    schedule_id: int | None = None


class ScheduleLike(Protocol):
    """What a plan needs of a schedule (OpsSchedule has these attributes)."""

    @property
    def id(self) -> int: ...
    @property
    def program(self) -> dict[str, Any]: ...
    @property
    def calendar(self) -> dict[str, Any]: ...
    @property
    def priority(self) -> int: ...
    @property
    def enabled(self) -> bool: ...


@dataclass(frozen=True)
class Override:
    """A command that beats the schedule from `start` until `end` (its expiry)."""

    start: datetime
    end: datetime
    action: str
    level: float | None = None


def sunset(day: date, place: Place = JINAN) -> datetime:
    """The sunset of a local date, in the place's time zone."""
    observer = Observer(latitude=place.latitude, longitude=place.longitude)
    return _astral_sunset(observer, date=day, tzinfo=ZoneInfo(place.timezone))


def sunrise(day: date, place: Place = JINAN) -> datetime:
    """The sunrise of a local date, in the place's time zone."""
    observer = Observer(latitude=place.latitude, longitude=place.longitude)
    return _astral_sunrise(observer, date=day, tzinfo=ZoneInfo(place.timezone))


def parse_hhmm(value: Any, field: str = "time") -> time:
    """A "HH:MM" local time of day, or BadRequest."""
    if not isinstance(value, str) or not (m := _HHMM.match(value)):
        raise BadRequest(
            f"{field} must be a time of day as HH:MM", code="invalid_time", details={field: value}
        )
    return time(int(m.group(1)), int(m.group(2)))


def _parse_date(value: Any, field: str) -> date:
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise BadRequest(
            f"{field} must be a date as YYYY-MM-DD", code="invalid_date", details={field: value}
        ) from None


def _offset(value: Any, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadRequest(f"{field} must be whole minutes", code="invalid_program")
    if abs(value) > MAX_OFFSET_MINUTES:
        raise BadRequest(
            f"{field} must be within ±{MAX_OFFSET_MINUTES} minutes", code="invalid_program"
        )
    return value


def check_level(value: Any, field: str = "level") -> float:
    """A dimming level from 0 to 1, or BadRequest."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise BadRequest(f"{field} must be a number from 0 to 1", code="invalid_level")
    return float(value)


def validate_program(program: Any) -> dict[str, Any]:
    """A program in its stored form (fixed or astronomical, optional dimming), or BadRequest."""
    if not isinstance(program, Mapping):
        raise BadRequest("program must be an object", code="invalid_program")
    kind = program.get("kind")
    clean: dict[str, Any] = {"kind": kind}
    if kind == "fixed":
        clean["on"] = parse_hhmm(program.get("on"), "program.on").strftime("%H:%M")
        clean["off"] = parse_hhmm(program.get("off"), "program.off").strftime("%H:%M")
    elif kind == "astronomical":
        clean["on_offset_minutes"] = _offset(
            program.get("on_offset_minutes", 0), "program.on_offset_minutes"
        )
        clean["off_offset_minutes"] = _offset(
            program.get("off_offset_minutes", 0), "program.off_offset_minutes"
        )
    else:
        raise BadRequest(
            'program.kind must be "fixed" or "astronomical"',
            code="invalid_program",
            details={"kind": kind},
        )
    dimming = program.get("dimming", [])
    if not isinstance(dimming, list):
        raise BadRequest(
            'program.dimming must be a list of ["HH:MM", level]', code="invalid_program"
        )
    steps: list[list[Any]] = []
    for item in dimming:
        if not isinstance(item, list | tuple) or len(item) != 2:
            raise BadRequest(
                'each dimming step must be ["HH:MM", level]',
                code="invalid_program",
                details={"step": item},
            )
        at = parse_hhmm(item[0], "program.dimming time").strftime("%H:%M")
        steps.append([at, check_level(item[1], "program.dimming level")])
    clean["dimming"] = steps
    if "level" in program:
        clean["level"] = check_level(program["level"], "program.level")
    return clean


def validate_calendar(calendar: Any) -> dict[str, Any]:
    """A calendar in its stored form ({} = every day), or BadRequest."""
    if not isinstance(calendar, Mapping):
        raise BadRequest("calendar must be an object", code="invalid_calendar")
    unknown = set(calendar) - {"weekdays", "dates", "from", "to"}
    if unknown:
        raise BadRequest(
            "unknown calendar keys", code="invalid_calendar", details={"keys": sorted(unknown)}
        )
    clean: dict[str, Any] = {}
    if "weekdays" in calendar:
        days = calendar["weekdays"]
        if not isinstance(days, list) or not all(
            isinstance(d, int) and not isinstance(d, bool) and 0 <= d <= 6 for d in days
        ):
            raise BadRequest(
                "calendar.weekdays must list days 0 (Monday) to 6 (Sunday)",
                code="invalid_calendar",
            )
        clean["weekdays"] = sorted(set(days))
    if "dates" in calendar:
        dates = calendar["dates"]
        if not isinstance(dates, list):
            raise BadRequest("calendar.dates must be a list of dates", code="invalid_calendar")
        clean["dates"] = sorted({_parse_date(d, "calendar.dates").isoformat() for d in dates})
    for key in ("from", "to"):
        if key in calendar:
            clean[key] = _parse_date(calendar[key], f"calendar.{key}").isoformat()
    if "from" in clean and "to" in clean and clean["from"] > clean["to"]:
        raise BadRequest("calendar.from is after calendar.to", code="invalid_calendar")
    return clean


def calendar_matches(calendar: Mapping[str, Any], day: date) -> bool:
    """Whether a calendar chooses its program on a day (every condition given must hold)."""
    if "weekdays" in calendar and day.weekday() not in calendar["weekdays"]:
        return False
    if "dates" in calendar and day.isoformat() not in calendar["dates"]:
        return False
    if "from" in calendar and day < date.fromisoformat(calendar["from"]):
        return False
    return not ("to" in calendar and day > date.fromisoformat(calendar["to"]))


def choose(day: date, schedules: Iterable[ScheduleLike]) -> ScheduleLike | None:
    """The enabled schedule whose calendar holds on the day, highest priority first.

    Ties go to the more specific calendar (dates, then ranges) and then to the lower id, so
    a holiday entry beats an every-day entry of the same priority.
    """

    def rank(s: ScheduleLike) -> tuple[int, int, int]:
        specific = 2 if "dates" in s.calendar else 1 if ("from" in s.calendar) else 0
        return (-s.priority, -specific, s.id)

    candidates = [s for s in schedules if s.enabled and calendar_matches(s.calendar, day)]
    return min(candidates, key=rank) if candidates else None


def _at(day: date, t: time, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, t, tzinfo=tz)


def night_steps(
    day: date, program: Mapping[str, Any], place: Place = JINAN, schedule_id: int | None = None
) -> list[Step]:
    """The night beginning on a local date under one program: on, dimming steps, off."""
    tz = ZoneInfo(place.timezone)
    if program["kind"] == "fixed":
        on_at = _at(day, parse_hhmm(program["on"]), tz)
        off_at = _at(day, parse_hhmm(program["off"]), tz)
        if off_at <= on_at:
            off_at += timedelta(days=1)
    else:
        on_at = sunset(day, place) + timedelta(minutes=program.get("on_offset_minutes", 0))
        off_at = sunrise(day + timedelta(days=1), place) + timedelta(
            minutes=program.get("off_offset_minutes", 0)
        )
    level = program.get("level")
    steps = [Step(on_at, ON, level, schedule_id)]
    for at_text, dim_level in program.get("dimming", []):
        t = parse_hhmm(at_text)
        # A dimming time before the switch-on time of day belongs to the next morning.
        at = _at(day, t, tz)
        if at < on_at:
            at = _at(day + timedelta(days=1), t, tz)
        if on_at < at < off_at:
            steps.append(Step(at, DIM, float(dim_level), schedule_id))
    steps.sort(key=lambda s: s.at)
    steps.append(Step(off_at, OFF, None, schedule_id))
    return steps


def plan_for(day: date, schedules: Iterable[ScheduleLike], place: Place = JINAN) -> list[Step]:
    """The transitions of the night beginning on a local date: (at, action, level, schedule).

    The calendar picks one schedule for the day (priority decides overlaps); no schedule
    for the day means no transitions.
    """
    chosen = choose(day, schedules)
    if chosen is None:
        return []
    return night_steps(day, chosen.program, place, chosen.id)


def apply_overrides(steps: Sequence[Step], overrides: Sequence[Override]) -> list[Step]:
    """The plan with overrides: an override beats the schedule until it expires.

    Scheduled steps inside an override's window are dropped; at its expiry the state the
    schedule would have set by then is restored.
    """
    ordered = sorted(steps, key=lambda s: s.at)
    result: list[Step] = []
    for step in ordered:
        if not any(o.start <= step.at < o.end for o in overrides):
            result.append(step)
    for o in overrides:
        result.append(Step(o.start, o.action, o.level, None))
        if any(other.start <= o.end < other.end for other in overrides if other is not o):
            continue
        before = [s for s in ordered if s.at <= o.end]
        if before:
            last = before[-1]
            result.append(Step(o.end, last.action, last.level, last.schedule_id))
    result.sort(key=lambda s: s.at)
    return result


def due_step(steps: Sequence[Step], now: datetime) -> Step | None:
    """The latest step at or before `now`: the state the lamps should be in."""
    past = [s for s in steps if s.at <= now]
    return max(past, key=lambda s: s.at) if past else None
