import datetime as dt
from pathlib import Path

from icalendar import Calendar
from render_fixtures import make_config, make_issue

from newsletter.render.calendar import TIMEZONE, calendar_entries, slugify


def entries(tmp_path: Path, **changes: object) -> list:  # type: ignore[type-arg]
    config = make_config(tmp_path)
    return calendar_entries(make_issue(**changes), config.newsletter("test"))


def test_one_file_per_session_with_unique_names(tmp_path: Path) -> None:
    names = [entry.filename for entry in entries(tmp_path)]
    assert names == [
        "webbkurs-i-omvarldskunskap-1.ics",
        "webbkurs-i-omvarldskunskap-2.ics",
        "webbkurs-i-omvarldskunskap-3.ics",
        "det-demokratiska-samtalet.ics",
    ]


def test_times_are_stockholm_times_with_their_timezone(tmp_path: Path) -> None:
    first = entries(tmp_path)[0]
    assert "\r\n" in first.ics and "\n" not in first.ics.replace("\r\n", "")
    assert "BEGIN:VTIMEZONE" in first.ics and "TZID:Europe/Stockholm" in first.ics
    assert first.ics.index("BEGIN:VTIMEZONE") < first.ics.index("BEGIN:VEVENT")
    event = Calendar.from_ical(first.ics).walk("VEVENT")[0]
    assert event.start == dt.datetime(2020, 8, 25, 13, tzinfo=TIMEZONE)
    # Summer time: 13.00 in Stockholm is 11.00 UTC.
    assert event.start.astimezone(dt.UTC).hour == 11
    assert event.end == dt.datetime(2020, 8, 25, 14, tzinfo=TIMEZONE)
    assert str(event["SUMMARY"]) == "Webbkurs i omvärldskunskap (Del 1)"
    assert str(event["LOCATION"]) == "Webbsänt"
    assert str(event["URL"]) == "https://example.org/anmalan?id=7&x=y"
    assert "Anmäl dig här!: https://example.org/anmalan?id=7&x=y" in str(event["DESCRIPTION"])


def test_a_day_without_times_is_an_all_day_event(tmp_path: Path) -> None:
    last = entries(tmp_path)[-1]
    event = Calendar.from_ical(last.ics).walk("VEVENT")[0]
    assert event.start == dt.date(2020, 12, 9)
    assert event.end == dt.date(2020, 12, 10)
    assert "VTIMEZONE" not in last.ics


def test_uids_are_stable_and_distinct(tmp_path: Path) -> None:
    first = [Calendar.from_ical(e.ics).walk("VEVENT")[0]["UID"] for e in entries(tmp_path)]
    again = [Calendar.from_ical(e.ics).walk("VEVENT")[0]["UID"] for e in entries(tmp_path)]
    assert first == again
    assert len(set(first)) == len(first)
    assert all(uid.endswith("@test.nyhetsbrev.example.org") for uid in first)


def test_slugs_are_ascii_and_short() -> None:
    assert slugify("Webbkurs i omvärldskunskap, del 1") == "webbkurs-i-omvarldskunskap-del-1"
    assert len(slugify("Hur kan kommunen och regionen stödja och samverka med näringslivet")) <= 40
    assert slugify("!!!") == "event"
