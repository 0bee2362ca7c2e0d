"""Telling the returned messages apart, in the order that loses nothing.

Whatever comes back is one of: an Amazon SES notification, a feedback report (spam
complaint, opt-out), a mailto unsubscribe request (RFC 2369; Apple Mail's too), a
delivery report, an auto-reply (RFC 3834), or something a person has to read. The
auto-reply test comes after the others, because mail servers mark their bounces
`Auto-Submitted: auto-replied`; a message that presents itself as a delivery report
but names no address is listed as not understood, never dropped.
"""

from __future__ import annotations

__all__ = ["Incoming", "Kind", "sort"]

import hashlib
import re
from dataclasses import dataclass, field, replace
from email import message_from_bytes, message_from_string, policy
from email.message import Message
from email.utils import getaddresses, parsedate_to_datetime
from typing import Literal

from newsletter.bounces.autoreply import is_auto_reply, mailbox_gone
from newsletter.bounces.complaints import read_feedback
from newsletter.bounces.dsn import parse_report
from newsletter.bounces.mailbox import Item
from newsletter.bounces.prose import looks_like_a_report
from newsletter.bounces.report import DeliveryReport, Original
from newsletter.bounces.ses import SesNotice, read_notice
from newsletter.bounces.text import addresses_in, header_text, message_text

Kind = Literal["bounce", "complaint", "unsubscribe", "feedback", "auto-reply", "unknown"]

_SES = re.compile(r"notificationType|eventType")
_BOUNDARY = re.compile(r"^--([^\s]{1,200})[ \t\r]*$", re.MULTILINE)
_UNSUBSCRIBE = re.compile(r"^\s*unsubscribe(?:\s+(\S+))?\s*$", re.IGNORECASE)
# Where a report was delivered: the envelope recipient, our VERP address.
_ENVELOPE = ("To", "Delivered-To", "X-Original-To", "Envelope-To", "X-Envelope-To", "Cc")


@dataclass(frozen=True, slots=True)
class Incoming:
    """One message, told apart; `key` identifies it across imports."""

    kind: Kind
    place: str
    key: str
    sender: str
    subject: str
    date: str  # YYYY-MM-DD of its Date header, "" when it has none
    report: DeliveryReport | None = None
    complaint_addresses: tuple[str, ...] = ()
    feedback_type: str = ""
    original: Original = field(default_factory=Original)
    token: str = ""
    envelope: tuple[str, ...] = ()  # the addresses it was delivered to
    reason: str = ""  # why an unknown message was not understood


def sort(item: Item, /) -> Incoming:
    """Tell ITEM apart; a message that cannot even be parsed comes back as 'unknown'."""
    key = "sha256:" + hashlib.sha256(item.data).hexdigest()
    base = Incoming("unknown", item.place, key, sender="", subject="", date="")
    try:
        if item.data.lstrip()[:1] == b"{":  # a notification saved as a .json file
            return _from_notice(base, read_notice(item.data.decode("utf-8", "replace")))
        # compat32 parses headers only when asked, several times faster than policy.default.
        message = _repaired(message_from_bytes(item.data, policy=policy.compat32))
        base = _base(base, message)
        return _sort(message, base)
    except Exception as exc:  # a broken message is listed, never lost
        return replace(base, reason=f"cannot be read ({type(exc).__name__}: {exc})")


def _base(base: Incoming, message: Message) -> Incoming:
    senders = getaddresses([_text(message, "From")])
    values = " ".join(str(v) for name in _ENVELOPE for v in message.get_all(name, []))
    return replace(
        base,
        key=_text(message, "Message-ID") or base.key,
        sender=senders[0][1] if senders and senders[0][1] else _text(message, "From"),
        subject=_text(message, "Subject"),
        date=_date(message),
        envelope=tuple(a.lower() for a in addresses_in(values)),
    )


def _text(message: Message, name: str) -> str:
    """A header as one printable line (header_text): it is printed to the operator's terminal."""
    return header_text(message.get(name, ""))


def _date(message: Message) -> str:
    try:
        return parsedate_to_datetime(_text(message, "Date")).date().isoformat()
    except (TypeError, ValueError, IndexError):
        return ""


def _repaired(message: Message) -> Message:
    """MESSAGE, its multipart body split again where its boundary parameter is broken."""
    if message.get_content_maintype() != "multipart" or message.is_multipart():
        return message
    body = str(message.get_payload())
    lines = _BOUNDARY.findall(body)
    boundary = next((b for b in lines if lines.count(b) > 1 or f"--{b}--" in body), None)
    if boundary is None:
        return message
    try:
        message.set_param("boundary", boundary.removesuffix("--"))
        return message_from_string(message.as_string(), policy=policy.compat32)
    except (LookupError, TypeError, UnicodeError, ValueError):
        return message  # read as it is: its text is still there


def _sort(message: Message, base: Incoming) -> Incoming:
    text = message_text(message)
    if _SES.search(text) and (notice := read_notice(text)) is not None:
        return _from_notice(base, notice)
    if (feedback := read_feedback(message)) is not None:
        kind: Kind = "complaint" if feedback.complaint else "feedback"
        if feedback.opt_out:
            kind = "unsubscribe"
        return replace(
            base, kind=kind, complaint_addresses=feedback.addresses,
            feedback_type=feedback.feedback_type, original=feedback.original,
        )  # fmt: skip
    if (unsubscribe := _unsubscribe(message, base)) is not None:
        return unsubscribe
    if (report := parse_report(message, text=text)) is not None:
        return replace(base, kind="bounce", report=report, original=report.original)
    if looks_like_a_report(message, text):
        return replace(base, reason="a delivery report without an address we can read")
    if is_auto_reply(message):
        if (gone := mailbox_gone(message, base.sender, text)) is not None:
            return replace(base, kind="bounce", report=gone, original=gone.original)
        return replace(base, kind="auto-reply")
    return replace(base, reason="not a bounce, complaint, auto-reply or unsubscribe request")


def _unsubscribe(message: Message, base: Incoming) -> Incoming | None:
    """A mailto unsubscribe request: `unsubscribe TOKEN` (our List-Unsubscribe's subject)."""
    match = _UNSUBSCRIBE.match(base.subject)
    # Apple Mail's Unsubscribe button sends our mailto: with this header (and our subject).
    apple = _text(message, "X-Apple-Unsubscribe").lower() == "true"
    if match and match[1]:
        return replace(base, kind="unsubscribe", token=match[1])
    if match or apple:
        return replace(base, reason="an unsubscribe request without its token (from a link "
                                    "written by hand?): remove the sender yourself")  # fmt: skip
    return None


def _from_notice(base: Incoming, notice: SesNotice | None) -> Incoming:
    if notice is None:
        return replace(base, reason="not an Amazon SES notification we can read")
    base = replace(base, sender=base.sender or "Amazon SES", original=notice.original)
    if notice.report is not None:
        return replace(base, kind="bounce", report=notice.report)
    if notice.kind == "Complaint":
        kind: Kind = "complaint" if notice.feedback_type != "not-spam" else "feedback"
        return replace(base, kind=kind, complaint_addresses=notice.addresses,
                       feedback_type=notice.feedback_type)  # fmt: skip
    return replace(base, reason=f"an Amazon SES notification of type {notice.kind!r} "
                                "that names no address")  # fmt: skip
