"""`newsletter subscribers suppress | unsuppress | suppressed | forget`."""

from __future__ import annotations

__all__ = [
    "forget",
    "newsletter_key",
    "suppress_",
    "suppressed",
    "unsuppress",
]

from typing import TYPE_CHECKING

import click

# Light (sqlite3 only): its reasons are the choices of the options below.
from newsletter.audience import suppression
from newsletter.cli.project import open_state
from newsletter.errors import SubscriberError

if TYPE_CHECKING:
    from newsletter.config import Config


def newsletter_key(config: Config, key: str | None) -> str:
    """The configured newsletter KEY (ConfigError if unknown); without one, every newsletter."""
    return config.newsletter(key).key if key else suppression.ALL


@click.command(name="suppress")
@click.argument("address")
@click.option(
    "--reason", type=click.Choice(suppression.REASONS), default="manual", show_default=True
)
@click.option(
    "--newsletter",
    "key",
    metavar="KEY",
    help="Only for this newsletter (default: every newsletter).",
)
@click.option("--source", default="command line", show_default=True, help="Where you learnt it.")
def suppress_(address: str, reason: suppression.Reason, key: str | None, source: str) -> None:
    """Never mail ADDRESS again (from any list), for every newsletter or one.

    \b
    Example:
        newsletter subscribers suppress anna@example.org --reason unsubscribed \\
            --newsletter medborgardialog --source "asked by phone"
    """
    from newsletter.audience.addresses import given_address

    config, db = open_state()
    email, newsletter = given_address(address), newsletter_key(config, key)
    scope = f"newsletter {newsletter}" if newsletter else "every newsletter"
    if suppression.suppress(db, email, reason=reason, source=source, newsletter=newsletter):
        click.echo(f"{email} is now suppressed for {scope} ({reason}).")
    else:
        click.echo(f"{email} was already suppressed for {scope}; the entry is unchanged.")


@click.command()
@click.argument("address")
@click.option("--newsletter", "key", metavar="KEY", help="Only lift the entry for this newsletter.")
def unsuppress(address: str, key: str | None) -> None:
    """Allow ADDRESS to be mailed again (after it asked to re-subscribe).

    \b
    Example:
        newsletter subscribers unsuppress anna@example.org
    """
    from newsletter.audience.addresses import given_address

    config, db = open_state()
    email = given_address(address)
    newsletter = config.newsletter(key).key if key else None
    removed = suppression.unsuppress(db, email, newsletter=newsletter)
    if not removed:
        raise SubscriberError(
            f"{email} is not on the suppression list{' for ' + key if key else ''}."
        )
    click.echo(f"{email}: {removed} suppression entr{'y' if removed == 1 else 'ies'} removed.")


@click.command()
@click.option("--reason", type=click.Choice(suppression.REASONS), help="Only this reason.")
@click.option(
    "--newsletter",
    "key",
    metavar="KEY",
    help="Only entries for newsletter KEY; 'all': those for every newsletter.",
)
@click.option("--search", help="Only addresses containing this text.")
def suppressed(reason: str | None, key: str | None, search: str | None) -> None:
    """List the suppression list, newest first.

    \b
    Example:
        newsletter subscribers suppressed --reason bounced --search example.org
    """
    config, db = open_state()
    newsletter = None if key is None else "" if key == "all" else config.newsletter(key).key
    found = suppression.entries(db, reason=reason, newsletter=newsletter, search=search)
    for entry in found:
        who = entry.address or f"(forgotten: {entry.address_hash[:12]}…)"
        scope = entry.newsletter or "all"
        click.echo(f"{entry.created_at}  {entry.reason:<12}  {scope:<20}  {who}  {entry.source}")
    click.echo(f"{len(found)} entr{'y' if len(found) == 1 else 'ies'}.", err=True)


@click.command()
@click.argument("address")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def forget(address: str, yes: bool) -> None:
    """Erase ADDRESS (data-protection request): lists, sign-ups, journal, outbox.

    Only a hash of the address is kept, on the suppression list, so it is never
    mailed again.

    \b
    Example:
        newsletter subscribers forget anna@example.org --yes
    """
    from newsletter.audience import privacy
    from newsletter.audience.addresses import given_address
    from newsletter.audience.csvfile import display_path

    config, db = open_state()
    email = given_address(address)
    if not yes:
        click.confirm(f"Erase {email} from every list and the journal?", abort=True)
    report = privacy.forget(config, db, email)
    for label, lines in report.lists.items():
        click.echo(f"{label}: removed line {', '.join(map(str, lines))}.")
    if not report.lists:
        click.echo(f"{email} was on no list in {display_path(config.subscribers_dir)}.")
    click.echo(f"Send journal: address and name erased from {report.journal_rows} row(s).")
    if report.signups:
        click.echo(f"Sign-ups on the web: {report.signups} erased, with their consent records.")
    for path in report.outbox_files:
        click.echo(f"{path}: deleted (a message to {email} written to the outbox).")
    click.echo(f"Suppression list: {report.suppression_entries} entr(ies) kept by hash only.")
    for path in report.receipts:
        click.echo(
            f"{path}: kept; this send receipt names {email}. It is a record of the send: "
            "your archive rules decide whether it may be thinned."
        )
