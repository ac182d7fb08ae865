"""Regenerate the published seal test vectors: ``python tests/vectors/generate.py [OUT_DIR]``.

Every stage is written out (the signed content, the claims as CBOR, the COSE_Sign1, the QR text), with
the fixed clock a verifier must use, the rule of docs/spec/seal.md the case tests, and what each stage
of a check gives (passed, failed, not reached) besides the verdict and reason it must reach. Trust
list cases (section 9 of the spec) and online cases (the registry's word) follow the seal cases. Ed25519 signatures are
deterministic, so the same code gives the same bytes; the test suite regenerates the files and compares
them byte for byte with the committed ones.

THE KEYS HERE ARE TEST KEYS. Their private halves derive from public strings below; never trust them.
"""

from __future__ import annotations

import base64
import hashlib
import json
import sys
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import cbor2
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from verifier.certificate.model import parse_certificate
from verifier.certificate.status import LIST_SIZE
from verifier.credentials.did import issuer_did, key_url
from verifier.credentials.statuslist import encode, list_credential, list_url
from verifier.credentials.vcjose import sign_credential
from verifier.seal.claims import claims_to_cbor, sealed_content
from verifier.seal.cose import (
    ALG_EDDSA,
    COSE_SIGN1_TAG,
    HEADER_ALG,
    HEADER_KID,
    encode_segment,
    protected_header,
    sign,
    to_be_signed,
)
from verifier.tlog.note import COSIGNATURE, ED25519, NoteKey
from verifier.tlog.proof import LogPolicy
from verifier.trust.keys import KeyRecord, Keyring, SigningKey, b64url, kid_for, new_signing_key, public_key_pem
from verifier.trust.parties import Recogniser
from verifier.trust.trustlist import TrustList, build_trust_list, canonical_json
from verifier.verdict import IssuerInfo

HERE = Path(__file__).resolve().parent
DEMO = HERE.parents[1] / "verifier" / "demo"  # the demo certificates
PUBLIC_URL = "https://verify.zhejiang-made.example"
ISSUER = IssuerInfo("zjcert", "浙江省产品认证中心（测试）", "Zhejiang Product Certification Centre (TEST)")


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def vector_key(label: str, not_before: str, not_after: str | None = None) -> SigningKey:
    """A TEST key from a public label: anyone can recompute it."""
    private = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(f"verifier TEST key: {label}".encode()).digest())
    key = new_signing_key(utc(not_before), private)
    if not_after:
        key = SigningKey(
            key.private_key, KeyRecord(key.kid, key.record.public_key, key.record.not_before, utc(not_after))
        )
    return key


ACTIVE = vector_key("issuer active", "2024-01-01T00:00:00Z")
RETIRED = vector_key("issuer retired", "2023-01-01T00:00:00Z", "2024-01-01T00:00:00Z")
STRANGER = vector_key("not on the trust list", "2024-01-01T00:00:00Z")
OPERATOR = vector_key("operator", "2024-01-01T00:00:00Z")
# Recognising bodies (section 11): on the trust list, but not to seal certificates.
SGS = vector_key("recogniser sgs", "2024-01-01T00:00:00Z")
TUV = vector_key("recogniser tuv", "2024-01-01T00:00:00Z")
SGS_BODY = Recogniser("sgs", "通标标准技术服务", "SGS", "CH", (SGS.record,), frozenset({"DE", "FR", "GB"}),
                      frozenset({"international-cooperation", "zhejiang-made"}))  # fmt: skip
TUV_BODY = Recogniser("tuv", "南德意志集团", "TÜV SÜD", "DE", (TUV.record,), frozenset({"DE"}),
                      frozenset({"international-cooperation", "zhejiang-made"}))  # fmt: skip
# The transparency log (docs/spec/log.md) and two witnesses, any one of which suffices.
LOG = vector_key("transparency log", "2024-01-01T00:00:00Z")
LOG_ORIGIN = "verify.zhejiang-made.example/log"
WITNESSES = tuple(vector_key(f"witness {name}", "2024-01-01T00:00:00Z") for name in ("sgs", "tuv"))
LOG_POLICY = LogPolicy(
    LOG_ORIGIN,
    NoteKey.of(LOG_ORIGIN, ED25519, LOG.private_key),
    tuple(
        NoteKey.of(f"witness.{n}.example", COSIGNATURE, w.private_key)
        for n, w in zip(("sgs", "tuv"), WITNESSES, strict=True)
    ),
    1,
)
SEALED_AT = "2024-01-10T08:00:00Z"
CHECK_AT = "2024-06-01T00:00:00Z"


def qr_text(cose: bytes) -> str:
    return f"{PUBLIC_URL.upper()}/C/{encode_segment(cose)}"


def envelope(protected: bytes, payload: bytes, signature: bytes, tag: int | None = COSE_SIGN1_TAG) -> bytes:
    body = [protected, {}, payload, signature]
    return cbor2.dumps(body if tag is None else cbor2.CBORTag(tag, body))


def signed_with(key: SigningKey, payload: bytes, protected: bytes | None = None) -> bytes:
    """A COSE_Sign1 whose protected header may differ from the one ``key`` would write."""
    protected = protected if protected is not None else protected_header(key.kid)
    return envelope(protected, payload, key.private_key.sign(to_be_signed(protected, payload)))


def flip(data: bytes, index: int) -> bytes:
    return data[:index] + bytes([data[index] ^ 0x01]) + data[index + 1 :]


def reference(name: str) -> Any:
    return json.loads((DEMO / f"{name}.json").read_text("utf-8"))


def claims_for(name: str, sealed_at: str = SEALED_AT, status_index: int | None = None) -> tuple[dict[str, Any], bytes]:
    content = sealed_content(parse_certificate(reference(name)), utc(sealed_at), status_index)
    return content.to_json(), claims_to_cbor(content)


# A status-list index in the second list (131,072 bits each): list 1, bit 40,321.
STATUS_INDEX = 131_072 + 40_321

STAGES = ("link", "base32", "cose", "key", "signature", "claims", "key_window", "validity")
# Where a check stops for each reason, unless a case says otherwise (bad_encoding: link or base32).
STAGE_OF = {
    "too_large": "link", "not_a_certificate_url": "link", "unsupported_version": "link", "bad_encoding": "base32",
    "bad_cbor": "cose", "bad_cose": "cose", "unsupported_algorithm": "cose", "unknown_key": "key",
    "bad_signature": "signature", "bad_claims": "claims", "key_not_valid_at_signing": "key_window",
    "past_validity": "validity", "before_validity": "validity",
}  # fmt: skip


def stages(failed: str | None, from_cose: bool = False) -> dict[str, bool | None]:
    """Each stage: True (passed), False (failed there) or None (not reached, or not part of the input)."""
    at = STAGES.index(failed) if failed else len(STAGES)
    out: dict[str, bool | None] = {s: (True if i < at else False if i == at else None) for i, s in enumerate(STAGES)}
    if from_cose:  # the seal came as bytes (a PDF's attachment): no link, no base32
        out["link"] = out["base32"] = None
    return out


def case(
    name: str,
    rule: str,
    description: str,
    text: str | None,
    verdict: str,
    reason: str,
    at: str = CHECK_AT,
    content: dict[str, Any] | None = None,
    claims: bytes | None = None,
    cose: bytes | None = None,
    stage: str | None = None,
) -> dict[str, Any]:
    failed = stage or STAGE_OF.get(reason)
    reached = stages(failed, from_cose=text is None)
    return {
        "name": name,
        "rule": rule,
        "description": description,
        "input": "qr" if text is not None else "cose",
        "certificate": content,
        "claims_cbor": claims.hex() if claims is not None else None,
        "cose": cose.hex() if cose is not None else None,
        "qr": text,
        "at": at,
        "expected": {
            "verdict": verdict,
            "reason": reason,
            "signature_valid": reached["signature"],
            "stages": reached,
        },
    }


def sealed_case(
    name: str, rule: str, description: str, cert: str, key: SigningKey, verdict: str, reason: str, **kw: Any
) -> dict[str, Any]:
    sealed_at = kw.pop("sealed_at", SEALED_AT)
    content, claims = claims_for(cert, sealed_at, kw.pop("status_index", None))
    cose = sign(claims, key)
    return case(
        name, rule, description, qr_text(cose), verdict, reason, content=content, claims=claims, cose=cose, **kw
    )


def cases() -> list[dict[str, Any]]:
    out = []
    for cert in sorted(p.stem for p in DEMO.glob("*.json")):
        out.append(
            sealed_case(
                f"valid: {cert}",
                "SIG-1",
                "sealed with the active key, checked inside the validity period",
                cert,
                ACTIVE,
                "valid",
                "in_force",
            )
        )
    kettle = "zhejiang-made-kettle"
    for cert in ("zhejiang-made-kettle", "ccc-exemption-samples"):
        out.append(
            sealed_case(
                f"valid: {cert} with its status index",
                "CLAIM-15",
                "the certificate's optional last item: its place in its issuer's status lists (spec 1.1)",
                cert,
                ACTIVE,
                "valid",
                "in_force",
                status_index=STATUS_INDEX,
            )
        )
    content, claims = claims_for(kettle)
    cose = sign(claims, ACTIVE)
    text = qr_text(cose)
    out += [
        case(
            "valid: last second of the validity period",
            "VALID-1",
            "valid_until 2027-03-25 ends at midnight China Standard Time",
            text,
            "valid",
            "in_force",
            at="2027-03-25T15:59:59Z",
            content=content,
            claims=claims,
            cose=cose,
        ),
        case(
            "expired: first second after the validity period",
            "VALID-1",
            "2027-03-26 00:00 CST",
            text,
            "expired",
            "past_validity",
            at="2027-03-25T16:00:00Z",
            content=content,
            claims=claims,
            cose=cose,
        ),
        case(
            "not yet valid: last second before the validity period",
            "VALID-1",
            "valid_from 2024-03-26 begins 2024-03-25T16:00Z",
            text,
            "not_yet_valid",
            "before_validity",
            at="2024-03-25T15:59:59Z",
            content=content,
            claims=claims,
            cose=cose,
        ),
        case(
            "valid: the whole text in lower case",
            "LINK-5",
            "a camera or a person may lower the case of everything",
            text.lower(),
            "valid",
            "in_force",
            content=content,
            claims=claims,
            cose=cose,
        ),
    ]
    # The forms of one link: what browsers, new URL(text).href and keyboard-wedge scanners write.
    segment = text.rsplit("/", 1)[1]
    host = PUBLIC_URL.removeprefix("https://")
    for name, description, form in (
        ("lower-case scheme and host", "as a browser's address bar writes it", f"{PUBLIC_URL}/C/{segment}"),
        ("lower-case path", "/c/ is /C/", f"{PUBLIC_URL}/c/{segment}"),
        ("scheme and host in mixed case", "scheme and host are case-insensitive", f"HttpS://{host.title()}/C/{segment}"),
        ("explicit default port", "https on port 443 is the same origin", f"{PUBLIC_URL.upper()}:443/C/{segment}"),
        ("white space around", "a keyboard-wedge scanner ends the text with CR LF", f"  {text}\r\n"),
        ("a lower-case seal under an upper-case origin", "the seal segment wholly in lower case",
         f"{PUBLIC_URL.upper()}/C/{segment.lower()}"),
    ):  # fmt: skip
        out.append(
            case(
                f"valid: {name}",
                "LINK-3",
                description,
                form,
                "valid",
                "in_force",
                content=content,
                claims=claims,
                cose=cose,
            )
        )
    for name, description, form in (
        ("another host in mixed case", "a look-alike service's link: its case changes nothing",
         f"https://Verify.Zhejiang-Made.example.com/C/{segment}"),
        ("another scheme", "http is not the trusted https origin", f"http://{host}/C/{segment}"),
        ("another port", "a port that is not the default names another origin", f"{PUBLIC_URL}:8443/C/{segment}"),
        ("another path", "only /C/ carries a seal", f"{PUBLIC_URL}/D/{segment}"),
    ):  # fmt: skip
        out.append(case(f"malformed: {name}", "LINK-3", description, form, "malformed", "not_a_certificate_url"))
    altered_sig = cose[:-1] + bytes([cose[-1] ^ 0x01])
    out.append(
        case(
            "invalid: signature altered",
            "SIG-1",
            "the last bit of the signature flipped",
            qr_text(altered_sig),
            "invalid",
            "bad_signature",
            content=None,
            claims=claims,
            cose=altered_sig,
        )
    )
    altered_claims = claims.replace(b"HD-1702S", b"HD-1702X")
    altered = envelope(protected_header(ACTIVE.kid), altered_claims, sign(claims, ACTIVE)[-64:])
    out.append(
        case(
            "invalid: payload altered",
            "SIG-1",
            "a model name changed after signing",
            qr_text(altered),
            "invalid",
            "bad_signature",
            claims=altered_claims,
            cose=altered,
        )
    )
    wrong_kid = envelope(protected_header(RETIRED.kid), claims, sign(claims, ACTIVE)[-64:])
    out.append(
        case(
            "invalid: wrong kid",
            "SIG-1",
            "signed by the active key, but the header names the retired key",
            qr_text(wrong_kid),
            "invalid",
            "bad_signature",
            claims=claims,
            cose=wrong_kid,
        )
    )
    stranger = sign(claims, STRANGER)
    out.append(
        case(
            "unknown issuer: key not on the trust list",
            "KEY-1",
            "a well-formed seal by a key nobody vouches for",
            qr_text(stranger),
            "unknown_issuer",
            "unknown_key",
            claims=claims,
            cose=stranger,
        )
    )
    by_recogniser = sign(claims, SGS)
    out.append(
        case(
            "unknown issuer: a recognising body's key",
            "KEY-1",
            "a certificate sealed by the key of a party that only recognises (TRUST-9): no issuer's key",
            qr_text(by_recogniser),
            "unknown_issuer",
            "unknown_key",
            claims=claims,
            cose=by_recogniser,
        )
    )
    out.append(
        sealed_case(
            "unknown issuer: key used after its window",
            "WINDOW-1",
            "sealed by the retired key after it was retired",
            kettle,
            RETIRED,
            "unknown_issuer",
            "key_not_valid_at_signing",
        )
    )
    out.append(
        sealed_case(
            "unknown issuer: key used before its window",
            "WINDOW-1",
            "sealed by the active key before its window opened",
            kettle,
            ACTIVE,
            "unknown_issuer",
            "key_not_valid_at_signing",
            sealed_at="2023-12-31T23:59:59Z",
        )
    )
    out.append(
        sealed_case(
            "valid: retired key inside its window",
            "WINDOW-1",
            "a certificate sealed before a rotation stays valid",
            kettle,
            RETIRED,
            "valid",
            "in_force",
            sealed_at="2023-12-31T23:59:59Z",
        )
    )
    es256 = cbor2.dumps({HEADER_ALG: -7, HEADER_KID: ACTIVE.kid}, canonical=True)
    unsupported = signed_with(ACTIVE, claims, es256)
    out.append(
        case(
            "malformed: unsupported alg",
            "COSE-5",
            "the protected header says ES256 (-7)",
            qr_text(unsupported),
            "malformed",
            "unsupported_algorithm",
            claims=claims,
            cose=unsupported,
        )
    )
    no_alg = cbor2.dumps({HEADER_KID: ACTIVE.kid}, canonical=True)
    out.append(
        case(
            "malformed: no alg",
            "COSE-6",
            "the protected header holds only the kid",
            qr_text(signed_with(ACTIVE, claims, no_alg)),
            "malformed",
            "bad_cose",
        )
    )
    prefix = len(f"{PUBLIC_URL}/C/1")
    cut = prefix + 8 * 40
    out.append(
        case(
            "malformed: truncated",
            "COSE-2",
            "the text cut after 40 groups of base32 (200 bytes)",
            text[:cut],
            "malformed",
            "bad_cbor",
        )
    )
    # Unpadded base32 never leaves 1, 3 or 6 characters in the last group of eight.
    short = "bad_encoding" if (len(text) - 1 - prefix) % 8 in (1, 3, 6) else "bad_cbor"
    out.append(
        case(
            "malformed: truncated by one character",
            "B32-2" if short == "bad_encoding" else "COSE-2",
            "the last character missing",
            text[:-1],
            "malformed",
            short,
        )
    )
    out.append(
        case(
            "malformed: truncated by one byte",
            "COSE-2",
            "the COSE_Sign1 without its last byte",
            qr_text(cose[:-1]),
            "malformed",
            "bad_cbor",
            cose=cose[:-1],
        )
    )
    out.append(
        case(
            "malformed: trailing bytes",
            "COSE-2",
            "one zero byte appended to the COSE_Sign1",
            qr_text(cose + b"\x00"),
            "malformed",
            "bad_cbor",
        )
    )
    out.append(
        case(
            "malformed: bad base32",
            "B32-1",
            "a '0' is not in the base32 alphabet",
            text[:-5] + "0" + text[-4:],
            "malformed",
            "bad_encoding",
        )
    )
    out.append(
        case(
            "malformed: base32 padding",
            "B32-1",
            "the encoder never writes '='",
            text + "======",
            "malformed",
            "bad_encoding",
        )
    )
    # Unpadded base32 of n bytes leaves 5 * ceil(8n / 5) - 8n unused bits in the last character; the
    # encoder writes them as zero. Take the first demo certificate whose seal leaves some.
    sealed = (sign(claims_for(c)[1], ACTIVE) for c in sorted(p.stem for p in DEMO.glob("*.json")))
    odd = next(c for c in sealed if len(c) % 5)
    odd_text = qr_text(odd)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
    stray = odd_text[:-1] + alphabet[alphabet.index(odd_text[-1]) | 1]
    out.append(
        case(
            "malformed: stray bits",
            "B32-3",
            "the last character carries a set bit beyond the data",
            stray,
            "malformed",
            "bad_encoding",
            cose=odd,
        )
    )
    out.append(
        case(
            "malformed: mixed case",
            "LINK-5",
            "one character in lower case",
            text[:-3] + text[-3].lower() + text[-2:],
            "malformed",
            "bad_encoding",
            stage="link",
        )
    )
    garbage = b"\x1c" + b"\x00" * 40
    out.append(
        case(
            "malformed: bad CBOR",
            "COSE-2",
            "bytes that are no CBOR at all",
            qr_text(garbage),
            "malformed",
            "bad_cbor",
            cose=garbage,
        )
    )
    mac0 = envelope(protected_header(ACTIVE.kid), claims, sign(claims, ACTIVE)[-64:], tag=17)
    out.append(
        case(
            "malformed: wrong COSE tag",
            "COSE-3",
            "tag 17 (COSE_Mac0) instead of 18",
            qr_text(mac0),
            "malformed",
            "bad_cose",
            cose=mac0,
        )
    )
    untagged = envelope(protected_header(ACTIVE.kid), claims, sign(claims, ACTIVE)[-64:], tag=None)
    out.append(
        case(
            "malformed: untagged COSE_Sign1",
            "COSE-3",
            "the encoder always writes tag 18",
            qr_text(untagged),
            "malformed",
            "bad_cose",
            cose=untagged,
        )
    )
    out.append(
        case(
            "malformed: oversized",
            "LINK-1",
            "longer than any certificate link (1,451 characters)",
            f"{PUBLIC_URL.upper()}/C/1" + "A" * 1451,
            "malformed",
            "too_large",
        )
    )
    out.append(
        case(
            "malformed: another host",
            "LINK-3",
            "a seal copied onto another site's link",
            text.replace("ZHEJIANG-MADE", "ZHEJIANG-MADF"),
            "malformed",
            "not_a_certificate_url",
        )
    )
    out.append(
        case(
            "malformed: unknown format version",
            "LINK-4",
            "version 2 is not defined",
            text.replace("/C/1", "/C/2", 1),
            "malformed",
            "unsupported_version",
        )
    )
    out.append(
        case("malformed: not a link", "LINK-3", "plain words", "HELLO WORLD", "malformed", "not_a_certificate_url")
    )
    return out + link_cases(text) + envelope_cases(claims) + claims_cases() + window_and_order_cases(claims)


def link_cases(text: str) -> list[dict[str, Any]]:
    """LINK and base32 rules not covered above."""
    segment = text.rsplit("/", 1)[1]
    prefix = text[: -len(segment)]
    body = segment[1:]
    cut = next(n for n in range(len(body), 0, -1) if n % 8 in (1, 3, 6))
    padding = next(k for k in range(1, 8) if (len(body) + k) % 8 in (1, 3, 6))
    return [
        case("malformed: a dotless i in the host", "LINK-2", "U+0131 upper-cases to I: refused before any case change",
             text.replace("VERIFY", "VER\u0131FY"), "malformed", "bad_encoding", stage="link"),
        case("malformed: no segment", "LINK-3", "the path /C/ with nothing after it", prefix, "malformed",
             "not_a_certificate_url"),
        case("malformed: no path", "LINK-3", "the origin alone", prefix[: -len("/C/")], "malformed",
             "not_a_certificate_url"),
        case("malformed: too long with white space", "LINK-1", "more than 1,515 characters before trimming",
             " " * 1516 + text, "malformed", "too_large"),
        case("malformed: impossible base32 length", "B32-2", f"{cut} characters: no byte count gives that",
             prefix + "1" + body[:cut], "malformed", "bad_encoding"),
        case("malformed: zero characters too many", "B32-2",
             "A (zero bits) appended until the length is impossible: a lenient decoder reads the same bytes",
             prefix + "1" + body + "A" * padding, "malformed", "bad_encoding"),
        case("malformed: a text of 1,460 characters", "LINK-1", "its seal segment alone is shorter than 1,451",
             prefix + "1" + "A" * (1459 - len(prefix)), "malformed", "too_large"),
        case("malformed: a look-alike digit", "B32-1", "'1' for 'I' is not mapped: it is not in the alphabet",
             prefix + "1" + body.replace("I", "1", 1), "malformed", "bad_encoding"),
        # Since 1.2: the segment runs to the end of the text; nothing may follow it.
        case("malformed: a slash after the code", "LINK-6", "a trailing / is part of the segment: not base32",
             text + "/", "malformed", "bad_encoding"),
        case("malformed: a query after the code", "LINK-6",
             "?x=1 is part of the segment: its lower-case x mixes case with the body (LINK-5)",
             text + "?x=1", "malformed", "bad_encoding", stage="link"),
        case("malformed: a fragment after the code", "LINK-6", "#TOP is part of the segment: not base32",
             text + "#TOP", "malformed", "bad_encoding"),
    ]  # fmt: skip


def envelope_cases(claims: bytes) -> list[dict[str, Any]]:
    """COSE rules: every level deterministic, the unprotected header empty, exact header, sizes."""
    kid = ACTIVE.kid
    protected = protected_header(kid)
    signature = ACTIVE.private_key.sign(to_be_signed(protected, claims))
    shortest = envelope(protected, claims, signature)
    out = [
        case(
            "malformed: a seal larger than 906 bytes",
            "COSE-1",
            "only a PDF attachment can carry it",
            None,
            "malformed",
            "too_large",
            cose=b"\xd2" + b"\x00" * 906,
            stage="cose",
        ),
    ]

    def cose_case(name: str, rule: str, description: str, cose: bytes, reason: str = "bad_cose") -> None:
        out.append(case(name, rule, description, qr_text(cose), "malformed", reason, cose=cose))

    long_head = b"\x59" + len(claims).to_bytes(2, "big")

    def nested(levels: int) -> bytes:
        """An unprotected header map holding, under label 5, arrays nested ``levels`` deep around a 0."""
        inner = b"\x00"
        for _ in range(levels):
            inner = b"\x81" + inner
        return b"\xa1\x05" + inner

    # Since 1.2, COSE-2's depth counted exactly: the outermost item (the tag) is at level 0, what a tag,
    # array or map holds one level below it; an array or map at level 8 is refused. The unprotected
    # header is at level 2, the arrays under it from level 3.
    for levels, reason, says in (
        (5, "bad_cose", "its last array at level 7: it reads, then COSE-4 refuses a non-empty header"),
        (6, "bad_cbor", "an array at level 8: refused as CBOR, before the header is judged"),
    ):
        cose_case(
            f"malformed: an unprotected header nested {levels} arrays deep",
            "COSE-2",
            says,
            b"\xd2\x84" + bstr(protected) + nested(levels) + bstr(claims) + bstr(signature),
            reason,
        )
    cose_case(
        "malformed: an array head not in its shortest form",
        "COSE-2",
        "tag 18 then array(4) written with a one-byte length (98 04)",
        b"\xd2\x98\x04" + shortest[2:],
        "bad_cbor",
    )
    cose_case(
        "malformed: an indefinite-length array",
        "COSE-2",
        "array(*) ... break",
        b"\xd2\x9f" + shortest[2:] + b"\xff",
        "bad_cbor",
    )
    cose_case(
        "malformed: the payload's length not in its shortest form",
        "COSE-2",
        "the envelope not in deterministic encoding",
        b"\xd2\x84" + bstr(protected) + b"\xa0" + long_head + claims + bstr(signature),
        "bad_cbor",
    )
    cose_case(
        "malformed: a non-empty unprotected header",
        "COSE-4",
        "the kid repeated in the unprotected header",
        cbor2.dumps(cbor2.CBORTag(18, [protected, {HEADER_KID: kid}, claims, signature])),
    )
    cose_case(
        "malformed: an unprotected header that is an empty byte string",
        "COSE-4",
        "an empty map, not h''",
        cbor2.dumps(cbor2.CBORTag(18, [protected, b"", claims, signature])),
    )
    cose_case(
        "malformed: a 63-byte signature",
        "COSE-4",
        "an Ed25519 signature is 64 bytes",
        envelope(protected, claims, signature[:63]),
    )
    cose_case(
        "malformed: the payload as a text string",
        "COSE-4",
        "the payload must be a byte string",
        cbor2.dumps(cbor2.CBORTag(18, [protected, {}, claims.hex(), signature])),
    )
    cose_case(
        "malformed: a protected header that is no map",
        "COSE-5",
        "the protected bytes hold the array [1, 4]",
        signed_with(ACTIVE, claims, cbor2.dumps([1, 4])),
    )
    cose_case(
        "malformed: the protected header as a text string",
        "COSE-4",
        "the protected header must be bytes",
        cbor2.dumps(cbor2.CBORTag(18, [protected.hex(), {}, claims, signature])),
    )
    cose_case(
        "malformed: the signature as a text string",
        "COSE-4",
        "the signature must be bytes",
        cbor2.dumps(cbor2.CBORTag(18, [protected, {}, claims, "S" * 64])),
    )
    cose_case(
        "malformed: tag 18 over an array of three",
        "COSE-3",
        "no signature",
        cbor2.dumps(cbor2.CBORTag(18, [protected, {}, claims])),
    )
    cose_case(
        "malformed: tag 18 over a map",
        "COSE-3",
        "COSE_Sign1 is an array",
        cbor2.dumps(cbor2.CBORTag(18, {1: protected, 2: {}, 3: claims, 4: signature})),
    )
    cose_case(
        "malformed: a text kid",
        "COSE-6",
        "a kid of eight characters, not eight bytes",
        signed_with(ACTIVE, claims, cbor2.dumps({1: -8, 4: "29727336"}, canonical=True)),
    )
    cose_case("malformed: nothing after the version", "COSE-2", "a seal of no bytes at all", b"", "bad_cbor")
    cose_case(
        "malformed: a protected header that is no CBOR",
        "COSE-5",
        "the protected bytes are truncated CBOR",
        envelope(protected[:-1], claims, signature),
    )
    cose_case(
        "malformed: an extra protected header label",
        "COSE-6",
        "content type (3) beside alg and kid",
        signed_with(ACTIVE, claims, cbor2.dumps({1: -8, 3: 0, 4: kid}, canonical=True)),
    )
    cose_case(
        "malformed: a 7-byte kid",
        "COSE-6",
        "a kid is 8 bytes",
        signed_with(ACTIVE, claims, cbor2.dumps({1: -8, 4: kid[:7]}, canonical=True)),
    )
    cose_case(
        "malformed: protected header keys out of order",
        "COSE-7",
        "{4: kid, 1: -8}: not the deterministic order",
        signed_with(ACTIVE, claims, b"\xa2\x04" + bstr(kid) + b"\x01\x27"),
    )
    cose_case(
        "malformed: alg not in its shortest form",
        "COSE-7",
        "-8 written with a one-byte argument (38 07)",
        signed_with(ACTIVE, claims, b"\xa2\x01\x38\x07\x04" + bstr(kid)),
    )
    return out  # fmt: skip


def bstr(data: bytes) -> bytes:
    return cbor2.dumps(data)


def _kettle_claims() -> dict[int, Any]:
    return dict(cbor2.loads(claims_for("zhejiang-made-kettle")[1]))


def _exemption_claims() -> dict[int, Any]:
    return dict(cbor2.loads(claims_for("ccc-exemption-samples")[1]))


def _signed_claims_case(name: str, rule: str, description: str, payload: bytes) -> dict[str, Any]:
    cose = sign(payload, ACTIVE)
    return case(name, rule, description, qr_text(cose), "malformed", "bad_claims", claims=payload, cose=cose)


def claims_cases() -> list[dict[str, Any]]:
    """Every content rule broken alone, in claims the active key really signed."""
    out = []

    def broken(name: str, rule: str, description: str, change: Any, base: Any = _kettle_claims) -> None:
        claims = base()
        change(claims)
        out.append(_signed_claims_case(f"malformed: {name}", rule, description, cbor2.dumps(claims, canonical=True)))

    def field(index: int, value: Any) -> Any:
        return lambda c: c[-65537].__setitem__(index, value)

    def product(index: int, value: Any) -> Any:
        return lambda c: c[-65537][3][0].__setitem__(index, value)

    def exemption(index: int, value: Any) -> Any:
        return lambda c: c[-65537][6].__setitem__(index, value)

    kettle = _kettle_claims()
    out.append(
        _signed_claims_case(
            "malformed: claims that are no map",
            "CLAIM-1",
            "an array of the four claim keys",
            cbor2.dumps([4, 5, 6, -65537]),
        )
    )
    repeated = cbor2.dumps(kettle, canonical=True)
    exp = cbor2.dumps(kettle[4])
    assert repeated.startswith(b"\xa4\x04" + exp)
    again = b"\xa5\x04" + exp + b"\x04" + cbor2.dumps(kettle[4] + 86400) + repeated[2 + len(exp) :]
    out.append(
        _signed_claims_case("malformed: a claim repeated", "CLAIM-1", "exp twice, the second a day later", again)
    )
    out.append(
        _signed_claims_case(
            "malformed: claims keys out of order",
            "CLAIM-1",
            "-65537 before 4: not the deterministic order",
            cbor2.dumps({-65537: kettle[-65537], 4: kettle[4], 5: kettle[5], 6: kettle[6]}),
        )
    )
    broken("an extra claim", "CLAIM-1", "iss (1) beside the four", lambda c: c.__setitem__(1, "zjcert"))
    broken("an item after the status index", "CLAIM-15", "the certificate's eighth item",
           lambda c: c[-65537].extend([STATUS_INDEX, 1]))  # fmt: skip
    broken("an item after the exemption's status index", "CLAIM-15", "a CCC exemption's ninth item",
           lambda c: c[-65537].extend([STATUS_INDEX, 1]), _exemption_claims)  # fmt: skip
    broken("a negative status index", "CLAIM-15", "the index is -1", lambda c: c[-65537].append(-1))
    broken("a status index as text", "CLAIM-15", "an index is an integer",
           lambda c: c[-65537].append(str(STATUS_INDEX)))  # fmt: skip
    broken("a status index past its range", "CLAIM-15", "2^32", lambda c: c[-65537].append(2**32))
    broken("an exemption where the status index goes", "CLAIM-4", "a Zhejiang Made certificate's seventh item",
           lambda c: c[-65537].append(_exemption_claims()[-65537][6]))  # fmt: skip
    out.append(
        _signed_claims_case(
            "malformed: a tag inside the claims",
            "CLAIM-1",
            "iat as an epoch-time tag (1)",
            cbor2.dumps({**kettle, 6: cbor2.CBORTag(1, kettle[6])}, canonical=True),
        )
    )
    plain = cbor2.dumps(kettle, canonical=True)
    assert b"\x86\x01" in plain  # the certificate array (six items), scheme 1
    out.append(
        _signed_claims_case(
            "malformed: a claims integer not in its shortest form",
            "CLAIM-1",
            "the scheme code 1 written as 18 01",
            plain.replace(b"\x86\x01", b"\x86\x18\x01", 1),
        )
    )
    broken("a negative iat", "CLAIM-2", "iat before 1970", lambda c: c.__setitem__(6, -1))
    broken("iat as a text string", "CLAIM-2", "an epoch second is an integer", lambda c: c.__setitem__(6, str(c[6])))
    broken("exp past the last second", "CLAIM-2", "exp above 4,200,000,000", lambda c: c.__setitem__(4, 4_200_086_400))
    broken(
        "nbf not at midnight China Standard Time",
        "CLAIM-3",
        "nbf one second late",
        lambda c: c.__setitem__(5, c[5] + 1),
    )
    broken(
        "the validity period ends before it begins",
        "CLAIM-3",
        "exp a day before nbf",
        lambda c: c.__setitem__(4, c[5] - 86400),
    )
    broken("a validity date before 2000", "CLAIM-3", "nbf on 1999-12-31", lambda c: c.__setitem__(5, 946656000 - 86400))
    broken("a certificate array of five", "CLAIM-4", "the markets missing", lambda c: c[-65537].pop())
    broken("an unknown scheme code", "CLAIM-4", "scheme 9", field(0, 9))
    broken(
        "an exemption outside a CCC exemption",
        "CLAIM-4",
        "a Zhejiang Made certificate with goods let in",
        lambda c: c[-65537].append(_exemption_claims()[-65537][6]),
    )
    broken(
        "a CCC exemption without its exemption",
        "CLAIM-4",
        "scheme 3 with six items",
        lambda c: c[-65537].pop(),
        _exemption_claims,
    )
    broken("a lower-case certificate number", "CLAIM-5", "numbers are upper case", field(1, "zjm-2024-0001"))
    broken("a number that is an integer", "CLAIM-6", "every text is a text string", field(1, 20240001))
    broken(
        "a control character in a product name", "CLAIM-6", "U+0085 (NEXT LINE) in the name", product(0, "Kettle\x85")
    )
    broken(
        "an empty holder name", "CLAIM-6", "names are 1 to 200 characters", lambda c: c[-65537][2].__setitem__(0, "")
    )
    broken(
        "a holder name of 201 characters",
        "CLAIM-6",
        "names are 1 to 200 characters",
        lambda c: c[-65537][2].__setitem__(0, "A" * 201),
    )
    code = kettle[-65537][2][1]
    other = next(ch for ch in "0123456789ABCDEFGHJKLMNPQRTUWXY" if ch != code[17])
    broken(
        "a wrong credit code check character",
        "CLAIM-7",
        "GB 32100 gives another last character",
        lambda c: c[-65537][2].__setitem__(1, code[:17] + other),
    )
    broken(
        "an O in a credit code",
        "CLAIM-7",
        "O is not in the GB 32100 alphabet",
        lambda c: c[-65537][2].__setitem__(1, "O" + code[1:]),
    )
    broken("no products", "CLAIM-8", "1 to 10 products", field(3, []))
    broken("eleven products", "CLAIM-8", "1 to 10 products", lambda c: c[-65537].__setitem__(3, c[-65537][3] * 11))
    broken("a product of two items", "CLAIM-8", "name, models and HS code", lambda c: c[-65537][3][0].pop())
    broken("a model with a hash sign", "CLAIM-9", "# is not in the model alphabet", product(1, ["HD-1702#"]))
    broken("31 models", "CLAIM-9", "1 to 30 models", product(1, [f"M{i}" for i in range(31)]))
    broken("a line feed in a model", "CLAIM-9", "one model that reads as two", product(1, ["HD-1702\nHD-1703"]))
    broken("HS chapter 98", "CLAIM-10", "chapters run from 01 to 97", product(2, 98010000))
    broken("an HS code in chapter 00", "CLAIM-10", "99 reads as 0099: chapter 00", product(2, 99))
    broken("an HS code of eleven digits", "CLAIM-10", "10 digits at most", product(2, 85167910001))
    broken("no standards", "CLAIM-11", "1 to 10 standards", field(4, []))
    broken("a standard of 61 characters", "CLAIM-11", "standards are 1 to 60 characters", field(4, ["G" * 61]))
    broken(
        "a control character in a standard",
        "CLAIM-11",
        "U+0085 inside a standard's code",
        field(4, ["GB 4706.1\x85-2005"]),
    )
    broken(
        "a line feed in a standard",
        "CLAIM-11",
        "a control character inside a standard's code",
        field(4, ["GB 4706.1\n-2005"]),
    )
    broken("an unassigned market code", "CLAIM-12", "XX is no ISO 3166-1 code", field(5, "XX"))
    broken("a market repeated", "CLAIM-12", "DEDE", field(5, "DEDE"))
    broken("markets of odd length", "CLAIM-12", "DEF", field(5, "DEF"))
    broken("lower-case markets", "CLAIM-12", "de", field(5, "de"))
    broken("an unknown purpose code", "CLAIM-13", "purpose 8", exemption(0, 8), _exemption_claims)
    broken("an unknown unit code", "CLAIM-13", "unit 0", exemption(2, 0), _exemption_claims)
    broken("a quantity of zero", "CLAIM-13", "1 to 1,000,000,000", exemption(1, 0), _exemption_claims)
    broken(
        "an amount with one decimal",
        "CLAIM-13",
        "18600.0: two decimals always",
        exemption(3, "18600.0"),
        _exemption_claims,
    )
    broken("an unknown currency", "CLAIM-13", "XXX is no active ISO 4217 code", exemption(4, "XXX"), _exemption_claims)
    broken("a port in no country", "CLAIM-13", "XX is no ISO 3166-1 code", exemption(5, "XXNGB"), _exemption_claims)
    broken("a port with a 1", "CLAIM-13", "UN/LOCODE letters and digits 2-9", exemption(5, "CN1GB"), _exemption_claims)
    return out  # fmt: skip


def window_and_order_cases(claims: bytes) -> list[dict[str, Any]]:
    """Key-window edges, iat after the check time, and which failure wins."""
    kettle = "zhejiang-made-kettle"
    out = [
        sealed_case(
            "valid: sealed at the first second of the key's window",
            "WINDOW-1",
            "not_before is inside",
            kettle,
            ACTIVE,
            "valid",
            "in_force",
            sealed_at="2024-01-01T00:00:00Z",
        ),
        sealed_case(
            "unknown issuer: sealed at the retired key's not_after",
            "WINDOW-1",
            "not_after is outside",
            kettle,
            RETIRED,
            "unknown_issuer",
            "key_not_valid_at_signing",
            sealed_at="2024-01-01T00:00:00Z",
        ),
        sealed_case(
            "valid: an open-ended key far in its window",
            "WINDOW-1",
            "not_after null: no end",
            kettle,
            ACTIVE,
            "valid",
            "in_force",
            sealed_at="2027-03-01T00:00:00Z",
            at="2027-03-02T00:00:00Z",
        ),
        sealed_case(
            "valid: sealed after the check time",
            "CLAIM-14",
            "iat a day after the moment checked",
            kettle,
            ACTIVE,
            "valid",
            "in_force",
            sealed_at="2024-06-02T00:00:00Z",
        ),
        sealed_case(
            "unknown issuer: expired and outside the key's window",
            "ORDER-1",
            "the key window is checked before the validity period",
            kettle,
            RETIRED,
            "unknown_issuer",
            "key_not_valid_at_signing",
            at="2027-03-26T00:00:00Z",
        ),
    ]
    bad = _kettle_claims()
    bad[-65537][5] = "XX"
    payload = cbor2.dumps(bad, canonical=True)
    forged = sign(payload, ACTIVE)
    forged = forged[:-1] + bytes([forged[-1] ^ 1])
    out.append(
        case(
            "invalid: a bad signature over bad claims",
            "ORDER-1",
            "the signature fails before the claims",
            qr_text(forged),
            "invalid",
            "bad_signature",
            claims=payload,
            cose=forged,
        )
    )
    stranger = sign(payload, STRANGER)
    out.append(
        case(
            "unknown issuer: an unknown key over bad claims",
            "ORDER-1",
            "the key is looked up before anything is verified",
            qr_text(stranger),
            "unknown_issuer",
            "unknown_key",
            claims=payload,
            cose=stranger,
        )
    )
    return out  # fmt: skip


def _signed_document(content: dict[str, Any], key: SigningKey = OPERATOR, signed: dict[str, Any] | None = None) -> str:
    """A trust list document: ``content`` signed by ``key`` (over ``signed`` instead, to break the signature)."""
    signature = key.private_key.sign(canonical_json(signed if signed is not None else content))
    document = {"trust_list": content, "signature": {"alg": "EdDSA", "kid": key.kid.hex(), "value": b64url(signature)}}
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def _zj(content: dict[str, Any]) -> dict[str, Any]:
    """The issuer's entry of a trust list's content."""
    return next(p for p in content["parties"] if p["id"] == ISSUER.id)


def _party(content: dict[str, Any], party_id: str) -> dict[str, Any]:
    return next(p for p in content["parties"] if p["id"] == party_id)


def trust_list_cases() -> list[dict[str, Any]]:
    """Section 9 of the spec: each case a document, when and how it is read, and whether it is accepted."""
    base = json.loads(trust_list_document())["trust_list"]
    out = []

    def listed(
        name: str,
        rule: str,
        description: str,
        document: str,
        expected: str,
        at: str = CHECK_AT,
        max_age_days: int = 3650,
        highest_seen: int | None = None,
    ) -> None:
        out.append(
            {
                "name": name,
                "rule": rule,
                "description": description,
                "document": document,
                "at": at,
                "max_age_days": max_age_days,
                "highest_seen": highest_seen,
                "expected": expected,
            }
        )

    def changed(change: Any) -> dict[str, Any]:
        content = json.loads(json.dumps(base))
        change(content)
        return content

    names = changed(lambda c: _zj(c).update(name='引号" 反斜杠\\ 换行\n \u0001 é \u2028 中'))
    listed(
        "accepted: names JSON must escape",
        "TRUST-4",
        "the canonical JSON of quotes, backslashes, controls, non-ASCII and U+2028",
        _signed_document(names),
        "accepted",
    )
    listed(
        "refused: content changed after signing",
        "TRUST-4",
        "the version raised after the signature",
        _signed_document(changed(lambda c: c.update(version=c["version"] + 1)), signed=base),
        "refused",
    )
    listed(
        "refused: signed by a key that is not pinned",
        "TRUST-4",
        "a well-formed list signed by another key",
        _signed_document(base, STRANGER),
        "refused",
    )
    listed(
        "refused: another format",
        "TRUST-1",
        "format 5 is not defined",
        _signed_document(changed(lambda c: c.update(format=5))),
        "refused",
    )
    listed(
        "accepted: format 3",
        "TRUST-1",
        "the format before 1.4: no log",
        trust_list_document(3).decode(),
        "accepted",
    )
    listed(
        "refused: format 3 with a log",
        "TRUST-1",
        "format 3 has no member log",
        _signed_document(changed(lambda c: c.update(format=3))),
        "refused",
    )
    listed(
        "accepted: format 4 naming no log",
        "TRUST-10",
        "log is null: this scheme keeps no transparency log",
        _signed_document(changed(lambda c: c.update(log=None))),
        "accepted",
    )
    for case, description, change in (
        ("the log's key named otherwise", "the key's name is not the origin",
         lambda log: log.update(origin="elsewhere.example/log")),
        ("a witness twice", "the same witness listed twice",
         lambda log: log.update(witnesses=log["witnesses"][:1] * 2)),
        ("a quorum that cannot be met", "three of two witnesses", lambda log: log.update(quorum=3)),
        ("a witness key as the log's", "the log signs with a key of type 0x01, witnesses with 0x04",
         lambda log: log.update(witnesses=[log["key"]])),
        ("a key not as written", "a space after the log's verifier key", lambda log: log.update(key=log["key"] + " ")),
        ("a wrong key id", "the verifier key's id does not match its name and key",
         lambda log: log.update(key="+".join((LOG_ORIGIN, "00000000", log["key"].split("+", 2)[2])))),
    ):  # fmt: skip
        listed(f"refused: {case}", "TRUST-10", description,
               _signed_document(changed(lambda c, change=change: change(c["log"]))), "refused")  # fmt: skip
    listed(
        "accepted: format 2",
        "TRUST-1",
        "the format before 1.3: issuers only, no roles or remits (the recognising bodies left out)",
        trust_list_document(2).decode(),
        "accepted",
    )
    listed(
        "refused: format 2 with parties",
        "TRUST-1",
        "format 2 names its members issuers",
        _signed_document(changed(lambda c: c.update(format=2))),
        "refused",
    )
    listed(
        "refused: an extra member",
        "TRUST-1",
        "a key with a JWK 'use' member",
        _signed_document(changed(lambda c: _zj(c)["keys"][0].update(use="sig"))),
        "refused",
    )
    other_kid = hashlib.sha256(b"no such key").hexdigest()[:16]
    listed(
        "refused: a kid that is not its key's",
        "TRUST-2",
        "the first key named by a kid no key has",
        _signed_document(changed(lambda c: _zj(c)["keys"][0].update(kid=other_kid))),
        "refused",
    )
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    x = _zj(base)["keys"][0]["x"]
    stray = x[:-1] + alphabet[alphabet.index(x[-1]) | 1]
    listed(
        "refused: x with stray bits",
        "TRUST-3",
        "the last base64url character carries a bit beyond 32 bytes",
        _signed_document(changed(lambda c: _zj(c)["keys"][0].update(x=stray))),
        "refused",
    )
    naive = changed(lambda c: _zj(c)["keys"][0].update(not_before="2023-01-01T00:00:00"))
    listed("refused: a time without a zone", "TRUST-5", "not_before with no Z", _signed_document(naive), "refused")
    listed(
        "refused: a public URL with a path",
        "TRUST-5",
        "origins only",
        _signed_document(changed(lambda c: c.update(public_urls=[PUBLIC_URL + "/verify"]))),
        "refused",
    )
    listed(
        "refused: a kid twice",
        "TRUST-5",
        "the active key listed twice",
        _signed_document(changed(lambda c: _zj(c)["keys"].append(_zj(c)["keys"][-1]))),
        "refused",
    )
    listed(
        "refused: at its expiry",
        "TRUST-6",
        "checked at the expires_at second",
        _signed_document(base),
        "refused",
        at=base["expires_at"],
    )
    listed(
        "refused: older than the verifier's limit",
        "TRUST-6",
        "8 days old against a limit of 7",
        _signed_document(base),
        "refused",
        at="2024-03-09T00:00:00Z",
        max_age_days=7,
    )
    listed(
        "accepted: exactly at the verifier's limit",
        "TRUST-6",
        "7 days old to the second against a limit of 7: older than the limit is refused, not as old",
        _signed_document(base),
        "accepted",
        at="2024-03-08T00:00:00Z",
        max_age_days=7,
    )
    listed(
        "accepted: issued after the check time",
        "TRUST-6",
        "how things stood before the list was issued",
        _signed_document(base),
        "accepted",
        at="2024-02-01T00:00:00Z",
        max_age_days=7,
    )
    listed(
        "refused: a version below one seen",
        "TRUST-7",
        "a replay of an older list",
        _signed_document(base),
        "refused",
        highest_seen=base["version"] + 1,
    )
    listed(
        "accepted: the version seen before",
        "TRUST-7",
        "the same list again",
        _signed_document(base),
        "accepted",
        highest_seen=base["version"],
    )
    # Since 1.2: RFC 3339 exactly (lower-case t and z, offsets) and nothing looser; origins as written.
    listed(
        "accepted: lower-case t and z",
        "TRUST-5",
        "RFC 3339 §5.6 allows both letters in lower case",
        _signed_document(changed(lambda c: c.update(issued_at=c["issued_at"].lower()))),
        "accepted",
    )
    listed(
        "accepted: an offset of +08:00",
        "TRUST-5",
        "a key's not_before in China Standard Time: the same instant",
        _signed_document(changed(lambda c: _zj(c)["keys"][0].update(not_before="2023-01-01T08:00:00+08:00"))),
        "accepted",
    )
    for name, text in (
        ("the basic format", "20240301T000000Z"),
        ("a week date", "2024-W09-5T00:00:00Z"),
        ("a time without seconds", "2024-03-01T00:00Z"),
        ("an offset without a colon", "2024-03-01T00:00:00+0000"),
        ("a date alone", "2024-03-01"),
        ("a day that does not exist", "2024-02-30T00:00:00Z"),
    ):
        listed(
            f"refused: {name}",
            "TRUST-5",
            f"issued_at {text}: ISO 8601 allows it, RFC 3339 does not",
            _signed_document(changed(lambda c, text=text: c.update(issued_at=text))),
            "refused",
        )
    listed(
        "refused: a public URL in upper case",
        "TRUST-5",
        "origins are listed in lower case",
        _signed_document(changed(lambda c: c.update(public_urls=[PUBLIC_URL.upper()]))),
        "refused",
    )
    listed(
        "refused: a public URL with its default port",
        "TRUST-5",
        "https://host:443 is listed as https://host",
        _signed_document(changed(lambda c: c.update(public_urls=[PUBLIC_URL + ":443"]))),
        "refused",
    )
    listed(
        "accepted: an http public URL, written exactly",
        "TRUST-5",
        "http is allowed (a test service); its origin must still be exact",
        _signed_document(changed(lambda c: c.update(public_urls=["http://127.0.0.1:8000"]))),
        "accepted",
    )
    signed = _signed_document(base)
    listed(
        "refused: a byte-order mark",
        "TRUST-8",
        "U+FEFF before the document: RFC 8259 JSON has none",
        "\ufeff" + signed,
        "refused",
    )
    listed(
        "refused: a member twice",
        "TRUST-8",
        "version twice, the signed one last: a reader keeping the first would see version 999",
        signed.replace('"trust_list": {', '"trust_list": {"version": 999, ', 1),
        "refused",
    )
    listed(
        "refused: an issuer listed twice",
        "TRUST-8",
        "two entries with one id, each with its own key",
        _signed_document(changed(lambda c: c["parties"].append({**_zj(c), "keys": []}))),
        "refused",
    )
    listed(
        "accepted: a name of 200 characters outside the BMP",
        "TRUST-8",
        "lengths count characters (code points): 200 emoji, 800 bytes, 400 UTF-16 units",
        _signed_document(changed(lambda c: _zj(c).update(name="\U0001f3ed" * 200))),
        "accepted",
    )
    listed(
        "refused: a name of 201 characters",
        "TRUST-8",
        "one character over the limit",
        _signed_document(changed(lambda c: _zj(c).update(name="名" * 201))),
        "refused",
    )
    party_cases: list[tuple[str, str, Any, str]] = [
        ("accepted: a party with both roles", "an issuer that recognises certificates too",
         lambda c: _zj(c).update(roles=["issue", "recognise"], remit={"markets": ["DE"], "schemes": ["zhejiang-made"]}),
         "accepted"),
        ("refused: an unknown role", "a role this format does not define",
         lambda c: _party(c, "sgs").update(roles=["recognise", "accredit"]), "refused"),
        ("refused: roles out of order", "issue comes before recognise",
         lambda c: _zj(c).update(roles=["recognise", "issue"], remit={"markets": ["DE"], "schemes": ["zhejiang-made"]}),
         "refused"),
        ("refused: no role", "an empty roles array", lambda c: _zj(c).update(roles=[]), "refused"),
        ("refused: recognising without a remit", "the role recognise and a null remit",
         lambda c: _party(c, "sgs").update(remit=None), "refused"),
        ("refused: a remit without the role", "an issuer only, with a remit",
         lambda c: _zj(c).update(remit={"markets": ["DE"], "schemes": ["zhejiang-made"]}), "refused"),
        ("refused: a market in lower case", "remit markets are ISO 3166-1 alpha-2 codes as written",
         lambda c: _party(c, "sgs")["remit"].update(markets=["de"]), "refused"),
        ("refused: a market twice", "remit markets are distinct",
         lambda c: _party(c, "sgs")["remit"].update(markets=["DE", "DE"]), "refused"),
        ("refused: an empty remit", "a remit names at least one market",
         lambda c: _party(c, "sgs")["remit"].update(markets=[]), "refused"),
        ("refused: a country of three letters", "a party's country is ISO 3166-1 alpha-2",
         lambda c: _party(c, "sgs").update(country="CHE"), "refused"),
        ("refused: a recogniser's key listed for the issuer too", "a kid appears once in the whole list",
         lambda c: _zj(c)["keys"].append(_party(c, "sgs")["keys"][0]), "refused"),
        ("refused: one key for two recognising bodies", "a kid appears once in the whole list",
         lambda c: _party(c, "tuv")["keys"].append(_party(c, "sgs")["keys"][0]), "refused"),
        ("refused: a recognising body's key listed twice", "a kid appears once, in one party too",
         lambda c: _party(c, "sgs")["keys"].append(_party(c, "sgs")["keys"][0]), "refused"),
    ]  # fmt: skip
    for name, description, change, expected in party_cases:
        listed(name, "TRUST-9", description, _signed_document(changed(change)), expected)
    return out  # fmt: skip


def status_list_cases() -> list[dict[str, Any]]:
    """STATUS-1 to STATUS-4: a seal that carries its status index, checked offline with downloaded lists."""
    number, bit = divmod(STATUS_INDEX, LIST_SIZE)
    mirrored = bit - bit % 8 + (7 - bit % 8)  # the same byte, the bits in the other order: catches a reversed reading
    _, claims = claims_for("zhejiang-made-kettle", status_index=STATUS_INDEX)
    seal = qr_text(sign(claims, ACTIVE))
    _, old_claims = claims_for("zhejiang-made-kettle")
    old_seal = qr_text(sign(old_claims, ACTIVE))
    expired_at = "2027-04-01T00:00:00Z"

    def status_list(
        purpose: str,
        bits: tuple[int, ...] = (),
        key: SigningKey = ACTIVE,
        list_number: int = number,
        valid_from: str = "2024-05-01T00:00:00Z",
        size: int = LIST_SIZE,
        issuer: str = ISSUER.id,
    ) -> str:
        url = list_url(PUBLIC_URL, issuer, purpose, list_number)
        credential = list_credential(url, issuer_did(PUBLIC_URL, issuer), purpose, encode(bits, size), utc(valid_from))
        return sign_credential(credential, key, key_url(issuer_did(PUBLIC_URL, issuer), key.record))

    clear = (status_list("revocation"), status_list("suspension", valid_from="2024-05-02T00:00:00Z"))
    revoked = status_list("revocation", (bit,), valid_from="2024-05-03T00:00:00Z")
    suspended = status_list("suspension", (bit,), valid_from="2024-05-03T00:00:00Z")
    out = []

    def listed(
        name: str,
        rule: str,
        description: str,
        lists: tuple[str, ...],
        verdict: str,
        reason: str,
        state: str,
        as_of: str | None,
        qr: str = seal,
        at: str = CHECK_AT,
    ) -> None:
        out.append(
            {
                "name": name,
                "rule": rule,
                "description": description,
                "qr": qr,
                "status_lists": list(lists),
                "at": at,
                "expected": {"verdict": verdict, "reason": reason, "status": {"state": state, "as_of": as_of}},
            }
        )

    def refused(name: str, rule: str, description: str, lists: tuple[str, ...]) -> None:
        out.append(
            {
                "name": name,
                "rule": rule,
                "description": description,
                "qr": seal,
                "status_lists": list(lists),
                "at": CHECK_AT,
                "expected": {"refused": True},
            }
        )

    listed(
        "active: neither bit set",
        "STATUS-3",
        "both lists cover the index, its bits clear; as of the newer list",
        clear,
        "valid",
        "in_force",
        "active",
        "2024-05-02T00:00:00Z",
    )
    listed(
        "active: the neighbouring bits set",
        "STATUS-2",
        f"bits {bit - 1}, {bit + 1} and {mirrored} set, not {bit}: the bit order is most significant first",
        (status_list("revocation", (bit - 1, bit + 1, mirrored)), status_list("suspension", (mirrored,))),
        "valid",
        "in_force",
        "active",
        "2024-05-01T00:00:00Z",
    )
    listed(
        "suspended: the suspension bit set",
        "STATUS-3",
        "in force by its dates, suspended by the list",
        (clear[0], suspended),
        "suspended",
        "suspended",
        "suspended",
        "2024-05-03T00:00:00Z",
    )
    listed(
        "revoked: the revocation bit set",
        "STATUS-3",
        "withdrawn for good",
        (revoked, clear[1]),
        "revoked",
        "revoked",
        "revoked",
        "2024-05-03T00:00:00Z",
    )
    listed(
        "revoked: both bits set",
        "STATUS-3",
        "revocation decides before suspension",
        (revoked, suspended),
        "revoked",
        "revoked",
        "revoked",
        "2024-05-03T00:00:00Z",
    )
    listed(
        "expired: suspended after its validity period",
        "STATUS-3",
        "the dates decide before suspension",
        (clear[0], suspended),
        "expired",
        "past_validity",
        "suspended",
        "2024-05-03T00:00:00Z",
        at=expired_at,
    )
    listed(
        "revoked: revoked after its validity period",
        "STATUS-3",
        "revocation decides whatever the dates",
        (revoked, clear[1]),
        "revoked",
        "revoked",
        "revoked",
        "2024-05-03T00:00:00Z",
        at=expired_at,
    )
    listed(
        "unknown: the lists of another list number",
        "STATUS-2",
        f"lists {number - 1} with bit {bit} set: they do not cover the index",
        (
            status_list("revocation", (bit,), list_number=number - 1),
            status_list("suspension", (bit,), list_number=number - 1),
        ),
        "valid",
        "in_force",
        "unknown",
        None,
    )
    listed(
        "unknown: the revocation list only",
        "STATUS-3",
        "both purposes are needed to claim a status",
        (revoked,),
        "valid",
        "in_force",
        "unknown",
        None,
    )
    listed(
        "unknown: a seal without a status index",
        "STATUS-1",
        "sealed before spec 1.1: the lists say nothing",
        (revoked, suspended),
        "valid",
        "in_force",
        "unknown",
        None,
        qr=old_seal,
    )
    refused(
        "refused: a list signed by a key not on the trust list",
        "STATUS-1",
        "the kid names a key the issuer does not have",
        (status_list("revocation", key=STRANGER), clear[1]),
    )
    refused(
        "refused: a list whose signature was altered",
        "STATUS-1",
        "the last signature character changed",
        (clear[0][:-1] + ("A" if clear[0][-1] != "A" else "B"), clear[1]),
    )
    refused(
        "refused: a list signed for another issuer",
        "STATUS-1",
        "zjcert's key under another issuer's did:web",
        (status_list("revocation", issuer="other"), clear[1]),
    )
    refused(
        "refused: a list of fewer than 131,072 bits",
        "STATUS-2",
        "65,536 bits",
        (status_list("revocation", size=LIST_SIZE // 2), clear[1]),
    )
    # Since 1.2: a header extension it does not know, and validFrom as RFC 3339 with a zone.
    refused(
        "refused: a critical header extension",
        "STATUS-1",
        "crit names an extension the verifier does not understand (RFC 7515 §4.1.11)",
        (_with_header(clear[0], ACTIVE, {"crit": ["exp"], "exp": 1893456000}), clear[1]),
    )
    for name, text in (("without a zone", "2024-05-01T00:00:00"), ("a date alone", "2024-05-01"),
                       ("with an offset without a colon", "2024-05-01T00:00:00+0000")):  # fmt: skip
        refused(
            f"refused: a validFrom {name}",
            "STATUS-4",
            f"validFrom {text}",
            (_with_payload(clear[0], ACTIVE, validFrom=text), clear[1]),
        )
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    signature = clear[0].rsplit(".", 1)[1]
    stray = signature[:-1] + alphabet[alphabet.index(signature[-1]) | 1]
    refused(
        "refused: stray bits in the signature",
        "STATUS-1",
        "the last base64url character of the signature carries a bit beyond 64 bytes (the same signature bytes)",
        (clear[0].rsplit(".", 1)[0] + "." + stray, clear[1]),
    )
    header, payload = _jws_parts(clear[0])
    payload_text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    twice = '{"validFrom":"2030-01-01T00:00:00Z",' + payload_text[1:]  # a reader keeping the first sees 2030
    refused(
        "refused: a member twice in the payload",
        "STATUS-1",
        "validFrom twice: readers differ on which one counts",
        (_signed_jws(header, twice, ACTIVE), clear[1]),
    )
    refused(
        "refused: a list that names another issuer",
        "STATUS-1",
        "signed by zjcert's key, its issuer another service's DID",
        (_with_payload(clear[0], ACTIVE, issuer="did:web:elsewhere.example:issuers:zjcert"), clear[1]),
    )
    listed(
        "unknown: a list past its validUntil",
        "STATUS-5",
        "the revocation list (bit set) was valid until 2024-05-15: at the check time it says nothing",
        (_with_payload(revoked, ACTIVE, validUntil="2024-05-15T00:00:00Z"), clear[1]),
        "valid",
        "in_force",
        "unknown",
        None,
    )
    listed(
        "revoked: a list within its validUntil",
        "STATUS-5",
        "valid until 2030: used",
        (_with_payload(revoked, ACTIVE, validUntil="2030-01-01T00:00:00Z"), clear[1]),
        "revoked",
        "revoked",
        "revoked",
        "2024-05-03T00:00:00Z",
    )
    listed(
        "revoked: the newer of two revocation lists counts",
        "STATUS-6",
        "the list of 3 May (bit set) given before the one of 1 May (clear)",
        (revoked, clear[0], clear[1]),
        "revoked",
        "revoked",
        "revoked",
        "2024-05-03T00:00:00Z",
    )
    listed(
        "active: a newer suspension list lifts the suspension",
        "STATUS-6",
        "suspended on 3 May, the list of 4 May clear: reinstated",
        (clear[0], suspended, status_list("suspension", valid_from="2024-05-04T00:00:00Z")),
        "valid",
        "in_force",
        "active",
        "2024-05-04T00:00:00Z",
    )
    listed(
        "suspended: two lists of the same time disagree",
        "STATUS-6",
        "both of 3 May, one with the bit set: the set bit counts",
        (clear[0], status_list("suspension", valid_from="2024-05-03T00:00:00Z"), suspended),
        "suspended",
        "suspended",
        "suspended",
        "2024-05-03T00:00:00Z",
    )
    encoded = _jws_parts(revoked)[1]["credentialSubject"]["encodedList"]
    subject = _jws_parts(revoked)[1]["credentialSubject"]
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    spare = {2: 0x0F, 3: 0x03}.get((len(encoded) - 1) % 4, 0)
    assert spare, "the vectors' revocation list must end in a partial group"
    refused(
        "refused: an encodedList with padding",
        "STATUS-2",
        "base64url with '=' padding: the multibase 'u' encoding has none",
        (
            _with_payload(
                revoked, ACTIVE, credentialSubject={**subject, "encodedList": encoded + "=" * (-(len(encoded) - 1) % 4)}
            ),
            clear[1],
        ),
    )
    refused(
        "refused: stray bits in the encodedList",
        "STATUS-2",
        "the last character carries bits beyond the GZIP bytes",
        (
            _with_payload(
                revoked,
                ACTIVE,
                credentialSubject={**subject, "encodedList": encoded[:-1] + alphabet[alphabet.index(encoded[-1]) | 1]},
            ),
            clear[1],
        ),
    )
    listed(
        "revoked: a list longer than 131,072 bits",
        "STATUS-2",
        "262,144 bits: only the first 131,072 are read (16,384 bytes decompressed, and one more to know)",
        (
            status_list("revocation", (bit, LIST_SIZE + bit), valid_from="2024-05-03T00:00:00Z", size=2 * LIST_SIZE),
            clear[1],
        ),
        "revoked",
        "revoked",
        "revoked",
        "2024-05-03T00:00:00Z",
    )
    listed(
        "active: as of a validFrom written at +08:00, reported in UTC",
        "STATUS-4",
        "2024-05-02T08:00:00+08:00 is 2024-05-02T00:00:00Z",
        (clear[0], _with_payload(clear[1], ACTIVE, validFrom="2024-05-02T08:00:00+08:00")),
        "valid",
        "in_force",
        "active",
        "2024-05-02T00:00:00Z",
    )
    return out  # fmt: skip


def _jws_parts(jwt: str) -> tuple[dict[str, Any], dict[str, Any]]:
    header, payload, _ = jwt.split(".")
    decode = lambda part: json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))  # noqa: E731
    return decode(header), decode(payload)


def _signed_jws(header: dict[str, Any], payload: dict[str, Any] | str, key: SigningKey) -> str:
    """A compact JWS of ``header`` and ``payload`` (a value, or JSON text as it is) signed with ``key``."""
    encode = lambda value: b64url(  # noqa: E731
        (value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, separators=(",", ":"))).encode()
    )
    signing_input = f"{encode(header)}.{encode(payload)}"
    return f"{signing_input}.{b64url(key.private_key.sign(signing_input.encode('ascii')))}"


def _with_header(jwt: str, key: SigningKey, extra: dict[str, Any]) -> str:
    header, payload = _jws_parts(jwt)
    return _signed_jws({**header, **extra}, payload, key)


def _with_payload(jwt: str, key: SigningKey, **changes: Any) -> str:
    header, payload = _jws_parts(jwt)
    return _signed_jws(header, {**payload, **changes}, key)


def online_cases() -> list[dict[str, Any]]:
    """ORDER-2: what the registry's word does to a genuine seal, and that it is never asked for a forged one."""
    content, claims = claims_for("zhejiang-made-kettle")
    cose = sign(claims, ACTIVE)
    text = qr_text(cose)
    forged = cose[:-1] + bytes([cose[-1] ^ 1])
    out = []
    for name, registry, at, verdict, reason, seal in (
        ("unregistered: never issued here", None, CHECK_AT, "unregistered", "not_in_registry", text),
        ("revoked: whatever its dates", "revoked", "2027-03-26T00:00:00Z", "revoked", "revoked", text),
        ("expired: an expired suspension is expired", "suspended", "2027-03-26T00:00:00Z", "expired",
         "past_validity", text),
        ("suspended: in force but suspended", "suspended", CHECK_AT, "suspended", "suspended", text),
        ("valid: active and in force", "active", CHECK_AT, "valid", "in_force", text),
        ("invalid: a forged seal is not looked up", "revoked", CHECK_AT, "invalid", "bad_signature", qr_text(forged)),
    ):  # fmt: skip
        entry = case(name, "ORDER-2", "online: the registry's entry for this seal", seal, verdict, reason, at=at,
                     content=content, claims=claims)  # fmt: skip
        entry["registry"] = None if registry is None else {"state": registry}
        reached = entry["expected"]["stages"]
        decided = reason in ("not_in_registry", "revoked", "suspended")  # the registry's word gave the verdict
        if reason in ("not_in_registry", "revoked"):  # asked before the validity period is judged
            reached["validity"] = None
        reached["registry"] = False if decided else True if verdict == "valid" else None
        out.append(entry)
    return out


def vector_trust_list(recognisers: tuple[Recogniser, ...] = (SGS_BODY, TUV_BODY)) -> TrustList:
    """The issuer (its retired and active keys) and the recognising bodies: the list every case is checked with."""
    ring = Keyring(ISSUER.id, (RETIRED.record, ACTIVE.record), ACTIVE.kid)
    # Issued before the earliest check time of any case and valid past the latest, so that every case
    # is checked against this one list (a verifier still needs --max-age to accept a list this old).
    listed = build_trust_list(
        [(ISSUER, ring)], [PUBLIC_URL], utc("2024-03-01T00:00:00Z"), validity=timedelta(days=3650)
    )
    return replace(listed, recognisers=recognisers, version=listed.version + len(recognisers), log=LOG_POLICY)


def trust_list_document(format: int = 4) -> bytes:
    return vector_trust_list().to_document(OPERATOR, format)


def _recognition_cases() -> list[dict[str, Any]]:
    from recognitions import recognition_cases  # type: ignore[import-not-found]  # beside this script

    return list(recognition_cases())


def _log_vectors() -> dict[str, Any]:
    from logvectors import log_vectors  # type: ignore[import-not-found]  # beside this script

    return log_vectors()  # type: ignore[no-any-return]


def write(out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    files = {
        "vectors.json": (
            json.dumps(
                {
                    "spec": "docs/spec/seal.md",
                    "public_url": PUBLIC_URL,
                    "stages": list(STAGES),
                    "cases": cases(),
                    "online_cases": online_cases(),
                    "trust_lists": trust_list_cases(),
                    "status_list_cases": status_list_cases(),
                    "recognition_cases": _recognition_cases(),
                },
                ensure_ascii=False,
                indent=2,
            )
            + "\n"
        ).encode(),
        "trust-list.json": trust_list_document(),
        "log.json": (json.dumps(_log_vectors(), ensure_ascii=False, indent=2) + "\n").encode(),
        "operator.pub.pem": public_key_pem(OPERATOR.record.public_key),
    }
    assert kid_for(OPERATOR.record.public_key) == OPERATOR.kid
    assert ALG_EDDSA == -8
    for name, data in files.items():
        (out_dir / name).write_bytes(data)
    return [out_dir / name for name in files]


if __name__ == "__main__":
    for path in write(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE):
        print(path)
