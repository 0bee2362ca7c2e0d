"""Size and spam: the encoded HTML against Gmail's clip, and SpamAssassin's score.

SpamAssassin runs with its local rules only (`-L`: no blocklists, no network), on one
message as the first reader would get it; `spamc` is asked first when a `spamd` runs.
"""

from __future__ import annotations

__all__ = ["SPAM_LIMIT", "SpamScore", "score", "size_findings", "spam_findings"]

import asyncio
import re
import shutil
from dataclasses import dataclass

from newsletter.render.issue import REFUSE_BYTES, WARN_BYTES, RenderedIssue
from newsletter.review.check.findings import Finding, Place
from newsletter.translate import _

SPAM_LIMIT = 1.0
_TIMEOUT = 120.0
_SCORE = re.compile(r"\((-?[\d.]+) points, (-?[\d.]+) required\)")
_SPAMC = re.compile(r"\s*-?[\d.]+/[\d.]+\s*$", re.MULTILINE)
_RULE = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s+([A-Z0-9_]+)\s+(.*)$", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class SpamScore:
    program: str
    points: float
    rules: tuple[tuple[float, str, str], ...]  # (points, rule, description)


def size_findings(rendered: RenderedIssue, place: Place) -> list[Finding]:
    """A warning when Gmail is about to clip the message (above 85 KB encoded)."""
    size = rendered.html_size()
    if size <= WARN_BYTES:
        return []
    return [
        Finding(
            "warning",
            "size-clip",
            place,
            _(
                "the e-mail's HTML is {size:.0f} KB encoded: Gmail clips messages above about 102"
                " KB (and the tool refuses above {refuse_bytes} KB). Shorten the texts or move "
                "items to a later issue."
            ).format(size=size / 1024, refuse_bytes=REFUSE_BYTES // 1024),
        )
    ]


async def score(message: bytes) -> SpamScore | None:
    """SpamAssassin's score of MESSAGE; None when neither spamc nor spamassassin is here."""
    if shutil.which("spamc") and (found := await _run(["spamc", "-x", "-R"], message)):
        return _parse("spamc", found)
    if shutil.which("spamassassin"):
        found = await _run(["spamassassin", "--local", "--test-mode"], message)
        if found:
            return _parse("spamassassin", found)
    return None


def spam_findings(result: SpamScore | None, place: Place, *, enabled: bool) -> list[Finding]:
    if not enabled:
        return [
            Finding(
                "note",
                "spam-off",
                place,
                _("the SpamAssassin score was not asked for ([check] spamassassin = false)."),
            )
        ]
    if result is None:
        return [
            Finding(
                "note",
                "spam-unavailable",
                place,
                _(
                    "SpamAssassin is not installed, so the spam score was not checked (Debian: "
                    "apt-get install spamassassin)."
                ),
            )
        ]
    if result.points <= SPAM_LIMIT:
        return [
            Finding(
                "note",
                "spam-score",
                place,
                _("SpamAssassin ({program}, local rules) scores the message {points:.1f}.").format(
                    program=result.program, points=result.points
                ),
            )
        ]
    hits = ", ".join(
        f"{rule} ({points:+.1f}: {text})" for points, rule, text in result.rules if points > 0
    )
    return [
        Finding(
            "warning",
            "spam-score",
            place,
            _(
                "SpamAssassin ({program}, local rules) scores the message {points:.1f}, above "
                "{spam_limit}: {value}. See docs/check.md for what each rule wants."
            ).format(
                program=result.program,
                points=result.points,
                spam_limit=SPAM_LIMIT,
                value=hits or _("no single rule"),
            ),
        )
    ]


async def _run(command: list[str], message: bytes) -> str | None:
    try:
        process = await asyncio.create_subprocess_exec(
            *command,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
        )
    except OSError:
        return None
    try:
        out, _ = await asyncio.wait_for(process.communicate(message), _TIMEOUT)
    except TimeoutError:
        process.kill()
        await process.wait()
        return None
    text = out.decode("utf-8", "replace")
    # spamc exits 1 for a message over the threshold; -x makes a failure to connect an error.
    ok = process.returncode in (0, 1) and (_SCORE.search(text) or _SPAMC.match(text))
    return text if ok else None


def _parse(program: str, report: str) -> SpamScore:
    found = _SCORE.search(report)
    # spamc -R puts "2.3/5.0" on the first line; spamassassin "(2.3 points, 5.0 required)".
    points = float(found[1]) if found else float(report.split("/", 1)[0].strip() or 0)
    points = round(points, 1) or 0.0  # not "-0.0"
    details = report.split("Content analysis details:", 1)[-1]
    rules = tuple((float(p), rule, text.strip()) for p, rule, text in _RULE.findall(details))
    return SpamScore(program, points, rules)
