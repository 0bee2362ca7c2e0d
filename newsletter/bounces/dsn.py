"""Delivery status notifications: which recipient failed, how badly, for which message.

A report's fields (RFC 3464, however deviant; see bounces.rfc3464) are read first;
a report without them is read as prose (bounces.prose). Either way the returned
message's headers are found (bounces.original), and each recipient's failure is
judged by bounces.diagnosis. A report that names no address is none of ours to act on.
"""

from __future__ import annotations

__all__ = [
    "DeliveryReport",
    "Original",
    "RecipientStatus",
    "parse_report",
    "reporter",
    "severity",
]

import re
from dataclasses import replace
from email import message_from_string, policy
from email.message import Message
from email.utils import getaddresses

from newsletter.bounces.diagnosis import diagnose, stage_of
from newsletter.bounces.original import headers_of, original_of, split_copy
from newsletter.bounces.prose import SYSTEM_LOCAL_PARTS, looks_like_a_report, read_prose, sections
from newsletter.bounces.report import DeliveryReport, Original, RecipientStatus
from newsletter.bounces.rfc3464 import read_fields, status_texts
from newsletter.bounces.text import addresses_in, flat, message_text, report_parts

_GMAIL_ID = re.compile(r"^X-Original-Message-ID:\s*(<[^<>\s]+>)", re.IGNORECASE | re.MULTILINE)
_OWN = ("From", "Reply-To", "Sender", "Return-Path", "To", "Cc")
_QUOTED_REPORT = re.compile(
    r"^From:.*\b(?:mailer-daemon|postmaster)@", re.IGNORECASE | re.MULTILINE
)


def severity(action: str, status: str, diagnostic: str = "", stage: str = "") -> str:
    """hard: never mail again; soft: count it; sender: our fault; none: no failure."""
    return diagnose(action, status, diagnostic, stage).verdict


def reporter(message: Message, /) -> str:
    """The report's From address, e.g. MAILER-DAEMON@mx.example.org."""
    found = getaddresses([str(message.get("From", ""))])
    return found[0][1] if found else ""


def parse_report(
    message: Message, /, *, text: str | None = None, depth: int = 0
) -> DeliveryReport | None:
    """The delivery report MESSAGE is, or None when it is none (or names no address).

    TEXT is MESSAGE's own text (text.message_text), where the caller has it already.
    """
    text = message_text(message) if text is None else text
    notice, copy = split_copy(text)
    statuses = list(status_texts(message))
    original = _original(message, copy, statuses)
    form = "RFC 3464"
    recipients = [r for status in statuses for r in read_fields(status)]
    if not recipients:
        recipients = read_fields(notice)  # the fields quoted in the text of the report
    not_recipients = _not_recipients(message, original)
    if recipients:
        recipients = _with_prose(notice, recipients)
    elif statuses or looks_like_a_report(message, notice):
        form = "text"
        recipients = read_prose(message, notice, not_recipients=not_recipients)
        if not recipients and (inner := _returned_report(message, copy, depth)) is not None:
            return inner  # a report forwarded as the attachment or in the text of another
        if not recipients and len(original.to) == 1:
            # "Delivery report unavailable", "No valid recipients for this MM": the report
            # names nobody, the message it returns names one recipient.
            words = flat(notice)[:1000]
            recipients = [RecipientStatus(original.to[0], "failed", "", words)]
    if not recipients:
        return None
    domains = _our_domains(message, original)
    recipients = [replace(r, our_domains=_other_than(r, domains)) for r in recipients]
    return DeliveryReport(form, reporter(message), _unique(recipients), original)


def _returned_report(message: Message, copy: str, depth: int) -> DeliveryReport | None:
    """The report a report returns (a bounce forwarded by a mail program or a help desk)."""
    if depth:
        return None
    for kind, part in report_parts(message):
        payload = part.get_payload() if kind == "message/rfc822" else None
        inner = payload[0] if isinstance(payload, list) and payload else None
        if isinstance(inner, Message) and _is_report(inner):
            return parse_report(inner, depth=depth + 1)
    start = copy.find("\n")
    if start < 0 or not _QUOTED_REPORT.search(copy[:4000]):
        return None
    quoted = message_from_string(copy[start + 1 :].lstrip(), policy=policy.compat32)
    return parse_report(quoted, depth=depth + 1)


def _is_report(message: Message) -> bool:
    sender = reporter(message).partition("@")[0].lower()
    return message.get_content_type() == "multipart/report" or sender in SYSTEM_LOCAL_PARTS


def _original(message: Message, copy: str, statuses: list[str]) -> Original:
    original = original_of(headers_of(message, copy))
    if not original.message_id:
        # Gmail names the returned message here when it returns no headers.
        found = next((m[1] for s in statuses if (m := _GMAIL_ID.search(s))), "")
        original = replace(original, message_id=found)
    return original


def _our_domains(message: Message, original: Original) -> tuple[str, ...]:
    """The sending domains: of the returned message's sender, and of whom the report is for."""
    values = " ".join(str(v) for name in ("To", "Delivered-To") for v in message.get_all(name, []))
    found = [*original.senders, *addresses_in(values)]
    return tuple(dict.fromkeys(a.rpartition("@")[2].lower() for a in found))


def _other_than(recipient: RecipientStatus, domains: tuple[str, ...]) -> tuple[str, ...]:
    # Mail to a reader at our own domain: the reply naming that domain is about the reader.
    mine = {
        a.rpartition("@")[2].lower() for a in (recipient.recipient, recipient.original_recipient)
    }
    return tuple(d for d in domains if d not in mine)


def _not_recipients(message: Message, original: Original) -> set[str]:
    """The report's own addresses and the returned message's sender: never a recipient."""
    values = " ".join(str(v) for name in _OWN for v in message.get_all(name, []))
    return {address.lower() for address in addresses_in(values)} | set(original.senders)


def _with_prose(notice: str, fields: list[RecipientStatus]) -> list[RecipientStatus]:
    """FIELDS with what the prose says of each: the SMTP stage, the words if they have none.

    Postfix, for one, leaves "(in reply to RCPT TO command)" out of Diagnostic-Code.
    """
    texts = dict(sections(notice, [r.recipient for r in fields]))
    filled = []
    for recipient in fields:
        words = texts.get(recipient.recipient, "")
        stage = stage_of(recipient.diagnostic) or stage_of(words)
        diagnostic = recipient.diagnostic or flat(words)[:1000]
        filled.append(replace(recipient, diagnostic=diagnostic, stage=stage))
    return filled


def _unique(recipients: list[RecipientStatus]) -> tuple[RecipientStatus, ...]:
    """One status per address: the first that has a status code, else the first."""
    found: dict[str, RecipientStatus] = {}
    for recipient in recipients:
        key = recipient.recipient.lower()
        if key not in found or (recipient.status and not found[key].status):
            found[key] = recipient
    return tuple(found.values())
