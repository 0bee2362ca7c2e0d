"""Backups of the state database: made while it is written, checked, restored without loss.

A backup is a SQLite file whatever the engine: of a PostgreSQL state, a copy of every
table from one snapshot.
"""

import sqlite3
import stat
from pathlib import Path

import pytest

from newsletter.audience import suppression
from newsletter.config import Config, load_config
from newsletter.errors import StateError
from newsletter.state import Connection, backup_folder, connect, database_path
from newsletter.state.backup import KEEP, backup, backups, copy_to
from newsletter.state.restore import restore, verify


@pytest.fixture
def config(tmp_path: Path) -> Config:
    (tmp_path / "newsletter.toml").write_text("", encoding="utf-8")
    return load_config(tmp_path / "newsletter.toml")


def state(config: Config, *addresses: str) -> tuple[Connection, Path]:
    db = connect(config)
    for address in addresses:
        suppression.suppress(db, address, reason="unsubscribed", newsletter="n")
    return db, backup_folder(config)


def suppressed(path: Path) -> set[str]:
    db = sqlite3.connect(path)
    try:
        return {row[0] for row in db.execute("SELECT address FROM suppression")}
    finally:
        db.close()


def live(config: Config) -> set[str]:
    with connect(config) as db:
        return {str(entry.address) for entry in suppression.entries(db)}


@pytest.mark.usefixtures("state_engine")
def test_a_backup_holds_what_is_committed_while_another_writer_waits(config: Config) -> None:
    db, folder = state(config, "anna@example.org")
    other = connect(config)
    with other.transaction():  # a send's journal write under way in another process
        other.execute("INSERT INTO suppression (address_hash, reason) VALUES ('pending', 'manual')")
        made = backup(db, folder, reason="before-send")
    other.close()
    assert made.parent == folder and made.name.endswith("-before-send.sqlite3")
    assert stat.S_IMODE(made.stat().st_mode) == 0o600
    assert not Path(f"{made}-wal").exists()  # one self-contained file
    # Committed before the backup: in it; still uncommitted then: not.
    assert suppressed(made) == {"anna@example.org"}
    found = verify(made)
    assert found.ok and (found.suppression, found.sends) == (1, 0) and found.migration > 0


@pytest.mark.usefixtures("state_engine")
def test_automatic_backups_are_pruned_and_the_editors_own_are_kept(config: Config) -> None:
    db, folder = state(config)
    mine = backup(db, folder, reason="manual")
    for _ in range(KEEP + 3):
        backup(db, folder, reason="after-send")
    found = backups(folder)
    assert len([b for b in found if b.reason == "after-send"]) == KEEP
    assert mine in [b.path for b in found]
    assert found[0].taken_at >= found[-1].taken_at  # newest first


@pytest.mark.usefixtures("state_engine")
def test_restore_puts_the_backup_back_and_keeps_what_it_replaced(config: Config) -> None:
    db, folder = state(config, "anna@example.org", "bertil@example.org")
    made = backup(db, folder, reason="manual")
    # The mistake: the suppression list emptied.
    db.execute("DELETE FROM suppression")
    db.close()
    kept = restore(config, made)
    assert live(config) == {"anna@example.org", "bertil@example.org"}
    assert kept is not None and kept.name.endswith("-before-restore.sqlite3")
    assert suppressed(kept) == set()  # what was there is not lost either
    # The ids go on after the restored ones: a new entry is not refused.
    with connect(config) as db:
        assert suppression.suppress(db, "cecilia@example.org", reason="manual")


@pytest.mark.usefixtures("state_engine")
def test_restore_while_the_server_holds_the_database_open(config: Config) -> None:
    db, folder = state(config, "anna@example.org")
    made = backup(db, folder, reason="manual")
    db.execute("DELETE FROM suppression")
    # `newsletter serve` keeps its connection: it reads the restored database next time.
    restore(config, made)
    assert suppression.is_suppressed(db, "anna@example.org", newsletter="n")


def test_a_damaged_database_file_is_replaced_and_kept_as_it_was(config: Config) -> None:
    db, folder = state(config, "anna@example.org")
    made = backup(db, folder, reason="manual")
    db.close()
    path = database_path(config)
    path.write_bytes(b"not a database at all" * 500)
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    assert not verify(path).ok
    kept = restore(config, made)
    assert kept is not None and "damaged" in kept.name
    assert kept.read_bytes().startswith(b"not a database at all")
    assert suppressed(path) == {"anna@example.org"}


@pytest.mark.usefixtures("state_engine")
def test_a_damaged_backup_is_not_restored(config: Config) -> None:
    db, folder = state(config, "anna@example.org")
    made = backup(db, folder, reason="manual")
    with made.open("r+b") as file:
        file.seek(100)
        file.write(b"\xff" * 3000)
    with pytest.raises(StateError, match="cannot restore from it"):
        restore(config, made)
    assert live(config) == {"anna@example.org"}  # the database is left as it was


def test_verify_finds_a_database_readable_by_others(config: Config) -> None:
    state(config)
    path = database_path(config)
    path.chmod(0o644)
    assert any("chmod 600" in warning for warning in verify(path).warnings)


@pytest.mark.usefixtures("state_engine")
def test_a_copy_elsewhere_never_overwrites(config: Config, tmp_path: Path) -> None:
    db, _ = state(config, "anna@example.org")
    target = copy_to(db, tmp_path / "usb" / "copy.sqlite3")
    assert suppressed(target) == {"anna@example.org"}
    with pytest.raises(StateError, match="exists already"):
        copy_to(db, target)
