"""The server's connections to the state database, each used from one thread at a time.

SQLite allows one writer: the server's own work queues behind a single connection,
which costs nothing, and a send writing its journal from another process waits its
turn by SQLite's busy timeout, as the server's writes wait for it. PostgreSQL serves
many at once: the server keeps a pool of connections (POOL_SIZE per process), and the
requests of every worker and every host run side by side.
"""

from __future__ import annotations

__all__ = ["BUSY_TIMEOUT_MS", "POOL_SIZE", "Database", "Unavailable"]

import functools
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import anyio
import anyio.to_thread

from newsletter.config import Config
from newsletter.errors import StateError
from newsletter.state import Connection, Target, connect, target

if TYPE_CHECKING:
    from psycopg_pool import ConnectionPool

T = TypeVar("T")

# Long enough for any journal write of a send to finish, short enough to answer a
# person (or a mail provider's one-click request) with "try again" instead of silence.
BUSY_TIMEOUT_MS = 10_000
POOL_SIZE = 8  # connections per server process, on PostgreSQL


class Unavailable(Exception):
    """The database is locked, busy, full, read-only, damaged or cannot be reached: answer
    503, try again later. `kind` says which (StateError.kind)."""

    def __init__(self, message: str, /, *, kind: str = "unavailable") -> None:
        super().__init__(message)
        self.kind = kind


class Database:
    def __init__(self, config: Config, /) -> None:
        self.config = config
        self.target: Target = target(config)
        self._db: Connection | None = None
        self._pool: ConnectionPool[Any] | None = None
        size = 1 if self.target.is_sqlite else POOL_SIZE
        self._limiter = anyio.CapacityLimiter(size)
        self._opening = threading.Lock()
        self.checked_at = float("-inf")  # when /health last ran quick_check

    async def run(self, function: Callable[[Connection], T], /) -> T:
        """FUNCTION(connection) in a worker thread; Unavailable when the database cannot serve."""
        return await anyio.to_thread.run_sync(self._call, function, limiter=self._limiter)

    def _call(self, function: Callable[[Connection], T]) -> T:
        try:
            if self.target.is_sqlite:
                return function(self._connection())
            return self._pooled(function)
        except StateError as exc:
            if exc.kind == "constraint":
                raise  # a constraint broken by our own code is a bug: a 500, logged
            raise Unavailable(str(exc), kind=exc.kind) from None

    def _connection(self) -> Connection:
        if self._db is None:
            self._db = connect(self.config)
            self._db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        return self._db

    def _pooled(self, function: Callable[[Connection], T]) -> T:
        import psycopg
        from psycopg_pool import PoolTimeout

        from newsletter.state.postgres import PostgresConnection, explain

        with self._opening:  # the first requests arrive together: one pool for them all
            pool = self._pool or self._open_pool()
        try:
            with pool.connection() as raw:
                return function(PostgresConnection(raw, self.target.url, owned=False))
        except PoolTimeout as exc:  # every connection busy, or the server unreachable
            raise StateError(f"{self.target.url}: {exc}", kind="unavailable") from None
        except psycopg.Error as exc:  # the pool's own work on a connection that broke
            raise explain(exc, self.target.url) from None

    def _open_pool(self) -> ConnectionPool[Any]:
        from psycopg_pool import ConnectionPool

        from newsletter.state.postgres import configure_raw, connection_kwargs, conninfo

        # The schema is checked once, as every command does, before the pool opens.
        connect(self.config).close()
        password = self.config.state_password
        self._pool = ConnectionPool(
            conninfo(self.target),
            kwargs=connection_kwargs(password.get_secret_value() if password else None),
            min_size=1,
            max_size=POOL_SIZE,
            # A request waits for a lock as long as for SQLite's, then answers "try again".
            configure=functools.partial(configure_raw, lock_timeout=f"{BUSY_TIMEOUT_MS}ms"),
            # No check on every loan (a round trip each): a connection the server closed
            # (a restart, a failover) fails one request with 503, and the pool replaces it.
            timeout=BUSY_TIMEOUT_MS / 1000,
            open=True,
        )
        return self._pool

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
        if self._pool is not None:
            self._pool.close()
            self._pool = None
