"""Where SQLite and PostgreSQL differ, in one place.

The queries of the package are written once, in the SQL both engines share: `?`
placeholders, `INSERT ... ON CONFLICT`, `RETURNING`, timestamps as ISO text made in
Python. What cannot be shared is named here; the migrations that must differ have a
variant per engine (newsletter.state.migrations).
"""

from __future__ import annotations

__all__ = ["POSTGRESQL", "SQLITE", "Dialect", "pyformat"]

import functools
from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True, slots=True)
class Dialect:
    name: Literal["sqlite", "postgresql"]
    # Appended to a SELECT that claims rows for this process. SQLite's BEGIN IMMEDIATE
    # already holds the whole database; PostgreSQL locks the rows, and another sender
    # passes over them instead of waiting.
    lock_rows: str
    # The table that records the migrations applied.
    migrations_table: str
    # Inside a transaction, wait for any other that holds the key (a text), and hold it
    # till the end. SQLite's write transaction holds the whole database already.
    lock_key: str


SQLITE = Dialect(
    name="sqlite",
    lock_rows="",
    migrations_table=(
        "CREATE TABLE IF NOT EXISTS migrations ("
        " number INTEGER PRIMARY KEY, name TEXT NOT NULL,"
        " applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')))"
    ),
    lock_key="",
)

POSTGRESQL = Dialect(
    name="postgresql",
    lock_rows=" FOR UPDATE SKIP LOCKED",
    migrations_table=(
        "CREATE TABLE IF NOT EXISTS migrations ("
        " number integer PRIMARY KEY, name text NOT NULL,"
        " applied_at text NOT NULL"
        " DEFAULT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'))"
    ),
    lock_key="SELECT pg_advisory_xact_lock(hashtextextended(?, 0))",
)


@functools.lru_cache(maxsize=512)
def pyformat(sql: str, /) -> str:
    """SQL with `?` placeholders as psycopg takes it: `%s`, and a literal `%` as `%%`.

    Quoted text ('...', "...") and comments are left alone: a `?` there is no placeholder.
    """
    out: list[str] = []
    quote = ""
    position = 0
    while position < len(sql):
        char = sql[position]
        if quote:
            if char == quote:
                quote = ""
            out.append("%%" if char == "%" else char)
        elif char in "'\"":
            quote = char
            out.append(char)
        elif sql.startswith("--", position):
            end = sql.find("\n", position)
            end = len(sql) if end < 0 else end
            out.append(sql[position:end].replace("%", "%%"))
            position = end
            continue
        elif char == "?":
            out.append("%s")
        else:
            out.append("%%" if char == "%" else char)
        position += 1
    return "".join(out)
