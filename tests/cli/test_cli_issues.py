import datetime as dt
import json
from pathlib import Path
from typing import Any

import click
import jsonschema
import pytest
import yaml
from click.testing import CliRunner
from projects import ROOT

from newsletter.cli import main
from newsletter.cli.issues import COMMANDS
from newsletter.content.starter import issue_schema, schema_json

EXAMPLES = sorted((ROOT / "issues").glob("*.yaml"))
CONFIG = str(ROOT / "newsletter.toml")


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.delenv("NEWSLETTER_CONFIG", raising=False)
    return CliRunner()


def test_validate_summarises_each_example(runner: CliRunner) -> None:
    result = runner.invoke(main, ["validate", "--config", CONFIG, *map(str, EXAMPLES)])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert [line.split(": OK ")[0] for line in lines[:-1]] == list(map(str, EXAMPLES))
    medborgardialog = ROOT / "issues" / "medborgardialog-2020-06.yaml"
    assert (
        f'{medborgardialog}: OK "Nyhetsbrev nr.6 år 2020" (medborgardialog 2020-06): '
        "1 section, 11 items, 6 events"
    ) in lines
    assert any(
        line.endswith("(regional-utveckling 2021-05-03): 4 sections, 10 items, 3 events")
        for line in lines
    )
    assert lines[-1] == f"{len(EXAMPLES)} files checked: {len(EXAMPLES)} valid, 0 invalid."


def test_validate_checks_every_file_and_fails_if_any_fails(
    runner: CliRunner, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("newsletter: medborgardialog\ntitel: Hej\n", encoding="utf-8")
    good = EXAMPLES[0]
    result = runner.invoke(main, ["validate", "--config", CONFIG, str(bad), str(good)])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"{bad}:1:1: sections: is required but missing; add a line `sections: ...`",
        f"{bad}:2:1: titel: `titel` is not a field here; did you mean `title`?",
    ]
    assert f"{good}: OK" in result.stdout
    assert "2 files checked: 1 valid, 1 invalid." in result.stdout
    assert "Traceback" not in result.output


def test_validate_a_folder_checks_its_issue_files(runner: CliRunner) -> None:
    result = runner.invoke(main, ["validate", "--config", CONFIG, str(ROOT / "issues")])
    assert result.exit_code == 0, result.output
    assert result.stdout.count(": OK ") == len(EXAMPLES) >= 3


def test_validate_names_a_missing_file(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(main, ["validate", str(tmp_path / "nr7.yaml")])
    assert result.exit_code == 1
    assert result.stderr == f"{tmp_path / 'nr7.yaml'}: there is no such file; check the name\n"


def test_new_writes_a_starter_that_validates(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "issues" / "nr1.yaml"
    result = runner.invoke(
        main, ["new", str(path), "--config", CONFIG, "--newsletter", "regional-utveckling"]
    )
    assert result.exit_code == 0, result.output
    text = path.read_text(encoding="utf-8")
    assert "newsletter: regional-utveckling" in text
    checked = runner.invoke(main, ["validate", "--config", CONFIG, str(path)])
    assert checked.exit_code == 0, checked.output
    assert "2 sections, 2 items, 1 event" in checked.stdout
    jsonschema.validate(_json_view(text), issue_schema())


def test_new_points_at_the_schema_relative_to_the_file(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "newsletter.toml").write_text(Path(CONFIG).read_text(encoding="utf-8"))
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs/issue.schema.json").write_text(schema_json(), encoding="utf-8")
    result = runner.invoke(main, ["new"])
    assert result.exit_code == 0, result.output
    [path] = (tmp_path / "issues").glob("*.yaml")
    assert path.name == f"medborgardialog-{dt.date.today().year}-01.yaml"
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first == "# yaml-language-server: $schema=../docs/issue.schema.json"


def test_new_suggests_the_newsletter_meant(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(
        main, ["new", str(tmp_path / "x.yaml"), "--config", CONFIG, "--newsletter", "regional"]
    )
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: there is no newsletter `regional` in {CONFIG}; "
        "did you mean `regional-utveckling`?\n"
    )
    assert not (tmp_path / "x.yaml").exists()


def test_validate_without_a_project_says_so_and_points_at_init(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    issue = tmp_path / "nr1.yaml"
    issue.write_text(EXAMPLES[0].read_text(encoding="utf-8"), encoding="utf-8")
    result = runner.invoke(main, ["validate", str(issue)])
    assert result.exit_code == 1, result.output
    assert "OK" not in result.stdout
    assert f"There is no newsletter.toml in {tmp_path}" in result.stderr
    assert "`newsletter init`" in result.stderr


def test_new_refuses_to_overwrite(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "nr1.yaml"
    path.write_text("keep me\n", encoding="utf-8")
    result = runner.invoke(main, ["new", str(path), "--config", CONFIG])
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: {path} already exists; choose another name or delete it first.\n"
    )
    assert path.read_text(encoding="utf-8") == "keep me\n"


def test_schema_prints_and_writes(runner: CliRunner, tmp_path: Path) -> None:
    printed = runner.invoke(main, ["schema"])
    assert printed.exit_code == 0
    assert json.loads(printed.stdout)["$schema"].endswith("2020-12/schema")
    output = tmp_path / "issue.schema.json"
    assert runner.invoke(main, ["schema", "-o", str(output)]).exit_code == 0
    assert output.read_text(encoding="utf-8") == printed.stdout


def test_checked_in_schema_is_current() -> None:
    current = (ROOT / "docs" / "issue.schema.json").read_text(encoding="utf-8")
    assert current == schema_json(), "run: newsletter schema -o docs/issue.schema.json"


def _json_view(text: str) -> Any:
    """The file as a YAML 1.2 editor plugin sees it: dates and times are strings."""

    class Loader(yaml.SafeLoader):
        pass

    Loader.yaml_implicit_resolvers = {
        key: [(tag, regex) for tag, regex in value if not tag.endswith(":timestamp")]
        for key, value in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    return yaml.load(text, Loader=Loader)


@pytest.mark.parametrize("path", EXAMPLES, ids=[path.stem for path in EXAMPLES])
def test_json_schema_accepts_every_example(path: Path) -> None:
    jsonschema.validate(_json_view(path.read_text(encoding="utf-8")), issue_schema())
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first == "# yaml-language-server: $schema=../docs/issue.schema.json"


def test_json_schema_rejects_what_the_loader_rejects() -> None:
    data = _json_view((ROOT / "tests/content/bad_issues/18_unknown_key_titel.yaml").read_text())
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, issue_schema())


@pytest.mark.parametrize("command", COMMANDS, ids=[c.name or "" for c in COMMANDS])
def test_every_command_has_help_ending_with_an_example(
    runner: CliRunner, command: click.Command
) -> None:
    result = runner.invoke(main, [command.name or "", "--help"])
    assert result.exit_code == 0
    last = result.stdout.split("Options:")[0].strip().splitlines()
    assert last[-2].strip() == "Example:"
    assert last[-1].strip().startswith(f"newsletter {command.name}")


def test_new_continues_the_newsletters_numbering(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "newsletter.toml").write_text(Path(CONFIG).read_text(encoding="utf-8"))
    (tmp_path / "issues").mkdir()
    year = dt.date.today().year
    for name, newsletter, number, when in [
        ("a.yaml", "medborgardialog", 6, f"year: {year}"),
        ("b.yaml", "medborgardialog", 11, f"year: {year - 1}"),  # last year's numbering
        ("c.yaml", "regional-utveckling", 9, f"year: {year}"),  # another newsletter
        ("d.yaml", "medborgardialog", 7, f"date: {year}-03-01"),
    ]:
        (tmp_path / "issues" / name).write_text(
            f"newsletter: {newsletter}\nnumber: {number}\n{when}\n", encoding="utf-8"
        )
    (tmp_path / "issues" / "trasig.yaml").write_text("newsletter: [\n", encoding="utf-8")
    result = runner.invoke(main, ["new", "--newsletter", "medborgardialog"])
    assert result.exit_code == 0, result.output
    path = tmp_path / "issues" / f"medborgardialog-{year}-08.yaml"
    assert f"Wrote issues/medborgardialog-{year}-08.yaml (number 8 of {year})" in result.output
    text = path.read_text(encoding="utf-8")
    assert "number: 8\n" in text and f"title: Nyhetsbrev nr 8 år {year}" in text
    other = runner.invoke(main, ["new", "--newsletter", "regional-utveckling"])
    assert f"regional-utveckling-{year}-10.yaml (number 10 of {year})" in other.output
