"""`quancheng harvest add|list|run` through the real CLI against a second city served over HTTP."""

from __future__ import annotations

import pytest
from click.testing import CliRunner, Result

from quancheng.app import Services
from quancheng.cli import main
from quancheng.settings import Settings
from tests.opendata.test_harvest import Remote, remote  # noqa: F401 (the fixture)
from tests.support.city import SmallCity
from tests.support.live import free_socket


@pytest.fixture
def cli(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    for name in ("QC_DATA_DIR", "QC_LEDGER_SUITE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("QC_DATABASE_URL", settings.resolved_database_url)
    monkeypatch.setenv("QC_SECRET_KEY", settings.secret_key.get_secret_value())
    return CliRunner()


def _run(cli: CliRunner, settings: Settings, *args: str) -> Result:
    return cli.invoke(main, ["harvest", *args, "--data-dir", str(settings.data_dir)])


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_add_list_and_run_a_ckan_source(
    cli: CliRunner,
    settings: Settings,
    services: Services,
    city: SmallCity,
    remote: Remote,  # noqa: F811
) -> None:
    added = _run(
        cli,
        settings,
        "add",
        "--department",
        "sthjj",
        "--kind",
        "ckan",
        "--name",
        "第二城市",
        "--every-hours",
        "12",
        remote.url,
    )
    assert added.exit_code == 0, added.output
    assert "Harvest source 1 added" in added.output

    listed = _run(cli, settings, "list")
    assert listed.exit_code == 0, listed.output
    assert "sthjj" in listed.output and "every 12h" in listed.output
    assert "never run" in listed.output

    due = _run(cli, settings, "run", "--due")
    assert due.exit_code == 0, due.output
    assert "succeeded — 2 created, 0 updated, 0 unchanged, 0 removed, 0 failed" in due.output
    assert f"created  {remote.air_code}" in due.output

    again = _run(cli, settings, "run", "1")
    assert again.exit_code == 0, again.output
    assert "0 created, 0 updated, 2 unchanged" in again.output
    assert "No harvest source is due." in _run(cli, settings, "run", "--due").output
    assert "succeeded" in _run(cli, settings, "list").output


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_failures_are_clear_and_exit_non_zero(
    cli: CliRunner, settings: Settings, services: Services, city: SmallCity
) -> None:
    dead = free_socket()
    url = f"http://127.0.0.1:{dead.getsockname()[1]}/catalog.ttl"
    assert _run(cli, settings, "add", "--department", "sthjj", "--kind", "dcat", url).exit_code == 0

    failed = _run(cli, settings, "run", "1")
    dead.close()

    assert failed.exit_code == 1
    assert "failed" in failed.output and "cannot reach" in failed.output
    unknown = _run(cli, settings, "add", "--department", "nope", "--kind", "ckan", "https://x.ex")
    assert unknown.exit_code == 1 and "no department nope" in unknown.output
    bad_url = _run(cli, settings, "add", "--department", "gaj", "--kind", "ckan", "file:///etc")
    assert bad_url.exit_code == 1 and "http or https" in bad_url.output
    assert _run(cli, settings, "run").exit_code == 2  # neither an id nor --due
    missing = _run(cli, settings, "run", "99")
    assert missing.exit_code == 1 and "no harvest source 99" in missing.output
    huge = _run(cli, settings, "run", "99999999999999999999")
    assert isinstance(huge.exception, SystemExit) and huge.exit_code == 2, huge.output
