"""`newsletter render` and `newsletter preview`."""

from __future__ import annotations

__all__ = ["COMMANDS"]

from pathlib import Path
from typing import TYPE_CHECKING

import click

from newsletter.cli.project import load_issue
from newsletter.errors import NewsletterError
from newsletter.translate import _

# The preview's port: not 8025, the usual port of a local test mail server (MailHog,
# Mailpit's SMTP is 1025 and web 8025), nor 8000 (`newsletter serve`).
PREVIEW_PORT = 8040

if TYPE_CHECKING:
    from newsletter.config import Config

# The rendering libraries (premailer, icalendar, babel, ...) are imported by the
# commands themselves: every other command starts faster without them.


@click.command("render")
@click.argument("issues", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option(
    "-o",
    "--output",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to write into (one issue only). Default: build/NEWSLETTER/ISSUE/ "
    "next to newsletter.toml.",
)
def render_command(issues: tuple[Path, ...], output: Path | None) -> None:
    """Render each ISSUE to index.html, index.txt and calendar files, and check its size.

    index.html is the web version (what the archive shows); the e-mail is the same
    page with each subscriber's unsubscribe link. A folder stands for the .yaml files
    in it. Nothing is written for an issue whose e-mail is over the size limit.

    \b
    Example:
        newsletter render issues/medborgardialog-2020-06.yaml
        newsletter render issues/
    """
    paths = _expand(issues)
    if output is not None and len(paths) != 1:
        raise click.UsageError(
            _("--output takes one issue; leave it out to render several.")
        )  # fmt: skip
    failed = 0
    for path in paths:
        try:
            _render_one(path, output)
        except NewsletterError as exc:
            failed += 1
            message = str(exc) if str(path) in str(exc) else f"{path}: {exc}"
            click.echo(
                message if "\n" in message else _("Error: {message}").format(message=message),
                err=True,
            )
    if failed:
        raise SystemExit(1)


def _render_one(path: Path, output: Path | None) -> None:
    from newsletter.render.files import write_build
    from newsletter.render.issue import REFUSE_BYTES, WARN_BYTES, render_issue

    issue, config = load_issue(path)
    rendered = render_issue(issue, config)
    folder = output or config.root / "build" / issue.newsletter / issue.slug
    written = write_build(rendered, config, folder)
    click.echo(_("Rendered {path} into {folder}/").format(path=path, folder=_shown(folder)))
    width = max(len(file.name) for file in written)
    for file in written:
        click.echo(f"  {file.name:<{width}}  {file.stat().st_size / 1024:6.1f} KB")
    click.echo(
        _(
            "  E-mail HTML: {size:.1f} KB quoted-printable (warning above {warn} KB, refused "
            "above {refuse} KB)."
        ).format(size=rendered.html_size() / 1024, warn=WARN_BYTES // 1024,
                 refuse=REFUSE_BYTES // 1024)
    )  # fmt: skip
    for warning in rendered.warnings:
        click.echo(_("Warning: {path}: {warning}").format(path=path, warning=warning), err=True)
    _echo_if_sent(config, issue.newsletter, issue.slug, path)


def _echo_if_sent(config: Config, newsletter: str, slug: str, path: Path) -> None:
    """Say so when the issue was sent from another version of the file."""
    from newsletter.cli.corrections import echo_changed_file
    from newsletter.state import connect, target

    found = target(config)
    if found.path is not None and not found.path.exists():
        return  # rendering never makes a state database
    with connect(config) as db:
        echo_changed_file(db, newsletter, slug, path)


def _expand(paths: tuple[Path, ...]) -> list[Path]:
    """Folders stand for the issue files in them."""
    expanded: list[Path] = []
    for path in paths:
        if path.is_dir():
            expanded += sorted(p for p in path.iterdir() if p.suffix in {".yaml", ".yml"})
        else:
            expanded.append(path)
    return expanded


def _shown(path: Path) -> Path:
    """PATH relative to the working folder when it is inside it."""
    try:
        return path.resolve().relative_to(Path.cwd())
    except ValueError:
        return path


@click.command("preview")
@click.argument("issue", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=PREVIEW_PORT,
    show_default=True,
    help="Port on 127.0.0.1 (0 picks a free one).",
)
@click.option("--no-open", is_flag=True, help="Do not open the browser.")
@click.option(
    "--as",
    "address",
    metavar="ADDRESS",
    help="Show the issue as this subscriber gets it (name and personal fields from the "
    "list). Default: the list's first subscriber.",
)
@click.option(
    "--list",
    "lists",
    multiple=True,
    metavar="NAME_OR_FILE",
    help="The list(s) the subscriber is on. Default: the newsletter's default list.",
)
def preview_command(
    issue: Path, port: int, no_open: bool, address: str | None, lists: tuple[str, ...]
) -> None:
    """Show ISSUE in the browser at desktop and mobile width, with its text version.

    The page updates by itself within a second of saving the issue file, a template
    or newsletter.toml; while the file has mistakes it lists them with their lines.
    Names and personal fields are those of a subscriber on the list: the first, or
    the one given with --as.

    \b
    Example:
        newsletter preview issues/medborgardialog-2020-06.yaml
        newsletter preview issues/nr7.yaml --as anna.lindqvist@linkoping.example.se
    """
    # Imported here: the web server's modules would slow every other command's start.
    from newsletter.cli.project import config_path
    from newsletter.review.preview import serve

    if address:
        _check_reader(issue, address, lists)
    else:
        load_issue(issue)  # no project: say so now, not in the page
    serve(issue, port=port, open_browser=not no_open, address=address, lists=lists,
          config_path=config_path())  # fmt: skip


def _check_reader(issue: Path, address: str, lists: tuple[str, ...]) -> None:
    """SubscriberError now, not in the page, when ADDRESS is on none of the lists."""
    from newsletter.review.reader import reader

    loaded, config = load_issue(issue)
    reader(config, loaded.newsletter, address=address, lists=lists)


COMMANDS: list[click.Command] = [render_command, preview_command]
