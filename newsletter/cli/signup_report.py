"""What `newsletter subscribers` prints about the readers who signed up on the web."""

from __future__ import annotations

__all__ = ["echo_signups", "signup_rows", "takes_signups"]

from typing import TYPE_CHECKING

import click

from newsletter.audience import signups, suppression
from newsletter.translate import _

if TYPE_CHECKING:
    from newsletter.config import Config
    from newsletter.state import Connection


def takes_signups(config: Config, db: Connection, key: str) -> bool:
    """Whether newsletter KEY takes sign-ups, or has some from before."""
    return config.newsletter(key).signup or any(signups.counts(db, key))


def echo_signups(config: Config, db: Connection, key: str | None) -> None:
    """How many readers signed up on the web, per newsletter that takes sign-ups."""
    for name in [key] if key else list(config.newsletters):
        confirmed, pending = signups.counts(db, name)
        if confirmed or pending or config.newsletter(name).signup:
            click.echo(
                _(
                    "Sign-ups of {name} on the web: {confirmed} confirmed (the list "
                    "{list_name!r}, sent to with the default list), {pending} awaiting "
                    "confirmation (never sent to)."
                ).format(
                    name=name, confirmed=confirmed, list_name=signups.LIST_NAME, pending=pending
                )
            )


def signup_rows(
    config: Config, db: Connection, key: str | None, held: set[str]
) -> tuple[list[str], list[list[str]]]:
    """The confirmed sign-ups of newsletter KEY with their consent, minus HELD hashes."""
    if not key:
        raise click.UsageError(
            _("The list {list_name!r} is a newsletter's own: give --newsletter KEY.").format(
                list_name=signups.LIST_NAME
            )
        )
    header = ["email", "name", "signed_up_at", "confirmed_at", "consent_version", "language",
              "source"]  # fmt: skip
    rows = [
        [m.address, m.name, m.signed_up_at, m.confirmed_at, m.consent_version, m.language,
         m.source]
        for m in signups.members(db, config.newsletter(key).key)
        if suppression.address_hash(m.address) not in held
    ]  # fmt: skip
    return header, rows
