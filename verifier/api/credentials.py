"""The standards face: each certificate as a UNTP Digital Conformity Credential, and DID documents.

The DID documents (did:web) hold the keys that verify the credentials. Public and read-only; a
credential's URL names the certificate's random id.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from verifier.api.deps import Services, ServicesDep
from verifier.certificate.status import STATUS_PURPOSES
from verifier.credentials.dcc import Issued, dcc
from verifier.credentials.did import did_document, host_did, issuer_did, key_url
from verifier.credentials.statuslist import entries, list_url
from verifier.credentials.vcjose import JWT_MEDIA_TYPE, MEDIA_TYPE, enveloped, sign_credential
from verifier.issuing.publish import signed_status_list
from verifier.store.records import NotFound
from verifier.trust.keys import SigningKey

router = APIRouter(tags=["credentials"])
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
CACHE = {"Cache-Control": "public, max-age=60"}
CertificateId = Annotated[str, Path(description="the certificate's id (a random UUID, as the issuer API answers it)")]


def registry_credential(svc: Services, certificate_id: str) -> tuple[dict[str, Any], str]:
    """The certificate's DCC as the registry makes it, unsigned, and its issuer's id; raises NotFound."""
    if not UUID.fullmatch(certificate_id):
        raise NotFound("no such certificate")
    source = svc.registry.certificates.credential_source(certificate_id)
    issuer = source.issuer
    did = issuer_did(svc.settings.public_url, issuer.id)
    url = svc.settings.public_url
    status = entries(url, issuer.id, source.status_index) if source.status_index is not None else None
    issued = Issued(source.id, url, did, f"{issuer.name_en} ({issuer.name})", source.issued_at, source.pdf_sha256,
                    status)  # fmt: skip
    return dcc(source.record, issued), issuer.id


def credential_jwt(svc: Services, certificate_id: str) -> str:
    """The certificate's DCC signed by its issuer's active key (the DID document lists it)."""
    credential, issuer_id = registry_credential(svc, certificate_id)
    key = _signing_key(svc, issuer_id)
    return sign_credential(credential, key, key_url(issuer_did(svc.settings.public_url, issuer_id), key.record))


def _signing_key(svc: Services, issuer_id: str) -> SigningKey:
    """The issuer's active key, as the cached trust list has it (no query); the registry's when it has none.

    Another replica's rotation reaches the cache within its refresh time; meanwhile the key signing is
    the retired one, which the DID document still lists.
    """
    for trusted in svc.trust.get().issuers:
        if trusted.info.id == issuer_id:
            active = [k for k in trusted.keys if k.not_after is None]
            if len(active) == 1:
                return svc.registry.issuers.private_half(issuer_id, active[0])
    return svc.registry.issuers.signing_key(issuer_id)


def _json(document: object, media_type: str) -> Response:
    body = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return Response(body, media_type=media_type, headers=CACHE)


@router.get(
    "/credentials/{certificate_id}",
    summary="The certificate as a UNTP Digital Conformity Credential (VC 2.0, VC-JOSE)",
    responses={200: {"content": {MEDIA_TYPE: {}, JWT_MEDIA_TYPE: {}}}, 404: {"description": "No such certificate"}},
)
async def credential(certificate_id: CertificateId, request: Request, svc: ServicesDep) -> Response:
    """The enveloped credential (``application/vc``), or the bare JWT with ``Accept: application/vc+jwt``.

    Signed with the issuer's active key; verify it with the key its header's ``kid`` names in the
    issuer's DID document. The mapping is in docs/credentials.md.
    """
    return await credential_answer(svc, certificate_id, request.headers.get("accept", ""))


async def credential_answer(svc: Services, certificate_id: str, accept: str) -> Response:
    """The credential in the representation ``accept`` asks for (the JWT, or enveloped JSON)."""
    jwt = await run_in_threadpool(credential_jwt, svc, certificate_id)
    if JWT_MEDIA_TYPE in accept:
        return Response(jwt, media_type=JWT_MEDIA_TYPE, headers=CACHE)
    return _json(enveloped(jwt), MEDIA_TYPE)


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


def _did_json(svc: Services, issuer_id: str | None) -> bytes:
    """The DID document of an issuer (or, for None, the operator's): keys that verify, none withdrawn."""
    url = svc.settings.public_url
    if issuer_id is None:
        return json.dumps(did_document(host_did(url), [svc.registry.issuers.operator_key().record])).encode()
    listed = svc.registry.issuers.trust_list((url,), svc.clock())
    found = [i for i in listed.issuers if i.info.id == issuer_id]
    if not found:
        raise NotFound(f"no issuer {issuer_id}")
    return json.dumps(did_document(issuer_did(url, issuer_id), found[0].keys)).encode()


@router.get(
    "/issuers/{issuer_id}/did.json",
    summary="An issuer's DID document (did:web:HOST:issuers:ID)",
    responses={200: {"content": {"application/did+json": {}}}, 404: {"description": "No such issuer"}},
)
async def issuer_did_document(
    issuer_id: Annotated[str, Path(pattern=r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$")], svc: ServicesDep
) -> Response:
    """Every key that may verify the issuer's credentials (active and retired), as JsonWebKeys."""
    body = await run_in_threadpool(_did_json, svc, issuer_id)
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


def status_list_jwt(svc: Services, issuer_id: str, purpose: str, number: int) -> tuple[str, str]:
    """One of the issuer's status lists as a signed ``BitstringStatusListCredential``: (JWT, ETag).

    Its ``validFrom`` is when the list last changed (the issuer's registration for one never changed), so
    every replica signs the very same bytes. Rebuilt only when the list or the signing key changes.
    """
    changed = svc.registry.statuslists.version(issuer_id, purpose, number)
    if changed is None and not svc.registry.statuslists.exists(issuer_id, number):
        raise NotFound(f"no {purpose} list {number} for issuer {issuer_id}")
    key = _signing_key(svc, issuer_id)
    version = (changed, key.kid)
    cached = svc.status_lists.get((issuer_id, purpose, number))
    if cached is not None and cached[0] == version:
        return cached[1], cached[2]
    jwt = signed_status_list(svc.registry, svc.settings.public_url, issuer_id, purpose, number, key)
    etag = f'"{hashlib.sha256(jwt.encode()).hexdigest()[:32]}"'
    svc.status_lists[(issuer_id, purpose, number)] = (version, jwt, etag)  # one dict store: atomic
    return jwt, etag


@router.get(
    "/status/index.json",
    summary="Every status list there is: what an offline verifier downloads to check any certificate",
)
async def status_index(svc: ServicesDep) -> Response:
    """The URL of each issuer's revocation and suspension lists (the lists themselves are signed).

    A verifier that downloads them all learns nothing of the certificates it will check (herd privacy).
    """
    now = time.monotonic()
    cached = svc.status_index
    if cached and now - cached[0] < STATUS_MAX_AGE:  # one query per half minute, however many ask
        body = cached[1]
    else:
        url = svc.settings.public_url
        published = await run_in_threadpool(svc.registry.statuslists.published)
        lists = [{"issuer": issuer, "purpose": purpose, "number": number, "url": list_url(url, issuer, purpose, number)}
                 for issuer, number in published for purpose in STATUS_PURPOSES]  # fmt: skip
        body = json.dumps({"lists": lists}, separators=(",", ":")).encode()
        svc.status_index = (now, body)
    return Response(body, media_type="application/json", headers={"Cache-Control": f"public, max-age={STATUS_MAX_AGE}"})


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
    svc: ServicesDep,
) -> Response:
    """The list a credential's ``credentialStatus`` names: ≥ 131,072 bits, GZIP + base64url (multibase ``u``).

    Enveloped (``application/vc``), or the JWT with ``Accept: application/vc+jwt``; with an ``ETag``
    (``If-None-Match`` gives a 304) and a max-age of 30 seconds.
    """
    jwt, etag = await run_in_threadpool(status_list_jwt, svc, issuer_id, purpose, number)
    bare = JWT_MEDIA_TYPE in request.headers.get("accept", "")
    if bare:
        etag = etag[:-1] + '-jwt"'  # each representation its own tag
    headers = {"Cache-Control": f"public, max-age={STATUS_MAX_AGE}", "ETag": etag, "Vary": "Accept"}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    if bare:
        return Response(jwt, media_type=JWT_MEDIA_TYPE, headers=headers)
    body = json.dumps(enveloped(jwt), separators=(",", ":")).encode()
    return Response(body, media_type=MEDIA_TYPE, headers=headers)
