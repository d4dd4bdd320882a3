"""`quancheng ledger …` and `quancheng witness` as an operator and an auditor use them."""

from __future__ import annotations

import base64
import json
import sqlite3
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from quancheng.cli import main
from quancheng.ledger.keys import KeyAlgorithm, SigningKey, VerifierKey, read_signing_key
from quancheng.ledger.note import add_signatures
from tests.support.city import credit_code

AUTHORITY = credit_code("MB2848264")


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    for name in ("QC_SECRET_KEY", "QC_DATA_DIR", "QC_DATABASE_URL", "QC_LEDGER_SUITE"):
        monkeypatch.delenv(name, raising=False)
    return CliRunner()


def run(runner: CliRunner, *args: str, ok: bool = True) -> str:
    result = runner.invoke(main, list(args))
    if ok:
        assert result.exit_code == 0, result.output
    else:
        assert result.exit_code != 0, result.output
    return result.output


@pytest.fixture
def city(runner: CliRunner, tmp_path: Path) -> Path:
    data = tmp_path / "city"
    run(
        runner,
        "init",
        "--data-dir",
        str(data),
        "--authority-credit-code",
        AUTHORITY,
        "--admin-password",
        "first-admin-password",
    )
    for n in range(3):
        run(
            runner,
            "department",
            "create",
            "--data-dir",
            str(data),
            "--key",
            f"dept{n}",
            "--name",
            f"济南市部门{n}",
            "--short-name",
            f"部门{n}",
            "--credit-code",
            credit_code(f"1000000{n}X"),
        )
    return data


def test_init_creates_the_log_key_and_verify_passes(runner: CliRunner, city: Path) -> None:
    key = city / "ledger.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    run(runner, "ledger", "checkpoint", "--data-dir", str(city))
    out = run(runner, "ledger", "verify", "--data-dir", str(city))
    assert out.startswith("OK: 5 leaves")  # authority, admin, three departments


def test_prove_and_check_a_bundle_offline(runner: CliRunner, city: Path, tmp_path: Path) -> None:
    bundle = tmp_path / "bundle.json"
    run(runner, "ledger", "prove", "--data-dir", str(city), "3", "--out", str(bundle))
    data = json.loads(bundle.read_text())
    assert data["event"]["type"] == "identity.department.created"
    from quancheng.cli import load_settings, services_for

    services = services_for(load_settings(city))
    key = services.ledger.verifier().encode()
    services.close()
    out = run(runner, "ledger", "check-bundle", str(bundle), "--key", key)
    assert "OK: entry 3" in out
    data["event"]["details"]["name"] = "济南市假部门"
    bundle.write_text(json.dumps(data, ensure_ascii=False))
    out = run(runner, "ledger", "check-bundle", str(bundle), "--key", key, ok=False)
    assert "event 3 is not in the signed tree" in out


def test_check_a_bundle_with_the_cosignatures_it_must_carry(
    runner: CliRunner, city: Path, tmp_path: Path
) -> None:
    from quancheng.cli import load_settings, services_for

    v1 = SigningKey.generate("witness.v1", KeyAlgorithm.COSIGNATURE_V1)
    legacy = SigningKey.generate("witness.old", KeyAlgorithm.ED25519)
    services = services_for(load_settings(city))
    try:
        ledger = services.ledger
        key = ledger.verifier().encode()
        note = ledger.issue_checkpoint().note
        for witness in (v1, legacy):
            ledger.add_witness_key(witness.name, witness.verifier.encode())
            ledger.add_cosignature(add_signatures(note, [witness]))
    finally:
        services.close()
    bundle = tmp_path / "bundle.json"
    run(runner, "ledger", "prove", "--data-dir", str(city), "2", "--out", str(bundle))
    both = ["--witness", v1.verifier.encode(), "--witness", legacy.verifier.encode()]
    out = run(runner, "ledger", "check-bundle", str(bundle), "--key", key, *both)
    assert out.strip().endswith("co-signed by witness.v1, witness.old.")
    stranger = SigningKey.generate("witness.absent", KeyAlgorithm.COSIGNATURE_V1)
    out = run(
        runner,
        "ledger",
        "check-bundle",
        str(bundle),
        "--key",
        key,
        "--witness",
        stranger.verifier.encode(),
        ok=False,
    )
    assert f"FAIL: the checkpoint is not signed by {stranger.verifier.encode()}" in out
    out = run(runner, "ledger", "verify", "--data-dir", str(city), *both, ok=False)
    assert "give --url" in out


def test_verify_names_a_tampered_leaf(runner: CliRunner, city: Path) -> None:
    with sqlite3.connect(city / "quancheng.sqlite3") as db:
        db.execute(
            "UPDATE ledger_leaves SET event = replace(event, '部门1', '部门9') WHERE \"index\" = 3"
        )
    out = run(runner, "ledger", "verify", "--data-dir", str(city), ok=False)
    assert "FAIL: leaf 3:" in out


def test_witness_keys_are_registered_and_listed(
    runner: CliRunner, city: Path, tmp_path: Path
) -> None:
    key_file = tmp_path / "witness.key"
    public = run(
        runner, "witness", "--url", "http://unused", "--key", str(key_file), "--new-key", "w.gaj"
    ).strip()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    run(runner, "ledger", "witness-key", "add", "--data-dir", str(city), "w.gaj", public)
    assert public in run(runner, "ledger", "witness-key", "list", "--data-dir", str(city))
    out = run(
        runner, "ledger", "witness-key", "add", "--data-dir", str(city), "other", public, ok=False
    )
    assert "named 'w.gaj'" in out
    run(runner, "ledger", "witness-key", "remove", "--data-dir", str(city), "w.gaj")
    assert public not in run(runner, "ledger", "witness-key", "list", "--data-dir", str(city))
    gone = run(
        runner, "ledger", "witness-key", "remove", "--data-dir", str(city), "w.gaj", ok=False
    )
    assert "no witness key named 'w.gaj'" in gone


def test_a_new_witness_key_is_cosignature_v1_unless_asked_for_ed25519(
    runner: CliRunner, tmp_path: Path
) -> None:
    v1 = tmp_path / "v1.key"
    public = run(runner, "witness", "--url", "http://x", "--key", str(v1), "--new-key", "w.v1")
    assert VerifierKey.parse(public).algorithm is KeyAlgorithm.COSIGNATURE_V1
    assert base64.b64decode(public.strip().split("+", 2)[2])[0] == 0x04
    assert read_signing_key(v1).algorithm is KeyAlgorithm.COSIGNATURE_V1
    legacy = tmp_path / "legacy.key"
    public = run(
        runner,
        "witness",
        "--url",
        "http://x",
        "--key",
        str(legacy),
        "--new-key",
        "w.old",
        "--key-type",
        "ed25519",
    )
    assert VerifierKey.parse(public).algorithm is KeyAlgorithm.ED25519
    assert read_signing_key(legacy).algorithm is KeyAlgorithm.ED25519


def test_a_push_to_a_witness_that_cannot_be_reached_fails(runner: CliRunner, city: Path) -> None:
    result = runner.invoke(
        main,
        ["ledger", "witness-push", "--data-dir", str(city), "http://127.0.0.1:9", "--name", "w"],
    )
    assert result.exit_code == 1
    assert "POST http://127.0.0.1:9/add-checkpoint failed" in result.output


def test_a_witness_that_cannot_reach_the_log_fails(
    runner: CliRunner, city: Path, tmp_path: Path
) -> None:
    key_file = tmp_path / "witness.key"
    run(runner, "witness", "--url", "http://x", "--key", str(key_file), "--new-key", "w")
    result = runner.invoke(main, ["witness", "--url", "http://127.0.0.1:9", "--key", str(key_file)])
    assert result.exit_code == 2
    assert "WITNESS ALARM" in result.output


def test_a_malformed_bundle_fails_with_a_message_not_a_traceback(
    runner: CliRunner, city: Path, tmp_path: Path
) -> None:
    # Regression: a bundle that was a JSON array, had an inclusion that was not an object,
    # a size that was not a number, or was not UTF-8 ended in a Python traceback (exit 1
    # from an uncaught exception) instead of FAIL and the reason.
    bundle = tmp_path / "bundle.json"
    run(runner, "ledger", "prove", "--data-dir", str(city), "3", "--out", str(bundle))
    good = json.loads(bundle.read_text())
    from quancheng.cli import load_settings, services_for

    services = services_for(load_settings(city))
    key = services.ledger.verifier().encode()
    services.close()
    cases: list[bytes] = [
        b"[1, 2]",
        json.dumps({**good, "inclusion": []}).encode(),
        json.dumps({**good, "inclusion": {**good["inclusion"], "size": "many"}}).encode(),
        json.dumps({**good, "event": ["not", "an", "event"]}).encode(),
        b"\xff\xfe not utf-8",
    ]
    for content in cases:
        bundle.write_bytes(content)
        result = runner.invoke(main, ["ledger", "check-bundle", str(bundle), "--key", key])
        assert result.exit_code == 1, (content, result.output)
        assert result.exception is None or isinstance(result.exception, SystemExit), (
            content,
            repr(result.exception),
        )
        assert result.output.startswith("FAIL: "), (content, result.output)


def test_verify_with_the_log_key_missing_says_so_and_creates_no_key(
    runner: CliRunner, city: Path
) -> None:
    # Regression: verify created a new log key in the data dir and reported every checkpoint
    # as signed by an unknown key; the log then refused to sign any checkpoint again.
    run(runner, "ledger", "checkpoint", "--data-dir", str(city))
    (city / "ledger.key").unlink()
    out = run(runner, "ledger", "verify", "--data-dir", str(city), ok=False)
    assert "FAIL: the log key" in out and "is missing" in out
    assert not (city / "ledger.key").exists()


@pytest.mark.parametrize(("index", "status"), [("99999999999999999999", 2), ("9999", 1)])
def test_prove_an_entry_past_the_log_says_so(
    runner: CliRunner, city: Path, index: str, status: int
) -> None:
    # An index past SQLite's integer range ended in an OverflowError traceback.
    result = runner.invoke(main, ["ledger", "prove", "--data-dir", str(city), index])
    assert isinstance(result.exception, SystemExit) and result.exit_code == status, result.output
    assert "Traceback" not in result.output and "Error:" in result.output
