"""How fast messages may go: per second, and per minute, hour and day for relays with quotas.

Exchange Online, for one, accepts 30 messages a minute and 10,000 a day from a mailbox
and answers more with errors. The minute, hour and day limits are sliding windows
(the last 60 s, 3,600 s, 86,400 s), as the relays count them; the per-second limit
spaces messages evenly. One limiter is shared by every connection of a pool.
"""

from __future__ import annotations

__all__ = ["RateLimiter"]

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable

from newsletter.config import SmtpSettings

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


class RateLimiter:
    """acquire() waits until one more message keeps within every limit; 0 means no limit."""

    def __init__(
        self,
        *,
        per_second: float = 0,
        per_minute: int = 0,
        per_hour: int = 0,
        per_day: int = 0,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._interval = 1 / per_second if per_second else 0.0
        self._windows = [
            (length, limit, deque[float]())
            for length, limit in ((60.0, per_minute), (3600.0, per_hour), (86400.0, per_day))
            if limit
        ]
        self._clock = clock
        self._sleep = sleep
        self._next = float("-inf")
        self._lock = asyncio.Lock()

    @classmethod
    def from_settings(
        cls,
        settings: SmtpSettings,
        /,
        *,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> RateLimiter:
        return cls(
            per_second=settings.per_second,
            per_minute=settings.per_minute,
            per_hour=settings.per_hour,
            per_day=settings.per_day,
            clock=clock,
            sleep=sleep,
        )

    def seed(self, ages: Iterable[float], /) -> None:
        """Count messages sent AGES seconds ago (by earlier runs) against the windows.

        A relay's quota counts every message from the mailbox, not those of this run: a
        send resumed, or another issue sent the same day, must not go over it.
        """
        now = self._clock()
        for when in sorted(now - age for age in ages if age >= 0):
            for length, _, times in self._windows:
                if when > now - length:
                    times.append(when)

    @property
    def window(self) -> float:
        """The longest sliding window in seconds (0 without minute, hour or day limits)."""
        return max((length for length, _, _ in self._windows), default=0.0)

    @property
    def unlimited(self) -> bool:
        return not (self._interval or self._windows)

    async def acquire(self) -> None:
        """Wait for a free place under every limit, and take it."""
        if self.unlimited:
            return
        # One waiter at a time: the others queue behind it in order.
        async with self._lock:
            while (wait := self._wait(self._clock())) > 0:
                await self._sleep(wait)
            now = self._clock()
            self._next = now + self._interval
            for _, _, times in self._windows:
                times.append(now)

    def _wait(self, now: float) -> float:
        """Seconds until the next message may go (≤ 0: now)."""
        wait = self._next - now
        for length, limit, times in self._windows:
            while times and times[0] <= now - length:
                times.popleft()
            if len(times) >= limit:
                wait = max(wait, times[0] + length - now)
        return wait
