"""The pool's pace when a server asks it to slow down, and the retry queue's due times."""

import pytest

from newsletter.delivery.journal import Row
from newsletter.delivery.pace import Pace
from newsletter.delivery.replies import classify, fewer_connections, throttles
from newsletter.delivery.retries import Retries


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def row(seq: int) -> Row:
    return Row(seq, f"p{seq}@example.org", "", {})


@pytest.mark.parametrize(
    ("code", "text"),
    [
        (421, "4.7.0 Try again later, closing connection."),  # Gmail
        (450, "4.2.1 The user you are trying to contact is receiving mail at a rate"),  # Gmail
        (451, "4.7.500 Server busy. Please try again later from [192.0.2.1]"),  # Exchange Online
        (432, "4.3.2 STOREDRV.ClientSubmit; sender thread limit exceeded"),  # Exchange Online
        (452, "4.7.1 Error: too much mail from 192.0.2.1"),  # Postfix's anvil
        (451, "Too many connections, slow down"),
    ],
)
def test_replies_that_ask_for_a_slower_sender(code: int, text: str) -> None:
    assert throttles(code, text)
    assert classify(code, text).throttled


@pytest.mark.parametrize(
    ("code", "text"),
    [
        (450, "4.2.0 Greylisted, see https://postgrey.schweikert.ch/help/example.org"),
        (451, "4.3.0 Error: queue file write error"),
        (452, "4.2.2 Mailbox full"),
    ],
)
def test_replies_about_one_message_only(code: int, text: str) -> None:
    assert not throttles(code, text)
    assert classify(code, text) == classify(code, text).__class__("deferred", f"{code} {text}")


def test_too_many_connections_is_told_apart() -> None:
    assert fewer_connections("4.3.2 STOREDRV.ClientSubmit; sender thread limit exceeded")
    assert fewer_connections("4.7.0 Too many concurrent connections from this client")
    assert not fewer_connections("4.7.500 Server busy. Please try again later")


def test_a_throttle_halves_the_connections_then_spaces_the_messages() -> None:
    clock = Clock()
    pace = Pace(8, clock=clock)
    assert not pace.slowed and pace.describe() == ""
    for expected in (4, 2, 1):
        assert pace.throttled("451 4.7.500 Server busy", pace.epoch)
        assert (pace.connections, pace.spacing) == (expected, 0.0)
    assert pace.throttled("451 4.7.500 Server busy", pace.epoch)
    assert pace.connections == 1 and pace.spacing == pytest.approx(0.1)
    assert pace.throttled("451 4.7.500 Server busy", pace.epoch)
    assert pace.spacing == pytest.approx(0.2)
    assert "451 4.7.500 Server busy" in pace.describe()
    assert "1 of 8 connection(s), one message every 0.2 s" in pace.describe()


def test_replies_to_messages_started_before_a_slow_down_count_once() -> None:
    pace = Pace(8, clock=Clock())
    started = pace.epoch  # eight messages go out at the old pace, and all meet the throttle
    assert pace.throttled("421 4.7.0 Try again later", started)
    assert not any(pace.throttled("421 4.7.0 Try again later", started) for _ in range(7))
    assert pace.connections == 4


def test_accepted_messages_win_the_pace_back_round_by_round() -> None:
    clock = Clock()
    pace = Pace(4, clock=clock)
    for _ in range(3):
        pace.throttled("421 4.7.0 Try again later", pace.epoch)
    assert (pace.connections, pace.spacing) == (1, pytest.approx(0.1))
    steps = []
    for _ in range(40):
        clock.now += 0.01
        if pace.accepted():
            steps.append((pace.connections, round(pace.spacing, 3)))
    # The spacing goes first (halved until it is below the natural gap), then one more
    # connection a round of messages, up to the ceiling.
    assert steps[0] == (1, 0.05) and steps[-1] == (4, 0.0)
    assert [connections for connections, _ in steps] == sorted(c for c, _ in steps)
    assert not pace.slowed and pace.reason == ""


def test_too_many_connections_lowers_the_ceiling_for_good() -> None:
    pace = Pace(8, clock=Clock())
    pace.limit(3, "421 4.7.0 Too many concurrent connections from this client")
    assert (pace.ceiling, pace.connections) == (3, 3)
    for _ in range(20):
        pace.accepted()
    assert pace.connections == 3


def test_a_deferred_row_waits_longer_each_time_and_fails_at_the_fifth() -> None:
    clock = Clock()
    retries = Retries(delay=2.0, clock=clock)
    waits = []
    for _ in range(4):
        assert retries.defer(row(1), "451 4.3.0 Try again later", throttled=False)
        waits.append(retries.wait())
        assert retries.due() is None
        clock.now += retries.wait() or 0.0
        assert retries.due() == row(1)
    assert waits == [2.0, 4.0, 8.0, 16.0]
    assert not retries.defer(row(1), "451 4.3.0 Try again later", throttled=False)
    assert len(retries) == 0 and retries.tries(1) == 5


def test_throttle_deferrals_do_not_count_against_the_address() -> None:
    clock = Clock()
    retries = Retries(delay=1.0, clock=clock)
    waits = []
    for _ in range(8):
        assert retries.defer(row(7), "421 4.7.0 Try again later", throttled=True)
        waits.append(retries.wait())
        clock.now += retries.wait() or 0.0
        assert retries.due() == row(7)
    assert waits == [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 32.0, 32.0]
    assert retries.tries(7) == 0


def test_rows_come_due_in_their_order_and_the_wait_is_told() -> None:
    clock = Clock()
    retries = Retries(delay=1.0, clock=clock)
    retries.defer(row(2), "451 4.3.0 later", throttled=False)
    clock.now += 1.0
    assert retries.due() == row(2)
    retries.defer(row(2), "451 4.3.0 later", throttled=False)  # its second deferral: 2 s
    retries.defer(row(1), "451 4.3.0 later", throttled=False)
    told = "2 to try again, the next in 1 s (the server said '451 4.3.0 later')"
    assert retries.describe() == told
    clock.now += 1.0
    assert retries.due() == row(1) and retries.due() is None
    clock.now += 1.0
    assert retries.due() == row(2) and retries.wait() is None
