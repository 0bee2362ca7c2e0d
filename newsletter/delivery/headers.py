"""Header lines for the messages, fast where the email package is slow, right where it errs.

The email package folds a long unstructured header into RFC 2047 encoded words, which
breaks the URLs of List-Unsubscribe; and its address folding costs milliseconds a
message. POLICY registers the link headers as such; address_line and header_line
write the common short cases directly and leave the rest to the email package.
"""

from __future__ import annotations

__all__ = [
    "CRLF",
    "HEADER_LINE_LENGTH",
    "POLICY",
    "address_line",
    "clean_name",
    "fold_urls",
    "header_line",
    "list_id_line",
]

import re
from email import policy
from email.charset import Charset
from email.header import Header
from email.headerregistry import BaseHeader, HeaderRegistry
from email.utils import formataddr
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from email.policy import Policy

CRLF = b"\r\n"
# RFC 5322 2.1.1: lines SHOULD be at most 78 characters.
HEADER_LINE_LENGTH = 78

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_UTF8 = Charset("utf-8")
_URL = re.compile(r"<[^<>]*>")


class _UrlListHeader(BaseHeader):
    """RFC 2369/5064 headers (`<url>, <url>`): folded between the URLs, never encoded.

    The email package treats these as unstructured text and turns a long one into
    RFC 2047 encoded words, which no mail client reads as an unsubscribe address.
    An address longer than a line stays whole: a line break inside it would break it.
    """

    max_count = 1

    @classmethod
    def parse(cls, value: str, kwds: dict[str, Any]) -> None:
        if _CONTROL.search(value):
            raise ValueError(f"a line break or control character in a link header: {value!r}")
        kwds["parse_tree"] = None
        kwds["decoded"] = value

    def fold(self, *, policy: Policy) -> str:
        return fold_urls(self.name, _URL.findall(str(self)), policy.linesep)


def fold_urls(name: str, addresses: list[str], linesep: str = "\r\n") -> str:
    """`Name: <url>,` + linesep + ` <url>` + linesep: one angle-bracketed URL a line."""
    return f"{name}: " + f",{linesep} ".join(addresses) + linesep


_REGISTRY = HeaderRegistry()
for _name in ("list-unsubscribe", "list-archive", "archived-at", "list-post", "list-help"):
    _REGISTRY.map_to_type(_name, _UrlListHeader)
POLICY = policy.SMTP.clone(header_factory=_REGISTRY)
"""CRLF line ends, headers folded at 78 characters, link headers kept usable."""


def clean_name(name: str) -> str:
    """A display name fit for a header: control characters and line breaks become spaces."""
    return " ".join(_CONTROL.sub(" ", name).split())


def header_line(name: str, value: str) -> bytes:
    """One header, folded by the email package unless it is short ASCII already."""
    line = f"{name}: {value}"
    if len(line) <= HEADER_LINE_LENGTH and line.isascii():
        return line.encode("ascii") + CRLF
    return str(POLICY.fold(name, value)).encode("ascii")


def list_id_line(name: str, list_id: str) -> bytes:
    """RFC 2919 `List-Id: Name <list.id>`, the name quoted or RFC 2047-encoded as it needs.

    Not through the email package's header classes: they take List-Id for unstructured
    text, decode the name and fold it again with its commas and colons bare, which a
    phrase cannot hold.
    """
    if name.isascii():
        # formataddr quotes a name with specials ("SKR:s ...") and escapes what it must.
        phrase = formataddr((name, list_id)).removesuffix(f" <{list_id}>")
        folded = Header(phrase, header_name="List-Id").encode(splitchars=" ", linesep="\r\n")
    else:
        folded = Header(name, _UTF8, header_name="List-Id").encode(linesep="\r\n")
    line = f"List-Id: {folded}"
    last = line.rpartition("\r\n")[2]
    space = " " if len(last) + len(list_id) + 3 <= HEADER_LINE_LENGTH else "\r\n "
    return f"{line}{space}<{list_id}>\r\n".encode("ascii")


def address_line(name: str, address: str) -> bytes:
    """`To: Name <address>`, the name RFC 2047-encoded where it is not ASCII."""
    value = formataddr((name, address), charset=_UTF8)
    room = HEADER_LINE_LENGTH - len("To: ")
    if len(value) <= room:
        return f"To: {value}\r\n".encode("ascii")
    phrase = value.removesuffix(f" <{address}>")
    if phrase != value and len(phrase) <= room:
        # Folded before the address, where the email package would fold it too; its
        # folding costs milliseconds, more than the whole rest of a message.
        return f"To: {phrase}\r\n <{address}>\r\n".encode("ascii")
    return header_line("To", value)
