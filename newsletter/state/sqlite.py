"""The state database in a SQLite file: opened, checked, and its errors in plain words.

Opening checks the file (SQLite's quick_check), so a damaged database is refused before
anything is read from it or written to it; the folder is private to its owner (0700),
the files in it 0600. WAL lets `newsletter serve` record unsubscribes while a send
writes its journal; writers take the lock at the start of a transaction and queue.
"""

from __future__ import annotations

__all__ = ["SqliteConnection", "explain", "open_file"]

import contextlib
import os
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from newsletter.errors import StateError
from newsletter.fileio import (
    PRIVATE_FILE,
    describe_os_error,
    disk_is_full,
    is_read_only,
    private_folder,
)
from newsletter.state.connection import Connection, Cursor
from newsletter.state.dialect import SQLITE
from newsletter.state.location import BACKUP_FOLDER
from newsletter.translate import _


class SqliteConnection(Connection):
    """A SQLite file, in autocommit mode between explicit transactions."""

    dialect = SQLITE

    def __init__(self, raw: sqlite3.Connection, path: Path, /) -> None:
        self.raw, self.path, self.where = raw, path, str(path)

    def execute(self, sql: str, params: Sequence[Any] = (), /) -> Cursor:
        try:
            return Cursor(self.raw.execute(sql, params), self.explain)
        except sqlite3.Error as exc:
            raise self.explain(exc) from exc

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]], /) -> None:
        try:
            self.raw.executemany(sql, rows)
        except sqlite3.Error as exc:
            raise self.explain(exc) from exc

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        self.execute("BEGIN IMMEDIATE")
        try:
            yield self
        except BaseException:
            with contextlib.suppress(StateError):
                self.execute("ROLLBACK")
            raise
        self.execute("COMMIT")

    @contextmanager
    def snapshot(self) -> Iterator[Connection]:
        # In WAL mode a read transaction sees the database as of its first read.
        self.execute("BEGIN DEFERRED")
        try:
            yield self
        finally:
            with contextlib.suppress(StateError):
                self.execute("COMMIT")

    def close(self) -> None:
        with contextlib.suppress(sqlite3.Error):
            self.raw.close()

    def explain(self, exc: Exception, /) -> StateError:
        if isinstance(exc, StateError):
            return exc
        assert isinstance(exc, sqlite3.Error), exc
        return explain(exc, self.path)


def open_file(path: Path, /, *, check: bool = True) -> SqliteConnection:
    """Open (creating if need be) the SQLite file at PATH; with CHECK, run quick_check."""
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
    raw: sqlite3.Connection | None = None
    try:
        raw = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
        raw.row_factory = sqlite3.Row
        if check:
            _quick_check(raw)
        raw.execute("PRAGMA journal_mode = WAL")
        raw.execute("PRAGMA busy_timeout = 30000")
        raw.execute("PRAGMA foreign_keys = ON")
        raw.execute("PRAGMA synchronous = NORMAL")
    except sqlite3.Error as exc:
        if raw is not None:
            raw.close()
        raise explain(exc, path) from None
    return SqliteConnection(raw, path)


def _create_private(path: Path) -> None:
    # SQLite gives the -wal and -shm files the database's own mode: 0600 for all three.
    if not path.exists():
        with contextlib.suppress(FileExistsError):
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE))


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
_CONSTRAINT = 19


def explain(exc: sqlite3.Error, path: Path, /) -> StateError:
    """EXC from SQLite on the database at PATH, in plain words with what to do."""
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
    if code == _CONSTRAINT or isinstance(exc, sqlite3.IntegrityError):
        return StateError(f"{path}: {exc}", kind="constraint")
    return StateError(
        _("{path}: the state database cannot be used {said}.").format(path=path, said=said),
        kind="other",
    )


def _ignore_in_git(folder: Path) -> None:
    # The state folder holds addresses and the token key: keep it out of any repository.
    marker = folder / ".gitignore"
    if not marker.exists():
        marker.write_text("*\n", encoding="utf-8")
