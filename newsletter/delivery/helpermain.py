"""The helper process of a large send: reads the journal's rows and builds their messages.

newsletter.delivery.helper starts it as `python -m newsletter.delivery.helpermain` and
talks to it in frames (a 4-byte length, then a pickle) over its stdin and stdout; both
ends are this package, so the pickles come from nowhere else. The first frame says what
to send; then come requests for rows (answered with their messages, built) and for a
retry's message. It ends at the close frame, or when its stdin ends (the sending process
is gone, even by kill -9). Ctrl-C and SIGTERM are for the sending process, which ends
the helper itself; this one ignores them. It writes nothing to the journal but the rows
it skips (suppressed since the send was frozen), as the sending process would.
"""

from __future__ import annotations

__all__ = ["frame", "main", "read_frames"]

import os
import pickle
import signal
import struct
import sys
from collections import deque
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from newsletter.delivery.source import Database
    from newsletter.state import Connection

_LENGTH = struct.Struct(">I")


def frame(message: object, /) -> bytes:
    """MESSAGE as a frame: its pickle's length, then the pickle."""
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    return _LENGTH.pack(len(data)) + data


def read_frames(buffer: bytearray, /) -> list[Any]:
    """The whole frames at the start of BUFFER, taken out of it."""
    found, offset = [], 0
    while len(buffer) - offset >= _LENGTH.size:
        (length,) = _LENGTH.unpack_from(buffer, offset)
        if len(buffer) - offset - _LENGTH.size < length:
            break
        start = offset + _LENGTH.size
        with memoryview(buffer) as view:  # no copy of the frame before unpickling it
            found.append(pickle.loads(view[start : start + length]))
        offset = start + length
    del buffer[:offset]
    return found


class _Pipe:
    """Frames from a file descriptor."""

    def __init__(self, fd: int) -> None:
        self.fd, self.buffer, self.ended = fd, bytearray(), False

    def read(self) -> list[Any]:
        """The next whole frames, waited for ([] at the end)."""
        found: list[Any] = []
        while not found and not self.ended:
            data = os.read(self.fd, 1 << 20)
            self.ended = not data
            self.buffer += data
            found = read_frames(self.buffer)
        return found


def _write(message: object) -> None:
    data = memoryview(frame(message))
    while data:
        data = data[os.write(1, data) :]


def _open(database: Database) -> Connection:
    from newsletter.state import connect, open_server

    where, password = database
    if where.path is not None:
        return connect(where.path, check=False)  # the sending process checked it already
    return open_server(where, password=password)


class _Helper:
    def __init__(self, start: tuple[Any, ...]) -> None:
        _, database, self.send, self.builder, self.refs = start
        self.db = _open(database)

    def serve(self, request: tuple[Any, ...]) -> None:
        """Answer REQUEST: rows read and built, or a retry's message."""
        from newsletter.delivery import journal
        from newsletter.delivery.source import build
        from newsletter.errors import StateError

        kind, number, *rest = request
        if kind == "rebuild":
            _write(("built", number, [(rest[0], build(self.builder, self.refs, self.send.id,
                                                      rest[0]))], None))  # fmt: skip
            return
        status, after, limit = rest
        try:
            rows, last = journal.next_rows(self.db, self.send, status=status, after=after,
                                           limit=limit)  # fmt: skip
        except StateError as exc:
            _write(("failed", number, str(exc)))
            return
        # A frame a message: the sending process takes each as it comes, and its buffer
        # stays the size of one.
        for row in rows:
            _write(("row", number, row, build(self.builder, self.refs, self.send.id, row)))
        _write(("built", number, [], last))


def main() -> None:
    """Answer the frames on stdin until the close frame or the end of stdin."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    # dkimpy imports dnspython for verifying, which this process never does: 5 MB of the
    # little it needs. With None in sys.modules the import fails at once, and dkimpy,
    # which treats DNS as optional, signs as before.
    sys.modules.setdefault("dns", None)  # type: ignore[arg-type]
    pipe = _Pipe(0)
    messages = deque(pipe.read())
    if not messages:
        return
    try:
        helper = _Helper(messages.popleft())
    except Exception as exc:  # told to the sending process, in words
        _write(("error", f"{type(exc).__name__}: {exc}"))
        return
    while messages or not pipe.ended:
        messages.extend(pipe.read() if not messages else [])
        if not messages or messages[0][0] == "close":
            return
        try:
            helper.serve(messages.popleft())
        except Exception as exc:  # told to the sending process, in words
            _write(("error", f"{type(exc).__name__}: {exc}"))
            return


if __name__ == "__main__":
    try:
        main()
    except BrokenPipeError:
        sys.exit(0)  # the sending process is gone: nothing is left to tell it
