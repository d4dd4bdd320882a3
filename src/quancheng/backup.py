"""Consistent snapshots of a city (metadata, datastore, keys, settings) and their restore.

A snapshot directory holds `manifest.json`, `metadata.sqlite3` (SQLite's online backup) or
`metadata.pgdump` (pg_dump's custom format, with a PostgreSQL datastore's tables), `datastore/`
(DuckDB's EXPORT DATABASE: schema, indexes and Parquet files) and `files/` (the ledger key,
the secret key file, demo accounts, load error reports).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import psycopg
from psycopg import sql
from sqlalchemy import Connection, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from quancheng import __version__
from quancheng.db.models import utcnow
from quancheng.errors import BadRequest, ConfigurationError, Conflict
from quancheng.ledger.log import KEY_FILE
from quancheng.settings import Settings

if TYPE_CHECKING:
    from quancheng.app import Services

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
METADATA_FILE = "metadata.sqlite3"
PG_DUMP_FILE = "metadata.pgdump"
DATASTORE_DIR = "datastore"
FILES_DIR = "files"
SECRET_FILE = "secret.key"  # noqa: S105 (a file name, not a secret)
# Files of the data dir that belong to the city (besides the databases) and are restored.
CITY_FILES = (KEY_FILE, SECRET_FILE, "demo-accounts.json")
CITY_DIRS = ("reports",)
# Settings that name places or hold secrets are not the city's content: never in a manifest.
_PRIVATE_SETTINGS = {"secret_key", "database_url", "datastore_url", "mqtt_url", "data_dir"}
_CHUNK = 1024 * 1024


class BackupError(Conflict):
    """A snapshot cannot be taken or restored; nothing was changed."""

    code = "backup_failed"


@dataclass
class RestoreReport:
    """What a restore brought back and checked."""

    metadata_tables: int = 0
    datastore_tables: int = 0
    ledger_size: int = 0
    ledger_root: str = ""
    problems: list[str] = field(default_factory=list)


# -- snapshot -----------------------------------------------------------------------------


def snapshot(services: Services, target: Path) -> dict[str, Any]:
    """Write a consistent snapshot of the city into the empty or absent dir `target`."""
    kinds = backends_of(services.settings)
    _ensure_empty(target)
    backend = services.datastore.backend  # raises Conflict(datastore_busy) if another process
    existed = target.exists()
    target.mkdir(parents=True, exist_ok=True)
    try:
        return _snapshot(services, backend, target, kinds)
    except BaseException:
        # Leave the target as it was: empty (or absent), never half a snapshot.
        shutil.rmtree(target, ignore_errors=True)
        if existed:
            target.mkdir(parents=True, exist_ok=True)
        raise


def backends_of(settings: Settings) -> tuple[str, str]:
    """The (metadata, datastore) engines of a city, if backup supports the combination."""
    meta_url = settings.resolved_database_url
    meta = "sqlite" if make_url(meta_url).get_backend_name() == "sqlite" else "postgresql"
    store_url = settings.resolved_datastore_url
    if store_url.startswith("duckdb"):
        return meta, "duckdb"
    if meta == "postgresql" and _same_database(store_url, meta_url):
        return meta, "postgresql"
    raise ConfigurationError(
        "backup supports a PostgreSQL datastore only inside the metadata database "
        "(QC_DATASTORE_URL naming the same database as QC_DATABASE_URL)",
        code="backup_unsupported",
    )


def _same_database(a: str, b: str) -> bool:
    ua, ub = make_url(a), make_url(b)
    return (ua.host, ua.port, ua.database) == (ub.host, ub.port, ub.database)


def _snapshot(
    services: Services, backend: Any, target: Path, kinds: tuple[str, str]
) -> dict[str, Any]:
    meta_kind, store_kind = kinds
    settings = services.settings
    store_counts: dict[str, int] = {}
    meta_counts: dict[str, int] | None = None
    revision: str | None = None
    with ExitStack() as stack:
        cur: duckdb.DuckDBPyConnection | None = None
        if store_kind == "duckdb":
            cur = stack.enter_context(backend._cursor())
            cur.begin()
            stack.callback(_rollback_quietly, cur)
        pinned: tuple[Connection, str] | None = None
        unreferenced: list[str] = []
        # Hold metadata writes: a load's new version, a rollback and a purge all commit
        # there first, and a purged version's table is dropped only after that commit. So
        # while the hold lasts, every version the metadata points to has its table in the
        # datastore, and the snapshots pinned now (DuckDB's transaction, PostgreSQL's
        # exported snapshot) keep seeing that state after the hold ends.
        with services.db.transaction() as s:
            if meta_kind == "sqlite":
                s.execute(text("SELECT 1"))  # BEGIN IMMEDIATE: SQLite's write lock
                _sqlite_backup(services.db.url, target / METADATA_FILE)
                ledger_size = services.ledger.size()
                ledger_root = services.ledger.root(ledger_size).hex()
            else:
                s.execute(text("LOCK TABLE datasets, data_versions IN SHARE MODE"))
                pinned = stack.enter_context(_pg_snapshot(services))
                ledger_size, ledger_root = _ledger_state(services, pinned[0])
                unreferenced = _pg_unreferenced(pinned[0])
                meta_counts = _pg_counts(pinned[0], unreferenced)
                revision = (
                    pinned[0].exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
                )
            if cur is not None:
                store_counts = _duckdb_counts(cur)
            if pinned is not None:
                # Still under the hold: pg_dump locks each table when it starts, and a table
                # dropped after the exported snapshot but before that would fail the dump.
                # Only data version changes wait meanwhile.
                _pg_dump(services.db.url, pinned[1], target / PG_DUMP_FILE, unreferenced)
        if cur is not None:
            # The transaction began under the hold, so the export sees that same state.
            export = target / DATASTORE_DIR
            cur.execute(f"EXPORT DATABASE '{_sql_path(export)}' (FORMAT parquet)")
            cur.commit()
    _copy_city_files(settings.data_dir, target / FILES_DIR)
    if meta_kind == "sqlite":
        meta_counts = _sqlite_counts(target / METADATA_FILE)
        revision = _alembic_revision(target / METADATA_FILE)
    manifest: dict[str, Any] = {
        "format_version": FORMAT_VERSION,
        "created_at": utcnow().isoformat(),
        "package_version": __version__,
        "alembic_revision": revision,
        # A PostgreSQL datastore lives in the metadata database: its tables are in that dump.
        "backends": {"metadata": meta_kind, "datastore": store_kind},
        "settings": settings.model_dump(mode="json", exclude=_PRIVATE_SETTINGS),
        "metadata_rows": meta_counts,
        "datastore_rows": store_counts,
        "ledger": {"size": ledger_size, "root": ledger_root},
        "files": {rel: _sha256(target / rel) for rel in _walk(target) if rel != MANIFEST},
    }
    _write_json(target / MANIFEST, manifest)
    return manifest


def _rollback_quietly(cur: duckdb.DuckDBPyConnection) -> None:
    # After a commit there is nothing to roll back, and DuckDB says so.
    with suppress(duckdb.Error):
        cur.rollback()


@contextmanager
def _pg_snapshot(services: Services) -> Iterator[tuple[Connection, str]]:
    """A repeatable-read transaction and the id of its exported snapshot (for pg_dump)."""
    with services.db.engine.connect() as conn:
        conn = conn.execution_options(isolation_level="REPEATABLE READ")
        snapshot_id = str(conn.exec_driver_sql("SELECT pg_export_snapshot()").scalar_one())
        try:
            yield conn, snapshot_id
        finally:
            conn.rollback()


def _ledger_state(services: Services, conn: Connection) -> tuple[int, str]:
    """The ledger's size and root as the pinned snapshot sees them."""
    ledger = services.ledger
    with Session(bind=conn) as s:
        size = ledger._tree_size(s)
        return size, ledger._root_at(s, size).hex()


def _pg_unreferenced(conn: Connection) -> list[str]:
    """Datastore tables no stored data version points to in the snapshot: staging tables of
    loads not committed, and purged versions' tables (their rows stay in data_versions with
    `purged` set), which may be dropped at any moment (a purge drops its table after its
    metadata commit, so even under the hold). Left out of the backup: they are not part of
    the city's state."""
    names = conn.exec_driver_sql(
        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
        "AND left(tablename, 4) IN ('qcv_', 'qcs_') "
        "AND tablename NOT IN (SELECT physical_table FROM data_versions WHERE NOT purged) "
        "ORDER BY 1"
    ).scalars()
    return [str(n) for n in names]


def _pg_counts(conn: Connection, skip: list[str]) -> dict[str, int]:
    names = conn.exec_driver_sql(
        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1"
    ).scalars()
    return {
        str(n): int(conn.exec_driver_sql(f'SELECT count(*) FROM "{n}"').scalar_one())  # noqa: S608
        for n in list(names)
        if n not in skip
    }


def _pg_tool(name: str) -> str:
    """A PostgreSQL client program from PATH, else from `pg_config --bindir`."""
    found = shutil.which(name)
    if found:
        return found
    pg_config = shutil.which("pg_config")
    if pg_config:
        bindir = subprocess.run(  # noqa: S603 (a fixed program and argument)
            [pg_config, "--bindir"], capture_output=True, text=True, check=False
        ).stdout.strip()
        candidate = Path(bindir) / name
        if candidate.is_file():
            return str(candidate)
    raise ConfigurationError(
        f"{name} was not found on PATH or in `pg_config --bindir`: install the PostgreSQL "
        "client programs",
        code="backup_unsupported",
    )


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """A libpq URL without its password, and an environment carrying it (not in `ps`)."""
    parsed = make_url(url)
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    plain = parsed.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _run_pg(args: list[str], url: str, what: str) -> None:
    conninfo, env = _libpq(url)
    done = subprocess.run(  # noqa: S603 (our own program path and arguments)
        [*args, "--dbname", conninfo], capture_output=True, text=True, env=env, check=False
    )
    if done.returncode != 0:
        raise BackupError(f"{what} failed: {done.stderr.strip()[:2000]}")


def _pg_dump(url: str, snapshot_id: str, out: Path, skip: list[str]) -> None:
    _run_pg(
        [
            _pg_tool("pg_dump"),
            "--format=custom",
            "--no-owner",
            "--no-privileges",
            f"--snapshot={snapshot_id}",
            *(f'--exclude-table="{name}"' for name in skip),
            "--file",
            str(out),
        ],
        url,
        "pg_dump",
    )


def _ensure_empty(target: Path) -> None:
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise BadRequest(
            f"{target} is not an empty directory: a snapshot goes into a new one",
            code="backup_target_not_empty",
        )


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise ConfigurationError("an in-memory metadata database cannot be backed up")
    return Path(database)


def _sqlite_backup(url: str, out: Path) -> None:
    """Copy the database with SQLite's online backup API (sees committed WAL content)."""
    source = sqlite3.connect(_sqlite_path(url), timeout=30)
    dest = sqlite3.connect(out)
    try:
        source.backup(dest)
        # A self-contained file: no WAL to carry beside it.
        dest.execute("PRAGMA journal_mode=DELETE")
    finally:
        dest.close()
        source.close()


def _sqlite_counts(path: Path) -> dict[str, int]:
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        names = [
            str(r[0])
            for r in con.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND name NOT LIKE 'sqlite_%' ORDER BY name"
            )
        ]
        return {
            n: int(con.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0])  # noqa: S608
            for n in names
        }
    finally:
        con.close()


def _alembic_revision(path: Path) -> str | None:
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        row = con.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.Error:
        return None
    finally:
        con.close()
    return str(row[0]) if row else None


def _duckdb_counts(cur: duckdb.DuckDBPyConnection) -> dict[str, int]:
    tables = cur.execute(
        "SELECT schema_name, table_name FROM duckdb_tables() "
        "WHERE database_name = current_database() AND NOT temporary ORDER BY 1, 2"
    ).fetchall()
    counts: dict[str, int] = {}
    for schema, table in tables:
        name = str(table) if schema == "main" else f"{schema}.{table}"
        found = cur.execute(f'SELECT count(*) FROM "{schema}"."{table}"').fetchone()  # noqa: S608
        counts[name] = int(found[0]) if found else 0
    return counts


def _sql_path(path: Path) -> str:
    return str(path.resolve()).replace("'", "''")


def _copy_city_files(data_dir: Path, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for name in CITY_FILES:
        source = data_dir / name
        if source.is_file():
            shutil.copy2(source, out / name)
    for name in CITY_DIRS:
        source = data_dir / name
        if source.is_dir():
            shutil.copytree(source, out / name)


def _walk(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _write_json(path: Path, value: Any) -> None:
    path.write_text(json.dumps(value, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


# -- checking a snapshot --------------------------------------------------------------------


def read_manifest(source: Path) -> dict[str, Any]:
    """The snapshot's manifest, after checking the hash of every file it lists."""
    path = source / MANIFEST
    try:
        manifest: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BackupError(f"{source} is not a Quancheng backup: {exc}") from exc
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError(
            f"unknown backup format {manifest.get('format_version')!r} "
            f"(this version reads {FORMAT_VERSION})"
        )
    listed: dict[str, str] = manifest.get("files", {})
    present = set(_walk(source)) - {MANIFEST}
    problems = [f"{rel}: not listed in the manifest" for rel in sorted(present - set(listed))]
    for rel, expected in sorted(listed.items()):
        file = source / rel
        if ".." in Path(rel).parts or not file.is_file():
            problems.append(f"{rel}: missing")
        elif _sha256(file) != expected:
            problems.append(f"{rel}: sha256 differs from the manifest (damaged or altered)")
    if problems:
        raise BackupError(
            "the backup failed its integrity check: " + "; ".join(problems[:5]),
            code="backup_corrupt",
            details={"problems": problems},
        )
    return manifest


# -- restore -------------------------------------------------------------------------------


def restore(source: Path, settings: Settings, *, force: bool = False) -> RestoreReport:
    """Bring a snapshot back into the city `settings` names; all or nothing."""
    manifest = read_manifest(source)
    kinds = backends_of(settings)
    saved = (manifest["backends"]["metadata"], manifest["backends"]["datastore"])
    if kinds != saved:
        raise BackupError(
            f"the backup holds a city on {saved[0]} + {saved[1]}, the target is configured "
            f"for {kinds[0]} + {kinds[1]}: restore onto the same engines",
            code="restore_engines_differ",
        )
    data_dir = settings.data_dir.resolve()
    meta_url = settings.resolved_database_url
    meta_path = _sqlite_path(meta_url).resolve() if kinds[0] == "sqlite" else None
    store_path = (
        Path(settings.resolved_datastore_url.partition("://")[2]).resolve()
        if kinds[1] == "duckdb"
        else None
    )
    if not force and _holds_city(data_dir, meta_path, store_path, meta_url):
        raise BackupError(
            f"{data_dir} (or its database) already holds a city: restore into a new one, or "
            "pass --force to replace it",
            code="restore_target_not_empty",
        )
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f".{data_dir.name}.restore-", dir=data_dir.parent))
    # Files configured outside the data dir are staged beside their final place, a
    # PostgreSQL database as a new database on the same server.
    outside: list[tuple[Path, Path]] = []
    temp_db: str | None = None
    try:
        updates: dict[str, Any] = {"data_dir": stage}
        files = source / FILES_DIR
        if files.is_dir():
            shutil.copytree(files, stage, dirs_exist_ok=True)
        if meta_path is not None:
            staged_meta = _staged(meta_path, data_dir, stage, outside)
            shutil.copyfile(source / METADATA_FILE, staged_meta)
            updates["database_url"] = f"sqlite:///{staged_meta}"
        else:
            temp_db = _pg_create_beside(meta_url)
            restore_args = [_pg_tool("pg_restore"), "--no-owner", "--no-privileges"]
            _run_pg(
                [*restore_args, "--exit-on-error", str(source / PG_DUMP_FILE)],
                temp_db,
                "pg_restore",
            )
            updates["database_url"] = temp_db
            if kinds[1] == "postgresql":
                updates["datastore_url"] = temp_db
        if store_path is not None:
            staged_store = _staged(store_path, data_dir, stage, outside)
            _import_datastore(source / DATASTORE_DIR, staged_store)
            updates["datastore_url"] = f"duckdb:///{staged_store}"
        report = check_restored(settings.model_copy(update=updates), manifest)
        if meta_path is not None:
            # Self-contained again (no WAL beside it) before it is moved into place.
            _settle_sqlite(Path(updates["database_url"].removeprefix("sqlite:///")))
        if report.problems:
            raise BackupError(
                "the restored city does not match the backup: " + "; ".join(report.problems[:5]),
                code="restore_mismatch",
                details={"problems": report.problems},
            )
        old_db = _pg_swap(meta_url, temp_db) if temp_db else None
        try:
            _swap(stage, data_dir, outside)
        except BaseException:
            if temp_db:
                _pg_unswap(meta_url, temp_db, old_db)
            raise
        if temp_db:
            temp_db = None
            if old_db:
                _pg_drop(meta_url, old_db)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        for staged, _final in outside:
            _remove_sqlite(staged)
        if temp_db:
            _pg_drop(meta_url, make_url(temp_db).database or "")
        raise
    return report


def _holds_city(
    data_dir: Path, meta_path: Path | None, store_path: Path | None, meta_url: str
) -> bool:
    if data_dir.exists() and any(data_dir.iterdir()):
        return True
    if any(p is not None and p.exists() and p.stat().st_size > 0 for p in (meta_path, store_path)):
        return True
    if meta_path is not None:
        return False
    try:
        with _pg_connect(meta_url) as conn:
            found = conn.execute(
                "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()"
            ).fetchone()
    except psycopg.OperationalError as exc:
        if "does not exist" in str(exc):
            return False
        raise
    return bool(found and found[0])


def _pg_connect(url: str, *, database: str | None = None) -> psycopg.Connection[Any]:
    parsed = make_url(url)
    plain = parsed.set(drivername="postgresql", password=None)
    if database is not None:
        plain = plain.set(database=database)
    extra: dict[str, Any] = {"password": parsed.password} if parsed.password else {}
    return psycopg.connect(plain.render_as_string(hide_password=False), autocommit=True, **extra)


def _pg_create_beside(url: str) -> str:
    """A new empty database on the target's server; its URL."""
    target = make_url(url).database or "quancheng"
    name = f"{target[:40]}_restore_{uuid.uuid4().hex[:8]}"
    with _pg_connect(url, database="postgres") as conn:
        conn.execute(
            sql.SQL("CREATE DATABASE {} ENCODING 'UTF8' TEMPLATE template0").format(
                sql.Identifier(name)
            )
        )
    return make_url(url).set(database=name).render_as_string(hide_password=False)


def _pg_swap(url: str, temp_url: str) -> str | None:
    """Rename the restored database to the target's name; return the old one's new name."""
    target = make_url(url).database or ""
    temp = make_url(temp_url).database or ""
    old = f"{target[:40]}_old_{uuid.uuid4().hex[:8]}"
    with _pg_connect(url, database="postgres") as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s", [target]
        ).fetchone()
        if row and row[0]:
            raise BackupError(
                f"{row[0]} sessions are connected to database {target} (a running server?): "
                "stop them before restoring",
                code="restore_target_busy",
            )
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [target]).fetchone()
        rename = "ALTER DATABASE {} RENAME TO {}"
        if exists:
            conn.execute(sql.SQL(rename).format(sql.Identifier(target), sql.Identifier(old)))
        try:
            conn.execute(sql.SQL(rename).format(sql.Identifier(temp), sql.Identifier(target)))
        except BaseException:
            if exists:
                conn.execute(sql.SQL(rename).format(sql.Identifier(old), sql.Identifier(target)))
            raise
    return old if exists else None


def _pg_unswap(url: str, temp_url: str, old: str | None) -> None:
    target = make_url(url).database or ""
    temp = make_url(temp_url).database or ""
    rename = "ALTER DATABASE {} RENAME TO {}"
    with _pg_connect(url, database="postgres") as conn:
        conn.execute(sql.SQL(rename).format(sql.Identifier(target), sql.Identifier(temp)))
        if old:
            conn.execute(sql.SQL(rename).format(sql.Identifier(old), sql.Identifier(target)))


def _pg_drop(url: str, name: str) -> None:
    with _pg_connect(url, database="postgres") as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def _staged(final: Path, data_dir: Path, stage: Path, outside: list[tuple[Path, Path]]) -> Path:
    if final.is_relative_to(data_dir):
        staged = stage / final.relative_to(data_dir)
        staged.parent.mkdir(parents=True, exist_ok=True)
        return staged
    final.parent.mkdir(parents=True, exist_ok=True)
    staged = final.with_name(f".{final.name}.restore-{uuid.uuid4().hex[:8]}")
    outside.append((staged, final))
    return staged


def _import_datastore(export: Path, out: Path) -> None:
    con = duckdb.connect(str(out))
    try:
        if (export / "schema.sql").exists():
            con.execute(f"IMPORT DATABASE '{_sql_path(export)}'")
        con.execute("CHECKPOINT")
    finally:
        con.close()


def check_restored(settings: Settings, manifest: dict[str, Any]) -> RestoreReport:
    """Compare a restored city with its manifest: row counts, ledger root, `ledger verify`."""
    from quancheng.app import Services

    report = RestoreReport()
    services = Services.from_settings(settings)
    try:
        with services.db.reader() as s:
            conn = s.connection()
            for table, expected in manifest["metadata_rows"].items():
                found = conn.exec_driver_sql(f'SELECT count(*) FROM "{table}"').scalar()  # noqa: S608
                if found != expected:
                    report.problems.append(
                        f"metadata table {table}: {found} rows, the backup has {expected}"
                    )
        report.metadata_tables = len(manifest["metadata_rows"])
        backend: Any = services.datastore.backend
        if manifest["backends"]["datastore"] == "duckdb":
            with backend._cursor() as cur:
                found_counts = _duckdb_counts(cur)
            if found_counts != manifest["datastore_rows"]:
                report.problems.append(
                    "datastore tables differ from the backup: "
                    f"{sorted(set(found_counts.items()) ^ set(manifest['datastore_rows'].items()))}"
                )
            tables = set(found_counts)
        else:
            # In the metadata database: counted with the metadata tables above.
            tables = set(backend.tables(""))
        report.datastore_tables = len(tables)
        expected_ledger = manifest["ledger"]
        size = services.ledger.size()
        root = services.ledger.root(size).hex()
        report.ledger_size, report.ledger_root = size, root
        if (size, root) != (expected_ledger["size"], expected_ledger["root"]):
            report.problems.append(
                f"ledger: size {size} root {root}, the backup has size "
                f"{expected_ledger['size']} root {expected_ledger['root']}"
            )
        verified = services.ledger.verify()
        report.problems += [f"ledger verify: {p}" for p in verified.problems]
        report.problems += _missing_version_tables(services, tables)
    finally:
        services.close()
    return report


def _missing_version_tables(services: Services, tables: set[str]) -> list[str]:
    from sqlalchemy import select

    from quancheng.db.models import DataVersion

    with services.db.reader() as s:
        kept = s.scalars(select(DataVersion.physical_table).where(DataVersion.purged.is_(False)))
        return [f"data version table {t} is missing" for t in kept if t not in tables]


def _settle_sqlite(path: Path) -> None:
    con = sqlite3.connect(path)
    try:
        con.execute("PRAGMA journal_mode=DELETE")
    finally:
        con.close()


def _swap(stage: Path, data_dir: Path, outside: list[tuple[Path, Path]]) -> None:
    """Put the staged city in place; on any failure put the old one back."""
    tag = uuid.uuid4().hex[:8]
    moved: list[tuple[Path, Path]] = []  # (old place, where it was moved)
    placed: list[Path] = []
    try:
        for staged, final in [*outside, (stage, data_dir)]:
            for old in _with_sqlite_sidecars(final):
                if old.exists():
                    aside = old.with_name(f".{old.name}.old-{tag}")
                    old.rename(aside)
                    moved.append((old, aside))
            staged.rename(final)
            placed.append(final)
    except BaseException:
        for final in placed:
            if final.is_dir():
                shutil.rmtree(final, ignore_errors=True)
            else:
                final.unlink(missing_ok=True)
        for old, aside in reversed(moved):
            aside.rename(old)
        raise
    for _old, aside in moved:
        if aside.is_dir():
            shutil.rmtree(aside, ignore_errors=True)
        else:
            aside.unlink(missing_ok=True)


def _with_sqlite_sidecars(path: Path) -> list[Path]:
    # A stale -wal beside a replaced SQLite file would be replayed into it.
    if path.is_dir():
        return [path]
    return [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]


def _remove_sqlite(path: Path) -> None:
    for p in _with_sqlite_sidecars(path):
        p.unlink(missing_ok=True)


# -- archives (the live server's route and `backup --url`) ---------------------------------


@contextmanager
def snapshot_archive(services: Services) -> Iterator[Path]:
    """A tar file of a fresh snapshot in a temporary dir, deleted when the block ends."""
    import tarfile

    work = Path(tempfile.mkdtemp(prefix="qc-backup-"))
    try:
        snap = work / "snapshot"
        snapshot(services, snap)
        archive = work / "backup.tar"
        with tarfile.open(archive, "w") as tar:
            for rel in _walk(snap):
                tar.add(snap / rel, arcname=rel, recursive=False)
        shutil.rmtree(snap)
        yield archive
    finally:
        shutil.rmtree(work, ignore_errors=True)


def unpack_archive(archive: Path, target: Path) -> dict[str, Any]:
    """Unpack a backup tar into the empty or absent dir `target` and check it."""
    import tarfile

    _ensure_empty(target)
    target.mkdir(parents=True, exist_ok=True)
    try:
        with tarfile.open(archive, "r") as tar:
            # The "data" filter refuses absolute paths, links out of the dir and devices.
            tar.extractall(target, filter="data")
    except (tarfile.TarError, OSError) as exc:
        raise BackupError(f"the server's archive could not be unpacked: {exc}") from exc
    return read_manifest(target)


def iter_file(path: Path) -> Iterator[bytes]:
    """The bytes of a file in chunks."""
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            yield chunk


__all__ = [
    "BackupError",
    "RestoreReport",
    "check_restored",
    "read_manifest",
    "restore",
    "snapshot",
    "snapshot_archive",
    "unpack_archive",
]
