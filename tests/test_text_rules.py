"""Text as an attacker writes it: look-alike letters in a link, invisible characters in a certificate."""

from __future__ import annotations

import unicodedata

import pytest

from tests.conftest import CHECK_AT, PUBLIC_URL, REFERENCE, SEALED_AT, Service, changed
from verifier.certificate.fields import _FORMAT
from verifier.certificate.model import parse_certificate
from verifier.issuing.recipe import seal_certificate
from verifier.trust.keys import SigningKey
from verifier.trust.trustlist import TrustList
from verifier.verdict import Reason, Verdict
from verifier.verification.check import verify

# Letters outside ASCII whose case conversion lands on ASCII: "ı".upper() == "I", "ſ".upper() == "S",
# the Kelvin sign's lower() == "k".
FOLDING = {"dotless i": ("I", "ı"), "long s": ("S", "ſ"), "Kelvin sign": ("K", "\u212a")}


@pytest.mark.parametrize("name", sorted(FOLDING))
def test_a_link_must_be_ascii_before_any_case_conversion(
    name: str, issuer_key: SigningKey, trust_list: TrustList, service: Service
) -> None:
    ascii_letter, impostor = FOLDING[name]
    data = {**REFERENCE["zhejiang-made-kettle"], "number": "ZJ-2024-IKS"}
    text = seal_certificate(parse_certificate(data), issuer_key, PUBLIC_URL, SEALED_AT).qr_text
    lower = text.lower()
    at = lower.rindex(ascii_letter.lower())
    forged = (lower[:at] + impostor + lower[at + 1 :]) if impostor != "\u212a" else text.replace("K", impostor, 1)
    assert forged.upper() == text or forged.lower() == lower  # what a case-folding check would let through
    result = verify(forged, trust_list, CHECK_AT)
    assert (result.verdict, result.reason) == (Verdict.MALFORMED, Reason.BAD_ENCODING)
    segment = forged.rsplit("/", 1)[1]
    answer = service.client.get(f"/c/{segment}", headers={"Accept": "application/json"}).json()
    assert (answer["verdict"], answer["reason"]) == ("malformed", "bad_encoding")
    api = service.client.post("/api/v1/verify", json={"qr": forged}).json()
    assert (api["verdict"], api["reason"]) == ("malformed", "bad_encoding")


def test_every_format_character_is_covered() -> None:
    missing = [hex(c) for c in range(0x110000) if unicodedata.category(chr(c)) == "Cf" and not _FORMAT.match(chr(c))]
    assert missing == []


FORMAT_CHARACTERS = {
    "right-to-left override": "\u202e",
    "zero-width space": "\u200b",
    "zero-width joiner": "\u200d",
    "left-to-right isolate": "\u2066",
    "byte order mark": "\ufeff",
    "soft hyphen": "\u00ad",
    "tag letter": "\U000e0041",
    # Not Cf, yet invisible: refused the same way.
    "Hangul filler": "\u3164",
    "combining grapheme joiner": "\u034f",
    "blank braille pattern": "\u2800",
    "variation selector 16": "\ufe0f",
    "Khmer inherent vowel": "\u17b5",
    "Mongolian free variation selector": "\u180b",
    "variation selector 17": "\U000e0100",
}


@pytest.mark.parametrize("name", sorted(FORMAT_CHARACTERS))
def test_format_characters_are_refused_at_issuance(name: str, service: Service) -> None:
    issuer = service.issuer()
    char = FORMAT_CHARACTERS[name]
    for field in ("holder.name_en", "holder.name", "products.0.name_en", "products.0.models.0", "standards.0.title"):
        data = changed(REFERENCE["zhejiang-made-kettle"], field, "Kettle" + char + "Co")
        answer = service.client.post("/api/v1/certificates", json=data, headers=issuer)
        assert answer.status_code == 422, (field, answer.text)
        fields = [f["field"] for f in answer.json()["fields"]]
        assert field in fields, (field, fields)
    assert service.client.get("/api/v1/certificates", headers=issuer).json()["certificates"] == []
    made = service.client.post(
        "/api/v1/issuers", json={"id": "zjx", "name": "浙" + char, "name_en": "ZJ"}, headers=service.admin
    )
    assert made.status_code == 422
