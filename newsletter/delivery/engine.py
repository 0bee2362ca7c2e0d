"""The engine of a send: claim journal rows, build and send their messages, record results.

A producer claims journal rows in batches and hands them to `concurrency` workers, each
building one message at a time and sending it. Memory stays flat whatever the number of
recipients: only a batch of rows and the messages in flight are held. Results are
recorded in batches; Ctrl-C (or SIGTERM) lets the messages in flight finish, a second
Ctrl-C leaves them uncertain. Ten identical refusals in a row stop the send. When the
journal cannot be written (a full disk, a read-only file system) the send stops at once;
what could not be recorded is kept in the report for the editor, never guessed at.
"""

from __future__ import annotations

__all__ = ["BATCH", "SAME_REFUSALS", "RunReport", "deliver"]

import asyncio
import contextlib
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from newsletter.audience.returnpath import RefSigner
from newsletter.delivery import journal
from newsletter.delivery.message import MessageBuilder, Recipient
from newsletter.delivery.replies import NotDelivered
from newsletter.delivery.transport import Transport
from newsletter.errors import RecipientError, StateError, TransportError
from newsletter.state import Connection

# Rows claimed (and results recorded) per transaction. After a crash at most about this
# many rows (plus those in flight) are uncertain; 50 keeps that small and the commits few.
BATCH = 50
_FLUSH_SECONDS = 0.1
_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


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
    # When the journal could not be written: results it does not hold (its rows still say
    # `sending`, uncertain), and claimed rows never sent that could not go back to the queue.
    unrecorded: list[journal.Delivery] = field(default_factory=list)
    unreleased: int = 0
    warnings: list[str] = field(default_factory=list)  # e.g. the backup after the send failed


async def deliver(
    db: Connection,
    send: journal.Send,
    builder: MessageBuilder,
    transport: Transport,
    /,
    *,
    concurrency: int,
    retry_failed: bool = False,
    limit: int | None = None,
    on_result: Callable[[str], None] = lambda outcome: None,
    refs: RefSigner | None = None,
) -> RunReport:
    """Send the journal's queued (or failed) rows; SIGINT stops after the messages in flight.

    REFS signs each message's return-path token (X-Newsletter-Ref, and VERP where set).
    """
    engine = _Engine(db, send, builder, transport, on_result, refs)
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
        with contextlib.suppress(StateError):  # the reason is in the report either way
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
        db: Connection,
        send: journal.Send,
        builder: MessageBuilder,
        transport: Transport,
        on_result: Callable[[str], None],
        refs: RefSigner | None = None,
    ) -> None:
        self.db, self.send, self.builder, self.transport = db, send, builder, transport
        self.on_result, self.refs = on_result, refs
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
            try:
                rows, last = journal.claim(self.db, self.send, status=status, after=after,
                                           limit=size)  # fmt: skip
            except StateError as exc:
                self._journal_failed(exc)  # nothing was claimed: the transaction rolled back
                break
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
                ref = self.refs.make(self.send.id, row.seq) if self.refs else ""
                message = self.builder.build(Recipient(row.address, row.name, row.fields, ref))
            except (RecipientError, ValueError) as exc:
                # Nothing went out: a failed row with the reason, and the send goes on. A
                # ValueError from the email package is one row's data too, never the send's.
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
            try:
                journal.record(self.db, self.send, self.pending)
            except StateError as exc:
                # Kept in self.pending: tried again at the end, else reported as unrecorded.
                self._journal_failed(exc)
                return
            self.pending = []
        self.flushed_at = time.monotonic()

    def _journal_failed(self, exc: StateError) -> None:
        # Sending on without recording would make the journal lie: stop at once.
        self.report.error = self.report.error or str(exc)
        self.stopping.set()

    def close(self) -> None:
        """Record what was delivered; rows never handed to the transport go back in the queue."""
        self._flush()
        self.report.unrecorded = list(self.pending)
        try:
            journal.release(self.db, self.send, self.unsent)
        except StateError as exc:
            self._journal_failed(exc)
            self.report.unreleased = len(self.unsent)
        self.unsent.clear()
