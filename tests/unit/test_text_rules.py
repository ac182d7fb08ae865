"""Text as an attacker writes it: look-alike letters in a link, invisible characters in a certificate."""

from __future__ import annotations

import unicodedata

import pytest

from tests.helpers import CHECK_AT, DEMO, PUBLIC_URL, SEALED_AT, Service
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
    data = {**DEMO["zhejiang-made-kettle"], "number": "ZJ-2024-IKS"}
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
