"""Which column of a list holds what: the address, the name, and the personal fields.

Headers are matched case-insensitively in the spellings Swedish and English exports
use. Further columns become personal fields whose keys are identifiers templates can
use: lower-case ASCII, å/ä → a, ö → o, é → e, anything else → `_` (`Län` → `lan`,
`E-post 2` → `e_post_2`).
"""

from __future__ import annotations

__all__ = ["Columns", "Fields", "field_key", "find_columns"]

import re
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from newsletter.errors import SubscriberError
from newsletter.translate import _

EMAIL = frozenset(
    {
        "email", "e_mail", "e_post", "epost", "mail", "e_postadress", "epostadress",
        "email_address", "e_mail_address", "emailadress", "e_mailadress", "mejl",
        "mejladress", "mailadress",
    }
)  # fmt: skip
NAME = frozenset({"name", "namn", "full_name", "fullstandigt_namn", "namn_och_efternamn"})
FIRST = frozenset({"fornamn", "first_name", "firstname", "given_name"})
LAST = frozenset({"efternamn", "last_name", "lastname", "surname", "family_name"})

_SPECIAL = str.maketrans({"æ": "ae", "ø": "o", "ß": "ss", "đ": "d", "ł": "l", "þ": "th"})
_NOT_WORD = re.compile(r"[^a-z0-9]+")


def field_key(header: str, /) -> str:
    """HEADER as a template identifier: lower-case ASCII letters, digits and `_`."""
    text = unicodedata.normalize("NFKD", header.strip().lower().translate(_SPECIAL))
    ascii_text = "".join(ch for ch in text if not unicodedata.combining(ch))
    key = _NOT_WORD.sub("_", ascii_text.encode("ascii", "ignore").decode()).strip("_")
    return f"column_{key}" if key[:1].isdigit() else key


class Fields(Mapping[str, str]):
    """A row's personal fields: its own values, the keys shared with every row of its list.

    A dict a row would cost about 200 bytes (100,000 rows: 20 MB); this costs half.
    """

    __slots__ = ("_keys", "_values")

    def __init__(self, keys: Mapping[str, int], values: tuple[str, ...], /) -> None:
        self._keys, self._values = keys, values

    def __getitem__(self, key: str) -> str:
        return self._values[self._keys[key]]

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)

    def __repr__(self) -> str:
        return f"Fields({dict(self)!r})"


@dataclass(frozen=True, slots=True)
class Columns:
    """Column positions (0-based) and the personal field key of every further column."""

    email: int
    name: int | None
    first_name: int | None
    last_name: int | None
    fields: tuple[tuple[int, str], ...]

    @property
    def width(self) -> int:
        positions = [self.email, self.name, self.first_name, self.last_name]
        return 1 + max([p for p in positions if p is not None] + [i for i, _ in self.fields])

    def name_of(self, cells: list[str]) -> str:
        """The subscriber's name: the name column, else first and last name joined."""
        if self.name is not None:
            return _cell(cells, self.name)
        parts = (_cell(cells, i) for i in (self.first_name, self.last_name) if i is not None)
        return " ".join(part for part in parts if part)


def _cell(cells: list[str], index: int) -> str:
    return " ".join(cells[index].split()) if index < len(cells) else ""


def find_columns(header: list[str], label: str, line: int) -> Columns:
    """The columns of HEADER; SubscriberError when no column holds the address."""
    keys = [field_key(cell) for cell in header]
    email = _first(keys, EMAIL)
    if email is None:
        found = ", ".join(repr(cell.strip()) for cell in header if cell.strip()) or "none"
        raise SubscriberError(
            _(
                "{label}:{line}: no column holds the e-mail addresses (columns: {found}). Name "
                "that column 'email' or 'e-post' in the first row."
            ).format(label=label, line=line, found=found)
        )
    name, first, last = _first(keys, NAME), _first(keys, FIRST), _first(keys, LAST)
    taken = {email, name}
    fields: list[tuple[int, str]] = []
    used: set[str] = set()
    for index, key in enumerate(keys):
        if index in taken or not header[index].strip():
            continue
        key = key or f"column_{index + 1}"
        unique, number = key, 1
        while unique in used:
            number += 1
            unique = f"{key}_{number}"
        used.add(unique)
        fields.append((index, unique))
    return Columns(email, name, first, last, tuple(fields))


def _first(keys: list[str], wanted: frozenset[str]) -> int | None:
    return next((index for index, key in enumerate(keys) if key in wanted), None)
