"""`newsletter init`: a new project folder, ready for its first issue."""

from __future__ import annotations

__all__ = ["COMMANDS", "init"]

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import click

from newsletter.errors import NewsletterError
from newsletter.translate import _

if TYPE_CHECKING:
    from newsletter.content.newproject import Written

_T = TypeVar("_T")


@click.command()
@click.argument("folder", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option("--newsletter", "key", metavar="KEY", help="The newsletter's key (in its web "
              "addresses): lower-case letters, digits and hyphens.")  # fmt: skip
@click.option("--name", metavar="NAME", help="The newsletter's name, as readers see it.")
@click.option("--from", "sender", metavar="ADDRESS", help="The address it is sent from.")
@click.option(
    "--language",
    type=click.Choice(["sv", "en"]),
    default="sv",
    show_default=True,
    help="The language of the newsletter's issues and pages.",
)
def init(
    folder: Path | None, key: str | None, name: str | None, sender: str | None, language: str
) -> None:
    """Start a project in FOLDER (default: the current folder).

    Writes newsletter.toml with one newsletter, the folders issues/ and subscribers/
    (with an example list, as Excel saves CSV), and a .gitignore that keeps the
    tool's own files out of git; then says what to do next. In a terminal it asks
    for what the options leave out. Nothing that exists is overwritten.

    \b
    Example:
        newsletter init hassleholm
        newsletter init hassleholm --newsletter internationellt \\
            --name "Internationellt arbete i Hässleholm" --from nyhetsbrev@hassleholm.se
    """
    from newsletter.content.newproject import (
        NewProject,
        check_key,
        check_sender,
        key_from_name,
        write_project,
    )

    given = {"--name": name, "--newsletter": key, "--from": sender}
    missing = [option for option, value in given.items() if not value]
    if missing and not sys.stdin.isatty():
        raise click.UsageError(
            _(
                "Not in a terminal, so nothing can be asked: give {options} as well, e.g. "
                'newsletter init hassleholm --newsletter internationellt --name "Internationellt '
                'arbete i Hässleholm" --from nyhetsbrev@hassleholm.se'
            ).format(options=", ".join(missing))
        )
    name = _given_or_asked(name, _("The newsletter's name, as readers see it"), _header)
    key = _given_or_asked(
        key, _("Its key, for its web addresses and files"), check_key, key_from_name(name)
    )
    sender = _given_or_asked(sender, _("The address it is sent from"), check_sender)
    project = NewProject(check_key(key), name, check_sender(sender), language)
    written = write_project(folder or Path("."), project)
    _echo_written(written, project.key)


def _header(value: str) -> str:
    from newsletter.errors import ConfigError
    from newsletter.valuechecks import check_header_text

    try:
        return check_header_text(value.strip())
    except ValueError as exc:
        raise ConfigError(_("The name {reason}.").format(reason=exc)) from None


def _given_or_asked(
    value: str | None, question: str, check: Callable[[str], _T], default: str | None = None
) -> _T:
    """VALUE checked; without one, asked for until the answer passes CHECK."""
    if value:
        return check(value.strip())
    while True:
        answer = click.prompt(question, default=default, err=True)
        try:
            return check(answer.strip())
        except NewsletterError as exc:
            click.echo(str(exc), err=True)


def _echo_written(written: Written, key: str) -> None:
    from newsletter.audience.csvfile import display_path

    folder = written.folder
    click.echo(_("Started a project in {folder}:").format(folder=display_path(folder)))
    for path in written.made:
        click.echo(_("  made  {path}").format(path=display_path(path)))
    for path in written.kept:
        click.echo(_("  kept  {path} (it was there)").format(path=display_path(path)))
    here = folder.resolve() == Path.cwd().resolve()
    steps = [] if here else [f"cd {display_path(folder)}"]
    steps += [
        _(
            "Put your subscribers in subscribers/{key}.csv instead of the example (in Excel: "
            "Save as, CSV UTF-8), then: newsletter subscribers check"
        ).format(key=key),
        _("newsletter new   (writes the first issue into issues/; fill it in)"),
        _("newsletter preview issues/FILE.yaml   (shows it as a subscriber gets it)"),
        _(
            "Set [smtp] host and base_url in newsletter.toml; until then `newsletter send` "
            "writes the messages into outbox/ as .eml files, a rehearsal."
        ),
        _("newsletter send issues/FILE.yaml --test you@example.org   (a copy to you only)"),
    ]
    click.echo(_("Next:"))
    for number, step in enumerate(steps, start=1):
        click.echo(f"  {number}. {step}")


COMMANDS: list[click.Command] = [init]
