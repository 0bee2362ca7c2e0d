"""The fields of a delivery report (RFC 3464, RFC 6533), read as servers really write them.

Besides the standard form this reads the usual deviations: a delivery-status part
inside multipart/mixed or under a multipart/report without report-type; AOL's one
block for the per-message and per-recipient fields; MessageLabs' continuation lines
without indent; Mimecast's `Field : value`; `Action: failure`; a `LOCAL;` or bare
Final-Recipient; a Status with an SMTP reply instead of an RFC 3463 code; and the
fields quoted in the text of a report that has no delivery-status part at all.
"""

from __future__ import annotations

__all__ = ["STATUS_CODE", "normal_action", "read_fields", "status_code", "status_texts"]

import base64
import quopri
import re
from collections.abc import Iterator
from email.message import Message

from newsletter.bounces.report import RecipientStatus
from newsletter.bounces.text import addresses_in, flat, part_text, report_parts

STATUS_CODE = re.compile(r"(?<![\d.])([245])\.(\d{1,3})\.(\d{1,3})(?![\d.])")
_REPLY_CODE = re.compile(r"(?<![\w.#\[-])([245])\d\d(?=[\s:-]|$)")
_SPACE = re.compile(r"\s|@.*@")
_FIELD = re.compile(r"^([A-Za-z][A-Za-z0-9-]{0,60})[ \t]*:[ \t]*(.*)$")
_DIAGNOSTIC_TYPE = re.compile(r"^[A-Za-z][A-Za-z0-9-]*\s*;\s*")  # "smtp; " (RFC 3464 2.3.6)
_KINDS = {"message/delivery-status", "message/global-delivery-status", "text/delivery-status"}
# Fields of one recipient (RFC 3464 part 2.3 and common extensions); the rest are the
# report's own (part 2.2).
_PER_RECIPIENT = {
    "original-recipient", "final-recipient", "action", "status", "remote-mta",
    "diagnostic-code", "last-attempt-date", "final-log-id", "will-retry-until",
    "x-actual-recipient", "x-supplementary-info", "x-display-name",
}  # fmt: skip
_STARTS = {"original-recipient", "final-recipient"}
_ACTIONS = {
    "failed": "failed", "failure": "failed", "fail": "failed", "expired": "failed",
    "bounced": "failed", "undeliverable": "failed", "rejected": "failed",
    "delayed": "delayed", "delay": "delayed", "deferred": "delayed", "transient": "delayed",
    "delivered": "delivered", "deliver": "delivered", "success": "delivered",
    "relayed": "relayed", "expanded": "expanded",
}  # fmt: skip
_LONGEST = 1000


def status_texts(message: Message, /) -> Iterator[str]:
    """The text of every delivery-status part of MESSAGE, wherever it is nested."""
    for kind, part in report_parts(message):
        if kind in _KINDS:
            yield _status_text(part)


def _status_text(part: Message) -> str:
    payload = part.get_payload()
    encoding = str(part.get("Content-Transfer-Encoding", "")).strip().lower()
    if isinstance(payload, list):
        # The email package parses message/delivery-status into one Message per block,
        # even when the part is encoded (some gateways encode every part).
        text = "\n\n".join(_block_text(block) for block in payload if isinstance(block, Message))
        return _decoded(text, encoding)
    return part_text(part)


def _decoded(text: str, encoding: str) -> str:
    data = text.encode("utf-8", "replace")
    try:
        if encoding == "base64":
            data = base64.b64decode(data, validate=False)
        elif encoding == "quoted-printable":
            data = quopri.decodestring(data)
    except ValueError:
        return text
    return data.decode("utf-8", "replace")


def _block_text(block: Message) -> str:
    # A line the parser did not take for a field ends its headers: it is kept as the body.
    rest = block.get_payload()
    fields = "\n".join(f"{name}: {value}" for name, value in block.items())
    return f"{fields}\n{rest}" if isinstance(rest, str) and rest.strip() else fields


def read_fields(text: str, /) -> list[RecipientStatus]:
    """The recipients TEXT's report fields name, each with its action, status and diagnostic."""
    return [found for block in _blocks(_fields(text)) if (found := _recipient(block))]


def _fields(text: str) -> Iterator[tuple[str, str]]:
    """(lower-case name, value) of each field, continuation lines joined; ("", "") at a
    blank line, which ends a block of fields."""
    name, value, open_ = "", "", False
    for line in text.splitlines():
        if not line.strip():
            if name:
                yield name, value
            name, value, open_ = "", "", False
            yield "", ""
            continue
        match = _FIELD.match(line)
        if match and (not line[:1].isspace()):
            if name:
                yield name, value
            name, value, open_ = match[1].lower(), match[2], True
        elif name and (line[:1].isspace() or open_):
            # Indented (RFC 5322 folding) or, as MessageLabs writes them, not indented.
            value += " " + line.strip()
    if name:
        yield name, value


def _blocks(fields: Iterator[tuple[str, str]]) -> Iterator[dict[str, str]]:
    """The per-recipient blocks: a blank line ends one, and so does a field that comes again
    (servers that write every recipient in one block, AOL's per-message fields in it too)."""
    current: dict[str, str] = {}
    for name, value in fields:
        if (not name or name in current) and current.keys() & _STARTS:
            yield current
            current = {}
        if name in _PER_RECIPIENT:
            current[name] = value
    if current.keys() & _STARTS:
        yield current


def _recipient(block: dict[str, str]) -> RecipientStatus | None:
    final = _address(block.get("final-recipient", ""))
    original = _address(block.get("original-recipient", ""))
    address = final or original or _address(block.get("x-actual-recipient", ""))
    if not address:
        return None
    diagnostic = _DIAGNOSTIC_TYPE.sub("", flat(block.get("diagnostic-code", "")))
    status = status_code(flat(block.get("status", ""))) or status_code(diagnostic)
    action = normal_action(flat(block.get("action", "")), status)
    return RecipientStatus(
        recipient=address,
        action=action,
        status=status,
        diagnostic=diagnostic[:_LONGEST],
        original_recipient=original if original != address else "",
    )


def _address(value: str) -> str:
    """The address of `rfc822; anna@example.org` (RFC 3464 address-type; address)."""
    text = flat(value)
    typed = text.partition(";")[2].strip() or text
    found = addresses_in(typed)
    if found:
        return found[0]
    # An address the usual pattern refuses (an encoded word before the @, say) is still
    # the one the report names, as long as it is one word with one @.
    local, _, domain = typed.strip("<> ").partition("@")
    return f"{local}@{domain}" if local and "." in domain and not _SPACE.search(typed) else ""


def status_code(text: str, /, *, failures_only: bool = False) -> str:
    """The RFC 3463 code in TEXT ("5.1.1"), else its SMTP reply's class ("5.0.0"), else "".

    With FAILURES_ONLY, 2.x.x is not taken: in prose it is more often a version number.
    """
    for match in STATUS_CODE.finditer(text):
        if not failures_only or match[1] != "2":
            return ".".join(match.groups())
    for match in _REPLY_CODE.finditer(text[:400]):
        if not failures_only or match[1] != "2":
            return f"{match[1]}.0.0"
    return ""


def normal_action(action: str, status: str) -> str:
    """The RFC 3464 action a server meant; from the status class when it wrote none."""
    word = action.lower().split(" ")[0].strip(".;") if action else ""
    if word in _ACTIONS:
        return _ACTIONS[word]
    return {"5": "failed", "4": "delayed", "2": "delivered"}.get(status[:1], "failed")
