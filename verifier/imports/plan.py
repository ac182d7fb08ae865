"""The dry run: every row of a spreadsheet turned into a certificate and checked, each problem at its row and column.

A row is ready when the model takes the certificate it makes (the same rules, in the same words, as the
API's) and its import fields make sense: a number (an existing certificate keeps its own), a status this
service knows, a reason its action takes, an original date of issue that is a day not to come. A row
whose number the issuer has already is left as it is (an import run twice changes nothing). The
annotated spreadsheet is the file's rows again, each problem's cell marked and explained, and a column
saying what is wrong with the row.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from verifier.certificate.model import certificate_json, parse_certificate
from verifier.certificate.status import REASONS, Action
from verifier.errors import CertificateInvalid
from verifier.imports.mapping import STATUSES, Mapping, iso_date, row_to_record
from verifier.imports.sheet import Table, column_letters

CHUNK = 500  # certificates a job of an import issues, all or none
ACTIONS = {"suspended": Action.SUSPEND, "withdrawn": Action.REVOKE, "revoked": Action.REVOKE}
DEFAULT_REASONS = {"suspended": "other", "withdrawn": "holder_request", "revoked": "other"}
MAX_SHOWN = 1_000  # problems an answer lists (the annotated spreadsheet has them all)


@dataclass(frozen=True)
class RowProblem:
    """What is wrong at a row; ``column`` is the file's column (None: no column gives the field)."""

    row: int
    column: str | None
    letter: str | None
    field: str | None
    message: str

    def to_json(self) -> dict[str, Any]:
        """As the API answers it."""
        return {"row": self.row, "column": self.column, "cell": f"{self.letter}{self.row}" if self.letter else None,
                "field": self.field, "message": self.message}  # fmt: skip


@dataclass(frozen=True)
class Ready:
    """A row ready to import: the certificate as JSON and what it was before."""

    row: int
    certificate: dict[str, Any]
    status: str
    reason: str
    note: str
    issued_on: str | None

    def job_item(self, import_id: str, new: bool = False) -> dict[str, Any]:
        """The row as a job's item: the certificate, and the import's word on it (a new one: the certificate)."""
        if new:
            return self.certificate
        imported = {"import": import_id, "row": self.row, "status": self.status, "reason": self.reason,
                    "note": self.note, "issued_on": self.issued_on}  # fmt: skip
        return {"certificate": self.certificate, "imported": imported}


@dataclass
class Plan:
    """A dry run's findings."""

    rows: int
    ready: list[Ready] = field(default_factory=list)
    existing: list[tuple[int, str]] = field(default_factory=list)  # (row, number) registered already
    problems: list[RowProblem] = field(default_factory=list)
    unmapped: list[str] = field(default_factory=list)  # the file's columns no field comes from
    new: bool = False  # new certificates (a batch to issue), not existing ones brought in

    def summary(self) -> dict[str, Any]:
        """The counts, as the import keeps them."""
        bad = len({p.row for p in self.problems})
        return {"rows": self.rows, "ready": len(self.ready), "existing": len(self.existing), "with_problems": bad,
                "problems": len(self.problems), "unmapped": self.unmapped, "new": self.new}  # fmt: skip

    def chunks(self, import_id: str) -> list[list[dict[str, Any]]]:
        """The ready rows as the jobs that issue them."""
        items = [r.job_item(import_id, self.new) for r in self.ready]
        return [items[start : start + CHUNK] for start in range(0, len(items), CHUNK)]


def plan(
    table: Table,
    mapping: Mapping,
    today: date,
    registered: Callable[[list[str]], Collection[str]],
    new: bool = False,
) -> Plan:
    """Check every row of ``table`` (``registered``: which of some numbers the issuer has already).

    ``new``: the rows are new certificates to issue (a batch), not existing ones: a number may be left to
    be generated, none may be taken already, each must be in force or start later, and they have no status
    or date of issue of their own.
    """
    mapping.check_header(table.header)
    found = Plan(len(table.rows), unmapped=[h for h in table.header if h and h not in mapping.columns], new=new)
    letters = {name: column_letters(place) for place, name in enumerate(table.header, 1)}
    by_row: dict[int, list[RowProblem]] = {}
    for problem in table.problems:
        name = table.header[problem.column - 1] if problem.column and problem.column <= len(table.header) else None
        letter = column_letters(problem.column) if problem.column else None
        by_row.setdefault(problem.row, []).append(RowProblem(problem.row, name, letter, None, problem.message))

    def at(row: int, field_path: str, message: str) -> RowProblem:
        column = mapping.column_of(field_path)
        return RowProblem(row, column, letters.get(column) if column else None, field_path, message)

    seen: dict[str, int] = {}
    candidates: list[Ready] = []
    for number, cells in table.rows:
        problems = by_row.pop(number, [])
        record, extra = row_to_record(mapping, table.header, cells)
        problems += (
            _new_fields(number, record, extra, today, at) if new else _import_fields(number, record, extra, today, at)
        )
        try:
            certificate = certificate_json(parse_certificate(record))
        except CertificateInvalid as exc:
            told = {p.column for p in problems if p.column}  # a formula's cell is empty: said once, as a formula
            model = [at(number, e.field, _words(e.field, e.message, mapping)) for e in exc.errors]
            problems += [p for p in model if p.column is None or p.column not in told]
            certificate = {}
        key = str(record.get("number") or "")
        if key and key in seen:
            problems.append(at(number, "number", f"the number repeats row {seen[key]}"))
        seen.setdefault(key, number)
        if problems:
            found.problems += problems
            continue
        status = extra.get("status", "in_force")
        candidates.append(Ready(number, certificate, status, _reason(status, extra), extra.get("status_note", ""),
                                extra.get("issued_on")))  # fmt: skip
    for _, problems in sorted(by_row.items()):  # rows the reader kept out (a merged or a formula-only row)
        found.problems += problems
    taken = set(registered([str(c.certificate["number"]) for c in candidates if c.certificate.get("number")]))
    for candidate in candidates:
        number_text = str(candidate.certificate.get("number") or "")
        if number_text in taken and new:
            found.problems.append(at(candidate.row, "number", f"{number_text} is the number of a certificate of yours"))
        elif number_text in taken:
            found.existing.append((candidate.row, number_text))
        else:
            found.ready.append(candidate)
    found.problems.sort(key=lambda p: (p.row, p.letter or ""))
    return found


def _import_fields(
    row: int, record: dict[str, Any], extra: dict[str, str], today: date, at: Callable[[int, str, str], RowProblem]
) -> list[RowProblem]:
    problems = []
    if not record.get("number"):
        problems.append(at(row, "number", "an existing certificate keeps its number: this row has none"))
    status = extra.get("status", "in_force")
    if status not in STATUSES:
        problems.append(at(row, "status", f"{status[:40]!r} is not a status: map it in values.status to one of "
                                          + ", ".join(STATUSES)))  # fmt: skip
    elif status == "expired" and iso_date(str(record.get("valid_until", ""))) >= today.isoformat():
        problems.append(
            at(row, "status", f"says expired, but the certificate is valid until {record.get('valid_until')}")
        )
    reason = extra.get("status_reason")
    if reason and status in ACTIONS and reason not in REASONS[ACTIONS[status]]:
        problems.append(at(row, "status_reason", f"{reason[:40]!r} is not a reason to {ACTIONS[status].value}: one of "
                                                 + ", ".join(REASONS[ACTIONS[status]])))  # fmt: skip
    issued_on = extra.get("issued_on")
    if issued_on:
        try:
            if date.fromisoformat(issued_on) > today:
                problems.append(at(row, "issued_on", f"the date of issue {issued_on} is still to come"))
        except ValueError:
            problems.append(
                at(row, "issued_on", f"{issued_on[:40]!r} is not a date (2024-03-26, 2024/3/26, 2024年3月26日)")
            )
    return problems


def _new_fields(
    row: int, record: dict[str, Any], extra: dict[str, str], today: date, at: Callable[[int, str, str], RowProblem]
) -> list[RowProblem]:
    problems = [at(row, name, "a new certificate has no status or date of issue of its own: leave this column out")
                for name in extra]  # fmt: skip
    until = iso_date(str(record.get("valid_until", "")))
    if until and until < today.isoformat():
        problems.append(at(row, "valid_until", f"the validity ended on {until}: a new certificate must be in force "
                                               "or start later"))  # fmt: skip
    return problems


def _reason(status: str, extra: dict[str, str]) -> str:
    return extra.get("status_reason") or DEFAULT_REASONS.get(status, "")


def _words(field_path: str, message: str, mapping: Mapping) -> str:
    """The model's message, said for a spreadsheet: a missing field names the column (or its absence)."""
    if message == "Field required":
        if mapping.column_of(field_path) is None:
            return f"no column gives {field_path}: map one, or give it a default"
        return "the cell is empty"
    return message


def annotated(table: Table, found: Plan) -> bytes:
    """The spreadsheet again, each problem's cell marked (red, with the message as a comment), a column of problems."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.comments import Comment
    from openpyxl.styles import Font, PatternFill

    book = Workbook(write_only=True)
    sheet = book.create_sheet("import")
    red = PatternFill("solid", fgColor="FFC7CE")
    bold = Font(bold=True)
    by_row: dict[int, list[RowProblem]] = {}
    for problem in found.problems:
        by_row.setdefault(problem.row, []).append(problem)
    existing = {row for row, _ in found.existing}
    header = [WriteOnlyCell(sheet, value=h) for h in [*table.header, "问题 / Problems"]]
    for cell in header:
        cell.font = bold
    sheet.append(header)
    places = {name: place for place, name in enumerate(table.header)}
    for number, cells in table.rows:
        problems = by_row.pop(number, [])
        row_cells: list[Any] = [_text_cell(sheet, c) for c in cells]
        row_cells += [WriteOnlyCell(sheet, value=None) for _ in range(len(table.header) - len(cells))]
        for problem in problems:
            if problem.column in places:
                cell = row_cells[places[problem.column]]
                cell.fill = red
                cell.comment = Comment(problem.message[:1000], "verifier")
        note = "; ".join(f"{p.column or p.field}: {p.message}" for p in problems)
        if number in existing:
            note = "registered already: left as it is"
        row_cells.append(WriteOnlyCell(sheet, value=note[:32000] or None))
        sheet.append(row_cells)
    out_file = io.BytesIO()
    book.save(out_file)
    return out_file.getvalue()


def _text_cell(sheet: Any, text: str) -> Any:
    """A cell holding ``text`` as text: never a formula, whatever it starts with."""
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(sheet, value=text)
    cell.data_type = "s"
    return cell
