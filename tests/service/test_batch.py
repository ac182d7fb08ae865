"""The customs desk's batch: every verdict in one call, each equal to its single check; bad items and attacks.

``POST /api/v1/verify/batch`` on the service in process: a mix of every verdict (valid, suspended,
revoked, expired, not yet valid, forged, unknown issuer, stolen key, malformed) as QR texts, credentials
and numbers with credit codes; duplicates; 1,000 items of 4 KB; JSON nested deep; the limit by items.
"""

from __future__ import annotations

import json
import time
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import CURRENT, PUBLIC_URL, Service, make_settings, running_service
from verifier.certificate.model import parse_certificate
from verifier.seal.claims import claims_to_cbor, sealed_content
from verifier.seal.cose import encode_text, sign
from verifier.trust.keys import KeyStore, new_signing_key
from verifier.trust.trustlist import TrustList

KETTLE = CURRENT["zhejiang-made-kettle"]
BATCH = "/api/v1/verify/batch"


def issue(service: Service, issuer: dict[str, str], **changes: Any) -> dict[str, Any]:
    made = service.client.post("/api/v1/certificates", json={**KETTLE, **changes}, headers=issuer)
    assert made.status_code == 201, made.text
    return dict(made.json())


def single(service: Service, item: Any) -> dict[str, Any]:
    """The item's single check, as ``POST /api/v1/verify`` answers it."""
    body = {"qr": item} if isinstance(item, str) else item
    answer = service.client.post("/api/v1/verify", json=body)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def batch(service: Service, items: list[Any], **more: Any) -> dict[str, Any]:
    answer = service.client.post(BATCH, json={"items": items, **more})
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def logged(service: Service, qr: str) -> None:
    """Wait until the log's checkpoint covers the certificate (its standing then stays put)."""
    for _ in range(100):
        if single(service, qr)["log"]["state"] != "pending":
            return
        time.sleep(0.05)
    raise AssertionError("the log never covered the certificate")


def stolen_key_seal(service: Service, number: str) -> str:
    """A seal made with the issuer's own key for a certificate the registry never issued."""
    keys = KeyStore(service.settings.keys_dir)
    trust = TrustList.from_document(service.client.get("/api/v1/trust-list").content,
                                    [keys.keyring("operator").active.public_key])  # fmt: skip
    key = keys.private_key("zjcert", trust.issuers[0].keys[-1])
    content = sealed_content(parse_certificate(dict(KETTLE, number=number)), service.clock.now)
    return encode_text(sign(claims_to_cbor(content), key), PUBLIC_URL)


@pytest.fixture
def every_verdict(service: Service) -> dict[str, Any]:
    """One certificate (or text) of each verdict, the clock three days on (so one has expired)."""
    issuer = service.issuer()
    today = datetime.now(UTC).date()
    made = {
        "valid": issue(service, issuer, number="B-VALID"),
        "suspended": issue(service, issuer, number="B-SUSP"),
        "revoked": issue(service, issuer, number="B-REV"),
        "expired": issue(service, issuer, number="B-EXP", valid_until=(today + timedelta(days=1)).isoformat()),
        "not_yet_valid": issue(service, issuer, number="B-LATER", valid_from=(today + timedelta(days=30)).isoformat()),
    }  # fmt: skip
    for name, action, reason in (("suspended", "suspend", "investigation"), ("revoked", "revoke", "fraud")):
        answer = service.client.post(f"/api/v1/certificates/{made[name]['id']}/{action}",
                                     json={"reason": reason}, headers=issuer)  # fmt: skip
        assert answer.status_code == 200, answer.text
    qr = made["valid"]["qr"]
    stranger = new_signing_key(datetime(2024, 1, 1, tzinfo=UTC))
    content = sealed_content(parse_certificate(dict(KETTLE, number="B-STRANGER")), service.clock.now)
    texts = {name: m["qr"] for name, m in made.items()}
    texts["invalid"] = qr[:-10] + ("A" if qr[-10] != "A" else "B") + qr[-9:]  # inside the signature
    texts["unknown_issuer"] = encode_text(sign(claims_to_cbor(content), stranger), PUBLIC_URL)
    texts["unregistered"] = stolen_key_seal(service, "B-STOLEN")
    texts["malformed"] = "HELLO"
    for m in made.values():
        logged(service, m["qr"])
    service.clock.now = service.clock.now + timedelta(days=3)
    return {"made": made, "texts": texts, "issuer": issuer}


def without_position(found: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in found.items() if k not in ("position", "input", "input_sha256", "duplicate_of")}


def test_every_verdict_in_one_batch_equals_its_single_check(service: Service, every_verdict: dict[str, Any]) -> None:
    texts, made = every_verdict["texts"], every_verdict["made"]
    envelope = service.client.get(made["valid"]["credential_url"].removeprefix(PUBLIC_URL)).json()
    jwt = envelope["id"].removeprefix("data:application/vc+jwt,")
    credit = KETTLE["holder"]["credit_code"]
    items: list[Any] = [texts[v] for v in sorted(texts)]
    items += [
        {"qr": texts["valid"]},  # the same text as an object: the same input
        {"credential": envelope},
        {"credential": jwt},
        jwt,  # a JWT where a QR text would be: a credential, as /api/v1/verify reads it
        {"number": "B-SUSP", "credit_code": credit.lower()},
        {"number": "B-SUSP", "credit_code": "91330100MA27XK3L0B"},  # another holder's: nothing found
        {"number": "B-VALID"},  # a number alone finds nothing, and says why
        42,
        {"qr": "A", "credential": "B"},
    ]
    found = batch(service, items)
    assert found["count"] == len(items) and len(found["results"]) == len(items)
    results = found["results"]
    assert [r["position"] for r in results] == list(range(1, len(items) + 1))
    for item, result, name in zip(items[:9], results[:9], sorted(texts), strict=True):
        assert result["verdict"] == name, (name, result["detail"])
        assert without_position(result) == single(service, item), name
    valid = texts["valid"]
    assert results[9]["duplicate_of"] == sorted(texts).index("valid") + 1
    assert without_position(results[9]) == single(service, valid)
    assert without_position(results[10]) == single(service, {"credential": envelope})
    assert results[10]["verdict"] == "valid" and results[10]["input"] == "credential"
    assert results[11]["duplicate_of"] == 11 and results[12]["duplicate_of"] == 11  # one JWT, however sent
    assert results[13]["input"] == "number" and without_position(results[13]) == single(service, texts["suspended"])
    assert results[14]["verdict"] == "unregistered" and results[14]["reason"] == "not_in_registry"
    assert results[14]["signature"]["valid"] is None
    assert [r["verdict"] for r in results[15:]] == ["malformed"] * 3
    assert "credit code" in results[15]["detail"]
    assert all(r["input"] == "unreadable" for r in results[15:])
    assert found["verdicts"]["valid"] == 5 and found["verdicts"]["malformed"] == 4
    assert found["report"] is None
    assert all(r["checked_at"] == found["checked_at"] for r in results)


def test_a_thousand_items_of_4_kb_each_answered(service: Service) -> None:
    items = [("HTTPS://X/C/1" + "A" * 4090 + str(i))[:4096] for i in range(1000)]
    found = batch(service, items)
    assert found["count"] == 1000 and {r["reason"] for r in found["results"]} == {"too_large"}
    assert [r["position"] for r in found["results"]] == list(range(1, 1001))


def test_what_is_not_a_batch_is_refused_whole(service: Service) -> None:
    post = service.client.post
    deep = "[" * 100_000 + "]" * 100_000
    for body, field in (
        (b'{"items": ' + deep.encode() + b"}", "body"),
        (b"[1, 2]", "body"),
        (b'{"items": []}', "items"),
        (b'{"items": "HELLO"}', "items"),
        (json.dumps({"items": ["X"] * 1001}).encode(), "items"),
        (b'{"items": ["X"], "report": "yes"}', "report"),
        (b'{"items": ["X"], "lang": "en"}', "lang"),
        (b'{"items": ["X"], "reference": 5}', "reference"),
        (b'{"items": ["X"], "reference": "2026\\nZJ"}', "reference"),  # a line break in what is printed
        (json.dumps({"items": ["X"], "reference": "R" * 101}).encode(), "reference"),
        (b'{"items": ["X"], "items": ["Y"]}', "body"),  # a member twice: two readers, two batches
        (b"\xff\xfe", "body"),
    ):
        answer = post(BATCH, content=body, headers={"Content-Type": "application/json"})
        assert answer.status_code == 422, (body[:40], answer.text)
        assert answer.json()["fields"][0]["field"] == field
    too_big = post(BATCH, content=b'{"items": ["' + b"A" * (7 * 1024 * 1024) + b'"]}')
    assert too_big.status_code == 413


def test_an_item_nested_deep_is_one_bad_item(service: Service) -> None:
    deep: Any = "x"
    for _ in range(400):
        deep = {"a": deep}
    found = batch(service, [{"credential": deep}, {"qr": "HELLO"}, [[[["x"]]]]])
    assert [r["verdict"] for r in found["results"]] == ["malformed"] * 3


def test_the_limit_counts_items_not_requests(tmp_path: Path, service_database: str) -> None:
    settings = make_settings(tmp_path, service_database)
    serving = contextmanager(running_service)
    with serving(replace(settings, batch_rate_limit=(10, 60.0), report_rate_limit=(1, 3600.0))) as service:
        assert batch(service, ["X"] * 8)["count"] == 8
        refused = service.client.post(BATCH, json={"items": ["X"] * 5})
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0
        assert refused.json()["error"] == "rate_limited"
        assert batch(service, ["X"] * 2)["count"] == 2  # a refused batch took nothing
        assert service.client.post(BATCH, json={"items": ["X"]}).status_code == 429
    with serving(replace(settings, batch_rate_limit=None, report_rate_limit=(1, 3600.0))) as service:
        assert batch(service, ["X"], report=True)["report"] is not None
        assert service.client.post(BATCH, json={"items": ["X"], "report": True}).status_code == 429
        assert batch(service, ["X"])["report"] is None  # checks go on without a report


def test_a_batch_is_counted_per_item_in_the_metrics(service: Service) -> None:
    batch(service, ["HELLO", "HELLO", "WORLD"])
    text = service.client.get("/metrics", headers=service.admin).text
    assert 'verifier_verifications_total{verdict="malformed",via="batch"} 2.0' in text  # the twin is not checked


def test_numbers_are_not_walked_through(service: Service) -> None:
    issuer = service.issuer()
    issue(service, issuer, number="B-NUM-1")
    wrong = batch(service, [{"number": f"B-NUM-{i}", "credit_code": "91330100MA27XK3L0B"} for i in range(5)])
    assert {r["verdict"] for r in wrong["results"]} == {"unregistered"}
    assert all(r["certificate"] is None and r["registered"] is None for r in wrong["results"])
    right = batch(service, [{"number": "B-NUM-1", "credit_code": KETTLE["holder"]["credit_code"]}])
    assert right["results"][0]["verdict"] == "valid"
    assert right["results"][0]["certificate"]["number"] == "B-NUM-1"
