"""Before a send: is the state database as new as what the project shows happened?

A lost, emptied or replaced database looks like a fresh start: the suppression list is
gone, and every issue would go to everyone again. The files a send leaves behind tell
otherwise: receipts, the backups beside the database, the outbox. A send (and a dry run)
refuses to start while any of them names a send the database does not know, and while
the last send's links were signed with another key than the one in use now.
"""

from __future__ import annotations

__all__ = ["Evidence", "check", "check_key", "missing"]

import contextlib
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from newsletter.audience.csvfile import display_path
from newsletter.audience.tokens import SECRET_FILE, TokenSigner
from newsletter.config import Config
from newsletter.delivery import journal, receipt
from newsletter.errors import SendError
from newsletter.state import Connection, Target, backup_folder, target
from newsletter.state.backup import backups
from newsletter.translate import _

# confirmation.OUTBOX_FOLDER, named here without importing the mail's templates and words.
_CONFIRMATIONS = "_confirmations"


@dataclass(frozen=True, slots=True)
class Evidence:
    """A file that shows a send (or suppressions) the database does not know."""

    path: Path
    what: str  # "the receipt of medborgardialog/2020-06, started 2026-03-01T12:00:00Z"


def check(config: Config, db: Connection, /) -> None:
    """SendError naming what the database lacks and how to restore, when it lacks anything."""
    found = missing(config, db)
    if not found:
        return
    where = target(config)
    listed = "\n".join(f"  {display_path(e.path)}: {e.what}" for e in found)
    newest = next(iter(backups(where.backups)), None)
    if newest is not None:
        restore = _("Restore the newest backup:\n    newsletter state restore {backup}\n").format(
            backup=display_path(newest.path)
        )
    else:
        restore = _(
            "Restore it from your own copies of the state folder (there are no backups in "
            "{folder}).\n"
        ).format(folder=display_path(where.backups))
    raise SendError(
        _(
            "{db_path} does not know sends that this project shows happened:\n{listed}\nThe state "
            "database was probably lost, emptied or replaced by an older copy. Sending now could "
            "mail people who unsubscribed and send an issue twice, so nothing was sent. "
            "{restore}`newsletter state verify` shows the database and its backups. If this "
            "database is right and those files are left over from elsewhere, move them out of the"
            " way and run the command again."
        ).format(db_path=_shown(where), listed=listed, restore=restore)
    )


def missing(config: Config, db: Connection, /) -> list[Evidence]:
    """Every receipt, outbox folder or backup that shows what DB does not know."""
    known = journal.known(db)
    return [*_receipts(config, known), *_outbox(config, known), *_backup(config, db, known)]


def _receipts(config: Config, known: dict[tuple[str, str], str]) -> list[Evidence]:
    return [
        Evidence(head.path, _("the receipt of {newsletter}/{issue}, started {started}").format(
            newsletter=head.newsletter, issue=head.issue, started=head.started_at))
        for head in receipt.heads(config)
        if known.get((head.newsletter, head.issue)) != head.started_at
    ]  # fmt: skip


def _outbox(config: Config, known: dict[tuple[str, str], str]) -> list[Evidence]:
    found = []
    with contextlib.suppress(OSError):
        for folder in sorted(config.outbox.glob("*/*")):
            newsletter, slug = folder.parent.name, folder.name
            # `send --test` writes to SLUG-test and records nothing: not a send; nor are
            # the confirmation mails of sign-ups (OUTBOX/_confirmations/NEWSLETTER).
            if slug.endswith("-test") or (newsletter, slug) in known or not folder.is_dir():
                continue
            if newsletter == _CONFIRMATIONS:
                continue
            if count := sum(1 for _ in folder.glob("*.eml")):
                what = _("{n} message file(s) of {newsletter}/{slug}").format(
                    n=count, newsletter=newsletter, slug=slug
                )
                found.append(Evidence(folder, what))
    return found


def _backup(config: Config, db: Connection, known: dict[tuple[str, str], str]) -> list[Evidence]:
    newest = next(iter(backups(backup_folder(config))), None)
    if newest is None:
        return []
    try:
        copy = sqlite3.connect(f"file:{quote(str(newest.path))}?mode=ro", uri=True)
        try:
            sends = copy.execute("SELECT newsletter, slug, created_at FROM sends").fetchall()
            suppressed = copy.execute("SELECT count(*) FROM suppression").fetchone()[0]
        finally:
            copy.close()
    except sqlite3.Error:
        return []  # a backup that cannot be read shows nothing; `state verify` reports it
    lacking = [f"{n}/{s}" for n, s, created in sends if known.get((n, s)) != created]
    found = []
    if lacking:
        what = _("a backup of {taken} that holds the send(s) {sends}").format(
            taken=newest.taken_at, sends=", ".join(lacking)
        )
        found.append(Evidence(newest.path, what))
    held = db.execute("SELECT count(*) FROM suppression").scalar()
    if suppressed and not held:
        what = _(
            "a backup of {taken} with {n} suppressed address(es); this database has none"
        ).format(taken=newest.taken_at, n=suppressed)
        found.append(Evidence(newest.path, what))
    return found


def _shown(where: Target) -> str:
    if where.path is not None:
        return display_path(where.path)
    return _("The state database {where}").format(where=where)


def check_key(
    config: Config, db: Connection, signer: TokenSigner, /, *, new_key: bool = False
) -> None:
    """SendError when the last send's links were signed with another key than SIGNER's."""
    last = journal.last_signed(db)
    if new_key or last is None or last.key_fingerprint == signer.fingerprint:
        return
    source = (
        "NEWSLETTER_SECRET"
        if config.secret is not None
        else display_path(config.state_dir / SECRET_FILE)
    )
    raise SendError(
        _(
            "The unsubscribe links of the last send ({newsletter}/{slug}, started {created_at}) "
            "were signed with the key whose fingerprint is {key_fingerprint}, but the key in use "
            "now ({source}) is {fingerprint}. With it, every unsubscribe link in the messages "
            "already sent would answer 'not found'. Give this command the key the earlier sends "
            "used: put back the old {secret_file} (from your copy of the state folder) or set "
            "NEWSLETTER_SECRET as before. To start over with the new key on purpose (the links in"
            " every message sent before stop working), run the command again with --new-key."
        ).format(
            newsletter=last.newsletter,
            slug=last.slug,
            created_at=last.created_at,
            key_fingerprint=last.key_fingerprint,
            source=source,
            fingerprint=signer.fingerprint,
            secret_file=SECRET_FILE,
        )
    )
