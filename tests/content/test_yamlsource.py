import subprocess
import sys

import pytest

from newsletter.content.yamlsource import MAX_VALUES, dotted_path, parse_yaml
from newsletter.errors import IssueFileError


def test_values_keep_their_nodes_and_keys_their_marks() -> None:
    source = parse_yaml("a: 1\nb:\n  - c: '13:00'\n    d: 9.00\n", "x.yaml")
    assert source.data == {"a": 1, "b": [{"c": "13:00", "d": "9.00"}]}
    node = source.nodes[("b", 0, "d")]
    assert (node.start_mark.line, node.start_mark.column) == (3, 7)
    assert source.key_nodes[("b", 0, "c")].start_mark.line == 2
    assert source.problems == []


def test_node_at_falls_back_to_the_nearest_ancestor() -> None:
    source = parse_yaml("a:\n  b: 1\n", "x.yaml")
    path, node = source.node_at(("a", "missing", 3))
    assert path == ("a",) and node is source.nodes[("a",)]


def test_duplicate_keys_keep_the_first_and_name_both_lines() -> None:
    source = parse_yaml("a: 1\nb: 2\na: 3\n", "x.yaml")
    assert source.data == {"a": 1, "b": 2}
    [problem] = source.problems
    assert str(problem) == "x.yaml:3:1: a: `a` is given twice, on lines 1 and 3; keep one"


def test_unquoted_times_stay_text_but_other_numbers_do_not() -> None:
    source = parse_yaml("t: 13:00\nu: 9.30\nn: 2500\nf: 12.5\nd: 2021-06-09\n", "x")
    assert source.data["t"] == "13:00" and source.data["u"] == "9.30"
    assert source.data["n"] == 2500 and source.data["f"] == 12.5
    assert str(source.data["d"]) == "2021-06-09"


def test_alias_expansion_is_bounded() -> None:
    width = 10
    lines = [f"l0: &l0 [{', '.join(['x'] * width)}]"]
    lines += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * width)}]" for i in range(1, 6)]
    with pytest.raises(IssueFileError, match=f"more than {MAX_VALUES:,} values"):
        parse_yaml("\n".join(lines), "x.yaml")


def test_deep_nesting_is_refused() -> None:
    with pytest.raises(IssueFileError, match="nested too deeply"):
        parse_yaml("a: " + "[" * 60 + "]" * 60 + "\n", "x.yaml")


def test_deeply_nested_brackets_get_a_message_not_a_crash() -> None:
    # libyaml would overflow the C stack; a crash must not take the test run down with it.
    code = (
        "from newsletter.content.yamlsource import parse_yaml\n"
        "from newsletter.errors import IssueFileError\n"
        "try:\n"
        "    parse_yaml('a: ' + '[' * 100_000 + '\\n', 'x.yaml')\n"
        "except IssueFileError as exc:\n"
        "    print(exc)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "x.yaml:1: is nested too deeply to be an issue file\n"


def test_dotted_path_reads_like_the_file() -> None:
    assert dotted_path(("sections", 2, "items", 0, "cost", "amount")) == (
        "sections[2].items[0].cost.amount"
    )
    assert dotted_path(()) == ""
