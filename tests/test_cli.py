"""The `newsletter` command group: every command is there, documented, and errors stay plain."""

from __future__ import annotations

import subprocess
import sys

import click
import pytest
from click.testing import CliRunner

from newsletter.cli import _COMMAND_MODULES, main


def _all_commands() -> list[tuple[str, click.Command]]:
    """Every command and subcommand, with its full name."""
    context = click.Context(main)
    found: list[tuple[str, click.Command]] = []
    pending: list[tuple[str, click.Command]] = [
        (name, command)
        for name in main.list_commands(context)
        if (command := main.get_command(context, name)) is not None
    ]
    while pending:
        name, command = pending.pop(0)
        found.append((name, command))
        if isinstance(command, click.Group):
            pending += [(f"{name} {sub}", command.commands[sub]) for sub in command.commands]
    return found


def test_every_listed_command_loads() -> None:
    context = click.Context(main)
    missing = [name for name in _COMMAND_MODULES if main.get_command(context, name) is None]
    assert missing == []
    assert main.list_commands(context) == list(_COMMAND_MODULES)


@pytest.mark.parametrize("name, command", _all_commands(), ids=lambda value: str(value))
def test_every_command_has_help_with_an_example(name: str, command: click.Command) -> None:
    assert command.help, f"`newsletter {name}` has no help"
    if not isinstance(command, click.Group):
        assert "Example" in command.help, f"`newsletter {name}` help has no example"


def test_top_level_help_lists_every_command() -> None:
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    for name in _COMMAND_MODULES:
        assert f"  {name} " in result.output


def test_unknown_command_is_a_usage_error() -> None:
    result = CliRunner().invoke(main, ["sned"])
    assert result.exit_code == 2
    assert "No such command 'sned'" in result.output


def test_a_short_command_does_not_import_the_rendering_libraries() -> None:
    code = (
        "import sys; from newsletter.cli import main\n"
        "try:\n    main(['validate', 'issues/medborgardialog-2020-06.yaml'])\n"
        "except SystemExit:\n    pass\n"
        "heavy = ('premailer', 'mjml', 'starlette', 'aiosmtplib')\n"
        "print(sorted(m for m in heavy if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip().splitlines()[-1] == "[]"
