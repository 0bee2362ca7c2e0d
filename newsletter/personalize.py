"""Per-recipient values (name, unsubscribe and web addresses) filled into a rendered issue.

Rendering runs once per issue and leaves placeholders: short runs of letters and
digits that survive markdown, MJML, premailer and URL escaping untouched. Each one
carries a marker derived from the issue's content, so no text an editor writes can
pass for one. Filling them is a join over precomputed pieces: microseconds a message.
"""

from __future__ import annotations

__all__ = ["PERSONAL_FIELD", "Personal", "Personalizer", "Placeholders"]

import hashlib
import html
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from newsletter.i18n import label
from newsletter.model import Issue

if TYPE_CHECKING:
    from newsletter.render import RenderedIssue

# What an editor writes in issue text: {{ name }}, {{ kommun }}, {{ organisation }}.
PERSONAL_FIELD = re.compile(r"\{\{\s*([^\W\d][\w-]*)\s*\}\}")

# An empty value takes the space before it along: "Hej {{ name }}!" becomes "Hej!", never
# "Hej !". A line break counts: the text part may have been wrapped just there.
_SPACE_BEFORE = (" ", "\u00a0", "\n")


class Placeholders:
    """Makes the placeholder for a key, and finds placeholders again, for one issue."""

    def __init__(self, issue: Issue, /) -> None:
        digest = hashlib.sha256(b"newsletter-placeholder\0" + issue.model_dump_json().encode())
        self.marker = digest.hexdigest()[:12]
        # "z" and "y" are not hex digits: they end the marker's run and the key's.
        self.pattern = re.compile(rf"z{self.marker}([0-9a-f]+)y")

    def __call__(self, key: str) -> str:
        return f"z{self.marker}{key.encode().hex()}y"

    def fill_editor_text(self, text: str) -> str:
        """Replace the {{ field }} an editor wrote with placeholders."""
        return PERSONAL_FIELD.sub(lambda match: self(match.group(1)), text)

    def compile(self, text: str, /) -> _Compiled:
        pieces = self.pattern.split(text)
        literals = pieces[0::2]
        keys = [bytes.fromhex(hexkey).decode() for hexkey in pieces[1::2]]
        return _Compiled(literals, keys)


class _Compiled:
    """A text split at its placeholders, ready to be joined with one recipient's values."""

    __slots__ = ("_keys", "_last", "_pieces")

    def __init__(self, literals: list[str], keys: list[str]) -> None:
        self._pieces = [
            (lit, lit[:-1] if lit.endswith(_SPACE_BEFORE) else lit, key)
            for lit, key in zip(literals[:-1], keys, strict=True)
        ]
        self._keys = keys
        self._last = literals[-1]

    @property
    def keys(self) -> list[str]:
        return self._keys

    def fill(self, values: Mapping[str, str], escape: Callable[[str], str]) -> str:
        out = []
        for literal, trimmed, key in self._pieces:
            value = values.get(key, "")
            out.append(f"{literal}{escape(value)}" if value else trimmed)
        out.append(self._last)
        return "".join(out)


@dataclass(frozen=True, slots=True)
class Personal:
    """What one recipient's copy needs."""

    email: str
    name: str
    fields: Mapping[str, str]  # extra CSV columns (organisation, kommun, ...)
    unsubscribe_url: str
    web_url: str  # the issue's web version (urls.issue_url)


def _keep(text: str) -> str:
    return text


class Personalizer:
    """Compiled once per issue; personalize() fills in one recipient's values."""

    def __init__(self, rendered: RenderedIssue, /) -> None:
        self._placeholders = Placeholders(rendered.issue)
        self._html = self._placeholders.compile(rendered.html)
        self._text = self._placeholders.compile(rendered.text)
        language = rendered.issue.language
        self._mail_words = {
            "unsubscribe_label": label(language, "unsubscribe"),
            "unsubscribe_note": label(language, "unsubscribe_note"),
        }
        self._web_words = {
            "unsubscribe_label": label(language, "archive"),
            "unsubscribe_note": label(language, "web_unsubscribe"),
        }

    @property
    def fields(self) -> set[str]:
        """Every key the issue uses: name, email, the CSV columns an editor referred to, ..."""
        return set(self._html.keys) | set(self._text.keys)

    def personalize(self, personal: Personal, /) -> tuple[str, str]:
        """(html, text) of one recipient's copy."""
        values = {
            **personal.fields,
            **self._mail_words,
            "name": personal.name.strip(),
            "email": personal.email,
            "unsubscribe_url": personal.unsubscribe_url,
            "web_url": personal.web_url,
        }
        return self._fill(values)

    def web_version(self, web_url: str, archive_url: str) -> tuple[str, str]:
        """The public page: no name, no address, no token; unsubscribing points to the archive."""
        return self._fill({**self._web_words, "web_url": web_url, "unsubscribe_url": archive_url})

    def _fill(self, values: Mapping[str, str]) -> tuple[str, str]:
        # Values are escaped in the HTML only: the text part shows them as they are.
        return self._html.fill(values, _html_escape), self._text.fill(values, _keep)


def _html_escape(text: str) -> str:
    return html.escape(text, quote=True)
