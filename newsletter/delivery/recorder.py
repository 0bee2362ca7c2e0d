"""The journal during a send: changes committed in groups, as they happen.

The engine says, as it happens, which message is handed to a connection and what the
server answered each one. They are committed in order at the end of the event loop's
turn, each commit holding all that came in during that turn: at a few messages a
millisecond that is a few rows a commit. A message's data goes out only once its
`sending` is committed (`handed` returns that commit to await); its reply is committed
in the same turn it arrives.

The commits run in the event loop's own thread. Measured: a commit in WAL mode with
synchronous=NORMAL costs about 40 µs, and a few rows in one about 10 µs a row; in a
thread of their own the commits waited up to the interpreter's 5 ms switch interval
for the GIL while the loop worked, and each connection stood still meanwhile.

When the journal cannot be written (a full disk, a read-only file system), `failed` says
why and nothing more goes out: the messages waiting for their `sending` are not sent, and
the replies not recorded are kept in `unrecorded` for the editor.
"""

from __future__ import annotations

__all__ = ["Recorder"]

import asyncio
from collections.abc import Callable

from newsletter.delivery import journal
from newsletter.errors import StateError
from newsletter.state import Connection


class Recorder:
    """Group commits of one send's journal changes; ON_FAILURE is called once if one fails."""

    def __init__(
        self,
        db: Connection,
        send: journal.Send,
        /,
        *,
        on_failure: Callable[[StateError], None] = lambda error: None,
    ) -> None:
        self._db, self._send, self._on_failure = db, send, on_failure
        self._pending: list[journal.Change] = []
        self._waiting: list[asyncio.Future[None]] = []  # for the Handed changes pending
        self._scheduled = False
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
        """What the server said to DELIVERY's message: committed in this turn of the loop."""
        if self.failed is not None:
            self.unrecorded.append(delivery)
            return
        self._pending.append(delivery)
        self._commit_soon()

    async def close(self) -> None:
        """Commit what is pending, and try once more what could not be committed."""
        self._commit()
        if self.unrecorded:
            # A disk with room again, a file system writable again: the last chance.
            try:
                journal.apply(self._db, self._send, self.unrecorded)
            except StateError:
                return
            self.unrecorded = []

    def _commit_soon(self) -> None:
        if not self._scheduled:
            self._scheduled = True
            asyncio.get_running_loop().call_soon(self._commit)

    def _commit(self) -> None:
        self._scheduled = False
        if not self._pending or self.failed is not None:
            return
        changes, waiting = self._pending, self._waiting
        self._pending, self._waiting = [], []
        try:
            journal.apply(self._db, self._send, changes)
        except StateError as exc:
            self._fail(exc, changes, waiting)
            return
        self.commits += 1
        for done in waiting:
            if not done.done():
                done.set_result(None)

    def _fail(
        self,
        error: StateError,
        changes: list[journal.Change],
        waiting: list[asyncio.Future[None]],
    ) -> None:
        self.failed = error
        # The transaction rolled back: the replies in it are not recorded, and the messages
        # whose `sending` was in it must not go out (their rows are still queued).
        self.unrecorded += [c for c in changes if isinstance(c, journal.Delivery)]
        for done in waiting:
            if not done.done():
                done.set_exception(error)
                done.exception()  # retrieved here: the sender may be gone already
        self._on_failure(error)
