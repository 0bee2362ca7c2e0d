"""The archive's public documents, built alike for `newsletter serve` and the static build."""

from __future__ import annotations

__all__ = ["ISSUE_POLICY", "archive_page", "feed", "front_language", "front_page"]


from newsletter.config import Config
from newsletter.delivery import archive
from newsletter.state import Connection
from newsletter.web import pages
from newsletter.web.feed import atom

# The web version is the e-mail's HTML: styles inline (as mail clients need them), images
# from anywhere over https, still no script, no frames, no forms.
ISSUE_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src https: data:; "
    "form-action 'none'; frame-ancestors 'none'; base-uri 'none'"
)


def front_language(config: Config) -> str:
    """Swedish, unless every newsletter here is in another language."""
    languages = {newsletter.language for newsletter in config.newsletters.values()}
    return languages.pop() if len(languages) == 1 else "sv"


def front_page(config: Config, /, *, index: str = "") -> str:
    """The list of newsletters; INDEX is added to links that end in a folder (see archive_page)."""
    newsletters = sorted(config.newsletters.values(), key=lambda newsletter: newsletter.name)
    return pages.page(
        "front.html",
        language=front_language(config),
        root="",
        newsletters=newsletters,
        index=index,
    )


def archive_page(config: Config, db: Connection, key: str, /, *, index: str = "") -> str | None:
    """The list of a newsletter's issues; None for a newsletter not configured here.

    INDEX ("index.html" in the static build) ends the links to folders: a folder opened
    from the disk, or on a host that does not look for index.html, shows no page.
    """
    newsletter = config.newsletters.get(key)
    if newsletter is None:
        return None
    return pages.page(
        "archive.html",
        language=newsletter.language,
        root="../",
        newsletter=newsletter,
        issues=archive.issues(db, key),
        index=index,
    )


def feed(config: Config, db: Connection, key: str, /) -> bytes | None:
    newsletter = config.newsletters.get(key)
    if newsletter is None:
        return None
    return atom(config, newsletter, archive.issues(db, key))
