"""An editor's first week, through the command line, from a fresh `newsletter init` to a
correction, with a real SMTP server on loopback: a reader's copy before the send, who gets
it and who is left out, an honest record of the connection, the story of the send, and
the corrected web version. Once in English, once in Swedish."""

from __future__ import annotations

import csv
import datetime as dt
import email
import json
import re
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from smtpserver import SmtpServer

from newsletter.cli import main

KEY = "internationellt"
YEAR = dt.date.today().year
ISSUE = f"issues/{KEY}-{YEAR}-01.yaml"

# What the editor writes over the starter's stand-in text, with a personal field.
INTRO = "Hej {{ name }}! Det här händer internationellt för er i {{ kommun }}."
LIST = (
    "E-post;Namn;Kommun\r\n"
    "anna.andersson@example.org;Anna Andersson;Hässleholm\r\n"
    "bo.berg@example.org;Bo Berg;Osby\r\n"
    "cilla.carlsson@example.org;Cilla Carlsson;Hörby\r\n"
    "BO.BERG@example.org;Bo Berg;\r\n"
    "inte-en-adress;Någon;Lund\r\n"
    "dan.dahl@example.org;Dan Dahl;Kristianstad\r\n"
)


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project from `newsletter init`, its first issue from `newsletter new`, filled in."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NEWSLETTER_CONFIG", raising=False)
    name = "Internationellt arbete i Hässleholm"
    started = run("init", "hassleholm", "--newsletter", KEY, "--name", name,
                  "--from", "nyhetsbrev@hassleholm.se")  # fmt: skip
    assert started.exit_code == 0, started.output
    folder = tmp_path / "hassleholm"
    monkeypatch.chdir(folder)
    # The public address of `newsletter serve`, as the editor sets it before a real send.
    monkeypatch.setenv("NEWSLETTER_BASE_URL", "https://nyhetsbrev.hassleholm.example.se")
    written = run("new")
    assert written.exit_code == 0, written.output
    _fill_in(folder / ISSUE)
    (folder / "subscribers" / f"{KEY}.csv").write_bytes(LIST.encode("utf-8-sig"))
    return folder


def _fill_in(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    text = re.sub(r"intro: \|\n  .*\n", f"intro: |\n  {INTRO}\n", text)
    text = text.replace("Några meningar om nyheten.", "Vänorten Chojnice besöker oss i maj.")
    text = text.replace("Vad webbinariet handlar om och vilka som medverkar.",
                        "Om EU:s program för kommuner.")  # fmt: skip
    text = text.replace("Rubrik på nyheten", "Besök från vänorten")
    path.write_text(text, encoding="utf-8")


def smtp(monkeypatch: pytest.MonkeyPatch, server: SmtpServer) -> None:
    login = {"username": "editor", "password": "s3cret"} if server.users else {}
    for name, value in server.environment(**login).items():
        monkeypatch.setenv(name, value)


def body(message: email.message.EmailMessage) -> str:
    """The text part, its lines joined (it is wrapped at 76 characters)."""
    part = message.get_body(("plain",))
    assert part is not None
    return " ".join(str(part.get_content()).split())


def test_the_first_week_in_english(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert run("validate", ISSUE).exit_code == 0
    with SmtpServer() as server:
        smtp(monkeypatch, server)
        _a_readers_copy(server)
        _who_gets_it(project)
        _the_send(project, server)
        _the_story(project, server)
    _a_correction(project)


def _a_readers_copy(server: SmtpServer) -> None:
    # A test to the editor shows the row of the subscriber given with --as ...
    result = run("send", ISSUE, "--test", "redaktor@hassleholm.se", "--as", "bo.berg@example.org")
    assert result.exit_code == 0, result.output
    assert "as Bo Berg <bo.berg@example.org> (subscribers/internationellt.csv:3) gets it" in (
        result.output
    )
    [copy] = server.messages
    assert copy.recipients == ["redaktor@hassleholm.se"]
    assert "Hej Bo Berg! Det här händer internationellt för er i Osby." in body(copy.parsed())
    # ... and a test to an address on the list shows its own row.
    result = run("send", ISSUE, "--test", "cilla.carlsson@example.org")
    assert result.exit_code == 0, result.output
    assert "för er i Hörby." in body(server.messages[-1].parsed())
    # --as someone who is on no list is refused, and nothing is sent.
    refused = run("send", ISSUE, "--test", "redaktor@hassleholm.se", "--as", "x@example.org")
    assert refused.exit_code == 1 and "x@example.org is not on internationellt" in refused.output
    assert len(server.messages) == 2
    server.handler.messages.clear()


def _who_gets_it(project: Path) -> None:
    # Anna has unsubscribed: she is left out, and the dry run says so and why.
    run("subscribers", "suppress", "anna.andersson@example.org", "--reason", "unsubscribed",
        "--newsletter", KEY)  # fmt: skip
    result = run("send", ISSUE, "--dry-run")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Recipients: 3 (1 left out as suppressed, 1 bad row left out)" in out
    assert (
        "  subscribers/internationellt.csv: 6 rows, 3 get it, 1 left out: unsubscribed, "
        "1 duplicate merged, 1 invalid row left out"
    ) in out
    assert ("  All: Bo Berg <bo.berg@example.org>, Cilla Carlsson <cilla.carlsson@example.org>, "
            "Dan Dahl <dan.dahl@example.org>") in out  # fmt: skip
    path = project / f".newsletter/recipients/{KEY}/{YEAR}-01.csv"
    assert (
        f"Everyone, with who is left out and why: .newsletter/recipients/{KEY}/{YEAR}-01.csv" in out
    )
    with path.open(encoding="utf-8-sig", newline="") as file:
        rows = list(csv.reader(file, delimiter=";"))
    assert rows[0] == ["Address", "Name", "List and row", "Gets it", "Why not"]
    left_out = {row[0]: row[4] for row in rows[1:] if row[3] == "no"}
    assert left_out == {
        "anna.andersson@example.org": "suppressed: unsubscribed",
        "BO.BERG@example.org": "duplicate of subscribers/internationellt.csv:3, merged",
        "inte-en-adress": left_out["inte-en-adress"],
    }
    assert left_out["inte-en-adress"].startswith("invalid row: 'inte-en-adress' is not a valid")
    assert (path.stat().st_mode & 0o777) == 0o600


def _the_send(project: Path, server: SmtpServer) -> None:
    result = CliRunner().invoke(main, ["send", ISSUE], input="y\n")
    assert result.exit_code == 0, result.output
    port = server.port
    # What the connection was: no STARTTLS on offer here, so none, and the record says so.
    assert f"Delivery:   127.0.0.1:{port}, no TLS (loopback)" in result.output
    assert "Send 3 messages now? [y/N]" in result.output
    assert sorted(server.handler.recipients()) == [
        "bo.berg@example.org", "cilla.carlsson@example.org", "dan.dahl@example.org",
    ]  # fmt: skip
    # Not a terminal: the last progress line holds the final count.
    assert "Handled 3/3: 3 sent, 0 failed" in result.output
    receipt = json.loads((project / f".newsletter/receipts/{KEY}/{YEAR}-01.json").read_text())
    assert receipt["delivered_by"] == f"127.0.0.1:{port}, no TLS (loopback)"
    assert len(receipt["issue_sha256"]) == 64


def _the_story(project: Path, server: SmtpServer) -> None:
    status = run("status", ISSUE)
    assert "The last run finished: every message was handed over or failed." in status.output
    # A finished send, run again: nothing to send, and how to reach those added since.
    again = run("send", ISSUE, "--yes")
    assert "Nothing left to send." in again.output and "--add-new" in again.output
    with (project / "subscribers" / f"{KEY}.csv").open("a", encoding="utf-8") as file:
        file.write("eva.ek@example.org;Eva Ek;Perstorp\r\n")
    added = run("send", ISSUE, "--yes", "--add-new")
    assert added.exit_code == 0, added.output
    assert "The 1 new subscriber is added (--add-new)." in added.output
    assert "  Eva Ek <eva.ek@example.org> (subscribers/internationellt.csv:8)" in added.output
    assert server.handler.recipients()[-1] == "eva.ek@example.org"
    assert len(server.messages) == 4
    status = run("status", ISSUE)
    assert "4 recipients: 4 sent, 0 failed, 0 uncertain, 0 queued, 0 skipped." in status.output


def _a_correction(project: Path) -> None:
    path = project / ISSUE
    sent = json.loads((project / f".newsletter/receipts/{KEY}/{YEAR}-01.json").read_text())
    path.write_text(path.read_text(encoding="utf-8").replace("i maj", "i juni"), encoding="utf-8")
    for command in ("status", "render"):
        result = run(command, ISSUE)
        assert f"Note: {ISSUE} has changed since it was sent" in result.output, command
        assert f"newsletter archive update {ISSUE}" in result.output
    corrected = run("archive", "update", ISSUE)
    assert corrected.exit_code == 0, corrected.output
    today = dt.date.today()
    assert f"marked as corrected on {today.isoformat()}" in corrected.output
    assert sent["issue_sha256"] in corrected.output
    with sqlite3.connect(project / ".newsletter" / "state.sqlite3") as db:
        html, text = db.execute("SELECT html, text FROM archive").fetchone()
    assert "i juni" in text and "i maj" not in text
    # The visible note, in the issue's language (Swedish): "Rättad 6 december 2026".
    note = f"Rättad {today.day} "
    assert note in html and note in text
    # The receipt keeps the hash of what was sent; status knows the correction now.
    after = json.loads((project / f".newsletter/receipts/{KEY}/{YEAR}-01.json").read_text())
    assert after["issue_sha256"] == sent["issue_sha256"]
    status = run("status", ISSUE)
    assert "the web version shows this corrected file since" in status.output
    assert run("archive", "update", ISSUE).output.endswith("nothing to correct.\n")


def test_the_first_week_in_swedish(
    project: Path, monkeypatch: pytest.MonkeyPatch, swedish: None
) -> None:
    checked = run("validate", ISSUE)
    assert checked.exit_code == 0 and f"{ISSUE}: OK ”" in checked.output
    with SmtpServer(tls="starttls", users={"editor": "s3cret"}) as server:
        smtp(monkeypatch, server)
        dry = run("send", ISSUE, "--dry-run")
        assert dry.exit_code == 0, dry.output
        assert "Mottagare: 4 (1 felaktig rad utelämnad)" in dry.output
        assert "6 rader, 4 får det, 1 dubblett sammanslagen, 1 ogiltig rad utelämnad" in dry.output
        assert re.search(r"Ansluten till 127\.0\.0\.1:\d+, TLS 1\.[23] \(STARTTLS\)", dry.output)
        sent = CliRunner().invoke(main, ["send", ISSUE], input="j\n")
        assert sent.exit_code == 0, sent.output
        assert re.search(r"Leverans:   127\.0\.0\.1:\d+, TLS 1\.[23] \(STARTTLS\)", sent.output)
        assert "Skicka 4 meddelanden nu? [j/N]" in sent.output
        assert "Hanterat 4/4: 4 skickade, 0 misslyckade" in sent.output
        assert len(server.messages) == 4 and all(m.tls for m in server.messages)
    status = run("status", ISSUE)
    assert (
        "4 mottagare: 4 skickade, 0 misslyckade, 0 osäkra, 0 i kö, 0 överhoppade." in status.output
    )
    assert "Den senaste körningen blev klar" in status.output
    receipt = json.loads((project / f".newsletter/receipts/{KEY}/{YEAR}-01.json").read_text())
    assert re.fullmatch(r"127\.0\.0\.1:\d+, TLS 1\.[23] \(STARTTLS\)", receipt["delivered_by"])


def test_a_swedish_editor_reads_the_connection_and_the_counts_in_swedish(
    project: Path, monkeypatch: pytest.MonkeyPatch, swedish: None
) -> None:
    with SmtpServer() as server:
        smtp(monkeypatch, server)
        test = run("send", ISSUE, "--test", "redaktor@hassleholm.se")
        assert test.exit_code == 0, test.output
        assert re.search(r"via 127\.0\.0\.1:\d+, utan TLS \(loopback", test.output)
        assert "no TLS" not in test.output
    checked = run("subscribers", "check")
    assert "1 felaktig rad lämnas utanför utskicken. Rätta den i filen" in checked.output
    assert "4 mottagare efter att dubbletter (1) slagits samman" in checked.output


def test_a_swedish_editor_is_told_how_to_write_a_time_and_a_date(
    project: Path, swedish: None
) -> None:
    path = project / ISSUE
    text = path.read_text(encoding="utf-8")
    text = re.sub(r'start: "13:00"\n\s+end: "14:30"', "start: kl. 13.00-14.30", text)
    text = re.sub(r"- date: \d{4}-\d\d-\d\d", "- date: 5 maj", text)
    path.write_text(text, encoding="utf-8")
    result = run("validate", ISSUE)
    assert result.exit_code == 1
    assert f"date: `5 maj` är inget datum som filen kan läsa; skriv det som date: {YEAR}-05-05" in (
        result.output
    )
    assert ('start: `kl. 13.00-14.30` är ett tidsintervall: skriv början och slutet på varsin rad, '
            'start: "13:00" och end: "14:30"') in result.output  # fmt: skip
