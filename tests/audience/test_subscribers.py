import json
from pathlib import Path

import projects
import pytest
from projects import ROOT

from newsletter.audience import suppression
from newsletter.audience.subscribers import load_list, recipients, resolve_list
from newsletter.config import Config, load_config
from newsletter.errors import SubscriberError
from newsletter.state import connect

FIXTURES = projects.FIXTURES / "lists"
BAD_LINES = [3, 4, 6, 8, 10, 11]

CONFIG = """
[newsletters.medborgardialog]
name = "Medborgardialog"
from_name = "SKR"
from_address = "medborgardialog@example.org"
reply_to = "medborgardialog@example.org"
list_id = "medborgardialog.example.org"
default_list = "kommun_a"

[newsletters.regional]
name = "Regional utveckling"
from_name = "SKR"
from_address = "regional@example.org"
reply_to = "regional@example.org"
list_id = "regional.example.org"
default_list = "kommun_b"
"""


@pytest.fixture
def config(tmp_path: Path) -> Config:
    (tmp_path / "newsletter.toml").write_text(CONFIG, encoding="utf-8")
    (tmp_path / "subscribers").mkdir()
    for name in ("kommun_a", "kommun_b"):
        data = (FIXTURES / f"{name}.csv").read_bytes()
        (tmp_path / "subscribers" / f"{name}.csv").write_bytes(data)
    return load_config(tmp_path / "newsletter.toml")


def write(tmp_path: Path, text: str, name: str = "list.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_swedish_excel_export_loads_with_bom_semicolons_crlf_and_quotes() -> None:
    loaded = load_list(FIXTURES / "excel_sv.csv")
    assert loaded.problems == [] and loaded.warnings == []
    names = [s.name for s in loaded.subscribers]
    assert names == ["Åsa Östlund", "Björn Ängström", "Cecilia Ek", "Dag Öberg", "Elin Näsström"]
    björn, cecilia, dag = loaded.subscribers[1:4]
    assert björn.fields["organisation"] == "Hässleholms kommun; kultur"
    assert cecilia.email == "Cecilia.Ek@example.se"
    assert cecilia.fields["anteckning"] == "Storgatan 1\n753 20 Uppsala"
    assert dag.fields["anteckning"] == 'Säger "hej"'
    # The quoted line break moves every later row down one line.
    assert dag.source.endswith("excel_sv.csv:6")
    assert loaded.subscribers[4].source.endswith("excel_sv.csv:8")
    assert set(björn.fields) == {"fornamn", "efternamn", "organisation", "kommun", "anteckning"}


def test_a_rows_fields_behave_as_the_dict_the_journal_and_templates_take(tmp_path: Path) -> None:
    lists = tmp_path / "l.csv"
    lists.write_text("email;namn;kommun;roll\nanna@example.org;Anna;Umeå;\n"
                     "ANNA@example.org;;Luleå;chef\nbo@example.org;Bo;;\n", "utf-8")  # fmt: skip
    loaded = load_list(lists)
    anna, bo = loaded.subscribers
    # Rows of one list share the field keys; each keeps its own values.
    assert dict(bo.fields) == {"kommun": "", "roll": ""} and bo.fields != anna.fields
    # The duplicate filled in the blank field and kept the first row's value.
    assert {**anna.fields} == {"kommun": "Umeå", "roll": "chef"}
    assert json.loads(json.dumps(dict(anna.fields))) == anna.fields
    assert (anna.source, bo.source) == (f"{loaded.label}:2", f"{loaded.label}:4")
    assert loaded.left_out[0].detail == f"{loaded.label}:2"
    with pytest.raises(KeyError):
        bo.fields["namn"]


def test_windows_1252_file_loads_with_a_warning() -> None:
    loaded = load_list(FIXTURES / "windows1252.csv")
    assert [s.name for s in loaded.subscribers] == ["Göran Sjöström", "Märta Åberg", "René Lefèvre"]
    assert loaded.subscribers[1].fields == {"kommun": "Örebro"}
    [warning] = loaded.warnings
    assert "Windows-1252" in warning.message and "CSV UTF-8" in warning.message


def test_each_bad_row_is_reported_on_its_line_and_the_good_rows_stay_usable() -> None:
    loaded = load_list(FIXTURES / "bad_rows.csv")
    assert [p.line for p in loaded.problems] == BAD_LINES
    assert all(str(p).startswith(f"{p.path}:{p.line}: ") for p in loaded.problems)
    assert "bad_rows.csv" in loaded.problems[0].path
    good = [s.email for s in loaded.subscribers]
    assert good == [
        "anna@example.org",
        "david@example.org",
        "gustav@example.org",
        "jonas@example.org",
        "karin@xn--exmple-cua.se",
    ]
    messages = {p.line: p.message for p in loaded.problems}
    assert "not a valid e-mail address" in messages[3]
    assert "no e-mail address" in messages[4]
    assert "4 cells but the header has 3" in messages[8]
    assert "never closed" in messages[11]


@pytest.mark.parametrize(
    ("email_header", "name_header"),
    [("email", "name"), ("E-mail", "Namn"), ("E-post", "NAMN"), ("epost", "Name"),
     ("Mail", "namn"), ("E-postadress", "Name"), (" E-post ", " Namn ")],
)  # fmt: skip
def test_header_variants_are_recognised(
    tmp_path: Path, email_header: str, name_header: str
) -> None:
    path = write(tmp_path, f"{name_header};Län;{email_header}\nAnna Ek;Skåne;anna@example.org\n")
    [subscriber] = load_list(path).subscribers
    assert (subscriber.email, subscriber.name) == ("anna@example.org", "Anna Ek")
    assert subscriber.fields == {"lan": "Skåne"}


def test_field_keys_are_template_identifiers(tmp_path: Path) -> None:
    header = "email,Organisation,Län,Förvaltning/enhet,2024 status,Ort,ORT\n"
    path = write(tmp_path, header + "a@example.org,SKR,Skåne,Kultur,ny,Lund,LUND\n")
    [subscriber] = load_list(path).subscribers
    assert list(subscriber.fields) == [
        "organisation", "lan", "forvaltning_enhet", "column_2024_status", "ort", "ort_2",
    ]  # fmt: skip


def test_missing_email_column_is_a_clear_error(tmp_path: Path) -> None:
    path = write(tmp_path, "namn;telefon\nAnna;08-1\n")
    with pytest.raises(SubscriberError, match=r"list.csv:1: no column holds the e-mail") as info:
        load_list(path)
    assert "'namn', 'telefon'" in str(info.value) and "'e-post'" in str(info.value)


@pytest.mark.parametrize("text", ["", "\r\n\r\n", "\ufeff"])
def test_empty_file_is_a_clear_error(tmp_path: Path, text: str) -> None:
    with pytest.raises(SubscriberError, match="the file is empty"):
        load_list(write(tmp_path, text))


def test_tab_separated_utf16_from_excel_unicode_text(tmp_path: Path) -> None:
    path = write(tmp_path, "\ufeffE-post\tNamn\r\nöla@example.se\tÖla Ås\r\n", encoding="utf-16-le")
    [subscriber] = load_list(path).subscribers
    assert (subscriber.email, subscriber.name) == ("öla@example.se", "Öla Ås")


def test_excel_sep_line_sets_the_delimiter(tmp_path: Path) -> None:
    # Without the sep= line the header's one ";" against one "," would pick ";".
    path = write(tmp_path, "sep=,\nemail,note;x\nanna@example.org,a;b\n")
    loaded = load_list(path)
    assert loaded.problems == []
    assert loaded.subscribers[0].fields == {"note_x": "a;b"}
    assert loaded.subscribers[0].source.endswith(":3")


def test_first_and_last_name_columns_make_the_name(tmp_path: Path) -> None:
    path = write(tmp_path, "Förnamn,Efternamn,E-post\nAnna,,anna@example.org\n,Ek,ek@example.org\n")
    assert [s.name for s in load_list(path).subscribers] == ["Anna", "Ek"]


def test_duplicates_in_a_list_merge_into_the_first_with_blanks_filled(tmp_path: Path) -> None:
    text = "email,name,kommun,org\nanna@example.org,Anna,,SKR\nANNA@Example.org,Annie,Lund,X\n"
    loaded = load_list(write(tmp_path, text))
    [anna] = loaded.subscribers
    assert (anna.email, anna.name, dict(anna.fields)) == (
        "anna@example.org", "Anna", {"kommun": "Lund", "org": "SKR"},
    )  # fmt: skip
    assert loaded.duplicates == 1
    [warning] = loaded.warnings
    assert warning.line == 3
    assert warning.message == "ANNA@example.org is also on line 2; merged"


def test_names_lose_line_breaks_and_fields_control_characters(tmp_path: Path) -> None:
    path = write(tmp_path, 'email,name,note\na@example.org,"Anna\nE\x07k  ",x\x07y\n')
    [subscriber] = load_list(path).subscribers
    assert (subscriber.name, subscriber.fields["note"]) == ("Anna Ek", "xy")


@pytest.mark.usefixtures("state_engine")
def test_recipients_merge_across_lists_first_occurrence_wins(config: Config) -> None:
    db = connect(config)
    found = recipients(config, db, ["kommun_a", "kommun_b"], newsletter="medborgardialog")
    by_key = {s.key: s for s in found.subscribers}
    assert [s.email for s in found.subscribers] == [
        "lena@example.org", "Mats@example.org", "nora@xn--bcher-kva.example", "olle@example.org",
    ]  # fmt: skip
    assert by_key["lena@example.org"].fields == {
        "kommun": "Luleå",
        "organisation": "Region Norrbotten",
    }
    assert by_key["mats@example.org"].name == "Mats Berg"
    assert by_key["mats@example.org"].fields == {"kommun": "Gävle", "organisation": "Gävle kommun"}
    assert by_key["mats@example.org"].source.endswith("subscribers/kommun_a.csv:3")
    assert found.duplicates == 3
    assert [(c.rows, c.subscribers, c.overlap, c.targeted) for c in found.lists] == [
        (3, 3, 0, 3), (4, 4, 3, 1),
    ]  # fmt: skip


@pytest.mark.usefixtures("state_engine")
def test_suppressed_addresses_never_reach_a_send(config: Config) -> None:
    db = connect(config)
    suppression.suppress(db, "MATS@example.org", reason="bounced")
    suppression.suppress(db, "lena@example.org", reason="unsubscribed", newsletter="regional")
    suppression.suppress(db, "olle@example.org", reason="manual")
    suppression.forget(db, "olle@example.org")  # hash only: still suppressed
    lists = ["kommun_a", "kommun_b"]
    med = recipients(config, db, lists, newsletter="medborgardialog")
    reg = recipients(config, db, lists, newsletter="regional")
    assert {s.key for s in med.subscribers} == {"lena@example.org", "nora@xn--bcher-kva.example"}
    assert {s.key for s in reg.subscribers} == {"nora@xn--bcher-kva.example"}
    assert (med.suppressed, reg.suppressed) == (2, 3)
    assert [c.suppressed for c in med.lists] == [1, 2]


@pytest.mark.usefixtures("state_engine")
def test_without_lists_the_newsletters_default_list_is_used(config: Config) -> None:
    db = connect(config)
    found = recipients(config, db, [], newsletter="regional")
    assert [c.list for c in found.lists] == [str(config.subscribers_dir / "kommun_b.csv")]


@pytest.mark.usefixtures("state_engine")
def test_fingerprint_follows_content_not_order(config: Config, tmp_path: Path) -> None:
    db = connect(config)
    first = recipients(config, db, ["kommun_a", "kommun_b"], newsletter="regional").fingerprint
    again = recipients(config, db, ["kommun_a", "kommun_b"], newsletter="regional").fingerprint
    assert first == again
    path = config.subscribers_dir / "kommun_b.csv"
    path.write_text(path.read_text(encoding="utf-8").replace("Olle Dahl", "Olle Dal"), "utf-8")
    changed = recipients(config, db, ["kommun_a", "kommun_b"], newsletter="regional").fingerprint
    assert changed != first


def test_resolve_list_names_and_paths(config: Config, tmp_path: Path) -> None:
    assert resolve_list(config, "kommun_a") == config.subscribers_dir / "kommun_a.csv"
    other = write(tmp_path, "email\n", "other.csv")
    assert resolve_list(config, str(other)) == other
    with pytest.raises(SubscriberError, match=r"no such list \(lists in .*: kommun_a, kommun_b\)"):
        resolve_list(config, "kommun_c")
    assert not resolve_list(config, "ny", must_exist=False).exists()


def test_the_example_lists_load_cleanly() -> None:
    config = load_config(ROOT / "newsletter.toml")
    for key, newsletter in config.newsletters.items():
        loaded = load_list(resolve_list(config, newsletter.default_list))
        assert loaded.problems == [] and loaded.warnings == [], key
        assert 10 <= len(loaded.subscribers) <= 30
        assert all(s.email.split("@")[1].endswith((".example.se", "example.org", "example.se"))
                   for s in loaded.subscribers)  # fmt: skip
        assert {"organisation", "kommun"} <= set(loaded.subscribers[0].fields)


def test_addresses_pasted_from_outlook_and_several_in_one_cell(tmp_path: Path) -> None:
    text = (
        "email;name\n"
        '"Anna Ek <Anna@Example.org>";\n'
        '"Bo Al <bo@example.org>";Bosse\n'
        '"c@example.org, d@example.org";\n'
    )
    loaded = load_list(write(tmp_path, text))
    assert [(s.email, s.name) for s in loaded.subscribers] == [
        ("Anna@example.org", "Anna Ek"), ("bo@example.org", "Bosse"),
    ]  # fmt: skip
    [problem] = loaded.problems
    assert problem.line == 4
    assert problem.message == (
        "'c@example.org, d@example.org' holds more than one address: put each on a row of its own"
    )
