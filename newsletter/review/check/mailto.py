"""mailto: links and the newsletter's own addresses: their domains take mail (RFC 5321 5.1:
an MX record, else an address; RFC 7505: a null MX takes none)."""

from __future__ import annotations

__all__ = ["MailtoCheck"]

import asyncio

from newsletter.review.check.domains import is_example
from newsletter.review.check.findings import Finding
from newsletter.review.check.network import DnsAnswer, Network
from newsletter.review.check.targets import Target
from newsletter.translate import _


class MailtoCheck:
    """Looks up the mail servers of every mailto: domain once."""

    def __init__(self, targets: list[Target], network: Network) -> None:
        self.network = network
        self.targets = [t for t in targets if not is_example(_domain(t.url))]
        self.answers: dict[str, tuple[DnsAnswer, DnsAnswer | None]] = {}

    async def run(self) -> None:
        domains = sorted({_domain(t.url) for t in self.targets} - {""})
        found = await asyncio.gather(*(self._lookup(d) for d in domains))
        self.answers = dict(zip(domains, found, strict=True))

    async def _lookup(self, domain: str) -> tuple[DnsAnswer, DnsAnswer | None]:
        mx = await self.network.lookup(domain, "MX")
        return mx, (await self.network.addresses(domain) if mx.outcome == "nodata" else None)

    def findings(self, *, network_works: bool) -> list[Finding]:
        if not network_works:
            return []
        found = []
        for target in self.targets:
            mx, address = self.answers.get(_domain(target.url), (DnsAnswer("failed"), None))
            problem = _problem(mx, address)
            if problem:
                address_text = target.url.removeprefix("mailto:").split("?")[0]
                found.append(
                    Finding(
                        "error",
                        "mailto-domain",
                        target.place,
                        _(
                            "{what} {address_text}: {problem}, so mail to it would bounce. Check "
                            "the address."
                        ).format(what=_(target.what), address_text=address_text, problem=problem),
                    )
                )
        return found


def _problem(mx: DnsAnswer, address: DnsAnswer | None) -> str:
    if mx.outcome == "nxdomain":
        return _("its domain does not exist")
    # A null MX is "0 ." (the root as exchange): its text here is the preference alone.
    if mx.outcome == "ok" and all(len(record.split()) == 1 for record in mx.records):
        return _("its domain takes no mail (a null MX record)")
    if address is not None and address.outcome in {"nxdomain", "nodata"}:
        return _("its domain has no mail server (no MX record, no address)")
    return ""


def _domain(url: str) -> str:
    return url.removeprefix("mailto:").split("?", 1)[0].rpartition("@")[2].lower()
