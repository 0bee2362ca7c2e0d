"""The state database must never be lost quietly: issue 12, items 1, 11 and 12, end to end.

Each test performs the attack through the command line on the example project: a
database deleted, emptied, damaged or replaced by an older copy, a lost secret.key,
and what the files a send leaves behind may be read by.
"""

import socket
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from projects import ISSUE, example_project, subscribers

from newsletter.cli import main
from newsletter.config import load_config
from newsletter.delivery import journal, receipt
from newsletter.state import connect
from newsletter.state.copy import tables

pytestmark = pytest.mark.usefixtures("state_engine")

STATE = Path(".newsletter")
DB = STATE / "state.sqlite3"
ISSUE_7 = "issues/medborgardialog-2020-07.yaml"
UNSUBSCRIBED = "bjorn.akesson@uppsala.example.se"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    example_project(tmp_path)
    text = (tmp_path / ISSUE).read_text(encoding="utf-8")
    (tmp_path / ISSUE_7).write_text(text.replace("number: 6", "number: 7"), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    for name in ("NEWSLETTER_CONFIG", "NEWSLETTER_SMTP_HOST", "NEWSLETTER_SECRET"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def run(*args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(main, list(args), input=input)


def sent_to(project: Path, slug: str) -> list[str]:
    folder = project / "outbox" / "medborgardialog" / slug
    found = []
    for path in sorted(folder.glob("*.eml")):
        head = path.read_bytes().split(b"\r\n\r\n")[0].decode("ascii")
        found += [line.rpartition("<")[2].rstrip(">").lower() for line in head.split("\r\n")
                  if line.startswith("To:") or line.startswith(" <")][:1]  # fmt: skip
    return found


def first_send_then_an_unsubscribe(project: Path) -> None:
    assert run("send", ISSUE, "--yes").exit_code == 0
    result = run("subscribers", "suppress", UNSUBSCRIBED, "--reason", "unsubscribed",
                 "--newsletter", "medborgardialog")  # fmt: skip
    assert result.exit_code == 0, result.output


def delete_database(project: Path) -> None:
    """The state lost: the SQLite file deleted; on PostgreSQL, a database made anew."""
    config = load_config(project / "newsletter.toml")
    if not config.state_url:
        for suffix in ("", "-wal", "-shm"):
            (project / f"{DB}{suffix}").unlink(missing_ok=True)
        return
    with connect(config) as db:
        db.execute("DROP SCHEMA public CASCADE")
        db.execute("CREATE SCHEMA public")
    assert run("state", "migrate").exit_code == 0


def empty_database(project: Path) -> None:
    if not load_config(project / "newsletter.toml").state_url:
        delete_database(project)
        (project / DB).write_bytes(b"")  # an empty file is a valid, empty SQLite database
        return
    with connect(load_config(project / "newsletter.toml")) as db:
        for table in reversed(tables(db)):
            db.execute(f"DELETE FROM {table}")


@pytest.mark.parametrize("mistake", ["deleted", "emptied"])
def test_a_lost_database_never_mails_everyone_again(
    project: Path, mistake: str, state_engine: str
) -> None:
    first_send_then_an_unsubscribe(project)
    if mistake == "deleted":
        delete_database(project)
        found = run("state", "verify")
        assert found.exit_code == 1
        if state_engine == "sqlite":
            assert "there is no state database yet" in found.output
            assert "These show sends, so the database was lost" in found.output
        else:
            assert "does not know sends that this project shows happened" in found.output
    else:
        empty_database(project)
    for issue in (ISSUE_7, ISSUE):
        result = run("send", issue, "--yes")
        assert result.exit_code == 1, result.output
        assert "does not know sends that this project shows happened" in result.output
        assert ".newsletter/receipts/medborgardialog/2020-06.json" in result.output
        assert "outbox/medborgardialog/2020-06: 14 message file(s)" in result.output
        assert "newsletter state restore .newsletter/backups/state-" in result.output
        assert "Traceback" not in result.output
    verified = run("state", "verify")
    assert verified.exit_code == 1
    assert "receipts/medborgardialog/2020-06.json: the receipt of" in verified.output
    # Nothing went out: no issue 7, and issue 6 not a second time.
    assert sent_to(project, "2020-07") == []
    assert len(sent_to(project, "2020-06")) == 14
    assert run("send", ISSUE_7, "--dry-run").exit_code == 1


def test_restoring_the_newest_backup_brings_the_suppression_list_back(project: Path) -> None:
    first_send_then_an_unsubscribe(project)
    delete_database(project)
    result = run("send", ISSUE_7, "--yes")
    newest = result.output.split("newsletter state restore ")[1].split()[0]
    # The unsubscribe came after the last backup: the first send's own "after-send" one.
    # The next backup (before issue 7) would have it; here it is added again by hand.
    restored = run("state", "restore", newest, "--yes")
    assert restored.exit_code == 0, restored.output
    assert "Restored " in restored.output and " from .newsletter/backups/" in restored.output
    assert run("state", "verify").exit_code == 0
    run("subscribers", "suppress", UNSUBSCRIBED, "--reason", "unsubscribed")
    assert run("send", ISSUE, "--yes").output.count("Nothing left to send") == 1
    assert run("send", ISSUE_7, "--yes").exit_code == 0
    assert sorted(sent_to(project, "2020-07")) == sorted(subscribers(project) - {UNSUBSCRIBED})


def test_every_real_send_is_backed_up_before_and_after(project: Path) -> None:
    first_send_then_an_unsubscribe(project)
    assert run("send", ISSUE_7, "--yes").exit_code == 0
    backups = [p.name for p in (project / STATE / "backups").glob("*.sqlite3")]
    assert len([name for name in backups if "-before-send" in name]) == 2
    assert len([name for name in backups if "-after-send" in name]) == 2
    # The backup before issue 7 holds the unsubscribe that came after issue 6.
    result = run("state", "verify")
    assert result.exit_code == 0, result.output
    assert "1 suppression entries, 2 send(s)" in result.output
    # Dry runs and test sends record nothing, and back up nothing.
    run("send", ISSUE_7, "--dry-run")
    run("send", ISSUE_7, "--test", "me@example.org")
    assert len(list((project / STATE / "backups").glob("*.sqlite3"))) == 4


@pytest.mark.sqlite_only
def test_a_damaged_database_stops_every_command_plainly(project: Path) -> None:
    first_send_then_an_unsubscribe(project)
    db = project / DB
    connect(db).execute("PRAGMA wal_checkpoint(TRUNCATE)")  # every page in the file itself
    with db.open("r+b") as file:
        file.seek(0)
        file.write(b"\x00" * 200)  # the header gone: "file is not a database"
    for args in (("send", ISSUE_7, "--yes"), ("subscribers", "suppressed"), ("status", ISSUE)):
        result = run(*args)
        assert result.exit_code == 1 and "Traceback" not in result.output
        assert "damaged" in result.output and "newsletter state restore" in result.output
    result = run("state", "verify")
    assert result.exit_code == 1 and "NOT OK" in result.output


def test_a_second_receipt_of_an_issue_gets_its_own_name(project: Path) -> None:
    assert run("send", ISSUE, "--yes").exit_code == 0
    folder = project / STATE / "receipts" / "medborgardialog"
    first = (folder / "2020-06.json").read_bytes()
    # A send of the same issue the database does not know (started at another time):
    # its receipt must not replace the first one.
    config = load_config(project / "newsletter.toml")
    db = connect(config)
    db.execute("UPDATE sends SET created_at = '2030-01-01T00:00:00Z'")
    send = journal.find(db, "medborgardialog", "2020-06")
    assert send is not None
    written = receipt.write(config, db, send, transport="outbox")
    assert [p.name for p in written] == ["2020-06.2.csv", "2020-06.2.json"]
    assert (folder / "2020-06.json").read_bytes() == first
    # Writing it again finds its own file: the same send's receipt is brought up to date.
    assert receipt.write(config, db, send, transport="outbox") == written


def test_state_backup_to_another_disk(project: Path) -> None:
    first_send_then_an_unsubscribe(project)
    result = run("state", "backup", "--output", str(project / "usb" / "copy.sqlite3"))
    assert result.exit_code == 0, result.output
    assert "1 suppression entries, 1 send(s), 14 journal row(s)" in result.output
    assert run("state", "backup", "--output", str(project / "usb" / "copy.sqlite3")).exit_code


def test_a_send_is_refused_while_another_runs_a_restore(project: Path, state_engine: str) -> None:
    assert run("send", ISSUE, "--yes").exit_code == 0
    from newsletter.delivery import sendlock

    config = load_config(project / "newsletter.toml")
    newest = sorted((project / STATE / "backups").glob("*.sqlite3"))[-1]
    with connect(config) as db, sendlock.lock(config, db, "medborgardialog", "2020-07"):
        result = run("state", "restore", str(newest), "--yes")
    assert result.exit_code == 1 and "a send is running (" in result.output
    # A lock file names its issue; an advisory lock only its hash, named once it is frozen.
    if state_engine == "sqlite":
        assert "(medborgardialog/2020-07)" in result.output


# --- item 11: the key that signed the links ----------------------------------------------


def test_a_lost_key_is_refused_by_send_and_serve(project: Path) -> None:
    assert run("send", ISSUE, "--yes").exit_code == 0
    key = project / STATE / "secret.key"
    old = key.read_text()
    key.unlink()  # lost; the next command would make a new one
    result = run("send", ISSUE_7, "--yes")
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "were signed with the key whose fingerprint is" in result.output
    assert "--new-key" in result.output and old not in result.output
    with socket.socket() as probe:  # a free port: the server must refuse before it listens
        probe.bind(("127.0.0.1", 0))
        port = str(probe.getsockname()[1])
    served = subprocess.run(
        [sys.executable, "-m", "newsletter", "serve", "--port", port],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=project,
    )
    assert served.returncode == 1 and "were signed with the key" in served.stderr
    assert sent_to(project, "2020-07") == []
    # The old key back: all is well again.
    key.write_text(old)
    assert run("send", ISSUE_7, "--yes").exit_code == 0


def test_a_new_key_on_purpose(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert run("send", ISSUE, "--yes").exit_code == 0
    monkeypatch.setenv("NEWSLETTER_SECRET", "a brand new secret, long enough to use")
    assert run("send", ISSUE_7, "--yes").exit_code == 1
    result = run("send", ISSUE_7, "--yes", "--new-key")
    assert result.exit_code == 0, result.output
    # From now on the new key is the one the last send used.
    assert run("state", "verify").exit_code == 0


# --- item 12: who may read what the tool writes -------------------------------------------


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_what_holds_addresses_only_its_owner_may_read(project: Path, state_engine: str) -> None:
    first_send_then_an_unsubscribe(project)
    assert mode(project / STATE) == 0o700
    assert mode(project / STATE / "secret.key") == 0o600
    if state_engine == "sqlite":
        assert mode(project / DB) == 0o600
        db = connect(project / DB)  # open: the -wal and -shm files exist
        db.execute("INSERT INTO health (id, checked_at) VALUES (1, 'now')")
        for name in ("state.sqlite3-wal", "state.sqlite3-shm"):
            assert mode(project / STATE / name) == 0o600, name
    for path in (project / STATE / "receipts").rglob("*.*"):
        assert mode(path) == 0o600, path
    for path in (project / STATE / "backups").iterdir():
        assert mode(path) == 0o600, path
    emls = list((project / "outbox").rglob("*.eml"))
    assert len(emls) == 14 and {mode(path) for path in emls} == {0o600}
    assert run("subscribers", "export", "medborgardialog", "-o", "export.csv").exit_code == 0
    assert run("subscribers", "export", "--address", UNSUBSCRIBED, "-o", "a.json").exit_code == 0
    assert mode(project / "export.csv") == mode(project / "a.json") == 0o600
