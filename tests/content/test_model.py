import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from newsletter.config import Contact, NewsletterConfig
from newsletter.content.model import (
    KINDS,
    Article,
    Cost,
    Event,
    Issue,
    Link,
    Section,
    Session,
    Webcast,
    effective_editor,
)


def issue(**fields: Any) -> Issue:
    data: dict[str, Any] = {
        "newsletter": "medborgardialog",
        "year": 2020,
        "number": 6,
        "title": "Nyhetsbrev nr.6 år 2020",
        "sections": [{"items": [{"title": "En nyhet"}]}],
    }
    return Issue.model_validate(data | fields)


def error_types(exc: pytest.ExceptionInfo[ValidationError]) -> list[str]:
    return [error["type"] for error in exc.value.errors()]


def test_subject_defaults_to_the_title_and_slug_to_year_number() -> None:
    plain = issue()
    assert plain.subject_line == "Nyhetsbrev nr.6 år 2020"
    assert plain.slug == "2020-06"
    assert plain.issue_year == 2020
    assert issue(subject="Ämne").subject_line == "Ämne"


def test_dated_issue_without_number_uses_its_date() -> None:
    dated = issue(year=None, number=None, date="2021-05-03")
    assert dated.slug == "2021-05-03" and dated.issue_year == 2021


def test_items_and_events_in_order() -> None:
    sections = [
        {"items": [{"title": "A"}, {"kind": "webcast", "title": "B"}]},
        {"title": "Kommande", "items": [{"kind": "event", "title": "C"}]},
    ]
    result = issue(sections=sections)
    assert [type(item) for item in result.items()] == [Article, Webcast, Event]
    assert [event.title for event in result.events()] == ["B", "C"]


def test_every_kind_is_reachable_by_its_name() -> None:
    for kind, cls in KINDS.items():
        item = Section.model_validate({"items": [{"kind": kind, "title": "T"}]}).items[0]
        assert type(item) is cls and item.kind == kind


def test_header_text_refuses_line_breaks() -> None:
    with pytest.raises(ValidationError, match="must be one line"):
        issue(subject="Hej\r\nBcc: x@example.org")


@pytest.mark.parametrize("url", ["javascript:alert(1)", "data:text/html,x", "ftp://x.org/f"])
def test_links_are_https_http_or_mailto(url: str) -> None:
    with pytest.raises(ValidationError, match="https://, http:// or mailto:"):
        Link(label="Klicka", url=url)
    assert Link(label="Mejla", url="mailto:info@skr.se").role == "more"


def test_session_times_in_swedish_style_and_end_before_start() -> None:
    assert Session.model_validate({"date": "2020-05-29", "start": "9.00"}).start == dt.time(9)
    with pytest.raises(ValidationError) as info:
        Session.model_validate({"date": "2020-05-29", "start": "11:00", "end": "9.00"})
    assert error_types(info) == ["field_problem"]
    assert info.value.errors()[0]["ctx"]["field"] == "end"


@pytest.mark.parametrize("value", [13, 9.5, "24:00", "13:60"])
def test_session_refuses_numbers_and_impossible_times(value: object) -> None:
    with pytest.raises(ValidationError):
        Session.model_validate({"date": "2020-05-29", "start": value})


def test_cost_shorthands_and_swedish_amounts() -> None:
    assert Cost.model_validate("gratis").free
    assert Cost.model_validate(2500).amount == Decimal(2500)
    assert Cost.model_validate({"amount": "2 500,50"}).amount == Decimal("2500.50")
    with pytest.raises(ValidationError, match="needs an `amount:`"):
        Cost.model_validate({"vat": "excluded"})
    with pytest.raises(ValidationError, match="both free and has an amount"):
        Cost.model_validate({"free": True, "amount": 250})


def test_sessions_sort_and_deadline_must_precede_the_last() -> None:
    event = Event.model_validate(
        {"title": "E", "sessions": [{"date": "2020-10-20"}, {"date": "2020-08-25"}]}
    )
    assert [s.date.month for s in event.sessions] == [8, 10]
    with pytest.raises(ValidationError, match="after the last session"):
        Event.model_validate(
            {
                "title": "E",
                "sessions": [{"date": "2020-08-25"}],
                "registration_deadline": "2020-09-01",
            }
        )


def test_unknown_keys_and_empty_sections_are_errors() -> None:
    with pytest.raises(ValidationError) as info:
        issue(titel="x")
    assert error_types(info) == ["extra_forbidden"]
    with pytest.raises(ValidationError) as info:
        issue(sections=[{"items": []}])
    assert error_types(info) == ["too_short"]


def test_date_must_be_in_the_year_and_one_of_them_is_needed() -> None:
    with pytest.raises(ValidationError, match="not in the year 2020"):
        issue(date="2021-01-01")
    with pytest.raises(ValidationError, match="needs a `year:`"):
        issue(year=None)


def test_effective_editor_prefers_the_issue_then_the_newsletter() -> None:
    newsletter = NewsletterConfig(
        key="m",
        name="M",
        from_name="M",
        from_address="m@example.org",
        reply_to="r@example.org",
        list_id="m.example.org",
        default_list="m",
        editor=Contact(name="Anders Nordh"),
    )
    assert effective_editor(issue(), newsletter).name == "Anders Nordh"
    assert effective_editor(issue(editor={"name": "Eva Ek"}), newsletter).name == "Eva Ek"


def test_json_schema_requires_kind_except_for_articles() -> None:
    defs = Issue.model_json_schema()["$defs"]
    assert "kind" not in defs["Article"].get("required", [])
    assert "kind" in defs["Webcast"]["required"]
    assert {"enum": ["free", "gratis", "kostnadsfri", "kostnadsfritt"]} in defs["Cost"]["anyOf"]
