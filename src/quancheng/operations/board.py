"""The big screen's figures: aggregates by district, alarms and trends.

Everything is computed with SQL over the operations tables (ops_entities, ops_alarms,
ops_commands), grouped in the database; the board never returns per-lamp points, only
per-district figures and map clusters (grid cells), so it stays small with 300k lamps.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Integer, cast, func, select

from quancheng.datastore.service import DatastoreService
from quancheng.db import Database
from quancheng.db.models import OpsAlarm, OpsCommand, OpsEntity, OpsRule
from quancheng.errors import NotAuthenticated, PermissionDenied
from quancheng.identity.roles import Principal
from quancheng.ledger.log import Ledger
from quancheng.operations.model import (
    AIR_QUALITY,
    CONTROL_CABINET,
    STREETLIGHT,
    TRAFFIC_FLOW,
    WATER_LEVEL,
)
from quancheng.operations.simulator import DISTRICTS, aqi_category
from quancheng.settings import Settings

log = logging.getLogger(__name__)
OPEN_ALARM_STATES = ("active", "acknowledged")
# Map clusters: lamps binned into cells of 1/40° (≈ 2.5 km); at most this many cells.
CLUSTER_CELLS_PER_DEGREE = 40
MAX_CLUSTERS = 1500
MAX_STATIONS = 300
MAX_ALARMS = 50
# The screen refreshes every few seconds; one computation serves every viewer meanwhile.
CACHE_SECONDS = 5.0
TREND_POINTS = 288  # one a minute is kept, up to this many (in memory, per process)


def require_viewer(actor: Principal) -> None:
    """The operations centre is for government users: a department member or the platform."""
    if actor.is_platform_admin:
        return
    if not actor.is_authenticated:
        raise NotAuthenticated("log in to see the operations centre")
    if actor.department_id is None:
        raise PermissionDenied(
            "the operations centre is for government departments",
            code="permission_denied",
        )


def _cause(dedupe_key: str) -> str:
    """The flag or status of a built-in alarm ("flag:lampFailure|urn…" → "lampFailure")."""
    head = dedupe_key.partition("|")[0]
    return head.partition(":")[2]


def _number(value: Any) -> float | None:
    try:
        return None if value is None or isinstance(value, bool) else float(value)
    except (TypeError, ValueError):
        return None


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _aware(moment: datetime | None) -> datetime | None:
    return None if moment is None else moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class OperationsBoard:
    """The big screen's figures: aggregates by district, alarms and trends."""

    def __init__(
        self,
        *,
        db: Database,
        datastore: DatastoreService,
        ledger: Ledger,
        settings: Settings,
    ) -> None:
        self.db = db
        self.datastore = datastore
        self.ledger = ledger
        self.settings = settings
        self._lock = threading.Lock()
        self._cached: tuple[float, dict[str, Any]] | None = None
        self._trend: deque[dict[str, Any]] = deque(maxlen=TREND_POINTS)
        self._lamps_cached: (
            tuple[float, tuple[dict[str, dict[str, int]], list[dict[str, Any]]]] | None
        ) = None
        # The TelemetryStore, wired after construction when there is one: hourly trends from
        # its history and roll-ups (the board works without it).
        self.telemetry: Any = None

    # -- public ---------------------------------------------------------------------------

    def board(
        self, actor: Principal, *, now: datetime | None = None, fresh: bool = False
    ) -> dict[str, Any]:
        """The whole board for a government viewer (cached for a few seconds unless `fresh`:
        an alarm just changed; the lamp figures may still come from their own cache)."""
        require_viewer(actor)
        moment = now or datetime.now(UTC)
        stamp = moment.timestamp()
        with self._lock:
            cached = self._cached
            if now is None and not fresh and cached and stamp - cached[0] < CACHE_SECONDS:
                return cached[1]
        data = self.compute(moment, reuse_lamps=now is None)
        with self._lock:
            if now is None:
                self._cached = (stamp, data)
        return data

    def compute(self, now: datetime, *, reuse_lamps: bool = False) -> dict[str, Any]:
        """Compute every figure now (no permission check; lamps may come from the cache)."""
        tz = ZoneInfo(self.settings.timezone)
        lamps, clusters = self._cached_lamp_figures() if reuse_lamps else self.lamp_figures()
        energy = self.energy_today(now, tz)
        air = self.air_quality()
        traffic = self.traffic()
        alarms_by_district = self.open_alarms_by_district()
        districts = []
        for d in DISTRICTS:
            counts = lamps.get(d.code, {"total": 0, "on": 0, "off": 0, "faulty": 0})
            district_air = air["districts"].get(d.code)
            districts.append(
                {
                    "code": d.code,
                    "name": d.name,
                    "name_en": d.name_en,
                    "lamps": counts,
                    "energy_kwh": round(energy.get(d.code, 0.0), 1),
                    "aqi": district_air["aqi"] if district_air else None,
                    "aqi_level": district_air["level"] if district_air else None,
                    "pm25": district_air["pm25"] if district_air else None,
                    "traffic": traffic["districts"].get(d.code, {"vehicles": 0, "speed": None}),
                    "alarms": alarms_by_district.get(d.code, 0),
                }
            )
        totals = {
            key: sum(d["lamps"][key] for d in districts) for key in ("total", "on", "off", "faulty")
        }
        aqis = [d["aqi"] for d in districts if d["aqi"] is not None]
        alarms = self.open_alarms()
        summary = {
            "lamps": totals,
            "energy_kwh": round(sum(energy.values()), 1),
            "aqi": round(sum(aqis) / len(aqis)) if aqis else None,
            "vehicles": sum(d["traffic"]["vehicles"] for d in districts),
            "alarms": alarms["counts"],
            "commands": self.commands_today(now, tz),
        }
        self._remember(now, summary)
        return {
            "generated_at": now.astimezone(UTC).isoformat(timespec="seconds"),
            "timezone": self.settings.timezone,
            "summary": summary,
            "districts": districts,
            "clusters": clusters,
            "stations": air["stations"],
            "springs": self.springs(),
            "traffic_hotspots": traffic["hotspots"],
            "alarms": alarms["latest"],
            "trends": {
                "alarms_per_hour": self.alarms_per_hour(now),
                "live": list(self._trend),
                **self.history_trends(now),
            },
        }

    # -- lamps ----------------------------------------------------------------------------

    def lamps_by_district(self) -> dict[str, dict[str, int]]:
        """Lamps per district: total, on, off (both healthy) and faulty (any failure flag)."""
        return self.lamp_figures()[0]

    def lamp_clusters(self) -> list[dict[str, Any]]:
        """Lamps binned into map cells: centre, count, lamps on, faulty (the busiest cells)."""
        return self.lamp_figures()[1]

    def _cached_lamp_figures(self) -> tuple[dict[str, dict[str, int]], list[dict[str, Any]]]:
        """The lamp figures, recomputed once they are older than a few times their cost.

        The lamp pass reads every lamp's attributes (about 4 s for 300k lamps on SQLite, where
        each row's JSON is parsed): a wall refreshing every 5 s would otherwise spend its time
        there. Lamps change slowly (dusk, dawn, faults); alarms and air are always fresh.
        """
        started = time.monotonic()
        with self._lock:
            cached = self._lamps_cached
            if cached is not None and started < cached[0]:
                return cached[1]
        figures = self.lamp_figures()
        cost = time.monotonic() - started
        with self._lock:
            self._lamps_cached = (time.monotonic() + max(CACHE_SECONDS, 6 * cost), figures)
        return figures

    def lamp_figures(self) -> tuple[dict[str, dict[str, int]], list[dict[str, Any]]]:
        """Per-district counts and map clusters, from one grouped pass over the lamps.

        Rows are grouped by district, map cell and the lamp's state column (on, off or
        faulty, kept by every write beside the attributes) in the database: no lamp's JSON
        is read, so 300k lamps take a fraction of a second.
        """
        cell_x = cast(OpsEntity.lon * CLUSTER_CELLS_PER_DEGREE, Integer)
        cell_y = cast(OpsEntity.lat * CLUSTER_CELLS_PER_DEGREE, Integer)
        keys = [OpsEntity.district, cell_x, cell_y, OpsEntity.state]
        query = (
            select(*keys, func.count(), func.sum(OpsEntity.lon), func.sum(OpsEntity.lat))
            .where(OpsEntity.type == STREETLIGHT)
            .group_by(*keys)
        )
        with self.db.reader() as s:
            rows = s.execute(query).all()
        districts: dict[str, dict[str, int]] = {}
        cells: dict[tuple[int, int], list[float]] = {}
        for row in rows:
            district, cx, cy, state, count, lon_sum, lat_sum = tuple(row)
            kind = state if state in ("on", "faulty") else "off"
            counts = districts.setdefault(
                district or "", {"total": 0, "on": 0, "off": 0, "faulty": 0}
            )
            counts["total"] += count
            counts[kind] += count
            if cx is None or cy is None or lon_sum is None:
                continue
            cell = cells.setdefault((cx, cy), [0, 0, 0, 0.0, 0.0])
            cell[0] += count
            cell[1] += count if kind == "on" else 0
            cell[2] += count if kind == "faulty" else 0
            cell[3] += float(lon_sum)
            cell[4] += float(lat_sum)
        busiest = sorted(cells.values(), key=lambda c: -c[0])[:MAX_CLUSTERS]
        clusters = [
            {
                "lon": round(c[3] / c[0], 4),
                "lat": round(c[4] / c[0], 4),
                "count": int(c[0]),
                "on": int(c[1]),
                "faulty": int(c[2]),
            }
            for c in busiest
        ]
        return districts, clusters

    def energy_today(self, now: datetime, tz: ZoneInfo) -> dict[str, float]:
        """kWh per district: cabinets' energyConsumed (since local midnight) observed today."""
        attrs = OpsEntity.attrs
        query = select(
            OpsEntity.district,
            attrs[("energyConsumed", "value")].as_float(),
            attrs[("energyConsumed", "observedAt")].as_string(),
            OpsEntity.last_seen_at,
        ).where(OpsEntity.type == CONTROL_CABINET)
        today = now.astimezone(tz).date()
        out: dict[str, float] = {}
        with self.db.reader() as s:
            for district, value, observed, seen in s.execute(query):
                kwh = _number(value)
                at = _parse_time(observed) or _aware(seen)
                if kwh is None or at is None or at.astimezone(tz).date() != today:
                    continue  # yesterday's meter reading is not today's energy
                out[district or ""] = out.get(district or "", 0.0) + kwh
        return out

    # -- environment and traffic ------------------------------------------------------------

    def air_quality(self) -> dict[str, Any]:
        """Latest AQI of each station, and each district's mean of its stations."""
        attrs = OpsEntity.attrs
        query = (
            select(
                OpsEntity.id,
                OpsEntity.district,
                OpsEntity.lon,
                OpsEntity.lat,
                attrs[("name", "value")].as_string(),
                attrs[("airQualityIndex", "value")].as_float(),
                attrs[("pm25", "value")].as_float(),
            )
            .where(OpsEntity.type == AIR_QUALITY)
            .order_by(OpsEntity.id)
        )
        stations: list[dict[str, Any]] = []
        sums: dict[str, list[float]] = {}
        with self.db.reader() as s:
            for eid, district, lon, lat, name, index, pm25 in s.execute(query):
                value = _number(index)
                if value is not None:
                    acc = sums.setdefault(district or "", [0.0, 0.0, 0.0])
                    acc[0] += value
                    acc[1] += 1
                    acc[2] += _number(pm25) or 0.0
                if len(stations) < MAX_STATIONS and lon is not None:
                    stations.append(
                        {
                            "id": eid,
                            "name": name or eid,
                            "district": district,
                            "lon": lon,
                            "lat": lat,
                            "aqi": value,
                            "pm25": _number(pm25),
                        }
                    )
        districts = {}
        for code, (total, n, pm) in sums.items():
            mean = round(total / n)
            districts[code] = {"aqi": mean, "level": aqi_category(mean), "pm25": round(pm / n, 1)}
        return {"districts": districts, "stations": stations}

    def traffic(self) -> dict[str, Any]:
        """Vehicles counted (last interval) and mean speed per district; the slowest counters."""
        attrs = OpsEntity.attrs
        vehicles = attrs[("intensity", "value")].as_float()
        speed = attrs[("averageVehicleSpeed", "value")].as_float()
        per_district = (
            select(OpsEntity.district, func.sum(vehicles), func.avg(speed), func.count())
            .where(OpsEntity.type == TRAFFIC_FLOW)
            .group_by(OpsEntity.district)
        )
        hotspots = (
            select(
                OpsEntity.id,
                attrs[("name", "value")].as_string(),
                OpsEntity.district,
                OpsEntity.lon,
                OpsEntity.lat,
                vehicles,
                speed,
            )
            .where(OpsEntity.type == TRAFFIC_FLOW, speed.isnot(None))
            .order_by(speed.asc())
            .limit(10)
        )
        with self.db.reader() as s:
            districts = {
                code or "": {
                    "vehicles": int(total or 0),
                    "speed": None if avg is None else round(float(avg), 1),
                    "counters": int(n),
                }
                for code, total, avg, n in s.execute(per_district)
            }
            spots = [
                {
                    "id": eid,
                    "name": name or eid,
                    "district": district,
                    "lon": lon,
                    "lat": lat,
                    "vehicles": _number(v),
                    "speed": _number(sp),
                }
                for eid, name, district, lon, lat, v, sp in s.execute(hotspots)
            ]
        return {"districts": districts, "hotspots": spots}

    def springs(self) -> list[dict[str, Any]]:
        """Each spring gauge's latest level and the level at which the spring stops."""
        attrs = OpsEntity.attrs
        query = (
            select(
                OpsEntity.id,
                attrs[("name", "value")].as_string(),
                OpsEntity.district,
                attrs[("height", "value")].as_float(),
                attrs[("stopLevel", "value")].as_float(),
                attrs[("height", "observedAt")].as_string(),
            )
            .where(OpsEntity.type == WATER_LEVEL)
            .order_by(OpsEntity.id)
            .limit(50)
        )
        with self.db.reader() as s:
            return [
                {
                    "id": eid,
                    "name": name or eid,
                    "district": district,
                    "level": _number(level),
                    "stop": _number(stop),
                    "observed_at": observed,
                }
                for eid, name, district, level, stop, observed in s.execute(query)
            ]

    # -- alarms and commands --------------------------------------------------------------

    def open_alarms_by_district(self) -> dict[str, int]:
        """Open (active or acknowledged) alarms per district of their entity."""
        query = (
            select(OpsEntity.district, func.count())
            .select_from(OpsAlarm)
            .join(OpsEntity, OpsEntity.id == OpsAlarm.entity_id)
            .where(OpsAlarm.state.in_(OPEN_ALARM_STATES))
            .group_by(OpsEntity.district)
        )
        with self.db.reader() as s:
            return {code or "": int(n) for code, n in s.execute(query)}

    def open_alarms(self) -> dict[str, Any]:
        """Counts of open alarms by state and severity, and the latest ones."""
        counts_q = (
            select(OpsAlarm.state, OpsAlarm.severity, func.count())
            .where(OpsAlarm.state.in_(OPEN_ALARM_STATES))
            .group_by(OpsAlarm.state, OpsAlarm.severity)
        )
        latest_q = (
            select(
                OpsAlarm, OpsEntity.type, OpsEntity.district, OpsEntity.attrs["name"], OpsRule.name
            )
            .join(OpsEntity, OpsEntity.id == OpsAlarm.entity_id)
            .outerjoin(OpsRule, OpsRule.id == OpsAlarm.rule_id)
            .where(OpsAlarm.state.in_(OPEN_ALARM_STATES))
            .order_by(OpsAlarm.raised_at.desc(), OpsAlarm.id.desc())
            .limit(MAX_ALARMS)
        )
        counts: dict[str, Any] = {"active": 0, "acknowledged": 0, "by_severity": {}}
        with self.db.reader() as s:
            for state, severity, n in s.execute(counts_q):
                counts[state] = counts.get(state, 0) + int(n)
                by = counts["by_severity"]
                by[severity] = by.get(severity, 0) + int(n)
            latest = [
                {
                    "id": alarm.id,
                    "entity_id": alarm.entity_id,
                    "entity_type": etype,
                    "entity_name": name.get("value") if isinstance(name, dict) else None,
                    "district": district,
                    "department_id": alarm.department_id,
                    "kind": alarm.kind,
                    "severity": alarm.severity,
                    "state": alarm.state,
                    "message": alarm.message,
                    # What the screen names the alarm by in its own language: the rule's name,
                    # or the built-in cause (a failure flag or status) it has a label for.
                    "rule_name": rule_name,
                    "cause": _cause(alarm.dedupe_key) if alarm.rule_id is None else None,
                    "value": alarm.value,
                    "occurrences": alarm.occurrences,
                    "raised_at": _aware(alarm.raised_at).isoformat(timespec="seconds")  # type: ignore[union-attr]
                    if alarm.raised_at
                    else None,
                }
                for alarm, etype, district, name, rule_name in s.execute(latest_q)
            ]
        return {"counts": counts, "latest": latest}

    def alarms_per_hour(self, now: datetime) -> list[dict[str, Any]]:
        """Alarms raised in each of the last 24 hours (oldest first)."""
        start = (now.astimezone(UTC) - timedelta(hours=23)).replace(
            minute=0, second=0, microsecond=0
        )
        query = select(OpsAlarm.raised_at).where(OpsAlarm.raised_at >= start)
        buckets = {start + timedelta(hours=i): 0 for i in range(24)}
        with self.db.reader() as s:
            for (raised,) in s.execute(query):
                at = _aware(raised)
                if at is None:
                    continue
                key = at.replace(minute=0, second=0, microsecond=0)
                if key in buckets:
                    buckets[key] += 1
        return [{"hour": k.isoformat(timespec="minutes"), "raised": v} for k, v in buckets.items()]

    def commands_today(self, now: datetime, tz: ZoneInfo) -> dict[str, int]:
        """Commands created since local midnight, by state."""
        midnight = now.astimezone(tz).replace(hour=0, minute=0, second=0, microsecond=0)
        since = midnight.astimezone(UTC)
        query = (
            select(OpsCommand.state, func.count())
            .where(OpsCommand.created_at >= since)
            .group_by(OpsCommand.state)
        )
        with self.db.reader() as s:
            return {state: int(n) for state, n in s.execute(query)}

    # -- trends ---------------------------------------------------------------------------

    def history_trends(self, now: datetime) -> dict[str, list[dict[str, Any]]]:
        """City-wide hourly means over the last 24 hours from the telemetry history, if wired."""
        series = getattr(self.telemetry, "series", None)
        if series is None:
            return {}
        end = now.astimezone(UTC)
        start = (end - timedelta(hours=23)).replace(minute=0, second=0, microsecond=0)
        out: dict[str, list[dict[str, Any]]] = {}
        for key, entity_type, attribute in (
            ("aqi_hourly", AIR_QUALITY, "airQualityIndex"),
            ("vehicles_hourly", TRAFFIC_FLOW, "intensity"),
            ("lamp_power_hourly", STREETLIGHT, "powerConsumption"),
        ):
            try:
                points = series(
                    attribute=attribute,
                    start=start,
                    end=end,
                    bucket="1h",
                    entity_type=entity_type,
                )
            except Exception:  # the board must draw even if the history is unavailable
                log.exception("board: no %s history", attribute)
                continue
            out[key] = [
                {
                    "hour": _aware(p.bucket).isoformat(timespec="minutes"),  # type: ignore[union-attr]
                    "mean": round(p.sum / p.count, 1) if p.count else None,
                }
                for p in points
            ]
        return out

    def _remember(self, now: datetime, summary: dict[str, Any]) -> None:
        """Keep one point a minute of the headline figures (the screen's live trend)."""
        minute = now.astimezone(UTC).replace(second=0, microsecond=0).isoformat()
        point = {
            "at": minute,
            "lamps_on": summary["lamps"]["on"],
            "faulty": summary["lamps"]["faulty"],
            "aqi": summary["aqi"],
            "vehicles": summary["vehicles"],
            "alarms": summary["alarms"]["active"],
        }
        with self._lock:
            if self._trend and self._trend[-1]["at"] == minute:
                self._trend[-1] = point
            else:
                self._trend.append(point)
