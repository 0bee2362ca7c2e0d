"""A whole send against a real SMTP server (aiosmtpd in this process): faults, stops, retries."""

import asyncio
import os
import signal
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from projects import example_project, subscribers
from smtpserver import (
    DROP,
    POLICY_REJECTION,
    TRANSIENT_4XX,
    UNKNOWN_USER,
    FaultInjector,
    Recorder,
    SmtpServer,
    client_context,
)

from newsletter.audience import suppression
from newsletter.audience.tokens import TokenSigner, load_secret
from newsletter.config import load_config
from newsletter.content.project import load
from newsletter.delivery import campaign, journal, planning
from newsletter.delivery.engine import RunReport
from newsletter.render.issue import render_issue
from newsletter.state import Connection, connect

pytestmark = pytest.mark.usefixtures("state_engine")

ISSUE = "issues/medborgardialog-2020-06.yaml"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("NEWSLETTER_CONFIG", raising=False)
    return example_project(tmp_path)


def serve(monkeypatch: pytest.MonkeyPatch, handler: Recorder, **kw: str) -> SmtpServer:
    server = SmtpServer(handler=handler, tls="starttls", users={"editor": "s3cret"})
    server.start()
    env = server.environment(username="editor", password="s3cret")
    for name, value in {**env, **kw}.items():
        monkeypatch.setenv(name, value)
    return server


def run(project: Path, options: planning.Options | None = None) -> RunReport:
    options = options or planning.Options()
    issue, config = load(project / ISSUE)
    db = connect(config)
    plan = planning.plan(config, db, issue, options)
    report = asyncio.run(campaign.send(config, db, plan, render_issue(issue, config), options,
                                       tls_context=client_context(), retry_delay=0.01))  # fmt: skip
    assert report is not None
    return report


def state(project: Path) -> Connection:
    return connect(load_config(project / "newsletter.toml"))


def rows(project: Path) -> dict[str, tuple[str, str]]:
    found = state(project).execute("SELECT address, status, reply FROM recipients")
    return {address.lower(): (status, reply) for address, status, reply in found}


def test_each_subscriber_gets_one_message_over_starttls_with_login(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = serve(monkeypatch, Recorder())
    try:
        report = run(project)
    finally:
        server.stop()
    assert sorted(server.handler.recipients()) == sorted(subscribers(project))
    assert all(m.tls and m.authenticated_as == "editor" for m in server.messages)
    assert report.sent == 14 and report.failed == 0 and report.receipts
    assert {status for status, _ in rows(project).values()} == {"sent"}
    assert all(reply.startswith("250 2.0.0 Ok: queued as") for _, reply in rows(project).values())
    signer = TokenSigner(load_secret(load(project / ISSUE)[1]))
    for message in server.messages:
        parsed = message.parsed()
        assert not parsed.defects
        head, _, body = message.data.partition(b"\r\n\r\n")
        assert max(len(line) for line in body.split(b"\r\n")) <= 78
        # RFC 5322 2.1.1: 998 at most; an address in List-Unsubscribe cannot be folded.
        assert max(len(line) for line in head.split(b"\r\n")) <= 998
        token = str(parsed["List-Unsubscribe"]).split("/u/")[1].split(">")[0]
        assert signer.matches(token, message.recipients[0], "medborgardialog")


def test_transient_faults_are_retried_until_each_message_is_delivered_once(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = sorted(subscribers(project))[0]
    handler = FaultInjector(rate=0.3, faults=TRANSIENT_4XX, rcpt={first: [DROP]},
                            data={first: ["451 4.3.0 Try again later"]})  # fmt: skip
    server = serve(monkeypatch, handler)
    try:
        report = run(project)
    finally:
        server.stop()
    assert len(handler.faults) >= 2
    assert sorted(handler.recipients()) == sorted(subscribers(project))
    assert report.failed == 0 and report.sent == 14


def test_permanent_failures_are_recorded_with_the_reply_and_bounces_suppressed(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    unknown, full = sorted(subscribers(project))[:2]
    handler = FaultInjector(rcpt={unknown: [UNKNOWN_USER]}, data={full: ["552 5.2.2 Over quota"]})
    server = serve(monkeypatch, handler)
    try:
        report = run(project)
    finally:
        server.stop()
    assert report.failed == 2 and report.sent == 12
    assert rows(project)[unknown] == ("failed", UNKNOWN_USER)
    assert rows(project)[full] == ("failed", "552 5.2.2 Over quota")
    assert suppression.is_suppressed(state(project), unknown, newsletter="medborgardialog")
    assert not suppression.is_suppressed(state(project), full, newsletter="medborgardialog")
    assert report.receipts and UNKNOWN_USER in report.receipts[0].read_text("utf-8-sig")


def test_a_policy_rejection_stops_the_send_and_a_later_run_sends_the_rest_once(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    third = sorted(subscribers(project))[2]
    handler = FaultInjector(data={third: [POLICY_REJECTION]})
    server = serve(monkeypatch, handler, NEWSLETTER_SMTP_CONCURRENCY="1")
    try:
        report = run(project)
        assert report.stopped == POLICY_REJECTION
        assert len(handler.recipients()) < 14
        found = rows(project)
        assert {status for status, _ in found.values()} <= {"sent", "queued"}
        assert found[third] == ("queued", POLICY_REJECTION)
        send = journal.find(state(project), "medborgardialog", "2020-06")
        assert send is not None and send.note == POLICY_REJECTION
        assert not report.receipts
        again = run(project)
    finally:
        server.stop()
    assert again.stopped is None
    assert sorted(handler.recipients()) == sorted(subscribers(project))


def test_retry_failed_sends_to_the_failed_rows_only(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    full = sorted(subscribers(project))[0]
    handler = FaultInjector(data={full: ["552 5.2.2 Over quota"]})
    server = serve(monkeypatch, handler)
    try:
        assert run(project).failed == 1
        assert run(project, planning.Options(retry_failed=True)).sent == 1
    finally:
        server.stop()
    assert Counter(handler.recipients())[full] == 1
    assert sorted(handler.recipients()) == sorted(subscribers(project))
    assert rows(project)[full][0] == "sent"


def test_uncertain_rows_are_sent_again_only_when_asked(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = serve(monkeypatch, Recorder())
    try:
        run(project, planning.Options(limit=4))
        db = state(project)
        send = journal.find(db, "medborgardialog", "2020-06")
        assert send is not None
        # A crash while three messages were on the wire leaves their rows in `sending`.
        claimed, _ = journal.next_rows(db, send, status="queued", after=0, limit=3)
        journal.apply(db, send, [journal.Handed(row.seq) for row in claimed])
        uncertain = {row.address.lower() for row in claimed}
        run(project)
        assert uncertain.isdisjoint(server.handler.recipients())
        assert journal.counts(db, send).sending == 3
        assert run(project, planning.Options(resend_uncertain=True)).sent == 3
    finally:
        server.stop()
    assert sorted(server.handler.recipients()) == sorted(subscribers(project))


def test_a_server_gone_mid_send_stops_it_with_the_messages_in_flight_uncertain(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = SmtpServer(handler=FaultInjector(delay=0.05))
    server.start()
    for name, value in server.environment().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("NEWSLETTER_SMTP_CONCURRENCY", "2")

    def stop_after_four() -> None:
        while len(server.messages) < 4:
            time.sleep(0.005)
        server.stop()

    stopper = threading.Thread(target=stop_after_four)
    stopper.start()
    report = run(project)
    stopper.join()
    assert report.error and "cannot connect to 127.0.0.1" in report.error
    assert report.sent == 4 and not report.receipts
    db = state(project)
    send = journal.find(db, "medborgardialog", "2020-06")
    assert send is not None and send.note == report.error
    counts = journal.counts(db, send)
    assert counts.sent == 4 and 1 <= counts.sending <= 2 and counts.total == 14


def test_a_send_runs_outside_the_main_thread_too(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = serve(monkeypatch, Recorder())
    reports: list[RunReport] = []
    try:
        worker = threading.Thread(target=lambda: reports.append(run(project)))
        worker.start()
        worker.join(timeout=60)
    finally:
        server.stop()
    assert [report.sent for report in reports] == [14]


def test_a_test_send_reaches_the_given_addresses_only_and_records_nothing(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = serve(monkeypatch, Recorder())
    issue, config = load(project / ISSUE)
    try:
        where, results = asyncio.run(campaign.send_test(
            config, render_issue(issue, config), ["redaktor@example.org"],
            tls_context=client_context(),
        ))  # fmt: skip
    finally:
        server.stop()
    assert where.endswith("(STARTTLS)") and results[0][1].outcome == "sent"
    assert server.handler.recipients() == ["redaktor@example.org"]
    assert str(server.messages[0].parsed()["Subject"]).startswith("[TEST]")
    assert journal.find(state(project), "medborgardialog", "2020-06") is None


class CtrlCAtTheLast(Recorder):
    """Accepts every message; Ctrl-C reaches the sender as the last one arrives."""

    def __init__(self, count: int) -> None:
        super().__init__()
        self.count = count

    def accept(self, server: Any, session: Any, envelope: Any) -> str:
        reply = super().accept(server, session, envelope)
        if len(self.messages) == self.count:
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.05)  # the signal is handled before the reply goes out
        return reply


def test_ctrl_c_after_the_last_message_was_handed_over_is_no_interruption(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = serve(monkeypatch, CtrlCAtTheLast(14))
    try:
        report = run(project)
    finally:
        server.stop()
    assert report.sent == 14 and len(server.messages) == 14
    assert not report.interrupted and report.receipts


def test_messages_that_never_reached_a_vanished_server_stay_queued_not_uncertain(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = SmtpServer(handler=Recorder())  # plain: a stopped TLS server leaks a socket
    server.start()
    for name, value in server.environment().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("NEWSLETTER_SMTP_CONCURRENCY", "4")
    issue, config = load(project / ISSUE)
    db = connect(config)
    options = planning.Options()
    plan = planning.plan(config, db, issue, options)

    def server_gone_after_the_check(transport: str) -> bool:
        server.stop()
        return True

    report = asyncio.run(campaign.send(config, db, plan, render_issue(issue, config), options,
                                       confirm=server_gone_after_the_check,
                                       tls_context=client_context(), retry_delay=0.01))  # fmt: skip
    assert report is not None and report.error and "cannot connect" in report.error
    assert report.send is not None
    # The first message meets the pooled connection the server closed before its data
    # (deferred); the others never had a connection: all of them are still queued.
    counts = journal.counts(db, report.send)
    assert counts.queued == 14


def test_an_hourly_quota_counts_the_messages_of_earlier_runs(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = SmtpServer(handler=Recorder())
    server.start()
    try:
        for name, value in server.environment().items():
            monkeypatch.setenv(name, value)
        assert run(project, planning.Options(limit=10)).sent == 10
        # The relay takes 12 an hour: the resumed send may send 2 now, then must wait.
        monkeypatch.setenv("NEWSLETTER_SMTP_PER_HOUR", "12")
        issue, config = load(project / ISSUE)
        db = connect(config)
        plan = planning.plan(config, db, issue, planning.Options())
        sending = campaign.send(config, db, plan, render_issue(issue, config), planning.Options())
        with pytest.raises(TimeoutError):
            asyncio.run(asyncio.wait_for(sending, timeout=1.5))
    finally:
        server.stop()
    assert len(server.messages) == 12
