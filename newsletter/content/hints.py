"""What Swedish editors type where the issue file wants something else, and how to write it.

"13.00-14.00" or "kl. 9.00" as a time, a time in Word's curly quotes, "5 maj" as a date,
`cost: Kostnadsfritt!`: each is answered with the line to write instead, worked out
from what was typed (the year a date is in comes from the issue's `year:` or `date:`).
"""

from __future__ import annotations

__all__ = ["cost_hint", "date_hint", "time_hint"]

import datetime as dt
import re
from typing import Any

from newsletter.translate import _

_CLOCK = r"(\d{1,2})(?:[.:](\d{2}))?"
# "13.00-14.00", "13:00 – 14:30", "kl. 9-11"
_RANGE = re.compile(rf"(?:kl\.?:?\s*)?{_CLOCK}\s*[-–—]\s*(?:kl\.?:?\s*)?{_CLOCK}", re.IGNORECASE)
# "kl. 9.00", "Kl 13", "kl: 13:00"
_KL = re.compile(rf"kl\.?:?\s*{_CLOCK}", re.IGNORECASE)
# Word turns "13:00" into ”13:00” or “13:00”; also the single and the low quotes.
_CURLY = "“”„‟‘’‚‛«»"
_QUOTED = re.compile(rf"[{_CURLY}]\s*(.*?)\s*[{_CURLY}]")


def _clock(hour: str, minute: str | None) -> str | None:
    h, m = int(hour), int(minute or 0)
    return f"{h:02d}:{m:02d}" if h <= 23 and m <= 59 else None


def time_hint(raw: str, field: str) -> str | None:
    """How to write RAW, typed as the time FIELD (`start` or `end`), or None."""
    text = raw.strip()
    if match := _QUOTED.fullmatch(text):
        return _(
            "the time is in curly quotes ({raw}), as Word writes them; YAML needs straight "
            'quotes: {field}: "{inner}"'
        ).format(raw=text, field=field, inner=match[1])
    if match := _RANGE.fullmatch(text):
        start, end = _clock(match[1], match[2]), _clock(match[3], match[4])
        if start and end:
            return _(
                "`{raw}` is a time range: write the start and the end on lines of their own, "
                'start: "{start}" and end: "{end}"'
            ).format(raw=text, start=start, end=end)
    if (match := _KL.fullmatch(text)) and (clock := _clock(match[1], match[2])):
        return _('write the time without "kl.": {field}: "{clock}"').format(
            field=field, clock=clock
        )
    return None


_DAY_MONTH = re.compile(
    r"(?:[a-zåäö]+dag(?:en)?\s+)?(?:den\s+)?(\d{1,2})(?::[ae])?\s*\.?\s+([a-zåäö]+)\.?"
    r"(?:\s+(\d{4}))?",
    re.IGNORECASE,
)
_MONTH_DAY = re.compile(r"([a-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?(?:,?\s+(\d{4}))?", re.IGNORECASE)
_NUMERIC = re.compile(r"(\d{1,2})[/.](\d{1,2})(?:[/.](\d{4}))?")


def date_hint(raw: str, field: str, year: int) -> str | None:
    """The ISO date RAW ("5 maj", "2 mars", "5/5") stands for, as the line to write; YEAR is
    the issue's year, used when RAW names none."""
    found = _date(raw.strip(), year)
    if found is None:
        return None
    return _("`{raw}` is not a date the file can read; write it as {field}: {date}").format(
        raw=raw.strip(), field=field, date=found.isoformat()
    )


def _date(text: str, year: int) -> dt.date | None:
    months = _month_numbers()
    day = month = None
    written_year: str | None = None
    if match := _DAY_MONTH.fullmatch(text):
        day, month, written_year = int(match[1]), months.get(match[2].lower()), match[3]
    elif match := _MONTH_DAY.fullmatch(text):
        day, month, written_year = int(match[2]), months.get(match[1].lower()), match[3]
    elif match := _NUMERIC.fullmatch(text):
        day, month, written_year = int(match[1]), int(match[2]), match[3]
    if day is None or month is None:
        return None
    try:
        return dt.date(int(written_year) if written_year else year, month, day)
    except ValueError:
        return None


def _month_numbers() -> dict[str, int]:
    """Month names and their abbreviations in Swedish and English, from Babel's CLDR data."""
    from babel.dates import get_month_names

    found: dict[str, int] = {}
    for language in ("sv", "en"):
        for width in ("wide", "abbreviated"):
            for number, name in get_month_names(width, locale=language).items():
                found[name.lower().rstrip(".")] = number
    found["sept"] = 9
    return found


_FREE = ("free", "gratis", "kostnadsfri", "avgiftsfri", "ingen kostnad", "0 kr")


def cost_hint(raw: Any) -> str | None:
    """How to write the cost RAW when it is words the file does not take."""
    if not isinstance(raw, str):
        return None
    text = raw.strip()
    if any(word in text.lower() for word in _FREE):
        return _(
            "`{raw}` is not a cost the file can read; when it costs nothing, write cost: free"
        ).format(raw=text)
    return _(
        "`{raw}` is not a cost the file can read; write cost: free, or the amount in kronor "
        "(cost: 250), or the amount with its terms on lines below `cost:` (amount:, vat:, "
        "unit:)"
    ).format(raw=text)
