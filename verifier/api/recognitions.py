"""The recognition face: issuers ask partner bodies to recognise a certificate; bodies answer, sign, upload.

A body's token (a party registered with the role ``recognise``) lists the requests it received, accepts
one (the service signs with the key it keeps for the body, or the body uploads the recognition it signed
itself) or declines it with a reason, finds a certificate nobody asked about by its number and holder,
and suspends, reinstates or revokes its recognitions. An issuer's token asks, follows its requests,
withdraws one, and sees the recognitions of its certificates. Each step is audited by the store.
"""

from __future__ import annotations

import base64
import binascii
import logging
from dataclasses import replace
from datetime import date, datetime
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Query, status
from fastapi.responses import HTMLResponse
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from verifier.api.deps import IssuerDep, Services, ServicesDep
from verifier.api.i18n import choose
from verifier.api.issuer import CONFLICT, ERRORS, NOT_FOUND
from verifier.api.page import page
from verifier.api.public import PAGE_HEADERS, check_online
from verifier.api.schemas import StatusChangeIn, status_change_model
from verifier.certificate.fields import NUMBER_PATTERN
from verifier.certificate.status import Action
from verifier.errors import CheckFailed, Kind
from verifier.issuing.recognising import MAX_UPLOAD_BYTES, RecognitionRefused, Terms, annex_of, sign_here, upload
from verifier.seal.cose import RECOGNITION_PATH, decode_segment, encode_segment, encode_text
from verifier.store.recognitions import RecognitionRecord
from verifier.store.records import Conflict, NotFound, Principal, body_of, issuer_of

log = logging.getLogger("verifier.recognitions")
NO_STORE = {"Cache-Control": "no-store"}
router = APIRouter(prefix="/api/v1", tags=["recognitions"])
LINE = r"^[^\x00-\x1f\x7f]*$"


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AskIn(_In):
    """Which body is asked to recognise the certificate, for which markets, and a note for it."""

    recogniser: Annotated[str, Field(max_length=40, examples=["sgs"])]
    markets: Annotated[list[Annotated[str, Field(max_length=2)]], Field(min_length=1, max_length=60, examples=[["DE"]])]
    note: Annotated[str, Field(max_length=2000, pattern=r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$")] = ""


class RecognitionIn(_In):
    """A recognition: its terms, signed here with the key kept for the body; or ``seal``, signed by the body.

    ``seal`` is the recognition the body signed itself (``verifier recognise --key``), in base64. Give the
    terms or the seal, not both.
    """

    certificate_id: Annotated[str | None, Field(max_length=36)] = None  # with a request, the request's
    number: Annotated[str | None, Field(pattern=NUMBER_PATTERN.join("^$"), examples=["SGS-DE-2026-0001"])] = None
    markets: Annotated[list[Annotated[str, Field(max_length=2)]] | None, Field(min_length=1, max_length=60)] = None
    basis: Annotated[
        list[Annotated[str, Field(min_length=1, max_length=60, pattern=LINE)]] | None,
        Field(min_length=1, max_length=10, examples=[["EN 12266-1:2012"]]),
    ] = None
    valid_from: date | None = None
    valid_until: date | None = None
    seal: Annotated[str | None, Field(max_length=MAX_UPLOAD_BYTES * 2)] = None

    @model_validator(mode="after")
    def _one_of(self) -> RecognitionIn:
        terms = (self.number, self.markets, self.basis)
        if self.seal is None and (self.number is None or self.basis is None):
            raise ValueError("give number, markets and basis for the service to sign; or seal, one signed elsewhere")
        if self.seal is not None and (any(t is not None for t in terms) or self.valid_from or self.valid_until):
            raise ValueError("a seal signed elsewhere says its own terms: give it alone")
        return self


class DeclineIn(_In):
    """Why the body declines (the issuer reads it)."""

    reason: Annotated[str, Field(min_length=1, max_length=2000, pattern=r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$")]


class RequestOut(BaseModel):
    """A request and its answer."""

    id: str
    certificate_id: str
    certificate_number: str
    issuer: str
    recogniser: str
    markets: list[str]
    note: str
    state: Literal["pending", "accepted", "declined", "withdrawn"]
    asked_at: datetime
    answered_at: datetime | None
    reason: str | None
    recognition_id: str | None


class RecognitionStatusOut(BaseModel):
    """Its standing: its own status, or ``lapsed`` while the certificate it recognises is not in force."""

    state: Literal["active", "suspended", "revoked", "lapsed"]
    reason: str | None
    since: datetime | None


class RecognitionOut(BaseModel):
    """A stored recognition: what it says, how it came, its standing, and its seal (base64)."""

    id: str
    certificate_id: str
    certificate_number: str
    issuer: str
    recogniser: str
    number: str
    markets: list[str]
    basis: list[str]
    valid_from: date
    valid_until: date
    signed_at: datetime
    kid: str
    status_index: int | None
    signed_here: bool
    request_id: str | None
    status: RecognitionStatusOut
    seal: str
    link: str  # its own QR link (/r/1...): the body prints it on its certificate; it opens this one's page


def _out(record: RecognitionRecord, public_url: str) -> RecognitionOut:
    seal = base64.b64encode(record.cose).decode("ascii")
    return RecognitionOut(**record.shown(), seal=seal, link=encode_text(record.cose, public_url, RECOGNITION_PATH))


def _seal_bytes(text: str) -> bytes:
    """The seal's bytes from base64 (or base64url), padded or not; anything else is refused."""
    compact = "".join(text.split()).replace("-", "+").replace("_", "/").rstrip("=")
    try:
        return base64.b64decode(compact + "=" * (-len(compact) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise RecognitionRefused("seal is not base64", code="invalid_request") from None


def _record(
    svc: Services, principal: Principal, certificate_id: str, body: RecognitionIn, request_id: str | None
) -> RecognitionRecord:
    at, trust = svc.clock(), svc.trust.get()
    if body.seal is not None:
        cose = _seal_bytes(body.seal)
        if len(cose) > MAX_UPLOAD_BYTES:
            raise RecognitionRefused(f"a recognition is at most {MAX_UPLOAD_BYTES} bytes", code="too_large",
                                     kind=Kind.TOO_LARGE)  # fmt: skip
        record = upload(svc.registry, trust, principal, certificate_id, cose, at, request_id)
    else:
        number, markets, basis = body.number or "", tuple(body.markets or ()), tuple(body.basis or ())
        terms = Terms(number, markets, basis, body.valid_from, body.valid_until)
        record = sign_here(svc.registry, trust, principal, certificate_id, terms, at, request_id)
    if record.status_index is not None:
        svc.board.refresh()  # a list it opened is published at once
    svc.recognised.refresh()  # this replica's scans show it before the answer does
    fields = {"recogniser": record.party_id, "certificate": certificate_id, "markets": "".join(record.markets)}
    log.info("recognition %s stored", record.id, extra={"fields": fields})
    return record


@router.post(
    "/certificates/{certificate_id}/recognition-requests", status_code=status.HTTP_201_CREATED,
    responses=ERRORS | NOT_FOUND | CONFLICT, summary="Ask a partner body to recognise a certificate",
)  # fmt: skip
def ask(certificate_id: str, body: AskIn, principal: IssuerDep, svc: ServicesDep) -> RequestOut:
    """Ask a body that recognises certificates to recognise one of yours for markets within its remit."""
    record = svc.registry.requests.ask(principal, certificate_id, body.recogniser, tuple(body.markets), body.note,
                                       svc.clock())  # fmt: skip
    return RequestOut(**record.shown())


@router.get("/recognition-requests", responses=ERRORS, summary="Requests received (a body) or sent (an issuer)")
def requests(
    principal: IssuerDep,
    svc: ServicesDep,
    side: Annotated[Literal["received", "sent"] | None, Query(description="default: received for a body")] = None,
    state: Literal["pending", "accepted", "declined", "withdrawn"] | None = None,
    before: Annotated[
        AwareDatetime | None, Query(description="asked before this time, with its zone (the next page)")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[RequestOut]:
    """Newest first: what your body was asked to recognise, or what your issuer asked."""
    received = side == "received" or (side is None and "recognise" in principal.party_roles)
    return [RequestOut(**r.shown()) for r in svc.registry.requests.page(principal, received, state, before, limit)]


@router.post(
    "/recognition-requests/{request_id}/accept", status_code=status.HTTP_201_CREATED,
    responses=ERRORS | NOT_FOUND | CONFLICT, summary="Accept a request: sign, or upload, the recognition",
)  # fmt: skip
def accept(request_id: str, body: RecognitionIn, principal: IssuerDep, svc: ServicesDep) -> RecognitionOut:
    """Recognise the certificate asked about: the markets asked for unless you give others (within your remit)."""
    asked = svc.registry.requests.pending_for(principal, request_id)
    if body.seal is None and body.markets is None:
        body = body.model_copy(update={"markets": list(asked.markets)})
    return _out(_record(svc, principal, asked.certificate_id, body, request_id), svc.settings.public_url)


@router.post("/recognition-requests/{request_id}/decline", responses=ERRORS | NOT_FOUND | CONFLICT,
             summary="Decline a request, saying why")  # fmt: skip
def decline(request_id: str, body: DeclineIn, principal: IssuerDep, svc: ServicesDep) -> RequestOut:
    """The issuer sees the reason."""
    return RequestOut(**svc.registry.requests.decline(principal, request_id, body.reason, svc.clock()).shown())


@router.post("/recognition-requests/{request_id}/withdraw", responses=ERRORS | NOT_FOUND | CONFLICT,
             summary="Withdraw your request before it is answered")  # fmt: skip
def withdraw(request_id: str, principal: IssuerDep, svc: ServicesDep) -> RequestOut:
    """An issuer's own pending request."""
    return RequestOut(**svc.registry.requests.withdraw(principal, request_id, svc.clock()).shown())


@router.get("/recognitions/candidates", responses=ERRORS, summary="Find a certificate by its number and holder")
def candidates(
    principal: IssuerDep,
    svc: ServicesDep,
    number: Annotated[str, Query(max_length=40, pattern=NUMBER_PATTERN.join("^$"))],
    holder: Annotated[str, Query(min_length=2, max_length=200, description="the holder's credit code, or its name")],
) -> list[dict[str, str]]:
    """Certificates of any issuer with this number whose holder is this one: what a body recognises unasked."""
    body_of(principal)
    return svc.registry.requests.find(number, holder)


@router.post("/recognitions", status_code=status.HTTP_201_CREATED, responses=ERRORS | NOT_FOUND | CONFLICT,
             summary="Recognise a certificate (signed here, or uploaded)")  # fmt: skip
def recognise(body: RecognitionIn, principal: IssuerDep, svc: ServicesDep) -> RecognitionOut:
    """Recognise a certificate nobody asked you about (find it by number and holder first)."""
    if body.certificate_id is None or (body.seal is None and body.markets is None):
        missing = "certificate_id" if body.certificate_id is None else "markets"
        raise RecognitionRefused(f"{missing}: give it (which certificate, for which markets)", code="invalid_request")
    return _out(_record(svc, principal, body.certificate_id, body, None), svc.settings.public_url)


@router.get("/recognitions", responses=ERRORS, summary="Your body's recognitions")
def mine(
    principal: IssuerDep,
    svc: ServicesDep,
    after: Annotated[int | None, Query(ge=0, le=2**63 - 1)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> dict[str, Any]:
    """Oldest first, each with its standing (``lapsed`` while the certificate is revoked or suspended)."""
    records, cursor = svc.registry.recognitions.of_party(body_of(principal), after, limit)
    return {
        "recognitions": [_out(r, svc.settings.public_url).model_dump(mode="json") for r in records],
        "next_after": cursor,
    }


@router.get("/certificates/{certificate_id}/recognitions", responses=ERRORS | NOT_FOUND,
            summary="The recognitions of one of your certificates")  # fmt: skip
def of_certificate(certificate_id: str, principal: IssuerDep, svc: ServicesDep) -> list[RecognitionOut]:
    """Every body's recognition of it, revoked ones too, with their standing."""
    svc.registry.certificates.get(issuer_of(principal), certificate_id)  # yours, or 404
    return [_out(r, svc.settings.public_url) for r in svc.registry.recognitions.of_certificate(certificate_id)]


@router.get(
    "/certificates/{certificate_id}/recognitions.pdf",
    response_class=Response,
    responses=ERRORS | NOT_FOUND | CONFLICT | {200: {"content": {"application/pdf": {}}, "description": "The annex"}},
    summary="The annex of recognitions of one of your certificates, to print beside it",
)
def annex_pdf(certificate_id: str, principal: IssuerDep, svc: ServicesDep) -> Response:
    """A PDF/A-3b with a block and a QR code (the recognition's own link) for each recognition in force.

    The issued PDF never changes; this one is made when asked, from the recognitions in force then, and
    embeds the certificate's seal and every recognition seal (``verifier verify`` checks them offline).
    404 when no body recognises the certificate now; 409 when the certificate is not in force.
    """
    if svc.pdfs is None:
        raise Conflict("this service renders no PDFs (VERIFIER_RENDER_PDFS is off)")
    annex = annex_of(svc.registry, svc.trust.get(), issuer_of(principal), certificate_id, svc.settings.public_url,
                     svc.clock())  # fmt: skip
    pdf = svc.pdfs.annex(annex)
    filename = f"{certificate_id}-recognitions.pdf"
    return Response(pdf, media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"', **NO_STORE})  # fmt: skip


def _status_route(action: Action) -> None:
    def change(recognition_id: str, body: StatusChangeIn, principal: IssuerDep, svc: ServicesDep) -> RecognitionOut:
        record = svc.registry.recognitions.change_status(principal, recognition_id, action, body.reason, body.note,
                                                         svc.clock())  # fmt: skip
        if record.status_index is not None:
            svc.board.refresh()
        svc.recognised.refresh()
        log.info("recognition %s: %s", recognition_id, action.value,
                 extra={"fields": {"recogniser": principal.issuer_id, "reason": body.reason}})  # fmt: skip
        return _out(record, svc.settings.public_url)

    change.__doc__ = f"{action.value.capitalize()} one of your body's recognitions, with a reason code."
    change.__annotations__ = {**change.__annotations__, "body": status_change_model(action)}
    router.add_api_route(f"/recognitions/{{recognition_id}}/{action.value}", change, methods=["POST"],
                         responses=ERRORS | NOT_FOUND | CONFLICT, summary=f"{action.value.capitalize()} a recognition",
                         name=f"{action.value}_recognition")  # fmt: skip


for _action in Action:
    _status_route(_action)


async def recognition_link(request: Request) -> Response:
    """A recognition's own link (``/r/1...``, what a body prints): the page of the certificate it recognises.

    The recognition is found by its exact seal, then the certificate it names is checked as a scan of
    its own link is, with every recognition of it, the one scanned first. JSON with ``Accept:
    application/json`` (the verdict, and ``scanned_recognition``: its id). A seal the registry does not
    hold is a 404: alone, a recognition proves nothing of a certificate.
    """
    svc: Services = request.app.state.services
    try:
        cose = decode_segment(request.path_params["code"])
    except CheckFailed as failed:
        raise NotFound(f"not a recognition's link: {failed.detail}") from None
    found = await run_in_threadpool(svc.registry.recognitions.by_seal, cose)
    if found is None:
        raise NotFound("the registry holds no recognition with this seal")
    base = await run_in_threadpool(svc.registry.recognitions.base_seal, found.certificate_id)
    result = await check_online(svc, request.scope, "recognition", segment=encode_segment(base))
    result = replace(result, recognitions=tuple(sorted(result.recognitions, key=lambda r: r["id"] != found.id)))
    accept = request.headers.get("accept", "")
    if "application/json" in accept and "text/html" not in accept:
        body = orjson.dumps({**result.to_json(), "scanned_recognition": found.id})
        return Response(body, media_type="application/json", headers=NO_STORE)
    language = choose(request.query_params.get("lang"), request.headers.get("accept-language"))
    return HTMLResponse(page(result, language), headers={**PAGE_HEADERS, "Content-Language": language})


# Placed ahead of every other route by create_app, as the certificates' links are.
LINK_ROUTES = [
    Route("/r/{code}", recognition_link, methods=["GET", "HEAD"]),
    Route("/R/{code}", recognition_link, methods=["GET", "HEAD"]),
]
