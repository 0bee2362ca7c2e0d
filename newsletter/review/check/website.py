"""base_url and the web side behind it: the address every unsubscribe link points to.

For a real send it must be https and public (not this machine, not a private network);
`/health` of the running `newsletter serve` should answer; and the web side must check
links with the key this send signs them with, which it proves by the key's fingerprint
(newsletter.audience.tokens.key_fingerprint) without showing the key.
"""

from __future__ import annotations

__all__ = ["WebSideCheck", "base_url_findings"]

import ipaddress
import json
from typing import Any

from newsletter.config import Config
from newsletter.review.check.domains import host_of, is_example, is_local
from newsletter.review.check.fetch import Fetched, Fetcher
from newsletter.review.check.findings import Finding
from newsletter.review.check.network import DnsAnswer, Network
from newsletter.review.check.targets import config_place
from newsletter.translate import _


def base_url_findings(config: Config) -> list[Finding]:
    """What base_url shows by itself, without the network."""
    place, url = config_place(config, "base_url"), config.base_url
    host = host_of(url)
    found: list[Finding] = []
    if not url.startswith("https://"):
        found.append(
            Finding(
                "error",
                "base-url-insecure",
                place,
                _(
                    "{url} is not https: every unsubscribe link carries a token, and readers' "
                    "browsers warn about http. Set base_url to the public https address of "
                    "`newsletter serve`."
                ).format(url=url),
                real_send_only=True,
            )
        )
    if is_local(host):
        found.append(
            Finding(
                "error",
                "base-url-local",
                place,
                _(
                    "{url} is on this computer or a private network: readers cannot reach it to "
                    "unsubscribe. Set base_url to the public https address of `newsletter serve` "
                    "(docs/web.md)."
                ).format(url=url),
                real_send_only=True,
            )
        )
    elif is_example(host):
        found.append(
            Finding(
                "warning",
                "example-domain",
                place,
                _(
                    "{url} is at a reserved example domain: unsubscribe links and web versions "
                    "would lead nowhere. Set base_url to the public https address of `newsletter "
                    "serve`."
                ).format(url=url),
            )
        )
    return found


class WebSideCheck:
    """Asks the running web side at base_url how it is and which key it checks links with."""

    def __init__(self, config: Config, fetcher: Fetcher, network: Network, fingerprint: str):
        self.config, self.fetcher, self.network = config, fetcher, network
        self.fingerprint = fingerprint
        self.place = config_place(config, "base_url")
        self.host = host_of(config.base_url)
        self.skipped = is_example(self.host)
        self.answer: DnsAnswer | None = None
        self.health: tuple[Fetched, bytes] | None = None

    async def run(self) -> None:
        if self.skipped:
            return
        self.answer = await self.network.addresses(self.host)
        self.health = await self.fetcher.read(f"{self.config.base_url}/health")

    @property
    def unreached(self) -> bool:
        return self.health is not None and self.health[0].failure in {"dns", "connect", "timeout"}

    def findings(self, *, network_works: bool) -> list[Finding]:
        if self.health is None or (self.unreached and not network_works):
            return []
        found = self._private()
        result, body = self.health
        url = f"{self.config.base_url}/health"
        if result.failure:
            message = (
                f"{url} cannot be reached from here: {result.detail}. If the web side sits "
                "behind a VPN or a firewall that is fine; otherwise start `newsletter serve` there."
            )
            return [*found, self._warn("web-unreachable", message)]
        data = _json(body)
        if result.status != 200 or data.get("status") != "ok":
            problem = data.get("database") or f"{result.status} {result.reason}".strip()
            message = (
                f"{url} answers, but not as `newsletter serve` does when it can record "
                f"unsubscribes ({problem}). See docs/web.md, /health."
            )
            return [*found, self._warn("web-unhealthy", message)]
        return found + self._key(data.get("key"))

    def _private(self) -> list[Finding]:
        if self.answer is None or self.answer.outcome != "ok" or is_local(self.host):
            return []
        addresses = [ipaddress.ip_address(a) for a in self.answer.records]
        if all(not address.is_global for address in addresses):
            return [
                Finding(
                    "error",
                    "base-url-local",
                    self.place,
                    _(
                        "{host} resolves to a private address ({addresses}): readers outside your"
                        " network cannot reach it to unsubscribe. Publish `newsletter serve` at a"
                        " public address."
                    ).format(host=self.host, addresses=addresses[0]),
                    real_send_only=True,
                )
            ]
        return []

    def _key(self, theirs: Any) -> list[Finding]:
        if not isinstance(theirs, str):
            return [
                self._warn(
                    "web-key-unknown",
                    _(
                        "the web side does not say which key it checks unsubscribe links with (an"
                        " older version?): update it, then check again."
                    ),
                )
            ]
        if theirs != self.fingerprint:
            return [
                Finding(
                    "error",
                    "web-key",
                    self.place,
                    _(
                        "the web side checks unsubscribe links with another key (its fingerprint "
                        "{theirs}) than this send signs them with ({fingerprint}): every "
                        "unsubscribe would fail. Give `newsletter serve` the same "
                        "NEWSLETTER_SECRET (or the same secret.key) as `newsletter send`."
                    ).format(theirs=theirs, fingerprint=self.fingerprint),
                    real_send_only=True,
                )
            ]
        return []

    def _warn(self, code: str, message: str) -> Finding:
        return Finding("warning", code, self.place, message)


def _json(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}
