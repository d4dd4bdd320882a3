"""China's one time zone (UTC+8, no daylight saving), for dates that are national by nature.

Resident ID cards give birth dates in Beijing time and the pages show times as people in
China read them. A fixed offset needs no tz database; the city's own zone for deadlines and
schedules is the `timezone` setting.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

CHINA_TIME = timezone(timedelta(hours=8), "CST")


def china_today() -> date:
    """Today's date in China (servers' clocks usually run in UTC, still yesterday until 08:00)."""
    return datetime.now(CHINA_TIME).date()
