"""Commands for issue files: validate, new, schema."""

from __future__ import annotations

__all__ = ["COMMANDS", "new", "schema", "summary", "validate"]

import datetime as dt
import os
from pathlib import Path
from typing import TYPE_CHECKING

import click

from newsletter.cli.project import config_path
from newsletter.errors import IssueFileError, Location, NewsletterError
from newsletter.translate import _, ngettext

if TYPE_CHECKING:
    from newsletter.content.model import Issue


def summary(issue: Issue) -> str:
    """One line: title, newsletter and slug, and how many sections, items and events."""
    sections, items, events = len(issue.sections), len(issue.items()), len(issue.events())
    return _('"{title}" ({newsletter} {slug}): {sections}, {items}, {events}').format(
        title=issue.title,
        newsletter=issue.newsletter,
        slug=issue.slug,
        sections=ngettext("{n} section", "{n} sections", sections).format(n=sections),
        items=ngettext("{n} item", "{n} items", items).format(n=items),
        events=ngettext("{n} event", "{n} events", events).format(n=events),
    )


def _expand(paths: tuple[Path, ...]) -> list[Path]:
    """Folders stand for the issue files in them; a folder without any is an error."""
    expanded: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.suffix in {".yaml", ".yml"})
            if not found:
                message = _(
                    "there are no issue files (*.yaml) in this folder; give the files, or "
                    "write one with `newsletter new`"
                )
                raise IssueFileError([Location(str(path), 0, 0, "", message)])
            expanded += found
        else:
            expanded.append(path)
    return expanded


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
def validate(files: tuple[Path, ...]) -> None:
    """Check issue files and summarise each; list every problem with its line.

    Every file is checked, even after one fails; a folder stands for the .yaml
    files in it. Each is checked against its project's newsletter.toml (found from
    the file's folder upwards, or given with --config). Exit status 0 when all are
    valid, 1 when any has a problem.

    \b
    Example:
        newsletter validate issues/*.yaml
    """
    files = tuple(_expand(files))
    failed = 0
    for path in files:
        try:
            issue = _validate_one(path)
        except NewsletterError as exc:
            failed += 1
            message = str(exc) if isinstance(exc, IssueFileError) else f"{path}: {exc}"
            click.echo(message, err=True)
        else:
            click.echo(_("{path}: OK {summary}").format(path=path, summary=summary(issue)))
    if len(files) > 1:
        click.echo(
            _("{files} checked: {valid} valid, {invalid} invalid.").format(
                files=ngettext("{n} file", "{n} files", len(files)).format(n=len(files)),
                valid=len(files) - failed,
                invalid=failed,
            )
        )
    if failed:
        raise SystemExit(1)


def _validate_one(path: Path) -> Issue:
    """PATH checked against its project; the file's own problems come first."""
    from newsletter.config import require_config
    from newsletter.content.loader import load_issue_text, read_issue_text

    text = read_issue_text(path)
    config = require_config(config_path(), start=path.resolve().parent)
    return load_issue_text(text, str(path), config=config)


@click.command()
@click.argument("path", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--newsletter", "key", help="Key of the newsletter in newsletter.toml.")
def new(path: Path | None, key: str | None) -> None:
    """Write a commented starter issue that validates; never overwrites a file.

    The newsletter defaults to the first one in newsletter.toml. The issue's number
    follows the highest number of the newsletter's issues this year (in the issues
    folder); PATH defaults to issues/NEWSLETTER-YYYY-NN.yaml with that number.

    \b
    Example:
        newsletter new issues/medborgardialog-2026-06.yaml --newsletter medborgardialog
    """
    from newsletter.audience.csvfile import display_path
    from newsletter.cli.project import load_project
    from newsletter.content.numbering import next_number
    from newsletter.content.starter import starter_issue
    from newsletter.content.suggest import suggestion

    config = load_project()
    if not config.newsletters:
        raise NewsletterError(
            _(
                "{path} has no newsletter yet: add a [newsletters.KEY] section (see "
                "docs/issues.md), or start a project with `newsletter init`."
            ).format(path=config.path)
        )
    key = key or next(iter(config.newsletters))
    if key not in config.newsletters:
        hint = suggestion(key, sorted(config.newsletters))
        raise NewsletterError(
            _("there is no newsletter `{key}` in {path}; {hint}").format(
                key=key, path=config.path, hint=hint
            )
        )
    today = dt.date.today()
    number, year = next_number(config.issues_dir, key, today=today)
    path = path or config.issues_dir / f"{key}-{year}-{number:02d}.yaml"
    if path.exists():
        raise NewsletterError(
            _("{path} already exists; choose another name or delete it first.").format(
                path=display_path(path)
            )
        )
    text = starter_issue(newsletter=key, today=today, language=config.newsletters[key].language,
                         schema=_schema_link(config.root, path), number=number)  # fmt: skip
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with path.open("x", encoding="utf-8") as file:
            file.write(text)
    except OSError as exc:
        raise NewsletterError(
            _("{path}: cannot write it: {reason}").format(path=path, reason=exc.strerror)
        ) from None
    click.echo(
        _("Wrote {path} (number {number} of {year}). Fill it in, then: newsletter validate {path}")
        .format(path=display_path(path), number=number, year=year)
    )  # fmt: skip


def _schema_link(root: Path, path: Path) -> str | None:
    """The project's JSON Schema relative to the new issue file, when the project has one."""
    schema_file = root / "docs" / "issue.schema.json"
    if not schema_file.is_file():
        return None
    return Path(os.path.relpath(schema_file, path.resolve().parent)).as_posix()


@click.command()
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the schema to this file instead of printing it.",
)
def schema(output: Path | None) -> None:
    """Print the JSON Schema of an issue file, for completion and checks in editors.

    Point an issue file at it with this first line (read by VS Code's YAML
    extension and other editors using yaml-language-server):

    \b
        # yaml-language-server: $schema=../docs/issue.schema.json

    \b
    Example:
        newsletter schema -o docs/issue.schema.json
    """
    from newsletter.content.starter import schema_json

    text = schema_json()
    if output is None:
        click.echo(text, nl=False)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise NewsletterError(
            _("{path}: cannot write it: {reason}").format(path=output, reason=exc.strerror)
        ) from None
    click.echo(_("Wrote {path}.").format(path=output), err=True)


COMMANDS: list[click.Command] = [validate, new, schema]
