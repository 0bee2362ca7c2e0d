"""The web side through a real server on a loopback port and a real HTTP client."""

from __future__ import annotations

import logging
import re
import socket
from collections.abc import Iterator
from pathlib import Path
from unittest.mock import ANY
from xml.etree import ElementTree

import httpx
import pytest
from icalendar import Calendar
from web_fixtures import Project, make_project, rendered_issue, serve
from webserver import running

from newsletter.audience import suppression
from newsletter.config import Config
from newsletter.render.issue import RenderedIssue
from newsletter.state import connect, database_path
from newsletter.web import create_app

pytestmark = pytest.mark.usefixtures("state_engine")

ONE_CLICK = {"List-Unsubscribe": "One-Click"}
ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture(scope="module")
def issue(tmp_path_factory: pytest.TempPathFactory) -> RenderedIssue:
    return rendered_issue(make_project(tmp_path_factory.mktemp("render")))


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return make_project(tmp_path)


@pytest.fixture
def project(config: Config, issue: RenderedIssue) -> Iterator[Project]:
    yield from serve(config, issue)


@pytest.fixture
def client(project: Project) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=project.url, follow_redirects=False) as client:
        yield client


def suppressed(project: Project, address: str = "anna@example.org") -> bool:
    return suppression.is_suppressed(project.db, address, newsletter="test")


# One-click unsubscribe (RFC 8058)


def test_one_click_post_unsubscribes_at_once(project: Project, client: httpx.Client) -> None:
    response = client.post(f"/u/{project.token()}", data=ONE_CLICK)
    assert response.status_code == 200
    assert "set-cookie" not in response.headers and "location" not in response.headers
    assert "Du är avregistrerad" in response.text
    assert suppressed(project) and not suppressed(project, "bertil@example.org")
    (entry,) = suppression.entries(project.db)
    assert (entry.reason, entry.source, entry.newsletter) == ("unsubscribed", "one-click", "test")


def test_one_click_as_multipart_form_data(project: Project, client: httpx.Client) -> None:
    # RFC 8058 3.1 prefers multipart/form-data; Gmail and Yahoo send either.
    response = client.post(f"/u/{project.token()}", files={"List-Unsubscribe": (None, "One-Click")})
    assert response.status_code == 200
    assert suppression.entries(project.db)[0].source == "one-click"


def test_posting_twice_keeps_one_entry(project: Project, client: httpx.Client) -> None:
    for _ in range(3):
        assert client.post(f"/u/{project.token()}", data=ONE_CLICK).status_code == 200
    assert len(suppression.entries(project.db)) == 1


def test_get_never_unsubscribes(project: Project, client: httpx.Client) -> None:
    for method in ("GET", "HEAD"):
        response = client.request(method, f"/u/{project.token()}")
        assert response.status_code == 200
    assert not suppressed(project)
    page = client.get(f"/u/{project.token()}")
    assert '<html lang="sv">' in page.text and "Vill du sluta få Testbrevet" in page.text
    assert '<form method="post"' in page.text and "<button" in page.text
    assert "anna" not in page.text.lower()  # the page does not show whose link it is
    assert "<script" not in page.text
    assert page.headers["cache-control"] == "no-store"


def test_the_page_button_unsubscribes_and_undo_resubscribes(
    project: Project, client: httpx.Client
) -> None:
    token = project.token()
    page = client.get(f"/u/{token}")
    action = re.search(r'<form method="post" action="([^"]+)"', page.text)
    assert action is not None
    target = httpx.URL(f"{project.url}/u/{token}").join(action[1])
    done = client.post(str(target), data={"unsubscribe": "page"})
    assert done.status_code == 200 and suppressed(project)
    assert suppression.entries(project.db)[0].source == "web page"
    undo_action = re.search(r'<form method="post" action="([^"]+)"', done.text)
    assert undo_action is not None and "Ångra avregistreringen" in done.text
    undo_target = target.join(undo_action[1])
    assert undo_target.path == f"/u/{token}/undo"
    again = client.post(str(undo_target))
    assert again.status_code == 200 and "Du får nyhetsbrevet igen" in again.text
    assert not suppressed(project)
    # The page after undo offers to unsubscribe again, at the same address.
    third = re.search(r'<form method="post" action="([^"]+)"', again.text)
    assert third is not None and undo_target.join(third[1]).path == f"/u/{token}"


def test_undo_does_not_promise_the_newsletter_to_a_bounced_address(
    project: Project, client: httpx.Client
) -> None:
    token = project.token()
    client.post(f"/u/{token}", data=ONE_CLICK)
    suppression.suppress(project.db, "anna@example.org", reason="bounced", source="test")
    again = client.post(f"/u/{token}/undo")
    assert again.status_code == 200 and "kan ändå inte skickas" in again.text
    assert "som tidigare" not in again.text
    assert suppressed(project)  # the bounce still stands


def test_get_after_unsubscribing_offers_the_undo(project: Project, client: httpx.Client) -> None:
    client.post(f"/u/{project.token()}", data=ONE_CLICK)
    page = client.get(f"/u/{project.token()}")
    assert "Du är avregistrerad" in page.text and "Ångra avregistreringen" in page.text


def test_an_english_newsletter_gets_english_pages(tmp_path: Path, issue: RenderedIssue) -> None:
    config = make_project(tmp_path, newsletter_extra='language = "en"')
    for project in serve(config):
        with httpx.Client(base_url=project.url) as client:
            page = client.get(f"/u/{project.token()}")
            assert '<html lang="en">' in page.text and "Unsubscribe me" in page.text
            done = client.post(f"/u/{project.token()}", data=ONE_CLICK)
            assert "You are unsubscribed" in done.text


# Forged and unknown tokens


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize(
    "make_token",
    [
        lambda p: "forged",
        lambda p: p.token()[:-2] + "AA",  # tampered
        lambda p: p.token("stranger@example.org"),  # genuine, of nobody known
        lambda p: p.token("anna@example.org", "unknown-newsletter"),
        lambda p: "%3Cscript%3Ealert(1)",
    ],
)
def test_a_bad_token_gets_the_same_plain_page(
    project: Project, client: httpx.Client, method: str, make_token: object
) -> None:
    token = make_token(project)  # type: ignore[operator]
    response = client.request(method, f"/u/{token}", data=ONE_CLICK if method == "POST" else None)
    reference = client.get("/u/forged")
    assert response.status_code == 404
    assert response.text == reference.text  # nothing tells one bad token from another
    assert "Länken fungerar inte" in response.text and "This link does not work" in response.text
    assert token not in response.text and "<script" not in response.text
    assert suppression.entries(project.db) == []


def test_undo_with_a_bad_token(project: Project, client: httpx.Client) -> None:
    assert client.post("/u/forged/undo").status_code == 404
    assert client.get("/u/forged/undo").status_code == 404


def test_the_undo_address_opened_again_shows_the_state_and_changes_nothing(
    project: Project, client: httpx.Client
) -> None:
    token = project.token()
    client.post(f"/u/{token}", data=ONE_CLICK)
    client.post(f"/u/{token}/undo")
    again = client.get(f"/u/{token}/undo")  # from the browser's history, say
    assert again.status_code == 200 and not suppressed(project)
    assert "Avregistrera mig" in again.text
    # Its form and stylesheet resolve from one folder deeper.
    assert f'action="../{token}"' in again.text and 'href="../../site.css"' in again.text
    client.post(f"/u/{token}", data=ONE_CLICK)
    again = client.get(f"/u/{token}/undo")
    assert suppressed(project) and f'action="../{token}/undo"' in again.text


def test_an_oversized_body_is_refused(project: Project, client: httpx.Client) -> None:
    response = client.post(f"/u/{project.token()}", content=b"x" * 100_000)
    assert response.status_code == 413 and not suppressed(project)
    assert "För mycket data" in response.text and "Too much data" in response.text


def test_a_method_the_address_does_not_take_says_so(project: Project, client: httpx.Client) -> None:
    response = client.put(f"/u/{project.token()}", content=b"List-Unsubscribe=One-Click")
    assert response.status_code == 405 and not suppressed(project)
    assert "Det går inte att göra här" in response.text and "Sidan finns inte" not in response.text


# The archive


def test_the_web_version_is_at_its_archived_at_address(
    project: Project, client: httpx.Client
) -> None:
    response = client.get("/test/2020-03/")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert '<html lang="sv"' in response.text and "Nyheter i september" in response.text
    assert "/u/" not in response.text
    policy = response.headers["content-security-policy"]
    assert "script-src" not in policy and "default-src 'none'" in policy
    assert client.get("/test/2020-03").status_code in (301, 307, 308)
    assert client.get("/test/1999-01/").status_code == 404


def test_calendar_files_are_served_as_text_calendar(
    project: Project, client: httpx.Client, issue: RenderedIssue
) -> None:
    links = re.findall(
        r'href="https://nyhetsbrev\.example\.org(/test/2020-03/[^"]+\.ics)"', issue.html
    )
    assert len(set(links)) == len(issue.calendar) == 4
    for path in set(links):
        response = client.get(path)
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/calendar; charset=utf-8"
        event = Calendar.from_ical(response.content).walk("VEVENT")[0]
        assert str(event["SUMMARY"])
    assert client.get("/test/2020-03/nothing.ics").status_code == 404


def test_the_archive_page_lists_the_issues(project: Project, client: httpx.Client) -> None:
    response = client.get("/test/")
    assert response.status_code == 200
    assert '<html lang="sv">' in response.text
    assert '<a href="2020-03/" lang="sv">Nyheter i september</a>' in response.text
    assert '<link rel="alternate" type="application/atom+xml" href="feed.atom"' in response.text
    assert client.get("/nope/").status_code == 404


def test_an_english_issue_in_a_swedish_archive_marks_only_its_title_english(
    config: Config, issue: RenderedIssue
) -> None:
    # The date is written in the page's language: a screen reader must read it as Swedish.
    english = rendered_issue(config, language="en", number=7, title="In English")
    for project in serve(config, issue, english):
        with httpx.Client(base_url=project.url) as client:
            page = client.get("/test/").text
        assert '<a href="2020-07/" lang="en">In English</a>' in page
        item = re.search(r"<li[^>]*>(?:(?!</li>).)*In English(?:(?!</li>).)*</li>", page, re.S)
        assert item is not None and "<li>" in item[0] and "<time" in item[0]


def test_an_address_without_its_last_slash_leads_on_relatively(
    project: Project, client: httpx.Client
) -> None:
    headers = {"Host": "evil.example"}
    for path, location in [("/test", "test/"), ("/test/2020-03", "2020-03/")]:
        response = client.get(path, headers=headers)
        assert response.status_code == 301 and response.headers["location"] == location
    assert client.get("/test/2020-03", follow_redirects=True).url.path == "/test/2020-03/"
    for path in ["/nope", "/test/nope", "/favicon.ico"]:
        response = client.get(path, headers=headers)
        assert response.status_code == 404 and "location" not in response.headers


def test_the_feed_is_atom(project: Project, client: httpx.Client) -> None:
    response = client.get("/test/feed.atom")
    assert response.headers["content-type"] == "application/atom+xml; charset=utf-8"
    feed = ElementTree.fromstring(response.content)
    assert feed.tag == f"{ATOM}feed"
    assert feed.findtext(f"{ATOM}title") == "Testbrevet"
    assert feed.findtext(f"{ATOM}id") == "https://nyhetsbrev.example.org/test/"
    (entry,) = feed.findall(f"{ATOM}entry")
    assert entry.findtext(f"{ATOM}id") == "https://nyhetsbrev.example.org/test/2020-03/"
    assert entry.findtext(f"{ATOM}title") == "Nyheter i september"
    link = entry.find(f"{ATOM}link")
    assert link is not None and link.get("href") == "https://nyhetsbrev.example.org/test/2020-03/"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", entry.findtext(f"{ATOM}updated") or "")


def test_the_front_page_lists_the_newsletters(project: Project, client: httpx.Client) -> None:
    response = client.get("/")
    assert '<a href="test/">Testbrevet</a>' in response.text
    assert client.get("/site.css").headers["content-type"].startswith("text/css")
    assert "Disallow: /u/" in client.get("/robots.txt").text


# Operations


def test_health(project: Project, client: httpx.Client) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "key": project.signer.fingerprint}


@pytest.mark.parametrize("path", ["/", "/test/", "/test/2020-03/", "/u/forged", "/nope"])
def test_security_headers(project: Project, client: httpx.Client, path: str) -> None:
    headers = client.get(path).headers
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert "unsafe-inline" not in headers["content-security-policy"].split("style-src")[0]
    assert "strict-transport-security" not in headers  # plain http here
    assert "server" not in headers or "uvicorn" not in headers["server"]


def test_hsts_behind_a_tls_proxy(project: Project, client: httpx.Client) -> None:
    # The proxy on this machine says the client came over https.
    headers = client.get("/", headers={"X-Forwarded-Proto": "https"}).headers
    assert headers["strict-transport-security"].startswith("max-age=")


def test_the_access_log_has_no_tokens_or_addresses(
    project: Project, client: httpx.Client, caplog: pytest.LogCaptureFixture
) -> None:
    token = project.token()
    with caplog.at_level(logging.INFO, logger="newsletter.web"):
        client.post(f"/u/{token}", data=ONE_CLICK)
        client.get(f"/u/{token}")
        client.get("/u/forged")
        # Wrong addresses that still carry the token: a proxy that keeps its path
        # prefix, a trailing slash.
        client.get(f"/nyhetsbrev/u/{token}")
        client.get(f"/u/{token}/")
    lines = [record.getMessage() for record in caplog.records]
    assert "POST /u/… 200" in "\n".join(lines) and "GET /u/… 404" in "\n".join(lines)
    assert not any(token in line or "forged" in line or "anna" in line for line in lines), lines
    assert not any("127.0.0.1" in line for line in lines)


@pytest.mark.postgresql_only
def test_connections_the_database_server_ended_are_replaced(
    project: Project, client: httpx.Client
) -> None:
    # The database server restarted, or a failover: the server's pooled sessions are gone.
    assert client.post(f"/u/{project.token()}", data=ONE_CLICK).status_code == 200
    mine = project.db.execute("SELECT pg_backend_pid()").scalar()
    project.db.execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
        " WHERE datname = current_database() AND pid NOT IN (pg_backend_pid(), ?)",
        (mine,),
    )
    answers = [client.post(f"/u/{project.token()}/undo").status_code for _ in range(3)]
    # At most the request that met the dead session is refused (503, "try again"); then
    # the pool has a new one.
    assert answers[-1] == 200 and set(answers) <= {200, 503}, answers
    assert client.get("/health").status_code == 200


def test_a_locked_database_answers_503_with_retry_after(
    project: Project, client: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("newsletter.web.database.BUSY_TIMEOUT_MS", 100)
    # Another process holds the write lock for longer than the server will wait.
    locker = connect(project.config)
    client.get("/health")  # the server's connection is open before the lock is taken
    if locker.dialect.name == "sqlite":
        locker.execute("BEGIN EXCLUSIVE")
    else:
        locker.execute("BEGIN")
        locker.execute("LOCK TABLE suppression IN EXCLUSIVE MODE")
    try:
        response = client.post(f"/u/{project.token()}", data=ONE_CLICK)
    finally:
        locker.execute("ROLLBACK")
        locker.close()
    assert response.status_code == 503
    assert response.headers["retry-after"].isdigit()
    assert "Försök igen om en stund" in response.text and "Traceback" not in response.text
    assert client.post(f"/u/{project.token()}", data=ONE_CLICK).status_code == 200


def test_a_damaged_row_is_a_plain_500_page(project: Project, client: httpx.Client) -> None:
    project.db.execute("UPDATE archive SET calendar = '{damaged'")
    response = client.get("/test/2020-03/anything.ics")
    assert response.status_code == 500
    assert "Något gick fel" in response.text and "Traceback" not in response.text
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert client.get("/health").status_code == 200  # the server carries on


def test_health_says_when_the_database_cannot_be_used(config: Config) -> None:
    if not config.state_url:
        database_path(config).mkdir(parents=True)  # a folder where the database should be
    else:  # a database server that does not answer
        with socket.socket() as unused:
            unused.bind(("127.0.0.1", 0))
            port = unused.getsockname()[1]
        config = config.model_copy(update={"state_url": f"postgresql://n@127.0.0.1:{port}/n"})
    with running(create_app(config)) as url, httpx.Client(base_url=url) as client:
        response = client.get("/health")
        assert response.status_code == 503 and response.headers["retry-after"].isdigit()
        assert response.json() == {"status": "unavailable", "database": "unavailable", "key": ANY}
        page = client.get("/test/")
        assert page.status_code == 503 and "Försök igen om en stund" in page.text


def test_readers_of_an_english_issue_get_english_pages(
    config: Config, issue: RenderedIssue
) -> None:
    # A Swedish newsletter sent an English issue to Anna: her unsubscribe pages are in
    # English; Bertil, who got nothing from the journal yet, is answered in Swedish.
    english = rendered_issue(config, language="en", number=7)
    for project in serve(config, issue, english):
        send = project.db.execute(
            "INSERT INTO sends (newsletter, slug, subject, lists, fingerprint)"
            " VALUES ('test', ?, 'Subject', '[]', 'x') RETURNING id",
            (english.issue.slug,),
        ).scalar()
        project.db.execute(
            "INSERT INTO recipients (send_id, seq, address, address_id, status)"
            " VALUES (?, 1, 'anna@example.org', ?, 'sent')",
            (send, project.signer.address_id("anna@example.org", "test")),
        )
        with httpx.Client(base_url=project.url) as client:
            page = client.get(f"/u/{project.token()}")
            assert '<html lang="en">' in page.text and "Unsubscribe me" in page.text
            done = client.post(f"/u/{project.token()}", data=ONE_CLICK)
            assert "You are unsubscribed" in done.text
            undone = client.post(f"/u/{project.token()}/undo")
            assert '<html lang="en">' in undone.text
            other = client.get(f"/u/{project.token('bertil@example.org')}")
            assert '<html lang="sv">' in other.text and "Avregistrera mig" in other.text
