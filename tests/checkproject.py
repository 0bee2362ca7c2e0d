"""A project for the check's tests: the example configuration and lists, and an issue
written by the test, whose links point at servers on loopback."""

from __future__ import annotations

import textwrap
from pathlib import Path

from projects import example_project

from newsletter.content.project import load
from newsletter.review.check.findings import Finding, Report
from newsletter.review.check.run import CheckOptions, check_issue

HEAD = """\
newsletter: medborgardialog
number: 7
year: 2030
title: Nyhetsbrev nr 7 2030
sections:
  - items:
"""


def write_issue(project: Path, items: str, *, name: str = "check.yaml", number: int = 7) -> Path:
    """Issue NUMBER of ITEMS (YAML, as the list under `items:`) in PROJECT/issues/."""
    path = project / "issues" / name
    head = HEAD.replace("number: 7", f"number: {number}")
    path.write_text(head + textwrap.indent(textwrap.dedent(items), "      "), encoding="utf-8")
    return path


def make_project(folder: Path) -> Path:
    example_project(folder)
    return folder


def run(path: Path, **options: object) -> Report:
    """The check of PATH, with the project's configuration as it is now."""
    defaults: dict[str, object] = {"timeout": 1.0}
    return check_issue(path, CheckOptions(**{**defaults, **options}), loaded=load(path))  # type: ignore[arg-type]


def found(report: Report, code: str) -> list[Finding]:
    return [finding for finding in report.findings if finding.code == code]


def line_of(path: Path, text: str) -> int:
    """The line of PATH on which TEXT first stands."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(n for n, line in enumerate(lines, start=1) if text in line)
