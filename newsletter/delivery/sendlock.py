"""The lock of one issue's send: one process at a time sends it.

With a SQLite state, a file lock in the state folder (the database is on this machine).
With a PostgreSQL state, sends may start on any machine: the lock is an advisory lock of
the database session that sends, so a second send of the issue from anywhere is refused,
and the server releases it by itself when that session ends, a crashed one included.
"""

from __future__ import annotations

__all__ = ["lock", "running", "running_sends"]

import contextlib
import fcntl
import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from newsletter.config import Config
from newsletter.errors import SendError, StateError
from newsletter.state import Connection
from newsletter.translate import _

# The first key of our advisory locks ("nl"): the second is the issue's.
_NAMESPACE = 0x6E6C
_HELD = (
    "SELECT objid FROM pg_locks WHERE locktype = 'advisory' AND classid = ? AND objsubid = 2"
    " AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
)


@contextmanager
def lock(config: Config, db: Connection, newsletter: str, slug: str) -> Iterator[None]:
    """Hold the send's lock: a second process must not take the first one's rows for lost."""
    if db.dialect.name == "postgresql":
        with _advisory(db, newsletter, slug):
            yield
        return
    path = _lock_path(config, newsletter, slug)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+") as file:
        if not _try_lock(file):
            raise _busy(newsletter, slug)
        file.truncate(0)
        file.write(str(os.getpid()))
        file.flush()
        yield


def _busy(newsletter: str, slug: str) -> SendError:
    return SendError(
        _(
            "{newsletter}/{slug} is being sent by another newsletter process right now (on this "
            "machine or, with a shared database, on another). Wait for it to finish, or stop it "
            "with Ctrl-C, then run this again."
        ).format(newsletter=newsletter, slug=slug)
    )


@contextmanager
def _advisory(db: Connection, newsletter: str, slug: str) -> Iterator[None]:
    key = _key(newsletter, slug)
    row = db.execute("SELECT pg_try_advisory_lock(?, ?)", (_NAMESPACE, key)).fetchone()
    if row is None or not row[0]:
        raise _busy(newsletter, slug)
    try:
        yield
    finally:
        # A session that is gone has released it already.
        with contextlib.suppress(StateError):
            db.execute("SELECT pg_advisory_unlock(?, ?)", (_NAMESPACE, key))


def _key(newsletter: str, slug: str) -> int:
    """The issue's lock key: 32 bits of a hash of its name, as a signed int4."""
    digest = hashlib.sha256(f"{newsletter}/{slug}".encode()).digest()
    return int.from_bytes(digest[:4], "big", signed=True)


def running(config: Config, db: Connection, newsletter: str, slug: str) -> bool:
    """True while a process holds the send's lock."""
    if db.dialect.name == "postgresql":
        return _key(newsletter, slug) % 2**32 in _held(db)
    path = _lock_path(config, newsletter, slug)
    if not path.exists():
        return False
    with path.open("a+") as file:
        return not _try_lock(file)


def running_sends(config: Config, db: Connection | None, /) -> list[str]:
    """The sends (`newsletter/slug`) a process is running right now (DB: a PostgreSQL
    state's; a SQLite state's locks are files, and need no database)."""
    if db is not None and db.dialect.name == "postgresql":
        held = _held(db)
        names = db.execute("SELECT newsletter, slug FROM sends").fetchall()
        found = [f"{n}/{s}" for n, s in names if _key(n, s) % 2**32 in held]
        unnamed = len(held) - len(found)
        return found + ["an issue not frozen yet"] * (unnamed > 0)
    found = []
    for path in sorted((config.state_dir / "locks").glob("*.lock")):
        with path.open("a+") as file:
            if not _try_lock(file):
                found.append(path.stem.replace("--", "/", 1))
    return found


def _held(db: Connection) -> set[int]:
    # pg_locks shows the key as an oid: the signed int4 as unsigned.
    return {int(row[0]) for row in db.execute(_HELD, (_NAMESPACE,))}


def _lock_path(config: Config, newsletter: str, slug: str) -> Path:
    return config.state_dir / "locks" / f"{newsletter}--{slug}.lock"


def _try_lock(file: IO[str]) -> bool:
    """Take FILE's lock without waiting: False when another process holds it."""
    try:
        fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True
