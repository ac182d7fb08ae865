"""What the issuer's certificates print of it — address, contact, accreditation, signatory — and its stamp.

An issuer's admin sets them (the certificates issued from then on print them); its clerks and auditors see
them. The words are checked as the API checks them; a stamp as the API does (PNG or an SVG that only draws).
"""

from __future__ import annotations

import base64
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import Response
from pydantic import ValidationError

from verifier.api.deps import ServicesDep
from verifier.api.schemas import LetterheadIn
from verifier.certificate.model import describe_errors
from verifier.console.session import SignedIn, check_form, issuer_of, require
from verifier.console.web import PREFIX, Page, see_other
from verifier.errors import VerifierError
from verifier.paper.letterhead import DETAILS
from verifier.paper.stamps import MAX_STAMP_BYTES, checked_stamp
from verifier.store.users import Session, UserRole

router = APIRouter(prefix=PREFIX, include_in_schema=False)
Field = Annotated[str, Form(max_length=400)]
ADMINS = frozenset({UserRole.ADMIN})


def _page(request: Request, svc: ServicesDep, session: Session, status: int = 200, error: str = "") -> Response:
    letterhead = svc.registry.issuers.letterhead(issuer_of(session))
    stamp = letterhead.stamp
    shown = f"data:{stamp.media_type};base64,{base64.b64encode(stamp.data).decode()}" if stamp else ""
    return Page(request, session).render(
        "letterhead.html.j2", status, letterhead=letterhead, details=DETAILS, stamp=shown, error=error,
        may_edit=session.user.role in ADMINS, max_kb=MAX_STAMP_BYTES // 1024,
    )  # fmt: skip


@router.get("/letterhead")
def letterhead_page(request: Request, svc: ServicesDep, session: SignedIn) -> Response:
    """The letterhead and stamp; the admin's forms to change them."""
    return _page(request, svc, session)


@router.post("/letterhead")
def update_letterhead(
    request: Request, svc: ServicesDep, session: SignedIn, address: Field = "", address_en: Field = "",
    contact: Field = "", accreditation: Field = "", signatory: Field = "", signatory_title: Field = "",
    signatory_title_en: Field = "", form: Field = "",
) -> Response:  # fmt: skip
    """Set the letterhead's fields (each as the form has it; an empty one cleared)."""
    check_form(request, session.csrf, form)
    require(session, ADMINS)
    values = (address, address_en, contact, accreditation, signatory, signatory_title, signatory_title_en)
    given = {name: value.strip() for name, value in zip(DETAILS, values, strict=True)}
    try:
        LetterheadIn.model_validate({k: v or None for k, v in given.items()})
    except ValidationError as exc:
        errors = describe_errors(exc.errors(include_url=False), "letterhead")
        return _page(request, svc, session, 422, "; ".join(f"{e.field}: {e.message}" for e in errors))
    svc.registry.issuers.update_letterhead(session.principal, issuer_of(session), given, svc.clock())
    return see_other(f"{PREFIX}/letterhead")


@router.post("/letterhead/stamp")
def update_stamp(
    request: Request, svc: ServicesDep, session: SignedIn,
    file: Annotated[UploadFile | None, File()] = None, remove: Field = "", form: Field = "",
) -> Response:  # fmt: skip
    """Upload the stamp (PNG or SVG), or remove it."""
    check_form(request, session.csrf, form)
    require(session, ADMINS)
    if remove == "yes":
        svc.registry.issuers.set_stamp(session.principal, issuer_of(session), None, svc.clock())
        return see_other(f"{PREFIX}/letterhead")
    if file is None:
        return _page(request, svc, session, 422, "choose a PNG or SVG file")
    try:
        stamp = checked_stamp(file.file.read(MAX_STAMP_BYTES + 1))
    except VerifierError as exc:
        return _page(request, svc, session, 422, str(exc))
    svc.registry.issuers.set_stamp(session.principal, issuer_of(session), stamp, svc.clock())
    return see_other(f"{PREFIX}/letterhead")
