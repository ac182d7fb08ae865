"""The recognition vectors (section 11 of the seal spec): a case per rule, both implementations held to them.

Each case carries what a verifier is given: the recognised certificate's seal (hex) with its scheme and
validity and its own verdict, the trust list naming the recognising bodies (a signed document of format 3,
read as section 9 says: the bodies' keys, windows and remits; a withdrawn key is one the list leaves out),
the recognition's bytes (hex) and the check time; and what it must answer (``verdict``, ``reason``).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import cbor2
from generate import (  # type: ignore[import-not-found]
    ACTIVE,
    OPERATOR,
    SEALED_AT,
    SGS,
    SGS_BODY,
    STRANGER,
    TUV,
    TUV_BODY,
    claims_for,
    flip,
    signed_with,
    utc,
    vector_trust_list,
)

from verifier.seal.claims import claims_from_cbor
from verifier.seal.recognition import Recognition, base_digest, recognition_to_cbor
from verifier.trust.keys import SigningKey

AT = "2024-06-01T00:00:00Z"


def recognition_cases() -> list[dict[str, Any]]:
    _, base_claims = claims_for("international-cooperation-valve", SEALED_AT, 4242)
    base_cose = signed_with(ACTIVE, base_claims)
    base = claims_from_cbor(base_claims)
    shown = {"scheme": base.scheme.value, "valid_from": base.valid_from.isoformat(),
             "valid_until": base.valid_until.isoformat()}  # fmt: skip
    listed = vector_trust_list().to_document(OPERATOR).decode()
    signed_at = utc("2024-02-01T08:00:00Z")
    good = Recognition(base_digest(base_cose), "SGS-DE-2024-0001", ("DE", "FR"), ("EN 12266-1:2012",),
                       base.valid_from, base.valid_until - timedelta(days=100), signed_at, 7)  # fmt: skip

    def case(name: str, rule: str, description: str, cose: bytes, verdict: str, reason: str,
             base_verdict: str = "valid", at: str = AT, trust_list: str | None = None,
             recognised: bytes = base_cose, status: str | None = None) -> dict[str, Any]:  # fmt: skip
        return {"name": name, "rule": rule, "description": description, "at": at, "base_cose": recognised.hex(),
                "base": shown, "base_verdict": base_verdict, "status": status, "trust_list": trust_list or listed,
                "recognition": cose.hex(), "expected": {"verdict": verdict, "reason": reason}}  # fmt: skip

    def sealed(content: Recognition, key: SigningKey = SGS) -> bytes:
        return signed_with(key, recognition_to_cbor(content))

    cose = sealed(good)
    other_base = signed_with(ACTIVE, claims_for("international-cooperation-valve", SEALED_AT, 4243)[1])

    def reshaped(item: Any) -> bytes:
        """The good recognition with its -65538 claim replaced by ``item``, signed by SGS."""
        claims = cbor2.loads(recognition_to_cbor(good))
        claims[-65538] = item
        return signed_with(SGS, cbor2.dumps(claims))

    parts = [good.base, good.number, "".join(good.markets), list(good.basis)]
    # The list published after SGS's key was withdrawn: the body stays, its key is gone.
    withdrawn = vector_trust_list((replace(SGS_BODY, keys=()), TUV_BODY)).to_document(OPERATOR).decode()
    return [
        case("recognition-valid", "REC-10", "signed by SGS for DE and FR, within remit and validity", cose,
             "valid", "in_force"),
        case("recognition-bad-cbor", "REC-1", "not a COSE_Sign1", bytes.fromhex("d284"), "malformed", "bad_cbor"),
        case("recognition-unknown-key", "REC-2", "a key no body holds", sealed(good, STRANGER),
             "unknown_recogniser", "unknown_key"),
        case("recognition-withdrawn-key", "REC-2", "the body's key was withdrawn", cose, "unknown_recogniser",
             "unknown_key", trust_list=withdrawn),
        case("recognition-certificate-seal", "REC-2", "a certificate's seal is no recognition", base_cose,
             "unknown_recogniser", "unknown_key"),
        case("recognition-bad-signature", "REC-3", "one bit of the signature flipped", flip(cose, len(cose) - 1),
             "invalid", "bad_signature"),
        case("recognition-certificate-claims", "REC-4", "a certificate's claims signed by the body's key",
             signed_with(SGS, base_claims), "malformed", "bad_claims"),
        case("recognition-short-digest", "REC-4", "the recognised seal's digest is 31 bytes",
             signed_with(SGS, recognition_to_cbor(good).replace(b"\x58\x20" + good.base, b"\x58\x1f" + good.base[:31])),
             "malformed", "bad_claims"),
        case("recognition-not-an-array", "REC-4", "the recognition claim is a map of its parts",
             reshaped(dict(enumerate(parts))), "malformed", "bad_claims"),
        case("recognition-three-items", "REC-4", "the basis left out: 3 items", reshaped(parts[:3]), "malformed",
             "bad_claims"),
        case("recognition-six-items", "REC-4", "a sixth item after the status index", reshaped([*parts, 7, 8]),
             "malformed", "bad_claims"),
        case("recognition-digest-as-text", "REC-4", "the digest as a text of 32 characters, not a byte string",
             reshaped(["0" * 32, *parts[1:]]), "malformed", "bad_claims"),
        case("recognition-before-key", "REC-5", "signed before the body's key could sign",
             sealed(replace(good, issued_at=utc("2023-12-01T00:00:00Z"))), "unknown_recogniser",
             "key_not_valid_at_signing"),
        case("recognition-replayed", "REC-6", "a recognition of another seal of the same certificate", cose,
             "invalid", "not_this_certificate", recognised=other_base),
        case("recognition-outside-remit", "REC-7", "SGS may not recognise for the United States",
             sealed(replace(good, markets=("DE", "US"))), "invalid", "outside_remit"),
        case("recognition-other-body", "REC-7", "TÜV SÜD signs for France, outside its remit",
             sealed(replace(good, markets=("FR",)), TUV), "invalid", "outside_remit"),
        case("recognition-too-long", "REC-8", "valid a day past the certificate",
             sealed(replace(good, valid_until=base.valid_until + timedelta(days=1))), "invalid",
             "exceeds_base_validity"),
        case("recognition-starts-before", "REC-8", "valid from a day before the certificate",
             sealed(replace(good, valid_from=base.valid_from - timedelta(days=1))), "invalid",
             "exceeds_base_validity"),
        case("recognition-base-revoked", "REC-9", "the certificate was revoked: the recognition lapses", cose,
             "lapsed", "base_not_valid", base_verdict="revoked"),
        case("recognition-expired", "REC-10", "checked after the recognition's validity (before the certificate's end)",
             cose, "expired", "past_validity", at="2026-11-01T00:00:00Z"),
        case("recognition-revoked", "REC-11", "revoked by its body (the registry says so, or its status list)", cose,
             "revoked", "revoked_by_body", status="revoked"),
        case("recognition-suspended", "REC-11", "suspended by its body", cose, "suspended", "suspended_by_body",
             status="suspended"),
        case("recognition-revoked-and-lapsed", "REC-ORDER", "revoked by its body and its certificate revoked: the "
             "certificate's verdict comes first", cose, "lapsed", "base_not_valid", base_verdict="revoked",
             status="revoked"),
        case("recognition-revoked-and-expired", "REC-ORDER", "revoked by its body, and past its validity: its "
             "status comes before its dates", cose, "revoked", "revoked_by_body", at="2026-11-01T00:00:00Z",
             status="revoked"),
        case("recognition-not-yet-valid", "REC-10", "checked before the recognition's validity begins",
             sealed(replace(good, valid_from=date(2024, 9, 1))), "not_yet_valid", "before_validity"),
        case("recognition-order", "REC-ORDER", "replayed and outside the remit: the binding is checked first",
             sealed(replace(good, markets=("US",))), "invalid", "not_this_certificate", recognised=other_base),
    ]  # fmt: skip
