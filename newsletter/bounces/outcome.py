"""What an import did: one Outcome per recipient of each returned message, and the lot.

The report is the import's record, printed by the command (as text or JSON lines) and
read by scripts and tests; it never holds more than the outcomes themselves.
"""

from __future__ import annotations

__all__ = ["ALARM", "ImportReport", "Outcome", "OutcomeKind", "describe", "redact"]

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from newsletter.bounces.report import RecipientStatus
from newsletter.bounces.senderside import PROBLEMS, Problem

OutcomeKind = Literal[
    "hard", "soft", "soft-limit", "sender-problem", "complained", "unsubscribed",
    "auto-reply", "delivered", "feedback", "unverified", "not-ours", "done-before",
    "not-understood",
]  # fmt: skip
# Reports of a problem on our side in one import from which it is an emergency.
ALARM = 3
_LOCAL_PART = re.compile(r"[^\s<>()\[\]:;,\"'@]+@(?=[A-Za-z0-9.-]+\.[A-Za-z]{1,63})")


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of one recipient of one returned message (or of the message)."""

    kind: OutcomeKind
    place: str
    address: str = ""
    detail: str = ""
    sender: str = ""
    subject: str = ""
    message: str = ""  # the returned message's Message-ID, else "sha256:" of its bytes
    reported: str = ""  # the address as the report names it, where that differs
    verdict: str = ""  # what an unverified report says: hard, soft, sender, complained, ...
    tie: str = ""  # how it was tied to our message: "return path", "Message-ID", "trusted", ...
    problem: str = ""  # the key of the problem on our side (senderside.PROBLEMS)
    why: str = ""  # why an unverified report is not tied to our mail: "it ..."


@dataclass(slots=True)
class ImportReport:
    path: Path
    dry_run: bool
    trusted: bool = False  # unverified reports were acted on (--trust-unverified)
    messages: int = 0
    outcomes: list[Outcome] = field(default_factory=list)

    def of(self, *kinds: OutcomeKind) -> list[Outcome]:
        return [outcome for outcome in self.outcomes if outcome.kind in kinds]

    @property
    def understood(self) -> bool:
        return not self.of("not-understood")

    def problems(self) -> list[tuple[Problem, list[Outcome]]]:
        """The problems on our side the reports name, each with its outcomes, most first."""
        found = [
            (problem, [o for o in self._ours_to_fix() if o.problem == problem.key])
            for problem in PROBLEMS
        ]
        return sorted(((p, o) for p, o in found if o), key=lambda pair: -len(pair[1]))

    @property
    def alarm(self) -> bool:
        """True when several reports point at our side: the editor must act first."""
        return len({outcome.message for outcome in self._ours_to_fix()}) >= ALARM

    def _ours_to_fix(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.problem and o.kind in {"sender-problem",
                                                                     "unverified"}]  # fmt: skip


def describe(status: RecipientStatus, /) -> str:
    """`5.1.1: 550 5.1.1 User unknown`, shortened to a line; the action when not 'failed'."""
    code = status.status or "no status"
    if status.action != "failed":
        code += f" ({status.action})"
    text = status.diagnostic
    if len(text) > 120:
        text = text[:120].rsplit(" ", 1)[0] + " …"
    return f"{code}: {text}" if text else code


def redact(text: str, /) -> str:
    """TEXT without the local parts of addresses: a source outlives `forget`."""
    return _LOCAL_PART.sub("…@", text)
