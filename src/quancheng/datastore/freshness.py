"""Whether a dataset is updated as often as its catalog entry promises (pure)."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from quancheng.catalog.model import UpdateCycle

# How long a version stays fresh for each promised cycle, with a little grace for
# a department that loads on the morning after the period ends.
_PERIOD = {
    UpdateCycle.REALTIME: timedelta(days=1),
    UpdateCycle.DAILY: timedelta(days=2),
    UpdateCycle.WEEKLY: timedelta(days=8),
    UpdateCycle.MONTHLY: timedelta(days=32),
    UpdateCycle.QUARTERLY: timedelta(days=93),
    UpdateCycle.SEMIANNUAL: timedelta(days=184),
    UpdateCycle.YEARLY: timedelta(days=367),
}


class Freshness(StrEnum):
    """On time, late, or never loaded."""

    ON_TIME = "on_time"
    LATE = "late"
    NO_DATA = "no_data"


def freshness(cycle: UpdateCycle | str, last_loaded: datetime | None, now: datetime) -> Freshness:
    """Compare the last load with the entry's update cycle."""
    if last_loaded is None:
        return Freshness.NO_DATA
    period = _PERIOD[UpdateCycle(cycle)]
    return Freshness.ON_TIME if now - last_loaded <= period else Freshness.LATE


def due_at(cycle: UpdateCycle | str, last_loaded: datetime) -> datetime:
    """When the next load is due to keep the dataset on time."""
    return last_loaded + _PERIOD[UpdateCycle(cycle)]
