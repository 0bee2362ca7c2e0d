"""The text/plain part: rendered from the model, in the HTML's order, wrapped at 72 columns.

Every link is written out next to its label, so the two parts of the message carry
the same words (spam filters score parts that differ).
"""

from __future__ import annotations

__all__ = ["WIDTH", "CalendarLinks", "issue_label", "name_in_header", "render_text"]

import textwrap
from collections.abc import Callable, Iterator

from newsletter.config import Contact, NewsletterConfig
from newsletter.content.model import (
    EventItem,
    Issue,
    Item,
    Report,
    Section,
    Session,
    effective_editor,
)
from newsletter.render import i18n
from newsletter.render.markdown import to_text
from newsletter.render.phone import tel_uri
from newsletter.render.placeholders import Placeholders

WIDTH = 72
# id(item) -> [(session, address of its .ics)]
CalendarLinks = dict[int, list[tuple[Session, str]]]
_RULE = "-" * WIDTH


def _wrap(text: str, indent: str = "", hanging: str = "") -> list[str]:
    # Long addresses stay whole: a link cut in two does not work.
    lines: list[str] = []
    for line in text.split("\n"):
        lines += textwrap.wrap(
            line,
            WIDTH,
            initial_indent=indent,
            subsequent_indent=hanging or indent,
            break_long_words=False,
            break_on_hyphens=False,
        ) or [""]
        indent = hanging or indent
    return lines


def _labelled(label: str, url: str) -> str:
    """'Läs mer: https://…', without a colon after a label that ends in one already."""
    return f"{label} {url}" if label[-1:] in ":!?." else f"{label}: {url}"


def _underlined(title: str, char: str) -> list[str]:
    lines = _wrap(title)
    return [*lines, char * min(WIDTH, max(len(line) for line in lines))]


class _Writer:
    def __init__(
        self,
        issue: Issue,
        newsletter: NewsletterConfig,
        ph: Placeholders,
        calendar: CalendarLinks,
    ) -> None:
        self.issue, self.newsletter, self.ph, self.calendar = issue, newsletter, ph, calendar
        self.t: Callable[[str], str] = lambda key: i18n.label(issue.language, key)

    def document(self) -> Iterator[list[str]]:
        """The message as paragraphs (lists of lines), joined by blank lines."""
        issue = self.issue
        yield [f"{self.t('view_in_browser')}: {self.ph('web_url')}"]
        name = _wrap(self.newsletter.name.upper()) if name_in_header(issue, self.newsletter) else []
        # The web version of a corrected issue says so here ("· Rättad 12 maj 2026").
        yield [*name, f"{issue_label(issue)} {self.ph('correction')}"]
        yield _underlined(issue.title, "=")
        yield from self.markdown(issue.intro)
        for section in issue.sections:
            yield from self.section(section)
        yield from self.editor(effective_editor(issue, self.newsletter))
        yield [_RULE, *_wrap(self.newsletter.name)]
        # Not wrapped: the placeholders are not as long as the words that replace them.
        yield [
            self.ph("unsubscribe_note"),
            f"{self.ph('unsubscribe_label')}: {self.ph('unsubscribe_url')}",
        ]

    def markdown(self, text: str | None) -> Iterator[list[str]]:
        if not text:
            return
        listed: list[str] = []  # the items of a list go on consecutive lines
        for block in to_text(self.ph.fill_editor_text(text)):
            indent = "  " * block.depth
            lines = _wrap(block.text, indent + block.marker, indent + " " * len(block.marker))
            if block.marker:
                listed += lines
                continue
            if listed:
                yield listed
                listed = []
            yield lines
        if listed:
            yield listed

    def section(self, section: Section) -> Iterator[list[str]]:
        if section.title:
            yield ["", *_underlined(section.title.upper(), "=")]
        yield from self.markdown(section.intro)
        for item in section.items:
            yield from self.item(item)

    def item(self, item: Item) -> Iterator[list[str]]:
        kicker = " · ".join(part for part in (self.t(f"kind_{item.kind}"), item.source) if part)
        yield [*([kicker.upper()] if kicker else []), *_underlined(item.title, "-")]
        if item.image:
            yield _wrap(f"[{item.image.alt}]")
        yield from self.markdown(item.body)
        credits = [item.publisher if isinstance(item, Report) else None, item.byline]
        if any(credits):
            yield _wrap(" · ".join(part for part in credits if part))
        if isinstance(item, EventItem):
            yield self.details(item)
        if item.links:
            yield [
                line
                for link in item.links
                for line in _wrap(_labelled(link.label, link.url), hanging="  ")
            ]

    def details(self, item: EventItem) -> list[str]:
        language = self.issue.language
        lines: list[str] = []
        sessions = self.calendar.get(id(item), [])
        when = f"{self.t('time')}: "
        if len(sessions) > 1 or (sessions and item.on_demand):
            lines.append(when.rstrip())
            when = "  "
        for session, url in sessions:
            lines += _wrap(when + i18n.format_session(session, language), hanging="  ")
            lines += _wrap(_labelled(self.t("add_to_calendar"), url), "  ", "    ")
        if item.on_demand:
            lines += _wrap(when + self.t("on_demand"), hanging="  ")
        rows = [
            ("place", item.place),
            ("audience", item.audience),
            ("cost", item.cost and i18n.format_cost(item.cost, language)),
            (
                "deadline",
                item.registration_deadline
                and i18n.format_date(item.registration_deadline, language),
            ),
        ]
        for key, value in rows:
            if value:
                lines += _wrap(f"{self.t(key)}: {value}", hanging="  ")
        return lines

    def editor(self, editor: Contact) -> Iterator[list[str]]:
        phone = editor.phone and self.phone(editor.phone)
        lines = [editor.name, editor.email, phone, editor.organisation, editor.website]
        present = [line for line in lines if line]
        if present:
            yield [_RULE, self.t("editor"), *present]

    def phone(self, number: str) -> str:
        """'Telefon: 08-452 74 35 (+4684527435)': the international form is what phones call."""
        tel = tel_uri(number)
        international = tel and tel.removeprefix("tel:")
        if not international or international == number:
            return f"{self.t('phone')}: {number}"
        return f"{self.t('phone')}: {number} ({international})"


def name_in_header(issue: Issue, newsletter: NewsletterConfig) -> bool:
    """Whether the header names the newsletter: not when the issue's title is that name."""
    return " ".join(issue.title.split()).casefold() != " ".join(newsletter.name.split()).casefold()


def issue_label(issue: Issue) -> str:
    """'Nr 6 2020', or the publication date of an unnumbered issue."""
    if issue.number is not None:
        return i18n.label(issue.language, "issue").format(
            number=issue.number, year=issue.issue_year
        )
    assert issue.date is not None
    return i18n.format_date(issue.date, issue.language)


def render_text(
    issue: Issue,
    newsletter: NewsletterConfig,
    placeholders: Placeholders,
    calendar: CalendarLinks,
    /,
) -> str:
    """The plain-text version of ISSUE, with the same placeholders as the HTML."""
    paragraphs = _Writer(issue, newsletter, placeholders, calendar).document()
    return "\n\n".join("\n".join(lines) for lines in paragraphs if lines) + "\n"
