"""`newsletter check`, and the same checks before every `newsletter send`: an error refuses
a real send with nothing recorded, a rehearsal (the outbox) and a `--test` send only warn."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from checkproject import write_issue
from click.testing import CliRunner, Result
from projects import ISSUE
from smtpserver import SmtpServer

from newsletter.cli import main

BROKEN = """\
- title: Till er
  body: |
    Vad betyder det för er i {{ komun }}?
"""
STARTER = """\
- title: Rubrik på nyheten
  body: |
    Något om {{ kommun }}.
"""


def cli(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def recorded(project: Path) -> int:
    database = project / ".newsletter" / "state.sqlite3"
    if not database.exists():
        return 0
    with sqlite3.connect(database) as db:
        return int(db.execute("SELECT count(*) FROM recipients").fetchone()[0])


def test_check_prints_each_finding_at_its_place_and_exits_0_on_warnings(project: Path) -> None:
    result = cli("check", ISSUE)
    assert result.exit_code == 0, result.output
    assert (
        f"{ISSUE}:40:17: warning: “Onsdag den 5 maj”: 5 May 2020 is a Tuesday (tisdag), "
        "not a Wednesday."
    ) in result.output
    assert "newsletter.toml: base_url: warning:" in result.output
    # No network here: said once, not once a link.
    assert result.output.count("no network") == 1
    assert result.output.rstrip().splitlines()[-1].startswith(f"{ISSUE}: 0 errors, ")


def test_check_lists_errors_first_and_exits_1(project: Path) -> None:
    path = write_issue(project, BROKEN).relative_to(project)
    result = cli("check", str(path))
    assert result.exit_code == 1
    lines = [
        line for line in result.output.splitlines() if ": error: " in line or ": warning: " in line
    ]
    assert ": error: {{ komun }}" in lines[0]
    assert all(": warning: " in line for line in lines[1:])
    assert "1 error, " in result.output


def test_check_json_for_scripts(project: Path) -> None:
    path = write_issue(project, BROKEN).relative_to(project)
    result = CliRunner().invoke(main, ["check", str(path), "--json"])
    data = json.loads(result.stdout)
    assert result.exit_code == 1
    assert data["errors"] == 1 and data["real_send"] is False
    (error,) = [f for f in data["findings"] if f["severity"] == "error"]
    assert error["code"] == "field-unknown" and error["file"] == str(path)
    assert error["line"] == 9 and error["column"] == 36


def test_send_refuses_on_an_error_recording_and_sending_nothing(project: Path) -> None:
    path = write_issue(project, BROKEN).relative_to(project)
    result = cli("send", str(path), "--yes")
    assert result.exit_code == 1
    assert f"{path}:9:36: error: {{{{ komun }}}}" in result.output
    assert "The send is refused: nothing was recorded or sent." in result.output
    assert recorded(project) == 0
    assert not (project / "outbox").exists()
    dry = cli("send", str(path), "--dry-run")
    assert dry.exit_code == 1 and "would be sent" in dry.output


def test_a_test_send_only_warns(project: Path) -> None:
    path = write_issue(project, BROKEN).relative_to(project)
    result = cli("send", str(path), "--test", "me@kommun.se")
    assert result.exit_code == 0, result.output
    assert f"{path}:9:36: warning: {{{{ komun }}}}" in result.output
    assert list((project / "outbox").glob("*/*-test/*.eml"))


def test_the_outbox_is_a_rehearsal_a_smtp_server_is_a_real_send(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_issue(project, STARTER).relative_to(project)
    rehearsal = cli("send", str(path), "--yes")
    assert rehearsal.exit_code == 0, rehearsal.output
    assert "warning: “Rubrik på nyheten” is the starter's stand-in text" in rehearsal.output
    assert "(a real send would refuse this)" in rehearsal.output
    assert "1 warning above would stop a real send" in rehearsal.output
    other = write_issue(project, STARTER, name="other.yaml", number=8).relative_to(project)
    with SmtpServer() as server:
        for name, value in server.environment().items():
            monkeypatch.setenv(name, value)
        real = cli("send", str(other), "--yes")
    assert real.exit_code == 1
    assert "error: “Rubrik på nyheten” is the starter's stand-in text" in real.output
    assert server.messages == []


def test_check_against_another_list(project: Path) -> None:
    path = write_issue(project, STARTER.replace("Rubrik på nyheten", "Nytt")).relative_to(project)
    assert "kommun" not in cli("check", str(path), "--offline").output.split("error")[0]
    (project / "styrelsen.csv").write_text("email,name\nordf@kommun.se,Eva Ek\n", "utf-8")
    result = cli("check", str(path), "--offline", "--list", "styrelsen.csv")
    assert result.exit_code == 1
    assert "error: {{ kommun }} is not a column of styrelsen.csv" in result.output
