"""Planning a send: what a run would do, worked out before anything is written or sent.

A new send freezes the lists as they are; a resumed one keeps its recipients, and the
plan says how the lists have changed since (new, taken off, renamed). No plan is made on
a state database younger than the project's records, or with another key than the last
send's (see continuity).
"""

from __future__ import annotations

__all__ = ["ListChanges", "Options", "Plan", "compare", "outbox_folder", "plan"]

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from newsletter.audience.signups import LIST_NAME as SIGNUPS
from newsletter.audience.subscribers import (
    Recipients,
    Subscriber,
    default_lists,
    recipients,
    resolve_list,
)
from newsletter.audience.suppression import address_hash, suppressed_hashes
from newsletter.audience.tokens import TokenSigner, load_secret
from newsletter.config import Config
from newsletter.content.model import Issue
from newsletter.delivery import continuity, journal
from newsletter.errors import SendError
from newsletter.state import Connection
from newsletter.translate import _


@dataclass(frozen=True, slots=True)
class Options:
    lists: Sequence[str] = ()
    limit: int | None = None
    resend_uncertain: bool = False
    retry_failed: bool = False
    add_new: bool = False
    new_key: bool = False  # sign with a key other than the last send's, on purpose


@dataclass(frozen=True, slots=True)
class ListChanges:
    """How the lists differ now from the frozen recipient set."""

    added: list[Subscriber] = field(default_factory=list)  # on the lists, not in the journal
    removed: int = 0  # in the journal, no longer on the lists (and not suppressed)
    removed_unsent: list[int] = field(default_factory=list)  # their rows still to send
    removed_queued: int = 0  # how many of those are queued (the rest failed or uncertain)
    changed: int = 0  # same address, other name or fields

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.changed)


@dataclass(slots=True)
class Plan:
    """What a run would do, worked out before anything is written or sent."""

    issue: Issue
    lists: list[str]
    send: journal.Send | None  # an earlier run's send, when resuming
    counts: journal.Counts  # of the journal before this run (all queued for a new send)
    suppressed: int  # left out as suppressed when freezing (new send only)
    recipients: Recipients | None  # the lists now; None when nothing is left to send
    changes: ListChanges
    suppressed_failures: int = 0  # failed rows --retry-failed leaves: suppressed since
    issue_sha256: str | None = None  # of the issue file as read for this run (runs.mark)

    @property
    def newsletter(self) -> str:
        return self.issue.newsletter

    @property
    def slug(self) -> str:
        return self.issue.slug

    def todo(self, options: Options) -> int:
        """How many messages this run would send at most."""
        if self.send is None:
            count = self.counts.queued
        elif options.retry_failed:
            count = self.counts.failed - self.suppressed_failures
        else:
            count = self.counts.queued + len(self.changes.added) * options.add_new
            count -= self.changes.removed_queued
        count += self.counts.sending * options.resend_uncertain
        return min(count, options.limit) if options.limit is not None else count


def outbox_folder(config: Config, newsletter: str, slug: str, *, test: bool = False) -> Path:
    """Where the .eml files of a send without an SMTP server go."""
    return config.outbox / newsletter / (f"{slug}-test" if test else slug)


def plan(config: Config, db: Connection, issue: Issue, options: Options) -> Plan:
    """Work out what a run would do; SendError when the options do not fit the journal,
    or the journal does not fit the project (see continuity)."""
    continuity.check(config, db)
    continuity.check_key(config, db, TokenSigner(load_secret(config)), new_key=options.new_key)
    send = journal.find(db, issue.newsletter, issue.slug)
    if send is None:
        if options.retry_failed or options.resend_uncertain:
            raise SendError(
                _(
                    "{newsletter}/{slug} has not been sent yet, so nothing failed or is "
                    "uncertain: leave out --retry-failed and --resend-uncertain."
                ).format(newsletter=issue.newsletter, slug=issue.slug)
            )
        lists = list(options.lists) or default_lists(config, db, issue.newsletter)
        found = recipients(config, db, lists, newsletter=issue.newsletter)
        counts = journal.Counts(queued=len(found.subscribers))
        return Plan(issue, lists, None, counts, found.suppressed, found, ListChanges())
    if options.lists and _list_files(config, options.lists) != _list_files(config, send.lists):
        raise SendError(
            _(
                "{slug} was started on {created_at} with the list(s) {joined}; a send keeps its "
                "lists. Run it again without --list to resume it."
            ).format(slug=issue.slug, created_at=send.created_at, joined=", ".join(send.lists))
        )
    counts = journal.counts(db, send)
    suppressed = journal.suppressed_failures(db, send) if options.retry_failed else 0
    wanted = counts.failed - suppressed if options.retry_failed else counts.queued
    # --add-new looks at the lists even when the send is finished: the people added since.
    if not wanted and not (options.resend_uncertain and counts.sending) and not options.add_new:
        return Plan(issue, send.lists, send, counts, 0, None, ListChanges(), suppressed)
    found = recipients(config, db, send.lists, newsletter=issue.newsletter)
    return Plan(issue, send.lists, send, counts, 0, found, compare(db, send, found), suppressed)


def _list_files(config: Config, lists: Sequence[str]) -> list[Path]:
    """The files LISTS name: `x`, `subscribers/x.csv` and its full path are one list."""
    return [
        Path(name) if name == SIGNUPS else resolve_list(config, name, must_exist=False).resolve()
        for name in lists
    ]


def compare(db: Connection, send: journal.Send, now: Recipients) -> ListChanges:
    """The lists NOW against the recipient set SEND froze."""
    if now.fingerprint == send.fingerprint:
        return ListChanges()
    current = {s.key: s for s in now.subscribers}
    suppressed = suppressed_hashes(db, newsletter=send.newsletter)
    seen: set[str] = set()
    removed, removed_unsent, removed_queued, changed = 0, [], 0, 0
    for seq, frozen, status in journal.frozen_subscribers(db, send):
        seen.add(frozen.key)
        if (subscriber := current.get(frozen.key)) is None:
            if address_hash(frozen.key) not in suppressed:
                removed += 1
                if status in ("queued", "sending", "failed"):
                    removed_unsent.append(seq)
                    removed_queued += status == "queued"
        elif (subscriber.name, dict(subscriber.fields)) != (frozen.name, dict(frozen.fields)):
            changed += 1
    added = [s for key, s in current.items() if key not in seen]
    return ListChanges(added, removed, removed_unsent, removed_queued, changed)
