"""The public archive: the web version of every sent issue, as `newsletter serve` shows it.

An issue is published once its send is frozen; what is stored is the web version
(nothing personal: no name, no address, no token), its text, and its calendar files,
so the web side never needs the issue file, the templates or the renderer.
"""

from __future__ import annotations

__all__ = [
    "ArchivedIssue",
    "Correction",
    "calendar_file",
    "calendar_files",
    "correct",
    "correction",
    "issue",
    "issues",
    "newsletters",
    "publish",
    "text_version",
    "web_version",
]

import datetime as dt
import json
from dataclasses import dataclass

from newsletter import urls
from newsletter.config import Config
from newsletter.render import i18n
from newsletter.render.issue import RenderedIssue
from newsletter.render.personalize import Personalizer
from newsletter.state import Connection, now, transaction

# What lists and feeds need: the documents themselves are read one at a time, on demand.
_COLUMNS = "newsletter, slug, title, subject, language, issue_date, published_at"


@dataclass(frozen=True, slots=True)
class ArchivedIssue:
    """An issue in the archive, without its documents (see web_version, calendar_files)."""

    newsletter: str
    slug: str
    title: str
    subject: str
    language: str
    issue_date: str | None  # ISO date, when the issue has one
    published_at: str  # ISO timestamp in UTC, "2020-06-10T08:00:00Z"

    @property
    def date(self) -> str:
        """The date readers see: the issue's own, else the day it was published."""
        return self.issue_date or self.published_at[:10]


@dataclass(frozen=True, slots=True)
class Correction:
    """The last correction of an archived issue's web version."""

    corrected_at: str  # ISO timestamp in UTC
    issue_sha256: str  # of the issue file it was made from


def publish(
    db: Connection,
    config: Config,
    rendered: RenderedIssue,
    /,
    *,
    corrected: dt.date | None = None,
) -> None:
    """Store the issue's public web version, text and .ics files; replaces an earlier row.

    The first publication date is kept: a resumed or repeated send does not move the
    issue in the archive or the feed. CORRECTED, the day of a correction, is shown on
    the web version as "Rättad DATUM" (in the issue's language).
    """
    issue = rendered.issue
    note = ""
    if corrected is not None:
        note = i18n.label(issue.language, "corrected").format(
            date=i18n.format_date(corrected, issue.language, weekday=False)
        )
    html, text = Personalizer(rendered).web_version(
        urls.issue_url(config, issue.newsletter, issue.slug),
        urls.archive_url(config, issue.newsletter),
        correction=note,
    )
    # One statement: atomic on its own, and usable inside a caller's transaction.
    db.execute(
        "INSERT INTO archive"
        " (newsletter, slug, title, subject, language, issue_date, html, text, calendar)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (newsletter, slug) DO UPDATE SET"
        " title = excluded.title, subject = excluded.subject, language = excluded.language,"
        " issue_date = excluded.issue_date, html = excluded.html, text = excluded.text,"
        " calendar = excluded.calendar",
        (
            issue.newsletter,
            issue.slug,
            issue.title,
            issue.subject_line,
            issue.language,
            issue.date.isoformat() if issue.date else None,
            html,
            text,
            json.dumps(rendered.calendar, ensure_ascii=False),
        ),
    )


def correct(
    db: Connection,
    config: Config,
    rendered: RenderedIssue,
    /,
    *,
    issue_sha256: str,
    today: dt.date,
) -> None:
    """Publish RENDERED again as a correction made TODAY from the file with ISSUE_SHA256."""
    with transaction(db):
        publish(db, config, rendered, corrected=today)
        db.execute(
            "UPDATE archive SET corrected_at = ?, corrected_sha256 = ?"
            " WHERE newsletter = ? AND slug = ?",
            (now(), issue_sha256, rendered.issue.newsletter, rendered.issue.slug),
        )


def correction(db: Connection, newsletter: str, slug: str, /) -> Correction | None:
    """The last correction of NEWSLETTER's issue SLUG, if it was ever corrected."""
    row = db.execute(
        "SELECT corrected_at, corrected_sha256 FROM archive WHERE newsletter = ? AND slug = ?"
        " AND corrected_at IS NOT NULL",
        (newsletter, slug),
    ).fetchone()
    return Correction(row[0], row[1]) if row else None


def newsletters(db: Connection, /) -> list[str]:
    """The keys of the newsletters that have at least one archived issue."""
    rows = db.execute("SELECT DISTINCT newsletter FROM archive ORDER BY newsletter")
    return [row[0] for row in rows]


def issues(db: Connection, newsletter: str, /) -> list[ArchivedIssue]:
    """NEWSLETTER's archived issues, newest first."""
    rows = db.execute(
        f"SELECT {_COLUMNS} FROM archive WHERE newsletter = ?"
        " ORDER BY coalesce(issue_date, substr(published_at, 1, 10)) DESC, slug DESC",
        (newsletter,),
    )
    return [ArchivedIssue(*row) for row in rows]


def issue(db: Connection, newsletter: str, slug: str, /) -> ArchivedIssue | None:
    """One archived issue, without its documents, or None."""
    row = db.execute(
        f"SELECT {_COLUMNS} FROM archive WHERE newsletter = ? AND slug = ?", (newsletter, slug)
    ).fetchone()
    return ArchivedIssue(*row) if row else None


def web_version(db: Connection, newsletter: str, slug: str, /) -> str | None:
    """The HTML of an archived issue's web version, or None."""
    return _document(db, "html", newsletter, slug)


def text_version(db: Connection, newsletter: str, slug: str, /) -> str | None:
    """The plain text of an archived issue's web version, or None."""
    return _document(db, "text", newsletter, slug)


def calendar_files(db: Connection, newsletter: str, slug: str, /) -> dict[str, str]:
    """File name -> .ics text of an archived issue's calendar files ({} when none)."""
    found = _document(db, "calendar", newsletter, slug)
    return dict(json.loads(found)) if found else {}


def calendar_file(db: Connection, newsletter: str, slug: str, name: str, /) -> str | None:
    """The .ics text of one calendar file of an archived issue, or None."""
    return calendar_files(db, newsletter, slug).get(name)


def _document(db: Connection, column: str, newsletter: str, slug: str) -> str | None:
    assert column in {"html", "text", "calendar"}  # a column name, never a value
    row = db.execute(
        f"SELECT {column} FROM archive WHERE newsletter = ? AND slug = ?", (newsletter, slug)
    ).fetchone()
    return str(row[0]) if row else None
