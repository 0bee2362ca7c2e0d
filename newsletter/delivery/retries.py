"""Messages to try again later, each at its due time, while the others go on.

A deferred message (a 4xx reply, a connection lost before its data went out) waits
DELAY, then 2, 4, 8 × DELAY (2, 4, 8, 16 s by default) before its next attempt; after
ATTEMPTS deferrals it has failed. A deferral because the server wants us slower
(a throttle reply) says nothing about the address: it does not count against those
attempts, and it waits up to 32 × DELAY. Only the row is kept, not the built message:
a long list of deferrals costs little memory, and the message is built again when due.
"""

from __future__ import annotations

__all__ = ["ATTEMPTS", "Retries"]

import heapq
import itertools
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from newsletter.delivery.journal import Row

ATTEMPTS = 5
_LONGEST_THROTTLED = 5  # doublings of DELAY at most, when the server wants us slower


@dataclass(order=True, slots=True)
class _Waiting:
    due: float
    order: int
    row: Row = field(compare=False)


class Retries:
    """The deferred rows, by due time."""

    def __init__(
        self, *, delay: float, attempts: int = ATTEMPTS, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.delay, self.attempts = delay, attempts
        self._clock = clock
        self._heap: list[_Waiting] = []
        self._faults: dict[int, int] = {}  # seq -> deferrals counted against the address
        self._throttled: dict[int, int] = {}  # seq -> deferrals because of the server's pace
        self._order = itertools.count()
        self.last_reply = ""

    def __len__(self) -> int:
        return len(self._heap)

    def defer(self, row: Row, reply: str, /, *, throttled: bool) -> bool:
        """Try ROW again later; False when it has had its attempts (it failed)."""
        self.last_reply = reply
        if throttled:
            count = self._throttled[row.seq] = self._throttled.get(row.seq, 0) + 1
            wait = self.delay * 2 ** min(count - 1, _LONGEST_THROTTLED)
        else:
            count = self._faults[row.seq] = self._faults.get(row.seq, 0) + 1
            if count >= self.attempts:
                return False
            wait = self.delay * 2 ** (count - 1)
        heapq.heappush(self._heap, _Waiting(self._clock() + wait, next(self._order), row))
        return True

    def tries(self, seq: int, /) -> int:
        """How many of SEQ's attempts were deferred for its own sake."""
        return self._faults.get(seq, 0)

    def due(self) -> Row | None:
        """The next row whose time has come, taken out; None when none has."""
        if self._heap and self._heap[0].due <= self._clock():
            return heapq.heappop(self._heap).row
        return None

    def wait(self) -> float | None:
        """Seconds until the next row is due (0 when one is), None when none waits."""
        return max(0.0, self._heap[0].due - self._clock()) if self._heap else None

    def describe(self) -> str:
        """The wait, in words for the progress line ("" when nothing waits)."""
        wait = self.wait()
        if wait is None:
            return ""
        return (
            f"{len(self._heap)} to try again, the next in {math.ceil(wait)} s "
            f"(the server said {self.last_reply!r})"
        )
