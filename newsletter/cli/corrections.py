"""What the CLI says when an issue file is not the one its send started with."""

from __future__ import annotations

__all__ = ["echo_changed_file"]

from pathlib import Path
from typing import TYPE_CHECKING

import click

from newsletter.translate import _

if TYPE_CHECKING:
    from newsletter.state import Connection


def echo_changed_file(db: Connection, newsletter: str, slug: str, path: Path) -> None:
    """Say so when the issue file at PATH is not the one the send of it started with."""
    from newsletter.delivery import archive, journal, runs

    sent = runs.sent_sha256(db, newsletter, slug)
    if sent is None or not path.is_file():
        return
    now = runs.file_sha256(path)
    if now == sent:
        return
    found = journal.find(db, newsletter, slug)
    started = found.created_at if found else ""
    corrected = archive.correction(db, newsletter, slug)
    if corrected is not None and corrected.issue_sha256 == now:
        click.echo(
            _(
                "Note: {path} has changed since it was sent ({started}); the web version shows "
                "this corrected file since {corrected}. The mail already sent keeps the "
                "earlier text."
            ).format(path=path, started=started, corrected=corrected.corrected_at),
            err=True,
        )
        return
    click.echo(
        _(
            "Note: {path} has changed since it was sent ({started}): readers have it as it was "
            "then. To publish the change on the web version, marked as a correction with "
            "today's date, run: newsletter archive update {path}"
        ).format(path=path, started=started),
        err=True,
    )
