"""Backups of the state database: made while it is in use, kept, listed.

A backup is a SQLite file in the backups folder, `state-YYYYMMDDTHHMMSSZ-REASON.sqlite3`,
private (0600): of a SQLite state, SQLite's online backup API copying the live database
(what the WAL holds included, while `serve` and others read and write); of a PostgreSQL
state, a copy of every table from one consistent snapshot (newsletter.state.copy). A
send makes one before it starts and one when it ends; of those automatic backups the
newest KEEP are kept. Checking and restoring them: newsletter.state.restore.
"""

from __future__ import annotations

__all__ = ["AUTOMATIC", "KEEP", "Backup", "backup", "backups", "copy_to", "free_name"]

import contextlib
import os
import re
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from newsletter.errors import StateError
from newsletter.fileio import PRIVATE_FILE, describe_os_error, private_folder
from newsletter.state.connection import Connection
from newsletter.state.copy import copy_state
from newsletter.state.migrations import migrate
from newsletter.state.sqlite import SqliteConnection, explain
from newsletter.translate import _

KEEP = 10
AUTOMATIC = frozenset({"before-send", "after-send", "before-restore"})
_NAME = re.compile(r"^state-(\d{8}T\d{6}Z)-([a-z-]+?)(?:-\d+)?\.sqlite3$")


@dataclass(frozen=True, slots=True)
class Backup:
    path: Path
    taken_at: str  # "2026-03-01T12:00:00Z"
    reason: str  # before-send, after-send, before-restore, manual, damaged


def backup(db: Connection, folder: Path, /, *, reason: str) -> Path:
    """Copy the open database DB into the backups FOLDER; the new file."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    try:
        private_folder(folder)
        target = free_name(folder, f"state-{stamp}-{reason}")
        _copy(db, target)
    except OSError as exc:
        raise StateError(
            _("{folder}: cannot back up the state database: {reason}.").format(
                folder=folder, reason=describe_os_error(exc)
            )
        ) from None
    except StateError as exc:
        raise StateError(
            _("{folder}: cannot back up: {exc}").format(folder=folder, exc=exc), kind=exc.kind
        ) from None
    if reason in AUTOMATIC:
        _prune(folder)
    return target


def copy_to(db: Connection, target: Path, /) -> Path:
    """Copy the open database DB to the new file TARGET (e.g. on another disk)."""
    if target.exists():
        raise StateError(
            _("{target}: exists already; choose a new file name.").format(target=target)
        )
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        _copy(db, target)
    except OSError as exc:
        raise StateError(
            _("{target}: cannot write the backup: {reason}.").format(
                target=target, reason=describe_os_error(exc)
            )
        ) from None
    except StateError as exc:
        raise StateError(
            _("{target}: cannot write the backup: {exc}").format(target=target, exc=exc),
            kind=exc.kind,
        ) from None
    return target


def free_name(folder: Path, stem: str) -> Path:
    number = 1
    while (path := folder / f"{stem}{f'-{number}' if number > 1 else ''}.sqlite3").exists():
        number += 1
    return path


def _copy(db: Connection, target: Path) -> None:
    """DB into a temporary file beside TARGET, renamed to TARGET when complete."""
    temporary = target.with_name(f".{target.name}.tmp")
    os.close(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE))
    try:
        if isinstance(db, SqliteConnection):
            _sqlite_backup(db.raw, temporary)
        else:
            _snapshot(db, temporary)
        with open(temporary, "rb") as file:
            os.fsync(file.fileno())
        os.replace(temporary, target)
    except BaseException:
        for leftover in (temporary, Path(f"{temporary}-wal"), Path(f"{temporary}-shm")):
            with contextlib.suppress(OSError):
                os.unlink(leftover)
        raise


def _sqlite_backup(db: sqlite3.Connection, temporary: Path) -> None:
    try:
        copy = sqlite3.connect(temporary, isolation_level=None)
        try:
            db.backup(copy)
            # A backup is one self-contained file: no -wal beside it.
            copy.execute("PRAGMA journal_mode = DELETE")
        finally:
            copy.close()
    except sqlite3.Error as exc:
        raise explain(exc, temporary) from None


def _snapshot(db: Connection, temporary: Path) -> None:
    """Every table of DB (PostgreSQL) into a new SQLite file of the same schema."""

    raw = sqlite3.connect(temporary, isolation_level=None)
    raw.row_factory = sqlite3.Row
    copy = SqliteConnection(raw, temporary)
    try:
        migrate(copy)
        copy_state(db, copy)
        copy.execute("PRAGMA journal_mode = DELETE")
    finally:
        copy.close()


def _prune(folder: Path) -> None:
    automatic = [found for found in backups(folder) if found.reason in AUTOMATIC]
    for old in automatic[KEEP:]:
        with contextlib.suppress(OSError):
            old.path.unlink()


def backups(folder: Path, /) -> list[Backup]:
    """The backups in FOLDER, newest first."""
    found = []
    with contextlib.suppress(OSError):
        for path in folder.iterdir():
            if match := _NAME.match(path.name):
                taken = datetime.strptime(match[1], "%Y%m%dT%H%M%SZ")
                found.append(Backup(path, taken.strftime("%Y-%m-%dT%H:%M:%SZ"), match[2]))
    return sorted(found, key=lambda b: (b.taken_at, _mtime(b.path)), reverse=True)


def _mtime(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return 0
