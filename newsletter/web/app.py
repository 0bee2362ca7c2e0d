"""The ASGI application of `newsletter serve`, made from a Config."""

from __future__ import annotations

__all__ = ["create_app"]

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
from starlette.applications import Starlette
from starlette.middleware import Middleware

from newsletter.audience.signuptokens import SignupSigner
from newsletter.audience.tokens import TokenSigner, load_secret
from newsletter.config import Config
from newsletter.web import browse, confirm, signup, unsubscribe
from newsletter.web.clients import ClientLimiter
from newsletter.web.database import Database
from newsletter.web.errors import handlers, server_error
from newsletter.web.middleware import PublicResponses
from newsletter.web.site import Site


def create_app(config: Config, /) -> Starlette:
    """The web side for CONFIG's newsletters, on the same state database as the CLI."""
    secret = load_secret(config)
    limiter = ClientLimiter(config.signup.per_client_per_hour)
    site = Site(config, Database(config), TokenSigner(secret), SignupSigner(secret), limiter)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(signup.purge_every_hour, site)
            yield
            tasks.cancel_scope.cancel()
        site.db.close()

    app = Starlette(
        # Sign-up's addresses (/KEY/subscribe) before the archive's /KEY/SLUG.
        routes=[*unsubscribe.ROUTES, *confirm.ROUTES, *signup.ROUTES, *browse.ROUTES],
        middleware=[Middleware(PublicResponses, failure=server_error)],
        exception_handlers=handlers(),
        lifespan=lifespan,
    )
    # starlette's own slash redirects are absolute, made from the client's Host header,
    # and lose a proxy's path prefix: browse.folder redirects relatively instead.
    app.router.redirect_slashes = False
    app.state.site = site
    return app
