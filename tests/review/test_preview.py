import shutil
import time
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from preview_server import running_preview
from render_fixtures import ROOT

from newsletter.cli import main
from newsletter.review.preview import SAMPLE, Preview

EXAMPLE = ROOT / "issues" / "medborgardialog-2020-06.yaml"


@pytest.fixture
def issue(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("NEWSLETTER_CONFIG", raising=False)
    shutil.copy(ROOT / "newsletter.toml", tmp_path / "newsletter.toml")
    (tmp_path / "issues").mkdir()
    return Path(shutil.copy(EXAMPLE, tmp_path / "issues" / EXAMPLE.name))


def test_the_page_shows_both_widths_and_the_text(issue: Path) -> None:
    with running_preview(issue) as (_, url), httpx.Client(base_url=url) as client:
        check_page(client, url)


def text_of(client: httpx.Client) -> str:
    return client.get("/email.txt").text


def check_page(client: httpx.Client, url: str) -> None:
    page = client.get("/").text
    assert 'src="/email.html" width="600"' in page and 'src="/email.html" width="375"' in page
    assert "Webbkurs i omvärldskunskap, Sverige i världen med Corona" in page  # the text version
    email = client.get("/email.html")
    assert email.headers["content-type"] == "text/html; charset=utf-8"
    assert f"{url}/u/preview" in email.text
    assert "(a made-up reader" in page  # no list in this project
    assert SAMPLE.name not in text_of(client)
    text = client.get("/email.txt")
    assert text.headers["content-type"] == "text/plain; charset=utf-8"
    assert f"Avregistrera: {url}/u/preview" in text.text


def test_calendar_links_work_in_the_preview(issue: Path) -> None:
    with running_preview(issue) as (_, url), httpx.Client(base_url=url) as client:
        check_calendar(client, url)


def check_calendar(client: httpx.Client, url: str) -> None:
    email = client.get("/email.html").text
    link = f"{url}/medborgardialog/2020-06/29-maj-webbinarium-om-lokala.ics"
    assert f'href="{link}"' in email
    reply = client.get(link)
    assert reply.status_code == 200
    assert reply.headers["content-type"] == "text/calendar; charset=utf-8"
    assert "DTSTART;TZID=Europe/Stockholm:20200529T090000" in reply.text
    assert client.get("/medborgardialog/2020-06/nope.ics").status_code == 404


def test_an_invalid_file_shows_its_located_errors(issue: Path) -> None:
    issue.write_text(issue.read_text(encoding="utf-8") + "\ntitle: [\n", encoding="utf-8")
    with running_preview(issue) as (_, url), httpx.Client(base_url=url) as client:
        page = client.get("/").text
        assert 'class="errors"' in page and f"{issue}:" in page
        assert "<iframe" not in page
        assert client.get("/email.html").status_code == 409


def test_saving_the_file_renders_again(issue: Path) -> None:
    with running_preview(issue) as (preview, url):
        first = httpx.get(f"{url}/version").json()["version"]
        text = issue.read_text(encoding="utf-8")
        issue.write_text(text.replace("title: Nyhetsbrev nr.6 år 2020", "title: Nytt namn"))
        version = wait_for_new_version(url, first)
        assert "<h1>Nytt namn</h1>" in httpx.get(f"{url}/").text
        issue.write_text("newsletter: [", encoding="utf-8")
        version = wait_for_new_version(url, version)
        assert 'class="errors"' in httpx.get(f"{url}/").text
        issue.write_text(text, encoding="utf-8")
        wait_for_new_version(url, version)
        assert preview.state.rendered is not None


def wait_for_new_version(url: str, version: int) -> int:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        current = int(httpx.get(f"{url}/version").json()["version"])
        if current != version:
            return current
        time.sleep(0.05)
    raise AssertionError("the preview did not render again after the file was saved")


def test_saving_a_template_renders_again(issue: Path) -> None:
    templates = issue.parent.parent / "templates"
    templates.mkdir()
    footer = templates / "footer.mjml"
    footer.write_text(
        "<mj-section><mj-column><mj-text>Första "
        "<a href=\"{{ ph('unsubscribe_url') }}\">{{ ph('unsubscribe_label') }}</a>"
        "</mj-text></mj-column></mj-section>"
    )
    with running_preview(issue) as (_, url):
        assert "Första" in httpx.get(f"{url}/email.html").text
        first = httpx.get(f"{url}/version").json()["version"]
        footer.write_text(footer.read_text().replace("Första", "Andra"))
        wait_for_new_version(url, first)
        assert "Andra" in httpx.get(f"{url}/email.html").text


def test_the_preview_command_serves_and_stops_on_ctrl_c(issue: Path) -> None:
    import os
    import re
    import signal
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k not in {"DISPLAY", "WAYLAND_DISPLAY"}}
    process = subprocess.Popen(
        [sys.executable, "-m", "newsletter", "preview", str(issue), "--port", "0"],
        cwd=issue.parent.parent,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert first.startswith(f"Previewing {issue} at http://127.0.0.1:")
        # No desktop here: it says where to look instead of starting a text browser.
        match = re.fullmatch(
            r"Open (http://127\.0\.0\.1:\d+/) in your browser\.\n", process.stdout.readline()
        )
        assert match is not None
        deadline = time.monotonic() + 20
        while True:
            try:
                assert httpx.get(f"{match.group(1)}version").json()["version"] == 1
                break
            except httpx.ConnectError:
                assert time.monotonic() < deadline, "the preview did not start"
                time.sleep(0.1)
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=20)
        assert process.returncode == 130
        assert "Traceback" not in stderr
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def personal_issue(folder: Path) -> Path:
    shutil.copy(ROOT / "newsletter.toml", folder / "newsletter.toml")
    shutil.copytree(ROOT / "subscribers", folder / "subscribers")
    (folder / "issues").mkdir()
    text = EXAMPLE.read_text(encoding="utf-8").replace(
        "Välkomna till SKR:s nyhetsbrev",
        "Hej {{ name }} i {{ kommun }}! Välkomna till SKR:s nyhetsbrev",
    )
    path = folder / "issues" / EXAMPLE.name
    path.write_text(text, encoding="utf-8")
    return path


def test_the_preview_shows_the_lists_first_subscriber_by_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NEWSLETTER_CONFIG", raising=False)
    preview = Preview(personal_issue(tmp_path), base_url="http://127.0.0.1:9")
    html, text = preview.email()
    assert "Hej Anna Lindqvist i Linköping!" in text  # the first row of medborgardialog.csv
    assert "Anna Lindqvist" in html and SAMPLE.name not in html
    header = preview._body(preview.state)
    assert "as Anna Lindqvist &lt;anna.lindqvist@linkoping.example.se&gt; (" in header
    assert "/subscribers/medborgardialog.csv:2) gets it" in header


def test_the_preview_as_a_given_subscriber(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NEWSLETTER_CONFIG", raising=False)
    path = personal_issue(tmp_path)
    preview = Preview(
        path, base_url="http://127.0.0.1:9", address="Bjorn.Akesson@uppsala.example.se"
    )
    assert "Hej Björn Åkesson i Uppsala!" in preview.email()[1]
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(
        main, ["preview", str(path), "--as", "nobody@kommun.se", "--no-open"]
    )
    assert result.exit_code == 1
    assert "nobody@kommun.se is not on medborgardialog" in result.output


def test_with_nobody_on_the_list_the_made_up_reader_has_its_columns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NEWSLETTER_CONFIG", raising=False)
    path = personal_issue(tmp_path)
    lists = tmp_path / "subscribers" / "medborgardialog.csv"
    lists.write_text("E-post;Namn;Organisation;Kommun\n", encoding="utf-8")
    preview = Preview(path, base_url="http://127.0.0.1:9")
    # Not "för er i?": the column's name stands where each reader's own value goes.
    assert "Hej Anna Andersson i [Kommun]!" in preview.email()[1]
    assert "(a made-up reader: the list has nobody)" in preview._body(preview.state)


def test_the_preview_speaks_the_editors_language(issue: Path, swedish: None) -> None:
    preview = Preview(issue, base_url="http://127.0.0.1:9")
    page = preview._body(preview.state)
    assert "Dator, 600 px" in page and "Mobil, 375 px" in page and "Textversion" in page
    assert "e-postens HTML" in page


def test_the_preview_is_not_on_a_test_mail_servers_port() -> None:
    # 8025 is where local test mail servers (MailHog, Mailpit) show their mail.
    result = CliRunner().invoke(main, ["preview", "--help"])
    assert "[default: 8040;" in " ".join(result.output.split())
    assert "8025" not in result.output
