"""The example issues against the e-mails they were transcribed from (tests/content/sources)."""

import re
from pathlib import Path

import pytest
from projects import ROOT

from newsletter.config import load_config
from newsletter.content.loader import load_issue, load_issue_text

SOURCES = sorted((ROOT / "tests" / "content" / "sources").glob("*.txt"))
# Labels the templates print ("Målgrupp:"), so the issue file holds only what follows them.
LABELS = ("Målgrupp: ",)


def normal(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def corpus(path: Path) -> str:
    """Every word the issue file holds: its values, its comments, and source-prefixed titles."""
    issue = load_issue(path)
    prefixed = [f"{item.source}: {item.title}" for item in issue.items() if item.source]
    return normal(path.read_text(encoding="utf-8") + "\n" + "\n".join(prefixed))


@pytest.mark.parametrize("source", SOURCES, ids=[s.stem for s in SOURCES])
def test_every_line_of_the_source_is_in_the_issue_file(source: Path) -> None:
    text = corpus(ROOT / "issues" / f"{source.stem}.yaml")
    missing = []
    for line in source.read_text(encoding="utf-8").splitlines():
        wanted = normal(line).lstrip("• ").removeprefix(LABELS[0])
        if wanted and wanted not in text:
            missing.append(wanted)
    assert missing == []


def test_both_skr_newsletters_have_a_source() -> None:
    assert [s.stem for s in SOURCES] == [
        "medborgardialog-2020-06",
        "regional-utveckling-2021-05",
    ]


def test_the_example_in_docs_validates() -> None:
    docs = (ROOT / "docs" / "issues.md").read_text(encoding="utf-8")
    [example] = re.findall(r"```yaml\n(.*?)```", docs, re.S)
    issue = load_issue_text(example, "docs/issues.md", config=load_config(ROOT / "newsletter.toml"))
    assert issue.slug == "2020-06" and len(issue.events()) == 1
