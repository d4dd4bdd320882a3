"""`quancheng backup` and `quancheng restore`: consistent snapshots of a city and their return."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import click

from quancheng.cli import (
    SECRET_FILE,
    data_dir_option,
    fail_on_platform_errors,
    load_settings,
    services_for,
)
from quancheng.errors import Conflict, PlatformError
from quancheng.settings import Settings

BACKUP_ROUTE = "/api/v1/admin/backup"


@click.command()
@data_dir_option
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--url", default=None, help="Ask this running city's server for the snapshot instead."
)
@click.option(
    "--token",
    envvar="QC_TOKEN",
    default=None,
    help="A platform administrator's API token, with --url (QC_TOKEN).",
)
@fail_on_platform_errors
def backup(data_dir: Path, directory: Path, url: str | None, token: str | None) -> None:
    """Take a consistent snapshot of a city into DIRECTORY (empty or absent)."""
    from quancheng.backup import snapshot

    if url:
        manifest = _fetch(url, token, directory)
    else:
        services = services_for(load_settings(data_dir), migrate=False)
        try:
            if not services.db.is_initialised():
                raise click.ClickException(f"no city in {data_dir}: nothing to back up")
            manifest = snapshot(services, directory)
        except Conflict as exc:
            if exc.code != "datastore_busy":
                raise
            raise click.ClickException(
                f"the datastore of {data_dir} is in use by a running server: take the backup "
                "through it with --url URL --token TOKEN (a platform administrator's token)"
            ) from exc
        finally:
            services.close()
    ledger = manifest["ledger"]
    click.echo(
        f"Backup written to {directory}: {len(manifest['files'])} files, "
        f"{len(manifest['metadata_rows'])} metadata tables, "
        f"{len(manifest['datastore_rows'])} datastore tables, "
        f"ledger of {ledger['size']} entries (root {ledger['root'][:16]}…)."
    )


def _fetch(url: str, token: str | None, directory: Path) -> dict[str, Any]:
    """Download the live server's snapshot archive and unpack it into `directory`."""
    import httpx

    from quancheng.backup import unpack_archive

    if not token:
        raise click.ClickException("--url needs --token (or QC_TOKEN): a platform admin's token")
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise click.ClickException(f"{directory} is not an empty directory")
    parent = directory.resolve().parent
    parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=".qc-backup-", suffix=".tar", dir=parent)
    archive = Path(name)
    try:
        with (
            os.fdopen(fd, "wb") as out,
            httpx.stream(
                "GET",
                url.rstrip("/") + BACKUP_ROUTE,
                headers={"Authorization": f"Bearer {token}"},
                timeout=httpx.Timeout(30.0, read=None),
            ) as response,
        ):
            if response.status_code != 200:
                response.read()
                raise click.ClickException(
                    f"the server refused the backup ({response.status_code}): "
                    f"{_error_message(response)}"
                )
            for chunk in response.iter_bytes():
                out.write(chunk)
        return unpack_archive(archive, directory)
    except httpx.HTTPError as exc:
        raise click.ClickException(f"cannot reach {url}: {exc}") from exc
    finally:
        archive.unlink(missing_ok=True)


def _error_message(response: Any) -> str:
    try:
        body = response.json()
        return str(body["error"]["message"])
    except (ValueError, KeyError, TypeError):
        return str(getattr(response, "text", ""))[:200]


@click.command()
@data_dir_option
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace the city the data dir already holds.")
@fail_on_platform_errors
def restore(data_dir: Path, directory: Path, force: bool) -> None:
    """Bring back the city a backup DIRECTORY holds, checking it against its manifest."""
    from quancheng.backup import FILES_DIR, read_manifest
    from quancheng.backup import restore as restore_city

    # Checked first, so a damaged backup is reported before any settings problem.
    read_manifest(directory)
    settings = _settings(data_dir, directory / FILES_DIR / SECRET_FILE)
    report = restore_city(directory, settings, force=force)
    click.echo(
        f"Restored {report.metadata_tables} metadata tables and {report.datastore_tables} "
        f"datastore tables into {data_dir}; ledger of {report.ledger_size} entries "
        f"(root {report.ledger_root[:16]}…) matches the backup and verifies."
    )


def _settings(data_dir: Path, backup_secret: Path) -> Settings:
    """The target city's settings; its secret is the backup's unless QC_SECRET_KEY is set."""
    if os.environ.get("QC_SECRET_KEY") or not backup_secret.is_file():
        return load_settings(data_dir)
    try:
        return Settings(data_dir=data_dir, secret_key=backup_secret.read_text().strip())
    except PlatformError as exc:
        raise click.ClickException(exc.message) from exc
