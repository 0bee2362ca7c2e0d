"""Whole sends against an aiosmtpd server with injected faults, counted at the server.

4xx replies at RCPT and DATA, connections dropped before and after the data, slow
replies, 421 at the greeting, throttle replies that must slow the whole pool down, and
a deferred message that must not hold up the others. Large sends read and build in a
helper process: the same faults, with the helper forced on.
"""

import asyncio
from collections import Counter
from pathlib import Path

import pytest
from projects import example_project, subscribers
from smtpserver import DROP, FaultInjector, SmtpServer, client_context

from newsletter.content.project import load
from newsletter.delivery import campaign, planning
from newsletter.delivery.report import Progress, RunReport
from newsletter.render.issue import render_issue
from newsletter.state import connect

pytestmark = pytest.mark.usefixtures("state_engine")

ISSUE = "issues/medborgardialog-2020-06.yaml"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("NEWSLETTER_CONFIG", raising=False)
    return example_project(tmp_path)


@pytest.fixture(params=["in-process", "helper"])
def building(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Messages built in the sending process, or in a helper process (forced on)."""
    monkeypatch.setenv("NEWSLETTER_SMTP_HELPER_FROM", "1" if request.param == "helper" else "0")
    return str(request.param)


def run(
    project: Path,
    server: SmtpServer,
    monkeypatch: pytest.MonkeyPatch,
    *,
    concurrency: int = 4,
    retry_delay: float = 0.01,
    progress: list[Progress] | None = None,
) -> RunReport:
    for name, value in server.environment().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("NEWSLETTER_SMTP_CONCURRENCY", str(concurrency))
    issue, config = load(project / ISSUE)
    db = connect(config)
    options = planning.Options()
    plan = planning.plan(config, db, issue, options)
    heard = progress if progress is not None else []
    report = asyncio.run(campaign.send(config, db, plan, render_issue(issue, config), options,
                                       on_progress=heard.append, tls_context=client_context(),
                                       retry_delay=retry_delay))  # fmt: skip
    assert report is not None
    return report


def statuses(project: Path) -> dict[str, str]:
    with connect(load(project / ISSUE)[1]) as db:
        found = db.execute("SELECT address, status FROM recipients")
        return {address.lower(): status for address, status in found}


def test_every_kind_of_fault_in_one_send_loses_nothing_and_sends_nothing_twice(
    project: Path, monkeypatch: pytest.MonkeyPatch, building: str
) -> None:
    a, b, c, d, e = sorted(subscribers(project))[:5]
    handler = FaultInjector(
        rcpt={a: ["450 4.2.0 Greylisted, try again in 5 minutes"], b: [DROP]},
        data={c: ["451 4.3.0 Error: queue file write error"] * 2, d: [DROP],
              e: ["421 4.3.2 Too busy, closing the connection"]},
        delay=0.02,  # slow replies: several messages in flight at once
    )  # fmt: skip
    with SmtpServer(handler) as server:
        report = run(project, server, monkeypatch)
    received = Counter(handler.recipients())
    # The connection went after d's data: it may have arrived, so it is uncertain and not
    # sent again by itself; everyone else arrived exactly once.
    assert set(received) == subscribers(project) - {d}
    assert set(received.values()) == {1}
    assert report.sent == 13 and report.failed == 0 and len(report.uncertain) == 1
    found = statuses(project)
    assert found[d] == "sending" and set(found.values()) == {"sent", "sending"}
    assert len(handler.faults) == 6
    assert report.helper == (building == "helper")


def test_a_deferred_message_waits_in_the_queue_while_the_others_go(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = sorted(subscribers(project))[0]
    handler = FaultInjector(rcpt={first: ["451 4.3.0 Try again later"]})
    with SmtpServer(handler) as server:
        # One connection: a retry that slept inside the worker would hold up everyone.
        report = run(project, server, monkeypatch, concurrency=1, retry_delay=2.0)
    arrived = handler.recipients()
    assert report.sent == 14 and len(arrived) == 14
    assert arrived[-1] == first  # the 13 others went while it waited for its turn


def test_a_server_that_says_slow_down_gets_fewer_connections_and_the_line_says_why(
    project: Path, monkeypatch: pytest.MonkeyPatch, building: str
) -> None:
    people = sorted(subscribers(project))
    busy = "451 4.7.500 Server busy. Please try again later from [127.0.0.1]. (S77714)"
    handler = FaultInjector(data={address: [busy] for address in people[:6]}, delay=0.2)
    progress: list[Progress] = []
    with SmtpServer(handler) as server:
        report = run(project, server, monkeypatch, progress=progress)
    assert report.sent == 14 and sorted(handler.recipients()) == people
    slower = [p.waiting for p in progress if p.waiting.startswith("slower")]
    assert slower, [p.waiting for p in progress]
    assert "the server said '451 4.7.500 Server busy" in slower[0]
    assert "of 4 connection(s)" in slower[0]
    # The first round's six refusals came over the four connections at once: one
    # slow-down for them all, then fewer messages at a time while it lasted.
    assert any(f"{n} of 4 connection(s)" in text for text in slower for n in (1, 2))


def test_421_at_the_greeting_means_fewer_connections_not_a_failed_send(
    project: Path, monkeypatch: pytest.MonkeyPatch, building: str
) -> None:
    with SmtpServer(FaultInjector(delay=0.02), max_connections=2) as server:
        report = run(project, server, monkeypatch, concurrency=4)
        refused = server.refused_connections
    assert refused >= 1
    assert report.sent == 14 and report.failed == 0
    assert sorted(server.handler.recipients()) == sorted(subscribers(project))
    assert len({got.connection for got in server.messages}) <= 2 + refused
