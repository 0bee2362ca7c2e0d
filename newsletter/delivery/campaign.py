"""A send of one issue: connect, freeze its recipients, deliver, and conclude with a receipt.

The plan (newsletter.delivery.planning) is worked out first and shown to the editor;
the send then connects (TLS and login checked before anything is recorded), asks for
confirmation, backs the state database up, freezes the recipients in the journal,
publishes the web version, and hands the rows to the engine (newsletter.delivery.engine).
A finished send writes its receipt; every run ends with another backup.
"""

from __future__ import annotations

__all__ = ["check", "conclude", "dry_run", "send", "send_test", "start"]

import json
import ssl
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from newsletter.audience.returnpath import RefSigner
from newsletter.audience.tokens import TokenSigner, load_secret
from newsletter.config import Config
from newsletter.content.model import Issue
from newsletter.delivery import journal, receipt, runs
from newsletter.delivery.engine import Progress, RunReport, deliver
from newsletter.delivery.message import MessageBuilder, Recipient
from newsletter.delivery.planning import Options, Plan, outbox_folder
from newsletter.delivery.ratelimit import RateLimiter
from newsletter.delivery.replies import Result
from newsletter.delivery.source import Database
from newsletter.delivery.transport import open_transport, send_one
from newsletter.errors import RecipientError, StateError
from newsletter.fileio import describe_os_error
from newsletter.state import Connection, backup_folder, target
from newsletter.state.backup import backup
from newsletter.translate import _

if TYPE_CHECKING:
    # The renderer's libraries are imported only once the lists are loaded: the memory
    # the list loading leaves free is then reused (100,000 recipients stay under 150 MB).
    from newsletter.render.issue import RenderedIssue


def start(
    db: Connection,
    config: Config,
    plan: Plan,
    rendered: RenderedIssue,
    options: Options,
    *,
    signer: TokenSigner,
) -> journal.Send:
    """Freeze a new send (or apply the list changes to a resumed one) and publish the issue.

    The lists are never frozen anew: people taken off the lists are skipped, and new
    subscribers are added only with `add_new`. PLAN's recipients are dropped. The run is
    marked running, with the SHA-256 of the issue file a new send starts with.
    """
    send = plan.send
    if send is None:
        assert plan.recipients is not None
        send = journal.freeze(
            db,
            newsletter=plan.newsletter,
            slug=plan.slug,
            subject=plan.issue.subject_line,
            lists=plan.lists,
            subscribers=plan.recipients.subscribers,
            fingerprint=plan.recipients.fingerprint,
            signer=signer,
        )
    else:
        journal.skip(db, send, plan.changes.removed_unsent, reply="no longer on the lists")
        if options.add_new and plan.changes.added and plan.recipients is not None:
            journal.append(db, send, plan.changes.added, signer=signer)
            journal.refingerprint(db, send, plan.recipients.fingerprint)
            runs.reopen(db, send)
        if options.resend_uncertain:
            journal.requeue_uncertain(db, send)
    runs.mark(db, send, "running", issue_sha256=plan.issue_sha256)
    # Frozen now: let the memory of the lists (~70 MB for 100,000) serve the send instead.
    plan.recipients = None
    from newsletter.delivery import archive

    archive.publish(db, config, rendered)
    return send


async def send(
    config: Config,
    db: Connection,
    plan: Plan,
    rendered: RenderedIssue,
    options: Options,
    /,
    *,
    confirm: Callable[[str], bool] = lambda transport: True,
    on_progress: Callable[[Progress], None] = lambda progress: None,
    tls_context: ssl.SSLContext | None = None,
    retry_delay: float = 2.0,
) -> RunReport | None:
    """Connect (checking TLS and login), ask CONFIRM, freeze, deliver, conclude.

    None when CONFIRM, given the transport's description, says no: nothing was recorded.
    ON_PROGRESS hears a few times a second how far the send is; RETRY_DELAY is the first
    wait before a deferred message goes again.
    """
    signer = TokenSigner(load_secret(config))
    builder = MessageBuilder(rendered, config, signer=signer)
    outbox = outbox_folder(config, plan.newsletter, plan.slug)
    todo = plan.todo(options)
    # The relay's minute, hour and day quotas count what earlier runs sent too.
    limiter = RateLimiter.from_settings(config.smtp)
    if limiter.window:
        limiter.seed(journal.sent_ages(db, within=limiter.window))
    transport = open_transport(config, outbox=outbox, tls_context=tls_context,
                               retry_delay=retry_delay, limiter=limiter)  # fmt: skip
    async with transport:
        if not confirm(transport.description):
            return None
        # Before anything is recorded: a copy to go back to, whatever happens next.
        backup(db, backup_folder(config), reason="before-send")
        started = start(db, config, plan, rendered, options, signer=signer)
        helper_from = config.smtp.helper_from
        helper = _helper_database(config) if helper_from and todo >= helper_from else None
        report = await deliver(db, started, builder, transport, helper=helper,
                               concurrency=config.smtp.concurrency,
                               retry_failed=options.retry_failed, limit=options.limit,
                               on_progress=on_progress, refs=RefSigner(load_secret(config)),
                               retry_delay=retry_delay)  # fmt: skip
    report.send, report.transport = started, transport.description
    _mark_ending(db, report)
    if not report.unrecorded:
        _conclude(config, db, report)
    return report


def _helper_database(config: Config) -> Database:
    """Where the helper process finds the state database, and its password if any."""
    password = config.state_password
    return target(config), password.get_secret_value() if password else None


def _mark_ending(db: Connection, report: RunReport) -> None:
    """Record why the run stopped; when the journal cannot be written, the report says it."""
    assert report.send is not None
    try:
        ending, note = runs.ending_of(report, journal.counts(db, report.send))
        runs.mark(db, report.send, ending, note=note)
    except StateError as exc:
        report.warnings.append(
            _("how the run ended could not be recorded: {reason}").format(reason=exc)
        )


def _conclude(config: Config, db: Connection, report: RunReport) -> None:
    """The receipt (when the send is finished) and the backup after the run, if they can be
    written: what was sent is recorded in the journal already, so a failure here is told,
    not raised."""
    assert report.send is not None
    try:
        report.receipts = conclude(config, db, report.send, transport=report.transport)
    except OSError as exc:
        report.warnings.append(
            _(
                "the receipt could not be written: {reason}. Everything is recorded; `newsletter "
                "status` writes it once there is room."
            ).format(reason=describe_os_error(exc))
        )
    except StateError as exc:
        report.warnings.append(
            _("the send could not be marked finished: {reason}").format(reason=exc)
        )
    try:
        backup(db, backup_folder(config), reason="after-send")
    except StateError as exc:
        report.warnings.append(_("no backup was made after the send: {exc}").format(exc=exc))


async def send_test(
    config: Config,
    rendered: RenderedIssue,
    recipients: Sequence[str | Recipient],
    /,
    *,
    tls_context: ssl.SSLContext | None = None,
    retry_delay: float = 2.0,
) -> tuple[str, list[tuple[str, Result]]]:
    """Send RENDERED, marked as a test, to RECIPIENTS only; the journal is not touched.

    A Recipient carries the name and fields the copy shows (a subscriber's row, see
    review.reader); a bare address gets a copy without them.
    """
    builder = MessageBuilder(rendered, config, signer=TokenSigner(load_secret(config)), test=True)
    outbox = outbox_folder(config, rendered.issue.newsletter, rendered.issue.slug, test=True)
    transport = open_transport(config, outbox=outbox, tls_context=tls_context,
                               retry_delay=retry_delay)  # fmt: skip
    people = [Recipient(r) if isinstance(r, str) else r for r in recipients]
    async with transport:
        results = [
            (p.email, await send_one(transport, builder.build(p), delay=retry_delay))
            for p in people
        ]
    return transport.description, results


def dry_run(
    config: Config, db: Connection, plan: Plan, rendered: RenderedIssue, options: Options
) -> tuple[list[int], list[tuple[str, str]]]:
    """Build every message the run would send, sending and recording nothing: their sizes,
    and (address, reason) of those that could not be built (they would fail)."""
    builder = MessageBuilder(rendered, config, signer=TokenSigner(load_secret(config)))
    if plan.send is None:
        assert plan.recipients is not None
        people = (Recipient(s.email, s.name, s.fields) for s in plan.recipients.subscribers)
    else:
        status: list[journal.Status] = ["failed" if options.retry_failed else "queued"]
        status += ["sending"] if options.resend_uncertain else []
        rows = journal.rows(db, plan.send, statuses=status)
        people = (Recipient(r["address"], r["name"], json.loads(r["fields"])) for r in rows)
    sizes, failures = [], []
    for person, _number in zip(people, range(plan.todo(options)), strict=False):
        try:
            sizes.append(len(builder.build(person).data))
        except (RecipientError, ValueError) as exc:
            failures.append((person.email, str(exc)))
    return sizes, failures


async def check(
    config: Config, issue: Issue, /, *, tls_context: ssl.SSLContext | None = None
) -> str:
    """Connect to the SMTP server (TLS, login) and leave again: its description."""
    outbox = outbox_folder(config, issue.newsletter, issue.slug)
    async with open_transport(config, outbox=outbox, tls_context=tls_context) as transport:
        return transport.description


def conclude(
    config: Config,
    db: Connection,
    send: journal.Send,
    /,
    *,
    transport: str,
    rewrite: bool = True,
) -> tuple[Path, ...]:
    """When nothing is queued or uncertain any more: mark SEND finished, write its receipt.

    Without REWRITE an existing receipt is kept (running a finished send again is quick).
    """
    counts = journal.counts(db, send)
    if counts.queued or counts.sending:
        return ()
    existing = receipt.paths(config, send)
    if not rewrite and all(path.exists() for path in existing):
        return existing
    return receipt.write(config, db, journal.finish(db, send), transport=transport)
