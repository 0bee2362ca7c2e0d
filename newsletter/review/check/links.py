"""Links and images: every address visited at once, each answer turned into findings.

A 4xx or 5xx, a name that does not exist, a timeout: an error at the link's line. A
redirect to another address, an `http:` link where `https:` works, a login or a refusal of
checkers (401 aside: readers would need a login too): warnings. Images: an image type,
at most 1 MB, and at least as wide as they are shown. Reserved example domains are never
visited (content.example_domain warns about them).
"""

from __future__ import annotations

__all__ = ["IMAGE_LIMIT", "LinkCheck"]

import asyncio
from dataclasses import dataclass

from newsletter.review.check.cache import LinkCache
from newsletter.review.check.domains import host_of, is_example
from newsletter.review.check.fetch import Fetched, Fetcher
from newsletter.review.check.findings import Finding
from newsletter.review.check.targets import Target

IMAGE_LIMIT = 1 << 20
_NOT_DEFINITE = frozenset({403, 429})  # a checker refused, or too many requests at once


@dataclass(frozen=True, slots=True)
class _Visit:
    target: Target
    result: Fetched
    https: Fetched | None = None  # the https: version of an http: link


class LinkCheck:
    """Visits TARGETS (each address once) and judges the answers."""

    def __init__(self, targets: list[Target], fetcher: Fetcher, cache: LinkCache) -> None:
        self.targets = [t for t in targets if not is_example(host_of(t.url))]
        self.fetcher, self.cache = fetcher, cache
        self.visits: list[_Visit] = []
        self._running: dict[tuple[str, bool], asyncio.Task[Fetched]] = {}

    async def run(self) -> None:
        self.visits = list(await asyncio.gather(*(self._visit(t) for t in self.targets)))
        self.cache.save()

    def unreached(self) -> list[Target]:
        """The targets no server answered for (no name, no connection, no answer in time)."""
        return [v.target for v in self.visits if v.result.failure in _NETWORK]

    def findings(self, *, network_works: bool) -> list[Finding]:
        found: list[Finding] = []
        for visit in self.visits:
            if visit.result.failure in _NETWORK and not network_works:
                continue  # no network at all: said once, by the caller
            found += _judge(visit)
        return found

    async def _visit(self, target: Target) -> _Visit:
        image = target.kind == "image"
        result = await self._fetch(target.url, image=image)
        https = None
        if result.ok and _plain_http(target.url) and not _same_but_https(result):
            https = await self._fetch("https:" + target.url[5:], image=image)
        return _Visit(target, result, https)

    async def _fetch(self, url: str, *, image: bool) -> Fetched:
        key = (url, image)
        if key not in self._running:
            self._running[key] = asyncio.ensure_future(self._cached(url, image=image))
        return await asyncio.shield(self._running[key])

    async def _cached(self, url: str, *, image: bool) -> Fetched:
        cache_key = f"{'image' if image else 'page'} {url}"
        if (known := self.cache.get(cache_key)) is not None:
            return known
        result = await self.fetcher.fetch(url, image=image)
        self.cache.put(cache_key, result)
        return result


_NETWORK = frozenset({"dns", "connect", "timeout"})


def _judge(visit: _Visit) -> list[Finding]:
    target, result = visit.target, visit.result
    name = f"{target.what} {target.url}"
    if result.failure:
        return [
            Finding(
                "error",
                f"{target.kind}-unreachable",
                target.place,
                f"{name} cannot be reached: {result.detail}. Check the address; "
                "open it in a browser.",
            )
        ]
    if result.status >= 400:
        answer = f"{result.status} {result.reason}".strip()
        if result.status in _NOT_DEFINITE:
            return [
                Finding(
                    "warning",
                    "link-refused",
                    target.place,
                    f"{name} answers {answer} to the checker: it may refuse programs "
                    "but not browsers. Open it in a browser to be sure.",
                )
            ]
        return [
            Finding(
                "error",
                f"{target.kind}-broken",
                target.place,
                f"{name} answers {answer}: readers would find nothing there. "
                "Fix the address or remove the link.",
            )
        ]
    found = _moved(visit)
    if target.kind == "image":
        found += _image(target, result)
    return found


def _moved(visit: _Visit) -> list[Finding]:
    target, result = visit.target, visit.result
    if _same_but_https(result) or (visit.https is not None and visit.https.ok):
        https = "https:" + target.url[5:]
        return [
            Finding(
                "warning",
                "link-http",
                target.place,
                f"{target.what} {target.url} is an http: link, and {https} works: "
                "use the https address (readers' browsers warn about http).",
            )
        ]
    if result.final_url != result.url:
        return [
            Finding(
                "warning",
                "link-redirect",
                target.place,
                f"{target.what} {target.url} redirects to {result.final_url}: link to "
                "that address directly (a redirect may end at a login page or "
                "somewhere else next month).",
            )
        ]
    return []


def _image(target: Target, result: Fetched) -> list[Finding]:
    found: list[Finding] = []
    name = f"{target.what} {target.url}"
    if not result.content_type.startswith("image/"):
        shown = result.content_type or "no content type"
        return [
            Finding(
                "error",
                "image-type",
                target.place,
                f"{name} is not an image ({shown}): readers would see an empty "
                "box. Link the image file itself (.png, .jpg).",
            )
        ]
    if result.content_type == "image/svg+xml":
        found.append(
            Finding(
                "warning",
                "image-type",
                target.place,
                f"{name} is an SVG image, which Outlook and Gmail do not show: use a PNG or JPEG.",
            )
        )
    if result.size is not None and result.size > IMAGE_LIMIT:
        found.append(
            Finding(
                "warning",
                "image-size",
                target.place,
                f"{name} is {result.size / (1 << 20):.1f} MB: slow on a phone "
                "connection. Save it smaller (under 1 MB; 200 KB is plenty "
                "for 600 px).",
            )
        )
    if result.width and target.shown_width and result.width < target.shown_width:
        found.append(
            Finding(
                "warning",
                "image-width",
                target.place,
                f"{name} is {result.width} px wide but shown at "
                f"{target.shown_width} px: it will look blurred. Use one at "
                f"least {target.shown_width} px wide ({target.shown_width * 2} "
                "px for sharp screens), or give a smaller `width:`.",
            )
        )
    return found


def _plain_http(url: str) -> bool:
    """An http: address on the default port: its https: twin is worth a try."""
    return url.lower().startswith("http:") and ":" not in _host_port(url)


def _host_port(url: str) -> str:
    return url.split("://", 1)[-1].split("/", 1)[0].split("?", 1)[0].rsplit("@", 1)[-1]


def _same_but_https(result: Fetched) -> bool:
    return result.url.lower().startswith("http:") and result.final_url == "https:" + result.url[5:]
