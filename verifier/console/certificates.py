"""The certificates at the desk, found, shown and changed.

Found by number, holder, credit code, HS code, status, scheme, market and validity, a page at a time over
tens of thousands; a certificate's page with every field, its history, its downloads and recognitions;
its status changed with a reason, after a confirmation.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from verifier.api.deps import ServicesDep
from verifier.api.issuer import change_status, issuance_proof
from verifier.certificate.status import REASONS, TRANSITIONS, Action
from verifier.console.session import CHANGES, SignedIn, check_form, issuer_of, require
from verifier.console.web import PREFIX, ConsoleError, Page, see_other
from verifier.credentials.dcc import credential_url
from verifier.paper.pdfupdate import with_log_proof
from verifier.paper.qr import qr_png, qr_svg
from verifier.store.desk import Search, Validity
from verifier.store.records import CertificateRecord, Conflict, NotFound
from verifier.verdict import StatusState
from verifier.verification.check import validity_state

router = APIRouter(prefix=PREFIX, include_in_schema=False)
SCHEMES = ("zhejiang-made", "international-cooperation", "ccc-exemption", "ccc-self-declaration")
PAGE_SIZE = 50
Field = Annotated[str, Form(max_length=2000)]


def _one_of(value: str | None, allowed: tuple[str, ...]) -> str | None:
    return value if value in allowed else None


def search_of(request: Request, today: date) -> Search:
    """The search a list page's query asks for; what it cannot use is left out (and the form shows it blank)."""
    q = request.query_params
    hs = (q.get("hs") or "").strip()
    market = (q.get("market") or "").strip().upper()
    return Search(
        text=(q.get("q") or "")[:100],
        status=StatusState(s) if (s := _one_of(q.get("status"), tuple(x.value for x in StatusState))) else None,
        scheme=_one_of(q.get("scheme"), SCHEMES),
        hs_code=hs if hs.replace(".", "").isdigit() and len(hs) <= 12 else None,
        market=market if len(market) == 2 and market.isalpha() and market.isascii() else None,
        validity=Validity(v) if (v := _one_of(q.get("validity"), tuple(x.value for x in Validity))) else None,
        today=today,
    )


@router.get("/certificates")
def certificate_list(request: Request, svc: ServicesDep, session: SignedIn) -> Response:
    """The issuer's certificates, found and paged (newest first)."""
    issuer_id = issuer_of(session)
    search = search_of(request, svc.clock().date())
    cursor = request.query_params.get("cursor", "")
    after = int(cursor) if cursor.isdigit() and len(cursor) < 19 else None
    rows, next_seq = svc.registry.desk.search(issuer_id, search, after, PAGE_SIZE)
    total = svc.registry.desk.count(issuer_id, search)
    asked = {
        k: v for k, v in request.query_params.items() if k in ("q", "status", "scheme", "hs", "market", "validity")
    }
    return Page(request, session).render(
        "certificates.html.j2", rows=rows, total=total, search=search, asked=asked, schemes=SCHEMES,
        next_cursor=next_seq, first_page=after is None, today=svc.clock().date(),
    )  # fmt: skip


def _record(svc: ServicesDep, session: Any, certificate_id: str) -> CertificateRecord:
    issuer_id = issuer_of(session)
    if len(certificate_id) > 40:
        raise ConsoleError(404, "not_found")
    try:
        return svc.registry.certificates.get(issuer_id, certificate_id)
    except NotFound:
        raise ConsoleError(404, "not_found") from None


@router.get("/certificates/{certificate_id}")
def certificate_page(certificate_id: str, request: Request, svc: ServicesDep, session: SignedIn) -> Response:
    """A certificate with every field, its history, downloads and recognitions, and its status actions."""
    record = _record(svc, session, certificate_id)
    history = svc.registry.desk.history(record.id)
    names = svc.registry.desk.names(e.actor for e in history)
    data = record.record
    today = svc.clock().date()
    validity = validity_state(
        date.fromisoformat(data["valid_from"]), date.fromisoformat(data["valid_until"]), svc.clock()
    )
    actions = [a for a in Action if record.status.state in TRANSITIONS[a][0]]
    segment = record.qr_text.rsplit("/", 1)[1]
    index, proof = issuance_proof(svc, record)
    return Page(request, session).render(
        "certificate.html.j2", record=record, data=data, history=history, names=names, validity=validity.value,
        actions=actions if session.user.role in CHANGES else [], reasons={a.value: REASONS[a] for a in Action},
        recognitions=[r.shown() for r in svc.registry.recognitions.of_certificate(record.id)],
        verify_url=f"{svc.settings.public_url}/c/{segment}",
        credential=credential_url(svc.settings.public_url, record.id),
        changed=request.query_params.get("changed") in {a.value for a in Action},
        original=svc.registry.imports.original(record.id),
        has_pdf=record.pdf_sha256 is not None, log_index=index, witnessed=proof is not None, today=today,
    )  # fmt: skip


@router.post("/certificates/{certificate_id}/status")
def certificate_status(
    certificate_id: str, request: Request, svc: ServicesDep, session: SignedIn,
    action: Field = "", reason: Field = "", note: Field = "", confirm: Field = "", form: Field = "",
) -> Response:  # fmt: skip
    """Suspend, reinstate or revoke the certificate, with a reason, once confirmed."""
    check_form(request, session.csrf, form)
    require(session, CHANGES)
    record = _record(svc, session, certificate_id)
    chosen = next((a for a in Action if a.value == action), None)
    if chosen is None or reason not in REASONS[chosen]:
        raise ConsoleError(422, "choose_action")
    if confirm != "yes":
        raise ConsoleError(422, "confirm_first")
    try:
        change_status(svc, session.principal, record.id, chosen, reason, note.strip()[:500])
    except Conflict:
        raise ConsoleError(409, "not_now", number=record.number) from None
    return see_other(f"{PREFIX}/certificates/{record.id}?changed={chosen.value}")


def _download(body: bytes, media_type: str, name: str) -> Response:
    return Response(body, media_type=media_type, headers={
        "Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff"})  # fmt: skip


@router.get("/certificates/{certificate_id}/pdf")
def certificate_pdf(certificate_id: str, request: Request, svc: ServicesDep, session: SignedIn) -> Response:
    """The PDF as issued (``?log_proof=true``: with the log's proof appended once witnessed)."""
    record = _record(svc, session, certificate_id)
    try:
        pdf = svc.registry.certificates.pdf(record.issuer_id, record.id)
    except NotFound:
        raise ConsoleError(404, "no_pdf") from None
    if request.query_params.get("log_proof") == "true":
        _, proof = issuance_proof(svc, record)
        if proof is not None:
            pdf = with_log_proof(pdf, proof.to_text().encode())
    return _download(pdf, "application/pdf", f"{record.number}.pdf")


@router.get("/certificates/{certificate_id}/qr.{kind}")
def certificate_qr(certificate_id: str, kind: str, svc: ServicesDep, session: SignedIn) -> Response:
    """The certificate's QR code as a PNG or an SVG, for other documents and labels."""
    record = _record(svc, session, certificate_id)
    if kind == "png":
        return _download(qr_png(record.qr_text), "image/png", f"{record.number}-qr.png")
    if kind == "svg":
        return _download(qr_svg(record.qr_text), "image/svg+xml", f"{record.number}-qr.svg")
    raise ConsoleError(404, "not_found")
