"""The check before a send scores the first reader's message with SpamAssassin (installed by
.ci/setup), and says so in one line where it is not installed."""

from __future__ import annotations

from pathlib import Path

import pytest
from checkproject import found, make_project, write_issue

from newsletter.content.project import load
from newsletter.delivery.precheck import sample_message
from newsletter.render.issue import render_issue
from newsletter.review.check.run import CheckOptions, check_issue

SPAMASSASSIN = Path("/usr/bin/spamassassin")


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    make_project(tmp_path)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))  # SpamAssassin's user files stay here
    monkeypatch.setenv("NEWSLETTER_CHECK_SPAMASSASSIN", "true")
    return tmp_path


def check(path: Path) -> list[str]:
    issue, config = load(path)
    report = check_issue(
        path,
        CheckOptions(offline=True),
        loaded=(issue, config),
        rendered=render_issue(issue, config),
        sample=sample_message(config),
    )
    return [f"{f.severity}: {f.message}" for f in found(report, "spam-score")]


def test_a_spammy_issue_gets_a_warning_with_the_rules_hit(project: Path) -> None:
    if not SPAMASSASSIN.exists():
        pytest.fail("spamassassin is not installed: run `bash .ci/setup` (Debian's package).")
    path = write_issue(
        project,
        """\
        - title: DEAR FRIEND
          body: |
            DEAR FRIEND, 100% GUARANTEED! Cheap Viagra from our online pharmacy,
            ACT NOW, NO RISK, $1,000,000 US DOLLARS for you.
        """,
    )
    (warning,) = check(path)
    assert warning.startswith("warning: SpamAssassin (spam")
    assert "DEAR_FRIEND (+2.7:" in warning


def test_an_example_issue_scores_low_and_says_its_score(project: Path) -> None:
    if not SPAMASSASSIN.exists():
        pytest.fail("spamassassin is not installed: run `bash .ci/setup` (Debian's package).")
    (note,) = check(project / "issues" / "medborgardialog-2020-06.yaml")
    assert note.startswith("note: SpamAssassin") and "scores the message 0.0" in note


def test_without_spamassassin_one_line_says_so(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(project))  # neither spamc nor spamassassin is found
    issue, config = load(project / "issues" / "medborgardialog-2020-06.yaml")
    report = check_issue(
        project / "issues" / "medborgardialog-2020-06.yaml",
        CheckOptions(offline=True),
        loaded=(issue, config),
        sample=sample_message(config),
    )
    (note,) = found(report, "spam-unavailable")
    assert note.severity == "note" and "SpamAssassin is not installed" in note.message
