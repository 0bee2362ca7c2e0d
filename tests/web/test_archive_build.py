"""`newsletter archive build DIR`: the archive as static files, served by any web server."""

from __future__ import annotations

import functools
import http.server
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from xml.etree import ElementTree

import httpx
import pytest
from click.testing import CliRunner
from web_fixtures import make_project, rendered_issue

from newsletter.cli import main
from newsletter.config import Config
from newsletter.delivery import archive
from newsletter.state import connect
from newsletter.web.build import build_site

pytestmark = pytest.mark.usefixtures("state_engine")


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Config:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NEWSLETTER_CONFIG", raising=False)
    config = make_project(tmp_path)
    db = connect(config)
    archive.publish(db, config, rendered_issue(config))
    db.close()
    return config


@contextmanager
def static_server(folder: Path) -> Iterator[str]:
    handler = functools.partial(QuietHandler, directory=str(folder))
    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        yield f"http://127.0.0.1:{server.server_address[1]}"
        server.shutdown()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def test_the_command_writes_every_document(config: Config, tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["archive", "build", "public"])
    assert result.exit_code == 0, result.output
    assert "1 issue(s), 4 calendar file(s)" in result.output
    assert "newsletter serve" in result.output  # unsubscribing is not static
    public = tmp_path / "public"
    names = sorted(str(path.relative_to(public)) for path in public.rglob("*") if path.is_file())
    calendars = [name for name in names if name.endswith(".ics")]
    assert len(calendars) == 4 and all(name.startswith("test/2020-03/") for name in calendars)
    assert sorted(set(names) - set(calendars)) == [
        "index.html",
        "site.css",
        "test/2020-03/index.html",
        "test/feed.atom",
        "test/index.html",
    ]
    assert "Nyheter i september" in (public / "test" / "2020-03" / "index.html").read_text()


def test_the_static_site_works_from_a_plain_web_server(config: Config, tmp_path: Path) -> None:
    db = connect(config)
    built = build_site(config, db, tmp_path / "public")
    assert (built.newsletters, built.issues, built.calendar_files) == (1, 1, 4)
    with static_server(tmp_path / "public") as url, httpx.Client(base_url=url) as client:
        front = client.get("/").text
        assert '<a href="test/index.html">Testbrevet</a>' in front
        page = client.get("/test/")
        assert '<a href="2020-03/index.html" lang="sv">Nyheter i september</a>' in page.text
        assert client.get("/test/2020-03/").status_code == 200
        feed = ElementTree.fromstring(client.get("/test/feed.atom").content)
        assert len(feed.findall("{http://www.w3.org/2005/Atom}entry")) == 1
        ics_name = next(iter(archive.calendar_files(db, "test", "2020-03")))
        assert client.get(f"/test/2020-03/{ics_name}").text.startswith("BEGIN:VCALENDAR")
        assert client.get("/site.css").status_code == 200


def test_a_folder_that_cannot_be_written_is_a_plain_error(config: Config, tmp_path: Path) -> None:
    (tmp_path / "public").write_text("a file, not a folder", encoding="utf-8")
    result = CliRunner().invoke(main, ["archive", "build", "public"])
    assert result.exit_code != 0
    assert "Error:" in result.output and "Traceback" not in result.output


def test_the_static_site_works_opened_from_the_disk(config: Config, tmp_path: Path) -> None:
    # Opened as files (file://), a link to a folder shows a folder listing, not the page:
    # every link between the archive's own pages names a file that is there.
    site = tmp_path / "site"
    db = connect(config)
    build_site(config, db, site)
    db.close()
    pages = [site / "index.html", site / "test" / "index.html"]
    links = 0
    for page in pages:
        for href in re.findall(r'href="([^"]+)"', page.read_text(encoding="utf-8")):
            if "://" in href or href.startswith("mailto:"):
                continue
            target = (page.parent / href).resolve()
            assert target.is_file(), f"{page.relative_to(site)} links to {href}: no such file"
            links += 1
    assert links >= 4  # stylesheet, newsletter, issue, feed
