"""A full or read-only disk during a send: issue 12, item 2, on a real small file system.

The outbox (and, in one test, the state folder) is on a tmpfs of a few hundred
kilobytes; the example issue's messages are about 76 KB each, so the disk fills up in
the middle of the send. The send must stop with a plain message, leave no half-written
.eml, keep a journal that tells the truth, and go on where it stopped once there is room.
"""

import email
import subprocess
import sys
from email import policy
from pathlib import Path

import pytest
from aiosmtpd.smtp import SMTP, Envelope, Session
from click.testing import CliRunner, Result
from projects import ISSUE, example_project, subscribers
from smalldisk import SmallDisk, small_disk
from smtpserver import Recorder, SmtpServer

from newsletter.cli import main
from newsletter.state import connect

SLUG = Path("medborgardialog") / "2020-06"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    example_project(tmp_path)
    monkeypatch.chdir(tmp_path)
    for name in ("NEWSLETTER_CONFIG", "NEWSLETTER_SMTP_HOST", "NEWSLETTER_SECRET"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def on_disk(project: Path, *, outbox: bool = True, state: bool = False) -> None:
    """Point the project's outbox (and state folder) at the small disk, disk/."""
    config = project / "newsletter.toml"
    text = config.read_text(encoding="utf-8")
    if outbox:
        text = text.replace('outbox = "outbox"', 'outbox = "disk/outbox"')
    if state:
        text = text.replace('state_dir = ".newsletter"', 'state_dir = "disk/state"')
    config.write_text(text, encoding="utf-8")


def send(*args: str) -> Result:
    return CliRunner().invoke(main, ["send", ISSUE, "--yes", *args])


def messages(folder: Path) -> dict[str, str]:
    """File name -> recipient of every .eml, each checked to be whole."""
    found = {}
    for path in sorted(folder.iterdir()):
        assert path.suffix == ".eml", f"{path.name} is left over in the outbox"
        data = path.read_bytes()
        parsed = email.message_from_bytes(data, policy=policy.default)
        boundary = parsed.get_boundary()
        assert boundary and data.rstrip().endswith(f"--{boundary}--".encode()), path.name
        found[path.name] = parsed["To"].addresses[0].addr_spec.lower()
    return found


def journal(state: Path) -> dict[str, str]:
    db = connect(state / "state.sqlite3")
    return {address.lower(): status for address, status in db.execute(
        "SELECT address, status FROM recipients")}  # fmt: skip


def test_a_full_outbox_stops_the_send_cleanly_and_it_goes_on_later(project: Path) -> None:
    on_disk(project)
    with small_disk(project / "disk", 400) as disk:
        result = send()
        assert result.exit_code == 1
        assert "the disk is full" in result.output and "Traceback" not in result.output
        assert "continue with: newsletter send" in result.output
        written = messages(disk.path / "outbox" / SLUG)
        assert 0 < len(written) < 14, "the disk should fill up in the middle of the send"
        rows = journal(project / ".newsletter")
        # The journal tells the truth: sent is exactly what is in the outbox, and the rest
        # is queued (certainly not sent), not uncertain.
        assert {a for a, s in rows.items() if s == "sent"} == set(written.values())
        assert {s for a, s in rows.items() if a not in written.values()} == {"queued"}
        disk.resize(4096)
        again = send()
        assert again.exit_code == 0, again.output
        everyone = messages(disk.path / "outbox" / SLUG)
        assert sorted(everyone.values()) == sorted(subscribers(project))  # once each


def test_a_full_disk_under_the_state_folder_too(project: Path) -> None:
    on_disk(project, state=True)
    with small_disk(project / "disk", 900) as disk:
        result = send()
        assert result.exit_code == 1 and "Traceback" not in result.output
        assert "the disk is full" in result.output
        written = messages(disk.path / "outbox" / SLUG)
        rows = journal(disk.path / "state")
        # Nothing is recorded as sent that is not in the outbox; what is in the outbox is
        # recorded as sent or, where the journal could not be written, listed as uncertain
        # and named in the output.
        assert {a for a, s in rows.items() if s == "sent"} <= set(written.values())
        for address in written.values():
            assert rows[address] in ("sent", "sending")
            if rows[address] == "sending":
                assert address in result.output.lower()
        disk.resize(8192)
        again = send("--resend-uncertain")
        assert again.exit_code == 0, again.output
        assert set(messages(disk.path / "outbox" / SLUG).values()) == subscribers(project)


def test_no_room_for_the_backup_means_no_send(project: Path) -> None:
    on_disk(project, state=True)
    with small_disk(project / "disk", 400) as disk:
        # A database on the disk, then the disk full: the backup before the send fails.
        assert CliRunner().invoke(main, ["subscribers", "suppressed"]).exit_code == 0
        disk.fill()
        result = send()
        assert result.exit_code == 1 and "Traceback" not in result.output
        assert "the disk is full" in result.output
        assert not (disk.path / "outbox").exists() or not any((disk.path / "outbox").rglob("*"))


@pytest.mark.parametrize(
    "args",
    [
        ("send", ISSUE, "--yes"),
        ("subscribers", "suppress", "anna@example.org"),
        ("subscribers", "unsuppress", "anna@example.org"),
    ],
)
def test_a_read_only_state_folder_is_a_plain_error(project: Path, args: tuple[str, ...]) -> None:
    on_disk(project, outbox=False, state=True)
    with small_disk(project / "disk", 1024) as disk:
        # In another process, which closes the database when it ends: a file open for
        # writing would keep the disk from being made read-only.
        made = subprocess.run([sys.executable, "-m", "newsletter", "subscribers", "suppress",
                               "anna@example.org"], capture_output=True, check=False)  # fmt: skip
        assert made.returncode == 0, made.stderr
        disk.read_only()
        result = CliRunner().invoke(main, list(args))
        assert result.exit_code == 1, result.output
        assert isinstance(result.exception, SystemExit)  # not a traceback
        assert "cannot be written" in result.output and "read-write" in result.output
        disk.read_write()


class FillsTheDisk(Recorder):
    """Accepts every message; after the fifth, the disk holding the journal is full."""

    def __init__(self, disk: SmallDisk) -> None:
        super().__init__()
        self.disk = disk

    def accept(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        reply = super().accept(server, session, envelope)
        if len(self.messages) == 5:
            self.disk.fill()
        return reply


def test_a_journal_that_cannot_be_written_stops_the_send_and_says_what_it_lacks(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    on_disk(project, outbox=False, state=True)
    with (
        small_disk(project / "disk", 1024) as disk,
        SmtpServer(handler=FillsTheDisk(disk)) as server,
    ):
        for name, value in server.environment().items():
            monkeypatch.setenv(name, value)
        result = send()
        assert result.exit_code == 1 and "Traceback" not in result.output
        assert "the disk is full" in result.output
        delivered = {address.lower() for address in server.handler.recipients()}
        # Results are recorded in batches: the messages in flight when the disk filled
        # up went out (here, the whole small list); none after the failure was noticed.
        assert len(delivered) >= 5
        rows = journal(disk.path / "state")
        # Never "sent" for a message the server did not get; every message it got is
        # "sent", or "sending" (uncertain) and then named in the output as delivered.
        assert {a for a, s in rows.items() if s == "sent"} <= delivered
        unrecorded = {a for a in delivered if rows[a] == "sending"}
        assert unrecorded, "the journal should have failed after the fifth message"
        for address in unrecorded:
            assert f"{address}: sent: 250" in result.output.lower()
        assert "The journal could not record what became of these" in result.output
