"""Dates as editors write them in prose: "Onsdag den 5 maj", "tisdag 9 juni", "29 maj",
"Tuesday 9 June 2021", "Wednesday, June 9". Weekday and month names come from babel, in
Swedish and English whatever the issue's language (editors quote both)."""

from __future__ import annotations

__all__ = ["ProseDate", "find_dates", "weekday_name"]

import datetime as dt
import re
from dataclasses import dataclass
from functools import cache

from babel.dates import get_day_names, get_month_names

_LANGUAGES = ("sv", "en")


@dataclass(frozen=True, slots=True)
class ProseDate:
    """A date written in a text: its words, day, month, year and weekday when given."""

    text: str
    day: int
    month: int
    year: int | None
    weekday: int | None  # 0 = Monday, as datetime.date.weekday()

    def resolve(self, near: dt.date) -> dt.date | None:
        """The date meant: its year, or the year that puts it nearest NEAR; None if impossible."""
        if self.year is not None:
            return _date(self.year, self.month, self.day)
        candidates = [
            _date(y, self.month, self.day) for y in (near.year - 1, near.year, near.year + 1)
        ]
        found = [d for d in candidates if d is not None]
        return min(found, key=lambda d: abs((d - near).days)) if found else None


def _date(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def weekday_name(weekday: int, language: str) -> str:
    return str(get_day_names("wide", locale=language)[weekday])


@cache
def _names() -> tuple[dict[str, int], dict[str, int]]:
    """Lower-case weekday names -> 0..6, month names and abbreviations -> 1..12."""
    weekdays: dict[str, int] = {}
    months: dict[str, int] = {}
    for language in _LANGUAGES:
        for number, name in get_day_names("wide", locale=language).items():
            weekdays[str(name).lower()] = int(number)
        for width in ("wide", "abbreviated"):
            for number, name in get_month_names(width, locale=language).items():
                word = str(name).lower().rstrip(".")
                if len(word) >= 3:
                    months[word] = int(number)
    months.setdefault("sept", 9)
    return weekdays, months


@cache
def _patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    weekdays, months = _names()
    wd = "|".join(sorted(map(re.escape, weekdays), key=len, reverse=True))
    mo = "|".join(sorted(map(re.escape, months), key=len, reverse=True))
    # 5 maj, den 5 maj, onsdag den 5 maj 2020, Tuesday 9 June, 9. juni, 5:e maj
    day_first = re.compile(
        rf"(?<![\w-])(?:(?P<wd>{wd}),?\s+(?:den\s+)?)?(?:den\s+)?(?P<day>\d{{1,2}})(?:\.|:e|:a)?"
        rf"\s+(?P<month>{mo})\.?(?!\w)(?:,?\s+(?P<year>\d{{4}})(?!\d))?",
        re.IGNORECASE,
    )
    # June 9, Wednesday, June 9th 2021
    month_first = re.compile(
        rf"(?<![\w-])(?:(?P<wd>{wd}),?\s+)?(?P<month>{mo})\.?\s+(?P<day>\d{{1,2}})"
        rf"(?:st|nd|rd|th)?(?![\w:.]\d)(?:,?\s+(?P<year>\d{{4}})(?!\d))?",
        re.IGNORECASE,
    )
    return day_first, month_first


def find_dates(text: str) -> list[ProseDate]:
    """Every date written in TEXT, in order."""
    weekdays, months = _names()
    found: dict[int, ProseDate] = {}
    taken: list[range] = []
    for pattern in _patterns():
        for match in pattern.finditer(text):
            month_word = match["month"]
            if month_word == "may" or any(match.start() in span for span in taken):
                continue  # "5 may be" is not May
            day = int(match["day"])
            if not 1 <= day <= 31:
                continue
            weekday = weekdays[match["wd"].lower()] if match["wd"] else None
            year = int(match["year"]) if match["year"] else None
            taken.append(range(match.start(), match.end()))
            found[match.start()] = ProseDate(
                match[0].rstrip(". "), day, months[month_word.lower().rstrip(".")], year, weekday
            )
    return [found[start] for start in sorted(found)]
