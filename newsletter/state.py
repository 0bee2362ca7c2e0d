"""The state database: one SQLite file, owned by this module from open to close.

Schema lives in numbered files `newsletter/sql/NNN_name.sql`; each is applied once,
in order, inside a transaction, and recorded in the `migrations` table. Opening checks
the file (SQLite's quick_check), so a damaged database is refused before anything is
read from it or written to it; the folder is private to its owner (0700), the files in
it 0600. Every SQLite failure reaches the user as a StateError in plain words.
"""

from __future__ import annotations

__all__ = [
    "BACKUP_FOLDER",
    "DB_NAME",
    "connect",
    "database_path",
    "explain",
    "migrations",
    "transaction",
]

import contextlib
import os
import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from newsletter.errors import StateError
from newsletter.fileio import (
    PRIVATE_FILE,
    describe_os_error,
    disk_is_full,
    is_read_only,
    private_folder,
)
from newsletter.translate import _

if TYPE_CHECKING:
    from newsletter.config import Config

DB_NAME = "state.sqlite3"
BACKUP_FOLDER = "backups"  # in the state folder, beside the database
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


def connect(path: Path, /, *, check: bool = True) -> sqlite3.Connection:
    """Open (creating if need be), check and migrate the state database at PATH.

    CHECK runs SQLite's quick_check first: a damaged file is a StateError naming the
    backups to restore, never a traceback later.
    """
    try:
        private_folder(path.parent)
        _ignore_in_git(path.parent)
        _create_private(path)
    except OSError as exc:
        raise StateError(
            _("{parent}: cannot create the state folder: {reason}.").format(
                parent=path.parent, reason=describe_os_error(exc)
            )
        ) from None
    global _last_opened
    _last_opened = path
    db: sqlite3.Connection | None = None
    try:
        db = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
        db.row_factory = sqlite3.Row
        if check:
            _quick_check(db)
        # WAL lets `newsletter serve` record unsubscribes while a send writes its journal.
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA busy_timeout = 30000")
        db.execute("PRAGMA foreign_keys = ON")
        db.execute("PRAGMA synchronous = NORMAL")
        _migrate(db)
    except StateError as exc:
        _close(db)
        raise StateError(f"{path}: {exc}", kind=exc.kind) from None
    except sqlite3.Error as exc:
        _close(db)
        raise explain(exc, path) from None
    return db


def _create_private(path: Path) -> None:
    # SQLite gives the -wal and -shm files the database's own mode: 0600 for all three.
    if not path.exists():
        with contextlib.suppress(FileExistsError):
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE))


def _close(db: sqlite3.Connection | None) -> None:
    if db is not None:
        with contextlib.suppress(sqlite3.Error):
            db.close()


class _Damaged(sqlite3.DatabaseError):
    """quick_check found a problem; its first finding is the message."""

    sqlite_errorcode = 11  # SQLITE_CORRUPT
    sqlite_errorname = "SQLITE_CORRUPT"


def _quick_check(db: sqlite3.Connection) -> None:
    # quick_check(1): stop at the first problem; one is enough to refuse the file.
    found = [row[0] for row in db.execute("PRAGMA quick_check(1)")]
    if found != ["ok"]:
        raise _Damaged(found[0] if found else "quick_check found nothing to check")


# SQLite's primary result codes (https://sqlite.org/rescode.html).
_BUSY, _LOCKED, _READONLY, _IOERR, _CORRUPT, _FULL, _CANTOPEN, _NOTADB = 5, 6, 8, 10, 11, 13, 14, 26


_last_opened = Path(DB_NAME)


def explain(exc: sqlite3.Error, path: Path | None = None, /) -> StateError:
    """EXC from SQLite on the database at PATH (default: the last one opened), in plain
    words with what to do."""
    path = path or _last_opened
    code = (getattr(exc, "sqlite_errorcode", None) or 0) & 0xFF
    said = f"(SQLite: {exc})"
    if code == _READONLY or (code in (_CANTOPEN, _IOERR) and is_read_only(path.parent)):
        return StateError(
            _(
                "{path}: the state database cannot be written {said}. Check that the disk is "
                "mounted read-write and that this user may write {name} and the -wal and -shm "
                "files beside it, and the folder."
            ).format(path=path, said=said, name=path.name),
            kind="read-only",
        )
    if code == _FULL or (code in (_IOERR, _CANTOPEN) and disk_is_full(path.parent)):
        return StateError(
            _(
                "{path}: the disk is full {said}. Free some space, then run the command again; "
                "what was recorded before is kept."
            ).format(path=path, said=said),
            kind="full",
        )
    if code in (_CORRUPT, _NOTADB):
        return StateError(
            _(
                "{path}: the state database cannot be used: it is damaged {said}. Nothing was "
                "changed. See what is wrong and which backups there are with `newsletter state "
                "verify`; restore the newest good one with `newsletter state restore BACKUP` "
                "(backups are in {parent})."
            ).format(path=path, said=said, parent=path.parent / BACKUP_FOLDER),
            kind="damaged",
        )
    if code in (_BUSY, _LOCKED):
        return StateError(
            _(
                "{path}: the state database is busy {said}: another newsletter process is writing"
                " to it. Run the command again in a minute."
            ).format(path=path, said=said),
            kind="busy",
        )
    if code == _CANTOPEN:
        return StateError(
            _(
                "{path}: the state database cannot be opened {said}. Check that the folder exists"
                " and that this user may read and write it."
            ).format(path=path, said=said)
        )
    if code == _IOERR:
        return StateError(
            _(
                "{path}: the disk reported an input/output error {said}. Check the disk; if the "
                "file itself is damaged, `newsletter state verify` says so."
            ).format(path=path, said=said),
            kind="damaged",
        )
    return StateError(
        _("{path}: the state database cannot be used {said}.").format(path=path, said=said),
        kind="other",
    )


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
            _(
                "it was made by a newer version of newsletter (migration {unknown}); upgrade "
                "newsletter to use it."
            ).format(unknown=unknown[-1])
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
