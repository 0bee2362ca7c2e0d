import asyncio
import email
import logging
import re
import threading
import time
from email import policy
from pathlib import Path
from typing import Any

import pytest
from render_fixtures import make_config, make_issue
from smtpserver import (
    DROP,
    POLICY_REJECTION,
    UNKNOWN_USER,
    FaultInjector,
    SmtpServer,
    client_context,
    free_port,
    smtp_server_fixture,  # noqa: F401 (the fixture smtp_server)
    starttls_server_fixture,  # noqa: F401 (the fixture starttls_server)
)

from newsletter.audience.tokens import TokenSigner
from newsletter.config import Config, SmtpSettings
from newsletter.delivery.message import MessageBuilder, OutgoingMessage, Recipient
from newsletter.delivery.ratelimit import RateLimiter
from newsletter.delivery.replies import NotDelivered, Result, classify
from newsletter.delivery.smtpconnect import TlsChoice, tls_choice
from newsletter.delivery.smtppool import SmtpPool
from newsletter.delivery.transport import Transport, open_transport, send_one
from newsletter.errors import TransportError
from newsletter.render.issue import render_issue

SIGNER = TokenSigner(b"a test secret of enough length")
PASSWORD = "s3cret"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HOST", "PORT", "SECURITY", "USERNAME", "PASSWORD", "PASSWORD_FILE"):
        monkeypatch.delenv(f"NEWSLETTER_SMTP_{name}", raising=False)


def configure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, server: SmtpServer, **smtp: str
) -> Config:
    username = smtp.pop("username", "editor" if server.users else "")
    env = server.environment(username=username, password=smtp.pop("password", PASSWORD))
    env |= {f"NEWSLETTER_SMTP_{key.upper()}": value for key, value in smtp.items()}
    for key, value in env.items():
        if key != "SSL_CERT_FILE":
            monkeypatch.setenv(key, value)
    return make_config(tmp_path)


def messages(config: Config, count: int, prefix: str = "reader") -> list[OutgoingMessage]:
    builder = MessageBuilder(
        render_issue(make_issue(intro="Hej {{ name }}!"), config), config, signer=SIGNER
    )
    return [
        builder.build(Recipient(f"{prefix}{n}@example.org", f"Läsare {n}")) for n in range(count)
    ]


def transport(config: Config, tmp_path: Path, **kwargs: Any) -> Transport:
    kwargs.setdefault("tls_context", client_context())
    return open_transport(config, outbox=tmp_path / "outbox", retry_delay=0.01, **kwargs)


def deliver(transport: Transport, outgoing: list[OutgoingMessage]) -> list[Result]:
    """Send every message concurrently, each tried again while it is deferred."""

    async def run() -> list[Result]:
        async with transport:
            sends = (send_one(transport, m, delay=0.01) for m in outgoing)
            return list(await asyncio.gather(*sends))

    return asyncio.run(run())


def attempt(transport: Transport, outgoing: list[OutgoingMessage]) -> list[Result]:
    """One attempt for every message, concurrently, as the engine makes them."""

    async def run() -> list[Result]:
        async with transport:
            return list(await asyncio.gather(*(transport.send(m) for m in outgoing)))

    return asyncio.run(run())


def enter(transport: Transport) -> None:
    async def run() -> None:
        async with transport:
            pass

    asyncio.run(run())


def test_the_pool_delivers_over_several_connections_with_starttls_and_auth(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, starttls_server: SmtpServer
) -> None:
    config = configure(tmp_path, monkeypatch, starttls_server, concurrency="4")
    outgoing = messages(config, 40)
    pool = transport(config, tmp_path)
    assert pool.description == f"127.0.0.1:{starttls_server.port} (STARTTLS)"
    results = deliver(pool, outgoing)
    assert all(
        r.outcome == "sent" and r.reply.startswith("250 2.0.0 Ok: queued as") for r in results
    )
    received = starttls_server.messages
    assert sorted(starttls_server.handler.recipients()) == sorted(m.recipient for m in outgoing)
    assert all(r.tls and r.authenticated_as == "editor" for r in received)
    assert len({r.connection for r in received}) > 1
    sent = {m.recipient: m.data for m in outgoing}
    for got in received:
        # Byte for byte what was built (SMTP dot-stuffing undone by the server).
        assert got.data == sent[got.recipients[0]]
        assert got.sender == "test@nyhetsbrev.example.org"
        parsed = email.message_from_bytes(got.data, policy=policy.default)
        assert parsed.defects == [] and parsed["To"].addresses[0].addr_spec == got.recipients[0]


def test_implicit_tls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with SmtpServer(tls="tls") as server:
        config = configure(tmp_path, monkeypatch, server)
        pool = transport(config, tmp_path)
        assert pool.description.endswith("(TLS)")
        assert [r.outcome for r in deliver(pool, messages(config, 3))] == ["sent"] * 3
    assert all(got.tls for got in server.messages) and len(server.messages) == 3


def test_a_wrong_password_stops_with_a_plain_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, starttls_server: SmtpServer
) -> None:
    config = configure(tmp_path, monkeypatch, starttls_server, password="wrong-password")
    with pytest.raises(TransportError) as caught:
        enter(transport(config, tmp_path))
    message = str(caught.value)
    assert message.startswith(f"127.0.0.1:{starttls_server.port} refused the login (535")
    assert message.endswith("check NEWSLETTER_SMTP_USERNAME and NEWSLETTER_SMTP_PASSWORD.")
    assert "wrong-password" not in message


def test_a_username_without_a_password_says_to_set_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, starttls_server: SmtpServer
) -> None:
    config = configure(tmp_path, monkeypatch, starttls_server, password="")
    with pytest.raises(TransportError, match="set NEWSLETTER_SMTP_PASSWORD"):
        enter(transport(config, tmp_path))
    assert starttls_server.messages == []


def test_an_untrusted_certificate_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, starttls_server: SmtpServer
) -> None:
    config = configure(tmp_path, monkeypatch, starttls_server)
    # The system's trusted authorities only: the test CA is not among them.
    with pytest.raises(TransportError, match="TLS certificate cannot be trusted"):
        enter(transport(config, tmp_path, tls_context=None))


def test_the_ca_file_in_the_environment_is_trusted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, starttls_server: SmtpServer
) -> None:
    """What a test running the CLI in a subprocess relies on: SSL_CERT_FILE."""
    config = configure(tmp_path, monkeypatch, starttls_server)
    ca_file = starttls_server.environment()["SSL_CERT_FILE"]
    monkeypatch.setenv("SSL_CERT_FILE", ca_file)
    results = deliver(transport(config, tmp_path, tls_context=None), messages(config, 1))
    assert results[0].outcome == "sent"


def test_tls_is_required_except_on_loopback_or_when_turned_off() -> None:
    def choice(host: str, security: str) -> TlsChoice:
        return tls_choice(SmtpSettings(host=host, security=security))

    # Another machine: STARTTLS must succeed (aiosmtplib refuses to go on without it).
    assert choice("smtp.example.org", "starttls") == TlsChoice(use_tls=False, start_tls=True)
    assert choice("192.0.2.7", "starttls") == TlsChoice(use_tls=False, start_tls=True)
    # This machine: STARTTLS when the server offers it.
    assert choice("127.0.0.1", "starttls") == TlsChoice(use_tls=False, start_tls=None)
    assert choice("localhost", "starttls") == TlsChoice(use_tls=False, start_tls=None)
    assert choice("smtp.example.org", "tls") == TlsChoice(use_tls=True, start_tls=False)
    # Only an explicit security = "none" sends without TLS.
    assert choice("smtp.example.org", "none") == TlsChoice(use_tls=False, start_tls=False)


class _ElsewhereSettings(SmtpSettings):
    """Settings for a server taken for one on another machine, though it listens here."""

    @property
    def is_loopback(self) -> bool:
        return False


def test_a_server_elsewhere_without_starttls_is_refused(smtp_server: SmtpServer) -> None:
    settings = _ElsewhereSettings(host=smtp_server.host, port=smtp_server.port)
    with pytest.raises(TransportError, match="does not offer STARTTLS, and TLS is required"):
        enter(SmtpPool(settings, tls_context=client_context()))
    assert smtp_server.messages == []


def test_the_password_is_never_logged(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    starttls_server: SmtpServer,
) -> None:
    caplog.set_level(logging.DEBUG)
    handler = FaultInjector(data={"reader0@example.org": ["451 4.3.0 Try again later"]})
    with SmtpServer(handler, tls="starttls", users={"editor": PASSWORD}) as server:
        config = configure(tmp_path, monkeypatch, server)
        assert deliver(transport(config, tmp_path), messages(config, 2))[0].outcome == "sent"
    config = configure(tmp_path, monkeypatch, starttls_server, password="wrong-password")
    with pytest.raises(TransportError):
        enter(transport(config, tmp_path))
    assert "451 4.3.0" in caplog.text  # the retry was logged
    assert PASSWORD not in caplog.text and "wrong-password" not in caplog.text


def test_no_password_crosses_the_network_unencrypted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSLETTER_SMTP_PASSWORD", PASSWORD)
    settings = SmtpSettings(host="smtp.example.org", security="none", username="editor")
    with pytest.raises(TransportError, match="password would cross the network unencrypted"):
        enter(SmtpPool(settings))


def test_starttls_on_loopback_is_used_when_offered_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, smtp_server: SmtpServer
) -> None:
    config = configure(tmp_path, monkeypatch, smtp_server, security="starttls")
    assert config.smtp.security == "starttls"
    assert [r.outcome for r in deliver(transport(config, tmp_path), messages(config, 2))] == [
        "sent",
        "sent",
    ]
    assert not any(got.tls for got in smtp_server.messages)


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        # Implicit TLS to a server that speaks plain SMTP (a STARTTLS port).
        ({"security": "tls"}, r'TLS handshake failed .*port 587 wants "starttls"'),
        # A login to a server that offers none.
        ({"username": "editor"}, r"does not offer a login .*leave smtp.username empty"),
    ],
)
def test_a_plain_server_used_wrongly_says_what_to_change(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    smtp_server: SmtpServer,
    setting: dict[str, str],
    message: str,
) -> None:
    config = configure(tmp_path, monkeypatch, smtp_server, **setting)
    with pytest.raises(TransportError, match=message):
        enter(transport(config, tmp_path))


def test_no_server_listening(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSLETTER_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("NEWSLETTER_SMTP_PORT", str(port := free_port()))
    monkeypatch.setenv("NEWSLETTER_SMTP_SECURITY", "none")
    with pytest.raises(TransportError, match=f"cannot connect to 127.0.0.1:{port} .*running"):
        enter(transport(make_config(tmp_path), tmp_path))


def faulty(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, handler: FaultInjector, count: int
) -> tuple[list[OutgoingMessage], list[Result], SmtpServer]:
    with SmtpServer(handler, tls="starttls", users={"editor": PASSWORD}) as server:
        config = configure(tmp_path, monkeypatch, server, concurrency="3")
        outgoing = messages(config, count)
        results = deliver(transport(config, tmp_path), outgoing)
    return outgoing, results, server


def test_transient_replies_are_retried_to_success(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    handler = FaultInjector(
        rcpt={"reader1@example.org": ["450 4.2.0 Greylisted, try again later"]},
        data={"reader2@example.org": ["451 4.3.0 Try again later"] * 2},
    )
    _, results, server = faulty(tmp_path, monkeypatch, handler, 4)
    assert [r.outcome for r in results] == ["sent"] * 4
    assert len(handler.faults) == 3
    assert sorted(server.handler.recipients()) == [f"reader{n}@example.org" for n in range(4)]


def test_a_connection_dropped_before_the_data_is_reopened_and_the_message_delivered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    handler = FaultInjector(
        rcpt={"reader0@example.org": [DROP], "reader3@example.org": [DROP]},
        data={"reader3@example.org": ["421 4.3.2 Too busy, closing the connection"]},
    )
    _, results, server = faulty(tmp_path, monkeypatch, handler, 6)
    assert [r.outcome for r in results] == ["sent"] * 6
    assert sorted(server.handler.recipients()) == [f"reader{n}@example.org" for n in range(6)]
    assert len(handler.faults) == 3


def test_a_connection_dropped_after_the_data_leaves_the_message_uncertain_not_resent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    handler = FaultInjector(data={"reader1@example.org": [DROP]})
    _, results, server = faulty(tmp_path, monkeypatch, handler, 3)
    assert [r.outcome for r in results] == ["sent", "uncertain", "sent"]
    assert results[1].reply.startswith("connection lost after the message was sent")
    # Not tried again: it may have arrived, and nothing goes out twice by itself.
    assert handler.faults == [("reader1@example.org", DROP)]
    assert sorted(server.handler.recipients()) == ["reader0@example.org", "reader2@example.org"]


def test_each_attempt_is_one_transaction_and_a_4xx_is_deferred_not_waited_for(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    handler = FaultInjector(
        rcpt={"reader0@example.org": ["450 4.2.0 Greylisted, try again in 5 minutes"]},
        data={"reader1@example.org": ["451 4.3.0 Error: queue file write error"]},
    )
    with SmtpServer(handler) as server:
        config = configure(tmp_path, monkeypatch, server, concurrency="2")
        results = attempt(transport(config, tmp_path), messages(config, 3))
    assert [r.outcome for r in results] == ["deferred", "deferred", "sent"]
    assert not any(r.throttled for r in results)
    assert server.handler.recipients() == ["reader2@example.org"]


def test_a_server_taking_fewer_connections_gets_the_messages_over_those(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with SmtpServer(tls="starttls", users={"editor": PASSWORD}, max_connections=2) as server:
        config = configure(tmp_path, monkeypatch, server, concurrency="4")
        outgoing = messages(config, 20)
        results = deliver(transport(config, tmp_path), outgoing)
        refused = server.refused_connections
    assert [r.outcome for r in results] == ["sent"] * 20
    assert sorted(server.handler.recipients()) == sorted(m.recipient for m in outgoing)
    # Refused connections cost no message. How many connections carried them varies with
    # the machine's load (one alone may send all 20 before a second is up; the pool parks
    # a connection and opens another as its pace changes); the server took 2 at a time.
    assert refused >= 1


def test_a_busy_server_at_the_start_is_a_plain_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with SmtpServer(max_connections=0) as server:
        config = configure(tmp_path, monkeypatch, server)
        with pytest.raises(TransportError, match=r"is busy \(421 4\.7\.0 Too many"):
            enter(transport(config, tmp_path))


def test_a_send_cancelled_in_flight_leaves_the_pool_usable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with SmtpServer(FaultInjector(delay=0.3)) as server:
        config = configure(tmp_path, monkeypatch, server, concurrency="1")
        first, second = messages(config, 2)

        async def run() -> Result:
            async with transport(config, tmp_path) as pool:
                in_flight = asyncio.create_task(pool.send(first))
                await asyncio.sleep(0.1)
                in_flight.cancel()
                with pytest.raises(asyncio.CancelledError):
                    await in_flight
                # The one connection's slot is back: the next message does not wait forever.
                return await asyncio.wait_for(pool.send(second), timeout=10)

        assert asyncio.run(run()).outcome == "sent"
    assert "reader1@example.org" in server.handler.recipients()


def test_no_such_user_fails_as_a_bounce_and_the_rest_go_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    handler = FaultInjector(rcpt={"reader1@example.org": [UNKNOWN_USER]})
    _, results, server = faulty(tmp_path, monkeypatch, handler, 3)
    assert results[1] == Result("failed", UNKNOWN_USER, bounced=True)
    assert [r.outcome for r in (results[0], results[2])] == ["sent", "sent"]
    assert server.handler.recipients() == ["reader0@example.org", "reader2@example.org"] or sorted(
        server.handler.recipients()
    ) == ["reader0@example.org", "reader2@example.org"]


def test_a_policy_rejection_stops_the_send(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    handler = FaultInjector(data={"reader0@example.org": [POLICY_REJECTION]})
    _, results, _ = faulty(tmp_path, monkeypatch, handler, 1)
    assert results == [Result("stop", POLICY_REJECTION)]


def test_a_reply_that_stays_transient_fails_after_the_retries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    handler = FaultInjector(data={"reader0@example.org": ["452 4.2.2 Mailbox full"] * 10})
    _, results, server = faulty(tmp_path, monkeypatch, handler, 1)
    assert results[0].outcome == "failed" and not results[0].bounced
    assert results[0].reply == "452 4.2.2 Mailbox full (gave up after 5 attempts)"
    assert len(handler.faults) == 5 and server.messages == []


def test_random_faults_lose_nothing_and_duplicate_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    handler = FaultInjector(rate=0.3, seed=7, delay=0.005)
    outgoing, results, server = faulty(tmp_path, monkeypatch, handler, 30)
    assert len(handler.faults) > 3
    arrived = server.handler.recipients()
    assert len(arrived) == len(set(arrived))  # none twice
    for message, result in zip(outgoing, results, strict=True):
        # Sent means the server has it; failed (after the retries) means it has not, and
        # so does uncertain here (this server keeps nothing it did not answer).
        assert (result.outcome == "sent") == (message.recipient in arrived), result
        assert result.outcome in {"sent", "failed", "uncertain"}


def test_the_rate_limit_is_shared_by_the_connections(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, smtp_server: SmtpServer
) -> None:
    now = [0.0]

    async def sleep(seconds: float) -> None:
        now[0] += seconds
        await asyncio.sleep(0)

    config = configure(tmp_path, monkeypatch, smtp_server, concurrency="4")
    limiter = RateLimiter(per_minute=3, clock=lambda: now[0], sleep=sleep)
    pool = SmtpPool(config.smtp, limiter=limiter)
    results = deliver(pool, messages(config, 7))
    assert [r.outcome for r in results] == ["sent"] * 7
    # 3 in the first minute, 3 in the second, the 7th at 120 s.
    assert now[0] == pytest.approx(120.0)


@pytest.mark.parametrize(
    ("code", "text", "stage", "expected"),
    [
        (250, "2.0.0 Ok: queued as 4F2", "data", Result("sent", "250 2.0.0 Ok: queued as 4F2")),
        (550, "5.1.1 User unknown", "rcpt", Result("failed", "550 5.1.1 User unknown", True)),
        (550, "5.1.2 Bad domain", "rcpt", Result("failed", "550 5.1.2 Bad domain", True)),
        (550, "5.1.7 Bad sender", "mail", Result("stop", "550 5.1.7 Bad sender")),
        (553, "sender refused", "mail", Result("stop", "553 sender refused")),
        (554, "5.7.1 Spam", "data", Result("stop", "554 5.7.1 Spam")),
        (550, "5.7.606 Access denied", "rcpt", Result("stop", "550 5.7.606 Access denied")),
        (552, "5.3.4 Message too big", "data", Result("stop", "552 5.3.4 Message too big")),
        (552, "5.2.2 Mailbox full", "data", Result("failed", "552 5.2.2 Mailbox full")),
        (550, "No such user here", "rcpt", Result("failed", "550 No such user here")),
    ],
)
def test_replies_by_class(code: int, text: str, stage: Any, expected: Result) -> None:
    assert classify(code, text, stage=stage) == expected


def test_a_message_no_connection_could_be_made_for_is_not_delivered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = SmtpServer(FaultInjector())
    server.start()
    config = configure(tmp_path, monkeypatch, server, concurrency="1")
    [message] = messages(config, 1)

    async def run() -> None:
        async with transport(config, tmp_path) as pool:
            server.stop()  # gone before the message: it cannot have arrived
            await asyncio.sleep(0.1)
            # The pooled connection is found closed (deferred), then none can be had.
            await send_one(pool, message, delay=0.01)

    with pytest.raises(NotDelivered, match=r"cannot connect to 127\.0\.0\.1"):
        asyncio.run(run())


def test_a_message_whose_connection_dropped_after_its_data_is_uncertain_even_as_the_server_goes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    handler = FaultInjector(data={"reader0@example.org": [DROP]})
    server = SmtpServer(handler)
    server.start()
    config = configure(tmp_path, monkeypatch, server, concurrency="1")
    [message] = messages(config, 1)

    def stop_after_the_drop() -> None:
        while not handler.faults:
            time.sleep(0.001)
        server.stop()

    async def run() -> Result:
        pool = open_transport(config, outbox=tmp_path, tls_context=client_context(),
                              retry_delay=0.2)  # fmt: skip
        async with pool:
            return await send_one(pool, message, delay=0.01)

    stopper = threading.Thread(target=stop_after_the_drop)
    stopper.start()
    result = asyncio.run(run())
    stopper.join()
    # The data went out before the connection was lost: it may have arrived.
    assert result.outcome == "uncertain"


def described(transport: Transport) -> str:
    """The transport's description once it is connected: what the connection really is."""

    async def run() -> str:
        async with transport:
            return transport.description

    return asyncio.run(run())


@pytest.mark.parametrize(
    "tls, security, expected",
    [
        ("starttls", "starttls", r"127\.0\.0\.1:\d+, TLS 1\.[23] \(STARTTLS\)"),
        ("tls", "tls", r"127\.0\.0\.1:\d+, TLS 1\.[23] \(implicit TLS\)"),
        # STARTTLS configured, on loopback, with a server that offers none: no TLS was used,
        # and the description (the receipt's `delivered_by`) says so.
        ("none", "starttls", r"127\.0\.0\.1:\d+, no TLS \(loopback\)"),
        ("none", "none", r"127\.0\.0\.1:\d+, no TLS \(loopback\)"),
    ],
)
def test_the_description_is_the_connection_not_the_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tls: str, security: str, expected: str
) -> None:
    with SmtpServer(tls=tls) as server:  # type: ignore[arg-type]
        config = configure(tmp_path, monkeypatch, server, security=security)
        pool = transport(config, tmp_path)
        assert re.fullmatch(expected, described(pool)), pool.description
