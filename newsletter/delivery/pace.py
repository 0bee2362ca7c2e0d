"""How hard a pool may push a server that asks it to slow down: connections, then spacing.

A throttle reply (newsletter.delivery.replies.throttles) halves the connections in use, and
once one connection is left, doubles the spacing between messages; messages accepted in a
row win it back step by step. As TCP's congestion control does, only a reply to a message
started after the last slow-down counts: the messages already in flight were sent at the
old pace, and one crowded moment is answered once, not once per message that met it.
"""

from __future__ import annotations

__all__ = ["Pace"]

import math
import time
from collections.abc import Callable

Clock = Callable[[], float]

_FIRST_SPACING = 0.1  # seconds, when no gap between accepted messages is known yet
_LONGEST_SPACING = 60.0


class Pace:
    """Connections and spacing for a pool of CEILING connections."""

    def __init__(self, ceiling: int, /, *, clock: Clock = time.monotonic) -> None:
        self.ceiling = ceiling
        self.connections = ceiling
        self.spacing = 0.0  # seconds between the starts of two messages; 0: none
        self.epoch = 0  # counts slow-downs; an attempt notes the one it started in
        self.reason = ""  # the reply that made it slow down, while it is slower than it may be
        self._clock = clock
        self._calm = 0  # messages accepted since the last change
        self._gap = 0.0  # the average time between two accepted messages
        self._last = 0.0

    @property
    def slowed(self) -> bool:
        return self.connections < self.ceiling or self.spacing > 0

    def throttled(self, reply: str, epoch: int, /) -> bool:
        """A throttle REPLY to a message started in EPOCH; True when it slowed down."""
        if epoch < self.epoch:
            return False
        self.epoch += 1
        self._calm = 0
        self.reason = reply
        if self.connections > 1:
            self.connections = max(1, self.connections // 2)
        else:
            first = 2 * self._gap if self._gap else _FIRST_SPACING
            self.spacing = min(_LONGEST_SPACING, max(2 * self.spacing, first))
        return True

    def limit(self, connections: int, reply: str, /) -> None:
        """The server takes no more than CONNECTIONS at once (it said REPLY): the ceiling."""
        self.ceiling = max(1, min(self.ceiling, connections))
        self.connections = min(self.connections, self.ceiling)
        self.reason = reply

    def accepted(self) -> bool:
        """A message was accepted; True when that won back a connection or spacing."""
        now = self._clock()
        if self._last:
            gap = now - self._last
            self._gap = 0.9 * self._gap + 0.1 * gap if self._gap else gap
        self._last = now
        self._calm += 1
        # A round of messages (as many as connections, at least two) accepted in a row.
        if self._calm < max(2, self.connections) or not self.slowed:
            return False
        self._calm = 0
        if self.spacing:
            self.spacing /= 2
            if self.spacing < self._gap / 2 or self.spacing < 0.001:
                self.spacing = 0.0
        else:
            self.connections += 1
        if not self.slowed:
            self.reason = ""
        return True

    def describe(self) -> str:
        """What the slow-down is, in words for the progress line ("" when there is none)."""
        if not self.slowed:
            return ""
        pace = f"{self.connections} of {self.ceiling} connection(s)"
        if self.spacing:
            pace += f", one message every {_seconds(self.spacing)}"
        return f"slower: the server said {self.reason!r}; {pace}"


def _seconds(value: float) -> str:
    return f"{value:.1f} s" if value < 10 else f"{math.ceil(value)} s"
