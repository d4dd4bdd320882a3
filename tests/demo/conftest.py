"""The demo city, built once for the demo tests (its history needs the catalog and accounts)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from quancheng.app import Services
from quancheng.demo.build import build_demo
from quancheng.settings import Settings
from tests.conftest import FAST_PASSWORDS


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Services, dict[str, object]]]:
    """The demo city without table rows (its history needs the catalog and the accounts)."""
    data_dir: Path = tmp_path_factory.mktemp("demo")
    settings = Settings(
        data_dir=data_dir,
        database_url=f"sqlite:///{data_dir / 'meta.sqlite3'}",
        secret_key="test-secret-key-0123456789abcdef",
    )
    services = Services.from_settings(settings, passwords=FAST_PASSWORDS)
    services.db.migrate()
    summary = build_demo(services, data_dir=data_dir, with_data=False)
    yield services, summary
    services.close()
