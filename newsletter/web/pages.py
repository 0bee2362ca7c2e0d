"""The server's own HTML pages, from autoescaped jinja2 templates, in a reader's language.

Links between pages are relative, so the same pages work behind a reverse proxy
that mounts the server under a path, and as static files in any folder.
"""

from __future__ import annotations

__all__ = ["LANGUAGES", "STYLESHEET", "Message", "error_messages", "page", "stylesheet"]

import datetime as dt
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

from newsletter.render.i18n import format_date, label

STYLESHEET = "site.css"
LANGUAGES = ("sv", "en")


@dataclass(frozen=True, slots=True)
class Message:
    language: str
    title: str
    text: str


@cache
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("newsletter.web", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def page(name: str, /, *, language: str, root: str, private: bool = False, **context: Any) -> str:
    """Render the template NAME; ROOT is the relative way up to the site's root ("../")."""

    def t(key: str, /, **values: str) -> str:
        return label(language, key).format(**values)

    def date(iso: str) -> str:
        return format_date(dt.date.fromisoformat(iso), language)

    return (
        _environment()
        .get_template(name)
        .render(t=t, format_date=date, language=language, root=root, private=private, **context)
    )


def error_messages(kind: str, language: str | None = None) -> list[Message]:
    """KIND's title and text in LANGUAGE; in every language when the reader's is unknown."""
    languages = [language] if language else list(LANGUAGES)
    return [
        Message(lang, label(lang, f"page_{kind}_title"), label(lang, f"page_{kind}_text"))
        for lang in languages
    ]


@cache
def stylesheet() -> bytes:
    return resources.files("newsletter.web").joinpath("templates", STYLESHEET).read_bytes()
