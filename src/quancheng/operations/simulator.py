"""A realistic Jinan device fleet: where the devices are, what they report, and a sender.

The fleet is placed in the city's 12 districts (approximate centres, and simplified district
cells: a Voronoi-like tessellation around the centres clipped to a hand-drawn outline of the
city; they are NOT official boundaries). Its readings follow the day: lamps switch on in a burst
at dusk and off at dawn (astral, for the city's coordinates), a few fail and are repaired,
air quality follows a daily cycle, traffic peaks in the rush hours, the springs' levels drift
slowly. `Simulator` sends it to a running platform over HTTP (NGSI-LD batch upsert) or MQTT.
"""

from __future__ import annotations

import json
import logging
import math
import random
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import httpx

from quancheng.operations.model import (
    AIR_QUALITY,
    CONTROL_CABINET,
    STREETLIGHT,
    STREETLIGHT_GROUP,
    TRAFFIC_FLOW,
    WATER_LEVEL,
)

# Readings go where gateways send them (answered once in the history).
TELEMETRY_PATH = "/api/v1/ops/telemetry"
log = logging.getLogger(__name__)

CITY_LATITUDE = 36.65
CITY_LONGITUDE = 117.12
TIMEZONE = "Asia/Shanghai"


@dataclass(frozen=True)
class District:
    """One of Jinan's 12 districts and counties: code, names, approximate centre, lamp share."""

    code: str
    name: str
    name_en: str
    lon: float
    lat: float
    # Share of the city's streetlights (the old urban districts are the densest).
    weight: float
    # How far (degrees) its roads spread around the centre.
    spread: float


# Centres are approximate (for the tessellation, some are moved towards the district's middle
# rather than its government seat, e.g. 历城 reaches far into the southern mountains).
DISTRICTS: tuple[District, ...] = (
    District("370102", "历下区", "Lixia", 117.076, 36.667, 0.14, 0.035),
    District("370103", "市中区", "Shizhong", 116.985, 36.600, 0.12, 0.035),
    District("370104", "槐荫区", "Huaiyin", 116.900, 36.660, 0.10, 0.035),
    District("370105", "天桥区", "Tianqiao", 116.990, 36.730, 0.10, 0.035),
    District("370112", "历城区", "Licheng", 117.220, 36.600, 0.16, 0.080),
    District("370113", "长清区", "Changqing", 116.750, 36.550, 0.06, 0.080),
    District("370114", "章丘区", "Zhangqiu", 117.530, 36.710, 0.09, 0.080),
    District("370115", "济阳区", "Jiyang", 117.170, 36.980, 0.05, 0.080),
    District("370116", "莱芜区", "Laiwu", 117.660, 36.210, 0.08, 0.080),
    District("370117", "钢城区", "Gangcheng", 117.810, 36.060, 0.03, 0.040),
    District("370124", "平阴县", "Pingyin", 116.450, 36.290, 0.03, 0.060),
    District("370126", "商河县", "Shanghe", 117.160, 37.310, 0.04, 0.060),
)
DISTRICT_BY_CODE = {d.code: d for d in DISTRICTS}
# A simplified outline of the city (lon, lat), clockwise from the north; hand drawn.
CITY_OUTLINE: tuple[tuple[float, float], ...] = (
    (117.05, 37.55),
    (117.40, 37.45),
    (117.45, 37.10),
    (117.55, 36.95),
    (117.75, 36.75),
    (117.95, 36.45),
    (118.00, 36.10),
    (117.85, 35.95),
    (117.60, 36.00),
    (117.35, 36.15),
    (117.15, 36.35),
    (116.95, 36.30),
    (116.75, 36.18),
    (116.50, 36.05),
    (116.25, 36.15),
    (116.20, 36.38),
    (116.45, 36.50),
    (116.70, 36.62),
    (116.85, 36.72),
    (116.98, 36.85),
    (117.00, 37.05),
    (116.95, 37.30),
)
# The bounding box of the outline: every device lies inside it.
BOUNDS = (116.20, 35.95, 118.00, 37.55)  # west, south, east, north


@dataclass(frozen=True)
class Spring:
    """A spring's water gauge (metres above sea level; `stop` is where it stops gushing)."""

    key: str
    name: str
    district: str
    lon: float
    lat: float
    level: float
    stop: float


SPRINGS: tuple[Spring, ...] = (
    Spring("baotu", "趵突泉", "370102", 117.0157, 36.6617, 28.90, 27.60),
    Spring("heihu", "黑虎泉", "370102", 117.0270, 36.6596, 28.70, 27.20),
    Spring("wulongtan", "五龙潭", "370102", 117.0137, 36.6658, 28.85, 27.50),
    Spring("zhenzhu", "珍珠泉", "370102", 117.0225, 36.6675, 28.95, 27.60),
    Spring("pipa", "琵琶泉", "370102", 117.0262, 36.6597, 28.65, 27.20),
    Spring("shuyu", "漱玉泉", "370102", 117.0160, 36.6614, 28.90, 27.60),
    Spring("jinxian", "金线泉", "370102", 117.0163, 36.6619, 28.90, 27.60),
    Spring("baimai", "百脉泉", "370114", 117.5356, 36.7133, 38.20, 36.80),
)

# Who owns what (department keys of the demo city).
OWNERS = {
    STREETLIGHT: "cgj",
    STREETLIGHT_GROUP: "cgj",
    CONTROL_CABINET: "cgj",
    AIR_QUALITY: "sthjj",
    TRAFFIC_FLOW: "jtysj",
    WATER_LEVEL: "swj",
}


# -- geometry ---------------------------------------------------------------------------------

_KX = math.cos(math.radians(CITY_LATITUDE))  # degrees of longitude are shorter here


def inside(lon: float, lat: float, polygon: Sequence[tuple[float, float]]) -> bool:
    """Whether a point lies inside a polygon (ray casting)."""
    result = False
    n = len(polygon)
    for i in range(n):
        x1, y1 = polygon[i]
        x2, y2 = polygon[(i + 1) % n]
        if (y1 > lat) != (y2 > lat):
            x = x1 + (lat - y1) * (x2 - x1) / (y2 - y1)
            if x > lon:
                result = not result
    return result


def district_at(lon: float, lat: float) -> str | None:
    """The district whose cell holds the point (nearest centre inside the outline), or None."""
    if not inside(lon, lat, CITY_OUTLINE):
        return None
    best = min(DISTRICTS, key=lambda d: ((d.lon - lon) * _KX) ** 2 + (d.lat - lat) ** 2)
    return best.code


def _clip(
    polygon: list[tuple[float, float]], a: float, b: float, c: float
) -> list[tuple[float, float]]:
    """The part of a polygon where a·x + b·y <= c (Sutherland–Hodgman, one half-plane)."""
    out: list[tuple[float, float]] = []
    n = len(polygon)
    for i in range(n):
        p, q = polygon[i], polygon[(i + 1) % n]
        fp, fq = a * p[0] + b * p[1] - c, a * q[0] + b * q[1] - c
        if fp <= 0:
            out.append(p)
        if (fp < 0 < fq) or (fq < 0 < fp):
            t = fp / (fp - fq)
            out.append((p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1])))
    return out


def district_polygons() -> dict[str, list[tuple[float, float]]]:
    """Each district's simplified cell: the outline cut by the bisectors with the other centres."""
    cells: dict[str, list[tuple[float, float]]] = {}
    for d in DISTRICTS:
        cell = list(CITY_OUTLINE)
        for o in DISTRICTS:
            if o is d:
                continue
            # Closer to d than to o, distances with longitude scaled: a·x + b·y <= c.
            a = 2 * (o.lon - d.lon) * _KX**2
            b = 2 * (o.lat - d.lat)
            c = (o.lon**2 - d.lon**2) * _KX**2 + (o.lat**2 - d.lat**2)
            cell = _clip(cell, a, b, c)
        cells[d.code] = [(round(x, 4), round(y, 4)) for x, y in cell]
    return cells


def districts_geojson() -> dict[str, Any]:
    """The simplified district cells as a GeoJSON FeatureCollection (for echarts.registerMap)."""
    features = []
    for d in DISTRICTS:
        ring = [list(p) for p in district_polygons()[d.code]]
        ring.append(ring[0])
        features.append(
            {
                "type": "Feature",
                "properties": {
                    "name": d.name,
                    "name_en": d.name_en,
                    "adcode": int(d.code),
                    "center": [d.lon, d.lat],
                },
                "geometry": {"type": "Polygon", "coordinates": [ring]},
            }
        )
    return {"type": "FeatureCollection", "features": features}


# -- the fleet --------------------------------------------------------------------------------


@dataclass
class Device:
    """One simulated device: identity, place, and its static attributes."""

    id: str
    type: str
    district: str
    lon: float
    lat: float
    name: str = ""
    group_id: str = ""
    cabinet_id: str = ""
    static: dict[str, Any] = field(default_factory=dict)

    @property
    def owner(self) -> str:
        """The key of the department that owns it."""
        return OWNERS[self.type]


@dataclass
class Fleet:
    """Every simulated device, by type."""

    lamps: list[Device]
    groups: list[Device]
    cabinets: list[Device]
    air_stations: list[Device]
    traffic_counters: list[Device]
    springs: list[Device]

    def all(self) -> list[Device]:
        """Every device, supporting entities (cabinets, groups) first."""
        return [
            *self.cabinets,
            *self.groups,
            *self.lamps,
            *self.air_stations,
            *self.traffic_counters,
            *self.springs,
        ]


def urn(entity_type: str, local: str) -> str:
    """An NGSI-LD entity id."""
    return f"urn:ngsi-ld:{entity_type}:jn-{local}"


def _shares(total: int, rng: random.Random) -> dict[str, int]:
    """Split a count over the districts by weight (largest remainders), each at least one."""
    if total <= 0:
        return {d.code: 0 for d in DISTRICTS}
    raw = {d.code: total * d.weight for d in DISTRICTS}
    counts = {k: int(v) for k, v in raw.items()}
    rest = total - sum(counts.values())
    for k in sorted(raw, key=lambda k: raw[k] - counts[k], reverse=True)[:rest]:
        counts[k] += 1
    return counts


def _point_in(d: District, rng: random.Random, spread: float | None = None) -> tuple[float, float]:
    """A random point in the district's cell, near its centre."""
    s = spread if spread is not None else d.spread
    for _ in range(200):
        lon = d.lon + rng.gauss(0, s) / _KX
        lat = d.lat + rng.gauss(0, s)
        if district_at(lon, lat) == d.code:
            return lon, lat
    return d.lon, d.lat


def _road(d: District, n: int, rng: random.Random) -> list[tuple[float, float]]:
    """`n` lamp positions about 35 m apart along a straight road in the district."""
    points: list[tuple[float, float]] = []
    while len(points) < n:
        lon, lat = _point_in(d, rng)
        heading = rng.uniform(0, math.pi)
        step = 0.000315  # ≈ 35 m in degrees of latitude
        dx, dy = math.cos(heading) * step / _KX, math.sin(heading) * step
        for _ in range(n - len(points)):
            if district_at(lon, lat) != d.code:
                break  # the road left the district: start another one
            points.append((round(lon, 6), round(lat, 6)))
            lon, lat = lon + dx, lat + dy
    return points


def build_fleet(
    *,
    lamps: int = 2000,
    air_stations: int = 15,
    traffic_counters: int = 30,
    springs: int = 8,
    groups: int | None = None,
    cabinets: int | None = None,
    seed: int = 7,
) -> Fleet:
    """A fleet placed in the districts: lamps along roads, in groups, behind control cabinets."""
    rng = random.Random(seed)  # noqa: S311 - a simulation, not security
    n_groups = groups if groups is not None else max(1, math.ceil(lamps / 33))
    n_cabinets = cabinets if cabinets is not None else max(1, math.ceil(lamps / 50))
    lamp_counts = _shares(lamps, rng)
    group_counts = _shares(n_groups, rng)
    cabinet_counts = _shares(n_cabinets, rng)
    fleet = Fleet([], [], [], [], [], [])
    for d in DISTRICTS:
        n_lamps = lamp_counts[d.code]
        if n_lamps == 0:
            continue
        n_g = max(1, min(group_counts[d.code], n_lamps))
        n_c = max(1, min(cabinet_counts[d.code], n_g))
        cabs = []
        for c in range(n_c):
            lon, lat = _point_in(d, rng)
            cab = Device(
                urn(CONTROL_CABINET, f"{d.code}-{c + 1:04d}"),
                CONTROL_CABINET,
                d.code,
                round(lon, 6),
                round(lat, 6),
                name=f"{d.name}照明控制柜{c + 1:03d}",
                static={"maximumPowerAvailable": 30.0, "feederCount": 4},
            )
            cabs.append(cab)
            fleet.cabinets.append(cab)
        base, extra = divmod(n_lamps, n_g)
        number = 0
        for g in range(n_g):
            size = base + (1 if g < extra else 0)
            road = _road(d, size, rng)
            cab = cabs[g % n_c]
            gid = urn(STREETLIGHT_GROUP, f"{d.code}-{g + 1:04d}")
            mid = road[len(road) // 2]
            fleet.groups.append(
                Device(
                    gid,
                    STREETLIGHT_GROUP,
                    d.code,
                    mid[0],
                    mid[1],
                    name=f"{d.name}路灯分组{g + 1:03d}",
                    cabinet_id=cab.id,
                )
            )
            for lon, lat in road:
                number += 1
                power = rng.choice((60, 90, 120, 150, 150, 200, 250))
                fleet.lamps.append(
                    Device(
                        urn(STREETLIGHT, f"{d.code}-{number:06d}"),
                        STREETLIGHT,
                        d.code,
                        lon,
                        lat,
                        name=f"{d.name}路灯{number:06d}",
                        group_id=gid,
                        cabinet_id=cab.id,
                        static={"powerRating": power, "lanternModel": "LED"},
                    )
                )
    for i, d in enumerate(_spread_over(air_stations)):
        lon, lat = _point_in(d, rng)
        fleet.air_stations.append(
            Device(
                urn(AIR_QUALITY, f"{d.code}-{i + 1:03d}"),
                AIR_QUALITY,
                d.code,
                round(lon, 6),
                round(lat, 6),
                name=f"{d.name}空气质量监测站{i + 1:02d}",
                static={"pollution": 0.7 + 0.6 * rng.random()},
            )
        )
    for i, d in enumerate(_spread_over(traffic_counters)):
        lon, lat = _point_in(d, rng)
        fleet.traffic_counters.append(
            Device(
                urn(TRAFFIC_FLOW, f"{d.code}-{i + 1:03d}"),
                TRAFFIC_FLOW,
                d.code,
                round(lon, 6),
                round(lat, 6),
                name=f"{d.name}交通流量检测点{i + 1:02d}",
                static={"laneCount": rng.choice((2, 3, 4, 6)), "busy": 0.6 + 0.8 * rng.random()},
            )
        )
    for i in range(springs):
        sp = SPRINGS[i % len(SPRINGS)]
        suffix = "" if i < len(SPRINGS) else f"-{i // len(SPRINGS) + 1}"
        fleet.springs.append(
            Device(
                urn(WATER_LEVEL, f"{sp.key}{suffix}"),
                WATER_LEVEL,
                sp.district,
                sp.lon,
                sp.lat,
                name=sp.name,
                static={"baseLevel": sp.level, "stopLevel": sp.stop},
            )
        )
    return fleet


def _spread_over(n: int) -> list[District]:
    """`n` districts: every district once before the denser ones get a second station."""
    by_weight = sorted(DISTRICTS, key=lambda d: d.weight, reverse=True)
    out = [by_weight[i % len(by_weight)] for i in range(n)]
    return out


# -- readings ---------------------------------------------------------------------------------

# 环境空气质量指数 (AQI) 技术规定 HJ 633-2012: IAQI breakpoints (24-hour PM, 1-hour O3 / NO2).
_IAQI = (0, 50, 100, 150, 200, 300, 400, 500)
_BREAKPOINTS: dict[str, tuple[float, ...]] = {
    "pm25": (0, 35, 75, 115, 150, 250, 350, 500),
    "pm10": (0, 50, 150, 250, 350, 420, 500, 600),
    "o3": (0, 160, 200, 300, 400, 800, 1000, 1200),
    "no2": (0, 100, 200, 700, 1200, 2340, 3090, 3840),
}


def iaqi(pollutant: str, concentration: float) -> float:
    """The individual air quality index of one pollutant's concentration (µg/m³), 0..500."""
    bp = _BREAKPOINTS[pollutant]
    c = max(0.0, concentration)
    if c >= bp[-1]:
        return 500.0
    for i in range(1, len(bp)):
        if c <= bp[i]:
            lo, hi = bp[i - 1], bp[i]
            return _IAQI[i - 1] + (_IAQI[i] - _IAQI[i - 1]) * (c - lo) / (hi - lo)
    return 500.0  # pragma: no cover - the loop always returns


def aqi(concentrations: dict[str, float]) -> int:
    """The AQI: the largest individual index, rounded up (HJ 633-2012)."""
    return math.ceil(max(iaqi(k, v) for k, v in concentrations.items()))


def aqi_category(value: float) -> str:
    """The AQI level's key (优 good … 严重 severe)."""
    for limit, key in (
        (50, "good"),
        (100, "moderate"),
        (150, "sensitive"),
        (200, "unhealthy"),
        (300, "very_unhealthy"),
    ):
        if value <= limit:
            return key
    return "hazardous"


def _sun_times(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """Sunrise and sunset in Jinan on a day (astral; a fixed fallback near the poles' errors)."""
    from astral import LocationInfo
    from astral.sun import sun

    where = LocationInfo("Jinan", "China", TIMEZONE, CITY_LATITUDE, CITY_LONGITUDE)
    try:
        s = sun(where.observer, date=day, tzinfo=tz)
        return s["sunrise"], s["sunset"]
    except ValueError:  # pragma: no cover - never at Jinan's latitude
        base = datetime(day.year, day.month, day.day, tzinfo=tz)
        return base + timedelta(hours=6), base + timedelta(hours=18)


def _hash01(*parts: object) -> float:
    """A stable pseudo-random number in [0, 1) from its parts (no state to keep)."""
    return random.Random("|".join(map(str, parts))).random()  # noqa: S311 - simulation


def _prop(value: Any, observed: str, unit: str | None = None) -> dict[str, Any]:
    p: dict[str, Any] = {"type": "Property", "value": value, "observedAt": observed}
    if unit:
        p["unitCode"] = unit
    return p


def iso(moment: datetime) -> str:
    """An NGSI-LD timestamp (UTC, milliseconds, Z)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + (
        f"{moment.microsecond // 1000:03d}Z"
    )


class Physics:
    """What each device reports at a moment: a deterministic function of time plus faults."""

    # A lamp fails about once in 10,000 lamp-hours and is repaired within a day or so, so
    # about half a percent of the fleet is faulty at any time.
    FAILURES_PER_HOUR = 1e-4
    REPAIR_HOURS = 36.0

    def __init__(self, fleet: Fleet, *, seed: int = 7, timezone: str = TIMEZONE) -> None:
        self.fleet = fleet
        self.seed = seed
        self.tz = ZoneInfo(timezone)
        self._sun: dict[date, tuple[datetime, datetime]] = {}
        # Each lamp's fixed draws (dusk and dawn jitter, repair offset), drawn once: a lamp's
        # and its cabinet's readings need them at every tick.
        self._lamp_draws: dict[str, tuple[float, float, float]] = {}
        self._lamps_by_cabinet: dict[str, list[Device]] = {}
        for lamp in fleet.lamps:
            self._lamps_by_cabinet.setdefault(lamp.cabinet_id, []).append(lamp)

    def sun(self, day: date) -> tuple[datetime, datetime]:
        """Sunrise and sunset of a local day (cached)."""
        if day not in self._sun:
            self._sun[day] = _sun_times(day, self.tz)
        return self._sun[day]

    # lamps --------------------------------------------------------------------------------

    def _draws(self, lamp: Device) -> tuple[float, float, float]:
        draws = self._lamp_draws.get(lamp.id)
        if draws is None:
            draws = self._lamp_draws[lamp.id] = (
                _hash01(self.seed, lamp.id, "on"),
                _hash01(self.seed, lamp.id, "off"),
                _hash01(self.seed, lamp.id, "offset"),
            )
        return draws

    def lamp_lit(self, lamp: Device, now: datetime) -> bool:
        """Whether the lamp's program has it on: from a little after sunset to around sunrise."""
        local = now.astimezone(self.tz)
        sunrise, sunset = self.sun(local.date())
        # The dusk burst: each lamp's photocell / schedule fires within ±8 minutes of sunset.
        on, off, _ = self._draws(lamp)
        jitter = timedelta(minutes=on * 16 - 8)
        jitter_off = timedelta(minutes=off * 16 - 8)
        return local >= sunset + jitter or local < sunrise + jitter_off

    def lamp_fault(self, lamp: Device, now: datetime) -> str:
        """The lamp's current failure flag ('' when healthy), stable within a fault's life."""
        # Time is cut into slots of REPAIR_HOURS; in each slot a lamp is faulty with the
        # probability that it failed during the slot (offset per lamp so repairs spread out).
        offset = self._draws(lamp)[2] * self.REPAIR_HOURS
        hours = now.timestamp() / 3600 + offset
        slot = int(hours // self.REPAIR_HOURS)
        p = self.FAILURES_PER_HOUR * self.REPAIR_HOURS * 1.4
        if _hash01(self.seed, lamp.id, slot) >= p:
            return ""
        pick = _hash01(self.seed, lamp.id, slot, "kind")
        if pick < 0.6:
            return "lampFailure"
        if pick < 0.8:
            return "relayFailure"
        if pick < 0.9:
            return "supplyLoss"
        return "lampUnexpectedOn"

    def dim_level(self, now: datetime) -> float:
        """The night's dimming profile: full until 23:00, 60% to 05:00, then full again."""
        hour = now.astimezone(self.tz).hour
        return 0.6 if hour >= 23 or hour < 5 else 1.0

    def lamp(self, lamp: Device, now: datetime) -> dict[str, Any]:
        """A lamp's attributes at a moment."""
        at = iso(now)
        fault = self.lamp_fault(lamp, now)
        lit = self.lamp_lit(lamp, now)
        if fault in ("lampFailure", "relayFailure", "supplyLoss"):
            lit = False
        elif fault == "lampUnexpectedOn":
            lit = True
        level = self.dim_level(now) if lit else 0.0
        status = {
            "": "ok",
            "lampFailure": "defectiveLamp",
            "relayFailure": "columnIssue",
            "supplyLoss": "columnIssue",
            "lampUnexpectedOn": "ok",
        }[fault]
        attrs = {
            "powerState": _prop("on" if lit else "off", at),
            "status": _prop(status, at),
            "illuminanceLevel": _prop(round(level, 2), at),
            "powerConsumption": _prop(round(lamp.static["powerRating"] * level, 1), at, "WTT"),
        }
        for flag in ("lampFailure", "relayFailure", "supplyLoss", "lampUnexpectedOn"):
            attrs[flag] = _prop(fault == flag, at)
        return attrs

    def cabinet(self, cabinet: Device, now: datetime) -> dict[str, Any]:
        """A cabinet's attributes: the energy its lamps used since local midnight (kWh)."""
        at = iso(now)
        local = now.astimezone(self.tz)
        midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
        sunrise, sunset = self.sun(local.date())
        lit_hours = (min(local, sunrise) - midnight).total_seconds() / 3600
        lit_hours += max(0.0, (local - sunset).total_seconds() / 3600)
        lamps = self._lamps_by_cabinet.get(cabinet.id, [])
        watts = sum(lamp.static["powerRating"] for lamp in lamps)
        working = sum(1 for lamp in lamps if not self.lamp_fault(lamp, now))
        share = working / len(lamps) if lamps else 0.0
        # Dimmed hours (23:00–05:00) draw 60%: about 0.85 on average across a night.
        energy = watts * share * max(0.0, lit_hours) * 0.85 / 1000
        on_now = sum(1 for lamp in lamps if self.lamp_lit(lamp, now))
        return {
            "energyConsumed": _prop(round(energy, 2), at, "KWH"),
            "intensity": _prop(round(watts * share * self.dim_level(now) / 1000, 2), at, "KWT")
            if on_now
            else _prop(0.0, at, "KWT"),
            "lampsOn": _prop(on_now, at),
        }

    # environment --------------------------------------------------------------------------

    def air(self, station: Device, now: datetime) -> dict[str, Any]:
        """An air station's hourly-ish readings: a daily cycle with weather-like noise."""
        at = iso(now)
        local = now.astimezone(self.tz)
        h = local.hour + local.minute / 60
        season = 1.0 + 0.45 * math.cos(2 * math.pi * (local.timetuple().tm_yday - 15) / 365)
        # PM peaks in the morning and late evening (traffic, boundary layer), dips mid-afternoon.
        daily = (
            1
            + 0.25 * math.cos(2 * math.pi * (h - 8) / 24)
            + 0.15 * math.cos(4 * math.pi * (h - 21) / 24)
        )
        # Weather drifts over days: the same for the whole city, a little per station.
        slot = int(now.timestamp() // (6 * 3600))
        weather = 0.6 + 0.9 * _hash01(self.seed, "weather", slot)
        noise = 0.9 + 0.2 * _hash01(self.seed, station.id, int(now.timestamp() // 600))
        k = station.static.get("pollution", 1.0) * season * weather * noise
        pm25 = max(3.0, 32 * k * daily)
        pm10 = max(8.0, pm25 * 1.8)
        # Ozone follows the sun: highest mid-afternoon, higher in summer.
        o3 = max(
            5.0,
            (60 + 90 * max(0.0, math.sin(math.pi * (h - 7) / 14))) * (2.2 - season) * noise,
        )
        no2 = max(5.0, 30 * k * (1 + 0.4 * math.cos(2 * math.pi * (h - 8.5) / 24)))
        conc = {"pm25": pm25, "pm10": pm10, "o3": o3, "no2": no2}
        index = aqi(conc)
        attrs = {name: _prop(round(v, 1), at, "GQ") for name, v in conc.items()}
        attrs["airQualityIndex"] = _prop(index, at)
        attrs["airQualityLevel"] = _prop(aqi_category(index), at)
        return attrs

    def traffic(self, counter: Device, now: datetime) -> dict[str, Any]:
        """A counter's vehicles in the last 5 minutes, speed and occupancy: rush-hour peaks."""
        at = iso(now)
        local = now.astimezone(self.tz)
        h = local.hour + local.minute / 60
        weekday = local.weekday() < 5
        morning = math.exp(-(((h - 8.0) / 1.0) ** 2))
        evening = math.exp(-(((h - 17.75) / 1.2) ** 2))
        day = 0.35 * max(0.0, math.sin(math.pi * (h - 5.5) / 17.5)) if 5.5 < h < 23 else 0.0
        profile = 0.04 + day + (0.9 * morning + 1.0 * evening if weekday else 0.3 * evening)
        lanes = counter.static.get("laneCount", 3)
        noise = 0.85 + 0.3 * _hash01(self.seed, counter.id, int(now.timestamp() // 300))
        # About 1,800 vehicles per lane-hour at saturation: 150 per 5 minutes.
        intensity = round(150 * lanes * min(1.0, profile * counter.static.get("busy", 1)) * noise)
        saturation = intensity / (150 * lanes)
        speed = max(8.0, 55 * (1 - 0.75 * saturation**2))
        return {
            "intensity": _prop(intensity, at),
            "averageVehicleSpeed": _prop(round(speed, 1), at, "KMH"),
            "occupancy": _prop(round(min(1.0, saturation * 0.9), 2), at),
            "congested": _prop(saturation > 0.85, at),
        }

    def spring(self, gauge: Device, now: datetime) -> dict[str, Any]:
        """A spring's level: the season (low before the summer rains) and a small daily swing."""
        at = iso(now)
        local = now.astimezone(self.tz)
        day_of_year = local.timetuple().tm_yday
        # Lowest in early June, recharged by the July–August rains.
        season = 0.45 * math.cos(2 * math.pi * (day_of_year - 250) / 365)
        daily = 0.03 * math.sin(2 * math.pi * (local.hour - 4) / 24)  # pumping by day
        noise = 0.01 * (_hash01(self.seed, gauge.id, int(now.timestamp() // 900)) - 0.5)
        level = gauge.static["baseLevel"] + season + daily + noise
        return {
            "height": _prop(round(level, 3), at, "MTR"),
            "stopLevel": _prop(gauge.static["stopLevel"], at, "MTR"),
            "gushing": _prop(level > gauge.static["stopLevel"], at),
        }

    def reading(self, device: Device, now: datetime) -> dict[str, Any]:
        """The attributes a device reports at a moment (groups report nothing themselves)."""
        match device.type:
            case "Streetlight":
                return self.lamp(device, now)
            case "StreetlightControlCabinet":
                return self.cabinet(device, now)
            case "AirQualityObserved":
                return self.air(device, now)
            case "TrafficFlowObserved":
                return self.traffic(device, now)
            case "WaterObserved":
                return self.spring(device, now)
        return {}


def entity(device: Device, attrs: dict[str, Any] | None = None) -> dict[str, Any]:
    """The device as an NGSI-LD entity (normalized form), with its place and relationships."""
    d = DISTRICT_BY_CODE[device.district]
    body: dict[str, Any] = {
        "id": device.id,
        "type": device.type,
        "name": {"type": "Property", "value": device.name},
        "location": {
            "type": "GeoProperty",
            "value": {"type": "Point", "coordinates": [device.lon, device.lat]},
        },
        "address": {
            "type": "Property",
            "value": {
                "addressCountry": "CN",
                "addressRegion": "济南市",
                "addressLocality": d.name,
                "district": d.code,
            },
        },
        "districtCode": {"type": "Property", "value": d.code},
    }
    if device.group_id:
        body["refStreetlightGroup"] = {"type": "Relationship", "object": device.group_id}
    if device.cabinet_id:
        body["refStreetlightControlCabinet"] = {
            "type": "Relationship",
            "object": device.cabinet_id,
        }
    for key, value in device.static.items():
        if key not in ("pollution", "busy", "baseLevel"):
            body[key] = {"type": "Property", "value": value}
    if attrs:
        body.update(attrs)
    return body


# -- the sender -------------------------------------------------------------------------------


@dataclass
class SimulatorStats:
    """What a run sent."""

    entities: int = 0
    messages: int = 0
    batches: int = 0
    errors: int = 0
    last_error: str = ""


class Simulator:
    """Creates the fleet's entities on a platform, then sends their readings at a rate."""

    def __init__(
        self,
        fleet: Fleet,
        *,
        url: str,
        token: str = "",
        rate: float = 200.0,
        batch_size: int = 500,
        mqtt_url: str = "",
        seed: int = 7,
        owners: dict[str, str] | None = None,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.fleet = fleet
        self.physics = Physics(fleet, seed=seed)
        self.url = url.rstrip("/")
        self.rate = max(0.1, rate)
        self.batch_size = batch_size
        self.mqtt_url = mqtt_url
        # The demo's department keys (cgj, sthjj, jtysj, swj) → the platform's, if they differ.
        self.owners = owners or {}
        self.clock = clock or (lambda: datetime.now(UTC))
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.http = httpx.Client(
            base_url=self.url, headers=headers, timeout=30, transport=transport
        )
        self.stats = SimulatorStats()
        self._mqtt: Any = None

    def close(self) -> None:
        """Close the connections."""
        self.http.close()
        if self._mqtt is not None:
            self._mqtt.loop_stop()
            self._mqtt.disconnect()

    def _post(
        self, path: str, body: list[dict[str, Any]], params: dict[str, str] | None = None
    ) -> bool:
        try:
            response = self.http.post(
                path,
                content=json.dumps(body),
                params=params,
                headers={"Content-Type": "application/json"},
            )
        except httpx.HTTPError as exc:
            self.stats.errors += 1
            self.stats.last_error = str(exc)
            return False
        self.stats.batches += 1
        if response.status_code >= 400:
            self.stats.errors += 1
            self.stats.last_error = f"{response.status_code} {response.text[:300]}"
            log.warning("simulator: %s answered %s", path, self.stats.last_error)
            return False
        if response.status_code == 207:
            # Some entities of the batch were refused: count them, keep going.
            errors = response.json().get("errors", [])
            self.stats.errors += len(errors)
            self.stats.last_error = json.dumps(errors[:1], ensure_ascii=False)[:300]
        elif path == TELEMETRY_PATH:
            answer = response.json()
            refused = answer.get("rejected", []) + answer.get("unknown", [])
            if refused:
                self.stats.errors += len(refused)
                self.stats.last_error = json.dumps(refused[:1], ensure_ascii=False)[:300]
        return True

    def create_entities(self) -> int:
        """Upsert every device as an NGSI-LD entity with its first reading; the count sent.

        Each batch holds one department's devices, named in `?department=` (the owner of
        entities the upsert creates).
        """
        now = self.clock()
        by_owner: dict[str, list[dict[str, Any]]] = {}
        for d in self.fleet.all():
            owner = self.owners.get(d.owner, d.owner)
            by_owner.setdefault(owner, []).append(entity(d, self.physics.reading(d, now)))
        for owner, bodies in by_owner.items():
            for chunk in _chunks(bodies, self.batch_size):
                path = "/ngsi-ld/v1/entityOperations/upsert"
                if self._post(path, chunk, {"department": owner}):
                    self.stats.entities += len(chunk)
        return self.stats.entities

    def _readings(self) -> Iterator[tuple[Device, dict[str, Any]]]:
        """Readings round-robin over the reporting devices, forever, at the clock's time."""
        devices = [d for d in self.fleet.all() if d.type != STREETLIGHT_GROUP]
        while devices:
            for device in devices:
                yield device, self.physics.reading(device, self.clock())

    def _connect_mqtt(self) -> Any:
        import paho.mqtt.client as mqtt
        from paho.mqtt.enums import CallbackAPIVersion

        parts = urlsplit(self.mqtt_url)
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=f"qc-simulator-{random.getrandbits(32):x}"
        )
        if parts.username:
            client.username_pw_set(parts.username, parts.password)
        if parts.scheme in ("mqtts", "ssl"):
            client.tls_set()
        client.connect(parts.hostname or "127.0.0.1", parts.port or 1883)
        client.loop_start()
        self._mqtt = client
        return client

    def run(self, *, duration: float | None = None, max_messages: int | None = None) -> None:
        """Send readings at `rate` messages per second until the duration or count is reached."""
        started = time.monotonic()
        client = self._connect_mqtt() if self.mqtt_url else None
        readings = self._readings()
        # Send in ticks of a tenth of a second (or one batch), sleeping to keep the rate.
        per_tick = max(1, min(self.batch_size, int(self.rate / 10) or 1))
        sent = 0
        while True:
            elapsed = time.monotonic() - started
            if duration is not None and elapsed >= duration:
                break
            if max_messages is not None and sent >= max_messages:
                break
            n = per_tick if max_messages is None else min(per_tick, max_messages - sent)
            batch = [next(readings) for _ in range(n)]
            if client is not None:
                for device, attrs in batch:
                    info = client.publish(
                        f"qc/v1/{device.type}/{device.id}/attrs", json.dumps(attrs), qos=1
                    )
                    if info.rc != 0:
                        self.stats.errors += 1
                self.stats.messages += len(batch)
            else:
                # The gateways' route: answered once the readings are in the history.
                body = [{"id": d.id, "type": d.type, "attrs": attrs} for d, attrs in batch]
                if self._post(TELEMETRY_PATH, body):
                    self.stats.messages += len(batch)
            sent += len(batch)
            ahead = sent / self.rate - (time.monotonic() - started)
            if ahead > 0:
                time.sleep(ahead)


def _chunks(items: list[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]
