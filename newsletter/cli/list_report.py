"""What `newsletter subscribers` prints about lists: their rows in order, and the counts."""

from __future__ import annotations

__all__ = ["echo_counts", "echo_located", "in_row_order"]

from collections.abc import Iterable
from typing import TYPE_CHECKING

import click

from newsletter.translate import _, ngettext

if TYPE_CHECKING:
    from newsletter.audience.subscribers import Recipients
    from newsletter.errors import Location


def echo_located(items: Iterable[tuple[Location, str]]) -> None:
    """Each (place, kind): `FILE:LINE: KIND: message`, KIND in the editor's words."""
    for item, kind in items:
        place = f"{item.path}:{item.line}" if item.line else item.path
        click.echo(f"{place}: {kind}: {item.message}", err=True)


def in_row_order(found: Recipients) -> list[tuple[Location, str]]:
    """The warnings and the bad rows of FOUND's lists, list by list, in the order of rows."""
    order = {count.list: number for number, count in enumerate(found.lists)}
    items = [(w, _("warning")) for w in found.warnings] + [(p, _("error")) for p in found.problems]
    return sorted(items, key=lambda pair: (order.get(pair[0].path, len(order)), pair[0].line))


def echo_counts(found: Recipients, key: str | None) -> None:
    for count in found.lists:
        details = [
            ngettext("{n} row", "{n} rows", count.rows).format(n=count.rows),
            ngettext("{n} address", "{n} addresses", count.subscribers).format(n=count.subscribers),
        ]
        if count.problems:
            details.append(ngettext("{n} bad", "{n} bad", count.problems).format(n=count.problems))
        if count.duplicates:
            details.append(
                ngettext("{n} duplicate merged", "{n} duplicates merged", count.duplicates)
                .format(n=count.duplicates)
            )  # fmt: skip
        if count.overlap:
            details.append(
                ngettext("{n} also on an earlier list", "{n} also on an earlier list",
                         count.overlap).format(n=count.overlap)
            )  # fmt: skip
        if count.suppressed:
            details.append(
                ngettext("{n} suppressed", "{n} suppressed", count.suppressed)
                .format(n=count.suppressed)
            )  # fmt: skip
        click.echo(f"{count.list}: {', '.join(details)}")
    n = len(found.subscribers)
    total = ngettext(
        "{n} recipient after merging duplicates ({duplicates}) and leaving out those "
        "suppressed for every newsletter ({suppressed}: bounces, complaints, manual; "
        "--newsletter adds its unsubscribes).",
        "{n} recipients after merging duplicates ({duplicates}) and leaving out those "
        "suppressed for every newsletter ({suppressed}: bounces, complaints, manual; "
        "--newsletter adds its unsubscribes).",
        n,
    )
    if key:
        total = ngettext(
            "{n} recipient after merging duplicates ({duplicates}) and leaving out those "
            "suppressed for newsletter {key} ({suppressed}).",
            "{n} recipients after merging duplicates ({duplicates}) and leaving out those "
            "suppressed for newsletter {key} ({suppressed}).",
            n,
        )
    click.echo(total.format(n=len(found.subscribers), duplicates=found.duplicates,
                            suppressed=found.suppressed, key=key))  # fmt: skip
