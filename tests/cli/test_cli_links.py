"""Links filled in per recipient, markdown links and base_url: issue 12, item 4.

The attack: a markdown link to a subscriber's own field, `[Din anmälan]({{ website }})`,
with `javascript:alert(document.domain)` in that subscriber's row of the list.
"""

import email
from email import policy
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from projects import ISSUE, example_project

from newsletter.cli import main
from newsletter.config import load_config
from newsletter.state import connect

EVIL = "javascript:alert(document.domain)"
LIST = (
    "E-post;Namn;Webbplats\n"
    "anna@example.org;Anna;https://anna.example.org/anmalan\n"
    f"eve@example.org;Eve;{EVIL}\n"
    "rut@example.org;Rut;//evil.example/x\n"
    "sam@example.org;Sam;https://sam.example.org/\n"
)

pytestmark = pytest.mark.usefixtures("state_engine")


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    example_project(tmp_path)
    (tmp_path / "subscribers" / "medborgardialog.csv").write_text(LIST, encoding="utf-8")
    issue = tmp_path / ISSUE
    text = issue.read_text(encoding="utf-8")
    # The intro gets a link to each reader's own page.
    text = text.replace("intro: |\n", "intro: |\n  [Din anmälan]({{ webbplats }})\n\n", 1)
    issue.write_text(text, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    for name in ("NEWSLETTER_CONFIG", "NEWSLETTER_SMTP_HOST", "NEWSLETTER_SECRET"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def test_a_bad_link_in_a_row_fails_that_row_with_the_reason(project: Path) -> None:
    dry = run("send", ISSUE, "--dry-run")
    assert dry.exit_code == 1 and "eve@example.org: would fail:" in dry.output
    result = run("send", ISSUE, "--yes")
    assert result.exit_code == 1, result.output
    db = connect(load_config(project / "newsletter.toml"))
    rows = dict(db.execute("SELECT address, status || ': ' || coalesce(reply, '') FROM recipients"))
    assert rows["anna@example.org"].startswith("sent")
    assert rows["sam@example.org"].startswith("sent")
    for address in ("eve@example.org", "rut@example.org"):
        assert rows[address].startswith("failed: not sent: the column 'webbplats'")
        assert "a link must start with https://, http:// or mailto:" in rows[address]
    htmls = []
    for path in (project / "outbox").rglob("*.eml"):
        parsed = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        htmls.append(parsed.get_body(("html",)).get_content())  # type: ignore[union-attr]
    assert len(htmls) == 2
    assert all("javascript:" not in html and "//evil.example" not in html for html in htmls)
    assert any('href="https://anna.example.org/anmalan"' in html for html in htmls)


@pytest.mark.parametrize(
    ("href", "reason"),
    [
        ("/anmalan", "a link must start with https://, http:// or mailto:"),
        ("//evil.example/x", "a link must start with https://, http:// or mailto:"),
        ("https:evil.example", "a link needs a host name after https://"),
    ],
)
def test_markdown_links_are_checked_like_links(project: Path, href: str, reason: str) -> None:
    issue = project / ISSUE
    text = issue.read_text(encoding="utf-8").replace("({{ webbplats }})", f"({href})")
    issue.write_text(text, encoding="utf-8")
    result = run("validate", ISSUE)
    assert result.exit_code == 1
    assert f"intro: the link to {href!r} cannot be used: {reason}" in result.output


@pytest.mark.parametrize(
    "base_url",
    [
        "https://nyhetsbrev.example.org/u>, <https://evil.example",
        "https://nyhetsbrev.example.org/a b",
        "https://nyhetsbrev.example.org/?x=1",
        "http://nyhetsbrev.example.org",
        "javascript:alert(1)",
        "/relative",
    ],
)
def test_base_url_must_be_a_plain_https_address(project: Path, base_url: str) -> None:
    config = project / "newsletter.toml"
    text = config.read_text(encoding="utf-8")
    config.write_text(
        text.replace('base_url = "https://nyhetsbrev.example.org"', f'base_url = "{base_url}"'),
        encoding="utf-8",
    )
    result = run("send", ISSUE, "--dry-run")
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "newsletter.toml:10: base_url:" in result.output
