"""`newsletter send`: a thin wrapper around newsletter.delivery (status is in cli.status)."""

from __future__ import annotations

__all__ = ["COMMANDS"]

import asyncio
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import click

from newsletter.cli.audience_report import describe_reader
from newsletter.cli.corrections import echo_changed_file
from newsletter.cli.project import load_issue
from newsletter.cli.send_report import (
    Progress,
    echo_plan,
    echo_receipts,
    echo_report,
    outbox_path,
    shown_connection,
)
from newsletter.errors import SendError
from newsletter.translate import _, ngettext

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
    "--as",
    "as_address",
    metavar="ADDRESS",
    help="With --test: the copy shows what this subscriber's copy shows (name and personal "
    "fields from the list). Default: the test address's own row, else the list's first.",
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
    help="Also send to those added to the lists since the send started, even after it finished.",
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
    as_address: str | None,
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
    shown, listed in a CSV file with those left out and why, and recorded before the
    first message. Running the command again resumes an interrupted send and never
    sends a message twice; --add-new sends a finished issue to those added since.
    Without an SMTP host in newsletter.toml, the messages are written to the outbox
    folder as .eml files. Before anything is recorded, the checks of `newsletter
    check` run: an error refuses the send (a --test send only warns).
    The state database is backed up before and after (see `newsletter state`), and
    a send refuses to start on a database that lacks sends the project shows.
    Exits 0 when every message was sent, 1 when any failed.

    \b
    Example:
        newsletter send issues/medborgardialog-2020-06.yaml --test me@example.org
        newsletter send issues/medborgardialog-2020-06.yaml --test me@example.org \\
            --as anna.lindqvist@linkoping.example.se
        newsletter send issues/medborgardialog-2020-06.yaml --dry-run
        newsletter send issues/medborgardialog-2020-06.yaml
    """
    from newsletter.delivery.planning import Options

    if tests and (dry_run or limit or resend_uncertain or retry_failed or add_new):
        raise click.UsageError(
            _("--test sends only to the test addresses: leave out the rest.")
        )  # fmt: skip
    if as_address and not tests:
        raise click.UsageError(
            _("--as says whose copy a --test shows: give --test ADDRESS as well.")
        )  # fmt: skip
    if retry_failed and add_new:
        raise click.UsageError(
            _("--retry-failed sends to failed rows only: leave out --add-new.")
        )  # fmt: skip
    from newsletter.cli.check import check_before_send as _precheck
    from newsletter.delivery import planning, sendlock
    from newsletter.delivery.runs import file_sha256

    issue, config = load_issue(issue_path)
    if tests:
        rendered = _render(issue, config)
        _precheck(issue_path, issue, config, rendered, None, offline=offline, test=True)
        raise SystemExit(_send_test(config, rendered, tests, as_address, lists))
    options = Options(lists, limit, resend_uncertain, retry_failed, add_new, new_key)
    db = _state(config)
    with sendlock.lock(config, db, issue.newsletter, issue.slug):
        # The lists before the rendering: see the note in newsletter.delivery.campaign.
        found = planning.plan(config, db, issue, options)
        found.issue_sha256 = file_sha256(issue_path)
        rendered = _render(issue, config)
        echo_plan(config, found, options, issue_path)
        echo_changed_file(db, issue.newsletter, issue.slug, issue_path)
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


def _send_test(
    config: Config,
    rendered: RenderedIssue,
    addresses: Sequence[str],
    as_address: str | None,
    lists: Sequence[str],
) -> int:
    from newsletter.audience.addresses import given_address
    from newsletter.delivery.campaign import send_test
    from newsletter.delivery.message import Recipient
    from newsletter.review.reader import test_reader

    emails = [given_address(a) for item in addresses for a in item.split(",") if a.strip()]
    newsletter = rendered.issue.newsletter
    readers = [test_reader(config, newsletter, to=email, as_address=as_address, lists=lists)
               for email in emails]  # fmt: skip
    people = [Recipient(email, reader.name, reader.fields)
              for email, reader in zip(emails, readers, strict=True)]  # fmt: skip
    where, results = asyncio.run(send_test(config, rendered, people))
    where = shown_connection(where)
    click.echo(
        ngettext(
            "Sent a test to {n} address via {where}:", "Sent a test to {n} addresses via {where}:",
            len(emails),
        ).format(n=len(emails), where=where)
    )  # fmt: skip
    for (email, result), reader in zip(results, readers, strict=True):
        click.echo(f"  {email}: {result.outcome}: {result.reply}")
        click.echo("    " + _("as {reader} gets it").format(reader=describe_reader(reader)))
    return 1 if any(result.outcome != "sent" for _email, result in results) else 0


# --- the plan, --dry-run ---------------------------------------------------------------


def _dry_run(
    config: Config, db: Connection, plan: Plan, rendered: RenderedIssue, options: Options
) -> int:
    from newsletter.delivery import campaign

    sizes, failures = campaign.dry_run(config, db, plan, rendered, options)
    for address, reason in failures:
        click.echo(_("{address}: would fail: {reason}").format(address=address, reason=reason),
                   err=True)  # fmt: skip
    if config.smtp.host:
        where = shown_connection(asyncio.run(campaign.check(config, plan.issue)))
        click.echo(
            _("Connected to {where}: the server accepts the connection.").format(where=where)
        )
    else:
        where = outbox_path(config, plan.issue)
    if sizes:
        built = ngettext(
            "Built {n} message: {average:,} bytes on average, the largest {largest:,} bytes.",
            "Built {n} messages: {average:,} bytes on average, the largest {largest:,} bytes.",
            len(sizes),
        )
        click.echo(built.format(n=len(sizes), average=sum(sizes) // len(sizes), largest=max(sizes)))
    would = ngettext(
        "Dry run: {n} message would be sent to {where}. Nothing was sent and nothing was recorded.",
        "Dry run: {n} messages would be sent to {where}. Nothing was sent and nothing was "
        "recorded.",
        len(sizes),
    )
    click.echo(would.format(n=len(sizes), where=where))
    if failures:
        click.echo(
            _("{n} message(s) would fail: fix those rows in the list first.").format(
                n=len(failures))
        )  # fmt: skip
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
    from newsletter.cli.project import confirm as ask
    from newsletter.delivery import campaign, journal

    todo = plan.todo(options)
    if todo == 0:
        return _nothing_to_do(config, db, plan, issue_path)
    progress = Progress(todo)

    def confirm(transport: str) -> bool:
        click.echo(_("Delivery:   {transport}").format(transport=shown_connection(transport)))
        if yes or ask(
            ngettext("Send {n} message now?", "Send {n} messages now?", todo).format(n=todo)
        ):
            progress.start()
            return True
        return False

    try:
        report = asyncio.run(campaign.send(config, db, plan, rendered, options, confirm=confirm,
                                           on_progress=progress.update))  # fmt: skip
    finally:
        progress.stop()
    if report is None:
        click.echo(_("Nothing was sent."))
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
            _("{lists}: nobody to send to (after leaving out {suppressed} suppressed). Add "
              "subscribers to the list, or choose another with --list.").format(
                lists=", ".join(plan.lists), suppressed=plan.suppressed)
        )  # fmt: skip
    from newsletter.delivery.campaign import conclude

    click.echo(
        _("Nothing left to send. See the details with: newsletter status {issue}").format(
            issue=issue_path)
    )  # fmt: skip
    if plan.send.finished_at and not c.failed and not c.sending:
        click.echo(
            _("To send it to those added to the lists since, run: newsletter send {issue} "
              "--add-new").format(issue=issue_path)
        )  # fmt: skip
    echo_receipts(conclude(config, db, plan.send, transport="", rewrite=False))
    return 1 if c.failed or c.sending else 0


COMMANDS: list[click.Command] = [send_command]
