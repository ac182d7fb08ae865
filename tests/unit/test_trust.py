"""The trust list: signed by the operator, checked against pinned keys before anything is trusted."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.helpers import DEMO, PUBLIC_URL, SEALED_AT
from verifier import Verdict, verify
from verifier.certificate.model import parse_certificate
from verifier.errors import TrustListError
from verifier.issuing.recipe import seal_certificate
from verifier.tlog.note import COSIGNATURE, ED25519, NoteKey
from verifier.tlog.proof import LogPolicy
from verifier.trust.keys import Keyring, SigningKey, new_signing_key
from verifier.trust.parties import Recogniser
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
    data["trust_list"]["parties"][0]["name_en"] = "Someone Else"
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
    data["trust_list"]["format"] = 5
    from verifier.trust.keys import b64url

    data["signature"]["value"] = b64url(operator_key.private_key.sign(canonical_json(data["trust_list"])))
    with pytest.raises(TrustListError, match="unsupported trust list format 5: this verifier reads formats 2 to 4"):
        TrustList.from_document(json.dumps(data).encode(), [operator_key.record.public_key])


def test_parties_with_roles_and_remits_round_trip(trust_list: TrustList, operator_key: SigningKey) -> None:
    """Format 3: a recognising body, and an issuer that recognises too, keep their roles, remits and keys."""
    body_key = new_signing_key(datetime(2024, 1, 1, tzinfo=UTC))
    (issuer,) = trust_list.issuers
    both = Recogniser(issuer.info.id, issuer.info.name, issuer.info.name_en, "CN", issuer.keys, frozenset({"DE"}),
                      frozenset({"zhejiang-made"}))  # fmt: skip
    sgs = Recogniser("sgs", "通标", "SGS", "CH", (body_key.record,), frozenset({"DE", "FR"}),
                     frozenset({"international-cooperation"}))  # fmt: skip
    listed = replace(trust_list, recognisers=(sgs, both))  # in the order of their ids, as the list writes them
    document = listed.to_document(operator_key)
    parties = json.loads(document)["trust_list"]["parties"]
    assert [(p["id"], p["roles"], p["remit"]) for p in parties] == [
        ("sgs", ["recognise"], {"markets": ["DE", "FR"], "schemes": ["international-cooperation"]}),
        ("zjcert", ["issue", "recognise"], {"markets": ["DE"], "schemes": ["zhejiang-made"]}),
    ]
    again = TrustList.from_document(document, [operator_key.record.public_key])
    assert again == listed
    assert again.key(body_key.kid) is None  # a recogniser's key seals no certificate
    assert again.recogniser("sgs") == sgs and again.recogniser("zjcert") == both


def test_format_2_is_still_read_and_written(trust_list: TrustList, operator_key: SigningKey) -> None:
    """For verifiers of format 2 the service still publishes it (issuers only); this reader reads both."""
    sgs = Recogniser("sgs", "通标", "SGS", "CH", (new_signing_key(datetime(2024, 1, 1, tzinfo=UTC)).record,),
                     frozenset({"DE"}), frozenset({"international-cooperation"}))  # fmt: skip
    document = replace(trust_list, recognisers=(sgs,)).to_document(operator_key, 2)
    content = json.loads(document)["trust_list"]
    assert content["format"] == 2 and [i["id"] for i in content["issuers"]] == ["zjcert"]
    assert set(content) == {"format", "version", "issued_at", "expires_at", "public_urls", "issuers"}
    assert TrustList.from_document(document, [operator_key.record.public_key]) == trust_list


def _log_policy(witnesses: int = 2, quorum: int = 1) -> LogPolicy:
    at = datetime(2024, 1, 1, tzinfo=UTC)
    log = NoteKey.of("verifier.example/log", ED25519, new_signing_key(at).private_key)
    named = tuple(NoteKey.of(f"w{n}.example", COSIGNATURE, new_signing_key(at).private_key) for n in range(witnesses))
    return LogPolicy(log.name, log, named, quorum)


def test_format_4_names_the_log_and_its_witness_policy(trust_list: TrustList, operator_key: SigningKey) -> None:
    listed = replace(trust_list, log=_log_policy())
    document = listed.to_document(operator_key)
    log = json.loads(document)["trust_list"]["log"]
    assert log["origin"] == "verifier.example/log" and log["quorum"] == 1
    assert log["key"] == listed.log.key.vkey() and len(log["witnesses"]) == 2  # type: ignore[union-attr]
    assert TrustList.from_document(document, [operator_key.record.public_key]) == listed
    # Format 3 (for verifiers of spec 1.3) is the same without the log; format 4 may say there is none.
    older = json.loads(listed.to_document(operator_key, 3))["trust_list"]
    assert older["format"] == 3 and "log" not in older
    assert TrustList.from_document(listed.to_document(operator_key, 3), [operator_key.record.public_key]).log is None
    assert json.loads(trust_list.to_document(operator_key))["trust_list"]["log"] is None


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda log: log | {"origin": "elsewhere.example/log"}, "not its origin"),
        (lambda log: log | {"witnesses": [log["witnesses"][0]] * 2}, "listed twice"),
        (lambda log: log | {"quorum": 3}, "cannot be met"),
        (lambda log: log | {"key": log["key"] + " "}, "nothing around it"),
        (lambda log: log | {"key": log["witnesses"][0]}, "not its origin"),
        (lambda log: log | {"witnesses": [log["key"]]}, "cosign with cosignature keys"),
        (lambda log: log | {"key": "x" * 600}, "log.key"),
        (lambda log: log | {"quorum": -1}, "log.quorum"),
        (lambda log: {k: v for k, v in log.items() if k != "quorum"}, "log.quorum"),
    ],
    ids=[
        "origin",
        "witness twice",
        "quorum",
        "white space",
        "witness as log",
        "log as witness",
        "long",
        "negative",
        "missing",
    ],
)
def test_a_log_policy_that_cannot_be_is_refused(
    trust_list: TrustList, operator_key: SigningKey, change: Any, words: str
) -> None:
    from verifier.trust.keys import b64url
    from verifier.trust.trustlist import canonical_json

    data = json.loads(replace(trust_list, log=_log_policy()).to_document(operator_key))
    data["trust_list"]["log"] = change(data["trust_list"]["log"])
    data["signature"]["value"] = b64url(operator_key.private_key.sign(canonical_json(data["trust_list"])))
    with pytest.raises(TrustListError, match=words):
        TrustList.from_document(json.dumps(data).encode(), [operator_key.record.public_key])


def test_a_party_listed_with_two_key_sets_is_refused(trust_list: TrustList) -> None:
    (issuer,) = trust_list.issuers
    other = Recogniser(issuer.info.id, issuer.info.name, issuer.info.name_en, "CN",
                       (new_signing_key(datetime(2024, 1, 1, tzinfo=UTC)).record,), frozenset({"DE"}),
                       frozenset({"zhejiang-made"}))  # fmt: skip
    with pytest.raises(TrustListError, match="two sets of keys"):
        replace(trust_list, recognisers=(other,))


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
