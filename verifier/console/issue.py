"""Issuing one certificate at the desk, from a form made from the model's fields.

The API's field errors stand beside each input; a preview of the PDF comes before anything is issued;
then the certificate is issued and shown.

The form's inputs are named by the certificate's field paths (``holder.name``, ``products.1.models``): the
same vocabulary as an import's mapping (:mod:`verifier.imports.mapping`), turned into the certificate's JSON
the same way, then checked by the model as the API checks it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from verifier.api.deps import Services, ServicesDep
from verifier.api.issuer import can_issue, issued
from verifier.certificate.model import AnyCertificate, ExemptionPurpose, QuantityUnit, parse_certificate
from verifier.console.certificates import SCHEMES
from verifier.console.session import CHANGES, check_form, current, issuer_of, require
from verifier.console.web import PREFIX, ConsoleError, Page, SignInFirst, see_other
from verifier.errors import CertificateInvalid, VerifierError
from verifier.imports.mapping import Mapping, row_to_record
from verifier.issuing.recipe import issue, preview
from verifier.store.users import Session

router = APIRouter(prefix=PREFIX, include_in_schema=False)
SLOTS = {"products": 3, "standards": 2, "recognitions": 2}  # repeated groups the form offers (empty ones left out)
MAX_VALUE = 2_000  # characters an input may send
CHOICES = {"exemption.purpose": [p.value for p in ExemptionPurpose], "exemption.unit": [u.value for u in QuantityUnit]}
DATES = ("valid_from", "valid_until")


@dataclass(frozen=True)
class Group:
    """A titled group of the form's inputs (``key`` names its title in the catalogue; ``place`` its number)."""

    key: str
    paths: tuple[str, ...]
    place: int | None = None


def groups(scheme: str) -> list[Group]:
    """The form of a scheme: its groups of field paths, as the model has them."""
    found = [
        Group("certificate", ("number", "valid_from", "valid_until", "markets")),
        Group("holder", tuple(f"holder.{f}" for f in ("name", "name_en", "credit_code", "address", "address_en"))),
        Group("site", ("site.address", "site.address_en")),
    ]
    found += [Group("products", tuple(f"products.{n}.{f}" for f in ("name", "name_en", "models", "hs_code")), n + 1)
              for n in range(SLOTS["products"])]  # fmt: skip
    found += [Group("standards", tuple(f"standards.{n}.{f}" for f in ("code", "title", "title_en")), n + 1)
              for n in range(SLOTS["standards"])]  # fmt: skip
    if scheme == "ccc-exemption":
        found.append(Group("exemption", ("exemption.purpose", "exemption.quantity", "exemption.unit",
                                         "exemption.declared_value.amount", "exemption.declared_value.currency",
                                         "exemption.port_of_entry")))  # fmt: skip
    if scheme == "international-cooperation":
        fields = ("body", "country", "certificate_number")
        found += [Group("recognitions", tuple(f"recognitions.{n}.{f}" for f in fields), n + 1)
                  for n in range(SLOTS["recognitions"])]  # fmt: skip
    return found


def _scheme(value: object) -> str:
    return str(value) if value in SCHEMES else SCHEMES[0]


def _certificate(scheme: str, given: dict[str, str]) -> AnyCertificate:
    """The form's values as a certificate, checked by the model (:class:`CertificateInvalid` names each field)."""
    paths = [p for p, v in given.items() if v]
    record, _ = row_to_record(Mapping({p: p for p in paths}, {}, {"scheme": scheme}), paths, [given[p] for p in paths])
    return parse_certificate(record)


def _errors(exc: CertificateInvalid, paths: list[str]) -> tuple[dict[str, str], list[str]]:
    """Each field error beside its input (a list's item beside the list's), the rest above the form."""
    beside: dict[str, str] = {}
    above: list[str] = []
    for error in exc.errors:
        owner = max((p for p in paths if error.field == p or error.field.startswith(p + ".")), key=len, default=None)
        message = "required" if error.message == "Field required" else error.message
        if owner is None:
            above.append(f"{error.field}: {message}")
        else:
            beside[owner] = beside.get(owner, "") + ("; " if owner in beside else "") + message
    return beside, above


def _form_page(request: Request, session: Session, scheme: str, given: dict[str, str], status: int = 200,
               beside: dict[str, str] | None = None, above: list[str] | None = None) -> Response:  # fmt: skip
    return Page(request, session).render(
        "issue.html.j2", status, scheme=scheme, schemes=SCHEMES, groups=groups(scheme), given=given,
        beside=beside or {}, above=above or [], choices=CHOICES, dates=DATES,
    )  # fmt: skip


def _session(request: Request, svc: Services) -> Session:
    found = current(request, svc)
    if found is None:
        raise SignInFirst(f"{PREFIX}/issue")
    issuer_of(found)
    require(found, CHANGES)
    return found


@router.get("/issue")
def issue_page(request: Request, svc: ServicesDep) -> Response:
    """The form for one certificate of a scheme (``?scheme=``)."""
    session = _session(request, svc)
    return _form_page(request, session, _scheme(request.query_params.get("scheme")), {})


async def _posted(request: Request, svc: Services) -> tuple[Session, str, dict[str, str], list[str]]:
    session = await run_in_threadpool(_session, request, svc)
    form = await request.form(max_files=0, max_fields=200, max_part_size=MAX_VALUE * 4)
    check_form(request, session.csrf, str(form.get("form", "")))
    scheme = _scheme(form.get("scheme"))
    paths = [p for g in groups(scheme) for p in g.paths]
    given = {p: str(form.get(p, ""))[:MAX_VALUE].strip() for p in paths}
    return session, scheme, given, paths


@router.post("/issue")
async def issue_one(request: Request, svc: ServicesDep) -> Response:
    """Issue the certificate the form describes; its field errors beside their inputs when the model refuses it."""
    session, scheme, given, paths = await _posted(request, svc)
    try:
        certificate = _certificate(scheme, given)
        record = await run_in_threadpool(_issue, svc, session, certificate)
    except CertificateInvalid as exc:
        beside, above = _errors(exc, paths)
        return _form_page(request, session, scheme, given, 422, beside, above)
    except VerifierError as exc:  # a number taken, a seal too large, this machine cannot render
        return _form_page(request, session, scheme, given, 409, {}, [str(exc)])
    return see_other(f"{PREFIX}/certificates/{record.id}")


def _issue(svc: Services, session: Session, certificate: AnyCertificate) -> Any:
    can_issue(svc)
    (record,) = issue(svc.registry, session.principal, [certificate], svc.settings.public_url, svc.clock(), svc.pdfs)
    issued(svc, session.principal, [record])
    return record


@router.post("/issue/preview")
async def preview_one(request: Request, svc: ServicesDep) -> Response:
    """The PDF the form would issue, marked as a preview and sealed by no key of the issuer's; nothing is issued."""
    session, scheme, given, paths = await _posted(request, svc)
    if svc.pdfs is None:
        raise ConsoleError(409, "no_preview")
    try:
        certificate = _certificate(scheme, given)
        pdf = await run_in_threadpool(preview, svc.registry, session.principal, certificate,
                                      svc.settings.public_url, svc.clock(), svc.pdfs)  # fmt: skip
    except CertificateInvalid as exc:
        beside, above = _errors(exc, paths)
        return _form_page(request, session, scheme, given, 422, beside, above)
    except VerifierError as exc:
        return _form_page(request, session, scheme, given, 409, {}, [str(exc)])
    return Response(pdf, media_type="application/pdf", headers={
        "Content-Disposition": 'inline; filename="preview.pdf"', "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff"})  # fmt: skip
