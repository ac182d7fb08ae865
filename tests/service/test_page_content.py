"""Everything an officer checks on the page: what the certificate is, every signed field marked as signed,
the registry's fields marked as registry, the goods of a CCC exemption to compare with the shipment, in
each of the six languages, with CLDR's words for countries, money and dates (Babel, read independently
here from the page's own code).
"""

from __future__ import annotations

import html as htmllib
import re
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from babel import Locale
from babel.dates import format_date
from babel.numbers import format_currency

from tests.helpers import DEMO, Service
from verifier.api.i18n import LANGUAGES, catalogue


def _text(page: str) -> str:
    return _spaced(htmllib.unescape(re.sub(r"<[^>]+>", " ", page)))


def _spaced(text: str) -> str:
    """White space (CLDR's no-break spaces too) as single spaces."""
    return re.sub(r"\s+", " ", text)


def _rows(page: str, field: str) -> list[str]:
    """The text of every row of the page whose data-field is ``field``."""
    return [_text(m) for m in re.findall(rf'<div class="row" data-field="{field}">(.*?)</div>', page, re.S)]


@pytest.fixture
def issued(service: Service) -> dict[str, str]:
    """Each demo certificate issued, by name: its link's segment."""
    service.clock.now = datetime(2024, 6, 1, 4, tzinfo=UTC)  # every demo certificate in force
    issuer = service.issuer()
    segments = {}
    for name, data in DEMO.items():
        made = service.client.post("/api/v1/certificates", json=data, headers=issuer)
        assert made.status_code == 201, made.text
        segments[name] = made.json()["qr"].rsplit("/", 1)[1]
    return segments


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_field_of_every_scheme(service: Service, issued: dict[str, str], language: str) -> None:
    words = catalogue(language)
    cldr = Locale.parse(language)
    for name, data in DEMO.items():
        page = service.client.get(f"/c/{issued[name]}?lang={language}").text
        text = _text(page)
        kind = words[f"scheme_{data['scheme']}"]
        verdict = words["valid"].replace("{kind}", kind)
        assert verdict in text, (name, language)
        assert words["legend"] in text
        # Signed fields, each marked as signed; the registry's, each marked as registry.
        assert data["number"] in _rows(page, "number")[0]
        assert words["badge_signed"] in _rows(page, "number")[0]
        holder = _rows(page, "holder")[0]
        assert data["holder"]["name"] in holder and data["holder"]["name_en"] in holder
        assert words["badge_signed"] in holder and words["badge_registry"] in holder
        assert data["holder"]["credit_code"] in _rows(page, "credit_code")[0]
        assert data["holder"]["address"] in _rows(page, "address")[0]
        products = _rows(page, "product")
        for row, product in zip(products, data["products"], strict=True):
            assert product["name"] in row and product["name_en"] in row and product["hs_code"] in row
            assert all(model in row for model in product["models"])
        standards = _rows(page, "standard")
        for row, standard in zip(standards, data["standards"], strict=True):
            assert standard["code"] in row
            assert (standard["title"] if language == "zh" else standard["title_en"]) in row
            assert words["badge_registry"] in row
        markets = _rows(page, "markets")[0]
        for code in data["markets"]:
            assert cldr.territories[code] in markets, (code, language)
        validity = _rows(page, "validity")[0]
        for day in (data["valid_from"], data["valid_until"]):
            assert _spaced(format_date(date.fromisoformat(day), "long", locale=cldr)) in validity
        assert words["issued"] in text
        if data["scheme"] == "ccc-exemption":
            exemption = data["exemption"]
            assert words["compare"] in text
            assert words[f"purpose_{exemption['purpose']}"] in _rows(page, "purpose")[0]
            assert str(exemption["quantity"]) in _rows(page, "quantity")[0]
            money = format_currency(Decimal(exemption["declared_value"]["amount"]), "CNY", locale=cldr)
            assert _spaced(money) in _rows(page, "declared_value")[0]
            port = _rows(page, "port_of_entry")[0]
            assert exemption["port_of_entry"] in port and ("宁波" if language == "zh" else "Ningbo") in port
        else:
            assert words["compare"] not in text
        if data["scheme"] == "international-cooperation":  # what the issuer declared; no body signed it here
            rows = _rows(page, "recognition-declared")
            for row, recognition in zip(rows, data["recognitions"], strict=True):
                assert recognition["body"] in row and recognition["certificate_number"] in row
                assert f"({recognition['country']})" in row
                declared = words["rec_declared"].split("{")[0].strip()
                assert declared in row, (declared, row)
        else:
            assert not _rows(page, "recognition-declared")


def test_ccc_exemption_quantity_and_unit_in_words(service: Service, issued: dict[str, str]) -> None:
    expected = {"en": "24 pieces", "zh": "24 件", "es": "24 piezas", "fr": "24 pièces", "ru": "24 штуки",
                "ar": "24 قطعة"}  # fmt: skip
    for language, quantity in expected.items():
        page = service.client.get(f"/c/{issued['ccc-exemption-samples']}?lang={language}").text
        assert quantity in _rows(page, "quantity")[0], language


def test_validity_in_words_with_the_time_left(service: Service, issued: dict[str, str]) -> None:
    service.clock.now = datetime(2026, 12, 14, tzinfo=UTC)  # the valve runs to 2027-01-14
    page = service.client.get(f"/c/{issued['international-cooperation-valve']}?lang=en").text
    assert "January 15, 2024 to January 14, 2027 (China Standard Time)" in _rows(page, "validity")[0]
    assert "ends in 5 weeks" in _rows(page, "validity")[0]
    service.clock.now = datetime(2027, 3, 1, tzinfo=UTC)
    page = service.client.get(f"/c/{issued['international-cooperation-valve']}?lang=fr").text
    assert "a pris fin il y a 2 mois" in _rows(page, "validity")[0]
    assert "Ce document (certificat de coopération internationale) a EXPIRÉ le 14 janvier 2027" in _text(page)


def test_a_forged_code_shows_its_content_as_not_verified(service: Service, issued: dict[str, str]) -> None:
    segment = issued["zhejiang-made-kettle"]
    flipped = segment[:-10] + ("A" if segment[-10] != "A" else "B") + segment[-9:]
    page = service.client.get(f"/c/{flipped}?lang=en").text
    words = catalogue("en")
    if _rows(page, "number"):  # the altered bytes may still decode: then nothing reads as signed
        assert words["badge_unverified"] in _rows(page, "number")[0]
        assert f">{words['badge_signed']}<" not in page


def test_bidi_isolation_in_the_markup(service: Service, issued: dict[str, str]) -> None:
    """Every date, code, model and Latin list sits in its own isolate (the browser test reads it back)."""
    page = service.client.get(f"/c/{issued['international-cooperation-valve']}?lang=ar").text
    assert '<bdi dir="ltr" class="models"><bdi dir="ltr" class="model">HT-BV15</bdi>' in page
    assert '<bdi dir="ltr" class="mono">ZJM-IC-2024-0042</bdi>' in page
    assert '<bdi class="date">14 يناير 2027</bdi>' in page


def _kinds() -> list[Any]:
    return [(name, data["scheme"]) for name, data in sorted(DEMO.items())]


@pytest.mark.parametrize(("name", "scheme"), _kinds())
def test_the_sentence_names_the_scheme_in_six_languages(
    service: Service, issued: dict[str, str], name: str, scheme: str
) -> None:
    kinds = set()
    for language in LANGUAGES:
        page = service.client.get(f"/c/{issued[name]}?lang={language}").text
        kind = catalogue(language)[f"scheme_{scheme}"]
        sentence = _text(re.search(r'<div class="verdict[^"]*" role="status">(.*?)</div>', page, re.S)[1])
        assert kind in sentence, (language, sentence)
        kinds.add(kind)
    assert len(kinds) == len(LANGUAGES)


def test_one_time_zone_named_on_the_page(service: Service, issued: dict[str, str]) -> None:
    """A revocation at 17:30 UTC on 6 December is 7 December in China Standard Time, as every face says."""
    headers = service.issuer("tz")
    service.clock.now = datetime(2024, 12, 6, 17, 30, tzinfo=UTC)
    made = service.client.post("/api/v1/certificates", json=DEMO["zhejiang-made-kettle"], headers=headers)
    assert made.status_code == 201, made.text
    revoked = service.client.post(f"/api/v1/certificates/{made.json()['id']}/revoke", json={"reason": "fraud"},
                                  headers=headers)  # fmt: skip
    assert revoked.status_code == 200
    page = service.client.get(f"/c/{made.json()['qr'].rsplit('/', 1)[1]}?lang=en").text
    text = _text(page)
    assert "REVOKED on December 7, 2024" in text, text
    assert "2024-12-07 01:30 UTC+8" in text and "China Standard Time (UTC+8)" in text
    assert " UTC " not in text.replace("UTC+8", "")
    zh = _text(service.client.get(f"/c/{made.json()['qr'].rsplit('/', 1)[1]}?lang=zh").text)
    assert "北京时间（UTC+8）" in zh
