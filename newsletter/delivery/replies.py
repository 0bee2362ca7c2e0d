"""What a server's reply means for one message: sent, failed (bounced or not), or stop."""

from __future__ import annotations

__all__ = ["NotDelivered", "Result", "classify"]

import re
from dataclasses import dataclass
from typing import Literal

from newsletter.errors import TransportError

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
