"""Imports of existing certificates through the API, and the mappings an issuer saves (docs/import.md).

Check a spreadsheet (the dry run), read its annotated copy, start it (its rows queued as jobs), follow it.

The console's import pages call :func:`check` and :func:`start` too: one path for both faces.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, File, Form, Response, UploadFile, status
from pydantic import BaseModel

from verifier.api.deps import IssuerDep, Services, ServicesDep
from verifier.api.schemas import ErrorOut
from verifier.certificate.days import SCHEME_TZ
from verifier.imports.mapping import Mapping, MappingRefused
from verifier.imports.plan import MAX_SHOWN, Plan, plan
from verifier.imports.plan import annotated as annotated_xlsx
from verifier.imports.sheet import MAX_FILE_BYTES, SheetRefused, Table, kind_of
from verifier.imports.sheetworker import read_sheet
from verifier.store.imports import ImportRecord
from verifier.store.records import Conflict, Principal

log = logging.getLogger("verifier.imports")
router = APIRouter(prefix="/api/v1", tags=["imports"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ERRORS: dict[int | str, dict[str, object]] = {
    401: {"model": ErrorOut, "description": "No token, or an unknown or withdrawn one"},
    403: {"model": ErrorOut, "description": "A token without the issuer role"},
    404: {"model": ErrorOut, "description": "Not one of yours"},
    413: {"model": ErrorOut, "description": f"The file is larger than {MAX_FILE_BYTES:,} bytes"},
    422: {"model": ErrorOut, "description": "A file that is not CSV or XLSX, or a mapping that cannot be used"},
}


class ImportOut(BaseModel):
    """An import: what its dry run found, and, once started, its progress (``done`` of ``total``)."""

    id: str
    name: str
    sha256: str
    state: str  # checked, running, succeeded, failed
    summary: dict[str, Any]
    created_at: datetime
    started_at: datetime | None
    done: int
    total: int
    problems: list[dict[str, Any]] | None = None  # the dry run's (at most 1,000: the annotated copy has all)
    existing: list[dict[str, Any]] | None = None
    failures: list[dict[str, Any]]
    url: str
    annotated_url: str


def import_out(svc: Services, record: ImportRecord, found: Plan | None = None) -> ImportOut:
    """An import as the API answers it (with the dry run's rows when it was just made)."""
    url = f"{svc.settings.public_url}/api/v1/imports/{record.id}"
    return ImportOut(
        id=record.id, name=record.name, sha256=record.sha256, state=record.state, summary=record.summary,
        created_at=record.created_at, started_at=record.started_at, done=record.done, total=record.total,
        problems=[p.to_json() for p in found.problems[:MAX_SHOWN]] if found else None,
        existing=[{"row": r, "number": n} for r, n in found.existing[:MAX_SHOWN]] if found else None,
        failures=list(record.failures), url=url, annotated_url=f"{url}/annotated.xlsx",
    )  # fmt: skip


def _today(svc: Services) -> Any:
    return svc.clock().astimezone(SCHEME_TZ).date()


def _plan(
    svc: Services, issuer_id: str, name: str, data: bytes, mapping: Mapping | None, new: bool
) -> tuple[Table, Mapping, Plan]:
    """The file read, its mapping (its own columns' when none is given), and its dry run."""
    table = read_sheet(kind_of(name, data), data)
    mapping = mapping or Mapping.identity(table.header)
    found = plan(table, mapping, _today(svc), lambda numbers: svc.registry.desk.by_numbers(issuer_id, numbers).keys(),
                 new)  # fmt: skip
    return table, mapping, found


def parse_mapping(svc: Services, issuer_id: str, text: str, saved: str) -> Mapping | None:
    """The mapping given as JSON, or saved under a name (None: neither; the file's columns name our fields).

    Raises :class:`MappingRefused`.
    """
    if not saved and not text.strip():
        return None
    if saved:
        found = svc.registry.imports.mappings(issuer_id).get(saved)
        if found is None:
            raise MappingRefused(f"no mapping is saved as {saved[:100]!r}")
        return Mapping.parse(found)
    try:
        data = json.loads(text)
    except ValueError:
        raise MappingRefused("the mapping is not JSON") from None
    return Mapping.parse(data)


def check(
    svc: Services, principal: Principal, name: str, data: bytes, mapping: Mapping | None, new: bool = False
) -> tuple[ImportRecord, Plan]:
    """The dry run of a spreadsheet: every row checked; the file kept with its findings, to be started later.

    ``new``: the rows are new certificates to issue (a batch upload), not existing ones brought in.
    """
    assert principal.issuer_id is not None
    _, mapping, found = _plan(svc, principal.issuer_id, name, data, mapping, new)
    kept = {"columns": mapping.columns, "values": mapping.values, "defaults": mapping.defaults}
    record = svc.registry.imports.create(principal, name or "spreadsheet", data, kept, found.summary(), svc.clock())
    log.info("import checked", extra={"fields": {"import": record.id, **found.summary()}})
    return record, found


def start(svc: Services, principal: Principal, import_id: str) -> ImportRecord:
    """Start an import: checked again now, and, with no problem left, its rows not registered yet queued as jobs."""
    assert principal.issuer_id is not None
    record = svc.registry.imports.get(principal.issuer_id, import_id)
    data = svc.registry.imports.file(principal.issuer_id, import_id)
    new = bool(record.summary.get("new"))
    _, _, found = _plan(svc, principal.issuer_id, record.name, data, Mapping.parse(record.mapping), new)
    if found.problems:
        rows = len({p.row for p in found.problems})
        raise Conflict(f"{rows} rows have problems (the annotated spreadsheet marks them): fix them, then check the "
                       "file again")  # fmt: skip
    svc.registry.imports.start(principal, import_id, found.chunks(import_id), svc.clock())
    if svc.jobs is not None:
        svc.jobs.wake()
    log.info("import started", extra={"fields": {"import": import_id, "rows": len(found.ready)}})
    return svc.registry.imports.get(principal.issuer_id, import_id)


def annotated(svc: Services, issuer_id: str, import_id: str) -> Response:
    """The import's file annotated with what its dry run finds now, as a download (the API's and the console's)."""
    record = svc.registry.imports.get(issuer_id, import_id)
    data = svc.registry.imports.file(issuer_id, import_id)
    table, _, found = _plan(svc, issuer_id, record.name, data, Mapping.parse(record.mapping),
                            bool(record.summary.get("new")))  # fmt: skip
    stem = record.name.rsplit(".", 1)[0][:80]
    name = "".join(ch if ch.isascii() and (ch.isalnum() or ch in "-_.") else "_" for ch in stem) or "import"
    return Response(annotated_xlsx(table, found), media_type=XLSX, headers={
        "Content-Disposition": f'attachment; filename="{name}-checked.xlsx"', "Cache-Control": "no-store"})  # fmt: skip


def read_upload(file: UploadFile) -> bytes:
    """The uploaded file's bytes (at most the limit and one more, so that a larger one is told so)."""
    return file.file.read(MAX_FILE_BYTES + 1)


@router.post("/imports", status_code=status.HTTP_201_CREATED, responses=ERRORS, summary="Check a spreadsheet")
def create_import(
    principal: IssuerDep,
    svc: ServicesDep,
    response: Response,
    file: Annotated[UploadFile, File(description="CSV (UTF-8 or GB18030/GBK) or XLSX")],
    mapping: Annotated[str, Form(max_length=200_000, description="the mapping as JSON (docs/import.md)")] = "",
    mapping_name: Annotated[str, Form(max_length=100, description="or the name of a saved mapping")] = "",
    new: Annotated[bool, Form(description="new certificates to issue (a batch), not existing ones")] = False,
) -> ImportOut:
    """The dry run: each row checked as the API checks a certificate; the problems by row and column.

    Without a mapping, the file's columns must be named by our fields (``holder.name``). With ``new``, the
    rows are new certificates to issue (numbers generated where empty), not existing ones. Nothing is issued:
    ``POST /api/v1/imports/{id}/start`` does that once no problem is left.
    """
    assert principal.issuer_id is not None
    parsed = parse_mapping(svc, principal.issuer_id, mapping, mapping_name)
    data = read_upload(file)
    record, found = check(svc, principal, file.filename or "spreadsheet", data, parsed, new)
    response.headers["Location"] = f"/api/v1/imports/{record.id}"
    return import_out(svc, record, found)


@router.get("/imports", responses=ERRORS, summary="Your imports")
def list_imports(principal: IssuerDep, svc: ServicesDep) -> list[ImportOut]:
    """Your latest imports, newest first."""
    assert principal.issuer_id is not None
    return [import_out(svc, r) for r in svc.registry.imports.recent(principal.issuer_id)]


@router.get("/imports/{import_id}", responses=ERRORS, summary="An import and its progress")
def get_import(import_id: str, principal: IssuerDep, svc: ServicesDep) -> ImportOut:
    """An import: its dry run's counts, its state, how many of its certificates are issued."""
    assert principal.issuer_id is not None
    return import_out(svc, svc.registry.imports.get(principal.issuer_id, import_id[:40]))


@router.post("/imports/{import_id}/start", status_code=status.HTTP_202_ACCEPTED, responses=ERRORS,
             summary="Start an import")  # fmt: skip
def start_import(import_id: str, principal: IssuerDep, svc: ServicesDep) -> ImportOut:
    """Queue the rows not registered yet as jobs (409 while a row has a problem, or the import runs).

    Started again after a failure, only what is not registered yet is queued: nothing is imported twice.
    """
    return import_out(svc, start(svc, principal, import_id[:40]))


@router.get("/imports/{import_id}/annotated.xlsx", responses=ERRORS, response_class=Response,
            summary="The spreadsheet with its problems marked")  # fmt: skip
def get_annotated(import_id: str, principal: IssuerDep, svc: ServicesDep) -> Response:
    """The file's rows again, each problem's cell marked red with the reason as a comment, and a column of problems."""
    assert principal.issuer_id is not None
    return annotated(svc, principal.issuer_id, import_id[:40])


@router.put("/import-mappings/{name}", responses=ERRORS, summary="Save a mapping")
def save_mapping(
    name: str, body: Annotated[dict[str, Any], Body()], principal: IssuerDep, svc: ServicesDep
) -> dict[str, Any]:
    """Save a mapping under a name (1 to 100 characters), to check files with ``mapping_name``."""
    if not 1 <= len(name) <= 100:
        raise MappingRefused("a mapping's name has 1 to 100 characters")
    parsed = Mapping.parse(body)
    kept = {"columns": parsed.columns, "values": parsed.values, "defaults": parsed.defaults}
    svc.registry.imports.save_mapping(principal, name, kept, svc.clock())
    return kept


@router.get("/import-mappings", responses=ERRORS, summary="Your saved mappings")
def list_mappings(principal: IssuerDep, svc: ServicesDep) -> dict[str, dict[str, Any]]:
    """Your saved mappings by name."""
    assert principal.issuer_id is not None
    return svc.registry.imports.mappings(principal.issuer_id)


__all__ = ["SheetRefused", "annotated", "check", "parse_mapping", "read_upload", "router", "start"]
