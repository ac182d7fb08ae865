"""The rough edges a first user hit: link forms, pages that say what they know, messages in words, the
command line without tracebacks, the demo elsewhere, and the package installed outside the repository."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from tests.helpers import DEMO, PUBLIC_URL, Service

KETTLE = DEMO["zhejiang-made-kettle"]


def issued(service: Service, number: str = "ZJM-2024-9001") -> dict[str, str]:
    made = service.client.post("/api/v1/certificates", json=dict(KETTLE, number=number), headers=service.issuer())
    assert made.status_code == 201, made.text
    return dict(made.json())


def forms(qr: str) -> dict[str, str]:
    """The same link as browsers, scanners and people write it."""
    segment = qr.rsplit("/", 1)[1]
    return {
        "as printed": qr,
        "lower-case scheme and host": f"{PUBLIC_URL}/C/{segment}",
        "lower-case path": f"{PUBLIC_URL}/c/{segment}",
        "explicit default port": f"{PUBLIC_URL}:443/C/{segment}",
        "wholly lower case": qr.lower(),
        "CR LF after it": qr + "\r\n",
    }


def test_every_form_of_a_link_is_the_same_link(service: Service) -> None:
    qr = issued(service)["qr"]
    for name, text in forms(qr).items():
        answer = service.client.post("/api/v1/verify", json={"qr": text}).json()
        assert (answer["verdict"], name) == ("valid", name)
        page = service.client.get("/check", params={"qr": text, "lang": "en"})
        assert "genuine and in force" in page.text, name
    elsewhere = "https://Verify.Zhejiang-Made.example.com/C/" + qr.rsplit("/", 1)[1]
    answer = service.client.post("/api/v1/verify", json={"qr": elsewhere}).json()
    assert (answer["verdict"], answer["reason"]) == ("malformed", "not_a_certificate_url")


def test_pages_say_only_what_they_know(service: Service) -> None:
    certificate = issued(service)
    qr = certificate["qr"]
    flipped = qr[:-10] + ("A" if qr[-10] != "A" else "B") + qr[-9:]
    forged = service.client.get(f"/c/{flipped.rsplit('/', 1)[1]}?lang=en").text
    assert "FORGED OR ALTERED" in forged
    assert "Issued by" not in forged  # the issuer did not issue this
    assert "does not verify with that key" in forged
    issuer = service.client.post(
        "/api/v1/issuers", json={"id": "other", "name": "另一", "name_en": "Other"}, headers=service.admin
    ).json()
    again = service.client.post(
        "/api/v1/certificates", json=dict(KETTLE, number="ZJM-2024-9002"),
        headers={"Authorization": f"Bearer {issuer['token']}"},
    ).json()  # fmt: skip
    service.client.post(
        f"/api/v1/certificates/{again['id']}/revoke", json={"reason": "fraud"},
        headers={"Authorization": f"Bearer {issuer['token']}"},
    )  # fmt: skip
    revoked = service.client.get(f"/c/{again['qr'].rsplit('/', 1)[1]}?lang=en").text
    assert "REVOKED on" in revoked
    assert "fraud" in revoked
    assert "Ask the issuer for the reason" not in revoked  # the page shows the reason already


def test_a_file_that_is_not_the_one_issued_says_so(pdf_service: Service) -> None:
    issuer = pdf_service.issuer()
    made = pdf_service.client.post("/api/v1/certificates", json=KETTLE, headers=issuer).json()
    pdf = pdf_service.client.get(f"/api/v1/certificates/{made['id']}/pdf", headers=issuer).content
    for data, notice in ((pdf, False), (pdf + b"\n% re-saved\n", True)):
        page = pdf_service.client.post(
            "/check/pdf?lang=en", files={"file": ("c.pdf", data, "application/pdf")}
        ).text  # fmt: skip
        assert "genuine and in force" in page
        assert ("this file is not the one issued" in page) is notice


def test_messages_in_words(service: Service) -> None:
    lower = service.client.post("/api/v1/certificates", json=dict(KETTLE, number="zjm-1"), headers=service.issuer())
    assert lower.status_code == 422
    (field,) = lower.json()["fields"]
    assert field == {
        "field": "number",
        "message": "may hold only upper-case letters, digits and . / -, at most 40 characters, "
        "starting and ending with a letter or digit",
    }
    unknown = service.client.post("/api/v1/verify", json={"qr": "x", "text": "y"}).json()
    assert unknown["fields"] == [{"field": "text", "message": "is not a field of this request"}]
    broken = service.client.post("/api/v1/verify", content=b"{not json", headers={"Content-Type": "application/json"})
    assert broken.status_code == 422
    assert broken.json()["fields"][0]["field"] == "body"
    assert "not valid JSON" in broken.json()["message"]
    documented = service.client.get("/openapi.json").json()["paths"]["/api/v1/verify"]["post"]["responses"]
    assert {"413", "422"} <= set(documented)


def test_the_words_a_reader_meets(service: Service) -> None:
    """One full stop after a Russian date, the credit code named for what it is, headings capitalised alike,
    the upload advice only where there is an upload, what an Authorization header and a body must be."""
    service.clock.now = datetime(2024, 6, 1, tzinfo=UTC)
    issuer = service.issuer()
    made = service.client.post("/api/v1/certificates", json=DEMO["ccc-exemption-samples"], headers=issuer)
    assert made.status_code == 201, made.text
    segment = made.json()["qr"].rsplit("/", 1)[1]
    service.clock.now = datetime(2024, 12, 1, tzinfo=UTC)  # expired
    russian = service.client.get(f"/c/{segment}?lang=ru").text
    assert re.search(r"ИСТЁК <bdi class=\"date\">5 ноября 2024\s?г\.</bdi> Больше", russian), russian
    for language, words in (("en", "Unified social credit code"), ("fr", "crédit social"), ("es", "crédito social"),
                            ("ru", "социального кредита"), ("ar", "الموحد"), ("zh", "统一社会信用代码")):  # fmt: skip
        assert words in service.client.get(f"/c/{segment}?lang={language}").text, language
    valve = service.client.post("/api/v1/certificates", json=DEMO["international-cooperation-valve"],
                                headers=issuer).json()  # fmt: skip
    page = service.client.get(f"/c/{valve['qr'].rsplit('/', 1)[1]}?lang=en").text
    assert "<h2>International cooperation certificate</h2>" in page
    assert "<h2>Certificado de cooperación internacional</h2>" in service.client.get(
        f"/c/{valve['qr'].rsplit('/', 1)[1]}?lang=es").text  # fmt: skip
    malformed = service.client.get("/c/1AAAA?lang=en").text
    assert "Scan the QR code on the certificate again" in malformed and "upload" not in malformed.lower()
    token = issuer["Authorization"].removeprefix("Bearer ")
    bare = service.client.get("/api/v1/certificates", headers={"Authorization": token})
    assert bare.status_code == 401 and "must read Bearer <token>" in bare.json()["message"]
    assert token not in bare.text
    form = service.client.post("/api/v1/certificates", data={"scheme": "zhejiang-made"}, headers=issuer)
    assert form.status_code == 422
    assert "must be JSON, sent with Content-Type: application/json" in form.json()["message"]
    assert "application/x-www-form-urlencoded" in form.json()["message"]


def test_help_is_plain_text_and_ages_are_counted_right(capsys: pytest.CaptureFixture[str]) -> None:
    from verifier.cli import main
    from verifier.cli.verify import _age

    for command in ([], ["issue-batch"], ["conformance"], ["verify"], ["demo"], ["serve"]):
        with pytest.raises(SystemExit):
            main([*command, "--help"])
        shown = capsys.readouterr().out
        assert "``" not in shown and ":func:" not in shown and ":mod:" not in shown, command
    assert [_age(s) for s in (0, 59, 60, 119, 120, 7200, 86400 * 3)] == [
        "0 seconds", "59 seconds", "1 minute", "1 minute", "2 minutes", "2 hours", "3 days"]  # fmt: skip
