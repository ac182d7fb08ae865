"""Verification reports: signed by the operator, kept for their period, read at /r/{id}, checked offline.

A batch with ``"report": true`` gives a report: its credential verifies with the operator's key alone and
says what each item's verdict was; its page shows it with each certificate's status now; altered after
signing, it is refused; past its period, it is gone (its signature still checks offline). Recognition
links under /r/ still open their certificate's page.
"""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import timedelta
from typing import Any

import pytest

from tests.helpers import CURRENT, PUBLIC_URL, Service
from verifier.credentials.report import REPORT_ID, ReportRefused, read_report
from verifier.seal.cose import decode_text
from verifier.trust.keys import KeyStore, new_signing_key

KETTLE = CURRENT["zhejiang-made-kettle"]
BATCH = "/api/v1/verify/batch"


def _issued(service: Service, number: str) -> dict[str, Any]:
    issuer = service.issuer() if number.endswith("1") else _ISSUER[0]
    _ISSUER[:] = [issuer]
    made = service.client.post("/api/v1/certificates", json={**KETTLE, "number": number}, headers=issuer)
    assert made.status_code == 201, made.text
    return dict(made.json())


_ISSUER: list[dict[str, str]] = [{}]


def _operator(service: Service) -> list[Any]:
    return [k.public_key for k in KeyStore(service.settings.keys_dir).keyring("operator").keys]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@pytest.fixture
def reported(service: Service) -> dict[str, Any]:
    first, second = _issued(service, "R-1"), _issued(service, "R-2")
    answer = service.client.post(BATCH, json={"items": [first["qr"], second["qr"], "HELLO", first["qr"]],
                                              "report": True})  # fmt: skip
    assert answer.status_code == 200, answer.text
    return {"answer": answer.json(), "first": first, "second": second}


def test_a_report_is_signed_by_the_operator_and_says_what_was_checked(service: Service, reported: dict) -> None:
    answer = reported["answer"]
    report = answer["report"]
    assert REPORT_ID.fullmatch(report["id"])
    assert report["url"] == f"{PUBLIC_URL}/r/{report['id']}" and report["pdf_url"] == report["url"] + "/pdf"
    jwt = report["credential"]["id"].removeprefix("data:application/vc+jwt,")
    read = read_report(jwt, _operator(service))
    assert read.report_id == report["id"]
    subject = read.subject
    assert subject["checkedAt"] == answer["checked_at"] and subject["itemCount"] == 4
    assert subject["verdicts"] == {"malformed": 1, "valid": 3}
    items = subject["items"]
    assert [i["verdict"] for i in items] == ["valid", "valid", "malformed", "valid"]
    assert items[0]["certificate"]["number"] == "R-1" and items[3]["duplicateOf"] == 1
    assert items[0]["certificate"]["holder"] == KETTLE["holder"]["name_en"]
    assert items[0]["certificate"]["creditCode"] == KETTLE["holder"]["credit_code"]
    assert items[0]["certificate"]["issuer"] == "zjcert" and subject["issuers"]["zjcert"]["nameEn"] == "zjcert Cert"
    assert items[1]["status"] == {"state": "active"} and "status" not in items[2]  # nothing registered: no status
    assert items[0]["certificate"]["sealDigest"].startswith("sha256:") and "certificate" not in items[2]
    seal = decode_text(reported["first"]["qr"], (PUBLIC_URL,))
    assert items[0]["certificate"]["sealDigest"] == "sha256:" + hashlib.sha256(seal).hexdigest()
    assert items[2]["inputDigest"] == "sha256:" + hashlib.sha256(b"HELLO").hexdigest()
    assert set(items[3]) == {"position", "input", "verdict", "reason", "duplicateOf"}
    assert read.credential["issuer"]["id"] == "did:web:verify.zhejiang-made.example"
    # the same report, enveloped, checks the same; the operator's DID document names its key
    assert read_report(json.dumps(report["credential"]), _operator(service)).report_id == report["id"]
    did = service.client.get("/.well-known/did.json").json()
    assert any(m["id"].endswith("#" + read.kid) for m in did["verificationMethod"])


def test_a_report_altered_after_signing_is_refused(service: Service, reported: dict) -> None:
    jwt = reported["answer"]["report"]["credential"]["id"].removeprefix("data:application/vc+jwt,")
    header, payload, signature = jwt.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["credentialSubject"]["items"][2]["verdict"] = "valid"  # the malformed item made to look valid
    altered = f"{header}.{_b64(json.dumps(claims).encode())}.{signature}"
    with pytest.raises(ReportRefused, match="altered"):
        read_report(altered, _operator(service))
    stranger = new_signing_key(service.clock.now)
    with pytest.raises(ReportRefused, match="not the operator's"):
        read_report(jwt, [stranger.record.public_key])
    flipped = jwt[:-4] + ("AAAA" if not jwt.endswith("AAAA") else "BBBB")
    with pytest.raises(ReportRefused):
        read_report(flipped, _operator(service))
    for junk in ("", "eyJ", "{}", '{"id": "data:application/vc+jwt,x"}', "{" * 5000, "x" * 4_000_000):
        with pytest.raises(ReportRefused):
            read_report(junk, _operator(service))
    # a certificate's credential is no report, though its signature is genuine
    credential = service.client.get(reported["first"]["credential_url"].removeprefix(PUBLIC_URL)).json()
    with pytest.raises(ReportRefused):
        read_report(json.dumps(credential), _operator(service))


def test_the_reports_page_shows_it_with_each_certificates_status_now(service: Service, reported: dict) -> None:
    report = reported["answer"]["report"]
    page = service.client.get(f"/r/{report['id']}", headers={"Accept-Language": "en"})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "Genuine report" in page.text and report["id"] in page.text and "R-2" in page.text
    assert "Not a certificate code" in page.text and "the same as item 1" in page.text
    assert "default-src 'none'" in page.headers["content-security-policy"]
    suspended = service.client.post(f"/api/v1/certificates/{reported['second']['id']}/suspend",
                                    json={"reason": "investigation"}, headers=_ISSUER[0])  # fmt: skip
    assert suspended.status_code == 200
    data = service.client.get(f"/r/{report['id'].lower()}", headers={"Accept": "application/json"}).json()
    assert data["genuine"] is True and data["report"]["itemCount"] == 4
    assert data["report"]["items"][1]["verdict"] == "valid"  # as it was at the check
    assert [n["state"] if n else None for n in data["now"]] == ["active", "suspended", None, "active"]
    zh = service.client.get(f"/R/{report['id']}?lang=zh").text
    assert "真实的报告" in zh and "暂停" in zh
    jwt = service.client.get(f"/r/{report['id']}", headers={"Accept": "application/vc+jwt"})
    assert jwt.headers["content-type"].startswith("application/vc+jwt")
    assert jwt.text == report["credential"]["id"].removeprefix("data:application/vc+jwt,")
    kept = service.client.get(f"/r/{report['id']}", params={"format": "jwt"})  # the page's link: a file to keep
    assert kept.text == jwt.text and "attachment" in kept.headers["content-disposition"]
    assert f'href="/r/{report["id"]}?format=jwt"' in page.text
    enveloped = service.client.get(f"/r/{report['id']}", headers={"Accept": "application/vc"})
    assert enveloped.json() == report["credential"]


def test_a_report_is_kept_for_its_period_then_let_go(service: Service, reported: dict) -> None:
    report = reported["answer"]["report"]
    days = service.settings.report_days
    service.clock.now += timedelta(days=days - 1)
    assert service.client.get(f"/r/{report['id']}").status_code == 200
    service.clock.now += timedelta(days=2)
    gone = service.client.get(f"/r/{report['id']}")
    assert gone.status_code == 404 and f"{days} days" in gone.text
    missing = service.client.get(f"/r/{report['id']}", headers={"Accept": "application/json"})
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"
    registry = service.client.app.state.services.registry  # type: ignore[attr-defined]
    assert registry.reports.purge(service.clock.now) == 1 and registry.reports.count() == 0
    # its signature outlives it
    jwt = report["credential"]["id"].removeprefix("data:application/vc+jwt,")
    assert read_report(jwt, _operator(service)).report_id == report["id"]


def test_unknown_reports_and_recognition_links_share_r(service: Service) -> None:
    assert service.client.get("/r/VAAAAAAAAAAAAAAAAAAAAAAAA").status_code == 404
    assert service.client.get("/r/VAAAAAAAAAAAAAAAAAAAAAAAA/pdf").status_code == 404
    assert service.client.get("/r/NOTAREPORT/pdf").status_code == 404
    assert service.client.get("/r/1AAAA").status_code == 404  # a recognition's link, not held: as before
    assert service.client.get("/r/" + "V" * 5000).status_code == 404
