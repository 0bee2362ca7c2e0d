"""Backups of the state database: made while it is written, checked, restored without loss."""

import sqlite3
import stat
from pathlib import Path

import pytest
from newsletter.state_backup import KEEP, backup, backups, copy_to, restore, verify

from newsletter.audience import suppression
from newsletter.errors import StateError
from newsletter.state import connect


def state(tmp_path: Path, *addresses: str) -> tuple[sqlite3.Connection, Path]:
    path = tmp_path / ".newsletter" / "state.sqlite3"
    db = connect(path)
    for address in addresses:
        suppression.suppress(db, address, reason="unsubscribed", newsletter="n")
    return db, path


def suppressed(path: Path) -> set[str]:
    db = sqlite3.connect(path)
    try:
        return {row[0] for row in db.execute("SELECT address FROM suppression")}
    finally:
        db.close()


def test_a_backup_holds_what_the_wal_holds_while_another_writer_waits(tmp_path: Path) -> None:
    db, path = state(tmp_path, "anna@example.org")
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # a send's journal write under way in another process
    other.execute("INSERT INTO suppression (address_hash, reason) VALUES ('pending', 'manual')")
    made = backup(db, path, reason="before-send")
    other.execute("COMMIT")
    other.close()
    assert made.parent == path.parent / "backups" and made.name.endswith("-before-send.sqlite3")
    assert stat.S_IMODE(made.stat().st_mode) == 0o600
    assert not Path(f"{made}-wal").exists()  # one self-contained file
    # Committed before the backup: in it; still uncommitted then: not.
    assert suppressed(made) == {"anna@example.org"}
    found = verify(made)
    assert found.ok and (found.suppression, found.sends) == (1, 0) and found.migration > 0


def test_automatic_backups_are_pruned_and_the_editors_own_are_kept(tmp_path: Path) -> None:
    db, path = state(tmp_path)
    mine = backup(db, path, reason="manual")
    for _ in range(KEEP + 3):
        backup(db, path, reason="after-send")
    found = backups(path.parent / "backups")
    assert len([b for b in found if b.reason == "after-send"]) == KEEP
    assert mine in [b.path for b in found]
    assert found[0].taken_at >= found[-1].taken_at  # newest first


def test_restore_puts_the_backup_back_and_keeps_what_it_replaced(tmp_path: Path) -> None:
    db, path = state(tmp_path, "anna@example.org", "bertil@example.org")
    made = backup(db, path, reason="manual")
    # The mistake: the suppression list emptied.
    db.execute("DELETE FROM suppression")
    db.close()
    kept = restore(path, made)
    assert suppressed(path) == {"anna@example.org", "bertil@example.org"}
    assert kept is not None and kept.name.endswith("-before-restore.sqlite3")
    assert suppressed(kept) == set()  # what was there is not lost either
    assert verify(path).ok


def test_restore_while_the_server_holds_the_database_open(tmp_path: Path) -> None:
    db, path = state(tmp_path, "anna@example.org")
    made = backup(db, path, reason="manual")
    db.execute("DELETE FROM suppression")
    # `newsletter serve` keeps its connection: it reads the restored database next time.
    restore(path, made)
    assert suppression.is_suppressed(db, "anna@example.org", newsletter="n")


def test_a_damaged_database_is_replaced_and_kept_as_it_was(tmp_path: Path) -> None:
    db, path = state(tmp_path, "anna@example.org")
    made = backup(db, path, reason="manual")
    db.close()
    path.write_bytes(b"not a database at all" * 500)
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    assert not verify(path).ok
    kept = restore(path, made)
    assert kept is not None and "damaged" in kept.name
    assert kept.read_bytes().startswith(b"not a database at all")
    assert suppressed(path) == {"anna@example.org"}


def test_a_damaged_backup_is_not_restored(tmp_path: Path) -> None:
    db, path = state(tmp_path, "anna@example.org")
    made = backup(db, path, reason="manual")
    with made.open("r+b") as file:
        file.seek(100)
        file.write(b"\xff" * 3000)
    with pytest.raises(StateError, match="cannot restore from it"):
        restore(path, made)
    assert suppressed(path) == {"anna@example.org"}  # the database is left as it was


def test_verify_finds_a_database_readable_by_others(tmp_path: Path) -> None:
    _, path = state(tmp_path)
    path.chmod(0o644)
    assert any("chmod 600" in warning for warning in verify(path).warnings)


def test_a_copy_elsewhere_never_overwrites(tmp_path: Path) -> None:
    db, _ = state(tmp_path, "anna@example.org")
    target = copy_to(db, tmp_path / "usb" / "copy.sqlite3")
    assert suppressed(target) == {"anna@example.org"}
    with pytest.raises(StateError, match="exists already"):
        copy_to(db, target)
