"""A message in the form DATA sends it (RFC 5321 4.5.2), made with bytes.replace.

aiosmtplib's data() turns line ends into CRLF and dot-stuffs the message with regular
expressions over the whole of it: measured, 1.2-1.3 ms for an 86 KB message, as much
as all the rest of sending it, and all of it on the event loop. Our messages have CRLF
line ends already (the email package writes them so, and so does the DKIM signer), so
the transfer form takes three counts and one replace; a message with a lone CR or LF is
normalised as aiosmtplib would. It is made where the message is built (in a large
send's helper process, on the other core), once, not at each attempt.
"""

from __future__ import annotations

__all__ = ["message_data", "transfer_form"]

import re

_LINE_ENDS = re.compile(rb"\r\n|\n|\r(?!\n)")
_END = b".\r\n"


def transfer_form(data: bytes, /) -> bytes:
    """DATA as it goes on the wire: CRLF line ends, a dot doubled at the start of a line,
    and the CRLF.CRLF that ends it."""
    crlf = data.count(b"\r\n")
    if data.count(b"\r") != crlf or data.count(b"\n") != crlf:
        data = _LINE_ENDS.sub(b"\r\n", data)
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    start = b"." if data.startswith(b".") else b""
    return b"".join((start, data.replace(b"\r\n.", b"\r\n.."), _END))


def message_data(wire: bytes, /) -> bytes:
    """The message a transfer form carries (with CRLF line ends, ending in one)."""
    data = wire[1:-3] if wire.startswith(b"..") else wire[:-3]
    return data.replace(b"\r\n..", b"\r\n.")
