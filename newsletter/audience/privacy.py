"""Data-protection requests about one address: show everything held, or erase it.

`forget` removes the address from every list file, the sign-ups (with their consent
records), the send journal and the outbox (.eml files written when no SMTP server is
configured), and keeps it suppressed by its hash only, so it is never mailed again by
mistake (GDPR art. 17 erasure, while honouring the person's objection, art. 21).

Send receipts are records kept for the public archive; whether they may be thinned is
for the organisation's archive rules (art. 17(3)(d)), so `forget` names the receipts
that mention the address rather than rewriting them.
"""

from __future__ import annotations

__all__ = ["ForgetReport", "address_report", "forget"]

from dataclasses import dataclass, field
from email import policy
from email.parser import BytesHeaderParser
from pathlib import Path
from typing import Any

from newsletter.audience import signups, suppression
from newsletter.audience.addresses import given_address, normalise_address
from newsletter.audience.csvfile import display_path
from newsletter.audience.listfile import ListFile
from newsletter.config import Config
from newsletter.state import Connection, transaction


@dataclass(slots=True)
class ForgetReport:
    """What `forget` erased: lines per list file, journal rows, and the hashed entry kept."""

    address: str
    lists: dict[str, list[int]] = field(default_factory=dict)
    journal_rows: int = 0
    outbox_files: list[str] = field(default_factory=list)
    suppression_entries: int = 0
    receipts: list[str] = field(default_factory=list)  # kept, as records: see the docstring
    signups: int = 0  # sign-ups on the web, confirmed or pending, erased with their consent


def _list_files(config: Config) -> list[Path]:
    return sorted(path for path in config.subscribers_dir.glob("*.csv") if path.is_file())


def address_report(config: Config, db: Connection, address: str, /) -> dict[str, Any]:
    """Everything held on ADDRESS: list rows, sign-ups with their consent, suppression
    entries, journal rows, outbox files and the receipts naming it."""
    email = given_address(address)
    return {
        "address": email,
        "lists": [row for path in _list_files(config) for row in _list_rows(path, email)],
        "signups": signups.records(db, email),
        "suppression": _suppression_rows(db, email),
        "journal": _journal_rows(db, email),
        "outbox": [display_path(path) for path in _outbox_files(config, email)],
        "receipts": [display_path(path) for path in _receipts(config, email)],
    }


def _suppression_rows(db: Connection, email: str) -> list[dict[str, Any]]:
    wanted = suppression.address_hash(email)
    return [
        {"newsletter": e.newsletter or "(all)", "reason": e.reason, "source": e.source,
         "since": e.created_at}
        for e in suppression.entries(db)
        if e.address_hash == wanted
    ]  # fmt: skip


def _list_rows(path: Path, email: str) -> list[dict[str, Any]]:
    listfile = ListFile.open(path)
    rows = []
    lines = set(listfile.lines_of(email))
    for record in listfile.table.records:
        if record.line in lines:
            cells = dict(zip(listfile.table.header, record.cells, strict=False))
            rows.append({"list": listfile.label, "line": record.line, "row": cells})
    return rows


def _journal_rows(db: Connection, email: str) -> list[dict[str, Any]]:
    rows = db.execute(
        "SELECT s.newsletter, s.slug, s.subject, r.name, r.status, r.updated_at"
        " FROM recipients AS r JOIN sends AS s ON s.id = r.send_id"
        " WHERE lower(r.address) = ? ORDER BY s.id",
        (email.lower(),),
    )
    return [dict(row) for row in rows]


def _outbox_files(config: Config, email: str) -> list[Path]:
    """The .eml files written to the outbox (sends without an SMTP server) for EMAIL."""
    parser = BytesHeaderParser(policy=policy.default)
    found = []
    for path in sorted(config.outbox.rglob("*.eml")):
        with path.open("rb") as file:
            to = parser.parse(file).get("To")
        addresses = getattr(to, "addresses", ())
        if any(_same(f"{a.username}@{a.domain}", email) for a in addresses):
            found.append(path)
    return found


def _receipts(config: Config, email: str) -> list[Path]:
    """The send receipts (CSV and JSON) that name EMAIL."""
    needle = email.lower().encode()
    folder = config.state_dir / "receipts"
    return [
        path
        for path in sorted(folder.rglob("*"))
        if path.suffix in {".csv", ".json"} and needle in path.read_bytes().lower()
    ]


def _same(found: str, email: str) -> bool:
    try:
        return normalise_address(found).lower() == email.lower()
    except ValueError:
        return False


def forget(config: Config, db: Connection, address: str, /) -> ForgetReport:
    """Erase ADDRESS from every list, the sign-ups and the journal; keep it suppressed by
    hash only."""
    email = given_address(address)
    report = ForgetReport(email)
    for path in _list_files(config):
        listfile = ListFile.open(path)
        if lines := listfile.remove(email):
            listfile.save()
            report.lists[listfile.label] = lines
    report.journal_rows = _forget_in_journal(db, email)
    report.signups = signups.forget(db, email)
    for path in _outbox_files(config, email):
        path.unlink()
        report.outbox_files.append(display_path(path))
    report.receipts = [display_path(path) for path in _receipts(config, email)]
    suppression.forget(db, email, source="forgotten on request")
    report.suppression_entries = len(
        [e for e in suppression.entries(db) if e.address_hash == suppression.address_hash(email)]
    )
    return report


def _forget_in_journal(db: Connection, email: str) -> int:
    """Blank the address in journal rows; unsent ones are skipped so none goes out."""
    with transaction(db):
        db.execute(
            "UPDATE recipients SET status = 'skipped', reply = 'forgotten on request'"
            " WHERE lower(address) = ? AND status IN ('queued', 'sending')",
            (email.lower(),),
        )
        # The keyed id goes too: nothing in the journal leads back to the address.
        cursor = db.execute(
            "UPDATE recipients SET address = '', address_id = '', name = '', fields = '{}'"
            " WHERE lower(address) = ?",
            (email.lower(),),
        )
    return cursor.rowcount
