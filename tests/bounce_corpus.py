"""Scoring `bounces import` against the shared corpus of real bounces with known answers.

The corpus (../shared/bounce-corpus, README there) is read where it lies, never copied
into the project. Each sample is imported on its own into a scratch copy of an empty
state database, with unverified reports trusted (the corpus was not sent by us: the
parsing is what is scored), and what the import did to each address is compared with
expected.csv. `score` gives the figures per corpus and per mail-server family;
bench/bounce-corpus prints them, tests/bounces/test_corpus.py holds them to the targets.
"""

from __future__ import annotations

import csv
import os
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from newsletter.bounces.importer import import_mailbox
from newsletter.config import Config, load_config
from newsletter.state import Connection, connect

ROOT = Path(__file__).resolve().parent.parent
ENVIRONMENT = "NEWSLETTER_BOUNCE_CORPUS"
FALLBACK = Path("/work/shared/bounce-corpus")

# What an import did to one address of a sample. "suppressed" verdicts first.
SUPPRESSING = {"hard", "complaint", "unsubscribe"}
FAILURE = {"hard", "soft", "sender-problem"}
# Expected classes (README of the corpus) an action is right for.
ALLOWED = {"hard": {"hard", "failed"}, "complaint": {"complaint"}, "unsubscribe": {"complaint"}}

# (verdict, address) pairs of one sample; the address may be "acted-on|as-reported".
Verdicts = list[tuple[str, str]]


class CorpusMissing(AssertionError):
    """The corpus is nowhere to be found: the corpus tests fail, they never skip."""


def candidates() -> list[Path]:
    """Where the corpus is looked for, in order."""
    found = [ROOT.parent / "shared" / "bounce-corpus"]
    if env := os.environ.get(ENVIRONMENT):
        found.append(Path(env))
    found.append(FALLBACK)
    return found


def corpus_dir() -> Path:
    """The corpus folder; CorpusMissing, saying where it looked, when there is none."""
    for path in candidates():
        if (path / "expected.csv").is_file():
            return path
    looked = ", ".join(str(path) for path in candidates())
    raise CorpusMissing(
        f"the bounce corpus was not found (looked in {looked}); put it at "
        f"../shared/bounce-corpus beside the repository or set {ENVIRONMENT}."
    )


@dataclass(frozen=True, slots=True)
class Row:
    corpus: str
    file: str
    family: str
    address: str
    accept: frozenset[str]
    expected: str  # hard, soft, failed, complaint, none, autoreply, nothing
    doubt: bool

    @property
    def placeholder(self) -> bool:
        """sisimai's stand-in where a report names nobody: any address (or none) is right."""
        return self.address.endswith(".invalid")

    def names(self, address: str) -> bool:
        if self.placeholder:
            return True
        names = {a for a in address.lower().split("|") if a}
        return bool(names & ({self.address} | self.accept))


def expected(folder: Path) -> dict[str, list[Row]]:
    """expected.csv: the rows of each sample (by its path under the corpus folder)."""
    samples: dict[str, list[Row]] = defaultdict(list)
    with (folder / "expected.csv").open(encoding="utf-8", newline="") as file:
        for record in csv.DictReader(file):
            accept = {a.strip().lower() for a in record["accept_addresses"].split("|") if a}
            samples[record["file"]].append(
                Row(
                    corpus=record["corpus"],
                    file=record["file"],
                    family=record["family"],
                    address=record["expected_address"].strip().lower(),
                    accept=frozenset(accept),
                    expected=record["expected_class"],
                    doubt=bool(record["label_doubt"].strip()),
                )
            )
    return dict(samples)


@dataclass(slots=True)
class Score:
    """The figures of one group of samples (a corpus, a family, or all of them)."""

    samples: int = 0
    failure_samples: int = 0
    right_recipient: int = 0
    scored_samples: int = 0  # samples that expect something (not class `nothing`)
    not_understood: int = 0
    wrongly_suppressed: int = 0
    doubtful_suppressed: int = 0  # suppressed where the label is marked doubtful
    autoreply_drops: int = 0
    complaint_rows: int = 0
    complaints_found: int = 0
    hard_rows: int = 0
    hard_found: int = 0
    wrong: list[str] = field(default_factory=list)  # what went wrong, for the report

    def add(self, other: Score) -> None:
        for name in self.__slots__:
            value = getattr(other, name)
            if isinstance(value, int):
                setattr(self, name, getattr(self, name) + value)
        self.wrong += other.wrong

    @property
    def right_recipient_rate(self) -> float:
        return self.right_recipient / self.failure_samples if self.failure_samples else 1.0

    @property
    def not_understood_rate(self) -> float:
        return self.not_understood / self.scored_samples if self.scored_samples else 0.0

    @property
    def complaint_coverage(self) -> float:
        return self.complaints_found / self.complaint_rows if self.complaint_rows else 1.0


def score_sample(rows: list[Row], verdicts: Verdicts) -> Score:
    """The figures of one sample: ROWS expected, VERDICTS what the import did."""
    name = rows[0].file
    classes = {row.expected for row in rows}
    score = Score(samples=1, scored_samples=0 if classes == {"nothing"} else 1)
    # A failure that names no address (sendmail's "No Message Collected") has no one to find.
    failures = [r for r in rows if r.expected in {"hard", "soft", "failed"} and r.address]
    failed = {address.lower() for verdict, address in verdicts if verdict in FAILURE}
    if failures:
        score.failure_samples = 1
        if all(any(row.names(a) for a in failed) for row in failures):
            score.right_recipient = 1
        else:
            score.wrong.append(f"{name}: wrong or no recipient (found {sorted(failed)})")
    kinds = {verdict for verdict, _ in verdicts}
    if "not-understood" in kinds and score.scored_samples:
        score.not_understood = 1
        score.wrong.append(f"{name}: not understood")
    if "autoreply" in kinds and not classes & {"autoreply", "nothing", "none"}:
        score.autoreply_drops = 1
        score.wrong.append(f"{name}: dropped as an auto-reply")
    for verdict, address in verdicts:
        if verdict not in SUPPRESSING:
            continue
        row = next((row for row in rows if row.names(address)), None)
        if row is not None and row.expected in ALLOWED[verdict]:
            continue
        if any(r.doubt for r in rows) if row is None else row.doubt:
            score.doubtful_suppressed += 1
            continue
        score.wrongly_suppressed += 1
        label = row.expected if row else "not expected at all"
        score.wrong.append(f"{name}: {address} suppressed ({verdict}), expected {label}")
    for row in rows:
        found = {verdict for verdict, address in verdicts if row.names(address)}
        if row.expected == "complaint":
            score.complaint_rows += 1
            score.complaints_found += "complaint" in found
        if row.expected == "hard":
            score.hard_rows += 1
            score.hard_found += "hard" in found
    return score


@dataclass(slots=True)
class Report:
    total: Score
    corpora: dict[str, Score]
    families: dict[str, Score]


def score(
    folder: Path, answer: Callable[[Path], Verdicts], *, only: Iterable[str] | None = None
) -> Report:
    """Run ANSWER (a sample's path → what the import did) on every sample and score it."""
    report = Report(Score(), defaultdict(Score), defaultdict(Score))
    for name, rows in sorted(expected(folder).items()):
        if only is not None and name not in set(only):
            continue
        sample = score_sample(rows, answer(folder / name))
        report.total.add(sample)
        report.corpora[rows[0].corpus].add(sample)
        report.families[rows[0].family].add(sample)
    return report


def percent(value: float) -> str:
    return f"{100 * value:.1f} %"


def table(groups: dict[str, Score], heading: str) -> str:
    """A Markdown table of GROUPS' figures."""
    lines = [
        f"| {heading} | samples | right recipient | not understood | wrongly suppressed "
        "| auto-reply drops | complaints | hard found |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, s in groups.items():
        lines.append(
            f"| {name} | {s.samples} | {s.right_recipient}/{s.failure_samples} "
            f"({percent(s.right_recipient_rate)}) | {s.not_understood}/{s.scored_samples} "
            f"({percent(s.not_understood_rate)}) | {s.wrongly_suppressed} | {s.autoreply_drops} "
            f"| {s.complaints_found}/{s.complaint_rows} | {s.hard_found}/{s.hard_rows} |"
        )
    return "\n".join(lines)


# What each outcome of an import did, as a verdict of the scoring.
VERDICTS = {
    "hard": "hard", "soft-limit": "hard", "soft": "soft", "sender-problem": "sender-problem",
    "complained": "complaint", "unsubscribed": "unsubscribe", "auto-reply": "autoreply",
    "delivered": "delivered", "feedback": "delivered", "not-understood": "not-understood",
    "unverified": "unverified", "not-ours": "unverified", "done-before": "done-before",
}  # fmt: skip


def importer_answer(config: Config, db: Connection) -> Callable[[Path], Verdicts]:
    """Import each sample on its own (a dry run), trusting unverified reports."""

    def answer(path: Path) -> Verdicts:
        report = import_mailbox(config, db, path, dry_run=True, trust_unverified=True)
        # getattr: bench/bounce-corpus scores checkouts from before Outcome had these too.
        return [
            (
                _verdict(o.kind, getattr(o, "verdict", "")),
                "|".join(a for a in (o.address, getattr(o, "reported", "")) if a),
            )
            for o in report.outcomes
        ]

    return answer


def _verdict(kind: str, verdict: str) -> str:
    # Trusted, only a complaint that names nobody stays unverified: it was understood.
    return "complaint" if kind == "unverified" and verdict == "complained" else VERDICTS[kind]


CONFIG = """
[bounces]
soft_limit = 1000

[newsletters.corpus]
name = "Corpus"
from_name = "Corpus"
from_address = "corpus@example.org"
reply_to = "corpus@example.org"
list_id = "corpus.example.org"
default_list = "corpus"
"""


def run(folder: Path) -> Report:
    """Score today's `bounces import` on the corpus, in an empty project in FOLDER."""
    (folder / "newsletter.toml").write_text(CONFIG, encoding="utf-8")
    config = load_config(folder / "newsletter.toml")
    db = connect(config)
    try:
        return score(corpus_dir(), importer_answer(config, db))
    finally:
        db.close()
