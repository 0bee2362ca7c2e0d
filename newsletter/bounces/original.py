"""The message a report returns: its headers, wherever the report puts them.

RFC 3462 reports attach them as text/rfc822-headers or message/rfc822; most others
quote the message under a line such as "------ This is a copy of the message,
including all the headers. ------". Its Message-ID, X-Newsletter-Ref and
List-Unsubscribe token tie the report to the message we sent (see bounces.tie).
"""

from __future__ import annotations

__all__ = ["REF_HEADER", "headers_of", "original_of", "split_copy", "unsubscribe_token"]

import re
from email.message import Message
from email.parser import HeaderParser
from urllib.parse import parse_qs, urlsplit

from newsletter.audience.returnpath import HEADER
from newsletter.bounces.report import Original
from newsletter.bounces.text import addresses_in, flat, header_text, part_text, report_parts

# The signed per-recipient header every message carries.
REF_HEADER = HEADER
_HEADERS = {"text/rfc822-headers", "text/global-headers"}
_MESSAGES = {"message/rfc822", "message/global"}
# Lines that start the copy of the returned message in a prose report.
_COPY_MARKER = re.compile(
    r"^[\s>|*=_-]*(?:"
    r"(?:this is |here is |below (?:this line )?is |attached is |a |the )?(?:a )?copy of (?:the |"
    r"your )?(?:original |returned |undelivered )?(?:message|mail|e-?mail)"
    r"|(?:the )?(?:original|returned|undelivered|unsent|rejected|bounced) (?:message|mail|e-?mail)"
    r"(?: header\w*)?(?: (?:follows?|below|as follows|is attached|attached|is included))?\W*$"
    r"|(?:original|returned|unsent|undelivered) (?:message|mail|text)\w* "
    r"(?:follows?|below|headers?)"
    r"|(?:message|mail|original) headers? (?:follows?|below|of the original)"
    r"|(?:the )?headers? (?:and \S+ \S+ \S+ )?of the (?:original )?message"
    r"|included is a copy|your message reads|message text follows|attachment is a copy"
    r"|the first \d+ lines of (?:your|the) (?:original )?message|original mail as follows"
    r"|(?:mensaje|message|nachricht|messaggio) original"
    r"|content-type: (?:message/rfc822|text/rfc822-headers)"
    r")",
    re.IGNORECASE | re.MULTILINE,
)
# Headers only a message (not a report's summary of one) carries: a block of header
# lines with one of these is the returned message itself.
_MACHINE = re.compile(
    r"^(?:received|return-path|message-id|mime-version|dkim-signature|delivered-to|"
    r"content-type|x-[\w-]+|references|in-reply-to|list-id|list-unsubscribe)\s*:",
    re.IGNORECASE,
)
_HEADER_LINE = re.compile(r"^[A-Za-z][A-Za-z0-9-]{1,60}\s*:")
# The fields of a delivery report (RFC 3464) quoted in its text are no returned message.
_REPORT_FIELD = re.compile(
    r"^(?:final-recipient|original-recipient|action|status|reporting-mta|diagnostic-code|"
    r"remote-mta|arrival-date|x-postfix-[\w-]+|x-actual-recipient)\s*:",
    re.IGNORECASE,
)


def split_copy(text: str, /) -> tuple[str, str]:
    """(the report's own words, the copy of the returned message) of a prose report."""
    lines = text.splitlines(keepends=True)
    offset = 0
    for index, line in enumerate(lines):
        if _COPY_MARKER.match(line) or _starts_header_block(lines, index):
            return text[:offset], text[offset:]
        offset += len(line)
    return text, ""


def _starts_header_block(lines: list[str], index: int) -> bool:
    """True when LINES[INDEX:] begin with the headers of a message (two or more of them)."""
    if not _MACHINE.match(lines[index]):
        return False
    following = [line for line in lines[index : index + 8] if not line[:1].isspace()]
    if any(_REPORT_FIELD.match(line) for line in following):
        return False
    following = following[1:]
    return sum(1 for line in following[:3] if _HEADER_LINE.match(line)) >= 2


def headers_of(message: Message, text_copy: str = "", /) -> Message | None:
    """The returned message's headers: an attached part, else the quoted copy, else None."""
    for kind, part in report_parts(message):
        if kind in _HEADERS:
            return HeaderParser().parsestr(_unindent(part_text(part)).lstrip(), headersonly=True)
        if kind in _MESSAGES:
            inner = part.get_payload()
            if isinstance(inner, list) and inner and isinstance(inner[0], Message):
                return inner[0]
            if isinstance(inner, str) and inner.strip():
                return HeaderParser().parsestr(inner.lstrip(), headersonly=True)
    if text_copy:
        start = _first_header(text_copy)
        if start >= 0:
            return HeaderParser().parsestr(_unindent(text_copy[start:]), headersonly=True)
    return None


def _first_header(text: str) -> int:
    offset = 0
    for line in text.splitlines(keepends=True):
        if _MACHINE.match(line.lstrip()) or (offset and _HEADER_LINE.match(line.lstrip())):
            return offset
        offset += len(line)
    return -1


def _unindent(text: str) -> str:
    """Headers a report quoted with an indent (fml, some Exchange versions) as headers."""
    lines = text.splitlines(keepends=True)
    first = next((line for line in lines if line.strip()), "")
    indent = first[: len(first) - len(first.lstrip(" \t>"))]
    if not indent:
        return text
    return "".join(line[len(indent) :] if line.startswith(indent) else line for line in lines)


def original_of(headers: Message | None, /) -> Original:
    """The Message-ID, List-Id, To, Subject and our tokens of HEADERS."""
    if headers is None:
        return Original()
    to = addresses_in(" ".join(str(v) for v in headers.get_all("To", [])))
    senders = addresses_in(
        " ".join(
            str(v) for name in ("From", "Sender", "Return-Path") for v in headers.get_all(name, [])
        )
    )
    return Original(
        message_id=_message_id(headers.get("Message-ID", "")),
        list_id=_list_id(headers.get("List-Id", "")),
        to=tuple(a.lower() for a in to),
        subject=header_text(headers.get("Subject", "")),
        unsubscribe_token=unsubscribe_token(headers.get("List-Unsubscribe", "")),
        refs=tuple(flat(v) for v in headers.get_all(REF_HEADER, []) if flat(v)),
        return_path=_return_path(headers.get("Return-Path", "")),
        senders=tuple(a.lower() for a in senders),
    )


def _message_id(value: object) -> str:
    text = flat(value)
    match = re.search(r"<[^<>\s]+>", text)
    return match[0] if match else text


def _return_path(value: object) -> str:
    found = addresses_in(flat(value))
    return found[0].lower() if found else ""


def unsubscribe_token(value: object, /) -> str:
    """The token of our `List-Unsubscribe: <https://…/u/TOKEN>, <mailto:…>` (RFC 2369)."""
    links: list[str] = re.findall(r"<([^<>]+)>", str(value or ""))
    for link in links:
        url = urlsplit("".join(link.split()))
        if url.scheme in {"http", "https"} and "/u/" in url.path:
            return url.path.rpartition("/u/")[2].strip("/")
        if url.scheme == "mailto":
            subject = parse_qs(url.query).get("subject", [""])[0].split()
            if len(subject) == 2 and subject[0].lower() == "unsubscribe":
                return subject[1]
    return ""


def _list_id(value: object) -> str:
    """The id of `Name <id.example.org>` (RFC 2919)."""
    text = flat(value)
    match = re.search(r"<([^<>]+)>", text)
    return (match[1] if match else text).strip().lower()
