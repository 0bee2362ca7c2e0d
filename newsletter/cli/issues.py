"""Commands for issue files: validate, new, schema."""

from __future__ import annotations

__all__ = ["COMMANDS", "new", "schema", "summary", "validate"]

import datetime as dt
import os
from pathlib import Path
from typing import TYPE_CHECKING

import click

from newsletter.errors import IssueFileError, Location, NewsletterError

if TYPE_CHECKING:
    from newsletter.config import Config
    from newsletter.content.model import Issue

_CONFIG_OPTION = click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="newsletter.toml to use (default: found from the current folder upwards).",
)


def _config(path: Path | None) -> Config | None:
    """The configuration, or None when there is no newsletter.toml to check against."""
    from newsletter.config import load_config

    config = load_config(path)
    return config if config.path is not None else None


def summary(issue: Issue) -> str:
    """One line: title, newsletter and slug, and how many sections, items and events."""

    def count(n: int, word: str) -> str:
        return f"{n} {word}{'' if n == 1 else 's'}"

    return (
        f'"{issue.title}" ({issue.newsletter} {issue.slug}): '
        f"{count(len(issue.sections), 'section')}, {count(len(issue.items()), 'item')}, "
        f"{count(len(issue.events()), 'event')}"
    )


def _expand(paths: tuple[Path, ...]) -> list[Path]:
    """Folders stand for the issue files in them; a folder without any is an error."""
    expanded: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.suffix in {".yaml", ".yml"})
            if not found:
                raise IssueFileError(
                    [Location(str(path), 0, 0, "", "there are no issue files (*.yaml) in this "
                              "folder; give the files, or write one with `newsletter new`")]
                )  # fmt: skip
            expanded += found
        else:
            expanded.append(path)
    return expanded


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@_CONFIG_OPTION
def validate(files: tuple[Path, ...], config_path: Path | None) -> None:
    """Check issue files and summarise each; list every problem with its line.

    Every file is checked, even after one fails; a folder stands for the .yaml
    files in it. Exit status 0 when all are valid, 1 when any has a problem.

    \b
    Example:
        newsletter validate issues/*.yaml
    """
    from newsletter.content.loader import load_issue

    files = tuple(_expand(files))
    config = _config(config_path)
    if config is None:
        click.echo("Note: no newsletter.toml found; `newsletter:` names are not checked.", err=True)
    failed = 0
    for path in files:
        try:
            issue = load_issue(path, config=config)
        except IssueFileError as exc:
            failed += 1
            click.echo(str(exc), err=True)
        else:
            click.echo(f"{path}: OK {summary(issue)}")
    if len(files) > 1:
        click.echo(f"{len(files)} files checked: {len(files) - failed} valid, {failed} invalid.")
    if failed:
        raise SystemExit(1)


@click.command()
@click.argument("path", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--newsletter", "key", help="Key of the newsletter in newsletter.toml.")
@_CONFIG_OPTION
def new(path: Path | None, key: str | None, config_path: Path | None) -> None:
    """Write a commented starter issue that validates; never overwrites a file.

    PATH defaults to issues/NEWSLETTER-YYYY-MM-DD.yaml. The newsletter defaults
    to the first one in newsletter.toml.

    \b
    Example:
        newsletter new issues/medborgardialog-2026-06.yaml --newsletter medborgardialog
    """
    from newsletter.config import load_config
    from newsletter.content.starter import starter_issue
    from newsletter.content.suggest import suggestion

    config = load_config(config_path)
    key = key or next(iter(config.newsletters), "nyhetsbrev")
    if config.newsletters and key not in config.newsletters:
        hint = suggestion(key, sorted(config.newsletters))
        raise NewsletterError(f"there is no newsletter `{key}` in {config.path}; {hint}")
    language = config.newsletters[key].language if config.newsletters else "sv"
    today = dt.date.today()
    path = path or config.issues_dir / f"{key}-{today.isoformat()}.yaml"
    if path.exists():
        raise NewsletterError(f"{path} already exists; choose another name or delete it first.")
    schema_file = config.root / "docs" / "issue.schema.json"
    schema = None
    if schema_file.is_file():
        schema = Path(os.path.relpath(schema_file, path.resolve().parent)).as_posix()
    text = starter_issue(newsletter=key, today=today, language=language, schema=schema)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with path.open("x", encoding="utf-8") as file:
            file.write(text)
    except OSError as exc:
        raise NewsletterError(f"{path}: cannot write it: {exc.strerror}") from None
    click.echo(f"Wrote {path}. Fill it in, then: newsletter validate {path}")


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
        raise NewsletterError(f"{output}: cannot write it: {exc.strerror}") from None
    click.echo(f"Wrote {output}.", err=True)


COMMANDS: list[click.Command] = [validate, new, schema]
