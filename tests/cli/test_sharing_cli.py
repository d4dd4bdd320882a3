"""`quancheng sharing sweep` as a scheduler runs it: lapsed grants and overdue requests."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from quancheng.app import Services
from quancheng.cli import main
from quancheng.db.models import LedgerLeaf
from quancheng.settings import Settings
from quancheng.sharing.model import Action
from quancheng.sharing.service import SharingService
from tests.support.city import SmallCity
from tests.support.sharing import seed_exchange

LAST_SPRING = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_sweep_expires_lapsed_grants_and_escalates_overdue_requests(
    services: Services,
    settings: Settings,
    city: SmallCity,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ex = seed_exchange(city, tmp_path)
    past = SharingService(
        db=services.db,
        catalog=services.catalog,
        datastore=services.datastore,
        ledger=services.ledger,
        rules=services.sharing.rules,
        clock=lambda: LAST_SPRING,
    )
    # A 30-day grant from last spring, and a request pending at the provider since then.
    granted = past.create_request(
        ex.consumer, dataset_id=ex.entry_id, purpose="执法核查", items=["所属区县"], period_days=30
    )
    past.act(ex.consumer, granted.id, Action.SUBMIT)
    past.act(ex.platform, granted.id, Action.PASS)
    past.act(ex.provider, granted.id, Action.APPROVE)
    waiting = past.create_request(
        ex.consumer, dataset_id=ex.entry_id, purpose="救助审核", items=["姓名"], period_days=30
    )
    past.act(ex.consumer, waiting.id, Action.SUBMIT)
    past.act(ex.platform, waiting.id, Action.PASS)
    for name in ("QC_DATA_DIR", "QC_LEDGER_SUITE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("QC_DATABASE_URL", settings.resolved_database_url)
    monkeypatch.setenv("QC_SECRET_KEY", settings.secret_key.get_secret_value())

    first = CliRunner().invoke(main, ["sharing", "sweep", "--data-dir", str(settings.data_dir)])
    again = CliRunner().invoke(main, ["sharing", "sweep", "--data-dir", str(settings.data_dir)])

    assert first.exit_code == 0, first.output
    assert "1 grants expired, 1 overdue requests escalated" in first.output
    assert "0 grants expired, 0 overdue requests escalated" in again.output
    grant = services.sharing.grant(
        ex.provider, services.sharing.request(ex.provider, granted.id).grant_id or 0
    )
    assert grant.state.value == "expired"
    assert services.sharing.request(ex.platform, waiting.id).escalated
    with services.db.reader() as s:
        kinds = set(s.scalars(select(LedgerLeaf.type)))
    assert {"sharing.grant.expired", "sharing.request.overdue"} <= kinds
