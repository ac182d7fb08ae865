"""The operator face: the parties (issuers, recognising bodies), their terms, tokens and keys."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Annotated

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from fastapi import APIRouter, File, Path, UploadFile, status

from verifier.api.deps import OperatorDep, ServicesDep
from verifier.api.issuer import CONFLICT, ERRORS, NOT_FOUND
from verifier.api.schemas import (
    ErrorOut,
    IssuerIn,
    IssuerOut,
    KeyIn,
    KeyOut,
    KeyWithdrawnOut,
    LetterheadIn,
    LetterheadOut,
    PartyOut,
    RemitIn,
    StampOut,
    TermsIn,
    TokenIn,
    TokenInfo,
    TokenOut,
)
from verifier.errors import KeyStoreError
from verifier.paper.letterhead import Letterhead
from verifier.paper.stamps import MAX_SIDE, MAX_STAMP_BYTES, MIN_SIDE, checked_stamp
from verifier.store.parties import PartyTerms, TermsRefused
from verifier.trust.keys import load_public_key_pem
from verifier.verdict import IssuerInfo

log = logging.getLogger("verifier.operator")
router = APIRouter(prefix="/api/v1/issuers", tags=["operator"])
tokens = APIRouter(prefix="/api/v1/operator/tokens", tags=["operator"])


@router.post("", status_code=status.HTTP_201_CREATED, responses=ERRORS | CONFLICT, summary="Register a party")
def create_issuer(body: IssuerIn, principal: OperatorDep, svc: ServicesDep) -> IssuerOut:
    """Register a certification body (an issuer, a partner body that recognises certificates, or both).

    The service makes its Ed25519 key and keeps it, unless ``public_key`` is given (the body then signs
    elsewhere); it answers the body's first token once.
    """
    terms = _terms(body.country, body.roles, body.remit)
    public = _public_key(body.public_key)
    record, token_id, token = svc.registry.create_issuer(
        principal, IssuerInfo(body.id, body.name, body.name_en), svc.clock(), body.details(), terms, public
    )
    svc.trust.refresh()
    fields = {"issuer": body.id, "kid": record.kid_hex, "roles": ",".join(terms.roles)}
    log.info("party %s registered", body.id, extra={"fields": fields})
    return IssuerOut(id=body.id, kid=record.kid_hex, token_id=token_id, token=token)


def _terms(country: str, roles: Sequence[str], remit: RemitIn | None) -> PartyTerms:
    markets, schemes = (tuple(remit.markets), tuple(remit.schemes)) if remit else ((), ())
    return PartyTerms(country, tuple(roles), markets, schemes).checked()


def _public_key(pem: str | None) -> Ed25519PublicKey | None:
    if pem is None:
        return None
    try:
        return load_public_key_pem(pem.encode("utf-8"))
    except (KeyStoreError, ValueError):
        raise TermsRefused("public_key is not an Ed25519 public key in PEM (SubjectPublicKeyInfo)") from None


@router.get("/{issuer_id}/terms", responses=ERRORS | NOT_FOUND, summary="The party's country, roles and remit")
def get_terms(issuer_id: str, principal: OperatorDep, svc: ServicesDep) -> PartyOut:
    """What the trust list says the party does."""
    return PartyOut(**svc.registry.parties.get(issuer_id).shown())


@router.patch("/{issuer_id}/terms", responses=ERRORS | NOT_FOUND, summary="Change the party's roles or remit")
def change_terms(issuer_id: str, body: TermsIn, principal: OperatorDep, svc: ServicesDep) -> PartyOut:
    """Change the party's country, roles or remit (what is left out stays); the trust list says so at once.

    Its version goes up, so a verifier that saw the new list refuses the old one. A recognition outside a
    narrowed remit stops verifying (``outside_remit``); an issuer keeps the role ``issue``.
    """
    remit = body.remit
    party = svc.registry.parties.change(
        principal, issuer_id, svc.clock(), country=body.country,
        roles=tuple(body.roles) if body.roles is not None else None,
        markets=tuple(remit.markets) if remit else None, schemes=tuple(remit.schemes) if remit else None,
    )  # fmt: skip
    svc.trust.refresh()
    log.info("party %s: terms changed", issuer_id, extra={"fields": {"issuer": issuer_id}})
    return PartyOut(**party.shown())


STAMP_REFUSALS: dict[int | str, dict[str, object]] = {
    413: {"model": ErrorOut, "description": "Larger than the limit"},
    415: {"model": ErrorOut, "description": "Neither a PNG nor an SVG"},
    422: {
        "model": ErrorOut,
        "description": "A damaged image, a PNG of the wrong size, or an SVG that does more than draw",
    },
}
STAMP_RULES = (
    f"The stamp printed in the stamp area of the issuer's certificates, {MAX_STAMP_BYTES // 1024} KB at most: "
    f"a PNG of {MIN_SIDE} to {MAX_SIDE} pixels a side (a transparent background looks best), or an SVG that "
    "only draws (no script, event attribute, external reference or DTD; text converted to outlines). "
    "Certificates issued from now on print it; those issued before keep their paper as it was."
)


def _letterhead_out(letterhead: Letterhead) -> LetterheadOut:
    stamp = letterhead.stamp
    shown = StampOut(media_type=stamp.media_type, bytes=len(stamp.data), sha256=stamp.sha256.hex()) if stamp else None
    fields = {k: v for k, v in vars(letterhead).items() if k != "stamp"}
    return LetterheadOut(**fields, stamp=shown)


@router.get("/{issuer_id}", responses=ERRORS | NOT_FOUND, summary="The issuer's letterhead")
def get_issuer(issuer_id: str, principal: OperatorDep, svc: ServicesDep) -> LetterheadOut:
    """What the issuer's certificates print of it: names, address, contact, accreditation, signatory, stamp."""
    return _letterhead_out(svc.registry.issuers.letterhead(issuer_id))


@router.patch("/{issuer_id}", responses=ERRORS | NOT_FOUND, summary="Set the issuer's letterhead")
def update_issuer(issuer_id: str, body: LetterheadIn, principal: OperatorDep, svc: ServicesDep) -> LetterheadOut:
    """Set letterhead fields (left out: unchanged; null: cleared).

    Certificates issued from now on print them; those issued before keep their paper as it was.
    """
    letterhead = svc.registry.issuers.update_letterhead(principal, issuer_id, body.details(), svc.clock())
    log.info("issuer %s: letterhead updated", issuer_id, extra={"fields": {"issuer": issuer_id}})
    return _letterhead_out(letterhead)


@router.put(
    "/{issuer_id}/stamp",
    responses=ERRORS | NOT_FOUND | STAMP_REFUSALS,
    summary="Upload the issuer's stamp",
    description=STAMP_RULES,
)
def put_stamp(
    issuer_id: str, file: Annotated[UploadFile, File()], principal: OperatorDep, svc: ServicesDep
) -> LetterheadOut:
    """Check the stamp and store it; certificates issued from now on print it."""
    stamp = checked_stamp(file.file.read(MAX_STAMP_BYTES + 1))
    svc.registry.issuers.set_stamp(principal, issuer_id, stamp, svc.clock())
    log.info("issuer %s: stamp set", issuer_id, extra={"fields": {"issuer": issuer_id, "type": stamp.media_type}})
    return _letterhead_out(svc.registry.issuers.letterhead(issuer_id))


@router.delete(
    "/{issuer_id}/stamp", status_code=status.HTTP_204_NO_CONTENT, responses=ERRORS | NOT_FOUND,
    summary="Remove the issuer's stamp",
)  # fmt: skip
def delete_stamp(issuer_id: str, principal: OperatorDep, svc: ServicesDep) -> None:
    """Certificates issued from now on have an empty stamp area."""
    svc.registry.issuers.set_stamp(principal, issuer_id, None, svc.clock())
    log.info("issuer %s: stamp removed", issuer_id, extra={"fields": {"issuer": issuer_id}})


@router.post(
    "/{issuer_id}/tokens", status_code=status.HTTP_201_CREATED, responses=ERRORS | NOT_FOUND, summary="A further token"
)
def create_token(issuer_id: str, body: TokenIn, principal: OperatorDep, svc: ServicesDep) -> TokenOut:
    """Another token for the issuer (answered once)."""
    token_id, token = svc.registry.tokens.create(principal, issuer_id, body.label, svc.clock())
    log.info("token %s created", token_id, extra={"fields": {"issuer": issuer_id, "token_id": token_id}})
    return TokenOut(id=token_id, token=token)


@router.get("/{issuer_id}/tokens", responses=ERRORS | NOT_FOUND, summary="The issuer's tokens")
def list_tokens(issuer_id: str, principal: OperatorDep, svc: ServicesDep) -> list[TokenInfo]:
    """Every token of the issuer, live and withdrawn (never their text)."""
    return [TokenInfo(**t) for t in svc.registry.tokens.of(issuer_id)]


@router.post(
    "/{issuer_id}/tokens/{token_id}/withdraw",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=ERRORS | NOT_FOUND,
    summary="Withdraw a token",
)
def withdraw_token(issuer_id: str, token_id: str, principal: OperatorDep, svc: ServicesDep) -> None:
    """Withdraw a token: its very next request fails."""
    svc.registry.tokens.withdraw(principal, issuer_id, token_id, svc.clock())
    log.info("token %s withdrawn", token_id, extra={"fields": {"issuer": issuer_id, "token_id": token_id}})


@router.post("/{issuer_id}/keys/rotate", responses=ERRORS | NOT_FOUND | CONFLICT, summary="Rotate the party's key")
def rotate_key(issuer_id: str, principal: OperatorDep, svc: ServicesDep, body: KeyIn | None = None) -> KeyOut:
    """A new signing key; what the old one signed stays verifiable.

    The service makes it, or, for a body that keeps its keys itself, ``public_key`` is its new key.
    """
    public = _public_key(body.public_key if body else None)
    record = svc.registry.issuers.rotate_key(principal, issuer_id, svc.clock(), public)
    svc.trust.refresh()
    svc.board.refresh()  # the lists are signed by the new key
    log.info("issuer %s: new key %s", issuer_id, record.kid_hex, extra={"fields": {"issuer": issuer_id}})
    return KeyOut(issuer=issuer_id, kid=record.kid_hex, not_before=record.not_before)


@router.post(
    "/{issuer_id}/keys/{kid}/withdraw",
    responses=ERRORS | NOT_FOUND | CONFLICT,
    summary="Withdraw a compromised key",
)
def withdraw_key(
    issuer_id: str,
    kid: Annotated[str, Path(description="the key id: 16 lower-case hex digits")],
    principal: OperatorDep,
    svc: ServicesDep,
) -> KeyWithdrawnOut:
    """Take a stolen or lost key out of the published trust list (an active key is replaced first).

    Offline verifiers refuse every seal made with it once they fetch the trust list again, forgeries
    backdated into its window included; online, certificates the registry issued with it stay valid and
    any other seal made with it is ``unregistered``. Reissue the certificates it sealed, so that their
    holders have QR codes that also check offline.
    """
    at = svc.clock()
    replacement = svc.registry.issuers.withdraw_key(principal, issuer_id, kid, at)
    svc.trust.refresh()
    svc.board.refresh()
    active = replacement.kid_hex if replacement else svc.registry.issuers.active_kid(issuer_id)
    fields = {"issuer": issuer_id, "kid": kid, "active_kid": active}
    log.warning("issuer %s: key %s withdrawn as compromised", issuer_id, kid, extra={"fields": fields})
    return KeyWithdrawnOut(issuer=issuer_id, withdrawn_kid=kid, withdrawn_at=at, active_kid=active)


@tokens.post("", status_code=status.HTTP_201_CREATED, responses=ERRORS, summary="A further operator token")
def create_operator_token(body: TokenIn, principal: OperatorDep, svc: ServicesDep) -> TokenOut:
    """Another operator token (answered once), e.g. one per person or system that administers issuers."""
    token_id, token = svc.registry.tokens.create_operator(principal, body.label, svc.clock())
    log.info("operator token %s created", token_id, extra={"fields": {"token_id": token_id}})
    return TokenOut(id=token_id, token=token)


@tokens.get("", responses=ERRORS, summary="The operator's tokens")
def list_operator_tokens(principal: OperatorDep, svc: ServicesDep) -> list[TokenInfo]:
    """Every operator token, live and withdrawn (never their text); the configured admin token is not listed."""
    return [TokenInfo(**t) for t in svc.registry.tokens.of(None)]


@tokens.post(
    "/{token_id}/withdraw",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=ERRORS | NOT_FOUND,
    summary="Withdraw an operator token",
)
def withdraw_operator_token(token_id: str, principal: OperatorDep, svc: ServicesDep) -> None:
    """Withdraw an operator token (the generated admin token too): its very next request fails."""
    svc.registry.tokens.withdraw(principal, None, token_id, svc.clock())
    log.info("operator token %s withdrawn", token_id, extra={"fields": {"token_id": token_id}})
