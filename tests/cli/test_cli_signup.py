"""`newsletter signup-form`, and the readers who signed up in `subscribers check`,
`export`, `forget` and `send`."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import json
import re
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner, Result
from projects import ISSUE, example_project, subscribers
from webserver import running

from newsletter.audience import signups
from newsletter.audience.consent import consent_for
from newsletter.audience.tokens import TokenSigner, load_secret
from newsletter.cli import main
from newsletter.config import load_config
from newsletter.delivery import confirmation
from newsletter.state import connect
from newsletter.web import create_app

READER = "ny.lasare@example.se"
WAITING = "vantar@example.se"

pytestmark = pytest.mark.usefixtures("state_engine")


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    example_project(tmp_path)
    monkeypatch.chdir(tmp_path)
    for name in ("NEWSLETTER_CONFIG", "NEWSLETTER_SMTP_HOST", "NEWSLETTER_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def sign_up(project: Path, address: str, *, confirm: bool, name: str = "Ny Läsare") -> None:
    """A reader of medborgardialog signing up on the web (and confirming, or not)."""
    config = load_config(project / "newsletter.toml")
    db = connect(config)
    signer = TokenSigner(load_secret(config))
    now = dt.datetime.now(dt.UTC)
    address_id = signer.address_id(address, "medborgardialog")
    consent = consent_for(config.newsletter("medborgardialog"))
    wanted = signups.Request("medborgardialog", address, address_id, name, consent, "web form")
    assert signups.request(db, wanted, limit=3, now=now) == "mail"
    if confirm:
        assert signups.confirm(db, "medborgardialog", address_id, now=now) is not None
    db.close()


# newsletter signup-form


def test_signup_form_prints_a_form_to_paste_into_a_website(project: Path) -> None:
    result = run("signup-form", "medborgardialog")
    assert result.exit_code == 0, result.output
    html = result.stdout
    assert html.lstrip().startswith("<!--") and html.rstrip().endswith("</form>")
    action = "https://nyhetsbrev.example.org/medborgardialog/prenumerera"
    assert f'<form method="post" action="{action}" lang="sv"' in html
    assert '<label for="newsletter-medborgardialog-email">E-postadress</label>' in html
    assert 'name="email" type="email" required' in html
    assert '<input type="hidden" name="via" value="embed">' in html
    config = load_config(project / "newsletter.toml")
    consent = consent_for(config.newsletter("medborgardialog"))
    assert consent.text in html and f'href="{consent.privacy_url}"' in html
    assert "<script" not in html and "style=" not in html
    assert result.stderr == ""  # base_url is https


def test_the_pasted_form_leads_to_our_form_filled_in(project: Path) -> None:
    html = run("signup-form", "medborgardialog").stdout
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="(\w+)">', html))
    fields["email"], fields["name"] = READER, "Ny Läsare"
    action = re.search(r'action="https://[^/]+(/[^"]+)"', html)
    assert action is not None
    config = load_config(project / "newsletter.toml")
    with running(create_app(config)) as url:
        page = httpx.post(url + action[1], data=fields)
    assert page.status_code == 200
    assert "Kontrollera uppgifterna och tryck på Prenumerera" in page.text
    assert f'value="{READER}"' in page.text and 'name="t" value="' in page.text


def test_signup_form_escapes_the_consent_text_and_warns_about_http(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    toml = project / "newsletter.toml"
    text = toml.read_text(encoding="utf-8").replace(
        "signup = true", 'signup = true\nconsent_text = "Ja <b>tack</b> & gärna"', 1
    )
    toml.write_text(text, encoding="utf-8")
    monkeypatch.setenv("NEWSLETTER_BASE_URL", "http://localhost:8000")
    result = run("signup-form", "medborgardialog")
    assert result.exit_code == 0
    assert "Ja &lt;b&gt;tack&lt;/b&gt; &amp; gärna" in result.stdout
    assert 'action="http://localhost:8000/medborgardialog/prenumerera"' in result.stdout
    assert "Warning: base_url is http://localhost:8000, not https" in result.stderr


def test_signup_form_of_a_newsletter_without_sign_up_says_how_to_switch_it_on(
    project: Path,
) -> None:
    result = run("signup-form", "regional-utveckling")
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "newsletters.regional-utveckling: sign-up is off" in result.stderr
    assert "signup = true and privacy_url" in result.stderr
    unknown = run("signup-form", "nope")
    assert unknown.exit_code == 1 and "there is no newsletter 'nope'" in unknown.stderr


def test_sign_up_without_a_privacy_notice_is_a_located_configuration_error(
    project: Path,
) -> None:
    toml = project / "newsletter.toml"
    text = toml.read_text(encoding="utf-8")
    toml.write_text(re.sub(r"(?m)^privacy_url = .*\n", "", text), encoding="utf-8")
    line = next(n for n, row in enumerate(text.splitlines(), 1) if row == "signup = true")
    result = run("signup-form", "medborgardialog")
    assert result.exit_code == 1
    expected = f"newsletter.toml:{line}: newsletters.medborgardialog.signup: sign-up needs"
    assert expected in result.stderr.replace(str(project) + "/", "")


# The readers who signed up, in the other commands


def test_check_counts_confirmed_and_pending_sign_ups(project: Path) -> None:
    sign_up(project, READER, confirm=True)
    sign_up(project, WAITING, confirm=False)
    result = run("subscribers", "check", "--newsletter", "medborgardialog")
    assert result.exit_code == 0, result.output
    assert "signups (confirmed sign-ups of medborgardialog): 1 row, 1 address" in result.stdout
    assert (
        "Sign-ups of medborgardialog on the web: 1 confirmed (the list 'signups', sent to "
        "with the default list), 1 awaiting confirmation (never sent to)." in result.stdout
    )
    signed = run("subscribers", "check", "signups", "--newsletter", "medborgardialog")
    assert signed.exit_code == 0 and "1 recipient after" in signed.stdout
    several = run("subscribers", "check", "signups")
    assert several.exit_code == 2 and "--newsletter KEY" in several.stderr


def test_export_writes_the_sign_ups_with_their_consent(project: Path) -> None:
    sign_up(project, READER, confirm=True)
    sign_up(project, WAITING, confirm=False)
    out = project / "webb.csv"
    result = run("subscribers", "export", "signups", "--newsletter", "medborgardialog",
                 "-o", str(out))  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(out.read_text(encoding="utf-8-sig").splitlines(), delimiter=";"))
    config = load_config(project / "newsletter.toml")
    version = consent_for(config.newsletter("medborgardialog")).version
    assert [(r["email"], r["name"], r["consent_version"], r["source"], r["language"])
            for r in rows] == [(READER, "Ny Läsare", version, "web form", "sv")]  # fmt: skip
    assert rows[0]["signed_up_at"].endswith("Z") and rows[0]["confirmed_at"].endswith("Z")


def test_a_name_typed_as_a_formula_is_exported_as_text(project: Path) -> None:
    sign_up(project, READER, confirm=True, name='=HYPERLINK("https://evil.example")')
    out = project / "webb.csv"
    run("subscribers", "export", "signups", "--newsletter", "medborgardialog", "-o", str(out))
    lines = out.read_text(encoding="utf-8-sig").splitlines()
    (row,) = csv.DictReader(lines, delimiter=";")
    assert row["name"] == '\'=HYPERLINK("https://evil.example")'  # text, not a formula
    screen = run("subscribers", "export", "signups", "--newsletter", "medborgardialog")
    (shown,) = csv.DictReader(screen.stdout.splitlines())
    assert shown["name"].startswith("'=")


def test_export_address_and_forget_cover_the_sign_up(project: Path) -> None:
    sign_up(project, READER, confirm=True)
    report = json.loads(run("subscribers", "export", "--address", READER).stdout)
    (record,) = report["signups"]
    assert record["status"] == "confirmed" and record["newsletter"] == "medborgardialog"
    assert record["consent_text"].startswith("Jag vill få SKR:s nyhetsbrev om medborgardialog")
    assert record["client"] == "" and record["language"] == "sv"
    result = run("subscribers", "forget", READER, "--yes")
    assert result.exit_code == 0
    assert "Sign-ups on the web: 1 erased, with their consent records." in result.stdout
    assert json.loads(run("subscribers", "export", "--address", READER).stdout)["signups"] == []


def test_send_reaches_confirmed_readers_and_never_pending_ones(project: Path) -> None:
    sign_up(project, READER, confirm=True)
    sign_up(project, WAITING, confirm=False)
    # A confirmation mail written to the outbox (no SMTP server) is no send of an issue:
    # the check that the database knows every send in the outbox lets the send start.
    config = load_config(project / "newsletter.toml")
    mail = confirmation.build(config, config.newsletter("medborgardialog"), address=WAITING,
                              link=f"{config.base_url}/c/x.y", language="sv")  # fmt: skip
    asyncio.run(confirmation.send(config, mail, newsletter="medborgardialog"))
    assert list((project / "outbox" / "_confirmations" / "medborgardialog").glob("*.eml"))
    result = run("send", ISSUE, "--yes")
    assert result.exit_code == 0, result.output
    assert "Lists:      medborgardialog, signups" in result.stdout
    outbox = project / "outbox" / "medborgardialog" / "2020-06"
    recipients = {
        re.search(r"^To: (?:.*<)?([^<>\s]+)>?\r?$", path.read_text(), re.M)[1].lower()  # type: ignore[index]
        for path in outbox.glob("*.eml")
    }
    assert recipients == subscribers(project) | {READER}
    assert WAITING not in recipients
