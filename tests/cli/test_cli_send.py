"""`newsletter send` and `newsletter status` end to end, into the outbox (no SMTP server)."""

import csv
import email
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from projects import ISSUE, subscribers
from smtpserver import POLICY_REJECTION, UNKNOWN_USER, FaultInjector, SmtpServer

from newsletter.audience import suppression
from newsletter.cli import main
from newsletter.config import load_config
from newsletter.state import Connection, connect

pytestmark = pytest.mark.usefixtures("state_engine")

OUTBOX = Path("outbox/medborgardialog/2020-06")


def send(*args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(main, ["send", ISSUE, *args], input=input)


def db(project: Path) -> Connection:
    return connect(load_config(project / "newsletter.toml"))


def outbox_recipients(project: Path, folder: Path = OUTBOX) -> list[str]:
    found = []
    for path in sorted((project / folder).glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes())
        found.append(email.utils.parseaddr(message["To"])[1].lower())
    return found


def journal(project: Path) -> list[tuple[str, str]]:
    return [tuple(row) for row in db(project).execute(
        "SELECT address, status FROM recipients ORDER BY seq")]  # fmt: skip


def test_send_without_a_server_writes_one_eml_per_subscriber_and_says_where(
    project: Path,
) -> None:
    result = send("--yes")
    assert result.exit_code == 0, result.output
    assert sorted(outbox_recipients(project)) == sorted(subscribers(project))
    assert "into outbox/medborgardialog/2020-06/" in result.output
    assert {status for _, status in journal(project)} == {"sent"}
    assert "Receipt: .newsletter/receipts/medborgardialog/2020-06.csv" in result.output


def test_send_asks_first_and_sends_nothing_when_declined(project: Path) -> None:
    result = send(input="n\n")
    assert "Newsletter: SKR:s nyhetsbrev om medborgardialog" in result.output
    assert f"Recipients: {len(subscribers(project))}" in result.output
    assert "Send 14 messages now?" in result.output
    assert result.exit_code == 1 and "Nothing was sent." in result.output
    assert outbox_recipients(project) == [] and journal(project) == []


def test_suppressed_addresses_are_left_out_and_counted(project: Path) -> None:
    suppression.suppress(db(project), "anna.lindqvist@linkoping.example.se", reason="bounced")
    result = send(input="y\n")
    assert result.exit_code == 0, result.output
    assert "Recipients: 13 (1 left out as suppressed)" in result.output
    assert "anna.lindqvist@linkoping.example.se" not in outbox_recipients(project)


def test_running_a_finished_send_again_sends_nothing(project: Path) -> None:
    assert send("--yes").exit_code == 0
    again = send("--yes")
    assert again.exit_code == 0, again.output
    assert "Nothing left to send." in again.output
    assert len(outbox_recipients(project)) == 14


def test_limit_sends_part_and_the_next_run_sends_the_rest_once(project: Path) -> None:
    first = send("--yes", "--limit", "5")
    assert first.exit_code == 0, first.output
    assert "9 messages still queued" in first.output
    assert len(outbox_recipients(project)) == 5
    second = send("--yes")
    assert second.exit_code == 0, second.output
    assert "Resuming the send started" in second.output
    assert sorted(outbox_recipients(project)) == sorted(subscribers(project))


def test_someone_unsubscribed_after_freezing_is_skipped(project: Path) -> None:
    assert send("--yes", "--limit", "1").exit_code == 0
    suppression.suppress(db(project), "bjorn.akesson@uppsala.example.se",
                         reason="unsubscribed", newsletter="medborgardialog")  # fmt: skip
    result = send("--yes")
    assert result.exit_code == 0, result.output
    assert "bjorn.akesson@uppsala.example.se" not in outbox_recipients(project)
    assert ("bjorn.akesson@uppsala.example.se", "skipped") in journal(project)
    assert "lists changed" not in result.output


def test_changed_lists_are_reported_and_the_frozen_set_is_kept(project: Path) -> None:
    assert send("--yes", "--limit", "1").exit_code == 0
    path = project / "subscribers" / "medborgardialog.csv"
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    removed = lines.pop(5).split(";")[0]
    lines.append("ny.person@example.org;Ny Person;X;Y")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8-sig")
    result = send("--yes")
    assert result.exit_code == 0, result.output
    assert "The lists changed since this send started" in result.output
    assert "1 new, 1 taken off" in result.output and "--add-new" in result.output
    sent = outbox_recipients(project)
    assert removed.lower() not in sent and "ny.person@example.org" not in sent
    assert (removed.lower(), "skipped") in journal(project)


def test_add_new_sends_to_those_added_to_the_lists_since(project: Path) -> None:
    assert send("--yes", "--limit", "1").exit_code == 0
    path = project / "subscribers" / "medborgardialog.csv"
    with path.open("a", encoding="utf-8") as file:
        file.write("ny.person@example.org;Ny Person;X;Y\n")
    result = send("--yes", "--add-new")
    assert result.exit_code == 0, result.output
    assert "ny.person@example.org" in outbox_recipients(project)


def test_a_resumed_send_keeps_its_lists(project: Path) -> None:
    assert send("--yes", "--limit", "1").exit_code == 0
    result = send("--yes", "--list", "regional-utveckling")
    assert result.exit_code == 1
    assert "a send keeps its lists" in result.output


def test_a_resumed_send_knows_its_list_by_name_or_path(project: Path) -> None:
    assert send("--yes", "--limit", "1").exit_code == 0
    result = send("--yes", "--list", "subscribers/medborgardialog.csv")
    assert result.exit_code == 0, result.output
    assert sorted(outbox_recipients(project)) == sorted(subscribers(project))


def test_dry_run_builds_everything_and_records_nothing(project: Path) -> None:
    result = send("--dry-run")
    assert result.exit_code == 0, result.output
    assert "Built 14 messages" in result.output
    assert "Dry run: 14 messages would be sent" in result.output
    assert not (project / "outbox").exists() and journal(project) == []


def test_test_sends_to_the_given_addresses_only_marked_as_a_test(project: Path) -> None:
    result = send("--test", "redaktor@example.org", "--test", "kollega@example.org")
    assert result.exit_code == 0, result.output
    folder = OUTBOX.with_name("2020-06-test")
    assert outbox_recipients(project, folder) == ["redaktor@example.org", "kollega@example.org"]
    subject = email.message_from_bytes(next((project / folder).glob("*.eml")).read_bytes(),
                                       policy=email.policy.default)["Subject"]  # fmt: skip
    assert "test" in subject.lower()
    assert journal(project) == [] and not (project / OUTBOX).exists()


def test_a_bad_issue_sends_nothing(project: Path) -> None:
    (project / ISSUE).write_text("newsletter: medborgardialog\ntitle: [\n", encoding="utf-8")
    result = send("--yes")
    assert result.exit_code != 0 and "Traceback" not in result.output
    assert not (project / "outbox").exists()


def test_an_unknown_list_sends_nothing(project: Path) -> None:
    result = send("--yes", "--list", "nosuchlist")
    assert result.exit_code == 1 and "there is no such list" in result.output
    assert not (project / "outbox").exists()


def test_status_shows_counts_and_receipts(project: Path) -> None:
    fresh = CliRunner().invoke(main, ["status", ISSUE])
    assert "has not been sent yet" in fresh.output
    assert send("--yes").exit_code == 0
    result = CliRunner().invoke(main, ["status", ISSUE])
    assert result.exit_code == 0, result.output
    assert "14 recipients: 14 sent, 0 failed" in result.output
    assert "receipts/medborgardialog/2020-06.json" in result.output


def test_the_receipt_lists_every_recipient_with_the_reply(project: Path) -> None:
    assert send("--yes").exit_code == 0
    folder = project / ".newsletter" / "receipts" / "medborgardialog"
    receipt = json.loads((folder / "2020-06.json").read_text(encoding="utf-8"))
    assert receipt["counts"]["sent"] == 14 and receipt["issue"] == "2020-06"
    assert {r["address"].lower() for r in receipt["recipients"]} == subscribers(project)
    assert all(r["status"] == "sent" and r["reply"] and r["time"] for r in receipt["recipients"])
    with (folder / "2020-06.csv").open(encoding="utf-8-sig") as file:
        rows = list(csv.DictReader(file, delimiter=";"))
    assert len(rows) == 14 and rows[0]["message_id"].startswith("<")


def smtp(monkeypatch: pytest.MonkeyPatch, server: SmtpServer, password: str = "s3cret") -> None:
    login = {"username": "editor", "password": password} if server.users else {}
    for name, value in server.environment(**login).items():
        monkeypatch.setenv(name, value)


def send_over_starttls(
    monkeypatch: pytest.MonkeyPatch, *args: str, password: str = "s3cret"
) -> tuple[SmtpServer, Result]:
    """`newsletter send ISSUE ARGS` to a server requiring STARTTLS and a login."""
    with SmtpServer(tls="starttls", users={"editor": "s3cret"}) as server:
        smtp(monkeypatch, server, password)
        return server, send(*args)


def test_send_over_starttls_with_login_delivers_once_to_each_subscriber(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server, result = send_over_starttls(monkeypatch, "--yes")
    assert result.exit_code == 0, result.output
    assert f"Delivery:   127.0.0.1:{server.port}" in result.output
    assert sorted(server.handler.recipients()) == sorted(subscribers(project))
    assert all(message.tls for message in server.messages)


def test_a_refused_login_stops_before_anything_is_recorded(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server, result = send_over_starttls(monkeypatch, "--yes", password="wrong")
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert server.messages == [] and journal(project) == []


def test_permanent_failures_exit_1_and_show_the_replies(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    unknown = sorted(subscribers(project))[0]
    with SmtpServer(handler=FaultInjector(rcpt={unknown: [UNKNOWN_USER]})) as server:
        smtp(monkeypatch, server)
        result = send("--yes")
        status = CliRunner().invoke(main, ["status", ISSUE])
    assert result.exit_code == 1
    assert "Sent 13 messages" in result.output and "1 failed:" in result.output
    assert f"{unknown}: {UNKNOWN_USER}" in result.output
    assert f"{unknown}: {UNKNOWN_USER}" in status.output and "1 failed" in status.output


def test_retry_failed_leaves_a_bounced_address_failed_and_says_so(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    unknown = sorted(subscribers(project))[0]
    with SmtpServer(handler=FaultInjector(rcpt={unknown: [UNKNOWN_USER]})) as server:
        smtp(monkeypatch, server)
        assert send("--yes").exit_code == 1
        retried = send("--yes", "--retry-failed")
        status = CliRunner().invoke(main, ["status", ISSUE])
    assert retried.exit_code == 1 and "Traceback" not in retried.output
    assert "1 of the failed address(es) are on the suppression list now" in retried.output
    assert "Nothing left to send" in retried.output
    assert server.handler.recipients().count(unknown) == 0
    # The 550 reply stays the record of what happened, in status and the receipt.
    assert f"{unknown}: {UNKNOWN_USER}" in status.output and "1 failed" in status.output
    receipt = project / ".newsletter" / "receipts" / "medborgardialog" / "2020-06.csv"
    [row] = [line for line in receipt.read_text("utf-8-sig").splitlines() if unknown in line]
    assert ";failed;" in row and row.endswith(UNKNOWN_USER)


def test_a_policy_rejection_stops_the_send_and_says_what_to_do(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSLETTER_SMTP_CONCURRENCY", "1")
    second = sorted(subscribers(project))[1]
    with SmtpServer(handler=FaultInjector(data={second: [POLICY_REJECTION]})) as server:
        smtp(monkeypatch, server)
        result = send("--yes")
        assert result.exit_code == 1
        assert POLICY_REJECTION in result.output and "policy rejection" in result.output
        assert f"continue with: newsletter send {ISSUE}" in result.output
        assert len(server.messages) < 14
        status = CliRunner().invoke(main, ["status", ISSUE])
        assert f"stopped by the mail server's refusal: {POLICY_REJECTION}" in status.output
        again = send("--yes")
    assert again.exit_code == 0, again.output
    assert sorted(server.handler.recipients()) == sorted(subscribers(project))


def test_retry_failed_before_the_send_started_is_refused(project: Path) -> None:
    result = send("--yes", "--retry-failed")
    assert result.exit_code == 1 and "has not been sent yet" in result.output
    assert journal(project) == []


def test_status_lists_uncertain_rows_and_send_says_how_to_resend_them(project: Path) -> None:
    from newsletter.delivery import journal as journal_

    assert send("--yes", "--limit", "2").exit_code == 0
    state = db(project)
    frozen = journal_.find(state, "medborgardialog", "2020-06")
    assert frozen is not None
    # What a crash leaves behind while two messages are on the wire.
    claimed, _ = journal_.next_rows(state, frozen, status="queued", after=0, limit=2)
    journal_.apply(state, frozen, [journal_.Handed(row.seq) for row in claimed])
    status = CliRunner().invoke(main, ["status", ISSUE])
    assert (
        "2 uncertain" in status.output and "Uncertain (may or may not have arrived" in status.output
    )
    assert all(f"  {row.address}: no reply recorded" in status.output for row in claimed)
    result = send("--yes")
    assert result.exit_code == 1
    assert f"newsletter send {ISSUE} --resend-uncertain" in result.output
    assert len(outbox_recipients(project)) == 12
    assert send("--yes", "--resend-uncertain").exit_code == 0
    assert sorted(outbox_recipients(project)) == sorted(subscribers(project))


def test_dry_run_checks_the_server_and_sends_nothing(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server, result = send_over_starttls(monkeypatch, "--dry-run")
    assert result.exit_code == 0, result.output
    # What the connection was, not what was configured: TLS 1.3 (or 1.2), by STARTTLS.
    assert re.search(rf"Connected to 127.0.0.1:{server.port}, TLS 1\.[23] \(STARTTLS\)",
                     result.output), result.output  # fmt: skip
    assert server.messages == [] and journal(project) == []


def test_a_second_send_of_the_issue_is_refused_while_one_runs(project: Path) -> None:
    from newsletter.config import load_config
    from newsletter.delivery import sendlock

    assert send("--yes", "--limit", "1").exit_code == 0
    config = load_config(project / "newsletter.toml")
    # Another process (on another machine, with a shared database) holds the send's lock.
    with connect(config) as other, sendlock.lock(config, other, "medborgardialog", "2020-06"):
        result = send("--yes")
        status = CliRunner().invoke(main, ["status", ISSUE])
    assert result.exit_code == 1 and "is being sent by another newsletter process" in result.output
    assert "A send of this issue is running right now." in status.output
    assert len(outbox_recipients(project)) == 1


def test_an_address_that_cannot_be_sent_to_fails_alone_and_the_rest_go(project: Path) -> None:
    # A non-ASCII local part is a valid address, but needs SMTPUTF8, which we do not use.
    with (project / "subscribers" / "medborgardialog.csv").open("a", encoding="utf-8") as file:
        file.write("åsa.öberg@example.org;Åsa Öberg;Exempel kommun;Exempel\r\n")
    result = send("--yes")
    assert result.exit_code == 1, result.output
    assert sorted(outbox_recipients(project)) == sorted(
        subscribers(project) - {"åsa.öberg@example.org"}
    )
    rows = (
        db(project)
        .execute("SELECT status, reply FROM recipients WHERE address = 'åsa.öberg@example.org'")
        .fetchall()
    )
    assert [row[0] for row in rows] == ["failed"] and rows[0][1].startswith("not sent:")


def test_forget_after_a_send_names_the_receipts_it_keeps(project: Path) -> None:
    assert send("--yes").exit_code == 0
    receipt = project / ".newsletter/receipts/medborgardialog/2020-06.csv"
    address = "anna.lindqvist@linkoping.example.se"
    result = CliRunner().invoke(main, ["subscribers", "forget", address, "--yes"])
    assert result.exit_code == 0, result.output
    assert ".newsletter/receipts/medborgardialog/2020-06.csv: kept" in result.output
    assert ".newsletter/receipts/medborgardialog/2020-06.json: kept" in result.output
    assert address in receipt.read_text(encoding="utf-8-sig")
    assert address not in outbox_recipients(project)


def test_a_server_refusing_everyone_alike_stops_the_send(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    quota = "554 5.2.0 STOREDRV.Submission.Exception:SubmissionQuotaExceededException"
    refuse = {address: [quota] for address in subscribers(project)}
    with SmtpServer(handler=FaultInjector(rcpt=refuse)) as server:
        smtp(monkeypatch, server)
        result = send("--yes")
    assert result.exit_code == 1
    assert "addresses in a row the same refusal" in result.output
    assert "--retry-failed" in result.output
    statuses = [status for _, status in journal(project)]
    assert 10 <= statuses.count("failed") < 14 and "queued" in statuses
    with SmtpServer() as server:
        smtp(monkeypatch, server)
        assert "failed" in send("--yes").output  # the queued ones go; the failed wait
        assert send("--yes", "--retry-failed").exit_code == 0
        assert sorted(server.handler.recipients()) == sorted(subscribers(project))
