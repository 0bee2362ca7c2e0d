"""Counting soft bounces: one per returned message, consecutive failures only.

A "delayed" report and the "failed" report that follows for the same message count
once. When the journal holds a message sent to the address between the last counted
bounce and this one that never bounced, the count starts again.
"""

from __future__ import annotations

__all__ = ["clear", "count"]


from newsletter.audience import suppression
from newsletter.state import Connection


def count(
    db: Connection,
    address: str,
    /,
    *,
    message: str,
    day: str,
    status: str,
    source: str,
) -> int:
    """ADDRESS's soft bounces including this one (about MESSAGE, a Message-ID or key)."""
    key = suppression.address_hash(address)
    row = db.execute(
        "SELECT count, last_message FROM soft_bounces WHERE address_hash = ?", (key,)
    ).fetchone()
    if row is None or _delivered_between(db, address, row[1], message):
        number = 1
    elif row[1] == message:
        number = int(row[0])  # "delayed" and then "failed" for the same message
    else:
        number = int(row[0]) + 1
    db.execute(
        "INSERT INTO soft_bounces (address_hash, count, first_seen, last_seen, last_status,"
        " last_message, last_source) VALUES (?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (address_hash) DO UPDATE SET count = excluded.count,"
        " first_seen = CASE WHEN excluded.count = 1 THEN excluded.first_seen"
        " ELSE soft_bounces.first_seen END, last_seen = excluded.last_seen,"
        " last_status = excluded.last_status, last_message = excluded.last_message,"
        " last_source = excluded.last_source",
        (key, number, day, day, status, message, source),
    )
    return number


def clear(db: Connection, address: str, /) -> None:
    """Forget ADDRESS's soft bounces: a message reached it."""
    db.execute(
        "DELETE FROM soft_bounces WHERE address_hash = ?", (suppression.address_hash(address),)
    )


def _delivered_between(db: Connection, address: str, earlier: str, later: str) -> bool:
    """True when a send between two bounced messages reached the relay and never bounced.

    A bounce that arrives after a later one is then counted as a fresh start: fewer
    suppressions, never more.
    """
    first, last = _send_of(db, earlier), _send_of(db, later)
    if first is None or last is None or first >= last:
        return False
    row = db.execute(
        "SELECT 1 FROM recipients WHERE lower(address) = ? AND status = 'sent'"
        " AND send_id > ? AND send_id < ? LIMIT 1",
        (address.lower(), first, last),
    ).fetchone()
    return row is not None


def _send_of(db: Connection, message_id: str) -> int | None:
    if not message_id:
        return None
    bare = message_id.strip("<>")
    row = db.execute(
        "SELECT send_id FROM recipients WHERE message_id IN (?, ?) LIMIT 1", (f"<{bare}>", bare)
    ).fetchone()
    return int(row[0]) if row is not None else None
