"""The per-client limit of sign-ups: a sliding hour, refusals logged once, bounded memory."""

from __future__ import annotations

from newsletter.web.clients import ClientLimiter, Verdict


def test_a_client_gets_its_limit_in_any_hour_and_is_told_when_to_come_back() -> None:
    limiter = ClientLimiter(3)
    assert [limiter.hit("a", now=t).allowed for t in (0, 10, 20)] == [True] * 3
    assert limiter.hit("a", now=30) == Verdict(False, 3570, first_refusal=True)
    assert limiter.hit("a", now=40) == Verdict(False, 3560, first_refusal=False)
    assert limiter.hit("b", now=40).allowed  # another client is not held back
    # Refusals are not counted: once the first sign-up is an hour old, one more may come.
    assert limiter.hit("a", now=3600).allowed
    assert not limiter.hit("a", now=3601).allowed


def test_a_new_spell_of_refusals_is_logged_again() -> None:
    limiter = ClientLimiter(1, window=100)
    limiter.hit("a", now=0)
    assert limiter.hit("a", now=1).first_refusal
    assert not limiter.hit("a", now=50).first_refusal
    assert limiter.hit("a", now=100).allowed
    assert limiter.hit("a", now=101).first_refusal


def test_memory_is_bounded_by_the_number_of_clients() -> None:
    limiter = ClientLimiter(2, window=3600, max_clients=100)
    for number in range(1000):
        limiter.hit(f"client{number}", now=number)
    assert len(limiter._hits) <= 101
    # Those seen last are still counted.
    limiter.hit("client999", now=1000)
    assert not limiter.hit("client999", now=1001).allowed
    # Clients whose hour is over are forgotten even below the bound.
    small = ClientLimiter(2, window=10)
    small.hit("old", now=0)
    small.hit("new", now=20)
    assert list(small._hits) == ["new"]
