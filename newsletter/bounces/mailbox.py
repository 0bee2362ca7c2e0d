"""The return mailbox: reading it (mbox, Maildir, one .eml) and telling its messages apart.

Whatever comes back to a newsletter's addresses is one of: a delivery report (bounce),
a spam complaint (ARF, RFC 5965), an auto-reply (RFC 3834), a mailto unsubscribe
request (RFC 2369), or something a person has to read. The last kind is never dropped.
"""

from __future__ import annotations

__all__ = ["Incoming", "Item", "MailboxError", "read_mailbox", "sort"]

import hashlib
import mailbox
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from email import message_from_bytes, policy
from email.message import EmailMessage, Message
from email.utils import getaddresses, parsedate_to_datetime
from pathlib import Path
from typing import Literal, cast

from newsletter.bounces.dsn import (
    DeliveryReport,
    Original,
    header_text,
    original_headers,
    parse_report,
)
from newsletter.errors import NewsletterError
from newsletter.fileio import UnreadableFile, read_regular

Kind = Literal["bounce", "complaint", "auto-reply", "unsubscribe", "unknown"]

_UNSUBSCRIBE = re.compile(r"^\s*unsubscribe(?:\s+(\S+))?\s*$", re.IGNORECASE)
# Subjects of out-of-office replies from clients that set no RFC 3834 header.
_AUTO_SUBJECT = re.compile(
    r"^\s*(automatiskt svar|autosvar|automatic reply|auto[- ]?reply|out of (the )?office|"
    r"frånvaro|abwesenheitsnotiz|fravær|poissa)\b",
    re.IGNORECASE,
)
_COMPLAINTS = {"abuse", "fraud"}
_MAILBOX = re.compile(r"[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+")


class MailboxError(NewsletterError):
    """A path that is not a mailbox we can read."""


@dataclass(frozen=True, slots=True)
class Item:
    """One message as read: where it is (for the operator) and its bytes."""

    place: str
    data: bytes


@dataclass(frozen=True, slots=True)
class Incoming:
    """One message, told apart; `key` identifies it across imports."""

    kind: Kind
    place: str
    key: str
    sender: str
    subject: str
    date: str  # YYYY-MM-DD of its Date header, "" when it has none
    report: DeliveryReport | None = None
    complaint_address: str = ""
    original: Original = field(default_factory=Original)
    token: str = ""
    reason: str = ""  # why an unknown message was not understood


def read_mailbox(path: Path, /) -> Iterator[Item]:
    """The messages at PATH: a Maildir, a folder of .eml files, an mbox or one .eml file."""
    if path.is_dir():
        yield from _folder(path)
    elif path.is_file():
        yield from _mbox_or_message(path)
    elif path.exists():
        raise MailboxError(
            f"{path}: is neither a file nor a folder (a device or a pipe). Give an mbox "
            "file, a .eml file or a Maildir folder."
        )
    else:
        raise MailboxError(
            f"{path}: there is no such file or folder. Give an mbox file, a .eml file "
            "or a Maildir folder."
        )


def _folder(path: Path) -> Iterator[Item]:
    if (path / "cur").is_dir() and (path / "new").is_dir():
        box = mailbox.Maildir(path, factory=None, create=False)
        try:
            for key in sorted(box.keys()):
                yield Item(f"{path} message {key}", box.get_bytes(key))
        except OSError as exc:
            raise MailboxError(f"{path}: cannot read the Maildir: {exc.strerror}") from None
        return
    # Outlook on the web and most mail programs save single messages as .eml files.
    if not any(child.is_file() for child in path.glob("*.eml")):
        raise MailboxError(
            f"{path}: is a folder but neither a Maildir (it has no cur/ and new/ folders) "
            "nor a folder of .eml files. Give a Maildir, an mbox file or .eml files."
        )
    # Every other file in it too (a message saved as .msg or .txt, say): what cannot be
    # read is listed as not understood, never passed over in silence.
    files = sorted(
        child for child in path.iterdir() if child.is_file() and not child.name.startswith(".")
    )
    for file in files:
        yield Item(str(file), _read(file))


# A returned message with its attachments; anything larger is not a bounce.
_MAX_MESSAGE_BYTES = 64 * 1024 * 1024


def _read(path: Path) -> bytes:
    try:
        return read_regular(path, limit=_MAX_MESSAGE_BYTES, what="a message file")
    except UnreadableFile as exc:
        raise MailboxError(f"{path}: {exc.reason}") from None


def _mbox_or_message(path: Path) -> Iterator[Item]:
    try:
        with path.open("rb") as file:
            start = file.read(5)
    except OSError as exc:
        raise MailboxError(f"{path}: cannot read it: {exc.strerror}") from None
    if start == b"":
        return  # an empty mbox: the mail program emptied it, or nothing came back yet
    if start == b"From ":
        box = mailbox.mbox(path, factory=None, create=False)
        try:
            for index, key in enumerate(box.keys(), start=1):
                yield Item(f"{path} #{index}", box.get_bytes(key))
        finally:
            box.close()
        return
    data = _read(path)
    if not _looks_like_a_message(data):
        raise MailboxError(
            f"{path}: is neither an mbox file (it does not start with 'From ') nor a "
            "single message (.eml). Export the mailbox as mbox or give a Maildir folder."
        )
    yield Item(str(path), data)


def _looks_like_a_message(data: bytes) -> bool:
    head = data[:4096].split(b"\n\n", 1)[0].split(b"\r\n\r\n", 1)[0]
    names = {line.split(b":", 1)[0].strip().lower() for line in head.splitlines() if b":" in line}
    return bool(names & {b"from", b"date", b"message-id", b"subject", b"received", b"return-path"})


def sort(item: Item, /) -> Incoming:
    """Tell ITEM apart; a message that cannot even be parsed comes back as 'unknown'."""
    key = "sha256:" + hashlib.sha256(item.data).hexdigest()
    base = Incoming("unknown", item.place, key, sender="", subject="", date="")
    try:
        # compat32 parses headers only when asked, several times faster than policy.default.
        parsed = message_from_bytes(item.data, _class=EmailMessage, policy=policy.compat32)
        message = cast(EmailMessage, parsed)  # typeshed does not follow _class
        base = _base(base, message)
        return _sort(message, base)
    except Exception as exc:  # a broken message is listed, never lost
        return replace(base, reason=f"cannot be read ({type(exc).__name__}: {exc})")


def _base(base: Incoming, message: Message) -> Incoming:
    senders = getaddresses([_text(message, "From")])
    return replace(
        base,
        key=_text(message, "Message-ID") or base.key,
        sender=senders[0][1] if senders and senders[0][1] else _text(message, "From"),
        subject=_text(message, "Subject"),
        date=_date(message),
    )


def _text(message: Message, name: str) -> str:
    """A header as one printable line (header_text): it is printed to the operator's terminal."""
    return header_text(message.get(name, ""))


def _date(message: Message) -> str:
    try:
        return parsedate_to_datetime(_text(message, "Date")).date().isoformat()
    except (TypeError, ValueError, IndexError):
        return ""


def _sort(message: EmailMessage, base: Incoming) -> Incoming:
    if (complaint := _complaint(message, base)) is not None:
        return complaint
    if (report := parse_report(message)) is not None:
        return replace(base, kind="bounce", report=report, original=report.original)
    if _is_auto_reply(message, base.subject):
        return replace(base, kind="auto-reply")
    if match := _UNSUBSCRIBE.match(base.subject):
        if match[1]:
            return replace(base, kind="unsubscribe", token=match[1])
        return replace(base, reason="an unsubscribe request without its token (from a link "
                                  "written by hand?): remove the sender yourself")  # fmt: skip
    if message.get_content_type() == "multipart/report" or base.sender.lower().startswith(
        ("mailer-daemon@", "postmaster@")
    ):
        return replace(base, reason="a delivery report without an address and status we can read")
    return replace(base, reason="not a bounce, complaint, auto-reply or unsubscribe request")


def _complaint(message: EmailMessage, base: Incoming) -> Incoming | None:
    """An ARF report (RFC 5965): multipart/report; report-type=feedback-report."""
    if message.get_content_type() != "multipart/report":
        return None
    if str(message.get_param("report-type", "") or "").lower() != "feedback-report":
        return None
    fields = next(
        (p for p in message.walk() if p.get_content_type() == "message/feedback-report"), None
    )
    payload = fields.get_payload() if fields is not None else None
    report = payload[0] if isinstance(payload, list) and payload else None
    if not isinstance(report, Message):
        return replace(base, reason="a feedback report without its message/feedback-report part")
    feedback_type = _text(report, "Feedback-Type").lower()
    original = original_headers(message)
    if feedback_type not in _COMPLAINTS:
        return replace(base, reason=f"a feedback report of type {feedback_type!r}: nothing to do")
    # RFC 5965 part 3.2: Original-Rcpt-To, when the provider does not redact it.
    rcpt = _text(report, "Original-Rcpt-To").strip("<>")
    address = rcpt or (original.to[0] if len(original.to) == 1 else "")
    if not _MAILBOX.fullmatch(address):
        address = ""  # redacted ("[redacted]", "xxxx"): found by other means, or not at all
    return replace(base, kind="complaint", complaint_address=address, original=original)


def _is_auto_reply(message: Message, subject: str) -> bool:
    # RFC 3834 part 5: Auto-Submitted other than "no"; the rest are common vendor headers.
    auto = _text(message, "Auto-Submitted").lower()
    precedence = _text(message, "Precedence").lower()
    return (
        (bool(auto) and auto != "no")
        or "X-Autoreply" in message
        or "X-Autorespond" in message
        or precedence in {"auto_reply", "auto-reply"}
        or bool(_AUTO_SUBJECT.match(subject))
    )
