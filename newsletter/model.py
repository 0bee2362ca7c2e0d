"""The content model of an issue: what an editor writes in an issue YAML file.

This is the single source of truth for what an issue is. Rendering, the plain
text, calendar files, sending and the archive all read these objects.
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
import re
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from newsletter.config import Contact, NewsletterConfig
from newsletter.fields import HeaderText, Language, PlainText, SafeUrl

# Markdown text: paragraphs, **bold**, *italic*, [links](https://...) and lists.
Markdown = Annotated[str, Field(min_length=1, json_schema_extra={"format": "markdown"})]

LinkRole = Literal["register", "more", "watch", "replays", "listen", "read", "download"]

_CLOCK = re.compile(r"(\d{1,2})[:.](\d{2})")


def _clock(value: Any) -> Any:
    """Accept 13:00, 9:00 and the Swedish 9.00; refuse bare numbers (YAML reads 9 as nine)."""
    if isinstance(value, bool | int | float):
        raise PydanticCustomError(
            "clock_format", "write the time as HH:MM, e.g. 13:00 (got {value})", {"value": value}
        )
    if isinstance(value, str) and (match := _CLOCK.fullmatch(value.strip())):
        hour, minute = int(match[1]), int(match[2])
        if hour > 23 or minute > 59:
            raise PydanticCustomError("clock_range", "there is no time {value}", {"value": value})
        return dt.time(hour, minute)
    return value


# A time of day as editors write it: "13:00", "9:00" or "9.00".
ClockTime = Annotated[
    dt.time,
    BeforeValidator(_clock),
    WithJsonSchema({"type": "string", "pattern": r"^\d{1,2}[:.]\d{2}$", "examples": ["13:00"]}),
]


def field_problem(field: str, message: str) -> PydanticCustomError:
    """A whole-object check that failed because of one field: the loader points at that field."""
    return PydanticCustomError("field_problem", "{message}", {"message": message, "field": field})


class _Strict(BaseModel):
    # Unknown keys are errors (an editor will type `titel:`); the loader adds "did you mean".
    # `title: 2021` is text to an editor, so numbers are accepted where text is expected.
    model_config = ConfigDict(
        extra="forbid", frozen=True, str_strip_whitespace=True, coerce_numbers_to_str=True
    )


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
    start: ClockTime | None = None
    end: ClockTime | None = None
    label: PlainText | None = Field(default=None, description='e.g. "Del 1"')

    @model_validator(mode="after")
    def _end_after_start(self) -> Session:
        if self.end is not None and self.start is None:
            raise field_problem("end", "an end time needs a start time; add `start:`")
        if self.start is not None and self.end is not None and self.end <= self.start:
            raise field_problem(
                "end", f"the session ends ({self.end:%H:%M}) before it starts ({self.start:%H:%M})"
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


class Cost(_Strict):
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
            return {**value, "amount": _swedish_number(value["amount"])}
        return value

    @model_validator(mode="after")
    def _free_or_amount(self) -> Cost:
        if self.free and self.amount:
            raise field_problem("amount", "is both free and has an amount; keep one of them")
        if not self.free and self.amount is None:
            raise ValueError("needs an `amount:`, or `free: true`")
        return self


def _swedish_number(text: str) -> str:
    """'2 500' and '2 500,50' as Swedes write them: 2500 and 2500.50."""
    return re.sub(r"[\s\u00a0\u202f]", "", text).replace(",", ".")


def _kind_required(schema: dict[str, Any]) -> None:
    # Only articles may leave out `kind:`; this keeps the JSON Schema's oneOf unambiguous.
    schema["required"] = ["kind", *schema.get("required", [])]


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
    model_config = ConfigDict(json_schema_extra=_kind_required)

    kind: Literal["podcast"] = "podcast"


class Report(_ItemBase):
    """A report, publication or reading tip (lästips)."""

    model_config = ConfigDict(json_schema_extra=_kind_required)

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
            raise field_problem(
                "registration_deadline",
                f"the registration deadline ({deadline}) is after the last session "
                f"({self.sessions[-1].date})",
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
            raise ValueError("needs a `year:` (with a `number:`) or a `date:`")
        if self.year is not None and self.date is not None and self.date.year != self.year:
            raise field_problem("date", f"the date {self.date} is not in the year {self.year}")
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
