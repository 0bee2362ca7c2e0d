"""Building blocks of the issue model: its base class, text and time types, located errors."""

from __future__ import annotations

__all__ = ["ClockTime", "Markdown", "StrictModel", "field_problem", "swedish_number"]

import datetime as dt
import re
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema
from pydantic_core import PydanticCustomError

# Markdown text: paragraphs, **bold**, *italic*, [links](https://...) and lists.
Markdown = Annotated[str, Field(min_length=1, json_schema_extra={"format": "markdown"})]

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
