"""The transfer form of a message (RFC 5321 4.5.2), byte for byte as aiosmtplib makes it."""

import pytest
from aiosmtplib.protocol import PERIOD_REGEX, normalize_message_line_endings

from newsletter.delivery.smtpdata import transfer_form


def aiosmtplibs(data: bytes) -> bytes:
    return PERIOD_REGEX.sub(b"..", normalize_message_line_endings(data)) + b".\r\n"


@pytest.mark.parametrize(
    "data",
    [
        b"Subject: x\r\n\r\n.a line with a dot\r\n..two\r\nend.\r\n",
        b".at the very start\r\n",
        b"no line end at the end",
        b"lone\nLF and lone\rCR and \n.dot after LF\r\n",
        b"\n\r reversed\r\n",
        b"",
        b".",
        b"\r\n.\r\n",  # a line of one dot: it would end the data early if not doubled
    ],
)
def test_the_transfer_form_is_the_one_aiosmtplib_sends(data: bytes) -> None:
    assert transfer_form(data) == aiosmtplibs(data)


def test_a_lone_dot_line_cannot_end_the_message_early() -> None:
    sent = transfer_form(b"Subject: x\r\n\r\nbefore\r\n.\r\nafter\r\n")
    assert sent.count(b"\r\n.\r\n") == 1 and sent.endswith(b"after\r\n.\r\n")
