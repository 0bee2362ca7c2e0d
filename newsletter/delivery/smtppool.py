"""A pool of persistent SMTP connections (aiosmtplib), shared by the sending tasks.

Each of `concurrency` slots holds one connection, opened when first needed and
opened again when the server drops it. A message waits for a free slot, and for the
rate limiter; 4xx replies and dropped connections are retried with a doubling delay,
a bounded number of times. What the server finally answers becomes a Result;
what stops the whole send (no connection, TLS or login refused) a TransportError.
"""

from __future__ import annotations

__all__ = ["SmtpPool", "TlsChoice", "connection_security", "tls_choice"]

import asyncio
import contextlib
import logging
import ssl
from typing import Literal, NamedTuple, TypeVar

from aiosmtplib import (
    SMTP,
    SMTPAuthenticationError,
    SMTPConnectError,
    SMTPException,
    SMTPRecipientsRefused,
    SMTPResponseException,
    SMTPSenderRefused,
    SMTPServerDisconnected,
    SMTPTimeoutError,
)

from newsletter.config import SmtpSettings
from newsletter.delivery.message import OutgoingMessage
from newsletter.delivery.ratelimit import RateLimiter
from newsletter.delivery.replies import NotDelivered, Result, classify
from newsletter.errors import TransportError
from newsletter.translate import N_, _

log = logging.getLogger(__name__)
_E = TypeVar("_E", bound=BaseException)

ATTEMPTS = 5
_MODES = {"tls": "TLS", "starttls": "STARTTLS", "none": "no TLS"}
# What a lost connection looks like from aiosmtplib: try again on a fresh one.
_DROPPED = (SMTPServerDisconnected, SMTPTimeoutError, ConnectionError)
_CHECK_LOGIN = N_("check NEWSLETTER_SMTP_USERNAME and NEWSLETTER_SMTP_PASSWORD")


class TlsChoice(NamedTuple):
    use_tls: bool  # TLS from the first byte (port 465)
    start_tls: bool | None  # True: STARTTLS required; None: when offered; False: never


def tls_choice(settings: SmtpSettings, /) -> TlsChoice:
    """aiosmtplib's use_tls/start_tls for SETTINGS.

    TLS is required for every server on another machine: implicit TLS ("tls") or
    STARTTLS ("starttls", which aiosmtplib then insists on). On loopback, STARTTLS is
    used when the server offers it. Only an explicit `security = "none"` turns it off.
    """
    if settings.security == "tls":
        return TlsChoice(use_tls=True, start_tls=False)
    if settings.security == "none":
        return TlsChoice(use_tls=False, start_tls=False)
    return TlsChoice(use_tls=False, start_tls=None if settings.is_loopback else True)


class SmtpPool:
    """A Transport delivering over `settings.concurrency` persistent SMTP connections."""

    def __init__(
        self,
        settings: SmtpSettings,
        /,
        *,
        tls_context: ssl.SSLContext | None = None,
        retry_delay: float = 2.0,
        attempts: int = ATTEMPTS,
        limiter: RateLimiter | None = None,
    ) -> None:
        self.settings = settings
        self.address = f"{settings.host}:{settings.effective_port}"
        # What was configured, until the first connection says what it really is.
        self.description = f"{self.address} ({_MODES[settings.security]})"
        self._tls_context = tls_context or ssl.create_default_context()
        self._retry_delay = retry_delay
        self._attempts = attempts
        self._limiter = limiter or RateLimiter.from_settings(settings)
        self._slots: asyncio.Queue[SMTP | None] = asyncio.Queue()
        # Each connection's transport, to abort what a polite close leaves half-open.
        self._clients: dict[SMTP, asyncio.BaseTransport | None] = {}
        self._login: tuple[str, str] | None = None

    async def __aenter__(self) -> SmtpPool:
        self._login = self._credentials()
        # The first connection now: a wrong host, certificate or password stops the
        # send before anything is recorded as sending. The others open when needed.
        first = await self._connect()
        self.description = f"{self.address}, {connection_security(first, self.settings)}"
        self._slots.put_nowait(first)
        for _slot in range(self.settings.concurrency - 1):
            self._slots.put_nowait(None)
        return self

    async def __aexit__(self, *exc: object) -> None:
        for client in list(self._clients):
            await self._close(client, quit=True)

    async def send(self, message: OutgoingMessage, /) -> Result:
        reply = ""
        maybe_delivered = False  # a connection lost during the transaction: who knows
        for attempt in range(self._attempts):
            if attempt:
                log.info("%s: %s for %s; trying again", self.address, reply, message.recipient)
                await asyncio.sleep(self._retry_delay * 2 ** (attempt - 1))
            await self._limiter.acquire()
            try:
                outcome = await self._attempt(message, last=attempt == self._attempts - 1)
            except TransportError as exc:
                # No connection for this message (server gone, login refused on reconnect).
                if maybe_delivered:
                    raise
                raise NotDelivered(str(exc)) from None
            if isinstance(outcome, Result):
                return outcome
            reply, lost = outcome
            maybe_delivered = maybe_delivered or lost
        return Result("failed", f"{reply} (gave up after {self._attempts} attempts)")

    async def _attempt(self, message: OutgoingMessage, *, last: bool) -> Result | _Retry:
        """A Result, or the reason to try again (a 4xx reply, a lost connection)."""
        client = await self._slots.get()
        keep: SMTP | None = client  # what goes back into the slot
        retire = False
        try:
            if client is None or not client.is_connected:
                keep = None
                try:
                    client = keep = await self._reopen(client)
                except _Unreachable as exc:
                    # A 421 at the greeting while other connections work: the server takes
                    # fewer than smtp.concurrency. Go on with those; this slot is given up.
                    retire = any(other.is_connected for other in self._clients)
                    if retire:
                        log.info("%s; going on with fewer connections", exc)
                    elif last:
                        raise
                    return _Retry(str(exc), lost=False)
            try:
                code, text, stage = await _transaction(client, message)
            except _DROPPED as exc:
                keep = None
                await self._close(client)
                return _Retry(f"connection lost ({exc})", lost=True)
            except BaseException:
                # Cancelled halfway through a transaction: the connection cannot be reused.
                keep = None
                _abort(client, self._clients.pop(client, None))
                raise
        finally:
            if not retire:
                self._slots.put_nowait(keep)
        if 400 <= code < 500:
            return _Retry(f"{code} {text}", lost=False)
        return classify(code, text, stage=stage)

    async def _reopen(self, old: SMTP | None) -> SMTP:
        if old is not None:
            await self._close(old)
        return await self._connect()

    async def _connect(self) -> SMTP:
        settings = self.settings
        tls = tls_choice(settings)
        client = SMTP(
            hostname=settings.host,
            port=settings.effective_port,
            timeout=settings.timeout,
            tls_context=self._tls_context,
            use_tls=tls.use_tls,
            start_tls=tls.start_tls,
        )
        try:
            await client.connect()
            if self._login:
                await client.login(*self._login)
        except (SMTPException, OSError) as exc:
            _abort(client, client.transport)
            raise self._connect_error(exc) from None
        self._clients[client] = client.transport
        return client

    async def _close(self, client: SMTP, *, quit: bool = False) -> None:
        transport = self._clients.pop(client, None)
        if quit and client.is_connected:
            # A polite QUIT; a server that has gone already is no reason to fail.
            with contextlib.suppress(SMTPException, OSError):
                await client.quit()
        _abort(client, transport)

    def _credentials(self) -> tuple[str, str] | None:
        settings = self.settings
        if not settings.username:
            return None
        password = settings.password
        if password is None:
            raise TransportError(
                _(
                    "{address}: smtp.username is {username!r} but no password is set: set "
                    "NEWSLETTER_SMTP_PASSWORD (or NEWSLETTER_SMTP_PASSWORD_FILE) in the "
                    "environment."
                ).format(address=self.address, username=settings.username)
            )
        if settings.security == "none" and not settings.is_loopback:
            raise TransportError(
                _(
                    '{address}: security is "none", so the password would cross the network '
                    'unencrypted. Set smtp.security to "starttls" or "tls".'
                ).format(address=self.address)
            )
        return settings.username, password.get_secret_value()

    def _connect_error(self, exc: BaseException) -> TransportError:
        where = self.address
        if isinstance(exc, SMTPAuthenticationError):
            return TransportError(
                _("{where} refused the login ({code} {message}): {check_login}.").format(
                    where=where, code=exc.code, message=exc.message, check_login=_(_CHECK_LOGIN)
                )
            )
        if (cert := _cause(exc, ssl.SSLCertVerificationError)) is not None:
            return TransportError(
                _(
                    "{where}: its TLS certificate cannot be trusted ({verify_message}). The "
                    "server must present a valid certificate for {host}; check smtp.host (the "
                    "name must match the certificate) and the server's setup."
                ).format(where=where, verify_message=cert.verify_message, host=self.settings.host)
            )
        if (tls := _cause(exc, ssl.SSLError)) is not None:
            return TransportError(
                _(
                    '{where}: the TLS handshake failed ({value}). With smtp.security = "tls" the '
                    "server must speak TLS from the first byte (usually port 465); a server on "
                    'port 587 wants "starttls".'
                ).format(where=where, value=tls.reason or tls)
            )
        if isinstance(exc, SMTPResponseException) and 400 <= exc.code < 500:
            return _Unreachable(
                _("{where} is busy ({code} {message}); try again later.").format(
                    where=where, code=exc.code, message=exc.message
                )
            )
        if isinstance(exc, SMTPResponseException):
            return TransportError(
                _(
                    "{where} refused the connection ({code} {message}). Check smtp.host and "
                    "smtp.port, and ask the server's administrator whether this computer may send"
                    " through it."
                ).format(where=where, code=exc.code, message=exc.message)
            )
        message = str(exc)
        if "STARTTLS extension not supported" in message:
            return TransportError(
                _(
                    "{where} does not offer STARTTLS, and TLS is required for a server on another"
                    ' machine. Use smtp.security = "tls" if it speaks TLS from the start (port '
                    "465), or ask its administrator to enable STARTTLS."
                ).format(where=where)
            )
        if "AUTH extension" in message or "authentication method" in message:
            return TransportError(
                _(
                    "{where} does not offer a login (SMTP AUTH) on this connection: leave "
                    "smtp.username empty if it needs no login, or use TLS if it offers AUTH only "
                    "then."
                ).format(where=where)
            )
        return _Unreachable(
            _(
                "cannot connect to {where} ({message}). Check smtp.host and smtp.port "
                "(NEWSLETTER_SMTP_HOST, NEWSLETTER_SMTP_PORT) and that the server is running."
            ).format(where=where, message=message)
        )


def connection_security(client: SMTP, settings: SmtpSettings, /) -> str:
    """What CLIENT's connection really is: "TLS 1.3 (STARTTLS)", "no TLS (loopback)"; the
    receipt, a public record, says this, never the configured intention."""
    ssl_object = client.get_transport_info("ssl_object")
    if ssl_object is None:
        return "no TLS (loopback)" if settings.is_loopback else "no TLS"
    version = str(ssl_object.version() or "TLS").replace("TLSv", "TLS ")
    return f"{version} ({'implicit TLS' if settings.security == 'tls' else 'STARTTLS'})"


def _abort(client: SMTP, transport: asyncio.BaseTransport | None) -> None:
    """Close CLIENT's connection without waiting for the server.

    After QUIT, a failed login or a broken connection nothing is left to say; a TLS
    connection closed politely waits for the server's close_notify, which may never
    come, and outlives the event loop.
    """
    client.close()
    if isinstance(transport, asyncio.Transport):
        transport.abort()


class _Retry(NamedTuple):
    reason: str  # a 4xx reply, a lost connection, a server that could not be reached
    lost: bool  # the connection went during the transaction: the message may have arrived


class _Unreachable(TransportError):
    """No answer from the server: worth trying again while a send runs."""


def _cause(exc: BaseException | None, kind: type[_E]) -> _E | None:
    """The first exception of KIND in EXC's chain of causes (aiosmtplib wraps ssl's)."""
    while exc is not None:
        if isinstance(exc, kind):
            return exc
        exc = exc.__cause__ or exc.__context__
    return None


async def _transaction(
    client: SMTP, message: OutgoingMessage
) -> tuple[int, str, Literal["mail", "rcpt", "data"]]:
    """MAIL, RCPT, DATA: the final reply code and text, and the stage it came at."""
    try:
        _code, text = await client.sendmail(message.sender, [message.recipient], message.data)
    except SMTPSenderRefused as exc:
        return exc.code, exc.message, "mail"
    except SMTPRecipientsRefused as exc:
        refused = exc.recipients[0]
        return refused.code, refused.message, "rcpt"
    except SMTPResponseException as exc:
        if exc.code == 421 or isinstance(exc, SMTPConnectError):
            # RFC 5321 3.8: 421 means the server closes the connection.
            client.close()
        return exc.code, exc.message, "data"
    return 250, text, "data"
