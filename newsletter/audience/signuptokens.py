"""The keyed parts of signing up: form tokens, confirmation links, and client tags.

All three are HMAC-SHA256 with keys derived from the secret that signs unsubscribe
links (newsletter.audience.tokens), each key for one purpose only, and every MAC is
compared in constant time.

- A *form token* is the time a form was served (in milliseconds), signed with the
  newsletter it is for.
  A form sent back within 2 seconds (a bot) or after a day (a replay, an old tab) is
  refused politely and shown again.
- A *confirmation link* `/c/TOKEN` names a newsletter, the keyed id of the address
  (TokenSigner.address_id, never the address) and when it was made; it expires.
- A *client tag* stands for the address a sign-up came from, in the consent record
  and in the log: a keyed hash, so the address itself is never stored (docs/web.md).
"""

from __future__ import annotations

__all__ = ["FORM_MAX_AGE", "FORM_MIN_AGE", "FormCheck", "SignupSigner", "client_network"]

import base64
import hashlib
import hmac
import ipaddress
import math
from typing import Literal

from newsletter.errors import TokenError
from newsletter.translate import _

FORM_MIN_AGE = 2.0  # seconds: people take longer than this to fill in a form
FORM_MAX_AGE = 24 * 3600.0  # seconds: a form served a day ago is sent again from a fresh one
FormCheck = Literal["ok", "missing", "invalid", "too_fast", "too_old"]
_MAC_BYTES = 16
_INVALID = "this confirmation link is not valid"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def client_network(host: str, /) -> str:
    """The part of a client address that names one client: an IPv4 address, or the /64
    of an IPv6 one (a household or phone gets a whole /64 and can use any of it)."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host  # not an IP address (a Unix socket, a test client): taken as it is
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:  # ::ffff:192.0.2.1 is 192.0.2.1
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


class SignupSigner:
    """Makes and checks form tokens and confirmation links, and tags clients, with SECRET."""

    def __init__(self, secret: bytes, /) -> None:
        if len(secret) < 16:
            raise TokenError(_("the secret is too short: use at least 16 random characters"))
        self._form_key = hashlib.sha256(b"newsletter-signup-form\0" + secret).digest()
        self._confirm_key = hashlib.sha256(b"newsletter-signup-confirm\0" + secret).digest()
        self._client_key = hashlib.sha256(b"newsletter-signup-client\0" + secret).digest()

    # --- form tokens ---------------------------------------------------------------------

    def form_token(self, newsletter: str, /, *, now: float) -> str:
        """A token for a form of NEWSLETTER served at NOW (seconds since the epoch)."""
        # In milliseconds, rounded up: a form never counts as older than it is.
        stamp = str(math.ceil(now * 1000))
        return f"{stamp}.{self._mac(self._form_key, f'{newsletter}.{stamp}')}"

    def check_form(self, token: str | None, newsletter: str, /, *, now: float) -> FormCheck:
        """Whether TOKEN is a genuine form token of NEWSLETTER, served 2 s to a day ago."""
        if not token:
            return "missing"
        stamp, _dot, mac = token.partition(".")
        if not stamp.isdigit() or len(stamp) > 15:
            return "invalid"
        expected = self._mac(self._form_key, f"{newsletter}.{stamp}")
        if not hmac.compare_digest(expected, mac):
            return "invalid"
        age = now - int(stamp) / 1000
        if age < FORM_MIN_AGE:
            return "too_fast"
        return "too_old" if age > FORM_MAX_AGE else "ok"

    # --- confirmation links --------------------------------------------------------------

    def confirmation(self, newsletter: str, address_id: str, /, *, now: float) -> str:
        """The token of a confirmation link for ADDRESS_ID's sign-up to NEWSLETTER."""
        payload = f"{newsletter}.{address_id}.{int(now)}"
        return f"{_b64(payload.encode())}.{self._mac(self._confirm_key, payload)}"

    def verify_confirmation(self, token: str, /, *, now: float, max_age: float) -> tuple[str, str]:
        """(newsletter, address_id) of a genuine link not older than MAX_AGE seconds;
        TokenError for a forged, tampered, cut or expired one."""
        encoded, _dot, mac = token.partition(".")
        try:
            payload = _unb64(encoded).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            raise TokenError(_INVALID) from None
        # Base64 has spare bits: only the canonical spelling of a payload is accepted.
        if _b64(payload.encode()) != encoded or not mac:
            raise TokenError(_INVALID)
        if not hmac.compare_digest(self._mac(self._confirm_key, payload), mac):
            raise TokenError(_INVALID)
        rest, _dot, stamp = payload.rpartition(".")
        newsletter, _dot2, address_id = rest.rpartition(".")
        if not stamp.isdigit() or not (0 <= now - int(stamp) <= max_age):
            raise TokenError(_("this confirmation link has expired"))
        return newsletter, address_id

    # --- client tags ---------------------------------------------------------------------

    def client_tag(self, host: str, /) -> str:
        """A keyed hash standing for the client at HOST (see client_network)."""
        digest = hmac.digest(self._client_key, client_network(host).encode(), "sha256")
        return _b64(digest[:12])

    @staticmethod
    def _mac(key: bytes, payload: str) -> str:
        return _b64(hmac.digest(key, payload.encode(), "sha256")[:_MAC_BYTES])
