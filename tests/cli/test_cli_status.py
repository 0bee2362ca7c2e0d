"""`newsletter status` tells why the last run stopped (finished, --limit, Ctrl-C, a crash,
a policy refusal, a quota, an error), and the last progress line is right in a log."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from projects import ISSUE, subscribers
from smtpserver import POLICY_REJECTION, UNKNOWN_USER, FaultInjector, SmtpServer

from newsletter.cli import main
from newsletter.delivery import journal, runs
from newsletter.delivery.engine import RunReport

QUOTA = "554 5.2.0 STOREDRV.Submission.Exception:SubmissionQuotaExceededException"
COUNT = 300


def cli(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def smtp(monkeypatch: pytest.MonkeyPatch, server: SmtpServer) -> None:
    for name, value in server.environment().items():
        monkeypatch.setenv(name, value)


def status() -> str:
    result = cli("status", ISSUE)
    assert result.exit_code == 0, result.output
    return result.output


def test_a_run_stopped_at_the_limit(project: Path) -> None:
    assert cli("send", ISSUE, "--yes", "--limit", "4").exit_code == 0
    assert "The last run stopped at --limit: 10 not sent yet. Send on with: newsletter send" in (
        status()
    )


def test_a_quota_is_told_apart_from_a_policy_refusal(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSLETTER_SMTP_CONCURRENCY", "1")
    refuse = {address: [QUOTA] for address in subscribers(project)}
    with SmtpServer(handler=FaultInjector(rcpt=refuse)) as server:
        smtp(monkeypatch, server)
        assert cli("send", ISSUE, "--yes").exit_code == 1
    told = status()
    assert f"The last run stopped at a quota: the server refused every message alike: {QUOTA}" in (
        told
    )
    assert "Wait until the quota allows more" in told


def test_a_policy_refusal_with_the_servers_words(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSLETTER_SMTP_CONCURRENCY", "1")
    first = sorted(subscribers(project))[0]
    with SmtpServer(handler=FaultInjector(data={first: [POLICY_REJECTION]})) as server:
        smtp(monkeypatch, server)
        assert cli("send", ISSUE, "--yes").exit_code == 1
    assert f"stopped by the mail server's refusal: {POLICY_REJECTION}" in status()


def test_the_last_progress_line_in_a_log_counts_the_failures(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    unknown = sorted(subscribers(project))[:2]
    with SmtpServer(handler=FaultInjector(rcpt={a: [UNKNOWN_USER] for a in unknown})) as server:
        smtp(monkeypatch, server)
        result = cli("send", ISSUE, "--yes")
    assert result.exit_code == 1
    # Not a terminal (CliRunner): no bar, and a last line with where the run really ended.
    lines = [line for line in result.output.splitlines() if line.startswith("Handled ")]
    assert lines[-1].startswith("Handled 14/14: 12 sent, 2 failed (")


def test_a_line_of_progress_in_swedish(project: Path, swedish: None) -> None:
    result = cli("send", ISSUE, "--yes", "--limit", "3")
    assert result.exit_code == 0, result.output
    assert "Hanterat 3/3: 3 skickade, 0 misslyckade (" in result.output
    assert "Den senaste körningen stannade vid --limit: 11 är inte skickade än." in status()


@pytest.mark.parametrize(
    "report, counts, expected",
    [
        (RunReport(), journal.Counts(sent=3), ("finished", None)),
        (RunReport(), journal.Counts(sent=3, queued=2), ("limit", None)),
        (RunReport(interrupted=True), journal.Counts(queued=2), ("interrupted", None)),
        (RunReport(interrupted=True, aborted=True), journal.Counts(sending=2), ("aborted", None)),
        (RunReport(stopped=POLICY_REJECTION), journal.Counts(queued=5),
         ("policy", POLICY_REJECTION)),
        (RunReport(stopped="452 4.5.3 Daily sending limit exceeded"), journal.Counts(queued=5),
         ("quota", "452 4.5.3 Daily sending limit exceeded")),
        (RunReport(stopped="554 5.2.0 x", refused_alike=10), journal.Counts(failed=10),
         ("quota", "554 5.2.0 x")),
        (RunReport(error="cannot connect"), journal.Counts(queued=5), ("error", "cannot connect")),
    ],
)  # fmt: skip
def test_how_a_run_ended(
    report: RunReport, counts: journal.Counts, expected: tuple[str, str | None]
) -> None:
    assert runs.ending_of(report, counts) == expected


# --- Ctrl-C and a crash: a real process, a real signal ---------------------------------


@pytest.fixture
def big(project: Path) -> Path:
    lines = ["E-post;Namn"] + [f"person.{n}@example.org;Person {n}" for n in range(COUNT)]
    (project / "subscribers" / "big.csv").write_text("\n".join(lines) + "\n", "utf-8")
    return project


def signalled_midway(project: Path, server: SmtpServer, signum: int) -> None:
    """`newsletter send` in its own process, given SIGNUM once some messages arrived."""
    env = {k: v for k, v in os.environ.items() if k != "NEWSLETTER_CONFIG"}
    env.update(server.environment())
    argv = [sys.executable, "-m", "newsletter", "send", ISSUE, "--list", "big", "--yes"]
    process = subprocess.Popen(argv, cwd=project, env=env, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
    deadline = time.monotonic() + 60
    while len(server.messages) < COUNT // 4:
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the send did not start"
        time.sleep(0.005)
    process.send_signal(signum)
    process.communicate(timeout=60)


@pytest.mark.slow
def test_ctrl_c_is_told_with_what_is_left(big: Path) -> None:
    with SmtpServer(handler=FaultInjector(delay=0.01)) as server:
        signalled_midway(big, server, signal.SIGINT)
    told = status()
    assert "The last run was stopped with Ctrl-C; the messages in flight were finished" in told
    assert f"Continue with: newsletter send {ISSUE}" in told


@pytest.mark.slow
def test_a_crash_is_told_with_the_uncertain_messages(big: Path) -> None:
    with SmtpServer(handler=FaultInjector(delay=0.01)) as server:
        signalled_midway(big, server, signal.SIGKILL)
    told = status()
    assert "The last run ended without finishing (the process was killed" in told
    assert "message(s) are uncertain" in told
