"""Who gets an issue, as `send` and `send --dry-run` show it before anything is sent: the
count, each list with what it gives and who it leaves out and why, the first recipients,
and the CSV file with all of them (audience.roster)."""

from __future__ import annotations

__all__ = ["describe_reader", "echo_recipients", "list_summary", "person"]

from collections import Counter
from typing import TYPE_CHECKING

import click

from newsletter.translate import _, ngettext

if TYPE_CHECKING:
    from newsletter.audience.subscribers import LeftOut, ListCount
    from newsletter.config import Config
    from newsletter.delivery.planning import Plan
    from newsletter.review.reader import Reader

# How many recipients are named on screen; the CSV file names them all.
FIRST = 5


def echo_recipients(config: Config, plan: Plan, /) -> None:
    """The recipients of a new send: per list, the first ones, and the file with all."""
    from newsletter.audience.csvfile import display_path
    from newsletter.audience.roster import roster_path, write_roster

    found = plan.recipients
    assert found is not None
    left_out = []
    if plan.suppressed:
        left_out.append(_("{n} left out as suppressed").format(n=plan.suppressed))
    if found.problems:
        bad = len(found.problems)
        left_out.append(
            ngettext("{n} bad row left out", "{n} bad rows left out", bad).format(n=bad)
        )
    extra = f" ({', '.join(left_out)})" if left_out else ""
    click.echo(_("Recipients: {n}{left_out}").format(n=plan.counts.queued, left_out=extra))
    for count in found.lists:
        mine = [item for item in found.left_out if item.source.startswith(f"{count.list}:")]
        click.echo(f"  {list_summary(count, mine)}")
    people = found.subscribers[:FIRST]
    if people:
        named = ", ".join(person(s.name, s.email) for s in people)
        more = len(found.subscribers) - len(people)
        if more:
            click.echo(_("  First: {named} and {n} more").format(named=named, n=more))
        else:
            click.echo(_("  All: {named}").format(named=named))
    path = write_roster(roster_path(config, plan.newsletter, plan.slug), found)
    click.echo(
        _("  Everyone, with who is left out and why: {path}").format(path=display_path(path))
    )


def list_summary(count: ListCount, left_out: list[LeftOut], /) -> str:
    """One list's line: its rows, how many get the issue, who is left out and why."""
    parts = [
        ngettext("{n} row", "{n} rows", count.rows).format(n=count.rows),
        ngettext("{n} gets it", "{n} get it", count.targeted).format(n=count.targeted),
    ]
    if count.overlap:
        parts.append(
            ngettext(
                "{n} is on an earlier list too (gets it once)",
                "{n} are on an earlier list too (get it once)",
                count.overlap,
            ).format(n=count.overlap)
        )
    reasons = Counter(item.detail for item in left_out if item.kind == "suppressed")
    for reason, n in sorted(reasons.items()):
        parts.append(_suppressed(reason, n))
    duplicates = sum(item.kind == "duplicate" for item in left_out)
    if duplicates:
        parts.append(
            ngettext("{n} duplicate merged", "{n} duplicates merged", duplicates).format(
                n=duplicates
            )
        )
    invalid = sum(item.kind == "invalid" for item in left_out)
    if invalid:
        parts.append(
            ngettext(
                "{n} invalid row left out", "{n} invalid rows left out", invalid
            ).format(n=invalid)
        )  # fmt: skip
    return f"{count.list}: {', '.join(parts)}"


def _suppressed(reason: str, n: int) -> str:
    texts = {
        "unsubscribed": ngettext("{n} left out: unsubscribed", "{n} left out: unsubscribed", n),
        "bounced": ngettext("{n} left out: bounced", "{n} left out: bounced", n),
        "complained": ngettext(
            "{n} left out: marked the newsletter as spam",
            "{n} left out: marked the newsletter as spam",
            n,
        ),
        "manual": ngettext(
            "{n} left out: suppressed by hand", "{n} left out: suppressed by hand", n
        ),
    }
    text = texts.get(reason, ngettext("{n} left out: suppressed", "{n} left out: suppressed", n))
    return text.format(n=n)


def person(name: str, email: str) -> str:
    """NAME <EMAIL> ("Anna Andersson <anna@kommun.se>"), or EMAIL alone."""
    return f"{name} <{email}>" if name else email


def describe_reader(reader: Reader) -> str:
    """Whose copy: "Anna Andersson <anna@…> (subscribers/x.csv:2)", or a made-up one."""
    if reader.source:
        return f"{person(reader.name, reader.email)} ({reader.source})"
    return _("{person} (a made-up reader: the list has nobody)").format(
        person=person(reader.name, reader.email)
    )
