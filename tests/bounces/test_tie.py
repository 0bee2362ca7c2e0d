"""Only reports about messages we sent count: the tie, tested with mail the tool itself sent.

`newsletter send` delivers the example issue to an SMTP server in this process; the
reports below are built from what that server received, as a receiving server would
write them, and go through `newsletter bounces import`. The forgeries are the attacks
of issue 13: anyone can mail the bounce address a report naming anyone.
"""

from __future__ import annotations

import json
import mailbox
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from projects import ISSUE, example_project, subscribers
from smtpserver import Received, SmtpServer

from newsletter.audience import suppression
from newsletter.audience.returnpath import HEADER, RefSigner, token_in
from newsletter.cli import main
from newsletter.config import load_config
from newsletter.state import connect

pytestmark = pytest.mark.usefixtures("state_engine")

SECRET = "tie test secret, long enough"
RETURN_PATH = "bounces@nyhetsbrev.example.org"
USER_UNKNOWN = "smtp; 550 5.1.1 <{}>: Recipient address rejected: User unknown"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    example_project(tmp_path)
    monkeypatch.chdir(tmp_path)
    for name in ("NEWSLETTER_CONFIG", "NEWSLETTER_BOUNCES_RETURN_PATH"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NEWSLETTER_SECRET", SECRET)
    return tmp_path


def send(monkeypatch: pytest.MonkeyPatch) -> dict[str, Received]:
    """Send the example issue to a test server: what it received, by recipient."""
    with SmtpServer() as server, monkeypatch.context() as env:
        for name, value in server.environment().items():
            env.setenv(name, value)
        result = CliRunner().invoke(main, ["send", ISSUE, "--yes"])
        assert result.exit_code == 0, result.output
        return {message.recipients[0]: message for message in server.messages}


def report(
    sent: Received,
    *,
    names: list[str] | None = None,
    returned: str = "headers",
    to: str = "",
    diagnostic: str = USER_UNKNOWN,
    status: str = "5.1.1",
) -> bytes:
    """A delivery report (RFC 3464) about SENT, as the receiving server would write it.

    NAMES are the Final-Recipients (SENT's recipient by default); RETURNED is what it
    returns of the message: "headers" (text/rfc822-headers) or "nothing".
    """
    names = names if names is not None else sent.recipients
    blocks = "\n".join(
        f"Final-Recipient: rfc822; {name}\nAction: failed\nStatus: {status}\n"
        f"Diagnostic-Code: {diagnostic.format(name)}\n"
        for name in names
    )
    headers = sent.data.split(b"\r\n\r\n", 1)[0].decode("ascii").replace("\r\n", "\n")
    returned_part = (
        f"--b1\nContent-Type: text/rfc822-headers\n\n{headers}\n\n" if returned == "headers" else ""
    )
    text = (
        "From: MAILER-DAEMON@mx.reader.example.org (Mail Delivery System)\n"
        f"To: {to or sent.sender}\nSubject: Undelivered Mail Returned to Sender\n"
        f"Date: {formatdate()}\nMessage-ID: {make_msgid(domain='mx.reader.example.org')}\n"
        "MIME-Version: 1.0\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b1"\n\n'
        "--b1\nContent-Type: text/plain\n\nI'm sorry to have to inform you that your message "
        "could not be delivered to one or more recipients.\n\n"
        "--b1\nContent-Type: message/delivery-status\n\n"
        f"Reporting-MTA: dns; mx.reader.example.org\n\n{blocks}\n"
        f"{returned_part}--b1--\n"
    )
    return text.encode("utf-8")


def imported(tmp_path: Path, *messages: bytes, args: tuple[str, ...] = ()) -> Result:
    box = mailbox.mbox(tmp_path / "retur.mbox")
    for message in messages:
        box.add(message)
    box.close()
    return CliRunner().invoke(main, ["bounces", "import", str(tmp_path / "retur.mbox"), *args])


def as_json(result: Result) -> list[dict[str, object]]:
    return [json.loads(line) for line in result.stdout.splitlines()]


def suppressed(project: Path) -> set[str]:
    db = connect(load_config(project / "newsletter.toml"))
    try:
        return {entry.address or "" for entry in suppression.entries(db)}
    finally:
        db.close()


def test_every_message_carries_a_signed_token_for_its_journal_row(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    received = send(monkeypatch)
    assert sorted(received) == sorted(subscribers(project))
    refs = RefSigner(SECRET.encode())
    rows = set()
    for message in received.values():
        ref = message.parsed()[HEADER]
        row = refs.verify(str(ref))
        assert row is not None, ref
        rows.add(row)
        assert message.sender == "medborgardialog@nyhetsbrev.example.org"  # no VERP unset
    db = connect(load_config(project / "newsletter.toml"))
    rows_found = db.execute("SELECT send_id, seq, address FROM recipients")
    journal = {(send_id, seq): address for send_id, seq, address in rows_found}
    assert {journal[row] for row in rows} == set(received)


def test_a_report_about_a_message_we_sent_suppresses_its_recipient(
    project: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    received = send(monkeypatch)
    dead = sorted(received)[0]
    result = imported(tmp_path, report(received[dead]), args=("--json",))
    assert result.exit_code == 0, result.output
    [found] = as_json(result)
    assert (found["kind"], found["addresses"]) == ("hard", [dead])
    assert found["action"] == "suppressed for every newsletter"
    assert found["recipients"][0]["tied_by"] == "X-Newsletter-Ref header"  # type: ignore[index]
    assert suppressed(project) == {dead}


def test_without_our_header_the_message_id_ties_it(
    project: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    received = send(monkeypatch)
    dead = sorted(received)[1]
    data = received[dead].data.replace(HEADER.encode(), b"X-Stripped-By-A-Relay")
    stripped = Received(received[dead].sender, [dead], data, 0, False)
    result = imported(tmp_path, report(stripped), args=("--json",))
    [found] = as_json(result)
    assert found["recipients"][0]["tied_by"] == "Message-ID"  # type: ignore[index]
    assert suppressed(project) == {dead}


def test_a_message_id_of_another_recipient_counts_for_nobody_it_names(
    project: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # A reader (the attacker) returns their own message, naming someone else.
    received = send(monkeypatch)
    attacker, victim = sorted(received)[:2]
    data = received[attacker].data.replace(HEADER.encode(), b"X-Removed")
    own = Received(received[attacker].sender, [attacker], data, 0, False)
    result = imported(tmp_path, report(own, names=[victim]))
    assert result.exit_code == 1
    assert "suppresses nobody: it returns a message we sent to another address" in result.stderr
    assert suppressed(project) == set()


def test_a_signed_token_names_its_recipient_whatever_alias_the_report_uses(
    project: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # Exchange reports the tenant's alias; a forward reports the new address.
    received = send(monkeypatch)
    reader = sorted(received)[2]
    alias = "alias@tenant.onmicrosoft.example.com"
    result = imported(tmp_path, report(received[reader], names=[alias]), args=("--json",))
    [found] = as_json(result)
    assert found["addresses"] == [reader]
    assert found["recipients"][0]["reported_as"] == alias  # type: ignore[index]
    assert suppressed(project) == {reader}


def test_verp_gives_each_message_its_own_return_path_and_ties_reports_by_it(
    project: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("NEWSLETTER_BOUNCES_RETURN_PATH", RETURN_PATH)
    received = send(monkeypatch)
    senders = {message.sender for message in received.values()}
    assert len(senders) == len(received)  # one envelope sender per recipient
    assert all(token_in(sender, RETURN_PATH) for sender in senders)
    dead = sorted(received)[3]
    # The receiving server returns nothing of the message: only its return path says which.
    result = imported(tmp_path, report(received[dead], returned="nothing"), args=("--json",))
    [found] = as_json(result)
    assert found["recipients"][0]["tied_by"] == "return path"  # type: ignore[index]
    assert suppressed(project) == {dead}


def test_a_forged_report_naming_10000_subscribers_suppresses_nobody(
    project: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # 10,000 subscribers the journal knows were sent the issue, and the attacker's own
    # message returned with the report, our header and Message-ID and all.
    received = send(monkeypatch)
    attacker = sorted(received)[0]
    victims = [f"reader{n:05d}@kommun{n % 290}.example.se" for n in range(10_000)]
    config = load_config(project / "newsletter.toml")
    db = connect(config)
    db.executemany(
        "INSERT INTO recipients (send_id, seq, address, address_id, status, message_id)"
        " VALUES (1, ?, ?, 'x', 'sent', ?)",
        ((1000 + n, a, f"<m{n}@nyhetsbrev.example.org>") for n, a in enumerate(victims)),
    )
    db.close()
    named = [*victims, *(a for a in received if a != attacker)]
    forged = report(received[attacker], names=named)
    bare = report(received[attacker], names=named, returned="nothing", to=RETURN_PATH)
    result = imported(tmp_path, forged, bare, args=("--json",))
    assert result.exit_code == 1
    assert suppressed(project) == set()
    first, _ = as_json(result)
    assert len(first["addresses"]) == len(named)  # type: ignore[arg-type]
    assert first["action"] == "nothing recorded: not tied to a message we sent"
    assert "returns a message we sent to another address" in result.stderr
    assert "does not show which of our messages it is about" in result.stderr
    assert result.stderr.count("suppresses nobody") == 2
    assert len(result.stderr) < 3000  # two lines, not ten thousand


def test_a_forged_return_path_token_suppresses_nobody(
    project: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("NEWSLETTER_BOUNCES_RETURN_PATH", RETURN_PATH)
    received = send(monkeypatch)
    victim = sorted(received)[4]
    token = token_in(received[victim].sender, RETURN_PATH)
    changed = token[:-1] + ("a" if token[-1] != "a" else "b")
    forged_to = received[victim].sender.replace(token, changed)
    result = imported(tmp_path, report(received[victim], returned="nothing", to=forged_to))
    assert result.exit_code == 1
    assert "carries a return-path token that does not verify" in result.stderr
    assert suppressed(project) == set()


def test_trust_unverified_acts_on_an_old_mailbox_and_says_so_loudly(
    project: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    received = send(monkeypatch)
    old = sorted(received)[5]
    untied = report(received[old], returned="nothing")
    first = imported(tmp_path, untied)
    assert first.exit_code == 1 and suppressed(project) == set()
    assert "--trust-unverified" in first.stderr
    again = CliRunner().invoke(main, ["bounces", "import", str(tmp_path / "retur.mbox"),
                                      "--trust-unverified"])  # fmt: skip
    assert again.exit_code == 0, again.output
    assert "--trust-unverified: 1 address(es) were acted on" in again.stderr
    assert "Anyone can mail such a report" in again.stderr
    assert suppressed(project) == {old}


def test_several_refusals_for_our_sake_come_first_and_count_against_nobody(
    project: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # A broken SPF record: every Exchange Online reader's server refuses, with 5.1.1
    # hidden behind the words that say it is our fault.
    received = send(monkeypatch)
    readers = sorted(received)[:3]
    spf = ("smtp; 550 5.7.23 The message was rejected because of Sender Policy Framework "
           "violation")  # fmt: skip
    reports = [report(received[r], diagnostic=spf) for r in readers]
    quiet = imported(tmp_path, *reports, args=("--summary", "--dry-run"))
    assert quiet.exit_code == 1 and quiet.stderr.startswith("Attention: 3 report(s)")
    assert "Readers at" not in quiet.output and "@" not in quiet.stdout
    result = CliRunner().invoke(main, ["bounces", "import", str(tmp_path / "retur.mbox")])
    assert result.exit_code == 1
    assert result.stderr.startswith("Attention: 3 report(s) say that receiving servers refused")
    assert "SPF, DKIM or DMARC failed" in result.stderr
    assert "What to do: Check the SPF record" in result.stderr
    assert "Refused because of a problem on our side (counted against nobody): 3" in result.stdout
    assert suppressed(project) == set()
    db = connect(load_config(project / "newsletter.toml"))
    assert db.execute("SELECT count(*) FROM soft_bounces").fetchone()[0] == 0


def test_the_json_lines_describe_every_message(
    project: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    received = send(monkeypatch)
    dead, full = sorted(received)[6:8]
    full_box = "smtp; 452 4.2.2 Mailbox full"
    mailbox_full = report(received[full], status="4.2.2", diagnostic=full_box)
    reply = EmailMessage()
    reply["From"], reply["To"] = "eva@example.org", "medborgardialog@example.org"
    reply["Subject"], reply["Message-ID"] = "Re: nyhetsbrevet", make_msgid()
    reply.set_content("Tack!")
    result = imported(tmp_path, report(received[dead]), mailbox_full, reply.as_bytes(),
                      args=("--json",))  # fmt: skip
    assert result.exit_code == 1  # the reply needs a person
    lines = as_json(result)
    assert [(line["kind"], line["addresses"]) for line in lines] == [
        ("hard", [dead]), ("soft", [full]), ("not-understood", []),
    ]  # fmt: skip
    assert lines[1]["action"] == "soft bounce counted (1 of 3)"
    assert {"message", "kind", "addresses", "action"} <= set(lines[2])
    assert "Hard bounces, suppressed for every newsletter: 1" in result.stderr
    # Standard output is JSON only.
    assert all(line.startswith("{") for line in result.stdout.splitlines())


def test_a_report_seen_again_is_not_counted_again(
    project: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    received = send(monkeypatch)
    full = sorted(received)[8]
    bounce = report(received[full], status="4.2.2", diagnostic="smtp; 452 4.2.2 Mailbox full")
    imported(tmp_path, bounce)
    again = CliRunner().invoke(main, ["bounces", "import", str(tmp_path / "retur.mbox"), "--json"])
    [found] = as_json(again)
    assert found["action"] == "nothing recorded: imported before"
    db = connect(load_config(project / "newsletter.toml"))
    assert db.execute("SELECT count FROM soft_bounces").fetchone()[0] == 1
