import json
import shutil
from pathlib import Path

import click
import projects
import pytest
from click.testing import CliRunner, Result

from newsletter.audience import suppression
from newsletter.cli import main
from newsletter.cli.subscribers import subscribers
from newsletter.config import load_config
from newsletter.state import connect

pytestmark = pytest.mark.usefixtures("state_engine")

FIXTURES = projects.FIXTURES / "lists"

CONFIG = """
[newsletters.medborgardialog]
name = "Medborgardialog"
from_name = "SKR"
from_address = "medborgardialog@example.org"
reply_to = "medborgardialog@example.org"
list_id = "medborgardialog.example.org"
default_list = "kommun_a"
"""


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "newsletter.toml").write_text(CONFIG, encoding="utf-8")
    (tmp_path / "subscribers").mkdir()
    for name in ("kommun_a", "kommun_b", "bad_rows"):
        shutil.copy(FIXTURES / f"{name}.csv", tmp_path / "subscribers" / f"{name}.csv")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NEWSLETTER_CONFIG", raising=False)
    return tmp_path


def run(*args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(main, ["subscribers", *args], input=input)


def db(folder: Path):  # type: ignore[no-untyped-def]
    return connect(load_config(folder / "newsletter.toml"))


def test_every_command_has_help_ending_with_an_example() -> None:
    commands = [subscribers, *subscribers.commands.values()]  # type: ignore[attr-defined]
    for command in commands:
        assert isinstance(command, click.Command)
        result = CliRunner().invoke(main, ["subscribers", command.name, "--help"])
        if command is subscribers:
            result = CliRunner().invoke(main, ["subscribers", "--help"])
        assert result.exit_code == 0, command.name
        example = command.help.rstrip().rsplit("Example:", 1)  # type: ignore[union-attr]
        assert len(example) == 2 and "newsletter subscribers" in example[1], command.name


def test_check_counts_lists_after_merging_and_suppression(folder: Path) -> None:
    suppression.suppress(db(folder), "olle@example.org", reason="bounced")
    result = run("check", "kommun_a", "kommun_b", "--newsletter", "medborgardialog")
    assert result.exit_code == 0, result.output
    assert "subscribers/kommun_a.csv: 3 rows, 3 addresses\n" in result.stdout
    assert "subscribers/kommun_b.csv: 4 rows, 4 addresses, 3 also on an earlier list, " in (
        result.stdout
    )
    assert (
        "3 recipients after merging duplicates (3) and leaving out those suppressed for "
        "newsletter medborgardialog (1)."
    ) in result.stdout


def test_check_reports_bad_rows_with_lines_and_exits_1(folder: Path) -> None:
    result = run("check", "bad_rows")
    assert result.exit_code == 1
    for line in (3, 4, 6, 8, 10, 11):
        assert f"subscribers/bad_rows.csv:{line}: error: " in result.stderr
    assert "5 addresses" in result.stdout and "6 bad rows" in result.stderr
    assert "Traceback" not in result.output


def test_check_accepts_a_path_and_without_lists_checks_them_all(folder: Path) -> None:
    result = run("check", str(FIXTURES / "excel_sv.csv"))
    assert result.exit_code == 0 and "5 rows, 5 addresses" in result.stdout
    everything = run("check")
    assert everything.exit_code == 1 and "kommun_b.csv" in everything.stdout


def test_check_of_an_unknown_list_names_the_known_ones(folder: Path) -> None:
    result = run("check", "kommun_c")
    assert result.exit_code == 1
    assert "no such list" in result.stderr and "bad_rows, kommun_a, kommun_b" in result.stderr


def test_add_update_and_remove(folder: Path) -> None:
    added = run("add", "kommun_a", "Per@Example.org", "--name", "Per Ås", "--field", "kommun=Bjuv")
    assert added.exit_code == 0, added.output
    assert "Per@example.org added." in added.stdout
    text = (folder / "subscribers" / "kommun_a.csv").read_bytes().decode("utf-8")
    assert text.endswith("Per@example.org;Per Ås;Bjuv\r\n")
    again = run("add", "kommun_a", "per@example.org", "--field", "kommun=Åstorp")
    assert "updated" in again.stdout
    removed = run("remove", "kommun_a", "PER@example.org")
    assert removed.exit_code == 0 and "line 5" in removed.stdout
    assert run("remove", "kommun_a", "per@example.org").exit_code == 1


def test_add_creates_a_new_list_for_swedish_excel(folder: Path) -> None:
    result = run("add", "nya", "anna@example.org", "--name", "Anna Öst")
    assert result.exit_code == 0, result.output
    data = (folder / "subscribers" / "nya.csv").read_bytes()
    assert data == "\ufeffemail;name\r\nanna@example.org;Anna Öst\r\n".encode()


def test_add_refuses_a_bad_address_and_warns_about_suppression(folder: Path) -> None:
    bad = run("add", "kommun_a", "anna@@example.org")
    assert bad.exit_code == 1 and "not a valid e-mail address" in bad.stderr
    suppression.suppress(db(folder), "per@example.org", reason="unsubscribed")
    noted = run("add", "kommun_a", "per@example.org")
    assert noted.exit_code == 0 and "is suppressed for every newsletter" in noted.stderr
    bad_field = run("add", "kommun_a", "x@example.org", "--field", "kommun")
    assert bad_field.exit_code == 2 and "KEY=VALUE" in bad_field.stderr


def test_import_merges_and_reports(folder: Path) -> None:
    result = run("import", "kommun_a", str(FIXTURES / "kommun_b.csv"))
    assert result.exit_code == 0, result.output
    assert "1 new, 3 updated, 0 unchanged, 0 rejected row(s) were imported" in result.stdout
    rejected = run("import", "kommun_a", str(FIXTURES / "bad_rows.csv"), "--dry-run")
    assert "subscribers/kommun_a.csv: 5 new" in rejected.stdout
    assert "would be imported" in rejected.stdout
    assert rejected.stderr.count("rejected: ") == 6
    assert "anna@example.org" not in (folder / "subscribers" / "kommun_a.csv").read_text()


def test_export_list_and_address(folder: Path) -> None:
    suppression.suppress(db(folder), "lena@example.org", reason="unsubscribed",
                         newsletter="medborgardialog")  # fmt: skip
    shown = run("export", "kommun_b", "--newsletter", "medborgardialog")
    assert shown.exit_code == 0
    assert shown.stdout.splitlines() == [
        "email,name,kommun,organisation",
        "mats@example.org,Mats B.,Falun,Gävle kommun",
        "nora@xn--bcher-kva.example,,Umeå,Umeå kommun",
        "olle@example.org,Olle Dahl,Kiruna,Kiruna kommun",
    ]
    to_file = run("export", "kommun_b", "-o", "ut.csv")
    assert to_file.exit_code == 0
    assert (folder / "ut.csv").read_bytes().startswith(b"\xef\xbb\xbfemail;name;kommun;")
    about = run("export", "--address", "LENA@example.org", "-o", "lena.json")
    assert about.exit_code == 0 and "personal data" in about.stderr
    data = json.loads((folder / "lena.json").read_text(encoding="utf-8"))
    assert len(data["lists"]) == 2 and data["suppression"][0]["reason"] == "unsubscribed"
    assert run("export").exit_code == 2


def test_suppress_unsuppress_and_list(folder: Path) -> None:
    first = run("suppress", "Anna@EXAMPLE.org", "--reason", "unsubscribed", "--newsletter",
                "medborgardialog")  # fmt: skip
    assert "now suppressed for newsletter medborgardialog" in first.stdout
    assert "already suppressed" in run("suppress", "anna@example.org", "--newsletter",
                                       "medborgardialog").stdout  # fmt: skip
    assert run("suppress", "bo@example.org", "--reason", "bounced").exit_code == 0
    unknown = run("suppress", "x@example.org", "--newsletter", "medborgardialg")
    assert unknown.exit_code == 1 and "configured: medborgardialog" in unknown.stderr
    listed = run("suppressed", "--reason", "bounced")
    assert "bo@example.org" in listed.stdout and "Anna@" not in listed.stdout
    assert "Anna@example.org" in run("suppressed", "--search", "ANNA").stdout
    assert "bo@example.org" in run("suppressed", "--newsletter", "all").stdout
    assert run("unsuppress", "anna@example.org").exit_code == 0
    assert run("unsuppress", "anna@example.org").exit_code == 1


def test_forget_asks_then_erases_everywhere(folder: Path) -> None:
    declined = run("forget", "mats@example.org", input="n\n")
    assert declined.exit_code == 1
    assert "mats@" in (folder / "subscribers" / "kommun_b.csv").read_text()
    result = run("forget", "mats@example.org", input="y\n")
    assert result.exit_code == 0, result.output
    assert "subscribers/kommun_a.csv: removed line 3." in result.stdout
    assert "subscribers/kommun_b.csv: removed line 2." in result.stdout
    assert "kept by hash only" in result.stdout
    listed = run("suppressed").stdout
    assert "(forgotten: " in listed and "mats" not in listed
    check = run("check", "kommun_a", "kommun_b", "--newsletter", "medborgardialog")
    assert "3 recipients" in check.stdout


def test_a_windows_1252_list_stays_so_unless_a_name_needs_more(folder: Path) -> None:
    path = folder / "subscribers" / "win.csv"
    shutil.copy(FIXTURES / "windows1252.csv", path)
    assert run("add", "win", "a@example.org", "--name", "Åsa Öberg").exit_code == 0
    assert path.read_bytes().endswith("\r\nÅsa Öberg;a@example.org;\r\n".encode("cp1252"))
    result = run("add", "win", "b@example.org", "--name", "Łukasz Ćwik")
    assert "now saved as UTF-8" in result.stderr
    assert path.read_bytes().startswith(b"\xef\xbb\xbfNamn;E-post;Kommun\r\n")
    assert "Göran Sjöström" in path.read_bytes().decode("utf-8")


def test_check_counts_unsubscribes_of_the_newsletter_whose_default_list_it_is(
    folder: Path,
) -> None:
    suppression.suppress(db(folder), "lena@example.org", reason="unsubscribed",
                         newsletter="medborgardialog")  # fmt: skip
    own = run("check", "kommun_a")
    assert "2 recipients" in own.stdout and "for newsletter medborgardialog" in own.stdout
    other = run("check", "kommun_b")
    assert "4 recipients" in other.stdout and "--newsletter adds its unsubscribes" in other.stdout


def test_check_lists_duplicates_and_bad_rows_in_the_order_of_rows(folder: Path) -> None:
    (folder / "subscribers" / "dubbel.csv").write_text(
        "E-post;Namn\nanna@example.org;Anna\nbo@example.org;Bo\nANNA@example.org;Anna A\n"
        "inte-en-adress;X\nbo@example.org;\n",
        encoding="utf-8",
    )
    result = run("check", "dubbel")
    assert result.exit_code == 1
    lines = [line.split(":")[1] for line in result.stderr.splitlines() if ".csv:" in line]
    assert lines == ["4", "5", "6"]  # the warning on row 4, the error on 5, the warning on 6
    assert "subscribers/dubbel.csv: 5 rows, 2 addresses, 1 bad, 2 duplicates merged" in (
        result.stdout
    )


def test_one_duplicate_is_one_duplicate(folder: Path) -> None:
    (folder / "subscribers" / "en.csv").write_text(
        "E-post;Namn\nanna@example.org;Anna\nanna@example.org;Anna\n", encoding="utf-8"
    )
    result = run("check", "en")
    assert "subscribers/en.csv: 2 rows, 1 address, 1 duplicate merged" in result.stdout


def test_check_in_swedish(folder: Path, swedish: None) -> None:
    (folder / "subscribers" / "en.csv").write_text(
        "E-post;Namn\nanna@example.org;Anna\nanna@example.org;Anna\nfel;X\n", encoding="utf-8"
    )
    result = run("check", "en")
    assert "subscribers/en.csv:3: varning: anna@example.org finns också på rad 2; sammanslagen" in (
        result.stderr
    )
    assert "subscribers/en.csv:4: fel: 'fel' är inte en giltig e-postadress" in result.stderr
    assert "subscribers/en.csv: 3 rader, 1 adress, 1 felaktig, 1 dubblett sammanslagen" in (
        result.stdout
    )
