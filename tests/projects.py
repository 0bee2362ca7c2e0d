"""Where the tests find the repository, their data files and the example project."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
ISSUE = "issues/medborgardialog-2020-06.yaml"


def example_project(folder: Path) -> Path:
    """The repository's example project (config, one issue, the lists) copied to FOLDER."""
    shutil.copy(ROOT / "newsletter.toml", folder / "newsletter.toml")
    (folder / "issues").mkdir()
    shutil.copy(ROOT / ISSUE, folder / ISSUE)
    shutil.copytree(ROOT / "subscribers", folder / "subscribers")
    return folder


def subscribers(project: Path) -> set[str]:
    """The addresses on the example project's medborgardialog list."""
    with (project / "subscribers" / "medborgardialog.csv").open(encoding="utf-8-sig") as file:
        return {row["E-post"].lower() for row in csv.DictReader(file, delimiter=";")}
