"""uvicorn, set up as `newsletter serve` runs it."""

from __future__ import annotations

__all__ = ["BACKLOG", "LOGGING", "listen", "make_server"]

import socket
from typing import Any

import uvicorn
from starlette.types import ASGIApp

from newsletter.web.connections import ACCEPT_BATCH, KEEP_ALIVE, GuardedH11, max_connections

# uvicorn's own access log would print client addresses and unsubscribe tokens;
# newsletter.web logs each request with the token redacted instead.
# Every line through SafeFormatter (control characters escaped: a request path cannot
# forge a line) and OncePerInterval (running out of file descriptors is logged once a
# minute, not once per connection).
LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {
            "()": "newsletter.web.logs.SafeFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s: %(message)s",
        }
    },
    "filters": {"resources": {"()": "newsletter.web.logs.OncePerInterval"}},
    "handlers": {
        "stderr": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["resources"],
        }
    },
    "loggers": {
        "uvicorn": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
        "uvicorn.access": {"level": "WARNING"},
        # The event loop reports failed accept() calls (EMFILE) here.
        "asyncio": {"handlers": ["stderr"], "level": "WARNING", "propagate": False},
        "newsletter.web": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
    },
}


# A burst of one-click requests (a provider working through its queue) waits in the
# kernel's queue rather than being refused.
BACKLOG = 4096


class _Server(uvicorn.Server):
    """uvicorn's server, accepting at most ACCEPT_BATCH connections an event-loop turn.

    asyncio accepts up to its `backlog` connections in one go before any of them is set
    up: with 4096, a burst takes every free file descriptor, accept() fails (EMFILE) and
    asyncio stops accepting for a second at a time. So uvicorn is given ACCEPT_BATCH as
    its backlog, and the kernel's queue is set back to BACKLOG once it listens.
    """

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        for sock in sockets or []:
            sock.listen(BACKLOG)


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

    Connections are bounded by the open-files limit and idle time (see connections):
    many slow clients cannot starve the others or the process of file descriptors.
    X-Forwarded-For and X-Forwarded-Proto are believed from TRUSTED_PROXIES only (None:
    uvicorn's default, FORWARDED_ALLOW_IPS or this machine); the client is then the first
    address from the right that is no trusted proxy, which a client cannot forge.
    """
    return _Server(
        uvicorn.Config(
            app,
            http=GuardedH11,
            log_config=log_config,
            access_log=False,
            server_header=False,
            lifespan="on",
            backlog=ACCEPT_BATCH,
            limit_concurrency=max_connections(),
            timeout_keep_alive=KEEP_ALIVE,
            forwarded_allow_ips=trusted_proxies,
        )
    )
