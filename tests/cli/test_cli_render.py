from pathlib import Path

import pytest
from click.testing import CliRunner
from render_fixtures import EXAMPLES, ROOT, make_config

from newsletter.cli import main

ISSUE = """\
newsletter: test
number: 3
year: 2020
title: Nyheter i september
sections:
  - items:
      - kind: webinar
        title: Det demokratiska samtalet
        sessions: [{date: 2020-09-09, start: "09:00", end: "10:00"}]
        links: [{label: Läs mer, url: "http://example.org/samtalet"}]
"""


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    make_config(tmp_path)
    (tmp_path / "issues").mkdir()
    (tmp_path / "issues" / "2020-03.yaml").write_text(ISSUE, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NEWSLETTER_CONFIG", raising=False)
    return tmp_path


def test_render_writes_html_text_and_calendar_files(folder: Path) -> None:
    result = CliRunner().invoke(main, ["render", "issues/2020-03.yaml"])
    assert result.exit_code == 0, result.output
    out = folder / "build" / "test" / "2020-03"
    assert sorted(p.name for p in out.iterdir()) == [
        "det-demokratiska-samtalet.ics",
        "index.html",
        "index.txt",
    ]
    assert "Rendered issues/2020-03.yaml into build/test/2020-03/" in result.output
    assert "E-mail HTML:" in result.output and "KB quoted-printable" in result.output
    assert "Warning: issues/2020-03.yaml: http://example.org/samtalet is an http: link" in (
        result.output
    )
    assert b"\r\n" in (out / "det-demokratiska-samtalet.ics").read_bytes()
    web = (out / "index.html").read_text()
    assert "https://nyhetsbrev.example.org/test/" in web and "/u/" not in web


def test_render_into_a_chosen_folder(folder: Path) -> None:
    result = CliRunner().invoke(main, ["render", "issues/2020-03.yaml", "-o", "ut"])
    assert result.exit_code == 0, result.output
    assert (folder / "ut" / "index.txt").read_text().count("Det demokratiska samtalet") == 1


def test_a_folder_renders_every_issue_and_goes_on_after_a_bad_one(folder: Path) -> None:
    issues = folder / "issues"
    (issues / "2020-04.yaml").write_text(ISSUE.replace("number: 3", "number: 4"))
    (issues / "2020-01.yaml").write_text(ISSUE.replace("number: 3", "number: [1"))
    result = CliRunner().invoke(main, ["render", "issues"])
    assert result.exit_code == 1
    assert "Error: issues/2020-01.yaml:2:9:" in result.output
    assert (folder / "build" / "test" / "2020-03" / "index.html").is_file()
    assert (folder / "build" / "test" / "2020-04" / "index.html").is_file()


def test_a_too_large_issue_is_refused_with_its_file(folder: Path) -> None:
    body = "Ett långt stycke om medborgardialog och förtroende. " * 30
    items = "".join(
        f"\n      - kind: article\n        title: Nyhet {n}\n        body: {body}"
        for n in range(40)
    )
    (folder / "issues" / "stor.yaml").write_text(ISSUE + "  - items:" + items, encoding="utf-8")
    result = CliRunner().invoke(main, ["render", "issues/stor.yaml"])
    assert result.exit_code == 1
    assert "Error: issues/stor.yaml: 2020-03: the HTML is" in result.output
    assert "above the 100 KB limit" in result.output
    assert not (folder / "build").exists()


def test_output_takes_one_issue(folder: Path) -> None:
    result = CliRunner().invoke(main, ["render", "issues", "issues/2020-03.yaml", "-o", "x"])
    assert result.exit_code == 2
    assert "--output takes one issue" in result.output


def test_an_invalid_issue_is_a_located_error_and_nothing_is_written(folder: Path) -> None:
    (folder / "issues" / "2020-03.yaml").write_text(
        ISSUE.replace("title: Nyheter", "title: [Nyheter")
    )
    result = CliRunner().invoke(main, ["render", "issues/2020-03.yaml"])
    assert result.exit_code == 1
    assert "issues/2020-03.yaml:" in result.output
    assert "Traceback" not in result.output
    assert not (folder / "build").exists()


def test_an_unknown_newsletter_names_the_configured_ones(folder: Path) -> None:
    (folder / "issues" / "2020-03.yaml").write_text(
        ISSUE.replace("newsletter: test", "newsletter: tset")
    )
    result = CliRunner().invoke(main, ["render", "issues/2020-03.yaml"])
    assert result.exit_code == 1
    assert "test" in result.output and "tset" in result.output


def test_help_ends_with_an_example() -> None:
    for command in ("render", "preview"):
        result = CliRunner().invoke(main, [command, "--help"])
        assert result.exit_code == 0
        assert "Example:" in result.output
        assert f"newsletter {command} issues/" in result.output


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_render_the_examples_in_a_subprocess(path: Path, tmp_path: Path) -> None:
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "newsletter", "render", str(path), "-o", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # no warnings, no cssutils noise
    assert (tmp_path / "index.html").stat().st_size > 10_000
