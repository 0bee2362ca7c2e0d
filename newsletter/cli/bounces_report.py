"""What `newsletter bounces import` prints: a problem on our side first, then what was done.

Everything a person must act on (a problem on our side, reports not tied to our mail,
messages not understood) goes to standard error, which cron mails and systemd keeps
even when standard output is thrown away.
"""

from __future__ import annotations

__all__ = ["echo_report"]

from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from newsletter.bounces.outcome import ImportReport, Outcome, OutcomeKind

# (outcome kind, heading) in the order the report prints them.
_SECTIONS: tuple[tuple[OutcomeKind, str], ...] = (
    ("hard", "Hard bounces, suppressed for every newsletter"),
    ("soft-limit", "Soft bounces that reached the limit, suppressed for every newsletter"),
    ("soft", "Soft bounces counted"),
    ("sender-problem", "Refused because of a problem on our side (counted against nobody)"),
    ("complained", "Spam complaints, suppressed for every newsletter"),
    ("unsubscribed", "Unsubscribe requests by mail"),
    ("delivered", "Delivery notices (nothing to do)"),
    ("feedback", "Feedback reports that are no complaint (nothing to do)"),
    ("auto-reply", "Auto-replies ignored"),
    ("not-ours", "Bounces of mail that is not ours (left alone)"),
    ("done-before", "Imported before (skipped)"),
)
_SHOWN = 3  # addresses shown per problem or unverified report


def echo_report(report: ImportReport, *, summary: bool, err: bool = False) -> bool:
    """Print REPORT (to standard error with ERR); True when a person must look at it."""
    _echo_alarm(report, summary=summary)
    if report.trusted:
        _echo_trusted(report)
    prefix = "Dry run, nothing changed. " if report.dry_run else ""
    click.echo(f"{prefix}{report.path}: {report.messages} message(s) read.", err=err)
    for kind, heading in _SECTIONS:
        found = report.of(kind)
        if found:
            click.echo(f"{heading}: {len(found)}", err=err)
            # Earlier imports were reported then; a long-lived mailbox would repeat them all.
            if not summary and kind != "done-before":
                click.echo("".join(f"  {_line(outcome)}\n" for outcome in found), nl=False,
                           err=err)  # fmt: skip
    unverified = _echo_unverified(report, summary=summary)
    unknown = _echo_not_understood(report, summary=summary)
    if not (unverified or unknown) and report.messages:
        click.echo("Every message was understood.", err=err)
    return bool(unverified or unknown or report.alarm)


def _line(outcome: Outcome) -> str:
    if outcome.kind == "auto-reply":
        return f"{outcome.place}: {outcome.sender} {outcome.subject!r}"
    reported = f" (reported as {outcome.reported})" if outcome.reported else ""
    return f"{outcome.address}{reported}: {outcome.detail}"


def _echo_alarm(report: ImportReport, *, summary: bool) -> None:
    if not report.alarm:
        return
    problems = report.problems()
    total = len({o.message for _, found in problems for o in found})
    click.echo(
        f"Attention: {total} report(s) say that receiving servers refused the newsletter "
        "because of a problem on our side, not because of the readers' addresses. "
        "No reader was suppressed or counted for them. Fix this before the next send:",
        err=True,
    )
    for problem, found in problems:
        click.echo(f"  * {len(found)} report(s): {problem.title}.", err=True)
        if not summary:
            hosts = sorted({o.address.rpartition("@")[2] for o in found if o.address})
            shown = ", ".join(hosts[:_SHOWN]) + (", …" if len(hosts) > _SHOWN else "")
            click.echo(f"    Readers at: {shown}", err=True)
        click.echo(f"    What to do: {problem.fix}", err=True)
    click.echo("", err=True)


def _echo_trusted(report: ImportReport) -> None:
    trusted = [o for o in report.outcomes if o.tie == "trusted"]
    click.echo(
        f"--trust-unverified: {len(trusted)} address(es) were acted on from reports that "
        "cannot be tied to a message we sent. Anyone can mail such a report to the bounce "
        "address; use this only for a mailbox you have looked through.",
        err=True,
    )


def _echo_unverified(report: ImportReport, *, summary: bool) -> int:
    places: dict[str, list[Outcome]] = {}
    for outcome in report.of("unverified"):
        places.setdefault(outcome.place, []).append(outcome)
    for place, found in places.items():
        addresses = [o.address for o in found if o.address]
        shown = ", ".join(addresses[:_SHOWN]) + (", …" if len(addresses) > _SHOWN else "")
        named = "" if summary or not addresses else f" ({shown})"
        click.echo(f"{place}: a report naming {len(addresses)} address(es){named} suppresses "
                   f"nobody: it {found[0].why}.", err=True)  # fmt: skip
    if places:
        click.echo(
            f"{len(places)} report(s) could not be tied to a message we sent to the address "
            "they name, so they suppress nobody: anyone can mail such a report to the bounce "
            "address. If they are bounces of mail sent before this version of newsletter "
            "(an old mailbox), look through them and import again with --trust-unverified.",
            err=True,
        )
    return len(places)


def _echo_not_understood(report: ImportReport, *, summary: bool) -> int:
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
    return len(unknown)
