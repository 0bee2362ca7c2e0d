"""The public addresses of the web side (`newsletter serve`), built in one place."""

from __future__ import annotations

__all__ = [
    "archive_url",
    "calendar_url",
    "confirm_url",
    "feed_url",
    "issue_url",
    "signup_url",
    "unsubscribe_url",
]

from typing import TYPE_CHECKING
from urllib.parse import quote

if TYPE_CHECKING:
    from newsletter.config import Config


def archive_url(config: Config, newsletter: str) -> str:
    return f"{config.base_url}/{quote(newsletter)}/"


def issue_url(config: Config, newsletter: str, slug: str) -> str:
    """The web version of an issue: also its Archived-At (RFC 5064)."""
    return f"{archive_url(config, newsletter)}{quote(slug)}/"


def calendar_url(config: Config, newsletter: str, slug: str, filename: str) -> str:
    return f"{issue_url(config, newsletter, slug)}{quote(filename)}"


def feed_url(config: Config, newsletter: str) -> str:
    return f"{archive_url(config, newsletter)}feed.atom"


def unsubscribe_url(config: Config, token: str) -> str:
    """The RFC 8058 one-click address."""
    return f"{config.base_url}/u/{token}"


def signup_url(config: Config, newsletter: str, *, language: str = "en") -> str:
    """The sign-up form: /KEY/prenumerera for a Swedish newsletter, /KEY/subscribe else."""
    page = "prenumerera" if language == "sv" else "subscribe"
    return f"{archive_url(config, newsletter)}{page}"


def confirm_url(config: Config, token: str) -> str:
    """The link in a sign-up's confirmation mail."""
    return f"{config.base_url}/c/{token}"
