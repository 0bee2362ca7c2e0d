"""The journal during a send: changes committed in groups, in a thread of their own.

The engine says, as it happens, which message is handed to a connection and what the
server answered each one. One thread commits them in order, each commit holding all
that came in while the one before ran: at a few messages a millisecond that is a few
rows a commit, and the event loop never waits for the disk. A message's data goes out
only once its `sending` is committed (`handed` returns that commit to await); its reply
is committed as soon as the thread is free. Rows to send are read in the same thread
(`call`), so the connection is used by one thread at a time.

When the journal cannot be written (a full disk, a read-only file system), `failed` says
why and nothing more goes out: the messages waiting for their `sending` are not sent, and
the replies not recorded are kept in `unrecorded` for the editor.
"""

from __future__ import annotations

__all__ = ["Recorder"]

import asyncio
import contextlib
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

from newsletter.delivery import journal
from newsletter.errors import StateError
from newsletter.state import explain

_P = ParamSpec("_P")
_T = TypeVar("_T")


class Recorder:
    """Group commits of one send's journal changes; ON_FAILURE is called once if one fails."""

    def __init__(
        self,
        db: sqlite3.Connection,
        send: journal.Send,
        /,
        *,
        on_failure: Callable[[StateError], None] = lambda error: None,
    ) -> None:
        self._db, self._send, self._on_failure = db, send, on_failure
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="journal")
        self._pending: list[journal.Change] = []
        self._waiting: list[asyncio.Future[None]] = []  # for the Handed changes pending
        self._committing: asyncio.Task[None] | None = None
        self.failed: StateError | None = None
        self.unrecorded: list[journal.Delivery] = []
        self.commits = 0

    def handed(self, seq: int, /) -> asyncio.Future[None]:
        """Row SEQ's message is handed over: the commit of its `sending`, to await."""
        done = asyncio.get_running_loop().create_future()
        if self.failed is not None:
            done.set_exception(self.failed)
            done.exception()  # awaited or not: a send that stops anyway
            return done
        self._pending.append(journal.Handed(seq))
        self._waiting.append(done)
        self._commit_soon()
        return done

    def record(self, delivery: journal.Delivery, /) -> None:
        """What the server said to DELIVERY's message: committed as soon as possible."""
        if self.failed is not None:
            self.unrecorded.append(delivery)
            return
        self._pending.append(delivery)
        self._commit_soon()

    async def call(self, function: Callable[_P, _T], /, *args: _P.args, **kw: _P.kwargs) -> _T:
        """FUNCTION(*ARGS) in the journal's thread, after the commits asked for before."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._thread, lambda: function(*args, **kw))

    async def close(self) -> None:
        """Commit what is pending, try once more what could not be, and end the thread."""
        with contextlib.suppress(asyncio.CancelledError):
            while self._committing is not None and not self._committing.done():
                await asyncio.shield(self._committing)
        if self.unrecorded:
            # A disk with room again, a file system writable again: the last chance.
            with contextlib.suppress(sqlite3.Error, StateError):
                await self.call(journal.apply, self._db, self._send, self.unrecorded)
                self.unrecorded = []
        self._thread.shutdown(wait=True)

    def _commit_soon(self) -> None:
        if self._committing is None or self._committing.done():
            self._committing = asyncio.get_running_loop().create_task(self._commit())

    async def _commit(self) -> None:
        while self._pending and self.failed is None:
            changes, waiting = self._pending, self._waiting
            self._pending, self._waiting = [], []
            try:
                await self.call(journal.apply, self._db, self._send, changes)
            except (sqlite3.Error, StateError) as exc:
                self._fail(exc, changes, waiting)
                return
            self.commits += 1
            for done in waiting:
                if not done.done():
                    done.set_result(None)

    def _fail(
        self,
        exc: sqlite3.Error | StateError,
        changes: list[journal.Change],
        waiting: list[asyncio.Future[None]],
    ) -> None:
        error = exc if isinstance(exc, StateError) else explain(exc)
        self.failed = error
        # The transaction rolled back: the replies in it are not recorded, and the messages
        # whose `sending` was in it must not go out (their rows are still queued).
        changes += self._pending
        waiting += self._waiting
        self._pending, self._waiting = [], []
        self.unrecorded += [c for c in changes if isinstance(c, journal.Delivery)]
        for done in waiting:
            if not done.done():
                done.set_exception(error)
                done.exception()  # retrieved here: the sender may be gone already
        self._on_failure(error)
