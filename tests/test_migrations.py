"""Migrations applied to a database made by an older version keep its data."""

import sqlite3
from pathlib import Path

import pytest

from newsletter.audience import suppression
from newsletter.errors import StateError
from newsletter.state import connect
from newsletter.state.migrations import migrations


def old_database(path: Path, upto: int) -> None:
    """A state database as a version that shipped only migrations 1..UPTO left it."""
    db = sqlite3.connect(path)
    db.execute(
        "CREATE TABLE migrations (number INTEGER PRIMARY KEY, name TEXT NOT NULL,"
        " applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')))"
    )
    for migration in migrations():
        if migration.number <= upto:
            db.executescript(migration.sql)
            db.execute(
                "INSERT INTO migrations (number, name) VALUES (?, ?)",
                (migration.number, migration.name),
            )
    db.execute(
        "INSERT INTO suppression (address_hash, address, newsletter, reason, source, created_at)"
        " VALUES (?, 'anna@example.org', 'medborgardialog', 'unsubscribed', 'one-click',"
        " '2024-01-02T03:04:05Z')",
        (suppression.address_hash("anna@example.org"),),
    )
    db.commit()
    db.close()


def test_an_old_database_gets_the_later_migrations_and_keeps_its_data(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite3"
    old_database(path, upto=1)
    db = connect(path)
    applied = [row["number"] for row in db.execute("SELECT number FROM migrations ORDER BY 1")]
    assert applied == [migration.number for migration in migrations()]
    assert len(applied) > 1, "this test needs at least one migration after 001"
    [entry] = suppression.entries(db)
    assert (entry.address, entry.newsletter, entry.reason, entry.created_at) == (
        "anna@example.org", "medborgardialog", "unsubscribed", "2024-01-02T03:04:05Z",
    )  # fmt: skip
    assert suppression.is_suppressed(db, "anna@example.org", newsletter="medborgardialog")
    tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"sends", "recipients", "archive"} <= tables
    db.execute("INSERT INTO sends (newsletter, slug, subject, lists, fingerprint)"
               " VALUES ('medborgardialog', 'nr-6', 'Nr 6', '[]', 'x')")  # fmt: skip


def test_the_old_database_is_switched_to_wal(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite3"
    old_database(path, upto=1)
    assert connect(path).execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_database_from_a_newer_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite3"
    connect(path).execute("INSERT INTO migrations (number, name) VALUES (999, 'future')")
    with pytest.raises(StateError, match=r"state.sqlite3: .*newer version.*999"):
        connect(path)
