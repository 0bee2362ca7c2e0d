import pytest

from newsletter.render.colours import DARK_CARD, LIGHT_CARD, contrast, palette


def test_contrast_follows_wcag() -> None:
    assert contrast("#000000", "#ffffff") == pytest.approx(21)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)
    assert contrast("#1f4e79", "#1f4e79") == 1


BRANDS = ["#1f4e79", "#6a2c70", "#ffcc00", "#00a3e0", "#e30613", "#000000", "#ffffff"]


@pytest.mark.parametrize("brand", BRANDS)
def test_every_brand_colour_gets_readable_text_in_both_modes(brand: str) -> None:
    colours = palette(brand)
    assert colours.brand == brand
    assert contrast(colours.brand_text, LIGHT_CARD) >= 4.5
    assert contrast(colours.brand_dark, DARK_CARD) >= 4.5
    assert contrast(colours.on_brand, colours.brand) >= 4.5


def test_a_dark_brand_colour_is_kept_in_light_mode_and_lightened_in_dark_mode() -> None:
    colours = palette("#1F4E79")
    assert (colours.brand, colours.brand_text, colours.on_brand) == ("#1f4e79",) * 2 + ("#ffffff",)
    assert colours.brand_dark != colours.brand
    # A light brand colour is darkened for text on white, and takes dark text on it.
    yellow = palette("#ffcc00")
    assert yellow.brand_text != "#ffcc00" and yellow.on_brand != "#ffffff"
