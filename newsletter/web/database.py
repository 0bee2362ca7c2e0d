"""The server's one connection to the state database, used from one thread at a time.

SQLite allows one writer: queueing the server's own work behind a single
connection costs nothing, and a send writing its journal from another process
waits its turn by SQLite's busy timeout, as the server's writes wait for it.
"""

from __future__ import annotations

__all__ = ["BUSY_TIMEOUT_MS", "Database", "Unavailable"]

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import anyio
import anyio.to_thread

from newsletter.errors import StateError
from newsletter.state import connect, explain

T = TypeVar("T")

# Long enough for any journal write of a send to finish, short enough to answer a
# person (or a mail provider's one-click request) with "try again" instead of silence.
BUSY_TIMEOUT_MS = 10_000


class Unavailable(Exception):
    """The database is locked, busy, full, read-only, damaged or cannot be opened: answer
    503, try again later. `kind` says which (StateError.kind)."""

    def __init__(self, message: str, /, *, kind: str = "unavailable") -> None:
        super().__init__(message)
        self.kind = kind


class Database:
    def __init__(self, path: Path, /) -> None:
        self.path = path
        self._db: sqlite3.Connection | None = None
        self._limiter = anyio.CapacityLimiter(1)
        self.checked_at = float("-inf")  # when /health last ran quick_check

    async def run(self, function: Callable[[sqlite3.Connection], T], /) -> T:
        """FUNCTION(connection) in a worker thread; Unavailable when SQLite cannot serve."""
        return await anyio.to_thread.run_sync(self._call, function, limiter=self._limiter)

    def _call(self, function: Callable[[sqlite3.Connection], T]) -> T:
        try:
            return function(self._connection())
        except sqlite3.DatabaseError as exc:
            found = explain(exc, self.path)
            if found.kind == "other" and not isinstance(exc, sqlite3.OperationalError):
                raise  # a constraint broken by our own code is a bug: a 500, logged
            raise Unavailable(str(found), kind=found.kind) from None

    def _connection(self) -> sqlite3.Connection:
        if self._db is None:
            try:
                self._db = connect(self.path)
            except StateError as exc:
                raise Unavailable(str(exc), kind=exc.kind) from None
            self._db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        return self._db

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
