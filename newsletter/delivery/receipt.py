"""The receipt of a send: who got the issue, when, and what the server answered.

Written as CSV (opens in Excel; UTF-8 with BOM, `;`, as Swedish Excel expects) and JSON
(for archiving as a public record, with the send's own data on top), into
`STATE/receipts/NEWSLETTER/SLUG.csv|.json`, private (0600: they list every address).
A later run of the same send (resending uncertain rows, retrying failures) writes its
receipt anew with the final state; a receipt of another send of the same issue (after
a restore, say) is never overwritten: the new one is `SLUG.2.csv|.json`, and so on.
Cells that Excel would run as formulas are written as text (csvfile.excel_safe).
"""

from __future__ import annotations

__all__ = ["Head", "folder", "heads", "paths", "read_head", "write"]

import contextlib
import csv
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from newsletter.audience.csvfile import excel_safe
from newsletter.config import Config
from newsletter.delivery import journal, runs
from newsletter.fileio import PRIVATE_FILE, private_folder
from newsletter.state import Connection, Row

_COLUMNS = ["seq", "address", "name", "status", "attempts", "time", "message_id", "reply"]


def folder(config: Config, newsletter: str) -> Path:
    return config.state_dir / "receipts" / newsletter


@dataclass(frozen=True, slots=True)
class Head:
    """Which send a receipt is of, as its JSON file says."""

    path: Path  # the JSON file
    newsletter: str
    issue: str
    started_at: str


def paths(config: Config, send: journal.Send, /) -> tuple[Path, Path]:
    """Where SEND's receipt is (or will be): the CSV and the JSON file.

    SLUG.json when it is free or holds this send's receipt; else SLUG.2.json, ...
    """
    base = folder(config, send.newsletter)
    number = 1
    while True:
        stem = send.slug if number == 1 else f"{send.slug}.{number}"
        json_path = base / f"{stem}.json"
        head = read_head(json_path)
        if head is None and not json_path.exists():
            return base / f"{stem}.csv", json_path
        if head is not None and (head.issue, head.started_at) == (send.slug, send.created_at):
            return base / f"{stem}.csv", json_path
        number += 1


# The receipt's head, written first: `"started_at": "2026-03-01T12:00:00Z",` on its line.
_FIELD = re.compile(r'^ "(newsletter|issue|started_at)": ("(?:[^"\\]|\\.)*"),?$', re.M)


def read_head(path: Path, /) -> Head | None:
    """The head of the receipt JSON at PATH; None when it is missing or not a receipt."""
    try:
        with path.open(encoding="utf-8", errors="replace") as file:
            start = file.read(8192)
    except OSError:
        return None
    found = {name: json.loads(value) for name, value in _FIELD.findall(start)}
    if len(found) < 3:
        return None
    return Head(path, found["newsletter"], found["issue"], found["started_at"])


def heads(config: Config, /) -> Iterator[Head]:
    """The head of every receipt in the state folder."""
    with contextlib.suppress(OSError):
        for path in sorted((config.state_dir / "receipts").glob("*/*.json")):
            if (head := read_head(path)) is not None:
                yield head


def write(
    config: Config, db: Connection, send: journal.Send, /, *, transport: str
) -> tuple[Path, Path]:
    """Write SEND's receipt as CSV and JSON; return both paths."""
    csv_path, json_path = paths(config, send)
    private_folder(csv_path.parent.parent)
    csv_path.parent.mkdir(parents=True, exist_ok=True)
    # Write beside, then rename: a receipt is never left half written.
    with _replacing(csv_path, encoding="utf-8-sig") as out:
        writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
        writer.writerow(_COLUMNS)
        writer.writerows(
            [excel_safe(cell) for cell in _values(row)] for row in journal.rows(db, send)
        )
    with _replacing(json_path, encoding="utf-8") as out:
        _write_json(out, db, send, transport)
    return csv_path, json_path


def _values(row: Row) -> list[Any]:
    return [row["seq"], row["address"], row["name"], _status(row["status"]), row["attempts"],
            row["updated_at"] or "", row["message_id"] or "", row["reply"] or ""]  # fmt: skip


def _status(status: str) -> str:
    return "uncertain" if status == "sending" else status


def _write_json(out: TextIO, db: Connection, send: journal.Send, transport: str) -> None:
    counts = journal.counts(db, send)
    head = {
        "newsletter": send.newsletter,
        "issue": send.slug,
        "subject": send.subject,
        "lists": send.lists,
        "started_at": send.created_at,
        "finished_at": send.finished_at,
        "written_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "delivered_by": transport,
        # The issue file as it was sent (`sha256sum ISSUE`): a correction does not change it.
        "issue_sha256": runs.story(db, send).issue_sha256,
        "counts": {
            "sent": counts.sent,
            "failed": counts.failed,
            "skipped": counts.skipped,
            "uncertain": counts.sending,
            "queued": counts.queued,
        },
    }
    # Streamed row by row: a receipt of 100,000 recipients never sits in memory whole.
    out.write(json.dumps(head, ensure_ascii=False, indent=1)[:-2] + ',\n "recipients": [')
    for number, row in enumerate(journal.rows(db, send)):
        item = dict(zip(_COLUMNS, _values(row), strict=True))
        out.write(("," if number else "") + "\n  " + json.dumps(item, ensure_ascii=False))
    out.write("\n ]\n}\n")


class _replacing:
    """Open PATH.tmp for writing; on success rename it over PATH."""

    def __init__(self, path: Path, *, encoding: str) -> None:
        self.path, self.temporary = path, path.with_name(path.name + ".tmp")
        fd = os.open(self.temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE)
        self.file = os.fdopen(fd, "w", encoding=encoding, newline="")

    def __enter__(self) -> TextIO:
        return self.file

    def __exit__(self, kind: object, *rest: object) -> None:
        try:
            self.file.close()  # a full disk may say so only now
        except OSError:
            self.temporary.unlink(missing_ok=True)
            raise
        if kind is None:
            os.replace(self.temporary, self.path)
        else:
            self.temporary.unlink(missing_ok=True)
