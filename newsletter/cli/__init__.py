"""The `newsletter` command: thin click wrappers around the library.

Each command group lives in its own module and lists its commands in `COMMANDS`. A module
is imported only when one of its commands runs or shows its help: `newsletter --help`
lists the commands from the table below without importing any of them (click's lazy
group pattern), and `newsletter render` does not pay for `serve`. The command modules
import the library inside their functions, so `newsletter COMMAND --help` loads only
click and that one module. A test keeps the table's help in step with the commands.

Every command is given `--config FILE` here (cli.project) and its help in the editor's
language (cli.helptext) when it is looked up; its messages use newsletter.translate.
"""

from __future__ import annotations

__all__ = ["COMMANDS", "main"]

import gettext
import importlib
import sys
from collections.abc import Sequence
from typing import Any

import click

from newsletter import __version__
from newsletter.cli.project import add_config_option, config_option
from newsletter.errors import NewsletterError
from newsletter.translate import LOCALE_DIR, N_, _

# Command name -> (the module under newsletter.cli that defines it, its one-line help),
# in the order of `--help`.
COMMANDS = {
    "init": ("init", N_("Start a project: newsletter.toml, a list, folders.")),
    "new": ("issues", N_("Write a commented starter issue to fill in.")),
    "validate": ("issues", N_("Check issue files; list every problem at its line.")),
    "schema": ("issues", N_("Print the JSON Schema of an issue file.")),
    "render": ("render", N_("Render issues to HTML, text and calendar files.")),
    "preview": ("render", N_("Show an issue in the browser as subscribers will see it.")),
    "subscribers": ("subscribers", N_("Check and edit lists; keep the suppression list.")),
    "check": ("check", N_("Find broken links, wrong dates and setup problems before sending.")),
    "send": ("send", N_("Send an issue to its subscribers, each exactly once.")),
    "status": ("status", N_("Show how the send of an issue went, and why it stopped.")),
    "serve": ("web", N_("Serve sign-up, unsubscribe, web versions and the archive.")),
    "signup-form": ("signup", N_("Print a sign-up form to paste into your website.")),
    "archive": ("web", N_("Publish sent issues on the web, or correct one.")),
    "bounces": ("bounces", N_("Read bounces and complaints into the suppression list.")),
    "state": ("state", N_("Back up, restore, check, migrate and move the state database.")),
}


class _Group(click.Group):
    """Loads command modules on demand; turns every NewsletterError into a plain message."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        from newsletter.cli.helptext import translate

        module = importlib.import_module(f"newsletter.cli.{COMMANDS[cmd_name][0]}")
        command: click.Command = next(c for c in module.COMMANDS if c.name == cmd_name)
        add_config_option(command)
        translate(command)
        command.short_help = _(COMMANDS[cmd_name][1])  # one text for both listings
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # The table's help, so that listing the commands imports none of them.
        with formatter.section(_("Commands")):
            formatter.write_dl([(name, _(short)) for name, (_module, short) in COMMANDS.items()])

    def main(self, args: Sequence[str] | None = None, *rest: Any, **extra: Any) -> Any:
        # Click's own words (Usage:, Options, Error: ...) come from gettext's default
        # domain: ours has them in Swedish too (see cli.helptext).
        gettext.bindtextdomain("messages", str(LOCALE_DIR))
        from newsletter.cli.helptext import translate

        translate(self)
        return super().main(args, *rest, **extra)

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
            click.echo(_("Interrupted."), err=True)
            sys.exit(130)


def _fail(exc: NewsletterError) -> None:
    message = str(exc)
    click.echo(_("Error: {message}").format(message=message) if "\n" not in message else message,
               err=True)  # fmt: skip
    sys.exit(exc.exit_code)


def _os_error(exc: OSError) -> NewsletterError:
    from newsletter.fileio import describe_os_error

    reason = describe_os_error(exc)
    if exc.filename:
        return NewsletterError(
            f"{exc.filename}: {reason}."
        )  # fmt: skip
    return NewsletterError(f"{reason}.")


def _state_error(exc: Exception) -> NewsletterError | None:
    """A SQLite error that escaped the library, in plain words; None for anything else."""
    sqlite3 = sys.modules.get("sqlite3")  # not imported for `--help`
    if sqlite3 is None or not isinstance(exc, sqlite3.Error):
        return None
    from newsletter.errors import StateError

    return StateError(_("the state database cannot be used (SQLite: {exc}).").format(exc=exc))


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="newsletter")
@config_option
def main() -> None:
    """Write, preview and send newsletters from YAML issue files.

    Messages follow your locale: Swedish under LANG=sv_SE.UTF-8 (or LC_ALL,
    LC_MESSAGES), English otherwise. Shell completion: see docs/cli.md.

    \b
    Example:
        newsletter init internationellt
        newsletter validate issues/*.yaml
    """
