"""The two engines of the state database, for the tests that touch it.

Every such test runs twice: on a SQLite file in its tmp_path, and on a fresh PostgreSQL
database of the test cluster that `.ci/run` starts (`.ci/postgres`), named by
NEWSLETTER_TEST_POSTGRES. Without a cluster the PostgreSQL half is skipped, with the
reason shown, except in CI (NEWSLETTER_TEST_POSTGRES_REQUIRED=1), where it fails.
"""

from __future__ import annotations

import functools
import itertools
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from newsletter.state import Connection, Target, connect, open_server
from newsletter.state.migrations import migrate

ADMIN = os.environ.get("NEWSLETTER_TEST_POSTGRES", "")
REQUIRED = os.environ.get("NEWSLETTER_TEST_POSTGRES_REQUIRED") == "1"
ENGINES = ["sqlite", "postgresql"]
_numbers = itertools.count()


def require_cluster() -> str:
    """The test cluster's admin URL; skips (fails in CI) without one."""
    if not ADMIN:
        message = (
            "PostgreSQL half not run: no test cluster. Start one with "
            '`eval "$(bash .ci/postgres start /tmp/newsletter-pg)"`.'
        )
        if REQUIRED:
            pytest.fail(message + " CI requires it.")
        pytest.skip(message)
    return ADMIN


def fresh_database(*, migrated: bool = True) -> str:
    """The URL of a new, empty database of the test cluster (with this version's tables:
    a copy of a template migrated once per test session)."""
    import psycopg

    name = f"t{os.getpid()}_{next(_numbers)}_{uuid.uuid4().hex[:6]}"
    template = f" TEMPLATE {_template()}" if migrated else ""
    with psycopg.connect(require_cluster(), autocommit=True) as connection:
        connection.execute(f"CREATE DATABASE {name}{template} STRATEGY FILE_COPY")
    return database_url(name)


@functools.cache
def _template() -> str:
    import psycopg

    name = f"template_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    with psycopg.connect(require_cluster(), autocommit=True) as connection:
        connection.execute(f"CREATE DATABASE {name} STRATEGY FILE_COPY")
    with connect_url(database_url(name)) as db:
        migrate(db)
    return name


def database_url(name: str, *, user: str | None = None) -> str:
    parts = urlsplit(require_cluster())
    netloc = parts.netloc if user is None else f"{user}@{parts.netloc.split('@')[-1]}"
    return urlunsplit(parts._replace(netloc=netloc, path=f"/{name}"))


def connect_url(url: str) -> Connection:
    """The database at URL, whatever its schema (for setting up and inspecting)."""
    found = Target("postgresql", None, url, Path("/nonexistent"))
    return open_server(found, password=os.environ.get("NEWSLETTER_STATE_PASSWORD"), schema="any")


@pytest.fixture(params=ENGINES)
def state_engine(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Runs the test on SQLite, then on PostgreSQL (NEWSLETTER_STATE_URL for every command)."""
    monkeypatch.delenv("NEWSLETTER_STATE_URL", raising=False)
    if request.param == "postgresql":
        monkeypatch.setenv("NEWSLETTER_STATE_URL", fresh_database())
    return str(request.param)


@pytest.fixture
def db(state_engine: str, tmp_path: Path) -> Iterator[Connection]:
    """A state database of its own, on the engine the test runs on."""
    url = os.environ.get("NEWSLETTER_STATE_URL")
    found = connect_url(url) if url else connect(tmp_path / "state.sqlite3")
    yield found
    found.close()


def everything(db: Connection) -> str:
    """Every value of every state table of DB, as text (to look for what must be gone)."""
    from newsletter.state.copy import tables

    return "\n".join(
        " ".join(map(str, row))
        for name in tables(db)
        for row in db.execute(f"SELECT * FROM {name}")
    )
