"""A real small file system for the tests that fill a disk or make it read-only.

A tmpfs of a few hundred kilobytes mounted inside the test's tmp_path: the kernel says
ENOSPC and EROFS as it would on a full or read-only disk, to every process alike
(SQLite included). Mounting needs root (CI runs .ci/setup and the tests as root);
elsewhere these tests are skipped with that reason, which `pytest -ra` lists.
"""

from __future__ import annotations

import contextlib
import errno
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest


class SmallDisk:
    """A mounted tmpfs at PATH."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.filler = path / "filler.bin"

    def fill(self) -> None:
        """Take every free byte: the next write anywhere on the disk fails with ENOSPC."""
        with self.filler.open("ab", buffering=0) as out:
            for size in (1 << 16, 1 << 12, 1 << 9, 1):
                with contextlib.suppress(OSError):
                    while True:
                        out.write(b"\0" * size)

    def free(self) -> None:
        self.filler.unlink(missing_ok=True)

    def resize(self, kilobytes: int) -> None:
        _mount("remount", f"size={kilobytes}k", self.path)

    def read_only(self) -> None:
        _mount("remount", "ro", self.path)

    def read_write(self) -> None:
        _mount("remount", "rw", self.path)


def _mount(*options: str | Path, source: str | None = None) -> None:
    parts = [str(o) for o in options]
    if parts[0] == "remount":
        command = ["mount", "-o", ",".join(parts[:-1]), parts[-1]]
    else:
        command = ["mount", "-t", "tmpfs", "-o", parts[0], source or "tmpfs", parts[1]]
    subprocess.run(command, check=True, capture_output=True)


@contextlib.contextmanager
def small_disk(path: Path, kilobytes: int) -> Iterator[SmallDisk]:
    """A tmpfs of KILOBYTES at PATH (made if need be), unmounted afterwards."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs (a real full disk) needs root")
    path.mkdir(parents=True, exist_ok=True)
    try:
        _mount(f"size={kilobytes}k,mode=0755", path)
    except subprocess.CalledProcessError as exc:
        pytest.fail(f"cannot mount a tmpfs at {path}: {exc.stderr.decode().strip()}")
    try:
        yield SmallDisk(path)
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False, capture_output=True)


def assert_full(path: Path) -> None:
    """PATH's file system really is full (the test would prove nothing otherwise)."""
    try:
        (path / "probe").write_bytes(b"x" * 4096)
    except OSError as exc:
        assert exc.errno == errno.ENOSPC
    else:
        (path / "probe").unlink()
        pytest.fail(f"{path} is not full")
