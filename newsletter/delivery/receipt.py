"""The receipt of a send: who got the issue, when, and what the server answered.

Written as CSV (opens in Excel; UTF-8 with BOM, `;`, as Swedish Excel expects) and JSON
(for archiving as a public record, with the send's own data on top), into
`STATE/receipts/NEWSLETTER/SLUG.csv|.json`. A later run of the same send (resending
uncertain rows, retrying failures) writes the receipt anew with the final state.
"""

from __future__ import annotations

__all__ = ["folder", "paths", "write"]

import csv
import json
import os
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from newsletter.config import Config
from newsletter.delivery import journal

_COLUMNS = ["seq", "address", "name", "status", "attempts", "time", "message_id", "reply"]


def folder(config: Config, newsletter: str) -> Path:
    return config.state_dir / "receipts" / newsletter


def paths(config: Config, send: journal.Send, /) -> tuple[Path, Path]:
    """Where SEND's receipt is (or will be): the CSV and the JSON file."""
    base = folder(config, send.newsletter) / send.slug
    return base.with_name(base.name + ".csv"), base.with_name(base.name + ".json")


def write(
    config: Config, db: sqlite3.Connection, send: journal.Send, /, *, transport: str
) -> tuple[Path, Path]:
    """Write SEND's receipt as CSV and JSON; return both paths."""
    csv_path, json_path = paths(config, send)
    csv_path.parent.mkdir(parents=True, exist_ok=True)
    # Write beside, then rename: a receipt is never left half written.
    with _replacing(csv_path, encoding="utf-8-sig") as out:
        writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
        writer.writerow(_COLUMNS)
        writer.writerows(_values(row) for row in journal.rows(db, send))
    with _replacing(json_path, encoding="utf-8") as out:
        _write_json(out, db, send, transport)
    return csv_path, json_path


def _values(row: sqlite3.Row) -> list[Any]:
    return [row["seq"], row["address"], row["name"], _status(row["status"]), row["attempts"],
            row["updated_at"] or "", row["message_id"] or "", row["reply"] or ""]  # fmt: skip


def _status(status: str) -> str:
    return "uncertain" if status == "sending" else status


def _write_json(out: TextIO, db: sqlite3.Connection, send: journal.Send, transport: str) -> None:
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
        self.file = self.temporary.open("w", encoding=encoding, newline="")

    def __enter__(self) -> TextIO:
        return self.file

    def __exit__(self, kind: object, *rest: object) -> None:
        self.file.close()
        if kind is None:
            os.replace(self.temporary, self.path)
        else:
            self.temporary.unlink(missing_ok=True)
