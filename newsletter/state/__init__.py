"""The state database: the suppression list, the send journal, the archive, bounces.

It lives in a SQLite file in the project's state folder (the default: nothing to set
up), or on a PostgreSQL server that the web server and every editor share
(`state_url`, see docs/deploy.md). Either way it is a Connection: SQL written once with
`?` placeholders, rows by position or name, errors as StateError in plain words.
"""

from __future__ import annotations

__all__ = [
    "BACKUP_FOLDER",
    "DB_NAME",
    "TIME_FORMAT",
    "Connection",
    "Cursor",
    "Row",
    "Target",
    "backup_folder",
    "connect",
    "database_path",
    "now",
    "open_server",
    "target",
    "transaction",
]

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from newsletter.state.connection import Connection, Cursor, Row
from newsletter.state.location import (
    BACKUP_FOLDER,
    DB_NAME,
    Target,
    backup_folder,
    database_path,
    target,
)
from newsletter.state.migrations import check_current, migrate

if TYPE_CHECKING:
    from newsletter.config import Config

Schema = Literal["current", "any"]
TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"  # how the state database keeps times: text, in UTC


def connect(
    where: Config | Path,
    /,
    *,
    url: str | None = None,
    check: bool = True,
    schema: Schema = "current",
) -> Connection:
    """Open the state database of a Config (or the one URL names), or the SQLite file at a Path.

    A SQLite file is created if need be, checked (CHECK: SQLite's quick_check) and
    migrated. A PostgreSQL database must have this version's schema (`state migrate`);
    with SCHEMA "any" it is opened as it is, for `state migrate` and `state copy`.
    """
    if isinstance(where, Path):
        return _open_sqlite(where, check=check)
    found = target(where, url)
    if found.path is not None:
        return _open_sqlite(found.path, check=check)
    password = where.state_password
    return open_server(found, password=password.get_secret_value() if password else None,
                       schema=schema)  # fmt: skip


def open_server(
    found: Target, /, *, password: str | None = None, schema: Schema = "current"
) -> Connection:
    """A session on the PostgreSQL database FOUND names; see connect for SCHEMA."""
    from newsletter.state.postgres import open_database

    db = open_database(found, password=password)
    try:
        if schema == "current":
            check_current(db)
    except BaseException:
        db.close()
        raise
    return db


def _open_sqlite(path: Path, /, *, check: bool) -> Connection:
    from newsletter.state.sqlite import open_file

    db = open_file(path, check=check)
    try:
        migrate(db)
    except BaseException:
        db.close()
        raise
    return db


@contextmanager
def transaction(db: Connection, /) -> Iterator[Connection]:
    """DB's write transaction: committed at the end, rolled back on any error."""
    with db.transaction():
        yield db


def now() -> str:
    """The time in UTC as the state database keeps it: "2026-03-01T12:00:00Z"."""
    return datetime.now(UTC).strftime(TIME_FORMAT)
