"""The rate limiter on a fake clock: what it lets through, not how long a test takes."""

import asyncio
import itertools
from collections.abc import Callable

from newsletter.config import SmtpSettings
from newsletter.delivery.ratelimit import RateLimiter


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


def times_of(count: int, make: Callable[[FakeClock], RateLimiter], tasks: int = 1) -> list[float]:
    """When each of COUNT messages was let through, from TASKS concurrent senders."""
    clock = FakeClock()
    limiter = make(clock)
    times: list[float] = []

    async def sender(share: int) -> None:
        for _ in range(share):
            await limiter.acquire()
            times.append(clock.now)

    async def run() -> None:
        shares = [count // tasks + (n < count % tasks) for n in range(tasks)]
        await asyncio.gather(*(sender(share) for share in shares))

    asyncio.run(run())
    return sorted(times)


def most_in_any_window(times: list[float], length: float) -> int:
    return max(sum(1 for t in times if start <= t < start + length) for start in times)


def test_exchange_online_30_a_minute() -> None:
    times = times_of(100, lambda c: RateLimiter(per_minute=30, clock=c, sleep=c.sleep), tasks=4)
    assert most_in_any_window(times, 60.0) == 30
    # 30 at once, 30 a minute later, and so on: the 100th goes at 3 minutes.
    assert times[29] == 0.0 and times[30] == 60.0 and times[-1] == 180.0


def test_per_second_spaces_the_messages() -> None:
    times = times_of(11, lambda c: RateLimiter(per_second=5, clock=c, sleep=c.sleep), tasks=3)
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    assert all(abs(gap - 0.2) < 1e-9 for gap in gaps)
    assert abs(times[-1] - 2.0) < 1e-9


def test_the_daily_quota_waits_for_the_oldest_to_age_out() -> None:
    times = times_of(
        10_003,
        lambda c: RateLimiter(per_minute=30_000, per_day=10_000, clock=c, sleep=c.sleep),
    )
    assert times[9_999] == 0.0
    assert times[10_000] == 86_400.0 and times[-1] == 86_400.0


def test_every_limit_at_once() -> None:
    times = times_of(
        50,
        lambda c: RateLimiter(per_second=2, per_minute=20, per_hour=45, clock=c, sleep=c.sleep),
        tasks=5,
    )
    assert most_in_any_window(times, 60.0) <= 20
    assert most_in_any_window(times, 3600.0) <= 45
    assert times[44] < 3600.0 <= times[45]


def test_no_limit_never_waits() -> None:
    clock = FakeClock()
    limiter = RateLimiter.from_settings(SmtpSettings(), clock=clock, sleep=clock.sleep)
    assert limiter.unlimited
    times = times_of(1000, lambda c: RateLimiter(clock=c, sleep=c.sleep), tasks=4)
    assert times[-1] == 0.0


def test_the_settings_limits() -> None:
    settings = SmtpSettings(per_minute=30, per_day=10_000)
    clock = FakeClock()
    limiter = RateLimiter.from_settings(settings, clock=clock, sleep=clock.sleep)

    async def run() -> None:
        for _ in range(31):
            await limiter.acquire()

    asyncio.run(run())
    assert clock.now == 60.0


def test_messages_sent_by_earlier_runs_count_against_the_windows() -> None:
    def seeded(clock: FakeClock) -> RateLimiter:
        clock.now = 1000.0
        limiter = RateLimiter(per_minute=30, per_day=100, clock=clock, sleep=clock.sleep)
        # 30 sent 50 s ago fill the minute; 60 more earlier today count for the day.
        limiter.seed([50.0] * 30 + [7200.0] * 60 + [90000.0] * 500)
        return limiter

    times = times_of(20, seeded)
    # The minute frees 10 s later; the day has room for 10 more only, until the 60 sent
    # two hours before the start are a day old.
    assert times[:10] == [1010.0] * 10
    assert times[10:] == [1000.0 - 7200.0 + 86400.0] * 10
    assert RateLimiter(per_hour=5).window == 3600.0 and RateLimiter(per_second=5).window == 0.0


def test_a_used_up_quota_is_said_in_words_while_it_waits() -> None:
    clock = FakeClock()
    said: list[str] = []
    limiter: RateLimiter

    async def sleep(seconds: float) -> None:
        said.append(limiter.waiting)  # what the progress line shows meanwhile
        await clock.sleep(seconds)

    limiter = RateLimiter(per_hour=2, clock=clock, sleep=sleep)

    async def run() -> None:
        for _ in range(3):
            await limiter.acquire()

    asyncio.run(run())
    assert len(said) == 1 and clock.now == 3600.0
    assert said[0].startswith("waiting: the relay's quota of 2 messages an hour (smtp.per_hour)")
    assert "is used up; the next goes at " in said[0]
    assert limiter.waiting == ""
