"""What the operations services pass each other: one observed attribute value."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, NamedTuple

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
# What a streetlight's state on the screen is made of.
LAMP_INPUTS = ("powerState", "status", *STREETLIGHT_FLAGS)
_TRUE = (True, 1, "1", "true", "True")


def lamp_state(values: Mapping[str, Any]) -> str:
    """A streetlight's state for the screen: faulty, on or off (from attribute values)."""
    if any(values.get(flag) in _TRUE for flag in STREETLIGHT_FLAGS):
        return "faulty"
    if values.get("status") not in (None, "", "ok"):
        return "faulty"
    return "on" if values.get("powerState") in ("on", "low") else "off"


def lamp_inputs(attrs: Mapping[str, Any]) -> dict[str, Any]:
    """The values lamp_state reads, from normalized attributes."""
    out: dict[str, Any] = {}
    for name in LAMP_INPUTS:
        attr = attrs.get(name)
        if isinstance(attr, Mapping):
            out[name] = attr.get("value")
    return out


def entity_state(entity_type: str, attrs: Mapping[str, Any] | None) -> str:
    """The state column of an entity: a streetlight's on/off/faulty, empty for other types."""
    if entity_type != STREETLIGHT:
        return ""
    return lamp_state(lamp_inputs(attrs or {}))


# The version of the state column entity_state makes. Raise it with any change to
# lamp_state, lamp_inputs or entity_state: every stored state is then computed again after
# the next `migrate` (derived data, db/derived.py; the rebuild is latest.LAMP_STATES).
LAMP_STATE_VERSION = 1


class Observation(NamedTuple):
    """One attribute value of one entity at one moment (a Property's value and observedAt).

    A named tuple: the telemetry hot path builds hundreds of thousands a second.
    """

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
