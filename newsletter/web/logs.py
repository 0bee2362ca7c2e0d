"""The web side's log: nothing a client sends can forge a line, and no flood of alike errors.

A request path is the client's text: `%0d%0a` or `%1b[31m` in it would write fake lines
and terminal escape sequences into the log. `escape` writes every control character as
an escape (`\\r`, `\\x1b`); SafeFormatter applies it to every message of every logger
that writes through it. Out of file descriptors or memory, the event loop logs a
traceback for every connection it cannot accept (142 MB in 30 s under a slow-connection
attack): OncePerInterval lets one such record through per minute, with a count of the
ones it held back.
"""

from __future__ import annotations

__all__ = ["INTERVAL", "OncePerInterval", "SafeFormatter", "escape"]

import errno
import logging
import re
import time
from typing import Any

INTERVAL = 60.0
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
# What running out of a resource looks like: too many open files (per process and
# system-wide), no buffer space, no memory.
_RESOURCE_ERRNOS = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})
_RESOURCE_WORDS = ("Too many open files", "out of system resource")


def escape(text: str, /) -> str:
    """TEXT with every control character written as an escape, on one line."""
    return _CONTROL.sub(_escaped, text) if _CONTROL.search(text) else text


def _escaped(match: re.Match[str]) -> str:
    char = match[0]
    if char in _NAMED:
        return _NAMED[char]
    return f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}"


class SafeFormatter(logging.Formatter):
    """A Formatter whose message part never holds a control character (tracebacks keep
    their line breaks, other control characters in them are escaped)."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        record.message = escape(record.message)
        return super().formatMessage(record)

    def formatException(self, ei: Any) -> str:
        text = super().formatException(ei)
        return "\n".join(escape(line) for line in text.split("\n"))


class OncePerInterval(logging.Filter):
    """Lets one resource-exhaustion record through per INTERVAL; counts the rest."""

    def __init__(self, name: str = "", interval: float = INTERVAL) -> None:
        super().__init__(name)
        self.interval = interval
        self._last = float("-inf")
        self._held = 0

    def filter(self, record: logging.LogRecord) -> bool:
        if not _about_resources(record):
            return True
        now = time.monotonic()
        if now - self._last < self.interval:
            self._held += 1
            return False
        if self._held:
            record.msg = f"{record.msg} ({self._held} more like it held back in the last "
            record.msg += f"{self.interval:.0f} s)"
        self._last, self._held = now, 0
        # One traceback says it all; the message names the error.
        if record.exc_info and record.exc_info[1] is not None:
            record.msg = f"{record.msg}: {record.exc_info[1]}"
            record.exc_info = record.exc_text = None
        return True


def _about_resources(record: logging.LogRecord) -> bool:
    error = record.exc_info[1] if record.exc_info else None
    if isinstance(error, OSError) and error.errno in _RESOURCE_ERRNOS:
        return True
    message = str(record.msg)
    return any(words in message for words in _RESOURCE_WORDS)
