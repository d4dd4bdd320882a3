"""Open data from sensors: hourly air quality and spring levels as open catalog entries.

Each hour the latest readings of the air stations (生态环境局) and the spring gauges (水务局)
are loaded as a new datastore version of an open catalog entry, through the datastore's load
path (start_load / run_load), so they are versioned, hashed and recorded like any upload.
The entries are created once (published, open, updated in real time: the catalog has no
"hourly" cycle). A run in an hour that already has its version does nothing.
"""

from __future__ import annotations

import csv
import logging
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from quancheng.catalog.model import EntryFields, EntryStatus
from quancheng.db.models import CatalogEntry, Classification, Dataset, IngestJob, OpsEntity
from quancheng.identity.roles import Principal
from quancheng.identity.service import find_department
from quancheng.operations.model import AIR_QUALITY, WATER_LEVEL
from quancheng.operations.simulator import DISTRICT_BY_CODE

if TYPE_CHECKING:
    from quancheng.app import Services

log = logging.getLogger(__name__)
ACTOR = "sensor-open-data"


@dataclass(frozen=True)
class Feed:
    """One sensor feed published as an open entry."""

    code: str
    department: str
    entity_type: str
    # Classification codes to file it under, first existing one wins.
    classifications: tuple[str, ...]
    fields: dict[str, Any]
    # (column name, data type, attribute in the entity or a special key).
    columns: tuple[tuple[str, str, str], ...]


_COMMON = {
    "format": "database",
    "sharing_type": "unconditional",
    "sharing_method": "api",
    "open_type": "open",
    "update_cycle": "realtime",
    "security_grade": "general",
}
AIR_FEED = Feed(
    code="IOT-AIR-HOURLY",
    department="sthjj",
    entity_type=AIR_QUALITY,
    classifications=("210001",),
    fields={
        **_COMMON,
        "name": "空气质量逐小时监测数据（物联网感知）",
        "name_en": "Hourly air quality from the city's sensors",
        "abstract": "全市空气质量监测站点每小时自动发布的最新监测值：AQI、PM2.5、PM10、O3、NO2。",
        "duty": "负责全市生态环境监测工作",
        "source_system": "城市运行中心物联网平台",
        "keywords": ["空气质量", "AQI", "PM2.5", "物联网"],
    },
    columns=(
        ("站点编码", "C", ":id"),
        ("监测站点", "C", "name"),
        ("所属区县", "C", ":district"),
        ("经度", "F", ":lon"),
        ("纬度", "F", ":lat"),
        ("监测时间", "T", ":observed"),
        ("空气质量指数", "I", "airQualityIndex"),
        ("细颗粒物浓度", "F", "pm25"),
        ("可吸入颗粒物浓度", "F", "pm10"),
        ("臭氧浓度", "F", "o3"),
        ("二氧化氮浓度", "F", "no2"),
    ),
)
SPRING_FEED = Feed(
    code="IOT-SPRING-HOURLY",
    department="swj",
    entity_type=WATER_LEVEL,
    classifications=("210004", "103003", "210002", "210001"),
    fields={
        **_COMMON,
        "name": "名泉水位逐小时监测数据（物联网感知）",
        "name_en": "Hourly spring water levels from the city's gauges",
        "abstract": "趵突泉、黑虎泉等名泉水位监测点每小时自动发布的最新水位（米，海拔）。",
        "duty": "负责全市水资源管理和泉水保护监测",
        "source_system": "城市运行中心物联网平台",
        "keywords": ["泉水", "水位", "趵突泉", "物联网"],
    },
    columns=(
        ("监测点编码", "C", ":id"),
        ("泉名", "C", "name"),
        ("所属区县", "C", ":district"),
        ("监测时间", "T", ":observed"),
        ("水位", "F", "height"),
        ("停喷水位", "F", "stopLevel"),
    ),
)
FEEDS = (AIR_FEED, SPRING_FEED)


def _value(attrs: dict[str, Any], name: str) -> Any:
    prop = attrs.get(name)
    return prop.get("value") if isinstance(prop, dict) else prop


def _cell(value: Any) -> str:
    if value is None or isinstance(value, dict | list):
        return ""
    return str(value)


def _ensure_entry(services: Services, actor: Principal, feed: Feed) -> str | None:
    """The feed's open entry (created and published the first time); None without its owner."""
    with services.db.transaction() as s:
        if s.scalar(select(CatalogEntry.id).where(CatalogEntry.code == feed.code)) is not None:
            return feed.code
        if find_department(s, feed.department) is None:
            return None
        known = set(s.scalars(select(Classification.code)))
        classification = next((c for c in feed.classifications if c in known), None)
        if classification is None:
            log.warning("sensor open data: no classification for %s", feed.code)
            return None
        fields = EntryFields.parse(
            {
                **feed.fields,
                "classification_code": classification,
                "data_items": [
                    {
                        "name": name,
                        "data_type": kind,
                        "sensitivity": "public",
                        **({"length": 100} if kind == "C" else {}),
                    }
                    for name, kind, _ in feed.columns
                ],
            }
        )
        services.catalog.add_entry(
            s,
            actor,
            department=feed.department,
            fields=fields,
            code=feed.code,
            status=EntryStatus.PUBLISHED,
        )
    return feed.code


def _hour_key(now: datetime, tz: ZoneInfo) -> str:
    return now.astimezone(tz).strftime("%Y%m%d%H")


def _already_published(services: Services, code: str, source_name: str) -> bool:
    with services.db.reader() as s:
        found = s.scalar(
            select(IngestJob.id)
            .join(Dataset, Dataset.id == IngestJob.dataset_id)
            .join(CatalogEntry, CatalogEntry.id == Dataset.entry_id)
            .where(
                CatalogEntry.code == code,
                IngestJob.source_name == source_name,
                IngestJob.status.in_(("succeeded", "unchanged")),
            )
        )
        return found is not None


def _rows(services: Services, feed: Feed, tz: ZoneInfo) -> list[list[str]]:
    with services.db.reader() as s:
        entities: Sequence[OpsEntity] = s.scalars(
            select(OpsEntity).where(OpsEntity.type == feed.entity_type).order_by(OpsEntity.id)
        ).all()
        rows = []
        for e in entities:
            attrs = e.attrs or {}
            observed = e.last_seen_at or e.modified_at
            district = DISTRICT_BY_CODE.get(e.district)
            row = []
            for _, _, key in feed.columns:
                match key:
                    case ":id":
                        value: Any = e.id
                    case ":district":
                        value = district.name if district else e.district
                    case ":lon":
                        value = e.lon
                    case ":lat":
                        value = e.lat
                    case ":observed":
                        value = observed.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S")
                    case _:
                        value = _value(attrs, key)
                row.append(_cell(value))
            rows.append(row)
        return rows


def publish_sensor_open_data(services: Services, now: datetime | None = None) -> dict[str, str]:
    """Publish this hour's air quality and spring levels (idempotent per hour): what happened."""
    moment = now or datetime.now(UTC)
    tz = ZoneInfo(services.settings.timezone)
    actor = Principal.system(ACTOR)
    outcome: dict[str, str] = {}
    for feed in FEEDS:
        code = _ensure_entry(services, actor, feed)
        if code is None:
            outcome[feed.code] = "no_owner"
            continue
        source_name = f"{feed.code}-{_hour_key(moment, tz)}.csv"
        if _already_published(services, code, source_name):
            outcome[feed.code] = "already_published"
            continue
        rows = _rows(services, feed, tz)
        if not rows:
            outcome[feed.code] = "no_sensors"
            continue
        with tempfile.TemporaryDirectory(prefix="qc-sensor-") as tmp:
            path = Path(tmp) / source_name
            with path.open("w", encoding="utf-8", newline="") as out:
                writer = csv.writer(out)
                writer.writerow([name for name, _, _ in feed.columns])
                writer.writerows(rows)
            job = services.datastore.start_load(actor, code, source_name=source_name)
            result = services.datastore.run_load(job.id, path)
        outcome[feed.code] = str(result.status.value)
        if outcome[feed.code] not in ("succeeded", "unchanged"):
            log.warning("sensor open data %s: %s", feed.code, result.message)
    return outcome
