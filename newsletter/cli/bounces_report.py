"""What `newsletter bounces import` prints: a problem on our side first, then what was done.

Everything a person must act on (a problem on our side, reports not tied to our mail,
messages not understood) goes to standard error, which cron mails and systemd keeps
even when standard output is thrown away.
"""

from __future__ import annotations

__all__ = ["echo_report"]

from typing import TYPE_CHECKING

import click

from newsletter.translate import N_, _

if TYPE_CHECKING:
    from newsletter.bounces.outcome import ImportReport, Outcome, OutcomeKind

# (outcome kind, heading) in the order the report prints them.
_SECTIONS: tuple[tuple[OutcomeKind, str], ...] = (
    ("hard", N_("Hard bounces, suppressed for every newsletter")),
    ("soft-limit", N_("Soft bounces that reached the limit, suppressed for every newsletter")),
    ("soft", N_("Soft bounces counted")),
    ("sender-problem", N_("Refused because of a problem on our side (counted against nobody)")),
    ("complained", N_("Spam complaints, suppressed for every newsletter")),
    ("unsubscribed", N_("Unsubscribe requests by mail")),
    ("delivered", N_("Delivery notices (nothing to do)")),
    ("feedback", N_("Feedback reports that are no complaint (nothing to do)")),
    ("auto-reply", N_("Auto-replies ignored")),
    ("not-ours", N_("Bounces of mail that is not ours (left alone)")),
    ("done-before", N_("Imported before (skipped)")),
)
_SHOWN = 3  # addresses shown per problem or unverified report


def echo_report(report: ImportReport, *, summary: bool, err: bool = False) -> bool:
    """Print REPORT (to standard error with ERR); True when a person must look at it."""
    _echo_alarm(report, summary=summary)
    if report.trusted:
        _echo_trusted(report)
    read = _("{path}: {messages} message(s) read.")
    if report.dry_run:
        read = _("Dry run, nothing changed. {path}: {messages} message(s) read.")
    click.echo(read.format(path=report.path, messages=report.messages), err=err)
    for kind, heading in _SECTIONS:
        found = report.of(kind)
        if found:
            click.echo(f"{_(heading)}: {len(found)}", err=err)
            # Earlier imports were reported then; a long-lived mailbox would repeat them all.
            if not summary and kind != "done-before":
                click.echo("".join(f"  {_line(outcome)}\n" for outcome in found), nl=False,
                           err=err)  # fmt: skip
    unverified = _echo_unverified(report, summary=summary)
    unknown = _echo_not_understood(report, summary=summary)
    if not (unverified or unknown) and report.messages:
        click.echo(_("Every message was understood."), err=err)
    return bool(unverified or unknown or report.alarm)


def _line(outcome: Outcome) -> str:
    if outcome.kind == "auto-reply":
        return f"{outcome.place}: {outcome.sender} {outcome.subject!r}"
    if outcome.reported:
        return _("{address} (reported as {reported}): {detail}").format(
            address=outcome.address, reported=outcome.reported, detail=outcome.detail
        )
    return f"{outcome.address}: {outcome.detail}"


def _echo_alarm(report: ImportReport, *, summary: bool) -> None:
    if not report.alarm:
        return
    problems = report.problems()
    total = len({o.message for _, found in problems for o in found})
    click.echo(
        _(
            "Attention: {total} report(s) say that receiving servers refused the newsletter "
            "because of a problem on our side, not because of the readers' addresses. No reader "
            "was suppressed or counted for them. Fix this before the next send:"
        ).format(total=total),
        err=True,
    )
    for problem, found in problems:
        click.echo(
            _("  * {n_found} report(s): {title}.").format(
                n_found=len(found), title=_(problem.title)
            ),
            err=True,
        )
        if not summary:
            hosts = sorted({o.address.rpartition("@")[2] for o in found if o.address})
            shown = ", ".join(hosts[:_SHOWN]) + (", …" if len(hosts) > _SHOWN else "")
            click.echo(_("    Readers at: {shown}").format(shown=shown), err=True)
        click.echo(_("    What to do: {fix}").format(fix=_(problem.fix)), err=True)
    click.echo("", err=True)


def _echo_trusted(report: ImportReport) -> None:
    trusted = [o for o in report.outcomes if o.tie == "trusted"]
    click.echo(
        _(
            "--trust-unverified: {n_trusted} address(es) were acted on from reports that cannot "
            "be tied to a message we sent. Anyone can mail such a report to the bounce address; "
            "use this only for a mailbox you have looked through."
        ).format(n_trusted=len(trusted)),
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
        click.echo(
            _(
                "{place}: a report naming {n} address(es){named} suppresses nobody: it {why}."
            ).format(place=place, n=len(addresses), named=named, why=found[0].why),
            err=True,
        )
    if places:
        click.echo(
            _(
                "{n_places} report(s) could not be tied to a message we sent to the address they "
                "name, so they suppress nobody: anyone can mail such a report to the bounce "
                "address. If they are bounces of mail sent before this version of newsletter (an "
                "old mailbox), look through them and import again with --trust-unverified."
            ).format(n_places=len(places)),
            err=True,
        )
    return len(places)


def _echo_not_understood(report: ImportReport, *, summary: bool) -> int:
    unknown = report.of("not-understood")
    for outcome in unknown:
        click.echo(
            _("{place}: not understood: {detail}").format(
                place=outcome.place, detail=outcome.detail
            ),
            err=True,
        )
        if not summary:
            sender, subject = outcome.sender or "(none)", outcome.subject or "(none)"
            click.echo(
                _("    From: {sender}  Subject: {subject}").format(sender=sender, subject=subject),
                err=True,
            )
    if unknown:
        click.echo(
            _(
                "{n_unknown} message(s) could not be understood and were left as they are. Read "
                "them in your mail program and act on them yourself; they are listed again on "
                "every import until you delete or move them."
            ).format(n_unknown=len(unknown)),
            err=True,
        )
    return len(unknown)
