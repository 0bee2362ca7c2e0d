"""Editors' markdown as safe HTML for the e-mail, and as plain text for its text part."""

from __future__ import annotations

__all__ = ["Block", "links", "to_html", "to_text"]

from collections.abc import Iterator
from dataclasses import dataclass

import nh3
from markdown_it.token import Token

from newsletter.content.fieldtypes import markdown_links, markdown_parser

_TAGS = {"p", "br", "strong", "em", "a", "ul", "ol", "li", "blockquote", "code", "h4", "hr"}
_SCHEMES = {"https", "http", "mailto"}


@dataclass(frozen=True, slots=True)
class Block:
    """A paragraph of plain text; `marker` starts a list item ("• ", "2. ")."""

    text: str
    marker: str = ""
    depth: int = 0


_parser = markdown_parser


def to_html(markdown: str) -> str:
    """Markdown as HTML that only holds harmless tags and https/http/mailto links."""
    html = _parser().render(markdown)
    return nh3.clean(
        html,
        tags=_TAGS,
        attributes={"a": {"href"}},
        url_schemes=_SCHEMES,
        link_rel=None,
    )


def links(markdown: str) -> list[str]:
    """The addresses of every link in MARKDOWN, in order."""
    return markdown_links(markdown)


def to_text(markdown: str) -> list[Block]:
    """Markdown as plain paragraphs and list items, each link written out after its label."""
    return list(_blocks(_parser().parse(markdown)))


def _blocks(tokens: list[Token]) -> Iterator[Block]:
    markers: list[str] = []  # one entry per open list: "•" or the next number
    pending = ""
    for token in tokens:
        if token.type == "bullet_list_open":
            markers.append("•")
        elif token.type == "ordered_list_open":
            markers.append(str(token.attrs.get("start", 1)))
        elif token.type in {"bullet_list_close", "ordered_list_close"}:
            markers.pop()
        elif token.type == "list_item_open" and markers:
            pending = _next_marker(markers)
        elif token.type == "hr":
            yield Block("* * *")
        elif token.type == "inline":
            depth = max(len(markers) - 1, 0)
            yield Block(_inline_text(token.children or []), pending, depth)
            pending = ""


def _next_marker(markers: list[str]) -> str:
    current = markers[-1]
    if current == "•":
        return "• "
    markers[-1] = str(int(current) + 1)
    return f"{current}. "


def _inline_text(children: list[Token]) -> str:
    parts: list[str] = []
    hrefs: list[tuple[str, int]] = []  # link address and where its label starts
    for token in children:
        if token.type in {"text", "code_inline"}:
            parts.append(token.content)
        elif token.type == "softbreak":
            parts.append(" ")
        elif token.type == "hardbreak":
            parts.append("\n")
        elif token.type == "link_open":
            hrefs.append((str(token.attrs["href"]), len(parts)))
        elif token.type == "link_close" and hrefs:
            href, start = hrefs.pop()
            label = "".join(parts[start:])
            if label.strip() != href.removeprefix("mailto:"):
                parts.append(f" <{href}>")
    return "".join(parts)
