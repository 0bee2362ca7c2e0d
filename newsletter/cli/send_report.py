"""What `newsletter send` and `newsletter status` print: plans, reports, progress."""

from __future__ import annotations

__all__ = [
    "Progress",
    "echo_changes",
    "echo_plan",
    "echo_receipts",
    "echo_report",
    "echo_rows",
    "outbox_path",
    "shown_connection",
]

import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from newsletter.cli.audience_report import echo_recipients, person
from newsletter.translate import N_, _, ngettext

if TYPE_CHECKING:
    from newsletter.config import Config
    from newsletter.content.model import Issue
    from newsletter.delivery.engine import Progress as SendProgress
    from newsletter.delivery.engine import RunReport
    from newsletter.delivery.journal import Send
    from newsletter.delivery.planning import Options, Plan
    from newsletter.state import Connection


# --- the plan ------------------------------------------------------------------------


def echo_plan(config: Config, plan: Plan, options: Options, issue_path: Path) -> None:
    issue, newsletter = plan.issue, config.newsletter(plan.newsletter)
    click.echo(_("Newsletter: {name} ({key})").format(name=newsletter.name, key=newsletter.key))
    click.echo(_("Subject:    {subject}").format(subject=issue.subject_line))
    click.echo(_("Lists:      {lists}").format(lists=", ".join(plan.lists)))
    if plan.recipients is not None:
        for problem in plan.recipients.problems[:10]:
            click.echo(_("{problem}: left out").format(problem=problem), err=True)
        if len(plan.recipients.problems) > 10:
            more = len(plan.recipients.problems) - 10
            click.echo(_("... and {n} more bad rows").format(n=more), err=True)
    if plan.send is None:
        assert plan.recipients is not None
        echo_recipients(config, plan)
        return
    c = plan.counts
    click.echo(
        _(
            "Resuming the send started {started}: {sent} sent, {queued} queued, {sending} "
            "uncertain, {failed} failed, {skipped} skipped."
        ).format(started=plan.send.created_at, sent=c.sent, queued=c.queued, sending=c.sending,
                 failed=c.failed, skipped=c.skipped)
    )  # fmt: skip
    echo_changes(plan, options)
    if c.sending and not options.resend_uncertain:
        click.echo(
            _(
                "{n} message(s) are uncertain: an earlier run stopped while sending them, so "
                "they may or may not have arrived. They are not sent again; to send them "
                "anyway, run: newsletter send {issue} --resend-uncertain"
            ).format(n=c.sending, issue=issue_path)
        )
    if plan.suppressed_failures:
        click.echo(
            _(
                "{n} of the failed address(es) are on the suppression list now (bounced or "
                "unsubscribed): they are not tried again."
            ).format(n=plan.suppressed_failures)
        )
    if c.failed and not options.retry_failed:
        click.echo(
            _(
                "{n} failed earlier (see: newsletter status {issue}); to try them again: "
                "newsletter send {issue} --retry-failed"
            ).format(n=c.failed, issue=issue_path)
        )


def echo_changes(plan: Plan, options: Options) -> None:
    changes = plan.changes
    if not changes:
        return
    assert plan.send is not None
    click.echo(
        _(
            "The lists changed since this send started ({started}): {added} new, {removed} "
            "taken off, {changed} with another name or fields."
        ).format(started=plan.send.created_at, added=len(changes.added),
                 removed=changes.removed, changed=changes.changed)
    )  # fmt: skip
    if not plan.send.finished_at:
        click.echo(
            _(
                "The send goes on with the recipients recorded when it started: {n} taken off "
                "the lists and not yet sent to are skipped; names and fields stay as recorded."
            ).format(n=len(changes.removed_unsent))
        )
    if changes.added and options.add_new:
        click.echo(
            ngettext(
                "The {n} new subscriber is added (--add-new).",
                "The {n} new subscribers are added (--add-new).",
                len(changes.added),
            ).format(n=len(changes.added))
        )
        for subscriber in changes.added[:5]:
            click.echo(f"  {person(subscriber.name, subscriber.email)} ({subscriber.source})")
    elif changes.added:
        click.echo(
            ngettext(
                "The {n} new subscriber is not added; to send to them too, run again with "
                "--add-new.",
                "The {n} new subscribers are not added; to send to them too, run again with "
                "--add-new.",
                len(changes.added),
            ).format(n=len(changes.added))
        )


# smtppool's words for a connection without TLS; the journal and receipt keep them in English.
_PLAIN = (N_("no TLS (loopback)"), N_("no TLS"))


def shown_connection(description: str, /) -> str:
    """DESCRIPTION ("smtp.example.org:587, no TLS") with its words in the editor's language."""
    where, _comma, security = description.rpartition(", ")
    if where and security in _PLAIN:
        return f"{where}, {_(security)}"
    return description


def outbox_path(config: Config, issue: Issue) -> str:
    from newsletter.audience.csvfile import display_path
    from newsletter.delivery.planning import outbox_folder

    return display_path(outbox_folder(config, issue.newsletter, issue.slug))


# --- the report ----------------------------------------------------------------------


def echo_report(
    report: RunReport,
    issue_path: Path,
    queued: int,
    config: Config,
    plan: Plan,
) -> None:
    if config.smtp.host:
        where = _("to {transport}").format(transport=shown_connection(report.transport))
    else:
        where = _("into {outbox}/ (one .eml file each: open them with any mail program)").format(
            outbox=outbox_path(config, plan.issue)
        )
    sent = ngettext("Sent {sent} message {where}.", "Sent {sent} messages {where}.", report.sent)
    click.echo(sent.format(sent=report.sent, where=where))
    if report.failed:
        click.echo(_("{failed} failed:").format(failed=report.failed))
    for failure in report.failures[:20]:
        click.echo(f"  {failure.address}: {failure.reply}")
    again = f"newsletter send {issue_path}"
    if report.refused_alike:
        click.echo(
            _(
                "The server gave {n} addresses in a row the same refusal: {reply}\n"
                "The send is stopped; everything sent so far is recorded. The server is refusing "
                "everyone, not these addresses: ask its administrator why (quota, a blocked "
                "account), then continue with: {again}\n"
                "and send to the ones refused this way with: {again} --retry-failed"
            ).format(n=report.refused_alike, reply=report.stopped, again=again),
            err=True,
        )
    elif report.stopped and not report.stalled:
        click.echo(
            _(
                "The server refused the message and every further one: {reply}\n"
                "The send is stopped; everything sent so far is recorded. This is a policy "
                "rejection: ask the mail server's administrator why (sender address, SPF/DKIM, "
                "quota), then continue with: {again}"
            ).format(reply=report.stopped, again=again),
            err=True,
        )
    if report.stalled:
        click.echo(
            _(
                "The server asked to wait for {seconds} s and accepted nothing meanwhile: "
                "{reply}\nThe send is stopped; everything sent so far is recorded. "
                "Try again later with: {again}"
            ).format(seconds=report.stalled, reply=report.stopped, again=again),
            err=True,
        )
    if report.uncertain:
        _echo_uncertain(report, again)
    if report.error and report.unrecorded:
        _echo_unrecorded(report, again)
    elif report.error:
        click.echo(
            _(
                "The send stopped: {error}\nEverything sent so far is recorded. When the "
                "problem is fixed, continue with: {again}"
            ).format(error=report.error, again=again),
            err=True,
        )
    for warning in report.warnings:
        click.echo(_("Warning: {warning}").format(warning=warning), err=True)
    if report.aborted:
        click.echo(
            _(
                "Interrupted twice: the messages in flight may or may not have arrived; they "
                "are reported as uncertain. Continue with: {again}"
            ).format(again=again),
            err=True,
        )
    elif report.interrupted:
        click.echo(
            _(
                "Interrupted: the messages in flight were finished and recorded. {queued} not "
                "sent yet. Continue with: {again}"
            ).format(queued=queued, again=again),
            err=True,
        )
    elif queued and not report.stopped and not report.error:
        click.echo(
            ngettext(
                "{n} message still queued. Send on with: {again}",
                "{n} messages still queued. Send on with: {again}",
                queued,
            ).format(n=queued, again=again)
        )
    echo_receipts(report.receipts)


def _echo_unrecorded(report: RunReport, again: str) -> None:
    """The journal could not be written: say exactly what it does not know."""
    click.echo(_("The send stopped: {error}").format(error=report.error), err=True)
    if report.unrecorded:
        click.echo(
            _(
                "The journal could not record what became of these {n} message(s); it lists "
                "them as uncertain. Keep this list:"
            ).format(n=len(report.unrecorded)),
            err=True,
        )
        for delivery in report.unrecorded:
            click.echo(f"  {delivery.address}: {delivery.outcome}: {delivery.reply}", err=True)
    click.echo(
        _(
            "When the problem is fixed, continue with: {again}\nIt goes on with the rest. The "
            "uncertain ones are sent again only with --resend-uncertain; those marked 'sent' "
            "above did arrive."
        ).format(again=again),
        err=True,
    )


def _echo_uncertain(report: RunReport, again: str) -> None:
    """Connections lost after the data went out: say which, and how to send them again."""
    click.echo(
        _(
            "{n} message(s) are uncertain: the connection was lost after the message was "
            "sent, before the server confirmed it, so it may or may not have arrived:"
        ).format(n=len(report.uncertain)),
        err=True,
    )
    for delivery in report.uncertain[:20]:
        click.echo(f"  {delivery.address}: {delivery.reply}", err=True)
    click.echo(
        _(
            "They are not sent again by themselves; to send them anyway: {again} --resend-uncertain"
        ).format(again=again),
        err=True,
    )


def echo_receipts(paths: Sequence[Path]) -> None:
    from newsletter.audience.csvfile import display_path

    if paths:
        click.echo(_("Receipt: {paths}").format(paths=", ".join(display_path(p) for p in paths)))


class Progress:
    """A rich progress bar with rate and ETA on a terminal; a line every few seconds otherwise,
    and always a last line with the final counts.

    The engine reports a few times a second (never per message), with what it waits for.
    """

    def __init__(self, total: int) -> None:
        self.total, self.done, self.sent, self.failed = total, 0, 0, 0
        self.started = self.shown = time.monotonic()
        self.note = ""
        self.bar: Any = None
        self.running = False

    def start(self) -> None:
        self.started = self.shown = time.monotonic()
        self.running = True
        if sys.stderr.isatty():
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeRemainingColumn,
            )

            self.bar = Progress(
                TextColumn(_("Sending")),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[rate]}"),
                TimeRemainingColumn(),
                TextColumn("{task.fields[note]}"),
                console=Console(stderr=True),
            )
            self.bar.start()
            self.task = self.bar.add_task("send", total=self.total, rate="", note="")

    def update(self, progress: SendProgress) -> None:
        self.done, self.sent, self.failed = progress.done, progress.sent, progress.failed
        note = progress.waiting
        if progress.retrying and not note:
            note = _("{n} to try again").format(n=progress.retrying)
        if self.bar is not None:
            self.bar.update(self.task, completed=self.done, rate=self._rate(), note=note)
        elif note != self.note or time.monotonic() - self.shown > 5:
            # Not a terminal (a log file, cron): a line every few seconds, not a bar, and
            # one whenever the reason to wait changes.
            self.shown = time.monotonic()
            click.echo(self._line() + (f"; {note}" if note else ""), err=True)
        self.note = note

    def stop(self) -> None:
        if self.bar is not None:
            self.bar.stop()
            self.bar = None
        elif self.running:
            # The last line says where the run really ended: a stop, Ctrl-C or a failure
            # leaves fewer than the total, and failed messages are not sent ones.
            click.echo(self._line(), err=True)
        self.running = False

    def _rate(self) -> str:
        return f"{self.done / max(time.monotonic() - self.started, 1e-6):,.0f}/s"

    def _line(self) -> str:
        return _("Handled {done}/{total}: {sent} sent, {failed} failed ({rate})").format(
            done=self.done, total=self.total, sent=self.sent, failed=self.failed,
            rate=self._rate())  # fmt: skip


def echo_rows(db: Connection, send: Send, status: str, title: str) -> None:
    from newsletter.delivery import journal

    rows = journal.rows(db, send, statuses=[status])  # type: ignore[list-item]
    first = next(rows, None)
    if first is None:
        return
    click.echo(title)
    no_reply = _("no reply recorded")
    for row in (first, *rows):
        click.echo(f"  {row['address']}: {row['reply'] or no_reply}")
