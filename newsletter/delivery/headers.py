"""Header lines for the messages, fast where the email package is slow, right where it errs.

Every header made from free text (the subject, the From and To display names, List-Id's
name, Feedback-ID) is written here, never by the email package, for three reasons:

- The text is the editor's or the subscriber's *text*. The email package reads
  `=?utf-8?q?x=0D=0ABcc:_victim@evil.example?=` in it as an encoded word and folds the
  decoded line break into the header: injected headers, a body replaced. Here, text that
  holds `=?` is itself encoded, so a mail program shows it as written.
- RFC 2047 6.2: white space between two encoded words is dropped when shown. Python
  3.11-3.13 fold a subject into adjacent encoded words where the text had a space
  (CPython gh-144156): "våravänorter". Here a text that needs encoding is encoded whole,
  every space inside an encoded word ("_"), the words split only where a line is full,
  and then inside a word of the text, not at a space.
- Round trip: what a mail program decodes equals what was written, for every text
  (tests/delivery/test_headers.py proves it with hypothesis, decoding as
  email.policy.default does).

In From and To the display name is parsed as an address phrase, where CPython (3.11 at
least) keeps the white space between two encoded words that RFC 2047 drops. So there a
name is written as words: those that are plain ASCII atoms as they are, each run of the
others as one encoded word; no two encoded words are ever adjacent, and both readings
agree. Plain ASCII text without `=?` is written as it is everywhere, folded at single
spaces (a phrase quoted where it needs it). The link headers are registered in POLICY
so the email package folds them between URLs, never encoded.
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
    "phrase_line",
    "unstructured_line",
]

import base64
import re
from email import policy
from email.headerregistry import BaseHeader, HeaderRegistry
from typing import TYPE_CHECKING, Any

from newsletter.translate import _

if TYPE_CHECKING:
    from email.policy import Policy

CRLF = b"\r\n"
# RFC 5322 2.1.1: lines SHOULD be at most 78 characters.
HEADER_LINE_LENGTH = 78
# RFC 2047 2: an encoded word is at most 75 characters, a line holding one at most 76.
_WORD_LENGTH = 75
_ENCODED_LINE = 76

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_URL = re.compile(r"<[^<>]*>")
# A single space between two non-spaces: where a line may be folded without changing
# the text (RFC 5322 2.2.3: unfolding removes only the CRLF).
_FOLD_POINT = re.compile(r"(?<=[^ ]) (?=[^ ])")
# RFC 5322 3.2.3 atext: a phrase of these (and spaces) needs no quotes.
_ATOMS = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~ -]+")

# RFC 2047 5(3): in a phrase an encoded word may show only letters, digits and ! * + - /
# as they are; "_" is a space; everything else =XX. The strictest rule, used everywhere.
_Q_SAFE = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!*+-/")
_Q = tuple(chr(b) if b in _Q_SAFE else "_" if b == 0x20 else f"={b:02X}" for b in range(256))
_START, _END = "=?utf-8?q?", "?="
# RFC 5322 2.1.1: a line MUST NOT be longer than 998 characters.
_MOST = 998
_ATOM = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+")


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
            raise ValueError(
                _("a line break or control character in a link header: {value!r}").format(
                    value=value
                )
            )
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
    """One header of the tool's own ASCII text (a date, a message id), folded if long."""
    line = f"{name}: {value}"
    if len(line) <= HEADER_LINE_LENGTH and line.isascii():
        return line.encode("ascii") + CRLF
    return str(POLICY.fold(name, value)).encode("ascii")


def unstructured_line(name: str, text: str) -> bytes:
    """`Name: TEXT` for free text (Subject, Feedback-ID): as written, or encoded whole."""
    _refuse_breaks(text)
    if _plain(text):
        lines = _fold(f"{name}: ", _FOLD_POINT.split(text))
        if lines is not None:
            return _join(lines)
    return _join(_encoded(f"{name}: ", text))


def phrase_line(name: str, phrase: str, address: str) -> bytes:
    """`Name: PHRASE <ADDRESS>` in an address header (From, To); `Name: ADDRESS` alone
    without a phrase. ADDRESS must be ASCII (the caller makes a domain xn--)."""
    _refuse_breaks(phrase)
    if not phrase:
        return f"{name}: {address}".encode("ascii") + CRLF
    start = f"{name}: "
    lines = _plain_phrase(start, phrase) if _plain(phrase) else None
    if lines is None:
        lines = _fold(start, _phrase_words(phrase), most=_MOST)
    if lines is None:  # a name far longer than any real one: split, RFC 2047 style
        lines = _encoded(start, phrase)
    return _join(_with_address(lines, address))


def address_line(name: str, address: str) -> bytes:
    """`To: Name <address>`, the name as written or encoded (see the module's note)."""
    return phrase_line("To", name, address)


def list_id_line(name: str, list_id: str) -> bytes:
    """RFC 2919 `List-Id: Name <list.id>`, the name a phrase: as written, quoted, or
    encoded whole (mail programs read List-Id as unstructured text)."""
    _refuse_breaks(name)
    start = "List-Id: "
    lines = _plain_phrase(start, name) if _plain(name) else None
    return _join(_with_address(lines or _encoded(start, name), list_id))


def _plain_phrase(start: str, phrase: str) -> list[str] | None:
    """A plain ASCII phrase: atoms as they are, anything else quoted; folded at spaces."""
    quoted = phrase if _ATOMS.fullmatch(phrase) and "  " not in phrase else _quoted(phrase)
    return _fold(start, _FOLD_POINT.split(quoted))


def _phrase_words(phrase: str) -> list[str]:
    """PHRASE as words: ASCII atoms as they are, each run of other words one encoded word.

    Never two encoded words side by side: however a program treats the space between
    them, the name reads the same.
    """
    if "  " in phrase or phrase != phrase.strip():
        return [_encoded_word(phrase)]  # spaces an address parser would collapse
    words: list[str] = []
    run: list[str] = []
    for word in phrase.split(" "):
        if _ATOM.fullmatch(word) and "=?" not in word:
            if run:
                words.append(_encoded_word(" ".join(run)))
                run = []
            words.append(word)
        else:
            run.append(word)
    if run:
        words.append(_encoded_word(" ".join(run)))
    return words


def _encoded_word(text: str) -> str:
    """TEXT as one encoded word, Q or B, whichever is shorter (RFC 2047 4)."""
    q = _START + "".join(_Q[b] for b in text.encode("utf-8")) + _END
    b = "=?utf-8?b?" + base64.b64encode(text.encode("utf-8")).decode("ascii") + _END
    return q if len(q) <= len(b) else b


def _with_address(lines: list[str], address: str) -> list[str]:
    tail = f"<{address}>"
    if len(lines[-1]) + 1 + len(tail) <= HEADER_LINE_LENGTH:
        return [*lines[:-1], f"{lines[-1]} {tail}"]
    return [*lines, f" {tail}"]


def _refuse_breaks(text: str) -> None:
    if _CONTROL.search(text):
        raise ValueError(
            _("a line break or control character in a header: {text!r}").format(text=text)
        )


def _plain(text: str) -> bool:
    """Text that can go into a header as it is: printable ASCII, nothing like `=?`."""
    return text.isascii() and text.isprintable() and "=?" not in text


def _quoted(text: str) -> str:
    """RFC 5322 3.2.4 quoted-string: backslash and double quote escaped."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _fold(start: str, pieces: list[str], *, most: int = HEADER_LINE_LENGTH) -> list[str] | None:
    """START + PIECES joined by spaces, a line break before a space where a line is full;
    None when a piece alone makes a line longer than MOST."""
    lines = [start + pieces[0]]
    for piece in pieces[1:]:
        if len(lines[-1]) + 1 + len(piece) <= HEADER_LINE_LENGTH:
            lines[-1] += " " + piece
        else:
            lines.append(" " + piece)
    if any(len(line) > most for line in lines):
        return None
    return lines


def _encoded(start: str, text: str) -> list[str]:
    """START + TEXT as RFC 2047 Q encoded words, one line each, every space inside a word."""
    words = _encoded_words(text, _ENCODED_LINE - len(start))
    return [start + words[0], *(" " + word for word in words[1:])]


def _encoded_words(text: str, first: int) -> list[str]:
    """TEXT's characters, Q-encoded, in words of at most FIRST (then 75) characters.

    Never inside a character's UTF-8 bytes (RFC 2047 5). Where a word is full, it ends
    between two non-spaces when one of its last characters allows it, so no word starts
    or ends with a space.
    """
    room = min(first, _WORD_LENGTH) - len(_START) - len(_END)
    words: list[str] = []
    chars: list[str] = []  # the current word's characters
    codes: list[str] = []  # and their encoding
    size = 0
    for char in text:
        code = "".join(_Q[b] for b in char.encode("utf-8"))
        if size + len(code) > room and chars:
            cut = _cut(chars, char)
            words.append(_START + "".join(codes[:cut]) + _END)
            chars, codes = chars[cut:], codes[cut:]
            size = sum(map(len, codes))
            room = _WORD_LENGTH - len(_START) - len(_END)
        chars.append(char)
        codes.append(code)
        size += len(code)
    words.append(_START + "".join(codes) + _END)
    return words


def _cut(chars: list[str], following: str) -> int:
    """Where to end a full word: between two non-spaces among its last 8 characters if any."""
    for at in range(len(chars), max(len(chars) - 8, 0), -1):
        after = chars[at] if at < len(chars) else following
        if chars[at - 1] != " " and after != " ":
            return at
    return len(chars)


def _join(lines: list[str]) -> bytes:
    return ("\r\n".join(lines) + "\r\n").encode("ascii")
