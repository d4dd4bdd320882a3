"""`quancheng ingest`, `data versions` and `rollback` as an operator uses them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from quancheng.app import Services
from quancheng.cli import load_settings, main
from quancheng.identity.roles import Principal
from tests.support.city import credit_code, entry_fields


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    for name in ("QC_SECRET_KEY", "QC_DATA_DIR", "QC_DATABASE_URL", "QC_DATASTORE_URL"):
        monkeypatch.delenv(name, raising=False)
    return CliRunner()


def run(runner: CliRunner, *args: str, ok: bool = True) -> str:
    result = runner.invoke(main, list(args))
    assert (result.exit_code == 0) is ok, result.output
    return result.output


@pytest.fixture
def city(runner: CliRunner, tmp_path: Path) -> tuple[Path, str]:
    """An initialised city with one published entry; its data dir and the entry's code."""
    data = tmp_path / "city"
    run(
        runner,
        "init",
        "--data-dir",
        str(data),
        "--authority-credit-code",
        credit_code("MB2848264"),
        "--admin-password",
        "first-admin-password",
    )
    services = Services.from_settings(load_settings(data))
    try:
        platform = Principal.system("test")
        catalog = services.catalog
        entry = catalog.create(platform, department="bigdata", fields=entry_fields())
        catalog.submit(platform, entry.id)
        catalog.publish(platform, entry.id)
        code = entry.code
    finally:
        services.close()
    return data, code


def test_ingest_list_and_roll_back(
    runner: CliRunner, city: tuple[Path, str], tmp_path: Path
) -> None:
    data, code = city
    first = tmp_path / "v1.csv"
    first.write_text("监测站点,监测时间,PM2.5浓度\n泉城广场,2024-01-05 08:00,35.5\n", "gb18030")
    second = tmp_path / "v2.csv"
    second.write_text("监测站点,监测时间,PM2.5浓度\n泉城广场,2024-01-06 08:00,12\n省站,,3\n")

    out = run(runner, "ingest", "--data-dir", str(data), code, str(first))
    assert "Version 1" in out and "1 rows" in out
    assert "identical" in run(runner, "ingest", "--data-dir", str(data), code, str(first))
    assert "Version 2" in run(runner, "ingest", "--data-dir", str(data), code, str(second))

    listed = json.loads(run(runner, "data", "versions", "--data-dir", str(data), code, "--json"))
    assert [(v["number"], v["current"], v["rows"]) for v in listed] == [
        (2, True, 2),
        (1, False, 1),
    ]

    assert "Version 1 is current again" in run(
        runner, "rollback", "--data-dir", str(data), code, "1"
    )
    listed = json.loads(run(runner, "data", "versions", "--data-dir", str(data), code, "--json"))
    assert [v["number"] for v in listed if v["current"]] == [1]


def test_a_bad_file_fails_with_a_message_and_changes_nothing(
    runner: CliRunner, city: tuple[Path, str], tmp_path: Path
) -> None:
    data, code = city
    bad = tmp_path / "bad.csv"
    bad.write_text("监测站点,监测时间,PM2.5浓度\n泉城广场,昨天,很多\n")

    out = run(runner, "ingest", "--data-dir", str(data), code, str(bad), ok=False)

    assert "do not match the entry's data items" in out
    assert "Row errors:" in out
    assert (
        json.loads(run(runner, "data", "versions", "--data-dir", str(data), code, "--json")) == []
    )


def test_an_unknown_entry_is_a_clear_error(
    runner: CliRunner, city: tuple[Path, str], tmp_path: Path
) -> None:
    data, _ = city
    path = tmp_path / "x.csv"
    path.write_text("a\n1\n")

    out = run(runner, "ingest", "--data-dir", str(data), "no-such-entry", str(path), ok=False)

    assert "no-such-entry" in out or "not" in out.lower()


def test_an_entry_or_version_past_the_integer_range_is_a_clear_error(
    runner: CliRunner, city: tuple[Path, str], tmp_path: Path
) -> None:
    # Each ended in an OverflowError traceback (Python int too large for SQLite INTEGER).
    data, code = city
    path = tmp_path / "x.csv"
    path.write_text("a\n1\n")
    huge = "99999999999999999999"
    for args in (
        ("ingest", "--data-dir", str(data), huge, str(path)),
        ("data", "versions", "--data-dir", str(data), huge),
        ("rollback", "--data-dir", str(data), huge, "1"),
        ("rollback", "--data-dir", str(data), code, huge),
    ):
        result = runner.invoke(main, list(args))
        assert isinstance(result.exception, SystemExit), (args, result.output)
        assert result.exit_code in (1, 2) and "Error:" in result.output, result.output


def test_ingest_while_another_process_holds_the_datastore_is_a_clear_error(
    runner: CliRunner, city: tuple[Path, str], tmp_path: Path
) -> None:
    data, code = city
    path = tmp_path / "v1.csv"
    path.write_text("监测站点,监测时间,PM2.5浓度\n泉城广场,2024-01-05 08:00,35.5\n")
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time; con = duckdb.connect(sys.argv[1]); "
            "print('ready', flush=True); time.sleep(60)",
            str(data / "datastore.duckdb"),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"

        out = run(runner, "ingest", "--data-dir", str(data), code, str(path), ok=False)
    finally:
        holder.kill()
        holder.wait()

    assert "in use by another process" in out
