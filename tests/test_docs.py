"""Every setting and every command is documented, and the error body is described."""

from __future__ import annotations

from pathlib import Path

import click
from click.testing import CliRunner

from quancheng import __version__
from quancheng.cli import main
from quancheng.settings import Settings

ROOT = Path(__file__).resolve().parents[1]


def test_every_setting_is_in_the_configuration_page() -> None:
    page = (ROOT / "docs" / "configuration.md").read_text()
    for name, field in Settings.model_fields.items():
        assert f"`QC_{name.upper()}`" in page, f"QC_{name.upper()} is not documented"
        assert field.description, f"{name} has no description"


def commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found: list[tuple[str, ...]] = []
    for name, command in group.commands.items():
        found.append((*prefix, name))
        if isinstance(command, click.Group):
            found.extend(commands(command, (*prefix, name)))
    return found


def test_every_command_has_help_and_is_in_the_cli_page() -> None:
    page = (ROOT / "docs" / "cli.md").read_text()
    runner = CliRunner()
    for path in commands(main):
        result = runner.invoke(main, [*path, "--help"])
        assert result.exit_code == 0, path
        usage = result.output.split("\n\n")
        assert len(usage) > 1 and usage[1].strip(), f"{' '.join(path)} has no help text"
        assert f"quancheng {' '.join(path)}" in page, f"{' '.join(path)} is not in docs/cli.md"


def test_city_commands_take_data_dir() -> None:
    runner = CliRunner()
    needs_city = {"demo", "serve", "init", "migrate"}
    for path in commands(main):
        command = main
        for part in path:
            command = command.commands[part]  # type: ignore[attr-defined]
        if isinstance(command, click.Group):
            continue
        if path[0] in needs_city or len(path) > 1:
            assert "--data-dir" in runner.invoke(main, [*path, "--help"]).output, path


def test_version() -> None:
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0
    assert __version__ in result.output
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert f'version = "{__version__}"' in pyproject
