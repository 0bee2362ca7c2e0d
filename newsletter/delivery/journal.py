"""The send journal: who gets an issue, frozen before the first message, and how it went.

Each recipient row goes `queued → sending → sent | failed` (or `skipped`). `sending` is
committed before a message's data goes out and `sent` only after the server's 250 reply,
so after a crash a row still in `sending` is the only kind whose fate is unknown: it is
reported as *uncertain* and sent again only when the editor asks for it.

Writes are batched (a batch is claimed in one transaction, results are recorded in
another): 100,000 rows cost a few hundred commits, not 200,000. Every statement on the
journal is here, which makes the module longer than most: its states are read in one place.
"""

from __future__ import annotations

__all__ = [
    "STATUSES",
    "Counts",
    "Delivery",
    "Row",
    "Send",
    "Status",
    "append",
    "claim",
    "counts",
    "find",
    "finish",
    "freeze",
    "frozen_subscribers",
    "known",
    "last_signed",
    "note",
    "record",
    "refingerprint",
    "release",
    "requeue_uncertain",
    "rows",
    "sent_ages",
    "skip",
    "suppressed_failures",
]

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from newsletter.audience import suppression
from newsletter.audience.subscribers import Subscriber
from newsletter.audience.tokens import TokenSigner
from newsletter.state import TIME_FORMAT, Connection, now, transaction
from newsletter.state import Row as StateRow

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
    """What became of one claimed row: OUTCOME as the transport said, with its reply."""

    seq: int
    address: str
    outcome: Literal["sent", "failed", "stop"]
    reply: str
    message_id: str = ""
    bounced: bool = False


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
    found = db.execute(
        "SELECT seq, address, name, fields, status FROM recipients WHERE send_id = ?"
        " AND address != '' ORDER BY seq",
        (send.id,),
    )
    for seq, address, name, fields, status in found:
        yield seq, Subscriber(address, name, json.loads(fields), f"journal:{seq}"), status


def requeue_uncertain(db: Connection, send: Send, /) -> int:
    """Put the rows a crash left in `sending` back in the queue: the editor chose to resend."""
    with transaction(db):
        return db.execute(
            "UPDATE recipients SET status = 'queued' WHERE send_id = ? AND status = 'sending'",
            (send.id,),
        ).rowcount


def claim(
    db: Connection,
    send: Send,
    /,
    *,
    status: Literal["queued", "failed"],
    after: int,
    limit: int,
) -> tuple[list[Row], int | None]:
    """Mark up to LIMIT rows in STATUS with seq > AFTER as `sending`: (them, the last seq seen).

    Rows whose address was suppressed since the send was frozen are skipped instead,
    but a failed row stays failed with its reply: a 5.1.1 bounce suppresses the address,
    and retrying the failures must not turn that recorded failure into a skip.
    The last seq is None when no row was left to claim.
    """
    with transaction(db):
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
        stamp = now()
        db.executemany(
            "UPDATE recipients SET status = 'sending', attempts = attempts + 1,"
            " updated_at = ? WHERE send_id = ? AND seq = ?",
            ((stamp, send.id, row.seq) for row in rows),
        )
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


def record(db: Connection, send: Send, deliveries: Sequence[Delivery], /) -> None:
    """Record what the server said, in one transaction; suppress addresses that bounced.

    A "stop" (a policy rejection) was not delivered and does not count as a failure of the
    address: the row goes back to the queue, its reply kept, to be sent on the next run.
    """
    status = {"sent": "sent", "failed": "failed", "stop": "queued"}
    stamp = now()
    with transaction(db):
        db.executemany(
            "UPDATE recipients SET status = ?, reply = ?, message_id = ?, updated_at = ?"
            " WHERE send_id = ? AND seq = ?",
            (
                (status[d.outcome], d.reply, d.message_id or None, stamp, send.id, d.seq)
                for d in deliveries
            ),
        )
        for delivery in deliveries:
            if delivery.bounced:
                source = f"send of {send.newsletter}/{send.slug}: {delivery.reply}"
                suppression.suppress(db, delivery.address, reason="bounced", source=source)


def release(db: Connection, send: Send, seqs: Iterable[int], /) -> None:
    """Rows claimed but never handed to the transport go back to the queue."""
    with transaction(db):
        db.executemany(
            "UPDATE recipients SET status = 'queued', attempts = attempts - 1"
            " WHERE send_id = ? AND seq = ? AND status = 'sending'",
            ((send.id, seq) for seq in seqs),
        )


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
