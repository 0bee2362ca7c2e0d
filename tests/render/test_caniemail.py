"""Client support of the example e-mails, by caniemail.com's data: it must not get worse.

`@jsx-email/doiuse-email` (npm, installed by .ci/setup into tests/caniemail/node_modules)
lists the HTML and CSS features of an e-mail that Outlook for Windows, Gmail and Apple
Mail do not support. tests/caniemail/baseline.json holds those lists for each example;
a feature not in it fails the test. After a change that removes some, or that adds one
on purpose, write the lists again:

    PYTHONPATH=tests .venv/bin/python tests/render/test_caniemail.py
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from email_pages import email_file
from render_fixtures import EXAMPLES, ROOT

LINTER = ROOT / "tests" / "caniemail"
BASELINE = LINTER / "baseline.json"
CLIENTS = ("outlook.windows", "gmail", "apple-mail")


def unsupported(folder: Path) -> dict[str, dict[str, list[str]]]:
    """example name -> client -> the features caniemail says it does not support."""
    node = shutil.which("node")
    if node is None or not (LINTER / "node_modules" / "@jsx-email" / "doiuse-email").is_dir():
        pytest.fail("node or the caniemail linter is missing: run `bash .ci/setup`.")
    files = [email_file(path, folder)[0] for path in EXAMPLES]
    output = subprocess.run(
        [node, str(LINTER / "lint.mjs"), *map(str, files)],
        capture_output=True,
        text=True,
        check=True,
        cwd=LINTER,
        timeout=300,
    ).stdout
    return {Path(file).stem: features for file, features in json.loads(output).items()}


def test_no_example_uses_a_feature_its_clients_lack_beyond_the_baseline(tmp_path: Path) -> None:
    baseline = json.loads(BASELINE.read_text(encoding="utf-8"))
    found = unsupported(tmp_path)
    assert set(found) == {path.stem for path in EXAMPLES}
    worse = {
        f"{example} in {client}": sorted(set(features) - set(baseline[example][client]))
        for example, clients in found.items()
        for client, features in clients.items()
        if len(features) > len(baseline[example][client])
        or set(features) - set(baseline[example][client])
    }
    assert worse == {}, "features these clients do not support (see caniemail.com)"
    assert set(next(iter(found.values()))) == set(CLIENTS)


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as folder:
        lists = unsupported(Path(folder))
    BASELINE.write_text(json.dumps(lists, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    for example, clients in lists.items():
        print(example, {client: len(features) for client, features in clients.items()})
