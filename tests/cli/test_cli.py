"""The `quancheng` command as an operator uses it: init, departments, users, tokens."""

from __future__ import annotations

import stat
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from quancheng.app import create_app
from quancheng.cli import load_settings, main
from tests.support.city import credit_code

AUTHORITY = credit_code("MB2848264")


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.delenv("QC_SECRET_KEY", raising=False)
    monkeypatch.delenv("QC_DATA_DIR", raising=False)
    monkeypatch.delenv("QC_DATABASE_URL", raising=False)
    return CliRunner()


def run(runner: CliRunner, *args: str, ok: bool = True) -> str:
    result = runner.invoke(main, list(args))
    if ok:
        assert result.exit_code == 0, result.output
    else:
        assert result.exit_code != 0, result.output
    return result.output


def test_init_creates_a_city_with_a_secret_and_an_admin(runner: CliRunner, tmp_path: Path) -> None:
    data = str(tmp_path / "city")
    out = run(
        runner,
        "init",
        "--data-dir",
        data,
        "--authority-credit-code",
        AUTHORITY,
        "--admin-password",
        "first-admin-password",
    )
    assert "admin" in out
    key = tmp_path / "city" / "secret.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert len(key.read_text().strip()) >= 32
    # A second init refuses to overwrite the city.
    again = run(
        runner,
        "init",
        "--data-dir",
        data,
        "--authority-credit-code",
        AUTHORITY,
        "--admin-password",
        "first-admin-password",
        ok=False,
    )
    assert "already holds a city" in again
    assert "bigdata" in run(runner, "department", "list", "--data-dir", data)


def test_departments_users_and_tokens_from_the_command_line(
    runner: CliRunner, tmp_path: Path
) -> None:
    data = str(tmp_path / "city")
    run(
        runner,
        "init",
        "--data-dir",
        data,
        "--authority-credit-code",
        AUTHORITY,
        "--admin-password",
        "first-admin-password",
    )
    bad = run(
        runner,
        "department",
        "create",
        "--data-dir",
        data,
        "--key",
        "gaj",
        "--name",
        "济南市公安局",
        "--short-name",
        "市公安局",
        "--credit-code",
        "113701000041867810",
        ok=False,
    )
    assert "credit_code" in bad
    run(
        runner,
        "department",
        "create",
        "--data-dir",
        data,
        "--key",
        "gaj",
        "--name",
        "济南市公安局",
        "--short-name",
        "市公安局",
        "--credit-code",
        credit_code("004186781"),
    )
    run(
        runner,
        "user",
        "create",
        "--data-dir",
        data,
        "--username",
        "zhang.wei",
        "--password",
        "steward-password",
        "--role",
        "data_steward",
        "--department",
        "gaj",
    )
    unknown = run(
        runner,
        "user",
        "create",
        "--data-dir",
        data,
        "--username",
        "li.na",
        "--password",
        "steward-password",
        "--role",
        "data_steward",
        "--department",
        "nowhere",
        ok=False,
    )
    assert "department" in unknown
    token = run(runner, "user", "token", "--data-dir", data, "zhang.wei", "--name", "接口").split()[
        0
    ]
    assert token.startswith("qc_")
    settings = load_settings(Path(data))
    with TestClient(create_app(settings)) as client:
        me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).json()
        assert me["username"] == "zhang.wei"
        assert me["role"] == "data_steward"
    run(runner, "user", "role", "--data-dir", data, "zhang.wei", "department_admin")
    refused_role = run(
        runner, "user", "role", "--data-dir", data, "zhang.wei", "public_user", ok=False
    )
    assert "department" in refused_role
    with TestClient(create_app(settings)) as client:
        me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).json()
        assert me["role"] == "department_admin"
    run(runner, "user", "disable", "--data-dir", data, "zhang.wei")
    with TestClient(create_app(settings)) as client:
        refused = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert refused.status_code == 401
    assert "(disabled)" in run(runner, "user", "list", "--data-dir", data)


def test_serve_refuses_an_empty_data_dir_and_a_placeholder_secret(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = run(runner, "serve", "--data-dir", str(tmp_path / "nothing"), ok=False)
    assert "QC_SECRET_KEY" in out
    monkeypatch.setenv("QC_SECRET_KEY", "a-long-enough-random-secret-value")
    out = run(runner, "serve", "--data-dir", str(tmp_path / "nothing"), ok=False)
    assert "quancheng init" in out


def test_a_token_for_no_time_or_no_name_is_refused_clearly(
    runner: CliRunner, tmp_path: Path
) -> None:
    # --days -5 printed a token that had expired five days ago, --days 0 one valid for the
    # default year, --days 99999999 an OverflowError traceback, and --name ' ' a nameless token.
    data = str(tmp_path / "city")
    run(
        runner,
        "init",
        "--data-dir",
        data,
        "--authority-credit-code",
        AUTHORITY,
        "--admin-password",
        "first-admin-password",
    )
    for days in ("-5", "0", "99999999"):
        result = runner.invoke(
            main, ["user", "token", "--data-dir", data, "admin", "--name", "x", "--days", days]
        )
        assert isinstance(result.exception, SystemExit) and result.exit_code == 2, result.output
        assert "--days" in result.output and "qc_" not in result.output
    result = runner.invoke(main, ["user", "token", "--data-dir", data, "admin", "--name", " "])
    assert isinstance(result.exception, SystemExit) and result.exit_code == 1, result.output
    assert "name" in result.output and "qc_" not in result.output
    token = run(runner, "user", "token", "--data-dir", data, "admin", "--name", "x", "--days", "1")
    assert token.startswith("qc_")


@pytest.mark.parametrize(
    "args",
    [
        ("serve", "--port", "99999"),
        ("serve", "--port", "0"),
        ("serve", "--workers", "0"),
        ("demo", "--port", "70000"),
    ],
)
def test_a_port_or_worker_count_out_of_range_is_refused_before_starting(
    runner: CliRunner, tmp_path: Path, args: tuple[str, ...]
) -> None:
    # --port 99999 ended in uvicorn's OverflowError traceback ('bind(): port must be 0-65535'),
    # --port 0 quietly served on QC_PORT.
    result = runner.invoke(main, [*args, "--data-dir", str(tmp_path / "city")])
    assert isinstance(result.exception, SystemExit) and result.exit_code == 2, result.output
    assert args[1] in result.output and "range" in result.output
    assert not (tmp_path / "city").exists()


def test_a_default_token_validity_past_ten_years_is_a_configuration_error(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # QC_TOKEN_DAYS=99999999 was accepted, then every token issued from the command line, the
    # API and the portal ended in an OverflowError (a 500 on the web).
    data = str(tmp_path / "city")
    run(
        runner,
        "init",
        "--data-dir",
        data,
        "--authority-credit-code",
        AUTHORITY,
        "--admin-password",
        "first-admin-password",
    )
    monkeypatch.setenv("QC_TOKEN_DAYS", "99999999")
    result = runner.invoke(main, ["user", "token", "--data-dir", data, "admin", "--name", "x"])
    assert isinstance(result.exception, SystemExit) and result.exit_code == 1, result.output
    assert "QC_TOKEN_DAYS" in result.output and "qc_" not in result.output


def test_python_dash_m_quancheng_is_the_command() -> None:
    # For a virtual environment whose scripts were not installed (or are not on PATH).
    done = subprocess.run(
        [sys.executable, "-m", "quancheng", "--help"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    # The domain commands, registered once every command module is imported, are all there.
    for command in ("catalog", "ledger", "backup", "demo", "serve"):
        assert f"  {command} " in done.stdout, done.stdout
