"""What a reader agrees to when signing up, word for word, and its version.

GDPR art. 7(1): the organisation must be able to show that a reader consented, and to
what. The form shows a consent statement (the newsletter's `consent_text`, or the
built-in one in its language) and a link to the privacy notice (`privacy_url`); its
version is the sha256 of exactly that, and the text itself is kept beside the sign-ups
under its version, so a record can always be read back as the reader saw it.
"""

from __future__ import annotations

__all__ = ["Consent", "consent_for", "remember"]

import hashlib
from dataclasses import dataclass

from newsletter.config import NewsletterConfig
from newsletter.render.i18n import label
from newsletter.state import Connection


@dataclass(frozen=True, slots=True)
class Consent:
    """The consent statement of one newsletter's form, in the language it is shown in."""

    language: str
    text: str  # "Jag vill få ... via e-post. ..."
    privacy_label: str  # the words of the link to the privacy notice
    privacy_url: str

    @property
    def statement(self) -> str:
        """Everything the reader is shown about what they agree to, as one text."""
        return f"{self.text}\n{self.privacy_label}: {self.privacy_url}"

    @property
    def version(self) -> str:
        """sha256 of the statement: a new wording or privacy notice is a new version."""
        return hashlib.sha256(self.statement.encode("utf-8")).hexdigest()


def consent_for(newsletter: NewsletterConfig, /) -> Consent:
    """The consent statement NEWSLETTER's sign-up form shows, in the newsletter's language."""
    language = newsletter.language
    text = newsletter.consent_text or label(language, "signup_consent").format(name=newsletter.name)
    return Consent(
        language=language,
        text=text,
        privacy_label=label(language, "signup_privacy"),
        privacy_url=newsletter.privacy_url or "",
    )


def remember(db: Connection, consent: Consent, /) -> str:
    """Keep CONSENT's statement under its version (once); the version."""
    db.execute(
        "INSERT INTO consent_texts (version, language, text) VALUES (?, ?, ?)"
        " ON CONFLICT (version) DO NOTHING",
        (consent.version, consent.language, consent.statement),
    )
    return consent.version
