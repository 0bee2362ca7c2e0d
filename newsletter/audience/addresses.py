"""Checking and normalising subscriber addresses, fast enough for 100,000-row lists.

Normalised means: domain lower-cased, an internationalised domain in its ASCII
(xn--) form, Unicode in NFC. email-validator is the authority, but costs about
40 µs an address. Plain ASCII addresses that a strict pattern accepts are ones
email-validator accepts unchanged except for the lower-cased domain, so they skip
it; anything unusual (IDN, quoted local parts, odd lengths) still goes through it.
tests/test_addresses.py checks that the two agree.
"""

from __future__ import annotations

__all__ = ["AddressChecker", "given_address", "normalise_address", "split_mailbox"]

import re
import unicodedata
from email.utils import parseaddr

from dns.exception import DNSException
from dns.resolver import Resolver
from email_validator import EmailNotValidError, caching_resolver, validate_email

from newsletter.errors import SubscriberError
from newsletter.translate import _

# RFC 5322 dot-atom local part; a domain of LDH labels (RFC 1035) with an alphabetic
# top-level label. Labels with "--" (xn-- IDNs and the reserved form) take the slow path.
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_FAST = re.compile(rf"{_ATEXT}(?:\.{_ATEXT})*@(?:{_LABEL}\.)+[a-z]{{2,63}}", re.ASCII)
_SEPARATOR = re.compile(r"[,;\s]")
# email-validator refuses these special-use domains (RFC 6761) unless told otherwise.
_SPECIAL = frozenset({"arpa", "invalid", "local", "localhost", "onion", "test"})


def split_mailbox(value: str, /) -> tuple[str, str]:
    """(name, address) of `Anna Ek <anna@example.org>` as Outlook copies it; else ("", VALUE)."""
    value = value.strip()
    if value.endswith(">") and "<" in value:
        name, address = parseaddr(value)
        if address:
            return " ".join(name.split()), address
    return "", value


def normalise_address(
    value: str, /, *, check_dns: bool = False, resolver: Resolver | None = None
) -> str:
    """VALUE checked and normalised (domain lower-cased, IDN as xn--); ValueError if bad."""
    try:
        result = validate_email(value, check_deliverability=check_dns, dns_resolver=resolver)
    except EmailNotValidError as exc:
        raise ValueError(
            _("{value!r} is not a valid e-mail address: {exc}").format(value=value, exc=exc)
        ) from None
    # One spelling per mailbox, the one every SMTP server accepts and DSNs report back
    # (RFC 5890 A-labels): bücher.de and xn--bcher-kva.de must merge, and be suppressed as one.
    # A non-ASCII local part has no ASCII form (RFC 6531); it stays Unicode, NFC.
    return result.ascii_email or unicodedata.normalize("NFC", result.normalized)


def given_address(value: str, /) -> str:
    """An address an editor typed (also `Name <address>`), normalised; SubscriberError if bad."""
    try:
        return normalise_address(split_mailbox(value)[1])
    except ValueError as exc:
        raise SubscriberError(
            _("{exc}. Check the spelling.").format(exc=str(exc).rstrip("."))
        ) from None


class AddressChecker:
    """Normalises addresses, remembering each answer; `check_dns` also asks DNS for MX."""

    def __init__(self, *, check_dns: bool = False) -> None:
        self.check_dns = check_dns
        # One DNS question per domain, not per address, when DNS is asked at all.
        self._resolver = _resolver() if check_dns else None
        self._seen: dict[str, tuple[bool, str]] = {}

    def normalise(self, value: str, /) -> str:
        """The normalised address; ValueError with a plain message when it is not valid."""
        value = value.strip()
        if not self.check_dns and (fast := _fast_path(value)):
            return fast
        # Only the slow answers are remembered: caching the fast ones costs more memory than time.
        known = self._seen.get(value)
        if known is None:
            known = self._seen[value] = self._check(value)
        valid, text = known
        if not valid:
            raise ValueError(text)
        return text

    def _check(self, value: str) -> tuple[bool, str]:
        if value.count("@") > 1 and _SEPARATOR.search(value):
            return False, f"{value!r} holds more than one address: put each on a row of its own"
        try:
            return True, normalise_address(value, check_dns=self.check_dns, resolver=self._resolver)
        except ValueError as exc:
            return False, str(exc)


def _resolver() -> Resolver:
    try:
        return caching_resolver(timeout=10)
    except DNSException as exc:
        raise SubscriberError(_("cannot ask DNS (--check-dns): {exc}").format(exc=exc)) from None


def _fast_path(value: str) -> str | None:
    local, _at, domain = value.rpartition("@")
    domain = domain.lower()
    candidate = f"{local}@{domain}"
    if len(local) > 64 or len(candidate) > 254 or "--" in domain:
        return None
    if not _FAST.fullmatch(candidate) or domain.rpartition(".")[2] in _SPECIAL:
        return None
    return candidate
