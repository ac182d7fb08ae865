"""The recognition workflow (issue 28, item 3): an issuer asks, a body accepts (signed here, or uploaded from
its own key) or declines; a recognition has its own status and lapses with its certificate; each attack of the
issue is refused with a clear 4xx, and every step is audited."""

from __future__ import annotations

import base64
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import cbor2
import pytest

from tests.helpers import CURRENT, PUBLIC_URL, Service
from tests.helpers.cli import run_cli
from tests.helpers.service import audit_rows
from verifier.api.i18n import LANGUAGES, catalogue
from verifier.credentials.check import read_status_list
from verifier.credentials.statuslist import is_set
from verifier.reads.recognitions import MAX_SHOWN
from verifier.seal.claims import claims_from_cbor
from verifier.seal.cose import decode_cose, decode_segment, encode_segment, sign
from verifier.seal.recognition import Recognition, base_digest, seal_recognition
from verifier.trust.keys import SigningKey, new_signing_key, private_key_pem, public_key_pem
from verifier.trust.trustlist import TrustList
from verifier.verdict import RecognitionVerdict, Verdict
from verifier.verification.recognition import check_recognition

VALVE = CURRENT["international-cooperation-valve"]
SGS = {
    "id": "sgs",
    "name": "通标标准技术服务有限公司",
    "name_en": "SGS",
    "country": "CH",
    "roles": ["recognise"],
    "remit": {"markets": ["DE", "FR", "GB"], "schemes": ["international-cooperation"]},
}
TUV = {
    "id": "tuv",
    "name": "南德意志集团",
    "name_en": "TÜV SÜD",
    "country": "DE",
    "roles": ["recognise"],
    "remit": {"markets": ["DE"], "schemes": ["international-cooperation"]},
}


def _token(answer: Any) -> dict[str, str]:
    assert answer.status_code == 201, answer.text
    return {"Authorization": f"Bearer {answer.json()['token']}"}


class Scene:
    """An issuer with two certificates, SGS (the service keeps its key) and TÜV SÜD (it keeps its own)."""

    def __init__(self, service: Service) -> None:
        self.service, self.client = service, service.client
        self.issuer = service.issuer()
        made = [
            self.client.post("/api/v1/certificates", json=dict(VALVE, number=n), headers=self.issuer).json()
            for n in ("ZJM-IC-2026-0001", "ZJM-IC-2026-0002")
        ]
        self.certificate, self.other = made
        self.sgs = _token(self.client.post("/api/v1/issuers", json=SGS, headers=service.admin))
        self.tuv_key = new_signing_key(datetime.now(UTC) - timedelta(days=1))
        tuv = {**TUV, "public_key": public_key_pem(self.tuv_key.record.public_key).decode()}
        self.tuv = _token(self.client.post("/api/v1/issuers", json=tuv, headers=service.admin))

    def seal_of(self, certificate: dict[str, Any]) -> bytes:
        return decode_segment(certificate["qr"].rsplit("/", 1)[1])

    def signed_by(self, key: SigningKey, certificate: dict[str, Any], **changes: Any) -> str:
        """A recognition of ``certificate`` signed offline with ``key``, in base64 (as an upload sends it)."""
        cose = self.seal_of(certificate)
        base = claims_from_cbor(decode_cose(cose).payload)
        content = Recognition(
            base_digest(cose),
            "TUV-DE-2026-0001",
            ("DE",),
            ("EN 12266-1:2012",),
            base.valid_from,
            base.valid_until,
            datetime.now(UTC).replace(microsecond=0),
        )
        return base64.b64encode(seal_recognition(replace(content, **changes), key)).decode()


@pytest.fixture
def scene(service: Service) -> Scene:
    return Scene(service)


def test_an_issuer_asks_and_the_body_signs(scene: Scene) -> None:
    client, cid = scene.client, scene.certificate["id"]
    asked = client.post(
        f"/api/v1/certificates/{cid}/recognition-requests",
        headers=scene.issuer,
        json={"recogniser": "sgs", "markets": ["de", "FR"], "note": "for the Hannover fair"},
    )
    assert asked.status_code == 201, asked.text
    assert asked.json()["markets"] == ["DE", "FR"] and asked.json()["state"] == "pending"
    again = client.post(
        f"/api/v1/certificates/{cid}/recognition-requests",
        headers=scene.issuer,
        json={"recogniser": "sgs", "markets": ["DE"]},
    )
    assert again.status_code == 409 and "pending already" in again.json()["message"]
    outside = client.post(
        f"/api/v1/certificates/{cid}/recognition-requests",
        headers=scene.issuer,
        json={"recogniser": "tuv", "markets": ["US"]},
    )
    assert outside.status_code == 422 and "may not recognise for US" in outside.json()["message"]
    pending = client.get("/api/v1/recognition-requests?state=pending", headers=scene.sgs).json()
    assert [(r["certificate_id"], r["note"]) for r in pending] == [(cid, "for the Hannover fair")]
    assert client.get("/api/v1/recognition-requests", headers=scene.tuv).json() == []  # not asked
    # The issuer cannot answer for the body, nor the body issue.
    request_id = asked.json()["id"]
    terms = {"number": "SGS-DE-2026-0001", "basis": ["EN 12266-1:2012", "DIN 3230-5"]}
    assert (
        client.post(f"/api/v1/recognition-requests/{request_id}/accept", json=terms, headers=scene.issuer).status_code
        == 403
    )
    accepted = client.post(f"/api/v1/recognition-requests/{request_id}/accept", json=terms, headers=scene.sgs)
    assert accepted.status_code == 201, accepted.text
    recognition = accepted.json()
    assert recognition["markets"] == ["DE", "FR"] and recognition["signed_here"] is True
    assert recognition["status"]["state"] == "active" and recognition["status_index"] is not None
    assert recognition["valid_until"] == VALVE["valid_until"]  # the certificate's, by default
    cose = base64.b64decode(recognition["seal"])
    assert len(cose) < 260 and decode_cose(cose).kid.hex() == recognition["kid"]
    sent = client.get("/api/v1/recognition-requests", headers=scene.issuer).json()
    assert [(r["state"], r["recognition_id"]) for r in sent] == [("accepted", recognition["id"])]
    listed = client.get(f"/api/v1/certificates/{cid}/recognitions", headers=scene.issuer).json()
    assert [r["id"] for r in listed] == [recognition["id"]]
    assert client.get(f"/api/v1/certificates/{cid}/recognitions", headers=scene.sgs).status_code == 403
    # A body recognising for a market twice.
    twice = client.post(
        "/api/v1/recognitions",
        headers=scene.sgs,
        json={"certificate_id": cid, "number": "SGS-DE-2026-0002", "markets": ["DE"], "basis": ["X"]},
    )
    assert twice.status_code == 409 and "for DE already" in twice.json()["message"]
    assert (
        client.post(
            f"/api/v1/recognition-requests/{request_id}/decline", json={"reason": "late"}, headers=scene.sgs
        ).status_code
        == 409
    )  # answered already
    actions = [r["action"] for r in audit_rows(scene.service, "recognition%")]
    assert actions == ["recognition_request.create", "recognition.create", "recognition_request.accept"]


def test_a_body_declines_and_an_issuer_withdraws(scene: Scene) -> None:
    client, cid = scene.client, scene.certificate["id"]
    asked = client.post(
        f"/api/v1/certificates/{cid}/recognition-requests",
        headers=scene.issuer,
        json={"recogniser": "tuv", "markets": ["DE"]},
    ).json()
    declined = client.post(
        f"/api/v1/recognition-requests/{asked['id']}/decline",
        headers=scene.tuv,
        json={"reason": "EN 13828 test report missing"},
    )
    assert declined.status_code == 200 and declined.json()["state"] == "declined"
    sent = client.get("/api/v1/recognition-requests?side=sent", headers=scene.issuer).json()
    assert sent[0]["reason"] == "EN 13828 test report missing"
    second = client.post(
        f"/api/v1/certificates/{cid}/recognition-requests",
        headers=scene.issuer,
        json={"recogniser": "tuv", "markets": ["DE"]},
    ).json()
    assert client.post(f"/api/v1/recognition-requests/{second['id']}/withdraw", headers=scene.tuv).status_code == 403
    gone = client.post(f"/api/v1/recognition-requests/{second['id']}/withdraw", headers=scene.issuer)
    assert gone.json()["state"] == "withdrawn"
    accept = client.post(
        f"/api/v1/recognition-requests/{second['id']}/accept",
        headers=scene.tuv,
        json={"seal": scene.signed_by(scene.tuv_key, scene.certificate)},
    )
    assert accept.status_code == 409 and "withdrawn" in accept.json()["message"]


def test_a_body_keeping_its_key_finds_a_certificate_and_uploads(scene: Scene, tmp_path: Path) -> None:
    client = scene.client
    holder = VALVE["holder"]["credit_code"]
    found = client.get(f"/api/v1/recognitions/candidates?number=ZJM-IC-2026-0001&holder={holder}", headers=scene.tuv)
    assert [c["certificate_id"] for c in found.json()] == [scene.certificate["id"]]
    by_name = client.get(
        "/api/v1/recognitions/candidates",
        headers=scene.tuv,
        params={"number": "ZJM-IC-2026-0001", "holder": VALVE["holder"]["name"]},
    )
    assert len(by_name.json()) == 1
    assert (
        client.get("/api/v1/recognitions/candidates?number=ZJM-IC-2026-0001&holder=someone", headers=scene.tuv).json()
        == []
    )
    # Signed offline with `verifier recognise`, as the body would, and uploaded.
    (tmp_path / "tuv.pem").write_bytes(private_key_pem(scene.tuv_key.private_key))
    out = tmp_path / "tuv.cose"
    ran = run_cli(
        "recognise",
        scene.certificate["qr"],
        "--key",
        tmp_path / "tuv.pem",
        "--number",
        "TUV-DE-2026-0001",
        "--markets",
        "DE",
        "--basis",
        "EN 12266-1:2012",
        "--out",
        out,
        env={"VERIFIER_DATA_DIR": str(tmp_path / "d"), "VERIFIER_KEYS_DIR": str(tmp_path / "k")},
    )
    assert ran.returncode == 0, ran.stderr
    seal = base64.b64encode(out.read_bytes()).decode()
    stored = client.post(
        "/api/v1/recognitions", json={"certificate_id": scene.certificate["id"], "seal": seal}, headers=scene.tuv
    )
    assert stored.status_code == 201, stored.text
    assert stored.json()["signed_here"] is False and stored.json()["status_index"] is None
    terms = {"certificate_id": scene.certificate["id"], "number": "TUV-2", "markets": ["DE"], "basis": ["X"]}
    kept_elsewhere = client.post("/api/v1/recognitions", json=terms, headers=scene.tuv)
    assert kept_elsewhere.status_code == 409 and "keeps its keys itself" in kept_elsewhere.json()["message"]


def _attacks(scene: Scene) -> list[tuple[str, str, int, str]]:
    """(name, seal in base64, status, error code): each attack of the issue on the upload."""
    sgs_key = scene.service.client.app.state.services.registry.issuers.signing_key("sgs")  # type: ignore[attr-defined]
    cose = scene.seal_of(scene.certificate)
    base = claims_from_cbor(decode_cose(cose).payload)
    b64 = lambda data: base64.b64encode(data).decode()  # noqa: E731
    return [
        ("another body's key", scene.signed_by(sgs_key, scene.certificate), 422, "not_your_key"),
        ("outside its remit", scene.signed_by(scene.tuv_key, scene.certificate, markets=("FR",)), 422, "outside_remit"),
        ("replayed onto another certificate", scene.signed_by(scene.tuv_key, scene.other), 422, "not_this_certificate"),
        (
            "longer than the certificate",
            scene.signed_by(scene.tuv_key, scene.certificate, valid_until=base.valid_until + timedelta(days=1)),
            422,
            "exceeds_base_validity",
        ),
        (
            "a stranger's key",
            scene.signed_by(new_signing_key(datetime(2025, 1, 1, tzinfo=UTC)), scene.certificate),
            422,
            "unknown_key",
        ),
        ("a status index", scene.signed_by(scene.tuv_key, scene.certificate, status_index=5), 422, "bad_claims"),
        ("a certificate's seal", b64(cose), 422, "unknown_key"),
        ("not CBOR", b64(b"\xff" * 40), 422, "bad_cbor"),
        ("nested too deep", b64(sign(cbor2.dumps([[[[[[[[[[1]]]]]]]]]]), scene.tuv_key)), 422, "bad_claims"),
        ("an indefinite byte string", b64(b"\xd2\x84\x43\xa1\x01\x27\xa0\x5f\xff\x40"), 422, "bad_cbor"),
        ("too large", b64(b"\x00" * 5000), 413, "too_large"),
        ("not base64", "%%%%", 422, "invalid_request"),
    ]


def test_every_attack_on_an_upload_is_refused(scene: Scene) -> None:
    for name, seal, code, error in _attacks(scene):
        answer = scene.client.post(
            "/api/v1/recognitions", json={"certificate_id": scene.certificate["id"], "seal": seal}, headers=scene.tuv
        )
        assert (answer.status_code, answer.json()["error"]) == (code, error), (name, answer.text)
    assert scene.client.get("/api/v1/recognitions", headers=scene.tuv).json()["recognitions"] == []  # none stored
    # A withdrawn key: the body's recognition it signs after that is refused too.
    kid = scene.tuv_key.kid.hex()
    assert scene.client.post(f"/api/v1/issuers/tuv/keys/{kid}/withdraw", headers=scene.service.admin).status_code == 200
    answer = scene.client.post(
        "/api/v1/recognitions",
        headers=scene.tuv,
        json={"certificate_id": scene.certificate["id"], "seal": scene.signed_by(scene.tuv_key, scene.certificate)},
    )
    assert (answer.status_code, answer.json()["error"]) == (422, "unknown_key")


def test_recognitions_lapse_with_their_certificate_and_have_their_own_status(scene: Scene) -> None:
    client, cid = scene.client, scene.certificate["id"]
    made = client.post(
        "/api/v1/recognitions",
        headers=scene.sgs,
        json={"certificate_id": cid, "number": "SGS-DE-2026-0001", "markets": ["DE"], "basis": ["EN 12266-1:2012"]},
    ).json()
    suspended = client.post(
        f"/api/v1/certificates/{cid}/suspend", json={"reason": "investigation"}, headers=scene.issuer
    )
    assert suspended.status_code == 200
    (mine,) = client.get("/api/v1/recognitions", headers=scene.sgs).json()["recognitions"]
    assert mine["status"] == {"state": "lapsed", "reason": "the certificate it recognises was suspended", "since": None}
    assert (
        client.post(
            f"/api/v1/certificates/{cid}/reinstate", json={"reason": "cleared"}, headers=scene.issuer
        ).status_code
        == 200
    )
    (mine,) = client.get("/api/v1/recognitions", headers=scene.sgs).json()["recognitions"]
    assert mine["status"]["state"] == "active"
    target = f"recognition:{made['id']}"
    lapses = [(r["action"], r["target"]) for r in audit_rows(scene.service, "recognition.%")]
    assert lapses[1:] == [("recognition.lapse", target), ("recognition.stand", target)]
    # Its own status, in the body's own status lists.
    rid = made["id"]
    assert (
        client.post(
            f"/api/v1/recognitions/{rid}/suspend", json={"reason": "investigation"}, headers=scene.tuv
        ).status_code
        == 404
    )  # not TÜV's
    own = client.post(f"/api/v1/recognitions/{rid}/suspend", json={"reason": "investigation"}, headers=scene.sgs)
    assert own.json()["status"]["state"] == "suspended"
    index = made["status_index"]
    listed = client.get(f"/status/sgs/suspension/{index // 131072}", headers={"Accept": "application/vc+jwt"})
    assert listed.status_code == 200
    revoked = client.post(f"/api/v1/recognitions/{rid}/revoke", json={"reason": "fraud"}, headers=scene.sgs)
    assert revoked.json()["status"]["state"] == "revoked"
    # Revoked, its markets are free: the body may recognise the certificate again, under a new number.
    again = client.post(
        "/api/v1/recognitions",
        headers=scene.sgs,
        json={"certificate_id": cid, "number": "SGS-DE-2026-0009", "markets": ["DE"], "basis": ["EN 12266-1:2012"]},
    )
    assert again.status_code == 201
    revoked_base = client.post(f"/api/v1/certificates/{cid}/revoke", json={"reason": "fraud"}, headers=scene.issuer)
    assert revoked_base.status_code == 200
    mine_now = client.get("/api/v1/recognitions", headers=scene.sgs).json()["recognitions"]
    states = {r["number"]: r["status"] for r in mine_now}
    assert states["SGS-DE-2026-0009"]["state"] == "lapsed"
    assert states["SGS-DE-2026-0009"]["reason"] == "the certificate it recognises was revoked"
    assert states["SGS-DE-2026-0001"]["state"] == "revoked"  # its own revocation stands
    refused = client.post(
        "/api/v1/recognitions",
        headers=scene.tuv,
        json={"certificate_id": scene.certificate["id"], "seal": scene.signed_by(scene.tuv_key, scene.certificate)},
    )
    assert refused.status_code == 409 and "revoked" in refused.json()["message"]


def test_terms_the_service_cannot_sign(scene: Scene) -> None:
    cid = scene.certificate["id"]
    cases = [
        ({"number": "N-1", "markets": ["US"], "basis": ["X"]}, 422, "outside_remit"),
        (
            {"number": "N-1", "markets": ["DE"], "basis": ["X"], "valid_until": "2099-12-31"},
            422,
            "exceeds_base_validity",
        ),
        ({"number": "n 1", "markets": ["DE"], "basis": ["X"]}, 422, "invalid_request"),
        ({"number": "N-1", "markets": ["XX"], "basis": ["X"]}, 422, "invalid_request"),
        ({"number": "N-1", "markets": ["DE"], "basis": ["x" * 61]}, 422, "invalid_request"),
        ({"number": "N-1", "markets": ["DE"], "basis": ["X"], "seal": "AAAA"}, 422, "invalid_request"),
        ({"number": "N-1", "markets": ["DE"]}, 422, "invalid_request"),
    ]
    for body, code, error in cases:
        answer = scene.client.post("/api/v1/recognitions", json={"certificate_id": cid, **body}, headers=scene.sgs)
        assert (answer.status_code, answer.json()["error"]) == (code, error), (body, answer.text)
    missing = scene.client.post(
        "/api/v1/recognitions",
        headers=scene.sgs,
        json={"certificate_id": "nope", "number": "N-1", "markets": ["DE"], "basis": ["X"]},
    )
    assert missing.status_code == 404


def test_the_verdict_lists_each_recognition_with_its_own_verdict(scene: Scene) -> None:
    client, cid = scene.client, scene.certificate["id"]
    code = scene.certificate["qr"].rsplit("/", 1)[1]
    made = client.post(
        "/api/v1/recognitions",
        headers=scene.sgs,
        json={
            "certificate_id": cid,
            "number": "SGS-DE-2026-0001",
            "markets": ["DE", "FR"],
            "basis": ["EN 12266-1:2012"],
        },
    )
    assert made.status_code == 201
    uploaded = client.post(
        "/api/v1/recognitions",
        headers=scene.tuv,
        json={"certificate_id": cid, "seal": scene.signed_by(scene.tuv_key, scene.certificate)},
    )
    assert uploaded.status_code == 201

    def listed() -> list[dict[str, Any]]:
        answer = client.get(f"/c/{code}", headers={"Accept": "application/json"}).json()
        assert answer == client.post("/api/v1/verify", json={"qr": scene.certificate["qr"]}).json() | {
            "checked_at": answer["checked_at"]
        }
        return answer["recognitions"]  # type: ignore[no-any-return]

    signed, offline, *declared = listed()
    assert (signed["verdict"], signed["reason"], signed["signature_valid"]) == ("valid", "in_force", True)
    assert signed["recogniser"] == {"id": "sgs", "name": SGS["name"], "name_en": "SGS", "country": "CH"}
    assert (signed["number"], signed["markets"]) == ("SGS-DE-2026-0001", ["DE", "FR"])
    assert (offline["recogniser"]["id"], offline["verdict"]) == ("tuv", "valid")
    # What the issuer only declared is never valid: declared, not signed by the body.
    assert [(d["verdict"], d["signed"], d["recogniser"]["name_en"]) for d in declared] == [
        ("declared", False, r["body"]) for r in VALVE["recognitions"]
    ]
    # The seal the answer carries checks offline, against the published trust list.
    operator = scene.service.client.app.state.services.registry.issuers.operator_key()  # type: ignore[attr-defined]
    trust = TrustList.from_document(client.get("/api/v1/trust-list").content, [operator.record.public_key])
    base_cose = scene.seal_of(scene.certificate)
    base = claims_from_cbor(decode_cose(base_cose).payload)
    again = check_recognition(
        base64.b64decode(signed["seal"]), base_cose, base, Verdict.VALID, trust.recognisers, datetime.now(UTC)
    )
    assert again.verdict is RecognitionVerdict.VALID
    # Its own status, at once; then the certificate's, which comes first.
    client.post(f"/api/v1/recognitions/{signed['id']}/suspend", json={"reason": "investigation"}, headers=scene.sgs)
    assert [(r["verdict"], r["reason"]) for r in listed()[:2]] == [
        ("suspended", "suspended_by_body"),
        ("valid", "in_force"),
    ]
    client.post(f"/api/v1/certificates/{cid}/revoke", json={"reason": "fraud"}, headers=scene.issuer)
    assert {r["verdict"] for r in listed()[:2]} == {"lapsed"}
    other = scene.other["qr"].rsplit("/", 1)[1]
    answer = client.get(f"/c/{other}", headers={"Accept": "application/json"}).json()
    assert [r["verdict"] for r in answer["recognitions"]] == ["declared", "declared"]  # no body signed it


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_page_says_who_recognised_it_in_every_language(scene: Scene, language: str) -> None:
    client, cid = scene.client, scene.certificate["id"]
    made = client.post(
        "/api/v1/recognitions",
        headers=scene.sgs,
        json={"certificate_id": cid, "number": "SGS-DE-2026-0001", "markets": ["DE"], "basis": ["EN 12266-1:2012"]},
    )
    assert made.status_code == 201
    code = scene.certificate["qr"].rsplit("/", 1)[1]
    page = client.get(f"/c/{code}?lang={language}").text
    words = catalogue(language)
    (valid,) = re.findall(r'data-field="recognition-valid"><dt>(.*?)</dt><dd>(.*?)</dd>', page, re.S)
    assert "SGS (CH)" in valid[0] and "SGS-DE-2026-0001" in valid[1]
    assert re.sub(r"<[^>]+>", "", valid[1]).startswith(words["rec_valid"].split("{")[0])
    declared = re.findall(r'data-field="recognition-declared"><dt>(.*?)</dt><dd>(.*?)</dd>', page, re.S)
    assert [d[0] for d in declared] == [
        f'<bdi dir="ltr">{r["body"]} ({r["country"]})</bdi>' for r in VALVE["recognitions"]
    ]


def test_a_bodys_status_lists_and_did_document_read_as_an_issuers(scene: Scene) -> None:
    """The lists holding recognitions signed here are signed by the body's key, named by its did:web document and
    the trust list; a verifier reads them as it reads an issuer's (and a revocation shows in them)."""
    client = scene.client
    made = client.post(
        "/api/v1/recognitions",
        headers=scene.sgs,
        json={
            "certificate_id": scene.certificate["id"],
            "number": "SGS-DE-2026-0001",
            "markets": ["DE"],
            "basis": ["X"],
        },
    ).json()
    client.post(f"/api/v1/recognitions/{made['id']}/revoke", json={"reason": "fraud"}, headers=scene.sgs)
    did = client.get("/issuers/sgs/did.json")
    assert did.status_code == 200 and did.json()["id"].endswith(":issuers:sgs")
    operator = scene.service.client.app.state.services.registry.issuers.operator_key()  # type: ignore[attr-defined]
    trust = TrustList.from_document(client.get("/api/v1/trust-list").content, [operator.record.public_key])
    index = made["status_index"]
    jwt = client.get(f"/status/sgs/revocation/{index // 131072}", headers={"Accept": "application/vc+jwt"}).text
    _, issuer, purpose, bits, _, _ = read_status_list(jwt, trust)
    assert (issuer, purpose) == ("sgs", "revocation") and is_set(bits, index % 131072)


def test_a_recognitions_own_link_opens_the_certificate_it_recognises(scene: Scene) -> None:
    """The link a body prints on its own certificate (/r/1...): the page of the certificate, that recognition
    first; a seal the registry does not hold, or no seal, is a 404 (alone it proves nothing)."""
    client, cid = scene.client, scene.certificate["id"]
    client.post(
        "/api/v1/recognitions",
        headers=scene.sgs,
        json={"certificate_id": cid, "number": "SGS-DE-2026-0001", "markets": ["DE"], "basis": ["X"]},
    )
    made = client.post(
        "/api/v1/recognitions",
        headers=scene.tuv,
        json={"certificate_id": cid, "seal": scene.signed_by(scene.tuv_key, scene.certificate)},
    ).json()
    link = made["link"]
    assert link.startswith(PUBLIC_URL.upper() + "/R/1")
    path = link.removeprefix(PUBLIC_URL.upper())
    answer = client.get(path, headers={"Accept": "application/json"}).json()
    assert answer["scanned_recognition"] == made["id"] and answer["verdict"] == "valid"
    assert [(r["recogniser"]["id"], r["verdict"]) for r in answer["recognitions"][:2]] == [
        ("tuv", "valid"),
        ("sgs", "valid"),
    ]
    page = client.get(path.lower().replace("/r/", "/r/") + "?lang=en").text
    assert page.index("TUV-DE-2026-0001") < page.index("SGS-DE-2026-0001")
    assert "genuine and in force" in page
    other = scene.signed_by(scene.tuv_key, scene.other)  # genuine, but never given to the registry
    unknown = "/r/1" + encode_segment(base64.b64decode(other))[1:]
    assert client.get(unknown).status_code == 404
    assert client.get("/r/1NOTBASE32!").status_code == 404
    assert client.get("/r/" + "A" * 5000).status_code in (404, 414)


def test_a_body_recognising_again_and_again_cannot_grow_every_scans_answer(scene: Scene) -> None:
    """Revoked, a recognition frees its markets: a body may recognise anew, without end. The answer stays bounded,
    the standing recognition first."""
    client, cid = scene.client, scene.certificate["id"]
    for n in range(45):
        made = client.post(
            "/api/v1/recognitions",
            headers=scene.sgs,
            json={"certificate_id": cid, "number": f"SGS-DE-{n:04d}", "markets": ["DE"], "basis": ["X"]},
        ).json()
        if n < 44:
            client.post(f"/api/v1/recognitions/{made['id']}/revoke", json={"reason": "other"}, headers=scene.sgs)
    code = scene.certificate["qr"].rsplit("/", 1)[1]
    listed = client.get(f"/c/{code}", headers={"Accept": "application/json"}).json()["recognitions"]
    signed = [r for r in listed if r["signed"]]
    assert len(signed) == MAX_SHOWN and signed[0]["number"] == "SGS-DE-0044" and signed[0]["verdict"] == "valid"
    assert {r["verdict"] for r in signed[1:]} == {"revoked"} and signed[1]["number"] == "SGS-DE-0043"


def test_requests_page_by_time_with_its_zone(scene: Scene) -> None:
    """A time without its zone (or a date alone) is a 422 naming the field, never a 500."""
    client, cid = scene.client, scene.certificate["id"]
    for body in ("sgs", "tuv"):
        scene.service.clock.now += timedelta(seconds=1)
        client.post(f"/api/v1/certificates/{cid}/recognition-requests", headers=scene.issuer,
                    json={"recogniser": body, "markets": ["DE"]})  # fmt: skip
    sent = client.get("/api/v1/recognition-requests?side=sent", headers=scene.issuer).json()
    assert [r["recogniser"] for r in sent] == ["tuv", "sgs"]  # newest first
    older = client.get("/api/v1/recognition-requests", headers=scene.issuer,
                       params={"side": "sent", "before": sent[0]["asked_at"]}).json()  # fmt: skip
    assert [r["recogniser"] for r in older] == ["sgs"]
    for naive in ("2026-01-01T00:00:00", "2026-01-01"):
        answer = client.get("/api/v1/recognition-requests", params={"before": naive}, headers=scene.issuer)
        assert answer.status_code == 422 and answer.json()["fields"][0]["field"] == "before"
    beyond = client.get("/api/v1/recognitions", params={"after": 10**23}, headers=scene.sgs)  # no database integer
    assert beyond.status_code == 422 and beyond.json()["fields"][0]["field"] == "after"
