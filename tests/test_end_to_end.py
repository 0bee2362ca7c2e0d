"""From send to unsubscribe and back: the whole loop, with every part real.

An issue goes out through `newsletter send` to an SMTP server in this process; one
reader unsubscribes with the one-click address in their message's header (RFC 8058
POST to `newsletter serve`'s app), another by the header's mailto (read back by
`newsletter bounces import`), a third address bounces; the next issue leaves all
three out.
"""

from __future__ import annotations

import email.utils
import mailbox
import re
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import unquote, urlsplit

import httpx
import pytest
from click.testing import CliRunner
from projects import example_project
from smtpserver import UNKNOWN_USER, FaultInjector, Received, SmtpServer
from webserver import running

from newsletter.cli import main
from newsletter.config import load_config
from newsletter.web.app import create_app

pytestmark = pytest.mark.usefixtures("state_engine")

FIRST = "issues/medborgardialog-2020-06.yaml"
NEXT = "issues/medborgardialog-2020-07.yaml"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    example_project(tmp_path)
    first = (tmp_path / FIRST).read_text(encoding="utf-8")
    following = first.replace("number: 6", "number: 7").replace("nr.6", "nr.7")
    (tmp_path / NEXT).write_text(following, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NEWSLETTER_CONFIG", raising=False)
    monkeypatch.setenv("NEWSLETTER_SECRET", "end-to-end test secret")
    return tmp_path


def send(monkeypatch: pytest.MonkeyPatch, issue: str, server: SmtpServer) -> list[Received]:
    with monkeypatch.context() as env:  # SSL_CERT_FILE names a file the server removes
        for name, value in server.environment(username="editor", password="s3cret").items():
            env.setenv(name, value)
        result = CliRunner().invoke(main, ["send", issue, "--yes"])
    assert "Traceback" not in result.output
    return list(server.messages)


def by_recipient(messages: list[Received]) -> dict[str, EmailMessage]:
    return {message.recipients[0]: message.parsed() for message in messages}


def unsubscribe_addresses(message: EmailMessage) -> tuple[str, str]:
    """(https, mailto) of the message's List-Unsubscribe header."""
    https, mailto = re.findall(r"<([^>]+)>", str(message["List-Unsubscribe"]))
    assert https.startswith("https://") and mailto.startswith("mailto:")
    return https, mailto


def mailto_request(mailto: str, reader: str) -> EmailMessage:
    """The mail a reader's program writes when they use the mailto address."""
    target = urlsplit(mailto)
    request = EmailMessage()
    request["From"] = reader
    request["To"] = target.path
    request["Subject"] = unquote(target.query.removeprefix("subject="))
    request["Date"] = email.utils.formatdate()
    request["Message-ID"] = email.utils.make_msgid(domain="reader.example.org")
    request.set_content("")
    return request


def test_unsubscribes_and_bounces_keep_the_next_issue_from_them(
    project: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    readers = sorted(
        line.split(";")[0].lower()
        for line in (project / "subscribers/medborgardialog.csv")
        .read_text(encoding="utf-8-sig")
        .splitlines()[1:]
    )
    one_click, by_mail, dead = readers[0], readers[1], readers[2]
    faults = FaultInjector(rcpt={dead: [UNKNOWN_USER]})
    with SmtpServer(tls="starttls", users={"editor": "s3cret"}, handler=faults) as server:
        first = by_recipient(send(monkeypatch, FIRST, server))
    assert sorted(first) == sorted(set(readers) - {dead})

    # One click: the POST a mailbox provider makes, to the address in the header.
    https, _ = unsubscribe_addresses(first[one_click])
    config = load_config(project / "newsletter.toml")
    assert https.startswith(config.base_url + "/u/")
    with running(create_app(config)) as url:
        answer = httpx.post(
            url + urlsplit(https).path,
            content=b"List-Unsubscribe=One-Click",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
    assert answer.status_code == 200

    # By mail: the request lands in the mailbox `bounces import` reads.
    _, mailto = unsubscribe_addresses(first[by_mail])
    box = mailbox.mbox(tmp_path / "replies.mbox")
    box.add(mailto_request(mailto, by_mail))
    box.close()
    imported = CliRunner().invoke(main, ["bounces", "import", str(tmp_path / "replies.mbox")])
    assert imported.exit_code == 0, imported.output

    with SmtpServer(tls="starttls", users={"editor": "s3cret"}) as server:
        following = by_recipient(send(monkeypatch, NEXT, server))
    assert sorted(following) == sorted(set(readers) - {one_click, by_mail, dead})
    assert all("nr.7" in str(message["Subject"]) for message in following.values())
