"""The tool's own file handling: what it reads, how it writes, who may read the result.

Reading: only regular files, with the size cap enforced while reading (a symlink to
/dev/zero or a FIFO given as an issue file must not exhaust memory or hang). Writing:
whole or not at all (a temporary file beside the target, then a rename), and private
(0600 files, 0700 folders) where the files hold addresses or the signing key.
"""

from __future__ import annotations

__all__ = [
    "PRIVATE_FILE",
    "PRIVATE_FOLDER",
    "UnreadableFile",
    "describe_os_error",
    "disk_is_full",
    "is_read_only",
    "private_folder",
    "read_regular",
    "replace_atomically",
    "replacing",
    "write_new",
]

import contextlib
import errno
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from newsletter.errors import NewsletterError
from newsletter.translate import N_, _

PRIVATE_FILE = 0o600
PRIVATE_FOLDER = 0o700
_CHUNK = 1 << 20
# Below this much free space a folder counts as full: SQLite, a receipt or a message
# needs some room, and a file system at 0 bytes fails every write.
_FULL_BELOW = 1 << 20


class UnreadableFile(NewsletterError):
    """A file that cannot be read as what it should be; `reason` says why, without the path."""

    def __init__(self, path: Path, reason: str, *, too_large: bool = False) -> None:
        self.path, self.reason, self.too_large = path, reason, too_large
        super().__init__(f"{path}: {reason}")


def read_regular(path: Path, /, *, limit: int, what: str = N_("a file")) -> bytes:
    """The bytes of PATH, a regular file of at most LIMIT bytes; UnreadableFile otherwise.

    WHAT names the file in messages: "an issue file", "a list file".
    """
    try:
        # O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer forever.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise UnreadableFile(path, _open_problem(exc, what)) from None
    kind = os.fstat(fd).st_mode
    if not stat.S_ISREG(kind):
        os.close(fd)
        raise UnreadableFile(path, _not_regular(kind, what))
    with os.fdopen(fd, "rb", buffering=0) as file:
        chunks, size = [], 0
        try:
            # The cap holds while reading: st_size of a file that grows says nothing.
            while chunk := file.read(min(_CHUNK, limit + 1 - size)):
                chunks.append(chunk)
                size += len(chunk)
                if size > limit:
                    raise UnreadableFile(
                        path, _("is larger than {limit:,} bytes").format(limit=limit),
                        too_large=True,
                    )  # fmt: skip
        except OSError as exc:
            raise UnreadableFile(
                path, _("cannot be read: {reason}").format(reason=describe_os_error(exc))
            ) from None
    return b"".join(chunks)


def _open_problem(exc: OSError, what: str) -> str:
    if exc.errno == errno.ENOENT:
        return _("there is no such file; check the name")
    if exc.errno == errno.EISDIR:
        return _("is a folder, not {what}").format(what=_(what))
    return _("cannot be read: {reason}").format(reason=describe_os_error(exc))


def _not_regular(mode: int, what: str) -> str:
    if stat.S_ISDIR(mode):
        return _("is a folder, not {what}").format(what=_(what))
    if stat.S_ISFIFO(mode):
        return _("is a named pipe (FIFO), not {what}; give the file itself").format(what=_(what))
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return _("is a device, not {what}; give the file itself").format(what=_(what))
    return _("is not a regular file, so it cannot be {what}").format(what=_(what))


def describe_os_error(exc: OSError, /) -> str:
    """What went wrong, in an editor's words, with what to do for the common cases."""
    reasons = {
        errno.ENOSPC: N_("the disk is full; free some space and run the command again"),
        errno.EDQUOT: N_("the disk quota is used up; free some space and run the command again"),
        errno.EROFS: N_("the file system is read-only; check how the disk is mounted"),
        errno.EACCES: N_("permission denied; check who owns the file and folder"),
        errno.EPERM: N_("permission denied; check who owns the file and folder"),
        errno.EFBIG: N_("the file is too large for this file system (or a file size limit)"),
        errno.EIO: N_("an input/output error (is the disk failing or gone?)"),
        errno.ENOENT: N_("there is no such file or folder"),
        errno.EMFILE: N_("too many open files; raise the limit (ulimit -n, LimitNOFILE)"),
    }
    found = reasons.get(exc.errno or 0)
    return _(found) if found else exc.strerror or str(exc)


def disk_is_full(folder: Path, /) -> bool:
    """True when the file system holding FOLDER has (next to) no space left."""
    try:
        found = os.statvfs(folder)
    except OSError:
        return False
    return found.f_bavail * found.f_frsize < _FULL_BELOW


def is_read_only(folder: Path, /) -> bool:
    """True when the file system holding FOLDER is mounted read-only."""
    try:
        return bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    except OSError:
        return False


def private_folder(path: Path, /) -> Path:
    """Make PATH (and its parents) if need be; PATH itself only its owner may enter."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(FileExistsError):
        path.mkdir(mode=PRIVATE_FOLDER)
    return path


def write_new(path: Path, data: bytes, /, *, mode: int = PRIVATE_FILE) -> None:
    """Write DATA to the new file PATH, whole or not at all; FileExistsError if it exists.

    The data goes to a temporary file beside PATH first, and is linked to PATH only
    when complete: a full disk never leaves half a file under PATH's name.
    """
    temporary = _write_temporary(path, data, mode)
    try:
        os.link(temporary, path)  # unlike rename, never replaces a file that exists
    except FileExistsError:
        raise
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EXDEV):
            raise
        # A file system without hard links (FAT, some network shares): rename, after a
        # check that leaves a moment for a race, which the callers' numbering tolerates.
        if os.path.lexists(path):
            raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), str(path)) from None
        os.replace(temporary, path)
        return
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)


def replace_atomically(path: Path, data: bytes, /, *, mode: int = PRIVATE_FILE) -> None:
    """Write DATA to PATH, replacing it whole or leaving it as it was."""
    with replacing(path, mode=mode) as out:
        out.write(data)


@contextlib.contextmanager
def replacing(
    path: Path,
    /,
    *,
    mode: int = PRIVATE_FILE,
    encoding: str | None = None,
    newline: str | None = None,
) -> Iterator[IO[Any]]:
    """A file to stream PATH's new content into (text with ENCODING, else bytes); PATH is
    replaced by it whole when the block ends, and left as it was if the block raises."""
    with _temporary(path, mode, "w" if encoding else "wb", encoding, newline) as (out, temporary):
        yield out
    try:
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def _write_temporary(path: Path, data: bytes, mode: int) -> str:
    with _temporary(path, mode, "wb", None, None) as (out, temporary):
        out.write(data)
    return temporary


@contextlib.contextmanager
def _temporary(
    path: Path, mode: int, how: str, encoding: str | None, newline: str | None
) -> Iterator[tuple[IO[Any], str]]:
    """A temporary file beside PATH to write; on disk (fsync) with MODE when the block
    ends, removed if it raises."""
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, how, encoding=encoding, newline=newline) as out:
            yield out, temporary
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, mode)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
