"""A streetlight's state column: kept by every write path, filled in for existing lamps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from alembic import command
from sqlalchemy import select, text

from quancheng.app import DERIVED_DATA, Services
from quancheng.db import Database
from quancheng.db.database import _alembic_config
from quancheng.db.models import OpsEntity
from quancheng.identity.roles import Principal
from quancheng.operations.model import STREETLIGHT, lamp_state
from tests.support.city import SmallCity

LAMP = "urn:ngsi-ld:Streetlight:state-1"


def state_of(services: Services, entity_id: str) -> str:
    with services.db.reader() as s:
        return s.get_one(OpsEntity, entity_id).state


def prop(value: Any) -> dict[str, Any]:
    return {"type": "Property", "value": value}


def test_lamp_state_rules() -> None:
    assert lamp_state({"powerState": "on"}) == "on"
    assert lamp_state({"powerState": "low"}) == "on"
    assert lamp_state({"powerState": "off"}) == "off"
    assert lamp_state({}) == "off"
    assert lamp_state({"powerState": "on", "lampFailure": True}) == "faulty"
    assert lamp_state({"powerState": "off", "status": "defectiveLamp"}) == "faulty"
    assert lamp_state({"powerState": "on", "status": "ok", "supplyLoss": False}) == "on"


def test_every_write_path_keeps_the_state(services: Services, city: SmallCity) -> None:
    steward = city.principals["gaj_steward"]
    store = services.entities
    store.create(steward, {"id": LAMP, "type": STREETLIGHT, "powerState": prop("on")})
    assert state_of(services, LAMP) == "on"
    store.patch(steward, LAMP, {"powerState": prop("off")})
    assert state_of(services, LAMP) == "off"
    at = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    store.ingest_batch(steward, [{"id": LAMP, "attrs": {"powerState": "on"}}])
    assert state_of(services, LAMP) == "on"
    # A failure flag through the device path makes it faulty; the repair brings it back.
    store.ingest_batch(
        steward, [{"id": LAMP, "attrs": {"lampFailure": {"value": True, "observedAt": at}}}]
    )
    assert state_of(services, LAMP) == "faulty"
    store.ingest_device(STREETLIGHT, LAMP, {"lampFailure": False})
    assert state_of(services, LAMP) == "on"
    store.upsert(steward, [{"id": LAMP, "type": STREETLIGHT, "status": prop("defectiveLamp")}])
    assert state_of(services, LAMP) == "faulty"
    # Other types have none.
    store.upsert(
        Principal.system("t"),
        [{"id": "urn:ngsi-ld:AirQualityObserved:s", "type": "AirQualityObserved"}],
        department="sthjj",
    )
    assert state_of(services, "urn:ngsi-ld:AirQualityObserved:s") == ""


def test_migrate_fills_in_existing_lamps_and_the_migration_closes_duplicate_alarms(
    tmp_path: Path,
) -> None:
    # Migration 0007 adds the column and closes the alarms; the lamps' states are derived
    # data, filled in by `migrate` once the schema is at the head.
    db = Database(url=f"sqlite:///{tmp_path / 'old.sqlite3'}", derived=DERIVED_DATA)
    config = _alembic_config()
    with db.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0006")
        connection.execute(
            text(
                "INSERT INTO departments (id, key, name, short_name, name_en, credit_code, "
                "kind, created_at) VALUES (1, 'cgj', '城市管理局', '城管', 'Urban Management', "
                "'11370100MB0000000X', 'bureau', '2026-11-30 00:00:00')"
            )
        )
        for n, attrs in enumerate(
            (
                '{"powerState": {"type": "Property", "value": "on"}}',
                '{"powerState": {"type": "Property", "value": "on"}, '
                '"lampFailure": {"type": "Property", "value": true}}',
                "{}",
            )
        ):
            connection.execute(
                text(
                    "INSERT INTO ops_entities (id, type, department_id, district, group_id, "
                    "attrs, created_at, modified_at) VALUES (:id, 'Streetlight', 1, '370102', "
                    "'', :attrs, '2026-11-30 00:00:00', '2026-11-30 00:00:00')"
                ),
                {"id": f"lamp-{n}", "attrs": attrs},
            )
        for n in range(3):  # the same alarm opened three times by racing processes
            connection.execute(
                text(
                    "INSERT INTO ops_alarms (entity_id, department_id, dedupe_key, kind, "
                    "severity, state, message, occurrences, raised_at, last_seen_at) VALUES "
                    "('lamp-1', 1, 'flag:lampFailure|lamp-1', 'flag', 'major', :state, '', 1, "
                    "'2026-11-30 00:00:00', '2026-11-30 00:00:00')"
                ),
                {"state": "active" if n < 2 else "cleared"},
            )
    assert db.migrate() == {"catalog_search": 0, "lamp_state": 3}
    with db.engine.connect() as connection:
        states = dict(connection.execute(select(OpsEntity.id, OpsEntity.state)).all())
        alarms = connection.execute(text("SELECT id, state FROM ops_alarms ORDER BY id")).all()
    assert states == {"lamp-0": "on", "lamp-1": "faulty", "lamp-2": "off"}
    assert [a[1] for a in alarms] == ["active", "cleared", "cleared"]
