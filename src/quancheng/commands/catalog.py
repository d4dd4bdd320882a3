"""`quancheng catalog …`: the catalog's full-text search index, for operators."""

from __future__ import annotations

from pathlib import Path

import click

from quancheng.catalog.search import SEARCH_INDEX
from quancheng.cli import data_dir_option, fail_on_platform_errors, load_settings, services_for


@click.group()
def catalog() -> None:
    """The data resource catalog: its search index."""


@catalog.command("reindex")
@data_dir_option
@fail_on_platform_errors
def reindex(data_dir: Path) -> None:
    """Index every catalog entry again now (after restoring a backup, a tokenizer change)."""
    services = services_for(load_settings(data_dir), migrate=False)
    try:
        if not services.db.is_initialised():
            raise click.ClickException(f"no city in {data_dir}: run `quancheng init` first")
        # A stale index is rebuilt by migrate already: not twice.
        rebuilt = services.db.migrate()
        if SEARCH_INDEX.kind in rebuilt:
            count = rebuilt[SEARCH_INDEX.kind]
        else:
            count = services.catalog.reindex()
    finally:
        services.close()
    click.echo(f"Indexed {count} catalog entries.")
