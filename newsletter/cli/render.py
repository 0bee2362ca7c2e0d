"""`newsletter render` and `newsletter preview`."""

from __future__ import annotations

__all__ = ["COMMANDS"]

from pathlib import Path

import click

from newsletter.buildout import write_build
from newsletter.project import load
from newsletter.render import REFUSE_BYTES, WARN_BYTES, render_issue

_ISSUE = click.Path(exists=True, dir_okay=False, path_type=Path)


@click.command("render")
@click.argument("issue", type=_ISSUE)
@click.option(
    "-o",
    "--output",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to write into. Default: build/NEWSLETTER/ISSUE/ next to newsletter.toml.",
)
def render_command(issue: Path, output: Path | None) -> None:
    """Render ISSUE to index.html, index.txt and calendar files, and check its size.

    index.html is the web version (what the archive shows); the e-mail itself is the
    same page with each subscriber's unsubscribe link. Nothing is written when the
    e-mail is over the size limit.

    \b
    Example:
        newsletter render issues/medborgardialog-2020-06.yaml -o build/preview
    """
    loaded, config = load(issue)
    rendered = render_issue(loaded, config)
    folder = output or config.root / "build" / loaded.newsletter / loaded.slug
    written = write_build(rendered, config, folder)
    click.echo(f"Rendered {issue} into {_shown(folder)}/")
    width = max(len(path.name) for path in written)
    for path in written:
        click.echo(f"  {path.name:<{width}}  {path.stat().st_size / 1024:6.1f} KB")
    size = rendered.html_size()
    click.echo(
        f"E-mail HTML: {size / 1024:.1f} KB quoted-printable "
        f"(warning above {WARN_BYTES // 1024} KB, refused above {REFUSE_BYTES // 1024} KB)."
    )
    for warning in rendered.warnings:
        click.echo(f"Warning: {warning}", err=True)


def _shown(path: Path) -> Path:
    """PATH relative to the working folder when it is inside it."""
    try:
        return path.resolve().relative_to(Path.cwd())
    except ValueError:
        return path


@click.command("preview")
@click.argument("issue", type=_ISSUE)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8025,
    show_default=True,
    help="Port on 127.0.0.1 (0 picks a free one).",
)
@click.option("--no-open", is_flag=True, help="Do not open the browser.")
def preview_command(issue: Path, port: int, no_open: bool) -> None:
    """Show ISSUE in the browser at desktop and mobile width, with its text version.

    The page updates by itself within a second of saving the issue file, a template
    or newsletter.toml; while the file has mistakes it lists them with their lines.

    \b
    Example:
        newsletter preview issues/medborgardialog-2020-06.yaml
    """
    # Imported here: the web server's modules would slow every other command's start.
    from newsletter.preview import serve

    serve(issue, port=port, open_browser=not no_open)


COMMANDS: list[click.Command] = [render_command, preview_command]
