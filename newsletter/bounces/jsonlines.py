"""`bounces import --json`: one JSON object per returned message, for scripts and tests.

    {"message": "<id@mx.example.org>", "place": "retur.mbox #3", "kind": "hard",
     "addresses": ["anna@example.org"], "action": "suppressed for every newsletter",
     "recipients": [{"address": "anna@example.org", "kind": "hard", "action": "...",
                     "detail": "5.1.1: 550 5.1.1 User unknown", "tied_by": "Message-ID"}]}

`kind` is one of hard, soft, complaint, unsubscribe, autoreply, delivered,
sender-problem, feedback, not-understood: the most serious of its recipients'.
"""

from __future__ import annotations

__all__ = ["KINDS", "messages"]

from collections.abc import Iterator
from typing import Any

from newsletter.bounces.outcome import ImportReport, Outcome
from newsletter.bounces.senderside import PROBLEMS

# The kinds, most serious first: a message's kind is its most serious recipient's.
KINDS = ("complaint", "unsubscribe", "hard", "soft", "sender-problem", "delivered",
         "autoreply", "feedback", "not-understood")  # fmt: skip
_KIND = {
    "hard": "hard", "soft": "soft", "soft-limit": "soft", "sender-problem": "sender-problem",
    "complained": "complaint", "unsubscribed": "unsubscribe", "auto-reply": "autoreply",
    "delivered": "delivered", "feedback": "feedback", "not-understood": "not-understood",
}  # fmt: skip
# What an unverified or earlier report said (Outcome.verdict), as a kind.
_VERDICT = {
    "hard": "hard", "soft": "soft", "sender": "sender-problem", "none": "delivered",
    "complained": "complaint", "unsubscribed": "unsubscribe", "auto-reply": "autoreply",
    "feedback": "feedback", "bounce": "soft",
}  # fmt: skip
_FIXES = {problem.key: problem.fix for problem in PROBLEMS}


def messages(report: ImportReport, /) -> Iterator[dict[str, Any]]:
    """One object per message of REPORT, in mailbox order."""
    groups: dict[tuple[str, str], list[Outcome]] = {}
    for outcome in report.outcomes:
        groups.setdefault((outcome.place, outcome.message), []).append(outcome)
    for (place, key), outcomes in groups.items():
        recipients = [_recipient(o, dry_run=report.dry_run) for o in outcomes]
        kinds = {r["kind"] for r in recipients}
        actions = list(dict.fromkeys(r["action"] for r in recipients))
        found: dict[str, Any] = {
            "message": key if not key.startswith("sha256:") else place,
            "place": place,
            "kind": next(k for k in KINDS if k in kinds),
            "addresses": [r["address"] for r in recipients if r["address"]],
            "action": "; ".join(actions),
            "recipients": recipients,
        }
        yield found


def _recipient(outcome: Outcome, *, dry_run: bool) -> dict[str, Any]:
    kind = _KIND.get(outcome.kind) or _VERDICT.get(outcome.verdict, "not-understood")
    found: dict[str, Any] = {
        "address": outcome.address,
        "kind": kind,
        "action": ("would be " if dry_run else "") + _action(outcome),
        "detail": outcome.detail,
    }
    if outcome.reported:
        found["reported_as"] = outcome.reported
    if outcome.tie:
        found["tied_by"] = outcome.tie
    if outcome.problem:
        found["problem"] = outcome.problem
        found["fix"] = _FIXES[outcome.problem]
    return found


def _action(outcome: Outcome) -> str:
    """What was recorded, in a few words."""
    kind = outcome.kind
    if kind in {"hard", "complained"}:
        return "suppressed for every newsletter"
    if kind == "soft-limit":
        return "suppressed for every newsletter: the soft bounce limit was reached"
    if kind == "soft":
        return f"soft bounce counted ({outcome.detail.partition(':')[0]})"
    if kind == "unsubscribed":
        return f"unsubscribed {outcome.detail.partition(' (')[0]}"
    if kind == "delivered":
        return "soft bounces forgotten: a message reached the address"
    if kind == "sender-problem":
        return "nothing recorded: a problem on our side, not the reader's"
    if kind == "unverified":
        return "nothing recorded: not tied to a message we sent"
    if kind == "not-ours":
        return "nothing recorded: not about mail we sent to this address"
    if kind == "done-before":
        return "nothing recorded: imported before"
    if kind == "not-understood":
        return "nothing recorded: not understood, read it yourself"
    return "nothing recorded"
