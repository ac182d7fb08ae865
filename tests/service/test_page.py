"""The verification page: every verdict in every language, the right words, lang and dir, hygiene headers."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.helpers import DEMO, PUBLIC_URL, Service
from verifier.api.i18n import LANGUAGES, catalogue, choose
from verifier.certificate.model import parse_certificate
from verifier.seal.claims import claims_to_cbor, sealed_content
from verifier.seal.cose import encode_text, sign
from verifier.trust.keys import KeyStore, new_signing_key
from verifier.trust.trustlist import TrustList

KETTLE = DEMO["zhejiang-made-kettle"]


def codes(service: Service) -> dict[str, tuple[str, datetime]]:
    """A link segment for each verdict, and the time to check it at."""
    issuer = service.issuer()
    now = service.clock.now  # the keys' windows open now; the kettle is in force until 2027-03-25

    def issue(number: str) -> dict[str, Any]:
        made = service.client.post("/api/v1/certificates", json=dict(KETTLE, number=number), headers=issuer)
        assert made.status_code == 201, made.text
        return dict(made.json())

    valid, suspended, revoked = issue("P-1"), issue("P-2"), issue("P-3")
    later = service.client.post(
        "/api/v1/certificates",
        json=dict(KETTLE, number="P-4", valid_from="2027-06-01", valid_until="2029-06-01"),
        headers=issuer,
    ).json()
    keys = KeyStore(service.settings.keys_dir)
    operator = keys.keyring("operator").active.public_key
    trust = TrustList.from_document(service.client.get("/api/v1/trust-list").content, [operator])
    own_key = keys.private_key("zjcert", trust.issuers[0].keys[-1])
    stolen = sign(claims_to_cbor(sealed_content(parse_certificate(dict(KETTLE, number="P-9")), now)), own_key)
    service.client.post(f"/api/v1/certificates/{suspended['id']}/suspend", json={"reason": "investigation"},
                        headers=issuer)  # fmt: skip
    service.client.post(f"/api/v1/certificates/{revoked['id']}/revoke", json={"reason": "fraud"}, headers=issuer)
    stranger = new_signing_key(datetime(2024, 1, 1, tzinfo=UTC))
    forged = sign(claims_to_cbor(sealed_content(parse_certificate(KETTLE), now)), stranger)
    segment = lambda qr: qr.rsplit("/", 1)[1]  # noqa: E731
    flipped = valid["qr"][:-10] + ("A" if valid["qr"][-10] != "A" else "B") + valid["qr"][-9:]
    return {
        "valid": (segment(valid["qr"]), now),
        "suspended": (segment(suspended["qr"]), now),
        "revoked": (segment(revoked["qr"]), now),
        "expired": (segment(valid["qr"]), datetime(2030, 1, 1, tzinfo=UTC)),
        "not_yet_valid": (segment(later["qr"]), now),
        "unregistered": (segment(encode_text(stolen, PUBLIC_URL)), now),
        "invalid": (segment(flipped), now),
        "unknown_issuer": (segment(encode_text(forged, PUBLIC_URL)), now),
        "malformed": ("1NOTACODE", now),
    }


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&#39;", "'").replace("&amp;", "&")


def test_every_verdict_in_every_language(service: Service) -> None:
    cases = codes(service)
    assert set(cases) == {"valid", "suspended", "revoked", "expired", "not_yet_valid", "invalid", "unknown_issuer",
                          "unregistered", "malformed"}  # fmt: skip
    for verdict, (code, at) in cases.items():
        service.clock.now = at
        for language in LANGUAGES:
            answer = service.client.get(f"/c/{code}?lang={language}")
            assert answer.status_code == 200
            html = answer.text
            assert f'<html lang="{language}" dir="{"rtl" if language == "ar" else "ltr"}">' in html
            words = said(language, verdict)
            assert words in _text(html), (verdict, language, words)
            if verdict != "valid":
                assert catalogue(language)[f"next_{verdict}"] in _text(html)
            assert len(answer.content) < 60_000
            assert answer.headers["content-language"] == language


def test_page_hygiene(service: Service) -> None:
    code, _ = codes(service)["valid"]
    answer = service.client.get(f"/c/{code}")
    for header, value in {
        "cache-control": "no-store",
        "x-content-type-options": "nosniff",
        "x-frame-options": "DENY",
        "referrer-policy": "no-referrer",
    }.items():
        assert answer.headers[header] == value
    assert "default-src 'none'" in answer.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]
    assert not re.search(r"(src|href)=\"https?://", answer.text)  # no external assets
    assert "<script" not in answer.text


@pytest.mark.parametrize(
    ("query", "header", "expected"),
    [(None, None, "en"), ("ar", "zh-CN", "ar"), (None, "zh-CN,zh;q=0.9,en;q=0.8", "zh"),
     (None, "de-DE,fr;q=0.7,en;q=0.5", "fr"), (None, "en;q=0.1, ru;q=0.9", "ru"), ("xx", "es", "es"),
     (None, "de", "en"), (None, "es;q=0", "en"), (None, "fr;q=abc,ar", "ar")],
)  # fmt: skip
def test_language_choice(query: str | None, header: str | None, expected: str) -> None:
    assert choose(query, header) == expected


PLURAL_FORM = re.compile(r"_(zero|one|two|few|many)$")


def test_catalogues_have_the_same_messages() -> None:
    """The same keys in every language, but for plural forms: each language has the ones CLDR gives it."""
    keys = {key for key in catalogue("en") if not PLURAL_FORM.search(key)}
    for language in LANGUAGES:
        assert {key for key in catalogue(language) if not PLURAL_FORM.search(key)} == keys, language
        for key in catalogue(language):
            if PLURAL_FORM.search(key):
                assert PLURAL_FORM.sub("_other", key) in keys, (language, key)


def said(language: str, verdict: str, scheme: str = "zhejiang-made") -> str:
    """The words a verdict's sentence starts with, the scheme's name filled in."""
    words = catalogue(language)
    return words[verdict].replace("{kind}", words[f"scheme_{scheme}"]).split("{")[0].strip(" :：（(")


@pytest.mark.parametrize("language", LANGUAGES)
def test_landing_page(language: str, service: Service) -> None:
    answer = service.client.get(f"/?lang={language}")
    assert answer.status_code == 200
    assert f'<html lang="{language}" dir="{"rtl" if language == "ar" else "ltr"}">' in answer.text
    assert catalogue(language)["landing_title"] in answer.text
    assert 'action="/check"' in answer.text and 'action="/check/pdf' in answer.text
    assert "<script" not in answer.text
    assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]


def test_landing_forms_answer_the_verdict_page(pdf_service: Service) -> None:
    issuer = pdf_service.issuer()
    made = pdf_service.client.post("/api/v1/certificates", json=KETTLE, headers=issuer).json()
    pasted = pdf_service.client.get("/check", params={"qr": f"  {made['qr']}\n", "lang": "fr"})
    assert pasted.status_code == 200
    assert said("fr", "valid") in _text(pasted.text)
    assert pdf_service.client.get("/check", params={"qr": "ZJM-2024-0317"}).text.count(catalogue("en")["malformed"])
    pdf = pdf_service.client.get(f"/api/v1/certificates/{made['id']}/pdf", headers=issuer).content
    uploaded = pdf_service.client.post("/check/pdf?lang=zh", files={"file": ("c.pdf", pdf, "application/pdf")})
    assert uploaded.status_code == 200
    assert said("zh", "valid") in _text(uploaded.text)
    refused = pdf_service.client.post("/check/pdf", files={"file": ("c.txt", b"hello", "text/plain")})
    assert refused.status_code == 415
    assert catalogue("en")["malformed"] in refused.text
