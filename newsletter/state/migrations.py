"""The schema: numbered migrations, the same on both engines.

Each migration is `sql/NNN_name.sql`, or where the SQL must differ, a variant per engine
(`NNN_name.sqlite.sql`, `NNN_name.postgresql.sql`); both produce the same tables and
columns. Each is applied once, in order, in a transaction, and recorded in the
`migrations` table. A SQLite file is brought up to date when it is opened (it is the
project's own); a PostgreSQL database is shared, so it is changed only by
`newsletter state migrate`, and every command checks first that it is current.
"""

from __future__ import annotations

__all__ = ["Migration", "applied", "check_current", "latest", "migrate", "migrations"]

import contextlib
import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources

from newsletter.errors import StateError
from newsletter.state.connection import Connection
from newsletter.translate import _

_FILE = re.compile(r"^(\d{3})_([a-z0-9_]+?)(?:\.(sqlite|postgresql))?\.sql$")
# The advisory lock's key while migrating: two `state migrate` at once take turns.
_MIGRATING = 0x6E6C_0001


@dataclass(frozen=True, slots=True)
class Migration:
    number: int
    name: str
    sql: str


def migrations(engine: str = "sqlite", /) -> list[Migration]:
    """Every migration shipped with the package, for ENGINE, in order."""
    shared: dict[int, Migration] = {}
    own: dict[int, Migration] = {}
    for entry in resources.files("newsletter.state.sql").iterdir():
        if match := _FILE.match(entry.name):
            found = Migration(int(match[1]), match[2], entry.read_text(encoding="utf-8"))
            if match[3] is None:
                shared[found.number] = found
            elif match[3] == engine:
                own[found.number] = found
    return [own.get(number) or shared[number] for number in sorted({*shared, *own})]


def latest() -> int:
    """The number of the newest migration this version knows."""
    return migrations()[-1].number


def applied(db: Connection, /) -> set[int]:
    """The numbers of the migrations applied to DB (none when it has no schema yet)."""
    if not _has_migrations_table(db):
        return set()
    return {int(row[0]) for row in db.execute("SELECT number FROM migrations")}


def _has_migrations_table(db: Connection) -> bool:
    if db.dialect.name == "sqlite":
        query = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'migrations'"
    else:
        query = (
            "SELECT 1 FROM pg_tables"
            " WHERE tablename = 'migrations' AND schemaname = current_schema()"
        )
    return db.execute(query).fetchone() is not None


def check_current(db: Connection, /) -> None:
    """StateError unless DB's schema is exactly this version's."""
    done = applied(db)
    _refuse_newer(done, db.where)
    missing = [m for m in migrations(db.dialect.name) if m.number not in done]
    if not done:
        raise StateError(
            _(
                "{where}: the database has no newsletter tables yet. Create them with `newsletter"
                " state migrate`, or move an existing state there with `newsletter state copy "
                "--to URL`."
            ).format(where=db.where),
            kind="schema",
        )
    if missing:
        raise StateError(
            _(
                "{where}: the database's tables are older than this version of newsletter "
                "(migration {max}, this version needs {number}). Run `newsletter state migrate` "
                "once, from one machine; the web server and the other editors need this version "
                "too."
            ).format(where=db.where, max=max(done), number=missing[-1].number),
            kind="schema",
        )


def _refuse_newer(done: set[int], where: str) -> None:
    if unknown := sorted(done - {m.number for m in migrations()}):
        # An older program must not write to a schema it does not know.
        raise StateError(
            _(
                "{where}: it was made by a newer version of newsletter (migration {unknown}); "
                "upgrade newsletter to use it."
            ).format(where=where, unknown=unknown[-1]),
            kind="schema",
        )


def migrate(db: Connection, /) -> list[Migration]:
    """Apply to DB the migrations it lacks, each in a transaction; those applied."""
    with _migrating(db):
        present = applied(db)
        _refuse_newer(present, db.where)
        todo = [m for m in migrations(db.dialect.name) if m.number not in present]
        if todo:
            db.execute(db.dialect.migrations_table)
        for migration in todo:
            with db.transaction():
                _apply(db, migration)
                db.execute(
                    "INSERT INTO migrations (number, name) VALUES (?, ?)",
                    (migration.number, migration.name),
                )
    return todo


@contextmanager
def _migrating(db: Connection) -> Iterator[None]:
    """On PostgreSQL, one `state migrate` at a time: another waits, then finds it done."""
    if db.dialect.name != "postgresql":
        yield
        return
    db.execute("SELECT pg_advisory_lock(?)", (_MIGRATING,))
    try:
        yield
    finally:
        with contextlib.suppress(StateError):
            db.execute("SELECT pg_advisory_unlock(?)", (_MIGRATING,))


def _apply(db: Connection, migration: Migration) -> None:
    if db.dialect.name == "postgresql":
        # Without parameters psycopg sends the script as it is: every statement in it.
        db.raw.execute(migration.sql)  # type: ignore[attr-defined]
        return
    # executescript would commit on its own; run statement by statement instead.
    for statement in _statements(migration.sql):
        db.execute(statement)


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
