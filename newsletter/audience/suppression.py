"""The suppression list: addresses that must never be mailed again.

An entry applies to one newsletter (an unsubscribe) or to all (newsletter = "":
bounces, complaints, manual entries, data-protection requests). Addresses are
matched by the sha256 of their normalised, lower-cased form, so an entry still
works after the address itself has been forgotten.
"""

from __future__ import annotations

__all__ = [
    "REASONS",
    "Entry",
    "address_hash",
    "applying",
    "entries",
    "forget",
    "has_entry",
    "is_suppressed",
    "reasons",
    "suppress",
    "suppressed_hashes",
    "unsuppress",
]

import hashlib
from dataclasses import dataclass
from typing import Literal

from newsletter.state import Connection, transaction

Reason = Literal["unsubscribed", "bounced", "complained", "manual"]
REASONS: tuple[Reason, ...] = ("unsubscribed", "bounced", "complained", "manual")
ALL = ""


@dataclass(frozen=True, slots=True)
class Entry:
    address: str | None
    address_hash: str
    newsletter: str
    reason: str
    source: str
    created_at: str


def address_hash(address: str) -> str:
    return hashlib.sha256(address.strip().lower().encode("utf-8")).hexdigest()


def suppress(
    db: Connection,
    address: str,
    /,
    *,
    reason: Reason,
    source: str = "",
    newsletter: str = ALL,
) -> bool:
    """Add ADDRESS; True if it was new. An existing entry keeps its first reason and date."""
    cursor = db.execute(
        "INSERT INTO suppression (address_hash, address, newsletter, reason, source)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT (address_hash, newsletter) DO NOTHING",
        (address_hash(address), address, newsletter, reason, source),
    )
    return cursor.rowcount == 1


def unsuppress(
    db: Connection,
    address: str,
    /,
    *,
    newsletter: str | None = None,
    reason: Reason | None = None,
) -> int:
    """Remove ADDRESS's entries (for one newsletter, or all; of one reason, or any);
    the number removed."""
    sql = "DELETE FROM suppression WHERE address_hash = ?"
    args: tuple[str, ...] = (address_hash(address),)
    if newsletter is not None:
        sql += " AND newsletter = ?"
        args += (newsletter,)
    if reason is not None:
        sql += " AND reason = ?"
        args += (reason,)
    return db.execute(sql, args).rowcount


def has_entry(db: Connection, address: str, /, *, newsletter: str, reason: Reason) -> bool:
    """True when ADDRESS has an entry of REASON for exactly NEWSLETTER."""
    row = db.execute(
        "SELECT 1 FROM suppression WHERE address_hash = ? AND newsletter = ? AND reason = ?",
        (address_hash(address), newsletter, reason),
    ).fetchone()
    return row is not None


def is_suppressed(db: Connection, address: str, /, *, newsletter: str) -> bool:
    row = db.execute(
        "SELECT 1 FROM suppression WHERE address_hash = ? AND newsletter IN ('', ?) LIMIT 1",
        (address_hash(address), newsletter),
    ).fetchone()
    return row is not None


def applying(db: Connection, address: str, /, *, newsletter: str) -> list[tuple[str, str]]:
    """(newsletter, reason) of every entry that keeps ADDRESS from NEWSLETTER ("" = all)."""
    rows = db.execute(
        "SELECT newsletter, reason FROM suppression"
        " WHERE address_hash = ? AND newsletter IN ('', ?)",
        (address_hash(address), newsletter),
    )
    return [(row[0], row[1]) for row in rows]


def suppressed_hashes(db: Connection, /, *, newsletter: str) -> set[str]:
    """Every hash suppressed for NEWSLETTER (its own entries and the global ones)."""
    rows = db.execute(
        "SELECT address_hash FROM suppression WHERE newsletter IN ('', ?)", (newsletter,)
    )
    return {row[0] for row in rows}


def reasons(db: Connection, addresses: list[str], /, *, newsletter: str) -> dict[str, str]:
    """Lower-cased address -> why it is suppressed for NEWSLETTER, for those of ADDRESSES that
    are (an entry of the newsletter's own before a global one)."""
    found: dict[str, str] = {}
    by_hash = {address_hash(address): address.lower() for address in addresses}
    hashes = list(by_hash)
    for start in range(0, len(hashes), 500):  # SQLite's limit on parameters in a statement
        part = hashes[start : start + 500]
        rows = db.execute(
            "SELECT address_hash, reason FROM suppression WHERE newsletter IN ('', ?)"
            f" AND address_hash IN ({', '.join('?' * len(part))}) ORDER BY newsletter",
            (newsletter, *part),
        )
        for digest, reason in rows:
            found[by_hash[digest]] = reason  # the newsletter's own entry sorts last: it wins
    return found


def entries(
    db: Connection,
    /,
    *,
    reason: str | None = None,
    newsletter: str | None = None,
    search: str | None = None,
) -> list[Entry]:
    """The entries, newest first, filtered by reason, newsletter and address substring."""
    sql = "SELECT address, address_hash, newsletter, reason, source, created_at FROM suppression"
    where, args = [], []
    if reason:
        where.append("reason = ?")
        args.append(reason)
    if newsletter is not None:
        where.append("newsletter = ?")
        args.append(newsletter)
    if search:
        # lower(): LIKE ignores case in SQLite, not in PostgreSQL.
        where.append("lower(address) LIKE ? ESCAPE '\\'")
        escaped = search.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        args.append(f"%{escaped}%")
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY created_at DESC, id DESC"
    return [Entry(*row) for row in db.execute(sql, args)]


def forget(db: Connection, address: str, /, *, source: str = "") -> None:
    """Erase ADDRESS from the suppression list but keep it suppressed, by hash only."""
    with transaction(db):
        db.execute(
            "UPDATE suppression SET address = NULL WHERE address_hash = ?",
            (address_hash(address),),
        )
        db.execute(
            "INSERT INTO suppression (address_hash, address, newsletter, reason, source)"
            " VALUES (?, NULL, '', 'manual', ?) ON CONFLICT (address_hash, newsletter) DO NOTHING",
            (address_hash(address), source or "forgotten on request"),
        )
