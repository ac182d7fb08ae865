"""A stolen key withdrawn: the published trust list drops it, so offline checks refuse even backdated forgeries.

Online, certificates the registry issued with it stay valid, and any other seal made with it is
unregistered, so the service's own checks need no trust in the key at all.
"""

from __future__ import annotations

from datetime import timedelta

from tests.helpers import DEMO, Service
from tests.helpers.service import audit_rows
from verifier.certificate.model import parse_certificate
from verifier.issuing.recipe import seal_certificate
from verifier.trust.keys import KeyStore, load_public_key_pem, public_key_pem
from verifier.trust.trustlist import TrustList
from verifier.verification.check import verify

KETTLE = DEMO["zhejiang-made-kettle"]


def published(service: Service) -> TrustList:
    """The trust list as an offline verifier downloads and checks it."""
    operator = KeyStore(service.settings.keys_dir).keyring("operator").active.public_key
    document = service.client.get("/api/v1/trust-list").content
    return TrustList.from_document(document, [load_public_key_pem(public_key_pem(operator))])


def test_withdrawn_key_leaves_the_published_trust_list(service: Service) -> None:
    issuer = service.issuer()
    genuine = service.client.post("/api/v1/certificates", json=KETTLE, headers=issuer).json()
    stolen_kid = genuine["kid"]
    before = published(service)
    (stolen,) = [k for k in before.issuers[0].keys if k.kid_hex == stolen_kid]

    service.clock.now += timedelta(minutes=5)
    answer = service.client.post(f"/api/v1/issuers/zjcert/keys/{stolen_kid}/withdraw", headers=service.admin)
    assert answer.status_code == 200, answer.text
    withdrawn = answer.json()
    assert withdrawn["withdrawn_kid"] == stolen_kid and withdrawn["active_kid"] != stolen_kid
    after = published(service)
    assert [k.kid_hex for k in after.issuers[0].keys] == [withdrawn["active_kid"]]

    # The thief seals a certificate of their own, dated inside the stolen key's old window.
    thief_key = KeyStore(service.settings.keys_dir).private_key("zjcert", stolen)
    forged_content = parse_certificate({**KETTLE, "number": "ZJM-2024-9999"})
    forged = seal_certificate(forged_content, thief_key, service.settings.public_url, stolen.not_before)
    now = service.clock.now

    def online(qr: str) -> str:
        return str(service.client.post("/api/v1/verify", json={"qr": qr}).json()["verdict"])

    assert online(forged.qr_text) == "unregistered"
    assert online(genuine["qr"]) == "valid"  # the registry issued it: genuine, whichever key sealed it
    assert verify(forged.qr_text, after, now).verdict.value == "unknown_issuer"
    assert verify(genuine["qr"], after, now).verdict.value == "unknown_issuer"  # reissue it for offline use
    assert verify(forged.qr_text, before, now).verdict.value == "valid"  # why offline lists must be refreshed

    reissued = service.client.post("/api/v1/certificates", json={**KETTLE, "number": "ZJM-2024-0318"},
                                   headers=issuer).json()  # fmt: skip
    assert reissued["kid"] == withdrawn["active_kid"]
    assert verify(reissued["qr"], after, now).verdict.value == "valid"
    assert online(reissued["qr"]) == "valid"
    entry = next(e for e in audit_rows(service) if e["action"] == "key.withdraw")
    assert entry["detail"]["kid"] == stolen_kid and entry["detail"]["new_kid"] == withdrawn["active_kid"]


def test_withdrawing_a_retired_key_keeps_the_active_one(service: Service) -> None:
    issuer = service.issuer()
    old = service.client.post("/api/v1/certificates", json=KETTLE, headers=issuer).json()["kid"]
    rotated = service.client.post("/api/v1/issuers/zjcert/keys/rotate", headers=service.admin).json()["kid"]
    answer = service.client.post(f"/api/v1/issuers/zjcert/keys/{old}/withdraw", headers=service.admin).json()
    assert answer["active_kid"] == rotated
    assert [k.kid_hex for k in published(service).issuers[0].keys] == [rotated]


def test_withdrawal_refusals(service: Service) -> None:
    issuer = service.issuer()
    kid = service.client.post("/api/v1/certificates", json=KETTLE, headers=issuer).json()["kid"]
    url = f"/api/v1/issuers/zjcert/keys/{kid}/withdraw"
    assert service.client.post(url, headers=issuer).status_code == 403
    assert service.client.post(url).status_code == 401
    assert service.client.post(url, headers=service.admin).status_code == 200
    again = service.client.post(url, headers=service.admin)
    assert again.status_code == 409 and again.json()["error"] == "conflict"
    for unknown in ("0000000000000000", "not-a-kid", kid.upper()):
        missing = service.client.post(f"/api/v1/issuers/zjcert/keys/{unknown}/withdraw", headers=service.admin)
        assert missing.status_code == 404, unknown
    assert service.client.post(f"/api/v1/issuers/nobody/keys/{kid}/withdraw", headers=service.admin).status_code == 404


def test_the_page_says_what_happened_to_the_key_and_what_to_do(service: Service) -> None:
    """Online, the registry's answer leads: valid, with the key's withdrawal and the advice to reissue."""
    issuer = service.issuer()
    genuine = service.client.post("/api/v1/certificates", json=KETTLE, headers=issuer).json()
    segment = genuine["qr"].rsplit("/", 1)[1]
    assert "withdrawn by its issuer" not in service.client.get(f"/c/{segment}?lang=en").text
    service.clock.now += timedelta(minutes=5)
    service.client.post(f"/api/v1/issuers/zjcert/keys/{genuine['kid']}/withdraw", headers=service.admin)
    answer = service.client.post("/api/v1/verify", json={"qr": genuine["qr"]}).json()
    assert answer["verdict"] == "valid"
    assert answer["signature"]["key_withdrawn_at"] is not None
    page = service.client.get(f"/c/{segment}?lang=en").text
    assert "genuine and in force" in page
    assert "withdrawn by its issuer" in page and "reissued certificate" in page
    assert "撤回" in service.client.get(f"/c/{segment}?lang=zh").text


def test_an_offline_list_older_than_the_seal_hints_that_it_may_be_stale(service: Service) -> None:
    """A rotation after the list was downloaded: unknown_issuer, saying a newer trust list may carry the key."""
    headers = service.issuer()
    old_list = published(service)
    service.clock.now += timedelta(days=1)
    service.client.post("/api/v1/issuers/zjcert/keys/rotate", headers=service.admin)
    made = service.client.post("/api/v1/certificates", json=KETTLE, headers=headers).json()
    stale = verify(made["qr"], old_list, service.clock.now)
    assert stale.verdict.value == "unknown_issuer"
    assert "older than this seal" in stale.detail and "download the trust list again" in stale.detail
    fresh = verify(made["qr"], published(service), service.clock.now)
    assert fresh.verdict.value == "valid"
