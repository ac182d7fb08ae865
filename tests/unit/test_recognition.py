"""Recognition seals (issue 28, section 11 of the seal spec): a partner body's own signature on one exact
certificate, checked rule by rule — and every attack of the issue refused, never "valid"."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import cbor2
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.helpers import CURRENT
from verifier.certificate.model import parse_certificate
from verifier.seal.claims import claims_from_cbor, claims_to_cbor, sealed_content
from verifier.seal.cose import decode_cose, sign
from verifier.seal.recognition import (
    Recognition,
    base_digest,
    recognition_from_cbor,
    recognition_to_cbor,
    seal_recognition,
)
from verifier.trust.keys import new_signing_key
from verifier.trust.parties import Recogniser
from verifier.trust.trustlist import TrustList
from verifier.verdict import StatusState, Verdict
from verifier.verification.recognition import (
    RecognitionReason,
    RecognitionSeals,
    RecognitionVerdict,
    carried,
    check_recognition,
)

SEALED = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
NOW = datetime(2026, 6, 1, tzinfo=UTC)
ISSUER = new_signing_key(datetime(2026, 1, 1, tzinfo=UTC))
SGS_KEY = new_signing_key(datetime(2026, 1, 1, tzinfo=UTC))
OTHER_KEY = new_signing_key(datetime(2026, 1, 1, tzinfo=UTC))
SGS = Recogniser("sgs", "通标标准技术服务", "SGS", "CH", (SGS_KEY.record,), frozenset({"DE", "FR", "GB"}),
                 frozenset({"international-cooperation", "zhejiang-made"}))  # fmt: skip
OTHER = Recogniser("tuv", "南德", "TÜV SÜD", "DE", (OTHER_KEY.record,), frozenset({"DE"}),
                   frozenset({"international-cooperation"}))  # fmt: skip
BODIES = (SGS, OTHER)


def _base(name: str = "international-cooperation-valve") -> tuple[bytes, object]:
    content = sealed_content(parse_certificate(CURRENT[name]), SEALED, 4242)
    return sign(claims_to_cbor(content), ISSUER), content


BASE_COSE, BASE = _base()


def _recognition(**changes: object) -> Recognition:
    made = Recognition(base_digest(BASE_COSE), "SGS-DE-2026-0001", ("DE",), ("EN 12266-1:2012",),
                       BASE.valid_from, BASE.valid_until - timedelta(days=30), SEALED + timedelta(days=3), 7)  # type: ignore[attr-defined]  # fmt: skip
    return replace(made, **changes)  # type: ignore[arg-type]


def _check(cose: bytes, base_verdict: Verdict = Verdict.VALID, at: datetime = NOW, base_cose: bytes = BASE_COSE):
    return check_recognition(cose, base_cose, BASE, base_verdict, BODIES, at)  # type: ignore[arg-type]


def test_a_recognition_round_trips_and_verifies() -> None:
    content = _recognition(markets=("DE", "FR"))
    assert recognition_from_cbor(recognition_to_cbor(content)) == content
    cose = seal_recognition(content, SGS_KEY)
    result = _check(cose)
    assert (result.verdict, result.reason) == (RecognitionVerdict.VALID, RecognitionReason.IN_FORCE)
    assert result.recogniser is SGS and result.signature_valid and result.recognition == content
    assert result.to_json()["recogniser"] == {
        "id": "sgs",
        "name": "通标标准技术服务",
        "name_en": "SGS",
        "country": "CH",
    }
    assert len(cose) < 200  # a QR code of its own stays small (measured: see the closing note)


ATTACKS = [
    # signed by another body's key, claiming to be SGS's recognition: that body is outside its remit for FR
    (lambda: seal_recognition(_recognition(markets=("FR",)), OTHER_KEY), "invalid", "outside_remit"),
    # the right body outside its remit: a market it may not speak for
    (lambda: seal_recognition(_recognition(markets=("DE", "US")), SGS_KEY), "invalid", "outside_remit"),
    # replayed onto another certificate: it names another seal's digest
    (
        lambda: seal_recognition(_recognition(base=hashlib.sha256(b"another seal").digest()), SGS_KEY),
        "invalid",
        "not_this_certificate",
    ),
    # longer than the certificate's validity
    (
        lambda: seal_recognition(_recognition(valid_until=BASE.valid_until + timedelta(days=1)), SGS_KEY),  # type: ignore[attr-defined]
        "invalid",
        "exceeds_base_validity",
    ),
    (
        lambda: seal_recognition(_recognition(valid_from=BASE.valid_from - timedelta(days=1)), SGS_KEY),  # type: ignore[attr-defined]
        "invalid",
        "exceeds_base_validity",
    ),
    # a key no body holds
    (
        lambda: seal_recognition(_recognition(), new_signing_key(datetime(2026, 1, 1, tzinfo=UTC))),
        "unknown_recogniser",
        "unknown_key",
    ),
    # signed before the body's key could sign
    (
        lambda: sign(recognition_to_cbor(_recognition(issued_at=datetime(2025, 6, 1, tzinfo=UTC))), SGS_KEY),
        "unknown_recogniser",
        "key_not_valid_at_signing",
    ),
    # a certificate's seal is no recognition
    (lambda: BASE_COSE, "unknown_recogniser", "unknown_key"),
    (lambda: sign(claims_to_cbor(BASE), SGS_KEY), "malformed", "bad_claims"),  # type: ignore[arg-type]
    (lambda: b"\xd2\x84", "malformed", "bad_cbor"),
    (lambda: b"\x00" * 2000, "malformed", "too_large"),
]


@pytest.mark.parametrize(("make", "verdict", "reason"), ATTACKS)
def test_every_attack_is_refused(make: object, verdict: str, reason: str) -> None:
    result = _check(make())  # type: ignore[operator]
    assert (result.verdict.value, result.reason.value) == (verdict, reason), result.detail


def test_seals_a_file_carries_are_each_checked_offline_never_valid_when_attacked() -> None:
    """An annex's recognition seals (``carried``): the genuine one valid, its status from the body's lists where
    given; every attack above, in the same file, refused; nothing raises."""
    attacks = [make() for make, _, _ in ATTACKS]  # type: ignore[operator]
    genuine = seal_recognition(_recognition(), SGS_KEY)
    listed = {("sgs", 7): (StatusState.SUSPENDED, NOW - timedelta(days=1))}
    shown = carried([genuine, *attacks], BASE_COSE, Verdict.VALID, BODIES, NOW, lambda *at: listed.get(at))
    assert [(r["verdict"], r["reason"]) for r in shown] == [("suspended", "suspended_by_body")] + [
        (verdict, reason) for _, verdict, reason in ATTACKS
    ]
    assert shown[0]["status"] == {"state": "suspended", "reason": None, "since": "2026-05-31T00:00:00Z"}
    assert shown[0]["number"] == "SGS-DE-2026-0001" and shown[0]["recogniser"]["country"] == "CH"
    plain = carried([genuine], BASE_COSE, Verdict.VALID, BODIES, NOW)
    assert (plain[0]["verdict"], plain[0]["status"]) == ("valid", None)  # no lists: its status not known
    assert carried([genuine], BASE_COSE, Verdict.REVOKED, BODIES, NOW)[0]["verdict"] == "lapsed"
    assert carried([genuine], b"\xd2\x84", Verdict.VALID, BODIES, NOW) == []  # a base that is no seal: nothing


def test_an_altered_signature_or_certificate_is_caught() -> None:
    cose = seal_recognition(_recognition(), SGS_KEY)
    forged = cose[:-1] + bytes([cose[-1] ^ 1])
    assert _check(forged).reason is RecognitionReason.BAD_SIGNATURE and _check(forged).recognition is None
    altered_base, _ = _base("international-cooperation-valve")  # sealed again: other bytes, same certificate
    other_base = sign(claims_to_cbor(replace(BASE, number="ZJIC-2024-9999")), ISSUER)  # type: ignore[type-var]
    for base_cose in (altered_base, other_base):
        if base_cose != BASE_COSE:
            assert _check(cose, base_cose=base_cose).reason is RecognitionReason.NOT_THIS_CERTIFICATE


def test_a_withdrawn_key_recognises_nothing() -> None:
    withdrawn = replace(SGS, keys=(replace(SGS_KEY.record, withdrawn_at=NOW - timedelta(days=1)),))
    cose = seal_recognition(_recognition(), SGS_KEY)
    result = check_recognition(cose, BASE_COSE, BASE, Verdict.VALID, (withdrawn,), NOW)  # type: ignore[arg-type]
    assert result.verdict is RecognitionVerdict.UNKNOWN_RECOGNISER


def test_the_certificate_comes_first_then_the_recognitions_dates() -> None:
    cose = seal_recognition(_recognition(), SGS_KEY)
    for base_verdict in (Verdict.REVOKED, Verdict.SUSPENDED, Verdict.EXPIRED):
        lapsed = _check(cose, base_verdict)
        assert (lapsed.verdict, lapsed.reason) == (RecognitionVerdict.LAPSED, RecognitionReason.BASE_NOT_VALID)
        assert base_verdict.value in lapsed.detail
    ended = _recognition().valid_until + timedelta(days=2)
    at = datetime(ended.year, ended.month, ended.day, tzinfo=UTC)
    assert _check(cose, at=at).verdict is RecognitionVerdict.EXPIRED
    later = seal_recognition(_recognition(valid_from=date(2026, 9, 1)), SGS_KEY)
    assert _check(later).verdict is RecognitionVerdict.NOT_YET_VALID


def test_a_scheme_outside_the_remit_is_refused() -> None:
    narrow = replace(SGS, schemes=frozenset({"zhejiang-made"}))
    cose = seal_recognition(_recognition(), SGS_KEY)
    result = check_recognition(cose, BASE_COSE, BASE, Verdict.VALID, (narrow,), NOW)  # type: ignore[arg-type]
    assert result.reason is RecognitionReason.OUTSIDE_REMIT and "scheme" in result.detail


@pytest.mark.parametrize(
    "item",
    [
        [b"\x00" * 31, "N-1", "DE", ["EN 1"]],  # a digest that is not 32 bytes
        [b"\x00" * 32, "n 1", "DE", ["EN 1"]],  # a number outside the alphabet
        [b"\x00" * 32, "N-1", "DEDE", ["EN 1"]],  # a market twice
        [b"\x00" * 32, "N-1", "XX", ["EN 1"]],  # not a country
        [b"\x00" * 32, "N-1", "DE", []],  # no basis
        [b"\x00" * 32, "N-1", "DE", ["x" * 61]],  # a basis too long
        [b"\x00" * 32, "N-1", "DE", ["EN 1"], -1],  # a negative status index
        [b"\x00" * 32, "N-1", "DE", ["EN 1"], 1, 2],  # something after it
    ],
)
def test_claims_outside_the_rules_are_bad_claims(item: list[object]) -> None:
    claims = {4: 1_780_000_000 - 28800 + 86400 * 10, 5: 1_780_000_000 - 28800, 6: 1_780_000_000, -65538: item}
    result = _check(sign(cbor2.dumps(claims), SGS_KEY))
    assert (result.verdict, result.reason) == (RecognitionVerdict.MALFORMED, RecognitionReason.BAD_CLAIMS)
    assert result.signature_valid is True


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400))
def test_no_bytes_raise_or_pass(data: bytes) -> None:
    result = _check(data)
    assert result.verdict is not RecognitionVerdict.VALID


VECTORS = json.loads((Path(__file__).resolve().parents[1] / "vectors" / "vectors.json").read_text("utf-8"))


OPERATOR_KEY = load_pem_public_key((Path(__file__).resolve().parents[1] / "vectors" / "operator.pub.pem").read_bytes())


def _bodies(document: str) -> tuple[Recogniser, ...]:
    """The recognising bodies of a case's trust list, read as a verifier reads it (signature first)."""
    assert isinstance(OPERATOR_KEY, Ed25519PublicKey)
    return TrustList.from_document(document.encode(), [OPERATOR_KEY]).recognisers


@pytest.mark.parametrize("case", VECTORS["recognition_cases"], ids=lambda c: c["name"])
def test_recognition_vector(case: dict[str, object]) -> None:
    """Every recognition vector, as the JavaScript verifier runs them too (web/seal/test/)."""
    base_cose = bytes.fromhex(str(case["base_cose"]))
    base = claims_from_cbor(decode_cose(base_cose).payload)
    at = datetime.fromisoformat(str(case["at"]).replace("Z", "+00:00"))
    result = check_recognition(bytes.fromhex(str(case["recognition"])), base_cose, base,
                               Verdict(case["base_verdict"]), _bodies(str(case["trust_list"])), at,
                               StatusState(case["status"]) if case["status"] else None)  # type: ignore[arg-type]  # fmt: skip
    expected = case["expected"]
    assert (result.verdict.value, result.reason.value) == (expected["verdict"], expected["reason"]), result.detail  # type: ignore[index]


def test_every_recognition_rule_has_a_vector() -> None:
    spec = (Path(__file__).resolve().parents[2] / "docs" / "spec" / "seal.md").read_text("utf-8")
    rules = set(re.findall(r"^- \*\*(REC-[0-9A-Z]+)\*\*", spec, re.M))
    assert rules == {f"REC-{n}" for n in range(1, 12)} | {"REC-ORDER"}
    assert rules == {c["rule"] for c in VECTORS["recognition_cases"]}


def test_a_seal_verified_once_skips_only_its_signature() -> None:
    """The cache of verified recognitions (a scan shows them again and again): every other rule still runs."""
    cache = RecognitionSeals(size=2)
    cose = seal_recognition(_recognition(), SGS_KEY)
    first = check_recognition(cose, BASE_COSE, BASE, Verdict.VALID, BODIES, NOW, cache=cache)  # type: ignore[arg-type]
    assert first.verdict is RecognitionVerdict.VALID and cache.get(cose) == first.recognition
    withdrawn = replace(SGS, keys=(replace(SGS_KEY.record, withdrawn_at=NOW),))
    later = [
        check_recognition(cose, BASE_COSE, BASE, Verdict.VALID, (withdrawn,), NOW, cache=cache),
        check_recognition(cose, BASE_COSE, BASE, Verdict.VALID, (), NOW, cache=cache),
        check_recognition(cose, BASE_COSE, BASE, Verdict.REVOKED, BODIES, NOW, cache=cache),
        check_recognition(cose, BASE_COSE, BASE, Verdict.VALID, BODIES, NOW, StatusState.REVOKED, cache),
        check_recognition(cose, flip_byte(BASE_COSE), BASE, Verdict.VALID, BODIES, NOW, cache=cache),
        check_recognition(cose, BASE_COSE, BASE, Verdict.VALID, BODIES, NOW + timedelta(days=3650), cache=cache),
    ]  # type: ignore[arg-type]
    assert [r.reason.value for r in later] == ["unknown_key", "unknown_key", "base_not_valid", "revoked_by_body",
                                               "not_this_certificate", "past_validity"]  # fmt: skip
    for n in range(3):  # bounded
        check_recognition(seal_recognition(_recognition(number=f"N-{n}"), SGS_KEY), BASE_COSE, BASE, Verdict.VALID,
                          BODIES, NOW, cache=cache)  # type: ignore[arg-type]  # fmt: skip
    assert cache.get(cose) is None and len(cache._entries) == 2


def flip_byte(data: bytes) -> bytes:
    return data[:-1] + bytes([data[-1] ^ 1])
