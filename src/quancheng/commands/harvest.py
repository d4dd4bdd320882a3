"""`quancheng harvest …`: register remote portals and harvest them (now, or those due)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from quancheng.cli import data_dir_option, fail_on_platform_errors, load_settings, services_for
from quancheng.db.models import HarvestRun
from quancheng.identity.roles import Principal
from quancheng.opendata.harvest import department_names

ACTOR = "harvest-cli"


@click.group()
def harvest() -> None:
    """Harvesting: import entries from another CKAN portal or a DCAT feed."""


@harvest.command("add")
@data_dir_option
@click.option("--department", required=True, help="Key of the department the entries go to.")
@click.option("--kind", type=click.Choice(["ckan", "dcat"]), required=True, help="Source type.")
@click.option("--name", default="", help="A name for the source (default: the host name).")
@click.option(
    "--every-hours",
    default=24,
    show_default=True,
    type=click.IntRange(1, 8784),
    help="Hours between scheduled runs.",
)
@click.option(
    "--classification", default=None, help="目-level classification code to file entries under."
)
@click.argument("url")
@fail_on_platform_errors
def add(
    data_dir: Path,
    department: str,
    kind: str,
    name: str,
    every_hours: int,
    classification: str | None,
    url: str,
) -> None:
    """Register a CKAN portal (its site URL) or a DCAT feed (e.g. …/catalog.ttl)."""
    services = services_for(load_settings(data_dir))
    try:
        options = {"classification_code": classification} if classification else {}
        source = services.harvest.add_source(
            Principal.system(ACTOR),
            department=department,
            kind=kind,
            url=url,
            name=name,
            interval_hours=every_hours,
            options=options,
        )
    finally:
        services.close()
    click.echo(f"Harvest source {source.id} added: {source.kind} {source.url}")


@harvest.command("list")
@data_dir_option
@fail_on_platform_errors
def list_sources(data_dir: Path) -> None:
    """List the sources with their department, schedule and latest run."""
    services = services_for(load_settings(data_dir))
    try:
        actor = Principal.system(ACTOR)
        sources = services.harvest.sources(actor)
        latest = services.harvest.latest_runs(actor)
        keys = department_names(services.db, {s.department_id for s in sources})
    finally:
        services.close()
    if not sources:
        click.echo("No harvest sources.")
        return
    for s in sources:
        run = latest.get(s.id)
        last = f"{run.state} {run.started_at:%Y-%m-%d %H:%M}" if run else "never run"
        state = "enabled" if s.enabled else "disabled"
        dept = keys.get(s.department_id, ("?", "", ""))[0]
        click.echo(
            f"{s.id:>4}  {s.kind:<4}  {dept:<12} every {s.interval_hours}h  {state:<8}  "
            f"{last:<26} {s.name}  {s.url}"
        )


def _summary(run: HarvestRun) -> str:
    line = (
        f"Run {run.id} of source {run.source_id}: {run.state} — {run.created} created, "
        f"{run.updated} updated, {run.unchanged} unchanged, {run.removed} removed, "
        f"{run.failed} failed"
    )
    return line + (f"\n  error: {run.error}" if run.error else "")


def _details(run: HarvestRun) -> list[str]:
    out = []
    for item in run.report or []:
        item_: dict[str, Any] = item
        if item_["action"] in ("unchanged", "skipped"):
            continue
        note = f" ({item_['error']})" if item_.get("error") else ""
        out.append(f"  {item_['action']:<8} {item_['remote_id']}  {item_.get('title', '')}{note}")
    return out


@harvest.command("run")
@data_dir_option
@click.option("--due", is_flag=True, help="Run every enabled source whose time has come.")
@click.argument("source_id", required=False, type=click.IntRange(1, 2**63 - 1))
@fail_on_platform_errors
def run(data_dir: Path, due: bool, source_id: int | None) -> None:
    """Harvest one source now, or (--due) those due; exits non-zero if a run failed."""
    if due == (source_id is not None):
        raise click.UsageError("give a SOURCE_ID or --due (one of them)")
    services = services_for(load_settings(data_dir))
    try:
        if due:
            runs = services.harvest.run_due()
        else:
            assert source_id is not None  # noqa: S101
            runs = [services.harvest.run(Principal.system(ACTOR), source_id)]
    finally:
        services.close()
    if not runs:
        click.echo("No harvest source is due.")
    for r in runs:
        click.echo(_summary(r))
        for line in _details(r):
            click.echo(line)
    if any(r.state == "failed" for r in runs):
        raise click.ClickException("a harvest run failed")
    if any(r.state == "partial" for r in runs):
        raise click.ClickException("some datasets could not be harvested (see above)")
