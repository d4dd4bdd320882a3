"""Derived data: stamped on a new database, rebuilt by `migrate` when its code is newer."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from quancheng.app import DERIVED_DATA, Services
from quancheng.catalog.search import SEARCH_INDEX, SEARCH_INDEX_VERSION, CatalogSearch
from quancheng.catalog.search import SearchDocument as Document
from quancheng.catalog.service import SearchQuery
from quancheng.db import Database
from quancheng.db.derived import Derivation, Step, check_kinds, rebuild, stale
from quancheng.db.models import CatalogEntry, DerivedStamp, OpsEntity
from quancheng.identity.roles import Principal
from quancheng.operations.latest import LAMP_STATES
from quancheng.operations.model import LAMP_STATE_VERSION, STREETLIGHT
from quancheng.settings import Settings
from tests.conftest import FAST_PASSWORDS
from tests.support.city import SmallCity, entry_fields

CURRENT = {"catalog_search": SEARCH_INDEX_VERSION, "lamp_state": LAMP_STATE_VERSION}


def nothing(s: Session, after: str | None, limit: int) -> Step:
    return Step(0, None)


def stamps(services: Services) -> dict[str, int]:
    with services.db.reader() as s:
        return {k: v for k, v in s.execute(select(DerivedStamp.kind, DerivedStamp.version))}


def set_stamp(services: Services, kind: str, version: int | None) -> None:
    """The stamp an older release left (None: a database from before stamps)."""
    with services.db.transaction() as s:
        if version is None:
            s.execute(text("DELETE FROM derived_data WHERE kind = :k"), {"k": kind})
        else:
            s.execute(
                text("UPDATE derived_data SET version = :v WHERE kind = :k"),
                {"k": kind, "v": version},
            )


def publish(city: SmallCity, user: str, department: str, **overrides: Any) -> int:
    actor = city.principals[user]
    catalog = city.services.catalog
    entry = catalog.create(actor, department=department, fields=entry_fields(**overrides))
    catalog.submit(actor, entry.id)
    catalog.publish(actor, entry.id)
    return entry.id


def found(city: SmallCity, query: str) -> set[int]:
    result = city.services.catalog.search(city.principals["citizen"], SearchQuery(q=query))
    return {e.id for e in result.items}


def without_departments(services: Services) -> None:
    """Every index row as a release before the departments were indexed wrote it."""
    search = CatalogSearch(dialect=services.db.dialect)
    with services.db.transaction() as s:
        for entry in s.scalars(select(CatalogEntry)):
            old = Document.of_fields(
                name=entry.name,
                name_en=entry.name_en,
                code=entry.code,
                abstract=entry.abstract,
                abstract_en=entry.abstract_en,
                keywords=entry.keywords,
                departments=(),
                items=[(i.name, i.name_en, i.description) for i in entry.items],
            )
            search.write(s, entry.id, old)


@pytest.fixture
def entries(city: SmallCity) -> dict[str, int]:
    return {
        "bus": publish(
            city,
            "gaj_steward",
            "gaj",
            name="济南市公交线路站点信息",
            abstract="全市公交线路及其站点的名称、位置。",
            keywords=["公交"],
        ),
        "air": publish(city, "env_steward", "sthjj"),
        "exhaust": publish(
            city,
            "env_steward",
            "sthjj",
            name="机动车尾气检测数据",
            abstract="机动车尾气年度检测结果。",
            keywords=["尾气"],
        ),
    }


def test_kinds_say_what_is_wrong_with_them() -> None:
    with pytest.raises(ValueError, match="'Catalog search'"):
        Derivation(kind="Catalog search", version=1, batch=nothing)
    with pytest.raises(ValueError, match="version 0, expected ≥ 1"):
        Derivation(kind="catalog_search", version=0, batch=nothing)
    with pytest.raises(ValueError, match="batch size 0"):
        Derivation(kind="catalog_search", version=1, batch=nothing, batch_size=0)
    twice = Derivation(kind="lamp_state", version=2, batch=nothing)
    with pytest.raises(ValueError, match="declared twice: lamp_state"):
        check_kinds([*DERIVED_DATA, twice])


def test_stale_kinds_are_those_missing_or_older() -> None:
    a = Derivation(kind="a", version=2, batch=nothing)
    b = Derivation(kind="b", version=1, batch=nothing)
    c = Derivation(kind="c", version=3, batch=nothing)
    assert stale([a, b, c], {"a": 1, "b": 1}) == [a, c]
    assert stale([a, b, c], {"a": 2, "b": 5, "c": 3}) == []  # newer data is left alone
    assert stale([a], {}) == [a]


def test_a_new_database_is_stamped_without_a_rebuild(settings: Settings) -> None:
    services = Services.from_settings(settings, passwords=FAST_PASSWORDS)
    try:
        assert services.db.migrate() == {}  # stamped in the migration's transaction
        assert stamps(services) == CURRENT
        assert services.db.migrate() == {}
    finally:
        services.close()


def test_an_older_search_index_is_rebuilt_on_migrate(
    services: Services, city: SmallCity, entries: dict[str, int]
) -> None:
    # Regression: a citizen searching 公安局 or 生态环境局 found nothing (migration 0009).
    without_departments(services)
    key = "rowid" if services.db.dialect == "sqlite" else "entry_id"
    with services.db.transaction() as s:
        s.execute(text(f"DELETE FROM catalog_search WHERE {key} = :id"), {"id": entries["air"]})
    set_stamp(services, "catalog_search", SEARCH_INDEX_VERSION - 1)
    assert found(city, "公安局") == set()
    assert found(city, "空气质量") == set()

    assert services.db.migrate() == {"catalog_search": 3}

    assert found(city, "公安局") == {entries["bus"]}
    assert found(city, "生态环境局") == {entries["air"], entries["exhaust"]}
    assert found(city, "空气质量") == {entries["air"]}
    assert stamps(services) == CURRENT
    assert services.db.migrate() == {}


def test_lamp_states_are_computed_again_on_migrate(services: Services, city: SmallCity) -> None:
    steward = city.principals["gaj_steward"]
    on = {"type": "Property", "value": "on"}
    failing = {"type": "Property", "value": True}
    lamps = {f"urn:ngsi-ld:Streetlight:derived-{n}": n for n in range(3)}
    for lamp, n in lamps.items():
        body: dict[str, Any] = {"id": lamp, "type": STREETLIGHT}
        if n:
            body["powerState"] = on
        if n == 2:
            body["lampFailure"] = failing
        services.entities.create(steward, body)
    station = "urn:ngsi-ld:AirQualityObserved:derived"
    services.entities.upsert(
        Principal.system("t"), [{"id": station, "type": "AirQualityObserved"}], department="sthjj"
    )
    # What a database migrated past 0007 holds before its states are filled in, and a
    # state no code writes for a station.
    with services.db.transaction() as s:
        s.execute(text("UPDATE ops_entities SET state = ''"))
        s.execute(text("UPDATE ops_entities SET state = 'on' WHERE id = :id"), {"id": station})
    set_stamp(services, "lamp_state", None)

    # Small batches: each lamp in its own transaction, the stamp with the last.
    db = Database(url=services.db.url, derived=(replace(LAMP_STATES, batch_size=1),))
    try:
        assert db.migrate() == {"lamp_state": 3}
    finally:
        db.dispose()

    with services.db.reader() as s:
        states = {i: st for i, st in s.execute(select(OpsEntity.id, OpsEntity.state))}
    assert states == {
        "urn:ngsi-ld:Streetlight:derived-0": "off",
        "urn:ngsi-ld:Streetlight:derived-1": "on",
        "urn:ngsi-ld:Streetlight:derived-2": "faulty",
        station: "",
    }
    assert stamps(services) == CURRENT


def test_a_rebuild_cut_short_runs_again_on_the_next_migrate(
    services: Services, city: SmallCity, entries: dict[str, int]
) -> None:
    def dies_after_the_first_batch(s: Session, after: str | None, limit: int) -> Step:
        if after is not None:
            raise RuntimeError("the process was killed")
        return SEARCH_INDEX.batch(s, after, limit)

    without_departments(services)
    set_stamp(services, "catalog_search", SEARCH_INDEX_VERSION - 1)
    killed = replace(SEARCH_INDEX, batch=dies_after_the_first_batch, batch_size=1)

    with pytest.raises(RuntimeError):
        rebuild(services.db, killed)

    # The first batch committed; the stamp waits for the last.
    assert found(city, "公安局") == {entries["bus"]}
    assert found(city, "生态环境局") == set()
    assert stamps(services)["catalog_search"] == SEARCH_INDEX_VERSION - 1
    assert services.db.migrate() == {"catalog_search": 3}
    assert found(city, "生态环境局") == {entries["air"], entries["exhaust"]}
    assert stamps(services) == CURRENT


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_rebuild_drops_the_rows_of_entries_that_are_gone(
    services: Services, city: SmallCity, entries: dict[str, int]
) -> None:
    # SQLite's full-text table has no foreign key: a row may outlive its entry.
    with services.db.transaction() as s:
        s.execute(text("INSERT INTO catalog_search (rowid, name) VALUES (999, 'gone')"))

    assert rebuild(services.db, replace(SEARCH_INDEX, batch_size=2)) == 3

    with services.db.reader() as s:
        rows = s.execute(text("SELECT rowid FROM catalog_search ORDER BY rowid")).scalars().all()
    assert rows == sorted(entries.values())
