"""uvicorn, set up as `newsletter serve` runs it."""

from __future__ import annotations

__all__ = ["LOGGING", "make_server"]

from typing import Any

import uvicorn
from starlette.types import ASGIApp

# uvicorn's own access log would print client addresses and unsubscribe tokens;
# newsletter.web logs each request with the token redacted instead.
LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "loggers": {
        "uvicorn": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
        "uvicorn.access": {"level": "WARNING"},
        "newsletter.web": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
    },
}


def make_server(app: ASGIApp, /, *, log_config: dict[str, Any] | None = LOGGING) -> uvicorn.Server:
    """A server for APP; run it with `.run(sockets=[...])` on a socket bound beforehand."""
    return uvicorn.Server(
        uvicorn.Config(
            app,
            log_config=log_config,
            access_log=False,
            server_header=False,
            lifespan="on",
            # A burst of one-click requests (a provider working through its queue) waits
            # in the kernel's queue rather than being refused.
            backlog=4096,
        )
    )
