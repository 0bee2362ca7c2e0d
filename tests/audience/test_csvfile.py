import codecs
from pathlib import Path

import projects
import pytest

from newsletter.audience.csvfile import EXCEL_SV, CsvFormat, read_table, write
from newsletter.errors import SubscriberError

FIXTURES = projects.FIXTURES / "lists"


def test_excel_format_is_detected() -> None:
    table = read_table(FIXTURES / "excel_sv.csv")
    assert table.format == CsvFormat(encoding="utf-8", bom=True, delimiter=";", newline="\r\n")
    assert table.header[0] == "E-postadress"  # the BOM is not part of the first header


def test_windows_1252_is_detected_and_located() -> None:
    table = read_table(FIXTURES / "windows1252.csv")
    assert table.format.encoding == "cp1252"
    assert [w.line for w in table.warnings] == [2]


@pytest.mark.parametrize("fixture", ["excel_sv.csv", "windows1252.csv", "kommun_b.csv"])
def test_rewriting_keeps_encoding_bom_delimiter_and_line_ends(fixture: str, tmp_path: Path) -> None:
    table = read_table(FIXTURES / fixture)
    copy = tmp_path / fixture
    write(copy, table.header, [r.cells for r in table.records], table.format)
    again = read_table(copy)
    assert again.format == table.format
    assert again.header == table.header
    assert [r.cells for r in again.records] == [r.cells for r in table.records]
    original, written = (FIXTURES / fixture).read_bytes(), copy.read_bytes()
    assert written.startswith(codecs.BOM_UTF8) == original.startswith(codecs.BOM_UTF8)
    assert written.count(b"\r\n") == original.count(b"\r\n")


def test_a_name_windows_1252_cannot_hold_switches_to_utf8_with_bom(tmp_path: Path) -> None:
    path = tmp_path / "l.csv"
    fmt = write(path, ["email", "name"], [["a@example.org", "Łukasz Ćwik"]], CsvFormat("cp1252"))
    assert (fmt.encoding, fmt.bom) == ("utf-8", True)
    assert read_table(path).records[0].cells == ["a@example.org", "Łukasz Ćwik"]


def test_writing_is_atomic_and_keeps_the_file_mode(tmp_path: Path) -> None:
    path = tmp_path / "l.csv"
    path.write_text("email\n")
    path.chmod(0o640)
    write(path, ["email"], [["a@example.org"]], EXCEL_SV)
    assert path.stat().st_mode & 0o777 == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["l.csv"]  # no temp file left behind
    assert path.read_bytes() == codecs.BOM_UTF8 + b"email\r\na@example.org\r\n"


def test_a_failed_write_leaves_no_temp_file(tmp_path: Path) -> None:
    (tmp_path / "l.csv").mkdir()  # the rename onto it fails after the data is written
    with pytest.raises(IsADirectoryError):
        write(tmp_path / "l.csv", ["email"], [["a@example.org"]], EXCEL_SV)
    assert [p.name for p in tmp_path.iterdir()] == ["l.csv"]


def test_a_runaway_quote_costs_one_row_only(tmp_path: Path) -> None:
    path = tmp_path / "l.csv"
    path.write_text('email;name\na@example.org;"Anna\nb@example.org;Bo\nc@example.org;"Cia"\n')
    table = read_table(path)
    assert [p.line for p in table.problems] == [2]
    assert [(r.line, r.cells[0]) for r in table.records] == [
        (3, "b@example.org"),
        (4, "c@example.org"),
    ]


def test_a_quoted_line_break_is_one_cell(tmp_path: Path) -> None:
    path = tmp_path / "l.csv"
    path.write_text('email;note\na@example.org;"rad 1\nrad 2"\nb@example.org;x\n')
    table = read_table(path)
    assert table.problems == []
    assert [(r.line, r.cells[1]) for r in table.records] == [(2, "rad 1\nrad 2"), (4, "x")]


def test_an_excel_workbook_is_refused_with_what_to_do(tmp_path: Path) -> None:
    import zipfile

    path = tmp_path / "lista.xlsx"
    with zipfile.ZipFile(path, "w") as workbook:
        workbook.writestr("xl/workbook.xml", "<workbook/>")
    with pytest.raises(SubscriberError, match=r"lista.xlsx: this is an Excel workbook.*CSV UTF-8"):
        read_table(path)


def test_broken_utf16_does_not_crash(tmp_path: Path) -> None:
    path = tmp_path / "l.csv"
    path.write_bytes(codecs.BOM_UTF16_LE + "email\r\na@example.org\r\n".encode("utf-16-le") + b"x")
    assert read_table(path).records[0].cells == ["a@example.org"]


@pytest.mark.parametrize("odd", ["\x0c", "\u2028", "\x85", "\x1e"])
def test_only_cr_and_lf_end_a_line(tmp_path: Path, odd: str) -> None:
    path = tmp_path / "l.csv"
    path.write_text(f"email,note\r\na@example.org,x{odd}y\r\nb@example.org,z\r\n", encoding="utf-8")
    table = read_table(path)
    assert [(r.line, r.cells[1]) for r in table.records] == [(2, f"x{odd}y"), (3, "z")]


def test_long_files_are_read_in_chunks_without_losing_a_line(tmp_path: Path) -> None:
    path = tmp_path / "l.csv"
    rows = "".join(f"person.{n}@example.org;{'å' * (n % 50)}\r\n" for n in range(60_000))
    path.write_text("email;note\r\n" + rows, encoding="utf-8")
    table = read_table(path)
    assert len(table.records) == 60_000 and path.stat().st_size > 2 << 20
    assert table.records[-1].line == 60_001
    assert table.records[-1].cells == ["person.59999@example.org", "å" * (59999 % 50)]
