"""An HTTP server in the test process for the link check: pages that work, move, are gone,
fail or take their time, and images (a real PNG, one too large, a page posing as one).
Every request is counted, so a test can see what the check asked."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

from projects import ROOT
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route
from webserver import running

PNG = (ROOT / "tests" / "images" / "skr-vit.png").read_bytes()  # 376 px wide
PNG_WIDTH = 376
SLOW_SECONDS = 1.5


def app() -> Starlette:
    hits: Counter[str] = Counter()

    async def counted(request: Request) -> Response:
        hits[f"{request.method} {request.url.path}"] += 1
        name = request.url.path.strip("/")
        return await _ROUTES[name](request)

    application = Starlette(routes=[Route("/{name:path}", counted, methods=["GET", "HEAD"])])
    application.state.hits = hits
    return application


async def _ok(request: Request) -> Response:
    return HTMLResponse("<p>Välkommen</p>")


async def _moved(request: Request) -> Response:
    return RedirectResponse("/ok", status_code=301)


async def _gone(request: Request) -> Response:
    return HTMLResponse("<p>Sidan finns inte</p>", status_code=404)


async def _loop(request: Request) -> Response:
    return RedirectResponse("/loop", status_code=302)


async def _to_https(request: Request) -> Response:
    if request.url.scheme == "https":
        return await _ok(request)
    return RedirectResponse(str(request.url.replace(scheme="https", port=None)), status_code=301)


async def _broken(request: Request) -> Response:
    return HTMLResponse("<p>Internal Server Error</p>", status_code=500)


async def _slow(request: Request) -> Response:
    await asyncio.sleep(SLOW_SECONDS)
    return HTMLResponse("<p>Till slut</p>")


async def _no_head(request: Request) -> Response:
    if request.method == "HEAD":
        return Response(status_code=405)
    return HTMLResponse("<p>Bara GET</p>")


async def _image(request: Request) -> Response:
    return Response(PNG, media_type="image/png")


async def _huge(request: Request) -> Response:
    return Response(PNG + b"\0" * (1_100_000), media_type="image/png")


async def _not_image(request: Request) -> Response:
    return HTMLResponse("<p>Logga in</p>")


_ROUTES = {
    "ok": _ok,
    "moved": _moved,
    "gone": _gone,
    "broken": _broken,
    "loop": _loop,
    "to-https": _to_https,
    "slow": _slow,
    "no-head": _no_head,
    "image.png": _image,
    "huge.png": _huge,
    "not-image.png": _not_image,
}
_ROUTES.update({f"page/{n}": _ok for n in range(200)})


@contextmanager
def link_server() -> Iterator[tuple[str, Counter[str]]]:
    """The server on 127.0.0.1; yields its base URL and the count of requests per path."""
    application = app()
    with running(application) as url:
        yield url, application.state.hits


@contextmanager
def served_at(host: str, port: int, *, certificate: object | None = None) -> Iterator[Counter[str]]:
    """The link server on HOST:PORT (with TLS when given a trustme certificate)."""
    import tempfile
    import threading
    import time
    from pathlib import Path

    import uvicorn

    application = app()
    with tempfile.TemporaryDirectory() as folder:
        tls: dict[str, str] = {}
        if certificate is not None:
            chain, key = Path(folder) / "chain.pem", Path(folder) / "key.pem"
            certificate.cert_chain_pems[0].write_to_path(str(chain))  # type: ignore[attr-defined]
            certificate.private_key_pem.write_to_path(str(key))  # type: ignore[attr-defined]
            tls = {"ssl_certfile": str(chain), "ssl_keyfile": str(key)}
        config = uvicorn.Config(application, host=host, port=port, log_level="error", **tls)
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 10
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the test server did not start on {host}:{port}")
            time.sleep(0.01)
        try:
            yield application.state.hits
        finally:
            server.should_exit = True
            thread.join(10)
