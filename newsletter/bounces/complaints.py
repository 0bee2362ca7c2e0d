"""Spam complaints and feedback reports: ARF (RFC 5965) and Hotmail's older form.

An ARF report may name several recipients (one Original-Rcpt-To each); every one of
them complained. `Feedback-Type: opt-out` (and `opt-out-list`) asks to be taken off
the list: an unsubscribe, not a complaint. Providers often hide the recipient; then
the message the report returns ties it to whom we sent it (bounces.tie).
"""

from __future__ import annotations

__all__ = ["Feedback", "read_feedback"]

from dataclasses import dataclass
from email.message import Message

from newsletter.bounces.original import headers_of, original_of
from newsletter.bounces.report import Original
from newsletter.bounces.text import addresses_in, flat, header_text, part_text, report_parts

COMPLAINTS = {"abuse", "fraud"}
OPT_OUT = {"opt-out", "opt-out-list"}
_HOTMAIL_RECIPIENT = "X-HmXmrOriginalRecipient"
_RECIPIENT_FIELDS = ("original-rcpt-to", "removal-recipient")


@dataclass(frozen=True, slots=True)
class Feedback:
    """What a feedback report says: its type, whom it names, and the message it returns."""

    feedback_type: str  # abuse, fraud, opt-out, auth-failure, not-spam, ...
    addresses: tuple[str, ...]
    original: Original
    form: str  # "ARF", "Hotmail"

    @property
    def complaint(self) -> bool:
        return self.feedback_type in COMPLAINTS

    @property
    def opt_out(self) -> bool:
        return self.feedback_type in OPT_OUT


def read_feedback(message: Message, /) -> Feedback | None:
    """The feedback report MESSAGE is, or None when it is none."""
    kind = "message/feedback-report"
    part = next((p for found, p in report_parts(message) if found == kind), None)
    if part is not None:
        return _arf(message, part)
    return _hotmail(message)


def _arf(message: Message, part: Message) -> Feedback:
    fields = dict(_fields(_text(part)))
    feedback_type = fields.get("feedback-type", [""])[0].lower()
    named = [a for name in _RECIPIENT_FIELDS for v in fields.get(name, []) for a in addresses_in(v)]
    original = original_of(headers_of(message))
    if not named:
        named = [a for a in original.to if addresses_in(a)]
    return Feedback(feedback_type, _unique(named), original, "ARF")


def _text(part: Message) -> str:
    payload = part.get_payload()
    if isinstance(payload, list):
        blocks = [b for b in payload if isinstance(b, Message)]
        lines = [f"{k}: {v}" for block in blocks for k, v in block.items()]
        rest = [b.get_payload() for b in blocks if isinstance(b.get_payload(), str)]
        return "\n".join(lines + [str(r) for r in rest])
    return part_text(part)


def _fields(text: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in text.splitlines():
        name, colon, value = line.partition(":")
        if colon and name.strip() and not name[:1].isspace():
            found.setdefault(name.strip().lower(), []).append(flat(value))
    return found


def _hotmail(message: Message) -> Feedback | None:
    """Hotmail's complaints before ARF: the message attached, the recipient in a header."""
    for kind, part in report_parts(message):
        if kind != "message/rfc822":
            continue
        inner = part.get_payload()
        headers = inner[0] if isinstance(inner, list) and inner else None
        if isinstance(headers, Message) and _HOTMAIL_RECIPIENT in headers:
            named = addresses_in(header_text(headers[_HOTMAIL_RECIPIENT]))
            return Feedback("abuse", _unique(named), original_of(headers), "Hotmail")
    return None


def _unique(addresses: list[str]) -> tuple[str, ...]:
    seen: dict[str, str] = {}
    for address in addresses:
        seen.setdefault(address.lower(), address.lower())
    return tuple(seen.values())
