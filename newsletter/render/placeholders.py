"""Placeholders: what rendering leaves where each recipient's values go.

Rendering runs once per issue and leaves placeholders: short runs of letters and
digits that survive markdown, MJML, premailer and URL escaping untouched. Each one
carries a marker derived from the issue's content, so no text an editor writes can
pass for one. Filling them is a join over precomputed pieces: microseconds a message.
"""

from __future__ import annotations

__all__ = ["Placeholders"]

import hashlib
import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from newsletter.content.model import Issue

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
        from newsletter.content.fieldtypes import PERSONAL_FIELD

        return PERSONAL_FIELD.sub(lambda match: self(match.group(1)), text)

    def url_keys(self, html: str, /) -> set[str]:
        """The keys whose value HTML uses as a whole link address (`href="{{ website }}"`)."""
        starts = re.findall(rf'(?:href|src)="z{self.marker}([0-9a-f]+)y', html)
        return {bytes.fromhex(hexkey).decode() for hexkey in starts}

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
