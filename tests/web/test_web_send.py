"""End to end: `newsletter send` to an SMTP server, one-click unsubscribe from the header,
and the next send leaves the address out."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from click.testing import CliRunner
from projects import ROOT
from smtpserver import SmtpServer, smtp_server_fixture  # noqa: F401
from webserver import running

from newsletter.cli import main
from newsletter.config import load_config
from newsletter.web import create_app

ISSUE = "issues/medborgardialog-2020-06.yaml"
NEXT_ISSUE = "issues/medborgardialog-2020-07.yaml"
LEAVING = "anna.lindqvist@linkoping.example.se"

pytestmark = pytest.mark.usefixtures("state_engine")


@pytest.fixture
def project(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, smtp_server: SmtpServer
) -> Iterator[Path]:
    shutil.copy(ROOT / "newsletter.toml", tmp_path / "newsletter.toml")
    (tmp_path / "issues").mkdir()
    shutil.copy(ROOT / ISSUE, tmp_path / ISSUE)
    # The next issue: the same content as number 7.
    text = (ROOT / ISSUE).read_text(encoding="utf-8")
    next_issue = re.sub(r"(?m)^number: 6$", "number: 7", text)
    (tmp_path / NEXT_ISSUE).write_text(next_issue, encoding="utf-8")
    shutil.copytree(ROOT / "subscribers", tmp_path / "subscribers")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NEWSLETTER_CONFIG", raising=False)
    for name, value in smtp_server.environment().items():
        monkeypatch.setenv(name, value)
    yield tmp_path


def send(issue: str) -> None:
    result = CliRunner().invoke(main, ["send", issue, "--yes"])
    assert result.exit_code == 0, result.output


def one_click_address(message: EmailMessage) -> str:
    # List-Unsubscribe: <https://…/u/TOKEN>, <mailto:…> (RFC 2369); the https one first.
    urls = re.findall(r"<([^>]+)>", str(message["List-Unsubscribe"]))
    assert urls[0].startswith("https://") and urls[1].startswith("mailto:")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    return str(urls[0])


def local(url: str, server: str) -> str:
    """URL as the reverse proxy passes it on: the same path, at the test server."""
    return server + urlsplit(url).path


def test_unsubscribing_from_a_sent_message_leaves_the_address_out_of_the_next_send(
    project: Path, smtp_server: SmtpServer
) -> None:
    send(ISSUE)
    first = {m.recipients[0]: m.parsed() for m in smtp_server.messages}
    assert LEAVING in first and len(first) == 14
    message = first[LEAVING]
    config = load_config(project / "newsletter.toml")
    with running(create_app(config)) as server, httpx.Client() as client:
        # What a mail provider does when the reader presses "Unsubscribe" (RFC 8058).
        address = one_click_address(message)
        assert address.startswith(f"{config.base_url}/u/")
        reply = client.post(local(address, server), data={"List-Unsubscribe": "One-Click"})
        assert reply.status_code == 200 and "Du är avregistrerad" in reply.text
        # The web version is at the message's Archived-At address.
        archived = str(message["Archived-At"]).strip("<>")
        page = client.get(local(archived, server))
        assert page.status_code == 200 and "Nyhetsbrev nr.6 år 2020" in page.text
    smtp_server.messages.clear()
    send(NEXT_ISSUE)
    second = [m.recipients[0] for m in smtp_server.messages]
    assert len(second) == 13 and LEAVING not in second
    assert set(second) == set(first) - {LEAVING}
