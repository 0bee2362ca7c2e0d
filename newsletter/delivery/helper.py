"""A Source in a helper process: large sends read their rows and build their messages on
the machine's other core, while the event loop talks SMTP and commits the journal.

Measured on a 20,000-message send: building a message costs the event loop 100-250 µs,
against 1.2-1.3 ms for aiosmtplib to send it. The helper (helpermain.py) builds a batch
ahead; the loop pays a few tens of µs a message to take the messages from the pipe.
The journal's commits stay in the event loop's thread: a message's data waits for its
`sending` to be committed, and in another process that wait grew to tens of
milliseconds whenever the machine was busy (the helper had to be woken and scheduled).
"""

from __future__ import annotations

__all__ = ["HELPER_FROM", "Helper"]

import asyncio
import contextlib
import fcntl
import itertools
import sys
from typing import Any, Literal

from newsletter.audience.returnpath import RefSigner
from newsletter.delivery import journal
from newsletter.delivery.helpermain import frame, read_frames
from newsletter.delivery.message import MessageBuilder, OutgoingMessage
from newsletter.delivery.source import Built, Database
from newsletter.errors import StateError

HELPER_FROM = 1000  # messages to send, from which a helper process pays for its start


class Helper:
    """A Source whose reading and building happen in a helper process."""

    def __init__(self) -> None:
        self._numbers = itertools.count(1)
        self._answers: dict[int, asyncio.Future[tuple[list[Built], int | None]]] = {}
        self._rows: list[Built] = []  # of the answer coming in (one request at a time)
        self._gone: StateError | None = None
        self._stdout, self._stderr = bytearray(), bytearray()
        self._transport: asyncio.SubprocessTransport | None = None
        self._exited = asyncio.get_running_loop().create_future()

    @classmethod
    async def start(
        cls,
        database: Database,
        send: journal.Send,
        builder: MessageBuilder,
        refs: RefSigner | None,
        /,
    ) -> Helper:
        """A helper process building SEND's messages; its rows from DATABASE."""
        helper = cls()
        loop = asyncio.get_running_loop()
        # Its pipes are read by a protocol of our own: a StreamReader would copy each
        # message three times more.
        helper._transport, _ = await loop.subprocess_exec(
            lambda: _Pipes(helper), sys.executable, "-m", "newsletter.delivery.helpermain",
            start_new_session=True,
        )  # fmt: skip
        _widen(helper._transport.get_pipe_transport(1))
        helper._write(("start", database, send, builder, refs))
        return helper

    async def next(
        self, status: Literal["queued", "failed"], after: int, limit: int
    ) -> tuple[list[Built], int | None]:
        return await self._ask("read", status, after, limit)

    async def rebuild(self, row: journal.Row, /) -> OutgoingMessage | str:
        [(_, message)], _ = await self._ask("rebuild", row)
        return message

    async def close(self) -> None:
        """Let the helper end, and wait for it."""
        assert self._transport is not None
        with contextlib.suppress(ConnectionError):
            self._write(("close",))
        await self._exited
        self._transport.close()

    async def _ask(self, *request: Any) -> tuple[list[Built], int | None]:
        if self._gone is not None:
            raise self._gone
        number = next(self._numbers)
        answer = self._answers[number] = asyncio.get_running_loop().create_future()
        self._write((request[0], number, *request[1:]))
        built, last = await answer
        return built, last

    def _write(self, message: object) -> None:
        assert self._transport is not None
        stdin = self._transport.get_pipe_transport(0)
        if stdin is None or stdin.is_closing():
            raise ConnectionError("the helper process is gone")
        assert isinstance(stdin, asyncio.WriteTransport)
        stdin.write(frame(message))

    def received(self, fd: int, data: bytes) -> None:
        if fd == 2:
            self._stderr += data
            return
        self._stdout += data
        for message in read_frames(self._stdout):
            self._take(message)

    def exited(self) -> None:
        said = self._stderr.decode(errors="replace").strip()
        said = said.splitlines()[-1] if said else "it said nothing"
        self._fail(StateError(f"the helper process of the send ended unexpectedly ({said})"))
        if not self._exited.done():
            self._exited.set_result(None)

    def _take(self, message: tuple[Any, ...]) -> None:
        kind, number, *rest = message
        if kind == "row":
            self._rows.append((rest[0], rest[1]))
            return
        if kind == "error":
            self._fail(StateError(f"the helper process of the send failed: {number}"))
            return
        answer = self._answers.pop(number)
        rows, self._rows = self._rows + rest[0] if kind == "built" else [], []
        if answer.done():
            return
        if kind == "built":
            answer.set_result((rows, rest[1]))
        else:  # "failed": the rows could not be read
            answer.set_exception(StateError(rest[0]))

    def _fail(self, error: StateError) -> None:
        self._gone = self._gone or error
        for answer in self._answers.values():
            if not answer.done():
                answer.set_exception(self._gone)
        self._answers.clear()


def _widen(pipe: asyncio.BaseTransport | None) -> None:
    """Let PIPE hold 1 MiB instead of Linux's 64 KiB: a message (often 50-100 KB) then
    comes in one read with others, not in two or three, each a turn of the event loop."""
    pipe_file = pipe.get_extra_info("pipe") if pipe is not None else None
    set_size = getattr(fcntl, "F_SETPIPE_SZ", None)  # Linux only
    if pipe_file is None or set_size is None:
        return
    with contextlib.suppress(OSError):  # above /proc/sys/fs/pipe-max-size: keep the default
        fcntl.fcntl(pipe_file.fileno(), set_size, 1 << 20)


class _Pipes(asyncio.SubprocessProtocol):
    """The helper's stdout and stderr, handed to the Helper as they come; its end."""

    def __init__(self, helper: Helper) -> None:
        self._helper = helper

    def pipe_data_received(self, fd: int, data: bytes) -> None:
        self._helper.received(fd, data)

    def connection_lost(self, exc: Exception | None) -> None:
        # After the process exited and its pipes were read to their end (process_exited
        # may come before the last of its output).
        self._helper.exited()
