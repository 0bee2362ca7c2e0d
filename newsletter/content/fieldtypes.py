"""Building blocks of the issue model: its base class, text and time types, located errors."""

from __future__ import annotations

__all__ = [
    "PERSONAL_FIELD",
    "ClockTime",
    "Markdown",
    "StrictModel",
    "field_problem",
    "markdown_links",
    "markdown_parser",
    "swedish_number",
]

import datetime as dt
import re
from functools import cache
from typing import Annotated, Any

from markdown_it import MarkdownIt
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema
from pydantic_core import PydanticCustomError

from newsletter.translate import _
from newsletter.valuechecks import check_text, check_url

# What an editor writes in issue text: {{ name }}, {{ kommun }}, {{ organisation }}.
PERSONAL_FIELD = re.compile(r"\{\{\s*([^\W\d][\w-]*)\s*\}\}")
# Stands for a personal field while the links are checked: its URL is each reader's own,
# checked when their message is built.
_PERSONAL_URL = "zpersonalfieldy"


@cache
def markdown_parser() -> MarkdownIt:
    """The editors' markdown: CommonMark without raw HTML, images, headings or code blocks."""
    # Raw HTML is off: an editor's `<script>` or `<font>` shows as the text it is.
    # Images are off too: an item's `image:` has the required alt text and the right width.
    md = MarkdownIt("commonmark", {"html": False, "typographer": False})
    md.disable(["image", "heading", "lheading", "code", "fence", "html_block", "html_inline"])
    return md


def markdown_links(markdown: str) -> list[str]:
    """The addresses of every link in MARKDOWN, in order."""
    return [
        str(token.attrs["href"])
        for block in markdown_parser().parse(markdown)
        for token in block.children or []
        if token.type == "link_open"
    ]


def _check_links(markdown: str) -> str:
    for href in markdown_links(PERSONAL_FIELD.sub(_PERSONAL_URL, markdown)):
        if href.startswith(_PERSONAL_URL):
            continue
        try:
            check_url(href)
        except ValueError as exc:
            raise ValueError(
                _("the link to {href!r} cannot be used: {exc}").format(href=href, exc=exc)
            ) from None
    return markdown


# Markdown text: paragraphs, **bold**, *italic*, [links](https://...) and lists.
Markdown = Annotated[
    str,
    Field(min_length=1, json_schema_extra={"format": "markdown"}),
    AfterValidator(check_text),
    AfterValidator(_check_links),
]

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


class StrictModel(BaseModel):
    """Frozen, and strict about keys: the base of every part of an issue."""

    # Unknown keys are errors (an editor will type `titel:`); the loader adds "did you mean".
    # `title: 2021` is text to an editor, so numbers are accepted where text is expected.
    model_config = ConfigDict(
        extra="forbid", frozen=True, str_strip_whitespace=True, coerce_numbers_to_str=True
    )


def swedish_number(text: str) -> str:
    """'2 500' and '2 500,50' as Swedes write them: 2500 and 2500.50."""
    return re.sub(r"[\s\u00a0\u202f]", "", text).replace(",", ".")
