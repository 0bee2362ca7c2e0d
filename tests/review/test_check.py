"""The issue against its own data, its personal fields against the lists, and a check
without any network: each finding at its place, the rehearsal's warnings."""

from __future__ import annotations

import datetime as dt
import socket
from pathlib import Path

import pytest
from checkproject import found, line_of, make_project, run, write_issue
from dnsserver import dns_server
from linkserver import link_server
from projects import ISSUE


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    make_project(tmp_path)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_the_2020_example_gets_the_weekday_warning_for_onsdag_den_5_maj(project: Path) -> None:
    path = project / ISSUE
    report = run(path, today=dt.date(2020, 5, 1))
    (weekday,) = found(report, "weekday")
    assert weekday.place.line == line_of(path, "Onsdag den 5 maj")
    assert weekday.place.column == 17  # the first letter of "Onsdag"
    assert "“Onsdag den 5 maj”: 5 May 2020 is a Tuesday (tisdag), not a Wednesday" in str(weekday)
    # Its other dates are right: "tisdag 15 september och tisdag 20 oktober", "29 maj".
    assert not found(report, "date-no-session")
    assert not found(report, "session-past") and not report.errors


def test_dates_in_prose_against_the_sessions(project: Path) -> None:
    path = write_issue(
        project,
        """\
        - kind: webinar
          title: Tisdag 9 juni 2030 – webbinarium om dialog
          body: |
            Vi ses den 10 juni. Sista dag att anmäla sig är 1 juni.
          sessions:
            - {date: 2030-06-11, start: "10:00", end: "11:00"}
        - kind: course
          title: Kurs i tre delar
          registration_deadline: 2030-09-20
          sessions:
            - {date: 2030-09-10}
            - {date: 2030-09-24, label: Del 2 tisdag den 24 september}
        """,
    )
    report = run(path, today=dt.date(2030, 5, 1))
    (weekday,) = found(report, "weekday")
    assert "9 June 2030 is a Sunday (söndag), not a Tuesday" in weekday.message
    assert weekday.place.line == line_of(path, "Tisdag 9 juni")
    no_session = sorted(f.message.split("”")[0] for f in found(report, "date-no-session"))
    assert no_session == ["“1 juni", "“Tisdag 9 juni 2030", "“den 10 juni"]
    (deadline,) = report.errors
    assert deadline.code == "deadline-after-start"
    assert deadline.place.line == line_of(path, "registration_deadline")
    assert "2030-09-20" in deadline.message and "2030-09-10" in deadline.message
    # The session label's weekday and date are right: 24 September 2030 is a Tuesday.
    assert all("24 september" not in f.message for f in report.findings)


def test_sessions_already_past_at_send_time(project: Path) -> None:
    path = write_issue(
        project,
        """\
        - kind: course
          title: Kurs
          sessions:
            - {date: 2030-03-01}
            - {date: 2030-04-01}
        """,
    )
    (past,) = found(run(path, today=dt.date(2030, 3, 15)), "session-past")
    assert "1 of the 2 sessions of “Kurs” are past (2030-03-01; today is 2030-03-15)" in str(past)
    assert past.place.line == line_of(path, "sessions:")
    assert not found(run(path, today=dt.date(2030, 2, 1)), "session-past")


def test_starter_text_refuses_a_real_send_and_warns_in_a_rehearsal(project: Path) -> None:
    path = write_issue(
        project,
        """\
        - title: Rubrik på nyheten
          body: |
            Några meningar om nyheten. **Fetstil** och [länkar](https://example.org/).
        """,
    )
    real = run(path, real=True)
    assert {(f.code, f.place.line) for f in real.errors} == {
        ("starter-text", line_of(path, "Rubrik på nyheten")),
        ("starter-text", line_of(path, "Några meningar")),
    }
    rehearsal = run(path, real=False)
    assert not rehearsal.errors
    assert len(found(rehearsal, "starter-text")) == 2
    assert "(a real send would refuse this)" in str(found(rehearsal, "starter-text")[0])
    assert "2 warnings above would stop a real send" in rehearsal.summary()
    in_issue = [f for f in found(real, "example-domain") if f.place.path == str(path)]
    assert [f.place.line for f in in_issue] == [line_of(path, "https://example.org/")]


def test_a_personal_field_no_list_has_is_an_error_with_did_you_mean(project: Path) -> None:
    path = write_issue(
        project,
        """\
        - title: Till er
          body: |
            Hej {{ name }}! Vad betyder det för er i {{ komun }}?
        """,
    )
    report = run(path)
    (unknown,) = report.errors
    assert unknown.code == "field-unknown"
    line = line_of(path, "komun")
    column = path.read_text(encoding="utf-8").splitlines()[line - 1].index("{{ komun }}") + 1
    assert (unknown.place.line, unknown.place.column) == (line, column)
    assert "{{ komun }} is not a column of subscribers/medborgardialog.csv" in unknown.message
    assert "did you mean `kommun`?" in unknown.message


def test_a_personal_field_empty_for_some_is_a_warning_with_the_count(project: Path) -> None:
    lists = project / "subscribers" / "medborgardialog.csv"
    rows = lists.read_text(encoding="utf-8-sig").splitlines()
    header, first, *rest = rows
    emptied = first.rsplit(";", 1)[0] + ";"  # the first subscriber's Kommun left empty
    lists.write_text("\n".join([header, emptied, *rest]) + "\n", encoding="utf-8")
    path = write_issue(
        project,
        """\
        - title: Till er
          body: |
            Vad betyder det för er i {{ kommun }}?
        """,
    )
    (empty,) = found(run(path), "field-empty")
    expected = f"is empty for 1 of {len(rows) - 1} recipients (subscribers/medborgardialog.csv:2)"
    assert expected in empty.message
    assert "they read: “Vad betyder det för er i?”" in empty.message


def test_without_any_network_the_online_checks_say_so_once(project: Path) -> None:
    with link_server() as (url, hits):
        port = url.rsplit(":", 1)[1]
        closed = socket.socket()
        closed.bind(("127.0.0.1", 0))
        refused = closed.getsockname()[1]
        closed.close()
        path = write_issue(
            project,
            f"""\
            - title: Länkar
              links:
                - {{label: En, url: "https://www.kommun.se/anmalan"}}
                - {{label: Två, url: "http://127.0.0.1:{refused}/"}}
                - {{label: Tre, url: "https://www.region.se:{port}/ok"}}
            """,
        )
        report = run(path, real=True)
    assert not report.errors
    (nothing,) = found(report, "no-network")
    assert "no name resolved and no server answered" in nothing.message
    assert "4 link(s) and image(s)" in nothing.message  # the three, and the editor's website
    assert not hits


def test_a_dns_server_that_does_not_answer_is_no_network_either(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    silent.bind(("127.0.0.1", 0))  # takes the questions, never answers
    monkeypatch.setenv("NEWSLETTER_CHECK_NAMESERVERS", f"127.0.0.1:{silent.getsockname()[1]}")
    try:
        report = run(project / ISSUE, timeout=0.3)
    finally:
        silent.close()
    assert len(found(report, "no-network")) == 1 and not report.errors


def test_offline_asks_nothing_and_says_so(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with dns_server("www.skr.se. 60 IN A 127.0.0.1") as (nameserver, resolver):
        monkeypatch.setenv("NEWSLETTER_CHECK_NAMESERVERS", nameserver)
        report = run(project / ISSUE, offline=True)
    assert resolver.asked == []
    (note,) = found(report, "offline")
    assert note.severity == "note" and "were not checked" in note.message
