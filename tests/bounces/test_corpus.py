"""`bounces import` on 547 real bounces, complaints and auto-replies, held to issue 13's targets.

The corpus lies beside the repository (../shared/bounce-corpus, see bounce_corpus.py);
when it is missing these tests fail and say where they looked. Its messages were not
sent by us, so each is imported with unverified reports trusted: the parsing is scored.
`bench/bounce-corpus` prints the same figures per corpus and per mail-server family.
"""

from __future__ import annotations

from pathlib import Path

import bounce_corpus
import pytest


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> bounce_corpus.Report:
    return bounce_corpus.run(tmp_path_factory.mktemp("corpus"))


def explain(report: bounce_corpus.Report) -> str:
    """The tables and every miss, for the message of a failed assertion."""
    corpora = bounce_corpus.table(report.corpora, "corpus")
    families = bounce_corpus.table(report.families, "family")
    return "\n".join([corpora, "", families, "", *report.total.wrong])


def test_the_corpus_is_found_or_the_test_says_where_it_looked(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(bounce_corpus, "ROOT", tmp_path / "repository")
    monkeypatch.setenv(bounce_corpus.ENVIRONMENT, str(tmp_path / "nowhere"))
    monkeypatch.setattr(bounce_corpus, "FALLBACK", tmp_path / "not-here-either")
    with pytest.raises(bounce_corpus.CorpusMissing, match=r"looked in .*nowhere"):
        bounce_corpus.corpus_dir()


def test_every_sample_of_the_corpus_is_scored(report: bounce_corpus.Report) -> None:
    assert report.total.samples == 547
    assert set(report.corpora) == {"sisimai", "mailman", "bounceparser"}


def test_nobody_is_suppressed_for_a_failure_that_is_not_theirs(
    report: bounce_corpus.Report,
) -> None:
    # Only where the corpus marks its own label as contradicting the message's text.
    assert report.total.wrongly_suppressed == 0, explain(report)


def test_the_right_recipient_of_at_least_95_percent_of_the_failures(
    report: bounce_corpus.Report,
) -> None:
    assert report.total.right_recipient_rate >= 0.95, explain(report)
    for name, corpus in report.corpora.items():
        assert corpus.right_recipient_rate >= 0.95, f"{name}\n{explain(report)}"


def test_at_most_5_percent_not_understood(report: bounce_corpus.Report) -> None:
    assert report.total.not_understood_rate <= 0.05, explain(report)


def test_no_failure_or_unsubscribe_request_is_dropped_as_an_auto_reply(
    report: bounce_corpus.Report,
) -> None:
    assert report.total.autoreply_drops == 0, explain(report)


def test_every_recipient_of_every_complaint_is_suppressed_as_complained(
    report: bounce_corpus.Report,
) -> None:
    assert report.total.complaint_rows == 5
    assert report.total.complaints_found == report.total.complaint_rows, explain(report)


def test_most_hard_bounces_are_found(report: bounce_corpus.Report) -> None:
    # The safe side: a hard bounce read as soft is suppressed after [bounces] soft_limit.
    # Today's figure (92 of 126) less a margin, so that a regression shows.
    assert report.total.hard_found >= 85, explain(report)
