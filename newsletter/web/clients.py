"""How many sign-ups one client may post in an hour: a sliding window per client, in memory.

A client is the keyed tag of its address (SignupSigner.client_tag): the address itself
is neither kept nor logged. Behind a reverse proxy the address is the one the proxy
names in X-Forwarded-For, which uvicorn believes only from the trusted proxies
(`[web] trusted_proxies`). The counts live in the server's memory: a restart forgets
them, which costs an attacker a restart they cannot cause.
"""

from __future__ import annotations

__all__ = ["ClientLimiter", "Verdict"]

import math
from collections import OrderedDict, deque
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Verdict:
    allowed: bool
    retry_after: int = 0  # seconds until the client may sign up again
    first_refusal: bool = False  # the first refusal since the client went over: log it


class ClientLimiter:
    """At most LIMIT hits per client in any WINDOW seconds; MAX_CLIENTS bounds the memory."""

    def __init__(self, limit: int, /, *, window: float = 3600.0, max_clients: int = 100_000):
        self.limit = limit
        self.window = window
        self.max_clients = max_clients
        # Least recently seen first: the oldest entries are the first to be dropped.
        self._hits: OrderedDict[str, deque[float]] = OrderedDict()
        self._refusing: dict[str, float] = {}  # client -> until when its refusals are known

    def hit(self, client: str, /, *, now: float) -> Verdict:
        """Count one sign-up of CLIENT at NOW, or refuse it (refusals are not counted)."""
        self._forget_old(now)
        hits = self._hits.pop(client, None) or deque()
        while hits and hits[0] <= now - self.window:
            hits.popleft()
        self._hits[client] = hits
        if len(hits) < self.limit:
            hits.append(now)
            return Verdict(True)
        until = hits[0] + self.window
        first = self._refusing.get(client, 0.0) <= now
        self._refusing[client] = until
        return Verdict(False, max(1, math.ceil(until - now)), first)

    def _forget_old(self, now: float) -> None:
        while self._hits:
            client, hits = next(iter(self._hits.items()))
            if len(self._hits) <= self.max_clients and hits and hits[-1] > now - self.window:
                break
            del self._hits[client]
        if len(self._refusing) > self.max_clients:
            self._refusing = {c: t for c, t in self._refusing.items() if t > now}
