"""The story of a send: which issue file it sent, and why its last run stopped.

A run is marked `running` before its first message and given its ending afterwards:
finished, interrupted (Ctrl-C), stopped by the server (a policy refusal, or the same
refusal for everyone: a quota), an error (the connection, a full disk), or --limit. A
run that never got to say how it ended (the process was killed, the power went) is
still `running` while nobody holds its lock: `newsletter status` calls that a crash.

The issue file's SHA-256 is kept from the moment the recipients are frozen: render,
send and status compare it with the file, so a change after the send is noticed.
"""

from __future__ import annotations

__all__ = [
    "ENDINGS",
    "Ending",
    "Story",
    "ending_of",
    "file_sha256",
    "mark",
    "reopen",
    "sent_sha256",
    "story",
]

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from newsletter.delivery import journal
from newsletter.delivery.engine import RunReport
from newsletter.state import Connection, transaction

Ending = Literal[
    "running", "finished", "interrupted", "aborted", "policy", "quota", "error", "limit"
]
ENDINGS: tuple[Ending, ...] = (
    "running", "finished", "interrupted", "aborted", "policy", "quota", "error", "limit",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Story:
    """What the journal knows about a send beyond its rows."""

    ending: Ending | None  # None: a send recorded before the tool kept its endings
    note: str | None  # the server's words or the error, for policy, quota and error
    issue_sha256: str | None  # of the issue file when the recipients were frozen


def file_sha256(path: Path, /) -> str:
    """The SHA-256 of the file at PATH, as `sha256sum` prints it."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def mark(
    db: Connection,
    send: journal.Send,
    ending: Ending,
    /,
    *,
    note: str | None = None,
    issue_sha256: str | None = None,
) -> None:
    """Record how SEND's run ends (or that it is running); ISSUE_SHA256 only when none is
    recorded yet: the file the send started with is the one it sent."""
    with transaction(db):
        db.execute(
            "UPDATE sends SET last_run = ?, note = ?,"
            " issue_sha256 = coalesce(issue_sha256, ?) WHERE id = ?",
            (ending, note, issue_sha256, send.id),
        )


def reopen(db: Connection, send: journal.Send, /) -> None:
    """SEND has new rows to send (--add-new after it finished): it is not finished now."""
    with transaction(db):
        db.execute("UPDATE sends SET finished_at = NULL WHERE id = ?", (send.id,))


def story(db: Connection, send: journal.Send, /) -> Story:
    """How SEND's last run ended, and the issue file it sent."""
    row = db.execute(
        "SELECT last_run, note, issue_sha256 FROM sends WHERE id = ?", (send.id,)
    ).fetchone()
    ending = row[0] if row and row[0] in ENDINGS else None
    return Story(ending, row[1] if row else None, row[2] if row else None)


def sent_sha256(db: Connection, newsletter: str, slug: str, /) -> str | None:
    """The SHA-256 of the issue file the send of NEWSLETTER/SLUG started with, if any."""
    row = db.execute(
        "SELECT issue_sha256 FROM sends WHERE newsletter = ? AND slug = ?", (newsletter, slug)
    ).fetchone()
    return row[0] if row else None


# Words in a refusal that mean the account has used up what it may send, not a bad message.
_QUOTA_WORDS = ("quota", "limit exceeded", "too many messages", "sending limit")


def ending_of(report: RunReport, counts: journal.Counts, /) -> tuple[Ending, str | None]:
    """How the run REPORT describes ended, with the server's words or the error."""
    if report.aborted:
        return "aborted", None
    if report.interrupted:
        return "interrupted", None
    if report.stopped:
        quota = report.refused_alike or any(w in report.stopped.lower() for w in _QUOTA_WORDS)
        return ("quota" if quota else "policy"), report.stopped
    if report.error:
        return "error", report.error
    if counts.queued or counts.sending:
        return "limit", None
    return "finished", None
