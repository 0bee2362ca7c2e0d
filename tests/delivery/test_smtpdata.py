"""The transfer form of a message (RFC 5321 4.5.2), byte for byte as aiosmtplib makes it,
and the message again from it."""

import pytest
from aiosmtplib.protocol import PERIOD_REGEX, normalize_message_line_endings
from hypothesis import given
from hypothesis import strategies as st

from newsletter.delivery.wireform import message_data, transfer_form


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


@pytest.mark.parametrize(
    "data",
    [
        b"Subject: x\r\n\r\n.a line with a dot\r\n..two\r\n...three\r\nend.\r\n",
        b".at the very start\r\n",
        b"..two at the very start\r\n",
        b"\r\n.\r\n",
        b"\r\n",
    ],
)
def test_the_message_comes_back_from_its_transfer_form(data: bytes) -> None:
    assert message_data(transfer_form(data)) == data


_LINE = st.binary(max_size=40).map(lambda line: line.replace(b"\r", b"").replace(b"\n", b""))


@given(st.lists(_LINE, min_size=1))
def test_any_message_with_crlf_line_ends_comes_back_byte_for_byte(lines: list[bytes]) -> None:
    data = b"".join(line + b"\r\n" for line in lines)
    wire = transfer_form(data)
    assert message_data(wire) == data
    assert wire.endswith(b"\r\n.\r\n")
