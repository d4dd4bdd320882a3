"""`quancheng catalog reindex` and `quancheng migrate` rebuild the catalog's search index."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from quancheng.app import Services
from quancheng.catalog.search import SEARCH_INDEX_VERSION
from quancheng.catalog.service import SearchQuery
from quancheng.cli import main
from quancheng.settings import Settings
from tests.support.city import SmallCity, entry_fields


@pytest.fixture
def cli_env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The command line's view of the test city: its databases, secret and data dir."""
    monkeypatch.delenv("QC_DATA_DIR", raising=False)
    monkeypatch.setenv("QC_DATABASE_URL", settings.resolved_database_url)
    if settings.datastore_url:
        monkeypatch.setenv("QC_DATASTORE_URL", settings.datastore_url)
    monkeypatch.setenv("QC_SECRET_KEY", settings.secret_key.get_secret_value())
    return ["--data-dir", str(settings.data_dir)]


@pytest.fixture
def entries(city: SmallCity) -> list[int]:
    actor = city.principals["gaj_steward"]
    catalog = city.services.catalog
    made = [
        catalog.create(actor, department="gaj", fields=entry_fields(name=name)).id
        for name in ("户籍人口统计", "机动车登记信息")
    ]
    for entry_id in made:
        catalog.submit(actor, entry_id)
        catalog.publish(actor, entry_id)
    return made


def found(city: SmallCity, query: str) -> set[int]:
    result = city.services.catalog.search(city.principals["citizen"], SearchQuery(q=query))
    return {e.id for e in result.items}


def empty_index(services: Services) -> None:
    """What an operator may find after restoring a backup made by hand: no index rows."""
    with services.db.transaction() as s:
        s.execute(text("DELETE FROM catalog_search"))


def test_reindex_rebuilds_the_index_and_says_how_many(
    services: Services, city: SmallCity, entries: list[int], cli_env: list[str]
) -> None:
    empty_index(services)
    assert found(city, "公安局") == set()

    result = CliRunner().invoke(main, ["catalog", "reindex", *cli_env])

    assert result.exit_code == 0, result.output
    assert result.output.strip() == "Indexed 2 catalog entries."
    assert found(city, "公安局") == set(entries)
    assert found(city, "机动车") == {entries[1]}


def test_migrate_rebuilds_an_index_of_an_older_release_and_says_so(
    services: Services, city: SmallCity, entries: list[int], cli_env: list[str]
) -> None:
    empty_index(services)
    with services.db.transaction() as s:
        s.execute(
            text("UPDATE derived_data SET version = :v WHERE kind = 'catalog_search'"),
            {"v": SEARCH_INDEX_VERSION - 1},
        )

    first = CliRunner().invoke(main, ["migrate", *cli_env])
    again = CliRunner().invoke(main, ["migrate", *cli_env])

    assert first.exit_code == 0, first.output
    assert "Rebuilt catalog_search with this release's code: 2 rows." in first.output
    assert found(city, "公安局") == set(entries)
    assert again.output.strip() == "Schema is up to date."


def test_reindex_needs_a_city(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("QC_DATA_DIR", "QC_DATABASE_URL", "QC_DATASTORE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("QC_SECRET_KEY", "test-secret-key-0123456789abcdef")
    result = CliRunner().invoke(main, ["catalog", "reindex", "--data-dir", str(tmp_path / "none")])
    assert result.exit_code != 0
    assert "no city in" in result.output
