"""``verifier recognise``: a partner body signs a recognition offline with its own key file, and the check of
section 11 accepts it for that certificate only; what it cannot sign is refused with a clear line."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

from tests.helpers import CURRENT, PUBLIC_URL
from tests.helpers.cli import run_cli
from verifier.certificate.model import parse_certificate
from verifier.issuing.recipe import seal_certificate
from verifier.seal.claims import claims_from_cbor
from verifier.seal.cose import decode_cose, decode_segment
from verifier.trust.keys import new_signing_key, private_key_pem
from verifier.trust.parties import Recogniser
from verifier.verdict import Verdict
from verifier.verification.recognition import RecognitionVerdict, check_recognition


def test_a_body_signs_a_recognition_offline(tmp_path: Path) -> None:
    issuer = new_signing_key(datetime(2025, 1, 1, tzinfo=UTC))
    sealed = seal_certificate(parse_certificate(CURRENT["international-cooperation-valve"]), issuer, PUBLIC_URL,
                              datetime(2026, 1, 10, tzinfo=UTC), 99)  # fmt: skip
    body = new_signing_key(datetime(2025, 1, 1, tzinfo=UTC))
    (tmp_path / "sgs.pem").write_bytes(private_key_pem(body.private_key))
    env = {**os.environ, "VERIFIER_KEYS_DIR": str(tmp_path / "keys"), "VERIFIER_DATA_DIR": str(tmp_path / "data")}
    out = tmp_path / "recognition.cose"
    ran = run_cli("recognise", sealed.qr_text, "--key", tmp_path / "sgs.pem", "--number", "SGS-DE-2026-0001",
                  "--markets", "de, fr", "--basis", "EN 12266-1:2012", "--basis", "EN 13828:2003", "--out", out,
                  env=env)  # fmt: skip
    assert ran.returncode == 0, ran.stderr
    shown = json.loads(ran.stdout)
    assert shown["kid"] == body.record.kid_hex and shown["recognition"]["markets"] == ["DE", "FR"]
    base = claims_from_cbor(decode_cose(sealed.cose).payload)
    assert shown["recognition"]["valid_until"] == base.valid_until.isoformat()  # the certificate's, by default
    sgs = Recogniser("sgs", "通标", "SGS", "CH", (body.record,), frozenset({"DE", "FR"}),
                     frozenset({"international-cooperation"}))  # fmt: skip
    result = check_recognition(out.read_bytes(), sealed.cose, base, Verdict.VALID, (sgs,), datetime.now(UTC))
    assert result.verdict is RecognitionVerdict.VALID, result.detail
    assert decode_segment(sealed.qr_text.rsplit("/", 1)[1]) == sealed.cose
    other = seal_certificate(parse_certificate(CURRENT["international-cooperation-valve"]), issuer, PUBLIC_URL,
                             datetime(2026, 1, 11, tzinfo=UTC), 100)  # fmt: skip
    replayed = check_recognition(out.read_bytes(), other.cose, base, Verdict.VALID, (sgs,), datetime.now(UTC))
    assert replayed.reason.value == "not_this_certificate"


def test_what_cannot_be_signed_is_refused_in_one_line(tmp_path: Path) -> None:
    issuer = new_signing_key(datetime(2025, 1, 1, tzinfo=UTC))
    sealed = seal_certificate(parse_certificate(CURRENT["international-cooperation-valve"]), issuer, PUBLIC_URL,
                              datetime(2026, 1, 10, tzinfo=UTC), 99)  # fmt: skip
    key = tmp_path / "sgs.pem"
    key.write_bytes(private_key_pem(new_signing_key(datetime(2025, 1, 1, tzinfo=UTC)).private_key))
    env = {**os.environ, "VERIFIER_KEYS_DIR": str(tmp_path / "keys"), "VERIFIER_DATA_DIR": str(tmp_path / "data")}
    common = ["--number", "N-1", "--basis", "EN 1", "--out", str(tmp_path / "r.cose")]
    cases = [
        ([sealed.qr_text, "--key", str(key), "--markets", "XX", *common], "not well formed"),
        ([sealed.qr_text, "--key", str(key), "--markets", "DE", "--valid-until", "2099-12-31", *common],
         "within the certificate's validity"),
        (["https://example.org/c/NOT-A-SEAL", "--key", str(key), "--markets", "DE", *common], "not a certificate"),
        ([sealed.qr_text, "--key", str(tmp_path / "missing.pem"), "--markets", "DE", *common], "missing.pem"),
    ]  # fmt: skip
    (tmp_path / "bad.pem").write_text("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
    cases.append(([sealed.qr_text, "--key", str(tmp_path / "bad.pem"), "--markets", "DE", *common], "bad.pem"))
    for argv, words in cases:
        ran = run_cli("recognise", *argv, env=env)
        assert ran.returncode == 2 and words in ran.stderr and "Traceback" not in ran.stderr, (argv, ran.stderr)
        assert len(ran.stderr.strip().splitlines()) == 1
