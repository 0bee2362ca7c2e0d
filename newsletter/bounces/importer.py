"""Importing the return mailbox into the suppression list.

Hard bounces and spam complaints suppress an address for every newsletter at once;
soft bounces are counted and suppress at [bounces] soft_limit; mailto unsubscribe
requests unsubscribe from their newsletter. Only bounces about our own recipients
count (the address is in the send journal or on a list, or the bounce returns our
List-Id): a shared mailbox also receives bounces of other people's mail. The import
and its report (what each message led to) are one module: the report is the import's
record, kept in step with it.
"""

from __future__ import annotations

__all__ = ["ImportReport", "Outcome", "import_mailbox"]

import re
import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from newsletter.audience import suppression, unsubscribes
from newsletter.audience.subscribers import available_lists, load_list, resolve_list
from newsletter.audience.tokens import TokenSigner, load_secret
from newsletter.bounces.dsn import RecipientStatus
from newsletter.bounces.mailbox import Incoming, read_mailbox, sort
from newsletter.config import Config
from newsletter.errors import StateError, SubscriberError, TokenError
from newsletter.state import transaction

OutcomeKind = Literal[
    "hard", "soft", "soft-limit", "unsubscribed", "complained", "auto-reply",
    "delivered", "not-ours", "done-before", "not-understood",
]  # fmt: skip
# A bounce names the message that bounced; this index finds whom it went to. It is made
# here, not in a migration, because a migration that rebuilds the journal's table (004
# does) drops every index it does not know of.
_MESSAGE_ID_INDEX = (
    "CREATE INDEX IF NOT EXISTS bounces_recipients_message_id ON recipients (message_id)"
)
_LOCAL_PART = re.compile(r"[^\s<>()\[\]:;,\"'@]+@(?=[A-Za-z0-9.-]+\.[A-Za-z]{2,63})")


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of one recipient of one returned message (or of the message)."""

    kind: OutcomeKind
    place: str
    address: str = ""
    detail: str = ""
    sender: str = ""
    subject: str = ""


@dataclass(slots=True)
class ImportReport:
    path: Path
    dry_run: bool
    messages: int = 0
    outcomes: list[Outcome] = field(default_factory=list)

    def of(self, *kinds: OutcomeKind) -> list[Outcome]:
        return [outcome for outcome in self.outcomes if outcome.kind in kinds]

    @property
    def understood(self) -> bool:
        return not self.of("not-understood")


def import_mailbox(
    config: Config,
    db: sqlite3.Connection,
    path: Path,
    /,
    *,
    dry_run: bool = False,
    signer: TokenSigner | None = None,
) -> ImportReport:
    """Act on every message at PATH; with DRY_RUN, on a copy of the database, thrown away."""
    report = ImportReport(path, dry_run)
    try:
        importer = _Importer(config, _scratch_copy(db) if dry_run else db, signer)
        for item in read_mailbox(path):
            report.messages += 1
            report.outcomes += importer.process(sort(item))
    except sqlite3.OperationalError as exc:  # "database is locked" after the busy timeout
        done = max(report.messages - 1, 0)
        busy = "locked" in str(exc) or "busy" in str(exc)
        problem = "is busy" if busy else "cannot be written"
        advice = "later" if busy else "once it can be written (a full disk? its permissions?)"
        raise StateError(
            f"the state database {problem} ({exc}); {done} message(s) of {path} were "
            f"imported. Run the import again {advice}: it goes on where it stopped."
        ) from None
    return report


def _scratch_copy(db: sqlite3.Connection) -> sqlite3.Connection:
    # The dry run runs the very same code, so it shows exactly what a real import would do.
    copy = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
    db.backup(copy)
    copy.row_factory = sqlite3.Row
    return copy


def _describe(status: RecipientStatus) -> str:
    """`5.1.1: 550 5.1.1 User unknown`, shortened to a line; the action when not 'failed'."""
    code = status.status or "no status"
    if status.action != "failed":
        code += f" ({status.action})"
    text = status.diagnostic
    if len(text) > 120:
        text = text[:120].rsplit(" ", 1)[0] + " …"
    return f"{code}: {text}" if text else code


def _day(incoming: Incoming) -> str:
    """The ISO date of INCOMING, else today's (UTC)."""
    return incoming.date or datetime.now(UTC).date().isoformat()


def _redact(text: str) -> str:
    """TEXT without the local parts of addresses: a source outlives `forget`."""
    return _LOCAL_PART.sub("…@", text)


class _Importer:
    def __init__(self, config: Config, db: sqlite3.Connection, signer: TokenSigner | None):
        self.config, self.db, self._signer = config, db, signer
        self._known: set[str] | None = None
        self._list_ids = {n.list_id.lower() for n in config.newsletters.values()}
        db.execute(_MESSAGE_ID_INDEX)

    def process(self, incoming: Incoming) -> list[Outcome]:
        if incoming.kind == "unknown":
            return [self._not_understood(incoming, incoming.reason)]
        if self._done_before(incoming.key):
            return [self._outcome("done-before", incoming, detail="imported before")]
        if incoming.kind in {"bounce", "complaint"}:
            self._known_addresses()  # read the lists before taking the write lock
        with transaction(self.db):
            outcomes = self._act(incoming)
            if not any(outcome.kind == "not-understood" for outcome in outcomes):
                self.db.execute(
                    "INSERT INTO bounce_messages (key, kind) VALUES (?, ?)",
                    (incoming.key, incoming.kind),
                )
        return outcomes

    def _act(self, incoming: Incoming) -> list[Outcome]:
        if incoming.kind == "bounce":
            assert incoming.report is not None
            return [self._bounce(incoming, status) for status in incoming.report.recipients]
        if incoming.kind == "complaint":
            return [self._complaint(incoming)]
        if incoming.kind == "unsubscribe":
            return [self._unsubscribe(incoming)]
        return [self._outcome("auto-reply", incoming, detail="ignored")]

    def _outcome(self, kind: OutcomeKind, incoming: Incoming, **values: str) -> Outcome:
        return Outcome(kind, incoming.place, sender=incoming.sender, subject=incoming.subject,
                       **values)  # fmt: skip

    def _not_understood(self, incoming: Incoming, reason: str) -> Outcome:
        return self._outcome("not-understood", incoming, detail=reason)

    def _done_before(self, key: str) -> bool:
        query = "SELECT 1 FROM bounce_messages WHERE key = ?"
        return self.db.execute(query, (key,)).fetchone() is not None

    # Whose bounce is it?

    def _sent_to(self, message_id: str) -> tuple[str, int] | None:
        """(address, send id) of the journal row of the message MESSAGE_ID."""
        if not message_id:
            return None
        bare = message_id.strip("<>")
        row = self.db.execute(
            "SELECT address, send_id FROM recipients WHERE message_id IN (?, ?) LIMIT 1",
            (f"<{bare}>", bare),
        ).fetchone()
        return (str(row[0]), int(row[1])) if row is not None and row[0] else None

    def _ours(self, address: str) -> bool:
        return bool(address) and address.lower() in self._known_addresses()

    def _known_addresses(self) -> set[str]:
        """Everyone in the send journal or on a list, lower-cased; read once per import."""
        if self._known is None:
            rows = self.db.execute("SELECT DISTINCT lower(address) FROM recipients")
            self._known = {row[0] for row in rows if row[0]}
            for name in available_lists(self.config):
                try:
                    loaded = load_list(resolve_list(self.config, name))
                except SubscriberError:
                    continue  # a list that cannot be read names nobody
                self._known.update(subscriber.key for subscriber in loaded.subscribers)
        return self._known

    def _recipient_of(self, incoming: Incoming, candidates: list[str]) -> str:
        """The address we mailed, or "" when the bounce is not about our mail."""
        if sent := self._sent_to(incoming.original.message_id):
            return sent[0]  # one message per recipient: the journal knows exactly whom
        for address in candidates:
            if self._ours(address):
                return address
        if incoming.original.list_id in self._list_ids:
            return next((a for a in candidates if a), "")
        return ""

    # What to do about it

    def _source(self, incoming: Incoming, status: RecipientStatus) -> str:
        what = " ".join(part for part in (status.status, _redact(status.diagnostic)) if part)
        return f"bounce {_day(incoming)} from {incoming.sender}: {what}"[:300]

    def _bounce(self, incoming: Incoming, status: RecipientStatus) -> Outcome:
        candidates = [status.original_recipient, status.recipient]
        address = self._recipient_of(incoming, [a for a in candidates if a])
        detail = _describe(status)
        if not address:
            return self._outcome("not-ours", incoming, address=status.recipient, detail=detail)
        if status.severity == "none":
            self.db.execute(
                "DELETE FROM soft_bounces WHERE address_hash = ?",
                (suppression.address_hash(address),),
            )
            return self._outcome("delivered", incoming, address=address, detail=detail)
        source = self._source(incoming, status)
        if status.severity == "hard":
            new = suppression.suppress(self.db, address, reason="bounced", source=source)
            detail += "" if new else " (already suppressed)"
            return self._outcome("hard", incoming, address=address, detail=detail)
        count = self._count_soft(incoming, address, status, source)
        limit = self.config.bounces.soft_limit
        if count < limit:
            return self._outcome("soft", incoming, address=address,
                                 detail=f"{count} of {limit}: {detail}")  # fmt: skip
        reason = f"{count} soft bounces; the last: {source}"
        suppression.suppress(self.db, address, reason="bounced", source=reason[:300])
        return self._outcome("soft-limit", incoming, address=address,
                             detail=f"{count} of {limit}: {detail}")  # fmt: skip

    def _count_soft(
        self, incoming: Incoming, address: str, status: RecipientStatus, source: str
    ) -> int:
        """The address's soft bounces including this one; one per bounced message."""
        key = suppression.address_hash(address)
        message = incoming.original.message_id or incoming.key
        seen = _day(incoming)
        row = self.db.execute(
            "SELECT count, last_message FROM soft_bounces WHERE address_hash = ?", (key,)
        ).fetchone()
        if row is None or self._delivered_between(address, row["last_message"], message):
            count = 1
        elif row["last_message"] == message:
            count = int(row["count"])  # "delayed" and then "failed" for the same message
        else:
            count = int(row["count"]) + 1
        self.db.execute(
            "INSERT INTO soft_bounces (address_hash, count, first_seen, last_seen, last_status,"
            " last_message, last_source) VALUES (?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (address_hash) DO UPDATE SET count = excluded.count,"
            " first_seen = CASE WHEN excluded.count = 1 THEN excluded.first_seen"
            " ELSE first_seen END, last_seen = excluded.last_seen,"
            " last_status = excluded.last_status, last_message = excluded.last_message,"
            " last_source = excluded.last_source",
            (key, count, seen, seen, status.status, message, source),
        )
        return count

    def _delivered_between(self, address: str, earlier: str, later: str) -> bool:
        """True when a send between two bounced messages reached the relay and never bounced.

        Counts stay consecutive this way. A bounce that arrives after a later one is
        then counted as a fresh start: fewer suppressions, never more.
        """
        first, last = self._sent_to(earlier), self._sent_to(later)
        if first is None or last is None or first[1] >= last[1]:
            return False
        row = self.db.execute(
            "SELECT 1 FROM recipients WHERE lower(address) = ? AND status = 'sent'"
            " AND send_id > ? AND send_id < ? LIMIT 1",
            (address.lower(), first[1], last[1]),
        ).fetchone()
        return row is not None

    def _complaint(self, incoming: Incoming) -> Outcome:
        sent = self._sent_to(incoming.original.message_id)
        address = sent[0] if sent else incoming.complaint_address
        address = address or self._token_address(incoming.original.unsubscribe_token)
        if not address:
            return self._not_understood(
                incoming, "a spam complaint that names no address we can find "
                "(the provider hid it, and the message it returns is not in the journal)",
            )  # fmt: skip
        if not sent and not self._ours(address) and incoming.original.list_id not in self._list_ids:
            return self._outcome("not-ours", incoming, address=address, detail="complaint")
        source = f"spam complaint {_day(incoming)} from {incoming.sender}"
        new = suppression.suppress(self.db, address, reason="complained", source=source)
        detail = "marked as spam" + ("" if new else " (already suppressed)")
        return self._outcome("complained", incoming, address=address, detail=detail)

    def _token_address(self, token: str) -> str:
        """Whom the unsubscribe token of a returned message names (providers hide the To)."""
        if not token:
            return ""
        try:
            return unsubscribes.resolve(self.config, self.db, token, signer=self.signer)[1]
        except TokenError:
            return ""

    @property
    def signer(self) -> TokenSigner:
        self._signer = self._signer or TokenSigner(load_secret(self.config))
        return self._signer

    def _unsubscribe(self, incoming: Incoming) -> Outcome:
        try:
            done = unsubscribes.unsubscribe(
                self.config, self.db, incoming.token,
                source=f"mailto unsubscribe request {_day(incoming)}", signer=self.signer,
            )  # fmt: skip
        except TokenError as exc:
            return self._not_understood(
                incoming, f"an unsubscribe request whose token does not verify ({exc}): "
                "remove the sender yourself if they want to leave",
            )  # fmt: skip
        detail = f"from {done.newsletter}" + ("" if done.changed else " (already unsubscribed)")
        return self._outcome("unsubscribed", incoming, address=done.address, detail=detail)
