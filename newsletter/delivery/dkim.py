"""DKIM signatures (RFC 6376): rsa-sha256, and ed25519-sha256 (RFC 8463) beside it.

dkimpy does what a signature must get exactly right: it parses the header block, picks and
canonicalizes the signed fields, writes, folds and hashes the DKIM-Signature field. The
signature itself comes from OpenSSL through `cryptography`: RSASSA-PKCS1-v1_5 over the
SHA-256 hash of the headers, the very bytes dkimpy's pure-Python RSA computes (the scheme
is deterministic) in 0.4 ms instead of 11; Ed25519 over that hash, as RFC 8463 section 3
says. A second key (`ed25519_key_file`) adds an Ed25519 signature beside the RSA one:
receivers that do not know Ed25519 yet ignore it and check the RSA signature.

c=relaxed/simple, as dkimpy and Amazon SES sign by default: relaxed for the header (relays
refold header fields), simple for the body. Our bodies are quoted-printable with CRLF line
ends and no white space at the end of a line (RFC 2045 6.7 encodes it), so the relaxed
body rules guard against nothing a relay does to them, and on an 86 KB message they cost
2.5 ms of regular expressions. `h=` names the headers a receiver must see unchanged, among
them List-Unsubscribe and List-Unsubscribe-Post as RFC 8058 section 4 requires.
"""

from __future__ import annotations

__all__ = ["SIGNED_HEADERS", "DkimSigner"]

import base64
import hashlib
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa, utils
from dkim import RE_BTAG, fold, hash_headers, rfc822_parse
from dkim.canonicalization import CanonicalizationPolicy

from newsletter.errors import ConfigError
from newsletter.fileio import UnreadableFile, read_regular
from newsletter.translate import N_, _

if TYPE_CHECKING:
    from newsletter.config import DkimSettings

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
_FIELD = b"DKIM-Signature"
_CANONICAL = CanonicalizationPolicy.from_c_value(b"relaxed/simple")
_MAKE_A_KEY = N_(
    "Make one with `openssl genrsa -out dkim.key 2048` and publish its "
    "public key (see docs/send.md, DKIM)."
)
_MAKE_AN_ED25519_KEY = N_(
    "Make one with `openssl genpkey -algorithm ed25519 -out dkim-ed25519.key` and publish "
    "its public key (see docs/send.md, DKIM)."
)
_PrivateKey = rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey
# What a signer is made of: selector, domain, RSA key file, and the Ed25519 selector and
# key file if any.
_Made = tuple[str, str, Path, tuple[str, Path] | None]


class DkimSigner:
    """Signs messages for the settings' domain (the sender's domain unless set)."""

    def __init__(self, settings: DkimSettings, /, *, default_domain: str, root: Path) -> None:
        ed25519_key = (
            (settings.ed25519_selector, root / settings.ed25519_key_file)
            if settings.ed25519_key_file
            else None
        )
        domain = settings.domain or default_domain
        self._load((settings.selector, domain, root / settings.key_file, ed25519_key))

    def _load(self, made: _Made, /) -> None:
        self._made = made
        self.selector, self.domain, self.key_file, ed25519_key = made
        self._keys: list[tuple[bytes, _PrivateKey]] = []
        if ed25519_key:
            selector, path = ed25519_key
            key = _read_key(path, "dkim.ed25519_key_file", ed25519.Ed25519PrivateKey)
            self._keys.append((selector.encode("ascii"), key))
        self._keys.append((self.selector.encode("ascii"), _read_key(self.key_file)))
        self._domain = self.domain.encode("idna")

    def __getstate__(self) -> _Made:
        # OpenSSL's keys do not pickle: a helper process reads the key files itself, and
        # gets plain values, not the settings (it imports no pydantic).
        return self._made

    def __setstate__(self, made: _Made) -> None:
        self._load(made)

    def sign(self, data: bytes, /, *, headers: Sequence[str] = SIGNED_HEADERS) -> bytes:
        """DATA with DKIM-Signature fields in front, covering HEADERS."""
        head, _, body = data.partition(b"\r\n\r\n")
        parsed, _ = rfc822_parse(head + b"\r\n\r\n")
        canonical = _CANONICAL.canonicalize_headers(parsed)
        body_hash = base64.b64encode(hashlib.sha256(_CANONICAL.canonicalize_body(body)).digest())
        names = tuple(name.lower().encode("ascii") for name in headers)
        now = str(int(time.time())).encode("ascii")
        fields = [
            _signature(selector, self._domain, key, canonical, names, body_hash, now)
            for selector, key in self._keys
        ]
        return b"".join(fields) + data


def _signature(
    selector: bytes,
    domain: bytes,
    key: _PrivateKey,
    headers: list[tuple[bytes, bytes]],
    names: tuple[bytes, ...],
    body_hash: bytes,
    now: bytes,
) -> bytes:
    """One DKIM-Signature field, as dkimpy's DKIM.sign() and gen_header() write it."""
    algorithm = b"ed25519-sha256" if isinstance(key, ed25519.Ed25519PrivateKey) else b"rsa-sha256"
    tags = [
        (b"v", b"1"),
        (b"a", algorithm),
        (b"c", _CANONICAL.to_c_value()),
        (b"d", domain),
        (b"i", b"@" + domain),
        (b"q", b"dns/txt"),
        (b"s", selector),
        (b"t", now),
        (b"h", b" : ".join(names)),
        (b"bh", body_hash),
        (b"b", b"0" * 60),  # a placeholder, so that b= folds onto a line of its own
    ]
    value = fold(b"; ".join(b"=".join(tag) for tag in tags), namelen=len(_FIELD))
    hashed = hashlib.sha256()
    hash_headers(hashed, _CANONICAL, headers, names, (_FIELD, b" " + RE_BTAG.sub(b"\\1", value)),
                 dict(tags))  # fmt: skip
    tags[-1] = (b"b", base64.b64encode(_sign(key, hashed.digest())))
    value = b"; ".join(b"=".join(tag) for tag in tags) + b"\r\n"
    return _FIELD + b": " + bytes(fold(value, namelen=len(_FIELD)))


def _sign(key: _PrivateKey, digest: bytes) -> bytes:
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return key.sign(digest)  # RFC 8463 3: PureEdDSA over the SHA-256 hash
    return key.sign(digest, padding.PKCS1v15(), utils.Prehashed(hashes.SHA256()))


def _read_key(
    path: Path,
    setting: str = "dkim.key_file",
    kind: type[_PrivateKey] = rsa.RSAPrivateKey,
) -> _PrivateKey:
    where = f"{setting} {path}"
    variable = f"NEWSLETTER_{setting.upper().replace('.', '_')}"
    make = _(_MAKE_A_KEY if kind is rsa.RSAPrivateKey else _MAKE_AN_ED25519_KEY)
    try:
        pem = read_regular(path, limit=1 << 16, what=N_("a key file"))
    except UnreadableFile as exc:
        raise ConfigError(
            _(
                "{where}: cannot read the DKIM private key ({reason}). Check the path in "
                "newsletter.toml (or {variable}) and the file's permissions."
            ).format(where=where, reason=exc.reason, variable=variable)
        ) from None
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise ConfigError(
            _("{where}: is not a private key in PEM format ({exc}). {make_a_key}").format(
                where=where, exc=exc, make_a_key=make
            )
        ) from None
    if not isinstance(key, kind):
        wrong = (
            N_("{where}: is not an RSA private key. {make_a_key}")
            if kind is rsa.RSAPrivateKey
            else N_("{where}: is not an Ed25519 private key. {make_a_key}")
        )
        raise ConfigError(_(wrong).format(where=where, make_a_key=make))
    if isinstance(key, rsa.RSAPrivateKey) and key.key_size < 1024:
        # RFC 8301 3.2: verifiers refuse keys under 1024 bits.
        raise ConfigError(
            _(
                "{where}: the key has {bits} bits; receivers want at least 1024, and 2048 is "
                "usual. {make_a_key}"
            ).format(where=where, bits=key.key_size, make_a_key=make)
        )
    return key
