"""DKIM signatures (RFC 6376) with dkimpy: rsa-sha256, relaxed/relaxed.

relaxed/relaxed survives what relays commonly do to a message (refolding headers,
trailing spaces); `h=` names the headers a receiver must see unchanged, among them
List-Unsubscribe and List-Unsubscribe-Post as RFC 8058 section 4 requires.
"""

from __future__ import annotations

__all__ = ["SIGNED_HEADERS", "DkimSigner"]

from collections.abc import Sequence
from pathlib import Path

import dkim
from dkim.crypto import UnparsableKeyError, parse_pem_private_key

from newsletter.config import DkimSettings
from newsletter.errors import ConfigError
from newsletter.fileio import UnreadableFile, read_regular
from newsletter.translate import N_, _

SIGNED_HEADERS: tuple[str, ...] = (
    "From",
    "To",
    "Subject",
    "Date",
    "Message-ID",
    "Reply-To",
    "MIME-Version",
    "Content-Type",
    "List-Id",
    "List-Unsubscribe",
    "List-Unsubscribe-Post",
    "List-Archive",
    "Archived-At",
)
_MAKE_A_KEY = N_(
    "Make one with `openssl genrsa -out dkim.key 2048` and publish its "
    "public key (see docs/send.md, DKIM)."
)


class DkimSigner:
    """Signs messages for the settings' domain (the sender's domain unless set)."""

    def __init__(self, settings: DkimSettings, /, *, default_domain: str, root: Path) -> None:
        self.selector = settings.selector
        self.domain = settings.domain or default_domain
        self.key_file = root / settings.key_file
        self._key = _read_key(self.key_file)
        self._selector = self.selector.encode("ascii")
        self._domain = self.domain.encode("idna")

    def sign(self, data: bytes, /, *, headers: Sequence[str] = SIGNED_HEADERS) -> bytes:
        """DATA with a DKIM-Signature header in front, covering HEADERS."""
        signature = dkim.sign(
            data,
            self._selector,
            self._domain,
            self._key,
            canonicalize=(b"relaxed", b"relaxed"),
            signature_algorithm=b"rsa-sha256",
            include_headers=[name.lower().encode("ascii") for name in headers],
        )
        return bytes(signature) + data


def _read_key(path: Path) -> bytes:
    where = f"dkim.key_file {path}"
    try:
        key = read_regular(path, limit=1 << 16, what=N_("a key file"))
    except UnreadableFile as exc:
        raise ConfigError(
            _(
                "{where}: cannot read the DKIM private key ({reason}). Check the path in "
                "newsletter.toml (or NEWSLETTER_DKIM_KEY_FILE) and the file's permissions."
            ).format(where=where, reason=exc.reason)
        ) from None
    try:
        parse_pem_private_key(key)
    except (UnparsableKeyError, ValueError, IndexError, TypeError) as exc:
        raise ConfigError(
            _("{where}: is not an RSA private key in PEM format ({exc}). {make_a_key}").format(
                where=where, exc=exc, make_a_key=_(_MAKE_A_KEY)
            )
        ) from None
    return key
