"""Editing a list file in place: add, remove, merge an export; saved as Excel wrote it.

Rows that are not touched are written back exactly as they were read, bad rows
included (an editor may still fix them). Only the format the file came in is used:
encoding, BOM, delimiter and line ends.
"""

from __future__ import annotations

__all__ = ["ImportReport", "ListFile"]

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from newsletter.audience.addresses import AddressChecker
from newsletter.audience.columns import Columns, field_key, find_columns
from newsletter.audience.csvfile import (
    EXCEL_SV,
    CsvFormat,
    CsvTable,
    Record,
    display_path,
    read_table,
    write,
)
from newsletter.audience.subscribers import SubscriberList
from newsletter.errors import Location


@dataclass(slots=True)
class ImportReport:
    """What merging an export into a list did, row by row."""

    new: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0
    rejected: list[Location] = field(default_factory=list)
    warnings: list[Location] = field(default_factory=list)


class ListFile:
    """One list file held in memory for editing; `save()` writes it back atomically."""

    def __init__(self, table: CsvTable, /, *, checker: AddressChecker | None = None) -> None:
        self.table = table
        self.columns: Columns = find_columns(table.header, table.label, table.header_line)
        self._checker = checker or AddressChecker()

    @classmethod
    def open(cls, path: Path, /, *, create: bool = False) -> ListFile:
        """The list at PATH; with CREATE, a new empty one (Swedish Excel format) if missing."""
        if create and not path.exists():
            table = CsvTable(path, display_path(path), EXCEL_SV, ["email", "name"], 1, [])
            return cls(table)
        return cls(read_table(path))

    @property
    def label(self) -> str:
        return self.table.label

    def lines_of(self, address: str, /) -> list[int]:
        """The lines on which ADDRESS is (compared as normalised, case-insensitively)."""
        key = self._key(address)
        return [r.line for r in self.table.records if self._key(self._email(r)) == key]

    def add(self, address: str, /, *, name: str = "", fields: Mapping[str, str] = {}) -> str:
        """Add ADDRESS or update its name and fields: "added", "updated" or "unchanged"."""
        email = self._checker.normalise(address)
        values = {**({"name": name} if name else {}), **fields}
        for record in self.table.records:
            if self._key(self._email(record)) == email.lower():
                return "updated" if self._update(record, values) else "unchanged"
        self._append(email, values)
        return "added"

    def remove(self, address: str, /) -> list[int]:
        """Remove every row of ADDRESS; the lines they were on."""
        key = self._key(address)
        kept, lines = [], []
        for record in self.table.records:
            if self._key(self._email(record)) == key:
                lines.append(record.line)
            else:
                kept.append(record)
        self.table.records = kept
        return lines

    def merge(self, export: SubscriberList, /) -> ImportReport:
        """Merge EXPORT's subscribers: new ones appended, known ones get its non-blank values."""
        report = ImportReport(rejected=list(export.problems), warnings=list(export.warnings))
        known = {self._key(self._email(r)): r for r in self.table.records}
        for subscriber in export.subscribers:
            values = {**({"name": subscriber.name} if subscriber.name else {})}
            values |= {export.headers.get(k, k): v for k, v in subscriber.fields.items() if v}
            if (record := known.get(subscriber.key)) is None:
                known[subscriber.key] = self._append(subscriber.email, values)
                report.new.append(subscriber.email)
            elif self._update(record, values):
                report.updated.append(subscriber.email)
            else:
                report.unchanged += 1
        return report

    def save(self) -> CsvFormat:
        """Write the file atomically in its own format; the format used."""
        width = len(self.table.header)
        rows = [r.cells + [""] * (width - len(r.cells)) for r in self.table.records]
        return write(self.table.path, self.table.header, rows, self.table.format)

    def _append(self, email: str, values: Mapping[str, str]) -> Record:
        record = Record(0, [""] * len(self.table.header))
        record.cells[self.columns.email] = email
        self._update(record, values)
        self.table.records.append(record)
        return record

    def _update(self, record: Record, values: Mapping[str, str]) -> bool:
        changed = False
        for header, value in self._split_name(values).items():
            index = self._column(header)
            record.cells.extend([""] * (index + 1 - len(record.cells)))
            if record.cells[index] != value:
                record.cells[index], changed = value, True
        return changed

    def _split_name(self, values: Mapping[str, str]) -> Mapping[str, str]:
        """A name for a list with first- and last-name columns only: "Anna Maria | Berg"."""
        columns = self.columns
        if "name" not in values or columns.name is not None or columns.last_name is None:
            return values
        first, _, last = values["name"].rpartition(" ")
        split = {k: v for k, v in values.items() if k != "name"}
        split[self.table.header[columns.last_name]] = last
        if columns.first_name is not None:
            split[self.table.header[columns.first_name]] = first
        return split

    def _column(self, header: str) -> int:
        """The column for HEADER (matched as a field key), added at the end when missing."""
        key = field_key(header)
        if key == "name" and self.columns.name is not None:
            return self.columns.name
        for index, cell in enumerate(self.table.header):
            if index != self.columns.email and field_key(cell) == key:
                return index
        self.table.header.append(header)
        self.columns = find_columns(self.table.header, self.label, self.table.header_line)
        return len(self.table.header) - 1

    def _email(self, record: Record) -> str:
        index = self.columns.email
        return record.cells[index] if index < len(record.cells) else ""

    def _key(self, value: str) -> str:
        try:
            return self._checker.normalise(value).lower()
        except ValueError:
            return value.strip().lower()
