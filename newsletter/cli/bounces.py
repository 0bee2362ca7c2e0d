"""`newsletter bounces import`: read the return mailbox into the suppression list."""

from __future__ import annotations

__all__ = ["COMMANDS", "bounces"]

import json
from pathlib import Path

import click

from newsletter.cli.project import open_state


@click.group()
def bounces() -> None:
    """Read bounces, complaints and unsubscribe requests into the suppression list.

    \b
    Example:
        newsletter bounces import ~/Mail/nyhetsbrev-retur.mbox --dry-run
    """


@bounces.command(name="import")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--dry-run", is_flag=True, help="Show what would be done; change nothing.")
@click.option(
    "--summary",
    is_flag=True,
    help="Counts only, no addresses, names or subjects: for cron and systemd timers, "
    "whose output ends up in logs.",
)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="One JSON object per message on standard output (message, kind, addresses, "
    "action); the report goes to standard error.",
)
@click.option(
    "--trust-unverified",
    is_flag=True,
    help="Also act on reports that cannot be tied to a message we sent (an old mailbox "
    "from before the tie). Anyone can write such a report: check the mailbox first.",
)
def import_(
    path: Path, dry_run: bool, summary: bool, as_json: bool, trust_unverified: bool
) -> None:
    """Import the mbox file, Maildir folder, .eml or .json file(s) at PATH.

    Hard bounces and spam complaints suppress the address for every newsletter;
    soft bounces (mailbox full, delayed) are counted and suppress it after
    [bounces] soft_limit of them; "unsubscribe TOKEN" requests unsubscribe.
    A report counts only when it is about a message we sent to that address;
    refusals because of a problem on our side (SPF, a blocklist, too many
    messages) count against no reader. Auto-replies are ignored. Importing the
    same mailbox again counts nothing twice. The exit status is 1 when messages
    need a person (not understood, not tied to our mail) or several reports
    point at a problem on our side.

    \b
    Example:
        newsletter bounces import ~/Mail/nyhetsbrev-retur.mbox --dry-run
        newsletter bounces import ~/Maildir/.Bounces --summary
        newsletter bounces import ~/Maildir/.Bounces --json > imported.jsonl
    """
    from newsletter.bounces.importer import import_mailbox
    from newsletter.bounces.jsonlines import messages
    from newsletter.cli.bounces_report import echo_report

    config, db = open_state()
    report = import_mailbox(config, db, path, dry_run=dry_run, trust_unverified=trust_unverified)
    if as_json:
        for found in messages(report):
            click.echo(json.dumps(found, ensure_ascii=False))
    needs_a_person = echo_report(report, summary=summary, err=as_json)
    if needs_a_person:
        raise SystemExit(1)


COMMANDS: list[click.Command] = [bounces]
