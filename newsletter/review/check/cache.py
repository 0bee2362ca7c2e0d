"""The link check's memory: addresses that worked, kept for an hour in the state folder.

Only answers that were fine are kept (a page found, an image with its size): an address
that failed is asked again at the next check, so a page fixed meanwhile shows as fixed.
The file is written whole or not at all; one that cannot be read is started afresh.
"""

from __future__ import annotations

__all__ = ["CACHE_FILE", "MAX_AGE", "LinkCache"]

import contextlib
import dataclasses
import json
import time
from pathlib import Path
from typing import Any

from newsletter.fileio import UnreadableFile, private_folder, read_regular, replace_atomically
from newsletter.review.check.fetch import Fetched
from newsletter.translate import N_

CACHE_FILE = "link-check.json"
MAX_AGE = 3600.0
_LIMIT = 8 << 20
_VERSION = 1


class LinkCache:
    """URL -> what it answered, while younger than MAX_AGE."""

    def __init__(self, folder: Path, /, *, now: float | None = None) -> None:
        self.path = folder / CACHE_FILE
        self.now = time.time() if now is None else now
        self._entries: dict[str, dict[str, Any]] = self._read()
        self._changed = False

    def get(self, key: str) -> Fetched | None:
        entry = self._entries.get(key)
        if entry is None or not 0 <= self.now - float(entry.get("at", 0)) < MAX_AGE:
            return None
        try:
            return Fetched(**entry["result"])
        except (TypeError, KeyError):
            return None

    def put(self, key: str, result: Fetched) -> None:
        if result.ok:
            self._entries[key] = {"at": self.now, "result": dataclasses.asdict(result)}
            self._changed = True

    def save(self) -> None:
        """Write the entries still young; a folder that cannot be written keeps none."""
        if not self._changed:
            return
        young = {k: v for k, v in self._entries.items() if self.now - v.get("at", 0) < MAX_AGE}
        data = json.dumps({"version": _VERSION, "entries": young}, ensure_ascii=False)
        with contextlib.suppress(OSError):  # a cache: the check's results do not depend on it
            private_folder(self.path.parent)
            replace_atomically(self.path, data.encode("utf-8"))

    def _read(self) -> dict[str, dict[str, Any]]:
        try:
            data = json.loads(read_regular(self.path, limit=_LIMIT, what=N_("the link cache")))
        except (UnreadableFile, OSError, ValueError):
            return {}
        if not isinstance(data, dict) or data.get("version") != _VERSION:
            return {}
        entries = data.get("entries")
        return entries if isinstance(entries, dict) else {}
