"""The standards face: each certificate as a UNTP Digital Conformity Credential, and DID documents.

The DID documents (did:web) hold the keys that verify the credentials. Public and read-only; a
credential's URL names the certificate's random id.
"""

from __future__ import annotations

import json
import re
from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from verifier.api.deps import Services, ServicesDep
from verifier.dcc import Issued, dcc
from verifier.did import did_document, host_did, issuer_did, key_url
from verifier.store.records import NotFound
from verifier.vcjose import JWT_MEDIA_TYPE, MEDIA_TYPE, enveloped, sign_credential

router = APIRouter(tags=["credentials"])
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
CACHE = {"Cache-Control": "public, max-age=60"}
CertificateId = Annotated[str, Path(description="the certificate's id (a random UUID, as the issuer API answers it)")]


def credential_jwt(svc: Services, certificate_id: str) -> str:
    """The certificate's DCC signed by its issuer's active key (the DID document lists it)."""
    if not UUID.fullmatch(certificate_id):
        raise NotFound("no such certificate")
    record = svc.registry.certificates.published(certificate_id)
    issuer = svc.registry.issuers.get(record.issuer_id)
    did = issuer_did(svc.settings.public_url, record.issuer_id)
    issued = Issued(record.id, svc.settings.public_url, did, f"{issuer.name_en} ({issuer.name})", record.issued_at,
                    record.pdf_sha256)  # fmt: skip
    key = svc.registry.issuers.signing_key(record.issuer_id)
    return sign_credential(dcc(record.record, issued), key, key_url(did, key.record))


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
    jwt = await run_in_threadpool(credential_jwt, svc, certificate_id)
    if JWT_MEDIA_TYPE in request.headers.get("accept", ""):
        return Response(jwt, media_type=JWT_MEDIA_TYPE, headers=CACHE)
    return _json(enveloped(jwt), MEDIA_TYPE)


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
