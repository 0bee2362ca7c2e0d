"""One connection to the state database, whichever engine holds it.

Every module that reads or writes the state writes its SQL once, with `?` placeholders,
and runs it through a Connection: SQLite's or PostgreSQL's (newsletter.state.sqlite,
newsletter.state.postgres). Rows are read by position or by column name on both. Every
error of the engine reaches the caller as a StateError in plain words, with its `kind`
(full, read-only, damaged, busy, unavailable, constraint, other).
"""

from __future__ import annotations

__all__ = ["Connection", "Cursor", "Row"]

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol

from newsletter.errors import StateError
from newsletter.state.dialect import Dialect


class Row(Protocol):
    """A row: by position (`row[0]`), by column name (`row["address"]`), or unpacked."""

    def __getitem__(self, key: Any, /) -> Any: ...

    def __iter__(self) -> Iterator[Any]: ...

    def __len__(self) -> int: ...

    def keys(self) -> list[str]: ...


class _RawCursor(Protocol):
    @property
    def rowcount(self) -> int: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    def __iter__(self) -> Iterator[Any]: ...


class Cursor:
    """The result of one statement; reading it raises StateError as executing does."""

    __slots__ = ("_explain", "_raw")

    def __init__(self, raw: _RawCursor, explain: Callable[[Exception], StateError]) -> None:
        self._raw, self._explain = raw, explain

    @property
    def rowcount(self) -> int:
        return self._raw.rowcount

    def fetchone(self) -> Row | None:
        try:
            row: Row | None = self._raw.fetchone()
        except Exception as exc:
            raise self._explain(exc) from exc
        return row

    def scalar(self) -> Any:
        """The first value of the first row (a count, a maximum), or None without a row."""
        row = self.fetchone()
        return None if row is None else row[0]

    def fetchall(self) -> list[Row]:
        try:
            return list(self._raw.fetchall())
        except Exception as exc:
            raise self._explain(exc) from exc

    def __iter__(self) -> Iterator[Row]:
        try:
            yield from self._raw
        except Exception as exc:
            raise self._explain(exc) from exc


class Connection:
    """The state database. Subclasses hold the engine's own connection."""

    dialect: Dialect
    where: str  # what messages name: the file, or the database's address without secrets

    def execute(self, sql: str, params: Sequence[Any] = (), /) -> Cursor:
        """Run one statement of SQL with `?` placeholders."""
        raise NotImplementedError

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]], /) -> None:
        """Run one statement for each of ROWS."""
        raise NotImplementedError

    def transaction(self) -> AbstractContextManager[Connection]:
        """A write transaction: committed at the end, rolled back on any error.

        SQLite takes its write lock at the start (BEGIN IMMEDIATE), so writers queue
        instead of failing halfway; PostgreSQL locks the rows a statement touches.
        """
        raise NotImplementedError

    def lock(self, key: str, /) -> None:
        """Inside a transaction: take turns with any other one that locks KEY."""
        if self.dialect.lock_key:
            self.execute(self.dialect.lock_key, (key,))

    def snapshot(self) -> AbstractContextManager[Connection]:
        """A read-only transaction that sees the database as it was at its start."""
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def explain(self, exc: Exception, /) -> StateError:
        """EXC, raised by the engine, in plain words."""
        raise NotImplementedError

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
