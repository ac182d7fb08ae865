"""The trust list: signed by the operator, checked against pinned keys before anything is trusted."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from tests.helpers import DEMO, PUBLIC_URL, SEALED_AT
from verifier import Verdict, verify
from verifier.certificate.model import parse_certificate
from verifier.errors import TrustListError
from verifier.issuing.recipe import seal_certificate
from verifier.trust.keys import Keyring, SigningKey, new_signing_key
from verifier.trust.trustlist import MAX_DOCUMENT_BYTES, TrustList, build_trust_list
from verifier.verdict import IssuerInfo

INFO = IssuerInfo("zjcert", "浙江省产品认证中心", "Zhejiang Product Certification Centre")


def test_round_trip(trust_list: TrustList, operator_key: SigningKey) -> None:
    document = trust_list.to_document(operator_key)
    again = TrustList.from_document(document, [operator_key.record.public_key])
    assert again == trust_list
    assert again.to_document(operator_key) == document


def test_tampered_content_is_refused(trust_list: TrustList, operator_key: SigningKey) -> None:
    data = json.loads(trust_list.to_document(operator_key))
    data["trust_list"]["issuers"][0]["name_en"] = "Someone Else"
    with pytest.raises(TrustListError, match="does not verify"):
        TrustList.from_document(json.dumps(data).encode(), [operator_key.record.public_key])


def test_signed_by_an_unpinned_key_is_refused(trust_list: TrustList, operator_key: SigningKey) -> None:
    stranger = new_signing_key(datetime(2024, 1, 1, tzinfo=UTC))
    with pytest.raises(TrustListError, match="not a pinned operator key"):
        TrustList.from_document(trust_list.to_document(stranger), [operator_key.record.public_key])


def test_rotated_operator_keys_both_pin(trust_list: TrustList, operator_key: SigningKey) -> None:
    successor = new_signing_key(datetime(2025, 1, 1, tzinfo=UTC))
    pinned = [operator_key.record.public_key, successor.record.public_key]
    assert TrustList.from_document(trust_list.to_document(successor), pinned) == trust_list


@pytest.mark.parametrize(
    "document",
    [b"", b"not json", b"[]", b'{"trust_list": {}, "signature": {}}', b"[" * 100000, b" " * (MAX_DOCUMENT_BYTES + 1)],
    ids=["empty", "text", "array", "empty objects", "deep nesting", "oversized"],
)
def test_garbage_is_refused(document: bytes, operator_key: SigningKey) -> None:
    with pytest.raises(TrustListError):
        TrustList.from_document(document, [operator_key.record.public_key])


def test_unknown_format_is_refused(trust_list: TrustList, operator_key: SigningKey) -> None:
    from verifier.trust.trustlist import canonical_json

    data = json.loads(trust_list.to_document(operator_key))
    data["trust_list"]["format"] = 3
    from verifier.trust.keys import b64url

    data["signature"]["value"] = b64url(operator_key.private_key.sign(canonical_json(data["trust_list"])))
    with pytest.raises(TrustListError, match="format 3"):
        TrustList.from_document(json.dumps(data).encode(), [operator_key.record.public_key])


def test_rotated_issuer_key_keeps_old_certificates_valid() -> None:
    old = new_signing_key(datetime(2024, 1, 1, tzinfo=UTC))
    new = new_signing_key(datetime(2024, 3, 1, tzinfo=UTC))
    ring = Keyring("zjcert", (old.record,), old.kid).rotated(new.record, datetime(2024, 3, 1, tzinfo=UTC))
    trust_list = build_trust_list([(INFO, ring)], [PUBLIC_URL], datetime(2024, 5, 1, tzinfo=UTC))
    certificate = parse_certificate(DEMO["zhejiang-made-kettle"])
    before = seal_certificate(certificate, old, PUBLIC_URL, SEALED_AT).qr_text
    after = seal_certificate(certificate, new, PUBLIC_URL, datetime(2024, 4, 1, tzinfo=UTC)).qr_text
    at = datetime(2024, 6, 1, tzinfo=UTC)
    assert verify(before, trust_list, at).verdict is Verdict.VALID
    assert verify(after, trust_list, at).verdict is Verdict.VALID
    assert trust_list.age_seconds(at) == 31 * 86400
