"""The issue against its own data: what its texts say against what its fields say.

A weekday written next to a date that falls on another day; a date in an event's text
that none of its sessions is on; sessions already past; a registration deadline after the
first session; the starter's stand-in words; links to reserved example domains.
"""

from __future__ import annotations

__all__ = ["content_findings"]

import datetime as dt
from collections.abc import Iterator

from babel.dates import format_date

from newsletter.content.model import EventItem, Issue
from newsletter.content.starter import placeholder_texts
from newsletter.review.check.domains import host_of, is_example
from newsletter.review.check.findings import Finding
from newsletter.review.check.places import Places, Text, texts
from newsletter.review.check.prose import ProseDate, find_dates, weekday_name
from newsletter.review.check.targets import Target
from newsletter.translate import _, language

# The texts whose dates are checked: headings and prose, not link labels or alt texts.
_PROSE = frozenset({"title", "subject", "preheader", "intro", "section", "body", "session"})


def content_findings(
    issue: Issue, places: Places, targets: list[Target], *, today: dt.date
) -> list[Finding]:
    """Every finding of ISSUE's texts against its data, as of TODAY."""
    found: list[Finding] = []
    reference = _reference(issue, today)
    for text in texts(issue):
        if text.role in _PROSE:
            found += _dates(text, places, reference)
        found += _starter(text, places)
    for at, item in _events(issue):
        found += _sessions(item, at, places, today)
    found += _examples(targets)
    return found


def _reference(issue: Issue, today: dt.date) -> dt.date:
    """The day a date without a year is nearest to: the issue's date, else its year."""
    if issue.date is not None:
        return issue.date
    return today if today.year == issue.issue_year else dt.date(issue.issue_year, 7, 1)


def _events(issue: Issue) -> Iterator[tuple[tuple[str | int, ...], EventItem]]:
    for s, section in enumerate(issue.sections):
        for i, item in enumerate(section.items):
            if isinstance(item, EventItem):
                yield ("sections", s, "items", i), item


def _dates(text: Text, places: Places, reference: dt.date) -> list[Finding]:
    found: list[Finding] = []
    item = text.item if isinstance(text.item, EventItem) and text.item.sessions else None
    near = item.sessions[0].date if item is not None else reference
    for written in find_dates(text.value):
        place = places.at(text.path, written.text)
        day = written.resolve(near)
        if day is None:
            found.append(
                Finding(
                    "warning",
                    "date-impossible",
                    place,
                    _("“{text}” is not a date: the month has no day {day}.").format(
                        text=written.text, day=written.day
                    ),
                )
            )
            continue
        if written.weekday is not None and written.weekday != day.weekday():
            found.append(Finding("warning", "weekday", place, _weekday_message(written, day)))
        if item is not None and not _of_item(day, item):
            found.append(
                Finding(
                    "warning",
                    "date-no-session",
                    place,
                    _(
                        "“{text}” ({date}) is the day of no session of this item (sessions: "
                        "{days}). Fix the text or the sessions; a last day to register goes in "
                        "`registration_deadline:`."
                    ).format(text=written.text, date=_shown(day), days=_days(item)),
                )
            )
    return found


def _weekday_message(written: ProseDate, day: dt.date) -> str:
    said = weekday_name(written.weekday or 0, language())
    real = weekday_name(day.weekday(), language())
    # The Swedish name too for an English-speaking editor: the issue says it in Swedish.
    return _(
        "“{text}”: {date} is a {real} ({swedish}), not a {said}. Fix the weekday or the date."
    ).format(text=written.text, date=_shown(day), real=real,
             swedish=weekday_name(day.weekday(), "sv"), said=said)  # fmt: skip


def _shown(day: dt.date) -> str:
    """DAY as the editor reads dates: "5 May 2020", "5 maj 2020"."""
    return str(format_date(day, "d MMMM y", locale=language()))


def _of_item(day: dt.date, item: EventItem) -> bool:
    return day == item.registration_deadline or any(s.date == day for s in item.sessions)


def _days(item: EventItem) -> str:
    return ", ".join(dict.fromkeys(s.date.isoformat() for s in item.sessions))


def _sessions(
    item: EventItem, at: tuple[str | int, ...], places: Places, today: dt.date
) -> list[Finding]:
    found: list[Finding] = []
    deadline = item.registration_deadline
    if item.sessions and deadline is not None and deadline > item.sessions[0].date:
        found.append(
            Finding(
                "error",
                "deadline-after-start",
                places.at((*at, "registration_deadline")),
                _(
                    "the registration deadline ({deadline}) is after the first session ({date}): "
                    "readers could register for something already begun. Fix the deadline or the "
                    "sessions."
                ).format(deadline=deadline, date=item.sessions[0].date),
            )
        )
    past = [s.date for s in item.sessions if s.date < today]
    if past:
        message = _(
            "{n} of the {total} sessions of “{title}” are past ({dates}; today is {today}). "
            "Remove the item or correct the dates."
        )
        if len(past) == len(item.sessions):
            message = _(
                "every session of “{title}” is past ({dates}; today is {today}). Remove the item "
                "or correct the dates."
            )
        dates = ", ".join(d.isoformat() for d in past)
        found.append(
            Finding(
                "warning",
                "session-past",
                places.key((*at, "sessions")),
                message.format(n=len(past), total=len(item.sessions), title=item.title,
                               dates=dates, today=today),
            )
        )  # fmt: skip
    elif deadline is not None and deadline < today:
        found.append(
            Finding(
                "warning",
                "deadline-past",
                places.at((*at, "registration_deadline")),
                _(
                    "the last day to register ({deadline}) is past (today is {today}). Remove the"
                    " deadline or say how to register late."
                ).format(deadline=deadline, today=today),
            )
        )
    return found


def _starter(text: Text, places: Places) -> list[Finding]:
    lowered = text.value.lower()
    for placeholder in placeholder_texts():
        phrase = placeholder.split(". ")[0].rstrip(".")
        if phrase.lower() in lowered:
            return [
                Finding(
                    "error",
                    "starter-text",
                    places.at(text.path, phrase),
                    _("“{phrase}” is the starter's stand-in text: write your own.").format(
                        phrase=phrase
                    ),
                    real_send_only=True,
                )
            ]
    return []


def _examples(targets: list[Target]) -> list[Finding]:
    found = []
    for target in targets:
        address = target.url.removeprefix("mailto:").split("?")[0]
        domain = host_of(target.url) or address.rpartition("@")[2]
        if is_example(domain):
            found.append(
                Finding(
                    "warning",
                    "example-domain",
                    target.place,
                    _(
                        "{what} {address} is at a reserved example domain ({domain}), which leads"
                        " nowhere: put in the real address."
                    ).format(what=_(target.what), address=address, domain=domain),
                )
            )
    return found
