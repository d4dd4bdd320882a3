"""Freshness against the promised update cycle."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from quancheng.catalog.model import UpdateCycle
from quancheng.datastore.freshness import Freshness, due_at, freshness

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("cycle", "age", "expected"),
    [
        (UpdateCycle.DAILY, timedelta(hours=30), Freshness.ON_TIME),
        (UpdateCycle.DAILY, timedelta(days=3), Freshness.LATE),
        (UpdateCycle.MONTHLY, timedelta(days=20), Freshness.ON_TIME),
        (UpdateCycle.MONTHLY, timedelta(days=40), Freshness.LATE),
        (UpdateCycle.YEARLY, timedelta(days=300), Freshness.ON_TIME),
        (UpdateCycle.REALTIME, timedelta(days=2), Freshness.LATE),
    ],
)
def test_freshness_follows_the_cycle(
    cycle: UpdateCycle, age: timedelta, expected: Freshness
) -> None:
    assert freshness(cycle, NOW - age, NOW) is expected


def test_never_loaded_is_no_data_and_due_dates_advance() -> None:
    assert freshness("weekly", None, NOW) is Freshness.NO_DATA
    assert due_at("weekly", NOW) > NOW
    assert due_at("yearly", NOW) > due_at("quarterly", NOW) > due_at("weekly", NOW)
