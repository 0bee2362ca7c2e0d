"""How fast messages may go: per second, and per minute, hour and day for relays with quotas.

Exchange Online, for one, accepts 30 messages a minute and 10,000 a day from a mailbox
and answers more with errors. The minute, hour and day limits are sliding windows
(the last 60 s, 3,600 s, 86,400 s), as the relays count them; the per-second limit
spaces messages evenly, and so does the spacing a pool's pace sets when the server asks
it to slow down. One limiter is shared by every connection of a pool; while it holds
messages back, `waiting` says which limit and until when, for the progress line.
"""

from __future__ import annotations

__all__ = ["RateLimiter"]

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime, timedelta

from newsletter.config import SmtpSettings

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]
_NAMES = {60.0: "per_minute", 3600.0: "per_hour", 86400.0: "per_day"}
_UNITS = {60.0: "a minute", 3600.0: "an hour", 86400.0: "a day"}


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
        self.spacing = 0.0  # seconds between messages the pool's pace asks for, besides these
        self.waiting = ""  # why a message waits right now ("" when none does)

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
        return not (self._interval or self._windows or self.spacing)

    async def acquire(self) -> None:
        """Wait for a free place under every limit, and take it."""
        if self.unlimited:
            return
        # One waiter at a time: the others queue behind it in order.
        async with self._lock:
            while (wait := self._wait(self._clock())) > 0:
                self.waiting = self._why(wait)
                await self._sleep(wait)
            self.waiting = ""
            now = self._clock()
            self._next = now + max(self._interval, self.spacing)
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

    def _why(self, wait: float) -> str:
        """Which quota holds the next message back for WAIT seconds, in words ("" for none)."""
        now = self._clock()
        for length, limit, times in self._windows:
            if len(times) >= limit and times[0] + length - now >= wait - 1e-9:
                at = datetime.now() + timedelta(seconds=wait)
                return (
                    f"waiting: the relay's quota of {limit:,} messages {_UNITS[length]} "
                    f"(smtp.{_NAMES[length]}) is used up; the next goes at {at:%H:%M:%S}"
                )
        return ""  # spacing alone: the pace and per_second say so themselves
