"""Checking backups and the state database, and putting a backup back.

`verify` reads a backup (or the SQLite state) thoroughly, changing nothing; on
PostgreSQL `verify_database` checks the schema and the counts. `restore` checks the
backup, keeps a backup of the database it replaces, then copies the backup into place:
page by page into a SQLite file, or every table in one transaction on PostgreSQL.
"""

from __future__ import annotations

__all__ = ["Verdict", "restore", "verify", "verify_database"]

import contextlib
import os
import shutil
import sqlite3
import stat
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

from newsletter.errors import StateError
from newsletter.fileio import PRIVATE_FILE, describe_os_error, private_folder
from newsletter.state import connect
from newsletter.state.backup import backup, free_name
from newsletter.state.connection import Connection
from newsletter.state.copy import copy_state, counts
from newsletter.state.location import Target, target
from newsletter.state.migrations import applied, latest
from newsletter.state.sqlite import explain, open_file
from newsletter.translate import _

if TYPE_CHECKING:
    from newsletter.config import Config


@dataclass(slots=True)
class Verdict:
    """What `verify` found in one database file."""

    where: str  # the file, or the PostgreSQL database
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    migration: int = 0  # the newest migration applied to it
    sends: int = 0
    recipients: int = 0
    suppression: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(path: Path, /) -> Verdict:
    """Check the database file at PATH thoroughly (integrity_check), changing nothing."""
    verdict = Verdict(str(path))
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
    if verdict.migration > latest():
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


def verify_database(db: Connection, /) -> Verdict:
    """Check a PostgreSQL state: this version's schema, every table there, and the counts.

    (The server checks its own pages; `amcheck` and its backups are its administrator's.)
    """
    verdict = Verdict(db.where)
    done = applied(db)
    verdict.migration = max(done, default=0)
    if not done:
        verdict.problems.append(_("has no newsletter tables (run `newsletter state migrate`)"))
        return verdict
    if verdict.migration != latest():
        verdict.problems.append(
            _(
                "has the schema of migration {migration}, this version's is {latest} (`newsletter"
                " state migrate`, or upgrade newsletter)"
            ).format(migration=verdict.migration, latest=latest())
        )
        return verdict
    found = counts(db)
    for table in ("sends", "recipients", "suppression"):
        setattr(verdict, table, found.get(table, 0))
    return verdict


def restore(config: Config, source: Path, /) -> Path | None:
    """Put the backup SOURCE in place of CONFIG's state database.

    The database it replaces is kept in the backups folder first (a damaged file as a
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
    found = target(config)
    if found.path is None:
        return _restore_into_server(config, found, source)
    db_path = found.path
    try:
        kept = _keep_current(db_path, found.backups)
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


def _restore_into_server(config: Config, found: Target, source: Path) -> Path:
    """The backup SOURCE's tables in place of the PostgreSQL state's, in one transaction."""
    db = connect(config)
    try:
        kept = backup(db, found.backups, reason="before-restore")
        with tempfile.TemporaryDirectory() as folder:
            # The backup itself is never changed: a copy of it is brought up to date.
            copy_path = Path(folder) / "backup.sqlite3"
            shutil.copyfile(source, copy_path)
            copy = connect(copy_path)
            try:
                copy_state(copy, db, replace=True)
            finally:
                copy.close()
    finally:
        db.close()
    return kept


def _keep_current(db_path: Path, folder: Path) -> Path | None:
    if not db_path.exists() or db_path.stat().st_size == 0:
        return None
    if verify(db_path).ok:
        db = open_file(db_path, check=False)
        try:
            return backup(db, folder, reason="before-restore")
        finally:
            db.close()
    # Damaged: keep its files as they are, for whoever wants to look into it later.
    private_folder(folder)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    kept = free_name(folder, f"state-{stamp}-damaged")
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
