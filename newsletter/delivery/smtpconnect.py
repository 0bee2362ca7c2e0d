"""One SMTP connection (aiosmtplib): TLS as the settings demand, the login, and every way
it can fail said in plain words with what to change."""

from __future__ import annotations

__all__ = [
    "Connector",
    "TlsChoice",
    "Unreachable",
    "abort",
    "close",
    "connection_security",
    "tls_choice",
]

import asyncio
import contextlib
import ssl
from typing import NamedTuple, TypeVar

from aiosmtplib import SMTP, SMTPAuthenticationError, SMTPException, SMTPResponseException

from newsletter.config import SmtpSettings
from newsletter.errors import TransportError
from newsletter.translate import N_, _

_E = TypeVar("_E", bound=BaseException)
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


class Unreachable(TransportError):
    """No answer from the server, or "busy" at the greeting: worth trying again later."""


class Connector:
    """Opens connections to the server of SETTINGS, logged in; checks the login settings."""

    def __init__(self, settings: SmtpSettings, /, *, tls_context: ssl.SSLContext | None) -> None:
        self.settings = settings
        self.address = f"{settings.host}:{settings.effective_port}"
        self._tls_context = tls_context or ssl.create_default_context()
        self._login = self._credentials()

    async def open(self) -> SMTP:
        """A new connection; Unreachable or another TransportError when none can be had."""
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
            abort(client, client.transport)
            raise self._error(exc) from None
        return client

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

    def _error(self, exc: BaseException) -> TransportError:
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
            return Unreachable(
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
        return Unreachable(
            _(
                "cannot connect to {where} ({message}). Check smtp.host and smtp.port "
                "(NEWSLETTER_SMTP_HOST, NEWSLETTER_SMTP_PORT) and that the server is running."
            ).format(where=where, message=message)
        )


async def close(client: SMTP, /, *, quit: bool = False) -> None:
    """Close CLIENT's connection, after a polite QUIT when QUIT."""
    transport = client.transport
    if quit and client.is_connected:
        # A server that has gone already is no reason to fail.
        with contextlib.suppress(SMTPException, OSError):
            await client.quit()
    abort(client, transport)


def abort(client: SMTP, transport: asyncio.BaseTransport | None) -> None:
    """Close CLIENT's connection without waiting for the server.

    After QUIT, a failed login or a broken connection nothing is left to say; a TLS
    connection closed politely waits for the server's close_notify, which may never
    come, and outlives the event loop.
    """
    client.close()
    if isinstance(transport, asyncio.Transport):
        transport.abort()


def _cause(exc: BaseException | None, kind: type[_E]) -> _E | None:
    """The first exception of KIND in EXC's chain of causes (aiosmtplib wraps ssl's)."""
    while exc is not None:
        if isinstance(exc, kind):
            return exc
        exc = exc.__cause__ or exc.__context__
    return None


def connection_security(client: SMTP, settings: SmtpSettings, /) -> str:
    """What CLIENT's connection really is: "TLS 1.3 (STARTTLS)", "no TLS (loopback)"; the
    receipt, a public record, says this, never the configured intention."""
    ssl_object = client.get_transport_info("ssl_object")
    if ssl_object is None:
        return "no TLS (loopback)" if settings.is_loopback else "no TLS"
    version = str(ssl_object.version() or "TLS").replace("TLSv", "TLS ")
    return f"{version} ({'implicit TLS' if settings.security == 'tls' else 'STARTTLS'})"
