"""The sign-up form as an HTML snippet for the organisation's own website.

A static page cannot carry the signed, time-stamped token our own form does: the
snippet posts without one, and the server answers with its own form, filled in, which
the reader sends once more (newsletter.web.signup). The consent statement is the same,
word for word, so the version recorded is the one the reader saw on both pages.
"""

from __future__ import annotations

__all__ = ["snippet"]

from newsletter.audience.consent import consent_for
from newsletter.config import CONFIG_NAME, Config, NewsletterConfig
from newsletter.errors import ConfigError
from newsletter.translate import _
from newsletter.urls import signup_url
from newsletter.web import pages


def snippet(config: Config, newsletter: NewsletterConfig, /) -> str:
    """NEWSLETTER's sign-up form, posting to `newsletter serve` at base_url."""
    if not newsletter.signup:
        raise ConfigError(
            _(
                "{path}: newsletters.{key}: sign-up is off. Set signup = true and privacy_url "
                "(the address of your privacy notice) in its section, and restart `newsletter "
                "serve`."
            ).format(path=config.path or CONFIG_NAME, key=newsletter.key)
        )
    return pages.page(
        "embed.html",
        language=newsletter.language,
        root="",
        newsletter=newsletter,
        consent=consent_for(newsletter),
        action=signup_url(config, newsletter.key, language=newsletter.language),
        id=f"newsletter-{newsletter.key}",
    )
