"""The unsubscribe address: GET shows a page, POST unsubscribes (RFC 8058), undo resubscribes.

GET never changes anything: mail scanners and link previews fetch every link in a
message. POST is what a mail provider's one-click unsubscribe sends (with the body
`List-Unsubscribe=One-Click`) and what the page's button sends: both unsubscribe at
once, without cookie, login or redirect.
"""

from __future__ import annotations

__all__ = ["ROUTES"]

import functools
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import parse_qsl, quote

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from newsletter.audience import suppression, unsubscribes
from newsletter.audience.tokens import TokenSigner
from newsletter.config import Config
from newsletter.errors import TokenError
from newsletter.state import Connection
from newsletter.web import pages
from newsletter.web.errors import error_page
from newsletter.web.site import site

# Enough for any form a mail provider sends; more is not an unsubscribe request.
_MAX_BODY = 8 * 1024
# Where the pages' buttons post, relative to /u/TOKEN: the pages work under any prefix.
_HERE = "{token}"
_UNDO = "{token}/undo"
T = TypeVar("T")


async def show(request: Request) -> Response:
    found = await _by_token(request, unsubscribes.lookup)
    if found is None:
        return _invalid(request)
    subscription, language = found
    if subscription.unsubscribed:
        return _page(request, "unsubscribed.html", subscription.newsletter, language, _UNDO)
    return _page(request, "unsubscribe.html", subscription.newsletter, language, _HERE)


async def unsubscribe(request: Request) -> Response:
    body = await _body(request)
    if body is None:
        return error_page(request, "too_large", 413)
    source = "one-click" if _is_one_click(request, body) else "web page"
    done = await _by_token(request, functools.partial(unsubscribes.unsubscribe, source=source))
    if done is None:
        return _invalid(request)
    return _page(request, "unsubscribed.html", done[0].newsletter, done[1], _UNDO)


async def undo(request: Request) -> Response:
    done = await _by_token(request, _undo)
    if done is None:
        return _invalid(request)
    (undone, blocked), language = done
    return _page(request, "resubscribed.html", undone.newsletter, language, _HERE, blocked=blocked)


def _undo(
    config: Config, db: Connection, token: str, /, *, signer: TokenSigner
) -> tuple[unsubscribes.Unsubscribed, bool]:
    """Undo, and whether the address stays suppressed for another reason (a bounce, say):
    the page must not promise the newsletter to someone it will not reach."""
    undone = unsubscribes.undo(config, db, token, signer=signer)
    blocked = suppression.is_suppressed(db, undone.address, newsletter=undone.newsletter)
    return undone, blocked


async def _by_token(request: Request, operation: Callable[..., T]) -> tuple[T, str] | None:
    """OPERATION(config, db, token, signer=...) and the reader's language, in the database's
    thread; None for a bad token."""
    here, token = site(request), request.path_params["token"]

    def run(db: Connection) -> tuple[T, str]:
        result = operation(here.config, db, token, signer=here.signer)
        # The operation has verified the token: it names a configured newsletter.
        newsletter, address_id = here.signer.verify(token)
        return result, unsubscribes.reader_language(here.config, db, newsletter, address_id)

    try:
        return await here.db.run(run)
    except TokenError:
        return None


async def _body(request: Request) -> bytes | None:
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > _MAX_BODY:
            return None
    return body


def _is_one_click(request: Request, body: bytes) -> bool:
    # RFC 8058 3.1: the body is `List-Unsubscribe=One-Click`, sent as multipart/form-data
    # or as application/x-www-form-urlencoded. Any POST here unsubscribes; this only
    # tells the suppression list where the request came from.
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        return b'name="List-Unsubscribe"' in body and b"One-Click" in body
    fields = parse_qsl(body.decode("latin-1"))
    return ("List-Unsubscribe", "One-Click") in fields


def _page(
    request: Request, template: str, key: str, language: str, action: str, **context: Any
) -> Response:
    newsletter = site(request).config.newsletter(key)
    # A page at /u/TOKEN/undo is one folder deeper: its buttons post to ../TOKEN.
    up = "../" if request.url.path.endswith("/undo") else ""
    action = up + action.format(token=quote(request.path_params["token"]))
    html = pages.page(
        template,
        language=language if language in pages.LANGUAGES else newsletter.language,
        root=f"{up}../",
        private=True,
        newsletter=newsletter,
        action=action,
        **context,
    )
    return HTMLResponse(html, headers={"Cache-Control": "no-store", "X-Robots-Tag": "noindex"})


def _invalid(request: Request) -> Response:
    # The same answer for a forged token and for a genuine one of nobody known here:
    # it tells nothing about who is or was a subscriber.
    return error_page(request, "invalid", 404)


ROUTES: list[Any] = [
    Route("/u/{token}", show, methods=["GET", "HEAD"]),
    Route("/u/{token}", unsubscribe, methods=["POST"]),
    # The undo page's address, opened again from the history or a bookmark: GET changes
    # nothing, so it shows where the reader stands, as /u/TOKEN does.
    Route("/u/{token}/undo", show, methods=["GET", "HEAD"]),
    Route("/u/{token}/undo", undo, methods=["POST"]),
]
