"""Signing up on the web through the real server, a real HTTP client and an SMTP server
that receives the confirmation mails: the form, the answer, the link, the limits."""

from __future__ import annotations

import datetime as dt
import logging
import re
import time
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import httpx
import pytest
from backends import everything
from signup_fixtures import SIGNUP, confirmation_link, form, local, wait_for
from smtpserver import UNKNOWN_USER, FaultInjector, SmtpServer
from web_fixtures import Project, make_project, serve
from webserver import running

from newsletter.audience import signups, suppression
from newsletter.audience.consent import consent_for
from newsletter.audience.signuptokens import SignupSigner
from newsletter.audience.tokens import load_secret
from newsletter.config import Config
from newsletter.state import connect
from newsletter.web import create_app
from newsletter.web.middleware import PAGE_POLICY

NEW = "nya.lasaren@example.org"

pytestmark = pytest.mark.usefixtures("state_engine")


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with SmtpServer(handler=FaultInjector(rcpt={"nobody@example.org": [UNKNOWN_USER]})) as server:
        yield server


def configure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, smtp: SmtpServer, extra: str = SIGNUP
) -> Config:
    for name, value in smtp.environment().items():
        monkeypatch.setenv(name, value)
    return make_project(tmp_path, newsletter_extra=extra)


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, smtp: SmtpServer) -> Config:
    return configure(tmp_path, monkeypatch, smtp)


@pytest.fixture
def project(config: Config) -> Iterator[Project]:
    yield from serve(config)


@pytest.fixture
def client(project: Project) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=project.url, follow_redirects=False) as client:
        yield client


def mails_to(smtp: SmtpServer, address: str) -> list[EmailMessage]:
    return [m.parsed() for m in smtp.messages if m.recipients == [address]]


def state(project: Project) -> tuple[int, int]:
    """(confirmed, pending) sign-ups of the test newsletter."""
    return signups.counts(project.db, "test")


def answer_text(response: httpx.Response, address: str) -> str:
    return response.text.replace(address, "ADDRESS")


# The form


@pytest.mark.parametrize("page", ["prenumerera", "subscribe"])
def test_the_form_is_plain_html_in_the_newsletters_language(
    client: httpx.Client, config: Config, page: str
) -> None:
    response = client.get(f"/test/{page}")
    assert response.status_code == 200
    html = response.text
    assert '<html lang="sv">' in html and "<h1>Prenumerera på Testbrevet</h1>" in html
    assert '<label for="email">E-postadress</label>' in html
    assert '<label for="name">Namn (frivilligt)</label>' in html
    assert re.search(r'<input id="email" name="email" type="email" required', html)
    assert f'<form method="post" action="{page}" class="signup">' in html
    consent = consent_for(config.newsletter("test"))
    assert consent.text in html and 'href="https://example.org/integritet"' in html
    assert 'name="t" value="' in html and 'tabindex="-1"' in html  # token, honeypot
    assert "<script" not in html and "http://" not in html.replace('"http://www.w3', "")
    headers = response.headers
    assert headers["content-security-policy"] == PAGE_POLICY
    assert headers["cache-control"] == "no-store"  # the token is stamped with the time
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"


def test_an_english_newsletter_signs_up_in_english(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, smtp: SmtpServer
) -> None:
    config = configure(tmp_path, monkeypatch, smtp, extra=f'{SIGNUP}\nlanguage = "en"')
    for project in serve(config):
        page = httpx.get(f"{project.url}/test/subscribe")
        assert '<html lang="en">' in page.text and "Subscribe to Testbrevet" in page.text
        assert "I want to receive Testbrevet by e-mail" in page.text
        done = httpx.post(f"{project.url}/test/subscribe", data=form(config, NEW))
        assert "Check your inbox" in done.text
        wait_for(lambda: bool(mails_to(smtp, NEW)), what="the confirmation mail")
        (mail,) = mails_to(smtp, NEW)
        assert mail["Subject"] == "Confirm your subscription to Testbrevet"
        link = local(confirmation_link(mail), project.url)
        assert "Confirm your subscription" in httpx.get(link).text
        assert "Thank you! You are subscribed" in httpx.post(link).text


def test_no_form_where_sign_up_is_off_or_the_newsletter_unknown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, smtp: SmtpServer
) -> None:
    config = configure(tmp_path, monkeypatch, smtp, extra="")
    for project in serve(config):
        for path in ("/test/prenumerera", "/nope/subscribe"):
            assert httpx.get(project.url + path).status_code == 404
            response = httpx.post(project.url + path, data=form(config, NEW))
            assert response.status_code == 404
        assert state(project) == (0, 0)


# Submitting: one answer for everyone


def test_the_answer_is_the_same_for_new_pending_subscribed_and_suppressed(
    project: Project, client: httpx.Client, config: Config, smtp: SmtpServer
) -> None:
    subscribed, bounced, pending = "prenumerant@example.org", "studs@example.org", NEW
    sign_up_and_confirm(project, subscribed)
    suppression.suppress(project.db, bounced, reason="bounced", source="test")
    client.post("/test/prenumerera", data=form(config, pending))
    answers = {}
    for address in ("ny@example.org", pending, subscribed, bounced):
        response = client.post("/test/prenumerera", data=form(config, address))
        assert response.status_code == 200
        answers[address] = answer_text(response, address)
    assert len(set(answers.values())) == 1, answers
    assert "Titta i din inkorg" in answers[pending] and "ADDRESS" in answers[pending]
    wait_for(lambda: len(mails_to(smtp, pending)) == 2, what="two mails to the pending address")
    wait_for(lambda: len(mails_to(smtp, "ny@example.org")) == 1, what="the new address's mail")
    # An already subscribed address gets nothing new; a suppressed one nothing at all.
    assert mails_to(smtp, subscribed) == [] and mails_to(smtp, bounced) == []
    assert state(project) == (1, 2)


def sign_up_and_confirm(project: Project, address: str) -> None:
    """A reader who signed up and confirmed, through the library."""
    config = project.config
    wanted = signups.Request("test", address, project.signer.address_id(address, "test"), "",
                             consent_for(config.newsletter("test")), "web form")  # fmt: skip
    now = dt.datetime.now(dt.UTC)
    assert signups.request(project.db, wanted, limit=3, now=now) == "mail"
    assert signups.confirm(project.db, "test", wanted.address_id, now=now) is not None


def test_the_mail_links_to_a_page_that_only_a_button_confirms(
    project: Project, client: httpx.Client, config: Config, smtp: SmtpServer
) -> None:
    response = client.post("/test/prenumerera", data=form(config, NEW, name="Nya Läsaren"))
    assert response.status_code == 200 and state(project) == (0, 1)
    wait_for(lambda: bool(mails_to(smtp, NEW)), what="the confirmation mail")
    (mail,) = mails_to(smtp, NEW)
    assert mail["Subject"] == "Bekräfta din prenumeration på Testbrevet"
    assert [part.get_content_type() for part in mail.iter_parts()] == ["text/plain", "text/html"]
    link = confirmation_link(mail)
    assert link.startswith(f"{config.base_url}/c/")
    html = mail.get_body(preferencelist=("html",))
    assert html is not None and f'href="{link}"' in html.get_content()
    assert "Nya Läsaren" not in mail.as_string()  # nothing typed in the form but the address
    # Mail scanners fetch every link: GET and HEAD change nothing.
    for method in ("GET", "HEAD", "GET"):
        page = client.request(method, local(link, project.url))
        assert page.status_code == 200
    assert state(project) == (0, 1)
    assert "Bekräfta din prenumeration" in page.text and "<button" in page.text
    assert page.headers["x-robots-tag"] == "noindex" and "<script" not in page.text
    action = re.search(r'<form method="post" action="([^"]+)"', page.text)
    assert action is not None
    target = httpx.URL(local(link, project.url)).join(action[1])
    done = client.post(str(target))
    assert done.status_code == 200 and "Tack! Nu prenumererar du" in done.text
    assert state(project) == (1, 0)
    again = client.get(local(link, project.url))
    assert "Du prenumererar redan" in again.text
    assert client.post(str(target)).status_code == 200 and state(project) == (1, 0)


def test_the_consent_is_on_record_without_the_client_address(
    project: Project, client: httpx.Client, config: Config, smtp: SmtpServer
) -> None:
    client.post("/test/prenumerera", data=form(config, NEW, name="Nya Läsaren"))
    wait_for(lambda: bool(mails_to(smtp, NEW)), what="the confirmation mail")
    client.post(local(confirmation_link(mails_to(smtp, NEW)[0]), project.url))
    (record,) = signups.records(project.db, NEW)
    consent = consent_for(config.newsletter("test"))
    assert record["status"] == "confirmed" and record["name"] == "Nya Läsaren"
    assert record["consent_version"] == consent.version
    assert record["consent_text"] == consent.statement
    assert "https://example.org/integritet" in record["consent_text"]
    assert (record["language"], record["source"]) == ("sv", "web form")
    assert record["signed_up_at"] <= record["confirmed_at"]
    expected = SignupSigner(load_secret(config)).client_tag("127.0.0.1")
    assert record["client"] == expected
    dump = everything(project.db)
    assert "127.0.0.1" not in dump


def test_forged_tampered_and_expired_links_get_one_plain_page(
    project: Project, client: httpx.Client, config: Config
) -> None:
    signer = SignupSigner(load_secret(config))
    address_id = project.signer.address_id(NEW, "test")
    client.post("/test/prenumerera", data=form(config, NEW))
    good = signer.confirmation("test", address_id, now=time.time())
    expired = signer.confirmation("test", address_id, now=time.time() - 8 * 86400)
    tampered = good[:-2] + ("AA" if not good.endswith("AA") else "BB")
    other_key = SignupSigner(b"another secret of enough length").confirmation(
        "test", address_id, now=time.time()
    )
    pages = set()
    for token in (expired, tampered, other_key, "forged", good[: len(good) // 2]):
        for method in ("GET", "POST"):
            response = client.request(method, f"/c/{token}")
            assert response.status_code == 404
            pages.add(response.text)
    assert len(pages) == 1 and "Bekräftelselänken fungerar inte" in pages.pop()
    assert state(project) == (0, 1)
    assert client.get(f"/c/{good}").status_code == 200


def test_six_sign_ups_of_one_address_give_at_most_three_mails(
    project: Project, client: httpx.Client, config: Config, smtp: SmtpServer
) -> None:
    for _ in range(6):
        assert client.post("/test/prenumerera", data=form(config, NEW)).status_code == 200
    wait_for(lambda: len(mails_to(smtp, NEW)) == 3, what="three mails")
    # The decision is made before the answer: a mail for another address now arrives
    # after anything the six could still have sent.
    client.post("/test/prenumerera", data=form(config, "annan@example.org"))
    wait_for(lambda: bool(mails_to(smtp, "annan@example.org")), what="the other mail")
    assert len(mails_to(smtp, NEW)) == 3
    # Every link works: they name the same pending sign-up.
    links = {confirmation_link(mail) for mail in mails_to(smtp, NEW)}
    assert len(links) >= 1
    assert client.post(local(links.pop(), project.url)).status_code == 200
    assert state(project) == (1, 1)


def test_the_limit_per_address_is_configurable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, smtp: SmtpServer
) -> None:
    monkeypatch.setenv("NEWSLETTER_SIGNUP_MAILS_PER_ADDRESS", "1")
    config = configure(tmp_path, monkeypatch, smtp)
    for project in serve(config):
        for _ in range(3):
            httpx.post(f"{project.url}/test/prenumerera", data=form(config, NEW))
        wait_for(lambda: bool(mails_to(smtp, NEW)), what="the mail")
        rows = project.db.execute("SELECT count(*) FROM signup_mails").fetchone()[0]
        assert rows == 1


# Bots, floods and odd requests


@pytest.fixture
def limited(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, smtp: SmtpServer) -> Config:
    monkeypatch.setenv("NEWSLETTER_SIGNUP_PER_CLIENT_PER_HOUR", "3")
    return configure(tmp_path, monkeypatch, smtp)


def test_a_flood_from_one_client_is_answered_429_and_logged_once(
    limited: Config, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="newsletter.web")
    for project in serve(limited):
        statuses = []
        for number in range(8):
            data = form(limited, f"person{number}@example.org")
            response = httpx.post(f"{project.url}/test/prenumerera", data=data)
            statuses.append(response.status_code)
        assert statuses == [200] * 3 + [429] * 5
        assert 3000 < int(response.headers["retry-after"]) <= 3600
        assert '<html lang="sv">' in response.text and "För många anmälningar" in response.text
        assert state(project) == (0, 3)
    warnings = [r for r in caplog.records if "went over" in r.getMessage()]
    assert len(warnings) == 1 and "127.0.0.1" not in warnings[0].getMessage()
    assert not any(r.exc_info for r in caplog.records)


def test_a_forwarded_client_counts_only_behind_a_trusted_proxy(limited: Config) -> None:
    def statuses(url: str) -> list[int]:
        return [
            httpx.post(
                f"{url}/test/prenumerera",
                data=form(limited, f"person{n}@example.org"),
                headers={"X-Forwarded-For": f"203.0.113.{n}"},
            ).status_code
            for n in range(5)
        ]

    for project in serve(limited):  # trusting this machine, the proxy's
        assert statuses(project.url) == [200] * 5
    # Without a trusted proxy, the header is anyone's to write: one client, limited.
    with running(create_app(limited), trusted_proxies=[]) as url:
        assert statuses(url) == [200] * 3 + [429] * 2


def test_the_honeypot_gets_the_same_answer_and_nothing_else(
    project: Project, client: httpx.Client, config: Config, smtp: SmtpServer
) -> None:
    trapped = client.post(
        "/test/prenumerera", data=form(config, NEW, website="https://spam.example")
    )
    person = client.post("/test/prenumerera", data=form(config, "annan@example.org"))
    assert trapped.status_code == 200
    assert answer_text(trapped, NEW) == answer_text(person, "annan@example.org")
    wait_for(lambda: bool(mails_to(smtp, "annan@example.org")), what="the person's mail")
    assert state(project) == (0, 1) and mails_to(smtp, NEW) == []


@pytest.mark.parametrize(
    ("age", "words"),
    [(0.0, "skickades väldigt snabbt"), (2 * 86400.0, "har varit öppet länge")],
)
def test_a_form_sent_too_soon_or_too_late_is_refused_politely(
    project: Project, client: httpx.Client, config: Config, age: float, words: str
) -> None:
    response = client.post("/test/prenumerera", data=form(config, NEW, age=age, name="Nya"))
    assert response.status_code == 400 and words in response.text
    # The form again, filled in, with a fresh token: one more press sends it.
    assert f'value="{NEW}"' in response.text and 'value="Nya"' in response.text
    assert '<p class="error" id="form-error" role="alert">' in response.text
    assert response.text.startswith("<!doctype html>") and "<title>Fel: " in response.text
    assert state(project) == (0, 0)


def test_a_forged_or_foreign_form_token_is_refused(
    project: Project, client: httpx.Client, config: Config
) -> None:
    forged = SignupSigner(b"another secret of enough length").form_token("test", now=1)
    for token in (forged, "123.abc", "not a token", str(int(time.time()) - 10)):
        response = client.post("/test/prenumerera", data={**form(config, NEW), "t": token})
        assert response.status_code == 400 and "kunde inte läsas" in response.text
    other = form(config, NEW, newsletter="another")
    assert client.post("/test/prenumerera", data=other).status_code == 400
    assert state(project) == (0, 0)


def test_the_embedded_form_leads_to_ours_filled_in(
    project: Project, client: httpx.Client, config: Config, smtp: SmtpServer
) -> None:
    embedded = {"email": NEW, "name": "Nya", "via": "embed"}
    response = client.post("/test/prenumerera", data=embedded)
    assert response.status_code == 200 and state(project) == (0, 0)
    html = response.text
    assert "Kontrollera uppgifterna och tryck på Prenumerera" in html
    assert f'value="{NEW}"' in html and 'name="via" value="embed"' in html
    token = re.search(r'name="t" value="([^"]+)"', html)
    assert token is not None
    # The reader presses the button a few seconds later: the served token is then valid.
    signer = SignupSigner(load_secret(config))
    assert signer.check_form(token[1], "test", now=time.time() + 5) == "ok"
    again = {"email": NEW, "name": "Nya", "via": "embed", "website": "", "t": token[1]}
    time.sleep(2.1)
    assert client.post("/test/prenumerera", data=again).status_code == 200
    (record,) = signups.records(project.db, NEW)
    assert (record["status"], record["source"]) == ("awaiting confirmation", "embedded form")


def test_bodies_that_are_too_large_or_no_form_change_nothing(
    project: Project, client: httpx.Client, config: Config
) -> None:
    big = form(config, NEW, name="x" * 9000)
    assert client.post("/test/prenumerera", data=big).status_code == 413
    as_json = client.post("/test/prenumerera", json=form(config, NEW))
    assert as_json.status_code == 415 and "Formuläret kunde inte läsas" in as_json.text
    assert state(project) == (0, 0)


@pytest.mark.parametrize(
    ("typed", "words"),
    [("anna@@example.org", "Skriv en giltig e-postadress"), ("åsa@example.se", "å, ä eller ö")],
)
def test_an_address_that_cannot_be_used_is_shown_with_the_problem(
    project: Project, client: httpx.Client, config: Config, typed: str, words: str
) -> None:
    response = client.post("/test/prenumerera", data=form(config, typed))
    assert response.status_code == 400 and words in response.text
    assert 'aria-invalid="true"' in response.text
    assert 'aria-describedby="email-hint form-error"' in response.text
    assert state(project) == (0, 0)


def test_a_name_with_markup_is_shown_as_text(
    project: Project, client: httpx.Client, config: Config
) -> None:
    response = client.post(
        "/test/prenumerera", data=form(config, "x@@x", name='"><script>alert(1)</script>')
    )
    assert "<script>" not in response.text and "&lt;script&gt;" in response.text


# Unsubscribing, suppression and bounces


def test_a_reader_who_unsubscribed_can_sign_up_again(
    project: Project, client: httpx.Client, config: Config, smtp: SmtpServer
) -> None:
    sign_up_and_confirm(project, NEW)
    # The unsubscribe link of a reader who came by the form works (no list, no journal).
    token = project.token(NEW)
    assert client.get(f"/u/{token}").status_code == 200
    client.post(f"/u/{token}", data={"List-Unsubscribe": "One-Click"})
    assert suppression.is_suppressed(project.db, NEW, newsletter="test")
    client.post("/test/prenumerera", data=form(config, NEW))
    wait_for(lambda: bool(mails_to(smtp, NEW)), what="the new confirmation mail")
    assert suppression.is_suppressed(project.db, NEW, newsletter="test")  # not yet confirmed
    client.post(local(confirmation_link(mails_to(smtp, NEW)[0]), project.url))
    assert not suppression.is_suppressed(project.db, NEW, newsletter="test")
    assert state(project) == (1, 0)


def test_a_bounced_confirmation_mail_suppresses_the_address(
    project: Project, client: httpx.Client, config: Config, caplog: pytest.LogCaptureFixture
) -> None:
    client.post("/test/prenumerera", data=form(config, "nobody@example.org"))
    wait_for(
        lambda: suppression.is_suppressed(project.db, "nobody@example.org", newsletter="test"),
        what="the bounce to be recorded",
    )
    (entry,) = suppression.entries(project.db)
    assert entry.reason == "bounced" and "550 5.1.1" in entry.source
    logged = " ".join(r.getMessage() for r in caplog.records if "sign-up" in r.getMessage())
    assert "550 5.1.1" in logged and "nobody@example.org" not in logged


def test_confirmation_tokens_stay_out_of_the_log_and_search_engines(
    project: Project, client: httpx.Client, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="newsletter.web")
    client.get("/c/SECRETTOKENVALUE.abc")
    assert "SECRETTOKENVALUE" not in caplog.text and "GET /c/… 404" in caplog.text
    assert "Disallow: /c/" in client.get("/robots.txt").text


def test_the_server_deletes_expired_sign_ups_when_it_starts(config: Config) -> None:
    db = connect(config)
    consent = consent_for(config.newsletter("test"))
    old = dt.datetime.now(dt.UTC) - dt.timedelta(days=8)
    wanted = signups.Request("test", NEW, "id", "", consent, "web form")
    assert signups.request(db, wanted, limit=3, now=old) == "mail"
    assert signups.counts(db, "test") == (0, 1)
    for _ in serve(config):
        wait_for(lambda: signups.counts(db, "test") == (0, 0), what="the purge")
    db.close()
