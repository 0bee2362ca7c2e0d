"""Quoted-printable bodies (RFC 2045), encoded once for what every recipient shares.

The email package's encoder (quoprimime, as email.charset uses it for UTF-8) encodes
each line on its own, so a body encoded run by run is the same bytes as the body
encoded whole: runs of lines common to all recipients are encoded once per issue,
and only the lines carrying a recipient's values are encoded per message.
"""

from __future__ import annotations

__all__ = ["QP_LINE_LENGTH", "BodyEncoder", "encode_body"]

from email import quoprimime

CRLF = b"\r\n"
# RFC 2045 6.7 (5): encoded lines are at most 76 characters. The email package folds
# quoted-printable at the policy's max_line_length, 78 for policy.SMTP: one reason we
# call its encoder ourselves.
QP_LINE_LENGTH = 76
_PROBE = 64  # characters of a run to search for before comparing the whole run


def _qp_line(line: bytes) -> bytes:
    # The email package's encoder, as email.charset does it for UTF-8: bytes as latin-1.
    encoded = quoprimime.body_encode(line.decode("latin-1"), QP_LINE_LENGTH, eol="\r\n")
    return encoded.encode("ascii")


class BodyEncoder:
    """Quoted-printable with CRLF lines; runs of lines common to all recipients encoded once.

    quoprimime.body_encode encodes each line on its own, so a body encoded run by run
    is the same bytes as the body encoded whole (tests/test_message.py checks it). A
    run is reused only where it stands on whole lines in the recipient's text.
    """

    def __init__(self, samples: list[str]) -> None:
        first, *others = (sample.split("\n")[:-1] for sample in samples)
        common = [
            line if all(len(o) == len(first) and o[i] == line for o in others) else None
            for i, line in enumerate(first)
        ]
        self._runs: list[tuple[str, str, bytes]] = []
        run: list[str] = []
        for line in [*common, None]:
            if line is not None:
                run.append(line)
            elif run:
                text = "\n".join(run) + "\n"
                self._runs.append((text[:_PROBE], text, _qp_lines(text)))
                run = []

    def encode(self, text: str) -> bytes:
        segments = []
        done = 0
        for probe, run, encoded in self._runs:
            at = _find_run(text, done, probe, run)
            if at < 0:
                continue  # encoded with the lines around it
            if at > done:
                segments.append(_qp_lines(text[done:at]))
            segments.append(encoded)
            done = at + len(run)
        if done < len(text):
            segments.append(_qp_lines(text[done:]))
        return CRLF.join(segments) + CRLF


def _find_run(text: str, start: int, probe: str, run: str) -> int:
    """Where RUN starts a line of TEXT at or after START, or -1."""
    at = text.find(probe, start)
    while at >= 0:
        if (at == 0 or text[at - 1] == "\n") and text.startswith(run, at):
            return at
        at = text.find(probe, at + 1)
    return -1


def _qp_lines(text: str) -> bytes:
    return CRLF.join(_qp_line(line) for line in text.encode("utf-8").splitlines())


def encode_body(text: str) -> bytes:
    """TEXT as a UTF-8 quoted-printable body with CRLF lines, as sent."""
    return _qp_lines(text) + CRLF
