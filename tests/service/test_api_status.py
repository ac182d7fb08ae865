"""The status lifecycle over HTTP: each transition × each caller, and each verdict, on both databases."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.helpers import DEMO, PUBLIC_URL, Service
from verifier.certificate.model import parse_certificate
from verifier.seal.claims import claims_to_cbor, sealed_content
from verifier.seal.cose import encode_text, sign
from verifier.trust.keys import KeyStore, new_signing_key

KETTLE = DEMO["zhejiang-made-kettle"]
IN_FORCE = datetime(2025, 6, 1, tzinfo=UTC)


def issue(service: Service, headers: dict[str, str], data: dict[str, Any] = KETTLE) -> dict[str, Any]:
    answer = service.client.post("/api/v1/certificates", json=data, headers=headers)
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def verdict(service: Service, qr: str) -> dict[str, Any]:
    answer = service.client.post("/api/v1/verify", json={"qr": qr})
    assert answer.status_code == 200
    if "/" in qr:
        page = service.client.get(f"/c/{qr.rsplit('/', 1)[1]}", headers={"Accept": "application/json"})
        assert page.status_code == 200
        if qr.upper().startswith(PUBLIC_URL.upper()):  # the page knows only its own links
            assert page.json()["verdict"] == answer.json()["verdict"]
    return dict(answer.json())


def change(service: Service, cid: str, action: str, headers: dict[str, str], reason: str) -> Any:
    return service.client.post(f"/api/v1/certificates/{cid}/{action}", json={"reason": reason}, headers=headers)


REASON = {"suspend": "investigation", "reinstate": "cleared", "revoke": "non_conformity"}
# (state before, action) -> state after, or None when the transition is refused (409)
TRANSITIONS = {
    ("active", "suspend"): "suspended",
    ("active", "reinstate"): None,
    ("active", "revoke"): "revoked",
    ("suspended", "suspend"): None,
    ("suspended", "reinstate"): "active",
    ("suspended", "revoke"): "revoked",
    ("revoked", "suspend"): None,
    ("revoked", "reinstate"): None,
    ("revoked", "revoke"): None,
}
VERDICT_OF_STATE = {"active": "valid", "suspended": "suspended", "revoked": "revoked"}
CALLERS = ["owner", "other issuer", "no token", "withdrawn token", "operator token"]
EXPECTED_FOR_CALLER = {"other issuer": 404, "no token": 401, "withdrawn token": 401, "operator token": 403}

CASES = {
    f"{state} + {action} by {caller}": (state, action, caller) for (state, action) in TRANSITIONS for caller in CALLERS
}


def bring_to(service: Service, cid: str, state: str, owner: dict[str, str]) -> None:
    if state in ("suspended", "revoked"):
        assert change(service, cid, "suspend", owner, "investigation").status_code == 200
    if state == "revoked":
        assert change(service, cid, "revoke", owner, "fraud").status_code == 200


@pytest.mark.parametrize("case", sorted(CASES), ids=str)
def test_transition_matrix(case: str, service: Service) -> None:
    state, action, caller = CASES[case]
    service.clock.now = IN_FORCE
    owner = service.issuer("zjcert")
    other = service.issuer("other")
    certificate = issue(service, owner)
    cid, qr = certificate["id"], certificate["qr"]
    bring_to(service, cid, state, owner)
    headers = {
        "owner": owner,
        "other issuer": other,
        "no token": {},
        "operator token": service.admin,
    }.get(caller)
    if caller == "withdrawn token":
        made = service.client.post("/api/v1/issuers/zjcert/tokens", json={"label": "x"}, headers=service.admin)
        assert made.status_code == 201
        withdrawn = service.client.post(
            f"/api/v1/issuers/zjcert/tokens/{made.json()['id']}/withdraw", headers=service.admin
        )
        assert withdrawn.status_code == 204
        headers = {"Authorization": f"Bearer {made.json()['token']}"}
    assert headers is not None
    answer = change(service, cid, action, headers, REASON[action])
    after = TRANSITIONS[(state, action)]
    if caller != "owner":
        assert answer.status_code == EXPECTED_FOR_CALLER[caller], answer.text
        after = state
    elif after is None:
        assert answer.status_code == 409, answer.text
        after = state
    else:
        assert answer.status_code == 200, answer.text
        assert answer.json()["status"] == after
    # The very next request sees the state, in the registry and in the verdict.
    assert service.client.get(f"/api/v1/certificates/{cid}", headers=owner).json()["status"] == after
    assert verdict(service, qr)["verdict"] == VERDICT_OF_STATE[after]


def test_revocation_is_final_and_keeps_its_first_reason(service: Service) -> None:
    service.clock.now = IN_FORCE
    owner = service.issuer()
    certificate = issue(service, owner)
    first = change(service, certificate["id"], "revoke", owner, "fraud")
    assert first.status_code == 200
    since = first.json()["status_detail"]["since"]
    assert change(service, certificate["id"], "revoke", owner, "other").status_code == 409
    answer = verdict(service, certificate["qr"])
    assert answer["status"]["reason"] == "fraud"
    assert answer["status"]["since"] == since
    assert answer["reason"] == "revoked"


@pytest.mark.parametrize("action", ["suspend", "reinstate", "revoke"])
def test_unknown_reason_is_422(action: str, service: Service) -> None:
    owner = service.issuer()
    certificate = issue(service, owner)
    answer = change(service, certificate["id"], action, owner, "because")
    assert answer.status_code == 422
    assert answer.json()["fields"][0]["field"] == "reason"


def test_every_verdict_online(service: Service, tmp_path: Any) -> None:
    service.clock.now = datetime(2024, 6, 1, tzinfo=UTC)  # the exemption in force when issued (it ended 2024-11-05)
    owner = service.issuer()
    kettle = issue(service, owner)
    exemption = issue(service, owner, DEMO["ccc-exemption-samples"])
    qr = kettle["qr"]
    service.clock.now = IN_FORCE
    assert verdict(service, qr)["verdict"] == "valid"
    service.clock.now = datetime(2030, 1, 1, tzinfo=UTC)
    assert verdict(service, qr)["verdict"] == "expired"
    service.clock.now = datetime(2024, 1, 1, tzinfo=UTC)
    assert verdict(service, exemption["qr"])["verdict"] == "not_yet_valid"
    service.clock.now = IN_FORCE
    flipped = qr[:-10] + ("A" if qr[-10] != "A" else "B") + qr[-9:]  # inside the signature
    assert verdict(service, flipped)["verdict"] == "invalid"
    # signed by a key nobody vouches for
    content = sealed_content(parse_certificate(KETTLE), IN_FORCE)
    stranger = new_signing_key(datetime(2024, 1, 1, tzinfo=UTC))
    unknown = encode_text(sign(claims_to_cbor(content), stranger), PUBLIC_URL)
    assert verdict(service, unknown)["verdict"] == "unknown_issuer"
    # signed with the issuer's real key, but never registered: a stolen key
    key = KeyStore(service.settings.keys_dir).private_key("zjcert", _active_record(service))
    forged = dict(KETTLE, number="ZJM-2024-9999")
    service.clock.now = datetime.now(UTC)  # inside the key's window and the kettle's validity
    content = sealed_content(parse_certificate(forged), service.clock.now)
    stolen = encode_text(sign(claims_to_cbor(content), key), PUBLIC_URL)
    answer = verdict(service, stolen)
    assert answer["verdict"] == "unregistered"
    assert answer["signature"]["valid"] is True
    assert verdict(service, "HELLO")["verdict"] == "malformed"
    assert verdict(service, "x" * 5000)["reason"] == "too_large"


def _active_record(service: Service) -> Any:
    from verifier.trust.trustlist import TrustList

    document = service.client.get("/api/v1/trust-list").content
    data = json.loads(document)
    kid = data["trust_list"]["parties"][0]["keys"][-1]["kid"]
    trust = TrustList.from_document(
        document, [KeyStore(service.settings.keys_dir).keyring("operator").active.public_key]
    )
    found = trust.key(bytes.fromhex(kid))
    assert found is not None
    return found.record
