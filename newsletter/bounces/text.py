"""The text of a returned message: its parts decoded whatever they claim, its addresses.

Mail servers write reports in every charset and structure there is (ISO-2022-JP,
HTML only, a text part with a Content-Disposition, no MIME at all). Nothing here
raises: a part that cannot be decoded is read as Latin-1, so that every report can at
least be listed. Everything meant for the operator's terminal goes through `flat`.
"""

from __future__ import annotations

__all__ = [
    "ADDRESS",
    "addresses_in",
    "flat",
    "header_text",
    "message_text",
    "part_text",
    "report_parts",
]

import html
import re
from collections.abc import Iterator
from email.header import decode_header, make_header
from email.message import Message
from functools import lru_cache

# A mailbox as reports write it; the local part without spaces or brackets.
ADDRESS = re.compile(
    r"[^\s<>()\[\]:;,\"'@|/\\=][^\s<>()\[\]:;,\"'@|/\\]{0,63}@[A-Za-z0-9][A-Za-z0-9.-]{0,251}\.[A-Za-z]{1,63}"
)
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_PREFIX = re.compile(r"^(?:smtp|rfc822|dda|ia5)=", re.IGNORECASE)
_WORD_SPLIT = re.compile(r"[\s<>()\[\]:;,\"'|]+")
_TAG = re.compile(r"<[^<>]{0,2000}>")
_BREAK = re.compile(r"<\s*(br|/p|/div|/tr|/li|/h\d)\b[^<>]{0,200}>", re.IGNORECASE)
_HIDDEN = re.compile(r"<(style|script|head)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
# Parts that hold the returned message, not the report about it.
_RETURNED = {"message/rfc822", "message/global", "text/rfc822-headers", "text/global-headers"}
_LONGEST_TEXT = 200_000


def flat(value: object, /) -> str:
    """VALUE on one line, without control characters: what a remote server wrote is
    printed to the operator's terminal, where an escape sequence would be obeyed."""
    text = str(value or "")
    if "\x1b$" in text:  # ISO-2022-JP written raw, as Japanese servers write their replies
        text = _iso2022_jp(text)
    text = _CONTROL.sub(" ", text)
    if not text.isprintable():  # rarer ones: format characters, unassigned code points
        text = "".join(c if c.isprintable() else " " for c in text)
    return " ".join(text.split())


def _iso2022_jp(text: str) -> str:
    try:
        return text.encode("ascii").decode("iso2022_jp_ext")
    except (UnicodeError, LookupError):
        return text


def header_text(value: object, /) -> str:
    """An RFC 2047 encoded header as one line of text; as it stands when its encoding is broken."""
    if "=?" not in str(value or ""):
        return flat(value)  # nothing encoded: decoding costs more than the rest of a header
    try:
        return flat(make_header(decode_header(str(value or ""))))
    except (LookupError, UnicodeError, ValueError, AssertionError):
        return flat(value)


def part_text(part: Message, /) -> str:
    """The decoded text of PART, in its charset, else UTF-8, else Latin-1; never raises."""
    try:
        raw = part.get_payload(decode=True)
    except (ValueError, TypeError, AssertionError):  # broken base64 or quoted-printable
        raw = None
    if not isinstance(raw, bytes):
        payload = part.get_payload()
        if isinstance(payload, list):
            return "\n".join(m.as_string() for m in payload if isinstance(m, Message))
        return str(payload or "")
    raw = raw[:_LONGEST_TEXT]
    for charset in (_charset(part), "utf-8"):
        if charset:
            try:
                return raw.decode(charset)
            except (LookupError, UnicodeDecodeError):
                continue
    return raw.decode("latin-1")


def _charset(part: Message) -> str:
    try:
        charset = part.get_content_charset() or ""
    except (LookupError, ValueError):
        return ""
    # Japanese reports often say iso-2022-jp and hold its extensions.
    return "iso2022_jp_ext" if charset.lower() == "iso-2022-jp" else charset


def message_text(message: Message, /) -> str:
    """The report's own text: its text/plain parts (or its HTML as text), not what it returns."""
    plain, markup = [], []
    for kind, part in report_parts(message):
        if kind in _RETURNED or kind.startswith(("message/", "multipart/")):
            continue
        if kind == "text/plain" or (kind.startswith("text/") and kind != "text/html"):
            plain.append(part_text(part))
        elif kind == "text/html":
            markup.append(html_as_text(part_text(part)))
    return "\n".join(plain or markup)


@lru_cache(maxsize=4)
def report_parts(message: Message, /) -> tuple[tuple[str, Message], ...]:
    """(content type, part) of MESSAGE and the parts inside it, but nothing inside the
    message a report returns: a bounce of a bounce holds a second report that is not
    about our message. Cached: every reader of a report walks it, and asking a part
    its type costs more than the rest of the walk."""
    return tuple(_walk(message))


def _walk(part: Message) -> Iterator[tuple[str, Message]]:
    kind = part.get_content_type()
    yield kind, part
    if kind.startswith("message/") or not part.is_multipart():
        return
    payload = part.get_payload()
    for child in payload if isinstance(payload, list) else []:
        if isinstance(child, Message):
            yield from _walk(child)


def html_as_text(markup: str, /) -> str:
    """Text of an HTML report: line breaks kept, tags dropped, entities decoded."""
    text = _HIDDEN.sub(" ", markup[:_LONGEST_TEXT])
    text = _BREAK.sub("\n", text)
    return html.unescape(_TAG.sub(" ", text))


def addresses_in(text: str, /) -> list[str]:
    """The addresses in TEXT, in order, each once (compared in lower case)."""
    # Word by word: a pattern searched over the whole text would take quadratic time.
    found: dict[str, str] = {}
    for word in _WORD_SPLIT.split(text):
        if "@" not in word or len(word) > 320:
            continue
        # X.400 gateways write "dda:SMTP=anna@example.org".
        word = _PREFIX.sub("", word.removeprefix("mailto:").strip(".`*"))
        if (match := ADDRESS.fullmatch(word)) is not None:
            found.setdefault(match[0].lower(), match[0])
    return list(found.values())
