"""Error pages: plain, in both languages when the reader's is unknown, never a traceback."""

from __future__ import annotations

__all__ = ["RETRY_AFTER", "error_page", "handlers", "server_error"]

import logging
from collections.abc import Mapping
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.types import ASGIApp, Scope

from newsletter.web import pages
from newsletter.web.database import Unavailable
from newsletter.web.middleware import redact

# The HTTP errors with words of their own; every other one reads as "page not found".
_KINDS = {405: "method", 413: "too_large"}
RETRY_AFTER = "30"  # seconds; a send's journal writes are short
log = logging.getLogger("newsletter.web")


def error_page(
    request: Request,
    kind: str,
    status: int,
    /,
    *,
    headers: Mapping[str, str] | None = None,
    language: str | None = None,
) -> HTMLResponse:
    """The error page of KIND, in LANGUAGE, or in every language when it is not known."""
    messages = pages.error_messages(kind, language)
    html = pages.page(
        "error.html",
        language=messages[0].language,
        root=_root(request),
        private=True,
        messages=messages,
    )
    response = HTMLResponse(html, status, headers=headers)
    response.headers["Cache-Control"] = "no-store"
    return response


def _root(request: Request) -> str:
    """The relative way up from the requested address to the site's root: "../../"."""
    path = request.url.path.removeprefix(request.scope.get("root_path", ""))
    return "../" * max(path.count("/") - 1, 0)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    kind = _KINDS.get(exc.status_code, "not_found")
    return error_page(request, kind, exc.status_code, headers=exc.headers)


async def _unavailable(request: Request, exc: Exception) -> Response:
    log.warning("%s %s: database unavailable: %s", request.method, redact(request.url.path), exc)
    return error_page(request, "busy", 503, headers={"Retry-After": RETRY_AFTER})


def server_error(scope: Scope) -> ASGIApp:
    """The answer to a request the application failed on (see PublicResponses)."""
    return error_page(Request(scope), "error", 500)


def handlers() -> dict[Any, Any]:
    return {HTTPException: _http_error, Unavailable: _unavailable}
