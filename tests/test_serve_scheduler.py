"""The server's periodic work: due harvests and the sharing sweep run inside `serve`."""

from __future__ import annotations

import threading
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from quancheng.app import Services, create_app, scheduler_for
from quancheng.db.models import HarvestRun, HarvestSource, utcnow
from quancheng.settings import Settings
from tests.support.city import SmallCity


def test_a_due_harvest_runs_on_the_servers_schedule(
    city: SmallCity, services: Services, settings: Settings
) -> None:
    admin = city.principals["admin"]
    # An unreachable source: its due run is attempted, recorded as failed, and rescheduled.
    source = services.harvest.add_source(
        admin, department="sthjj", kind="ckan", url="http://127.0.0.1:1/", interval_hours=6
    )
    with services.db.transaction() as s:
        s.get_one(HarvestSource, source.id).next_run_at = utcnow() - timedelta(minutes=1)
    scheduler = scheduler_for(services)
    assert {"harvest", "sharing-sweep", "alarms-offline", "lighting", "command-retries"} <= set(
        scheduler.jobs
    )
    assert scheduler.run_pending() == len(scheduler.jobs)
    # Every job runs on a fresh city without failing.
    assert {name: job.failures for name, job in scheduler.jobs.items() if job.failures} == {}
    with services.db.reader() as s:
        runs = s.scalars(select(HarvestRun).where(HarvestRun.source_id == source.id)).all()
        again = s.get_one(HarvestSource, source.id).next_run_at
    assert [r.state for r in runs] == ["failed"]
    assert again is not None and again > utcnow() + timedelta(hours=5)


def test_one_server_process_of_a_city_runs_the_background_work(
    services: Services, settings: Settings
) -> None:
    from quancheng.app import background_work

    with background_work(services):
        running = {t.name for t in threading.enumerate()}
        # A second worker of the same data dir leaves it to the first.
        with background_work(services):
            assert {t.name for t in threading.enumerate()} == running
    assert "quancheng-scheduler" in running


def test_the_scheduler_starts_and_stops_with_the_server(
    services: Services, settings: Settings
) -> None:
    app = create_app(settings, services=services, scheduled=True)
    with TestClient(app) as client:
        assert client.get("/healthz").status_code == 200
        threads = {t.name for t in threading.enumerate()}
        assert "quancheng-scheduler" in threads
    threads = {t.name for t in threading.enumerate()}
    assert "quancheng-scheduler" not in threads
