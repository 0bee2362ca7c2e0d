"""The rendered e-mails and the preview in headless Chromium (Debian's, driven by Playwright).

Run as a script to refresh the screenshots in docs/:

    PYTHONPATH=tests .venv/bin/python tests/render/test_browser_render.py
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from chromium import ARGS, CHROMIUM
from email_pages import email_file, open_email
from playwright.sync_api import Browser, expect, sync_playwright
from preview_server import running_preview
from readability import MIN_BUTTON_HEIGHT
from render_fixtures import EXAMPLES, ROOT

WIDTHS = (600, 375)

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("issue_path", EXAMPLES, ids=lambda p: p.stem)
def test_no_horizontal_overflow_and_every_title_visible(
    browser: Browser, issue_path: Path, width: int, tmp_path: Path
) -> None:
    path, titles = email_file(issue_path, tmp_path)
    page = open_email(browser, path, width)
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    overflowing = page.evaluate(
        """(width) => [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > width + 0.5)
            .map(e => e.tagName + ': ' + e.textContent.trim().slice(0, 40))""",
        width,
    )
    assert overflowing == []
    headings = page.locator(".nl-item-title")
    assert headings.count() == len(titles)
    for index, title in enumerate(titles):
        heading = headings.nth(index)
        expect(heading).to_have_text(title)
        heading.scroll_into_view_if_needed()
        expect(heading).to_be_visible()
        box = heading.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width
    page.close()


def test_buttons_and_links_are_big_enough_to_tap_on_a_phone(
    browser: Browser, tmp_path: Path
) -> None:
    path, _ = email_file(EXAMPLES[0], tmp_path)
    page = open_email(browser, path, 375)
    heights = page.evaluate(
        "[...document.querySelectorAll('td.nl-button a, td.nl-link a')]"
        ".map(a => a.getBoundingClientRect().height)"
    )
    assert len(heights) >= 10 and min(heights) >= MIN_BUTTON_HEIGHT
    page.close()


def test_the_preview_shows_both_widths_and_reloads_on_save(
    browser: Browser, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NEWSLETTER_CONFIG", raising=False)
    shutil.copy(ROOT / "newsletter.toml", tmp_path / "newsletter.toml")
    (tmp_path / "issues").mkdir()
    issue = Path(shutil.copy(EXAMPLES[0], tmp_path / "issues" / EXAMPLES[0].name))
    with running_preview(issue) as (_, url):
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.goto(f"{url}/")
        desktop = page.frame_locator("#desktop")
        mobile = page.frame_locator("#mobile")
        expect(desktop.locator("h1")).to_have_text("Nyhetsbrev nr.6 år 2020")
        assert page.locator("#desktop").bounding_box()["width"] == 600  # type: ignore[index]
        assert page.locator("#mobile").bounding_box()["width"] == 375  # type: ignore[index]
        expect(page.locator("#text")).to_contain_text("Nyhetsbrev nr.6 år 2020")

        text = issue.read_text(encoding="utf-8")
        issue.write_text(text.replace("Nyhetsbrev nr.6 år 2020", "Sparat och omladdat"))
        expect(desktop.locator("h1")).to_have_text("Sparat och omladdat", timeout=10_000)
        expect(mobile.locator("h1")).to_have_text("Sparat och omladdat")

        issue.write_text(text.replace("number: 6", "number: sex"), encoding="utf-8")
        expect(page.locator(".errors")).to_contain_text(f"{issue}:", timeout=10_000)
        expect(page.locator(".errors")).to_contain_text(f"{issue}:10:")
        expect(page.locator(".errors")).to_contain_text("number")
        page.close()


def screenshots(folder: Path) -> None:
    """docs/<issue>-<width>[-dark].png: the top of each example e-mail as readers see it."""
    shots = [(width, False) for width in WIDTHS] + [(375, True)]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for issue_path in EXAMPLES:
            path, _ = email_file(issue_path, Path("/tmp"))
            for width, dark in shots:
                page = open_email(browser, path, width, dark=dark)
                height = 1200 if width == 600 else 1400
                page.screenshot(
                    path=folder / f"{issue_path.stem}-{width}{'-dark' if dark else ''}.png",
                    clip={"x": 0, "y": 0, "width": width, "height": height},
                    full_page=True,
                )
                page.close()
        browser.close()


if __name__ == "__main__":
    screenshots(ROOT / "docs")
