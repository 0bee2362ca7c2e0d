"""`newsletter serve --workers N`: N processes answering on one listening socket.

The socket is bound once; each worker is a fork that runs its own server (and its own
connections to the database) on it, and the kernel hands each new connection to one of
them. Ctrl+C reaches every process of the terminal; a SIGTERM to this one is passed on.
A worker that ends by itself after it has served a while is replaced; one that ends at
once would end again, so the others are stopped and the command fails.
"""

from __future__ import annotations

__all__ = ["MIN_LIFE", "run_workers"]

import contextlib
import logging
import os
import signal
import time
from collections.abc import Callable

MIN_LIFE = 5.0  # seconds a worker must have run to be replaced when it ends
_log = logging.getLogger("newsletter.web")


def run_workers(serve: Callable[[], None], count: int, /) -> int:
    """Run SERVE in COUNT forked processes until they stop; 0, or 1 when one failed at once."""
    started: dict[int, float] = {}
    stopping = False

    def stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True
        for pid in started:
            _signal(pid, signal.SIGTERM)

    previous = {s: signal.signal(s, stop) for s in (signal.SIGINT, signal.SIGTERM)}
    failed = 0
    try:
        for _ in range(count):
            started[_fork(serve)] = time.monotonic()
        while started:
            pid, status = os.wait()
            began = started.pop(pid, None)
            if began is None or stopping:
                continue
            if time.monotonic() - began < MIN_LIFE:
                _log.error("a worker ended right after it started (%s): stopping", status)
                failed = 1
                stop(signal.SIGTERM, None)
                continue
            _log.warning("worker %d ended (status %d): starting another", pid, status)
            started[_fork(serve)] = time.monotonic()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return failed


def _fork(serve: Callable[[], None]) -> int:
    pid = os.fork()
    if pid:
        return pid
    # The worker: the server sets its own signal handlers; never return into the parent's code.
    code = 1
    try:
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        serve()
        code = 0
    except KeyboardInterrupt:
        code = 0
    finally:
        os._exit(code)


def _signal(pid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signum)
