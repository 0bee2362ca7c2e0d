"""A sending process killed (kill -9) or interrupted (Ctrl-C) mid-send, then resumed.

The SMTP server runs in this process, slowed down so that the signal lands while
messages are in flight, and counts what arrives: nobody may be missing, only rows
reported as uncertain may have arrived twice, and after a kill -9 at any point no more
rows are uncertain than there are connections (the messages that were on the wire).
"""

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from contextlib import closing
from pathlib import Path

import pytest
from projects import ISSUE, example_project
from smtpserver import FaultInjector, SmtpServer

from newsletter.config import load_config
from newsletter.state import connect

pytestmark = pytest.mark.usefixtures("state_engine")

COUNT = 300


@pytest.fixture
def project(tmp_path: Path) -> Path:
    example_project(tmp_path)
    lines = ["E-post;Namn"] + [f"person.{n}@example.org;Person {n}" for n in range(COUNT)]
    (tmp_path / "subscribers" / "big.csv").write_text("\n".join(lines) + "\n", "utf-8")
    return tmp_path


@pytest.fixture
def server() -> SmtpServer:
    with SmtpServer(handler=FaultInjector(delay=0.01)) as server:
        yield server  # type: ignore[misc]


def command(
    project: Path, server: SmtpServer, *args: str, env: dict[str, str] | None = None
) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if k != "NEWSLETTER_CONFIG"} | (env or {})
    env.update(server.environment())
    argv = [sys.executable, "-m", "newsletter", "send", ISSUE, "--list", "big", "--yes", *args]
    return subprocess.Popen(argv, cwd=project, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip


def finished(
    project: Path, server: SmtpServer, *args: str, env: dict[str, str] | None = None
) -> tuple[int, str]:
    """Run the send to its end: (exit status, stdout and stderr)."""
    process = command(project, server, *args, env=env)
    out, err = process.communicate(timeout=60)
    return process.returncode, out + err


def signalled_midway(
    project: Path,
    server: SmtpServer,
    signum: int,
    *,
    share: float = 0.25,
    env: dict[str, str] | None = None,
) -> subprocess.Popen[str]:
    """Start the send and give it SIGNUM once SHARE of the messages have arrived."""
    process = command(project, server, env=env)
    deadline = time.monotonic() + 60
    while len(server.messages) < COUNT * share:
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the send did not start"
        time.sleep(0.005)
    process.send_signal(signum)
    return process


def statuses(project: Path) -> dict[str, str]:
    with closing(connect(load_config(project / "newsletter.toml"))) as db:
        return dict(db.execute("SELECT address, status FROM recipients").fetchall())


def everyone() -> set[str]:
    return {f"person.{n}@example.org" for n in range(COUNT)}


@pytest.mark.slow
def test_killed_mid_send_and_resumed_nobody_missing_duplicates_only_if_uncertain(
    project: Path, server: SmtpServer
) -> None:
    process = signalled_midway(project, server, signal.SIGKILL)
    process.communicate(timeout=60)
    arrived_before = len(server.messages)
    assert 0 < arrived_before < COUNT
    uncertain = {a for a, status in statuses(project).items() if status == "sending"}

    status, output = finished(project, server)
    if uncertain:
        assert status == 1 and f"{len(uncertain)} message(s) are uncertain" in output
    assert {a for a, s in statuses(project).items() if s == "sending"} == uncertain

    status, output = finished(project, server, "--resend-uncertain")
    assert status == 0, output
    received = Counter(server.handler.recipients())
    assert set(received) == everyone()
    assert {a for a, n in received.items() if n > 1} <= uncertain
    assert set(statuses(project).values()) == {"sent"}


@pytest.mark.slow
@pytest.mark.parametrize(
    ("share", "helper"),
    [(0.05, "0"), (0.5, "1"), (0.95, "0")],
    ids=["early", "midway-helper", "late"],
)
def test_killed_at_any_point_at_most_one_message_per_connection_is_uncertain(
    project: Path, server: SmtpServer, share: float, helper: str
) -> None:
    connections = 4
    env = {"NEWSLETTER_SMTP_CONCURRENCY": str(connections), "NEWSLETTER_SMTP_HELPER_FROM": helper}
    process = signalled_midway(project, server, signal.SIGKILL, share=share, env=env)
    process.communicate(timeout=60)
    assert 0 < len(server.messages) < COUNT
    uncertain = {a for a, status in statuses(project).items() if status == "sending"}
    # Only the messages on the wire: one a connection at most.
    assert len(uncertain) <= connections
    status, output = finished(project, server, "--resend-uncertain", env=env)
    assert status == 0, output
    received = Counter(server.handler.recipients())
    assert set(received) == everyone()
    twice = {a for a, n in received.items() if n > 1}
    assert twice <= uncertain and len(twice) <= connections


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_ctrl_c_finishes_the_messages_in_flight_and_says_how_to_resume(
    project: Path, server: SmtpServer, signum: signal.Signals
) -> None:
    process = signalled_midway(project, server, signum)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 130, out + err
    assert "Interrupted: the messages in flight were finished and recorded." in err
    assert f"Continue with: newsletter send {ISSUE}" in err
    found = statuses(project)
    assert "sending" not in found.values()
    assert sorted(a for a, s in found.items() if s == "sent") == sorted(server.handler.recipients())
    status, output = finished(project, server)
    assert status == 0, output
    assert sorted(server.handler.recipients()) == sorted(everyone())


@pytest.mark.slow
def test_a_second_ctrl_c_stops_at_once_leaving_the_messages_in_flight_uncertain(
    project: Path, server: SmtpServer
) -> None:
    process = signalled_midway(project, server, signal.SIGINT)
    time.sleep(0.005)  # two signals at once would arrive as one
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 130, out + err
    assert "Interrupted twice" in err and "Traceback" not in err
    found = statuses(project)
    assert set(found.values()) <= {"sent", "sending", "queued"}
    status, output = finished(project, server, "--resend-uncertain")
    assert status == 0, output
    assert set(server.handler.recipients()) == everyone()


def children(pid: int) -> list[int]:
    """The processes whose parent is PID (from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue  # ended meanwhile
            if int(stat.rpartition(")")[2].split()[1]) == pid:
                found.append(int(entry.name))
    return found


@pytest.mark.slow
def test_a_helper_process_killed_mid_send_stops_the_send_in_words_and_loses_nothing(
    project: Path, server: SmtpServer
) -> None:
    env = {"NEWSLETTER_SMTP_CONCURRENCY": "4", "NEWSLETTER_SMTP_HELPER_FROM": "1"}
    process = command(project, server, env=env)
    deadline = time.monotonic() + 60
    while len(server.messages) < COUNT // 4:
        assert process.poll() is None and time.monotonic() < deadline, process.communicate()
        time.sleep(0.005)
    [helper] = children(process.pid)
    os.kill(helper, signal.SIGKILL)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 1, out + err
    assert "the helper process of the send ended unexpectedly" in out + err
    assert "Traceback" not in out + err
    found = statuses(project)
    uncertain = {a for a, s in found.items() if s == "sending"}
    assert len(uncertain) <= 4 and "queued" in found.values()
    assert sorted(a for a, s in found.items() if s == "sent") == sorted(
        a for a in server.handler.recipients() if a not in uncertain
    )
    status, output = finished(project, server, "--resend-uncertain", env=env)
    assert status == 0, output
    received = Counter(server.handler.recipients())
    assert set(received) == everyone() and sum(received.values()) <= COUNT + len(uncertain)
