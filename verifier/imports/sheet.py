"""A spreadsheet of existing certificates read as text: CSV (UTF-8, or GB18030 and so GBK) or XLSX, within limits.

What a clerk exports from an older system is a stranger's file all the same: an XLSX is a zip that can
inflate a thousandfold, a sheet can claim a million rows, a cell can hold a formula or a megabyte. So a
sheet is read in a worker process of its own (:mod:`verifier.imports.sheetworker`) under an address-space
and a CPU-time limit, and the parent waits at most :data:`READ_SECONDS`. What it answers is a
:class:`Table`: the header row and each row's cells as text, with the spreadsheet's own row numbers,
and the problems found at a row and a column (a formula, a merged cell, a row too long). A file it
cannot read at all is refused whole (:class:`SheetRefused`), saying why.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any, Literal

from verifier.errors import Kind, VerifierError

SheetKind = Literal["csv", "xlsx"]
MAX_FILE_BYTES = 20 * 1024 * 1024  # the 19,711-certificate catalogue is ~4 MB as XLSX, ~9 MB as CSV
MAX_ROWS = 50_000  # data rows
MAX_ROW_POSITIONS = 200_000  # rows a sheet may skip over or leave empty before its data ends
MAX_COLUMNS = 200
MAX_CELL = 4_000  # characters
MAX_ROW_CHARACTERS = 32_000
MAX_TEXT = 25_000_000  # characters in all (the 19,711-certificate catalogue holds about 8 million)
MAX_UNZIPPED = 400 * 1024 * 1024  # bytes an XLSX may inflate to, all its parts
MAX_RATIO = 200  # how many times its compressed size a part may inflate to
READ_SECONDS = 120.0
_FORMULA = "a formula: paste its value instead (Paste Special, Values)"
_MERGED = re.compile(rb'<(?:\w+:)?mergeCell\s+ref="([A-Z]{1,3}[0-9]{1,7}(?::[A-Z]{1,3}[0-9]{1,7})?)"')


class SheetRefused(VerifierError):
    """A spreadsheet that cannot be read at all (not CSV or XLSX, too large, a zip bomb); the message says why."""

    code = "sheet_refused"


@dataclass(frozen=True)
class Problem:
    """What is wrong at a spreadsheet row (1 is the header) and column (1 is A; None: the whole row)."""

    row: int
    column: int | None
    message: str


@dataclass
class Table:
    """A sheet as text: its header, its rows (each with its spreadsheet row number) and the problems found."""

    header: list[str]
    rows: list[tuple[int, list[str]]]
    problems: list[Problem] = field(default_factory=list)
    characters: int = 0

    def to_json(self) -> dict[str, Any]:
        """As the worker sends it."""
        return {"header": self.header, "rows": self.rows,
                "problems": [[p.row, p.column, p.message] for p in self.problems]}  # fmt: skip

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Table:
        """As the worker sent it."""
        rows = [(int(n), [str(c) for c in cells]) for n, cells in data["rows"]]
        problems = [Problem(int(r), None if c is None else int(c), str(m)) for r, c, m in data["problems"]]
        return cls([str(h) for h in data["header"]], rows, problems)


def column_letters(column: int) -> str:
    """A column's letters as a spreadsheet names it (1 → A, 28 → AB)."""
    letters = ""
    while column:
        column, rest = divmod(column - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def kind_of(name: str, data: bytes) -> SheetKind:
    """Whether a file is an XLSX (a zip) or CSV (anything else), by its first bytes rather than its name."""
    if data.startswith(b"PK\x03\x04"):
        return "xlsx"
    if data.startswith((b"\xd0\xcf\x11\xe0", b"<?xml")) or name.lower().endswith((".xls", ".ods", ".numbers")):
        raise SheetRefused("only CSV and XLSX are read: save the spreadsheet as .xlsx or .csv", kind=Kind.UNSUPPORTED)
    return "csv"


def decode_csv(data: bytes) -> str:
    """CSV bytes as text: UTF-8 (with or without its BOM), else GB18030 (which GBK and GB2312 files are)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise SheetRefused(f"the file is neither UTF-8 nor GB18030/GBK text (byte {exc.start} cannot be read): "
                          "save it as CSV UTF-8 or XLSX") from None  # fmt: skip


def _row(table: Table, number: int, cells: list[str]) -> None:
    """Add one row (the header when it is the first): trimmed, checked against the limits."""
    while cells and not cells[-1]:
        cells.pop()
    if len(cells) > MAX_COLUMNS:
        raise SheetRefused(
            f"row {number} has {len(cells)} columns; at most {MAX_COLUMNS} are read", kind=Kind.TOO_LARGE
        )
    if sum(len(c) for c in cells) > MAX_ROW_CHARACTERS:
        table.problems.append(Problem(number, None, f"the row holds more than {MAX_ROW_CHARACTERS:,} characters"))
        cells = [c[:100] for c in cells]
    for place, cell in enumerate(cells, 1):
        if len(cell) > MAX_CELL:
            table.problems.append(
                Problem(number, place, f"the cell holds {len(cell):,} characters (at most {MAX_CELL:,})")
            )
            cells[place - 1] = cell[:100]
    if not table.header and not table.rows:
        if not any(cells):
            return  # blank lines before the header
        table.header = [c.strip() for c in cells]
        return
    if any(c.strip() for c in cells):
        if len(table.rows) >= MAX_ROWS:
            raise SheetRefused(f"more than {MAX_ROWS:,} rows: split the file", kind=Kind.TOO_LARGE)
        table.characters += sum(len(c) for c in cells)
        if table.characters > MAX_TEXT:
            raise SheetRefused(
                f"the file holds more than {MAX_TEXT:,} characters of text: split it", kind=Kind.TOO_LARGE
            )
        table.rows.append((number, cells))


def read_csv(data: bytes) -> Table:
    """Read CSV bytes (``,`` ``;`` or tab separated, as the first line says)."""
    text = decode_csv(data)
    first = next((line for line in text[:100_000].splitlines() if line.strip()), "")
    delimiter = max((",", ";", "\t"), key=first.count)
    table = Table([], [])
    # A cell of a megabyte is a problem at its row, not a file refused; the module's limit is the process's,
    # so it is given back after.
    limit = csv.field_size_limit(MAX_FILE_BYTES)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for number, cells in enumerate(reader, 1):
            if number > MAX_ROW_POSITIONS:
                raise SheetRefused(f"more than {MAX_ROW_POSITIONS:,} lines", kind=Kind.TOO_LARGE)
            _row(table, number, cells)
    except csv.Error as exc:
        raise SheetRefused(f"line {reader.line_num}: not CSV as written ({exc})") from None
    finally:
        csv.field_size_limit(limit)
    return table


def _text(value: object) -> str:
    """A cell's value as the text a clerk sees."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    return str(value).strip()


def _check_zip(data: bytes) -> tuple[zipfile.ZipFile, str]:
    """The XLSX's zip, its parts' sizes checked before anything is inflated, and its first sheet's part."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        parts = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        raise SheetRefused("not an XLSX file (its zip cannot be read)") from None
    if len(parts) > 10_000 or sum(p.file_size for p in parts) > MAX_UNZIPPED:
        raise SheetRefused("the XLSX inflates to more than a spreadsheet of certificates can", kind=Kind.TOO_LARGE)
    for part in parts:
        if part.file_size > MAX_RATIO * max(part.compress_size, 1024):
            times = part.file_size // max(part.compress_size, 1)
            raise SheetRefused(f"the XLSX part {part.filename[:80]} inflates {times} times: refused as a zip bomb",
                               kind=Kind.TOO_LARGE)  # fmt: skip
    return archive, ""


def read_xlsx(data: bytes) -> Table:
    """Read the first sheet of an XLSX: values only, formulas and merged cells refused at their place."""
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    archive, _ = _check_zip(data)
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=False, keep_links=False)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, TypeError, OSError) as exc:
        raise SheetRefused(f"not an XLSX workbook openpyxl can read ({type(exc).__name__})") from None
    sheet = book.worksheets[0]
    table = Table([], [])
    for start, end in _merged(archive, getattr(sheet, "_worksheet_path", "")):
        span = f"{column_letters(start[0])}{start[1]}:{column_letters(end[0])}{end[1]}"
        table.problems.append(Problem(start[1], start[0], f"merged cells ({span}): unmerge them and fill every cell"))
    sheet.reset_dimensions()  # the sheet's own claim of its size is not believed
    for number, cells in enumerate(sheet.iter_rows(), 1):
        if number > MAX_ROW_POSITIONS:
            raise SheetRefused(f"the sheet runs past row {MAX_ROW_POSITIONS:,}", kind=Kind.TOO_LARGE)
        texts = []
        for place, cell in enumerate(cells, 1):
            if place > MAX_COLUMNS + 1:
                break
            if getattr(cell, "data_type", None) == "f":
                table.problems.append(Problem(number, place, _FORMULA))
                texts.append("")
                continue
            texts.append(_text(getattr(cell, "value", None)))
        _row(table, number, texts)
    book.close()
    return table


def _merged(archive: zipfile.ZipFile, path: str) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """The merged ranges of a sheet's part: (column, row) of their first and last cells."""
    found = []
    name = path.lstrip("/")
    if name not in archive.namelist():
        return []
    tail = b""
    with archive.open(name) as stream:
        while chunk := stream.read(1 << 20):
            window = tail + chunk
            for match in _MERGED.finditer(window):
                ref = match.group(1).decode()
                first, _, last = ref.partition(":")
                found.append((_cell(first), _cell(last or first)))
                if len(found) >= 100:
                    return found
            tail = window[-200:]
    return sorted(set(found))


def _cell(ref: str) -> tuple[int, int]:
    letters = "".join(ch for ch in ref if ch.isalpha())
    column = 0
    for ch in letters:
        column = column * 26 + ord(ch) - 64
    return column, int(ref[len(letters) :])


def read(kind: SheetKind, data: bytes) -> Table:
    """Read a spreadsheet here and now (the worker's work; the service calls :func:`read_sheet`)."""
    if len(data) > MAX_FILE_BYTES:
        raise SheetRefused(f"the file has {len(data):,} bytes; at most {MAX_FILE_BYTES:,} are read: split it",
                          kind=Kind.TOO_LARGE)  # fmt: skip
    table = read_csv(data) if kind == "csv" else read_xlsx(data)
    if not table.header:
        raise SheetRefused("the file has no header row (the first row names the columns)")
    return table
