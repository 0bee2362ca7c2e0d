"""What every response gets: security headers, and an access log without personal data."""

from __future__ import annotations

__all__ = ["PAGE_POLICY", "PublicResponses", "harden", "redact"]

import logging
import re
import time
from collections.abc import Callable

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from newsletter.web.logs import escape

# Our own pages: a stylesheet from here, forms posting here, no script anywhere.
PAGE_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)

# Anywhere in the path: a proxy that keeps its prefix (/nyhetsbrev/u/TOKEN) or a doubled
# slash still brings the token here, if only to a 404. /c/ is a sign-up's confirmation link.
_TOKEN = re.compile(r"(/[uc]/)[^/]+")
log = logging.getLogger("newsletter.web")


def redact(path: str) -> str:
    """PATH with an unsubscribe or confirmation token left out (it stands for an address),
    and its control characters escaped: `%0d%0a` in a request cannot write a line of its
    own."""
    return escape(_TOKEN.sub(r"\1…", path))


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


class PublicResponses:
    """Hardens every response (see harden) and logs it: method, path with the token
    redacted, status, time taken. No client address, no token, no e-mail address."""

    def __init__(self, app: ASGIApp, *, failure: Callable[[Scope], ASGIApp]) -> None:
        self.app = app
        self.failure = failure  # the answer when the application fails

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        https = scope.get("scheme") == "https"
        status, started, logged = 500, False, False

        def record() -> None:
            nonlocal logged
            logged = True
            elapsed = (time.perf_counter() - start) * 1000
            method, path = escape(scope["method"]), redact(scope["path"])
            log.info("%s %s %d %.1fms", method, path, status, elapsed)

        async def respond(message: Message) -> None:
            nonlocal status, started
            if message["type"] == "http.response.start":
                status, started = message["status"], True
                harden(MutableHeaders(scope=message), https=https)
            elif message["type"] == "http.response.body" and not message.get("more_body"):
                record()  # before the client has the answer: the log is never behind
            await send(message)

        try:
            await self.app(scope, receive, respond)
        except Exception:
            log.exception("%s %s failed", escape(scope["method"]), redact(scope["path"]))
            if started:
                raise  # half an answer cannot be mended; the server drops the connection
            # Answered here, not re-raised as starlette's error middleware does: the
            # server would then close the connection under the client's feet.
            await self.failure(scope)(scope, receive, respond)
        finally:
            if not logged:
                record()
