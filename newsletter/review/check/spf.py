"""Whether SPF lets a relay's addresses send for an envelope sender: pyspf (the reference
implementation of RFC 7208), its lookups through the check's resolver."""

from __future__ import annotations

__all__ = ["Verdict", "evaluate"]

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import dns.exception
import dns.resolver
import spf as pyspf

from newsletter.translate import _

# pyspf looks names up through its module-level DNSLookup: one evaluation at a time.
_LOCK = threading.Lock()


@dataclass(frozen=True, slots=True)
class Verdict:
    address: str  # the relay address judged (the first one that passes, else the last)
    result: str  # pass, fail, softfail, neutral, none, permerror, temperror
    explanation: str


def evaluate(
    resolver: dns.resolver.Resolver, addresses: Sequence[str], *, sender: str, relay: str
) -> Verdict:
    """SPF's verdict on SENDER's mail from the first of ADDRESSES that passes."""
    verdict = Verdict("", "none", "")
    with _LOCK:
        original = pyspf.DNSLookup
        pyspf.DNSLookup = _lookup_with(resolver)
        try:
            for address in addresses:
                result, _code, explanation = pyspf.query(
                    i=address, s=sender, h=relay, querytime=int(resolver.lifetime) or 5
                ).check()
                verdict = Verdict(address, str(result), str(explanation))
                if result == "pass":
                    break
        finally:
            pyspf.DNSLookup = original
    return verdict


def _lookup_with(resolver: dns.resolver.Resolver) -> Any:
    def lookup(name: str, qtype: str, strict: bool = True, timeout: float = 30) -> list[Any]:
        # The shape pyspf's own DNSLookup_dnspython returns: ((name, type), data).
        try:
            answer = resolver.resolve(name, qtype, search=False)
        except (dns.resolver.NoAnswer, dns.resolver.NXDOMAIN):
            return []
        except dns.exception.DNSException as exc:
            raise pyspf.TempError(_("DNS {exc}").format(exc=exc)) from None
        found: list[Any] = []
        for rdata in answer:
            if qtype in ("A", "AAAA"):
                found.append(((name, qtype), rdata.address))
            elif qtype == "MX":
                found.append(((name, qtype), (rdata.preference, rdata.exchange)))
            elif qtype == "PTR":
                found.append(((name, qtype), rdata.target.to_text(True)))
            elif qtype in ("TXT", "SPF"):
                found.append(((name, qtype), rdata.strings))
        return found

    return lookup
