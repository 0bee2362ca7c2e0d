"""Real SMTP servers for tests: aiosmtpd in a thread of the test process, on loopback.

    from smtpserver import Recorder, SmtpServer, FaultInjector

    with SmtpServer(tls="starttls", users={"editor": "s3cret"}) as server:
        ...  # point the code at server.host/server.port, or use server.environment()
    assert [m.recipients for m in server.messages] == [["anna@example.org"]]

Servers: plain, STARTTLS or implicit TLS (a throwaway certificate from trustme), with
or without AUTH (PLAIN and LOGIN). Handlers: Recorder keeps every message with its
envelope and bytes; FaultInjector adds scripted or random replies (421/451, 550 5.1.1,
554 5.7.1), dropped connections and slow replies.

Fixtures `smtp_server` and `starttls_server` for a test module: import them (pytest finds
fixtures in a module's namespace), no conftest.py needed:

    from smtpserver import smtp_server_fixture, starttls_server_fixture  # noqa: F401
"""

from __future__ import annotations

import asyncio
import email
import random
import socket
import ssl
import tempfile
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Literal, cast

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

HOST = "127.0.0.1"
DROP = "drop"  # a scripted reply that closes the connection instead of answering
TRANSIENT = ("421 4.3.2 Too busy, closing the connection", "451 4.3.0 Try again later", DROP)
# 4xx replies alone: a message meeting one certainly did not arrive.
TRANSIENT_4XX = TRANSIENT[:2]
UNKNOWN_USER = "550 5.1.1 Recipient address rejected: User unknown in local recipient table"
POLICY_REJECTION = "554 5.7.1 Message rejected as spam by content filtering"

_CA: trustme.CA | None = None


def test_ca() -> trustme.CA:
    """One throwaway certificate authority for the whole test run."""
    global _CA
    if _CA is None:
        _CA = trustme.CA()
    return _CA


test_ca.__test__ = False  # type: ignore[attr-defined]  # not a test, despite its name


def client_context() -> ssl.SSLContext:
    """A client TLS context that trusts the test CA (and verifies names, as in production)."""
    context = ssl.create_default_context()
    test_ca().configure_trust(context)
    return context


@dataclass(frozen=True)
class Received:
    """A message as the server got it."""

    sender: str
    recipients: list[str]
    data: bytes  # as sent, after SMTP dot-unstuffing; CRLF line ends
    connection: int  # which connection (the client's port) it came over
    tls: bool  # whether it came over TLS (STARTTLS or implicit)
    authenticated_as: str | None = None

    def parsed(self) -> EmailMessage:
        message = email.message_from_bytes(self.data, policy=policy.default)
        assert isinstance(message, EmailMessage)
        return message


class Recorder:
    """An aiosmtpd handler that accepts and keeps every message."""

    def __init__(self) -> None:
        self.messages: list[Received] = []
        self._lock = threading.Lock()
        self._queued = 0

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        return self.accept(server, session, envelope)

    def accept(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        received = Received(
            sender=str(envelope.mail_from),
            recipients=list(envelope.rcpt_tos),
            data=content,
            connection=int(session.peer[1]) if isinstance(session.peer, tuple) else 0,
            tls=server.transport is not None
            and server.transport.get_extra_info("sslcontext") is not None,
            authenticated_as=_login_name(session),
        )
        with self._lock:
            self.messages.append(received)
            self._queued += 1
            number = self._queued
        return f"250 2.0.0 Ok: queued as {number:05X}"

    def recipients(self) -> list[str]:
        """Every recipient of every message received, in order of arrival."""
        return [address for message in self.messages for address in message.recipients]


class FaultInjector(Recorder):
    """A Recorder that answers some RCPT and DATA commands with faults.

    RCPT and DATA map an address to the replies its successive attempts get
    ("451 4.7.1 Greylisted", UNKNOWN_USER, DROP, ...); once they are used up the
    address is accepted. RATE makes that share of DATA commands fail with a random
    fault from FAULTS (default TRANSIENT), drawn from SEED, the address and the attempt's
    number: the same faults for the same messages each run, whatever order they arrive
    in. DELAY slows every DATA reply.
    """

    def __init__(
        self,
        *,
        rcpt: Mapping[str, Sequence[str]] | None = None,
        data: Mapping[str, Sequence[str]] | None = None,
        rate: float = 0.0,
        seed: int = 1,
        delay: float = 0.0,
        faults: Sequence[str] = TRANSIENT,
    ) -> None:
        super().__init__()
        self._choices = tuple(faults)
        self._rcpt = {address: list(replies) for address, replies in (rcpt or {}).items()}
        self._data = {address: list(replies) for address, replies in (data or {}).items()}
        self._rate = rate
        self._seed = seed
        self._tries: dict[str, int] = {}
        self._delay = delay
        self.faults: list[tuple[str, str]] = []  # (address, reply) of every fault given

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        reply = self._next(self._rcpt, address)
        if reply is not None:
            return self._fault(server, address, reply)
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 Ok"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self._delay:
            await asyncio.sleep(self._delay)
        address = envelope.rcpt_tos[0]
        reply = self._next(self._data, address)
        if reply is None and self._rate:
            reply = self._random_fault(address)
        if reply is not None:
            return self._fault(server, address, reply)
        return self.accept(server, session, envelope)

    def _random_fault(self, address: str) -> str | None:
        with self._lock:
            self._tries[address] = attempt = self._tries.get(address, 0) + 1
        draw = random.Random(f"{self._seed}/{address}/{attempt}")
        return draw.choice(self._choices) if draw.random() < self._rate else None

    def _next(self, script: dict[str, list[str]], address: str) -> str | None:
        with self._lock:
            replies = script.get(address)
            return replies.pop(0) if replies else None

    def _fault(self, server: SMTP, address: str, reply: str) -> str:
        with self._lock:
            self.faults.append((address, reply))
        transport = server.transport
        assert transport is not None
        if reply == DROP:
            transport.close()  # no reply at all: the client sees the connection go
        elif reply.startswith("421"):
            # RFC 5321 3.8: the server closes the connection after a 421 reply.
            asyncio.get_running_loop().call_soon(transport.close)
        return reply


def _login_name(session: Session) -> str | None:
    return session.auth_data if isinstance(session.auth_data, str) else None


class _Connections:
    """How many connections a server takes at once; the ones over get 421 and are closed."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.open: set[int] = set()
        self.refused = 0
        self.lock = threading.Lock()


class _LimitedSMTP(SMTP):
    def __init__(self, handler: Any, *, connections: _Connections, **kwargs: Any) -> None:
        super().__init__(handler, **kwargs)
        self._connections = connections

    async def _handle_client(self) -> None:
        connections = self._connections
        with connections.lock:
            over = len(connections.open) >= connections.limit
            if over:
                connections.refused += 1
            else:
                connections.open.add(id(self))
        if not over:
            await super()._handle_client()
            return
        # What Postfix's smtpd_client_connection_count_limit and Exchange answer.
        await self.push("421 4.7.0 Too many concurrent connections from this client")
        assert self.transport is not None
        self.transport.close()

    def connection_lost(self, error: Exception | None) -> None:
        with self._connections.lock:
            self._connections.open.discard(id(self))
        super().connection_lost(error)


class _Controller(Controller):
    """aiosmtpd's Controller on a port the system picks (port 0)."""

    connections: _Connections | None = None

    def factory(self) -> SMTP:
        if self.connections is None:
            return super().factory()  # type: ignore[no-any-return,no-untyped-call]
        return _LimitedSMTP(self.handler, connections=self.connections, **self.SMTP_kwargs)

    def _trigger_server(self) -> None:
        server = cast(asyncio.Server, self.server)
        self.port = server.sockets[0].getsockname()[1]
        super()._trigger_server()  # type: ignore[no-untyped-call]


@dataclass
class SmtpServer:
    """An SMTP server on a free loopback port, run in a thread of the test process."""

    handler: Recorder = field(default_factory=Recorder)
    tls: Literal["none", "starttls", "tls"] = "none"
    users: Mapping[str, str] | None = None  # AUTH: login -> password; required when set
    max_connections: int | None = None  # more at once get "421 4.7.0 Too many ..." and closed
    host: str = HOST
    port: int = 0
    _controller: _Controller | None = None
    _folder: tempfile.TemporaryDirectory[str] | None = None

    def __enter__(self) -> SmtpServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def messages(self) -> list[Received]:
        return self.handler.messages

    def start(self) -> None:
        kwargs: dict[str, Any] = {"server_hostname": "smtp.test", "ident": "test ESMTP"}
        certificate = test_ca().issue_cert("localhost", HOST, "::1")
        server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        certificate.configure_cert(server_context)
        if self.tls == "tls":
            kwargs["ssl_context"] = server_context
        elif self.tls == "starttls":
            kwargs["tls_context"] = server_context
            kwargs["require_starttls"] = True
        if self.users is not None:
            kwargs["authenticator"] = self._authenticate
            kwargs["auth_required"] = True
            # Without TLS only for the plain server: AUTH PLAIN on loopback in tests.
            kwargs["auth_require_tls"] = self.tls != "none"
            if self.tls == "none":
                kwargs["auth_required"] = False  # aiosmtpd warns about the combination
        self._controller = _Controller(self.handler, hostname=self.host, port=0, **kwargs)
        if self.max_connections is not None:
            self._controller.connections = _Connections(self.max_connections)
        self._controller.start()
        self.port = self._controller.port

    @property
    def refused_connections(self) -> int:
        """How many connections got 421 for going over max_connections."""
        assert self._controller is not None and self._controller.connections is not None
        return self._controller.connections.refused

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None
        if self._folder is not None:
            self._folder.cleanup()
            self._folder = None

    def environment(self, *, username: str = "", password: str = "") -> dict[str, str]:
        """NEWSLETTER_SMTP_* (and SSL_CERT_FILE trusting the test CA) for this server."""
        if self._folder is None:
            self._folder = tempfile.TemporaryDirectory(prefix="smtpserver-")
        ca_file = Path(self._folder.name) / "ca.pem"
        test_ca().cert_pem.write_to_path(str(ca_file))
        env = {
            "NEWSLETTER_SMTP_HOST": self.host,
            "NEWSLETTER_SMTP_PORT": str(self.port),
            "NEWSLETTER_SMTP_SECURITY": self.tls,
            "NEWSLETTER_SMTP_USERNAME": username,
            "SSL_CERT_FILE": str(ca_file),
        }
        if password:
            env["NEWSLETTER_SMTP_PASSWORD"] = password
        return env

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        users = self.users or {}
        if mechanism not in {"PLAIN", "LOGIN"} or not isinstance(data, LoginPassword):
            return AuthResult(success=False, handled=False)
        login, password = data.login.decode(), data.password.decode()
        if login in users and users[login] == password:
            return AuthResult(success=True, auth_data=login)
        return AuthResult(success=False, handled=False)  # aiosmtpd then answers 535


def free_port() -> int:
    """A loopback port nothing listens on (for "cannot connect" tests)."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


@pytest.fixture(name="smtp_server")
def smtp_server_fixture() -> Iterator[SmtpServer]:
    """A plain SMTP server on loopback that records what it receives."""
    with SmtpServer() as server:
        yield server


@pytest.fixture(name="starttls_server")
def starttls_server_fixture() -> Iterator[SmtpServer]:
    """STARTTLS required, AUTH required (login "editor", password "s3cret")."""
    with SmtpServer(tls="starttls", users={"editor": "s3cret"}) as server:
        yield server
