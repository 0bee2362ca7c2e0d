"""`newsletter render` and `newsletter preview`."""

from __future__ import annotations

__all__ = ["COMMANDS"]

from pathlib import Path

import click

from newsletter.errors import NewsletterError

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
        raise click.UsageError("--output takes one issue; leave it out to render several.")
    failed = 0
    for path in paths:
        try:
            _render_one(path, output)
        except NewsletterError as exc:
            failed += 1
            message = str(exc) if str(path) in str(exc) else f"{path}: {exc}"
            click.echo(message if "\n" in message else f"Error: {message}", err=True)
    if failed:
        raise SystemExit(1)


def _render_one(path: Path, output: Path | None) -> None:
    from newsletter.content.project import load
    from newsletter.render.files import write_build
    from newsletter.render.issue import REFUSE_BYTES, WARN_BYTES, render_issue

    issue, config = load(path)
    rendered = render_issue(issue, config)
    folder = output or config.root / "build" / issue.newsletter / issue.slug
    written = write_build(rendered, config, folder)
    click.echo(f"Rendered {path} into {_shown(folder)}/")
    width = max(len(file.name) for file in written)
    for file in written:
        click.echo(f"  {file.name:<{width}}  {file.stat().st_size / 1024:6.1f} KB")
    click.echo(
        f"  E-mail HTML: {rendered.html_size() / 1024:.1f} KB quoted-printable "
        f"(warning above {WARN_BYTES // 1024} KB, refused above {REFUSE_BYTES // 1024} KB)."
    )
    for warning in rendered.warnings:
        click.echo(f"Warning: {path}: {warning}", err=True)


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
    default=8025,
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
    from newsletter.review.preview import serve

    if address:
        _check_reader(issue, address, lists)
    serve(issue, port=port, open_browser=not no_open, address=address, lists=lists)


def _check_reader(issue: Path, address: str, lists: tuple[str, ...]) -> None:
    """SubscriberError now, not in the page, when ADDRESS is on none of the lists."""
    from newsletter.content.project import load
    from newsletter.review.reader import reader

    loaded, config = load(issue)
    reader(config, loaded.newsletter, address=address, lists=lists)


COMMANDS: list[click.Command] = [render_command, preview_command]
