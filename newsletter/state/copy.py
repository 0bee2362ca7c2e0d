"""Copying a whole state from one database to another, of either engine.

`newsletter state copy --to URL` moves a project's SQLite state into PostgreSQL; the
backups of a PostgreSQL state are SQLite files made the same way, and a restore copies
one back. Every table the migrations made is copied (the suppression list, the journal,
the archive, the bounces, whatever later versions add), from one consistent snapshot of
the source, in one transaction on the target; the counts are compared afterwards.
"""

from __future__ import annotations

__all__ = ["Copied", "copy_state", "counts", "is_empty", "scratch_copy", "tables"]

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from newsletter.errors import StateError
from newsletter.state.connection import Connection, Row
from newsletter.state.migrations import migrate
from newsletter.state.sqlite import SqliteConnection
from newsletter.translate import _

# Not part of a state: the schema's own record, and the row /health overwrites.
_NOT_STATE = {"migrations", "health"}
_BATCH = 1000


@dataclass(slots=True)
class Copied:
    """How many rows each table holds, in the source and, after the copy, the target."""

    source: dict[str, int] = field(default_factory=dict)
    target: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.source == self.target


def tables(db: Connection, /) -> list[str]:
    """DB's state tables, each after the tables it refers to."""
    if db.dialect.name == "sqlite":
        names = [r[0] for r in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%'"
        )]  # fmt: skip
        refs = [(r[0], r[1]) for r in db.execute(
            "SELECT m.name, f.\"table\" FROM sqlite_master AS m"
            " JOIN pragma_foreign_key_list(m.name) AS f WHERE m.type = 'table'"
        )]  # fmt: skip
    else:
        names = [r[0] for r in db.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
        )]  # fmt: skip
        refs = [(r[0], r[1]) for r in db.execute(
            "SELECT c.conrelid::regclass::text, c.confrelid::regclass::text FROM pg_constraint c"
            " WHERE c.contype = 'f' AND c.connamespace = current_schema()::regnamespace"
        )]  # fmt: skip
    return _ordered(sorted(set(names) - _NOT_STATE), refs)


def _ordered(names: list[str], refs: list[tuple[str, str]]) -> list[str]:
    done: list[str] = []
    while len(done) < len(names):
        ready = [n for n in names if n not in done and all(
            parent in done or parent == n or parent not in names
            for child, parent in refs if child == n
        )]  # fmt: skip
        if not ready:
            raise StateError(
                _("the tables {joined} refer to each other in a circle").format(
                    joined=", ".join(names)
                )
            )
        done += ready
    return done


def counts(db: Connection, /) -> dict[str, int]:
    """Rows per state table of DB."""
    return {name: int(db.execute(f"SELECT count(*) FROM {name}").fetchone()[0])  # type: ignore[index]
            for name in tables(db)}  # fmt: skip


def is_empty(db: Connection, /) -> bool:
    """True when no state table of DB holds a row."""
    return not any(db.execute(f"SELECT 1 FROM {name} LIMIT 1").fetchone() for name in tables(db))


def copy_state(source: Connection, target: Connection, /, *, replace: bool = False) -> Copied:
    """Copy every state table of SOURCE into TARGET (both at this version's schema).

    TARGET must be empty, unless REPLACE: then what it holds is deleted first, in the
    same transaction (a restore). StateError when the counts differ afterwards.
    """
    names = tables(source)
    if missing := sorted(set(names) - set(tables(target))):
        raise StateError(
            _("{where}: has no table {joined}; migrate it first.").format(
                where=target.where, joined=", ".join(missing)
            )
        )
    copied = Copied()
    with source.snapshot(), target.transaction():
        if not replace and not is_empty(target):
            raise StateError(
                _(
                    "{where}: holds a state already; nothing was copied. Copy into an empty "
                    "database (or restore a backup into it with `newsletter state restore`)."
                ).format(where=target.where)
            )
        if replace:
            _lock(target, names)
            for name in reversed(names):
                target.execute(f"DELETE FROM {name}")
        for name in names:
            copied.source[name] = _copy_table(source, target, name)
        _restart_identities(target)
        copied.target = counts(target)
    if not copied.ok:
        raise StateError(
            _("{where}: the copy is incomplete: {difference}.").format(
                where=target.where, difference=_difference(copied)
            )
        )
    return copied


def _lock(db: Connection, names: list[str]) -> None:
    if db.dialect.name == "postgresql":
        # The web server's writes wait for the restore instead of landing in between.
        db.execute(f"LOCK TABLE {', '.join(names)} IN ACCESS EXCLUSIVE MODE")


def _copy_table(source: Connection, target: Connection, name: str) -> int:
    rows = iter(source.execute(f"SELECT * FROM {name}"))
    first = next(rows, None)
    if first is None:
        return 0
    columns = first.keys()
    insert = f"INSERT INTO {name} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
    number = 0
    for batch in _batches(first, rows):
        target.executemany(insert, batch)
        number += len(batch)
    return number


def _batches(first: Row, rest: Iterator[Row]) -> Iterator[list[tuple[Any, ...]]]:
    batch = [tuple(first)]
    for row in rest:
        batch.append(tuple(row))
        if len(batch) >= _BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _restart_identities(db: Connection) -> None:
    """On PostgreSQL, the next id after the highest one copied (ids are given explicitly)."""
    if db.dialect.name != "postgresql":
        return
    found = db.execute(
        "SELECT table_name, column_name FROM information_schema.columns"
        " WHERE table_schema = current_schema() AND is_identity = 'YES'"
    ).fetchall()
    for table, column in found:
        db.execute(
            f"SELECT setval(pg_get_serial_sequence(?, ?), coalesce(max({column}), 0) + 1, false)"
            f" FROM {table}",
            (table, column),
        )


def _difference(copied: Copied) -> str:
    return ", ".join(
        f"{name}: {copied.source.get(name, 0)} rows, {copied.target.get(name, 0)} copied"
        for name in sorted({*copied.source, *copied.target})
        if copied.source.get(name, 0) != copied.target.get(name, 0)
    )


def scratch_copy(db: Connection, /) -> Connection:
    """A copy of DB in memory, to try something on and throw away (a dry run)."""
    raw = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
    raw.row_factory = sqlite3.Row
    copy = SqliteConnection(raw, Path(":memory:"))
    if isinstance(db, SqliteConnection):
        db.raw.backup(raw)
    else:
        migrate(copy)
        copy_state(db, copy)
    return copy
