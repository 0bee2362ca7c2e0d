"""Calendar files: one .ics (RFC 5545) per dated session of every event in an issue."""

from __future__ import annotations

__all__ = ["TIMEZONE", "CalendarEntry", "calendar_entries", "slugify"]

import datetime as dt
import hashlib
import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, Timezone

from newsletter.config import NewsletterConfig
from newsletter.content.model import EventItem, Issue, Session
from newsletter.render.i18n import label
from newsletter.render.markdown import to_text

TIMEZONE = ZoneInfo("Europe/Stockholm")
# A session given only a start time is put in calendars as lasting an hour.
_DEFAULT_LENGTH = dt.timedelta(hours=1)
_PRODID = "-//newsletter//Nyhetsbrev//SV"


@dataclass(frozen=True, slots=True)
class CalendarEntry:
    """One session's calendar file."""

    filename: str
    item: EventItem
    session: Session
    ics: str


def slugify(text: str, /) -> str:
    """'Webbkurs i omvärldskunskap, del 1' -> 'webbkurs-i-omvarldskunskap-del-1'."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = re.sub(r"[^a-z0-9]+", " ", ascii_text.lower()).split()
    slug = ""
    for word in words:  # whole words, up to about 40 characters: it ends up in addresses
        if slug and len(slug) + len(word) > 40:
            break
        slug = f"{slug}-{word}" if slug else word
    return slug[:60] or "event"


def calendar_entries(issue: Issue, newsletter: NewsletterConfig, /) -> list[CalendarEntry]:
    """A calendar entry for every session of every event, with unique file names."""
    entries: list[CalendarEntry] = []
    taken: set[str] = set()
    for item in issue.events():
        for number, session in enumerate(item.sessions, start=1):
            base = slugify(item.title) + (f"-{number}" if len(item.sessions) > 1 else "")
            name, suffix = base, 2
            while name in taken:
                name, suffix = f"{base}-{suffix}", suffix + 1
            taken.add(name)
            ics = _calendar(issue, newsletter, item, session)
            entries.append(CalendarEntry(f"{name}.ics", item, session, ics))
    return entries


def _calendar(issue: Issue, newsletter: NewsletterConfig, item: EventItem, session: Session) -> str:
    calendar = Calendar()
    calendar.add("prodid", _PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    calendar.add_component(_event(issue, newsletter, item, session))
    ics: str = calendar.to_ical().decode("utf-8")
    if session.start is None:
        return ics
    # RFC 5545 3.2.19: every TZID used needs its VTIMEZONE in the same file, before the
    # event for the clients that read in one pass. Serialised once per year: it is the
    # slowest part of a calendar file.
    return ics.replace("BEGIN:VEVENT\r\n", _vtimezone(session.date.year) + "BEGIN:VEVENT\r\n", 1)


@cache
def _vtimezone(year: int) -> str:
    # The session's year is enough, and keeps the file small (1970-2038 would take 40 KB).
    timezone = Timezone.from_tzid(
        TIMEZONE.key, first_date=dt.date(year, 1, 1), last_date=dt.date(year + 1, 1, 1)
    )
    ics: str = timezone.to_ical().decode("utf-8")
    return ics


def _event(issue: Issue, newsletter: NewsletterConfig, item: EventItem, session: Session) -> Event:
    event = Event()
    event.add("uid", _uid(issue, newsletter, item, session))
    event.add("dtstamp", _stamp(issue))
    start, end = _times(session)
    event.add("dtstart", start)
    event.add("dtend", end)
    title = f"{item.title} ({session.label})" if session.label else item.title
    event.add("summary", title)
    if item.place:
        event.add("location", item.place)
    if url := _main_link(item):
        event.add("url", url)
    event.add("description", _description(issue, item))
    return event


def _times(session: Session) -> tuple[dt.date | dt.datetime, dt.date | dt.datetime]:
    if session.start is None:
        # RFC 5545 3.6.1: an all-day event ends (exclusively) on the next day.
        return session.date, session.date + dt.timedelta(days=1)
    start = dt.datetime.combine(session.date, session.start, tzinfo=TIMEZONE)
    if session.end is None:
        return start, start + _DEFAULT_LENGTH
    return start, dt.datetime.combine(session.date, session.end, tzinfo=TIMEZONE)


def _uid(issue: Issue, newsletter: NewsletterConfig, item: EventItem, session: Session) -> str:
    # Stable across re-renders, so a corrected issue updates the entry instead of adding one.
    key = f"{newsletter.key}\0{issue.slug}\0{item.title}\0{session.date}\0{session.label}"
    return f"{hashlib.sha256(key.encode()).hexdigest()[:24]}@{newsletter.list_id}"


def _stamp(issue: Issue) -> dt.datetime:
    day = issue.date or dt.date(issue.issue_year, 1, 1)
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)


def _main_link(item: EventItem) -> str | None:
    register = [link.url for link in item.links if link.role == "register"]
    return next(iter(register + [link.url for link in item.links]), None)


def _shortened(text: str, limit: int = 240) -> str:
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0].rstrip(",;:") + " …"


def _description(issue: Issue, item: EventItem) -> str:
    # The first sentences say what it is; the rest is in the newsletter, a link away.
    lines = [_shortened(block.text) for block in to_text(item.body)][:1] if item.body else []
    lines += [f"{link.label}: {link.url}" for link in item.links]
    if item.audience:
        lines.append(f"{label(issue.language, 'audience')}: {item.audience}")
    return "\n\n".join(lines)
