"""`newsletter send` and `newsletter status`: thin wrappers around newsletter.campaign."""

from __future__ import annotations

__all__ = ["COMMANDS"]

import asyncio
import sqlite3
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from newsletter.errors import SendError

if TYPE_CHECKING:
    from newsletter.campaign import Options, Plan, RunReport
    from newsletter.config import Config
    from newsletter.journal import Send
    from newsletter.model import Issue
    from newsletter.render import RenderedIssue

ISSUE = click.Path(exists=True, dir_okay=False, path_type=Path)


@click.command("send")
@click.argument("issue_path", metavar="ISSUE", type=ISSUE)
@click.option(
    "--list",
    "lists",
    multiple=True,
    metavar="NAME_OR_PATH",
    help="Send to this list (repeatable). Default: the newsletter's default list.",
)
@click.option(
    "--dry-run", is_flag=True, help="Build every message and show what would happen; send nothing."
)
@click.option(
    "--test",
    "tests",
    multiple=True,
    metavar="ADDRESS",
    help="Send only to ADDRESS (repeatable), the subject marked as a test; the "
    "send itself is not started.",
)
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    metavar="N",
    help="Send at most N messages in this run; the rest stays queued for the next.",
)
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@click.option(
    "--resend-uncertain",
    is_flag=True,
    help="Send again the messages an interrupted run may or may not have sent.",
)
@click.option(
    "--retry-failed", is_flag=True, help="Send only to the recipients whose messages failed."
)
@click.option(
    "--add-new",
    is_flag=True,
    help="When resuming: also send to those added to the lists since the send started.",
)
def send_command(
    issue_path: Path,
    lists: Sequence[str],
    dry_run: bool,
    tests: Sequence[str],
    limit: int | None,
    yes: bool,
    resend_uncertain: bool,
    retry_failed: bool,
    add_new: bool,
) -> None:
    """Send ISSUE to its newsletter's subscribers, each exactly once.

    The recipients (the lists, duplicates merged, minus the suppression list) are
    recorded before the first message. Running the command again resumes an
    interrupted send and never sends a message twice. Without an SMTP host in
    newsletter.toml, the messages are written to the outbox folder as .eml files.
    Exits 0 when every message was sent, 1 when any failed.

    \b
    Example:
        newsletter send issues/medborgardialog-2020-06.yaml --test me@example.org
        newsletter send issues/medborgardialog-2020-06.yaml --dry-run
        newsletter send issues/medborgardialog-2020-06.yaml
    """
    from newsletter.campaign import Options

    if tests and (dry_run or lists or limit or resend_uncertain or retry_failed or add_new):
        raise click.UsageError("--test sends only to the test addresses: leave out the rest.")
    if retry_failed and add_new:
        raise click.UsageError("--retry-failed sends to failed rows only: leave out --add-new.")
    from newsletter import campaign
    from newsletter.project import load

    issue, config = load(issue_path)
    if tests:
        raise SystemExit(_send_test(config, _render(issue, config, issue_path), tests))
    options = Options(lists, limit, resend_uncertain, retry_failed, add_new)
    db = _state(config)
    with campaign.lock(config, issue.newsletter, issue.slug):
        # The lists before the rendering: see the note in newsletter.campaign.
        found = campaign.plan(config, db, issue, options)
        rendered = _render(issue, config, issue_path)
        _echo_plan(config, found, options, issue_path)
        if dry_run:
            raise SystemExit(_dry_run(config, db, found, rendered, options))
        raise SystemExit(_send(config, db, found, rendered, options, issue_path, yes=yes))


def _render(issue: Issue, config: Config, path: Path) -> RenderedIssue:
    from newsletter.render import render_issue

    rendered = render_issue(issue, config)
    for warning in rendered.warnings:
        click.echo(f"{path}: warning: {warning}", err=True)
    return rendered


def _state(config: Config) -> sqlite3.Connection:
    from newsletter.state import connect, database_path

    return connect(database_path(config))


# --- --test ----------------------------------------------------------------------------


def _send_test(config: Config, rendered: RenderedIssue, addresses: Sequence[str]) -> int:
    from newsletter.addresses import given_address
    from newsletter.campaign import send_test

    emails = [given_address(a) for item in addresses for a in item.split(",") if a.strip()]
    where, results = asyncio.run(send_test(config, rendered, emails))
    click.echo(f"Sent a test to {len(emails)} address(es) via {where}:")
    for email, result in results:
        click.echo(f"  {email}: {result.outcome}: {result.reply}")
    return 1 if any(result.outcome != "sent" for _, result in results) else 0


# --- the plan, --dry-run ---------------------------------------------------------------


def _echo_plan(config: Config, plan: Plan, options: Options, issue_path: Path) -> None:
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
    _echo_changes(plan, options)
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


def _echo_changes(plan: Plan, options: Options) -> None:
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


def _dry_run(
    config: Config, db: sqlite3.Connection, plan: Plan, rendered: RenderedIssue, options: Options
) -> int:
    from newsletter import campaign

    sizes = campaign.dry_run(config, db, plan, rendered, options)
    if config.smtp.host:
        where = asyncio.run(campaign.check(config, plan.issue))
        click.echo(f"Connected to {where}: the server accepts the connection.")
    else:
        where = outbox_path(config, plan.issue)
    if sizes:
        click.echo(
            f"Built {len(sizes)} message(s): {sum(sizes) // len(sizes):,} bytes on "
            f"average, the largest {max(sizes):,} bytes."
        )
    click.echo(
        f"Dry run: {len(sizes)} message(s) would be sent to {where}. Nothing was sent and "
        "nothing was recorded."
    )
    return 0


def outbox_path(config: Config, issue: Issue) -> str:
    from newsletter.campaign import outbox_folder
    from newsletter.csvfile import display_path

    return display_path(outbox_folder(config, issue.newsletter, issue.slug))


# --- the send --------------------------------------------------------------------------


def _send(
    config: Config,
    db: sqlite3.Connection,
    plan: Plan,
    rendered: RenderedIssue,
    options: Options,
    issue_path: Path,
    *,
    yes: bool,
) -> int:
    from newsletter import campaign, journal

    todo = plan.todo(options)
    if todo == 0:
        return _nothing_to_do(config, db, plan, issue_path)
    progress = _progress(todo)

    def confirm(transport: str) -> bool:
        click.echo(f"Delivery:   {transport}")
        if yes or click.confirm(f"Send {todo} message(s) now?", err=True):
            progress.start()
            return True
        return False

    try:
        report = asyncio.run(campaign.send(config, db, plan, rendered, options, confirm=confirm,
                                           on_result=progress.advance))  # fmt: skip
    finally:
        progress.stop()
    if report is None:
        click.echo("Nothing was sent.")
        return 1
    assert report.send is not None
    counts = journal.counts(db, report.send)
    _echo_report(report, issue_path, counts.queued, config, plan)
    if report.interrupted:
        return 130
    failed = counts.failed or counts.sending or report.stopped or report.error
    return 1 if failed else 0


def _nothing_to_do(config: Config, db: sqlite3.Connection, plan: Plan, issue_path: Path) -> int:
    c = plan.counts
    if plan.send is None:
        raise SendError(
            f"{', '.join(plan.lists)}: nobody to send to (after leaving out {plan.suppressed} "
            "suppressed). Add subscribers to the list, or choose another with --list."
        )
    from newsletter.campaign import conclude

    click.echo(f"Nothing left to send. See the details with: newsletter status {issue_path}")
    _echo_receipts(conclude(config, db, plan.send, transport="", rewrite=False))
    return 1 if c.failed or c.sending else 0


def _echo_report(
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
    elif report.stopped:
        click.echo(
            f"The server refused the message and every further one: {report.stopped}\n"
            "The send is stopped; everything sent so far is recorded. This is a policy "
            "rejection: ask the mail server's administrator why (sender address, SPF/DKIM, "
            f"quota), then continue with: {again}",
            err=True,
        )
    if report.error:
        click.echo(
            f"The send stopped: {report.error}\nEverything sent so far is recorded. "
            f"When the problem is fixed, continue with: {again}",
            err=True,
        )
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
    _echo_receipts(report.receipts)


def _echo_receipts(paths: Sequence[Path]) -> None:
    from newsletter.csvfile import display_path

    if paths:
        click.echo("Receipt: " + ", ".join(display_path(p) for p in paths))


class _progress:
    """A rich progress bar with rate and ETA on a terminal; a line every few seconds otherwise."""

    def __init__(self, total: int) -> None:
        self.total, self.done = total, 0
        self.started = self.shown = time.monotonic()
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
                console=Console(stderr=True),
            )
            self.bar.start()
            self.task = self.bar.add_task("send", total=self.total, rate="")

    def advance(self, outcome: str) -> None:
        self.done += 1
        rate = f"{self.done / max(time.monotonic() - self.started, 1e-6):,.0f}/s"
        if self.bar is not None:
            self.bar.update(self.task, advance=1, rate=rate)
        elif self.done == self.total or time.monotonic() - self.shown > 5:
            # Not a terminal (a log file, cron): a line every few seconds, not a bar.
            self.shown = time.monotonic()
            click.echo(f"Sent {self.done}/{self.total} ({rate})", err=True)

    def stop(self) -> None:
        if self.bar is not None:
            self.bar.stop()
            self.bar = None


# --- status ----------------------------------------------------------------------------


@click.command("status")
@click.argument("issue_path", metavar="ISSUE", type=ISSUE)
def status_command(issue_path: Path) -> None:
    """Show how the send of ISSUE went: the counts, the failures with the server's
    replies, the uncertain messages, and the receipts.

    \b
    Example:
        newsletter status issues/medborgardialog-2020-06.yaml
    """
    from newsletter import campaign, journal, receipt
    from newsletter.csvfile import display_path
    from newsletter.project import load

    issue, config = load(issue_path)
    db = _state(config)
    send = journal.find(db, issue.newsletter, issue.slug)
    if send is None:
        click.echo(f"{issue.newsletter}/{issue.slug} has not been sent yet.")
        return
    c = journal.counts(db, send)
    running = campaign.running(config, send.newsletter, send.slug)
    click.echo(f"{send.newsletter}/{send.slug}: {send.subject}")
    click.echo(
        f"Lists: {', '.join(send.lists)}; started {send.created_at}"
        + (f", finished {send.finished_at}" if send.finished_at else "")
    )
    if running:
        click.echo("A send of this issue is running right now.")
    in_flight = "sending now" if running else "uncertain"
    click.echo(
        f"{c.total} recipients: {c.sent} sent, {c.failed} failed, {c.sending} "
        f"{in_flight}, {c.queued} queued, {c.skipped} skipped."
    )
    if send.note:
        click.echo(f"The last run stopped: {send.note}")
    _echo_rows(db, send, "failed", "Failed (the server's reply):")
    if not running:
        _echo_rows(
            db,
            send,
            "sending",
            "Uncertain (may or may not have arrived; resend "
            f"with: newsletter send {issue_path} --resend-uncertain):",
        )
    found = [path for path in receipt.paths(config, send) if path.exists()]
    if found:
        click.echo("Receipts: " + ", ".join(display_path(p) for p in found))


def _echo_rows(db: sqlite3.Connection, send: Send, status: str, title: str) -> None:
    from newsletter import journal

    rows = journal.rows(db, send, statuses=[status])  # type: ignore[list-item]
    first = next(rows, None)
    if first is None:
        return
    click.echo(title)
    for row in (first, *rows):
        click.echo(f"  {row['address']}: {row['reply'] or 'no reply recorded'}")


COMMANDS: list[click.Command] = [send_command, status_command]
