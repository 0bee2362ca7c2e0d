"""Every example e-mail, light and dark, at 320, 375 and 600 px, read as a reader would.

Walks every visible text in Chromium (tests/readability.js) and asserts WCAG 2.1 contrast
(4.5:1, 3:1 for large text), no word broken inside, buttons at least 44 px tall on one
line, headings that never skip a level, and a pixel width on every image. Light mode is
also read as the Gmail apps and Outlook.com invert it (full and partial inversion).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from email_pages import email_file, open_email
from playwright.sync_api import Browser
from readability import measure, problems
from render_fixtures import EXAMPLES

pytestmark = pytest.mark.browser

WIDTHS = (320, 375, 600)
MODES = {"light": (False, ""), "dark": (True, ""), "inverted": (False, "full")}
MODES["partly-inverted"] = (False, "partial")


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("issue_path", EXAMPLES, ids=lambda p: p.stem)
def test_every_text_reads_well_at_every_width(
    browser: Browser, issue_path: Path, mode: str, tmp_path: Path
) -> None:
    dark, inversion = MODES[mode]
    path, _ = email_file(issue_path, tmp_path)
    page = open_email(browser, path, WIDTHS[0], dark=dark)
    found: list[str] = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 800})
        found += [f"{width} px: {problem}" for problem in problems(page, inversion)]
    page.close()
    assert found == []


def test_the_examples_cover_what_is_checked(browser: Browser, tmp_path: Path) -> None:
    # A check that sees no button, logo or deadline proves nothing about them.
    seen: dict[str, int] = {"buttons": 0, "logos": 0, "deadlines": 0, "h2 items": 0}
    for issue_path in EXAMPLES:
        path, _ = email_file(issue_path, tmp_path)
        page = open_email(browser, path, 320)
        found = measure(page)
        seen["buttons"] += len(found["buttons"])
        # The logo is loaded (served from tests/images/), so dark mode shows it for real.
        logos = page.evaluate(
            "[...document.querySelectorAll('td.nl-logo img')].map(i => i.naturalWidth)"
        )
        seen["logos"] += sum(width > 0 for width in logos)
        seen["deadlines"] += page.locator("th", has_text="Sista anmälningsdag").count()
        seen["h2 items"] += page.locator("h2.nl-item-title").count()
        page.close()
    assert all(seen.values()), seen
