"""The `newsletter` command: thin click wrappers around the library.

Each command group lives in its own module and lists its commands in `COMMANDS`. A module
is imported only when one of its commands runs or shows its help: `newsletter --help`
lists the commands from the table below without importing any of them (click's lazy
group pattern), and `newsletter render` does not pay for `serve`. The command modules
import the library inside their functions, so `newsletter COMMAND --help` loads only
click and that one module. A test keeps the table's help in step with the commands.
"""

from __future__ import annotations

__all__ = ["COMMANDS", "main"]

import importlib
import sys
from typing import Any

import click

from newsletter import __version__
from newsletter.errors import NewsletterError

# Command name -> (the module under newsletter.cli that defines it, its one-line help),
# in the order of `--help`.
COMMANDS = {
    "new": ("issues", "Write a commented starter issue to fill in."),
    "validate": ("issues", "Check issue files; list every problem at its line."),
    "schema": ("issues", "Print the JSON Schema of an issue file."),
    "render": ("render", "Render issues to HTML, text and calendar files."),
    "preview": ("render", "Show an issue in the browser as subscribers will see it."),
    "subscribers": ("subscribers", "Check and edit lists; keep the suppression list."),
    "check": ("check", "Find broken links, wrong dates and setup problems before sending."),
    "send": ("send", "Send an issue to its subscribers, each exactly once."),
    "status": ("send", "Show how the send of an issue went."),
    "serve": ("web", "Serve sign-up, unsubscribe, web versions and the archive."),
    "signup-form": ("signup", "Print a sign-up form to paste into your website."),
    "archive": ("web", "Build the public archive as static files."),
    "bounces": ("bounces", "Read bounces and complaints into the suppression list."),
    "state": ("state", "Back up, restore, check, migrate and move the state database."),
}


class _Group(click.Group):
    """Loads command modules on demand; turns every NewsletterError into a plain message."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module = importlib.import_module(f"newsletter.cli.{COMMANDS[cmd_name][0]}")
        command: click.Command = next(c for c in module.COMMANDS if c.name == cmd_name)
        command.short_help = COMMANDS[cmd_name][1]  # one text for both listings
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # The table's help, so that listing the commands imports none of them.
        with formatter.section("Commands"):
            formatter.write_dl([(name, short) for name, (_, short) in COMMANDS.items()])

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except NewsletterError as exc:
            _fail(exc)
        except BrokenPipeError:
            sys.exit(1)  # the reader went away (`| head`): nobody to tell
        except OSError as exc:
            # A full disk, a read-only file system, a file gone: a plain message, no traceback.
            _fail(_os_error(exc))
        except Exception as exc:
            if (found := _state_error(exc)) is None:
                raise
            _fail(found)
        except KeyboardInterrupt:
            click.echo("Interrupted.", err=True)
            sys.exit(130)


def _fail(exc: NewsletterError) -> None:
    click.echo(f"Error: {exc}" if "\n" not in str(exc) else str(exc), err=True)
    sys.exit(exc.exit_code)


def _os_error(exc: OSError) -> NewsletterError:
    from newsletter.fileio import describe_os_error

    where = f"{exc.filename}: " if exc.filename else ""
    return NewsletterError(f"{where}{describe_os_error(exc)}.")


def _state_error(exc: Exception) -> NewsletterError | None:
    """A SQLite error that escaped the library, in plain words; None for anything else."""
    sqlite3 = sys.modules.get("sqlite3")  # not imported for `--help`
    if sqlite3 is None or not isinstance(exc, sqlite3.Error):
        return None
    from newsletter.errors import StateError

    return StateError(f"the state database cannot be used (SQLite: {exc}).")


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="newsletter")
def main() -> None:
    """Write, preview and send newsletters from YAML issue files.

    \b
    Example:
        newsletter validate issues/*.yaml
    """
