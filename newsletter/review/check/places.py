"""Where things are in the issue file: every text of the issue with its YAML path, and the
line and column of a path, or of a word inside it."""

from __future__ import annotations

__all__ = ["Places", "Text", "texts"]

import bisect
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from newsletter.content.model import EventItem, Issue
from newsletter.content.yamlsource import YamlPath, YamlSource, parse_yaml
from newsletter.review.check.findings import Place


@dataclass(frozen=True, slots=True)
class Text:
    """One text an editor wrote: its YAML path, its words, and the item it belongs to."""

    path: YamlPath
    value: str
    role: str  # title, subject, preheader, intro, body, session, label, source, ...
    markdown: bool = False
    item: Any = None  # the item (None for the issue's and the sections' own texts)


class Places:
    """Line and column of every value of an issue file."""

    def __init__(self, text: str, name: str) -> None:
        self.name = name
        self.text = text
        self.source: YamlSource = parse_yaml(text, name)
        self._starts = [0] + [i + 1 for i, ch in enumerate(text) if ch == "\n"]

    def at(self, path: YamlPath, needle: str | None = None) -> Place:
        """The place of the value at PATH (or its nearest parent), or of NEEDLE within it."""
        _, node = self.source.node_at(path)
        if node is None:
            return Place(self.name, 1)
        start, end = node.start_mark.index, node.end_mark.index
        if needle and (found := self.text.find(needle, start, max(end, start + len(needle)))) >= 0:
            start = found
        return self._place(start)

    def key(self, path: YamlPath) -> Place:
        """The place of the key of PATH (`sessions:`), else of its value."""
        node = self.source.key_nodes.get(path)
        return self._place(node.start_mark.index) if node is not None else self.at(path)

    def file(self) -> Place:
        return Place(self.name)

    def _place(self, index: int) -> Place:
        line = bisect.bisect_right(self._starts, index)
        return Place(self.name, line, index - self._starts[line - 1] + 1)


def texts(issue: Issue) -> list[Text]:
    """Every text of ISSUE that readers see, in the file's order."""
    return list(_issue_texts(issue))


def _issue_texts(issue: Issue) -> Iterator[Text]:
    for name in ("title", "subject", "preheader"):
        if value := getattr(issue, name):
            yield Text((name,), value, name)
    if issue.intro:
        yield Text(("intro",), issue.intro, "intro", markdown=True)
    for s, section in enumerate(issue.sections):
        at: YamlPath = ("sections", s)
        if section.title:
            yield Text((*at, "title"), section.title, "section")
        if section.intro:
            yield Text((*at, "intro"), section.intro, "intro", markdown=True)
        for i, item in enumerate(section.items):
            yield from _item_texts(item, (*at, "items", i))


def _item_texts(item: Any, at: YamlPath) -> Iterator[Text]:
    yield Text((*at, "title"), item.title, "title", item=item)
    for name in ("source", "byline", "place", "audience", "publisher"):
        if value := getattr(item, name, None):
            yield Text((*at, name), value, name, item=item)
    if item.body:
        yield Text((*at, "body"), item.body, "body", markdown=True, item=item)
    if isinstance(item, EventItem):
        for n, session in enumerate(item.sessions):
            if session.label:
                yield Text((*at, "sessions", n, "label"), session.label, "session", item=item)
    for n, link in enumerate(item.links):
        yield Text((*at, "links", n, "label"), link.label, "label", item=item)
    if item.image is not None:
        yield Text((*at, "image", "alt"), item.image.alt, "alt", item=item)
