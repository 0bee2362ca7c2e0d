"""Who gets an issue, as a file the editor opens in Excel: every recipient, and every row
left out with the reason (suppressed, a duplicate, an invalid row).

Written before a send asks for confirmation and by `send --dry-run`, into the state
folder (it lists addresses: private, 0600), anew each time. Excel's dialect: UTF-8 with a
BOM, `;`, CRLF; cells Excel would run as formulas are written as text.
"""

from __future__ import annotations

__all__ = ["describe", "roster_path", "write_roster"]

import csv
from collections.abc import Iterator
from pathlib import Path

from newsletter.audience.csvfile import excel_safe
from newsletter.audience.subscribers import LeftOut, Recipients
from newsletter.config import Config
from newsletter.fileio import private_folder, replacing
from newsletter.translate import N_, _

_REASONS = {
    "unsubscribed": N_("suppressed: unsubscribed"),
    "bounced": N_("suppressed: bounced"),
    "complained": N_("suppressed: marked as spam"),
    "manual": N_("suppressed: by hand"),
    "duplicate": N_("duplicate of {source}, merged"),
    "invalid": N_("invalid row: {problem}"),
}


def roster_path(config: Config, newsletter: str, slug: str, /) -> Path:
    """Where the recipients of NEWSLETTER's issue SLUG are listed."""
    return config.state_dir / "recipients" / newsletter / f"{slug}.csv"


def describe(item: LeftOut, /) -> str:
    """Why ITEM is left out, in the editor's words."""
    if item.kind == "suppressed":
        return _(_REASONS.get(item.detail, N_("suppressed")))
    if item.kind == "duplicate":
        return _(_REASONS["duplicate"]).format(source=item.detail)
    return _(_REASONS["invalid"]).format(problem=item.detail)


def write_roster(path: Path, recipients: Recipients, /) -> Path:
    """Write RECIPIENTS (and those left out) to PATH, whole or not at all."""
    private_folder(path.parent)
    # Streamed row by row: 100,000 recipients never sit in memory a second time.
    with replacing(path, encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
        writer.writerows([excel_safe(cell) for cell in row] for row in _rows(recipients))
    return path


def _rows(recipients: Recipients) -> Iterator[list[str]]:
    yield [_("Address"), _("Name"), _("List and row"), _("Gets it"), _("Why not")]
    yes, no = _("yes"), _("no")
    for subscriber in recipients.subscribers:
        yield [subscriber.email, subscriber.name, subscriber.source, yes, ""]
    for item in recipients.left_out:
        yield [item.email, item.name, item.source, no, describe(item)]
