"""Return-path tokens: which message of which send a returned message is about.

Every message carries a token naming its journal row (send id and sequence number)
with an HMAC over them, in the `X-Newsletter-Ref` header and, where the relay lets
each message have its own envelope sender, in the return path itself (VERP:
`bounces+TOKEN@example.org`). A report that returns the token is tied to one
recipient; one that does not must be tied by its Message-ID, or it suppresses nobody
(see newsletter.bounces.tie). Lower case only: relays fold the case of addresses.
"""

from __future__ import annotations

__all__ = ["HEADER", "RefSigner", "Row", "token_in", "verp_address"]

import base64
import hashlib
import hmac
import re
from typing import NamedTuple

HEADER = "X-Newsletter-Ref"
_MAC_BYTES = 10  # 80 bits, 16 base32 letters
_TOKEN = re.compile(r"^([1-9][0-9]{0,11})-([1-9][0-9]{0,11})-([a-z2-7]{16})$")


class Row(NamedTuple):
    """A journal row: the send and the recipient's place in it."""

    send_id: int
    seq: int


class RefSigner:
    """Makes and checks return-path tokens with the project's secret."""

    def __init__(self, secret: bytes, /) -> None:
        self._key = hashlib.sha256(b"newsletter-return-path\0" + secret).digest()

    def make(self, send_id: int, seq: int) -> str:
        """`SEND-SEQ-MAC`, e.g. `12-3456-k3j4h5g6f7d8s9a2`."""
        return f"{send_id}-{seq}-{self._mac(send_id, seq)}"

    def verify(self, token: str, /) -> Row | None:
        """The row TOKEN names, or None when it is no token of ours."""
        match = _TOKEN.match(token.strip().lower())
        if match is None:
            return None
        send_id, seq = int(match[1]), int(match[2])
        # compare_digest: the time taken must not tell how much of a forged MAC was right.
        if not hmac.compare_digest(self._mac(send_id, seq), match[3]):
            return None
        return Row(send_id, seq)

    def _mac(self, send_id: int, seq: int) -> str:
        digest = hmac.digest(self._key, f"{send_id}.{seq}".encode("ascii"), "sha256")
        return base64.b32encode(digest[:_MAC_BYTES]).decode("ascii").lower()


def verp_address(return_path: str, token: str, /) -> str:
    """`bounces+TOKEN@example.org` for RETURN_PATH `bounces@example.org`."""
    local, _, domain = return_path.rpartition("@")
    return f"{local}+{token}@{domain}"


def token_in(address: str, return_path: str, /) -> str:
    """The token of ADDRESS when it is RETURN_PATH with one (`bounces+TOKEN@...`), else ""."""
    local, _, domain = return_path.lower().rpartition("@")
    found_local, _, found_domain = address.strip().strip("<>").lower().rpartition("@")
    prefix = f"{local}+"
    if found_domain != domain or not found_local.startswith(prefix):
        return ""
    return found_local[len(prefix) :]
