"""The e-mail's colours: the brand colour made readable in light and dark mode (WCAG 2.1).

Editors choose one brand colour. Text in it must reach a contrast of 4.5:1 on the white
card (light mode) and on the dark card (dark mode, WCAG 1.4.3); text on it, white or
near-black, whichever reads better.
"""

from __future__ import annotations

__all__ = ["DARK_CARD", "LIGHT_CARD", "Palette", "contrast", "palette"]

import colorsys
from dataclasses import dataclass

LIGHT_CARD = "#ffffff"
DARK_CARD = "#1d2126"
_DARK_TEXT = "#17202a"
_MINIMUM = 4.5


@dataclass(frozen=True, slots=True)
class Palette:
    """The colours the templates use, derived from the newsletter's brand colour."""

    brand: str  # backgrounds: the header, filled buttons
    on_brand: str  # text on the brand colour
    brand_text: str  # headings, links and outlined buttons on the white card
    brand_dark: str  # the same on the dark card, in dark mode


def _rgb(colour: str) -> tuple[float, float, float]:
    value = colour.lstrip("#")
    red, green, blue = (int(value[i : i + 2], 16) / 255 for i in (0, 2, 4))
    return red, green, blue


def _hex(rgb: tuple[float, float, float]) -> str:
    return "#" + "".join(f"{round(channel * 255):02x}" for channel in rgb)


def _luminance(colour: str) -> float:
    def linear(channel: float) -> float:
        return channel / 12.92 if channel <= 0.03928 else ((channel + 0.055) / 1.055) ** 2.4

    red, green, blue = (linear(channel) for channel in _rgb(colour))
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast(first: str, second: str, /) -> float:
    """WCAG 2.1 contrast ratio of two #rrggbb colours, from 1 to 21."""
    high, low = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def _readable_on(colour: str, background: str) -> str:
    """COLOUR, made lighter or darker in small steps until it reads on BACKGROUND."""
    hue, lightness, saturation = colorsys.rgb_to_hls(*_rgb(colour))
    target = 1.0 if _luminance(background) < 0.5 else 0.0
    while contrast(colour, background) < _MINIMUM and lightness != target:
        lightness = min(lightness + 0.02, target) if target else max(lightness - 0.02, target)
        colour = _hex(colorsys.hls_to_rgb(hue, lightness, saturation))
    return colour


def palette(brand: str, /) -> Palette:
    """The palette for BRAND (#rrggbb)."""
    brand = brand.lower()
    on_brand = max(("#ffffff", _DARK_TEXT), key=lambda text: contrast(text, brand))
    return Palette(
        brand=brand,
        on_brand=on_brand,
        brand_text=_readable_on(brand, LIGHT_CARD),
        brand_dark=_readable_on(brand, DARK_CARD),
    )
