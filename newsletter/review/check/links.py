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
from newsletter.translate import _

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
    name = f"{_(target.what)} {target.url}"
    if result.failure:
        return [
            Finding(
                "error",
                f"{target.kind}-unreachable",
                target.place,
                _(
                    "{name} cannot be reached: {detail}. Check the address; open it in a browser."
                ).format(name=name, detail=result.detail),
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
                    _(
                        "{name} answers {answer} to the checker: it may refuse programs but not "
                        "browsers. Open it in a browser to be sure."
                    ).format(name=name, answer=answer),
                )
            ]
        return [
            Finding(
                "error",
                f"{target.kind}-broken",
                target.place,
                _(
                    "{name} answers {answer}: readers would find nothing there. Fix the address "
                    "or remove the link."
                ).format(name=name, answer=answer),
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
                _(
                    "{what} {url} is an http: link, and {https} works: use the https address "
                    "(readers' browsers warn about http)."
                ).format(what=_(target.what), url=target.url, https=https),
            )
        ]
    if result.final_url != result.url:
        return [
            Finding(
                "warning",
                "link-redirect",
                target.place,
                _(
                    "{what} {url} redirects to {final_url}: link to that address directly (a "
                    "redirect may end at a login page or somewhere else next month)."
                ).format(what=_(target.what), url=target.url, final_url=result.final_url),
            )
        ]
    return []


def _image(target: Target, result: Fetched) -> list[Finding]:
    found: list[Finding] = []
    name = f"{_(target.what)} {target.url}"
    if not result.content_type.startswith("image/"):
        shown = result.content_type or "no content type"
        return [
            Finding(
                "error",
                "image-type",
                target.place,
                _(
                    "{name} is not an image ({shown}): readers would see an empty box. Link the "
                    "image file itself (.png, .jpg)."
                ).format(name=name, shown=shown),
            )
        ]
    if result.content_type == "image/svg+xml":
        found.append(
            Finding(
                "warning",
                "image-type",
                target.place,
                _(
                    "{name} is an SVG image, which Outlook and Gmail do not show: use a PNG or "
                    "JPEG."
                ).format(name=name),
            )
        )
    if result.size is not None and result.size > IMAGE_LIMIT:
        found.append(
            Finding(
                "warning",
                "image-size",
                target.place,
                _(
                    "{name} is {size:.1f} MB: slow on a phone connection. Save it smaller (under "
                    "1 MB; 200 KB is plenty for 600 px)."
                ).format(name=name, size=result.size / (1 << 20)),
            )
        )
    if result.width and target.shown_width and result.width < target.shown_width:
        found.append(
            Finding(
                "warning",
                "image-width",
                target.place,
                _(
                    "{name} is {width} px wide but shown at {shown_width} px: it will look "
                    "blurred. Use one at least {shown_width} px wide ({shown_width2} px for sharp"
                    " screens), or give a smaller `width:`."
                ).format(
                    name=name,
                    width=result.width,
                    shown_width=target.shown_width,
                    shown_width2=target.shown_width * 2,
                ),
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
