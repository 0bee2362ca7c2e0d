"""The `newsletter` command: thin click wrappers around the library.

Each command group lives in its own module and lists its commands in `COMMANDS`. A module
is imported only when one of its commands runs: pydantic, premailer and friends take most
of a short command's time, and `newsletter render` should not pay for `serve`.
"""

from __future__ import annotations

__all__ = ["main"]

import importlib
import sys
from typing import Any

import click

from newsletter import __version__
from newsletter.errors import NewsletterError

# Command name -> the module under newsletter.cli that defines it, in the order of `--help`.
_COMMAND_MODULES = {
    "new": "issues",
    "validate": "issues",
    "schema": "issues",
    "render": "render",
    "preview": "render",
    "subscribers": "subscribers",
    "send": "send",
    "status": "send",
    "serve": "web",
    "archive": "web",
    "bounces": "bounces",
}


class _Group(click.Group):
    """Loads command modules on demand; turns every NewsletterError into a plain message."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [name for name in _COMMAND_MODULES if self.get_command(ctx, name) is not None]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        module_name = _COMMAND_MODULES.get(cmd_name)
        if module_name is None:
            return None
        module = importlib.import_module(f"newsletter.cli.{module_name}")
        commands = {command.name: command for command in module.COMMANDS}
        return commands.get(cmd_name)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except NewsletterError as exc:
            click.echo(f"Error: {exc}" if "\n" not in str(exc) else str(exc), err=True)
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("Interrupted.", err=True)
            sys.exit(130)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="newsletter")
def main() -> None:
    """Write, preview and send newsletters from YAML issue files.

    \b
    Example:
        newsletter validate issues/*.yaml
    """
