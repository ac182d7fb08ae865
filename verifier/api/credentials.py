"""The standards face: each certificate as a UNTP Digital Conformity Credential, and DID documents.

The DID documents (did:web) hold the keys that verify the credentials. Public and read-only; a
credential's URL names the certificate's random id.
"""

from __future__ import annotations

import base64
import json
import re
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.routing import Route

from verifier.api.conditional import not_modified
from verifier.api.deps import Services, ServicesDep
from verifier.certificate.status import STATUS_PURPOSES
from verifier.credentials.dcc import credential_url, recognition_credential_url
from verifier.credentials.did import did_document, host_did, issuer_did
from verifier.credentials.statuslist import list_url
from verifier.credentials.vcjose import JWT_MEDIA_TYPE, MEDIA_TYPE
from verifier.issuing.credential import recognition_credential, stored_credential
from verifier.reads.lists import Representations
from verifier.reads.recognitions import listed_first
from verifier.seal.cose import RECOGNITION_PATH, encode_text
from verifier.store.records import NotFound
from verifier.trust.keys import SigningKey

router = APIRouter(tags=["credentials"])
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
CACHE = {"Cache-Control": "public, max-age=60"}
CREDENTIAL_CACHE = (
    "public, max-age=3600"  # a credential's bytes never change; a withdrawn key shows in the DID document
)
MAX_ACCEPT = 1024  # of an Accept header, the part read
CertificateId = Annotated[str, Path(description="the certificate's id (a random UUID, as the issuer API answers it)")]


def signing_key(svc: Services, issuer_id: str) -> SigningKey:
    """The issuer's active key, as the cached trust list has it (no query); the registry's when it has none.

    What signs the issuer's status lists. Another replica's rotation reaches the cache within its
    refresh time; meanwhile the key signing is the retired one, which the DID document still lists.
    """
    for trusted in svc.trust.get().issuers:
        if trusted.info.id == issuer_id:
            active = [k for k in trusted.keys if k.not_after is None]
            if len(active) == 1:
                return svc.registry.issuers.private_half(issuer_id, active[0])
    return svc.registry.issuers.signing_key(issuer_id)


def conditional(request: Request, served: Representations, cache_control: str) -> Response:
    """The representation ``Accept`` asks for (the JWT, or enveloped JSON), or a 304 when the client has it."""
    if JWT_MEDIA_TYPE in request.headers.get("accept", "")[:MAX_ACCEPT]:
        body, tag, media_type = served.jwt, served.jwt_etag, JWT_MEDIA_TYPE
    else:
        body, tag, media_type = served.enveloped, served.enveloped_etag, MEDIA_TYPE
    headers = {"Cache-Control": cache_control, "ETag": tag, "Vary": "Accept"}
    if not_modified(request.headers.get("if-none-match"), tag):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=media_type, headers=headers)


async def credential_of(svc: Services, certificate_id: str) -> Representations:
    """The certificate's credential as stored (signed once); from memory when it was asked for lately."""
    if not UUID.fullmatch(certificate_id):
        raise NotFound("no such certificate")
    served = svc.credentials.get(certificate_id)
    if served is None:
        jwt = await run_in_threadpool(stored_credential, svc.registry, svc.settings.public_url, certificate_id,
                                      svc.clock())  # fmt: skip
        served = Representations.of(jwt)
        svc.credentials.put(certificate_id, served)
    return served


async def credential_read(request: Request) -> Response:
    """``GET /credentials/{id}``, served by a plain Starlette route (see :data:`READ_ROUTES`)."""
    svc: Services = request.app.state.services
    served = await credential_of(svc, request.path_params["certificate_id"])
    return conditional(request, served, CREDENTIAL_CACHE)


@router.get(
    "/credentials/{certificate_id}",
    summary="The certificate as a UNTP Digital Conformity Credential (VC 2.0, VC-JOSE)",
    responses={200: {"content": {MEDIA_TYPE: {}, JWT_MEDIA_TYPE: {}}}, 304: {"description": "Not modified"},
               404: {"description": "No such certificate"}},
)  # fmt: skip
async def credential(certificate_id: CertificateId, request: Request) -> Response:
    """The enveloped credential (``application/vc``), or the bare JWT with ``Accept: application/vc+jwt``.

    Signed once, when the certificate was issued, by the key that sealed it (a certificate issued
    before credentials were stored gets its own on the first read); verify it with the key its header's
    ``kid`` names in the issuer's DID document. The bytes never change, so each representation has a
    strong ``ETag`` (``If-None-Match`` gives a 304). The mapping is in docs/credentials.md. (Documents the
    route; requests reach :func:`credential_read` first.)
    """
    return await credential_read(request)


LINKSET_MEDIA_TYPE = "application/linkset+json"
DCC_LINK_TYPE = "https://test.uncefact.org/vocabulary/linkTypes/dcc"  # UNTP identity resolver link types
CERTIFICATE_LINK_TYPE = "https://test.uncefact.org/vocabulary/linkTypes/certificate"


def linkset(public_url: str, code: str, certificate_id: str | None, has_pdf: bool) -> dict[str, object]:
    """RFC 9264: everything about a scanned certificate, by link type (the page, the verdict, the DCC, the PDF).

    A seal the registry did not issue has no credential or PDF here: only the page and the verdict.
    """
    page = f"{public_url}/c/{code}"
    links: dict[str, object] = {
        "anchor": page,
        "alternate": [
            {"href": page, "type": "text/html", "title": "The verification page"},
            {"href": page, "type": "application/json", "title": "The verdict as JSON"},
        ],
    }
    if certificate_id is not None:
        url = f"{public_url}/credentials/{certificate_id}"
        links[DCC_LINK_TYPE] = [
            {"href": url, "type": MEDIA_TYPE, "title": "UNTP Digital Conformity Credential (enveloped VC-JOSE)"},
            {"href": url, "type": JWT_MEDIA_TYPE, "title": "UNTP Digital Conformity Credential (JWT)"},
        ]
        if has_pdf:
            links[CERTIFICATE_LINK_TYPE] = [{"href": f"{url}/pdf", "type": "application/pdf", "title": "Certificate"}]
    return {"linkset": [links]}


@router.get(
    "/credentials/{certificate_id}/pdf",
    summary="The certificate's PDF, as the credential links it",
    responses={200: {"content": {"application/pdf": {}}}, 404: {"description": "No such certificate or PDF"}},
)
async def credential_pdf(certificate_id: CertificateId, svc: ServicesDep) -> Response:
    """The PDF exactly as issued: its SHA-256 is the credential's ``conformityCertificate.hashDigest``."""
    if not UUID.fullmatch(certificate_id):
        raise NotFound("no such certificate, or it has no PDF")
    pdf = await run_in_threadpool(svc.registry.certificates.published_pdf, certificate_id)
    return Response(pdf, media_type="application/pdf", headers=CACHE)


@router.get(
    "/credentials/{certificate_id}/recognitions",
    summary="The partner bodies' recognitions of a certificate, each with its credential",
    responses={404: {"description": "No such certificate"}},
)
async def credential_recognitions(certificate_id: CertificateId, svc: ServicesDep) -> Response:
    """What the certificate's credential ``authorisation`` names: every body's recognition of it.

    At most 40, standing ones first, each with its seal, its own link, and its credential's URL (null for a
    body that keeps its keys itself: the service signs nothing for it, and its seal is the proof).
    """
    await credential_of(svc, certificate_id)  # a certificate with a credential, or 404
    held = svc.recognised.cached(certificate_id)
    if held is None:
        held = await run_in_threadpool(svc.recognised.fetch, certificate_id)
    url = svc.settings.public_url
    listed = [{
        "id": r.id, "recogniser": r.party_id, "number": r.number, "markets": list(r.markets),
        "valid_from": r.valid_from.isoformat(), "valid_until": r.valid_until.isoformat(), "standing": r.standing,
        "seal": base64.b64encode(r.cose).decode("ascii"), "link": encode_text(r.cose, url, RECOGNITION_PATH),
        "credential": recognition_credential_url(url, certificate_id, r.id) if r.signed_here else None,
    } for r in listed_first(held)]  # fmt: skip
    body = {"certificate": credential_url(url, certificate_id), "recognitions": listed}
    return Response(json.dumps(body, ensure_ascii=False).encode(), media_type="application/json",
                    headers={"Cache-Control": "no-cache"})  # fmt: skip


@router.get(
    "/credentials/{certificate_id}/recognitions/{recognition_id}",
    summary="A partner body's recognition as a credential (VC 2.0, VC-JOSE), issued by the body's did:web",
    responses={200: {"content": {MEDIA_TYPE: {}, JWT_MEDIA_TYPE: {}}}, 304: {"description": "Not modified"},
               404: {"description": "No such recognition, or none signed here"}},
)  # fmt: skip
async def recognition_credential_read(certificate_id: CertificateId, recognition_id: str, request: Request,
                                      svc: ServicesDep) -> Response:  # fmt: skip
    """Signed by the key that signed the recognition seal, made when asked (the same bytes every time).

    ``relatedResource`` names the certificate's credential by the SHA-256 of its JWT (``digestSRI``); its own
    status is in the body's status lists (``credentialStatus``).
    """
    if not (UUID.fullmatch(certificate_id) and UUID.fullmatch(recognition_id)):
        raise NotFound("no such recognition")
    cached_as = f"{certificate_id}/{recognition_id}"
    served = svc.credentials.get(cached_as)
    if served is None:
        jwt = await run_in_threadpool(recognition_credential, svc.registry, svc.settings.public_url, certificate_id,
                                      recognition_id, svc.clock())  # fmt: skip
        served = Representations.of(jwt)
        svc.credentials.put(cached_as, served)
    return conditional(request, served, CREDENTIAL_CACHE)


def _did_json(svc: Services, issuer_id: str | None) -> bytes:
    """The DID document of a party (or, for None, the operator's): keys that verify, none withdrawn.

    An issuer's keys are the cached trust list's (no query): active and retired ones, the keys that
    signed credentials still in force; a withdrawn key is left out, and what it signed no longer verifies.
    """
    url = svc.settings.public_url
    if issuer_id is None:
        return json.dumps(did_document(host_did(url), [svc.registry.issuers.operator_key().record])).encode()
    listed = svc.trust.get()
    found = [i.keys for i in listed.issuers if i.info.id == issuer_id]
    body = listed.recogniser(issuer_id)  # a body that only recognises signs its recognitions' status lists
    if not found and body is None:
        raise NotFound(f"no issuer {issuer_id}")
    keys = [k for k in (found[0] if found else body.keys if body else ()) if k.withdrawn_at is None]
    return json.dumps(did_document(issuer_did(url, issuer_id), keys)).encode()


@router.get(
    "/issuers/{issuer_id}/did.json",
    summary="An issuer's DID document (did:web:HOST:issuers:ID)",
    responses={200: {"content": {"application/did+json": {}}}, 404: {"description": "No such issuer"}},
)
async def issuer_did_document(
    issuer_id: Annotated[str, Path(pattern=r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$")], svc: ServicesDep
) -> Response:
    """Every key that may verify the issuer's credentials (active and retired), as JsonWebKeys."""
    body = _did_json(svc, issuer_id)
    return Response(body, media_type="application/did+json", headers=CACHE)


@router.get(
    "/.well-known/did.json",
    summary="The operator's DID document (did:web:HOST)",
    responses={200: {"content": {"application/did+json": {}}}},
)
async def operator_did_document(svc: ServicesDep) -> Response:
    """The operator's key: the one that signs the trust list."""
    body = await run_in_threadpool(_did_json, svc, None)
    return Response(body, media_type="application/did+json", headers=CACHE)


STATUS_MAX_AGE = 30  # seconds a verifier may keep a status list: a revocation shows within half a minute
STATUS_CACHE = f"public, max-age={STATUS_MAX_AGE}"


@router.get(
    "/status/index.json",
    summary="Every status list there is: what an offline verifier downloads to check any certificate",
)
async def status_index(svc: ServicesDep) -> Response:
    """The URL of each issuer's revocation and suspension lists (the lists themselves are signed).

    A verifier that downloads them all learns nothing of the certificates it will check (herd privacy).
    """
    published = svc.board.published()
    cached = svc.status_index
    if cached is not None and cached[0] == published:
        body = cached[1]
    else:
        url = svc.settings.public_url
        lists = [{"issuer": issuer, "purpose": purpose, "number": number, "url": list_url(url, issuer, purpose, number)}
                 for issuer, number in published for purpose in STATUS_PURPOSES]  # fmt: skip
        body = json.dumps({"lists": lists}, separators=(",", ":")).encode()
        svc.status_index = (published, body)
    return Response(body, media_type="application/json", headers={"Cache-Control": STATUS_CACHE})


ISSUER_ID = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?")
LIST_NUMBER = re.compile(r"0|[1-9][0-9]{0,6}")


async def status_list_read(request: Request) -> Response:
    """``GET /status/{issuer}/{purpose}/{number}`` from memory, by a plain Starlette route (:data:`READ_ROUTES`)."""
    svc: Services = request.app.state.services
    issuer_id, purpose, number = (request.path_params[n] for n in ("issuer_id", "purpose", "number"))
    served = None
    if ISSUER_ID.fullmatch(issuer_id) and purpose in STATUS_PURPOSES and LIST_NUMBER.fullmatch(number):
        served = svc.board.get(issuer_id, purpose, int(number))
    if served is None:
        raise NotFound("no such status list: /status/{issuer}/{revocation|suspension}/{number}, as a credential names")
    return conditional(request, served, STATUS_CACHE)


@router.get(
    "/status/{issuer_id}/{purpose}/{number}",
    summary="An issuer's Bitstring Status List (revocation or suspension) as a signed credential",
    responses={200: {"content": {MEDIA_TYPE: {}, JWT_MEDIA_TYPE: {}}}, 304: {"description": "Not modified"},
               404: {"description": "No such list"}},
)  # fmt: skip
async def status_list(
    issuer_id: Annotated[str, Path(pattern=r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$")],
    purpose: Literal["revocation", "suspension"],
    number: Annotated[int, Path(ge=0, le=1_000_000)],
    request: Request,
) -> Response:
    """The list a credential's ``credentialStatus`` names: ≥ 131,072 bits, GZIP + base64url (multibase ``u``).

    Enveloped (``application/vc``), or the JWT with ``Accept: application/vc+jwt``; with an ``ETag``
    (``If-None-Match`` gives a 304) and a max-age of 30 seconds. Served from memory: each replica
    rebuilds a list within a tenth of a second of its change. (Documents the route; requests reach
    :func:`status_list_read` first.)
    """
    return await status_list_read(request)


# Placed ahead of every other route by create_app: no dependency injection, no validation layer.
READ_ROUTES = [
    Route("/credentials/{certificate_id}", credential_read, methods=["GET", "HEAD"]),
    Route("/status/{issuer_id}/{purpose}/{number}", status_list_read, methods=["GET", "HEAD"]),
]
