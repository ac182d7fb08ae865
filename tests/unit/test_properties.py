"""Properties: any valid certificate round-trips through the seal; no one-character change is ever valid."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers import DEMO, PUBLIC_URL, SEALED_AT
from verifier import Verdict, verify
from verifier.certificate.codes import COUNTRIES, CREDIT_CODE_ALPHABET, CURRENCIES, credit_code_check_character
from verifier.certificate.fields import INVISIBLE_CHARACTERS, NUMBER_PATTERN
from verifier.certificate.model import ExemptionPurpose, QuantityUnit, certificate_json, parse_certificate
from verifier.issuing.recipe import seal_certificate
from verifier.seal.claims import sealed_content
from verifier.trust.keys import SigningKey
from verifier.trust.trustlist import TrustList

_INVISIBLE = re.compile(f"[{INVISIBLE_CHARACTERS}]")
# Unassigned code points (Cn) are left out too: the model refuses Unicode 15's format characters, some
# of which (U+13439-U+1343F) this Python's Unicode 14 does not know yet. The invisible characters of
# other categories (Hangul fillers, variation selectors, ...) are refused as well: left out.
LETTERS = st.characters(
    exclude_categories=("Cc", "Cf", "Cn", "Co", "Cs", "Zl", "Zp", "Zs"), max_codepoint=0x2FFFF
).filter(lambda char: not _INVISIBLE.match(char))
ALNUM = st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
PORTS = st.tuples(st.just("CN"), st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ23456789", min_size=3, max_size=3)).map("".join)


def text(max_size: int) -> st.SearchStrategy[str]:
    """One-line text with no outer white space (inner single spaces allowed)."""
    words = st.lists(st.text(LETTERS, min_size=1, max_size=12), min_size=1, max_size=4)
    return words.map(" ".join).filter(lambda s: len(s) <= max_size)


@st.composite
def credit_codes(draw: st.DrawFn) -> str:
    alphabet = CREDIT_CODE_ALPHABET
    head = draw(st.text(alphabet, min_size=2, max_size=2)) + draw(st.text("0123456789", min_size=6, max_size=6))
    body = head + draw(st.text(alphabet, min_size=9, max_size=9))
    return body + credit_code_check_character(body)


@st.composite
def certificates(draw: st.DrawFn) -> dict[str, Any]:
    scheme = draw(
        st.sampled_from(["zhejiang-made", "international-cooperation", "ccc-exemption", "ccc-self-declaration"])
    )
    start = draw(st.dates(date(2020, 1, 1), date(2030, 12, 31)))
    end = start + timedelta(days=draw(st.integers(0, 3000)))
    hs = draw(
        st.lists(st.sampled_from(["8516.79", "8481.80", "0901.21", "8536.69.00.00", "8512"]), min_size=1, max_size=3)
    )
    data: dict[str, Any] = {
        "scheme": scheme,
        "number": draw(st.from_regex(NUMBER_PATTERN, fullmatch=True)),
        "holder": {
            "name": draw(text(30)),
            "name_en": draw(text(60)),
            "credit_code": draw(credit_codes()),
            "address": draw(text(40)),
            "address_en": draw(text(60)),
        },
        "products": [
            {
                "name": draw(text(20)),
                "name_en": draw(text(30)),
                "models": draw(st.lists(st.text(ALNUM, min_size=1, max_size=10), min_size=1, max_size=4, unique=True)),
                "hs_code": code,
            }
            for code in hs
        ],
        "standards": [
            {"code": c, "title": draw(text(20)), "title_en": draw(text(30))}
            for c in draw(st.lists(st.text(ALNUM, min_size=1, max_size=15), min_size=1, max_size=3, unique=True))
        ],
        "valid_from": start.isoformat(),
        "valid_until": end.isoformat(),
        "markets": draw(st.lists(st.sampled_from(sorted(COUNTRIES)), min_size=1, max_size=10, unique=True)),
    }
    if scheme == "ccc-exemption":
        data["exemption"] = {
            "purpose": draw(st.sampled_from([p.value for p in ExemptionPurpose])),
            "quantity": draw(st.integers(1, 1_000_000_000)),
            "unit": draw(st.sampled_from([u.value for u in QuantityUnit])),
            "declared_value": {
                "amount": f"{draw(st.integers(0, 10**12 - 1))}.{draw(st.integers(0, 99)):02d}",
                "currency": draw(st.sampled_from(sorted(CURRENCIES))),
            },
            "port_of_entry": draw(PORTS),
        }
    if scheme == "international-cooperation":
        data["recognitions"] = [
            {
                "body": draw(text(40)),
                "country": draw(st.sampled_from(sorted(COUNTRIES))),
                "certificate_number": draw(text(20)),
            }
        ]
    return data


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=certificates())
def test_any_valid_certificate_round_trips(data: dict[str, Any], issuer_key: SigningKey, trust_list: TrustList) -> None:
    certificate = parse_certificate(data)
    assert certificate_json(certificate) == data
    sealed = seal_certificate(certificate, issuer_key, PUBLIC_URL, SEALED_AT)
    at = datetime(certificate.valid_from.year, certificate.valid_from.month, certificate.valid_from.day, 12, tzinfo=UTC)
    result = verify(sealed.qr_text, trust_list, at)
    assert result.verdict is Verdict.VALID, result
    assert result.certificate == sealed_content(certificate, SEALED_AT)


@pytest.fixture(scope="module")
def reference_texts(issuer_key: SigningKey) -> list[str]:
    return [
        seal_certificate(parse_certificate(data), issuer_key, PUBLIC_URL, SEALED_AT).qr_text
        for _, data in sorted(DEMO.items())
    ]


CHECK_AT = datetime(2024, 6, 1, tzinfo=UTC)
REPLACEMENTS = st.one_of(st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567abcz01890/:.-=% "), st.characters())


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_no_single_changed_character_is_valid(
    data: st.DataObject, reference_texts: list[str], trust_list: TrustList
) -> None:
    text = data.draw(st.sampled_from(reference_texts))
    assert verify(text, trust_list, CHECK_AT).verdict is Verdict.VALID
    index = data.draw(st.integers(0, len(text) - 1))
    origin_and_path = text.index("/C/") + 2  # their case is free: HTTPS://HOST/C/ is https://host/c/ (LINK-3)
    same_link = (lambda c: c.lower() == text[index].lower()) if index < origin_and_path else (lambda c: False)
    replacement = data.draw(REPLACEMENTS.filter(lambda c: c != text[index] and not same_link(c)))
    changed = text[:index] + replacement + text[index + 1 :]
    assert verify(changed, trust_list, CHECK_AT).verdict is not Verdict.VALID


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_no_single_inserted_or_deleted_character_is_valid(
    data: st.DataObject, reference_texts: list[str], trust_list: TrustList
) -> None:
    text = data.draw(st.sampled_from(reference_texts))
    index = data.draw(st.integers(0, len(text) - 1))
    if data.draw(st.booleans()):
        changed = text[:index] + text[index + 1 :]
    else:  # white space before the link is trimmed (LINK-1): the same link
        changed = text[:index] + data.draw(REPLACEMENTS.filter(lambda c: index or c not in " \t\r\n")) + text[index:]
    assert verify(changed, trust_list, CHECK_AT).verdict is not Verdict.VALID


def test_every_position_of_every_reference_text(reference_texts: list[str], trust_list: TrustList) -> None:
    """Exhaustive at one replacement per position: each character swapped for a neighbour in the alphabet."""
    for text in reference_texts:
        for index, char in enumerate(text):
            replacement = "B" if char == "A" else "A"
            changed = text[:index] + replacement + text[index + 1 :]
            assert verify(changed, trust_list, CHECK_AT).verdict is not Verdict.VALID, (index, text)
