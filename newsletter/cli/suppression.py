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

# Light (no library): its reasons are the choices of the options below.
from newsletter.audience import suppression
from newsletter.cli.project import confirm, open_state
from newsletter.errors import SubscriberError
from newsletter.translate import _, ngettext

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
    if suppression.suppress(db, email, reason=reason, source=source, newsletter=newsletter):
        if newsletter:
            done = _("{email} is now suppressed for newsletter {newsletter} ({reason}).")
        else:
            done = _("{email} is now suppressed for every newsletter ({reason}).")
    elif newsletter:
        done = _(
            "{email} was already suppressed for newsletter {newsletter}; the entry is unchanged."
        )
    else:
        done = _("{email} was already suppressed for every newsletter; the entry is unchanged.")
    click.echo(done.format(email=email, newsletter=newsletter, reason=reason))


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
        if key:
            message = _("{email} is not on the suppression list for {key}.")
        else:
            message = _("{email} is not on the suppression list.")
        raise SubscriberError(message.format(email=email, key=key))
    click.echo(
        ngettext(
            "{email}: {n} suppression entry removed.", "{email}: {n} suppression entries removed.",
            removed,
        ).format(email=email, n=removed)
    )  # fmt: skip


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
    click.echo(
        ngettext("{n} entry.", "{n} entries.", len(found)).format(n=len(found)), err=True
    )  # fmt: skip


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
        confirm(_("Erase {email} from every list and the journal?").format(email=email), abort=True)
    report = privacy.forget(config, db, email)
    for label, lines in report.lists.items():
        click.echo(
            _("{label}: removed line {joined}.").format(
                label=label, joined=", ".join(map(str, lines))
            )
        )
    if not report.lists:
        click.echo(
            _("{email} was on no list in {subscribers_dir}.").format(
                email=email, subscribers_dir=display_path(config.subscribers_dir)
            )
        )
    click.echo(
        _("Send journal: address and name erased from {journal_rows} row(s).").format(
            journal_rows=report.journal_rows
        )
    )
    if report.signups:
        click.echo(
            _("Sign-ups on the web: {signups} erased, with their consent records.").format(
                signups=report.signups
            )
        )
    for path in report.outbox_files:
        click.echo(
            _("{path}: deleted (a message to {email} written to the outbox).").format(
                path=path, email=email
            )
        )
    click.echo(
        _("Suppression list: {suppression_entries} entr(ies) kept by hash only.").format(
            suppression_entries=report.suppression_entries
        )
    )
    for path in report.receipts:
        click.echo(
            _(
                "{path}: kept; this send receipt names {email}. It is a record of the send: your "
                "archive rules decide whether it may be thinned."
            ).format(path=path, email=email)
        )
