import sqlite3
from pathlib import Path

import pytest

from newsletter.errors import StateError
from newsletter.state import connect, migrations


def test_connect_creates_applies_migrations_and_uses_wal(tmp_path: Path) -> None:
    db = connect(tmp_path / "state" / "state.sqlite3")
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    applied = [row["number"] for row in db.execute("SELECT number FROM migrations")]
    assert applied == [number for number, _, _ in migrations()]
    assert (tmp_path / "state" / ".gitignore").read_text() == "*\n"


def test_connect_twice_applies_nothing_again(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite3"
    connect(path).close()
    db = connect(path)
    count = db.execute("SELECT count(*) FROM migrations").fetchone()[0]
    assert count == len(migrations())


def test_a_file_that_is_not_a_database_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite3"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StateError, match="cannot be used"):
        connect(path)


def test_rows_read_by_name(tmp_path: Path) -> None:
    db = connect(tmp_path / "s.sqlite3")
    assert isinstance(db.execute("SELECT 1 AS one").fetchone(), sqlite3.Row)
