"""An Atom feed (RFC 4287) of a newsletter's archived issues."""

from __future__ import annotations

__all__ = ["CONTENT_TYPE", "atom"]

import datetime as dt
from xml.etree.ElementTree import Element, SubElement, tostring

from newsletter import urls
from newsletter.config import Config, NewsletterConfig
from newsletter.delivery.archive import ArchivedIssue

ATOM_TYPE = "application/atom+xml"
CONTENT_TYPE = f"{ATOM_TYPE}; charset=utf-8"
_ATOM = "http://www.w3.org/2005/Atom"
_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def atom(config: Config, newsletter: NewsletterConfig, issues: list[ArchivedIssue], /) -> bytes:
    """The feed of ISSUES (newest first); ids are the issues' permanent web addresses."""
    feed = Element("feed", {"xmlns": _ATOM, _LANG: newsletter.language})
    _text(feed, "title", newsletter.name)
    _text(feed, "id", urls.archive_url(config, newsletter.key))
    # RFC 4287 4.1.1: a feed must say when it last changed, even with no entries yet.
    newest = max((issue.published_at for issue in issues), default=None)
    _text(feed, "updated", newest or _now())
    _link(feed, urls.feed_url(config, newsletter.key), rel="self", type=ATOM_TYPE)
    _link(feed, urls.archive_url(config, newsletter.key), rel="alternate", type="text/html")
    author = SubElement(feed, "author")
    _text(author, "name", newsletter.from_name)
    for issue in issues:
        _entry(feed, config, issue)
    document: bytes = tostring(feed, encoding="utf-8", xml_declaration=True)
    return document


def _entry(feed: Element, config: Config, issue: ArchivedIssue) -> None:
    address = urls.issue_url(config, issue.newsletter, issue.slug)
    entry = SubElement(feed, "entry", {_LANG: issue.language})
    _text(entry, "title", issue.title)
    _text(entry, "id", address)
    _text(entry, "published", issue.published_at)
    _text(entry, "updated", issue.published_at)
    _link(entry, address, rel="alternate", type="text/html")
    _text(entry, "summary", issue.subject)


def _text(parent: Element, tag: str, text: str) -> None:
    SubElement(parent, tag).text = text


def _link(parent: Element, href: str, **attributes: str) -> None:
    SubElement(parent, "link", {"href": href, **attributes})


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
