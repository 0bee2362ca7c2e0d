import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from projects import ROOT

from newsletter.config import load_config
from newsletter.content.loader import MAX_BYTES, load_issue, load_issue_text
from newsletter.content.model import Article, Course, Webinar
from newsletter.errors import IssueFileError

BAD = sorted((ROOT / "tests" / "content" / "bad_issues").glob("*.yaml"))
EXAMPLES = sorted((ROOT / "issues").glob("*.yaml"))

MINIMAL = """\
newsletter: medborgardialog
year: 2021
number: 3
title: Nyhetsbrev
sections:
  - items:
      - title: En nyhet
"""


def problems(text: str, **kwargs: object) -> list[str]:
    with pytest.raises(IssueFileError) as info:
        load_issue_text(text, "x.yaml", **kwargs)  # type: ignore[arg-type]
    return [str(problem) for problem in info.value.problems]


def test_the_bad_corpus_is_large_enough() -> None:
    assert len(BAD) >= 30
    assert all(path.with_suffix(".expected").is_file() for path in BAD)


@pytest.mark.parametrize("path", BAD, ids=[path.stem for path in BAD])
def test_bad_issue_file_gets_exactly_the_expected_lines(path: Path) -> None:
    expected = path.with_suffix(".expected").read_text(encoding="utf-8").splitlines()
    with pytest.raises(IssueFileError) as info:
        load_issue(path)
    assert [str(p).replace(str(path), path.name) for p in info.value.problems] == expected


@pytest.mark.parametrize("path", EXAMPLES, ids=[path.stem for path in EXAMPLES])
def test_every_example_issue_validates_against_the_config(path: Path) -> None:
    config = load_config(ROOT / "newsletter.toml")
    issue = load_issue(path, config=config)
    assert issue.newsletter in config.newsletters
    assert issue.items() and issue.editor is not None


def test_english_example_keeps_its_language_and_own_editor() -> None:
    config = load_config(ROOT / "newsletter.toml")
    issue = load_issue(ROOT / "issues" / "regional-utveckling-2021-02-en.yaml", config=config)
    assert issue.language == "en"
    assert issue.editor is not None and issue.editor.email == "anna.andersson@example.org"
    webinar = issue.events()[0]
    assert [s.label for s in webinar.sessions] == ["Part 1", "Part 2"]
    assert webinar.cost is not None and webinar.cost.currency == "EUR"


def test_medborgardialog_events_are_data() -> None:
    issue = load_issue(ROOT / "issues" / "medborgardialog-2020-06.yaml")
    course = next(item for item in issue.items() if isinstance(item, Course))
    assert [s.date for s in course.sessions] == [
        dt.date(2020, 8, 25),
        dt.date(2020, 9, 15),
        dt.date(2020, 10, 20),
    ]
    assert course.cost is not None and course.cost.amount == Decimal(2500)
    assert course.cost.note == "inkluderar alla tre utbildningstillfällena."
    seminar = next(i for i in issue.items() if i.title.endswith("webbseminarium"))
    assert isinstance(seminar, Webinar) and seminar.cost is not None
    assert (seminar.cost.amount, seminar.cost.vat, seminar.cost.unit) == (
        Decimal(250),
        "excluded",
        "per länk",
    )
    assert seminar.sessions[0].start == dt.time(10) and seminar.sessions[0].end == dt.time(12)


def test_regional_utveckling_has_its_sections_and_on_demand_course() -> None:
    issue = load_issue(ROOT / "issues" / "regional-utveckling-2021-05.yaml")
    assert [s.title for s in issue.sections] == [
        None,
        "I korthet",
        "Kommande evenemang",
        "Lästips",
    ]
    course = issue.sections[2].items[2]
    assert isinstance(course, Course) and course.on_demand and course.place == "online"


def test_config_fills_editor_and_language_from_the_newsletter() -> None:
    config = load_config(ROOT / "newsletter.toml")
    issue = load_issue_text(MINIMAL.replace("title: Nyhetsbrev", "title: Hej"), "x", config=config)
    assert issue.editor == config.newsletter("medborgardialog").editor
    assert issue.language == "sv"
    own = MINIMAL + "editor:\n  name: Eva Ek\n"
    assert load_issue_text(own, "x", config=config).editor.name == "Eva Ek"  # type: ignore[union-attr]


def test_without_config_the_editor_stays_empty() -> None:
    assert load_issue_text(MINIMAL, "x").editor is None


def test_unknown_newsletter_gets_did_you_mean(tmp_path: Path) -> None:
    config = load_config(ROOT / "newsletter.toml")
    text = MINIMAL.replace("medborgardialog", "regional-utvekling")
    assert problems(text, config=config) == [
        f"x.yaml:1:13: newsletter: there is no newsletter `regional-utvekling` in "
        f"{config.path}; did you mean `regional-utveckling`?"
    ]


def test_no_configured_newsletters_says_what_to_add(tmp_path: Path) -> None:
    path = tmp_path / "newsletter.toml"
    path.write_text('base_url = "https://example.org"\n', encoding="utf-8")
    [message] = problems(MINIMAL, config=load_config(path))
    assert "no newsletters are configured" in message
    assert "[newsletters.medborgardialog]" in message


def test_times_are_read_as_editors_write_them() -> None:
    text = MINIMAL + (
        "      - kind: webinar\n        title: W\n        sessions:\n"
        "          - {date: 2021-06-09, start: 9.00, end: 10:30}\n"
        "          - {date: 2021-06-08, start: '13.15'}\n"
    )
    webinar = load_issue_text(text, "x").items()[1]
    assert isinstance(webinar, Webinar)
    # Sessions come out in time order, whatever order the file has.
    assert [(s.date.day, s.start, s.end) for s in webinar.sessions] == [
        (8, dt.time(13, 15), None),
        (9, dt.time(9), dt.time(10, 30)),
    ]


def test_items_without_kind_are_articles_and_numbers_are_text() -> None:
    issue = load_issue_text(MINIMAL.replace("title: En nyhet", "title: 2021"), "x")
    assert isinstance(issue.items()[0], Article)
    assert issue.items()[0].title == "2021"


def test_swedish_amount_with_spaces_is_a_number() -> None:
    text = MINIMAL + "      - kind: course\n        title: K\n        cost: {amount: 2 500}\n"
    course = load_issue_text(text, "x").items()[1]
    assert isinstance(course, Course) and course.cost is not None
    assert course.cost.amount == Decimal(2500)


def test_a_few_aliases_are_fine() -> None:
    text = MINIMAL.replace("title: En nyhet", "title: &t En nyhet\n      - title: *t")
    assert [item.title for item in load_issue_text(text, "x").items()] == ["En nyhet"] * 2


def test_all_problems_are_reported_at_once_in_line_order() -> None:
    text = MINIMAL.replace("year: 2021", "year: tjugo").replace("title: En", "rubrik: En")
    text += "      - title: ''\n"
    assert problems(text) == [
        "x.yaml:2:7: year: should be a whole number (got `tjugo`)",
        "x.yaml:7:9: sections[0].items[0].rubrik: `rubrik` is not a field here; "
        "did you mean `title`?",
        "x.yaml:8:16: sections[0].items[1].title: is empty; write the text or delete the line",
    ]


def test_a_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + MINIMAL.encode())
    assert load_issue(path).title == "Nyhetsbrev"


def test_too_large_a_file_is_refused_before_parsing(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_text(MINIMAL + "# " + "x" * MAX_BYTES + "\n", encoding="utf-8")
    with pytest.raises(IssueFileError) as info:
        load_issue(path)
    assert str(info.value).startswith(f"{path}:1: the file is 1,000,")
    assert "at most 1,000,000" in str(info.value)


def test_mid_edit_text_is_checked_the_same_way() -> None:
    assert problems(MINIMAL + "      - title: [\n") == [
        "x.yaml:9:1: the file ends in the middle of a value; close the `[`, `{` or quote still open"
    ]
    assert problems(MINIMAL + "      - title: [En, nyhet\n        body: Text\n") == [
        "x.yaml:8:16: a `[` or `{` opened here is not closed; close it, or put the text in quotes"
    ]


@pytest.mark.parametrize(
    ("name", "message"),
    [("missing.yaml", "there is no such file; check the name"), ("", "is a folder")],
)
def test_unreadable_paths_are_named(tmp_path: Path, name: str, message: str) -> None:
    with pytest.raises(IssueFileError) as info:
        load_issue(tmp_path / name)
    assert str(info.value).startswith(f"{tmp_path / name}: {message}")
