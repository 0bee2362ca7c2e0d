"""Subscriber lists: CSV files in `subscribers/`, loaded, checked, merged and suppressed.

A bad row is reported as `FILE:LINE: message` and left out; the good rows stay
usable. Duplicates, within a list and across lists, are merged: the first
occurrence wins and later rows fill its blank fields.
"""

from __future__ import annotations

__all__ = [
    "LeftOut",
    "ListCount",
    "Recipients",
    "Subscriber",
    "SubscriberList",
    "available_lists",
    "default_lists",
    "fingerprint",
    "load_list",
    "load_named",
    "merge",
    "recipients",
    "resolve_list",
    "signup_list",
]

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

from newsletter.audience import signups
from newsletter.audience.addresses import AddressChecker, split_mailbox
from newsletter.audience.columns import Columns, Fields, find_columns
from newsletter.audience.csvfile import CsvTable, Record, blank, formula_like, open_table
from newsletter.audience.suppression import address_hash, reasons, suppressed_hashes
from newsletter.config import Config
from newsletter.errors import Location, SubscriberError
from newsletter.state import Connection
from newsletter.translate import _

# Control characters other than tab and line feed have no place in a personal field.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")


@dataclass(frozen=True, slots=True)
class Subscriber:
    email: str  # normalised
    name: str  # "" when none
    fields: Mapping[str, str]  # personal fields from further columns
    origin: str  # the list, "subscribers/x.csv"; the whole place when LINE is 0
    line: int = 0  # the row in ORIGIN (kept apart: 100,000 "x.csv:N" strings cost 7 MB)

    @property
    def source(self) -> str:
        """Where the subscriber comes from: "subscribers/x.csv:12"."""
        return f"{self.origin}:{self.line}" if self.line else self.origin

    @property
    def key(self) -> str:
        """What makes two rows the same subscriber (as the suppression list matches)."""
        key = self.email.lower()
        # Most addresses are lower-case already: keep one string, not two (100,000 rows).
        return self.email if key == self.email else key


@dataclass(frozen=True, slots=True)
class LeftOut:
    """A row of a list that a send leaves out, and why: `suppressed` (DETAIL: the reason,
    unsubscribed, bounced, complained or manual), `duplicate` (DETAIL: where the row it was
    merged into is) or `invalid` (DETAIL: what is wrong with it)."""

    email: str  # as written in the row when it is invalid
    name: str
    source: str  # "subscribers/x.csv:12"
    kind: Literal["suppressed", "duplicate", "invalid"]
    detail: str


@dataclass(slots=True)
class SubscriberList:
    """One list file: its valid subscribers (deduplicated), problems and warnings."""

    path: Path
    label: str
    subscribers: list[Subscriber] = field(default_factory=list)
    problems: list[Location] = field(default_factory=list)
    warnings: list[Location] = field(default_factory=list)
    rows: int = 0
    duplicates: int = 0
    headers: dict[str, str] = field(default_factory=dict)  # field key -> column header
    left_out: list[LeftOut] = field(default_factory=list)  # duplicates and invalid rows


@dataclass(frozen=True, slots=True)
class ListCount:
    """What one list contributed to a send."""

    list: str
    rows: int
    subscribers: int
    problems: int
    duplicates: int  # rows merged into an earlier row of the same list
    overlap: int  # subscribers already on an earlier list
    suppressed: int
    targeted: int
    columns: tuple[str, ...] = ()  # the personal fields the list's columns give


@dataclass(frozen=True, slots=True)
class Recipients:
    """Who a send targets: deduplicated across lists, minus the suppression list."""

    subscribers: list[Subscriber]
    suppressed: int
    duplicates: int
    problems: list[Location]
    warnings: list[Location]
    lists: list[ListCount]
    fingerprint: str
    left_out: list[LeftOut] = field(default_factory=list)  # in the order of lists and rows


def available_lists(config: Config) -> list[str]:
    """The names of the lists in the subscribers folder (regular files only)."""
    return sorted(path.stem for path in config.subscribers_dir.glob("*.csv") if path.is_file())


def resolve_list(config: Config, name_or_path: str, /, *, must_exist: bool = True) -> Path:
    """A list name → config.subscribers_dir/NAME.csv; anything with a / or .csv is a path."""
    if "/" in name_or_path or "\\" in name_or_path or name_or_path.lower().endswith(".csv"):
        path = Path(name_or_path)
    else:
        path = config.subscribers_dir / f"{name_or_path}.csv"
    if must_exist and not path.is_file():
        known = ", ".join(available_lists(config)) or "none yet"
        what = "there is no such list"
        if path.exists():
            what = "is a folder, not a list file" if path.is_dir() else "is not a regular file"
        raise SubscriberError(
            _(
                "{path}: {what} (lists in {subscribers_dir}: {known}). Give a list name or the "
                "path of a CSV file."
            ).format(path=path, what=what, subscribers_dir=config.subscribers_dir, known=known)
        )
    return path


def load_list(
    path: Path, /, *, check_dns: bool = False, checker: AddressChecker | None = None
) -> SubscriberList:
    """Read and check one list file; SubscriberError when it has no header with addresses."""
    table, records = open_table(path)
    columns = find_columns(table.header, table.label, table.header_line)
    result = SubscriberList(path, table.label, problems=table.problems, warnings=table.warnings)
    result.headers = {key: table.header[i].strip() for i, key in columns.fields}
    checker = checker or AddressChecker(check_dns=check_dns)
    keys = {key: n for n, (_i, key) in enumerate(columns.fields)}  # shared by every row
    index: dict[str, int] = {}
    for record in records:
        if blank(record.cells):
            continue
        result.rows += 1
        if formula := next((cell for cell in record.cells if formula_like(cell)), None):
            result.warnings.append(_formula_warning(table, record, formula))
        item = _subscriber(table, columns, keys, record, checker)
        if isinstance(item, Location):
            result.problems.append(item)
            raw = record.cells[columns.email].strip() if len(record.cells) > columns.email else ""
            result.left_out.append(
                LeftOut(raw, "", f"{table.label}:{record.line}", "invalid", item.message)
            )
        elif (at := index.setdefault(item.key, len(result.subscribers))) == len(result.subscribers):
            result.subscribers.append(item)
        else:
            result.duplicates += 1
            first = result.subscribers[at]
            result.subscribers[at] = merge(first, item)
            result.warnings.append(
                _at(table, record, _("{email} is also on line {line}; merged").format(
                    email=item.email, line=first.line))
            )  # fmt: skip
            result.left_out.append(LeftOut(item.email, item.name, item.source, "duplicate",
                                           first.source))  # fmt: skip
    result.problems.sort(key=lambda problem: problem.line)
    return result


def _subscriber(
    table: CsvTable,
    columns: Columns,
    keys: dict[str, int],
    record: Record,
    checker: AddressChecker,
) -> Subscriber | Location:
    cells, width = record.cells, len(table.header)
    if len(cells) != width:
        if len(cells) > width and any(cell.strip() for cell in cells[width:]):
            return _at(
                table,
                record,
                _(
                    "the row has {n_cells} cells but the header has {width}: a value probably "
                    "contains {delimiter_name} without quotes around it"
                ).format(n_cells=len(cells), width=width, delimiter_name=_delimiter_name(table)),
            )
        cells = cells + [""] * (width - len(cells))
    raw = cells[columns.email].strip()
    if not raw:
        return _at(
            table,
            record,
            _("no e-mail address in column {header!r}").format(header=table.header[columns.email]),
        )
    display_name, raw = split_mailbox(raw)
    try:
        email = checker.normalise(raw)
    except ValueError as exc:
        return _at(table, record, str(exc))
    fields = Fields(keys, tuple(_clean(cells[i]) for i, _key in columns.fields))
    name = _clean(columns.name_of(cells)) or display_name
    return Subscriber(email, name, fields, table.label, record.line)


def _formula_warning(table: CsvTable, record: Record, cell: str) -> Location:
    shown = cell if len(cell) <= 40 else cell[:39] + "…"
    return _at(
        table,
        record,
        _(
            "{shown!r} starts with {cell!r}, so Excel would run it as a formula; the tool writes "
            "it with a ' in front (as text) in every file it makes. Check the value."
        ).format(shown=shown, cell=cell[0]),
    )


def _clean(value: str) -> str:
    value = value.strip()
    return value if value.isprintable() else _CONTROL.sub("", value)


def _at(table: CsvTable, record: Record, message: str) -> Location:
    return Location(table.label, record.line, message=message)


def _delimiter_name(table: CsvTable) -> str:
    names = {";": "a semicolon (;)", ",": "a comma (,)", "\t": "a tab"}
    return names.get(table.format.delimiter, repr(table.format.delimiter))


def merge(first: Subscriber, later: Subscriber) -> Subscriber:
    """FIRST, with its blank name and fields filled from LATER."""
    fields = dict(first.fields)
    for key, value in later.fields.items():
        if value and not fields.get(key):
            fields[key] = value
    return Subscriber(first.email, first.name or later.name, fields, first.origin, first.line)


def recipients(
    config: Config,
    db: Connection,
    lists: Sequence[str],
    /,
    *,
    newsletter: str,
    check_dns: bool = False,
) -> Recipients:
    """Who a send of NEWSLETTER to LISTS (default: default_lists) would target."""
    names = list(lists) or default_lists(config, db, newsletter)
    suppressed = suppressed_hashes(db, newsletter=newsletter)
    checker = AddressChecker(check_dns=check_dns)
    loaded = [
        load_named(config, db, name, newsletter=newsletter, checker=checker) for name in names
    ]
    found = _combine(loaded, suppressed)
    # Only the rows left out as suppressed ask the suppression list why: a few, not all.
    why = reasons(db, [o.email for o in found.left_out if o.kind == "suppressed"],
                  newsletter=newsletter)  # fmt: skip
    found.left_out[:] = [
        replace(o, detail=why.get(o.email.lower(), "")) if o.kind == "suppressed" else o
        for o in found.left_out
    ]
    return found


def default_lists(config: Config, db: Connection, newsletter: str, /) -> list[str]:
    """What a send of NEWSLETTER goes to when no list is named: its `default_list` (one or
    several), and its sign-up list when anyone has confirmed a sign-up."""
    names = list(config.newsletter(newsletter).default_lists)
    if signups.counts(db, newsletter)[0]:
        names.append(signups.LIST_NAME)
    return names


def load_named(
    config: Config,
    db: Connection,
    name: str,
    /,
    *,
    newsletter: str,
    checker: AddressChecker | None = None,
) -> SubscriberList:
    """The list NAME: NEWSLETTER's sign-up list for `signups`, else a CSV file (resolve_list)."""
    if name == signups.LIST_NAME:
        return signup_list(db, newsletter)
    return load_list(resolve_list(config, name), checker=checker)


def signup_list(db: Connection, newsletter: str, /) -> SubscriberList:
    """The confirmed sign-ups of NEWSLETTER as a list; pending ones are never on it."""
    label = f"{signups.LIST_NAME} (confirmed sign-ups of {newsletter})"
    found = [Subscriber(m.address, m.name, {}, label) for m in signups.members(db, newsletter)]
    return SubscriberList(Path(signups.LIST_NAME), label, found, rows=len(found))


def _combine(loaded: Iterable[SubscriberList], suppressed: set[str]) -> Recipients:
    index: dict[str, int] = {}
    merged: list[Subscriber] = []
    counts, problems, warnings = [], [], []
    dropped: set[str] = set()
    left_out: list[LeftOut] = []
    for item in loaded:
        overlap = on_list_suppressed = targeted = 0
        suppressed_here = []
        for subscriber in item.subscribers:
            key = subscriber.key
            if key in dropped or address_hash(key) in suppressed:
                dropped.add(key)
                on_list_suppressed += 1
                suppressed_here.append(LeftOut(subscriber.email, subscriber.name,
                                               subscriber.source, "suppressed", ""))  # fmt: skip
            elif (at := index.get(key)) is not None:
                overlap += 1
                merged[at] = merge(merged[at], subscriber)
            else:
                index[key] = len(merged)
                merged.append(subscriber)
                targeted += 1
        counts.append(
            ListCount(item.label, item.rows, len(item.subscribers), len(item.problems),
                      item.duplicates, overlap, on_list_suppressed, targeted, tuple(item.headers))
        )  # fmt: skip
        problems += item.problems
        warnings += item.warnings
        left_out += sorted([*suppressed_here, *item.left_out], key=_row_number)
    duplicates = sum(c.duplicates + c.overlap for c in counts)
    return Recipients(
        merged, len(dropped), duplicates, problems, warnings, counts, fingerprint(merged), left_out
    )


def _row_number(item: LeftOut) -> int:
    number = item.source.rpartition(":")[2]
    return int(number) if number.isdigit() else 0


def fingerprint(subscribers: Iterable[Subscriber]) -> str:
    """sha256 over the sorted addresses, names and fields: changes when a list changes."""
    digest = hashlib.sha256()
    # Unit and record separators cannot occur in a cleaned value: the join is unambiguous.
    for s in sorted(subscribers, key=lambda s: s.email):
        fields = (f"{k}\x1e{v}" for k, v in sorted(s.fields.items()))
        digest.update("\x1f".join([s.email, s.name, *fields]).encode("utf-8") + b"\x1d")
    return digest.hexdigest()
