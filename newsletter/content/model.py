"""The content model of an issue: what an editor writes in an issue YAML file.

This is the single source of truth for what an issue is. Rendering, the plain
text, calendar files, sending and the archive all read these objects. It is longer
than our other modules on purpose: every item kind with its validators is here, so the
whole issue format reads as one document (the field types are in content.fieldtypes).
"""

from __future__ import annotations

__all__ = [
    "KINDS",
    "Article",
    "Cost",
    "Course",
    "Event",
    "EventItem",
    "Image",
    "Issue",
    "Item",
    "Link",
    "LinkRole",
    "Markdown",
    "Podcast",
    "Report",
    "Section",
    "Session",
    "Webcast",
    "Webinar",
    "effective_editor",
]

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Discriminator, Field, Tag, field_validator, model_validator

from newsletter.config import Contact, NewsletterConfig
from newsletter.content.fieldtypes import (
    ClockTime,
    Markdown,
    StrictModel,
    field_problem,
    swedish_number,
)
from newsletter.translate import _
from newsletter.values import HeaderText, Language, PlainText, SafeUrl

LinkRole = Literal["register", "more", "watch", "replays", "listen", "read", "download"]


class Link(StrictModel):
    """A link with the words readers see; `role` picks the button text and style."""

    label: PlainText = Field(description='The words readers see: "Anmäl dig här!"')
    url: SafeUrl = Field(description="An https://, http:// or mailto: address")
    role: LinkRole = Field(
        default="more",
        description="register, more, watch, replays, listen, read or download",
    )


class Image(StrictModel):
    """An image hosted on the web (https), shown with the item."""

    url: SafeUrl = Field(description="Where the image is: an https:// address")
    alt: PlainText = Field(description="Describes the image for readers who cannot see it.")
    width: int | None = Field(default=None, ge=16, le=1200)


class Session(StrictModel):
    """One occasion of an event: a date, and optionally a start and an end time."""

    date: dt.date = Field(description="YYYY-MM-DD, e.g. 2021-06-09")
    start: ClockTime | None = Field(default=None, description='HH:MM, e.g. "13:00"')
    end: ClockTime | None = Field(default=None, description='HH:MM, e.g. "14:30"')
    label: PlainText | None = Field(default=None, description='e.g. "Del 1"')

    @model_validator(mode="after")
    def _end_after_start(self) -> Session:
        if self.end is not None and self.start is None:
            raise field_problem("end", _("an end time needs a start time; add `start:`"))
        if self.start is not None and self.end is not None and self.end <= self.start:
            raise field_problem(
                "end",
                _("the session ends ({end:%H:%M}) before it starts ({start:%H:%M})").format(
                    end=self.end, start=self.start
                ),
            )
        return self


_FREE_WORDS = ("free", "gratis", "kostnadsfri", "kostnadsfritt")


def _cost_schema(schema: dict[str, Any]) -> None:
    # The JSON Schema also allows the shorthands `cost: free` and `cost: 2500`.
    detailed = dict(schema)
    schema.clear()
    schema["title"] = detailed.pop("title", "Cost")
    schema["description"] = detailed.pop("description", "")
    schema["anyOf"] = [detailed, {"enum": list(_FREE_WORDS)}, {"type": "number", "minimum": 0}]


class Cost(StrictModel):
    """What taking part costs: `free: true`, or an amount with its terms."""

    model_config = ConfigDict(json_schema_extra=_cost_schema)

    free: bool = False
    amount: Decimal | None = Field(default=None, ge=0, max_digits=12, decimal_places=2)
    currency: Literal["SEK", "EUR", "NOK", "DKK", "USD"] = "SEK"
    vat: Literal["included", "excluded"] | None = Field(
        default=None, description="Moms: included (inklusive) or excluded (exklusive)"
    )
    unit: PlainText | None = Field(default=None, description='e.g. "per länk"')
    note: PlainText | None = Field(
        default=None, description='e.g. "inkluderar alla tre utbildningstillfällena"'
    )

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        # `cost: free` (or gratis, kostnadsfritt) and `cost: 2500` are what editors type.
        if isinstance(value, str) and value.strip().lower() in _FREE_WORDS:
            return {"free": True}
        if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
            return {"amount": value}
        if isinstance(value, dict) and isinstance(value.get("amount"), str):
            return {**value, "amount": swedish_number(value["amount"])}
        return value

    @model_validator(mode="after")
    def _free_or_amount(self) -> Cost:
        if self.free and self.amount:
            raise field_problem("amount", _("is both free and has an amount; keep one of them"))
        if not self.free and self.amount is None:
            raise ValueError(_("needs an `amount:`, or `free: true`"))
        return self


def _kind_required(schema: dict[str, Any]) -> None:
    # Only articles may leave out `kind:`; this keeps the JSON Schema's oneOf unambiguous.
    schema["required"] = ["kind", *schema.get("required", [])]


class _ItemBase(StrictModel):
    title: PlainText = Field(description="The item's heading")
    source: PlainText | None = Field(
        default=None, description='Who it comes from, shown before the title: "SKR", "Linköping"'
    )
    byline: PlainText | None = Field(default=None, description="Author, shown under the text")
    body: Markdown | None = Field(default=None, description="The text (markdown)")
    image: Image | None = None
    links: list[Link] = Field(default_factory=list, description="Links shown after the text")


class Article(_ItemBase):
    """A news item or article."""

    kind: Literal["article"] = Field(
        default="article",
        description="What the item is: article (the default), webcast, webinar, course, "
        "podcast, report or event",
    )


class Podcast(_ItemBase):
    model_config = ConfigDict(json_schema_extra=_kind_required)

    kind: Literal["podcast"] = "podcast"


class Report(_ItemBase):
    """A report, publication or reading tip (lästips)."""

    model_config = ConfigDict(json_schema_extra=_kind_required)

    kind: Literal["report"] = "report"
    publisher: PlainText | None = None


class EventItem(_ItemBase):
    """Whatever happens at a time: the details are data, laid out by the templates."""

    sessions: list[Session] = Field(
        default_factory=list, description="When it happens: one entry per occasion"
    )
    on_demand: bool = Field(default=False, description="When it suits you (när det passar dig)")
    place: PlainText | None = Field(default=None, description='"Digitalt", "Webbsänt", a town')
    audience: PlainText | None = Field(default=None, description="Målgrupp")
    cost: Cost | None = None
    registration_deadline: dt.date | None = Field(
        default=None, description="Last day to register (sista anmälningsdag), YYYY-MM-DD"
    )

    @field_validator("sessions")
    @classmethod
    def _in_order(cls, sessions: list[Session]) -> list[Session]:
        return sorted(sessions, key=lambda s: (s.date, s.start or dt.time.min))

    @model_validator(mode="after")
    def _deadline_before_start(self) -> EventItem:
        deadline = self.registration_deadline
        if deadline and self.sessions and deadline > self.sessions[-1].date:
            raise field_problem(
                "registration_deadline",
                _(
                    "the registration deadline ({deadline}) is after the last session ({date})"
                ).format(deadline=deadline, date=self.sessions[-1].date),
            )
        return self

    @property
    def dated(self) -> bool:
        return bool(self.sessions)


class Webcast(EventItem):
    """A webcast (webbsändning)."""

    model_config = ConfigDict(json_schema_extra=_kind_required)

    kind: Literal["webcast"] = "webcast"


class Webinar(EventItem):
    model_config = ConfigDict(json_schema_extra=_kind_required)

    kind: Literal["webinar"] = "webinar"


class Course(EventItem):
    """A course (webbkurs), often over several sessions."""

    model_config = ConfigDict(json_schema_extra=_kind_required)

    kind: Literal["course"] = "course"


class Event(EventItem):
    """Any other event: a conference, a seminar, a day of talks."""

    model_config = ConfigDict(json_schema_extra=_kind_required)

    kind: Literal["event"] = "event"


def _kind_of(value: Any) -> str | None:
    # An item without `kind:` is an article: most items are.
    if isinstance(value, dict):
        kind = value.get("kind", "article")
        return kind if isinstance(kind, str) else None
    return getattr(value, "kind", None)


Item = Annotated[
    Annotated[Article, Tag("article")]
    | Annotated[Webcast, Tag("webcast")]
    | Annotated[Webinar, Tag("webinar")]
    | Annotated[Course, Tag("course")]
    | Annotated[Podcast, Tag("podcast")]
    | Annotated[Report, Tag("report")]
    | Annotated[Event, Tag("event")],
    Discriminator(_kind_of),
]

# The item kinds by their `kind:` value.
KINDS: dict[str, type[_ItemBase]] = {
    "article": Article,
    "webcast": Webcast,
    "webinar": Webinar,
    "course": Course,
    "podcast": Podcast,
    "report": Report,
    "event": Event,
}


class Section(StrictModel):
    """A run of items, with an optional heading ("I korthet", "Kommande evenemang")."""

    title: PlainText | None = Field(default=None, description='e.g. "I korthet", "Lästips"')
    intro: Markdown | None = Field(default=None, description="Text before the items (markdown)")
    items: list[Item] = Field(min_length=1, description="The section's items, in order")


class Issue(StrictModel):
    """One issue of a newsletter."""

    newsletter: PlainText = Field(description="The key of a [newsletters.KEY] in newsletter.toml")
    number: int | None = Field(default=None, ge=1, description="Issue number in the year (nr)")
    year: int | None = Field(default=None, ge=1900, le=2200, description="The issue's year (år)")
    date: dt.date | None = Field(default=None, description="Publication date")
    title: HeaderText = Field(description="The issue's headline")
    subject: HeaderText | None = Field(
        default=None, description="The e-mail's subject; defaults to the title"
    )
    preheader: HeaderText | None = Field(
        default=None, max_length=200, description="Shown after the subject in the inbox"
    )
    language: Language = Field(
        default="sv", description="sv or en; the newsletter's language when left out"
    )
    intro: Markdown | None = Field(default=None, description="The opening words (markdown)")
    sections: list[Section] = Field(min_length=1, description="The issue's sections, in order")
    editor: Contact | None = Field(default=None, description="Defaults to the newsletter's")

    @model_validator(mode="after")
    def _dated(self) -> Issue:
        if self.year is None and self.date is None:
            raise ValueError(_("needs a `year:` (with a `number:`) or a `date:`"))
        if self.year is not None and self.date is not None and self.date.year != self.year:
            raise field_problem(
                "date",
                _("the date {date} is not in the year {year}").format(
                    date=self.date, year=self.year
                ),
            )
        return self

    @property
    def subject_line(self) -> str:
        return self.subject or self.title

    @property
    def issue_year(self) -> int:
        return self.year if self.year is not None else self.date.year  # type: ignore[union-attr]

    @property
    def slug(self) -> str:
        """A stable name for this issue: used for build folders, the journal and the archive."""
        if self.number is not None:
            return f"{self.issue_year}-{self.number:02d}"
        assert self.date is not None
        return self.date.isoformat()

    def items(self) -> list[Any]:
        return [item for section in self.sections for item in section.items]

    def events(self) -> list[EventItem]:
        return [item for item in self.items() if isinstance(item, EventItem)]


def effective_editor(issue: Issue, newsletter: NewsletterConfig) -> Contact:
    """The issue's editor block, or the newsletter's when the issue has none."""
    return issue.editor if issue.editor is not None else newsletter.editor
