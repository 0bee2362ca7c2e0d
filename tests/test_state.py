import stat
from pathlib import Path

import pytest
from smalldisk import small_disk

from newsletter.config import load_config
from newsletter.errors import ConfigError, StateError
from newsletter.state import backup_folder, connect
from newsletter.state.migrations import migrations


def test_connect_creates_applies_migrations_and_uses_wal(tmp_path: Path) -> None:
    db = connect(tmp_path / "state" / "state.sqlite3")
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    applied = [row["number"] for row in db.execute("SELECT number FROM migrations")]
    assert applied == [migration.number for migration in migrations()]
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
    row = db.execute("SELECT 1 AS one").fetchone()
    assert row is not None and row["one"] == row[0] == 1


# --- issue 12: a damaged file, private modes, a full or read-only disk ------------------


def filled(path: Path, rows: int = 2000) -> None:
    """A state database at PATH with enough suppression entries to span many pages."""
    db = connect(path)
    db.executemany(
        "INSERT INTO suppression (address_hash, address, reason) VALUES (?, ?, 'manual')",
        ((f"{n:064x}", f"person{n}@example.org") for n in range(rows)),
    )
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()


def test_a_damaged_database_is_refused_and_the_way_back_named(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite3"
    filled(path)
    with path.open("r+b") as file:  # garbage over pages in the middle of the file
        file.seek(path.stat().st_size // 2)
        file.write(b"\xde\xad\xbe\xef" * 2048)
    with pytest.raises(StateError, match="damaged") as info:
        connect(path)
    assert "newsletter state restore" in str(info.value)
    assert str(tmp_path / "backups") in str(info.value)
    assert info.value.kind == "damaged"


def test_the_state_folder_and_files_are_private(tmp_path: Path) -> None:
    folder = tmp_path / "state"
    db = connect(folder / "state.sqlite3")
    db.execute("INSERT INTO migrations (number, name) VALUES (900, 'x')")  # -wal and -shm
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    for name in ("state.sqlite3", "state.sqlite3-wal", "state.sqlite3-shm"):
        assert stat.S_IMODE((folder / name).stat().st_mode) == 0o600, name


def test_a_full_disk_is_called_a_full_disk(tmp_path: Path) -> None:
    # Room for a migrated database and its write-ahead log (about 270 KiB), then filled.
    with small_disk(tmp_path / "disk", 384) as disk:
        path = disk.path / "state.sqlite3"
        db = connect(path)
        disk.fill()
        with pytest.raises(StateError) as raised:
            db.executemany(
                "INSERT INTO suppression (address_hash, address, reason) VALUES (?, ?, 'manual')",
                ((f"{n:064x}", f"p{n}@example.org") for n in range(5000)),
            )
        explained = raised.value
        assert explained.kind == "full" and "the disk is full" in str(explained)
        assert "check that the file is complete" not in str(explained)
        db.close()
        # Opening (and so migrating) a new database there says the same, not "disk I/O
        # error ... check that the file is complete".
        with pytest.raises(StateError, match="the disk is full") as info:
            connect(disk.path / "new" / "state.sqlite3")
        assert "complete" not in str(info.value)


def test_a_read_only_disk_is_called_read_only(tmp_path: Path) -> None:
    with small_disk(tmp_path / "disk", 512) as disk:
        filled(disk.path / "state.sqlite3", rows=10)
        disk.read_only()
        with pytest.raises(StateError, match="cannot be written") as info:
            db = connect(disk.path / "state.sqlite3")
            db.execute("INSERT INTO suppression (address_hash, reason) VALUES ('x', 'manual')")
        assert info.value.kind == "read-only"


def test_state_url_names_another_sqlite_file(tmp_path: Path) -> None:
    (tmp_path / "newsletter.toml").write_text(
        'state_url = "sqlite:///data/nyhetsbrev.sqlite3"\n', encoding="utf-8"
    )
    config = load_config(tmp_path / "newsletter.toml")
    with connect(config) as db:
        assert db.dialect.name == "sqlite"
    assert (tmp_path / "data" / "nyhetsbrev.sqlite3").is_file()
    assert backup_folder(config) == tmp_path / "data" / "backups"
    assert not (tmp_path / ".newsletter" / "state.sqlite3").exists()
    absolute = tmp_path / "elsewhere" / "state.sqlite3"
    with connect(config, url=f"sqlite:///{absolute}") as db:
        assert db.execute("SELECT count(*) FROM sends").scalar() == 0
    assert absolute.is_file()


def test_a_state_url_of_another_kind_is_a_located_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSLETTER_STATE_URL", "mysql://n@db/n")
    with pytest.raises(ConfigError, match="NEWSLETTER_STATE_URL: state_url: must be sqlite"):
        load_config()
