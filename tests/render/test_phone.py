import pytest

from newsletter.render.phone import tel_uri


@pytest.mark.parametrize(
    ("written", "uri"),
    [
        ("08-452 74 35", "tel:+4684527435"),
        ("070-123 45 67", "tel:+46701234567"),
        ("(08) 123 45 67", "tel:+4681234567"),
        ("+46 8 452 74 35", "tel:+4684527435"),
        ("0046 8 452 74 35", "tel:+4684527435"),
        ("+358 9 123 4567", "tel:+35891234567"),
    ],
)
def test_numbers_as_editors_write_them_become_international_tel_links(
    written: str, uri: str
) -> None:
    assert tel_uri(written) == uri


@pytest.mark.parametrize("written", ["ring växeln", "112", "08-452 74 35 eller 08-452 70 00", ""])
def test_what_is_not_one_phone_number_gets_no_link(written: str) -> None:
    assert tel_uri(written) is None
