"""`newsletter send` and `newsletter status`: thin wrappers around newsletter.delivery."""

from __future__ import annotations

__all__ = ["COMMANDS"]

import asyncio
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import click

from newsletter.cli.send_report import (
    Progress,
    echo_plan,
    echo_receipts,
    echo_report,
    echo_rows,
    outbox_path,
)
from newsletter.errors import SendError

if TYPE_CHECKING:
    from newsletter.config import Config
    from newsletter.content.model import Issue
    from newsletter.delivery.planning import Options, Plan
    from newsletter.render.issue import RenderedIssue
    from newsletter.state import Connection

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
@click.option(
    "--new-key",
    is_flag=True,
    help="Sign the links with a key other than the last send's, on purpose: the "
    "unsubscribe links in every message sent before stop working.",
)
@click.option(
    "--offline",
    is_flag=True,
    help="Leave out the checks that need the network (links, DNS, the web side), e.g. "
    "when a site the issue links to is down and you send anyway.",
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
    new_key: bool,
    offline: bool,
) -> None:
    """Send ISSUE to its newsletter's subscribers, each exactly once.

    The recipients (the lists, duplicates merged, minus the suppression list) are
    recorded before the first message. Running the command again resumes an
    interrupted send and never sends a message twice. Without an SMTP host in
    newsletter.toml, the messages are written to the outbox folder as .eml files.
    Before anything is recorded, the checks of `newsletter check` run: an error
    refuses the send (a --test send only warns).
    The state database is backed up before and after (see `newsletter state`), and
    a send refuses to start on a database that lacks sends the project shows.
    Exits 0 when every message was sent, 1 when any failed.

    \b
    Example:
        newsletter send issues/medborgardialog-2020-06.yaml --test me@example.org
        newsletter send issues/medborgardialog-2020-06.yaml --dry-run
        newsletter send issues/medborgardialog-2020-06.yaml
    """
    from newsletter.delivery.planning import Options

    if tests and (dry_run or lists or limit or resend_uncertain or retry_failed or add_new):
        raise click.UsageError("--test sends only to the test addresses: leave out the rest.")
    if retry_failed and add_new:
        raise click.UsageError("--retry-failed sends to failed rows only: leave out --add-new.")
    from newsletter.cli.check import check_before_send as _precheck
    from newsletter.content.project import load
    from newsletter.delivery import planning, sendlock

    issue, config = load(issue_path)
    if tests:
        rendered = _render(issue, config)
        _precheck(issue_path, issue, config, rendered, None, offline=offline, test=True)
        raise SystemExit(_send_test(config, rendered, tests))
    options = Options(lists, limit, resend_uncertain, retry_failed, add_new, new_key)
    db = _state(config)
    with sendlock.lock(config, db, issue.newsletter, issue.slug):
        # The lists before the rendering: see the note in newsletter.delivery.campaign.
        found = planning.plan(config, db, issue, options)
        rendered = _render(issue, config)
        echo_plan(config, found, options, issue_path)
        errors = 0
        if found.todo(options):
            # No name of ours may keep the lists alive: the send frees them once frozen.
            errors = _precheck(issue_path, issue, config, rendered, found.recipients,
                               offline=offline, test=False)  # fmt: skip
            if errors and not dry_run:
                raise SystemExit(1)
        if dry_run:
            raise SystemExit(_dry_run(config, db, found, rendered, options) or min(errors, 1))
        raise SystemExit(_send(config, db, found, rendered, options, issue_path, yes=yes))


def _render(issue: Issue, config: Config) -> RenderedIssue:
    from newsletter.render.issue import render_issue

    # Its warnings are among the findings of the check that runs next.
    return render_issue(issue, config)


def _state(config: Config) -> Connection:
    from newsletter.state import connect

    return connect(config)


# --- --test ----------------------------------------------------------------------------


def _send_test(config: Config, rendered: RenderedIssue, addresses: Sequence[str]) -> int:
    from newsletter.audience.addresses import given_address
    from newsletter.delivery.campaign import send_test

    emails = [given_address(a) for item in addresses for a in item.split(",") if a.strip()]
    where, results = asyncio.run(send_test(config, rendered, emails))
    click.echo(f"Sent a test to {len(emails)} address(es) via {where}:")
    for email, result in results:
        click.echo(f"  {email}: {result.outcome}: {result.reply}")
    return 1 if any(result.outcome != "sent" for _, result in results) else 0


# --- the plan, --dry-run ---------------------------------------------------------------


def _dry_run(
    config: Config, db: Connection, plan: Plan, rendered: RenderedIssue, options: Options
) -> int:
    from newsletter.delivery import campaign

    sizes, failures = campaign.dry_run(config, db, plan, rendered, options)
    for address, reason in failures:
        click.echo(f"{address}: would fail: {reason}", err=True)
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
    if failures:
        click.echo(f"{len(failures)} message(s) would fail: fix those rows in the list first.")
    return 1 if failures else 0


# --- the send --------------------------------------------------------------------------


def _send(
    config: Config,
    db: Connection,
    plan: Plan,
    rendered: RenderedIssue,
    options: Options,
    issue_path: Path,
    *,
    yes: bool,
) -> int:
    from newsletter.delivery import campaign, journal

    todo = plan.todo(options)
    if todo == 0:
        return _nothing_to_do(config, db, plan, issue_path)
    progress = Progress(todo)

    def confirm(transport: str) -> bool:
        click.echo(f"Delivery:   {transport}")
        if yes or click.confirm(f"Send {todo} message(s) now?", err=True):
            progress.start()
            return True
        return False

    try:
        report = asyncio.run(campaign.send(config, db, plan, rendered, options, confirm=confirm,
                                           on_progress=progress.update))  # fmt: skip
    finally:
        progress.stop()
    if report is None:
        click.echo("Nothing was sent.")
        return 1
    assert report.send is not None
    counts = journal.counts(db, report.send)
    echo_report(report, issue_path, counts.queued, config, plan)
    if report.interrupted:
        return 130
    failed = counts.failed or counts.sending or report.stopped or report.error
    return 1 if failed or report.unrecorded else 0


def _nothing_to_do(config: Config, db: Connection, plan: Plan, issue_path: Path) -> int:
    c = plan.counts
    if plan.send is None:
        raise SendError(
            f"{', '.join(plan.lists)}: nobody to send to (after leaving out {plan.suppressed} "
            "suppressed). Add subscribers to the list, or choose another with --list."
        )
    from newsletter.delivery.campaign import conclude

    click.echo(f"Nothing left to send. See the details with: newsletter status {issue_path}")
    echo_receipts(conclude(config, db, plan.send, transport="", rewrite=False))
    return 1 if c.failed or c.sending else 0


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
    from newsletter.audience.csvfile import display_path
    from newsletter.content.project import load
    from newsletter.delivery import journal, receipt, sendlock

    issue, config = load(issue_path)
    db = _state(config)
    send = journal.find(db, issue.newsletter, issue.slug)
    if send is None:
        click.echo(f"{issue.newsletter}/{issue.slug} has not been sent yet.")
        return
    c = journal.counts(db, send)
    running = sendlock.running(config, db, send.newsletter, send.slug)
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
    echo_rows(db, send, "failed", "Failed (the server's reply):")
    if not running:
        echo_rows(
            db,
            send,
            "sending",
            "Uncertain (may or may not have arrived; resend "
            f"with: newsletter send {issue_path} --resend-uncertain):",
        )
    found = [path for path in receipt.paths(config, send) if path.exists()]
    if found:
        click.echo("Receipts: " + ", ".join(display_path(p) for p in found))


COMMANDS: list[click.Command] = [send_command, status_command]
