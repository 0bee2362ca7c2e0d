"""The public archive as `newsletter serve` shows it: front page, issues, calendars, feeds."""

from __future__ import annotations

__all__ = ["ROUTES"]

from typing import Any, TypeVar
from urllib.parse import quote

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import (
    HTMLResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
)
from starlette.routing import Route

from newsletter.delivery import archive
from newsletter.web import documents, pages
from newsletter.web.feed import CONTENT_TYPE as FEED_TYPE
from newsletter.web.health import health
from newsletter.web.site import site

# Published issues change rarely; a proxy or browser may keep them for a few minutes.
_CACHE = {"Cache-Control": "public, max-age=300"}
CALENDAR_TYPE = "text/calendar; charset=utf-8"
T = TypeVar("T")


async def front(request: Request) -> Response:
    return HTMLResponse(documents.front_page(site(request).config), headers=_CACHE)


async def newsletter_archive(request: Request) -> Response:
    here, key = site(request), request.path_params["newsletter"]
    html = _found(await here.db.run(lambda db: documents.archive_page(here.config, db, key)))
    return HTMLResponse(html, headers=_CACHE)


async def feed(request: Request) -> Response:
    here, key = site(request), request.path_params["newsletter"]
    xml = _found(await here.db.run(lambda db: documents.feed(here.config, db, key)))
    return Response(xml, media_type=FEED_TYPE, headers=_CACHE)


async def issue(request: Request) -> Response:
    here, params = site(request), request.path_params
    found = _found(
        await here.db.run(lambda db: archive.web_version(db, params["newsletter"], params["slug"]))
    )
    headers = {**_CACHE, "Content-Security-Policy": documents.ISSUE_POLICY}
    return HTMLResponse(found, headers=headers)


async def calendar(request: Request) -> Response:
    here, params = site(request), request.path_params
    ics = _found(
        await here.db.run(
            lambda db: archive.calendar_file(
                db, params["newsletter"], params["slug"], params["filename"]
            )
        )
    )
    disposition = f'attachment; filename="{params["filename"]}"'
    return Response(
        ics, media_type=CALENDAR_TYPE, headers={**_CACHE, "Content-Disposition": disposition}
    )


async def stylesheet(request: Request) -> Response:
    return Response(pages.stylesheet(), media_type="text/css", headers=_CACHE)


async def robots(request: Request) -> Response:
    # Unsubscribe and confirmation pages are nobody's business but the subscriber's: keep
    # them out of search.
    return PlainTextResponse("User-agent: *\nDisallow: /u/\nDisallow: /c/\n", headers=_CACHE)


async def folder(request: Request) -> Response:
    """/NEWSLETTER and /NEWSLETTER/SLUG typed without their last slash: on to the page.

    The address given is relative ("2020-06/"): it holds under any path prefix of a
    proxy, and never repeats the request's Host header (which a client chooses).
    """
    here, params = site(request), request.path_params
    key, slug = params["newsletter"], params.get("slug")
    if slug is None:
        exists = key in here.config.newsletters
    else:
        exists = await here.db.run(lambda db: archive.issue(db, key, slug)) is not None
    if not exists:
        raise HTTPException(404)
    return RedirectResponse(f"{quote(slug or key)}/", 301, headers=_CACHE)


def _found(value: T | None) -> T:
    if value is None:
        raise HTTPException(404)
    return value


ROUTES: list[Any] = [
    Route("/", front, methods=["GET", "HEAD"]),
    Route("/health", health, methods=["GET", "HEAD"]),
    Route("/robots.txt", robots, methods=["GET", "HEAD"]),
    Route(f"/{pages.STYLESHEET}", stylesheet, methods=["GET", "HEAD"]),
    Route("/{newsletter}/", newsletter_archive, methods=["GET", "HEAD"]),
    Route("/{newsletter}/feed.atom", feed, methods=["GET", "HEAD"]),
    Route("/{newsletter}/{slug}/", issue, methods=["GET", "HEAD"]),
    Route("/{newsletter}/{slug}/{filename}", calendar, methods=["GET", "HEAD"]),
    Route("/{newsletter}", folder, methods=["GET", "HEAD"]),
    Route("/{newsletter}/{slug}", folder, methods=["GET", "HEAD"]),
]
