"""A send of one issue: plan it, freeze its recipients, and feed them to the transport.

The issue is rendered once; a producer claims journal rows in batches and hands them to
`concurrency` workers, each building one message at a time and sending it. Memory stays
flat whatever the number of recipients: only a batch of rows and the messages in flight
are held. Results are recorded in batches; Ctrl-C lets the messages in flight finish.
"""

from __future__ import annotations

__all__ = [
    "ListChanges",
    "Options",
    "Plan",
    "RunReport",
    "check",
    "compare",
    "conclude",
    "deliver",
    "dry_run",
    "lock",
    "outbox_folder",
    "plan",
    "running",
    "send",
    "send_test",
    "start",
]

import asyncio
import fcntl
import json
import os
import signal
import sqlite3
import ssl
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Literal

from newsletter import journal, receipt
from newsletter.config import Config
from newsletter.errors import SendError, TransportError
from newsletter.message import MessageBuilder, Recipient, UnusableAddress
from newsletter.model import Issue
from newsletter.ratelimit import RateLimiter
from newsletter.subscribers import Recipients, Subscriber, recipients, resolve_list
from newsletter.suppression import address_hash, suppressed_hashes
from newsletter.tokens import TokenSigner, load_secret
from newsletter.transport import NotDelivered, Result, Transport, open_transport

if TYPE_CHECKING:
    # The renderer's libraries are imported only once the lists are loaded: the memory
    # the list loading leaves free is then reused (100,000 recipients stay under 150 MB).
    from newsletter.render import RenderedIssue

# Rows claimed (and results recorded) per transaction. After a crash at most about this
# many rows (plus those in flight) are uncertain; 50 keeps that small and the commits few.
BATCH = 50
_FLUSH_SECONDS = 0.1
_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


@dataclass(frozen=True, slots=True)
class Options:
    lists: Sequence[str] = ()
    limit: int | None = None
    resend_uncertain: bool = False
    retry_failed: bool = False
    add_new: bool = False


@dataclass(frozen=True, slots=True)
class ListChanges:
    """How the lists differ now from the frozen recipient set."""

    added: list[Subscriber] = field(default_factory=list)  # on the lists, not in the journal
    removed: int = 0  # in the journal, no longer on the lists (and not suppressed)
    removed_unsent: list[int] = field(default_factory=list)  # their rows still to send
    removed_queued: int = 0  # how many of those are queued (the rest failed or uncertain)
    changed: int = 0  # same address, other name or fields

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.changed)


@dataclass(slots=True)
class Plan:
    """What a run would do, worked out before anything is written or sent."""

    issue: Issue
    lists: list[str]
    send: journal.Send | None  # an earlier run's send, when resuming
    counts: journal.Counts  # of the journal before this run (all queued for a new send)
    suppressed: int  # left out as suppressed when freezing (new send only)
    recipients: Recipients | None  # the lists now; None when nothing is left to send
    changes: ListChanges
    suppressed_failures: int = 0  # failed rows --retry-failed leaves: suppressed since

    @property
    def newsletter(self) -> str:
        return self.issue.newsletter

    @property
    def slug(self) -> str:
        return self.issue.slug

    def todo(self, options: Options) -> int:
        """How many messages this run would send at most."""
        if self.send is None:
            count = self.counts.queued
        elif options.retry_failed:
            count = self.counts.failed - self.suppressed_failures
        else:
            count = self.counts.queued + len(self.changes.added) * options.add_new
            count -= self.changes.removed_queued
        count += self.counts.sending * options.resend_uncertain
        return min(count, options.limit) if options.limit is not None else count


@dataclass(slots=True)
class RunReport:
    """What one run did."""

    sent: int = 0
    failed: int = 0
    failures: list[journal.Delivery] = field(default_factory=list)
    stopped: str | None = None  # the server's reply that stopped the send
    refused_alike: int = 0  # when it stopped after that many identical refusals in a row
    error: str | None = None  # a TransportError that ended the run
    interrupted: bool = False  # Ctrl-C: the messages in flight were finished
    aborted: bool = False  # a second Ctrl-C: messages in flight left uncertain
    send: journal.Send | None = None
    transport: str = ""  # where the messages went, e.g. "smtp.example.org:587 (STARTTLS)"
    receipts: tuple[Path, ...] = ()  # written when the send is finished


def outbox_folder(config: Config, newsletter: str, slug: str, *, test: bool = False) -> Path:
    """Where the .eml files of a send without an SMTP server go."""
    return config.outbox / newsletter / (f"{slug}-test" if test else slug)


def plan(config: Config, db: sqlite3.Connection, issue: Issue, options: Options) -> Plan:
    """Work out what a run would do; SendError when the options do not fit the journal."""
    send = journal.find(db, issue.newsletter, issue.slug)
    if send is None:
        if options.retry_failed or options.resend_uncertain:
            raise SendError(
                f"{issue.newsletter}/{issue.slug} has not been sent yet, so nothing failed or "
                "is uncertain: leave out --retry-failed and --resend-uncertain."
            )
        found = recipients(config, db, options.lists, newsletter=issue.newsletter)
        lists = list(options.lists) or [config.newsletter(issue.newsletter).default_list]
        counts = journal.Counts(queued=len(found.subscribers))
        return Plan(issue, lists, None, counts, found.suppressed, found, ListChanges())
    if options.lists and _list_files(config, options.lists) != _list_files(config, send.lists):
        raise SendError(
            f"{issue.slug} was started on {send.created_at} with the list(s) "
            f"{', '.join(send.lists)}; a send keeps its lists. Run it again without --list "
            "to resume it."
        )
    counts = journal.counts(db, send)
    suppressed = journal.suppressed_failures(db, send) if options.retry_failed else 0
    wanted = counts.failed - suppressed if options.retry_failed else counts.queued
    if not wanted and not (options.resend_uncertain and counts.sending):
        return Plan(issue, send.lists, send, counts, 0, None, ListChanges(), suppressed)
    found = recipients(config, db, send.lists, newsletter=issue.newsletter)
    return Plan(issue, send.lists, send, counts, 0, found, compare(db, send, found), suppressed)


def _list_files(config: Config, lists: Sequence[str]) -> list[Path]:
    """The files LISTS name: `x`, `subscribers/x.csv` and its full path are one list."""
    return [resolve_list(config, name, must_exist=False).resolve() for name in lists]


def compare(db: sqlite3.Connection, send: journal.Send, now: Recipients) -> ListChanges:
    """The lists NOW against the recipient set SEND froze."""
    if now.fingerprint == send.fingerprint:
        return ListChanges()
    current = {s.key: s for s in now.subscribers}
    suppressed = suppressed_hashes(db, newsletter=send.newsletter)
    seen: set[str] = set()
    removed, removed_unsent, removed_queued, changed = 0, [], 0, 0
    for seq, frozen, status in journal.frozen_subscribers(db, send):
        seen.add(frozen.key)
        if (subscriber := current.get(frozen.key)) is None:
            if address_hash(frozen.key) not in suppressed:
                removed += 1
                if status in ("queued", "sending", "failed"):
                    removed_unsent.append(seq)
                    removed_queued += status == "queued"
        elif (subscriber.name, dict(subscriber.fields)) != (frozen.name, dict(frozen.fields)):
            changed += 1
    added = [s for key, s in current.items() if key not in seen]
    return ListChanges(added, removed, removed_unsent, removed_queued, changed)


def start(
    db: sqlite3.Connection,
    config: Config,
    plan: Plan,
    rendered: RenderedIssue,
    options: Options,
    *,
    signer: TokenSigner,
) -> journal.Send:
    """Freeze a new send (or apply the list changes to a resumed one) and publish the issue.

    The lists are never frozen anew: people taken off the lists are skipped, and new
    subscribers are added only with `add_new`. PLAN's recipients are dropped.
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
        if options.resend_uncertain:
            journal.requeue_uncertain(db, send)
        journal.note(db, send, None)
    # Frozen now: let the memory of the lists (~70 MB for 100,000) serve the send instead.
    plan.recipients = None
    from newsletter import archive

    archive.publish(db, config, rendered)
    return send


async def send(
    config: Config,
    db: sqlite3.Connection,
    plan: Plan,
    rendered: RenderedIssue,
    options: Options,
    /,
    *,
    confirm: Callable[[str], bool] = lambda transport: True,
    on_result: Callable[[str], None] = lambda outcome: None,
    tls_context: ssl.SSLContext | None = None,
    retry_delay: float = 2.0,
) -> RunReport | None:
    """Connect (checking TLS and login), ask CONFIRM, freeze, deliver, conclude.

    None when CONFIRM, given the transport's description, says no: nothing was recorded.
    """
    signer = TokenSigner(load_secret(config))
    builder = MessageBuilder(rendered, config, signer=signer)
    outbox = outbox_folder(config, plan.newsletter, plan.slug)
    # The relay's minute, hour and day quotas count what earlier runs sent too.
    limiter = RateLimiter.from_settings(config.smtp)
    if limiter.window:
        limiter.seed(journal.sent_ages(db, within=limiter.window))
    transport = open_transport(config, outbox=outbox, tls_context=tls_context,
                               retry_delay=retry_delay, limiter=limiter)  # fmt: skip
    async with transport:
        if not confirm(transport.description):
            return None
        started = start(db, config, plan, rendered, options, signer=signer)
        report = await deliver(db, started, builder, transport,
                               concurrency=config.smtp.concurrency,
                               retry_failed=options.retry_failed, limit=options.limit,
                               on_result=on_result)  # fmt: skip
    report.send, report.transport = started, transport.description
    report.receipts = conclude(config, db, started, transport=transport.description)
    return report


async def send_test(
    config: Config,
    rendered: RenderedIssue,
    addresses: Sequence[str],
    /,
    *,
    tls_context: ssl.SSLContext | None = None,
    retry_delay: float = 2.0,
) -> tuple[str, list[tuple[str, Result]]]:
    """Send RENDERED, marked as a test, to ADDRESSES only; the journal is not touched."""
    builder = MessageBuilder(rendered, config, signer=TokenSigner(load_secret(config)), test=True)
    outbox = outbox_folder(config, rendered.issue.newsletter, rendered.issue.slug, test=True)
    transport = open_transport(config, outbox=outbox, tls_context=tls_context,
                               retry_delay=retry_delay)  # fmt: skip
    async with transport:
        results = [(a, await transport.send(builder.build(Recipient(a)))) for a in addresses]
    return transport.description, results


def dry_run(
    config: Config, db: sqlite3.Connection, plan: Plan, rendered: RenderedIssue, options: Options
) -> list[int]:
    """Build every message the run would send, sending and recording nothing: their sizes."""
    builder = MessageBuilder(rendered, config, signer=TokenSigner(load_secret(config)))
    if plan.send is None:
        assert plan.recipients is not None
        people = (Recipient(s.email, s.name, s.fields) for s in plan.recipients.subscribers)
    else:
        status: list[journal.Status] = ["failed" if options.retry_failed else "queued"]
        status += ["sending"] if options.resend_uncertain else []
        rows = journal.rows(db, plan.send, statuses=status)
        people = (Recipient(r["address"], r["name"], json.loads(r["fields"])) for r in rows)
    todo = plan.todo(options)
    return [len(builder.build(person).data) for person, _ in zip(people, range(todo), strict=False)]


async def check(
    config: Config, issue: Issue, /, *, tls_context: ssl.SSLContext | None = None
) -> str:
    """Connect to the SMTP server (TLS, login) and leave again: its description."""
    outbox = outbox_folder(config, issue.newsletter, issue.slug)
    async with open_transport(config, outbox=outbox, tls_context=tls_context) as transport:
        return transport.description


def conclude(
    config: Config,
    db: sqlite3.Connection,
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


@contextmanager
def lock(config: Config, newsletter: str, slug: str) -> Iterator[None]:
    """Hold the send's lock: a second process must not take the first one's rows for lost."""
    path = _lock_path(config, newsletter, slug)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+") as file:
        if not _try_lock(file):
            raise SendError(
                f"{newsletter}/{slug} is being sent by another newsletter process right now. "
                "Wait for it to finish, or stop it with Ctrl-C, then run this again."
            )
        file.truncate(0)
        file.write(str(os.getpid()))
        file.flush()
        yield


def running(config: Config, newsletter: str, slug: str) -> bool:
    """True while a process holds the send's lock."""
    path = _lock_path(config, newsletter, slug)
    if not path.exists():
        return False
    with path.open("a+") as file:
        return not _try_lock(file)


def _lock_path(config: Config, newsletter: str, slug: str) -> Path:
    return config.state_dir / "locks" / f"{newsletter}--{slug}.lock"


def _try_lock(file: IO[str]) -> bool:
    """Take FILE's lock without waiting: False when another process holds it."""
    try:
        fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


async def deliver(
    db: sqlite3.Connection,
    send: journal.Send,
    builder: MessageBuilder,
    transport: Transport,
    /,
    *,
    concurrency: int,
    retry_failed: bool = False,
    limit: int | None = None,
    on_result: Callable[[str], None] = lambda outcome: None,
) -> RunReport:
    """Send the journal's queued (or failed) rows; SIGINT stops after the messages in flight."""
    engine = _Engine(db, send, builder, transport, on_result)
    status: Literal["queued", "failed"] = "failed" if retry_failed else "queued"
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    assert task is not None

    def interrupt() -> None:
        if engine.stopping.is_set():
            engine.report.aborted = True
            task.cancel()
        engine.report.interrupted = True
        engine.stopping.set()

    # Only the main thread can handle signals; elsewhere Ctrl-C is the caller's business.
    # SIGTERM (`kill PID`, a service stopped) stops as gently as Ctrl-C does.
    handled = threading.current_thread() is threading.main_thread()
    if handled:
        for signum in _STOP_SIGNALS:
            loop.add_signal_handler(signum, interrupt)
    try:
        await engine.run(status, limit, concurrency)
        if engine.exhausted and not engine.unsent:
            # Ctrl-C came after the last message was handed over: nothing was left undone.
            engine.report.interrupted = False
    except asyncio.CancelledError:
        if not engine.report.aborted:
            raise
        task.uncancel()  # the cancellation was ours, and it is handled
    finally:
        if handled:
            for signum in _STOP_SIGNALS:
                loop.remove_signal_handler(signum)
        engine.close()
    if engine.report.stopped or engine.report.error:
        journal.note(db, send, engine.report.stopped or engine.report.error)
    return engine.report


# A server that refuses everyone alike without a 5.7 code (Exchange's "554 5.2.0 ...
# SubmissionQuotaExceeded", a suspended account) would otherwise fail the whole list:
# after this many identical refusals in a row, none of them a bounce, the send stops.
SAME_REFUSALS = 10


class _Engine:
    """One producer claiming batches, N workers sending, results recorded in batches."""

    def __init__(
        self,
        db: sqlite3.Connection,
        send: journal.Send,
        builder: MessageBuilder,
        transport: Transport,
        on_result: Callable[[str], None],
    ) -> None:
        self.db, self.send, self.builder, self.transport = db, send, builder, transport
        self.on_result = on_result
        # A short queue: the next batch is claimed only when this one is nearly handed out.
        self.queue: asyncio.Queue[journal.Row | None] = asyncio.Queue(maxsize=1)
        self.stopping = asyncio.Event()
        self.report = RunReport()
        self.pending: list[journal.Delivery] = []
        self.unsent: set[int] = set()  # claimed, not yet handed to the transport
        self.flushed_at = time.monotonic()
        self.exhausted = False  # every row to send (up to the limit) was claimed
        self.refusal, self.refusals = "", 0  # the last failure's reply code, and its run

    async def run(self, status: Literal["queued", "failed"], limit: int | None, n: int) -> None:
        try:
            async with asyncio.TaskGroup() as group:
                for _ in range(n):
                    group.create_task(self._work())
                await self._produce(status, limit, n)
        except ExceptionGroup as group:
            # One worker's error (a message that cannot be built) is the error to show.
            raise group.exceptions[0] from None

    async def _produce(
        self, status: Literal["queued", "failed"], limit: int | None, n: int
    ) -> None:
        after, left = 0, limit
        while not self.stopping.is_set() and (left is None or left > 0):
            size = BATCH if left is None else min(BATCH, left)
            rows, last = journal.claim(self.db, self.send, status=status, after=after, limit=size)
            if last is None:
                self.exhausted = True
                break
            after = last
            self.unsent.update(row.seq for row in rows)
            for row in rows:
                await self.queue.put(row)
            if left is not None:
                left -= len(rows)
                self.exhausted = left <= 0
        for _ in range(n):
            await self.queue.put(None)

    async def _work(self) -> None:
        # Checking `aborted` too: Python 3.11's asyncio.wait_for (inside aiosmtplib) can
        # swallow a cancellation, and a worker must not then wait for rows nobody sends.
        while not self.report.aborted and (row := await self.queue.get()) is not None:
            if self.stopping.is_set():
                continue  # stays in self.unsent: released to the queue at the end
            self.unsent.discard(row.seq)
            try:
                message = self.builder.build(Recipient(row.address, row.name, row.fields))
            except UnusableAddress as exc:
                # Nothing went out: a failed row with the reason, and the send goes on.
                self._add(journal.Delivery(row.seq, row.address, "failed", f"not sent: {exc}",
                                           "", False))  # fmt: skip
                continue
            try:
                result = await self.transport.send(message)
            except TransportError as exc:
                # The data may have reached the server: the row stays `sending`, uncertain,
                # unless it certainly did not: then it goes back to the queue.
                if isinstance(exc, NotDelivered):
                    self.unsent.add(row.seq)
                self.report.error = str(exc)
                self.stopping.set()
                continue
            self._add(journal.Delivery(row.seq, row.address, result.outcome, result.reply,
                                       message.message_id, result.bounced))  # fmt: skip

    def _add(self, delivery: journal.Delivery) -> None:
        self.pending.append(delivery)
        if delivery.outcome == "sent":
            self.report.sent += 1
            self.refusals = 0
        elif delivery.outcome == "failed":
            self.report.failed += 1
            if len(self.report.failures) < 100:
                self.report.failures.append(delivery)
            self._count_refusal(delivery)
        else:
            self.report.stopped = self.report.stopped or delivery.reply
            self.stopping.set()
        self.on_result(delivery.outcome)
        if len(self.pending) >= BATCH or time.monotonic() - self.flushed_at > _FLUSH_SECONDS:
            self._flush()

    def _count_refusal(self, delivery: journal.Delivery) -> None:
        code = " ".join(delivery.reply.split()[:2])  # "554 5.2.0"
        same = not delivery.bounced and code[:1] in ("4", "5") and code == self.refusal
        self.refusal, self.refusals = code, self.refusals + 1 if same else 1
        if self.refusals >= SAME_REFUSALS and not self.report.stopped:
            self.report.stopped, self.report.refused_alike = delivery.reply, self.refusals
            self.stopping.set()

    def _flush(self) -> None:
        if self.pending:
            journal.record(self.db, self.send, self.pending)
            self.pending = []
        self.flushed_at = time.monotonic()

    def close(self) -> None:
        """Record what was delivered; rows never handed to the transport go back in the queue."""
        self._flush()
        journal.release(self.db, self.send, self.unsent)
        self.unsent.clear()
