"""The network as the check sees it: DNS through dnspython, and whether anything answered.

Only a definite answer counts against the issue: a name a working resolver says does not
exist, a server's 404. When nothing resolves and nothing answers (a machine without
internet, CI), the online checks say so once instead. Every name is looked up through
one resolver (the system's, or `[check] nameservers`), once per check.
"""

from __future__ import annotations

__all__ = ["DnsAnswer", "Network"]

import asyncio
import ipaddress
from dataclasses import dataclass, field
from typing import Literal, TypeVar

import dns.asyncresolver
import dns.exception
import dns.nameserver
import dns.resolver

from newsletter.config import CheckSettings
from newsletter.translate import _

Outcome = Literal["ok", "nxdomain", "nodata", "failed"]


@dataclass(frozen=True, slots=True)
class DnsAnswer:
    """What the resolver said about one name and type."""

    outcome: Outcome
    records: tuple[str, ...] = ()
    detail: str = ""  # why it failed: "timed out", "the servers refused"


@dataclass
class Network:
    """One resolver for a whole check, and what the network has shown of itself so far."""

    settings: CheckSettings
    timeout: float
    resolved: bool = False  # some name had records: the resolver works
    answered: bool = False  # some web server answered: the internet is there
    unconfigured: str = ""  # why there is no resolver at all
    _answers: dict[tuple[str, str], asyncio.Task[DnsAnswer]] = field(default_factory=dict)
    _resolver: dns.asyncresolver.Resolver | None = None

    def __post_init__(self) -> None:
        try:
            self._resolver = _configure(dns.asyncresolver.Resolver, self.settings, self.timeout)
        except dns.resolver.NoResolverConfiguration:
            self.unconfigured = _("no DNS server is configured (/etc/resolv.conf)")

    @property
    def works(self) -> bool:
        """Whether anything was found out there: only then is a failure the issue's."""
        return self.resolved or self.answered

    def sync_resolver(self) -> dns.resolver.Resolver:
        """The same resolver for code that looks up names itself (SPF's library)."""
        return _configure(dns.resolver.Resolver, self.settings, self.timeout)

    async def lookup(self, name: str, rdtype: str) -> DnsAnswer:
        """NAME's records of RDTYPE (A, AAAA, TXT, MX), looked up once per check."""
        key = (name.lower().rstrip("."), rdtype)
        if key not in self._answers:
            self._answers[key] = asyncio.ensure_future(self._lookup(*key))
        return await asyncio.shield(self._answers[key])

    async def addresses(self, host: str) -> DnsAnswer:
        """The IPv4 addresses of HOST, else its IPv6 ones; an IP address stands for itself."""
        try:
            return DnsAnswer("ok", (str(ipaddress.ip_address(host.strip("[]"))),))
        except ValueError:
            pass
        if host.lower().rstrip(".") == "localhost" or host.lower().endswith(".localhost"):
            return DnsAnswer("ok", ("127.0.0.1",))  # RFC 6761 6.3: never asked of DNS
        found = await self.lookup(host, "A")
        if found.outcome == "nodata":
            return await self.lookup(host, "AAAA")
        return found

    async def _lookup(self, name: str, rdtype: str) -> DnsAnswer:
        if self._resolver is None:
            return DnsAnswer("failed", detail=self.unconfigured)
        try:
            answer = await self._resolver.resolve(name, rdtype, search=False)
        except dns.resolver.NXDOMAIN:
            return DnsAnswer("nxdomain")
        except dns.resolver.NoAnswer:
            self.resolved = True  # the name exists
            return DnsAnswer("nodata")
        except dns.exception.Timeout:
            return DnsAnswer("failed", detail=_("the DNS server did not answer in time"))
        except (dns.resolver.NoNameservers, dns.exception.DNSException, OSError) as exc:
            return DnsAnswer("failed", detail=_short(exc))
        self.resolved = True
        return DnsAnswer("ok", tuple(_text(rdata) for rdata in answer))


R = TypeVar("R", dns.resolver.Resolver, dns.asyncresolver.Resolver)


def _configure(cls: type[R], settings: CheckSettings, timeout: float) -> R:
    servers = settings.nameserver_list
    resolver = cls(configure=not servers)
    if servers:
        resolver.nameservers = [dns.nameserver.Do53Nameserver(h, p) for h, p in servers]
    resolver.lifetime = min(timeout, 5.0)
    resolver.timeout = min(timeout, 2.0)
    return resolver


def _text(rdata: object) -> str:
    strings = getattr(rdata, "strings", None)
    if strings is not None:  # TXT: one record may come in several strings (RFC 7208 3.3)
        return b"".join(strings).decode("utf-8", "replace")
    return str(rdata).rstrip(".")


def _short(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text if len(text) <= 160 else text[:159] + "…"
