"""The lock of one issue's send: one process at a time sends it."""

from __future__ import annotations

__all__ = ["lock", "running", "running_sends"]

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from newsletter.config import Config
from newsletter.errors import SendError
from newsletter.translate import _


@contextmanager
def lock(config: Config, newsletter: str, slug: str) -> Iterator[None]:
    """Hold the send's lock: a second process must not take the first one's rows for lost."""
    path = _lock_path(config, newsletter, slug)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+") as file:
        if not _try_lock(file):
            raise SendError(
                _(
                    "{newsletter}/{slug} is being sent by another newsletter process right now. "
                    "Wait for it to finish, or stop it with Ctrl-C, then run this again."
                ).format(newsletter=newsletter, slug=slug)
            )
        file.truncate(0)
        file.write(str(os.getpid()))
        file.flush()
        yield


def running(config: Config, newsletter: str, slug: str) -> bool:
    """True while a process holds the send's lock."""
    path = _lock_path(config, newsletter, slug)
    if not path.exists():
        return False
    with path.open("a+") as file:
        return not _try_lock(file)


def running_sends(config: Config, /) -> list[str]:
    """The sends (`newsletter--slug`) a process is running right now."""
    found = []
    for path in sorted((config.state_dir / "locks").glob("*.lock")):
        with path.open("a+") as file:
            if not _try_lock(file):
                found.append(path.stem.replace("--", "/", 1))
    return found


def _lock_path(config: Config, newsletter: str, slug: str) -> Path:
    return config.state_dir / "locks" / f"{newsletter}--{slug}.lock"


def _try_lock(file: IO[str]) -> bool:
    """Take FILE's lock without waiting: False when another process holds it."""
    try:
        fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True
