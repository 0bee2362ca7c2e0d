"""What a reader meets on a rendered e-mail, measured in Chromium by readability.js."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.sync_api import Page

SOURCE = (Path(__file__).parent / "readability.js").read_text(encoding="utf-8")
MIN_BUTTON_HEIGHT = 44  # Apple's guideline; Android asks 48 dp including the spacing


def measure(page: Page, inversion: str = "") -> dict[str, Any]:
    """Texts, low-contrast texts, broken words, buttons, headings and images of PAGE."""
    result: dict[str, Any] = page.evaluate(SOURCE, inversion)
    return result


def problems(page: Page, inversion: str = "") -> list[str]:
    """Everything on PAGE that a reader would stumble over, in words."""
    found = measure(page, inversion)
    report = [f"low contrast: {text}" for text in found["lowContrast"]]
    report += [f"word broken inside: {word}" for word in found["brokenWords"]]
    for button in found["buttons"]:
        if button["height"] < MIN_BUTTON_HEIGHT or button["lines"] != 1:
            report.append(
                f"button {button['label']!r}: {button['height']:.0f} px tall, "
                f"{button['lines']} lines (needs >= {MIN_BUTTON_HEIGHT} px, one line)"
            )
    levels = [heading["level"] for heading in found["headings"]]
    if levels[:1] != [1]:
        report.append(f"the first heading is not h1: {found['headings'][:1]}")
    for before, heading in zip(levels, found["headings"][1:], strict=False):
        if heading["level"] > before + 1:
            report.append(f"heading skips from h{before} to h{heading['level']}: {heading['text']}")
    for image in found["images"]:
        if not (image["width"] or "").isdigit():
            report.append(f"image without a pixel width: {image['src']} width={image['width']}")
    return report
