"""The configured DKIM key, tested against the record published for it.

Signing a small message with the key file and verifying it against the published record
(dkimpy, RFC 6376) compares the two keys whatever their form: the record may hold the
key as SubjectPublicKeyInfo or as a bare RSAPublicKey.
"""

from __future__ import annotations

__all__ = ["DkimKey"]

from dataclasses import dataclass
from pathlib import Path

import dkim
from dkim.crypto import UnparsableKeyError, parse_pem_private_key

from newsletter.config import Config
from newsletter.fileio import UnreadableFile, read_regular
from newsletter.translate import N_

_PROBE = (
    b"From: check@newsletter.invalid\r\nTo: check@newsletter.invalid\r\n"
    b"Subject: key check\r\n\r\nThe key file against the record.\r\n"
)


@dataclass(frozen=True, slots=True)
class DkimKey:
    selector: str
    domain: str
    path: Path
    key: bytes
    problem: str = ""  # why the key file cannot be used

    @property
    def record_name(self) -> str:
        return f"{self.selector}._domainkey.{self.domain}"

    @classmethod
    def from_settings(cls, config: Config, /) -> DkimKey:
        """The key of CONFIG's [dkim] settings (DKIM signs for the sender's domain unless set)."""
        settings = config.dkim
        path = config.root / settings.key_file
        domain = (settings.domain or "").lower()
        try:
            key = read_regular(path, limit=1 << 16, what=N_("a key file"))
            parse_pem_private_key(key)
        except UnreadableFile as exc:
            return cls(settings.selector, domain, path, b"", f"{path}: {exc.reason}.")
        except (UnparsableKeyError, ValueError, IndexError, TypeError):
            return cls(
                settings.selector,
                domain,
                path,
                b"",
                f"{path} is not an RSA private key in PEM format.",
            )
        return cls(settings.selector, domain, path, key)

    def for_domain(self, domain: str) -> DkimKey:
        return (
            self
            if self.domain
            else DkimKey(self.selector, domain.lower(), self.path, self.key, self.problem)
        )

    def verifies_with(self, record: str) -> bool:
        """Whether a signature made with the key file verifies against RECORD."""
        signed = dkim.sign(
            _PROBE,
            self.selector.encode("ascii"),
            self.domain.encode("idna"),
            self.key,
            include_headers=[b"from", b"to", b"subject"],
        )

        def dnsfunc(name: bytes, timeout: int = 5) -> bytes:
            return record.encode("ascii", "replace")

        try:
            return bool(dkim.verify(signed + _PROBE, dnsfunc=dnsfunc))
        except dkim.DKIMException:
            return False
