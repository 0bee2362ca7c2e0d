"""The files `newsletter render` writes: the web version, the text and the calendar files."""

from __future__ import annotations

__all__ = ["write_build"]

from pathlib import Path

from newsletter import urls
from newsletter.config import Config
from newsletter.errors import RenderError
from newsletter.render.issue import RenderedIssue
from newsletter.render.personalize import Personalizer
from newsletter.translate import _


def write_build(rendered: RenderedIssue, config: Config, folder: Path, /) -> list[Path]:
    """Write index.html, index.txt and the .ics files into FOLDER; return their paths."""
    issue = rendered.issue
    web_html, web_text = Personalizer(rendered).web_version(
        urls.issue_url(config, issue.newsletter, issue.slug),
        urls.archive_url(config, issue.newsletter),
    )
    files = {"index.html": web_html, "index.txt": web_text, **rendered.calendar}
    try:
        folder.mkdir(parents=True, exist_ok=True)
        written = []
        for name, content in files.items():
            path = folder / name
            # newline="": calendar files keep their CRLF line ends (RFC 5545 3.1).
            path.write_text(content, encoding="utf-8", newline="")
            written.append(path)
    except OSError as exc:
        raise RenderError(
            _("{filename}: cannot write it: {strerror}.").format(
                filename=exc.filename, strerror=exc.strerror
            )
        ) from None
    return written
