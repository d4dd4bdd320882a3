"""`quancheng sharing …`: the exchange's deadline sweep, for a scheduler to run."""

from __future__ import annotations

from pathlib import Path

import click

from quancheng.cli import data_dir_option, fail_on_platform_errors, load_settings, services_for


@click.group()
def sharing() -> None:
    """The sharing exchange: deadlines and expiries."""


@sharing.command("sweep")
@data_dir_option
@fail_on_platform_errors
def sweep(data_dir: Path) -> None:
    """Expire grants past their end and escalate overdue requests (each recorded once)."""
    services = services_for(load_settings(data_dir))
    try:
        counts = services.sharing.sweep()
    finally:
        services.close()
    click.echo(
        f"{counts['expired']} grants expired, {counts['escalated']} overdue requests escalated "
        "to the platform authority."
    )
