"""Signing up as a reader does it: `newsletter serve` in a process of its own, Chromium
with the keyboard and JavaScript off, the confirmation mail at an SMTP server, the next
`newsletter send`; and axe-core on every new page, in Swedish and English."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import httpx
import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, BrowserContext, Page, expect
from projects import ISSUE, example_project
from signup_fixtures import SIGNUP, Served, confirmation_link, form, local, serving, wait_for
from smtpserver import SmtpServer
from web_fixtures import make_project, serve

from newsletter.audience import signups
from newsletter.config import load_config
from newsletter.state import connect

WCAG_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
READER = "ny.lasare@example.se"
UNCONFIRMED = "obekraftad@example.se"
FLOODER = "203.0.113.9"  # the client a trusted proxy names in X-Forwarded-For

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("state_engine")]


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with SmtpServer() as server:
        yield server


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return example_project(tmp_path)


@pytest.fixture
def server(project: Path, smtp: SmtpServer) -> Iterator[Served]:
    # The key is the project's .newsletter/secret.key, which the tests' tokens use too.
    env = {**smtp.environment(), "NEWSLETTER_SIGNUP_PER_CLIENT_PER_HOUR": "5"}
    with serving(project, env) as served:
        yield served


@pytest.fixture
def no_script(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(java_script_enabled=False)
    yield context
    context.close()


def assert_accessible(page: Page) -> None:
    results = Axe().run(page, options=WCAG_AA)
    assert results.violations_count == 0, results.generate_report()


def watch_csp(page: Page) -> list[str]:
    found: list[str] = []
    page.on("console", lambda m: found.append(m.text) if "Content Security" in m.text else None)
    return found


def mails_to(smtp: SmtpServer, address: str) -> list[EmailMessage]:
    return [m.parsed() for m in smtp.messages if m.recipients == [address]]


def fill_in_with_the_keyboard(page: Page, address: str, name: str) -> None:
    page.keyboard.press("Tab")
    expect(page.get_by_label("E-postadress")).to_be_focused()
    page.keyboard.type(address)
    page.keyboard.press("Tab")
    expect(page.get_by_label("Namn (frivilligt)")).to_be_focused()
    page.keyboard.type(name)
    # The honeypot is out of the tab order: next come the privacy notice and the button.
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Så behandlar vi dina personuppgifter")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Prenumerera")).to_be_focused()


def pending_and_confirmed(project: Path) -> tuple[int, int]:
    db = connect(load_config(project / "newsletter.toml"))
    try:
        confirmed, pending = signups.counts(db, "medborgardialog")
    finally:
        db.close()
    return pending, confirmed


def send_issue(project: Path, smtp: SmtpServer) -> subprocess.CompletedProcess[str]:
    """`newsletter send` in a process of its own (Playwright holds this thread's loop)."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("NEWSLETTER_") or key.startswith("NEWSLETTER_STATE_")
    }
    env.update(smtp.environment())
    return subprocess.run(
        [sys.executable, "-m", "newsletter", "send", ISSUE, "--yes"],
        cwd=project, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_a_reader_signs_up_with_the_keyboard_confirms_and_gets_the_next_issue(
    project: Path, server: Served, smtp: SmtpServer, no_script: BrowserContext
) -> None:
    page = no_script.new_page()
    violations = watch_csp(page)
    page.goto(f"{server.url}/medborgardialog/prenumerera")
    served_at = time.monotonic()
    expect(page.locator("html")).to_have_attribute("lang", "sv")
    fill_in_with_the_keyboard(page, READER, "Ny Läsare")
    # A person takes more than the 2 s a bot does; the form refuses anything quicker.
    page.wait_for_timeout(max(0, 2200 - (time.monotonic() - served_at) * 1000))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Titta i din inkorg")
    expect(page.get_by_role("main")).to_contain_text(READER)

    wait_for(lambda: bool(mails_to(smtp, READER)), what="the confirmation mail")
    (mail,) = mails_to(smtp, READER)
    link = local(confirmation_link(mail), server.url)
    # A mail scanner fetches the link: nothing changes.
    assert httpx.get(link).status_code == 200
    assert pending_and_confirmed(project) == (1, 0)

    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Bekräfta din prenumeration")
    assert pending_and_confirmed(project) == (1, 0)
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Bekräfta prenumerationen")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Tack! Nu prenumererar du")
    assert pending_and_confirmed(project) == (0, 1)
    assert violations == []

    # Someone else signs up and never confirms.
    response = httpx.post(
        f"{server.url}/medborgardialog/prenumerera",
        data=form(
            load_config(project / "newsletter.toml"), UNCONFIRMED, newsletter="medborgardialog"
        ),
    )
    assert response.status_code == 200
    wait_for(lambda: bool(mails_to(smtp, UNCONFIRMED)), what="the second confirmation mail")

    smtp.messages.clear()
    sent = send_issue(project, smtp)
    assert sent.returncode == 0, sent.stdout + sent.stderr
    assert "Lists:      medborgardialog, signups" in sent.stdout
    recipients = {message.recipients[0] for message in smtp.messages}
    assert READER in recipients and UNCONFIRMED not in recipients
    assert len(recipients) == 15  # the 14 on the list and the new reader


def test_a_flood_from_one_client_behind_the_proxy_is_limited_and_logged_once(
    project: Path, server: Served, smtp: SmtpServer
) -> None:
    config = load_config(project / "newsletter.toml")
    statuses = []
    with httpx.Client(base_url=server.url) as client:
        for number in range(12):
            data = form(config, f"flood{number}@example.org", newsletter="medborgardialog")
            answer = client.post("/medborgardialog/prenumerera", data=data,
                                 headers={"X-Forwarded-For": FLOODER})  # fmt: skip
            statuses.append(answer.status_code)
        # Another client, behind the same proxy, is not held back.
        other = form(config, "other@example.org", newsletter="medborgardialog")
        headers = {"X-Forwarded-For": "198.51.100.4"}
        answer = client.post("/medborgardialog/prenumerera", data=other, headers=headers)
        assert answer.status_code == 200
    assert statuses == [200] * 5 + [429] * 7
    wait_for(lambda: len(smtp.messages) == 6, what="six confirmation mails")
    log = server.log_text()
    url = "https://nyhetsbrev.example.org/medborgardialog/prenumerera"
    assert f"Sign-up form of medborgardialog: {url}" in log
    assert log.count("went over 5 sign-ups an hour") == 1
    assert "Traceback" not in log and FLOODER not in log and "flood0@" not in log


WORDS = {
    "sv": {
        "form": "Prenumerera på Testbrevet", "email": "E-postadress", "button": "Prenumerera",
        "too_fast": "skickades väldigt snabbt", "check": "Titta i din inkorg",
        "confirm": "Bekräfta din prenumeration", "confirm_button": "Bekräfta prenumerationen",
        "confirmed": "Tack! Nu prenumererar du",
    },
    "en": {
        "form": "Subscribe to Testbrevet", "email": "E-mail address", "button": "Subscribe",
        "too_fast": "sent very quickly", "check": "Check your inbox",
        "confirm": "Confirm your subscription", "confirm_button": "Confirm my subscription",
        "confirmed": "Thank you! You are subscribed",
    },
}  # fmt: skip


@pytest.mark.sqlite_only  # how the pages read: the engine changes nothing
@pytest.mark.parametrize("language", ["sv", "en"])
def test_every_new_page_passes_axe_in_swedish_and_english(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    smtp: SmtpServer,
    browser: Browser,
    language: str,
) -> None:
    words = WORDS[language]
    for name, value in smtp.environment().items():
        monkeypatch.setenv(name, value)
    config = make_project(tmp_path, newsletter_extra=f'{SIGNUP}\nlanguage = "{language}"')
    context = browser.new_context()
    page = context.new_page()
    violations = watch_csp(page)
    for project in serve(config):
        page.goto(f"{project.url}/test/subscribe")
        expect(page.locator("html")).to_have_attribute("lang", language)
        expect(page.get_by_role("heading", level=1)).to_have_text(words["form"])
        assert_accessible(page)
        # Sent at once: refused as too quick, and shown again with the problem.
        page.get_by_label(words["email"]).fill("reader@example.org")
        page.get_by_role("button", name=words["button"]).click()
        expect(page.get_by_role("alert")).to_contain_text(words["too_fast"])
        assert_accessible(page)
        page.wait_for_timeout(2200)
        page.get_by_role("button", name=words["button"]).click()
        expect(page.get_by_role("heading", level=1)).to_have_text(words["check"])
        assert_accessible(page)
        wait_for(lambda: bool(mails_to(smtp, "reader@example.org")), what="the mail")
        link = local(confirmation_link(mails_to(smtp, "reader@example.org")[0]), project.url)
        page.goto(link)
        expect(page.get_by_role("heading", level=1)).to_have_text(words["confirm"])
        assert_accessible(page)
        page.get_by_role("button", name=words["confirm_button"]).click()
        expect(page.get_by_role("heading", level=1)).to_have_text(words["confirmed"])
        assert_accessible(page)
        page.goto(f"{project.url}/c/forged")
        expect(page.get_by_role("heading", level=1)).to_have_text("Bekräftelselänken fungerar inte")
        assert_accessible(page)
        page.goto(f"{project.url}/test/subscribe")
        page.get_by_label(words["email"]).fill("not an address")
        page.wait_for_timeout(2200)
        # The browser checks the address first (type=email): nothing is sent.
        page.get_by_role("button", name=words["button"]).click()
        expect(page.get_by_role("heading", level=1)).to_have_text(words["form"])
        assert signups.counts(project.db, "test") == (1, 0)
    context.close()
    assert violations == []
