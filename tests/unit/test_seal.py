"""The seal's hand-written CBOR structures equal cbor2's deterministic encoding, and decoding is strict."""

from __future__ import annotations

from typing import Any

import cbor2
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.helpers import PUBLIC_URL, SEALED_AT
from verifier.certificate.model import parse_certificate
from verifier.errors import CheckFailed
from verifier.origins import check_public_url
from verifier.seal.claims import claims_to_cbor, sealed_content
from verifier.seal.cose import (
    _read_any_cbor,
    _read_exact_layout,
    decode_cose,
    encode_text,
    protected_header,
    sign,
    to_be_signed,
)
from verifier.trust.keys import SigningKey
from verifier.verdict import Reason


@given(kid=st.binary(min_size=8, max_size=8), payload=st.binary(max_size=70000))
def test_hand_written_structures_equal_cbor2(kid: bytes, payload: bytes) -> None:
    protected = protected_header(kid)
    assert protected == cbor2.dumps({1: -8, 4: kid}, canonical=True)
    assert to_be_signed(protected, payload) == cbor2.dumps(["Signature1", protected, b"", payload])


def test_envelope_equals_cbor2(issuer_key: SigningKey) -> None:
    payload = b"\x01" * 300
    cose = sign(payload, issuer_key)
    expected = cbor2.dumps(cbor2.CBORTag(18, [protected_header(issuer_key.kid), {}, payload, cose[-64:]]))
    assert cose == expected
    assert decode_cose(cose).payload == payload


def test_claims_are_deterministic_cbor(demo_certificate: dict[str, Any]) -> None:
    content = sealed_content(parse_certificate(demo_certificate), SEALED_AT)
    claims = claims_to_cbor(content)
    assert claims == cbor2.dumps(cbor2.loads(claims), canonical=True)


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        ({1: -8}, Reason.BAD_COSE),
        ({1: -8, 4: b"1234567"}, Reason.BAD_COSE),
        ({1: -8, 4: b"12345678", 2: [1]}, Reason.BAD_COSE),
        ({1: -7, 4: b"12345678"}, Reason.UNSUPPORTED_ALGORITHM),
        ({1: "EdDSA", 4: b"12345678"}, Reason.UNSUPPORTED_ALGORITHM),
        ([1, -8], Reason.BAD_COSE),
    ],
)
def test_protected_header_is_strict(header: object, reason: Reason) -> None:
    cose = cbor2.dumps(cbor2.CBORTag(18, [cbor2.dumps(header), {}, b"payload", b"\x00" * 64]))
    with pytest.raises(CheckFailed) as caught:
        decode_cose(cose)
    assert caught.value.reason is reason


def test_non_deterministic_protected_header_is_refused() -> None:
    protected = b"\xa2\x04\x48" + b"12345678" + b"\x01\x27"  # keys in the wrong order
    cose = cbor2.dumps(cbor2.CBORTag(18, [protected, {}, b"payload", b"\x00" * 64]))
    with pytest.raises(CheckFailed, match="deterministic"):
        decode_cose(cose)


def test_unprotected_header_must_be_empty() -> None:
    cose = cbor2.dumps(cbor2.CBORTag(18, [protected_header(b"12345678"), {4: b"12345678"}, b"p", b"\x00" * 64]))
    with pytest.raises(CheckFailed, match="unprotected"):
        decode_cose(cose)


@pytest.mark.parametrize("url", ["https://verify.example.org/", "HTTPS://Verify.Example.org", "http://127.0.0.1:8000"])
def test_public_url_is_an_origin(url: str) -> None:
    assert check_public_url(url) == url.lower().rstrip("/")
    assert encode_text(b"\x00", url).startswith(url.upper().rstrip("/") + "/C/1")


@pytest.mark.parametrize(
    "url", ["verify.example.org", "ftp://example.org", "https://example.org/verify", "https://user@example.org",
            "https://example.org?x=1", "https://exa mple.org", "https://"],
)  # fmt: skip
def test_public_url_with_a_path_or_no_host_is_refused(url: str) -> None:
    with pytest.raises(ValueError, match="public URL"):
        check_public_url(url)


def test_public_url_constant() -> None:
    assert check_public_url(PUBLIC_URL) == PUBLIC_URL


@given(
    payload=st.binary(max_size=900),
    edits=st.lists(st.tuples(st.integers(0, 2000), st.integers(0, 255)), max_size=3),
    cut=st.integers(0, 3),
)
def test_fast_layout_reader_agrees_with_the_general_one(payload: bytes, edits: list[tuple[int, int]], cut: int) -> None:
    data = bytearray(cbor2.dumps(cbor2.CBORTag(18, [protected_header(b"kid-1234"), {}, payload, b"s" * 64])))
    for index, value in edits:
        data[index % len(data)] = value
    data = data[: len(data) - cut]
    fast = _read_exact_layout(bytes(data))
    try:
        slow = _read_any_cbor(bytes(data))
    except CheckFailed:
        assert fast is None
    else:
        assert fast == slow
