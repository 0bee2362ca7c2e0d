"""`bounces import`: real mailboxes (mbox, Maildir, .eml) into a real state database.

The fixtures are reports about messages the journal knows (by their Message-ID), as
`journaled` records them; reports about anything else suppress nobody (test_tie.py).
"""

import mailbox
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import projects
import pytest
from click.testing import CliRunner, Result

from newsletter.audience import suppression
from newsletter.audience.tokens import TokenSigner
from newsletter.bounces.importer import import_mailbox
from newsletter.cli import main
from newsletter.config import Config, load_config
from newsletter.errors import StateError
from newsletter.state import Connection, connect, database_path
from newsletter.state.sqlite import SqliteConnection

pytestmark = pytest.mark.usefixtures("state_engine")

FIXTURES = projects.FIXTURES / "bounces"
SECRET = "bounces-test-secret-0123456789"
SOFT = "postfix_mailbox_full_delayed.eml"

CONFIG = """
[bounces]
soft_limit = 3

[newsletters.medborgardialog]
name = "Medborgardialog"
from_name = "SKR Medborgardialog"
from_address = "medborgardialog@nyhetsbrev.example.org"
reply_to = "medborgardialog@example.org"
list_id = "medborgardialog.nyhetsbrev.example.org"
default_list = "medborgardialog"
"""

LIST = """email;name
olle@example.org;Olle Berg
anna.svensson@kommun.example.se;Anna Svensson
sven.nosuchuser@gmail.com;Sven
per@example.net;Per
karin@example.org;Karin
lisa@example.org;Lisa Holm
bo.lund@kommun.example.net;Bo Lund
"""

UNDERSTOOD = [
    "postfix_user_unknown.eml",
    "exchange_online_ndr.eml",
    "gmail_failure.eml",
    "qmail_bounce.eml",
    "yahoo_failure.eml",
    SOFT,
    "autoreply_sv.eml",
    "arf_complaint.eml",
    "mailto_unsubscribe.eml",
    "not_ours.eml",
]
HARD = [
    "olle@example.org",
    "anna.svensson@kommun.example.se",
    "sven.nosuchuser@gmail.com",
    "bo.lund@kommun.example.net",
    "ingen.alls@yahoo.com",
]
# Whom the journal sent the messages the fixtures return (their Message-IDs).
SENT = {
    "olle@example.org": "<176449044000.6.17@nyhetsbrev.example.org>",
    "anna.svensson@kommun.example.se": "<176449044000.6.18@nyhetsbrev.example.org>",
    "sven.nosuchuser@gmail.com": "<176449044000.6.19@nyhetsbrev.example.org>",
    "per@example.net": "<176449044000.6.20@nyhetsbrev.example.org>",
    "karin@example.org": "<176449044000.6.22@nyhetsbrev.example.org>",
    "bo.lund@kommun.example.net": "<176449044000.6.23@nyhetsbrev.example.org>",
    "ingen.alls@yahoo.com": "<176449044000.6.25@nyhetsbrev.example.org>",
}


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "newsletter.toml").write_text(CONFIG, encoding="utf-8")
    (tmp_path / "subscribers").mkdir()
    (tmp_path / "subscribers" / "medborgardialog.csv").write_text(LIST, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NEWSLETTER_CONFIG", raising=False)
    monkeypatch.setenv("NEWSLETTER_SECRET", SECRET)
    return tmp_path


@pytest.fixture
def config(folder: Path) -> Config:
    return load_config(folder / "newsletter.toml")


@pytest.fixture
def db(config: Config) -> Iterator[Connection]:
    connection = connect(config)
    for address, message_id in SENT.items():
        journal(connection, 6, address, message_id)
    yield connection
    connection.close()


@pytest.fixture
def journaled(db: Connection) -> Connection:
    """The state database with the fixtures' messages in the journal (for the CLI tests)."""
    return db


def mbox(path: Path, names: list[str]) -> Path:
    box = mailbox.mbox(path)
    for name in names:
        box.add((FIXTURES / name).read_bytes())
    box.close()
    return path


def maildir(path: Path, names: list[str]) -> Path:
    box = mailbox.Maildir(path)
    for name in names:
        box.add((FIXTURES / name).read_bytes())
    return path


def suppressed(db: Connection) -> dict[tuple[str, str], str]:
    return {(e.address or "", e.newsletter): e.reason for e in suppression.entries(db)}


def soft_count(db: Connection, address: str) -> int:
    row = db.execute(
        "SELECT count FROM soft_bounces WHERE address_hash = ?",
        (suppression.address_hash(address),),
    ).fetchone()
    return int(row[0]) if row else 0


def journal(db: Connection, send_id: int, address: str, message_id: str) -> None:
    db.execute(
        "INSERT INTO sends (id, newsletter, slug, subject, lists, fingerprint)"
        " VALUES (?, 'medborgardialog', ?, 'Nr', '[]', 'f')"
        " ON CONFLICT DO NOTHING",
        (send_id, f"nr-{send_id}"),
    )
    address_id = TokenSigner(SECRET.encode()).address_id(address, "medborgardialog")
    db.execute(
        "INSERT INTO recipients (send_id, seq, address, address_id, status, message_id)"
        " VALUES (?, (SELECT count(*) + 1 FROM recipients WHERE send_id = ?), ?, ?, 'sent', ?)",
        (send_id, send_id, address, address_id, message_id),
    )


def soft_bounce(message_id: str, *, own_id: str) -> bytes:
    """The mailbox-full sample about another of our messages, as a new report."""
    data = (FIXTURES / SOFT).read_bytes()
    data = data.replace(b"<176449044000.6.20@nyhetsbrev.example.org>", message_id.encode())
    return data.replace(b"20261130121405.4NqB2m0Yt3z9sT", own_id.encode())


def test_import_acts_on_every_kind_of_message(
    config: Config, db: Connection, tmp_path: Path
) -> None:
    path = mbox(tmp_path / "retur.mbox", UNDERSTOOD)
    report = import_mailbox(config, db, path)
    assert report.messages == len(UNDERSTOOD) and report.understood
    assert sorted(o.address for o in report.of("hard")) == sorted(HARD)
    assert [o.address for o in report.of("soft")] == ["per@example.net"]
    assert [o.address for o in report.of("complained")] == ["karin@example.org"]
    assert [o.address for o in report.of("unsubscribed")] == ["lisa@example.org"]
    assert [o.address for o in report.of("not-ours")] == ["okand@example.com"]
    assert len(report.of("auto-reply")) == 1
    expected = {(address, ""): "bounced" for address in HARD}
    expected[("karin@example.org", "")] = "complained"
    expected[("lisa@example.org", "medborgardialog")] = "unsubscribed"
    assert suppressed(db) == expected
    assert soft_count(db, "per@example.net") == 1


def test_the_source_says_where_and_hides_the_address(config: Config, db: Connection) -> None:
    import_mailbox(config, db, FIXTURES / "postfix_user_unknown.eml")
    [entry] = suppression.entries(db)
    assert entry.source == (
        "bounce 2026-11-30 from MAILER-DAEMON@smtp.nyhetsbrev.example.org: 5.1.1 550 5.1.1 "
        "<…@example.org>: Recipient address rejected: User unknown in virtual mailbox table"
    )


def test_importing_twice_changes_nothing_the_second_time(
    config: Config, db: Connection, tmp_path: Path
) -> None:
    path = maildir(tmp_path / "Maildir", UNDERSTOOD)
    import_mailbox(config, db, path)
    before = suppressed(db)
    again = import_mailbox(config, db, path)
    assert len(again.of("done-before")) == len(UNDERSTOOD) == len(again.outcomes)
    assert suppressed(db) == before and soft_count(db, "per@example.net") == 1


def test_maildir_messages_in_new_and_cur_are_both_read(
    config: Config, db: Connection, tmp_path: Path
) -> None:
    path = maildir(tmp_path / "Maildir", ["postfix_user_unknown.eml", "gmail_failure.eml"])
    box = mailbox.Maildir(path)
    message = box[sorted(box.keys())[0]]
    message.set_subdir("cur")  # read in a mail program: moved to cur/ with flags
    message.add_flag("S")
    box[sorted(box.keys())[0]] = message
    assert len(list((path / "cur").iterdir())) == len(list((path / "new").iterdir())) == 1
    report = import_mailbox(config, db, path)
    assert sorted(o.address for o in report.of("hard")) == [
        "olle@example.org", "sven.nosuchuser@gmail.com",
    ]  # fmt: skip


def test_soft_bounces_suppress_at_the_limit(config: Config, db: Connection, tmp_path: Path) -> None:
    path = mbox(tmp_path / "soft.mbox", [])
    box = mailbox.mbox(path)
    for n in range(3):
        journal(db, 10 + n, "per@example.net", f"<soft-{n}@nyhetsbrev.example.org>")
        box.add(soft_bounce(f"<soft-{n}@nyhetsbrev.example.org>", own_id=f"soft{n}"))
    box.close()
    report = import_mailbox(config, db, path)
    assert [o.detail.split(":")[0] for o in report.of("soft")] == ["1 of 3", "2 of 3"]
    [limit] = report.of("soft-limit")
    assert limit.address == "per@example.net" and limit.detail.startswith("3 of 3")
    assert suppressed(db) == {("per@example.net", ""): "bounced"}
    [entry] = suppression.entries(db)
    assert entry.source.startswith("3 soft bounces; the last: bounce 2026-11-30 from MAILER")
    assert import_mailbox(config, db, path).of("done-before")
    assert soft_count(db, "per@example.net") == 3


def test_delayed_then_failed_for_one_message_counts_once(
    config: Config, db: Connection, tmp_path: Path
) -> None:
    journal(db, 10, "per@example.net", "<one@nyhetsbrev.example.org>")
    box = mailbox.mbox(tmp_path / "same.mbox")
    box.add(soft_bounce("<one@nyhetsbrev.example.org>", own_id="first"))
    box.add(soft_bounce("<one@nyhetsbrev.example.org>", own_id="second"))
    box.close()
    report = import_mailbox(config, db, tmp_path / "same.mbox")
    assert len(report.of("soft")) == 2 and soft_count(db, "per@example.net") == 1


def test_a_send_that_did_not_bounce_starts_the_count_again(
    config: Config, db: Connection, tmp_path: Path
) -> None:
    for send_id in (11, 12, 13):
        journal(db, send_id, "per@example.net", f"<m{send_id}@nyhetsbrev.example.org>")
    box = mailbox.mbox(tmp_path / "reset.mbox")
    box.add(soft_bounce("<m11@nyhetsbrev.example.org>", own_id="b1"))
    box.add(soft_bounce("<m13@nyhetsbrev.example.org>", own_id="b3"))
    box.close()
    import_mailbox(config, db, tmp_path / "reset.mbox")
    assert soft_count(db, "per@example.net") == 1  # send 2 reached per@example.net


def test_a_report_of_delivery_clears_the_soft_count(
    config: Config, db: Connection, tmp_path: Path
) -> None:
    journal(db, 10, "per@example.net", "<later@nyhetsbrev.example.org>")
    delivered = soft_bounce("<later@nyhetsbrev.example.org>", own_id="ok")
    delivered = delivered.replace(b"Action: delayed", b"Action: delivered")
    delivered = delivered.replace(b"Status: 4.2.2", b"Status: 2.0.0")
    box = mailbox.mbox(tmp_path / "delivered.mbox")
    box.add((FIXTURES / SOFT).read_bytes())
    box.add(delivered)
    box.close()
    report = import_mailbox(config, db, tmp_path / "delivered.mbox")
    assert [o.address for o in report.of("delivered")] == ["per@example.net"]
    assert soft_count(db, "per@example.net") == 0


def test_the_journal_names_the_address_a_bounce_was_about(
    config: Config, db: Connection, folder: Path
) -> None:
    # Anna is on no list any more; the journal knows the message went to her. Exchange
    # reports her tenant's alias as Final-Recipient and her address as Original-Recipient.
    (folder / "subscribers" / "medborgardialog.csv").write_text("email\nolle@example.org\n")
    report = import_mailbox(config, db, FIXTURES / "exchange_online_ndr.eml")
    [hard] = report.of("hard")
    assert (hard.address, hard.tie) == ("anna.svensson@kommun.example.se", "Message-ID")
    assert hard.reported == "anna.svensson@kommunexample.onmicrosoft.com"


def test_our_list_id_or_a_subscriber_named_is_no_tie(config: Config, db: Connection) -> None:
    # Sven is on our list, and the report returns our List-Id, but the journal does not
    # know the message it returns: anyone could have written it.
    db.execute("DELETE FROM recipients WHERE address = 'sven.nosuchuser@gmail.com'")
    journal(db, 7, "sven.nosuchuser@gmail.com", "<another@nyhetsbrev.example.org>")
    report = import_mailbox(config, db, FIXTURES / "gmail_failure.eml")
    [outcome] = report.outcomes
    assert outcome.kind == "unverified" and outcome.address == "sven.nosuchuser@gmail.com"
    assert "we did not send" in outcome.why
    assert suppressed(db) == {}


def test_dry_run_changes_nothing(config: Config, db: Connection, tmp_path: Path) -> None:
    path = mbox(tmp_path / "retur.mbox", UNDERSTOOD)
    report = import_mailbox(config, db, path, dry_run=True)
    assert len(report.of("hard")) == len(HARD) and report.of("unsubscribed")
    assert suppressed(db) == {}
    assert db.execute("SELECT count(*) FROM bounce_messages").fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM soft_bounces").fetchone()[0] == 0


def test_a_complaint_with_the_address_hidden_is_found_by_its_unsubscribe_token(
    config: Config, db: Connection, tmp_path: Path
) -> None:
    data = (FIXTURES / "arf_complaint.eml").read_bytes()
    data = data.replace(b"Original-Rcpt-To: <karin@example.org>\n", b"")
    data = data.replace(b"To: karin@example.org\n", b"To: [redacted]\n")
    (tmp_path / "hidden.eml").write_bytes(data)
    report = import_mailbox(config, db, tmp_path / "hidden.eml")
    assert [o.address for o in report.of("complained")] == ["karin@example.org"]
    assert suppressed(db) == {("karin@example.org", ""): "complained"}
    # Without the token and the Message-ID too, nobody can be named: the operator is told.
    (tmp_path / "hidden.eml").write_bytes(data.replace(b"/u/bWVk", b"/x/bWVk").replace(
        b"subject=unsubscribe%20", b"subject=").replace(b"6.22@", b"6.99@"))  # fmt: skip
    db.execute("DELETE FROM bounce_messages")
    [outcome] = import_mailbox(config, db, tmp_path / "hidden.eml").outcomes
    assert (outcome.kind, outcome.verdict) == ("unverified", "complained")
    assert outcome.why.startswith("names nobody (the provider hid the address) and returns")


def test_a_forged_unsubscribe_token_is_not_understood(
    config: Config, db: Connection, tmp_path: Path
) -> None:
    data = (FIXTURES / "mailto_unsubscribe.eml").read_bytes().replace(b"QbwUAO", b"QbwUAP")
    (tmp_path / "forged.eml").write_bytes(data)
    report = import_mailbox(config, db, tmp_path / "forged.eml")
    [outcome] = report.outcomes
    assert outcome.kind == "not-understood" and "does not verify" in outcome.detail
    assert suppressed(db) == {}
    assert db.execute("SELECT count(*) FROM bounce_messages").fetchone()[0] == 0


def test_a_busy_database_stops_the_import_plainly_and_it_resumes(
    config: Config, db: Connection, tmp_path: Path
) -> None:
    path = mbox(tmp_path / "retur.mbox", ["postfix_user_unknown.eml", "gmail_failure.eml"])
    import_mailbox(config, db, path)  # makes the index the import needs
    db.execute("DELETE FROM bounce_messages")
    db.execute("DELETE FROM suppression")
    other = connect(config)
    # A send writing its journal, say: SQLite's one writer; PostgreSQL's locked tables.
    if db.dialect.name == "sqlite":
        db.execute("PRAGMA busy_timeout = 50")
        other.execute("BEGIN IMMEDIATE")
    else:
        db.execute("SELECT set_config('lock_timeout', '50ms', false)")
        other.execute("BEGIN")
        other.execute("LOCK TABLE suppression, bounce_messages IN EXCLUSIVE MODE")
    with pytest.raises(StateError, match=r"busy .* 0 message\(s\) of .* were imported"):
        import_mailbox(config, db, path)
    other.execute("ROLLBACK")
    other.close()
    assert len(import_mailbox(config, db, path).of("hard")) == 2


def test_a_database_that_cannot_be_written_is_not_called_busy(
    config: Config, db: Connection, tmp_path: Path
) -> None:
    path = mbox(tmp_path / "retur.mbox", ["postfix_user_unknown.eml"])
    if db.dialect.name == "sqlite":
        raw = sqlite3.connect(f"file:{database_path(config)}?mode=ro", uri=True)
        raw.row_factory = sqlite3.Row
        read_only: Connection = SqliteConnection(raw, database_path(config))
    else:  # a standby server, or a user that may only read
        read_only = connect(config)
        read_only.execute("SET default_transaction_read_only = on")
    with pytest.raises(StateError, match=r"cannot be written .* once it can be written") as info:
        import_mailbox(config, read_only, path)
    assert "busy" not in str(info.value)
    read_only.close()


# The command


def run(*args: str) -> Result:
    return CliRunner().invoke(main, ["bounces", "import", *args])


def test_cli_reports_what_it_did(journaled: Connection, tmp_path: Path) -> None:
    path = mbox(tmp_path / "retur.mbox", UNDERSTOOD)
    result = run(str(path))
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert f"{path}: {len(UNDERSTOOD)} message(s) read." in out
    assert f"Hard bounces, suppressed for every newsletter: {len(HARD)}\n" in out
    assert "  olle@example.org: 5.1.1: 550 5.1.1 <olle@example.org>: Recipient" in out
    assert "Soft bounces counted: 1\n  per@example.net: 1 of 3: 4.2.2 (delayed): 452 4.2.2" in out
    [gmail] = [line for line in out.splitlines() if "sven.nosuchuser@gmail.com" in line]
    assert gmail.startswith("  sven.nosuchuser@gmail.com: 5.1.1: 550-5.1.1 The email account")
    assert gmail.endswith(" …") and len(gmail) < 170  # one screen line of the long diagnostic
    assert "Spam complaints, suppressed for every newsletter: 1\n" in out
    assert "Unsubscribe requests by mail: 1\n  lisa@example.org: from medborgardialog" in out
    assert "Auto-replies ignored: 1\n" in out
    assert "Bounces of mail that is not ours (left alone): 1\n  okand@example.com" in out
    assert out.endswith("Every message was understood.\n")
    again = run(str(path))
    assert again.exit_code == 0
    assert again.stdout.endswith(f"Imported before (skipped): {len(UNDERSTOOD)}\n"
                                 "Every message was understood.\n")  # fmt: skip


def test_cli_summary_names_nobody(journaled: Connection, tmp_path: Path) -> None:
    path = mbox(tmp_path / "retur.mbox", [*UNDERSTOOD, "human_reply.eml"])
    result = run(str(path), "--summary")
    assert result.exit_code == 1
    assert f"Hard bounces, suppressed for every newsletter: {len(HARD)}\n" in result.stdout
    assert f"{path} #{len(UNDERSTOOD) + 1}: not understood: not a bounce" in result.stderr
    assert "@" not in result.output.replace("@nyhetsbrev", "")


def test_cli_lists_what_it_did_not_understand_and_exits_1(
    journaled: Connection, tmp_path: Path
) -> None:
    path = maildir(tmp_path / "Maildir", ["postfix_user_unknown.eml", "garbage.eml",
                                          "human_reply.eml"])  # fmt: skip
    result = run(str(path))
    assert result.exit_code == 1
    assert "Hard bounces, suppressed for every newsletter: 1" in result.stdout
    assert result.stderr.count(f"{path} message ") == 2
    assert result.stderr.count(": not understood: not a bounce, complaint, auto-reply") == 2
    assert "From: eva.ek@example.org  Subject: Re: Medborgardialog nr 6 – december" in (
        result.stderr
    )
    assert "2 message(s) could not be understood" in result.stderr
    assert "Traceback" not in result.output


def test_cli_dry_run_says_so_and_changes_nothing(journaled: Connection, config: Config) -> None:
    result = run(str(FIXTURES / "arf_complaint.eml"), "--dry-run")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Dry run, nothing changed. ")
    assert "karin@example.org: marked as spam" in result.stdout
    assert suppression.entries(connect(config)) == []


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda p: p / "missing.mbox", "there is no such file or folder"),
        (lambda p: (p / "folder").mkdir() or p / "folder", "is a folder but neither a Maildir"),
        (lambda p: Path("/dev/null"), "is neither a file nor a folder"),
        (
            lambda p: (p / "notes.txt").write_text("just some notes\n") and p / "notes.txt",
            "is neither an mbox file",
        ),
    ],
)
def test_cli_refuses_what_is_not_a_mailbox(folder: Path, make, message: str) -> None:  # type: ignore[no-untyped-def]
    result = run(str(make(folder)))
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ") and message in result.stderr
    assert "Traceback" not in result.output


def test_cli_reads_an_empty_mbox_as_no_messages(folder: Path) -> None:
    (folder / "retur.mbox").write_bytes(b"")
    result = run("retur.mbox")
    assert result.exit_code == 0, result.output
    assert result.stdout == "retur.mbox: 0 message(s) read.\n"


def test_cli_reads_a_folder_of_eml_files(folder: Path, journaled: Connection) -> None:
    (folder / "saved").mkdir()
    for name in ("gmail_failure.eml", "autoreply_sv.eml"):
        shutil.copy(FIXTURES / name, folder / "saved" / name)
    result = run("saved")
    assert result.exit_code == 0, result.output
    assert "saved: 2 message(s) read." in result.stdout
    assert "  saved/autoreply_sv.eml: maria.lind@region.example.se 'Automatiskt svar:" in (
        result.stdout
    )


def test_cli_single_eml_and_copied_fixture_names(folder: Path, journaled: Connection) -> None:
    shutil.copy(FIXTURES / "qmail_bounce.eml", folder / "bounce.eml")
    result = run("bounce.eml")
    assert result.exit_code == 0, result.output
    assert "  bo.lund@kommun.example.net: 5.1.1: Sorry, no mailbox here" in result.stdout


def test_cli_prints_no_control_characters_from_a_report(
    journaled: Connection, tmp_path: Path
) -> None:
    # A remote server writes the diagnostic and the address: an escape sequence in them
    # must not reach the operator's terminal (it could rewrite what the screen shows).
    data = (FIXTURES / "not_ours.eml").read_bytes()
    data = data.replace(b"smtp; 550 5.1.1", b"smtp; 550 5.1.1 \x1b]0;owned\x07\x1b[2J")
    data = data.replace(b"rfc822; okand@example.com", b"rfc822; ok\x1b[31mand@example.com")
    (tmp_path / "evil.eml").write_bytes(data)
    qmail = (FIXTURES / "qmail_bounce.eml").read_bytes().replace(b"(#5.1.1)", b"(#5.1.1)\x1b[2J")
    (tmp_path / "evil-prose.eml").write_bytes(qmail)
    for name in ("evil.eml", "evil-prose.eml"):
        result = run(str(tmp_path / name))
        assert result.exit_code == 0, result.output
        assert "\x1b" not in result.output and "\x07" not in result.output
        assert "5.1.1" in result.stdout


def test_cli_lists_the_other_files_of_a_folder_of_eml_files(
    folder: Path, journaled: Connection
) -> None:
    (folder / "saved").mkdir()
    shutil.copy(FIXTURES / "gmail_failure.eml", folder / "saved" / "gmail_failure.eml")
    (folder / "saved" / "Undeliverable.msg").write_bytes(b"\xd0\xcf\x11\xe0 an Outlook file")
    result = run("saved")
    assert result.exit_code == 1
    assert "saved: 2 message(s) read." in result.stdout
    assert "Hard bounces, suppressed for every newsletter: 1" in result.stdout
    assert "saved/Undeliverable.msg: not understood" in result.stderr


def test_reports_not_about_our_mail_can_still_be_trusted_later(
    config: Config, db: Connection
) -> None:
    # A lost journal, an old mailbox: "not ours" today, acted on when the operator says so.
    report = import_mailbox(config, db, FIXTURES / "not_ours.eml")
    assert [o.kind for o in report.outcomes] == ["not-ours"] and suppressed(db) == {}
    assert import_mailbox(config, db, FIXTURES / "not_ours.eml").of("done-before")
    trusted = import_mailbox(config, db, FIXTURES / "not_ours.eml", trust_unverified=True)
    [outcome] = trusted.of("hard")
    assert (outcome.address, outcome.tie) == ("okand@example.com", "trusted")
    assert suppressed(db) == {("okand@example.com", ""): "bounced"}


def test_an_opt_out_report_unsubscribes_from_the_newsletter_of_its_message(
    config: Config, db: Connection, tmp_path: Path
) -> None:
    data = (FIXTURES / "arf_complaint.eml").read_bytes()
    (tmp_path / "opt-out.eml").write_bytes(
        data.replace(b"Feedback-Type: abuse", b"Feedback-Type: opt-out")
    )
    report = import_mailbox(config, db, tmp_path / "opt-out.eml")
    [outcome] = report.of("unsubscribed")
    assert (outcome.address, outcome.tie) == ("karin@example.org", "Message-ID")
    assert suppressed(db) == {("karin@example.org", "medborgardialog"): "unsubscribed"}


def test_every_recipient_a_complaint_names_but_only_the_tied_one_is_suppressed(
    config: Config, db: Connection, tmp_path: Path
) -> None:
    data = (
        (FIXTURES / "arf_complaint.eml")
        .read_bytes()
        .replace(
            b"Original-Rcpt-To: <karin@example.org>\n",
            b"Original-Rcpt-To: <karin@example.org>\nOriginal-Rcpt-To: <olle@example.org>\n",
        )
    )
    (tmp_path / "two.eml").write_bytes(data)
    report = import_mailbox(config, db, tmp_path / "two.eml")
    assert [o.address for o in report.of("complained")] == ["karin@example.org"]
    [other] = report.of("unverified")
    assert other.address == "olle@example.org" and other.verdict == "complained"
    assert suppressed(db) == {("karin@example.org", ""): "complained"}
