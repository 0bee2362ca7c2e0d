"""`newsletter init`: a new project, asked for in a terminal or given as options; and every
command without a project says so and points at init."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from projects import ROOT

from newsletter.audience.csvfile import EXCEL_SV, read_table
from newsletter.cli import main
from newsletter.config import load_config

HASSLEHOLM = ["--newsletter", "internationellt", "--name", "Internationellt arbete i Hässleholm",
              "--from", "nyhetsbrev@hassleholm.se"]  # fmt: skip


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NEWSLETTER_CONFIG", raising=False)
    return tmp_path


def init(*args: str) -> object:
    return CliRunner().invoke(main, ["init", *args])


def test_init_writes_a_project_that_loads(here: Path) -> None:
    result = init("hassleholm", *HASSLEHOLM)
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    folder = here / "hassleholm"
    config = load_config(folder / "newsletter.toml")
    [newsletter] = config.newsletters.values()
    assert (newsletter.key, newsletter.name) == (
        "internationellt",
        "Internationellt arbete i Hässleholm",
    )
    assert newsletter.from_address == newsletter.reply_to == "nyhetsbrev@hassleholm.se"
    assert newsletter.list_id == "internationellt.hassleholm.se"
    assert newsletter.default_lists == ("internationellt",)
    assert config.smtp.host == "" and (folder / "issues").is_dir()
    assert (folder / ".gitignore").read_text(encoding="utf-8").splitlines()[-3:] == [
        ".newsletter/", "build/", "outbox/",
    ]  # fmt: skip


def test_the_example_list_is_as_swedish_excel_saves_it(here: Path) -> None:
    init("hassleholm", *HASSLEHOLM)
    path = here / "hassleholm" / "subscribers" / "internationellt.csv"
    assert path.read_bytes().startswith(b"\xef\xbb\xbfE-post;Namn;Kommun\r\n")
    table = read_table(path)
    assert (table.format.bom, table.format.delimiter, table.format.newline) == (
        EXCEL_SV.bom, EXCEL_SV.delimiter, EXCEL_SV.newline,
    )  # fmt: skip
    checked = CliRunner().invoke(main, ["--config", str(here / "hassleholm" / "newsletter.toml"),
                                        "subscribers", "check"])  # fmt: skip
    assert checked.exit_code == 0, checked.output
    assert "subscribers/internationellt.csv: 1 row, 1 address" in checked.output


def test_init_says_what_to_do_next(here: Path) -> None:
    result = init("hassleholm", *HASSLEHOLM)
    lines = result.output.splitlines()  # type: ignore[attr-defined]
    assert lines[0] == "Started a project in hassleholm:"
    assert "  made  hassleholm/newsletter.toml" in lines
    steps = lines[lines.index("Next:") + 1 :]
    assert steps[0] == "  1. cd hassleholm"
    assert any("newsletter new" in step for step in steps)
    assert any("--test" in step for step in steps)


def test_the_new_project_takes_the_next_commands(
    here: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    init("hassleholm", *HASSLEHOLM)
    monkeypatch.chdir(here / "hassleholm")
    first = CliRunner().invoke(main, ["new"])
    assert first.exit_code == 0, first.output
    year = time.localtime().tm_year
    assert f"Wrote issues/internationellt-{year}-01.yaml (number 1 of {year})" in first.output
    second = CliRunner().invoke(main, ["new"])
    assert f"issues/internationellt-{year}-02.yaml (number 2 of {year})" in second.output
    checked = CliRunner().invoke(main, ["validate", "issues"])
    assert checked.exit_code == 0, checked.output
    assert f"(internationellt {year}-02)" in checked.output


def test_init_never_overwrites_a_project(here: Path) -> None:
    (here / "newsletter.toml").write_text("# mine\n", encoding="utf-8")
    result = init(*HASSLEHOLM)
    assert result.exit_code == 1  # type: ignore[attr-defined]
    assert "newsletter.toml exists already" in result.output  # type: ignore[attr-defined]
    assert (here / "newsletter.toml").read_text(encoding="utf-8") == "# mine\n"
    assert not (here / "subscribers").exists()


def test_init_keeps_a_list_and_completes_a_gitignore(here: Path) -> None:
    (here / "subscribers").mkdir()
    (here / "subscribers" / "internationellt.csv").write_text("E-post\nmin@kommun.se\n")
    (here / ".gitignore").write_text("*.pyc\nbuild\n", encoding="utf-8")
    result = init(*HASSLEHOLM)
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    assert "  kept  subscribers/internationellt.csv (it was there)" in result.output  # type: ignore[attr-defined]
    assert (here / "subscribers" / "internationellt.csv").read_text() == "E-post\nmin@kommun.se\n"
    ignored = (here / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert ignored[:2] == ["*.pyc", "build"] and ignored[-2:] == [".newsletter/", "outbox/"]


@pytest.mark.parametrize(
    "option, value, expected",
    [
        ("--newsletter", "Internationellt", "use lower-case letters, digits and hyphens"),
        ("--newsletter", "health", "which the web side uses itself"),
        ("--from", "nyhetsbrev.hassleholm.se", "cannot be the sender's address"),
        ("--name", "Två\nrader", "must be one line"),
    ],
)
def test_init_refuses_what_cannot_work(here: Path, option: str, value: str, expected: str) -> None:
    given = dict(zip(HASSLEHOLM[::2], HASSLEHOLM[1::2], strict=True)) | {option: value}
    result = init(*[part for pair in given.items() for part in pair])
    assert result.exit_code != 0 and expected in result.output  # type: ignore[attr-defined]
    assert not (here / "newsletter.toml").exists()


def test_without_a_terminal_init_names_the_options_it_needs(here: Path) -> None:
    result = init("--name", "Internationellt arbete i Hässleholm")
    assert result.exit_code == 2  # type: ignore[attr-defined]
    assert "give --newsletter, --from as well" in result.output  # type: ignore[attr-defined]
    assert list(here.iterdir()) == []


def test_in_a_terminal_init_asks_and_asks_again_after_a_wrong_answer(tmp_path: Path) -> None:
    answers = ["Internationellt arbete i Hässleholm", "", "nyhetsbrev-hassleholm.se",
               "nyhetsbrev@hassleholm.se"]  # fmt: skip
    output = _in_a_terminal(["init", "hassleholm"], answers, cwd=tmp_path)
    assert "The newsletter's name, as readers see it:" in output
    # The key is offered from the name; Enter takes it.
    assert "[internationellt-arbete-i-hassleholm]" in output
    assert "cannot be the sender's address" in output
    config = load_config(tmp_path / "hassleholm" / "newsletter.toml")
    assert list(config.newsletters) == ["internationellt-arbete-i-hassleholm"]


def _in_a_terminal(args: list[str], answers: list[str], *, cwd: Path) -> str:
    """`newsletter ARGS` on a pseudo-terminal, typing ANSWERS one by one as it asks."""
    leader, follower = pty.openpty()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200"}
    process = subprocess.Popen([sys.executable, "-m", "newsletter", *args], cwd=cwd, env=env,
                               stdin=follower, stdout=follower, stderr=follower)  # fmt: skip
    os.close(follower)
    seen = b""
    for answer in answers:
        seen += _read_until(leader, b": ")
        os.write(leader, answer.encode() + b"\n")
    deadline = time.monotonic() + 30
    while process.poll() is None and time.monotonic() < deadline:
        seen += _read_until(leader, b"\n", timeout=0.5)
    process.wait(timeout=5)
    os.close(leader)
    assert process.returncode == 0, seen.decode(errors="replace")
    return seen.decode(errors="replace")


def _read_until(fd: int, end: bytes, *, timeout: float = 20) -> bytes:
    import select

    found = b""
    deadline = time.monotonic() + timeout
    while not found.endswith(end) and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(fd, 1024)
            except OSError:
                break
            if not chunk:
                break
            found += chunk
    return found


# --- without a project ---------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["new"],
        ["validate", "nr1.yaml"],
        ["render", "nr1.yaml"],
        ["send", "nr1.yaml", "--dry-run"],
        ["status", "nr1.yaml"],
        ["check", "nr1.yaml"],
        ["subscribers", "check"],
        ["state", "verify"],
        ["serve"],
        ["bounces", "import", "nr1.yaml"],
        ["archive", "update", "nr1.yaml"],
        ["signup-form", "x"],
    ],
    ids=lambda args: " ".join(args[:2]),
)
def test_every_command_without_a_project_says_so_and_points_at_init(
    here: Path, args: list[str]
) -> None:
    (here / "nr1.yaml").write_text(
        (ROOT / "issues" / "medborgardialog-2020-06.yaml").read_text(encoding="utf-8"),
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1, result.output
    assert f"There is no newsletter.toml in {here}" in result.output
    assert "`newsletter init`" in result.output
    assert "OK" not in result.output and "Traceback" not in result.output
    # Nothing made in a folder that is no project: no state database, no key, no files.
    assert sorted(p.name for p in here.iterdir()) == ["nr1.yaml"]


def test_a_config_that_is_not_there_is_named(here: Path) -> None:
    result = CliRunner().invoke(main, ["subscribers", "check", "--config", "elsewhere.toml"])
    assert result.exit_code == 1
    assert "elsewhere.toml: there is no such file" in result.output


def test_init_in_swedish(here: Path, swedish: None) -> None:
    result = init("hassleholm", *HASSLEHOLM)
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    assert "Startade ett projekt i hassleholm:" in result.output  # type: ignore[attr-defined]
    assert "Sedan:" in result.output  # type: ignore[attr-defined]
    text = (here / "hassleholm" / "newsletter.toml").read_text(encoding="utf-8")
    assert "# E-postservern (reläservern) som skickar meddelandena." in text
    load_config(here / "hassleholm" / "newsletter.toml")


def test_an_english_project_has_an_english_list(here: Path) -> None:
    init("hassleholm", *HASSLEHOLM, "--language", "en")
    path = here / "hassleholm" / "subscribers" / "internationellt.csv"
    assert path.read_bytes().startswith(b"\xef\xbb\xbfEmail;Name;Municipality\r\n")
    assert (
        load_config(here / "hassleholm" / "newsletter.toml").newsletter("internationellt").language
        == "en"
    )
