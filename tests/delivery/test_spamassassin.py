"""The messages `newsletter send` writes, scored by SpamAssassin with its local rules only.

Debian's `spamassassin` (installed by .ci/setup) runs without network tests (`-L`): no
DNS blocklists, no Razor or Pyzor, no Bayes training. What it scores is what we control:
the headers, the MIME structure and the HTML. Every example issue must score 0 or below.
"""

from __future__ import annotations

import mailbox
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from projects import ROOT

from newsletter.cli import main

SPAMASSASSIN = "/usr/bin/spamassassin"
EXAMPLES = sorted((ROOT / "issues").glob("*.yaml"))
_SCORE = re.compile(r"Content analysis details:\s+\((-?[\d.]+) points")


@pytest.fixture
def sent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """One .eml per example issue, as `newsletter send` writes it into the outbox."""
    shutil.copy(ROOT / "newsletter.toml", tmp_path / "newsletter.toml")
    shutil.copytree(ROOT / "issues", tmp_path / "issues")
    shutil.copytree(ROOT / "subscribers", tmp_path / "subscribers")
    monkeypatch.chdir(tmp_path)
    for name in ("NEWSLETTER_CONFIG", "NEWSLETTER_SMTP_HOST", "NEWSLETTER_SMTP_PORT"):
        monkeypatch.delenv(name, raising=False)
    for issue in EXAMPLES:
        result = CliRunner().invoke(main, ["send", f"issues/{issue.name}", "--yes"])
        assert result.exit_code == 0, result.output
    return [min(folder.glob("*.eml")) for folder in sorted(tmp_path.glob("outbox/*/*"))]


def test_every_example_scores_zero_or_below(sent: list[Path], tmp_path: Path) -> None:
    if not Path(SPAMASSASSIN).exists():
        pytest.fail("spamassassin is not installed: run `bash .ci/setup` (Debian's package).")
    assert len(sent) == len(EXAMPLES)
    box = mailbox.mbox(tmp_path / "sent.mbox")
    for path in sent:
        box.add(path.read_bytes())
    box.close()
    report = subprocess.run(
        [SPAMASSASSIN, "--local", "--test-mode", "--mbox", str(tmp_path / "sent.mbox")],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "HOME": str(tmp_path)},  # its user files stay in the test's folder
        timeout=300,
    ).stdout
    scores = [float(score) for score in _SCORE.findall(report)]
    assert len(scores) == len(EXAMPLES), report
    rules = "\n".join(line for line in report.splitlines() if re.match(r"^ ?-?\d+\.\d ", line))
    assert max(scores) <= 0, f"scores {scores}:\n{rules}"
