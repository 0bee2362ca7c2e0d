"""Which number the next issue of a newsletter gets: the one after the latest in the year."""

from __future__ import annotations

__all__ = ["Numbered", "next_number", "numbered_issues"]

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from newsletter.content.loader import read_issue_text
from newsletter.content.yamlsource import parse_yaml
from newsletter.errors import NewsletterError


@dataclass(frozen=True, slots=True)
class Numbered:
    """An issue file of the newsletter that has a number: where, which year, which number."""

    path: Path
    year: int
    number: int


def numbered_issues(folder: Path, newsletter: str, /) -> Iterator[Numbered]:
    """The issue files in FOLDER of NEWSLETTER with a `number:`; unreadable files are passed
    over (validate reports them), as are those of other newsletters."""
    for path in sorted(folder.glob("*.y*ml")):
        try:
            data = parse_yaml(read_issue_text(path), str(path)).data
        except NewsletterError:
            continue
        if not isinstance(data, dict) or data.get("newsletter") != newsletter:
            continue
        number, year = data.get("number"), _year(data)
        if isinstance(number, int) and not isinstance(number, bool) and year is not None:
            yield Numbered(path, year, number)


def _year(data: dict[str, object]) -> int | None:
    year, date = data.get("year"), data.get("date")
    if isinstance(year, int) and not isinstance(year, bool):
        return year
    return date.year if isinstance(date, dt.date) else None


def next_number(folder: Path, newsletter: str, /, *, today: dt.date) -> tuple[int, int]:
    """(number, year) of NEWSLETTER's next issue: one after the highest of TODAY's year,
    or 1 in a year without issues yet."""
    numbers = [item.number for item in numbered_issues(folder, newsletter)
               if item.year == today.year]  # fmt: skip
    return max(numbers, default=0) + 1, today.year
