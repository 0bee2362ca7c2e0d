"""The confirmation link of a sign-up: GET `/c/TOKEN` shows one button, POST confirms.

GET never changes anything: mail scanners and link previews fetch every link in a
message, and a sign-up someone else made for an address must not be confirmed by the
recipient's spam filter. Only the button (a POST) makes the reader a subscriber.
"""

from __future__ import annotations

__all__ = ["ROUTES"]

import datetime as dt
import time
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from newsletter.audience import signups
from newsletter.errors import TokenError
from newsletter.state import Connection
from newsletter.web import pages
from newsletter.web.errors import error_page
from newsletter.web.site import site

# A confirmation is one press of a button: no body worth reading.
_MAX_BODY = 8 * 1024


async def show(request: Request) -> Response:
    found = _verified(request)
    if found is None:
        return _invalid(request)
    newsletter, address_id = found
    state = await site(request).db.run(lambda db: signups.lookup(db, newsletter, address_id))
    if state is None:
        return _invalid(request)
    if state[0] == "confirmed":
        return _page(request, "confirmed.html", newsletter, state[1], already=True, blocked=False)
    action = quote(request.path_params["token"])
    return _page(request, "confirm.html", newsletter, state[1], action=action)


async def confirm(request: Request) -> Response:
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > _MAX_BODY:
            return error_page(request, "too_large", 413)
    found = _verified(request)
    if found is None:
        return _invalid(request)
    here, (newsletter, address_id) = site(request), found

    def run(db: Connection) -> signups.Confirmation | None:
        moment = dt.datetime.fromtimestamp(time.time(), dt.UTC)
        signups.purge(db, expiry_days=here.config.signup.expiry_days, now=moment)
        return signups.confirm(db, newsletter, address_id, now=moment)

    done = await here.db.run(run)
    if done is None:
        return _invalid(request)
    return _page(request, "confirmed.html", newsletter, done.language, already=done.already,
                 blocked=done.blocked)  # fmt: skip


def _verified(request: Request) -> tuple[str, str] | None:
    """(newsletter, address_id) of a genuine, unexpired token of a configured newsletter."""
    here = site(request)
    max_age = here.config.signup.expiry_days * 86400
    try:
        newsletter, address_id = here.signup.verify_confirmation(
            request.path_params["token"], now=time.time(), max_age=max_age
        )
    except TokenError:
        return None
    return (newsletter, address_id) if newsletter in here.config.newsletters else None


def _page(request: Request, template: str, key: str, language: str, **context: Any) -> Response:
    newsletter = site(request).config.newsletter(key)
    html = pages.page(
        template,
        language=language if language in pages.LANGUAGES else newsletter.language,
        root="../",
        private=True,
        newsletter=newsletter,
        **context,
    )
    return HTMLResponse(html, headers={"Cache-Control": "no-store", "X-Robots-Tag": "noindex"})


def _invalid(request: Request) -> Response:
    # One answer for a forged, a cut, an expired and an already erased link.
    return error_page(request, "confirm_invalid", 404)


ROUTES: list[Any] = [
    Route("/c/{token}", show, methods=["GET", "HEAD"]),
    Route("/c/{token}", confirm, methods=["POST"]),
]
