"""Importing the return mailbox into the suppression list.

Hard bounces and spam complaints suppress an address for every newsletter at once;
soft bounces are counted and suppress at [bounces] soft_limit; unsubscribe requests
unsubscribe from their newsletter; refusals that name a problem on our side suppress
and count nothing. Only reports tied to a message we sent act (see bounces.tie): the
rest are listed as unverified, with the reason, and acted on only when the operator
says `trust_unverified` (an old mailbox from before the tie). The report (what each
message led to) is kept in step with the import, in bounces.outcome.
"""

from __future__ import annotations

__all__ = ["import_mailbox"]

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from newsletter.audience import suppression, unsubscribes
from newsletter.audience.tokens import TokenSigner, load_secret
from newsletter.bounces import softcount
from newsletter.bounces.mailbox import read_mailbox
from newsletter.bounces.outcome import ImportReport, Outcome, OutcomeKind, describe, redact
from newsletter.bounces.report import RecipientStatus
from newsletter.bounces.sorting import Incoming, sort
from newsletter.bounces.tie import Sent, Ties
from newsletter.config import Config
from newsletter.errors import StateError, TokenError
from newsletter.state import Connection, transaction
from newsletter.state.copy import scratch_copy
from newsletter.translate import _

# Outcomes after which a message is imported again next time (it did nothing yet).
_AGAIN = {"not-understood", "unverified"}


def import_mailbox(
    config: Config,
    db: Connection,
    path: Path,
    /,
    *,
    dry_run: bool = False,
    trust_unverified: bool = False,
    signer: TokenSigner | None = None,
) -> ImportReport:
    """Act on every message at PATH; with DRY_RUN, on a copy of the database, thrown away
    (the very same code runs, so it shows exactly what a real import would do).

    TRUST_UNVERIFIED acts on reports that cannot be tied to a message we sent as they
    stand: anyone could have written them.
    """
    report = ImportReport(path, dry_run, trusted=trust_unverified)
    try:
        importer = _Importer(config, scratch_copy(db) if dry_run else db, signer,
                             trust=trust_unverified)  # fmt: skip
        for item in read_mailbox(path):
            report.messages += 1
            report.outcomes += importer.process(sort(item))
    except StateError as exc:
        if exc.kind not in ("busy", "full", "read-only", "unavailable"):
            raise
        done = max(report.messages - 1, 0)
        message = _(
            "{error} {done} message(s) of {path} were imported. Run the import again once it "
            "can be written: it goes on where it stopped."
        )
        if exc.kind == "busy":
            message = _(
                "{error} {done} message(s) of {path} were imported. Run the import again "
                "later: it goes on where it stopped."
            )
        raise StateError(message.format(error=exc, done=done, path=path), kind=exc.kind) from None
    return report


def _day(incoming: Incoming) -> str:
    """The ISO date of INCOMING, else today's (UTC)."""
    return incoming.date or datetime.now(UTC).date().isoformat()


class _Importer:
    def __init__(
        self, config: Config, db: Connection, signer: TokenSigner | None, *, trust: bool
    ) -> None:
        self.config, self.db, self.trust = config, db, trust
        secret = load_secret(config)
        self.signer = signer or TokenSigner(secret)
        self.ties = Ties(config, db, secret)
        self._journal: set[str] | None = None

    def process(self, incoming: Incoming) -> list[Outcome]:
        if incoming.kind == "unknown":
            return [self._outcome("not-understood", incoming, detail=incoming.reason)]
        if self._done_before(incoming.key):
            return [self._outcome("done-before", incoming, detail="imported before",
                                  verdict=_verdict(incoming))]  # fmt: skip
        with transaction(self.db):
            outcomes = list(self._act(incoming))
            if not any(outcome.kind in _AGAIN for outcome in outcomes):
                # Reports of mail that is not ours are remembered as such: trusting them
                # later (an old mailbox, a lost journal) must still act on them.
                ours = any(outcome.kind != "not-ours" for outcome in outcomes)
                self.db.execute(
                    "INSERT INTO bounce_messages (key, kind) VALUES (?, ?)"
                    " ON CONFLICT (key) DO UPDATE SET kind = excluded.kind,"
                    " imported_at = excluded.imported_at",
                    (incoming.key, incoming.kind if ours else "not-ours"),
                )
        return outcomes

    def _act(self, incoming: Incoming) -> Iterator[Outcome]:
        if incoming.kind == "bounce":
            assert incoming.report is not None
            sent = self.ties.sent(incoming)
            single = len(incoming.report.recipients) == 1
            for status in incoming.report.recipients:
                yield self._bounce(incoming, status, sent, single=single)
        elif incoming.kind == "complaint":
            yield from self._complaint(incoming, "complained")
        elif incoming.kind == "unsubscribe" and incoming.token:
            yield self._unsubscribe(incoming)
        elif incoming.kind == "unsubscribe":
            yield from self._complaint(incoming, "unsubscribed")  # Feedback-Type: opt-out
        elif incoming.kind == "feedback":
            kind = incoming.feedback_type or "unknown"
            detail = f"a feedback report of type {kind}: nothing to do"
            yield self._outcome("feedback", incoming, detail=detail)
        else:
            yield self._outcome("auto-reply", incoming, detail="ignored")

    def _outcome(self, kind: OutcomeKind, incoming: Incoming, **values: str) -> Outcome:
        return Outcome(kind, incoming.place, sender=incoming.sender, subject=incoming.subject,
                       message=incoming.key, **values)  # fmt: skip

    def _done_before(self, key: str) -> bool:
        query = "SELECT kind FROM bounce_messages WHERE key = ?"
        row = self.db.execute(query, (key,)).fetchone()
        return row is not None and not (self.trust and row[0] == "not-ours")

    # Whose report is it?

    def _whom(
        self, incoming: Incoming, named: list[str], sent: Sent | None, *, single: bool
    ) -> tuple[str, str, str]:
        """(address to act on, how it was tied, why not): the address is "" when unverified."""
        if sent is not None:
            if sent.address.lower() in {address.lower() for address in named}:
                return sent.address, sent.how, ""
            if sent.signed and single:
                return sent.address, sent.how, ""  # an alias or a forward of that recipient
            return "", "", "returns a message we sent to another address"
        if self.trust and named:
            return named[0], "trusted", ""
        return "", "", self.ties.why_not(incoming)

    def _unverified(
        self,
        incoming: Incoming,
        named: list[str],
        reason: str,
        verdict: str,
        detail: str,
        problem: str = "",
    ) -> Outcome:
        """A report that names an address we sent to (else: not ours) but is not tied."""
        address = named[0] if named else ""
        ours = any(a.lower() in self._journal_addresses() for a in named)
        kind: OutcomeKind = "unverified" if ours or not named else "not-ours"
        why = reason if kind == "unverified" else ""
        return self._outcome(kind, incoming, address=address, detail=detail, verdict=verdict,
                             problem=problem, why=why)  # fmt: skip

    def _journal_addresses(self) -> set[str]:
        """Everyone in the send journal, lower-cased; read once per import, when needed."""
        if self._journal is None:
            rows = self.db.execute("SELECT DISTINCT lower(address) FROM recipients")
            self._journal = {row[0] for row in rows if row[0]}
        return self._journal

    # What to do about it

    def _bounce(
        self, incoming: Incoming, status: RecipientStatus, sent: Sent | None, *, single: bool
    ) -> Outcome:
        named = [a for a in (status.original_recipient, status.recipient) if a]
        diagnosis = status.diagnosis
        detail = describe(status)
        address, tie, why = self._whom(incoming, named, sent, single=single)
        if not address:
            problem = diagnosis.problem.key if diagnosis.problem else ""
            return self._unverified(incoming, named, why, diagnosis.verdict, detail, problem)
        values = {"address": address, "tie": tie, "reported": _other(status.recipient, address)}
        if diagnosis.verdict == "none":
            softcount.clear(self.db, address)
            return self._outcome("delivered", incoming, detail=detail, **values)
        if diagnosis.problem is not None:
            return self._outcome("sender-problem", incoming, problem=diagnosis.problem.key,
                                 detail=f"{detail} ({diagnosis.reason})", **values)  # fmt: skip
        source = self._source(incoming, status)
        if diagnosis.verdict == "hard":
            new = suppression.suppress(self.db, address, reason="bounced", source=source)
            detail += "" if new else " (already suppressed)"
            return self._outcome("hard", incoming, detail=detail, **values)
        message = (sent.message_id if sent else "") or incoming.original.message_id
        number = softcount.count(
            self.db, address, message=message or incoming.key, day=_day(incoming),
            status=status.status, source=source,
        )  # fmt: skip
        limit = self.config.bounces.soft_limit
        if number < limit:
            return self._outcome("soft", incoming, detail=f"{number} of {limit}: {detail}",
                                 **values)  # fmt: skip
        reason = f"{number} soft bounces; the last: {source}"
        suppression.suppress(self.db, address, reason="bounced", source=reason[:300])
        return self._outcome("soft-limit", incoming, detail=f"{number} of {limit}: {detail}",
                             **values)  # fmt: skip

    def _source(self, incoming: Incoming, status: RecipientStatus) -> str:
        what = " ".join(part for part in (status.status, redact(status.diagnostic)) if part)
        return f"bounce {_day(incoming)} from {incoming.sender}: {what}"[:300]

    def _complaint(self, incoming: Incoming, kind: OutcomeKind) -> Iterator[Outcome]:
        """A spam complaint, or a feedback report asking to be taken off the list."""
        named = list(incoming.complaint_addresses)
        sent = self.ties.sent(incoming)
        what = "spam complaint" if kind == "complained" else "opt-out report"
        if sent is None and not named:
            why = f"names nobody (the provider hid the address) and {self.ties.why_not(incoming)}"
            yield self._unverified(incoming, [], why, kind, what)
            return
        if sent is not None:
            addresses, tie = [sent.address], sent.how
            for other in (a for a in named if a.lower() != sent.address.lower()):
                why = "returns a message we sent to another address"
                yield self._unverified(incoming, [other], why, kind, what)
        elif self.trust:
            addresses, tie = named, "trusted"
        else:
            why = self.ties.why_not(incoming)
            yield from (self._unverified(incoming, [a], why, kind, what) for a in named)
            return
        for address in addresses:
            yield self._suppress_for(incoming, address, kind, tie, sent)

    def _suppress_for(
        self, incoming: Incoming, address: str, kind: OutcomeKind, tie: str, sent: Sent | None
    ) -> Outcome:
        source = f"{'spam complaint' if kind == 'complained' else 'opt-out report'} " \
                 f"{_day(incoming)} from {incoming.sender}"  # fmt: skip
        if kind == "complained":
            new = suppression.suppress(self.db, address, reason="complained", source=source)
            detail = "marked as spam"
        else:
            newsletter = sent.newsletter if sent is not None else ""
            new = suppression.suppress(self.db, address, reason="unsubscribed", source=source,
                                       newsletter=newsletter)  # fmt: skip
            detail = f"from {newsletter or 'every newsletter'}"
        detail += "" if new else " (already suppressed)"
        return self._outcome(kind, incoming, address=address, detail=detail, tie=tie)

    def _unsubscribe(self, incoming: Incoming) -> Outcome:
        # The token is signed for its address and newsletter: the request needs no tie.
        try:
            done = unsubscribes.unsubscribe(
                self.config, self.db, incoming.token,
                source=f"mailto unsubscribe request {_day(incoming)}", signer=self.signer,
            )  # fmt: skip
        except TokenError as exc:
            return self._outcome("not-understood", incoming, detail=(
                f"an unsubscribe request whose token does not verify ({exc}): "
                "remove the sender yourself if they want to leave"))  # fmt: skip
        detail = f"from {done.newsletter}" + ("" if done.changed else " (already unsubscribed)")
        return self._outcome("unsubscribed", incoming, address=done.address, detail=detail,
                             tie="unsubscribe link")  # fmt: skip


def _other(reported: str, address: str) -> str:
    """REPORTED when the report names ADDRESS otherwise (an alias, a forward), else ""."""
    return reported if reported and reported.lower() != address.lower() else ""


def _verdict(incoming: Incoming) -> str:
    """What INCOMING says, in the words of Outcome.verdict (for a message imported before)."""
    if incoming.report is None:
        return {"complaint": "complained", "unsubscribe": "unsubscribed"}.get(
            incoming.kind, incoming.kind
        )
    verdicts = {status.severity for status in incoming.report.recipients}
    return next((v for v in ("hard", "soft", "sender", "none") if v in verdicts), "none")
