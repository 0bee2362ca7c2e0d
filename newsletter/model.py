"""The content model of an issue: what an editor writes in an issue YAML file.

This is the single source of truth for what an issue is. Rendering, the plain
text, calendar files, sending and the archive all read these objects.
"""

from __future__ import annotations

__all__ = [
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
]

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from newsletter.config import Contact
from newsletter.fields import HeaderText, Language, PlainText, SafeUrl

# Markdown text: paragraphs, **bold**, *italic*, [links](https://...) and lists.
Markdown = Annotated[str, Field(min_length=1, json_schema_extra={"format": "markdown"})]

LinkRole = Literal["register", "more", "watch", "replays", "listen", "read", "download"]


class _Strict(BaseModel):
    # Unknown keys are errors (an editor will type `titel:`); the loader adds "did you mean".
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Link(_Strict):
    """A link with the words readers see; `role` picks the button text and style."""

    label: PlainText
    url: SafeUrl
    role: LinkRole = "more"


class Image(_Strict):
    url: SafeUrl
    alt: PlainText = Field(description="Describes the image for readers who cannot see it.")
    width: int | None = Field(default=None, ge=16, le=1200)


class Session(_Strict):
    """One occasion of an event: a date, and optionally a start and an end time."""

    date: dt.date
    start: dt.time | None = None
    end: dt.time | None = None
    label: PlainText | None = Field(default=None, description='e.g. "Del 1"')

    @model_validator(mode="after")
    def _end_after_start(self) -> Session:
        if self.end is not None and self.start is None:
            raise ValueError("an end time needs a start time")
        if self.start is not None and self.end is not None and self.end <= self.start:
            raise ValueError(f"ends ({self.end:%H:%M}) before it starts ({self.start:%H:%M})")
        return self


class Cost(_Strict):
    """What taking part costs: `free: true`, or an amount with its terms."""

    free: bool = False
    amount: Decimal | None = Field(default=None, ge=0, max_digits=12, decimal_places=2)
    currency: Literal["SEK", "EUR", "NOK", "DKK", "USD"] = "SEK"
    vat: Literal["included", "excluded"] | None = None
    unit: PlainText | None = Field(default=None, description='e.g. "per länk"')
    note: PlainText | None = None

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        # `cost: free` (or gratis, kostnadsfritt) and `cost: 2500` are what editors type.
        if isinstance(value, str) and value.strip().lower() in {
            "free",
            "gratis",
            "kostnadsfri",
            "kostnadsfritt",
        }:
            return {"free": True}
        if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
            return {"amount": value}
        return value

    @model_validator(mode="after")
    def _free_or_amount(self) -> Cost:
        if self.free and self.amount:
            raise ValueError("is both free and has an amount; keep one of them")
        if not self.free and self.amount is None:
            raise ValueError("needs an amount, or `free: true`")
        return self


class _ItemBase(_Strict):
    title: PlainText
    source: PlainText | None = Field(
        default=None, description='Who it comes from, shown before the title: "SKR", "Linköping"'
    )
    byline: PlainText | None = Field(default=None, description="Author, shown under the text")
    body: Markdown | None = None
    image: Image | None = None
    links: list[Link] = []


class Article(_ItemBase):
    """A news item or article."""

    kind: Literal["article"] = "article"


class Podcast(_ItemBase):
    kind: Literal["podcast"] = "podcast"


class Report(_ItemBase):
    """A report, publication or reading tip (lästips)."""

    kind: Literal["report"] = "report"
    publisher: PlainText | None = None


class EventItem(_ItemBase):
    """Whatever happens at a time: the details are data, laid out by the templates."""

    sessions: list[Session] = []
    on_demand: bool = Field(default=False, description="When it suits you (när det passar dig)")
    place: PlainText | None = Field(default=None, description='"Digitalt", "Webbsänt", a town')
    audience: PlainText | None = Field(default=None, description="Målgrupp")
    cost: Cost | None = None
    registration_deadline: dt.date | None = None

    @field_validator("sessions")
    @classmethod
    def _in_order(cls, sessions: list[Session]) -> list[Session]:
        return sorted(sessions, key=lambda s: (s.date, s.start or dt.time.min))

    @model_validator(mode="after")
    def _deadline_before_start(self) -> EventItem:
        deadline = self.registration_deadline
        if deadline and self.sessions and deadline > self.sessions[-1].date:
            raise ValueError("the registration deadline is after the last session")
        return self

    @property
    def dated(self) -> bool:
        return bool(self.sessions)


class Webcast(EventItem):
    """A webcast (webbsändning)."""

    kind: Literal["webcast"] = "webcast"


class Webinar(EventItem):
    kind: Literal["webinar"] = "webinar"


class Course(EventItem):
    """A course (webbkurs), often over several sessions."""

    kind: Literal["course"] = "course"


class Event(EventItem):
    """Any other event: a conference, a seminar, a day of talks."""

    kind: Literal["event"] = "event"


Item = Annotated[
    Article | Webcast | Webinar | Course | Podcast | Report | Event,
    Field(discriminator="kind"),
]


class Section(_Strict):
    """A run of items, with an optional heading ("I korthet", "Kommande evenemang")."""

    title: PlainText | None = None
    intro: Markdown | None = None
    items: list[Item] = Field(min_length=1)


class Issue(_Strict):
    """One issue of a newsletter."""

    newsletter: PlainText = Field(description="The key of a [newsletters.KEY] in newsletter.toml")
    number: int | None = Field(default=None, ge=1)
    year: int | None = Field(default=None, ge=1900, le=2200)
    date: dt.date | None = Field(default=None, description="Publication date")
    title: HeaderText
    subject: HeaderText | None = Field(default=None, description="Defaults to the title")
    preheader: HeaderText | None = Field(
        default=None, max_length=200, description="Shown after the subject in the inbox"
    )
    language: Language = "sv"
    intro: Markdown | None = None
    sections: list[Section] = Field(min_length=1)
    editor: Contact | None = Field(default=None, description="Defaults to the newsletter's")

    @model_validator(mode="after")
    def _dated(self) -> Issue:
        if self.year is None and self.date is None:
            raise ValueError("needs a `year` (with a `number`) or a `date`")
        if self.year is not None and self.date is not None and self.date.year != self.year:
            raise ValueError(f"the date {self.date} is not in the year {self.year}")
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
