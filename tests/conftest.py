"""Fixtures: a fresh database per test on SQLite and (under `make test`) PostgreSQL."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from quancheng.app import Services, create_app
from quancheng.identity.service import PasswordPolicy
from quancheng.settings import Settings
from tests.support.city import SmallCity, seed_small_city
from tests.support.postgres import create_database, drop_database, postgres_admin_url

SHARED_TESTDATA = Path(__file__).resolve().parents[1].parent / "shared" / "testdata"
# Cheap hashing keeps per-test users fast; production parameters are tested on their own.
FAST_PASSWORDS = PasswordPolicy(time_cost=1, memory_cost_kib=1024)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A new, empty metadata database: a SQLite file, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'meta.sqlite3'}"
        return
    admin = postgres_admin_url()
    if admin is None:
        if os.environ.get("CI"):
            pytest.fail("QC_TEST_POSTGRES_URL is not set: run the suite with `make test`")
        pytest.skip("no PostgreSQL server: run the suite with `make test`")
    url = create_database(admin)
    yield url
    drop_database(admin, url)


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    """Settings of a test city in its own data dir."""
    # On PostgreSQL the tabular data lives in the same throwaway database as the metadata.
    return Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        datastore_url=database_url if database_url.startswith("postgresql") else None,
        secret_key="test-secret-key-0123456789abcdef",
    )


@pytest.fixture
def services(settings: Settings) -> Iterator[Services]:
    """Migrated services of an empty city."""
    built = Services.from_settings(settings, passwords=FAST_PASSWORDS)
    built.db.migrate()
    yield built
    built.close()


@pytest.fixture
def city(services: Services) -> SmallCity:
    """A small city with one user of each role."""
    return seed_small_city(services)


@pytest.fixture
def client(services: Services, settings: Settings) -> Iterator[TestClient]:
    """An in-process HTTP client of the app."""
    with TestClient(create_app(settings, services=services)) as c:
        yield c


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests that start the Mosquitto broker carry the `mqtt` marker (`-m "not mqtt"`)."""
    for item in items:
        if "mosquitto_broker" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.mqtt)
