"""The send journal: who gets an issue, frozen before the first message, and how it went.

Each recipient row goes `queued → sending → sent | failed` (or `skipped`). A row becomes
`sending` when its message is handed to a connection, committed before the message's data
goes out, and `sent` (or `failed`) as soon as the server's reply arrives; a message the
server deferred goes back to `queued` until it is tried again. So after a crash the rows
still in `sending` are exactly the messages that were on the wire, at most one per
connection: they are reported as *uncertain* and sent again only when the editor asks.

The engine hands these changes over as they happen and they are committed in groups
(`apply`: whatever came in during one turn of the event loop, in one transaction, as
if in order; newsletter.delivery.recorder). SQLite in WAL mode with synchronous=NORMAL
commits in about 40 µs and a killed process loses nothing committed; on PostgreSQL a
commit is a round trip to the server, and more changes share each one. Every statement
on the journal is here, which makes the module longer than most: its states are read in
one place.
"""

from __future__ import annotations

__all__ = [
    "STATUSES",
    "Change",
    "Counts",
    "Delivery",
    "Handed",
    "Row",
    "Send",
    "Status",
    "append",
    "apply",
    "counts",
    "find",
    "finish",
    "freeze",
    "frozen_subscribers",
    "known",
    "last_signed",
    "next_rows",
    "note",
    "record",
    "refingerprint",
    "requeue_uncertain",
    "rows",
    "sent_ages",
    "skip",
    "suppressed_failures",
]

import itertools
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Literal

from newsletter.audience import suppression
from newsletter.state import TIME_FORMAT, Connection, now, transaction
from newsletter.state import Row as StateRow

if TYPE_CHECKING:
    # Not at run time: a send's helper process reads rows with this module, and the lists'
    # module brings the configuration's libraries along (tests/delivery/test_helper_imports).
    from newsletter.audience.subscribers import Subscriber
    from newsletter.audience.tokens import TokenSigner

Status = Literal["queued", "sending", "sent", "failed", "skipped"]
STATUSES: tuple[Status, ...] = ("queued", "sending", "sent", "failed", "skipped")
SUPPRESSED_SINCE = "on the suppression list since the send started"


@dataclass(frozen=True, slots=True)
class Send:
    """One issue's send to its frozen recipient set."""

    id: int
    newsletter: str
    slug: str
    subject: str
    lists: list[str]
    fingerprint: str
    created_at: str
    finished_at: str | None
    note: str | None
    key_fingerprint: str | None = None  # of the key its links were signed with


@dataclass(frozen=True, slots=True)
class Row:
    """A recipient claimed for sending."""

    seq: int
    address: str
    name: str
    fields: dict[str, str]


@dataclass(frozen=True, slots=True)
class Delivery:
    """What became of one row's message: OUTCOME as the transport said, with its reply."""

    seq: int
    address: str
    outcome: Literal["sent", "failed", "stop", "deferred", "uncertain"]
    reply: str
    message_id: str = ""
    bounced: bool = False


@dataclass(frozen=True, slots=True)
class Handed:
    """A row whose message is handed to a connection: `sending` until its reply is recorded."""

    seq: int


Change = Handed | Delivery


@dataclass(frozen=True, slots=True)
class Counts:
    queued: int = 0
    sending: int = 0
    sent: int = 0
    failed: int = 0
    skipped: int = 0

    @property
    def total(self) -> int:
        return self.queued + self.sending + self.sent + self.failed + self.skipped


def find(db: Connection, newsletter: str, slug: str, /) -> Send | None:
    """The send of issue SLUG of NEWSLETTER, if it was ever frozen."""
    row = db.execute(
        f"SELECT {_SEND_COLUMNS} FROM sends WHERE newsletter = ? AND slug = ?",
        (newsletter, slug),
    ).fetchone()
    return None if row is None else _send(row)


_SEND_COLUMNS = (
    "id, newsletter, slug, subject, lists, fingerprint, created_at, finished_at, note,"
    " key_fingerprint"
)


def _send(row: StateRow) -> Send:
    id_, newsletter, slug, subject, lists, fingerprint, created_at, finished_at, note, key = row
    return Send(id_, newsletter, slug, subject, json.loads(lists), fingerprint, created_at,
                finished_at, note, key)  # fmt: skip


def last_signed(db: Connection, /) -> Send | None:
    """The most recent send that recorded the fingerprint of its signing key."""
    row = db.execute(
        f"SELECT {_SEND_COLUMNS} FROM sends WHERE key_fingerprint IS NOT NULL"
        " ORDER BY created_at DESC, id DESC LIMIT 1"
    ).fetchone()
    return None if row is None else _send(row)


def known(db: Connection, /) -> dict[tuple[str, str], str]:
    """(newsletter, slug) -> created_at of every send the journal knows."""
    found = db.execute("SELECT newsletter, slug, created_at FROM sends")
    return {(newsletter, slug): created for newsletter, slug, created in found}


def freeze(
    db: Connection,
    /,
    *,
    newsletter: str,
    slug: str,
    subject: str,
    lists: Sequence[str],
    subscribers: Iterable[Subscriber],
    fingerprint: str,
    signer: TokenSigner,
) -> Send:
    """Record the send and its recipients, all queued, in one transaction."""
    with transaction(db):
        found = db.execute(
            "INSERT INTO sends (newsletter, slug, subject, lists, fingerprint, key_fingerprint,"
            " created_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (newsletter, slug, subject, json.dumps(list(lists), ensure_ascii=False), fingerprint,
             signer.fingerprint, now()),
        ).fetchone()  # fmt: skip
        assert found is not None
        _insert(db, int(found[0]), 0, subscribers, signer, newsletter)
    send = find(db, newsletter, slug)
    assert send is not None
    return send


def append(
    db: Connection, send: Send, subscribers: Iterable[Subscriber], /, *, signer: TokenSigner
) -> None:
    """Add SUBSCRIBERS (new on the lists since the send was frozen) as queued rows."""
    with transaction(db):
        last = db.execute("SELECT max(seq) FROM recipients WHERE send_id = ?", (send.id,))
        _insert(db, send.id, last.scalar() or 0, subscribers, signer, send.newsletter)


def refingerprint(db: Connection, send: Send, fingerprint: str, /) -> None:
    """Take the lists as they are now as the send's reference (after adding new subscribers)."""
    with transaction(db):
        db.execute("UPDATE sends SET fingerprint = ? WHERE id = ?", (fingerprint, send.id))


def _insert(
    db: Connection,
    send_id: int,
    after: int,
    subscribers: Iterable[Subscriber],
    signer: TokenSigner,
    newsletter: str,
) -> None:
    db.executemany(
        "INSERT INTO recipients (send_id, seq, address, address_id, name, fields)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (
            (send_id, seq, s.email, signer.address_id(s.email, newsletter), s.name,
             json.dumps(dict(s.fields), ensure_ascii=False))
            for seq, s in enumerate(subscribers, start=after + 1)
        ),
    )  # fmt: skip


def counts(db: Connection, send: Send, /) -> Counts:
    found = db.execute(
        "SELECT status, count(*) FROM recipients WHERE send_id = ? GROUP BY status", (send.id,)
    )
    return Counts(**{status: number for status, number in found})


def frozen_subscribers(db: Connection, send: Send, /) -> Iterator[tuple[int, Subscriber, str]]:
    """Every frozen row: its seq, as a Subscriber, and its status (to compare with the lists)."""
    from newsletter.audience.subscribers import Subscriber

    found = db.execute(
        "SELECT seq, address, name, fields, status FROM recipients WHERE send_id = ?"
        " AND address != '' ORDER BY seq",
        (send.id,),
    )
    for seq, address, name, fields, status in found:
        yield seq, Subscriber(address, name, json.loads(fields), "journal", seq), status


def requeue_uncertain(db: Connection, send: Send, /) -> int:
    """Put the rows a crash left in `sending` back in the queue: the editor chose to resend."""
    with transaction(db):
        return db.execute(
            "UPDATE recipients SET status = 'queued' WHERE send_id = ? AND status = 'sending'",
            (send.id,),
        ).rowcount


def next_rows(
    db: Connection,
    send: Send,
    /,
    *,
    status: Literal["queued", "failed"],
    after: int,
    limit: int,
) -> tuple[list[Row], int | None]:
    """Up to LIMIT rows in STATUS with seq > AFTER, to send: (them, the last seq seen).

    They stay in STATUS: a row becomes `sending` only when its message is handed over
    (`apply`), so a crash now leaves nothing uncertain; the send lock keeps other
    processes away meanwhile. Rows whose address was suppressed since the send was frozen
    are skipped instead, but a failed row stays failed with its reply: a 5.1.1 bounce
    suppresses the address, and retrying the failures must not turn that recorded failure
    into a skip. The last seq is None when no row was left.
    """
    with transaction(db):
        # In a transaction, so that PostgreSQL passes over the rows another sender is
        # changing right now (FOR UPDATE SKIP LOCKED) instead of waiting for them.
        found = db.execute(
            "SELECT seq, address, name, fields FROM recipients"
            " WHERE send_id = ? AND status = ? AND seq > ? ORDER BY seq LIMIT ?"
            + db.dialect.lock_rows,
            (send.id, status, after, limit),
        ).fetchall()
        rows = [Row(seq, address, name, json.loads(fields)) for seq, address, name, fields in found]
        unwanted = _suppressed(db, send.newsletter, ((row.seq, row.address) for row in rows))
        if unwanted and status == "queued":
            _set(db, send, "skipped", unwanted, reply=SUPPRESSED_SINCE)
        rows = [row for row in rows if row.seq not in unwanted]
    return rows, (found[-1][0] if found else None)


_PARAMETERS = 900


def _suppressed(db: Connection, newsletter: str, rows: Iterable[tuple[int, str]]) -> set[int]:
    """The seqs of ROWS (seq, address) whose address is suppressed for NEWSLETTER."""
    by_hash = {suppression.address_hash(address): seq for seq, address in rows}
    hashes = list(by_hash)
    seqs: set[int] = set()
    # In slices: SQLite limits the parameters of one statement (999 in older versions).
    for start in range(0, len(hashes), _PARAMETERS):
        part = hashes[start : start + _PARAMETERS]
        found = db.execute(
            "SELECT address_hash FROM suppression WHERE newsletter IN ('', ?)"
            f" AND address_hash IN ({', '.join('?' * len(part))})",
            (newsletter, *part),
        )
        seqs.update(by_hash[digest] for (digest,) in found)
    return seqs


# What each outcome leaves in the journal. A "stop" (a policy rejection) and a deferral
# were not delivered: the row goes back to the queue with the reply, to be sent again. An
# uncertain message (the connection went after its data) stays `sending`, with the reason.
_STATUS_AFTER = {"sent": "sent", "failed": "failed", "stop": "queued", "deferred": "queued",
                 "uncertain": "sending"}  # fmt: skip
_HANDED = (
    "UPDATE recipients SET status = 'sending', attempts = attempts + 1, updated_at = ?"
    " WHERE send_id = ? AND seq = ?"
)
_REPLIED = (
    "UPDATE recipients SET status = ?, reply = ?, message_id = ?, updated_at = ?"
    " WHERE send_id = ? AND seq = ?"
)


def apply(db: Connection, send: Send, changes: Sequence[Change], /) -> None:
    """Record CHANGES as if in order, in one transaction: messages handed to a connection
    (`sending`) and what the server said to them; suppress addresses that bounced."""
    handed = [change.seq for change in changes if isinstance(change, Handed)]
    replied = [change for change in changes if isinstance(change, Delivery)]
    stamp = now()
    with transaction(db):
        if _in_order(changes):
            # A row is handed over before its reply comes: the hand-overs first, then the
            # replies, in two statements whatever their mix.
            db.executemany(_HANDED, ((stamp, send.id, seq) for seq in handed))
            _replied(db, send, replied, stamp)
            return
        for is_handed, run in itertools.groupby(changes, key=lambda c: isinstance(c, Handed)):
            if is_handed:
                db.executemany(_HANDED, ((stamp, send.id, change.seq) for change in run))
            else:
                _replied(db, send, [c for c in run if isinstance(c, Delivery)], stamp)


def _in_order(changes: Sequence[Change]) -> bool:
    """Whether no row of CHANGES is handed over again after a reply in them (a retry)."""
    replied: set[int] = set()
    for change in changes:
        if isinstance(change, Handed) and change.seq in replied:
            return False
        if isinstance(change, Delivery):
            replied.add(change.seq)
    return True


def record(db: Connection, send: Send, deliveries: Sequence[Delivery], /) -> None:
    """Record what the server said to DELIVERIES, in one transaction."""
    apply(db, send, deliveries)


def _replied(db: Connection, send: Send, deliveries: Sequence[Delivery], stamp: str) -> None:
    db.executemany(
        _REPLIED,
        (
            (_STATUS_AFTER[d.outcome], d.reply, d.message_id or None, stamp, send.id, d.seq)
            for d in deliveries
        ),
    )
    for delivery in deliveries:
        if delivery.bounced:
            source = f"send of {send.newsletter}/{send.slug}: {delivery.reply}"
            suppression.suppress(db, delivery.address, reason="bounced", source=source)


def skip(db: Connection, send: Send, seqs: Iterable[int], /, *, reply: str) -> None:
    """Rows that must not be sent after all (e.g. taken off the lists)."""
    with transaction(db):
        _set(db, send, "skipped", seqs, reply=reply)


def _set(db: Connection, send: Send, status: Status, seqs: Iterable[int], *, reply: str) -> None:
    stamp = now()
    db.executemany(
        "UPDATE recipients SET status = ?, reply = ?, updated_at = ?"
        " WHERE send_id = ? AND seq = ? AND status IN ('queued', 'sending', 'failed')",
        ((status, reply, stamp, send.id, seq) for seq in seqs),
    )


def note(db: Connection, send: Send, text: str | None, /) -> None:
    """Keep why the last run stopped early (shown by `newsletter status`)."""
    with transaction(db):
        db.execute("UPDATE sends SET note = ? WHERE id = ?", (text, send.id))


def finish(db: Connection, send: Send, /) -> Send:
    """Mark the send finished (nothing queued or uncertain left) and return it anew."""
    with transaction(db):
        db.execute(
            "UPDATE sends SET finished_at = coalesce(finished_at, ?) WHERE id = ?",
            (now(), send.id),
        )
    found = find(db, send.newsletter, send.slug)
    assert found is not None
    return found


def suppressed_failures(db: Connection, send: Send, /) -> int:
    """How many failed rows have an address suppressed since: --retry-failed leaves them."""
    found = db.execute(
        "SELECT seq, address FROM recipients WHERE send_id = ? AND status = 'failed'",
        (send.id,),
    )
    return len(_suppressed(db, send.newsletter, ((seq, address) for seq, address in found)))


def sent_ages(db: Connection, /, *, within: float) -> list[float]:
    """How many seconds ago each message of any send went out, for those within WITHIN
    seconds: the rate limiter counts them against the relay's hourly and daily quotas."""
    current = datetime.now(UTC)
    since = (current - timedelta(seconds=int(within) + 1)).strftime(TIME_FORMAT)
    found = db.execute(
        "SELECT updated_at FROM recipients WHERE status = 'sent' AND updated_at >= ?", (since,)
    )
    return [(current - _parsed(stamp)).total_seconds() for (stamp,) in found]


def _parsed(stamp: str) -> datetime:
    # "2026-03-01T12:00:00Z", or with fractions of a second ("...:00.250Z").
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def rows(
    db: Connection, send: Send, /, *, statuses: Sequence[Status] = STATUSES
) -> Iterator[StateRow]:
    """The rows in STATUSES in order, with every column, streamed (for status and receipts)."""
    marks = ", ".join("?" * len(statuses))
    return iter(
        db.execute(
            "SELECT seq, address, name, fields, status, attempts, message_id, reply, updated_at"
            f" FROM recipients WHERE send_id = ? AND status IN ({marks}) ORDER BY seq",
            (send.id, *statuses),
        )
    )
