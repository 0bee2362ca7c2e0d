"""The starter issue `newsletter new` writes, and the JSON Schema of an issue file."""

from __future__ import annotations

__all__ = ["SCHEMA_ID", "issue_schema", "placeholder_texts", "schema_json", "starter_issue"]

import datetime as dt
import json
from typing import Any

from newsletter.content.model import Issue

SCHEMA_ID = "https://json-schema.org/draft/2020-12/schema"


def issue_schema() -> dict[str, Any]:
    """The JSON Schema of an issue file, for editors that check YAML as it is typed."""
    schema = Issue.model_json_schema()
    return {
        "$schema": SCHEMA_ID,
        "title": "Newsletter issue",
        "description": "One issue of a newsletter, written as YAML. See docs/issues.md.",
        **{key: value for key, value in schema.items() if key != "title"},
    }


def schema_json() -> str:
    """issue_schema() as the text of docs/issue.schema.json."""
    return json.dumps(issue_schema(), indent=2, ensure_ascii=False) + "\n"


_WORDS = {
    "sv": {
        "title": "Nyhetsbrev nr {number} år {year}",
        "preheader": "Nyheter och kommande evenemang",
        "intro": "Välkomna till vårt nyhetsbrev!",
        "news": "Rubrik på nyheten",
        "news_body": "Några meningar om nyheten. **Fetstil** och [länkar](https://example.org/).",
        "more": "Länk till mer information",
        "events": "Kommande evenemang",
        "event": "Webbinarium om medborgardialog",
        "event_body": "Vad webbinariet handlar om och vilka som medverkar.",
        "place": "Digitalt",
        "audience": "Förtroendevalda och tjänstepersoner",
        "unit": "per länk",
        "register": "Anmäl dig här!",
    },
    "en": {
        "title": "Newsletter no {number} {year}",
        "preheader": "News and upcoming events",
        "intro": "Welcome to our newsletter!",
        "news": "Headline of the news item",
        "news_body": "A few sentences about it. **Bold** and [links](https://example.org/) work.",
        "more": "Read more",
        "events": "Upcoming events",
        "event": "Webinar on citizen dialogue",
        "event_body": "What the webinar is about and who takes part.",
        "place": "Online",
        "audience": "Elected representatives and officials",
        "unit": "per connection",
        "register": "Register here",
    },
}


# The starter's words that only stand in for the editor's own: left in, they embarrass.
_PLACEHOLDERS = ("news", "news_body", "event_body")


def placeholder_texts() -> tuple[str, ...]:
    """The starter's stand-in texts, in every language (`newsletter check` looks for them)."""
    return tuple(words[key] for words in _WORDS.values() for key in _PLACEHOLDERS)


def starter_issue(
    *,
    newsletter: str,
    today: dt.date,
    language: str = "sv",
    schema: str | None = None,
    number: int = 1,
) -> str:
    """A commented issue file that validates: the fields an editor fills in; NUMBER is the
    issue's number in TODAY's year."""
    words = {
        k: v.format(year=today.year, number=number)
        for k, v in _WORDS.get(language, _WORDS["sv"]).items()
    }
    event_day = today + dt.timedelta(days=30)
    deadline = today + dt.timedelta(days=20)
    header = (
        f"# yaml-language-server: $schema={schema}\n"
        if schema
        else "# Run `newsletter schema -o issue.schema.json` for completion in your editor.\n"
    )
    return header + _TEMPLATE.format(
        newsletter=newsletter,
        year=today.year,
        number=number,
        language=language,
        event_day=event_day.isoformat(),
        deadline=deadline.isoformat(),
        **words,
    )


_TEMPLATE = """#
# A new issue. Fill in the fields, then check it with
#     newsletter validate THIS-FILE
# Lines starting with # are comments. Indent with spaces, never tabs.
# Fields marked (markdown) take **bold**, *italic*, [link text](https://...) and lists.

# Which newsletter this is: a [newsletters.KEY] section in newsletter.toml.
newsletter: {newsletter}
# The issue number and the year; or a publication `date:` (YYYY-MM-DD); or both.
number: {number}
year: {year}
# The headline; also the e-mail's subject unless you add `subject: ...`.
title: {title}
# A short line shown after the subject in the inbox.
preheader: {preheader}
# sv (Swedish) or en (English); the newsletter's language when left out.
language: {language}
# (markdown) The opening words.
intro: |
  {intro}

sections:
  # A section is a run of items, with an optional `title:` ("I korthet", "Lästips").
  - items:
      # An item without `kind:` is an article. `source:` is shown before the title.
      - source: SKR
        title: {news}
        # (markdown)
        body: |
          {news_body}
        links:
          # role: more, register, watch, replays, listen, read or download.
          - label: {more}
            url: https://example.org/
            role: more

  - title: {events}
    items:
      # kind: webcast, webinar, course, podcast, report or event.
      - kind: webinar
        title: {event}
        body: |
          {event_body}
        # One entry per occasion; times as HH:MM. For "when it suits you",
        # leave out sessions and write `on_demand: true`.
        sessions:
          - date: {event_day}
            start: "13:00"
            end: "14:30"
        place: {place}
        audience: {audience}
        # `cost: free`, or an amount in SEK with its terms (vat: included or excluded).
        cost:
          amount: 250
          vat: excluded
          unit: {unit}
        registration_deadline: {deadline}
        links:
          - label: {register}
            url: https://example.org/
            role: register

# The editor block (name, email, phone, organisation, website) comes from
# newsletter.toml. To use another one in this issue only:
# editor:
#   name: Förnamn Efternamn
#   email: fornamn.efternamn@example.org
"""
