"""What a server's reply means for one message: sent, failed (bounced or not), stop, deferred.

A 4xx reply defers the message: it is tried again later while the others go on. Some 4xx
replies say more than "not now": the server wants fewer messages from us (`throttles`),
or fewer connections (`fewer_connections`); the pool then slows down as a whole.
"""

from __future__ import annotations

__all__ = ["NotDelivered", "Outcome", "Result", "classify", "fewer_connections", "throttles"]

import re
from dataclasses import dataclass
from typing import Literal

from newsletter.errors import TransportError

# RFC 3463: class.subject.detail, e.g. "5.1.1" at the start of the reply text.
_ENHANCED = re.compile(r"^([245])\.(\d{1,3})\.(\d{1,3})\b")
# What servers say when they want us slower: Gmail's "421 4.7.0 Try again later, closing
# connection" and "4.2.1 ... receiving mail at a rate", Exchange Online's "4.7.500 Server
# busy" and "4.3.2 ... thread limit exceeded", Postfix's "4.7.1 Error: too much mail".
_SLOW_DOWN = re.compile(
    r"try again later|too many|too much mail|rate.?limit|\brate\b|throttl|busy|slow down"
    r"|exceeded|concurrent",
    re.IGNORECASE,
)
_CONNECTIONS = re.compile(
    r"too many (?:concurrent |simultaneous )?(?:connections|sessions)|thread limit"
    r"|concurrent connections|connection limit",
    re.IGNORECASE,
)
_GREYLISTED = re.compile(r"grey|gray", re.IGNORECASE)

Outcome = Literal["sent", "failed", "stop", "deferred", "uncertain"]


@dataclass(frozen=True, slots=True)
class Result:
    """OUTCOME of one attempt: sent, failed, stop (the whole send), deferred (try this
    message again later) or uncertain (the connection went after the data was sent)."""

    outcome: Outcome
    reply: str  # the server's final reply, e.g. "250 2.0.0 Ok: queued as 4F2", or the file
    bounced: bool = False  # a 5.1.x "no such user": the address is suppressed as bounced
    throttled: bool = False  # deferred because the server wants us slower


class NotDelivered(TransportError):
    """A TransportError raised by send() when the message certainly did not reach the server
    (no connection could be made for it): its row goes back to the queue, not uncertain."""


def classify(code: int, text: str, /, *, stage: Literal["mail", "rcpt", "data"] = "data") -> Result:
    """The Result of a final SMTP reply CODE TEXT at STAGE."""
    reply = f"{code} {text}".strip()
    if 200 <= code < 300:
        return Result("sent", reply)
    if 400 <= code < 500:
        return Result("deferred", reply, throttled=throttles(code, text))
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


def throttles(code: int, text: str, /) -> bool:
    """Whether the 4xx reply CODE TEXT asks the sender as a whole to slow down."""
    if code == 421:
        return True  # RFC 5321 3.8: the service is closing the channel
    if _GREYLISTED.search(text):
        return False  # greylisting defers one message, and wants no slower sender
    enhanced = _ENHANCED.match(text)
    if enhanced and enhanced.group(1) == "4":
        # RFC 3463: 4.7.x policy (Exchange's 4.7.500-699 throttling), 4.3.2 "system not
        # accepting network messages", 4.2.1 (Gmail: "receiving mail at a rate ...").
        pair = (enhanced.group(2), enhanced.group(3))
        if pair[0] == "7" or pair in {("3", "2"), ("2", "1")}:
            return True
    return bool(_SLOW_DOWN.search(text))


def fewer_connections(text: str, /) -> bool:
    """Whether the reply TEXT says we hold too many connections (e.g. Exchange Online's
    "432 4.3.2 STOREDRV.ClientSubmit; sender thread limit exceeded")."""
    return bool(_CONNECTIONS.search(text))
