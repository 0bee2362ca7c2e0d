"""A team on one PostgreSQL database (issue 17): the public server and the editors share
one truth, and a project's SQLite state moves there whole.

Each "machine" is a project folder of its own (its own state folder, receipts and
backups), all with the same newsletter.toml, NEWSLETTER_STATE_URL and NEWSLETTER_SECRET.
"""

from __future__ import annotations

import email
import re
from email import policy
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from backends import connect_url, fresh_database
from click.testing import CliRunner, Result
from projects import ISSUE, example_project, subscribers
from webserver import running

from newsletter.cli import main
from newsletter.config import load_config
from newsletter.state import connect
from newsletter.state.copy import counts
from newsletter.web.app import create_app

NEXT = "issues/medborgardialog-2020-07.yaml"
SECRET = "the team's one secret, the same on every machine"


def machine(folder: Path) -> Path:
    """A workstation or a server: the example project, with the next issue too."""
    folder.mkdir()
    example_project(folder)
    text = (folder / ISSUE).read_text(encoding="utf-8")
    (folder / NEXT).write_text(text.replace("number: 6", "number: 7"), encoding="utf-8")
    return folder


def on(folder: Path, monkeypatch: pytest.MonkeyPatch, *args: str) -> Result:
    """`newsletter ARGS` run in FOLDER."""
    with monkeypatch.context() as here:
        here.chdir(folder)
        return CliRunner().invoke(main, list(args))


def sent_to(folder: Path, slug: str) -> dict[str, str]:
    """Address -> its one-click unsubscribe URL, of every message in FOLDER's outbox."""
    found = {}
    for path in (folder / "outbox" / "medborgardialog" / slug).glob("*.eml"):
        message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        https = re.findall(r"<(https://[^>]+)>", str(message["List-Unsubscribe"]))[0]
        found[str(message["To"].addresses[0].addr_spec).lower()] = https
    return found


@pytest.fixture
def team(monkeypatch: pytest.MonkeyPatch) -> str:
    url = fresh_database()
    for name in ("NEWSLETTER_CONFIG", "NEWSLETTER_SMTP_HOST"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NEWSLETTER_STATE_URL", url)
    monkeypatch.setenv("NEWSLETTER_SECRET", SECRET)
    return url


def test_an_unsubscribe_on_the_server_keeps_every_editors_next_send_from_that_address(
    team: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    editor, other_editor, server = (machine(tmp_path / n) for n in ("editor", "other", "server"))
    assert on(editor, monkeypatch, "send", ISSUE, "--yes").exit_code == 0
    leaving, link = sorted(sent_to(editor, "2020-06").items())[0]
    # The reader clicks in their mail program: a one-click POST to the public server.
    with running(create_app(load_config(server / "newsletter.toml"))) as url:
        path = urlsplit(link).path
        answer = httpx.post(f"{url}{path}", data={"List-Unsubscribe": "One-Click"})
        assert answer.status_code == 200
        # The server knows the issue the editor sent: its web version is in the archive.
        assert httpx.get(f"{url}/medborgardialog/2020-06/").status_code == 200
    # Another editor, on another machine, sends the next issue: not to the one who left.
    result = on(other_editor, monkeypatch, "send", NEXT, "--yes")
    assert result.exit_code == 0, result.output
    assert "1 left out as suppressed" in result.output
    assert set(sent_to(other_editor, "2020-07")) == subscribers(editor) - {leaving}
    # Issue 6 is not sent again from there either: the journal is the team's.
    again = on(other_editor, monkeypatch, "send", ISSUE, "--yes")
    assert (
        "Nothing left to send" in again.output
        and not (other_editor / "outbox" / "medborgardialog" / "2020-06").exists()
    )
    status = on(editor, monkeypatch, "status", NEXT)
    assert f"{len(subscribers(editor)) - 1} sent" in status.output
    assert on(other_editor, monkeypatch, "state", "verify").exit_code == 0


def first_issue_sent_on_sqlite(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NEWSLETTER_STATE_URL")
    assert on(folder, monkeypatch, "send", ISSUE, "--yes").exit_code == 0
    suppressed = on(folder, monkeypatch, "subscribers", "suppress", "anna@example.org")
    assert suppressed.exit_code == 0
    with connect(load_config(folder / "newsletter.toml")) as db:  # what bounces import keeps
        db.execute("INSERT INTO soft_bounces (address_hash, count, first_seen, last_seen)"
                   " VALUES ('h', 1, '2026-01-01', '2026-01-01')")  # fmt: skip
        db.execute("INSERT INTO bounce_messages (key, kind) VALUES ('<b@x>', 'bounce')")


def test_state_copy_moves_every_table_and_the_project_goes_on_there(
    team: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = machine(tmp_path / "project")
    first_issue_sent_on_sqlite(project, monkeypatch)
    with connect(load_config(project / "newsletter.toml")) as db:
        before = counts(db)
    result = on(project, monkeypatch, "state", "copy", "--to", team)
    assert result.exit_code == 0, result.output
    assert "recipients: 14 row(s)" in result.output and "suppression: 1 row(s)" in result.output
    with connect_url(team) as db:
        assert counts(db) == before and before["archive"] == before["bounce_messages"] == 1
    # Into a database that holds a state already: refused, nothing changed.
    refused = on(project, monkeypatch, "state", "copy", "--to", team)
    assert refused.exit_code == 1 and "holds a state already" in refused.output
    with connect_url(team) as db:
        assert counts(db) == before
    # From now on the project works on the server: it knows what was sent, and who left.
    monkeypatch.setenv("NEWSLETTER_STATE_URL", team)
    assert on(project, monkeypatch, "state", "verify").exit_code == 0
    assert "Nothing left to send" in on(project, monkeypatch, "send", ISSUE, "--yes").output
    assert on(project, monkeypatch, "send", NEXT, "--yes").exit_code == 0
    assert "anna@example.org" not in sent_to(project, "2020-07")
    with connect_url(team) as db:  # new rows take ids after the copied ones
        assert db.execute("SELECT count(*) FROM sends").scalar() == 2


def test_state_copy_refuses_a_password_in_the_address(
    team: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = machine(tmp_path / "project")
    monkeypatch.delenv("NEWSLETTER_STATE_URL")
    result = on(project, monkeypatch, "state", "copy", "--to", "postgresql://n:hemligt@db/n")
    assert result.exit_code == 1 and "a password does not belong" in result.output
    assert "hemligt" not in result.output
