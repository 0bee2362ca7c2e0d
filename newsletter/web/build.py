"""The public archive as static files, for hosting on any web server.

The same documents `newsletter serve` answers with, laid out so that the same
addresses work: DIR/<newsletter>/<slug>/index.html is /<newsletter>/<slug>/.
Unsubscribing still needs `newsletter serve`: a static host cannot record it.
"""

from __future__ import annotations

__all__ = ["Built", "build_site"]

from dataclasses import dataclass
from pathlib import Path

from newsletter.config import Config
from newsletter.delivery import archive
from newsletter.errors import NewsletterError
from newsletter.state import Connection
from newsletter.translate import _
from newsletter.web import documents, pages

# Links name the file, not only the folder: the archive also works opened from the disk.
_INDEX = "index.html"


@dataclass(frozen=True, slots=True)
class Built:
    newsletters: int
    issues: int
    calendar_files: int
    files: int


def build_site(config: Config, db: Connection, directory: Path, /) -> Built:
    """Write the front page, archive pages, feeds, web versions and .ics files to DIRECTORY."""
    writer = _Writer(directory)
    writer.write(pages.STYLESHEET, pages.stylesheet())
    writer.write("index.html", documents.front_page(config, index=_INDEX))
    issues = calendars = 0
    for key in config.newsletters:
        page = documents.archive_page(config, db, key, index=_INDEX)
        feed = documents.feed(config, db, key)
        assert page is not None and feed is not None  # the newsletter is configured
        writer.write(f"{_safe(key)}/{_INDEX}", page)
        writer.write(f"{_safe(key)}/feed.atom", feed)
        for issue in archive.issues(db, key):
            folder = f"{_safe(key)}/{_safe(issue.slug)}"
            writer.write(f"{folder}/{_INDEX}", archive.web_version(db, key, issue.slug) or "")
            issues += 1
            for name, ics in archive.calendar_files(db, key, issue.slug).items():
                writer.write(f"{folder}/{_safe(name)}", ics)
                calendars += 1
    return Built(len(config.newsletters), issues, calendars, writer.count)


class _Writer:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.count = 0

    def write(self, name: str, content: str | bytes) -> None:
        path = self.directory / name
        data = content.encode("utf-8") if isinstance(content, str) else content
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        except OSError as exc:
            raise NewsletterError(
                _("{path}: cannot write it: {reason}. Check the folder and its permissions.")
                .format(path=path, reason=exc.strerror)
            ) from None  # fmt: skip
        self.count += 1


def _safe(name: str) -> str:
    # Names come from our own archive; still, none may climb out of the build folder.
    if not name or "/" in name or "\\" in name or name.startswith("."):
        raise NewsletterError(f"{name!r} cannot be a file name in the static archive.")
    return name
