"""Whose copy the preview shows: a subscriber from the lists, so greetings and personal
fields show as one real reader gets them (the first row unless an address is given)."""

from __future__ import annotations

__all__ = ["SAMPLE", "Reader", "reader", "test_reader"]

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from newsletter.audience.subscribers import SubscriberList, load_list, resolve_list
from newsletter.config import Config
from newsletter.errors import SubscriberError
from newsletter.translate import _


@dataclass(frozen=True, slots=True)
class Reader:
    email: str
    name: str
    fields: Mapping[str, str] = field(default_factory=dict)
    source: str = ""  # "subscribers/x.csv:2"; empty for the made-up sample


# Who the preview pretends to send to when the lists have nobody: a real-looking name.
SAMPLE = Reader("anna.andersson@example.org", "Anna Andersson")


def reader(
    config: Config, newsletter: str, /, *, address: str | None = None, lists: Sequence[str] = ()
) -> Reader:
    """ADDRESS's row in LISTS (default: the newsletter's list), else the first row there.

    SubscriberError when ADDRESS is on none of them; without ADDRESS, a list that cannot be
    read gives the made-up SAMPLE (the preview shows the issue all the same).
    """
    names = list(lists) or list(config.newsletter(newsletter).default_lists)
    wanted = address.strip().lower() if address else None
    first: Reader | None = None
    for name in names:
        try:
            loaded = _load(resolve_list(config, name))
        except SubscriberError:
            if wanted:
                raise
            continue
        for subscriber in loaded.subscribers:
            found = Reader(subscriber.email, subscriber.name, subscriber.fields, subscriber.source)
            if wanted is None:
                return found
            if subscriber.key == wanted:
                return found
            first = first or found
    if wanted:
        raise SubscriberError(
            _(
                "{address} is not on {lists}: give the address of a subscriber there (or "
                "choose the list with --list)."
            ).format(address=address, lists=", ".join(names))
        )
    return first or _sample(config, names)


def test_reader(
    config: Config,
    newsletter: str,
    /,
    *,
    to: str,
    as_address: str | None = None,
    lists: Sequence[str] = (),
) -> Reader:
    """Whose row a test copy sent to TO shows: AS_ADDRESS's (SubscriberError when it is on
    none of the lists), else TO's own when TO is on them, else the first subscriber's."""
    if as_address:
        return reader(config, newsletter, address=as_address, lists=lists)
    try:
        return reader(config, newsletter, address=to, lists=lists)
    except SubscriberError:
        return reader(config, newsletter, lists=lists)


def _sample(config: Config, names: Sequence[str]) -> Reader:
    """The made-up reader, with the first list's columns: `[Kommun]` shows where a reader's
    own value goes, not an empty space ("för er i?")."""
    for name in names:
        try:
            headers = _load(resolve_list(config, name)).headers
        except SubscriberError:
            continue
        fields = {key: f"[{header}]" for key, header in headers.items()}
        return Reader(SAMPLE.email, SAMPLE.name, fields)
    return SAMPLE


_LOADED: dict[Path, tuple[tuple[int, int], SubscriberList]] = {}


def _load(path: Path) -> SubscriberList:
    """The list at PATH, read again only when it changed: the preview asks at every save."""
    stat = path.stat()
    key = (stat.st_mtime_ns, stat.st_size)
    known = _LOADED.get(path)
    if known is None or known[0] != key:
        if len(_LOADED) >= 4:
            _LOADED.clear()  # a few lists' subscribers at a time are memory enough
        _LOADED[path] = (key, load_list(path))
    return _LOADED[path][1]
