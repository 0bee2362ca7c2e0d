"""Unsubscribing by token: from the one-click address, the web page, or a mailto request.

A token names a newsletter and a keyed id of an address, never the address itself
(see newsletter.audience.tokens). The address is found again in the send journal, which
holds everyone a message went to, and failing that in the newsletter's list files.
"""

from __future__ import annotations

__all__ = [
    "Subscription",
    "Unsubscribed",
    "find_address",
    "lookup",
    "reader_language",
    "resolve",
    "undo",
    "unsubscribe",
]

from dataclasses import dataclass
from pathlib import Path

from newsletter.audience import signups, suppression
from newsletter.audience.subscribers import available_lists, load_list, resolve_list
from newsletter.audience.tokens import TokenSigner, load_secret
from newsletter.config import Config
from newsletter.errors import SubscriberError, TokenError
from newsletter.state import Connection

_UNKNOWN = "this unsubscribe link belongs to no subscriber here"


@dataclass(frozen=True, slots=True)
class Unsubscribed:
    """Whose token it was, and whether this call changed anything."""

    newsletter: str
    address: str
    changed: bool  # False when the address was already unsubscribed (or, for undo, was not)


@dataclass(frozen=True, slots=True)
class Subscription:
    newsletter: str
    address: str
    unsubscribed: bool  # by an unsubscribe from this newsletter (not a bounce, say)


def lookup(
    config: Config, db: Connection, token: str, /, *, signer: TokenSigner | None = None
) -> Subscription:
    """Whose TOKEN is, and whether they have unsubscribed; TokenError as for unsubscribe."""
    newsletter, address = resolve(config, db, token, signer=signer)
    unsubscribed = suppression.has_entry(db, address, newsletter=newsletter, reason="unsubscribed")
    return Subscription(newsletter, address, unsubscribed)


def unsubscribe(
    config: Config,
    db: Connection,
    token: str,
    /,
    *,
    source: str,
    signer: TokenSigner | None = None,
) -> Unsubscribed:
    """Add the token's address to the suppression list for its newsletter. Idempotent.

    TokenError for a forged token, or one whose address is in neither journal nor lists.
    """
    newsletter, address = resolve(config, db, token, signer=signer)
    changed = suppression.suppress(
        db, address, reason="unsubscribed", source=source, newsletter=newsletter
    )
    return Unsubscribed(newsletter, address, changed)


def undo(
    config: Config, db: Connection, token: str, /, *, signer: TokenSigner | None = None
) -> Unsubscribed:
    """Resubscribe after an unsubscribe by this token.

    Only the newsletter's own 'unsubscribed' entry goes: a bounce, a complaint or a
    data-protection request keeps the address suppressed, whoever holds the link.
    """
    newsletter, address = resolve(config, db, token, signer=signer)
    removed = suppression.unsuppress(db, address, newsletter=newsletter, reason="unsubscribed")
    return Unsubscribed(newsletter, address, removed > 0)


def reader_language(config: Config, db: Connection, newsletter: str, address_id: str, /) -> str:
    """The language of the last issue of NEWSLETTER sent to ADDRESS_ID, else the newsletter's.

    A newsletter may send an issue in another language (an English issue of a Swedish
    newsletter): its readers should be answered in the language they were written to.
    """
    row = db.execute(
        "SELECT a.language FROM recipients r JOIN sends s ON s.id = r.send_id"
        " JOIN archive a ON a.newsletter = s.newsletter AND a.slug = s.slug"
        " WHERE r.address_id = ? AND s.newsletter = ?"
        " ORDER BY s.id DESC LIMIT 1",
        (address_id, newsletter),
    ).fetchone()
    return str(row[0]) if row is not None else config.newsletter(newsletter).language


def resolve(
    config: Config, db: Connection, token: str, /, *, signer: TokenSigner | None = None
) -> tuple[str, str]:
    """(newsletter, address) that TOKEN names; TokenError as for unsubscribe."""
    signer = signer or TokenSigner(load_secret(config))
    newsletter, address_id = signer.verify(token)
    if newsletter not in config.newsletters:
        raise TokenError(_UNKNOWN)
    address = find_address(config, db, signer, newsletter, address_id)
    if not address:
        raise TokenError(_UNKNOWN)
    return newsletter, address


def find_address(
    config: Config,
    db: Connection,
    signer: TokenSigner,
    newsletter: str,
    address_id: str,
    /,
) -> str | None:
    """The address whose id for NEWSLETTER is ADDRESS_ID: from the journal, else the
    sign-ups, else the lists.

    A forgotten address is blank in the journal: its links name nobody any more.
    """
    row = db.execute(
        "SELECT r.address FROM recipients r JOIN sends s ON s.id = r.send_id"
        " WHERE r.address_id = ? AND s.newsletter = ? AND r.address != '' LIMIT 1",
        (address_id, newsletter),
    ).fetchone()
    if row is not None:
        return str(row[0])
    if (signed_up := signups.address_for(db, newsletter, address_id)) is not None:
        return signed_up
    return _list_index(config, signer, newsletter).get(address_id)


# (newsletter, key check, list files with their sizes and times) -> {address_id: address}.
# Building an index hashes every row of every list; the server keeps the last one per
# newsletter until a list file changes.
_indexes: dict[str, tuple[tuple[object, ...], dict[str, str]]] = {}


def _list_index(config: Config, signer: TokenSigner, newsletter: str) -> dict[str, str]:
    paths = _list_paths(config, newsletter)
    # The id of a fixed string tells one secret from another without keeping the secret.
    stamp = (signer.address_id("", newsletter), *(_file_stamp(path) for path in paths))
    cached = _indexes.get(newsletter)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    index: dict[str, str] = {}
    for path in paths:
        try:
            subscribers = load_list(path).subscribers
        except SubscriberError:
            continue  # a list that cannot be read holds nobody a token could name
        for subscriber in subscribers:
            index.setdefault(signer.address_id(subscriber.email, newsletter), subscriber.email)
    _indexes[newsletter] = (stamp, index)
    return index


def _list_paths(config: Config, newsletter: str) -> list[Path]:
    """The newsletter's default lists first, then every other list in the subscribers folder."""
    names = dict.fromkeys([*config.newsletter(newsletter).default_lists, *available_lists(config)])
    paths = []
    for name in names:
        try:
            paths.append(resolve_list(config, name))
        except SubscriberError:
            continue  # the default list need not exist yet
    return paths


def _file_stamp(path: Path) -> tuple[str, int, int]:
    stat = path.stat()
    return str(path), stat.st_mtime_ns, stat.st_size
