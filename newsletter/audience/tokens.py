"""Unsubscribe tokens: opaque, HMAC-signed, bound to an address and a newsletter.

A token is `base64url(payload) . base64url(mac)`, where the payload
never shows the address in clear: it is a keyed hash of the address plus the
newsletter key, so the server needs the state database to map it back.
"""

from __future__ import annotations

__all__ = [
    "SECRET_FILE",
    "TokenSigner",
    "key_fingerprint",
    "load_secret",
    "mailto_unsubscribe",
]

import base64
import hashlib
import hmac
import os
import secrets
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

from newsletter.errors import TokenError
from newsletter.fileio import UnreadableFile, private_folder, read_regular
from newsletter.translate import N_, _

if TYPE_CHECKING:
    from newsletter.config import Config

SECRET_FILE = "secret.key"
_MAC_BYTES = 16
_FINGERPRINT_LABEL = b"newsletter-key-fingerprint\0v1"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def key_fingerprint(secret: bytes, /) -> str:
    """A short public name of SECRET: the same key, the same name; it tells nothing of the key.

    A truncated HMAC of a fixed label under the key, never the key or a plain hash of
    it: 48 bits tell two keys apart, and showing it (on /health, in `newsletter check`,
    next to each send) gives nobody anything to work from.
    """
    return _b64(hmac.digest(secret, _FINGERPRINT_LABEL, "sha256")[:6])


def load_secret(config: Config) -> bytes:
    """NEWSLETTER_SECRET, else a random key generated once into the state folder."""
    if secret := config.secret:
        return secret.get_secret_value().encode("utf-8")
    path: Path = config.state_dir / SECRET_FILE
    if not path.exists():
        private_folder(path.parent)
        # O_EXCL: two processes starting at once must not write two different keys.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w", encoding="ascii") as out:
                out.write(secrets.token_urlsafe(32))
    try:
        return read_regular(path, limit=4096, what=N_("a key file")).strip()
    except UnreadableFile as exc:
        raise TokenError(
            _("{path}: cannot read the key for unsubscribe links: {reason}.").format(
                path=path, reason=exc.reason
            )
        ) from None


class TokenSigner:
    """Makes and checks tokens with one secret."""

    def __init__(self, secret: bytes, /) -> None:
        if len(secret) < 16:
            raise TokenError(_("the secret is too short: use at least 16 random characters"))
        self._mac_key = hashlib.sha256(b"newsletter-token-mac\0" + secret).digest()
        self._id_key = hashlib.sha256(b"newsletter-address-id\0" + secret).digest()
        self.fingerprint = key_fingerprint(secret)

    def address_id(self, address: str, newsletter: str) -> str:
        """A keyed, stable id for (address, newsletter); reveals neither without the secret."""
        message = f"{newsletter}\0{address.lower()}".encode()
        return _b64(hmac.digest(self._id_key, message, "sha256")[:15])

    def make(self, address: str, newsletter: str) -> str:
        payload = f"{newsletter}.{self.address_id(address, newsletter)}"
        return f"{_b64(payload.encode())}.{self._mac(payload)}"

    def verify(self, token: str, /) -> tuple[str, str]:
        """Return (newsletter, address_id) of a genuine token; TokenError otherwise."""
        encoded, _dot, mac = token.partition(".")
        try:
            payload = _unb64(encoded).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            raise TokenError(_("this unsubscribe link is not valid")) from None
        # Base64 has spare bits: only the canonical spelling of a payload is accepted.
        if _b64(payload.encode()) != encoded:
            raise TokenError(_("this unsubscribe link is not valid"))
        # compare_digest: the time taken must not tell how much of a forged MAC was right.
        if not mac or not hmac.compare_digest(self._mac(payload), mac):
            raise TokenError(_("this unsubscribe link is not valid"))
        newsletter, _dot, address_id = payload.rpartition(".")
        return newsletter, address_id

    def matches(self, token: str, address: str, newsletter: str) -> bool:
        """True when TOKEN is genuine and belongs to ADDRESS and NEWSLETTER."""
        try:
            found_newsletter, found_id = self.verify(token)
        except TokenError:
            return False
        expected = self.address_id(address, newsletter)
        return found_newsletter == newsletter and hmac.compare_digest(found_id, expected)

    def _mac(self, payload: str) -> str:
        return _b64(hmac.digest(self._mac_key, payload.encode(), "sha256")[:_MAC_BYTES])


def mailto_unsubscribe(reply_to: str, token: str) -> str:
    """The mailto: alternative of List-Unsubscribe (RFC 2369) to the newsletter's REPLY_TO,
    answered by `bounces import`."""
    return f"mailto:{reply_to}?subject={quote('unsubscribe ' + token)}"
