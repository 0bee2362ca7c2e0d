"""`newsletter status`: how the send of an issue went, and why its last run stopped."""

from __future__ import annotations

__all__ = ["COMMANDS"]

from pathlib import Path
from typing import TYPE_CHECKING

import click

from newsletter.cli.corrections import echo_changed_file
from newsletter.cli.project import load_issue
from newsletter.cli.send_report import echo_rows
from newsletter.translate import _

if TYPE_CHECKING:
    from newsletter.delivery.journal import Counts
    from newsletter.delivery.runs import Story

ISSUE = click.Path(exists=True, dir_okay=False, path_type=Path)


@click.command("status")
@click.argument("issue_path", metavar="ISSUE", type=ISSUE)
def status_command(issue_path: Path) -> None:
    """Show how the send of ISSUE went: the counts, why the last run stopped, the
    failures with the server's replies, the uncertain messages, and the receipts.

    \b
    Example:
        newsletter status issues/medborgardialog-2020-06.yaml
    """
    from newsletter.audience.csvfile import display_path
    from newsletter.delivery import journal, receipt, runs, sendlock
    from newsletter.state import connect

    issue, config = load_issue(issue_path)
    db = connect(config)
    send = journal.find(db, issue.newsletter, issue.slug)
    if send is None:
        click.echo(
            _("{newsletter}/{slug} has not been sent yet.").format(
                newsletter=issue.newsletter, slug=issue.slug
            )
        )
        return
    c = journal.counts(db, send)
    running = sendlock.running(config, db, send.newsletter, send.slug)
    click.echo(f"{send.newsletter}/{send.slug}: {send.subject}")
    lists = ", ".join(send.lists)
    if send.finished_at:
        click.echo(_("Lists: {lists}; started {started}, finished {finished}").format(
            lists=lists, started=send.created_at, finished=send.finished_at))  # fmt: skip
    else:
        click.echo(_("Lists: {lists}; started {started}").format(
            lists=lists, started=send.created_at))  # fmt: skip
    if running:
        click.echo(_("A send of this issue is running right now."))
    counts = _(
        "{total} recipients: {sent} sent, {failed} failed, {sending} uncertain, {queued} queued, "
        "{skipped} skipped."
    )
    if running:
        counts = _(
            "{total} recipients: {sent} sent, {failed} failed, {sending} sending now, "
            "{queued} queued, {skipped} skipped."
        )
    click.echo(counts.format(total=c.total, sent=c.sent, failed=c.failed, sending=c.sending,
                             queued=c.queued, skipped=c.skipped))  # fmt: skip
    if not running:
        _echo_story(runs.story(db, send), c, issue_path)
    echo_changed_file(db, issue.newsletter, issue.slug, issue_path)
    echo_rows(db, send, "failed", _("Failed (the server's reply):"))
    if not running:
        echo_rows(db, send, "sending", _(
            "Uncertain (may or may not have arrived; resend with: newsletter send {issue} "
            "--resend-uncertain):").format(issue=issue_path))  # fmt: skip
    found = [path for path in receipt.paths(config, send) if path.exists()]
    if found:
        click.echo(_("Receipts: {paths}").format(paths=", ".join(display_path(p) for p in found)))


def _echo_story(story: Story, c: Counts, issue_path: Path) -> None:
    """Why the last run stopped, and what to do now."""
    again = f"newsletter send {issue_path}"
    if story.ending is None:
        # Recorded before the tool kept its endings: the note is all there is.
        if story.note:
            click.echo(_("The last run stopped: {note}").format(note=story.note))
        return
    text = {
        "finished": _("The last run finished: every message was handed over or failed."),
        "interrupted": _(
            "The last run was stopped with Ctrl-C; the messages in flight were finished and "
            "recorded. {queued} not sent yet. Continue with: {again}"
        ),
        "aborted": _(
            "The last run was stopped with Ctrl-C twice: the messages in flight are uncertain. "
            "Continue with: {again}"
        ),
        "running": _(
            "The last run ended without finishing (the process was killed, the computer "
            "stopped, or it crashed): {sending} message(s) are uncertain, {queued} not sent "
            "yet. Continue with: {again}"
        ),
        "policy": _(
            "The last run was stopped by the mail server's refusal: {note}\n"
            "Ask the server's administrator why (sender address, SPF/DKIM), then continue "
            "with: {again}"
        ),
        "quota": _(
            "The last run stopped at a quota: the server refused every message alike: {note}\n"
            "Wait until the quota allows more (often the next hour or day), or ask the "
            "server's administrator; then continue with: {again}"
        ),
        "error": _(
            "The last run stopped because of an error: {note}\n"
            "When the problem is fixed, continue with: {again}"
        ),
        "limit": _("The last run stopped at --limit: {queued} not sent yet. Send on with: {again}"),
    }[story.ending]
    click.echo(text.format(queued=c.queued, sending=c.sending, again=again, note=story.note))


COMMANDS: list[click.Command] = [status_command]
