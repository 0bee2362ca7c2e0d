"""Visiting one address the way a reader's browser would, but briefly.

HEAD first, GET where HEAD is refused; redirects followed one hop at a time (each host
looked up through the check's resolver, so a name that does not exist is told apart from
a network that is not there); a few requests per host at a time; a short timeout. For an
image, its type, its size and its width from the first bytes.
"""

from __future__ import annotations

__all__ = ["Fetched", "Fetcher"]

import asyncio
import io
import ssl
import urllib.request
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urljoin

import httpx
import imagesize

from newsletter.review.check.network import Network
from newsletter.translate import _

Failure = Literal["", "dns", "connect", "timeout", "tls", "redirects", "other"]
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_MAX_HOPS = 10
_HEAD_BYTES = 65536  # enough of an image for its width (PNG, GIF, JPEG with EXIF)
_USER_AGENT = "newsletter-check/1 (link checker of a newsletter before its send)"


@dataclass(frozen=True, slots=True)
class Fetched:
    """What became of one address: the last answer, or why there was none."""

    url: str
    final_url: str
    status: int = 0  # the last HTTP status; 0 when no server answered
    reason: str = ""
    failure: Failure = ""
    detail: str = ""  # the failure in words
    content_type: str = ""
    size: int | None = None  # bytes, when known
    width: int | None = None  # pixels, for an image

    @property
    def ok(self) -> bool:
        return not self.failure and 200 <= self.status < 400


class Fetcher:
    """Fetches addresses concurrently: at most PER_HOST at a time to one host."""

    def __init__(self, network: Network, client: httpx.AsyncClient, *, per_host: int) -> None:
        self.network = network
        self.client = client
        self.per_host = per_host
        self.proxied = bool(urllib.request.getproxies().keys() & {"http", "https"})
        self._hosts: dict[str, asyncio.Semaphore] = {}

    @staticmethod
    def make_client(timeout: float) -> httpx.AsyncClient:
        """The HTTP client of one check: no cookies kept, the environment's proxy if any."""
        return httpx.AsyncClient(
            timeout=httpx.Timeout(timeout),
            headers={"User-Agent": _USER_AGENT, "Accept": "*/*"},
            follow_redirects=False,
            limits=httpx.Limits(max_connections=32, max_keepalive_connections=32),
        )

    async def fetch(self, url: str, /, *, image: bool = False) -> Fetched:
        """Follow URL to its last answer; for an IMAGE, read its type, size and width."""
        return (await self._follow(url, image=image, body=False))[0]

    async def read(self, url: str, /) -> tuple[Fetched, bytes]:
        """GET URL (redirects followed): the answer, and the first 64 KB of its body."""
        return await self._follow(url, image=False, body=True)

    async def _follow(self, url: str, *, image: bool, body: bool) -> tuple[Fetched, bytes]:
        current = url
        for _hop in range(_MAX_HOPS):
            try:
                response, head = await self._request(current, image=image, body=body)
            except _NoAnswer as exc:
                return Fetched(url, current, failure=exc.failure, detail=exc.detail), b""
            status = response.status_code
            location = response.headers.get("location")
            if status in _REDIRECTS and location:
                current = urljoin(current, location)
                continue
            return self._result(url, current, response, head if image else b""), head
        failed = Fetched(
            url, current, failure="redirects", detail=_("redirects more than 10 times")
        )
        return failed, b""

    def _result(self, url: str, final: str, response: httpx.Response, head: bytes) -> Fetched:
        size = response.headers.get("content-length")
        width = None
        if head:
            try:
                width = imagesize.get(io.BytesIO(head))[0]
            except (ValueError, OSError, IndexError):
                width = None
        return Fetched(
            url,
            final,
            response.status_code,
            response.reason_phrase,
            content_type=response.headers.get("content-type", "").split(";")[0].strip(),
            size=int(size) if size and size.isdigit() else None,
            width=width if width and width > 0 else None,
        )

    async def _request(self, url: str, *, image: bool, body: bool) -> tuple[httpx.Response, bytes]:
        target = httpx.URL(url)
        host = target.host
        lock = self._hosts.setdefault(host, asyncio.Semaphore(self.per_host))
        async with lock:
            request_url, headers, extensions = await self._route(target)
            if not (image or body):
                response = await self._send("HEAD", request_url, headers, extensions)
                # Some servers refuse HEAD (405, 501) or answer it wrongly: ask with GET.
                if response.status_code < 400 or response.status_code in _REDIRECTS:
                    return response, b""
            return await self._get(request_url, headers, extensions, read=image or body)

    async def _route(self, target: httpx.URL) -> tuple[httpx.URL, dict[str, str], dict[str, str]]:
        """Where to connect: the address our resolver found, the name kept for TLS and Host."""
        if self.proxied:
            return target, {}, {}  # the proxy looks the name up
        host = target.raw_host.decode("ascii")
        answer = await self.network.addresses(host)
        if answer.outcome != "ok":
            detail = (
                _("the name does not exist")
                if answer.outcome == "nxdomain"
                else (answer.detail or _("the name has no address"))
            )
            raise _NoAnswer("dns", f"{host}: {detail}")
        address = answer.records[0]
        netloc = f"[{address}]" if ":" in address else address
        headers = {"Host": target.netloc.decode("ascii")}
        return target.copy_with(host=netloc.strip("[]")), headers, {"sni_hostname": host}

    async def _send(
        self, method: str, url: httpx.URL, headers: dict[str, str], extensions: dict[str, str]
    ) -> httpx.Response:
        request = self.client.build_request(method, url, headers=headers, extensions=extensions)
        try:
            response = await self.client.send(request)
        except httpx.HTTPError as exc:
            raise _no_answer(exc) from None
        await response.aclose()
        self.network.answered = True
        return response

    async def _get(
        self, url: httpx.URL, headers: dict[str, str], extensions: dict[str, str], *, read: bool
    ) -> tuple[httpx.Response, bytes]:
        request = self.client.build_request("GET", url, headers=headers, extensions=extensions)
        try:
            response = await self.client.send(request, stream=True)
            self.network.answered = True
            try:
                moved = response.status_code in _REDIRECTS
                head = await _first_bytes(response) if read and not moved else b""
            finally:
                await response.aclose()
        except httpx.HTTPError as exc:
            raise _no_answer(exc) from None
        return response, head


async def _first_bytes(response: httpx.Response) -> bytes:
    buffer = bytearray()
    async for chunk in response.aiter_bytes():
        buffer += chunk
        if len(buffer) >= _HEAD_BYTES:
            break
    return bytes(buffer)


class _NoAnswer(Exception):
    def __init__(self, failure: Failure, detail: str) -> None:
        super().__init__(detail)
        self.failure, self.detail = failure, detail


def _no_answer(exc: httpx.HTTPError) -> _NoAnswer:
    if isinstance(exc, httpx.TimeoutException):
        return _NoAnswer("timeout", _("no answer in time"))
    cause = exc.__cause__ or exc.__context__
    while cause is not None and not isinstance(cause, ssl.SSLError):
        cause = cause.__cause__ or cause.__context__
    if isinstance(cause, ssl.SSLCertVerificationError):
        return _NoAnswer(
            "tls",
            _("its certificate is not valid ({verify_message})").format(
                verify_message=cause.verify_message
            ),
        )
    if isinstance(cause, ssl.SSLError):
        return _NoAnswer(
            "tls", _("the secure connection failed ({value})").format(value=cause.reason or cause)
        )
    if isinstance(exc, httpx.ConnectError):
        return _NoAnswer("connect", _("the connection was refused or the server cannot be reached"))
    return _NoAnswer("other", str(exc) or type(exc).__name__)
