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
]

import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

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
    click.echo(f"Newsletter: {newsletter.name} ({newsletter.key})")
    click.echo(f"Subject:    {issue.subject_line}")
    click.echo(f"Lists:      {', '.join(plan.lists)}")
    if plan.recipients is not None:
        for problem in plan.recipients.problems[:10]:
            click.echo(f"{problem}: left out", err=True)
        if len(plan.recipients.problems) > 10:
            click.echo(f"... and {len(plan.recipients.problems) - 10} more bad rows", err=True)
    if plan.send is None:
        left_out = [f"{plan.suppressed} left out as suppressed"] if plan.suppressed else []
        if plan.recipients is not None and plan.recipients.problems:
            left_out.append(f"{len(plan.recipients.problems)} bad row(s) left out")
        extra = f" ({', '.join(left_out)})" if left_out else ""
        click.echo(f"Recipients: {plan.counts.queued}{extra}")
        return
    c = plan.counts
    click.echo(
        f"Resuming the send started {plan.send.created_at}: {c.sent} sent, {c.queued} queued, "
        f"{c.sending} uncertain, {c.failed} failed, {c.skipped} skipped."
    )
    echo_changes(plan, options)
    if c.sending and not options.resend_uncertain:
        click.echo(
            f"{c.sending} message(s) are uncertain: an earlier run stopped while sending them, "
            "so they may or may not have arrived. They are not sent again; to send them "
            f"anyway, run: newsletter send {issue_path} --resend-uncertain"
        )
    if plan.suppressed_failures:
        click.echo(
            f"{plan.suppressed_failures} of the failed address(es) are on the suppression "
            "list now (bounced or unsubscribed): they are not tried again."
        )
    if c.failed and not options.retry_failed:
        click.echo(
            f"{c.failed} failed earlier (see: newsletter status {issue_path}); to try "
            f"them again: newsletter send {issue_path} --retry-failed"
        )


def echo_changes(plan: Plan, options: Options) -> None:
    changes = plan.changes
    if not changes:
        return
    assert plan.send is not None
    click.echo(
        f"The lists changed since this send started ({plan.send.created_at}): "
        f"{len(changes.added)} new, {changes.removed} taken off, {changes.changed} with "
        "another name or fields."
    )
    click.echo(
        "The send goes on with the recipients recorded when it started: "
        f"{len(changes.removed_unsent)} taken off the lists and not yet sent to are skipped; "
        "names and fields stay as recorded."
    )
    if changes.added and options.add_new:
        click.echo(f"The {len(changes.added)} new subscriber(s) are added (--add-new).")
    elif changes.added:
        click.echo(
            f"The {len(changes.added)} new subscriber(s) are not added; to send to "
            "them too, run again with --add-new."
        )


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
    where = f"to {report.transport}"
    if not config.smtp.host:
        where = f"into {outbox_path(config, plan.issue)}/ (one .eml file each: open them "
        where += "with any mail program)"
    failed = f" {report.failed} failed:" if report.failed else ""
    click.echo(f"Sent {report.sent} message(s) {where}.{failed}")
    for failure in report.failures[:20]:
        click.echo(f"  {failure.address}: {failure.reply}")
    again = f"newsletter send {issue_path}"
    if report.refused_alike:
        click.echo(
            f"The server gave {report.refused_alike} addresses in a row the same refusal: "
            f"{report.stopped}\nThe send is stopped; everything sent so far is recorded. "
            "The server is refusing everyone, not these addresses: ask its administrator "
            f"why (quota, a blocked account), then continue with: {again}\nand send to the "
            f"ones refused this way with: {again} --retry-failed",
            err=True,
        )
    elif report.stopped and not report.stalled:
        click.echo(
            f"The server refused the message and every further one: {report.stopped}\n"
            "The send is stopped; everything sent so far is recorded. This is a policy "
            "rejection: ask the mail server's administrator why (sender address, SPF/DKIM, "
            f"quota), then continue with: {again}",
            err=True,
        )
    if report.stalled:
        click.echo(
            f"The server asked to wait for {report.stalled} s and accepted nothing meanwhile: "
            f"{report.stopped}\nThe send is stopped; everything sent so far is recorded. "
            f"Try again later with: {again}",
            err=True,
        )
    if report.uncertain:
        _echo_uncertain(report, again)
    if report.error and report.unrecorded:
        _echo_unrecorded(report, again)
    elif report.error:
        click.echo(
            f"The send stopped: {report.error}\nEverything sent so far is recorded. "
            f"When the problem is fixed, continue with: {again}",
            err=True,
        )
    for warning in report.warnings:
        click.echo(f"Warning: {warning}", err=True)
    if report.aborted:
        click.echo(
            "Interrupted twice: the messages in flight may or may not have arrived; "
            f"they are reported as uncertain. Continue with: {again}",
            err=True,
        )
    elif report.interrupted:
        click.echo(
            f"Interrupted: the messages in flight were finished and recorded. "
            f"{queued} not sent yet. Continue with: {again}",
            err=True,
        )
    elif queued and not report.stopped and not report.error:
        click.echo(f"{queued} message(s) still queued. Send on with: {again}")
    echo_receipts(report.receipts)


def _echo_unrecorded(report: RunReport, again: str) -> None:
    """The journal could not be written: say exactly what it does not know."""
    click.echo(f"The send stopped: {report.error}", err=True)
    if report.unrecorded:
        click.echo(
            f"The journal could not record what became of these {len(report.unrecorded)} "
            "message(s); it lists them as uncertain. Keep this list:",
            err=True,
        )
        for delivery in report.unrecorded:
            click.echo(f"  {delivery.address}: {delivery.outcome}: {delivery.reply}", err=True)
    click.echo(
        f"When the problem is fixed, continue with: {again}\nIt goes on with the rest. The "
        "uncertain ones are sent again only with --resend-uncertain; those marked 'sent' "
        "above did arrive.",
        err=True,
    )


def _echo_uncertain(report: RunReport, again: str) -> None:
    """Connections lost after the data went out: say which, and how to send them again."""
    click.echo(
        f"{len(report.uncertain)} message(s) are uncertain: the connection was lost after the "
        "message was sent, before the server confirmed it, so it may or may not have "
        "arrived:",
        err=True,
    )
    for delivery in report.uncertain[:20]:
        click.echo(f"  {delivery.address}: {delivery.reply}", err=True)
    click.echo(
        f"They are not sent again by themselves; to send them anyway: {again} --resend-uncertain",
        err=True,
    )


def echo_receipts(paths: Sequence[Path]) -> None:
    from newsletter.audience.csvfile import display_path

    if paths:
        click.echo("Receipt: " + ", ".join(display_path(p) for p in paths))


class Progress:
    """A rich progress bar with rate and ETA on a terminal; a line every few seconds otherwise.

    The engine reports a few times a second (never per message), with what it waits for.
    """

    def __init__(self, total: int) -> None:
        self.total, self.done = total, 0
        self.started = self.shown = time.monotonic()
        self.note = ""
        self.bar: Any = None

    def start(self) -> None:
        self.started = self.shown = time.monotonic()
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
                TextColumn("Sending"),
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
        self.done = progress.done
        rate = f"{self.done / max(time.monotonic() - self.started, 1e-6):,.0f}/s"
        note = progress.waiting
        if progress.retrying and not note:
            note = f"{progress.retrying} to try again"
        if self.bar is not None:
            self.bar.update(self.task, completed=self.done, rate=rate, note=note)
        elif self.done == self.total or note != self.note or time.monotonic() - self.shown > 5:
            # Not a terminal (a log file, cron): a line every few seconds, not a bar, and
            # one whenever the reason to wait changes.
            self.shown = time.monotonic()
            click.echo(f"Sent {self.done}/{self.total} ({rate})" + (f"; {note}" if note else ""),
                       err=True)  # fmt: skip
        self.note = note

    def stop(self) -> None:
        if self.bar is not None:
            self.bar.stop()
            self.bar = None


def echo_rows(db: Connection, send: Send, status: str, title: str) -> None:
    from newsletter.delivery import journal

    rows = journal.rows(db, send, statuses=[status])  # type: ignore[list-item]
    first = next(rows, None)
    if first is None:
        return
    click.echo(title)
    for row in (first, *rows):
        click.echo(f"  {row['address']}: {row['reply'] or 'no reply recorded'}")
