"""CSV files as Excel writes them: encodings, delimiters, line ends, and safe rewriting.

Reading keeps the file's format (encoding, BOM, delimiter, line end, Excel's `sep=`
line) so that writing it back gives a file Excel still opens the same way. Every
record keeps the physical line it starts on, for `FILE:LINE: message` reports.
Every CSV the tool writes goes through excel_safe: a cell Excel would run as a formula
(`=HYPERLINK(...)`, `+cmd|...`, `@SUM(1)`) is written as text, with a leading `'`
(OWASP's rule), which reading takes off again.
"""

from __future__ import annotations

__all__ = [
    "EXCEL_SV",
    "MAX_LIST_BYTES",
    "CsvFormat",
    "CsvTable",
    "Record",
    "blank",
    "display_path",
    "excel_safe",
    "formula_like",
    "open_table",
    "read_table",
    "write",
]

import codecs
import contextlib
import csv
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from itertools import islice
from pathlib import Path

from newsletter.errors import Location, SubscriberError
from newsletter.fileio import PRIVATE_FILE, UnreadableFile, read_regular, replace_atomically
from newsletter.translate import N_, _

_DELIMITERS = (";", ",", "\t")
# .xlsx (a zip archive) and the old .xls (an OLE2 compound file).
_WORKBOOKS = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+")
_OTHER_BREAKS = "\v\f\x1c\x1d\x1e\x85\u2028\u2029"
_SEP_LINE = re.compile(r"^sep=(.)\r?\n?$")
_LOOKS_LIKE_ADDRESS = re.compile(r"^\S+@\S+\.\S+\s*$")
# 100,000 subscribers with a few columns are about 15 MB; a list this big is a mistake.
MAX_LIST_BYTES = 256 * 1024 * 1024
# OWASP (CSV injection): Excel evaluates a cell that starts with one of these.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?\d+(?:[.,]\d+)?")


@dataclass(frozen=True, slots=True)
class CsvFormat:
    """How a file is written: what to keep when rewriting it."""

    encoding: str = "utf-8"
    bom: bool = False
    delimiter: str = ","
    newline: str = "\n"
    sep_line: bool = False


# What Swedish Excel opens directly with åäö intact: UTF-8 with BOM, `;`, CRLF.
EXCEL_SV = CsvFormat(encoding="utf-8", bom=True, delimiter=";", newline="\r\n")


@dataclass(frozen=True, slots=True)
class Record:
    line: int
    cells: list[str]


@dataclass(slots=True)
class CsvTable:
    """A file's header and records; problems are records that could not be read."""

    path: Path
    label: str
    format: CsvFormat
    header: list[str]
    header_line: int
    records: list[Record]
    problems: list[Location] = field(default_factory=list)
    warnings: list[Location] = field(default_factory=list)


def display_path(path: Path) -> str:
    """PATH relative to the working folder when it is inside it, as editors typed it."""
    with contextlib.suppress(ValueError):
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    return str(path)


def read_table(path: Path, /) -> CsvTable:
    """Read PATH's header and all its records."""
    table, records = open_table(path)
    table.records = list(records)
    return table


def open_table(path: Path, /) -> tuple[CsvTable, Iterator[Record]]:
    """PATH's header, and its records (blank rows too) read lazily; SubscriberError if empty."""
    label = display_path(path)
    try:
        data = read_regular(path, limit=MAX_LIST_BYTES, what=N_("a list file"))
    except UnreadableFile as exc:
        raise SubscriberError(f"{label}: {exc.reason}.") from None
    text, fmt, warnings = _decode(data, label)
    del data
    fmt, first = _sniff(text, fmt)
    table = CsvTable(path, label, fmt, [], 0, [], [], warnings)
    records = _parse(text, fmt.delimiter, first, table)
    header = next((r for r in records if not blank(r.cells)), None)
    if header is None:
        raise SubscriberError(
            _(
                "{label}: the file is empty. It needs a header row with an email column, e.g. "
                "'email;name'."
            ).format(label=label)
        )
    table.header, table.header_line = header.cells, header.line
    return table, records


def formula_like(cell: str, /) -> bool:
    """True when Excel would take CELL for a formula (a plain number it takes for a number)."""
    return cell.startswith(_FORMULA_START) and not _PLAIN_NUMBER.fullmatch(cell)


def excel_safe(cell: object, /) -> object:
    """CELL as a CSV cell Excel shows as text: a formula-like text gets a leading `'`."""
    if isinstance(cell, str) and formula_like(cell):
        return "'" + cell
    return cell


def _from_excel(cell: str) -> str:
    """What excel_safe wrote, as it was: the `'` before a formula-like text taken off."""
    if cell.startswith("'") and formula_like(cell[1:]):
        return cell[1:]
    return cell


def blank(cells: list[str]) -> bool:
    """True for a row with nothing in it (Excel writes `;;;` for an empty row)."""
    return not "".join(cells).strip()


def _decode(data: bytes, label: str) -> tuple[str, CsvFormat, list[Location]]:
    if data.startswith(_WORKBOOKS):
        raise SubscriberError(
            _(
                "{label}: this is an Excel workbook, not a CSV file. In Excel choose Save as → "
                "'CSV UTF-8 (kommaavgränsad) (*.csv)' and use that file."
            ).format(label=label)
        )
    if data.startswith(codecs.BOM_UTF8):
        return data.decode("utf-8-sig", errors="replace"), CsvFormat(bom=True), []
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        # Excel's "Unicode text" export: UTF-16 with BOM, tab-separated.
        return data.decode("utf-16", errors="replace"), CsvFormat(encoding="utf-16"), []
    try:
        return data.decode("utf-8"), CsvFormat(), []
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
    warning = Location(
        label,
        line,
        message=_(
            "the file is not UTF-8; read it as Windows-1252 (Excel's plain 'CSV'). Check that å, "
            "ä and ö look right, or save it as 'CSV UTF-8' in Excel."
        ),
    )
    return data.decode("cp1252", errors="replace"), CsvFormat(encoding="cp1252"), [warning]


def _lines(text: str, start: int = 0) -> Iterator[str]:
    """TEXT's lines with their ends, as the csv module sees them: only CR, LF and CRLF."""
    # Not io.StringIO: it would hold a second, four-bytes-a-character copy of the file.
    # str.splitlines (fast) also splits at \v, \f, \x1c-\x1e, \x85 and U+2028/9.
    other_breaks = any(ch in text for ch in _OTHER_BREAKS)  # 8 fast scans beat one regex
    lines = _regex_lines(text) if other_breaks else _chunked_lines(text)
    return islice(lines, start, None)


def _regex_lines(text: str) -> Iterator[str]:
    return (match.group() for match in _LINE.finditer(text))


def _chunked_lines(text: str, size: int = 1 << 20) -> Iterator[str]:
    start = 0
    while start < len(text):
        end = text.find("\n", start + size)
        end = len(text) if end < 0 else end + 1
        yield from text[start:end].splitlines(keepends=True)
        start = end


def _sniff(text: str, fmt: CsvFormat) -> tuple[CsvFormat, int]:
    """The delimiter from Excel's `sep=` line or the header line; and where records start."""
    first = next(_lines(text), "")
    newline = "\r\n" if first.endswith("\r\n") else "\n"
    if match := _SEP_LINE.match(first):
        return replace(fmt, delimiter=match[1], sep_line=True, newline=newline), 1
    header = next((line for line in _lines(text) if line.strip()), "")
    counts = {d: header.count(d) for d in _DELIMITERS}
    delimiter = max(_DELIMITERS, key=lambda d: counts[d]) if any(counts.values()) else ","
    return replace(fmt, delimiter=delimiter, newline=newline), 0


def _parse(text: str, delimiter: str, index: int, table: CsvTable) -> Iterator[Record]:
    """Records with their first line; a broken record is reported and reading goes on after it."""
    while True:
        reader = csv.reader(_lines(text, index), delimiter=delimiter)
        end = index
        try:
            for cells in reader:
                start, end = end + 1, index + reader.line_num
                if end > start and _runaway(cells, delimiter):
                    break
                yield Record(start, [_from_excel(cell) for cell in cells])
            else:
                return
            reason = 'a quote mark (") on this line is never closed'
        except csv.Error as exc:
            start, reason = end + 1, str(exc).rstrip(".")
        table.problems.append(
            Location(
                table.label,
                start,
                message=_(
                    "{reason}; the row was skipped. Remove the stray quote mark or put the whole "
                    "cell in quotes."
                ).format(reason=reason),
            )
        )
        index = start


def _runaway(cells: list[str], delimiter: str) -> bool:
    """A cell that swallowed later rows: an unclosed quote, not a cell with line breaks."""
    for cell in cells:
        for segment in cell.splitlines()[1:]:
            if "@" in segment and (delimiter in segment or _LOOKS_LIKE_ADDRESS.match(segment)):
                return True
    return False


def write(path: Path, header: list[str], rows: Iterable[list[str]], fmt: CsvFormat, /) -> CsvFormat:
    """Write atomically (temp file, then rename) in FMT; the format used (UTF-8 if FMT can't).

    A new file is private (0600): lists and exports hold personal data. An existing
    file keeps its mode. Formula-like cells are written as text (excel_safe).
    """
    buffer = io.StringIO(newline="")
    if fmt.sep_line:
        buffer.write(f"sep={fmt.delimiter}{fmt.newline}")
    writer = csv.writer(buffer, delimiter=fmt.delimiter, lineterminator=fmt.newline)
    writer.writerow([excel_safe(cell) for cell in header])
    writer.writerows([excel_safe(cell) for cell in row] for row in rows)
    text = buffer.getvalue()
    try:
        data = text.encode(fmt.encoding)
    except UnicodeEncodeError:
        # A name Windows-1252 cannot hold: UTF-8 with BOM keeps it and Excel still reads it.
        fmt = replace(fmt, encoding="utf-8", bom=True)
        data = text.encode("utf-8")
    if fmt.bom and fmt.encoding == "utf-8":
        data = codecs.BOM_UTF8 + data
    _replace_atomically(path, data)
    return fmt


def _replace_atomically(path: Path, data: bytes) -> None:
    """DATA to PATH, whole or not at all, keeping the file's mode (a new one is private)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = path.stat().st_mode & 0o777 if path.exists() else PRIVATE_FILE
    replace_atomically(path, data, mode=mode)
