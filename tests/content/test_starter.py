import datetime as dt

import pytest

from newsletter.content.loader import load_issue_text
from newsletter.content.starter import issue_schema, starter_issue

TODAY = dt.date(2026, 12, 20)


@pytest.mark.parametrize("language", ["sv", "en"])
def test_starter_validates_in_both_languages(language: str) -> None:
    text = starter_issue(newsletter="medborgardialog", today=TODAY, language=language)
    issue = load_issue_text(text, "starter.yaml")
    assert issue.language == language and issue.year == 2026
    # The example event is in the future, its deadline before it, across the new year.
    [event] = issue.events()
    assert event.sessions[0].date == dt.date(2027, 1, 19)
    assert event.registration_deadline == dt.date(2027, 1, 9)


def test_starter_names_the_schema_or_says_how_to_get_one() -> None:
    with_schema = starter_issue(newsletter="m", today=TODAY, schema="../docs/issue.schema.json")
    assert with_schema.startswith("# yaml-language-server: $schema=../docs/issue.schema.json\n")
    without = starter_issue(newsletter="m", today=TODAY)
    assert without.startswith("# Run `newsletter schema -o issue.schema.json`")


def test_schema_is_draft_2020_12_and_describes_fields() -> None:
    schema = issue_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["required"] == ["newsletter", "title", "sections"]
    assert "description" in schema["properties"]["title"]
