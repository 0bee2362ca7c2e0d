"""The checks behind the value types of newsletter.values, as plain functions.

They need neither pydantic nor (but for an address) email-validator: a send's helper
process checks one recipient's link values with them, and imports no more than it uses.
"""

from __future__ import annotations

__all__ = [
    "LANGUAGES",
    "STATE_SCHEMES",
    "Language",
    "check_base_url",
    "check_header_text",
    "check_state_url",
    "check_text",
    "check_url",
    "normalise_email",
]

import re
import unicodedata
from typing import Literal
from urllib.parse import parse_qsl, urlsplit

from newsletter.translate import _

Language = Literal["sv", "en"]
LANGUAGES: tuple[str, ...] = ("sv", "en")

_SCHEMES = frozenset({"https", "http", "mailto"})
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
# What no text needs and a YAML escape ("\x1b", "\uFFFE") can still write: C0 controls
# but tab and line feed, DEL, C1, lone surrogates, and Unicode's noncharacters.
_UNPRINTABLE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff"
    + "".join(f"{chr(plane << 16 | 0xFFFE)}{chr(plane << 16 | 0xFFFF)}" for plane in range(1, 17))
    + "]"
)


def check_text(value: str) -> str:
    """Refuse control characters and noncharacters: they break rendering and mail clients."""
    if found := _UNPRINTABLE.search(value):
        raise ValueError(
            _(
                "contains the invisible control character U+{ord:04X}, which no text needs (a "
                "\\x.. or \\u.... escape in quotes writes one); delete it"
            ).format(ord=ord(found[0]))
        )
    return value


def check_header_text(value: str) -> str:
    """Refuse line breaks and control characters: the text goes into a mail header."""
    if _CONTROL.search(value):
        raise ValueError(_("must be one line, without line breaks or control characters"))
    return value


def check_url(value: str) -> str:
    """VALUE, when it is an absolute https, http or mailto address; ValueError otherwise."""
    if any(ch.isspace() for ch in value):
        raise ValueError(_("a link address cannot contain spaces or line breaks"))
    scheme = urlsplit(value).scheme.lower()
    if scheme not in _SCHEMES:
        raise ValueError(
            _("a link must start with https://, http:// or mailto: (got {value!r})").format(
                value=value
            )
        )
    if scheme in {"http", "https"} and not urlsplit(value).netloc:
        raise ValueError(
            _("a link needs a host name after {scheme}:// (got {value!r})").format(
                scheme=scheme, value=value
            )
        )
    if scheme == "mailto":
        normalise_email(value[len("mailto:") :].split("?", 1)[0])
    return value


# What a base URL may hold: it ends up in every List-Unsubscribe and web address, where
# a space, a comma, angle brackets or quotes would cut or end the header's <url>.
_BASE_URL = re.compile(r"https?://[A-Za-z0-9.-]+(?::\d{1,5})?(?:/[A-Za-z0-9._~%/-]*)?", re.ASCII)


def check_base_url(value: str) -> str:
    """The web side's public address: absolute https (http only on this computer), plain."""
    value = value.rstrip("/")
    parts = urlsplit(value)
    if not _BASE_URL.fullmatch(value):
        raise ValueError(
            _(
                "must be the public address of `newsletter serve`, e.g. "
                "https://nyhetsbrev.example.org, without spaces, query (?) or fragment (#), a "
                "host in ASCII (xn--... for å, ä, ö) (got {value!r})"
            ).format(value=value)
        )
    host = parts.hostname or ""
    if parts.scheme == "http" and not (host == "localhost" or host.startswith("127.")):
        raise ValueError(
            _(
                "must start with https:// (got {value!r}): every unsubscribe link carries a "
                "token; http:// is only for trying things out on this computer (localhost)"
            ).format(value=value)
        )
    return value


STATE_SCHEMES = ("sqlite:///", "postgresql://", "postgres://")


def check_state_url(value: str) -> str:
    """VALUE, when it names a state database without a password in it; ValueError otherwise.

    The password of a PostgreSQL database comes from the environment only
    (NEWSLETTER_STATE_PASSWORD, or libpq's PGPASSFILE or PGPASSWORD).
    """
    if not value:
        return value
    if not value.startswith(STATE_SCHEMES) or _CONTROL.search(value):
        raise ValueError(
            _(
                "must be sqlite:///PATH (a SQLite file) or postgresql://USER@HOST:PORT/DATABASE, "
                "e.g. postgresql://newsletter@db.example.org:5432/newsletter"
            )
        )
    parts = urlsplit(value)
    query = {key.lower() for key, _ in parse_qsl(parts.query)}
    if value.startswith("postgres") and (parts.password is not None or "password" in query):
        raise ValueError(
            _(
                "a password does not belong in the address (it would be kept in git, shown and "
                "logged): remove it and set NEWSLETTER_STATE_PASSWORD in the environment (or "
                "NEWSLETTER_STATE_PASSWORD_FILE, or libpq's PGPASSFILE)"
            )
        )
    return value


def normalise_email(value: str) -> str:
    """Check an address's syntax (no DNS) and return it normalised; ValueError if invalid."""
    from email_validator import EmailNotValidError, validate_email

    try:
        result = validate_email(value, check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValueError(
            _("{value!r} is not a valid e-mail address: {exc}").format(value=value, exc=exc)
        ) from None
    return unicodedata.normalize("NFC", result.normalized)
