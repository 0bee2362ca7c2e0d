"""Personal fields against the lists: every `{{ field }}` of the issue is a column of the
lists it goes to, and what readers with an empty value will read instead."""

from __future__ import annotations

__all__ = ["personal_findings"]

import re
from collections.abc import Iterator
from dataclasses import dataclass

from newsletter.audience.subscribers import Recipients, Subscriber
from newsletter.content.fieldtypes import PERSONAL_FIELD
from newsletter.content.model import Issue
from newsletter.content.suggest import suggestion
from newsletter.render.personalize import BUILT_IN
from newsletter.review.check.findings import Finding, Place
from newsletter.review.check.places import Places, texts
from newsletter.translate import _

_SHOWN_ROWS = 3


@dataclass(frozen=True, slots=True)
class _Use:
    key: str
    place: Place
    line: str  # the line of text it stands in, as written


def personal_findings(issue: Issue, places: Places, recipients: Recipients) -> list[Finding]:
    """An error for a field no list has; a warning for one that is empty for some readers."""
    found: list[Finding] = []
    seen: set[str] = set()
    for use in _uses(issue, places):
        if use.key in seen:
            continue
        seen.add(use.key)
        if use.key in BUILT_IN and use.key != "name":
            continue
        lists = [c.list for c in recipients.lists if use.key in c.columns]
        if use.key != "name" and not lists:
            found.append(_unknown(use, recipients))
        elif empty := [s for s in recipients.subscribers if not _value(s, use.key)]:
            found.append(_empty(use, empty, len(recipients.subscribers)))
    return found


def _uses(issue: Issue, places: Places) -> Iterator[_Use]:
    for text in texts(issue):
        if not text.markdown:
            continue
        for match in PERSONAL_FIELD.finditer(text.value):
            start = text.value.rfind("\n", 0, match.start()) + 1
            end = text.value.find("\n", match.end())
            line = text.value[start : end if end >= 0 else None].strip()
            yield _Use(match[1], places.at(text.path, match[0]), line)


def _value(subscriber: Subscriber, key: str) -> str:
    return subscriber.name if key == "name" else subscriber.fields.get(key, "")


def _unknown(use: _Use, recipients: Recipients) -> Finding:
    columns = sorted({key for c in recipients.lists for key in c.columns} | {"name", "email"})
    lists = ", ".join(c.list for c in recipients.lists)
    return Finding(
        "error",
        "field-unknown",
        use.place,
        _(
            "{{{{ {key} }}}} is not a column of {lists}, so it would come out empty for everyone:"
            " {suggestion}"
        ).format(key=use.key, lists=lists, suggestion=suggestion(use.key, columns)),
    )


def _empty(use: _Use, empty: list[Subscriber], total: int) -> Finding:
    rows = ", ".join(s.source for s in empty[:_SHOWN_ROWS])
    more = ""
    if len(empty) > _SHOWN_ROWS:
        more = " " + _("and {n} more").format(n=len(empty) - _SHOWN_ROWS)
    reads = _without(use.line, use.key)
    return Finding(
        "warning",
        "field-empty",
        use.place,
        _(
            "{{{{ {key} }}}} is empty for {n_empty} of {total} recipients ({rows}{more}); they "
            "read: “{reads}”. Fill in the column, or write the sentence so that it reads well "
            "without it."
        ).format(key=use.key, n_empty=len(empty), total=total, rows=rows, more=more, reads=reads),
    )


def _without(line: str, key: str) -> str:
    """LINE as a reader without KEY reads it: the field and the space before it gone."""
    text = re.sub(rf"[ \u00a0]?\{{\{{\s*{re.escape(key)}\s*\}}\}}", "", line)
    text = PERSONAL_FIELD.sub(lambda m: f"[{m[1]}]", text)
    return text if len(text) <= 120 else text[:119] + "…"
