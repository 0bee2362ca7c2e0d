"""Readers who sign themselves up: requests awaiting confirmation, and confirmed readers.

A sign-up stays pending until the link in its confirmation mail is used; only then is
the reader on the newsletter's sign-up list, which sends include beside the CSV lists
(newsletter.audience.subscribers). Pending sign-ups are deleted once their link has
expired. Each record keeps the reader's consent: when they signed up and confirmed, the
version of the statement they were shown (newsletter.audience.consent), the page's
language, where they signed up, and a keyed hash of the client (never its address).
Every statement on these tables is here.
"""

from __future__ import annotations

__all__ = [
    "LIST_NAME",
    "Confirmation",
    "Member",
    "Outcome",
    "Request",
    "address_for",
    "confirm",
    "counts",
    "forget",
    "lookup",
    "members",
    "purge",
    "records",
    "request",
    "stamp",
]

import datetime as dt
from dataclasses import dataclass
from typing import Any, Literal

from newsletter.audience import consent, suppression
from newsletter.audience.suppression import address_hash
from newsletter.state import Connection, transaction

# The name of a newsletter's sign-up list wherever lists are named (`send --list signups`).
LIST_NAME = "signups"

# What a request leads to. Only "mail" sends a confirmation mail; the reader is told
# the same in every case, so nobody learns from the answer who reads what.
Outcome = Literal["mail", "subscribed", "blocked", "limited"]
_DAY = dt.timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Request:
    """A filled-in sign-up form."""

    newsletter: str
    address: str  # normalised
    address_id: str  # TokenSigner.address_id(address, newsletter)
    name: str
    consent: consent.Consent
    source: str  # "web form", "embedded form"
    client: str = ""  # SignupSigner.client_tag of where it came from


@dataclass(frozen=True, slots=True)
class Member:
    """A confirmed reader of a newsletter, with the consent on record."""

    address: str
    name: str
    signed_up_at: str
    confirmed_at: str
    consent_version: str
    language: str
    source: str


@dataclass(frozen=True, slots=True)
class Confirmation:
    address: str
    language: str
    already: bool  # confirmed earlier: nothing changed now
    blocked: bool  # confirmed, but still suppressed for another reason (a bounce, say)


def stamp(moment: dt.datetime, /) -> str:
    """MOMENT as the database writes times: '2026-01-31T12:00:00Z' (UTC)."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _standing(db: Connection, address: str, newsletter: str) -> str:
    """How ADDRESS stands with NEWSLETTER: "free"; "unsubscribed" (from it, by the reader's
    own choice, which a fresh sign-up reverses); or "blocked" (a bounce, a complaint, an
    editor's entry, an erasure: not the reader's to lift)."""
    entries = suppression.applying(db, address, newsletter=newsletter)
    if any(scope == suppression.ALL or reason != "unsubscribed" for scope, reason in entries):
        return "blocked"
    return "unsubscribed" if entries else "free"


def _is_member(db: Connection, newsletter: str, hashed: str) -> bool:
    row = db.execute(
        "SELECT 1 FROM signups WHERE newsletter = ? AND address_hash = ?", (newsletter, hashed)
    ).fetchone()
    return row is not None


def request(db: Connection, wanted: Request, /, *, limit: int, now: dt.datetime) -> Outcome:
    """Record WANTED as pending when a confirmation mail is due; what it leads to.

    No mail for a reader already subscribed, for an address suppressed other than by its
    own unsubscribe, or when LIMIT mails went to the address in the last 24 hours.
    """
    hashed = address_hash(wanted.address)
    with transaction(db):
        # Two requests for one address at once take turns: the limit counts them both.
        db.lock(hashed)
        standing = _standing(db, wanted.address, wanted.newsletter)
        if standing == "blocked":
            return "blocked"
        if standing == "free" and _is_member(db, wanted.newsletter, hashed):
            return "subscribed"
        sent = db.execute(
            "SELECT count(*) FROM signup_mails WHERE address_hash = ? AND sent_at > ?",
            (hashed, stamp(now - _DAY)),
        ).scalar()
        if sent >= limit:
            return "limited"
        version = consent.remember(db, wanted.consent)
        db.execute(
            "INSERT INTO pending_signups (newsletter, address_hash, address, address_id, name,"
            " requested_at, consent_version, language, source, client)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (newsletter, address_hash) DO UPDATE SET address = excluded.address,"
            " address_id = excluded.address_id, name = excluded.name,"
            " requested_at = excluded.requested_at, consent_version = excluded.consent_version,"
            " language = excluded.language, source = excluded.source, client = excluded.client",
            (wanted.newsletter, hashed, wanted.address, wanted.address_id, wanted.name,
             stamp(now), version, wanted.consent.language, wanted.source, wanted.client),
        )  # fmt: skip
        db.execute(
            "INSERT INTO signup_mails (address_hash, sent_at) VALUES (?, ?)", (hashed, stamp(now))
        )
    return "mail"


def confirm(
    db: Connection, newsletter: str, address_id: str, /, *, now: dt.datetime
) -> Confirmation | None:
    """Make the pending sign-up of ADDRESS_ID a reader of NEWSLETTER; None when there is
    none (expired, or never made) and the address is no reader either.

    The reader's own unsubscribe from this newsletter is lifted: the confirmation is a
    fresh consent. Other suppression entries stay.
    """
    with transaction(db):
        row = db.execute(
            "SELECT address, address_hash, language FROM pending_signups"
            " WHERE newsletter = ? AND address_id = ?",
            (newsletter, address_id),
        ).fetchone()
        if row is not None:
            db.lock(row[1])
        if row is None:
            found = lookup(db, newsletter, address_id)
            if found is None or found[0] != "confirmed":
                return None
            return Confirmation(found[2], found[1], already=True, blocked=False)
        address, hashed, language = row
        db.execute(
            "INSERT INTO signups (newsletter, address_hash, address, address_id, name,"
            " signed_up_at, confirmed_at, consent_version, language, source, client)"
            " SELECT newsletter, address_hash, address, address_id, name, requested_at, ?,"
            " consent_version, language, source, client FROM pending_signups"
            " WHERE newsletter = ? AND address_hash = ?"
            " ON CONFLICT (newsletter, address_hash) DO UPDATE SET address = excluded.address,"
            " address_id = excluded.address_id, name = excluded.name,"
            " signed_up_at = excluded.signed_up_at, confirmed_at = excluded.confirmed_at,"
            " consent_version = excluded.consent_version, language = excluded.language,"
            " source = excluded.source, client = excluded.client",
            (stamp(now), newsletter, hashed),
        )
        db.execute(
            "DELETE FROM pending_signups WHERE newsletter = ? AND address_hash = ?",
            (newsletter, hashed),
        )
        suppression.unsuppress(db, address, newsletter=newsletter, reason="unsubscribed")
        blocked = suppression.is_suppressed(db, address, newsletter=newsletter)
    return Confirmation(address, language, already=False, blocked=blocked)


def lookup(
    db: Connection, newsletter: str, address_id: str, /
) -> tuple[Literal["pending", "confirmed"], str, str] | None:
    """("pending" or "confirmed", language, address) of ADDRESS_ID's sign-up to NEWSLETTER;
    None when there is none, or the reader has unsubscribed or is suppressed since."""
    row = db.execute(
        "SELECT language, address FROM pending_signups WHERE newsletter = ? AND address_id = ?",
        (newsletter, address_id),
    ).fetchone()
    if row is not None:
        return "pending", row[0], row[1]
    row = db.execute(
        "SELECT language, address FROM signups WHERE newsletter = ? AND address_id = ?",
        (newsletter, address_id),
    ).fetchone()
    if row is None or _standing(db, row[1], newsletter) != "free":
        return None
    return "confirmed", row[0], row[1]


def address_for(db: Connection, newsletter: str, address_id: str, /) -> str | None:
    """The address of the confirmed reader of NEWSLETTER whose id is ADDRESS_ID."""
    row = db.execute(
        "SELECT address FROM signups WHERE newsletter = ? AND address_id = ?",
        (newsletter, address_id),
    ).fetchone()
    return None if row is None else str(row[0])


def purge(db: Connection, /, *, expiry_days: int, now: dt.datetime) -> int:
    """Delete pending sign-ups whose link has expired, and the mail counts of days past;
    how many sign-ups went."""
    with transaction(db):
        cursor = db.execute(
            "DELETE FROM pending_signups WHERE requested_at < ?",
            (stamp(now - dt.timedelta(days=expiry_days)),),
        )
        db.execute("DELETE FROM signup_mails WHERE sent_at <= ?", (stamp(now - _DAY),))
    return cursor.rowcount


def members(db: Connection, newsletter: str, /) -> list[Member]:
    """The confirmed readers of NEWSLETTER, in the order they confirmed."""
    rows = db.execute(
        "SELECT address, name, signed_up_at, confirmed_at, consent_version, language, source"
        " FROM signups WHERE newsletter = ? ORDER BY confirmed_at, address",
        (newsletter,),
    )
    return [Member(*row) for row in rows]


def counts(db: Connection, newsletter: str, /) -> tuple[int, int]:
    """(confirmed readers, sign-ups awaiting confirmation) of NEWSLETTER."""
    confirmed = db.execute(
        "SELECT count(*) FROM signups WHERE newsletter = ?", (newsletter,)
    ).scalar()
    pending = db.execute(
        "SELECT count(*) FROM pending_signups WHERE newsletter = ?", (newsletter,)
    ).scalar()
    return int(confirmed), int(pending)


_RECORD = (
    "SELECT s.newsletter, {status} AS status, s.name, {signed_up} AS signed_up_at,"
    " {confirmed} AS confirmed_at, s.consent_version, c.text AS consent_text,"
    " s.language, s.source, s.client"
    " FROM {table} AS s JOIN consent_texts AS c ON c.version = s.consent_version"
    " WHERE s.address_hash = ?"
)


def records(db: Connection, address: str, /) -> list[dict[str, Any]]:
    """Every sign-up of ADDRESS, confirmed or pending, with the consent statement it was shown."""
    hashed = address_hash(address)
    confirmed = _RECORD.format(status="'confirmed'", signed_up="s.signed_up_at",
                               confirmed="s.confirmed_at", table="signups")  # fmt: skip
    pending = _RECORD.format(status="'awaiting confirmation'", signed_up="s.requested_at",
                             confirmed="NULL", table="pending_signups")  # fmt: skip
    rows = db.execute(f"{confirmed} UNION ALL {pending} ORDER BY 1", (hashed, hashed))
    return [dict(row) for row in rows]


def forget(db: Connection, address: str, /) -> int:
    """Erase ADDRESS's sign-ups, confirmed and pending, and its mail counts; rows erased."""
    hashed = address_hash(address)
    with transaction(db):
        erased = sum(
            db.execute(f"DELETE FROM {table} WHERE address_hash = ?", (hashed,)).rowcount
            for table in ("signups", "pending_signups")
        )
        db.execute("DELETE FROM signup_mails WHERE address_hash = ?", (hashed,))
    return erased
