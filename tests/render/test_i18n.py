import datetime as dt
from decimal import Decimal

import pytest

from newsletter.content.model import Cost, Session
from newsletter.render.i18n import (
    LABELS,
    format_cost,
    format_date,
    format_session,
    format_time_range,
    label,
)

NBSP = "\u00a0"


def test_swedish_and_english_dates() -> None:
    assert format_date(dt.date(2020, 9, 15), "sv") == "tisdag 15 september 2020"
    assert format_date(dt.date(2020, 9, 15), "en") == "Tuesday 15 September 2020"


def test_swedish_times_use_a_point_and_an_en_dash() -> None:
    assert format_time_range(dt.time(13), dt.time(14), "sv") == "13.00–14.00"
    assert format_time_range(dt.time(9, 30), None, "sv") == "09.30"
    assert format_time_range(None, None, "sv") == ""
    assert format_time_range(dt.time(13), dt.time(14), "en") == "13:00–14:00"


def test_a_session_with_its_label() -> None:
    session = Session(date=dt.date(2020, 8, 25), start=dt.time(13), end=dt.time(14), label="Del 1")
    assert format_session(session, "sv") == "Del 1: tisdag 25 augusti 2020, 13.00–14.00"
    assert format_session(Session(date=dt.date(2020, 8, 25)), "sv") == "tisdag 25 augusti 2020"


@pytest.mark.parametrize(
    ("cost", "language", "expected"),
    [
        (Cost(amount=Decimal(2500)), "sv", f"2{NBSP}500{NBSP}kr"),
        (Cost(amount=Decimal("2500.5")), "sv", f"2{NBSP}500,50{NBSP}kr"),
        (
            Cost(amount=Decimal(250), vat="excluded", unit="per länk"),
            "sv",
            f"250{NBSP}kr exkl. moms per länk",
        ),
        (Cost(amount=Decimal(250), vat="included"), "sv", f"250{NBSP}kr inkl. moms"),
        (Cost(free=True), "sv", "Gratis"),
        (Cost(free=True, note="lunch ingår"), "sv", "Gratis – lunch ingår"),
        (Cost(amount=Decimal(2500), vat="excluded"), "en", f"SEK{NBSP}2,500 excl. VAT"),
        (Cost(amount=Decimal(90), currency="EUR"), "en", "€90"),
        (Cost(amount=Decimal(90), currency="EUR"), "sv", f"90{NBSP}€"),
        (Cost(free=True), "en", "Free"),
    ],
)
def test_costs(cost: Cost, language: str, expected: str) -> None:
    assert format_cost(cost, language) == expected


def test_every_label_exists_in_both_languages() -> None:
    assert LABELS["sv"].keys() == LABELS["en"].keys()
    assert label("sv", "audience") == "Målgrupp"
    assert label("en", "register") == "Register"
    assert label("sv", "add_to_calendar") == "Lägg till i kalendern"
