"""What the operations services pass each other: one observed attribute value."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

# The types the platform knows (FIWARE Smart Data Models), and who owns them in the demo city.
STREETLIGHT = "Streetlight"
STREETLIGHT_GROUP = "StreetlightGroup"
CONTROL_CABINET = "StreetlightControlCabinet"
AIR_QUALITY = "AirQualityObserved"
TRAFFIC_FLOW = "TrafficFlowObserved"
WATER_LEVEL = "WaterObserved"
ENTITY_TYPES = (
    STREETLIGHT,
    STREETLIGHT_GROUP,
    CONTROL_CABINET,
    AIR_QUALITY,
    TRAFFIC_FLOW,
    WATER_LEVEL,
)
# Failure flags a streetlight reports (TALQ); each true flag is an alarm.
STREETLIGHT_FLAGS = ("lampFailure", "relayFailure", "supplyLoss", "lampUnexpectedOn")


@dataclass(frozen=True)
class Observation:
    """One attribute value of one entity at one moment (a Property's value and observedAt)."""

    entity_id: str
    entity_type: str
    department_id: int
    district: str
    group_id: str
    attribute: str
    value: float | str | bool | None
    observed_at: datetime
    unit: str = ""


# Called with each committed batch of observations (telemetry history, alarms, subscriptions).
Observer = Callable[[Sequence[Observation]], None]
