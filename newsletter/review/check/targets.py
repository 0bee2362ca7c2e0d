"""What the link check visits: every link and image of the issue, the logo, and the
newsletter's own addresses, each with its place (the issue's line, or the setting)."""

from __future__ import annotations

__all__ = ["LOGO_WIDTH", "MAX_WIDTH", "Target", "config_place", "mail_targets", "web_targets"]

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from newsletter.config import CONFIG_NAME, Config
from newsletter.content.fieldtypes import PERSONAL_FIELD, markdown_links
from newsletter.content.model import Issue
from newsletter.review.check.findings import Place
from newsletter.review.check.places import Places, texts
from newsletter.translate import N_

# The widths the templates show images at (item.mjml: at most the column, header.mjml).
MAX_WIDTH = 544
LOGO_WIDTH = 180


@dataclass(frozen=True, slots=True)
class Target:
    """An address to visit: a web page or an image (with the width it is shown at)."""

    url: str
    kind: Literal["link", "image"]
    place: Place
    # How messages name it, translated where used: "the link", "the image", "the logo".
    what: str = N_("the link")
    shown_width: int | None = None


def config_place(config: Config, setting: str) -> Place:
    """The place of SETTING: the environment variable that set it, else newsletter.toml."""
    env = "NEWSLETTER_" + setting.replace(".", "_").upper()
    if "." not in setting and os.environ.get(env):
        return Place("environment", setting=env)
    path = config.path.name if config.path is not None else CONFIG_NAME
    return Place(path, setting=setting)


def web_targets(issue: Issue, config: Config, places: Places) -> list[Target]:
    """Every http(s) address of the issue and its newsletter, in the file's order."""
    return [t for t in _all(issue, config, places) if t.url.lower().startswith(("http:", "https:"))]


def mail_targets(issue: Issue, config: Config, places: Places) -> list[Target]:
    """Every mailto: link of the issue, and the newsletter's own addresses as mailto: targets."""
    found = [t for t in _all(issue, config, places) if t.url.lower().startswith("mailto:")]
    newsletter = config.newsletter(issue.newsletter)
    for name in ("from_address", "reply_to"):
        setting = f"newsletters.{newsletter.key}.{name}"
        found.append(
            Target(
                f"mailto:{getattr(newsletter, name)}",
                "link",
                config_place(config, setting),
                f"`{name}`",
            )
        )
    return found


def _all(issue: Issue, config: Config, places: Places) -> Iterator[Target]:
    for text in texts(issue):
        if text.markdown:
            for href in markdown_links(text.value):
                if not PERSONAL_FIELD.search(href):  # each reader's own: checked per message
                    yield Target(href, "link", places.at(text.path, href))
    for s, section in enumerate(issue.sections):
        for i, item in enumerate(section.items):
            at = ("sections", s, "items", i)
            for n, link in enumerate(item.links):
                yield Target(link.url, "link", places.at((*at, "links", n, "url")))
            if item.image is not None:
                width = min(item.image.width or MAX_WIDTH, MAX_WIDTH)
                place = places.at((*at, "image", "url"))
                yield Target(item.image.url, "image", place, N_("the image"), width)
    yield from _newsletter_targets(issue, config, places)


def _newsletter_targets(issue: Issue, config: Config, places: Places) -> Iterator[Target]:
    newsletter = config.newsletter(issue.newsletter)
    prefix = f"newsletters.{newsletter.key}"
    if newsletter.logo:
        place = config_place(config, f"{prefix}.logo")
        yield Target(newsletter.logo, "image", place, N_("the logo"), LOGO_WIDTH)
    editor = issue.editor or newsletter.editor
    in_issue = ("editor",) in places.source.nodes
    for name, url in (("website", editor.website), ("email", editor.email)):
        if not url:
            continue
        url = url if name == "website" else f"mailto:{url}"
        place = (
            places.at(("editor", name))
            if in_issue
            else config_place(config, f"{prefix}.editor.{name}")
        )
        what = N_("the editor's website") if name == "website" else N_("the editor's email")
        yield Target(url, "link", place, what)
