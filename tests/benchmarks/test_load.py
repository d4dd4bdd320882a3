"""The load benchmark, briefly: every route of the mix answers, with no error, on two workers."""

from __future__ import annotations

import os

import pytest
from benchmarks.load import MIX, SHARING_ROUTES, measure

from tests.support.postgres import postgres_admin_url

ROUTES = set(MIX) | set(SHARING_ROUTES)


@pytest.mark.postgres
def test_a_short_mixed_load_on_two_workers_has_no_errors_and_reports_every_route() -> None:
    if postgres_admin_url() is None:
        if os.environ.get("CI"):
            pytest.fail("QC_TEST_POSTGRES_URL is not set: run the suite with `make test`")
        pytest.skip("no PostgreSQL server: run the suite with `make test`")
    figures, result = measure(seconds=5, clients=20, workers=2)

    assert set(result["latencies"]) == ROUTES
    assert all(result["latencies"][route] for route in ROUTES)
    # Any non-2xx answer or exception, in the warm-up or the run, is a platform error.
    assert result["warm_errors"] == {}, result["warm_samples"]
    assert result["errors"] == {}, result["samples"]

    by_name = {f.name: f for f in figures}
    for route in ROUTES:
        assert by_name[f"{route}: p50"].value > 0
        assert by_name[f"{route}: p99"].value >= by_name[f"{route}: p50"].value
    errors = by_name["errors (non-2xx or exception)"]
    assert (errors.value, errors.as_json()["verdict"]) == (0, "met")
    assert by_name["throughput, all routes"].value > 0
    # The serve master and both workers were sampled, and the worst growth is reported.
    memory = [f for f in figures if f.name.startswith("memory: ")]
    assert sum("worker" in f.name for f in memory) == 2, [f.name for f in memory]
    assert any("serve master" in f.name for f in memory)
    assert all(f.value > 0 for f in memory)
    assert "memory growth, worst process" in by_name
