"""Editors' markdown as safe HTML for the e-mail, and as plain text for its text part."""

from __future__ import annotations

__all__ = ["Block", "links", "to_html", "to_text"]

import re
from collections.abc import Iterator
from dataclasses import dataclass

import nh3
from markdown_it.token import Token

from newsletter.content.fieldtypes import markdown_links, markdown_parser

_TAGS = {"p", "br", "strong", "em", "a", "ul", "ol", "li", "blockquote", "code", "h4", "hr"}
_SCHEMES = {"https", "http", "mailto"}
# A line that ends a sentence, or one that opens a quotation or a dash, keeps its line
# break; a line broken in mid-sentence (the editor wrapped a long line) is joined.
_ENDS_SENTENCE = re.compile(r"[.!?:;]['\"”’»)]*\s*$")
_OPENS_LINE = re.compile(r"^\s*[–—\-‒•*\"”«»]")


@dataclass(frozen=True, slots=True)
class Block:
    """A paragraph of plain text; `marker` starts a list item ("• ", "2. ")."""

    text: str
    marker: str = ""
    depth: int = 0


_parser = markdown_parser


def _parse(markdown: str) -> list[Token]:
    tokens = _parser().parse(markdown)
    for block in tokens:
        _keep_line_breaks(block.children or [])
    return tokens


def _keep_line_breaks(children: list[Token]) -> None:
    """Turn the soft line breaks an editor meant (see _ENDS_SENTENCE) into hard ones."""
    for index, token in enumerate(children):
        if token.type != "softbreak" or not 0 < index < len(children) - 1:
            continue
        before, after = children[index - 1].content, children[index + 1].content
        if _ENDS_SENTENCE.search(before) or _OPENS_LINE.match(after):
            token.type, token.tag = "hardbreak", "br"


def to_html(markdown: str) -> str:
    """Markdown as HTML that only holds harmless tags and https/http/mailto links."""
    parser = _parser()
    html = parser.renderer.render(_parse(markdown), parser.options, {})
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
    return list(_blocks(_parse(markdown)))


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
