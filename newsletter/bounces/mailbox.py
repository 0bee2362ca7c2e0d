"""The return mailbox: reading it (mbox, Maildir, a folder of .eml or .json files, one file).

Every message is handed on with its place (for the operator) and its bytes; telling
them apart is bounces.sorting's job. Nothing in the mailbox is skipped in silence.
"""

from __future__ import annotations

__all__ = ["Item", "MailboxError", "read_mailbox"]

import mailbox
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from newsletter.errors import NewsletterError
from newsletter.fileio import UnreadableFile, read_regular
from newsletter.translate import N_, _


class MailboxError(NewsletterError):
    """A path that is not a mailbox we can read."""


@dataclass(frozen=True, slots=True)
class Item:
    """One message as read: where it is (for the operator) and its bytes."""

    place: str
    data: bytes


def read_mailbox(path: Path, /) -> Iterator[Item]:
    """The messages at PATH: a Maildir, a folder of .eml files, an mbox or one .eml file."""
    if path.is_dir():
        yield from _folder(path)
    elif path.is_file():
        yield from _mbox_or_message(path)
    elif path.exists():
        raise MailboxError(
            _(
                "{path}: is neither a file nor a folder (a device or a pipe). Give an mbox file, "
                "a .eml file or a Maildir folder."
            ).format(path=path)
        )
    else:
        raise MailboxError(
            _(
                "{path}: there is no such file or folder. Give an mbox file, a .eml file or a "
                "Maildir folder."
            ).format(path=path)
        )


def _folder(path: Path) -> Iterator[Item]:
    if (path / "cur").is_dir() and (path / "new").is_dir():
        box = mailbox.Maildir(path, factory=None, create=False)
        try:
            for key in sorted(box.keys()):
                yield Item(f"{path} message {key}", box.get_bytes(key))
        except OSError as exc:
            raise MailboxError(
                _("{path}: cannot read the Maildir: {strerror}").format(
                    path=path, strerror=exc.strerror
                )
            ) from None
        return
    # Outlook on the web and most mail programs save single messages as .eml files.
    # Amazon SES notifications saved from SNS (or an S3 bucket) are .json files.
    if not any(child.is_file() for pattern in ("*.eml", "*.json") for child in path.glob(pattern)):
        raise MailboxError(
            _(
                "{path}: is a folder but neither a Maildir (it has no cur/ and new/ folders) nor "
                "a folder of .eml or .json files. Give a Maildir, an mbox file or .eml files."
            ).format(path=path)
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
        return read_regular(path, limit=_MAX_MESSAGE_BYTES, what=N_("a message file"))
    except UnreadableFile as exc:
        raise MailboxError(f"{path}: {exc.reason}") from None


def _mbox_or_message(path: Path) -> Iterator[Item]:
    try:
        with path.open("rb") as file:
            start = file.read(5)
    except OSError as exc:
        raise MailboxError(
            _("{path}: cannot read it: {strerror}").format(path=path, strerror=exc.strerror)
        ) from None
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
    if not (_looks_like_a_message(data) or data.lstrip()[:1] == b"{"):
        raise MailboxError(
            _(
                "{path}: is neither an mbox file (it does not start with 'From ') nor a single "
                "message (.eml). Export the mailbox as mbox or give a Maildir folder."
            ).format(path=path)
        )
    yield Item(str(path), data)


def _looks_like_a_message(data: bytes) -> bool:
    head = data[:4096].split(b"\n\n", 1)[0].split(b"\r\n\r\n", 1)[0]
    names = {line.split(b":", 1)[0].strip().lower() for line in head.splitlines() if b":" in line}
    return bool(names & {b"from", b"date", b"message-id", b"subject", b"received", b"return-path"})
