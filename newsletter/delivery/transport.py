"""Where messages go: an SMTP server (a pool of connections) or the outbox folder.

`send()` makes one attempt and returns a Result for every reply the server gives (a 4xx
is "deferred": the caller tries again later); what stops a send as a whole (no
connection, TLS or login refused) is a TransportError. `send_one` tries a single
message (a test, a confirmation mail) until it is no longer deferred.
"""

from __future__ import annotations

__all__ = ["Handed", "Outbox", "Transport", "open_transport", "send_one"]

import asyncio
import ssl
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Protocol

from newsletter.config import Config
from newsletter.delivery.message import OutgoingMessage
from newsletter.delivery.ratelimit import RateLimiter
from newsletter.delivery.replies import NotDelivered, Result
from newsletter.delivery.retries import ATTEMPTS
from newsletter.errors import TransportError
from newsletter.fileio import describe_os_error, private_folder, write_new
from newsletter.translate import _


class Transport(Protocol):
    """An async context manager that delivers messages; see open_transport."""

    description: str  # "smtp.example.org:587 (STARTTLS)" or "outbox/medborgardialog/2020-06"

    async def __aenter__(self) -> Transport: ...

    async def __aexit__(self, *exc: object) -> None: ...

    async def send(
        self, message: OutgoingMessage, /, *, handed: Handed | None = None
    ) -> Result: ...

    def waiting(self) -> str: ...


# Called when a message is handed over; what it returns is awaited before the data goes out.
Handed = Callable[[], Awaitable[None]]


async def send_one(
    transport: Transport, message: OutgoingMessage, /, *, delay: float = 2.0
) -> Result:
    """MESSAGE on its own: deferred replies are tried again after DELAY, 2 × DELAY, ...,
    up to ATTEMPTS times."""
    for attempt in range(ATTEMPTS):
        if attempt:
            await asyncio.sleep(delay * 2 ** (attempt - 1))
        result = await transport.send(message)
        if result.outcome != "deferred":
            return result
    return Result("failed", f"{result.reply} (gave up after {ATTEMPTS} attempts)")


def open_transport(
    config: Config,
    *,
    outbox: Path,
    tls_context: ssl.SSLContext | None = None,
    retry_delay: float = 2.0,
    limiter: RateLimiter | None = None,
) -> Transport:
    """An SMTP pool when config.smtp.host is set, else an outbox writing OUTBOX/<n>.eml files.

    TLS_CONTEXT replaces the system's trusted certificates (tests use trustme's);
    RETRY_DELAY is the first wait before a retry, doubled on each further one;
    LIMITER (default: from config.smtp) paces the SMTP pool.
    """
    if config.smtp.host:
        from newsletter.delivery.smtppool import SmtpPool

        return SmtpPool(config.smtp, tls_context=tls_context, retry_delay=retry_delay,
                        limiter=limiter)  # fmt: skip
    return Outbox(outbox, root=config.root)


class Outbox:
    """Writes each message to FOLDER/00001.eml, 00002.eml, ...: a send without a server.

    A file appears under its name only when complete (written beside, then linked), and
    is private (0600): it holds the recipient's address and unsubscribe link.
    """

    def __init__(self, folder: Path, /, *, root: Path | None = None) -> None:
        self.folder = folder
        shown = folder
        if root is not None and folder.is_relative_to(root):
            shown = folder.relative_to(root)
        self.description = str(shown)
        self._shown = shown
        self._last = 0

    async def __aenter__(self) -> Outbox:
        try:
            private_folder(self.folder)
        except OSError as exc:
            raise TransportError(
                _(
                    "{folder}: cannot create the outbox folder ({strerror}). Check the `outbox` "
                    "setting in newsletter.toml and the folder's permissions."
                ).format(folder=self.folder, strerror=exc.strerror)
            ) from None
        # A resumed send continues the numbering: earlier files are never overwritten.
        numbers = (int(path.stem) for path in self.folder.glob("*.eml") if path.stem.isdigit())
        self._last = max(numbers, default=0)
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    def waiting(self) -> str:
        return ""

    async def send(self, message: OutgoingMessage, /, *, handed: Handed | None = None) -> Result:
        if handed is not None:
            await handed()  # the journal says `sending` before the file can appear
        while True:
            self._last += 1
            path = self.folder / f"{self._last:05d}.eml"
            try:
                # Never replaces a file another process wrote meanwhile: that number is
                # skipped. Nothing is left under PATH when the disk fills up mid-write.
                write_new(path, message.data)
            except FileExistsError:
                continue
            except OSError as exc:
                # Certainly not delivered: the row goes back to the queue for the next run.
                raise NotDelivered(
                    _("{path}: cannot write the message: {reason}.").format(
                        path=path, reason=describe_os_error(exc)
                    )
                ) from None
            break
        # Shown like the description (relative to the project): the receipt is a public
        # record, and an absolute path would tell the editor's user name and folders.
        return Result("sent", str(self._shown / path.name))
