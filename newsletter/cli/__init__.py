"""The `newsletter` command: thin click wrappers around the library.

Each command group lives in its own module and lists its commands in `COMMANDS`.
"""

from __future__ import annotations

__all__ = ["main"]

import sys
from typing import Any

import click

from newsletter import __version__
from newsletter.cli import issues, render, send, subscribers, web
from newsletter.errors import NewsletterError


class _Group(click.Group):
    """Turns every NewsletterError into a plain message and a non-zero exit."""

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


for _module in (issues, render, subscribers, send, web):
    for _command in _module.COMMANDS:
        main.add_command(_command)
