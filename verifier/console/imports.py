"""Bringing existing certificates in at the desk, a spreadsheet at a time.

A spreadsheet and its mapping are checked (the dry run: each problem at its row and cell, the annotated
copy to download), then imported with its progress shown; mappings are saved by name.

The pages call the API's own functions (:mod:`verifier.api.imports`): one path for both faces.
"""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import Response

from verifier.api.deps import ServicesDep
from verifier.api.imports import annotated, check, parse_mapping, read_upload, start
from verifier.console.session import CHANGES, SignedIn, check_form, issuer_of, require
from verifier.console.web import PREFIX, ConsoleError, Page, see_other
from verifier.imports.mapping import MappingRefused, field_names
from verifier.imports.plan import Plan
from verifier.imports.sheet import SheetRefused
from verifier.store.records import Conflict, NotFound
from verifier.store.users import Session

router = APIRouter(prefix=PREFIX, include_in_schema=False)
Field = Annotated[str, Form(max_length=200_000)]
SHOWN = 200  # problems a page lists (the annotated copy has them all)


def _page(request: Request, svc: ServicesDep, session: Session, status: int = 200, **shown: object) -> Response:
    issuer_id = issuer_of(session)
    context: dict[str, object] = {"error": "", "mapping_text": "", **shown}
    return Page(request, session).render(
        "imports.html.j2", status, imports=svc.registry.imports.recent(issuer_id),
        mappings={name: mapping_json(m) for name, m in svc.registry.imports.mappings(issuer_id).items()},
        fields=field_names(), **context,
    )  # fmt: skip


@router.get("/imports")
def imports_page(request: Request, svc: ServicesDep, session: SignedIn) -> Response:
    """The issuer's imports, the form to check a spreadsheet, the saved mappings."""
    return _page(request, svc, session)


@router.post("/imports")
def check_page(
    request: Request, svc: ServicesDep, session: SignedIn, file: Annotated[UploadFile, File()],
    mapping: Field = "", mapping_name: Field = "", new: Field = "", form: Field = "",
) -> Response:  # fmt: skip
    """Check a spreadsheet (the dry run) and show what it found."""
    check_form(request, session.csrf, form)
    require(session, CHANGES)
    try:
        parsed = parse_mapping(svc, issuer_of(session), mapping, mapping_name[:100])
        name = (file.filename or "spreadsheet")[:200]
        record, found = check(svc, session.principal, name, read_upload(file), parsed, new == "yes")
    except (MappingRefused, SheetRefused) as exc:
        return _page(request, svc, session, 422, error=str(exc), mapping_text=mapping)
    return _import_page(request, svc, session, record.id, found, 201)


@router.get("/imports/{import_id}")
def import_page(import_id: str, request: Request, svc: ServicesDep, session: SignedIn) -> Response:
    """An import: its dry run's counts and, once started, its progress (the page refreshes itself)."""
    return _import_page(request, svc, session, import_id[:40], None)


def _import_page(request: Request, svc: ServicesDep, session: Session, import_id: str, found: Plan | None,
                 status: int = 200) -> Response:  # fmt: skip
    try:
        record = svc.registry.imports.get(issuer_of(session), import_id)
    except NotFound:
        raise ConsoleError(404, "not_found") from None
    return Page(request, session).render(
        "import.html.j2", status, record=record, problems=found.problems[:SHOWN] if found else None,
        existing=found.existing[:SHOWN] if found else None, may_start=session.user.role in CHANGES,
    )  # fmt: skip


@router.post("/imports/{import_id}/start")
def start_page(import_id: str, request: Request, svc: ServicesDep, session: SignedIn, form: Field = "") -> Response:
    """Start the import (checked again now: refused while a row has a problem)."""
    check_form(request, session.csrf, form)
    require(session, CHANGES)
    try:
        start(svc, session.principal, import_id[:40])
    except NotFound:
        raise ConsoleError(404, "not_found") from None
    except Conflict as exc:
        raise ConsoleError(409, "import_refused", why=str(exc)) from None
    return see_other(f"{PREFIX}/imports/{import_id[:40]}")


@router.get("/imports/{import_id}/annotated.xlsx")
def annotated_page(import_id: str, svc: ServicesDep, session: SignedIn) -> Response:
    """The file with its problems marked."""
    try:
        return annotated(svc, issuer_of(session), import_id[:40])
    except NotFound:
        raise ConsoleError(404, "not_found") from None


@router.post("/imports/mappings")
def save_mapping_page(
    request: Request, svc: ServicesDep, session: SignedIn, name: Field = "", mapping: Field = "", form: Field = ""
) -> Response:
    """Save a mapping under a name."""
    check_form(request, session.csrf, form)
    require(session, CHANGES)
    try:
        if not 1 <= len(name.strip()) <= 100:
            raise MappingRefused("a mapping's name has 1 to 100 characters")
        parsed = parse_mapping(svc, issuer_of(session), mapping, "")
        if parsed is None:
            raise MappingRefused("give the mapping to save")
    except MappingRefused as exc:
        return _page(request, svc, session, 422, error=str(exc), mapping_text=mapping)
    kept = {"columns": parsed.columns, "values": parsed.values, "defaults": parsed.defaults}
    svc.registry.imports.save_mapping(session.principal, name.strip(), kept, svc.clock())
    return see_other(f"{PREFIX}/imports")


def mapping_json(mapping: dict[str, object]) -> str:
    """A saved mapping as the form shows it."""
    return json.dumps(mapping, ensure_ascii=False, indent=1)
