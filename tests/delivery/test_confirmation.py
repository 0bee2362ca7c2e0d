"""The confirmation mail of a sign-up: its MIME structure and headers, the same words in
both parts, DKIM, delivery to an SMTP server or the outbox, SpamAssassin, and how it
reads in Chromium."""

from __future__ import annotations

import asyncio
import email
import html
import mailbox
import os
import re
import subprocess
from email import policy
from email.message import EmailMessage
from pathlib import Path

import dkim
import pytest
from email_pages import open_email
from playwright.sync_api import Browser
from readability import problems
from render_fixtures import make_config
from signup_fixtures import SIGNUP
from smtpserver import SmtpServer
from test_dkim import dns, make_key

from newsletter.config import Config
from newsletter.delivery import confirmation
from newsletter.delivery.headers import HEADER_LINE_LENGTH
from newsletter.delivery.message import UnusableAddress

LINK = "https://nyhetsbrev.example.org/c/bmV3c2xldHRlcg.abcdefghijklmnopqrstuv"
ADDRESS = "nya.lasaren@example.org"


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return make_config(tmp_path, SIGNUP)


def build(config: Config, language: str = "sv") -> bytes:
    newsletter = config.newsletter("test")
    return confirmation.build(
        config, newsletter, address=ADDRESS, link=LINK, language=language
    ).data


def parse(data: bytes) -> EmailMessage:
    message = email.message_from_bytes(data, policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


def words(text: str) -> list[str]:
    """The words of TEXT; links left out (the HTML part has them under its button)."""
    return re.findall(r"\w+", re.sub(r"https?://\S+", " ", text).lower())


def test_one_multipart_message_text_first_then_html_both_quoted_printable(
    config: Config,
) -> None:
    data = build(config)
    message = parse(data)
    assert message.get_content_type() == "multipart/alternative"
    parts = list(message.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
    assert {p["Content-Transfer-Encoding"] for p in parts} == {"quoted-printable"}
    assert {p.get_content_charset() for p in parts} == {"utf-8"}
    assert all(len(line) <= HEADER_LINE_LENGTH for line in data.split(b"\r\n")), "a long line"
    assert b"\n" not in data.replace(b"\r\n", b"")  # CRLF line ends only


def test_the_headers_of_a_message_from_a_program(config: Config) -> None:
    message = parse(build(config))
    assert str(message["From"]) == "Testbrevet <test@nyhetsbrev.example.org>"
    assert str(message["To"]) == ADDRESS and str(message["Reply-To"]) == "test@example.org"
    assert str(message["Subject"]) == "Bekräfta din prenumeration på Testbrevet"
    assert str(message["Message-ID"]).endswith("@nyhetsbrev.example.org>")
    assert message["Date"] is not None and message["MIME-Version"] == "1.0"
    assert message["Auto-Submitted"] == "auto-generated"  # RFC 3834
    assert message["X-Auto-Response-Suppress"] == "OOF, AutoReply"
    # Not a newsletter issue: nothing to unsubscribe from yet.
    assert message["List-Unsubscribe"] is None and message["List-Id"] is None


def test_both_parts_carry_the_link_and_the_same_words(config: Config) -> None:
    message = parse(build(config))
    text_part = message.get_body(preferencelist=("plain",))
    html_part = message.get_body(preferencelist=("html",))
    assert text_part is not None and html_part is not None
    text, page = text_part.get_content(), html_part.get_content()
    assert LINK in text and f'href="{LINK}"' in page
    body = page.split("<body", 1)[1].split(">", 1)[1]
    shown = html.unescape(re.sub(r"<[^>]+>", " ", body))
    assert words(text) == words(shown)
    assert '<html lang="sv">' in page and "#6a2c70" in page  # the brand colour
    assert "Länken gäller i 7 dagar" in text and "https://example.org/integritet" in text
    assert ADDRESS in text


def test_english_words_for_an_english_reader(config: Config) -> None:
    message = parse(build(config, "en"))
    assert str(message["Subject"]) == "Confirm your subscription to Testbrevet"
    body = message.get_body(preferencelist=("plain",))
    assert body is not None and "The link is valid for 7 days." in body.get_content()


def test_an_address_that_cannot_be_in_a_header_is_refused(config: Config) -> None:
    with pytest.raises(UnusableAddress):
        confirmation.build(config, config.newsletter("test"), address="a b@example.org",
                           link=LINK, language="sv")  # fmt: skip


def test_signed_with_dkim_when_configured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    record = make_key(tmp_path)
    monkeypatch.setenv("NEWSLETTER_DKIM_SELECTOR", "nyhetsbrev2026")
    monkeypatch.setenv("NEWSLETTER_DKIM_KEY_FILE", "dkim.key")
    data = build(make_config(tmp_path, SIGNUP))
    lookup = dns({"nyhetsbrev2026._domainkey.nyhetsbrev.example.org.": record})
    assert data.startswith(b"DKIM-Signature:") and dkim.verify(data, dnsfunc=lookup)
    assert not dkim.verify(data.replace(b"Bekr", b"Bakr", 1), dnsfunc=lookup)


def test_sent_through_the_smtp_server_or_written_to_the_outbox(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with SmtpServer() as server:
        for name, value in server.environment().items():
            monkeypatch.setenv(name, value)
        config = make_config(tmp_path, SIGNUP)
        message = confirmation.build(config, config.newsletter("test"), address=ADDRESS,
                                     link=LINK, language="sv")  # fmt: skip
        where, result = asyncio.run(confirmation.send(config, message, newsletter="test"))
    assert result.outcome == "sent" and where.startswith("127.0.0.1:")
    (received,) = server.messages
    assert received.recipients == [ADDRESS] and received.sender == "test@nyhetsbrev.example.org"
    monkeypatch.delenv("NEWSLETTER_SMTP_HOST")
    config = make_config(tmp_path, SIGNUP)
    where, result = asyncio.run(confirmation.send(config, message, newsletter="test"))
    written = tmp_path / "outbox" / "_confirmations" / "test" / "00001.eml"
    assert result.outcome == "sent" and written.read_bytes() == message.data


def test_spamassassin_scores_it_zero_or_below(config: Config, tmp_path: Path) -> None:
    if not Path("/usr/bin/spamassassin").exists():
        pytest.fail("spamassassin is not installed: run `bash .ci/setup` (Debian's package).")
    box = mailbox.mbox(tmp_path / "confirmation.mbox")
    box.add(build(config))
    box.close()
    report = subprocess.run(
        ["/usr/bin/spamassassin", "--local", "--test-mode", "--mbox",
         str(tmp_path / "confirmation.mbox")],
        capture_output=True, text=True, check=True, timeout=300,
        env={**os.environ, "HOME": str(tmp_path)},
    ).stdout  # fmt: skip
    score = re.search(r"Content analysis details:\s+\((-?[\d.]+) points", report)
    assert score is not None, report
    assert float(score[1]) <= 0, report


@pytest.mark.browser
@pytest.mark.parametrize("mode", [(False, ""), (True, ""), (False, "full")])
def test_it_reads_well_on_a_phone_and_a_desktop(
    config: Config, tmp_path: Path, browser: Browser, mode: tuple[bool, str]
) -> None:
    part = parse(build(config)).get_body(preferencelist=("html",))
    assert part is not None
    path = tmp_path / "confirmation.html"
    path.write_text(part.get_content(), encoding="utf-8")
    dark, inversion = mode
    page = open_email(browser, path, 320, dark=dark)
    found = []
    for width in (320, 375, 600):
        page.set_viewport_size({"width": width, "height": 800})
        found += [f"{width} px: {problem}" for problem in problems(page, inversion)]
    assert page.locator("td.nl-button a").count() == 1
    page.close()
    assert found == []
