"""Names that tell something by themselves: reserved example domains, this machine and
private networks, and the organisational domain of a name (the public-suffix list, as
shipped with the package: no download)."""

from __future__ import annotations

__all__ = ["host_of", "is_example", "is_local", "organisational_domain"]

import ipaddress
from functools import cache
from urllib.parse import urlsplit

from publicsuffixlist import PublicSuffixList

# RFC 2606 and RFC 6761: names for documentation and tests, which never reach anyone.
_EXAMPLE_DOMAINS = ("example.org", "example.com", "example.net")
_EXAMPLE_TLDS = ("test", "example", "invalid", "localhost")


def host_of(url: str) -> str:
    """The host name of URL, lower-case, without brackets or port."""
    try:
        return (urlsplit(url).hostname or "").rstrip(".")
    except ValueError:
        return ""


def is_example(host: str) -> bool:
    """Whether HOST is a reserved example name (example.org, *.test, *.invalid, ...)."""
    host = host.lower().rstrip(".")
    if host.rsplit(".", 1)[-1] in _EXAMPLE_TLDS:
        return True
    return any(host == d or host.endswith("." + d) for d in _EXAMPLE_DOMAINS)


def is_local(host: str) -> bool:
    """Whether HOST names this machine or a private network: nobody outside reaches it."""
    host = host.lower().rstrip(".").strip("[]")
    if host == "localhost" or host.endswith((".localhost", ".local", ".internal", ".lan")):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return not address.is_global


@cache
def _list() -> PublicSuffixList:
    return PublicSuffixList()


def organisational_domain(host: str) -> str:
    """The registered domain of HOST (`nyhetsbrev.skr.se` -> `skr.se`), as DMARC uses it."""
    host = host.lower().rstrip(".")
    return _list().privatesuffix(host) or host
