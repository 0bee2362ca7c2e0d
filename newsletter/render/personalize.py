"""Per-recipient values (name, unsubscribe and web addresses) filled into a rendered issue.

A personal field an issue uses as a link address (`[Din anmälan]({{ website }})`) is
checked for each recipient like every link of the issue: https, http or mailto only.
A value that fails makes that recipient's message fail (UnusableValue), not the send.
"""

from __future__ import annotations

__all__ = ["BUILT_IN", "Personal", "Personalizer", "UnusableValue"]

import html
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from newsletter.errors import RecipientError
from newsletter.render.placeholders import Placeholders
from newsletter.translate import _
from newsletter.valuechecks import check_url

if TYPE_CHECKING:
    # Type-only: the web side fills in archived issues without loading the renderer.
    from newsletter.render.issue import RenderedIssue


@dataclass(frozen=True, slots=True)
class Personal:
    """What one recipient's copy needs."""

    email: str
    name: str
    fields: Mapping[str, str]  # extra CSV columns (organisation, kommun, ...)
    unsubscribe_url: str
    web_url: str  # the issue's web version (urls.issue_url)


# The values the tool fills in itself; every other key is a column of the lists.
BUILT_IN = frozenset({"name", "email", "unsubscribe_url", "web_url", "unsubscribe_label",
                      "unsubscribe_note", "correction"})  # fmt: skip


class UnusableValue(RecipientError):
    """A recipient's value that cannot go where the issue puts it (a bad link address)."""


def _keep(text: str) -> str:
    return text


class Personalizer:
    """Compiled once per issue; personalize() fills in one recipient's values."""

    def __init__(self, rendered: RenderedIssue, /) -> None:
        # Here, not at the top: a send's helper process unpickles a Personalizer and uses
        # no more than personalize(), without the issue model's libraries (Babel, pydantic).
        from newsletter.render.i18n import label

        self._placeholders = Placeholders(rendered.issue)
        self._html = self._placeholders.compile(rendered.html)
        self._text = self._placeholders.compile(rendered.text)
        self.url_fields = frozenset(self._placeholders.url_keys(rendered.html) - BUILT_IN)
        language = rendered.issue.language
        self._mail_words = {
            "unsubscribe_label": label(language, "unsubscribe"),
            "unsubscribe_note": label(language, "unsubscribe_note"),
        }
        self._web_words = {
            "unsubscribe_label": label(language, "archive"),
            "unsubscribe_note": label(language, "web_unsubscribe"),
        }

    @property
    def fields(self) -> set[str]:
        """Every key the issue uses: name, email, the CSV columns an editor referred to, ..."""
        return set(self._html.keys) | set(self._text.keys)

    def personalize(self, personal: Personal, /) -> tuple[str, str]:
        """(html, text) of one recipient's copy; UnusableValue for a bad link address."""
        for key in self.url_fields:
            _check_link(key, personal.fields.get(key, ""))
        values = {
            **personal.fields,
            **self._mail_words,
            "name": personal.name.strip(),
            "email": personal.email,
            "unsubscribe_url": personal.unsubscribe_url,
            "web_url": personal.web_url,
            "correction": "",
        }
        return self._fill(values)

    def web_version(
        self, web_url: str, archive_url: str, *, correction: str = ""
    ) -> tuple[str, str]:
        """The public page: no name, no address, no token; unsubscribing points to the archive.

        CORRECTION ("Rättad 12 maj 2026") is shown beside the issue's number and date.
        """
        values = {**self._web_words, "web_url": web_url, "unsubscribe_url": archive_url,
                  "correction": correction}  # fmt: skip
        return self._fill(values)

    def _fill(self, values: Mapping[str, str]) -> tuple[str, str]:
        # Values are escaped in the HTML only: the text part shows them as they are.
        return self._html.fill(values, _html_escape), self._text.fill(values, _keep)


def _check_link(key: str, value: str) -> None:
    try:
        check_url(value)
    except ValueError as exc:
        shown = value if len(value) <= 60 else value[:59] + "…"
        raise UnusableValue(
            _(
                "the column {key!r} is used as a link address in the issue, but holds {shown!r}: "
                "{exc}. Fix the value in the list."
            ).format(key=key, shown=shown, exc=exc)
        ) from None


def _html_escape(text: str) -> str:
    return html.escape(text, quote=True)
