"""Constrained field types shared by the issue model and the configuration; the checks
behind them are plain functions in newsletter.valuechecks."""

from __future__ import annotations

__all__ = [
    "BaseUrl",
    "EmailAddress",
    "HeaderText",
    "Language",
    "PlainText",
    "SafeUrl",
    "StateUrl",
]

from typing import Annotated

from pydantic import AfterValidator, StringConstraints

from newsletter.valuechecks import (
    Language,
    check_base_url,
    check_header_text,
    check_state_url,
    check_text,
    check_url,
    normalise_email,
)

PlainText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1), AfterValidator(check_text)
]
# The header check first: for a line break its words say more than check_text's.
HeaderText = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1),
    AfterValidator(check_header_text),
    AfterValidator(check_text),
]
SafeUrl = Annotated[str, StringConstraints(strip_whitespace=True), AfterValidator(check_url)]
BaseUrl = Annotated[str, StringConstraints(strip_whitespace=True), AfterValidator(check_base_url)]
StateUrl = Annotated[str, StringConstraints(strip_whitespace=True), AfterValidator(check_state_url)]
EmailAddress = Annotated[
    str, StringConstraints(strip_whitespace=True), AfterValidator(normalise_email)
]
