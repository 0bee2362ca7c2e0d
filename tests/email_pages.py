"""The example e-mails as one subscriber gets them, opened in headless Chromium offline."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Browser, Page, Route
from render_fixtures import ROOT

from newsletter.content.project import load
from newsletter.render.issue import render_issue
from newsletter.render.personalize import Personal, Personalizer

# Images an example e-mail shows, served from the repository instead of the internet.
LOCAL_IMAGES = {
    "https://example.org/logos/skr-vit.png": ROOT / "tests" / "images" / "skr-vit.png",
}


def email_file(issue_path: Path, folder: Path) -> tuple[Path, list[str]]:
    """The e-mail of ISSUE_PATH as one subscriber gets it, written to FOLDER."""
    issue, config = load(issue_path)
    html, _ = Personalizer(render_issue(issue, config)).personalize(
        Personal(
            email="anna.andersson@example.org",
            name="Anna Andersson",
            fields={},
            unsubscribe_url=f"{config.base_url}/u/TOKEN",
            web_url=f"{config.base_url}/{issue.newsletter}/{issue.slug}/",
        )
    )
    path = folder / f"{issue_path.stem}.html"
    path.write_text(html, encoding="utf-8")
    return path, [item.title for item in issue.items()]


def _offline(route: Route) -> None:
    url = route.request.url
    if url.startswith("file://"):
        route.continue_()
    elif url in LOCAL_IMAGES and LOCAL_IMAGES[url].exists():
        route.fulfill(path=LOCAL_IMAGES[url], content_type="image/png")
    else:
        route.abort()


def open_email(browser: Browser, path: Path, width: int, *, dark: bool = False) -> Page:
    """A new page of WIDTH px showing PATH; nothing is fetched but the local images."""
    page = browser.new_page(
        viewport={"width": width, "height": 800}, color_scheme="dark" if dark else "light"
    )
    page.route("**/*", _offline)
    page.goto(path.as_uri())
    return page
