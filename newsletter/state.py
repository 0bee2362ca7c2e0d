"""The state database: one SQLite file, owned by this module from open to close.

Schema lives in numbered files `newsletter/sql/NNN_name.sql`; each is applied once,
in order, inside a transaction, and recorded in the `migrations` table.
"""

from __future__ import annotations

__all__ = ["DB_NAME", "connect", "database_path", "migrations", "transaction"]

import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from newsletter.errors import StateError

if TYPE_CHECKING:
    from newsletter.config import Config

DB_NAME = "state.sqlite3"
_MIGRATION = re.compile(r"^(\d{3})_([a-z0-9_]+)\.sql$")


def database_path(config: Config) -> Path:
    return config.state_dir / DB_NAME


def migrations() -> list[tuple[int, str, str]]:
    """(number, name, sql) of every migration shipped with the package, in order."""
    found = []
    for entry in resources.files("newsletter.sql").iterdir():
        if match := _MIGRATION.match(entry.name):
            found.append((int(match[1]), match[2], entry.read_text(encoding="utf-8")))
    return sorted(found)


def connect(path: Path) -> sqlite3.Connection:
    """Open (creating if need be) and migrate the state database at PATH."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        _ignore_in_git(path.parent)
        db = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
        db.row_factory = sqlite3.Row
        # WAL lets `newsletter serve` record unsubscribes while a send writes its journal.
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA busy_timeout = 30000")
        db.execute("PRAGMA foreign_keys = ON")
        db.execute("PRAGMA synchronous = NORMAL")
        _migrate(db)
    except StateError as exc:
        db.close()
        raise StateError(f"{path}: {exc}") from None
    except sqlite3.DatabaseError as exc:
        raise StateError(
            f"{path}: the state database cannot be used: {exc}. "
            "If it was copied or restored, check that the file is complete."
        ) from None
    except OSError as exc:
        raise StateError(f"{path}: cannot create the state folder: {exc.strerror}") from None
    return db


@contextmanager
def transaction(db: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """BEGIN IMMEDIATE ... COMMIT, rolled back on error: writers queue instead of failing."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def _migrate(db: sqlite3.Connection) -> None:
    db.execute(
        "CREATE TABLE IF NOT EXISTS migrations ("
        " number INTEGER PRIMARY KEY, name TEXT NOT NULL,"
        " applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')))"
    )
    done = {row[0] for row in db.execute("SELECT number FROM migrations")}
    shipped = migrations()
    if unknown := sorted(done - {number for number, _, _ in shipped}):
        # An older program must not write to a schema it does not know.
        raise StateError(
            f"it was made by a newer version of newsletter (migration {unknown[-1]}); "
            "upgrade newsletter to use it."
        )
    for number, name, sql in shipped:
        if number in done:
            continue
        with transaction(db):
            # executescript would commit on its own; run statement by statement instead.
            for statement in _statements(sql):
                db.execute(statement)
            db.execute("INSERT INTO migrations (number, name) VALUES (?, ?)", (number, name))


def _statements(sql: str) -> Iterator[str]:
    buffer = ""
    for line in sql.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            if buffer.strip():
                yield buffer
            buffer = ""
    if buffer.strip() and not buffer.strip().startswith("--"):
        yield buffer


def _ignore_in_git(folder: Path) -> None:
    # The state folder holds addresses and the token key: keep it out of any repository.
    marker = folder / ".gitignore"
    if not marker.exists():
        marker.write_text("*\n", encoding="utf-8")
