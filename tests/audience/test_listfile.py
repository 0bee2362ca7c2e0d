import shutil
from pathlib import Path

import projects
import pytest

from newsletter.audience.csvfile import read_table
from newsletter.audience.listfile import ListFile
from newsletter.audience.subscribers import load_list

FIXTURES = projects.FIXTURES / "lists"


@pytest.fixture
def excel(tmp_path: Path) -> Path:
    return Path(shutil.copy(FIXTURES / "excel_sv.csv", tmp_path / "lista.csv"))


def test_add_appends_in_the_files_own_format(excel: Path) -> None:
    listfile = ListFile.open(excel)
    assert listfile.add("Ny@Example.SE", name="Åke Ny", fields={"Kommun": "Lund"}) == "added"
    listfile.save()
    data = excel.read_bytes()
    assert data.startswith(b"\xef\xbb\xbfE-postadress;")
    assert data.endswith("\r\nNy@example.se;Åke;Ny;;Lund;\r\n".encode())
    loaded = load_list(excel)
    assert loaded.problems == []
    assert loaded.subscribers[-1].name == "Åke Ny"
    assert loaded.subscribers[-1].fields["kommun"] == "Lund"


def test_add_of_a_known_address_updates_or_leaves_it(excel: Path) -> None:
    listfile = ListFile.open(excel)
    assert listfile.add("ASA.ostlund@example.se") == "unchanged"
    assert listfile.add("asa.ostlund@example.se", fields={"kommun": "Motala"}) == "updated"
    listfile.save()
    assert load_list(excel).subscribers[0].fields["kommun"] == "Motala"


def test_remove_takes_every_row_and_keeps_bad_rows(tmp_path: Path) -> None:
    path = tmp_path / "l.csv"
    path.write_text("email,name\na@example.org,A\nnot-valid,B\nA@EXAMPLE.org,C\nb@example.org,D\n")
    listfile = ListFile.open(path)
    assert listfile.remove("a@example.org") == [2, 4]
    assert listfile.remove("a@example.org") == []
    listfile.save()
    assert path.read_text() == "email,name\nnot-valid,B\nb@example.org,D\n"


def test_merge_reports_new_updated_unchanged_and_rejected(tmp_path: Path) -> None:
    target = Path(shutil.copy(FIXTURES / "kommun_a.csv", tmp_path / "a.csv"))
    listfile = ListFile.open(target)
    report = listfile.merge(load_list(FIXTURES / "kommun_b.csv"))
    assert report.new == ["olle@example.org"]
    # nora@bücher.example is the same mailbox as nora@xn--bcher-kva.example
    assert report.updated == ["mats@example.org", "lena@example.org", "nora@xn--bcher-kva.example"]
    assert report.unchanged == 0 and report.rejected == []
    listfile.save()
    table = read_table(target)
    assert table.header == ["email", "name", "kommun", "organisation"]
    assert table.format.delimiter == ";" and table.format.newline == "\r\n"
    rows = {r.cells[0]: r.cells[1:] for r in table.records}
    assert rows["Mats@Example.org"] == ["Mats B.", "Falun", "Gävle kommun"]
    assert rows["lena@example.org"] == ["Lena Ek", "Luleå", "Region Norrbotten"]
    assert rows["olle@example.org"] == ["Olle Dahl", "Kiruna", "Kiruna kommun"]
    assert rows["nora@bücher.example"] == ["Nora Sund", "Umeå", "Umeå kommun"]


def test_merge_of_the_same_export_twice_changes_nothing(tmp_path: Path) -> None:
    target = Path(shutil.copy(FIXTURES / "kommun_a.csv", tmp_path / "a.csv"))
    ListFile.open(target).merge(load_list(FIXTURES / "kommun_b.csv"))
    listfile = ListFile.open(target)
    listfile.merge(load_list(FIXTURES / "kommun_b.csv"))
    listfile.save()
    report = ListFile.open(target).merge(load_list(FIXTURES / "kommun_b.csv"))
    assert (report.new, report.updated, report.unchanged) == ([], [], 4)


def test_merge_passes_on_the_exports_bad_rows(tmp_path: Path) -> None:
    listfile = ListFile.open(tmp_path / "ny.csv", create=True)
    report = listfile.merge(load_list(FIXTURES / "bad_rows.csv"))
    assert [p.line for p in report.rejected] == [3, 4, 6, 8, 10, 11]
    assert len(report.new) == 5
    listfile.save()
    assert len(load_list(tmp_path / "ny.csv").subscribers) == 5
