"""`quancheng ingest`, `rollback` and `data`: load files into datasets from the command line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click
from sqlalchemy import select

if TYPE_CHECKING:
    from quancheng.app import Services
from quancheng.cli import data_dir_option, fail_on_platform_errors, load_settings, services_for
from quancheng.datastore.service import JobStatus
from quancheng.db.models import User
from quancheng.identity.roles import Principal


def _actor(services: Services, as_user: str | None) -> Principal:
    """The platform itself, or a named user so that the version records who loaded it."""
    if as_user is None:
        return Principal.system("cli")
    with services.db.reader() as s:
        user = s.scalar(select(User).where(User.username == as_user, User.is_active.is_(True)))
    if user is None:
        raise click.ClickException(f"no active user {as_user}")
    return services.identity.principal_for(user)


@click.command()
@data_dir_option
@click.argument("entry")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "tsv", "xlsx", "xls", "ods", "json", "ndjson", "parquet"]),
    help="File format (default: detected).",
)
@click.option("--as-user", default=None, help="Load as this user (default: the platform).")
@fail_on_platform_errors
def ingest(data_dir: Path, entry: str, file: Path, fmt: str | None, as_user: str | None) -> None:
    """Load FILE as the next data version of catalog entry ENTRY (code or id)."""
    services = services_for(load_settings(data_dir))
    try:
        actor = _actor(services, as_user)
        datastore = services.datastore
        datastore.recover()
        job = datastore.start_load(actor, entry, source_name=file.name)
        size = max(file.stat().st_size, 1)
        with click.progressbar(length=size, label=f"Loading {file.name}", show_percent=True) as bar:

            def progress(done: int, total: int) -> None:
                bar.update(max(0, min(done, size) - bar.pos))

            result = datastore.run_load(job.id, file, progress=progress, format=fmt)
            bar.update(size - bar.pos)
        if result.status is JobStatus.FAILED:
            report = datastore._report_path(job.id)
            hint = f"\nRow errors: {report}" if report.exists() else ""
            raise click.ClickException(f"{result.message}{hint}")
        if result.status is JobStatus.UNCHANGED:
            click.echo("The file is identical to the current version; nothing changed.")
            return
        info = datastore.dataset(actor, entry)
        version = info.current
        if version is None:  # a load that succeeded always leaves a current version
            raise click.ClickException("the load finished but no version is current")
        click.echo(
            f"Version {version.number} of {info.entry_code} is current: "
            f"{version.row_count} rows, {len(version.schema.columns)} columns"
            + (f", {version.quarantined_rows} rows quarantined" if version.quarantined_rows else "")
        )
    finally:
        services.close()


@click.command()
@data_dir_option
@click.argument("entry")
@click.argument("version", type=click.IntRange(1, 2**63 - 1))
@click.option("--as-user", default=None, help="Act as this user (default: the platform).")
@fail_on_platform_errors
def rollback(data_dir: Path, entry: str, version: int, as_user: str | None) -> None:
    """Make stored data VERSION of catalog entry ENTRY the current one again."""
    services = services_for(load_settings(data_dir))
    try:
        restored = services.datastore.rollback(_actor(services, as_user), entry, version)
        click.echo(f"Version {restored.number} is current again ({restored.row_count} rows).")
    finally:
        services.close()


@click.group()
def data() -> None:
    """Inspect the data versions of catalog entries."""


@data.command("versions")
@data_dir_option
@click.argument("entry")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@fail_on_platform_errors
def data_versions(data_dir: Path, entry: str, as_json: bool) -> None:
    """List the data versions of catalog entry ENTRY, newest first."""
    services = services_for(load_settings(data_dir))
    try:
        actor = Principal.system("cli")
        current = services.datastore.dataset(actor, entry).current
        rows = [
            {
                "number": v.number,
                "current": current is not None and v.id == current.id,
                "rows": v.row_count,
                "source": v.source_name,
                "hash": v.content_hash,
                "stored": not v.purged,
                "created_at": v.created_at.isoformat(),
            }
            for v in services.datastore.versions(actor, entry)
        ]
        if as_json:
            click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
            return
        for r in rows:
            mark = "*" if r["current"] else " "
            stored = "" if r["stored"] else "  (dropped)"
            click.echo(
                f"{mark} v{r['number']}  {r['rows']:>10} rows  {r['created_at'][:19]}  "
                f"{r['source']}{stored}"
            )
    finally:
        services.close()
