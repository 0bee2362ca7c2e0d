"""What tests of every stage share: the headless Chromium that renders pages and e-mails.

The shared helpers (smtpserver, webserver, projects, ...) sit beside this file; pytest's
`pythonpath` setting puts this folder on the import path, so every stage's tests import
them by name.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

# The state database on both engines: `state_engine` (and `db`, a connection of the test's
# own) run a test on SQLite and on PostgreSQL; see backends.py.
from backends import db, state_engine  # noqa: F401
from chromium import ARGS, CHROMIUM
from dnsserver import dns_server
from playwright.sync_api import Browser, sync_playwright

from newsletter import translate


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless and offline, for the tests marked `browser`.

    One per test module, not per session: while Playwright's sync API is running, it
    holds an event loop in this thread, and `asyncio.run` (every `newsletter send`)
    refuses to start beside it.
    """
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A test marked sqlite_only is about the SQLite file: its PostgreSQL half is not run;
    one marked postgresql_only is about the server: its SQLite half is not run."""
    kept, dropped = [], []
    for item in items:
        engine = getattr(getattr(item, "callspec", None), "params", {}).get("state_engine")
        if engine and item.get_closest_marker(
            f"{'sqlite' if engine != 'sqlite' else 'postgresql'}_only"
        ):
            dropped.append(item)
        else:
            kept.append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


@pytest.fixture(scope="session", autouse=True)
def no_internet() -> Iterator[None]:
    """Every check (`newsletter check`, and the one before every send) asks a DNS server on
    loopback that knows no name: no test reaches the machine's resolver or the internet,
    and the online checks end at once with their 'no network' warning. SpamAssassin (some
    seconds a message) scores only in the tests that ask for it."""
    with dns_server() as (nameserver, _), pytest.MonkeyPatch.context() as patch:
        patch.setenv("NEWSLETTER_CHECK_NAMESERVERS", nameserver)
        patch.setenv("NEWSLETTER_CHECK_SPAMASSASSIN", "false")
        yield


_LOCALE_VARIABLES = ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE")


@pytest.fixture(autouse=True)
def english(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every test speaks English unless it asks for Swedish (the `swedish` fixture),
    whatever the locale of the machine: in process and in the subprocesses it starts."""
    for name in _LOCALE_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")
    translate.use()
    yield
    translate.use("en")


@pytest.fixture
def swedish(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The editor's locale is Swedish (LANG=sv_SE.UTF-8), in process and in subprocesses."""
    monkeypatch.setenv("LANG", "sv_SE.UTF-8")
    translate.use()
    yield
