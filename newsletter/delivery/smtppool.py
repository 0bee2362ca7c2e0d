"""A pool of persistent SMTP connections (aiosmtplib), shared by the sending tasks.

Each of `concurrency` slots holds one connection, opened when first needed and opened
again when the server drops it. send() makes one attempt and never sleeps for a message:
it waits for the rate limiter and a free slot, says when the message is handed over
(the journal's `sending`, awaited before the data goes out), and turns the server's
answer into a Result. A 4xx reply, or a connection lost before the data went out, is
"deferred": the engine tries the message again later while the others go on. A
connection lost after the data went out is "uncertain". Replies that ask us to slow
down make the whole pool slower (fewer connections, then spacing; see pace).
When no connection can be had at all, it tries again after 2, 4, 8, 16 s, then gives up
with NotDelivered (the message did not go out); a login or TLS refused is a
TransportError that stops the send.
"""

from __future__ import annotations

__all__ = ["CONNECT_ATTEMPTS", "SmtpPool", "TlsChoice", "connection_security", "tls_choice"]

import asyncio
import contextlib
import logging
import ssl
from collections.abc import Awaitable, Callable
from typing import Literal, NamedTuple

from aiosmtplib import (
    SMTP,
    SMTPException,
    SMTPResponseException,
    SMTPServerDisconnected,
    SMTPTimeoutError,
)

from newsletter.config import SmtpSettings
from newsletter.delivery.message import OutgoingMessage
from newsletter.delivery.pace import Pace
from newsletter.delivery.ratelimit import RateLimiter
from newsletter.delivery.replies import NotDelivered, Result, classify, fewer_connections
from newsletter.delivery.smtpconnect import (
    Connector,
    TlsChoice,
    Unreachable,
    abort,
    close,
    connection_security,
    tls_choice,
)
from newsletter.delivery.smtpdata import send_data
from newsletter.errors import TransportError

log = logging.getLogger(__name__)

# How often a connection is tried when none works, 2, 4, 8 s apart, before giving up.
CONNECT_ATTEMPTS = 5
_MODES = {"tls": "TLS", "starttls": "STARTTLS", "none": "no TLS"}
# What a lost connection looks like from aiosmtplib.
_DROPPED = (SMTPServerDisconnected, SMTPTimeoutError, ConnectionError)
# Called when a message is handed to a connection; its result is awaited before the data.
Handed = Callable[[], Awaitable[None]]


class _Slot:
    """A place for one connection."""

    __slots__ = ("client",)

    def __init__(self) -> None:
        self.client: SMTP | None = None

    @property
    def connected(self) -> bool:
        return self.client is not None and self.client.is_connected


class SmtpPool:
    """A Transport delivering over up to `settings.concurrency` persistent connections."""

    def __init__(
        self,
        settings: SmtpSettings,
        /,
        *,
        tls_context: ssl.SSLContext | None = None,
        retry_delay: float = 2.0,
        attempts: int = CONNECT_ATTEMPTS,
        limiter: RateLimiter | None = None,
    ) -> None:
        self.settings = settings
        self.address = f"{settings.host}:{settings.effective_port}"
        self.description = f"{self.address} ({_MODES[settings.security]})"
        self.pace = Pace(settings.concurrency)
        self._tls_context = tls_context
        self._retry_delay, self._attempts = retry_delay, attempts
        self._limiter = limiter or RateLimiter.from_settings(settings)
        self._connector: Connector | None = None
        self._slots = [_Slot() for _ in range(settings.concurrency)]
        self._free: asyncio.Queue[_Slot] = asyncio.Queue()
        self._parked: list[_Slot] = []  # slots the pace does not let us use now
        self._closing: set[asyncio.Task[None]] = set()
        self._down = ""  # why no connection can be had, while waiting to try again

    async def __aenter__(self) -> SmtpPool:
        self._connector = Connector(self.settings, tls_context=self._tls_context)
        # The first connection now: a wrong host, certificate or password stops the
        # send before anything is recorded as sending. The others open when needed.
        first = self._slots[0].client = await self._connector.open()
        # What was configured, until the first connection says what it really is.
        self.description = f"{self.address}, {connection_security(first, self.settings)}"
        for slot in self._slots:
            self._free.put_nowait(slot)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await asyncio.gather(*self._closing, return_exceptions=True)
        for slot in self._slots:
            if slot.client is not None:
                await close(slot.client, quit=True)
                slot.client = None

    def waiting(self) -> str:
        """Why messages go slower than they could now, in words ("" when they do not)."""
        return self._down or self._limiter.waiting or self.pace.describe()

    async def send(self, message: OutgoingMessage, /, *, handed: Handed | None = None) -> Result:
        while True:
            await self._limiter.acquire()
            slot = await self._free.get()
            try:
                result = await self._attempt(slot, message, handed)
            finally:
                self._release(slot)
            if result is not None:
                return result  # None: that slot could not connect; another one can

    async def _attempt(
        self, slot: _Slot, message: OutgoingMessage, handed: Handed | None
    ) -> Result | None:
        if not slot.connected and not await self._reconnect(slot):
            return None
        client = slot.client
        assert client is not None
        epoch = self.pace.epoch
        try:
            reply = await _transaction(client, message, handed)
        except BaseException:
            # Cancelled halfway through a transaction, or the journal failed before the
            # data: the connection cannot be reused.
            abort(client, client.transport)
            slot.client = None
            raise
        if reply.lost:
            abort(client, client.transport)
            slot.client = None
            if reply.stage == "data":
                lost = f"connection lost after the message was sent ({reply.text})"
                return Result("uncertain", f"{lost}: it may or may not have arrived")
            return Result("deferred", f"connection lost before the message was sent ({reply.text})")
        result = classify(reply.code, reply.text, stage=reply.stage)
        if result.outcome == "deferred":
            log.info("%s: %s for %s; deferred", self.address, result.reply, message.recipient)
        self._learn(result, epoch)
        return result

    def _learn(self, result: Result, epoch: int) -> None:
        """Slow down where the server asks for it; speed up again as it accepts."""
        if result.outcome == "deferred" and fewer_connections(result.reply):
            self.pace.limit(sum(slot.connected for slot in self._slots) - 1, result.reply)
        elif result.throttled:
            if self.pace.throttled(result.reply, epoch):
                log.info("%s said %r: slowing down", self.address, result.reply)
        elif result.outcome != "sent" or not self.pace.accepted():
            return
        self._limiter.spacing = self.pace.spacing
        self._rebalance()

    async def _reconnect(self, slot: _Slot) -> bool:
        """Open SLOT's connection; False when the server takes no more than it has now."""
        assert self._connector is not None
        if slot.client is not None:
            abort(slot.client, slot.client.transport)
            slot.client = None
        for attempt in range(self._attempts):
            try:
                slot.client = await self._connector.open()
            except Unreachable as exc:
                connected = sum(other.connected for other in self._slots)
                if connected:
                    # A 421 at the greeting while other connections work: the server takes
                    # fewer than smtp.concurrency. Go on with those; this slot is given up.
                    log.info("%s; going on with %d connection(s)", exc, connected)
                    self.pace.limit(connected, str(exc))
                    self._rebalance()
                    return False
                if attempt == self._attempts - 1:
                    raise NotDelivered(str(exc)) from None
                wait = self._retry_delay * 2**attempt
                self._down = f"waiting: {exc} Trying again in {wait:.0f} s."
                await asyncio.sleep(wait)
            except TransportError as exc:
                raise NotDelivered(str(exc)) from None  # e.g. the login refused now
            else:
                self._down = ""
                return True
        raise AssertionError("unreachable")  # pragma: no cover

    def _release(self, slot: _Slot) -> None:
        if len(self._slots) - len(self._parked) > self.pace.connections:
            self._park(slot)
        else:
            self._free.put_nowait(slot)

    def _rebalance(self) -> None:
        """Park free slots (the unconnected first) or take parked ones back, as the pace says."""
        over = len(self._slots) - len(self._parked) - self.pace.connections
        if over > 0:
            free = []
            while not self._free.empty():
                free.append(self._free.get_nowait())
            free.sort(key=lambda slot: slot.connected)
            for slot in free[:over]:
                self._park(slot)
            for slot in free[over:]:
                self._free.put_nowait(slot)
        while over < 0 and self._parked:
            self._free.put_nowait(self._parked.pop())
            over += 1

    def _park(self, slot: _Slot) -> None:
        self._parked.append(slot)
        if slot.client is not None:
            # Politely, beside the sending: a server that counts connections sees it go.
            task = asyncio.get_running_loop().create_task(close(slot.client, quit=True))
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)
            slot.client = None


class _Reply(NamedTuple):
    code: int
    text: str
    stage: Literal["mail", "rcpt", "data"]
    lost: bool = False  # the connection went at STAGE, without a reply


async def _transaction(client: SMTP, message: OutgoingMessage, handed: Handed | None) -> _Reply:
    """MAIL, RCPT, DATA: the final reply and the stage it came at, or the connection lost."""
    handing = handed() if handed is not None else None  # its commit runs beside MAIL and RCPT
    stage: Literal["mail", "rcpt", "data"] = "mail"
    try:
        # RFC 1870: the size as transmitted; the message has CRLF line ends already.
        options = [f"SIZE={message.size}"] if client.supports_extension("size") else None
        await client.mail(message.sender, options=options)
        stage = "rcpt"
        await client.rcpt(message.recipient)
        stage = "data"
        payload = message.wire
        if handing is not None:
            await handing  # the journal says `sending` before the data can arrive
        response = await send_data(client, payload)
    except SMTPResponseException as exc:
        if exc.code == 421:
            client.close()  # RFC 5321 3.8: the server closes the connection
        else:
            with contextlib.suppress(SMTPException, OSError):
                await client.rset()  # the next message starts a clean transaction
        return _Reply(exc.code, exc.message, stage)
    except _DROPPED as exc:
        return _Reply(0, str(exc) or type(exc).__name__, stage, lost=True)
    return _Reply(response.code, response.message, stage)
