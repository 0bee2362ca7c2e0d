"""Tying a returned message to the message we sent: only then may it suppress anyone.

The bounce mailbox is a public address, so anyone can mail it a report naming anyone.
A report counts only when it shows which of our messages it is about, and the journal
knows to whom that message went:

- its return-path token (VERP, `bounces+TOKEN@...`, where [bounces] return_path is set)
  or the X-Newsletter-Ref header of the message it returns: signed, one per recipient;
- the Message-ID of the message it returns, our own for each recipient;
- the unsubscribe token in that message's List-Unsubscribe header (complaints, whose
  providers often hide the recipient but keep that header).

A report tied by a Message-ID counts only for the address that message went to; a
signed token names its recipient whatever alias the report uses.
"""

from __future__ import annotations

__all__ = ["Sent", "Ties"]

from dataclasses import dataclass

from newsletter.audience.returnpath import RefSigner, token_in
from newsletter.audience.tokens import TokenSigner
from newsletter.bounces.sorting import Incoming
from newsletter.config import Config
from newsletter.errors import TokenError
from newsletter.state import Connection

_ROW = (
    "SELECT r.address, r.send_id, s.newsletter, r.message_id"
    " FROM recipients r JOIN sends s ON s.id = r.send_id"
    " WHERE r.status IN ('sent', 'sending', 'failed')"
)


@dataclass(frozen=True, slots=True)
class Sent:
    """The message a report is about: to whom, in which send, and how we know."""

    address: str
    send_id: int
    newsletter: str
    how: str  # "return path", "X-Newsletter-Ref header", "Message-ID", "unsubscribe link"
    message_id: str = ""

    @property
    def signed(self) -> bool:
        """Tied by a signed per-recipient token (not by a Message-ID)."""
        return self.how != "Message-ID"


class Ties:
    """Finds the journal row a returned message is about, or says why there is none."""

    def __init__(self, config: Config, db: Connection, secret: bytes) -> None:
        self.db = db
        self.return_path = config.bounces.return_path or ""
        self.refs = RefSigner(secret)
        self.tokens = TokenSigner(secret)

    def sent(self, incoming: Incoming, /) -> Sent | None:
        """The journal row INCOMING is about, by its strongest evidence; None if unknown."""
        original = incoming.original
        for token in self._verp_tokens(incoming):
            if (found := self._row(token, "return path")) is not None:
                return found
        for token in original.refs:
            if (found := self._row(token, "X-Newsletter-Ref header")) is not None:
                return found
        if (found := self._message(original.message_id)) is not None:
            return found
        return self._unsubscribe_link(original.unsubscribe_token)

    def why_not(self, incoming: Incoming, /) -> str:
        """Why INCOMING could not be tied to a message we sent: "it ..." in plain words."""
        original = incoming.original
        if any(self.refs.verify(t) is None for t in [*self._verp_tokens(incoming), *original.refs]):
            return "carries a return-path token that does not verify (forged or altered)"
        if original.message_id:
            return f"returns a message ({original.message_id}) we did not send"
        return "does not show which of our messages it is about (no Message-ID or token of ours)"

    def ever_sent(self, address: str, /) -> bool:
        """True when the journal holds any message to ADDRESS."""
        query = "SELECT 1 FROM recipients WHERE lower(address) = ? LIMIT 1"
        return self.db.execute(query, (address.lower(),)).fetchone() is not None

    def _verp_tokens(self, incoming: Incoming) -> list[str]:
        if not self.return_path:
            return []
        places = [*incoming.envelope, incoming.original.return_path, *incoming.original.senders]
        return [t for place in places if (t := token_in(place, self.return_path))]

    def _row(self, token: str, how: str) -> Sent | None:
        row = self.refs.verify(token)
        if row is None:
            return None
        return self._first(f"{_ROW} AND r.send_id = ? AND r.seq = ?", tuple(row), how)

    def _message(self, message_id: str) -> Sent | None:
        if not message_id:
            return None
        bare = message_id.strip().strip("<>")
        query = f"{_ROW} AND r.message_id IN (?, ?)"
        return self._first(query, (f"<{bare}>", bare), "Message-ID")

    def _unsubscribe_link(self, token: str) -> Sent | None:
        if not token:
            return None
        try:
            newsletter, address_id = self.tokens.verify(token)
        except TokenError:
            return None
        query = f"{_ROW} AND r.address_id = ? AND s.newsletter = ? ORDER BY r.send_id DESC"
        return self._first(query, (address_id, newsletter), "unsubscribe link")

    def _first(self, query: str, values: tuple[object, ...], how: str) -> Sent | None:
        row = self.db.execute(f"{query} LIMIT 1", values).fetchone()
        if row is None or not row[0]:
            return None
        return Sent(str(row[0]), int(row[1]), str(row[2]), how, str(row[3] or ""))
