"""The pages of `newsletter serve` in headless Chromium: keyboard, no JavaScript, axe-core."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, BrowserContext, Page, expect
from web_fixtures import Project, make_project, rendered_issue, serve

from newsletter.audience import suppression
from newsletter.render.issue import RenderedIssue

# WCAG 2.1 level A and AA, the level the Swedish accessibility law (DOS-lagen) asks for.
WCAG_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("state_engine")]


@pytest.fixture(scope="module")
def issue(tmp_path_factory: pytest.TempPathFactory) -> RenderedIssue:
    return rendered_issue(make_project(tmp_path_factory.mktemp("render")))


@pytest.fixture
def project(tmp_path: Path, issue: RenderedIssue) -> Iterator[Project]:
    yield from serve(make_project(tmp_path), issue)


@pytest.fixture
def no_script(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(java_script_enabled=False)
    yield context
    context.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context()
    page = context.new_page()
    yield page
    context.close()


def csp_violations(page: Page) -> list[str]:
    found: list[str] = []
    page.on(
        "console",
        lambda message: found.append(message.text) if "Content Security" in message.text else None,
    )
    return found


def assert_accessible(page: Page) -> None:
    results = Axe().run(page, options=WCAG_AA)
    assert results.violations_count == 0, results.generate_report()


def test_keyboard_only_unsubscribe_and_undo_without_javascript(
    project: Project, no_script: BrowserContext
) -> None:
    page = no_script.new_page()
    page.goto(f"{project.url}/u/{project.token()}")
    expect(page.locator("html")).to_have_attribute("lang", "sv")
    expect(page.get_by_role("heading", level=1)).to_have_text("Avregistrera dig")
    assert not suppression.is_suppressed(project.db, "anna@example.org", newsletter="test")
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Avregistrera mig")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Du är avregistrerad")
    assert suppression.is_suppressed(project.db, "anna@example.org", newsletter="test")
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Ångra avregistreringen")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Du får nyhetsbrevet igen")
    assert not suppression.is_suppressed(project.db, "anna@example.org", newsletter="test")


@pytest.mark.sqlite_only  # how the pages read: the engine changes nothing
def test_unsubscribe_pages_are_accessible(project: Project, page: Page) -> None:
    violations = csp_violations(page)
    page.goto(f"{project.url}/u/{project.token()}")
    assert_accessible(page)
    button = page.get_by_role("button", name="Avregistrera mig")
    # A visible focus indicator (WCAG 2.4.7), drawn by the stylesheet.
    button.focus()
    assert button.evaluate("el => getComputedStyle(el).outlineStyle") == "solid"
    button.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Du är avregistrerad")
    assert_accessible(page)
    page.get_by_role("button", name="Ångra avregistreringen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Du får nyhetsbrevet igen")
    assert_accessible(page)
    assert violations == []


@pytest.mark.sqlite_only  # how the pages read: the engine changes nothing
def test_error_archive_and_front_pages_are_accessible(project: Project, page: Page) -> None:
    violations = csp_violations(page)
    for path, heading in [
        ("/u/forged", "Länken fungerar inte"),
        ("/nope/", "Sidan finns inte"),
        ("/test/", "Testbrevet"),
        ("/", "Nyhetsbrev"),
    ]:
        page.goto(f"{project.url}{path}")
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        expect(page.get_by_role("main")).to_be_visible()
        assert_accessible(page)
    assert violations == []


def test_the_archive_leads_to_the_web_version(project: Project, page: Page) -> None:
    violations = csp_violations(page)
    page.goto(f"{project.url}/test/")
    page.get_by_role("link", name="Nyheter i september").click()
    page.wait_for_url(f"{project.url}/test/2020-03/")
    expect(page.locator("html")).to_have_attribute("lang", "sv")
    expect(page).to_have_title("Nyheter i september")
    expect(page.get_by_role("heading", name="Linköping tillsammans")).to_be_visible()
    # The e-mail's own styles apply under the page's policy: the brand colour shows.
    brand = "rgb(106, 44, 112)"  # #6a2c70
    shown = page.evaluate(
        "colour => [...document.querySelectorAll('*')].some(element => {"
        " const style = getComputedStyle(element);"
        " return style.backgroundColor === colour || style.color === colour; })",
        brand,
    )
    assert shown
    assert violations == []
    assert_accessible(page)
