"""Regenerate the published seal test vectors: ``python tests/vectors/generate.py [OUT_DIR]``.

Every stage is written out (the signed content, the claims as CBOR, the COSE_Sign1, the QR text), with
the fixed clock a verifier must use and the verdict and reason it must reach. Ed25519 signatures are
deterministic, so the same code gives the same bytes; the test suite regenerates the files and compares
them byte for byte with the committed ones.

THE KEYS HERE ARE TEST KEYS. Their private halves derive from public strings below; never trust them.
"""

from __future__ import annotations

import hashlib
import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import cbor2
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from verifier.claims import claims_to_cbor, sealed_content
from verifier.keys import KeyRecord, Keyring, SigningKey, kid_for, new_signing_key, public_key_pem
from verifier.model import parse_certificate
from verifier.seal import ALG_EDDSA, COSE_SIGN1_TAG, HEADER_ALG, HEADER_KID, encode_segment, protected_header, sign
from verifier.trust import build_trust_list
from verifier.verdict import IssuerInfo

HERE = Path(__file__).resolve().parent
REFERENCE = HERE.parents[1] / "verifier" / "demo"  # the reference certificates
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
    from verifier.seal import to_be_signed

    return envelope(protected, payload, key.private_key.sign(to_be_signed(protected, payload)))


def flip(data: bytes, index: int) -> bytes:
    return data[:index] + bytes([data[index] ^ 0x01]) + data[index + 1 :]


def reference(name: str) -> Any:
    return json.loads((REFERENCE / f"{name}.json").read_text("utf-8"))


def claims_for(name: str, sealed_at: str = SEALED_AT) -> tuple[dict[str, Any], bytes]:
    content = sealed_content(parse_certificate(reference(name)), utc(sealed_at))
    return content.to_json(), claims_to_cbor(content)


def case(
    name: str,
    description: str,
    text: str,
    verdict: str,
    reason: str,
    at: str = CHECK_AT,
    content: dict[str, Any] | None = None,
    claims: bytes | None = None,
    cose: bytes | None = None,
) -> dict[str, Any]:
    return {
        "name": name,
        "description": description,
        "certificate": content,
        "claims_cbor": claims.hex() if claims is not None else None,
        "cose": cose.hex() if cose is not None else None,
        "qr": text,
        "at": at,
        "expected": {"verdict": verdict, "reason": reason},
    }


def sealed_case(
    name: str, description: str, cert: str, key: SigningKey, verdict: str, reason: str, **kw: Any
) -> dict[str, Any]:
    sealed_at = kw.pop("sealed_at", SEALED_AT)
    content, claims = claims_for(cert, sealed_at)
    cose = sign(claims, key)
    return case(name, description, qr_text(cose), verdict, reason, content=content, claims=claims, cose=cose, **kw)


def cases() -> list[dict[str, Any]]:
    out = []
    for cert in sorted(p.stem for p in REFERENCE.glob("*.json")):
        out.append(
            sealed_case(
                f"valid: {cert}",
                "sealed with the active key, checked inside the validity period",
                cert,
                ACTIVE,
                "valid",
                "in_force",
            )
        )
    kettle = "zhejiang-made-kettle"
    content, claims = claims_for(kettle)
    cose = sign(claims, ACTIVE)
    text = qr_text(cose)
    out += [
        case(
            "valid: last second of the validity period",
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
            case(f"valid: {name}", description, form, "valid", "in_force", content=content, claims=claims, cose=cose)
        )
    for name, description, form in (
        ("another host in mixed case", "a look-alike service's link: its case changes nothing",
         f"https://Verify.Zhejiang-Made.example.com/C/{segment}"),
        ("another scheme", "http is not the trusted https origin", f"http://{host}/C/{segment}"),
        ("another port", "a port that is not the default names another origin", f"{PUBLIC_URL}:8443/C/{segment}"),
        ("another path", "only /C/ carries a seal", f"{PUBLIC_URL}/D/{segment}"),
    ):  # fmt: skip
        out.append(case(f"malformed: {name}", description, form, "malformed", "not_a_certificate_url"))
    altered_sig = cose[:-1] + bytes([cose[-1] ^ 0x01])
    out.append(
        case(
            "invalid: signature altered",
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
            "a well-formed seal by a key nobody vouches for",
            qr_text(stranger),
            "unknown_issuer",
            "unknown_key",
            claims=claims,
            cose=stranger,
        )
    )
    out.append(
        sealed_case(
            "unknown issuer: key used after its window",
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
            "the text cut after 40 groups of base32 (200 bytes)",
            text[:cut],
            "malformed",
            "bad_cbor",
        )
    )
    # Unpadded base32 never leaves 1, 3 or 6 characters in the last group of eight.
    short = "bad_encoding" if (len(text) - 1 - prefix) % 8 in (1, 3, 6) else "bad_cbor"
    out.append(
        case("malformed: truncated by one character", "the last character missing", text[:-1], "malformed", short)
    )
    out.append(
        case(
            "malformed: truncated by one byte",
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
            "one zero byte appended to the COSE_Sign1",
            qr_text(cose + b"\x00"),
            "malformed",
            "bad_cbor",
        )
    )
    out.append(
        case(
            "malformed: bad base32",
            "a '0' is not in the base32 alphabet",
            text[:-5] + "0" + text[-4:],
            "malformed",
            "bad_encoding",
        )
    )
    out.append(
        case("malformed: base32 padding", "the encoder never writes '='", text + "======", "malformed", "bad_encoding")
    )
    # Unpadded base32 of n bytes leaves 5 * ceil(8n / 5) - 8n unused bits in the last character; the
    # encoder writes them as zero. Take the first reference certificate whose seal leaves some.
    sealed = (sign(claims_for(c)[1], ACTIVE) for c in sorted(p.stem for p in REFERENCE.glob("*.json")))
    odd = next(c for c in sealed if len(c) % 5)
    odd_text = qr_text(odd)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
    stray = odd_text[:-1] + alphabet[alphabet.index(odd_text[-1]) | 1]
    out.append(
        case(
            "malformed: stray bits",
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
            "one character in lower case",
            text[:-3] + text[-3].lower() + text[-2:],
            "malformed",
            "bad_encoding",
        )
    )
    garbage = b"\x1c" + b"\x00" * 40
    out.append(
        case(
            "malformed: bad CBOR",
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
            "longer than any certificate link (1,451 characters)",
            f"{PUBLIC_URL.upper()}/C/1" + "A" * 1451,
            "malformed",
            "too_large",
        )
    )
    out.append(
        case(
            "malformed: another host",
            "a seal copied onto another site's link",
            text.replace("ZHEJIANG-MADE", "ZHEJIANG-MADF"),
            "malformed",
            "not_a_certificate_url",
        )
    )
    out.append(
        case(
            "malformed: unknown format version",
            "version 2 is not defined",
            text.replace("/C/1", "/C/2", 1),
            "malformed",
            "unsupported_version",
        )
    )
    out.append(case("malformed: not a link", "plain words", "HELLO WORLD", "malformed", "not_a_certificate_url"))
    return out


def trust_list_document() -> bytes:
    ring = Keyring(ISSUER.id, (RETIRED.record, ACTIVE.record), ACTIVE.kid)
    # Issued before the earliest check time of any case and valid past the latest, so that every case
    # is checked against this one list (a verifier still needs --max-age to accept a list this old).
    trust_list = build_trust_list(
        [(ISSUER, ring)], [PUBLIC_URL], utc("2024-03-01T00:00:00Z"), validity=timedelta(days=3650)
    )
    return trust_list.to_document(OPERATOR)


def write(out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    files = {
        "vectors.json": (
            json.dumps({"public_url": PUBLIC_URL, "cases": cases()}, ensure_ascii=False, indent=2) + "\n"
        ).encode(),
        "trust-list.json": trust_list_document(),
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
