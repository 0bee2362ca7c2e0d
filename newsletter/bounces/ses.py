"""Amazon SES notifications (JSON, by mail through SNS or saved as .json files).

SES reports bounces and complaints as JSON: `notificationType` (SNS notifications) or
`eventType` (event publishing), either bare or wrapped in an SNS envelope whose
`Message` holds it as a string. The `mail` object says which message it was about:
its headers (when SES is set to include them) hold our Message-ID and
X-Newsletter-Ref, its `source` is the envelope sender (our VERP address).
"""

from __future__ import annotations

__all__ = ["SesNotice", "read_notice"]

import json
import re
from dataclasses import dataclass, field
from email.message import Message
from typing import Any

from newsletter.bounces.original import REF_HEADER, original_of
from newsletter.bounces.report import DeliveryReport, Original, RecipientStatus
from newsletter.bounces.rfc3464 import normal_action, status_code
from newsletter.bounces.text import addresses_in, flat

# Sendmail breaks lines longer than 990 characters with "!" and a folded line; SNS's
# mail passes through such relays.
_BROKEN_LINE = re.compile(r"!\r?\n ")
_LONGEST = 1000


@dataclass(frozen=True, slots=True)
class SesNotice:
    """A bounce (REPORT), a complaint (ADDRESSES) or another notice (KIND only)."""

    kind: str  # Bounce, Complaint, Delivery, Send, ...
    report: DeliveryReport | None = None
    addresses: tuple[str, ...] = ()
    feedback_type: str = ""
    original: Original = field(default_factory=Original)


def read_notice(text: str, /) -> SesNotice | None:
    """The SES notification TEXT holds (a mail body or a .json file), or None."""
    start, end = text.find("{"), text.rfind("}")
    if start < 0 or end < start:
        return None
    data = _json(_BROKEN_LINE.sub("", text[start : end + 1]))
    if isinstance(data, dict) and data.get("Type") == "Notification":
        data = _json(str(data.get("Message", "")))  # the SNS envelope
    if not isinstance(data, dict) or not isinstance(data.get("mail"), dict):
        return None
    kind = str(data.get("notificationType") or data.get("eventType") or "")
    original = _original(data["mail"])
    if kind == "Bounce":
        return SesNotice(kind, report=_bounce(_object(data, "bounce"), original), original=original)
    if kind == "Complaint":
        complaint = _object(data, "complaint")
        named = tuple(a.lower() for r in _list(complaint, "complainedRecipients")
                      for a in addresses_in(str(r.get("emailAddress", ""))))  # fmt: skip
        feedback = str(complaint.get("complaintFeedbackType") or "abuse").lower()
        return SesNotice(kind, addresses=named, feedback_type=feedback, original=original)
    if kind == "Delivery":
        delivery = _object(data, "delivery")
        recipients = tuple(
            RecipientStatus(str(a), "delivered", "2.0.0", flat(delivery.get("smtpResponse")))
            for a in delivery.get("recipients", []) if addresses_in(str(a))
        )  # fmt: skip
        report = DeliveryReport("Amazon SES", "Amazon SES", recipients, original)
        return SesNotice(kind, report=report if recipients else None, original=original)
    return SesNotice(kind or "unknown", original=original)


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None


def _object(data: dict[str, Any], name: str) -> dict[str, Any]:
    value = data.get(name)
    return value if isinstance(value, dict) else {}


def _list(data: dict[str, Any], name: str) -> list[dict[str, Any]]:
    value = data.get(name)
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _bounce(bounce: dict[str, Any], original: Original) -> DeliveryReport | None:
    kind = str(bounce.get("bounceType", ""))
    subtype = str(bounce.get("bounceSubType", ""))
    recipients = []
    for record in _list(bounce, "bouncedRecipients"):
        found = addresses_in(str(record.get("emailAddress", "")))
        if not found:
            continue
        diagnostic = flat(record.get("diagnosticCode", ""))
        status = status_code(flat(record.get("status", ""))) or status_code(diagnostic)
        # SES gives up on a "Transient" bounce only for now: never a reason to suppress.
        action = (
            "delayed"
            if kind == "Transient"
            else normal_action(flat(record.get("action", "")), status or "5")
        )
        words = diagnostic or f"Amazon SES: {kind} bounce ({subtype})"
        recipients.append(RecipientStatus(found[0], action, status, words[:_LONGEST]))
    if not recipients:
        return None
    return DeliveryReport("Amazon SES", "Amazon SES", tuple(recipients), original)


def _original(mail: dict[str, Any]) -> Original:
    """The sent message's headers as SES lists them, with its envelope sender."""
    headers = Message()
    for header in _list(mail, "headers"):
        name, value = str(header.get("name", "")), str(header.get("value", ""))
        if name and name.lower() in _KEPT:
            headers[name] = value.replace("\r", " ").replace("\n", " ")
    common = mail.get("commonHeaders")
    if "Message-ID" not in headers and isinstance(common, dict) and common.get("messageId"):
        headers["Message-ID"] = str(common["messageId"])
    if source := str(mail.get("source", "")):
        headers["Return-Path"] = f"<{source}>"
    return original_of(headers)


_KEPT = {"message-id", "to", "subject", "list-id", "list-unsubscribe", REF_HEADER.lower(),
         "from", "return-path"}  # fmt: skip
