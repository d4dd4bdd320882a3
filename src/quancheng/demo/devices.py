"""The demo city's device fleet: lamps, cabinets, groups, air stations, counters, spring gauges.

Rows go straight into ops_entities (fast: no observers, no history) with plausible latest
attributes computed by the simulator's physics for the moment of seeding, so the big screen
shows a city at once; `quancheng simulate` then keeps it alive.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, select

from quancheng.db.models import Department, OpsEntity
from quancheng.operations.model import entity_state
from quancheng.operations.simulator import Physics, build_fleet, entity

if TYPE_CHECKING:
    from quancheng.app import Services

DEMO_FLEET = {
    "lamps": 2000,
    "cabinets": 40,
    "groups": 60,
    "air_stations": 15,
    "traffic_counters": 30,
    "springs": 8,
}


def seed_devices(
    services: Services,
    *,
    seed: int,
    now: datetime | None = None,
    owners: dict[str, str] | None = None,
    **sizes: int,
) -> dict[str, int]:
    """Insert the demo fleet's entities (idempotent: existing ids are left alone); counts by type.

    `owners` maps the demo's department keys (cgj, sthjj, jtysj, swj) to others (tests); a
    device whose department does not exist is skipped.
    """
    size = {**DEMO_FLEET, **sizes}
    rename = owners or {}
    moment = now or datetime.now(UTC)
    fleet = build_fleet(
        lamps=size["lamps"],
        air_stations=size["air_stations"],
        traffic_counters=size["traffic_counters"],
        springs=size["springs"],
        groups=size["groups"],
        cabinets=size["cabinets"],
        seed=seed,
    )
    physics = Physics(fleet, seed=seed, timezone=services.settings.timezone)
    counts: dict[str, int] = {}
    with services.db.transaction() as s:
        departments = {
            key: dept_id
            for key, dept_id in s.execute(
                select(Department.key, Department.id).where(
                    Department.key.in_({rename.get(d.owner, d.owner) for d in fleet.all()})
                )
            )
        }
        existing = set(s.scalars(select(OpsEntity.id).where(OpsEntity.id.like("urn:ngsi-ld:%"))))
        rows: list[dict[str, Any]] = []
        for device in fleet.all():
            dept = departments.get(rename.get(device.owner, device.owner))
            if dept is None or device.id in existing:
                continue
            body = entity(device, physics.reading(device, moment))
            attrs = {k: v for k, v in body.items() if k not in ("id", "type")}
            rows.append(
                {
                    "id": device.id,
                    "type": device.type,
                    "department_id": dept,
                    "district": device.district,
                    "group_id": device.group_id,
                    "lon": device.lon,
                    "lat": device.lat,
                    "attrs": attrs,
                    # A Core insert passes no ORM event: the lamp state is set here.
                    "state": entity_state(device.type, attrs),
                    "last_seen_at": moment,
                    "created_at": moment,
                    "modified_at": moment,
                }
            )
            counts[device.type] = counts.get(device.type, 0) + 1
        for i in range(0, len(rows), 1000):
            s.execute(insert(OpsEntity), rows[i : i + 1000])
    return counts
