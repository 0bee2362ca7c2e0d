"""The engine of a send: read journal rows, build and send their messages, record results.

A feeder gets the rows to send with their messages built, a batch ahead, from a source
(newsletter.delivery.source: this process, or a helper process for large sends);
`concurrency` workers hand them to the transport. A row becomes `sending` just before its
message's data goes out and `sent` as soon as the server's reply comes, so a crash
leaves at most one uncertain row per connection. A deferred message (a 4xx reply) waits
in the retry queue while the workers send others, and goes again when it is due. Memory
stays flat whatever the number of recipients: a batch of rows, the rows waiting for a
retry and the messages in flight. The progress is reported a few times a second, never
per message. Ctrl-C (or SIGTERM) lets the messages in flight finish, a second Ctrl-C
leaves them uncertain. Ten identical refusals in a row stop the send, and so does a
journal that cannot be written: what it could not record is kept in the report.
"""

from __future__ import annotations

__all__ = ["BATCH", "SAME_REFUSALS", "Progress", "RunReport", "deliver"]

import asyncio
import contextlib
import functools
import signal
import threading
from collections import deque
from collections.abc import Callable
from typing import Literal

from newsletter.audience.returnpath import RefSigner
from newsletter.delivery import journal
from newsletter.delivery.message import MessageBuilder, OutgoingMessage
from newsletter.delivery.recorder import Recorder
from newsletter.delivery.replies import Result
from newsletter.delivery.report import Progress, RunReport
from newsletter.delivery.retries import Retries
from newsletter.delivery.source import Database, Local, Source
from newsletter.delivery.transport import Transport
from newsletter.errors import StateError, TransportError
from newsletter.state import Connection

BATCH = 16  # rows read (and built) at a time; the next batch when no more than this are ready
# A server that refuses everyone alike without a 5.7 code (Exchange's "554 5.2.0 ...
# SubmissionQuotaExceeded", a suspended account) would otherwise fail the whole list:
# after this many identical refusals in a row, none of them a bounce, the send stops.
SAME_REFUSALS = 10
# A server that asks us to wait for this many retry delays (10 minutes by default) and
# accepts nothing meanwhile will not take the rest today: the send stops, to go on later.
_STALLED = 300
_TICK = 0.25  # seconds between progress reports
_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


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
    on_progress: Callable[[Progress], None] = lambda progress: None,
    refs: RefSigner | None = None,
    retry_delay: float = 2.0,
    helper: Database | None = None,
) -> RunReport:
    """Send the journal's queued (or failed) rows; SIGINT stops after the messages in flight.

    REFS signs each message's return-path token (X-Newsletter-Ref, and VERP where set);
    RETRY_DELAY is the first wait before a deferred message goes again (then 2, 4, 8 ×).
    With HELPER (where the state database is) the rows are read and their messages
    built in a helper process (newsletter.delivery.helper), else in this one.
    """
    engine = _Engine(db, send, builder, transport, on_progress, refs, retry_delay)
    status: Literal["queued", "failed"] = "failed" if retry_failed else "queued"
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    assert task is not None

    def interrupt() -> None:
        if engine.stopping.is_set():
            engine.report.aborted = True
            task.cancel()
        engine.report.interrupted = True
        engine.stop()

    # Only the main thread can handle signals; elsewhere Ctrl-C is the caller's business.
    # SIGTERM (`kill PID`, a service stopped) stops as gently as Ctrl-C does.
    handled = threading.current_thread() is threading.main_thread()
    if handled:
        for signum in _STOP_SIGNALS:
            loop.add_signal_handler(signum, interrupt)
    try:
        engine.source = await engine.open(helper)
        await engine.run(status, limit, concurrency)
        if engine.all_handed():
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
        await engine.close()
    if engine.report.stopped or engine.report.error:
        with contextlib.suppress(StateError):  # the reason is in the report either way
            journal.note(db, send, engine.report.stopped or engine.report.error)
    return engine.report


class _Engine:
    """A feeder reading built messages, N workers sending them, a retry queue."""

    def __init__(
        self,
        db: Connection,
        send: journal.Send,
        builder: MessageBuilder,
        transport: Transport,
        on_progress: Callable[[Progress], None],
        refs: RefSigner | None,
        retry_delay: float,
    ) -> None:
        self.db, self.send, self.builder, self.transport = db, send, builder, transport
        self.on_progress, self.refs = on_progress, refs
        self.report = RunReport()
        self.recorder = Recorder(db, send, on_failure=self._journal_failed)
        self.source: Source = Local(db, send, builder, refs)
        self.retries = Retries(delay=retry_delay)
        self.stalled_after = retry_delay * _STALLED
        self.ready: deque[tuple[journal.Row, OutgoingMessage]] = deque()
        self.wake = asyncio.Event()  # for the workers: rows to send, or a stop
        self.room = asyncio.Event()  # for the feeder: room for the next batch, or a stop
        self.stopping = asyncio.Event()
        self.fed = False  # every row to send (up to the limit) was read
        self.refusal, self.refusals = "", 0  # the last failure's reply code, and its run
        self.throttled_since: float | None = None  # deferred by throttling, none accepted since

    async def run(self, status: Literal["queued", "failed"], limit: int | None, n: int) -> None:
        try:
            async with asyncio.TaskGroup() as group:
                ticker = group.create_task(self._tick())
                workers = [group.create_task(self._work()) for _ in range(n)]
                await self._feed(status, limit)
                await asyncio.wait(workers)
                ticker.cancel()
        except ExceptionGroup as group:
            # One worker's error (a message that cannot be built) is the error to show.
            raise group.exceptions[0] from None
        self.on_progress(self.report.progress(len(self.retries), ""))

    async def open(self, helper: Database | None) -> Source:
        """The source of the messages: a helper process, or this one."""
        if helper is None:
            return self.source
        from newsletter.delivery.helper import Helper

        self.report.helper = True
        return await Helper.start(helper, self.send, self.builder, self.refs)

    def stop(self) -> None:
        self.stopping.set()
        self.wake.set()
        self.room.set()

    def all_handed(self) -> bool:
        return self.fed and not self.ready and not self.retries

    async def _feed(self, status: Literal["queued", "failed"], limit: int | None) -> None:
        after, left = 0, limit
        while not self.stopping.is_set() and (left is None or left > 0):
            size = BATCH if left is None else min(BATCH, left)
            try:
                built, last = await self.source.next(status, after, size)
            except StateError as exc:
                self._journal_failed(exc)
                break
            if last is None:
                break
            after = last
            if left is not None:
                left -= len(built)
            for row, message in built:
                if isinstance(message, str):
                    self._record(journal.Delivery(row.seq, row.address, "failed", message))
                else:
                    self.ready.append((row, message))
            self.wake.set()
            # The next batch is read and built while this one goes out.
            while len(self.ready) > BATCH and not self.stopping.is_set():
                self.room.clear()
                await self.room.wait()
        self.fed = True
        self.wake.set()

    async def _next(self) -> tuple[journal.Row, OutgoingMessage] | None:
        """The next message to send: a retry that is due, else the next one built."""
        while not self.stopping.is_set():
            if (row := self.retries.due()) is not None:
                try:
                    message = await self.source.rebuild(row)
                except StateError as exc:  # the helper process is gone
                    self._journal_failed(exc)
                    return None
                if isinstance(message, str):
                    self._record(journal.Delivery(row.seq, row.address, "failed", message))
                    continue
                return row, message
            if self.ready:
                item = self.ready.popleft()
                if len(self.ready) <= BATCH:
                    self.room.set()
                return item
            if self.fed and not self.retries:
                return None
            self.wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), self.retries.wait())
        return None

    async def _work(self) -> None:
        # Checking `aborted` too: Python 3.11's asyncio.wait_for (inside aiosmtplib) can
        # swallow a cancellation, and a worker must not then wait for rows nobody sends.
        while not self.report.aborted and (item := await self._next()) is not None:
            row, message = item
            handed = functools.partial(self.recorder.handed, row.seq)
            self.report.begin()
            try:
                result = await self.transport.send(message, handed=handed)
            except StateError:
                continue  # the journal failed before the data went out: the send stops
            except TransportError as exc:
                # No connection could be had for it (or no file written): it did not go out.
                self.recorder.record(journal.Delivery(row.seq, row.address, "deferred", str(exc)))
                self.report.error = self.report.error or str(exc)
                self.stop()
                continue
            self._result(row, message, result)

    def _result(self, row: journal.Row, message: OutgoingMessage, result: Result) -> None:
        outcome, reply = result.outcome, result.reply
        if outcome == "deferred":
            self.report.deferred += 1
            if result.throttled and self.throttled_since is None:
                self.throttled_since = asyncio.get_running_loop().time()
            if self.retries.defer(row, reply, throttled=result.throttled):
                self.recorder.record(journal.Delivery(row.seq, row.address, "deferred", reply))
                return
            outcome, reply = "failed", f"{reply} (gave up after {self.retries.attempts} attempts)"
        self._record(journal.Delivery(row.seq, row.address, outcome, reply, message.message_id,
                                      result.bounced))  # fmt: skip

    def _record(self, delivery: journal.Delivery) -> None:
        self.recorder.record(delivery)
        report = self.report
        report.end()
        if delivery.outcome == "sent":
            report.sent += 1
            self.refusals = 0
            self.throttled_since = None
        elif delivery.outcome == "failed":
            report.failed += 1
            if len(report.failures) < 100:
                report.failures.append(delivery)
            self._count_refusal(delivery)
        elif delivery.outcome == "uncertain":
            report.uncertain.append(delivery)
        else:
            report.stopped = report.stopped or delivery.reply
            self.stop()

    def _count_refusal(self, delivery: journal.Delivery) -> None:
        code = " ".join(delivery.reply.split()[:2])  # "554 5.2.0"
        same = not delivery.bounced and code[:1] in ("4", "5") and code == self.refusal
        self.refusal, self.refusals = code, self.refusals + 1 if same else 1
        if self.refusals >= SAME_REFUSALS and not self.report.stopped:
            self.report.stopped, self.report.refused_alike = delivery.reply, self.refusals
            self.stop()

    async def _tick(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            waiting = self.transport.waiting()
            if not waiting and not self.ready and self.retries:
                waiting = f"waiting: {self.retries.describe()}"
            self.on_progress(self.report.progress(len(self.retries), waiting))
            since = self.throttled_since
            if since is not None and loop.time() - since > self.stalled_after:
                self.report.stalled = round(loop.time() - since)
                self.report.stopped = self.report.stopped or self.retries.last_reply
                self.stop()
            await asyncio.sleep(_TICK)

    def _journal_failed(self, error: StateError) -> None:
        # Sending on without recording would make the journal lie: stop at once.
        self.report.error = self.report.error or str(error)
        self.stop()

    async def close(self) -> None:
        """Record what is pending; keep what could not be recorded in the report."""
        await self.source.close()
        await self.recorder.close()
        self.report.ended()
        self.report.unrecorded = list(self.recorder.unrecorded)
        self.report.commits = self.recorder.commits
        self.report.retrying = len(self.retries)
