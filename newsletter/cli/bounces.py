"""`newsletter bounces import`: read the return mailbox into the suppression list."""

from __future__ import annotations

__all__ = ["COMMANDS", "bounces"]

from pathlib import Path
from typing import TYPE_CHECKING

import click

from newsletter.cli.suppression import open_state

if TYPE_CHECKING:
    from newsletter.bounces.importer import ImportReport, Outcome, OutcomeKind

# (outcome kind, heading) in the order the report prints them.
_SECTIONS: tuple[tuple[OutcomeKind, str], ...] = (
    ("hard", "Hard bounces, suppressed for every newsletter"),
    ("soft-limit", "Soft bounces that reached the limit, suppressed for every newsletter"),
    ("soft", "Soft bounces counted"),
    ("complained", "Spam complaints, suppressed for every newsletter"),
    ("unsubscribed", "Unsubscribe requests by mail"),
    ("delivered", "Delivery notices (nothing to do)"),
    ("auto-reply", "Auto-replies ignored"),
    ("not-ours", "Bounces of mail that is not ours (left alone)"),
    ("done-before", "Imported before (skipped)"),
)


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
def import_(path: Path, dry_run: bool, summary: bool) -> None:
    """Import the mbox file, Maildir folder or .eml file at PATH.

    Hard bounces and spam complaints suppress the address for every newsletter;
    soft bounces (mailbox full, delayed) are counted and suppress it after
    [bounces] soft_limit of them; "unsubscribe TOKEN" requests unsubscribe.
    Auto-replies are ignored. Importing the same mailbox again counts nothing
    twice. Messages that cannot be understood are listed; then the exit status is 1.

    \b
    Example:
        newsletter bounces import ~/Mail/nyhetsbrev-retur.mbox --dry-run
        newsletter bounces import ~/Maildir/.Bounces --summary
    """
    from newsletter.bounces.importer import import_mailbox

    config, db = open_state()
    report = import_mailbox(config, db, path, dry_run=dry_run)
    _print(report, summary=summary)
    if not report.understood:
        raise SystemExit(1)


def _print(report: ImportReport, *, summary: bool) -> None:
    prefix = "Dry run, nothing changed. " if report.dry_run else ""
    click.echo(f"{prefix}{report.path}: {report.messages} message(s) read.")
    for kind, heading in _SECTIONS:
        found = report.of(kind)
        if found:
            click.echo(f"{heading}: {len(found)}")
            # Earlier imports were reported then; a long-lived mailbox would repeat them all.
            if not summary and kind != "done-before":
                click.echo("".join(f"  {_line(outcome)}\n" for outcome in found), nl=False)
    unknown = report.of("not-understood")
    for outcome in unknown:
        click.echo(f"{outcome.place}: not understood: {outcome.detail}", err=True)
        if not summary:
            sender, subject = outcome.sender or "(none)", outcome.subject or "(none)"
            click.echo(f"    From: {sender}  Subject: {subject}", err=True)
    if unknown:
        click.echo(
            f"{len(unknown)} message(s) could not be understood and were left as they are. "
            "Read them in your mail program and act on them yourself; they are listed "
            "again on every import until you delete or move them.",
            err=True,
        )
    elif report.messages:
        click.echo("Every message was understood.")


def _line(outcome: Outcome) -> str:
    if outcome.kind == "auto-reply":
        return f"{outcome.place}: {outcome.sender} {outcome.subject!r}"
    return f"{outcome.address}: {outcome.detail}"


COMMANDS: list[click.Command] = [bounces]
