"""`quancheng backup` and `restore`: a city comes back whole, table by table, ledger and all."""

from __future__ import annotations

import itertools
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import httpx
import psycopg
import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.engine import make_url

from quancheng.app import Services, create_app
from quancheng.backup import MANIFEST, METADATA_FILE, _pg_tool, snapshot
from quancheng.catalog.service import SearchQuery
from quancheng.cli import main
from quancheng.db.models import Dataset, DataVersion
from quancheng.identity.roles import Principal
from quancheng.settings import Settings
from tests.conftest import FAST_PASSWORDS
from tests.support.city import SmallCity, entry_fields, seed_small_city
from tests.support.live import served
from tests.support.postgres import create_database, drop_database, postgres_admin_url

SECRET = "backup-test-secret-0123456789abcdef"
CSV_HEADER = "监测站点,监测时间,PM2.5浓度\n"
_FILES = itertools.count(1)
HOLD_DUCKDB = (
    "import duckdb, sys; c = duckdb.connect(sys.argv[1]); "
    "print('ready', flush=True); sys.stdin.read()"
)


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    for name in ("QC_SECRET_KEY", "QC_DATA_DIR", "QC_DATABASE_URL", "QC_DATASTORE_URL"):
        monkeypatch.delenv(name, raising=False)
    return CliRunner()


def run(runner: CliRunner, *args: str, ok: bool = True) -> str:
    result = runner.invoke(main, list(args))
    assert (result.exit_code == 0) is ok, result.output
    return result.output


def city_services(data_dir: Path, **overrides: Any) -> Services:
    """Migrated services of a city whose files all live in `data_dir` (as `init` makes it)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / "secret.key").write_text(SECRET + "\n")
    settings = Settings(data_dir=data_dir, secret_key=SECRET, **overrides)
    services = Services.from_settings(settings, passwords=FAST_PASSWORDS)
    services.db.migrate()
    services.ledger.ensure_key()
    return services


def publish_entry(city: SmallCity, name: str) -> str:
    platform = Principal.system("test")
    catalog = city.services.catalog
    entry = catalog.create(platform, department="sthjj", fields=entry_fields(name=name))
    catalog.submit(platform, entry.id)
    catalog.publish(platform, entry.id)
    return entry.code


def ingest(services: Services, code: str, tmp: Path, rows: list[str]) -> None:
    path = tmp / f"load-{next(_FILES)}.csv"
    path.write_text(CSV_HEADER + "".join(r + "\n" for r in rows), encoding="utf-8")
    job = services.datastore.start_load(Principal.system("test"), code, source_name=path.name)
    done = services.datastore.run_load(job.id, path, delete_after=True)
    assert done.status in ("succeeded", "unchanged"), done.message


def populate(city: SmallCity, tmp: Path) -> str:
    """Two data versions of one entry, an entity with telemetry, ledger entries; the code."""
    services = city.services
    code = publish_entry(city, "空气质量小时监测数据")
    ingest(services, code, tmp, ["泉城广场,2024-01-05 08:00,35.5"])
    ingest(services, code, tmp, ["泉城广场,2024-01-06 08:00,12", "省站,2024-01-06 09:00,3"])
    services.entities.create(
        city.principals["admin"],
        {
            "id": "urn:ngsi-ld:AirQualityObserved:backup-1",
            "type": "AirQualityObserved",
            "PM2_5": {"type": "Property", "value": 35.0, "observedAt": "2026-11-30T08:00:00Z"},
        },
        department="sthjj",
    )
    return code


@pytest.fixture
def source_city(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A small city with data versions, entities and ledger entries; its data dir and code."""
    data = tmp_path / "source"
    services = city_services(data)
    try:
        code = populate(seed_small_city(services), tmp_path)
    finally:
        services.close()
    yield data, code


def metadata_rows(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    con = sqlite3.connect(path)
    try:
        names = [
            r[0]
            for r in con.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        return {n: sorted(con.execute(f'SELECT * FROM "{n}"').fetchall(), key=repr) for n in names}
    finally:
        con.close()


def datastore_rows(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        names = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()]
        return {n: sorted(con.execute(f'SELECT * FROM "{n}"').fetchall(), key=repr) for n in names}
    finally:
        con.close()


def ledger_root(data_dir: Path) -> tuple[int, str]:
    services = Services.from_settings(Settings(data_dir=data_dir, secret_key=SECRET))
    try:
        size = services.ledger.size()
        return size, services.ledger.root(size).hex()
    finally:
        services.close()


def test_backup_and_restore_bring_back_every_table_and_the_ledger(
    runner: CliRunner, source_city: tuple[Path, str], tmp_path: Path
) -> None:
    data, code = source_city
    backup_dir = tmp_path / "backup"
    out = run(runner, "backup", "--data-dir", str(data), str(backup_dir))
    assert f"Backup written to {backup_dir}" in out

    restored = tmp_path / "restored"
    out = run(runner, "restore", "--data-dir", str(restored), str(backup_dir))
    assert "matches the backup and verifies" in out

    before, after = (
        metadata_rows(data / "quancheng.sqlite3"),
        metadata_rows(restored / "quancheng.sqlite3"),
    )
    assert before.keys() == after.keys() and len(before) > 20
    for table in before:
        assert after[table] == before[table], table
    assert before["data_versions"] and before["ledger_leaves"] and before["ops_entities"]
    stores = datastore_rows(data / "datastore.duckdb")
    assert datastore_rows(restored / "datastore.duckdb") == stores
    assert any(t.startswith("qcv_") for t in stores) and len(stores) > 2
    assert ledger_root(restored) == ledger_root(data)
    assert (restored / "ledger.key").read_bytes() == (data / "ledger.key").read_bytes()
    assert (restored / "ledger.key").stat().st_mode & 0o077 == 0
    assert "OK:" in run(runner, "ledger", "verify", "--data-dir", str(restored))

    # The restored city serves the current version's rows.
    services = Services.from_settings(Settings(data_dir=restored, secret_key=SECRET))
    try:
        with TestClient(create_app(services.settings, services=services)) as client:
            entry_id = services.catalog.get(Principal.system("test"), code).id
            body = client.get(f"/api/v1/datasets/{entry_id}/rows").json()
        assert sorted(r["监测站点"] for r in body["rows"]) == ["泉城广场", "省站"]
    finally:
        services.close()


def test_a_backup_of_an_older_release_gets_its_search_index_rebuilt_after_restore(
    runner: CliRunner, source_city: tuple[Path, str], tmp_path: Path
) -> None:
    data, code = source_city
    # The city as a release before derived data was stamped left it, with an index that
    # lacks the entry (its rows are derived data, not part of what restore checks).
    con = sqlite3.connect(data / "quancheng.sqlite3")
    try:
        with con:
            con.execute("DELETE FROM catalog_search")
            con.execute("DELETE FROM derived_data")
    finally:
        con.close()
    backup_dir = tmp_path / "backup"
    run(runner, "backup", "--data-dir", str(data), str(backup_dir))
    restored = tmp_path / "restored"
    run(runner, "restore", "--data-dir", str(restored), str(backup_dir))

    out = run(runner, "migrate", "--data-dir", str(restored))

    assert "Rebuilt catalog_search with this release's code: 1 rows." in out
    assert "Rebuilt lamp_state with this release's code: 0 rows." in out
    services = Services.from_settings(Settings(data_dir=restored, secret_key=SECRET))
    try:
        found = services.catalog.search(Principal.system("test"), SearchQuery(q="生态环境局"))
        assert [e.code for e in found.items] == [code]
        assert services.db.migrate() == {}
    finally:
        services.close()


def test_tampered_backup_is_refused_and_the_target_left_alone(
    runner: CliRunner, source_city: tuple[Path, str], tmp_path: Path
) -> None:
    data, _code = source_city
    backup_dir = tmp_path / "backup"
    run(runner, "backup", "--data-dir", str(data), str(backup_dir))
    victim = backup_dir / METADATA_FILE
    original = victim.read_bytes()
    raw = bytearray(original)
    raw[len(raw) // 2] ^= 0x01
    victim.write_bytes(bytes(raw))

    target = tmp_path / "target"
    out = run(runner, "restore", "--data-dir", str(target), str(backup_dir), ok=False)
    assert "integrity check" in out and METADATA_FILE in out
    assert not target.exists()
    assert [p.name for p in tmp_path.iterdir() if "restore" in p.name] == []

    # A file slipped into the backup is refused too.
    victim.write_bytes(original)
    (backup_dir / "files" / "extra.txt").write_text("x")
    out = run(runner, "restore", "--data-dir", str(target), str(backup_dir), ok=False)
    assert "extra.txt" in out


def test_restore_into_a_city_needs_force(
    runner: CliRunner, source_city: tuple[Path, str], tmp_path: Path
) -> None:
    data, code = source_city
    backup_dir = tmp_path / "backup"
    run(runner, "backup", "--data-dir", str(data), str(backup_dir))

    # The source city moves on after the backup: a third version.
    services = Services.from_settings(Settings(data_dir=data, secret_key=SECRET))
    try:
        ingest(services, code, tmp_path, ["新站,2024-01-07 08:00,9"])
    finally:
        services.close()
    changed = metadata_rows(data / "quancheng.sqlite3")

    out = run(runner, "restore", "--data-dir", str(data), str(backup_dir), ok=False)
    assert "already holds a city" in out and "--force" in out
    assert metadata_rows(data / "quancheng.sqlite3") == changed

    run(runner, "restore", "--data-dir", str(data), str(backup_dir), "--force")
    after = metadata_rows(data / "quancheng.sqlite3")
    assert len(after["data_versions"]) == len(changed["data_versions"]) - 1
    assert not [p for p in tmp_path.iterdir() if ".old-" in p.name or "restore-" in p.name]
    assert "OK:" in run(runner, "ledger", "verify", "--data-dir", str(data))


def test_backup_target_must_be_empty_and_the_datastore_free(
    runner: CliRunner, source_city: tuple[Path, str], tmp_path: Path
) -> None:
    data, _code = source_city
    full = tmp_path / "full"
    full.mkdir()
    (full / "x").write_text("x")
    assert "not an empty directory" in run(
        runner, "backup", "--data-dir", str(data), str(full), ok=False
    )
    # Another process (a running server) holds the DuckDB file: DuckDB admits one.
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_DUCKDB, str(data / "datastore.duckdb")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        out = run(runner, "backup", "--data-dir", str(data), str(tmp_path / "b"), ok=False)
    finally:
        holder.communicate("")
    assert "--url" in out
    assert not (tmp_path / "b").exists() or not any((tmp_path / "b").iterdir())


@pytest.mark.parametrize("engine", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_live_backup_while_ingesting_restores_consistently(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, engine: str
) -> None:
    urls: list[str] = []
    admin = postgres_admin_url()
    if engine == "postgres":
        if admin is None:
            pytest.skip("no PostgreSQL server: run the suite with `make test`")
        urls = [create_database(admin) for _ in range(4)]
    try:
        check_live_backup(runner, tmp_path, monkeypatch, urls)
    finally:
        for url in urls:
            drop_database(admin or "", url)


def check_live_backup(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, urls: list[str]
) -> None:
    """Three backups through the server while a writer keeps loading; each restores whole."""
    engines: dict[str, Any] = {"database_url": urls[0], "datastore_url": urls[0]} if urls else {}
    # One kept version: every load purges (drops) the previous table right after it commits.
    services = city_services(tmp_path / "live", keep_data_versions=1, **engines)
    city = seed_small_city(services)
    codes = [publish_entry(city, f"监测数据{i}") for i in range(2)]
    for code in codes:
        ingest(services, code, tmp_path, ["泉城广场,2024-01-05 08:00,1"])
    stop = threading.Event()
    loads = [0]

    def writer() -> None:
        n = 0
        while not stop.is_set():
            n += 1
            ingest(services, codes[n % 2], tmp_path, [f"站{n},2024-01-05 08:00,{n}"])
            loads[0] += 1

    thread = threading.Thread(target=writer, daemon=True)
    try:
        with served(create_app(services.settings, services=services)) as url:
            thread.start()
            # Generous timeouts: the loads in this process compete with the server for the CPU.
            route = url + "/api/v1/admin/backup"
            denied = httpx.get(route, headers=city.auth("gaj_admin"), timeout=60)
            assert denied.status_code == 403
            assert httpx.get(route, timeout=60).status_code == 401
            for i in range(3):
                out = run(
                    runner,
                    "backup",
                    str(tmp_path / f"b{i}"),
                    "--url",
                    url,
                    "--token",
                    city.tokens["admin"],
                )
                assert "Backup written" in out
            stop.set()
            thread.join(timeout=60)
    finally:
        stop.set()
        services.close()
    assert loads[0] >= 2 and thread.is_alive() is False
    for i in range(3):
        restored = tmp_path / f"r{i}"
        if urls:
            monkeypatch.setenv("QC_DATABASE_URL", urls[i + 1])
            monkeypatch.setenv("QC_DATASTORE_URL", urls[i + 1])
        out = run(runner, "restore", "--data-dir", str(restored), str(tmp_path / f"b{i}"))
        # restore itself checked that every kept version's table came back; so does this.
        assert "verifies" in out
        target: dict[str, Any] = (
            {"database_url": urls[i + 1], "datastore_url": urls[i + 1]} if urls else {}
        )
        back = Services.from_settings(Settings(data_dir=restored, secret_key=SECRET, **target))
        try:
            with back.db.reader() as s:
                current = s.scalars(
                    select(DataVersion).join(Dataset, Dataset.current_version_id == DataVersion.id)
                ).all()
            assert len(current) == 2
            for version in current:
                assert back.datastore.backend.row_count(version.physical_table) == 1
        finally:
            back.close()


def test_snapshot_manifest_lists_every_file(source_city: tuple[Path, str], tmp_path: Path) -> None:
    data, _code = source_city
    services = Services.from_settings(Settings(data_dir=data, secret_key=SECRET))
    try:
        manifest = snapshot(services, tmp_path / "snap")
    finally:
        services.close()
    files = {p.relative_to(tmp_path / "snap").as_posix() for p in (tmp_path / "snap").rglob("*")}
    assert {f for f in files if (tmp_path / "snap" / f).is_file()} - {MANIFEST} == set(
        manifest["files"]
    )
    assert manifest["backends"] == {"metadata": "sqlite", "datastore": "duckdb"}
    assert manifest["alembic_revision"] and manifest["ledger"]["size"] > 0
    assert "secret_key" not in manifest["settings"]
    assert manifest["metadata_rows"]["data_versions"] == 2


def pg_rows(url: str) -> dict[str, list[tuple[Any, ...]]]:
    with psycopg.connect(make_url(url).set(drivername="postgresql").render_as_string(False)) as c:
        names = [
            r[0]
            for r in c.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
            ).fetchall()
        ]
        return {n: sorted(c.execute(f'SELECT * FROM "{n}"').fetchall(), key=repr) for n in names}


@pytest.fixture
def pg_urls() -> Iterator[tuple[str, str]]:
    """Two fresh PostgreSQL databases: a source city's and an empty target."""
    admin = postgres_admin_url()
    if admin is None:
        pytest.skip("no PostgreSQL server: run the suite with `make test`")
    urls = (create_database(admin), create_database(admin))
    yield urls
    for url in urls:
        drop_database(admin, url)


@pytest.mark.postgres
def test_postgres_city_round_trip(
    runner: CliRunner,
    pg_urls: tuple[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    source_url, target_url = pg_urls
    source = tmp_path / "pg-source"
    services = city_services(source, database_url=source_url, datastore_url=source_url)
    try:
        code = populate(seed_small_city(services), tmp_path)
    finally:
        services.close()
    backup_dir = tmp_path / "backup"
    monkeypatch.setenv("QC_DATABASE_URL", source_url)
    monkeypatch.setenv("QC_DATASTORE_URL", source_url)
    run(runner, "backup", "--data-dir", str(source), str(backup_dir))
    assert (backup_dir / "metadata.pgdump").is_file()

    monkeypatch.setenv("QC_DATABASE_URL", target_url)
    monkeypatch.setenv("QC_DATASTORE_URL", target_url)
    target = tmp_path / "pg-target"
    assert "verifies" in run(runner, "restore", "--data-dir", str(target), str(backup_dir))
    before, after = pg_rows(source_url), pg_rows(target_url)
    assert before.keys() == after.keys() and any(t.startswith("qcv_") for t in before)
    for table in before:
        assert after[table] == before[table], table
    assert "OK:" in run(runner, "ledger", "verify", "--data-dir", str(target))
    out = run(runner, "restore", "--data-dir", str(target), str(backup_dir), ok=False)
    assert "already holds a city" in out

    restored = Services.from_settings(
        Settings(
            data_dir=target, database_url=target_url, datastore_url=target_url, secret_key=SECRET
        )
    )
    try:
        entry_id = restored.catalog.get(Principal.system("test"), code).id
        with TestClient(create_app(restored.settings, services=restored)) as client:
            body = client.get(f"/api/v1/datasets/{entry_id}/rows").json()
        assert sorted(r["监测站点"] for r in body["rows"]) == ["泉城广场", "省站"]
    finally:
        restored.close()


@pytest.mark.postgres
def test_postgres_backup_leaves_out_a_purged_version_awaiting_its_drop(
    pg_urls: tuple[str, str], tmp_path: Path
) -> None:
    """A purge commits `purged` first and drops the table after: in between, the table is no
    longer the city's (it may vanish mid-backup), so the snapshot neither counts nor dumps it."""
    source_url, _ = pg_urls
    services = city_services(tmp_path / "src", database_url=source_url, datastore_url=source_url)
    try:
        code = populate(seed_small_city(services), tmp_path)
        with services.db.transaction() as s:
            dataset = s.scalars(select(Dataset)).one()
            old = s.scalars(
                select(DataVersion).where(DataVersion.id != dataset.current_version_id)
            ).one()
            old.purged = True  # the purge's metadata commit; its DROP has not run yet
            purged, current = (
                old.physical_table,
                s.get_one(DataVersion, dataset.current_version_id).physical_table,
            )
        assert purged in pg_rows(source_url)
        manifest = snapshot(services, tmp_path / "backup")
    finally:
        services.close()
    assert purged not in manifest["metadata_rows"]
    assert manifest["metadata_rows"][current] == 2
    dump = subprocess.run(
        [_pg_tool("pg_restore"), "--list", str(tmp_path / "backup" / "metadata.pgdump")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert current in dump and purged not in dump, code
