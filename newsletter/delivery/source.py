"""Where the engine gets the messages to send: the journal's rows, read and built.

`Local` reads and builds in this process, between the event loop's other work; `Helper`
(helper.py) does it in a process of its own for large sends, a batch ahead, so that
the event loop mostly talks SMTP. The journal's changes are not theirs: the recorder
commits them in the event loop's thread, at once (see recorder).
"""

from __future__ import annotations

__all__ = ["Built", "Database", "Local", "Source", "build"]

from typing import Literal, Protocol

from newsletter.audience.returnpath import RefSigner
from newsletter.delivery import journal
from newsletter.delivery.message import MessageBuilder, OutgoingMessage, Recipient
from newsletter.errors import RecipientError
from newsletter.state import Connection, Target

# Where a helper process finds the state database, and its password (PostgreSQL) if any.
Database = tuple[Target, str | None]
# A row and its message, or why none could be built ("not sent: ...").
Built = tuple[journal.Row, OutgoingMessage | str]


class Source(Protocol):
    """Rows to send, with their messages built."""

    async def next(
        self, status: Literal["queued", "failed"], after: int, limit: int
    ) -> tuple[list[Built], int | None]:
        """Up to LIMIT rows in STATUS after seq AFTER, built; the last seq seen (None: none)."""

    async def rebuild(self, row: journal.Row, /) -> OutgoingMessage | str:
        """ROW's message once more (a retry), or why it cannot be built."""

    async def close(self) -> None: ...


def build(
    builder: MessageBuilder, refs: RefSigner | None, send_id: int, row: journal.Row
) -> OutgoingMessage | str:
    """ROW's message, or why it cannot be built (that row fails; the send goes on)."""
    try:
        ref = refs.make(send_id, row.seq) if refs else ""
        return builder.build(Recipient(row.address, row.name, row.fields, ref))
    except (RecipientError, ValueError) as exc:
        # A ValueError from the email package is one row's data too, never the send's.
        return f"not sent: {exc}"


class Local:
    """A Source in this process."""

    def __init__(
        self,
        db: Connection,
        send: journal.Send,
        builder: MessageBuilder,
        refs: RefSigner | None,
        /,
    ) -> None:
        self._db, self._send, self._builder, self._refs = db, send, builder, refs

    async def next(
        self, status: Literal["queued", "failed"], after: int, limit: int
    ) -> tuple[list[Built], int | None]:
        import asyncio  # here: the helper process imports this module, and needs no asyncio

        rows, last = journal.next_rows(self._db, self._send, status=status, after=after,
                                       limit=limit)  # fmt: skip
        built = []
        for number, row in enumerate(rows, start=1):
            built.append((row, build(self._builder, self._refs, self._send.id, row)))
            if number % 8 == 0:
                await asyncio.sleep(0)  # the connections' replies wait no longer than 8 builds
        return built, last

    async def rebuild(self, row: journal.Row, /) -> OutgoingMessage | str:
        return build(self._builder, self._refs, self._send.id, row)

    async def close(self) -> None:
        return None
