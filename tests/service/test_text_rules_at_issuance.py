"""Text as an attacker writes it: look-alike letters in a link, invisible characters in a certificate."""

from __future__ import annotations

import pytest

from tests.helpers import DEMO, Service, changed

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
        data = changed(DEMO["zhejiang-made-kettle"], field, "Kettle" + char + "Co")
        answer = service.client.post("/api/v1/certificates", json=data, headers=issuer)
        assert answer.status_code == 422, (field, answer.text)
        fields = [f["field"] for f in answer.json()["fields"]]
        assert field in fields, (field, fields)
    assert service.client.get("/api/v1/certificates", headers=issuer).json()["certificates"] == []
    made = service.client.post(
        "/api/v1/issuers", json={"id": "zjx", "name": "浙" + char, "name_en": "ZJ"}, headers=service.admin
    )
    assert made.status_code == 422
