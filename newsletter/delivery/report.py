"""What a run of a send did (RunReport), and where it stands while it runs (Progress)."""

from __future__ import annotations

__all__ = ["Progress", "RunReport"]

import time
from dataclasses import dataclass, field
from pathlib import Path

from newsletter.delivery import journal


@dataclass(frozen=True, slots=True)
class Progress:
    """Where a running send stands: reported a few times a second for the progress line."""

    sent: int
    failed: int
    retrying: int  # deferred messages waiting to be tried again
    uncertain: int  # connections lost after the data went out
    waiting: str  # why messages go slower than they could, in words ("" when they do not)

    @property
    def done(self) -> int:
        return self.sent + self.failed + self.uncertain


@dataclass(slots=True)
class RunReport:
    """What one run did."""

    sent: int = 0
    failed: int = 0
    failures: list[journal.Delivery] = field(default_factory=list)
    stopped: str | None = None  # the server's reply that stopped the send
    refused_alike: int = 0  # when it stopped after that many identical refusals in a row
    stalled: int = 0  # seconds the server kept asking to wait, when that stopped the send
    error: str | None = None  # a TransportError (or the journal's) that ended the run
    interrupted: bool = False  # Ctrl-C: the messages in flight were finished
    aborted: bool = False  # a second Ctrl-C: messages in flight left uncertain
    send: journal.Send | None = None
    transport: str = ""  # where the messages went, e.g. "smtp.example.org:587 (STARTTLS)"
    receipts: tuple[Path, ...] = ()  # written when the send is finished
    # Connections lost after a message's data went out: it may or may not have arrived.
    uncertain: list[journal.Delivery] = field(default_factory=list)
    deferred: int = 0  # attempts deferred (4xx, a connection lost before the data)
    retrying: int = 0  # deferred messages still waiting when the run ended: queued again
    # When the journal could not be written: results it does not hold (its rows still say
    # `sending`, uncertain).
    unrecorded: list[journal.Delivery] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # e.g. the backup after the send failed
    commits: int = 0  # journal transactions during the run
    first: float = 0.0  # time.perf_counter() when the first message was handed over
    last: float = 0.0  # ... and when the last reply came
    helper: bool = False  # the messages were built in a helper process
    cpu: tuple[float, float] = (0.0, 0.0)  # time.process_time() at those moments (benchmarks)

    @property
    def seconds(self) -> float:
        """From the first message handed over to the last reply."""
        return max(self.last - self.first, 0.0)

    @property
    def cpu_seconds(self) -> float:
        """Processor time of this process from the first hand-over to the last reply."""
        return max(self.cpu[1] - self.cpu[0], 0.0)

    def begin(self) -> None:
        if not self.first:
            self.first = time.perf_counter()
            self.cpu = (time.process_time(), 0.0)

    def end(self) -> None:
        self.last = time.perf_counter()

    def ended(self) -> None:
        """The run is over: the processor time up to now counts."""
        self.cpu = (self.cpu[0], time.process_time())

    def progress(self, retrying: int, waiting: str) -> Progress:
        return Progress(self.sent, self.failed, retrying, len(self.uncertain), waiting)
