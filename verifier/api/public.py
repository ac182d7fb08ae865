"""The public face: verification and the trust list. It only reads."""

from __future__ import annotations

import hashlib
import time
from datetime import datetime
from typing import Annotated

import orjson
from fastapi import APIRouter, File, Path, Query, Request, Response, UploadFile
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool
from starlette.routing import Route

from verifier.api.credentials import (
    CREDENTIAL_CACHE,
    LINKSET_MEDIA_TYPE,
    UUID,
    conditional,
    credential_of,
    linkset,
)
from verifier.api.deps import TRUST_DOCUMENT_TTL, Services, ServicesDep
from verifier.api.errors import STATUS
from verifier.api.i18n import LANGUAGES, Messages, catalogue, choose
from verifier.api.observe import Scope, note_verdict
from verifier.api.page import JINJA, page
from verifier.api.ratelimit import client_of
from verifier.api.schemas import ErrorOut, VerifyIn
from verifier.api.standing import scan_blocking, with_log, with_log_async, with_recognitions
from verifier.api.verdictout import VerdictOut, VerdictPdfOut
from verifier.credentials.check import RegisteredCredential, is_credential, verify_credential
from verifier.credentials.vcjose import MEDIA_TYPE, payload_of
from verifier.errors import FileRefused, Kind
from verifier.issuing.credential import stored_credential
from verifier.needs import describe
from verifier.paper.pdfupdate import is_issued_pdf
from verifier.reads.seals import NeedLookup
from verifier.store.records import NotFound
from verifier.uploads.pdfread import MAX_PDF_BYTES, FileSeal
from verifier.verdict import Reason, RegistryEntry
from verifier.verification.check import Lookup, nothing_found, verify, verify_cose, verify_segment
from verifier.verification.result import VerificationResult

router = APIRouter()

NO_STORE = {"Cache-Control": "no-store"}


def verdict_response(result: VerificationResult) -> Response:
    """The verdict as JSON, never cached (a status can change the next second); orjson: every scan pays it."""
    return Response(orjson.dumps(result.to_json()), media_type="application/json", headers=NO_STORE)


async def check_online(
    svc: Services, scope: Scope, via: str, text: str | None = None, segment: str | None = None
) -> VerificationResult:
    """A scanned text (or a link's last segment) checked against the trust list and the registry, now.

    A seal scanned before is answered from memory (:class:`~verifier.reads.seals.KnownSeals`, current
    with the status lists); any other is looked up in the database by a worker thread, never on the
    event loop. The verdict is counted under ``via`` in the metrics and noted for the access log line.
    """
    start = time.perf_counter()
    at: datetime = svc.clock()
    asked: list[bytes] = []  # the seal the registry was asked about: what the recognitions name

    def run(lookup: Lookup) -> VerificationResult:
        trust_list = svc.trust.get()

        def remembered(cose: bytes) -> RegistryEntry | None:
            asked.append(cose)
            return lookup(cose)

        if segment is not None:
            return verify_segment(segment, trust_list, at, remembered, svc.seals)
        return verify(text or "", trust_list, at, remembered, svc.seals)

    async def checked() -> VerificationResult:
        try:
            return run(svc.known.lookup)
        except NeedLookup as unknown:  # only the query goes to a thread; the check runs again here, its seal cached
            asked = unknown.cose
        entry = await run_in_threadpool(svc.known.fetch, svc.registry.seals, asked)
        return run(lambda cose: entry if cose == asked else svc.known.lookup(cose))

    result = await checked()
    if result.reason is Reason.UNKNOWN_KEY:
        # A key another replica added since the trust list was cached: look again, at most once a second.
        await run_in_threadpool(svc.trust.refresh, 1.0)
        result = await checked()
    if result.registered is not None and asked:
        held = svc.recognised.cached(result.registered.certificate_id)
        if held is None:
            held = await run_in_threadpool(svc.recognised.fetch, result.registered.certificate_id)
        result = with_recognitions(svc, result, asked[-1], held)
        result = await with_log_async(svc, result, asked[-1])
    note_verdict(scope, svc.metrics, result, via, time.perf_counter() - start)
    return result


@router.get(
    "/healthz",
    tags=["public"],
    summary="Readiness: the database answers and the service can issue",
    responses={503: {"model": ErrorOut, "description": "Something issuance needs cannot load (`cannot_issue`)"}},
)
def healthz(svc: ServicesDep) -> Response:
    """``{"status": "ok"}`` when the database answers and what issuance needs loads (libraries, the font).

    503 with ``"error": "cannot_issue"`` naming the missing packages otherwise: a load balancer or an
    orchestrator must not send issuers to a replica that would refuse every certificate.
    """
    svc.registry.ping()
    missing = svc.readiness.missing() if svc.readiness is not None else []
    if missing:
        body = {"status": "unavailable", "error": "cannot_issue", "message": describe(missing),
                "missing": [{"package": m.package, "what": m.what, "error": m.error} for m in missing]}  # fmt: skip
        return Response(orjson.dumps(body), status_code=503, media_type="application/json", headers=NO_STORE)
    return Response(b'{"status":"ok"}', media_type="application/json", headers=NO_STORE)


@router.post(
    "/api/v1/verify",
    tags=["public"],
    response_model=VerdictOut,
    summary="Check a scanned QR text",
    description="Always 200 for any text: the verdict says what is wrong with it.",
    responses={
        413: {"model": ErrorOut, "description": "The body is larger than the limit"},
        422: {
            "model": ErrorOut,
            "description": 'The body is not JSON (`"error": "invalid_request"`, field `body`), or not '
            '`{"qr": "<text>"}` (each field named: a missing `qr`, one that is not text, an unknown field)',
        },
    },
)
async def verify_text(body: VerifyIn, request: Request, svc: ServicesDep) -> Response:
    """The verdict for the text a QR code holds, or for a certificate's credential (JWT or enveloped JSON)."""
    given: object = body.credential if body.credential is not None else (body.qr or "")
    if is_credential(given):
        result = await run_in_threadpool(check_credential, svc, request.scope, given)
        return verdict_response(result)
    return verdict_response(await check_online(svc, request.scope, "api", text=str(given).strip()))


def check_credential(
    svc: Services, scope: Scope, given: object, at: datetime | None = None, seals: list[bytes] | None = None,
    via: str = "credential", standing: bool = True,
) -> VerificationResult:  # fmt: skip
    """A credential checked against the registry's keys; a genuine one gets its certificate's verdict.

    ``at``: the check's time (now by default); ``seals`` gets the seal of the certificate named, once read;
    ``standing``: False leaves the certificate's recognitions and log standing to the caller (a batch's).
    """
    start = time.perf_counter()
    at = at or svc.clock()

    def registered(certificate_id: str) -> RegisteredCredential | None:
        if not UUID.fullmatch(certificate_id):
            return None
        found = svc.registered.get(certificate_id)
        if found is None:
            try:
                record = svc.registry.certificates.published(certificate_id)
                jwt = stored_credential(svc.registry, svc.settings.public_url, certificate_id, at)
            except NotFound:
                return None
            found = RegisteredCredential(record.qr_text, record.issuer_id, payload_of(jwt))
            svc.registered.put(certificate_id, found)
        return found

    def scan(qr_text: str) -> VerificationResult:
        found, cose = scan_blocking(svc, qr_text, at)
        if seals is not None and cose is not None:
            seals.append(cose)
        if cose is None or not standing:
            return found
        return with_log(svc, with_recognitions(svc, found, cose), cose)

    result = verify_credential(given, svc.trust.get(), at, registered, scan)
    note_verdict(scope, svc.metrics, result, via, time.perf_counter() - start)
    return result


@router.post(
    "/api/v1/verify/pdf",
    tags=["public"],
    response_model=VerdictPdfOut,
    summary="Check an uploaded certificate PDF",
    description=(
        "Reads the seal embedded in the PDF, or the QR code on its first page when there is none. "
        f"Files are limited to {MAX_PDF_BYTES // (1024 * 1024)} MB; not a PDF: 415; encrypted or damaged: 422."
    ),
    responses={
        413: {"model": ErrorOut, "description": "Too large"},
        415: {"model": ErrorOut, "description": "Not a PDF"},
        422: {"model": ErrorOut, "description": "Encrypted, damaged, or too complex to read"},
    },
)
async def verify_pdf(
    file: Annotated[UploadFile, File(description="the certificate PDF")], request: Request, svc: ServicesDep
) -> Response:
    """The verdict for a certificate PDF, and whether it is byte-identical to the one issued."""
    data = await file.read(MAX_PDF_BYTES + 1)
    found = await read_upload(svc, request, data)
    result, source = await run_in_threadpool(check_file, svc, request.scope, found)
    payload = result.to_json()
    identical = await run_in_threadpool(is_issued, svc, result, data, found) is True
    payload["document"] = {"identical": identical, "sha256": hashlib.sha256(data).hexdigest(), "source": source}
    return Response(orjson.dumps(payload), media_type="application/json", headers=NO_STORE)


async def read_upload(svc: Services, request: Request, data: bytes) -> FileSeal:
    """What an uploaded PDF carries, read by a bounded worker (never on the event loop, never in this process).

    A file byte-identical to a PDF the registry issued needs no reading: its embedded seal is the
    certificate's, known already. So a flood of hostile files that fills the readers' queue cannot stop
    the check of a genuine certificate PDF. Raises :class:`FileRefused` (4xx) for a file that is not a
    readable certificate, and :class:`~verifier.uploads.readers.ReadersBusy` (503, or 429 for a client with
    files in the queue already).
    """
    if len(data) > MAX_PDF_BYTES:  # before anything crosses to a worker
        raise FileRefused("too_large", f"PDF files are limited to {MAX_PDF_BYTES // (1024 * 1024)} MB", Kind.TOO_LARGE)
    if not data.startswith(b"%PDF-"):
        raise FileRefused("not_pdf", "the file is not a PDF", Kind.UNSUPPORTED)
    issued = await run_in_threadpool(svc.registry.certificates.seal_of_pdf, hashlib.sha256(data).digest())
    if issued is not None:
        return FileSeal(issued, ())
    client = client_of(request.scope)
    svc.files.admit(client)
    return await run_in_threadpool(svc.files.read, client, "pdf", data)


@router.get("/", include_in_schema=False)
async def landing(request: Request) -> Response:
    """How to check a certificate, in the visitor's language: paste a scanned text or upload a PDF."""
    language = choose(request.query_params.get("lang"), request.headers.get("accept-language"))
    body = JINJA.get_template("landing.html.j2").render(
        m=Messages(language), languages=[(code, catalogue(code)["language"]) for code in LANGUAGES]
    )
    return HTMLResponse(body, headers={**PAGE_HEADERS, "Content-Language": language})


@router.get("/check", include_in_schema=False)
async def check_pasted(request: Request, qr: str = "") -> Response:
    """The landing page's text form: the verdict page for a pasted QR text (no lookup by number)."""
    svc: Services = request.app.state.services
    language = choose(request.query_params.get("lang"), request.headers.get("accept-language"))
    result = await check_online(svc, request.scope, "link", text=qr.strip()[:4096])
    return HTMLResponse(page(result, language), headers={**PAGE_HEADERS, "Content-Language": language})


@router.post("/check/pdf", include_in_schema=False)
async def check_uploaded(request: Request, file: Annotated[UploadFile, File()], svc: ServicesDep) -> Response:
    """The landing page's upload form: the verdict page for a certificate PDF."""
    language = choose(request.query_params.get("lang"), request.headers.get("accept-language"))
    status = 200
    data = await file.read(MAX_PDF_BYTES + 1)
    try:
        found = await read_upload(svc, request, data)
    except FileRefused as exc:
        found, status = FileSeal(None, ()), STATUS[exc.kind]
    result, _ = await run_in_threadpool(check_file, svc, request.scope, found)
    identical = await run_in_threadpool(is_issued, svc, result, data, found)
    headers = {**PAGE_HEADERS, "Content-Language": language}
    return HTMLResponse(page(result, language, identical), status_code=status, headers=headers)


def is_issued(svc: Services, result: VerificationResult, data: bytes, found: FileSeal) -> bool | None:
    """Whether ``data`` is the PDF issued (the log's proof appended to it since is allowed); None: not ours."""
    if result.registered is None:
        return None
    issued = svc.registry.certificates.pdf_digest(result.registered.certificate_id)
    return issued is not None and is_issued_pdf(data, issued, found.log_proof)


def check_file(svc: Services, scope: Scope, found: FileSeal) -> tuple[VerificationResult, str]:
    """The verdict for what a file carries: its embedded seal, else its QR code; and which one it was (blocking)."""
    start = time.perf_counter()
    at, trust_list, lookup = svc.clock(), svc.trust.get(), svc.registry.seals.lookup
    asked: list[bytes] = []

    def remembered(cose: bytes) -> RegistryEntry | None:
        asked.append(cose)
        return lookup(cose)

    if found.seal is not None:
        result, source = verify_cose(found.seal, trust_list, at, remembered, svc.seals), "embedded"
    elif found.qr_texts:
        result, source = verify(found.qr_texts[0], trust_list, at, remembered, svc.seals), "pixels"
    else:
        result, source = nothing_found(trust_list, at), "none"
    if asked:
        result = with_log(svc, with_recognitions(svc, result, asked[-1]), asked[-1])
    note_verdict(scope, svc.metrics, result, "pdf", time.perf_counter() - start)
    return result, source


async def scan(request: Request) -> Response:
    """The verdict for a certificate link, as JSON (``Accept: application/json``) or as a page.

    Every phone scan comes here, so it is served by a plain Starlette route (see :data:`SCAN_ROUTES`):
    no dependency injection, no validation layer; the code is checked by the seal decoder itself.
    """
    svc: Services = request.app.state.services
    result = await check_online(svc, request.scope, "link", segment=request.path_params["code"])
    accept = request.headers.get("accept", "")
    if "application/json" in accept and "text/html" not in accept:
        return verdict_response(result)
    if LINKSET_MEDIA_TYPE in accept:
        entry = result.registered if result.signature.valid else None
        has_pdf = entry is not None and await run_in_threadpool(
            svc.registry.certificates.pdf_digest, entry.certificate_id
        ) is not None  # fmt: skip
        document = linkset(svc.settings.public_url, request.path_params["code"],
                           entry.certificate_id if entry else None, has_pdf)  # fmt: skip
        return Response(orjson.dumps(document), media_type=LINKSET_MEDIA_TYPE, headers=NO_STORE)
    if MEDIA_TYPE in accept:  # application/vc or application/vc+jwt: the scanned certificate's credential
        if result.registered is None or not result.signature.valid:
            raise NotFound("the registry issued no certificate with this seal, so it has no credential")
        return conditional(request, await credential_of(svc, result.registered.certificate_id), CREDENTIAL_CACHE)
    language = choose(request.query_params.get("lang"), request.headers.get("accept-language"))
    return HTMLResponse(page(result, language), headers={**PAGE_HEADERS, "Content-Language": language})


# Placed ahead of every other route by create_app; /C/ because the QR text is upper case.
SCAN_ROUTES = [Route("/c/{code}", scan, methods=["GET", "HEAD"]), Route("/C/{code}", scan, methods=["GET", "HEAD"])]


@router.get(
    "/c/{code}",
    tags=["public"],
    response_model=VerdictOut,
    summary="The page a phone camera opens (JSON with Accept: application/json)",
    responses={200: {"content": {"text/html": {}}}},
)
async def certificate_page(
    request: Request,
    code: Annotated[str, Path(description="the link's last segment: the format version and the base32 seal")],
) -> Response:
    """The verdict for a certificate link (documents the route; requests reach :func:`scan` first)."""
    return await scan(request)


@router.get(
    "/api/v1/trust-list",
    tags=["public"],
    summary="The scheme's parties (issuers, recognising bodies), keys and windows, signed by the operator",
    responses={304: {"description": "Not modified (If-None-Match)"}},
)
def trust_list(
    request: Request,
    svc: ServicesDep,
    format: Annotated[
        int,
        Query(
            ge=2,
            le=4,
            description="4: parties with roles and remits, and the transparency log's keys; 3 (spec 1.3's "
            "verifiers): without the log; 2 (spec 1.2's): the issuers alone",
        ),
    ] = 4,
) -> Response:
    """The signed trust list document (JSON), without the keys the operator withdrew.

    Built at most once a minute and answered with an ``ETag``: a download with ``If-None-Match`` of a
    list that has not changed is a 304 with no body.
    """
    document, etag = svc.trust.document(format)
    headers = {"Cache-Control": f"public, max-age={int(TRUST_DOCUMENT_TTL)}", "ETag": etag}
    if etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    return Response(document, media_type="application/json", headers=headers)


# HEAD too, for caches that ask whether their copy is current (kept out of the schema: one operation).
router.add_api_route("/api/v1/trust-list", trust_list, methods=["HEAD"], include_in_schema=False)


PAGE_HEADERS = {
    **NO_STORE,
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}
