"""Where messages go: an SMTP server (a pool of connections) or the outbox folder.

`send()` returns a Result for every reply the server gives; what stops a send as a
whole (no connection, TLS or login refused) is a TransportError.
"""

from __future__ import annotations

__all__ = ["NotDelivered", "Outbox", "Result", "Transport", "classify", "open_transport"]

import os
import re
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

from newsletter.config import Config
from newsletter.errors import TransportError
from newsletter.message import OutgoingMessage
from newsletter.ratelimit import RateLimiter

# RFC 3463: class.subject.detail, e.g. "5.1.1" at the start of the reply text.
_ENHANCED = re.compile(r"^([245])\.(\d{1,3})\.(\d{1,3})\b")


@dataclass(frozen=True, slots=True)
class Result:
    outcome: Literal["sent", "failed", "stop"]
    reply: str  # the server's final reply, e.g. "250 2.0.0 Ok: queued as 4F2", or the file
    bounced: bool = False  # a 5.1.x "no such user": the address is suppressed as bounced


class NotDelivered(TransportError):
    """A TransportError raised by send() when the message certainly did not reach the server
    (no connection could be made for it): its row goes back to the queue, not uncertain."""


class Transport(Protocol):
    """An async context manager that delivers messages; see open_transport."""

    description: str  # "smtp.example.org:587 (STARTTLS)" or "outbox/medborgardialog/2020-06"

    async def __aenter__(self) -> Transport: ...

    async def __aexit__(self, *exc: object) -> None: ...

    async def send(self, message: OutgoingMessage, /) -> Result: ...


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
        from newsletter.smtppool import SmtpPool

        return SmtpPool(config.smtp, tls_context=tls_context, retry_delay=retry_delay,
                        limiter=limiter)  # fmt: skip
    return Outbox(outbox, root=config.root)


def classify(code: int, text: str, /, *, stage: Literal["mail", "rcpt", "data"] = "data") -> Result:
    """The Result of a final SMTP reply CODE TEXT (after any retries) at STAGE."""
    reply = f"{code} {text}".strip()
    if 200 <= code < 300:
        return Result("sent", reply)
    if code >= 500 and stage == "mail":
        return Result("stop", reply)  # our sender address is refused: so is every message
    enhanced = _ENHANCED.match(text)
    if code >= 500 and enhanced:
        subject, detail = enhanced.group(2), enhanced.group(3)
        # RFC 3463: x.7.x is a policy rejection (every further message meets it too);
        # 5.1.7/5.1.8 are about our sender address, 5.3.4 about the message's size.
        if subject == "7" or (subject, detail) in {("1", "7"), ("1", "8"), ("3", "4")}:
            return Result("stop", reply)
        # x.1.x: the recipient's address (no such user, no such domain, ...).
        if subject == "1":
            return Result("failed", reply, bounced=True)
    return Result("failed", reply)


class Outbox:
    """Writes each message to FOLDER/00001.eml, 00002.eml, ...: a send without a server."""

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
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise TransportError(
                f"{self.folder}: cannot create the outbox folder ({exc.strerror}). "
                "Check the `outbox` setting in newsletter.toml and the folder's permissions."
            ) from None
        # A resumed send continues the numbering: earlier files are never overwritten.
        numbers = (int(path.stem) for path in self.folder.glob("*.eml") if path.stem.isdigit())
        self._last = max(numbers, default=0)
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    async def send(self, message: OutgoingMessage, /) -> Result:
        while True:
            self._last += 1
            path = self.folder / f"{self._last:05d}.eml"
            try:
                # O_EXCL: a file another process wrote meanwhile is skipped, not replaced.
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            except FileExistsError:
                continue
            except OSError as exc:
                raise self._error(path, exc) from None
            break
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(message.data)
        except OSError as exc:
            raise self._error(path, exc) from None
        # Shown like the description (relative to the project): the receipt is a public
        # record, and an absolute path would tell the editor's user name and folders.
        return Result("sent", str(self._shown / path.name))

    def _error(self, path: Path, exc: OSError) -> TransportError:
        return TransportError(f"{path}: cannot write the message ({exc.strerror}).")
