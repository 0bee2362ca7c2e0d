"""How many connections `newsletter serve` keeps, and for how long.

uvicorn closes a connection that idles after a response (timeout_keep_alive) and answers
503 beyond limit_concurrency, but waits forever for a request that never comes: a client
that opens many connections and sends nothing, or a byte a minute, holds a file
descriptor each until the process has none left and every request, /health included,
waits in vain. GuardedH11 adds two limits: a connection must send its whole request head
within REQUEST_TIMEOUT, and when the server is full, the connection idle longest (no
request under way) is closed to make room for the new one. The number of connections
follows from the process's limit of open files (RLIMIT_NOFILE, systemd's LimitNOFILE).
"""

from __future__ import annotations

__all__ = [
    "ACCEPT_BATCH",
    "KEEP_ALIVE",
    "REQUEST_TIMEOUT",
    "RESERVED_FILES",
    "GuardedH11",
    "max_connections",
]

import asyncio
import resource
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

REQUEST_TIMEOUT = 10.0  # seconds from connecting to a complete request head
KEEP_ALIVE = 5  # seconds an idle kept-alive connection stays open (uvicorn's default)
# Descriptors the process needs besides connections: the database and its -wal and -shm,
# the listening socket, the event loop, standard streams, templates, worker threads.
RESERVED_FILES = 32
# Connections accepted in one turn of the event loop. A connection makes room only when
# it is set up, two or three turns after it was accepted: the limit leaves free four
# batches on top of RESERVED_FILES, so accept() never runs out of descriptors.
ACCEPT_BATCH = 8
_MOST = 10_000


def max_connections() -> int:
    """Connections the server keeps open at most: what the open-files limit leaves."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return _MOST
    return max(8, min(_MOST, soft - RESERVED_FILES - 4 * ACCEPT_BATCH))


class GuardedH11(H11Protocol):
    """uvicorn's h11 protocol with a deadline for the request head and room made when full."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.idle_since = 0.0
        self._deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.idle_since = self.loop.time()
        self._deadline = self.loop.call_later(REQUEST_TIMEOUT, self._drop_if_no_request)
        # uvicorn answers 503 once connections reach limit_concurrency: stay below it.
        if self.limit_concurrency is not None and len(self.connections) >= self.limit_concurrency:
            self._make_room()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
        super().connection_lost(exc)

    def on_response_complete(self) -> None:
        self.idle_since = self.loop.time()
        super().on_response_complete()

    @property
    def idle(self) -> bool:
        """No request under way: none came yet, or the last one was answered."""
        return self.cycle is None or self.cycle.response_complete

    def _drop_if_no_request(self) -> None:
        if self.cycle is None and not self.transport.is_closing():
            self.transport.close()

    def _make_room(self) -> None:
        others = [c for c in self.connections if c is not self and isinstance(c, GuardedH11)]
        idle = [c for c in others if c.idle and not c.transport.is_closing()]
        if idle:
            min(idle, key=lambda c: c.idle_since).transport.close()
