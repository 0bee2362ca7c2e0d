"""What every response gets: security headers, and an access log without personal data."""

from __future__ import annotations

__all__ = ["PAGE_POLICY", "AccessLog", "SecurityHeaders", "harden", "redact"]

import logging
import re
import time

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Our own pages: a stylesheet from here, forms posting here, no script anywhere.
PAGE_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)

_TOKEN = re.compile(r"^(/u/)[^/]+")
log = logging.getLogger("newsletter.web")


def redact(path: str) -> str:
    """PATH with an unsubscribe token left out: the token stands for an address."""
    return _TOKEN.sub(r"\1…", path)


def harden(headers: MutableHeaders, /, *, https: bool) -> None:
    """Add the security headers; a response may have set its own Content-Security-Policy."""
    headers.setdefault("Content-Security-Policy", PAGE_POLICY)
    headers["X-Content-Type-Options"] = "nosniff"
    headers["X-Frame-Options"] = "DENY"
    # Unsubscribe addresses carry a token: no page of ours passes them on.
    headers["Referrer-Policy"] = "no-referrer"
    headers["Cross-Origin-Opener-Policy"] = "same-origin"
    if https:
        # RFC 6797 7.2: browsers ignore it over plain http; send it over https only.
        headers["Strict-Transport-Security"] = "max-age=31536000"


class SecurityHeaders:
    """Hardens every response (see harden)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        https = scope.get("scheme") == "https"

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                harden(MutableHeaders(scope=message), https=https)
            await send(message)

        await self.app(scope, receive, with_headers)


class AccessLog:
    """One line per request: method, path (token redacted), status, time. No client address."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500  # what the client gets if the application fails before answering

        async def record(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, record)
        finally:
            elapsed = (time.perf_counter() - start) * 1000
            path = redact(scope["path"])
            log.info("%s %s %d %.1fms", scope["method"], path, status, elapsed)
