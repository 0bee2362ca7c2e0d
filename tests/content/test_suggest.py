import pytest

from newsletter.content.suggest import did_you_mean, suggestion

FIELDS = ["title", "date", "sessions", "place", "audience", "cost", "links"]


@pytest.mark.parametrize(
    ("word", "meant"),
    [
        ("titel", "title"),  # Swedish
        ("rubrik", "title"),
        ("datum", "date"),
        ("plats", "place"),
        ("målgrupp", "audience"),
        ("Kostnad", "cost"),
        ("lnks", "links"),  # typo
        ("Title", "title"),  # case
        ("sess", "sessions"),  # the start of one name
    ],
)
def test_did_you_mean(word: str, meant: str) -> None:
    assert did_you_mean(word, FIELDS) == meant


def test_nothing_close_lists_the_choices() -> None:
    assert did_you_mean("färg", FIELDS) is None
    assert suggestion("färg", ["sv", "en"]) == "use one of: `sv`, `en`"
    assert suggestion("svenska", ["sv", "en"]) == "did you mean `sv`?"
