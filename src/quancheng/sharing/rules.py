"""The exchange's deadlines and limits, from settings, with working-day arithmetic."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from quancheng.settings import Settings
from quancheng.sharing.model import RequestState
from quancheng.sharing.workdays import WorkCalendar, deadline


@dataclass(frozen=True)
class SharingRules:
    """Deadlines and limits of the exchange, from settings."""

    calendar: WorkCalendar
    tz: ZoneInfo
    compliance_check: bool = True
    compliance_days: int = 2
    provider_days: int = 10
    coordination_days: int = 10
    dispute_days: int = 5
    subscription_days: int = 365
    max_period_days: int = 1095

    @classmethod
    def from_settings(cls, settings: Settings) -> SharingRules:
        """The rules a city configured."""
        return cls(
            calendar=WorkCalendar.from_text(
                holidays=settings.sharing_extra_holidays, workdays=settings.sharing_extra_workdays
            ),
            tz=ZoneInfo(settings.timezone),
            compliance_check=settings.sharing_compliance_check,
            compliance_days=settings.sharing_compliance_days,
            provider_days=settings.sharing_provider_days,
            coordination_days=settings.sharing_coordination_days,
            dispute_days=settings.sharing_dispute_days,
            subscription_days=settings.sharing_subscription_days,
            max_period_days=settings.sharing_max_period_days,
        )

    def days_for(self, state: RequestState) -> int | None:
        """Working days allowed in a pending state."""
        return {
            RequestState.COMPLIANCE_CHECK: self.compliance_days,
            RequestState.PENDING_PROVIDER: self.provider_days,
            RequestState.NEGOTIATING: self.provider_days,
            RequestState.COORDINATING: self.coordination_days,
        }.get(state)

    def deadline(self, start: datetime, days: int) -> datetime:
        """End of the `days`-th working day after `start`."""
        return deadline(start, days, self.calendar, tz=self.tz)

    def calendar_days_left(self, now: datetime) -> int:
        """Days from today (in the city) to the last day the holiday schedule covers."""
        return (self.calendar.covered_until() - now.astimezone(self.tz).date()).days

    def workdays(self, start: datetime, end: datetime) -> int:
        """Working days from `start` to `end` (local dates)."""
        return self.calendar.workdays_between(
            start.astimezone(self.tz).date(), end.astimezone(self.tz).date()
        )
