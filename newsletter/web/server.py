"""uvicorn, set up as `newsletter serve` runs it."""

from __future__ import annotations

__all__ = ["BACKLOG", "LOGGING", "listen", "make_server"]

import socket
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


# A burst of one-click requests (a provider working through its queue) waits in the
# kernel's queue rather than being refused.
BACKLOG = 4096


def listen(host: str, port: int, /) -> socket.socket:
    """A listening TCP socket on HOST:PORT (0: any free port); OSError when it cannot be had."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP, not 0: asyncio switches Nagle's algorithm off only on sockets that say
    # they are TCP, and with it on every response waits ~40 ms for a delayed ACK.
    listener = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((host, port))
        listener.listen(BACKLOG)
    except OSError:
        listener.close()
        raise
    return listener


def make_server(
    app: ASGIApp,
    /,
    *,
    log_config: dict[str, Any] | None = LOGGING,
    trusted_proxies: list[str] | None = None,
) -> uvicorn.Server:
    """A server for APP; run it with `.run(sockets=[...])` on a socket bound beforehand.

    X-Forwarded-For and X-Forwarded-Proto are believed from TRUSTED_PROXIES only (None:
    uvicorn's default, FORWARDED_ALLOW_IPS or this machine); the client is then the first
    address from the right that is no trusted proxy, which a client cannot forge.
    """
    return uvicorn.Server(
        uvicorn.Config(
            app,
            log_config=log_config,
            access_log=False,
            server_header=False,
            lifespan="on",
            backlog=BACKLOG,
            forwarded_allow_ips=trusted_proxies,
        )
    )
