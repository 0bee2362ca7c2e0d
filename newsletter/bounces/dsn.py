"""Delivery status notifications: which recipient failed, how badly, for which message.

RFC 3464 reports (multipart/report; report-type=delivery-status) are read field by
field; Postfix, Exchange Online and Gmail send these. Mail systems that send prose
instead (qmail, older Exim, Gmail to Gmail) are read heuristically, and only when the
text names both an address and an SMTP status: a guess never suppresses anyone.
The report's fields and the prose fallback share their rules, hence one longer module.
"""

from __future__ import annotations

__all__ = [
    "DeliveryReport",
    "Original",
    "RecipientStatus",
    "Severity",
    "header_text",
    "original_headers",
    "parse_report",
    "severity",
]

import base64
import quopri
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from email.header import decode_header, make_header
from email.message import EmailMessage, Message
from email.parser import HeaderParser
from email.utils import getaddresses
from typing import Literal
from urllib.parse import parse_qs, urlsplit

Severity = Literal["hard", "soft", "none"]

# RFC 3463 codes that say the mailbox is gone for good. 5.2.2 (mailbox full) and
# 5.7.x (policy: often our reputation, not the address) are counted as soft instead.
_HARD = {"5.1.0", "5.1.1", "5.1.2", "5.1.3", "5.1.6", "5.1.10", "5.2.1", "5.4.1", "5.4.4"}
_GONE = re.compile(
    r"user unknown|unknown (user|recipient)|no such (user|mailbox|recipient)|does not exist|"
    r"not found|mailbox (is )?(unavailable|disabled|inactive)|account (is )?disabled|"
    r"no mailbox here|invalid (recipient|mailbox)|is no longer (active|in use)|"
    r"does(n't| not) have an? \S+ account",  # Yahoo: "This user doesn't have a yahoo.com account"
    re.IGNORECASE,
)
_STATUS = re.compile(r"(?<![\d.])([245])\.(\d{1,3})\.(\d{1,3})(?![\d.])")
_PROSE_STATUS = re.compile(r"(?<![\d.])([45])\.(\d{1,3})\.(\d{1,3})(?![\d.])")
_REPLY = re.compile(r"(?:^|[\s:(])([45])\d\d[ :-]", re.MULTILINE)
# Server replies are short; a longer text is cut, so that no pattern runs over megabytes.
_LONGEST = 1000
_ADDRESS = re.compile(r"[^\s<>()\[\]:;,\"'@]{1,64}@[A-Za-z0-9.-]{1,252}\.[A-Za-z]{2,63}")
_DIAGNOSTIC_TYPE = re.compile(r"^[A-Za-z][A-Za-z0-9-]*\s*;\s*")  # "smtp; " (RFC 3464 2.3.6)
_TOKEN = re.compile(r"[\s<>()\[\]:;,\"']+")


@dataclass(frozen=True, slots=True)
class RecipientStatus:
    """One recipient's fields of a report (RFC 3464 part 2.3)."""

    recipient: str
    action: str  # failed, delayed, delivered, relayed, expanded
    status: str  # "5.1.1"; "" when the report gives none
    diagnostic: str = ""
    original_recipient: str = ""

    @property
    def severity(self) -> Severity:
        return severity(self.action, self.status, self.diagnostic)


@dataclass(frozen=True, slots=True)
class Original:
    """What the report returns of the message that bounced (often only its headers)."""

    message_id: str = ""
    list_id: str = ""
    to: tuple[str, ...] = ()
    subject: str = ""
    unsubscribe_token: str = ""  # from its List-Unsubscribe header


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    format: str  # "RFC 3464", "Exchange", "Gmail", "qmail", "plain text"
    reporter: str  # the report's From address, e.g. MAILER-DAEMON@mx.example.org
    recipients: tuple[RecipientStatus, ...]
    original: Original


def severity(action: str, status: str, diagnostic: str = "") -> Severity:
    """hard: never mail again; soft: count it; none: no failure (delivered, relayed, ...)."""
    action = action.lower()
    if action not in {"failed", "delayed"}:
        return "none"
    if action == "delayed" or status.startswith("4"):
        return "soft"
    if status in _HARD:
        return "hard"
    # 5.0.0 says only "permanent": the prose tells whose fault. A problem with our own
    # sender address (5.1.7, 5.1.8, "Sender domain not found") must never suppress readers.
    gone = _GONE.search(diagnostic) and "sender" not in diagnostic.lower()
    return "hard" if status == "5.0.0" and gone else "soft"


def parse_report(message: EmailMessage, /) -> DeliveryReport | None:
    """The delivery report MESSAGE is, or None when it is none (or cannot be read safely)."""
    if message.get_content_type() == "multipart/report":
        report_type = str(message.get_param("report-type", "") or "").lower()
        if report_type == "delivery-status":
            return _rfc3464(message)
    return _prose(message)


def _reporter(message: Message) -> str:
    found = getaddresses([str(message.get("From", ""))])
    return found[0][1] if found else ""


def _format(message: Message) -> str:
    if any(key.lower().startswith("x-ms-exchange") for key in message):
        return "Exchange"
    if _reporter(message).lower().endswith(("@googlemail.com", "@gmail.com")):
        return "Gmail"
    return "RFC 3464"


def _rfc3464(message: EmailMessage) -> DeliveryReport | None:
    kinds = {"message/delivery-status", "message/global-delivery-status"}
    status_part = next((p for p in message.walk() if p.get_content_type() in kinds), None)
    if status_part is None:
        return None
    blocks = list(_status_blocks(status_part))
    per_message = blocks[0] if blocks else Message()
    recipients = tuple(r for block in blocks[1:] if (r := _recipient(block)) is not None)
    if not recipients:
        return None
    original = original_headers(message)
    if not original.message_id:
        # Gmail names the bounced message here when it returns no headers.
        found = str(per_message.get("X-Original-Message-ID", "")).strip()
        original = replace(original, message_id=found)
    return DeliveryReport(_format(message), _reporter(message), recipients, original)


def _status_blocks(part: Message) -> Iterator[Message]:
    """The field blocks of a delivery-status part: per-message first, then per-recipient."""
    payload = part.get_payload()
    encoding = str(part.get("Content-Transfer-Encoding", "")).strip().lower()
    plain = encoding in {"", "7bit", "8bit", "binary"}
    if plain and part.get_content_type() == "message/delivery-status" and isinstance(payload, list):
        # The email package parses message/delivery-status into one Message per block.
        yield from (block for block in payload if isinstance(block, Message))
        return
    # message/global-delivery-status (RFC 6533) and encoded parts: split the text ourselves.
    for block in re.split(r"\r?\n[ \t]*\r?\n", _raw_text(payload, encoding).strip()):
        yield HeaderParser().parsestr(block.strip() + "\n")


def _raw_text(payload: object, encoding: str) -> str:
    """The text of a part the email package has already parsed as message(s)."""
    if isinstance(payload, list):
        text = "\n".join(m.as_string() for m in payload if isinstance(m, Message))
    else:
        text = str(payload or "")
    if encoding == "base64":
        return base64.b64decode(text, validate=False).decode("utf-8", "replace")
    if encoding == "quoted-printable":
        return quopri.decodestring(text.encode("utf-8")).decode("utf-8", "replace")
    return text


def _recipient(block: Message) -> RecipientStatus | None:
    final = _typed_address(block.get("Final-Recipient", ""))
    action = _flat(block.get("Action", "")).lower()
    if not final or not action:
        return None
    status_match = _STATUS.search(_flat(block.get("Status", "")))
    status = ".".join(status_match.groups()) if status_match else ""
    return RecipientStatus(
        recipient=final,
        action=action,
        status=status,
        diagnostic=_DIAGNOSTIC_TYPE.sub("", _flat(block.get("Diagnostic-Code", "")))[:_LONGEST],
        original_recipient=_typed_address(block.get("Original-Recipient", "")),
    )


def _flat(value: object) -> str:
    """VALUE on one line, without control characters: what a remote server wrote is
    printed to the operator's terminal, where an escape sequence would be obeyed."""
    text = str(value or "")
    return " ".join("".join(c if c.isprintable() else " " for c in text).split())


def _typed_address(value: object) -> str:
    """The address of `rfc822; anna@example.org` (RFC 3464 address-type; address)."""
    text = _flat(value)
    kind, _, address = text.partition(";")
    if not address:
        address = kind
    elif kind.strip().lower() not in {"rfc822", "utf-8"}:
        return ""
    return address.strip().strip("<>").strip()


def original_headers(message: Message, /) -> Original:
    """The returned message's Message-ID, List-Id, To and Subject, where a report holds them."""
    for part in message.walk():
        kind = part.get_content_type()
        if kind in {"text/rfc822-headers", "text/global-headers"}:
            raw = part.get_payload(decode=True)
            text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else ""
            return _original_from(HeaderParser().parsestr(text, headersonly=True))
        if kind in {"message/rfc822", "message/global"}:
            inner = part.get_payload()
            if isinstance(inner, list) and inner and isinstance(inner[0], Message):
                return _original_from(inner[0])
    return Original()


def _original_from(headers: Message) -> Original:
    to = tuple(address for _, address in getaddresses([str(v) for v in headers.get_all("To", [])]))
    return Original(
        message_id=_flat(headers.get("Message-ID", "")),
        list_id=_list_id(headers.get("List-Id", "")),
        to=tuple(a for a in to if a),
        subject=header_text(headers.get("Subject", "")),
        unsubscribe_token=_token(headers.get("List-Unsubscribe", "")),
    )


def _token(value: object) -> str:
    """The token of our `List-Unsubscribe: <https://…/u/TOKEN>, <mailto:…>` (RFC 2369)."""
    links: list[str] = re.findall(r"<([^<>]+)>", str(value or ""))
    for link in links:
        url = urlsplit(link.strip())
        if url.scheme in {"http", "https"} and "/u/" in url.path:
            return url.path.rpartition("/u/")[2].strip("/")
        if url.scheme == "mailto":
            subject = parse_qs(url.query).get("subject", [""])[0].split()
            if len(subject) == 2 and subject[0].lower() == "unsubscribe":
                return subject[1]
    return ""


def header_text(value: object, /) -> str:
    """An RFC 2047 encoded header as one line of text; as it stands when its encoding is broken."""
    try:
        return _flat(make_header(decode_header(str(value or ""))))
    except (LookupError, UnicodeError, ValueError):
        return _flat(value)


def _list_id(value: object) -> str:
    """The id of `Name <id.example.org>` (RFC 2919)."""
    text = _flat(value)
    match = re.search(r"<([^<>]+)>", text)
    return (match[1] if match else text).strip().lower()


# Prose bounces: what qmail, Exim and friends write when they write no report.
_PROSE_SUBJECT = re.compile(
    r"undeliver|delivery status notification|delivery (has )?failed|mail delivery failed|"
    r"failure notice|returned mail|returned to sender|olevererbar|kunde inte levereras",
    re.IGNORECASE,
)
_QMAIL_RECIPIENT = re.compile(r"^<([^<>\s@]+@[^<>\s@]+)>:\s*$", re.MULTILINE)
_FAILED_HEADING = re.compile(
    r"following (address\(es\)|addresses|recipients?) failed[^\n]*\n", re.IGNORECASE
)
_COPY = re.compile(
    r"^-+ ?(This is a copy of|Below this line is a copy of|Original message)", re.IGNORECASE | re.M
)


def _looks_like_a_bounce(message: Message) -> bool:
    local = _reporter(message).partition("@")[0].lower()
    return (
        local in {"mailer-daemon", "postmaster"}
        or "X-Failed-Recipients" in message
        or bool(_PROSE_SUBJECT.search(str(message.get("Subject", ""))))
    )


def _prose(message: EmailMessage) -> DeliveryReport | None:
    if not _looks_like_a_bounce(message):
        return None
    body = _plain_text(message)[: _LONGEST * 64]
    notice, _, copy = _split_copy(body)
    sections = _sections(message, notice)
    recipients = tuple(r for r in (_from_section(a, text) for a, text in sections) if r)
    if not recipients or len(recipients) != len(sections):
        return None  # an address without a status we can read: not a guess we act on
    kind = "qmail" if "qmail-send" in notice else _format(message)
    if kind == "RFC 3464":
        kind = "plain text"
    original = original_headers(message)
    if not original.message_id and copy:
        original = _original_from(HeaderParser().parsestr(copy.lstrip(), headersonly=True))
    return DeliveryReport(kind, _reporter(message), recipients, original)


def _plain_text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    if part is None:
        return ""
    raw = part.get_payload(decode=True)
    if not isinstance(raw, bytes):
        return ""
    try:
        return raw.decode(part.get_content_charset() or "us-ascii", "replace")
    except LookupError:  # a charset Python does not know
        return raw.decode("latin-1")


def _split_copy(body: str) -> tuple[str, str, str]:
    """(notice, marker, copy of the original) of a bounce that quotes the original inline."""
    match = _COPY.search(body)
    if not match:
        return body, "", ""
    rest = body[match.end() :].partition("\n")[2]
    return body[: match.start()], match[0], rest


def _sections(message: Message, notice: str) -> list[tuple[str, str]]:
    """(address, the text about it) for each failed address the prose names."""
    if matches := list(_QMAIL_RECIPIENT.finditer(notice)):
        ends = [m.start() for m in matches[1:]] + [len(notice)]
        return [(m[1], notice[m.end() : end]) for m, end in zip(matches, ends, strict=True)]
    failed = [a.strip() for a in str(message.get("X-Failed-Recipients", "")).split(",")]
    if heading := _FAILED_HEADING.search(notice):
        text = notice[heading.end() :]
        failed = failed if any(failed) else _addresses_in(text.split("\n\n")[0])
        return [(address, _around(text, address)) for address in failed if address]
    return [(address, notice) for address in failed if address]


def _addresses_in(text: str) -> list[str]:
    # Word by word: a pattern searched over the whole text would take quadratic time.
    return [word for word in _TOKEN.split(text) if _ADDRESS.fullmatch(word)]


def _around(text: str, address: str) -> str:
    at = text.find(address)
    return text[at : at + 600] if at >= 0 else text


def _from_section(address: str, text: str) -> RecipientStatus | None:
    if not _ADDRESS.fullmatch(address):
        return None
    diagnostic = _flat(text)[:500]
    if status := _PROSE_STATUS.search(text):
        code = ".".join(status.groups())
    elif reply := _REPLY.search(text):
        code = f"{reply[1]}.0.0"
    else:
        return None
    action = "delayed" if code.startswith("4") else "failed"
    return RecipientStatus(address, action, code, diagnostic)
