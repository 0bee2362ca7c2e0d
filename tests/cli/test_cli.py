"""The `newsletter` command group: every command is there, documented, and errors stay plain."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from projects import example_project

from newsletter.cli import COMMANDS, main


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
    missing = [name for name in COMMANDS if main.get_command(context, name) is None]
    assert missing == []
    assert main.list_commands(context) == list(COMMANDS)


def test_every_command_of_every_module_is_listed() -> None:
    for module_name in {module for module, _ in COMMANDS.values()}:
        module = importlib.import_module(f"newsletter.cli.{module_name}")
        for command in module.COMMANDS:
            assert COMMANDS.get(command.name, ("", ""))[0] == module_name, command.name


def test_a_listed_command_shows_the_tables_help() -> None:
    context = click.Context(main)
    command = main.get_command(context, "send")
    assert command is not None
    assert command.get_short_help_str(limit=200) == COMMANDS["send"][1]


def _loaded_after(args: list[str]) -> set[str]:
    """The modules of ours and of the heavy libraries that `newsletter ARGS` imports."""
    code = (
        "import sys; from newsletter.cli import main\n"
        f"try:\n    main({args!r})\nexcept SystemExit:\n    pass\n"
        "print(' '.join(m for m in sys.modules if m.split('.')[0] in "
        "('newsletter', 'pydantic', 'pydantic_settings', 'jinja2', 'premailer', 'yaml')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    return set(result.stdout.strip().splitlines()[-1].split())


# What every command shares (light: click and gettext only): --config, the help in the
# editor's language, and newsletter.translate.
_SHARED = {"newsletter.cli.project", "newsletter.cli.helptext", "newsletter.translate"}


def test_listing_the_commands_imports_none_of_them() -> None:
    assert _loaded_after(["--help"]) == {
        "newsletter", "newsletter.cli", "newsletter.errors", *_SHARED,
    }  # fmt: skip


@pytest.mark.parametrize("name", list(COMMANDS))
def test_a_commands_help_imports_only_its_own_module(name: str) -> None:
    loaded = _loaded_after([name, "--help"])
    ours = {m for m in loaded if m.startswith("newsletter.cli.")}
    assert ours <= {f"newsletter.cli.{COMMANDS[name][0]}", "newsletter.cli.suppression",
                    "newsletter.cli.send_report", "newsletter.cli.audience_report",
                    "newsletter.cli.corrections", "newsletter.cli.list_report",
                    *_SHARED}  # fmt: skip
    assert not {m for m in loaded if not m.startswith("newsletter")}, "a library was imported"


@pytest.mark.parametrize("name, command", _all_commands(), ids=lambda value: str(value))
def test_every_command_has_help_with_an_example(name: str, command: click.Command) -> None:
    assert command.help, f"`newsletter {name}` has no help"
    if not isinstance(command, click.Group):
        assert "Example" in command.help, f"`newsletter {name}` help has no example"


@pytest.mark.parametrize("name, command", _all_commands(), ids=lambda value: str(value))
def test_every_command_takes_config(name: str, command: click.Command) -> None:
    if name == "init":
        return  # it writes the file: there is none to read yet
    result = CliRunner().invoke(main, [*name.split(), "--help"])
    assert result.exit_code == 0, result.output
    assert "--config FILE" in result.output, f"`newsletter {name}` has no --config"


def test_config_names_the_project_for_any_command(tmp_path: Path) -> None:
    (tmp_path / "project").mkdir()
    project = example_project(tmp_path / "project")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    config = str(project / "newsletter.toml")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(elsewhere)
        patch.delenv("NEWSLETTER_CONFIG", raising=False)
        checked = CliRunner().invoke(main, ["subscribers", "check", "--config", config])
        assert checked.exit_code == 0, checked.output
        assert "subscribers/medborgardialog.csv: 14 rows" in checked.output
        before = CliRunner().invoke(main, ["--config", config, "state", "verify"])
        assert "no newsletter.toml" not in before.output
        assert not (elsewhere / ".newsletter").exists()


def test_top_level_help_lists_every_command() -> None:
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    for name in COMMANDS:
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
