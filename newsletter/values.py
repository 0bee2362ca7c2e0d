"""Constrained field types shared by the issue model and the configuration."""

from __future__ import annotations

__all__ = [
    "LANGUAGES",
    "EmailAddress",
    "HeaderText",
    "Language",
    "PlainText",
    "SafeUrl",
    "check_header_text",
    "normalise_email",
]

import re
import unicodedata
from typing import Annotated, Literal
from urllib.parse import urlsplit

from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, StringConstraints

Language = Literal["sv", "en"]
LANGUAGES: tuple[str, ...] = ("sv", "en")

_SCHEMES = frozenset({"https", "http", "mailto"})
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def check_header_text(value: str) -> str:
    """Refuse line breaks and control characters: the text goes into a mail header."""
    if _CONTROL.search(value):
        raise ValueError("must be one line, without line breaks or control characters")
    return value


def _check_url(value: str) -> str:
    if any(ch.isspace() for ch in value):
        raise ValueError("a link address cannot contain spaces or line breaks")
    scheme = urlsplit(value).scheme.lower()
    if scheme not in _SCHEMES:
        raise ValueError(f"a link must start with https://, http:// or mailto: (got {value!r})")
    if scheme in {"http", "https"} and not urlsplit(value).netloc:
        raise ValueError(f"a link needs a host name after {scheme}:// (got {value!r})")
    if scheme == "mailto":
        normalise_email(value[len("mailto:") :].split("?", 1)[0])
    return value


def normalise_email(value: str) -> str:
    """Check an address's syntax (no DNS) and return it normalised; ValueError if invalid."""
    try:
        result = validate_email(value, check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValueError(f"{value!r} is not a valid e-mail address: {exc}") from None
    return unicodedata.normalize("NFC", result.normalized)


PlainText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
HeaderText = Annotated[PlainText, AfterValidator(check_header_text)]
SafeUrl = Annotated[str, StringConstraints(strip_whitespace=True), AfterValidator(_check_url)]
EmailAddress = Annotated[
    str, StringConstraints(strip_whitespace=True), AfterValidator(normalise_email)
]
