"""The issuer face: create certificates, read them, change their status. An issuer sees only its own."""

from __future__ import annotations

import hashlib
import logging
from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Body, HTTPException, Query, Response, status
from fastapi.openapi.models import Example

from verifier.api.deps import IssuerDep, Services, ServicesDep
from verifier.api.schemas import (
    BatchIn,
    BatchOut,
    CertificateOut,
    ErrorOut,
    JobFailureOut,
    JobOut,
    LogEntryOut,
    PageOut,
    StatusChangeIn,
    status_change_model,
)
from verifier.certificate.fields import NUMBER_PATTERN
from verifier.certificate.model import Certificate, certificate_json
from verifier.certificate.status import Action
from verifier.credentials.dcc import credential_url
from verifier.demo.certificates import demo_certificates, example
from verifier.issuing.policy import refuse_ended
from verifier.issuing.recipe import issue
from verifier.paper.pdfupdate import with_log_proof
from verifier.seal.cose import decode_segment
from verifier.store.certificates import CURSOR_PATTERN, decode_cursor, encode_cursor
from verifier.store.jobs import JobRecord
from verifier.store.records import CertificateRecord, Conflict, ListFilter, Principal
from verifier.tlog.note import Checkpoint
from verifier.tlog.proof import LogProof
from verifier.verdict import StatusState
from verifier.verification.check import validity_state

log = logging.getLogger("verifier.issuer")
router = APIRouter(prefix="/api/v1/certificates", tags=["issuer"])

# The examples issue as they stand, again and again: no number (one is generated), in force on the day
# the service started.
_TODAY = date.today()
CERTIFICATE_EXAMPLES: dict[str, Example] = {
    name: {"summary": data["scheme"], "value": example(name, _TODAY)} for name, data in demo_certificates()
}
BATCH_EXAMPLES: dict[str, Example] = {
    "two certificates": {"value": {"certificates": [example(name, _TODAY) for name, _ in demo_certificates()[:2]]}}
}

ERRORS: dict[int | str, dict[str, object]] = {
    401: {"model": ErrorOut, "description": "No token, or an unknown or withdrawn one"},
    403: {"model": ErrorOut, "description": "A token without the issuer role"},
    422: {"model": ErrorOut, "description": "The body breaks the model; `fields` names each field"},
}
NOT_FOUND: dict[int | str, dict[str, object]] = {404: {"model": ErrorOut, "description": "Not one of yours"}}
CONFLICT: dict[int | str, dict[str, object]] = {409: {"model": ErrorOut, "description": "Not allowed now"}}
QUEUED: dict[int | str, dict[str, object]] = {
    202: {"model": JobOut, "description": "Queued as a job: follow it at its Location"},
    429: {"model": ErrorOut, "description": "Ten of your jobs are queued or running already (Retry-After)"},
}


def issued(svc: Services, principal: Principal, records: list[CertificateRecord]) -> None:
    """Count and log certificates just issued (one line for a batch); a list they opened is published at once."""
    if records:
        svc.board.refresh()
    for record in records:
        svc.metrics.issued.labels(record.record["scheme"]).inc()
    fields = {"issuer": principal.issuer_id, "count": len(records), "first": records[0].id if records else None}
    log.info("issued %d certificate(s)", len(records), extra={"fields": fields})


def certificate_out(svc: Services, record: CertificateRecord) -> CertificateOut:
    """A registered certificate as the API answers it."""
    segment = record.qr_text.rsplit("/", 1)[1]
    data = record.record
    return CertificateOut(
        id=record.id,
        number=record.number,
        status=record.status.state.value,
        status_detail={
            "state": record.status.state.value,
            "reason": record.status.reason,
            "note": record.status.note,
            "since": record.status.since,
        },
        validity=validity_state(
            date.fromisoformat(data["valid_from"]), date.fromisoformat(data["valid_until"]), svc.clock()
        ).value,
        qr=record.qr_text,
        verify_url=f"{svc.settings.public_url}/c/{segment}",
        pdf_url=f"{svc.settings.public_url}/api/v1/certificates/{record.id}/pdf",
        pdf_sha256=record.pdf_sha256,
        credential_url=credential_url(svc.settings.public_url, record.id),
        kid=record.kid.hex(),
        issued_at=record.issued_at,
        certificate=data,
        log_index=record.log_index,
        log_url=f"{svc.settings.public_url}/api/v1/certificates/{record.id}/log",
    )


def can_issue(svc: Services) -> None:
    """Raise :class:`~verifier.needs.CannotIssue` (503) when this machine lacks what rendering needs."""
    if svc.readiness is not None:
        svc.readiness.require()


def queue(svc: Services, principal: Principal, body: BatchIn, response: Response) -> JobOut:
    """Check what can be checked at once (the model, the numbers), then queue the batch: 202 and the job."""
    assert principal.issuer_id is not None
    can_issue(svc)
    refuse_ended(body.certificates, svc.clock())  # what the job would refuse, said now
    numbers = [str(c.number) for c in body.certificates if c.number is not None]
    repeated = sorted({n for n in numbers if numbers.count(n) > 1})
    if repeated:
        raise Conflict(f"numbers repeat within the batch: {', '.join(repeated)}")
    svc.registry.certificates.refuse_taken(principal.issuer_id, numbers)
    request = [certificate_json(c) for c in body.certificates]
    job = svc.registry.jobs.submit(principal, request, svc.clock())
    if svc.jobs is not None:
        svc.jobs.wake()
    response.status_code = status.HTTP_202_ACCEPTED
    response.headers["Location"] = f"/api/v1/jobs/{job.id}"
    return job_out(svc, job, with_certificates=False)


def job_out(svc: Services, job: JobRecord, with_certificates: bool = True) -> JobOut:
    """A job as the API answers it; a succeeded one with its certificates (in the batch's order)."""
    certificates = None
    if with_certificates and job.state == "succeeded" and job.certificate_ids is not None:
        records = svc.registry.certificates.many(job.issuer_id, job.certificate_ids)
        certificates = [certificate_out(svc, record) for record in records]
    return JobOut(
        id=job.id,
        state=job.state,  # the store writes only the five states
        done=job.done,
        total=job.total,
        created_at=job.created_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
        cancel_requested=job.cancel_requested,
        failures=[JobFailureOut(**failure) for failure in job.failures or ()],
        url=f"{svc.settings.public_url}/api/v1/jobs/{job.id}",
        certificates=certificates,
    )


@router.post("", status_code=status.HTTP_201_CREATED, responses=ERRORS | CONFLICT, summary="Issue a certificate")
def create(
    body: Annotated[Certificate, Body(openapi_examples=CERTIFICATE_EXAMPLES)],
    principal: IssuerDep,
    svc: ServicesDep,
    response: Response,
) -> CertificateOut:
    """Seal and register one certificate; its number is generated when the body has none."""
    can_issue(svc)
    (record,) = issue(svc.registry, principal, [body], svc.settings.public_url, svc.clock(), svc.pdfs)
    issued(svc, principal, [record])
    response.headers["Location"] = f"/api/v1/certificates/{record.id}"
    return certificate_out(svc, record)


@router.post(
    "/batch",
    status_code=status.HTTP_201_CREATED,
    responses=ERRORS | CONFLICT | QUEUED,
    summary="Issue up to 1,000 at once",
)
def create_batch(
    body: Annotated[BatchIn, Body(openapi_examples=BATCH_EXAMPLES)],
    principal: IssuerDep,
    svc: ServicesDep,
    response: Response,
) -> BatchOut | JobOut:
    """Seal and register every certificate of the batch, or none of them.

    With ``"async": true`` the batch is queued as a job instead: 202 at once, then ``GET /api/v1/jobs/{id}``.
    """
    can_issue(svc)
    if body.run_async:
        return queue(svc, principal, body, response)
    records = issue(svc.registry, principal, body.certificates, svc.settings.public_url, svc.clock(), svc.pdfs)
    issued(svc, principal, records)
    return BatchOut(certificates=[certificate_out(svc, r) for r in records])


@router.get("", responses=ERRORS, summary="List your certificates")
def list_certificates(
    principal: IssuerDep,
    svc: ServicesDep,
    status_: Annotated[Literal["active", "suspended", "revoked"] | None, Query(alias="status")] = None,
    scheme: Annotated[
        Literal["zhejiang-made", "international-cooperation", "ccc-exemption", "ccc-self-declaration"] | None,
        Query(),
    ] = None,
    credit_code: Annotated[str | None, Query(pattern=r"^[0-9A-Z]{18}$")] = None,
    number: Annotated[
        str | None, Query(pattern=f"^{NUMBER_PATTERN}$", description="exactly this certificate number (one or none)")
    ] = None,
    valid_on: Annotated[date | None, Query(description="certificates whose validity covers this day")] = None,
    cursor: Annotated[str | None, Query(pattern=CURSOR_PATTERN, description="next_cursor of the page before")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> PageOut:
    """A page of your certificates in issue order; pass ``next_cursor`` back as ``cursor`` for the next."""
    try:
        after = decode_cursor(cursor) if cursor else None
    except ValueError as exc:
        raise HTTPException(422, f"cursor: {exc}") from None
    filters = ListFilter(StatusState(status_) if status_ else None, scheme, credit_code, valid_on, number)
    assert principal.issuer_id is not None
    records, last = svc.registry.certificates.page(principal.issuer_id, filters, after, limit)
    return PageOut(
        certificates=[certificate_out(svc, r) for r in records],
        next_cursor=encode_cursor(last) if last is not None else None,
    )


@router.get("/{certificate_id}", responses=ERRORS | NOT_FOUND, summary="One of your certificates")
def get_certificate(certificate_id: str, principal: IssuerDep, svc: ServicesDep) -> CertificateOut:
    """The certificate with its current status; another issuer's id answers 404."""
    assert principal.issuer_id is not None
    return certificate_out(svc, svc.registry.certificates.get(principal.issuer_id, certificate_id))


@router.get(
    "/{certificate_id}/pdf",
    responses=ERRORS | NOT_FOUND | {200: {"content": {"application/pdf": {}}, "description": "The issued PDF"}},
    response_class=Response,
    summary="The certificate's PDF exactly as issued, or with the log's proof appended",
)
def get_pdf(
    certificate_id: str,
    principal: IssuerDep,
    svc: ServicesDep,
    log_proof: Annotated[
        bool, Query(description="true: with the issuance's tlog-proof appended, once a witnessed checkpoint covers it")
    ] = False,
) -> Response:
    """The PDF recorded at issuance, byte for byte (its SHA-256 is the certificate's ``pdf_sha256``).

    With ``log_proof=true``, and once a witnessed checkpoint covers the issuance, its tlog-proof is attached
    in an incremental update (docs/spec/log.md, section 7): the issued bytes stay a prefix. ``X-Log-Proof``
    says ``attached``, ``available`` (ask with ``log_proof=true``) or ``pending`` (not witnessed yet).
    """
    assert principal.issuer_id is not None
    pdf = svc.registry.certificates.pdf(principal.issuer_id, certificate_id)
    _, proof = issuance_proof(svc, svc.registry.certificates.get(principal.issuer_id, certificate_id))
    if proof is not None and log_proof:
        pdf = with_log_proof(pdf, proof.to_text().encode())
    headers = {
        "Content-Disposition": f'attachment; filename="{certificate_id}.pdf"',
        "Cache-Control": "no-store",
        "X-Log-Proof": "pending" if proof is None else "attached" if log_proof else "available",
    }
    return Response(pdf, media_type="application/pdf", headers=headers)


@router.get("/{certificate_id}/log", responses=ERRORS | NOT_FOUND, summary="The certificate's entry in the log")
def get_log_entry(certificate_id: str, principal: IssuerDep, svc: ServicesDep) -> LogEntryOut:
    """Its issuance's index in the transparency log and, once a witnessed checkpoint covers it, the proof."""
    assert principal.issuer_id is not None
    index, proof = issuance_proof(svc, svc.registry.certificates.get(principal.issuer_id, certificate_id))
    size = Checkpoint.from_text(proof.checkpoint.text).size if proof else None
    return LogEntryOut(index=index, witnessed_size=size, proof=proof.to_text() if proof else None)


def issuance_proof(svc: Services, record: CertificateRecord) -> tuple[int | None, LogProof | None]:
    """The issuance's index in the log (None: issued before the log) and its proof in a witnessed checkpoint."""
    seal = hashlib.sha256(decode_segment(record.qr_text.rsplit("/", 1)[1])).digest()
    found = svc.registry.log.find(seal, "issued")
    if not found:
        return None, None
    return found[0], svc.ledger.proof(found[0], svc.clock())


def change_status(
    svc: Services, principal: Principal, certificate_id: str, action: Action, reason: str, note: str
) -> CertificateRecord:
    """Change a certificate's status (the API's and the console's one path): published here before it returns."""
    record = svc.registry.certificates.change_status(principal, certificate_id, action, reason, note, svc.clock())
    svc.board.refresh()  # this replica's lists and scans say so before the answer does
    svc.metrics.status_changes.labels(action.value).inc()
    fields = {"issuer": principal.issuer_id, "certificate": certificate_id, "reason": reason}
    log.info("certificate %s: %s", certificate_id, action.value, extra={"fields": fields})
    return record


def _status_route(action: Action) -> None:
    body_model = status_change_model(action)

    def change(certificate_id: str, body: StatusChangeIn, principal: IssuerDep, svc: ServicesDep) -> CertificateOut:
        return certificate_out(svc, change_status(svc, principal, certificate_id, action, body.reason, body.note))

    change.__doc__ = f"{action.value.capitalize()} one of your certificates, with a reason code."
    change.__annotations__ = {**change.__annotations__, "body": body_model}
    router.add_api_route(
        f"/{{certificate_id}}/{action.value}",
        change,
        methods=["POST"],
        responses=ERRORS | NOT_FOUND | CONFLICT,
        summary=f"{action.value.capitalize()} a certificate",
        name=f"{action.value}_certificate",
    )


for _action in Action:
    _status_route(_action)
