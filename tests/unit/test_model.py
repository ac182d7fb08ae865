"""The certificate model: every demo certificate passes, every violation names its field."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.helpers import DELETE, DEMO, changed
from verifier.certificate.codes import credit_code_check_character, credit_code_problem, normalize_hs_code
from verifier.certificate.model import Scheme, certificate_json, parse_certificate
from verifier.errors import CertificateInvalid


def test_demo_certificates_round_trip(demo_certificate: dict[str, Any]) -> None:
    certificate = parse_certificate(demo_certificate)
    assert certificate_json(certificate) == demo_certificate
    assert Scheme(certificate.scheme).value == demo_certificate["scheme"]


KETTLE = "zhejiang-made-kettle"
EXEMPTION = "ccc-exemption-samples"
VALVE = "international-cooperation-valve"

# (demo_certificate, path to change, new value, the field the error must name, words the message must hold)
BAD_INPUT: dict[str, tuple[str, str, Any, str, str]] = {
    "credit code with a wrong check character": (
        KETTLE,
        "holder.credit_code",
        "91330100MA27XK3L0B",
        "holder.credit_code",
        "check character",
    ),
    "credit code with a letter outside the alphabet": (
        KETTLE,
        "holder.credit_code",
        "91330100MA27XK3LOA",
        "holder.credit_code",
        "alphabet",
    ),
    "credit code too short": (KETTLE, "holder.credit_code", "91330100MA27XK3L0", "holder.credit_code", "18 characters"),
    "credit code in lower case": (KETTLE, "holder.credit_code", "91330100ma27xk3l0a", "holder.credit_code", "alphabet"),
    "HS code of a chapter that does not exist": (
        KETTLE,
        "products.0.hs_code",
        "9916.79",
        "products.0.hs_code",
        "HS code",
    ),
    "HS code with 5 digits": (KETTLE, "products.0.hs_code", "85167", "products.0.hs_code", "HS code"),
    "HS code as a number": (KETTLE, "products.0.hs_code", 851679, "products.0.hs_code", "string"),
    "market that is no country": (KETTLE, "markets.1", "XX", "markets.1", "ISO 3166-1"),
    "market in lower case": (KETTLE, "markets.0", "de", "markets.0", "ISO 3166-1"),
    "market repeated": (KETTLE, "markets.1", "DE", "markets", "repeat"),
    "no market": (KETTLE, "markets", [], "markets", "at least 1"),
    "valid_until before valid_from": (KETTLE, "valid_until", "2024-03-25", "valid_until", "before valid_from"),
    "validity longer than ten years": (
        KETTLE,
        "valid_until",
        "2034-03-26",
        "valid_until",
        "10 years (last day 2034-03-25)",
    ),
    "a date that does not exist": (KETTLE, "valid_from", "2024-02-30", "valid_from", "real calendar date"),
    "a date in another layout": (KETTLE, "valid_from", "26/03/2024", "valid_from", "YYYY-MM-DD"),
    "a timestamp for a date": (KETTLE, "valid_from", "2024-03-26T00:00:00", "valid_from", "YYYY-MM-DD"),
    "a date as a number": (KETTLE, "valid_from", 20240326, "valid_from", "YYYY-MM-DD"),
    "unknown scheme": (KETTLE, "scheme", "zhejiang-maid", "scheme", "must be one of"),
    "missing holder": (KETTLE, "holder", DELETE, "holder", "required"),
    "empty holder name": (KETTLE, "holder.name", "", "holder.name", "at least 1"),
    "holder name with a line break": (KETTLE, "holder.name_en", "Zhejiang\nHengda", "holder.name_en", "control"),
    "holder name padded with spaces": (KETTLE, "holder.name_en", " Zhejiang Hengda", "holder.name_en", "white space"),
    "holder name too long": (KETTLE, "holder.name", "浙" * 101, "holder.name", "at most 100"),
    "no product": (KETTLE, "products", [], "products", "at least 1"),
    "eleven products": (KETTLE, "products", [DEMO[KETTLE]["products"][0]] * 11, "products", "at most 10"),
    "a model repeated": (KETTLE, "products.0.models", ["HD-1701", "HD-1701"], "products.0.models", "repeat"),
    "a model with odd characters": (
        KETTLE,
        "products.0.models.0",
        "HD<1701>",
        "products.0.models.0",
        "may hold only letters, digits, spaces",
    ),
    "an unknown field": (KETTLE, "colour", "red", "colour", "not a field"),
    "exemption on a scheme without one": (
        KETTLE,
        "exemption",
        DEMO[EXEMPTION]["exemption"],
        "exemption",
        "not a field",
    ),
    "number with lower case": (KETTLE, "number", "zjm-2024-0317", "number", "may hold only upper-case letters"),
    "exemption missing": (EXEMPTION, "exemption", DELETE, "exemption", "required"),
    "exemption quantity of zero": (
        EXEMPTION,
        "exemption.quantity",
        0,
        "exemption.quantity",
        "greater than or equal to 1",
    ),
    "exemption quantity as a boolean": (EXEMPTION, "exemption.quantity", True, "exemption.quantity", "whole number"),
    "exemption quantity as a string": (EXEMPTION, "exemption.quantity", "24", "exemption.quantity", "whole number"),
    "exemption quantity with a fraction": (EXEMPTION, "exemption.quantity", 2.5, "exemption.quantity", "whole number"),
    "exemption purpose unknown": (
        EXEMPTION,
        "exemption.purpose",
        "souvenirs",
        "exemption.purpose",
        "research-and-development",
    ),
    "exemption unit unknown": (EXEMPTION, "exemption.unit", "boxes", "exemption.unit", "pieces"),
    "declared value as a float": (
        EXEMPTION,
        "exemption.declared_value.amount",
        18600.0,
        "exemption.declared_value.amount",
        "string",
    ),
    "declared value with three decimals": (
        EXEMPTION,
        "exemption.declared_value.amount",
        "18600.000",
        "exemption.declared_value.amount",
        "an amount with two decimals",
    ),
    "declared value currency unknown": (
        EXEMPTION,
        "exemption.declared_value.currency",
        "RMB",
        "exemption.declared_value.currency",
        "ISO 4217",
    ),
    "port of entry outside China": (
        EXEMPTION,
        "exemption.port_of_entry",
        "DEHAM",
        "exemption.port_of_entry",
        "Chinese port",
    ),
    "port of entry not a LOCODE": (
        EXEMPTION,
        "exemption.port_of_entry",
        "NINGBO",
        "exemption.port_of_entry",
        "UN/LOCODE",
    ),
    "recognitions missing": (VALVE, "recognitions", DELETE, "recognitions", "required"),
    "recognitions empty": (VALVE, "recognitions", [], "recognitions", "at least 1"),
    "recognition in no country": (VALVE, "recognitions.0.country", "EU", "recognitions.0.country", "ISO 3166-1"),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUT), ids=str)
def test_bad_input_names_its_field(case: str) -> None:
    name, path, value, field, words = BAD_INPUT[case]
    data = changed(DEMO[name], path, value)
    with pytest.raises(CertificateInvalid) as caught:
        parse_certificate(data)
    fields = {e.field: e.message for e in caught.value.errors}
    assert field in fields, fields
    assert words.lower() in fields[field].lower(), fields[field]


@pytest.mark.parametrize("data", [None, [], "certificate", 42, {}])
def test_not_an_object(data: Any) -> None:
    with pytest.raises(CertificateInvalid) as caught:
        parse_certificate(data)
    assert caught.value.errors


def test_every_error_is_reported_at_once() -> None:
    data = json.loads(json.dumps(DEMO[KETTLE]))
    data["holder"]["credit_code"] = "91330100MA27XK3L0B"
    data["markets"] = ["XX"]
    data["products"][0]["hs_code"] = "1"
    with pytest.raises(CertificateInvalid) as caught:
        parse_certificate(data)
    assert {e.field for e in caught.value.errors} == {"holder.credit_code", "markets.0", "products.0.hs_code"}


def test_number_is_optional_until_sealing() -> None:
    data = json.loads(json.dumps(DEMO[KETTLE]))
    del data["number"]
    assert parse_certificate(data).number is None


def test_credit_code_check_characters_of_the_references() -> None:
    for data in DEMO.values():
        code = data["holder"]["credit_code"]
        assert credit_code_problem(code) is None
        assert credit_code_check_character(code[:17]) == code[17]


@pytest.mark.parametrize(
    ("text", "canonical"),
    [("8516.79", "8516.79"), ("851679", "8516.79"), ("8516", "8516"), ("0901.21", "0901.21"),
     ("8516790000", "8516.79.00.00"), ("8516.79.10", "8516.79.10"), ("8516.7", None), ("0016.79", None),
     ("9816.79", None), ("8516-79", None), ("", None)],
)  # fmt: skip
def test_hs_codes(text: str, canonical: str | None) -> None:
    assert normalize_hs_code(text) == canonical


def test_hs_code_is_stored_canonical() -> None:
    data = json.loads(json.dumps(DEMO[KETTLE]))
    data["products"][0]["hs_code"] = "851679"
    assert parse_certificate(data).products[0].hs_code == "8516.79"


def test_ten_years_to_the_day_is_allowed() -> None:
    data = json.loads(json.dumps(DEMO[KETTLE]))
    data["valid_until"] = "2034-03-25"
    assert str(parse_certificate(data).valid_until) == "2034-03-25"


def test_hs_code_packing_round_trips() -> None:
    from verifier.certificate.codes import hs_code_from_int, hs_code_to_int

    for code in ("0101", "0901.21", "8516.79", "9701.10", "8536.69.00.00", "0101.21.10", "8512"):
        assert hs_code_from_int(hs_code_to_int(code)) == code
    for value in (0, 5, 99, 9901, 980000, 10**10):
        assert hs_code_from_int(value) is None


def test_the_scheme_ids_the_store_knows_are_the_models() -> None:
    from verifier.certificate.codes import SCHEME_IDS
    from verifier.certificate.model import Scheme

    assert tuple(s.value for s in Scheme) == SCHEME_IDS
