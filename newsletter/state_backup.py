"""Backups of the state database: made while it is in use, checked, and restored.

A backup is SQLite's online backup API copying the live database (what the WAL holds
included, while `serve` and others read and write) to a new file in the backups folder
beside it, `state-YYYYMMDDTHHMMSSZ-REASON.sqlite3`, private (0600). A send makes one
before it starts and one when it ends; of those automatic backups the newest KEEP are
kept. `verify` reads a database file without changing it. `restore` checks the backup,
keeps a copy of the database it replaces, then copies the backup into place.
"""

from __future__ import annotations

__all__ = [
    "AUTOMATIC",
    "KEEP",
    "Backup",
    "Verdict",
    "backup",
    "backup_folder",
    "backups",
    "copy_to",
    "restore",
    "verify",
]

import contextlib
import os
import re
import shutil
import sqlite3
import stat
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

from newsletter.errors import StateError
from newsletter.fileio import PRIVATE_FILE, describe_os_error, private_folder
from newsletter.state import BACKUP_FOLDER, connect, explain, migrations
from newsletter.translate import _

KEEP = 10
AUTOMATIC = frozenset({"before-send", "after-send", "before-restore"})
_NAME = re.compile(r"^state-(\d{8}T\d{6}Z)-([a-z-]+?)(?:-\d+)?\.sqlite3$")


@dataclass(frozen=True, slots=True)
class Backup:
    path: Path
    taken_at: str  # "2026-03-01T12:00:00Z"
    reason: str  # before-send, after-send, before-restore, manual, damaged


@dataclass(slots=True)
class Verdict:
    """What `verify` found in one database file."""

    path: Path
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    migration: int = 0  # the newest migration applied to it
    sends: int = 0
    recipients: int = 0
    suppression: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


def backup_folder(db_path: Path, /) -> Path:
    return db_path.parent / BACKUP_FOLDER


def backup(db: sqlite3.Connection, db_path: Path, /, *, reason: str) -> Path:
    """Copy the open database DB (at DB_PATH) into its backups folder; the new file."""
    folder = backup_folder(db_path)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    try:
        private_folder(folder)
        target = _free_name(folder, f"state-{stamp}-{reason}")
        _copy(db, target)
    except OSError as exc:
        raise StateError(
            _("{folder}: cannot back up the state database: {reason}.").format(
                folder=folder, reason=describe_os_error(exc)
            )
        ) from None
    except sqlite3.Error as exc:
        raise StateError(
            _("{folder}: cannot back up: {reason}").format(
                folder=folder, reason=explain(exc, db_path)
            )
        ) from None
    if reason in AUTOMATIC:
        _prune(folder)
    return target


def copy_to(db: sqlite3.Connection, target: Path, /) -> Path:
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
    except sqlite3.Error as exc:
        raise StateError(
            _("{target}: cannot write the backup: {reason}").format(
                target=target, reason=explain(exc, target)
            )
        ) from None
    return target


def _free_name(folder: Path, stem: str) -> Path:
    number = 1
    while (path := folder / f"{stem}{f'-{number}' if number > 1 else ''}.sqlite3").exists():
        number += 1
    return path


def _copy(db: sqlite3.Connection, target: Path) -> None:
    """DB's pages into a temporary file beside TARGET, renamed to TARGET when complete."""
    temporary = target.with_name(f".{target.name}.tmp")
    os.close(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE))
    try:
        copy = sqlite3.connect(temporary, isolation_level=None)
        try:
            db.backup(copy)
            # A backup is one self-contained file: no -wal beside it.
            copy.execute("PRAGMA journal_mode = DELETE")
        finally:
            copy.close()
        with open(temporary, "rb") as file:
            os.fsync(file.fileno())
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


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


def verify(path: Path, /) -> Verdict:
    """Check the database file at PATH thoroughly (integrity_check), changing nothing."""
    verdict = Verdict(path)
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        verdict.problems.append(_("cannot be read: {reason}").format(reason=describe_os_error(exc)))
        return verdict
    if not stat.S_ISREG(mode):
        verdict.problems.append(_("is not a regular file"))
        return verdict
    if mode & 0o077:
        verdict.warnings.append(
            _(
                "can be read by other users of this computer (mode {stat:o}); make it private: "
                "chmod 600 {path}"
            ).format(stat=stat.S_IMODE(mode), path=path)
        )
    try:
        db = sqlite3.connect(f"file:{quote(str(path))}?mode=ro", uri=True)
        try:
            _inspect(db, verdict)
        finally:
            db.close()
    except sqlite3.Error as exc:
        verdict.problems.append(str(explain(exc, path)).removeprefix(f"{path}: "))
    return verdict


def _inspect(db: sqlite3.Connection, verdict: Verdict) -> None:
    found = [row[0] for row in db.execute("PRAGMA integrity_check(20)")]
    if found != ["ok"]:
        verdict.problems += [f"damaged: {problem}" for problem in found]
        return
    tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    if "migrations" not in tables:
        verdict.problems.append(_("is not a newsletter state database (no migrations table)"))
        return
    verdict.migration = db.execute("SELECT max(number) FROM migrations").fetchone()[0] or 0
    if verdict.migration > max(number for number, _, _ in migrations()):
        verdict.problems.append(
            _(
                "was made by a newer version of newsletter (migration {migration}); upgrade "
                "newsletter to use it"
            ).format(migration=verdict.migration)
        )
    for table in ("sends", "recipients", "suppression"):
        if table in tables:
            count = db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            setattr(verdict, table, count)


def restore(db_path: Path, source: Path, /) -> Path | None:
    """Put the backup SOURCE in place of the database at DB_PATH.

    The database it replaces is kept in the backups folder first (a damaged one as a
    plain copy of its files): a restore never loses what was there. The path of that
    copy, None when there was no database.
    """
    verdict = verify(source)
    if not verdict.ok:
        raise StateError(
            _(
                "{source}: cannot restore from it: {joined}. Choose another backup (`newsletter "
                "state verify` lists them)."
            ).format(source=source, joined="; ".join(verdict.problems))
        )
    try:
        kept = _keep_current(db_path)
        _copy_in(source, db_path)
    except OSError as exc:
        raise StateError(
            _("{db_path}: cannot restore: {reason}.").format(
                db_path=db_path, reason=describe_os_error(exc)
            )
        ) from None
    except sqlite3.Error as exc:
        raise explain(exc, db_path) from None
    connect(db_path).close()  # migrates a backup made by an older version
    return kept


def _keep_current(db_path: Path) -> Path | None:
    if not db_path.exists() or db_path.stat().st_size == 0:
        return None
    if verify(db_path).ok:
        db = sqlite3.connect(db_path)
        try:
            return backup(db, db_path, reason="before-restore")
        finally:
            db.close()
    # Damaged: keep its files as they are, for whoever wants to look into it later.
    folder = private_folder(backup_folder(db_path))
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    kept = _free_name(folder, f"state-{stamp}-damaged")
    for suffix in ("", "-wal"):
        if (part := Path(f"{db_path}{suffix}")).exists():
            shutil.copyfile(part, f"{kept}{suffix}")
            os.chmod(f"{kept}{suffix}", PRIVATE_FILE)
    return kept


def _copy_in(source: Path, db_path: Path) -> None:
    if not verify(db_path).ok:
        # What cannot be opened cannot be written page by page: start from nothing.
        for suffix in ("", "-wal", "-shm"):
            with contextlib.suppress(FileNotFoundError):
                Path(f"{db_path}{suffix}").unlink()
    private_folder(db_path.parent)
    if not db_path.exists():
        os.close(os.open(db_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE))
    src = sqlite3.connect(f"file:{quote(str(source))}?mode=ro", uri=True)
    dst = sqlite3.connect(db_path, timeout=30)
    try:
        # Page by page into the live file, under SQLite's lock: a running `serve` reads
        # the restored database on its next query.
        src.backup(dst)
    finally:
        dst.close()
        src.close()
