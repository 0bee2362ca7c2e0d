"""What every command shares: `--config`, the project it works on, and a yes/no question.

`--config FILE` is an option of every command (and of `newsletter` itself); the file it
names is kept in click's context for the one invocation. Without it, newsletter.toml is
found as always: NEWSLETTER_CONFIG, else the working folder (or the issue's) and up.
Without any, the command says so and points at `newsletter init`.
"""

from __future__ import annotations

__all__ = [
    "add_config_option",
    "config_option",
    "config_path",
    "confirm",
    "load_issue",
    "load_project",
    "open_state",
]

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from newsletter.translate import N_, _

if TYPE_CHECKING:
    from newsletter.config import Config
    from newsletter.content.model import Issue
    from newsletter.state import Connection

_KEY = "newsletter.config"
_F = TypeVar("_F", bound=Callable[..., Any])


def _remember(ctx: click.Context, param: click.Parameter, value: Path | None) -> None:
    if value is not None:
        ctx.meta[_KEY] = value  # shared by the group's context and the command's


_CONFIG_OPTION: dict[str, Any] = {
    "type": click.Path(dir_okay=False, path_type=Path),
    "expose_value": False,
    "is_eager": True,
    "callback": _remember,
    "metavar": "FILE",
    "help": N_("newsletter.toml to use (default: found from the current folder upwards)."),
}
# `init` makes the file: it has none to read.
_WITHOUT = {"init"}


def config_option(command: _F) -> _F:
    """The `--config FILE` option: the newsletter.toml to use instead of the one found."""
    return click.option("--config", **_CONFIG_OPTION)(command)


def add_config_option(command: click.Command, /) -> None:
    """Give COMMAND and its subcommands `--config`, once: every command takes it."""
    if command.name not in _WITHOUT and not any(p.name == "config" for p in command.params):
        command.params.append(click.Option(["--config"], **_CONFIG_OPTION))
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            add_config_option(sub)


def config_path() -> Path | None:
    """The file --config named in this invocation, if any."""
    ctx = click.get_current_context(silent=True)
    found = ctx.meta.get(_KEY) if ctx is not None else None
    return found if isinstance(found, Path) else None


def load_project() -> Config:
    """The project's configuration; a ConfigError pointing at `newsletter init` without one."""
    from newsletter.config import require_config

    return require_config(config_path())


def open_state() -> tuple[Config, Connection]:
    """The project's configuration and its state database, opened and migrated."""
    from newsletter.state import connect

    config = load_project()
    return config, connect(config)


def load_issue(path: Path, /) -> tuple[Issue, Config]:
    """The issue at PATH, complete with its newsletter's defaults, and its project."""
    from newsletter.content.project import load

    return load(path, config_path=config_path())


_YES = {"y", "yes", "j", "ja"}
_NO = {"n", "no", "nej"}


def confirm(question: str, /, *, abort: bool = False) -> bool:
    """Ask QUESTION on stderr; y/yes (and the Swedish j/ja) mean yes, the default is no."""
    choices = _("y/N")  # what the editor may type: the Swedish j/N
    while True:
        answer = click.prompt(
            f"{question} [{choices}]",
            default="",
            show_default=False,
            prompt_suffix=" ",
            err=True,
        )
        answer = answer.strip().lower()
        if answer in _YES or answer in _NO or not answer:
            break
        click.echo(_("Please answer y (yes) or n (no)."), err=True)
    if answer in _YES:
        return True
    if abort:
        raise click.Abort()
    return False
