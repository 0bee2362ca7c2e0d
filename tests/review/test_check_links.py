"""Links and images, visited on a server in the test process, their host names looked up
in a DNS server on loopback: every answer at its line."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from checkproject import found, line_of, make_project, run, write_issue
from dnsserver import dns_server
from linkserver import PNG_WIDTH, link_server

ZONE = "www.kommun.se. 60 IN A 127.0.0.1\nbilder.kommun.se. 60 IN A 127.0.0.1\n"


@pytest.fixture
def web(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, Counter[str]]]:
    """The link server, reached as www.kommun.se:PORT through the loopback DNS server."""
    make_project(tmp_path)
    monkeypatch.chdir(tmp_path)
    with dns_server(ZONE) as (nameserver, _), link_server() as (url, hits):
        monkeypatch.setenv("NEWSLETTER_CHECK_NAMESERVERS", nameserver)
        port = url.rsplit(":", 1)[1]
        yield f"http://www.kommun.se:{port}", hits


def links_issue(project: Path, base: str) -> Path:
    nowhere = base.replace("www.kommun.se", "nosuch.kommun.se")
    pictures = base.replace("www", "bilder")
    names = ("ok", "moved", "gone", "broken", "slow", "no-head", "loop")
    links = "".join(f'    - {{label: Länk {n}, url: "{base}/{n}"}}\n' for n in names)
    return write_issue(
        project,
        "- title: Länkar\n"
        "  body: |\n"
        f"    Läs [mer här]({base}/ok) och [på en sida som inte finns]({nowhere}/ok).\n"
        "  links:\n"
        f"{links}"
        "- title: En bild\n"
        f'  image: {{url: "{pictures}/image.png", alt: Loggan, width: 500}}\n'
        "- title: En för stor bild\n"
        f'  image: {{url: "{base}/huge.png", alt: Stor}}\n'
        "- title: Ingen bild\n"
        f'  image: {{url: "{base}/not-image.png", alt: Sida}}\n',
    )


def test_every_answer_at_its_line(web: tuple[str, Counter[str]], tmp_path: Path) -> None:
    base, hits = web
    path = links_issue(tmp_path, base)
    report = run(path, real=True, timeout=0.5)
    by_code = {(f.code, f.place.line) for f in report.findings}
    assert ("link-broken", line_of(path, f"{base}/gone")) in by_code
    assert ("link-broken", line_of(path, f"{base}/broken")) in by_code
    assert ("link-unreachable", line_of(path, f"{base}/slow")) in by_code
    assert ("link-redirect", line_of(path, f"{base}/moved")) in by_code
    assert ("link-unreachable", line_of(path, f"{base}/loop")) in by_code
    assert ("link-unreachable", line_of(path, "nosuch.kommun.se")) in by_code
    assert ("image-width", line_of(path, "image.png")) in by_code
    assert ("image-size", line_of(path, "huge.png")) in by_code
    assert ("image-type", line_of(path, "not-image.png")) in by_code
    gone = found(report, "link-broken")
    assert any("404 Not Found" in f.message for f in gone)
    assert any("500 Internal Server Error" in f.message for f in gone)
    (moved,) = found(report, "link-redirect")
    assert f"redirects to {base}/ok" in moved.message
    width = next(f for f in found(report, "image-width") if "/image.png" in f.message)
    assert f"{PNG_WIDTH} px wide but shown at 500 px" in width.message
    # The markdown link's column: where its address starts in the file.
    nxdomain = next(f for f in found(report, "link-unreachable") if "nosuch" in f.message)
    assert "the name does not exist" in nxdomain.message
    text = path.read_text(encoding="utf-8").splitlines()[nxdomain.place.line - 1]
    assert text[nxdomain.place.column - 1 :].startswith(base.replace("www", "nosuch"))
    # HEAD first, GET only where HEAD was refused; nothing about the working links.
    # /ok twice: as the link (in the body and the links, visited once) and after /moved.
    assert hits["HEAD /ok"] == 2 and hits["GET /ok"] == 0
    assert hits["HEAD /no-head"] == 1 and hits["GET /no-head"] == 1
    assert not [f for f in report.findings if "/no-head" in f.message or f"{base}/ok " in f.message]
    # The newsletter's own address too: the editor's website, at its setting.
    skr = next(f for f in found(report, "link-unreachable") if "www.skr.se" in f.message)
    assert str(skr.place) == "newsletter.toml: newsletters.medborgardialog.editor.website"
    loop = next(f for f in found(report, "link-unreachable") if "/loop" in f.message)
    assert "redirects more than 10 times" in loop.message and hits["HEAD /loop"] == 10
    assert len(report.errors) == 8


def test_a_second_check_within_the_hour_asks_only_what_failed(
    web: tuple[str, Counter[str]], tmp_path: Path
) -> None:
    base, hits = web
    path = links_issue(tmp_path, base)
    first = run(path, timeout=0.5)
    before = Counter(hits)
    second = run(path, timeout=0.5)
    assert [str(f) for f in second.sorted()] == [str(f) for f in first.sorted()]
    asked_again = {key.split()[1] for key in hits - before}
    assert asked_again == {"/gone", "/broken", "/slow", "/loop"}
    assert (tmp_path / ".newsletter" / "link-check.json").stat().st_mode & 0o777 == 0o600
